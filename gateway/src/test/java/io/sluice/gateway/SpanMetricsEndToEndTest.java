package io.sluice.gateway;

import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Vertx;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spans from the official OpenTelemetry Java SDK through a real gateway: the {@code otlp}
 * receiver feeds a traces pipeline that exports to {@code spanmetrics}, whose metrics pipeline
 * sends over OTLP/gRPC to a server built from the published OTLP service classes. What that
 * server decodes must be the RED metrics of exactly the spans the SDK sent.
 */
class SpanMetricsEndToEndTest {
  private static final String CONFIG = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:GRPC}
      connectors:
        spanmetrics:
          metrics_flush_interval: 200ms
          aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA
          dimensions:
            - name: http.route
            - name: deployment.environment
              default: test
          histogram:
            explicit:
              buckets: [10ms, 100ms, 1s]
          exemplars:
            enabled: true
      exporters:
        otlp:
          endpoint: 127.0.0.1:${env:SINK}
          tls:
            insecure: true
      service:
        telemetry:
          metrics:
            address: 127.0.0.1:${env:METRICS}
        pipelines:
          traces:
            receivers: [otlp]
            exporters: [spanmetrics]
          metrics:
            receivers: [spanmetrics]
            exporters: [otlp]
      """;

  @TempDir Path dir;

  private TestVertx tv;
  private Gateway gateway;
  private Server sink;
  private SdkTracerProvider tracing;
  private final List<ExportMetricsServiceRequest> received = new CopyOnWriteArrayList<>();

  /**
   * One span through the same path on a Vert.x without the strict blocked-loop check: the first
   * parse of a span and the first flush load classes on an event loop, which on a busy machine can
   * take longer than the check allows without saying anything about the connector.
   */
  @BeforeAll
  static void warmUp(@TempDir Path warmDir) throws Exception {
    List<ExportMetricsServiceRequest> got = new CopyOnWriteArrayList<>();
    int grpc = Ports.freePort();
    int sinkPort = Ports.freePort();
    Server server = startSink(sinkPort, got);
    Vertx vertx = Vertx.vertx();
    Gateway g = null;
    SdkTracerProvider sdk = null;
    try {
      g = GatewayFixtures.start(vertx, GatewayFixtures.writeConfig(warmDir, "warm.yaml", CONFIG),
          Map.of("GRPC", String.valueOf(grpc), "SINK", String.valueOf(sinkPort),
              "METRICS", String.valueOf(Ports.freePort())));
      sdk = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(OtlpGrpcSpanExporter.builder()
          .setEndpoint("http://127.0.0.1:" + grpc).build())).build();
      sdk.get("warm-up").spanBuilder("warm-up").startSpan().end();
      sdk.forceFlush().join(10, TimeUnit.SECONDS);
      await("the warm-up span's metrics").atMost(Duration.ofSeconds(30)).until(() -> !got.isEmpty());
    } finally {
      if (sdk != null) {
        sdk.shutdown().join(10, TimeUnit.SECONDS);
      }
      if (g != null) {
        g.shutdown(Duration.ofSeconds(10));
      }
      vertx.close().await(10, TimeUnit.SECONDS);
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  private static Server startSink(int port, List<ExportMetricsServiceRequest> into) throws Exception {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(new MetricsServiceGrpc.MetricsServiceImplBase() {
          @Override
          public void export(ExportMetricsServiceRequest request,
              StreamObserver<ExportMetricsServiceResponse> response) {
            into.add(request);
            response.onNext(ExportMetricsServiceResponse.getDefaultInstance());
            response.onCompleted();
          }
        }).build().start();
  }

  @AfterEach
  void stop() throws Exception {
    if (tracing != null) {
      tracing.shutdown().join(10, TimeUnit.SECONDS);
    }
    if (gateway != null) {
      gateway.shutdown(Duration.ofSeconds(10));
    }
    if (sink != null) {
      sink.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (tv != null) {
      tv.close();
    }
  }

  @Test
  void spansFromTheSdkBecomeCallsAndDurationMetricsInTheMetricsPipeline() throws Exception {
    int grpc = Ports.freePort();
    int sinkPort = Ports.freePort();
    sink = startSink(sinkPort, received);
    tv = TestVertx.create();
    gateway = GatewayFixtures.start(tv.vertx(), GatewayFixtures.writeConfig(dir, "spanmetrics.yaml", CONFIG),
        Map.of("GRPC", String.valueOf(grpc), "SINK", String.valueOf(sinkPort),
            "METRICS", String.valueOf(Ports.freePort())));

    SdkRecorders.Spans exporter = new SdkRecorders.Spans(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + grpc).setTimeout(Duration.ofSeconds(10)).build());
    tracing = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
            AttributeKey.stringKey("service.name"), "e2e-spanmetrics"))))
        .addSpanProcessor(SimpleSpanProcessor.create(exporter)).build();
    Tracer tracer = tracing.get("e2e");
    long t = 1_700_000_000_000_000_000L;
    // GET /items: 5 ms, 5 ms, 50 ms and an error of 500 ms; a client call of 2 s without a route.
    record(tracer, "GET /items", SpanKind.SERVER, "/items", t, 5, false);
    record(tracer, "GET /items", SpanKind.SERVER, "/items", t, 5, false);
    record(tracer, "GET /items", SpanKind.SERVER, "/items", t, 50, false);
    record(tracer, "GET /items", SpanKind.SERVER, "/items", t, 500, true);
    record(tracer, "SELECT", SpanKind.CLIENT, null, t, 2000, false);
    assertThat(tracing.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).as("the SDK's export").isTrue();
    List<SpanData> sent = exporter.exported();
    assertThat(sent).hasSize(5);

    Map<String, String> ok = Map.of("service.name", "e2e-spanmetrics", "span.name", "GET /items",
        "span.kind", "SPAN_KIND_SERVER", "status.code", "STATUS_CODE_UNSET", "http.route", "/items",
        "deployment.environment", "test");
    Map<String, String> error = new HashMap<>(ok);
    error.put("status.code", "STATUS_CODE_ERROR");
    Map<String, String> client = Map.of("service.name", "e2e-spanmetrics", "span.name", "SELECT",
        "span.kind", "SPAN_KIND_CLIENT", "status.code", "STATUS_CODE_UNSET", "deployment.environment", "test");

    await("the spans' metrics at the sink").atMost(Duration.ofSeconds(20))
        .until(() -> sumCalls().values().stream().mapToLong(Long::longValue).sum() >= 5);
    // Delta points: what every flush sent adds up to the spans, once each.
    assertThat(sumCalls()).isEqualTo(Map.of(ok, 3L, error, 1L, client, 1L));
    Map<Map<String, String>, long[]> buckets = sumBuckets();
    assertThat(buckets.keySet()).containsExactlyInAnyOrder(ok, error, client);
    // Bounds 10, 100, 1000 ms: 5, 5 and 50 ms; 500 ms; 2000 ms.
    assertThat(buckets.get(ok)).containsExactly(2, 1, 0, 0);
    assertThat(buckets.get(error)).containsExactly(0, 0, 1, 0);
    assertThat(buckets.get(client)).containsExactly(0, 0, 0, 1);

    // Every request carries the SDK's resource, the connector's scope and the Collector's names.
    List<Metric> metrics = new ArrayList<>();
    for (ExportMetricsServiceRequest req : received) {
      for (ResourceMetrics rm : req.getResourceMetricsList()) {
        Map<String, String> resource = attrs(rm.getResource().getAttributesList());
        assertThat(resource).containsEntry("service.name", "e2e-spanmetrics").containsEntry("telemetry.sdk.language",
            "java");
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          assertThat(sm.getScope().getName()).isEqualTo("spanmetricsconnector");
          metrics.addAll(sm.getMetricsList());
        }
      }
    }
    assertThat(metrics).extracting(Metric::getName).containsOnly("traces.span.metrics.calls",
        "traces.span.metrics.duration");
    for (Metric m : metrics) {
      if (m.hasSum()) {
        assertThat(m.getSum().getAggregationTemporality()).isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
        assertThat(m.getSum().getIsMonotonic()).isTrue();
      } else {
        assertThat(m.getUnit()).isEqualTo("ms");
        for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
          assertThat(p.getExplicitBoundsList()).containsExactly(10.0, 100.0, 1000.0);
        }
      }
    }
    // Exemplars name the SDK's spans.
    List<String> spanIds = sent.stream().map(SpanData::getSpanId).toList();
    List<String> exemplarSpans = new ArrayList<>();
    metrics.stream().filter(Metric::hasHistogram).flatMap(m -> m.getHistogram().getDataPointsList().stream())
        .flatMap(p -> p.getExemplarsList().stream())
        .forEach(e -> exemplarSpans.add(java.util.HexFormat.of().formatHex(e.getSpanId().toByteArray())));
    assertThat(exemplarSpans).hasSize(5).containsExactlyInAnyOrderElementsOf(spanIds);
  }

  private static void record(Tracer tracer, String name, SpanKind kind, String route, long start, long millis,
      boolean error) {
    Span span = tracer.spanBuilder(name).setSpanKind(kind).setStartTimestamp(start, NANOSECONDS).startSpan();
    if (route != null) {
      span.setAttribute("http.route", route);
    }
    if (error) {
      span.setStatus(StatusCode.ERROR);
    }
    span.end(start + millis * 1_000_000L, NANOSECONDS);
  }

  /** Calls per attribute set, summed over every delta point received. */
  private Map<Map<String, String>, Long> sumCalls() {
    Map<Map<String, String>, Long> out = new HashMap<>();
    for (Metric m : metricsNamed("traces.span.metrics.calls")) {
      for (NumberDataPoint p : m.getSum().getDataPointsList()) {
        out.merge(attrs(p.getAttributesList()), p.getAsInt(), Long::sum);
      }
    }
    return out;
  }

  /** Bucket counts per attribute set, summed over every delta point received. */
  private Map<Map<String, String>, long[]> sumBuckets() {
    Map<Map<String, String>, long[]> out = new HashMap<>();
    for (Metric m : metricsNamed("traces.span.metrics.duration")) {
      for (HistogramDataPoint p : m.getHistogram().getDataPointsList()) {
        long[] sum = out.computeIfAbsent(attrs(p.getAttributesList()), k -> new long[p.getBucketCountsCount()]);
        for (int i = 0; i < sum.length; i++) {
          sum[i] += p.getBucketCounts(i);
        }
        assertThat(p.getCount()).isEqualTo(p.getBucketCountsList().stream().mapToLong(Long::longValue).sum());
      }
    }
    return out;
  }

  private List<Metric> metricsNamed(String name) {
    List<Metric> out = new ArrayList<>();
    for (ExportMetricsServiceRequest req : received) {
      req.getResourceMetricsList().forEach(rm -> rm.getScopeMetricsList().forEach(sm -> sm.getMetricsList()
          .stream().filter(m -> m.getName().equals(name)).forEach(out::add)));
    }
    return out;
  }

  private static Map<String, String> attrs(List<KeyValue> kvs) {
    Map<String, String> m = new TreeMap<>();
    kvs.forEach(kv -> m.put(kv.getKey(), kv.getValue().hasStringValue() ? kv.getValue().getStringValue()
        : kv.getValue().toString()));
    return m;
  }
}
