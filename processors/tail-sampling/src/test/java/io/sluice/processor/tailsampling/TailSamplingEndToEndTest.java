package io.sluice.processor.tailsampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.config.ServiceConfig;
import io.sluice.core.service.ServiceGraph;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestVertx;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The official OpenTelemetry Java SDK sends traces built to hit each policy through a real Sluice
 * pipeline: the OTLP receiver (gRPC), {@code tail_sampling}, the OTLP exporter, into a gRPC sink
 * that decodes what arrives with the published OTLP classes. Exactly the traces the policies keep
 * come out, each whole, and late spans follow their trace's decision.
 */
class TailSamplingEndToEndTest {
  private static final String CONFIG = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:RECEIVER_PORT}
      processors:
        tail_sampling:
          decision_wait: 1s
          policies:
            - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
            - {name: slow, type: latency, latency: {threshold_ms: 500}}
            - {name: vip, type: string_attribute, string_attribute: {key: customer.tier, values: [gold]}}
            - {name: big, type: span_count, span_count: {min_spans: 20}}
            - {name: debug, type: boolean_attribute, boolean_attribute: {key: debug, value: true}}
            - name: checkout
              type: ottl_condition
              ottl_condition:
                span: ['attributes["http.route"] == "/checkout" and kind == SPAN_KIND_SERVER']
            - name: no-health
              type: drop
              drop:
                drop_sub_policy:
                  - {name: health, type: string_attribute, string_attribute: {key: http.route, values: [/health]}}
      exporters:
        otlp:
          endpoint: 127.0.0.1:${env:SINK_PORT}
          tls:
            insecure: true
      service:
        pipelines:
          traces:
            receivers: [otlp]
            processors: [tail_sampling]
            exporters: [otlp]
      """;

  private TestVertx tv;
  private Server sink;
  private ServiceGraph graph;
  private SdkTracerProvider provider;
  private final SelfMetrics metrics = new SelfMetrics();
  /** Spans received by the sink, by trace ID (hex). */
  private final Map<String, AtomicInteger> received = new ConcurrentHashMap<>();

  @BeforeEach
  void start() throws Exception {
    tv = TestVertx.create();
    sink = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
            for (ResourceSpans rs : request.getResourceSpansList()) {
              assertThat(rs.getResource().getAttributesList()).anyMatch(kv -> kv.getKey().equals("service.name")
                  && kv.getValue().getStringValue().equals("shop"));
              for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (io.opentelemetry.proto.trace.v1.Span s : ss.getSpansList()) {
                  received.computeIfAbsent(HexFormat.of().formatHex(s.getTraceId().toByteArray()),
                      k -> new AtomicInteger()).incrementAndGet();
                }
              }
            }
            response.onNext(ExportTraceServiceResponse.getDefaultInstance());
            response.onCompleted();
          }
        }).build().start();
    int receiverPort = Ports.freePort();
    ServiceConfig config = new ConfigLoader(Factories.load(),
        Map.of("RECEIVER_PORT", String.valueOf(receiverPort), "SINK_PORT", String.valueOf(sink.getPort())))
        .loadYaml("tail-sampling-e2e.yaml", CONFIG);
    graph = ServiceGraph.build(tv.vertx(), metrics, config);
    graph.start().await(30, TimeUnit.SECONDS);
    provider = SdkTracerProvider.builder()
        .setResource(Resource.create(Attributes.of(io.opentelemetry.api.common.AttributeKey.stringKey("service.name"),
            "shop")))
        .addSpanProcessor(BatchSpanProcessor.builder(OtlpGrpcSpanExporter.builder()
                .setEndpoint("http://127.0.0.1:" + receiverPort).build())
            .setScheduleDelay(Duration.ofMillis(50)).build())
        .build();
  }

  @AfterEach
  void stop() throws Exception {
    if (provider != null) {
      provider.shutdown().join(10, TimeUnit.SECONDS);
    }
    if (graph != null) {
      graph.shutdown().await(30, TimeUnit.SECONDS);
    }
    if (sink != null) {
      sink.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    tv.close();
  }

  /** A trace of {@code children + 1} spans; the root lasts {@code ms}; returns the root's context. */
  private SpanContext trace(Tracer tracer, String route, int children, long ms, boolean childError,
      Map<String, Object> rootAttributes) {
    Instant start = Instant.now();
    Span root = tracer.spanBuilder("GET " + route).setSpanKind(SpanKind.SERVER).setStartTimestamp(start)
        .setAttribute("http.route", route).startSpan();
    rootAttributes.forEach((k, v) -> {
      if (v instanceof Boolean b) {
        root.setAttribute(k, b);
      } else {
        root.setAttribute(k, String.valueOf(v));
      }
    });
    for (int i = 0; i < children; i++) {
      Span child = tracer.spanBuilder("step " + i).setParent(Context.root().with(root))
          .setStartTimestamp(start.plusMillis(1)).startSpan();
      if (childError && i == children - 1) {
        child.setStatus(StatusCode.ERROR, "boom");
      }
      child.end(start.plusMillis(2));
    }
    root.end(start.plusMillis(ms));
    return root.getSpanContext();
  }

  private static String id(SpanContext c) {
    return c.getTraceId();
  }

  private double counter(String name, String... labels) {
    return SelfMetricsReader.counter(metrics, "sluice_processor_tail_sampling_" + name, labels);
  }

  @Test
  void exactlyTheTracesThePoliciesKeepComeOutWholeAndLateSpansFollowTheirDecision() {
    Tracer tracer = provider.get("io.sluice.test");
    SpanContext error = trace(tracer, "/pay", 3, 10, true, Map.of());
    SpanContext slow = trace(tracer, "/search", 2, 800, false, Map.of());
    SpanContext vip = trace(tracer, "/cart", 2, 10, false, Map.of("customer.tier", "gold"));
    SpanContext silver = trace(tracer, "/cart", 2, 10, false, Map.of("customer.tier", "silver"));
    SpanContext big = trace(tracer, "/report", 24, 10, false, Map.of());
    SpanContext debug = trace(tracer, "/items", 1, 10, false, Map.of("debug", true));
    SpanContext checkout = trace(tracer, "/checkout", 2, 10, false, Map.of());
    SpanContext plain = trace(tracer, "/items", 2, 10, false, Map.of());
    SpanContext health = trace(tracer, "/health", 1, 10, true, Map.of());
    assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();

    Map<String, Integer> expected = Map.of(id(error), 4, id(slow), 3, id(vip), 3, id(big), 25, id(debug), 2,
        id(checkout), 3);
    await().atMost(Duration.ofSeconds(30)).until(() -> counter("global_count_traces_sampled") == 9);
    await().atMost(Duration.ofSeconds(30)).until(() -> received.values().stream().mapToInt(AtomicInteger::get).sum()
        == expected.values().stream().mapToInt(Integer::intValue).sum());
    assertThat(received.keySet()).containsExactlyInAnyOrderElementsOf(expected.keySet());
    expected.forEach((trace, spans) -> assertThat(received.get(trace).get()).as("spans of " + trace).isEqualTo(spans));
    assertThat(received).doesNotContainKeys(id(silver), id(plain), id(health));
    assertThat(counter("global_count_traces_sampled", "decision", "dropped")).isEqualTo(1);

    // Late spans: one for the kept error trace, one for the plain trace that was not kept.
    tracer.spanBuilder("late").setParent(Context.root().with(Span.wrap(plain))).startSpan().end();
    tracer.spanBuilder("late").setParent(Context.root().with(Span.wrap(error))).startSpan().end();
    assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
    await().atMost(Duration.ofSeconds(30)).until(() -> received.get(id(error)).get() == 5);
    await().atMost(Duration.ofSeconds(30))
        .until(() -> counter("early_releases_from_cache_decision", "sampled", "false") == 1);
    assertThat(received).doesNotContainKey(id(plain));
    assertThat(counter("new_trace_id_received")).as("late spans start no new trace").isEqualTo(9);
    assertThat(counter("global_count_traces_sampled")).isEqualTo(9);
  }
}
