package io.sluice.processor.probabilisticsampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.IdGenerator;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.config.ServiceConfig;
import io.sluice.core.service.ServiceGraph;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestVertx;
import io.sluice.exporter.otlp.OtlpExporterFactory;
import io.sluice.receiver.otlp.OtlpReceiverFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import io.vertx.core.Vertx;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The OpenTelemetry Java SDK sends spans with trace IDs fixed in advance through a Sluice pipeline
 * (OTLP receiver, {@code probabilistic_sampler}, OTLP exporter) to a gRPC sink; the spans that
 * come out are exactly those the sampling rules keep, worked out here from each trace ID on its
 * own terms, with the tracestate the rules write.
 */
class ProbabilisticSamplerSdkTest {
  private static final int SPANS = 600;
  private static final int SEED = 17;
  private static final float PERCENT = 30;
  private static final AttributeKey<Long> PRIORITY = AttributeKey.longKey("sampling.priority");
  /** Two pipelines, one per mode, each with its own receiver and an exporter to the sink. */
  private static final String CONFIG = """
            receivers:
              otlp/hash:
                protocols:
                  grpc:
                    endpoint: 127.0.0.1:${env:HASH}
              otlp/consistent:
                protocols:
                  grpc:
                    endpoint: 127.0.0.1:${env:CONSISTENT}
            processors:
              probabilistic_sampler:
                sampling_percentage: 30
                hash_seed: 17
              probabilistic_sampler/consistent:
                mode: proportional
                sampling_percentage: 50
            exporters:
              otlp/hash:
                endpoint: 127.0.0.1:${env:SINK}
                tls:
                  insecure: true
                headers:
                  x-scenario: hash
              otlp/consistent:
                endpoint: 127.0.0.1:${env:SINK}
                tls:
                  insecure: true
                headers:
                  x-scenario: consistent
            service:
              pipelines:
                traces/hash:
                  receivers: [otlp/hash]
                  processors: [probabilistic_sampler]
                  exporters: [otlp/hash]
                traces/consistent:
                  receivers: [otlp/consistent]
                  processors: [probabilistic_sampler/consistent]
                  exporters: [otlp/consistent]
            """;

  private final SelfMetrics metrics = new SelfMetrics();
  private TestVertx vertx;
  private OtlpSink sink;
  private ServiceGraph graph;
  private int hashPort;
  private int consistentPort;

  @BeforeEach
  void start() throws Exception {
    sink = new OtlpSink();
    hashPort = Ports.freePort();
    consistentPort = Ports.freePort();
    vertx = TestVertx.create();
    graph = ServiceGraph.build(vertx.vertx(), metrics, config(hashPort, consistentPort, sink.port()));
    graph.start().await(30, TimeUnit.SECONDS);
  }

  /**
   * Runs one request through the same pipelines once per JVM on a Vert.x without the strict
   * blocked-thread check, so that loading the receiver's, processor's and exporter's classes the
   * first time does not count against a test.
   */
  @BeforeAll
  static void warmUp() throws Exception {
    Vertx lenient = Vertx.vertx();
    try (OtlpSink warmSink = new OtlpSink()) {
      int port = Ports.freePort();
      SelfMetrics m = new SelfMetrics();
      ServiceGraph g = ServiceGraph.build(lenient, m, config(port, Ports.freePort(), warmSink.port()));
      g.start().await(30, TimeUnit.SECONDS);
      ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      try {
        TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
            .export(SamplingTestData.traces(100, 1));
        await("warm-up spans delivered").atMost(Duration.ofSeconds(30)).until(() -> !warmSink.spans("hash").isEmpty());
      } finally {
        channel.shutdownNow();
        g.shutdown().await(30, TimeUnit.SECONDS);
      }
    } finally {
      lenient.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static ServiceConfig config(int hashPort, int consistentPort, int sinkPort) throws ConfigException {
    return new ConfigLoader(Factories.of(new OtlpReceiverFactory(), new ProbabilisticSamplerProcessorFactory(),
        new OtlpExporterFactory()), Map.of("HASH", "" + hashPort, "CONSISTENT", "" + consistentPort, "SINK",
        "" + sinkPort)).loadYaml("sdk-test.yaml", CONFIG);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (graph != null) {
        graph.shutdown().await(30, TimeUnit.SECONDS);
      }
      if (sink != null) {
        sink.close();
      }
    } finally {
      if (vertx != null) {
        vertx.close();
      }
    }
  }

  @Test
  void hashSeedModeKeepsTheTracesWhoseHashFallsBelowThePercentage() {
    List<String> traceIds = traceIds(SPANS, 99);
    Map<String, Long> priorities = new LinkedHashMap<>();
    SdkTracerProvider provider = provider(hashPort, traceIds);
    Tracer tracer = provider.get("sampling-test");
    for (int i = 0; i < SPANS; i++) {
      var builder = tracer.spanBuilder("op-" + i);
      if (i % 50 == 7) {
        builder.setAttribute(PRIORITY, 0L);
        priorities.put(traceIds.get(i), 0L);
      } else if (i % 50 == 8) {
        builder.setAttribute(PRIORITY, 1L);
        priorities.put(traceIds.get(i), 1L);
      }
      builder.startSpan().end();
    }
    flushAndClose(provider);

    List<String> expected = new ArrayList<>();
    for (String id : traceIds) {
      Long priority = priorities.get(id);
      if (priority != null ? priority > 0 : hashKeeps(HexFormat.of().parseHex(id), SEED, PERCENT)) {
        expected.add(id);
      }
    }
    assertThat(expected.size()).as("about 30%% of %d", SPANS).isBetween(130, 230);
    Map<String, String> out = awaitDelivered("traces/hash", "otlp/hash", "hash");
    assertThat(out.keySet()).containsExactlyInAnyOrderElementsOf(expected);
    // Kept at 30%: 4915 of the 16384 buckets, so th = (16384 - 4915) << 42 = 0xb334 << 40; rv's top
    // 14 bits are 16383 minus the bucket of the trace ID's hash.
    for (Map.Entry<String, String> e : out.entrySet()) {
      String ts = e.getValue();
      int bucket = hash(HexFormat.of().parseHex(e.getKey()), SEED) & 0x3fff;
      if (priorities.containsKey(e.getKey())) {
        assertThat(ts).matches("ot=rv:[0-9a-f]{14};th:0");
      } else {
        assertThat(ts).matches("ot=rv:[0-9a-f]{14};th:b334");
      }
      long rv = Long.parseLong(ts.substring(6, 20), 16);
      assertThat(rv >>> 42).as("rv of %s", e.getKey()).isEqualTo(16383 - bucket);
    }
  }

  @Test
  void proportionalModeMultipliesTheProbabilityInTheTracestate() {
    List<String> traceIds = traceIds(SPANS, 5);
    SdkTracerProvider provider = provider(consistentPort, traceIds);
    Tracer tracer = provider.get("sampling-test");
    Map<String, Boolean> halfUpstream = new LinkedHashMap<>();
    Random r = new Random(3);
    for (String id : traceIds) {
      boolean half = r.nextBoolean();
      halfUpstream.put(id, half);
      TraceState ts = half ? TraceState.builder().put("vendor", "x").put("ot", "th:8").build()
          : TraceState.builder().put("vendor", "x").build();
      SpanContext parent = SpanContext.createFromRemoteParent(id, "00f067aa0ba902b7", TraceFlags.getSampled(), ts);
      tracer.spanBuilder("child").setParent(Context.root().with(Span.wrap(parent))).startSpan().end();
    }
    flushAndClose(provider);

    // R is the trace ID's low 56 bits. Arriving with no th (100%) it is kept at 50%: R >= 2^55,
    // th:8. Arriving at 50% (th:8, which R must not contradict) it is kept at 25%: R >= 0xc << 52.
    Map<String, String> expected = new LinkedHashMap<>();
    for (String id : traceIds) {
      long r56 = Long.parseLong(id.substring(18), 16);
      if (!halfUpstream.get(id) && r56 >= 1L << 55) {
        expected.put(id, "ot=th:8,vendor=x");
      } else if (halfUpstream.get(id) && r56 >= 0xcL << 52) {
        expected.put(id, "ot=th:c,vendor=x");
      }
    }
    assertThat(expected.size()).isBetween(180, 270);
    assertThat(awaitDelivered("traces/consistent", "otlp/consistent", "consistent"))
        .containsExactlyInAnyOrderEntriesOf(expected);
  }

  @Test
  void theOtlpAnswerCountsTheSpansNotSampledAsRejected() {
    ExportTraceServiceRequest req = SamplingTestData.traces(500, 21);
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", hashPort).usePlaintext().build();
    try {
      ExportTraceServiceResponse response = TraceServiceGrpc.newBlockingStub(channel)
          .withDeadlineAfter(30, TimeUnit.SECONDS).export(req);
      Map<String, String> out = awaitDelivered("traces/hash", "otlp/hash", "hash",
          io.opentelemetry.proto.trace.v1.Span::getSpanId);
      assertThat(out.size()).isBetween(50, 250);
      assertThat(response.getPartialSuccess().getRejectedSpans()).isEqualTo(500 - out.size());
      assertThat(response.getPartialSuccess().getErrorMessage())
          .isEqualTo("not sampled by the probabilistic_sampler processor \"probabilistic_sampler\"");
    } finally {
      channel.shutdownNow();
    }
  }

  /**
   * Waits until the exporter has sent all that the processor passed on, the processor having
   * seen every span, and returns what the sink got, by trace ID.
   */
  private Map<String, String> awaitDelivered(String pipeline, String exporter, String scenario) {
    return awaitDelivered(pipeline, exporter, scenario, s -> s.getTraceId());
  }

  /** The same, by the ID {@code key} gives each span. */
  private Map<String, String> awaitDelivered(String pipeline, String exporter, String scenario,
      Function<io.opentelemetry.proto.trace.v1.Span, ByteString> key) {
    await("spans through " + pipeline).atMost(Duration.ofSeconds(30)).until(() -> {
      double out = SelfMetricsReader.counter(metrics, "sluice_processor_outgoing_items", "pipeline", pipeline);
      double sent = SelfMetricsReader.counter(metrics, "sluice_exporter_sent_items", "component_id", exporter);
      return out > 0 && sent == out;
    });
    Map<String, String> byTrace = new LinkedHashMap<>();
    for (ResourceSpans rs : sink.spans(scenario)) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (var s : ss.getSpansList()) {
          String id = HexFormat.of().formatHex(key.apply(s).toByteArray());
          assertThat(byTrace.put(id, s.getTraceState())).as("span %s delivered twice", id).isNull();
        }
      }
    }
    return byTrace;
  }

  private static SdkTracerProvider provider(int port, List<String> traceIds) {
    Iterator<String> ids = traceIds.iterator();
    IdGenerator fixed = new IdGenerator() {
      private final Random spanIds = new Random(1);

      @Override
      public String generateSpanId() {
        return String.format("%016x", spanIds.nextLong() | 1);
      }

      @Override
      public synchronized String generateTraceId() {
        return ids.next();
      }
    };
    return SdkTracerProvider.builder().setIdGenerator(fixed)
        .addSpanProcessor(BatchSpanProcessor.builder(OtlpGrpcSpanExporter.builder()
            .setEndpoint("http://127.0.0.1:" + port).setTimeout(Duration.ofSeconds(10)).build())
            .setMaxExportBatchSize(200).build())
        .build();
  }

  private static void flushAndClose(SdkTracerProvider provider) {
    CompletableResultCode flushed = provider.forceFlush().join(30, TimeUnit.SECONDS);
    assertThat(flushed.isSuccess()).as("the SDK's export succeeded").isTrue();
    provider.shutdown().join(10, TimeUnit.SECONDS);
  }

  private static List<String> traceIds(int n, long seed) {
    Random r = new Random(seed);
    List<String> ids = new ArrayList<>();
    byte[] id = new byte[16];
    for (int i = 0; i < n; i++) {
      r.nextBytes(id);
      ids.add(HexFormat.of().formatHex(id));
    }
    return ids;
  }

  /** The rule as the Collector's README and code state it, written out plainly. */
  private static boolean hashKeeps(byte[] traceId, int seed, float percent) {
    int scaled = (int) (Math.min(percent, 100f) * 163.84f);
    return (hash(traceId, seed) & 0x3fff) < scaled;
  }

  /** 32-bit FNV-1a of the seed's four little-endian bytes followed by the trace ID. */
  private static int hash(byte[] traceId, int seed) {
    byte[] input = new byte[4 + traceId.length];
    input[0] = (byte) seed;
    input[1] = (byte) (seed >> 8);
    input[2] = (byte) (seed >> 16);
    input[3] = (byte) (seed >> 24);
    System.arraycopy(traceId, 0, input, 4, traceId.length);
    int h = 0x811c9dc5;
    for (byte b : input) {
      h ^= b & 0xff;
      h *= 16777619;
    }
    return h;
  }
}
