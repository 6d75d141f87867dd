package io.sluice.gateway;

import static io.opentelemetry.api.common.AttributeKey.booleanArrayKey;
import static io.opentelemetry.api.common.AttributeKey.doubleArrayKey;
import static io.opentelemetry.api.common.AttributeKey.longArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static io.sluice.gateway.GatewayFixtures.series;
import static java.util.concurrent.TimeUnit.NANOSECONDS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.KeyValue;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.TraceFlags;
import io.opentelemetry.api.trace.TraceState;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.logs.OtlpGrpcLogRecordExporter;
import io.opentelemetry.exporter.otlp.metrics.OtlpGrpcMetricExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.View;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.ExponentialHistogramPointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.metrics.export.AggregationTemporalitySelector;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.LinkData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestVertx;
import io.sluice.gateway.OtlpFlat.FlatLog;
import io.sluice.gateway.OtlpFlat.FlatPoint;
import io.sluice.gateway.OtlpFlat.FlatSpan;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two gateways in one JVM: A takes OTLP over gRPC and HTTP from the official OpenTelemetry Java
 * SDK, limits memory, batches and forwards over OTLP/gRPC to B, which writes OTLP/JSON lines to
 * files. What arrives in B's files must be what the SDK sent, field for field.
 */
class EndToEndTest {
  private static final String GATEWAY_A = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:A_GRPC}
            http:
              endpoint: 127.0.0.1:${env:A_HTTP}
      processors:
        memory_limiter:
          check_interval: 1s
          limit_percentage: 90
          spike_limit_percentage: 10
        batch:
          timeout: 100ms
      exporters:
        otlp:
          endpoint: 127.0.0.1:${env:B_GRPC}
          tls:
            insecure: true
          sending_queue:
            enabled: true
            num_consumers: 2
            queue_size: 100
          retry_on_failure:
            enabled: true
            initial_interval: 100ms
            max_interval: 1s
            max_elapsed_time: 30s
      extensions:
        health_check:
          endpoint: 127.0.0.1:${env:A_HEALTH}
      service:
        extensions: [health_check]
        telemetry:
          metrics:
            address: 127.0.0.1:${env:A_METRICS}
        pipelines:
          traces:
            receivers: [otlp]
            processors: [memory_limiter, batch]
            exporters: [otlp]
          metrics:
            receivers: [otlp]
            processors: [memory_limiter, batch]
            exporters: [otlp]
          logs:
            receivers: [otlp]
            processors: [memory_limiter, batch]
            exporters: [otlp]
      """;

  private static final String GATEWAY_B = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:B_GRPC}
      exporters:
        file/traces:
          path: ${env:OUT_DIR}/traces.jsonl
          format: json
        file/metrics:
          path: ${env:OUT_DIR}/metrics.jsonl
        file/logs:
          path: ${env:OUT_DIR}/logs.jsonl
      service:
        telemetry:
          metrics:
            address: 127.0.0.1:${env:B_METRICS}
        pipelines:
          traces:
            receivers: [otlp]
            exporters: [file/traces]
          metrics:
            receivers: [otlp]
            exporters: [file/metrics]
          logs:
            receivers: [otlp]
            exporters: [file/logs]
      """;

  private static final Duration DELIVERY = Duration.ofSeconds(15);

  @TempDir Path dir;

  private TestVertx vertxA;
  private TestVertx vertxB;
  private Gateway gatewayA;
  private Gateway gatewayB;
  private int aGrpc;
  private int aHttp;
  private int aHealth;
  private int aMetrics;
  private int bMetrics;
  private Path tracesOut;
  private Path metricsOut;
  private Path logsOut;
  private final List<OpenTelemetrySdk> sdks = new ArrayList<>();
  /**
   * Threads for the SDK exporters behind a SimpleSpanProcessor, which exports every span as it
   * ends: the exporters' own pool refuses more than five calls at once.
   */
  private final ExecutorService sdkThreads = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "sdk-export");
    t.setDaemon(true);
    return t;
  });

  /**
   * Gateway A's config. Nothing in it reads fields, so A passes the requests' resources through
   * as the bytes it received; {@link EndToEndParsedTest} adds a processor that parses them.
   */
  String gatewayAConfig() {
    return GATEWAY_A;
  }

  @BeforeEach
  void startGateways() throws Exception {
    aGrpc = Ports.freePort();
    aHttp = Ports.freePort();
    aHealth = Ports.freePort();
    aMetrics = Ports.freePort();
    int bGrpc = Ports.freePort();
    bMetrics = Ports.freePort();
    Path out = dir.resolve("out");
    tracesOut = out.resolve("traces.jsonl");
    metricsOut = out.resolve("metrics.jsonl");
    logsOut = out.resolve("logs.jsonl");
    Map<String, String> env = Map.of(
        "A_GRPC", String.valueOf(aGrpc),
        "A_HTTP", String.valueOf(aHttp),
        "A_HEALTH", String.valueOf(aHealth),
        "A_METRICS", String.valueOf(aMetrics),
        "B_GRPC", String.valueOf(bGrpc),
        "B_METRICS", String.valueOf(bMetrics),
        "OUT_DIR", out.toString());
    vertxB = TestVertx.create();
    gatewayB = GatewayFixtures.start(vertxB.vertx(), GatewayFixtures.writeConfig(dir, "b.yaml", GATEWAY_B), env);
    vertxA = TestVertx.create();
    gatewayA = GatewayFixtures.start(vertxA.vertx(), GatewayFixtures.writeConfig(dir, "a.yaml", gatewayAConfig()), env);
  }

  @AfterEach
  void stopEverything() {
    for (OpenTelemetrySdk sdk : sdks) {
      sdk.shutdown().join(10, TimeUnit.SECONDS);
    }
    sdkThreads.shutdownNow();
    if (gatewayA != null) {
      gatewayA.shutdown(Duration.ofSeconds(10));
    }
    if (gatewayB != null) {
      gatewayB.shutdown(Duration.ofSeconds(10));
    }
    // Fails the test when an event loop was blocked.
    try {
      if (vertxA != null) {
        vertxA.close();
      }
    } finally {
      if (vertxB != null) {
        vertxB.close();
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // The SDK's data, field for field
  // ------------------------------------------------------------------------------------------

  @Test
  void spansFromTheSdkOverGrpcAndHttpArriveFieldForField() {
    SdkRecorders.Spans grpc = new SdkRecorders.Spans(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aGrpc).setTimeout(Duration.ofSeconds(10))
        .setExecutorService(sdkThreads).build());
    SdkRecorders.Spans http = new SdkRecorders.Spans(OtlpHttpSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aHttp + "/v1/traces").setTimeout(Duration.ofSeconds(10)).build());
    SdkTracerProvider overGrpc = SdkTracerProvider.builder().setResource(resource("e2e-traces-grpc"))
        .addSpanProcessor(SimpleSpanProcessor.create(grpc)).build();
    SdkTracerProvider overHttp = SdkTracerProvider.builder().setResource(resource("e2e-traces-http"))
        .addSpanProcessor(BatchSpanProcessor.builder(http).build()).build();
    sdks.add(OpenTelemetrySdk.builder().setTracerProvider(overGrpc).build());
    sdks.add(OpenTelemetrySdk.builder().setTracerProvider(overHttp).build());

    recordSpans(overGrpc, 1_700_000_000_123_456_789L);
    recordSpans(overHttp, 1_700_000_100_987_654_321L);
    assertSucceeded(overGrpc.forceFlush(), "trace export over gRPC");
    assertSucceeded(overHttp.forceFlush(), "trace export over HTTP");

    List<SpanData> sent = new ArrayList<>(grpc.exported());
    sent.addAll(http.exported());
    assertThat(grpc.exported()).hasSize(SPANS_PER_PROVIDER);
    assertThat(http.exported()).hasSize(SPANS_PER_PROVIDER);

    Predicate<FlatSpan> ours = s -> OtlpFlat.resourceAttr(s.origin().resource(), "service.name").startsWith("e2e-");
    await("all spans in gateway B's file").atMost(DELIVERY)
        .until(() -> OtlpFlat.spansInFile(tracesOut).stream().filter(ours).count() >= sent.size());
    List<FlatSpan> arrived = OtlpFlat.spansInFile(tracesOut).stream().filter(ours).toList();

    // Field for field: the SDK's own OTLP encoding of what it exported is what arrived, once each.
    List<FlatSpan> expected = OtlpFlat.spans(SdkRecorders.otlp(sent));
    assertThat(arrived).containsExactlyInAnyOrderElementsOf(expected);

    // And checked against the SDK's span data directly, so that the comparison does not rest on
    // the SDK's encoder alone.
    Map<String, FlatSpan> byId = new HashMap<>();
    arrived.forEach(s -> byId.put(s.spanIdHex(), s));
    for (SpanData sd : sent) {
      FlatSpan got = byId.get(sd.getSpanId());
      assertThat(got).as("span %s (%s)", sd.getName(), sd.getSpanId()).isNotNull();
      assertSameSpan(sd, got);
    }
  }

  private static final int SPANS_PER_PROVIDER = 5;

  /** Five spans that use every span feature: kinds, parents (local and remote), every attribute type, events, links, status. */
  private static void recordSpans(SdkTracerProvider provider, long t0) {
    Tracer tracer = provider.tracerBuilder("io.sluice.e2e").setInstrumentationVersion("1.2.3")
        .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0").build();
    Span root = tracer.spanBuilder("GET /checkout")
        .setSpanKind(SpanKind.SERVER)
        .setStartTimestamp(t0, NANOSECONDS)
        .setAttribute("http.request.method", "GET")
        .setAttribute("http.response.status_code", 500L)
        .setAttribute("sampling.ratio", 0.75)
        .setAttribute("retried", true)
        .setAttribute(stringArrayKey("tags"), List.of("blue", "green", ""))
        .setAttribute(longArrayKey("codes"), List.of(Long.MIN_VALUE, 0L, Long.MAX_VALUE))
        .setAttribute(doubleArrayKey("weights"), List.of(0.5, -1.5e300))
        .setAttribute(booleanArrayKey("switches"), List.of(true, false))
        .setAttribute("unicode", "grüße, 世界 \"quoted\"\n")
        .startSpan();
    root.addEvent("cache.miss", Attributes.of(stringKey("cache.key"), "cart-42"), t0 + 1_000, NANOSECONDS);
    root.addEvent("no.attributes", t0 + 2_000, NANOSECONDS);
    root.recordException(new IllegalStateException("payment declined"));
    root.setStatus(StatusCode.ERROR, "payment declined");

    SpanContext linked = SpanContext.create("0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331",
        TraceFlags.getSampled(), TraceState.builder().put("vendor", "v1").build());
    Span child = tracer.spanBuilder("SELECT orders")
        .setParent(Context.root().with(root))
        .setSpanKind(SpanKind.CLIENT)
        .setStartTimestamp(t0 + 3_000, NANOSECONDS)
        .addLink(linked, Attributes.of(stringKey("link.reason"), "retry-of"))
        .setAttribute("db.system.name", "postgresql")
        .startSpan();
    child.setStatus(StatusCode.OK);
    child.end(t0 + 5_000, NANOSECONDS);

    SpanContext remote = SpanContext.createFromRemoteParent("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7",
        TraceFlags.getSampled(), TraceState.builder().put("congo", "t61rcWkgMzE").put("rojo", "00f067aa0ba902b7").build());
    Span producer = tracer.spanBuilder("publish orders")
        .setParent(Context.root().with(Span.wrap(remote)))
        .setSpanKind(SpanKind.PRODUCER)
        .setStartTimestamp(t0 + 6_000, NANOSECONDS)
        .startSpan();
    Span consumer = tracer.spanBuilder("process orders")
        .setParent(Context.root().with(producer))
        .setSpanKind(SpanKind.CONSUMER)
        .setStartTimestamp(t0 + 7_000, NANOSECONDS)
        .startSpan();
    consumer.end(t0 + 8_000, NANOSECONDS);
    producer.end(t0 + 9_000, NANOSECONDS);

    Span internal = tracer.spanBuilder("compute total").setSpanKind(SpanKind.INTERNAL).setNoParent().startSpan();
    internal.end();
    root.end(t0 + 10_000, NANOSECONDS);
  }

  private static void assertSameSpan(SpanData sd, FlatSpan got) {
    io.opentelemetry.proto.trace.v1.Span s = got.span();
    String what = "span " + sd.getName();
    assertThat(OtlpFlat.hex(s.getTraceId())).as(what + " trace id").isEqualTo(sd.getTraceId());
    assertThat(OtlpFlat.hex(s.getSpanId())).as(what + " span id").isEqualTo(sd.getSpanId());
    assertThat(OtlpFlat.hex(s.getParentSpanId())).as(what + " parent span id")
        .isEqualTo(sd.getParentSpanContext().isValid() ? sd.getParentSpanId() : "");
    assertThat(s.getName()).isEqualTo(sd.getName());
    assertThat(s.getKind().getNumber()).as(what + " kind").isEqualTo(sd.getKind().ordinal() + 1);
    assertThat(s.getStartTimeUnixNano()).as(what + " start").isEqualTo(sd.getStartEpochNanos());
    assertThat(s.getEndTimeUnixNano()).as(what + " end").isEqualTo(sd.getEndEpochNanos());
    assertThat(s.getFlags() & 0xff).as(what + " trace flags").isEqualTo(sd.getSpanContext().getTraceFlags().asByte() & 0xff);
    assertThat(traceState(s.getTraceState())).as(what + " trace state").isEqualTo(sd.getSpanContext().getTraceState().asMap());
    assertThat(attributes(s.getAttributesList())).as(what + " attributes").isEqualTo(attributes(sd.getAttributes()));
    assertThat(s.getEventsCount()).as(what + " events").isEqualTo(sd.getEvents().size());
    for (int i = 0; i < sd.getEvents().size(); i++) {
      EventData e = sd.getEvents().get(i);
      io.opentelemetry.proto.trace.v1.Span.Event pe = s.getEvents(i);
      assertThat(pe.getName()).isEqualTo(e.getName());
      assertThat(pe.getTimeUnixNano()).isEqualTo(e.getEpochNanos());
      assertThat(attributes(pe.getAttributesList())).isEqualTo(attributes(e.getAttributes()));
    }
    assertThat(s.getLinksCount()).as(what + " links").isEqualTo(sd.getLinks().size());
    for (int i = 0; i < sd.getLinks().size(); i++) {
      LinkData l = sd.getLinks().get(i);
      io.opentelemetry.proto.trace.v1.Span.Link pl = s.getLinks(i);
      assertThat(OtlpFlat.hex(pl.getTraceId())).isEqualTo(l.getSpanContext().getTraceId());
      assertThat(OtlpFlat.hex(pl.getSpanId())).isEqualTo(l.getSpanContext().getSpanId());
      assertThat(traceState(pl.getTraceState())).isEqualTo(l.getSpanContext().getTraceState().asMap());
      assertThat(attributes(pl.getAttributesList())).isEqualTo(attributes(l.getAttributes()));
    }
    assertThat(s.getStatus().getCodeValue()).as(what + " status code").isEqualTo(sd.getStatus().getStatusCode().ordinal());
    assertThat(s.getStatus().getMessage()).as(what + " status message").isEqualTo(sd.getStatus().getDescription());
    assertThat(attributes(got.origin().resource().getAttributesList())).as(what + " resource")
        .isEqualTo(attributes(sd.getResource().getAttributes()));
    assertThat(got.origin().scope().getName()).isEqualTo(sd.getInstrumentationScopeInfo().getName());
    assertThat(got.origin().scope().getVersion()).isEqualTo(sd.getInstrumentationScopeInfo().getVersion());
    assertThat(got.origin().scopeSchemaUrl()).isEqualTo(sd.getInstrumentationScopeInfo().getSchemaUrl());
  }

  @Test
  void metricsFromTheSdkOverGrpcAndHttpArriveFieldForField() {
    SdkRecorders.Metrics grpc = new SdkRecorders.Metrics(OtlpGrpcMetricExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aGrpc).setTimeout(Duration.ofSeconds(10)).build());
    SdkRecorders.Metrics http = new SdkRecorders.Metrics(OtlpHttpMetricExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aHttp + "/v1/metrics").setTimeout(Duration.ofSeconds(10))
        .setAggregationTemporalitySelector(AggregationTemporalitySelector.deltaPreferred()).build());
    SdkMeterProvider overGrpc = meterProvider("e2e-metrics-grpc", grpc);
    SdkMeterProvider overHttp = meterProvider("e2e-metrics-http", http);
    sdks.add(OpenTelemetrySdk.builder().setMeterProvider(overGrpc).build());
    sdks.add(OpenTelemetrySdk.builder().setMeterProvider(overHttp).build());

    recordMetrics(overGrpc);
    recordMetrics(overHttp);
    assertSucceeded(overGrpc.forceFlush(), "metric export over gRPC");
    assertSucceeded(overHttp.forceFlush(), "metric export over HTTP");

    List<MetricData> sent = new ArrayList<>(grpc.exported());
    sent.addAll(http.exported());
    assertThat(grpc.exported()).extracting(MetricData::getName).containsExactlyInAnyOrder(METRIC_NAMES);
    assertThat(http.exported()).extracting(MetricData::getName).containsExactlyInAnyOrder(METRIC_NAMES);
    List<FlatPoint> expected = OtlpFlat.points(SdkRecorders.otlpMetrics(sent));

    Predicate<FlatPoint> ours = p -> OtlpFlat.resourceAttr(p.origin().resource(), "service.name").startsWith("e2e-");
    await("all data points in gateway B's file").atMost(DELIVERY)
        .until(() -> OtlpFlat.pointsInFile(metricsOut).stream().filter(ours).count() >= expected.size());
    List<FlatPoint> arrived = OtlpFlat.pointsInFile(metricsOut).stream().filter(ours).toList();
    assertThat(arrived).containsExactlyInAnyOrderElementsOf(expected);

    // Checked against the SDK's metric data directly as well.
    for (MetricData md : sent) {
      String service = md.getResource().getAttribute(stringKey("service.name"));
      for (PointData p : md.getData().getPoints()) {
        Map<String, Object> attrs = attributes(p.getAttributes());
        List<FlatPoint> matches = arrived.stream()
            .filter(fp -> OtlpFlat.resourceAttr(fp.origin().resource(), "service.name").equals(service)
                && fp.metric().getName().equals(md.getName())
                && attributes(pointAttributes(fp.metric())).equals(attrs))
            .toList();
        assertThat(matches).as("point of %s %s in %s", md.getName(), attrs, service).hasSize(1);
        assertSamePoint(md, p, matches.get(0).metric());
      }
    }
  }

  private static final String[] METRIC_NAMES = {
      "e2e.requests", "e2e.queue.depth", "e2e.latency", "e2e.size", "e2e.temperature", "e2e.cpu"};

  private static SdkMeterProvider meterProvider(String service, SdkRecorders.Metrics exporter) {
    return SdkMeterProvider.builder()
        .setResource(resource(service))
        .registerView(InstrumentSelector.builder().setName("e2e.size").build(),
            View.builder().setAggregation(Aggregation.base2ExponentialBucketHistogram()).build())
        .registerMetricReader(PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
        .build();
  }

  /** A monotonic counter, an up-down counter, explicit and exponential histograms, a gauge and an observable gauge. */
  private static void recordMetrics(SdkMeterProvider provider) {
    Meter meter = provider.meterBuilder("io.sluice.e2e").setInstrumentationVersion("1.2.3")
        .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0").build();
    LongCounter requests = meter.counterBuilder("e2e.requests").setUnit("{request}")
        .setDescription("Requests served.").build();
    requests.add(3, Attributes.of(stringKey("route"), "/a"));
    requests.add(5, Attributes.of(stringKey("route"), "/b"));
    requests.add(Long.MAX_VALUE / 2, Attributes.of(stringKey("route"), "/big"));
    var depth = meter.upDownCounterBuilder("e2e.queue.depth").ofDoubles().setUnit("{item}").build();
    depth.add(2.5);
    depth.add(-1.0);
    DoubleHistogram latency = meter.histogramBuilder("e2e.latency").setUnit("s")
        .setExplicitBucketBoundariesAdvice(List.of(0.1, 0.5, 1.0)).build();
    for (double v : new double[] {0.05, 0.3, 0.7, 2.0}) {
      latency.record(v, Attributes.of(stringKey("route"), "/a"));
    }
    DoubleHistogram sizes = meter.histogramBuilder("e2e.size").setUnit("By").build();
    for (double v : new double[] {0, 10, 100, 1000, 1e6}) {
      sizes.record(v);
    }
    var temperature = meter.gaugeBuilder("e2e.temperature").ofLongs().setUnit("Cel").build();
    temperature.set(21, Attributes.of(stringKey("room"), "lab"));
    meter.gaugeBuilder("e2e.cpu").setUnit("1")
        .buildWithCallback(m -> m.record(0.42, Attributes.of(stringKey("cpu"), "0")));
  }

  private static List<io.opentelemetry.proto.common.v1.KeyValue> pointAttributes(Metric m) {
    return switch (m.getDataCase()) {
      case SUM -> m.getSum().getDataPoints(0).getAttributesList();
      case GAUGE -> m.getGauge().getDataPoints(0).getAttributesList();
      case HISTOGRAM -> m.getHistogram().getDataPoints(0).getAttributesList();
      case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPoints(0).getAttributesList();
      case SUMMARY -> m.getSummary().getDataPoints(0).getAttributesList();
      default -> List.of();
    };
  }

  private static void assertSamePoint(MetricData md, PointData p, Metric got) {
    String what = md.getName();
    assertThat(got.getUnit()).as(what + " unit").isEqualTo(md.getUnit());
    assertThat(got.getDescription()).as(what + " description").isEqualTo(md.getDescription());
    switch (md.getType()) {
      case LONG_SUM -> {
        NumberDataPoint n = got.getSum().getDataPoints(0);
        assertThat(n.getAsInt()).as(what).isEqualTo(((LongPointData) p).getValue());
        assertThat(got.getSum().getIsMonotonic()).isEqualTo(md.getLongSumData().isMonotonic());
        assertThat(got.getSum().getAggregationTemporalityValue())
            .isEqualTo(md.getLongSumData().getAggregationTemporality().ordinal() + 1);
        assertTimes(p, n.getStartTimeUnixNano(), n.getTimeUnixNano());
      }
      case DOUBLE_SUM -> {
        NumberDataPoint n = got.getSum().getDataPoints(0);
        assertThat(n.getAsDouble()).as(what).isEqualTo(((DoublePointData) p).getValue());
        assertThat(got.getSum().getIsMonotonic()).isEqualTo(md.getDoubleSumData().isMonotonic());
        assertTimes(p, n.getStartTimeUnixNano(), n.getTimeUnixNano());
      }
      case LONG_GAUGE -> {
        NumberDataPoint n = got.getGauge().getDataPoints(0);
        assertThat(n.getAsInt()).as(what).isEqualTo(((LongPointData) p).getValue());
        assertTimes(p, n.getStartTimeUnixNano(), n.getTimeUnixNano());
      }
      case DOUBLE_GAUGE -> {
        NumberDataPoint n = got.getGauge().getDataPoints(0);
        assertThat(n.getAsDouble()).as(what).isEqualTo(((DoublePointData) p).getValue());
        assertTimes(p, n.getStartTimeUnixNano(), n.getTimeUnixNano());
      }
      case HISTOGRAM -> {
        HistogramPointData h = (HistogramPointData) p;
        HistogramDataPoint hp = got.getHistogram().getDataPoints(0);
        assertThat(hp.getCount()).as(what + " count").isEqualTo(h.getCount());
        assertThat(hp.getSum()).as(what + " sum").isEqualTo(h.getSum());
        assertThat(hp.getMin()).isEqualTo(h.getMin());
        assertThat(hp.getMax()).isEqualTo(h.getMax());
        assertThat(hp.getExplicitBoundsList()).isEqualTo(h.getBoundaries());
        assertThat(hp.getBucketCountsList()).isEqualTo(h.getCounts());
        assertTimes(p, hp.getStartTimeUnixNano(), hp.getTimeUnixNano());
      }
      case EXPONENTIAL_HISTOGRAM -> {
        ExponentialHistogramPointData e = (ExponentialHistogramPointData) p;
        ExponentialHistogramDataPoint ep = got.getExponentialHistogram().getDataPoints(0);
        assertThat(ep.getCount()).as(what + " count").isEqualTo(e.getCount());
        assertThat(ep.getSum()).isEqualTo(e.getSum());
        assertThat(ep.getScale()).isEqualTo(e.getScale());
        assertThat(ep.getZeroCount()).isEqualTo(e.getZeroCount());
        assertThat(ep.getPositive().getOffset()).isEqualTo(e.getPositiveBuckets().getOffset());
        assertThat(ep.getPositive().getBucketCountsList()).isEqualTo(e.getPositiveBuckets().getBucketCounts());
        assertTimes(p, ep.getStartTimeUnixNano(), ep.getTimeUnixNano());
      }
      default -> throw new AssertionError("the test records no " + md.getType());
    }
  }

  private static void assertTimes(PointData p, long start, long time) {
    assertThat(start).as("start time").isEqualTo(p.getStartEpochNanos());
    assertThat(time).as("time").isEqualTo(p.getEpochNanos());
  }

  @Test
  void logsFromTheSdkOverHttpAndGrpcArriveFieldForField() {
    SdkRecorders.Logs http = new SdkRecorders.Logs(OtlpHttpLogRecordExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aHttp + "/v1/logs").setTimeout(Duration.ofSeconds(10))
        .setExecutorService(sdkThreads).build());
    SdkRecorders.Logs grpc = new SdkRecorders.Logs(OtlpGrpcLogRecordExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aGrpc).setTimeout(Duration.ofSeconds(10)).build());
    SdkLoggerProvider overHttp = SdkLoggerProvider.builder().setResource(resource("e2e-logs-http"))
        .addLogRecordProcessor(SimpleLogRecordProcessor.create(http)).build();
    SdkLoggerProvider overGrpc = SdkLoggerProvider.builder().setResource(resource("e2e-logs-grpc"))
        .addLogRecordProcessor(BatchLogRecordProcessor.builder(grpc).build()).build();
    sdks.add(OpenTelemetrySdk.builder().setLoggerProvider(overHttp).build());
    sdks.add(OpenTelemetrySdk.builder().setLoggerProvider(overGrpc).build());

    emitLogs(overHttp, 1_700_000_200_000_000_001L);
    emitLogs(overGrpc, 1_700_000_300_000_000_001L);
    assertSucceeded(overHttp.forceFlush(), "log export over HTTP");
    assertSucceeded(overGrpc.forceFlush(), "log export over gRPC");

    List<LogRecordData> sent = new ArrayList<>(http.exported());
    sent.addAll(grpc.exported());
    assertThat(sent).hasSize(2 * LOGS_PER_PROVIDER);
    List<FlatLog> expected = OtlpFlat.logs(SdkRecorders.otlpLogs(sent));

    Predicate<FlatLog> ours = l -> OtlpFlat.resourceAttr(l.origin().resource(), "service.name").startsWith("e2e-");
    await("all log records in gateway B's file").atMost(DELIVERY)
        .until(() -> OtlpFlat.logsInFile(logsOut).stream().filter(ours).count() >= expected.size());
    List<FlatLog> arrived = OtlpFlat.logsInFile(logsOut).stream().filter(ours).toList();
    assertThat(arrived).containsExactlyInAnyOrderElementsOf(expected);

    // Checked against the SDK's log data directly as well.
    for (LogRecordData ld : sent) {
      String service = ld.getResource().getAttribute(stringKey("service.name"));
      FlatLog got = arrived.stream()
          .filter(l -> OtlpFlat.resourceAttr(l.origin().resource(), "service.name").equals(service)
              && l.log().getTimeUnixNano() == ld.getTimestampEpochNanos())
          .findFirst().orElseThrow(() -> new AssertionError("no log record of " + ld));
      LogRecord r = got.log();
      assertThat(r.getObservedTimeUnixNano()).isEqualTo(ld.getObservedTimestampEpochNanos());
      assertThat(r.getSeverityNumberValue()).isEqualTo(ld.getSeverity().getSeverityNumber());
      assertThat(r.getSeverityText()).isEqualTo(ld.getSeverityText() == null ? "" : ld.getSeverityText());
      assertThat(anyValue(r.getBody())).as("body").isEqualTo(value(ld.getBodyValue()));
      assertThat(attributes(r.getAttributesList())).isEqualTo(attributes(ld.getAttributes()));
      assertThat(r.getEventName()).isEqualTo(ld.getEventName() == null ? "" : ld.getEventName());
      if (ld.getSpanContext().isValid()) {
        assertThat(OtlpFlat.hex(r.getTraceId())).isEqualTo(ld.getSpanContext().getTraceId());
        assertThat(OtlpFlat.hex(r.getSpanId())).isEqualTo(ld.getSpanContext().getSpanId());
        assertThat(r.getFlags() & 0xff).isEqualTo(ld.getSpanContext().getTraceFlags().asByte() & 0xff);
      } else {
        assertThat(r.getTraceId()).isEmpty();
        assertThat(r.getSpanId()).isEmpty();
      }
      assertThat(got.origin().scope().getName()).isEqualTo(ld.getInstrumentationScopeInfo().getName());
    }
  }

  private static final int LOGS_PER_PROVIDER = 4;

  private static void emitLogs(SdkLoggerProvider provider, long t0) {
    Logger logger = provider.loggerBuilder("io.sluice.e2e.logs").setInstrumentationVersion("1.2.3").build();
    Context inSpan = Context.root().with(Span.wrap(SpanContext.create("5b8efff798038103d269b633813fc60c",
        "eee19b7ec3c1b174", TraceFlags.getSampled(), TraceState.getDefault())));
    logger.logRecordBuilder()
        .setTimestamp(t0, NANOSECONDS)
        .setObservedTimestamp(t0 + 5, NANOSECONDS)
        .setSeverity(Severity.INFO)
        .setSeverityText("INFO")
        .setBody("order 17 placed")
        .setAttribute(stringKey("order.id"), "17")
        .setAttribute(longArrayKey("item.ids"), List.of(1L, 2L, 3L))
        .setContext(inSpan)
        .emit();
    logger.logRecordBuilder()
        .setTimestamp(t0 + 1, NANOSECONDS)
        .setObservedTimestamp(t0 + 6, NANOSECONDS)
        .setSeverity(Severity.ERROR3)
        .setSeverityText("ERROR")
        .setBody(Value.of(KeyValue.of("msg", Value.of("disk full")), KeyValue.of("free", Value.of(0L)),
            KeyValue.of("ratio", Value.of(0.0)), KeyValue.of("paths", Value.of(Value.of("/var"), Value.of(true))),
            KeyValue.of("raw", Value.of(new byte[] {0, 1, 2, (byte) 0xff}))))
        .setAttribute(stringKey("exception.type"), "java.io.IOException")
        .emit();
    logger.logRecordBuilder()
        .setTimestamp(t0 + 2, NANOSECONDS)
        .setObservedTimestamp(t0 + 7, NANOSECONDS)
        .setSeverity(Severity.WARN)
        .setEventName("session.expired")
        .setBody("session expired\twith a tab and \u00e9")
        .emit();
    logger.logRecordBuilder()
        .setTimestamp(t0 + 3, NANOSECONDS)
        .setObservedTimestamp(t0 + 8, NANOSECONDS)
        .setSeverity(Severity.DEBUG)
        .emit();
  }

  // ------------------------------------------------------------------------------------------
  // OTLP/JSON, as the specification writes it
  // ------------------------------------------------------------------------------------------

  /**
   * A traces request in OTLP/JSON as the specification has it: hex ids (here in upper case, which
   * decoders must accept), 64-bit integers as strings (and one as a number, which decoders must
   * also accept), enums as integers, doubles as "NaN", and a key no version of OTLP has (which
   * must be ignored).
   */
  private static final String TRACES_JSON = """
      {"resourceSpans":[{
        "resource":{"attributes":[
            {"key":"service.name","value":{"stringValue":"json-twin"}},
            {"key":"host.cpus","value":{"intValue":"8"}}],
          "droppedAttributesCount":1},
        "scopeSpans":[{
          "scope":{"name":"twin-lib","version":"0.9.1",
            "attributes":[{"key":"lib.native","value":{"boolValue":true}}],"droppedAttributesCount":2},
          "spans":[{
            "traceId":"5B8EFFF798038103D269B633813FC60C",
            "spanId":"EEE19B7EC3C1B174",
            "parentSpanId":"eee19b7ec3c1b173",
            "traceState":"vendor1=opaque,vendor2=x",
            "name":"GET /twins/{id}",
            "kind":2,
            "startTimeUnixNano":"1544712660000000000",
            "endTimeUnixNano":"1544712661000000000",
            "attributes":[
              {"key":"http.request.method","value":{"stringValue":"GET"}},
              {"key":"http.response.status_code","value":{"intValue":"200"}},
              {"key":"smallest","value":{"intValue":"-9223372036854775808"}},
              {"key":"ratio","value":{"doubleValue":0.25}},
              {"key":"not.a.number","value":{"doubleValue":"NaN"}},
              {"key":"cached","value":{"boolValue":false}},
              {"key":"tags","value":{"arrayValue":{"values":[{"stringValue":"a"},{"intValue":"1"},{"doubleValue":1.5}]}}},
              {"key":"headers","value":{"kvlistValue":{"values":[{"key":"accept","value":{"stringValue":"*/*"}}]}}},
              {"key":"raw","value":{"bytesValue":"AQIDBA=="}}],
            "droppedAttributesCount":3,
            "events":[{"timeUnixNano":1544712660500000000,"name":"retry",
              "attributes":[{"key":"attempt","value":{"intValue":2}}],"droppedAttributesCount":1}],
            "droppedEventsCount":4,
            "links":[{"traceId":"0af7651916cd43dd8448eb211c80319c","spanId":"b7ad6b7169203331","traceState":"k=v",
              "attributes":[{"key":"link.kind","value":{"stringValue":"follows"}}],"droppedAttributesCount":5,
              "flags":257}],
            "droppedLinksCount":6,
            "status":{"message":"upstream timed out","code":2},
            "flags":769,
            "aFieldFromTheFuture":{"nested":[1,2,{"deeper":"yes"}]}
          }],
          "schemaUrl":"https://opentelemetry.io/schemas/1.26.0"}],
        "schemaUrl":"https://opentelemetry.io/schemas/1.25.0"}]}
      """;

  /** The same request built as protobuf. */
  private static ExportTraceServiceRequest tracesTwin() {
    var span = io.opentelemetry.proto.trace.v1.Span.newBuilder()
        .setTraceId(bytes("5b8efff798038103d269b633813fc60c"))
        .setSpanId(bytes("eee19b7ec3c1b174"))
        .setParentSpanId(bytes("eee19b7ec3c1b173"))
        .setTraceState("vendor1=opaque,vendor2=x")
        .setName("GET /twins/{id}")
        .setKind(io.opentelemetry.proto.trace.v1.Span.SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano(1544712660000000000L)
        .setEndTimeUnixNano(1544712661000000000L)
        .addAttributes(kv("http.request.method", str("GET")))
        .addAttributes(kv("http.response.status_code", AnyValue.newBuilder().setIntValue(200).build()))
        .addAttributes(kv("smallest", AnyValue.newBuilder().setIntValue(Long.MIN_VALUE).build()))
        .addAttributes(kv("ratio", AnyValue.newBuilder().setDoubleValue(0.25).build()))
        .addAttributes(kv("not.a.number", AnyValue.newBuilder().setDoubleValue(Double.NaN).build()))
        .addAttributes(kv("cached", AnyValue.newBuilder().setBoolValue(false).build()))
        .addAttributes(kv("tags", AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
            .addValues(str("a"))
            .addValues(AnyValue.newBuilder().setIntValue(1))
            .addValues(AnyValue.newBuilder().setDoubleValue(1.5))).build()))
        .addAttributes(kv("headers", AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
            .addValues(kv("accept", str("*/*")))).build()))
        .addAttributes(kv("raw", AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[] {1, 2, 3, 4}))
            .build()))
        .setDroppedAttributesCount(3)
        .addEvents(io.opentelemetry.proto.trace.v1.Span.Event.newBuilder()
            .setTimeUnixNano(1544712660500000000L).setName("retry")
            .addAttributes(kv("attempt", AnyValue.newBuilder().setIntValue(2).build()))
            .setDroppedAttributesCount(1))
        .setDroppedEventsCount(4)
        .addLinks(io.opentelemetry.proto.trace.v1.Span.Link.newBuilder()
            .setTraceId(bytes("0af7651916cd43dd8448eb211c80319c"))
            .setSpanId(bytes("b7ad6b7169203331"))
            .setTraceState("k=v")
            .addAttributes(kv("link.kind", str("follows")))
            .setDroppedAttributesCount(5)
            .setFlags(257))
        .setDroppedLinksCount(6)
        .setStatus(Status.newBuilder().setMessage("upstream timed out").setCode(Status.StatusCode.STATUS_CODE_ERROR))
        .setFlags(769);
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
            .setResource(Resource.newBuilder()
                .addAttributes(kv("service.name", str("json-twin")))
                .addAttributes(kv("host.cpus", AnyValue.newBuilder().setIntValue(8).build()))
                .setDroppedAttributesCount(1))
            .addScopeSpans(ScopeSpans.newBuilder()
                .setScope(InstrumentationScope.newBuilder().setName("twin-lib").setVersion("0.9.1")
                    .addAttributes(kv("lib.native", AnyValue.newBuilder().setBoolValue(true).build()))
                    .setDroppedAttributesCount(2))
                .addSpans(span)
                .setSchemaUrl("https://opentelemetry.io/schemas/1.26.0"))
            .setSchemaUrl("https://opentelemetry.io/schemas/1.25.0"))
        .build();
  }

  private static final String METRICS_JSON = """
      {"resourceMetrics":[{
        "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-twin"}}]},
        "scopeMetrics":[{
          "scope":{"name":"twin-meter"},
          "metrics":[
            {"name":"twin.requests","description":"Requests.","unit":"{request}",
             "sum":{"dataPoints":[{
                 "attributes":[{"key":"route","value":{"stringValue":"/a"}}],
                 "startTimeUnixNano":"1544712600000000000","timeUnixNano":"1544712660000000000",
                 "asInt":"9007199254740993",
                 "exemplars":[{"filteredAttributes":[{"key":"user","value":{"stringValue":"u1"}}],
                   "timeUnixNano":"1544712659000000000","asInt":"3",
                   "spanId":"EEE19B7EC3C1B174","traceId":"5B8EFFF798038103D269B633813FC60C"}]}],
               "aggregationTemporality":2,"isMonotonic":true}},
            {"name":"twin.temperature","unit":"Cel",
             "gauge":{"dataPoints":[
               {"timeUnixNano":"1544712660000000000","asDouble":21.5},
               {"attributes":[{"key":"sensor","value":{"stringValue":"broken"}}],
                "timeUnixNano":"1544712660000000000","asDouble":"-Infinity","flags":1}]}},
            {"name":"twin.latency","unit":"s",
             "histogram":{"dataPoints":[{
                 "startTimeUnixNano":"1544712600000000000","timeUnixNano":"1544712660000000000",
                 "count":"6","sum":3.5,"bucketCounts":["1","2","3"],"explicitBounds":[0.1,1.0],
                 "min":0.01,"max":2.5}],
               "aggregationTemporality":1}},
            {"name":"twin.size","unit":"By",
             "exponentialHistogram":{"dataPoints":[{
                 "timeUnixNano":"1544712660000000000","count":"5","sum":100.0,"scale":-2,"zeroCount":"1",
                 "positive":{"offset":-1,"bucketCounts":["1","3"]},"negative":{"offset":2,"bucketCounts":["0"]},
                 "zeroThreshold":0.001}],
               "aggregationTemporality":2}},
            {"name":"twin.rpc.duration",
             "summary":{"dataPoints":[{
                 "timeUnixNano":"1544712660000000000","count":"10","sum":55.0,
                 "quantileValues":[{"quantile":0.5,"value":5.0},{"quantile":0.99,"value":9.9}]}]}}]}]}]}
      """;

  private static ExportMetricsServiceRequest metricsTwin() {
    long start = 1544712600000000000L;
    long time = 1544712660000000000L;
    return ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", str("json-twin"))))
        .addScopeMetrics(ScopeMetrics.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("twin-meter"))
            .addMetrics(Metric.newBuilder().setName("twin.requests").setDescription("Requests.").setUnit("{request}")
                .setSum(Sum.newBuilder()
                    .addDataPoints(NumberDataPoint.newBuilder()
                        .addAttributes(kv("route", str("/a")))
                        .setStartTimeUnixNano(start).setTimeUnixNano(time)
                        .setAsInt(9007199254740993L)
                        .addExemplars(Exemplar.newBuilder()
                            .addFilteredAttributes(kv("user", str("u1")))
                            .setTimeUnixNano(1544712659000000000L).setAsInt(3)
                            .setSpanId(bytes("eee19b7ec3c1b174"))
                            .setTraceId(bytes("5b8efff798038103d269b633813fc60c"))))
                    .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                    .setIsMonotonic(true)))
            .addMetrics(Metric.newBuilder().setName("twin.temperature").setUnit("Cel")
                .setGauge(Gauge.newBuilder()
                    .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(time).setAsDouble(21.5))
                    .addDataPoints(NumberDataPoint.newBuilder().addAttributes(kv("sensor", str("broken")))
                        .setTimeUnixNano(time).setAsDouble(Double.NEGATIVE_INFINITY).setFlags(1))))
            .addMetrics(Metric.newBuilder().setName("twin.latency").setUnit("s")
                .setHistogram(Histogram.newBuilder()
                    .addDataPoints(HistogramDataPoint.newBuilder()
                        .setStartTimeUnixNano(start).setTimeUnixNano(time)
                        .setCount(6).setSum(3.5)
                        .addBucketCounts(1).addBucketCounts(2).addBucketCounts(3)
                        .addExplicitBounds(0.1).addExplicitBounds(1.0)
                        .setMin(0.01).setMax(2.5))
                    .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)))
            .addMetrics(Metric.newBuilder().setName("twin.size").setUnit("By")
                .setExponentialHistogram(ExponentialHistogram.newBuilder()
                    .addDataPoints(ExponentialHistogramDataPoint.newBuilder()
                        .setTimeUnixNano(time).setCount(5).setSum(100.0).setScale(-2).setZeroCount(1)
                        .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(-1)
                            .addBucketCounts(1).addBucketCounts(3))
                        .setNegative(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(2)
                            .addBucketCounts(0))
                        .setZeroThreshold(0.001))
                    .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)))
            .addMetrics(Metric.newBuilder().setName("twin.rpc.duration")
                .setSummary(Summary.newBuilder()
                    .addDataPoints(SummaryDataPoint.newBuilder().setTimeUnixNano(time).setCount(10).setSum(55.0)
                        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(5.0))
                        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99)
                            .setValue(9.9)))))))
        .build();
  }

  private static final String LOGS_JSON = """
      {"resourceLogs":[{
        "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"json-twin"}}]},
        "scopeLogs":[{
          "scope":{"name":"twin-logger","version":"2"},
          "logRecords":[
            {"timeUnixNano":"1544712660300000000","observedTimeUnixNano":"1544712660300000100",
             "severityNumber":17,"severityText":"ERROR",
             "body":{"kvlistValue":{"values":[
               {"key":"msg","value":{"stringValue":"disk full"}},
               {"key":"free","value":{"intValue":"0"}},
               {"key":"paths","value":{"arrayValue":{"values":[{"stringValue":"/var"}]}}}]}},
             "attributes":[{"key":"exception.type","value":{"stringValue":"IOException"}}],
             "droppedAttributesCount":1,"flags":1,
             "traceId":"5B8EFFF798038103D269B633813FC60C","spanId":"EEE19B7EC3C1B174",
             "eventName":"disk.full"},
            {"timeUnixNano":"1544712660400000000","severityNumber":9,
             "body":{"stringValue":"plain line with \\"quotes\\" and \\u00e9"}}]}]}]}
      """;

  private static ExportLogsServiceRequest logsTwin() {
    return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", str("json-twin"))))
        .addScopeLogs(ScopeLogs.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("twin-logger").setVersion("2"))
            .addLogRecords(LogRecord.newBuilder()
                .setTimeUnixNano(1544712660300000000L)
                .setObservedTimeUnixNano(1544712660300000100L)
                .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_ERROR)
                .setSeverityText("ERROR")
                .setBody(AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
                    .addValues(kv("msg", str("disk full")))
                    .addValues(kv("free", AnyValue.newBuilder().setIntValue(0).build()))
                    .addValues(kv("paths", AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
                        .addValues(str("/var"))).build()))))
                .addAttributes(kv("exception.type", str("IOException")))
                .setDroppedAttributesCount(1)
                .setFlags(1)
                .setTraceId(bytes("5b8efff798038103d269b633813fc60c"))
                .setSpanId(bytes("eee19b7ec3c1b174"))
                .setEventName("disk.full"))
            .addLogRecords(LogRecord.newBuilder()
                .setTimeUnixNano(1544712660400000000L)
                .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO)
                .setBody(str("plain line with \"quotes\" and \u00e9")))))
        .build();
  }

  @Test
  void otlpJsonRequestsPerTheSpecArriveEqualToTheirProtobufTwins() throws Exception {
    assertJsonAccepted("/v1/traces", TRACES_JSON);
    assertJsonAccepted("/v1/metrics", METRICS_JSON);
    assertJsonAccepted("/v1/logs", LOGS_JSON);

    Predicate<Resource> twin = r -> OtlpFlat.resourceAttr(r, "service.name").equals("json-twin");
    List<FlatSpan> spans = OtlpFlat.spans(tracesTwin());
    List<FlatPoint> points = OtlpFlat.points(metricsTwin());
    List<FlatLog> logs = OtlpFlat.logs(logsTwin());
    await("the JSON requests in gateway B's files").atMost(DELIVERY).until(() ->
        OtlpFlat.spansInFile(tracesOut).stream().filter(s -> twin.test(s.origin().resource())).count() >= spans.size()
            && OtlpFlat.pointsInFile(metricsOut).stream().filter(p -> twin.test(p.origin().resource())).count()
                >= points.size()
            && OtlpFlat.logsInFile(logsOut).stream().filter(l -> twin.test(l.origin().resource())).count()
                >= logs.size());

    assertThat(OtlpFlat.spansInFile(tracesOut).stream().filter(s -> twin.test(s.origin().resource())))
        .containsExactlyInAnyOrderElementsOf(spans);
    assertThat(OtlpFlat.pointsInFile(metricsOut).stream().filter(p -> twin.test(p.origin().resource())))
        .containsExactlyInAnyOrderElementsOf(points);
    assertThat(OtlpFlat.logsInFile(logsOut).stream().filter(l -> twin.test(l.origin().resource())))
        .containsExactlyInAnyOrderElementsOf(logs);
    // One request each, sent as one batch each: the whole request arrives as it was.
    assertThat(lineWith(tracesOut, "json-twin")).isEqualTo(io.opentelemetry.proto.trace.v1.TracesData.newBuilder()
        .addAllResourceSpans(tracesTwin().getResourceSpansList()).build());
  }

  private void assertJsonAccepted(String path, String json) throws Exception {
    HttpResponse<byte[]> res = GatewayFixtures.post(aHttp, path, "application/json", json.getBytes(StandardCharsets.UTF_8));
    assertThat(res.statusCode()).as("POST %s: %s", path, GatewayFixtures.utf8(res.body())).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
    // A full success: an empty response, with no partial success.
    assertThat(GatewayFixtures.utf8(res.body()).replaceAll("\\s", "")).isIn("{}", "{\"partialSuccess\":{}}");
  }

  private static io.opentelemetry.proto.trace.v1.TracesData lineWith(Path file, String text) {
    for (byte[] line : GatewayFixtures.completeLines(file)) {
      if (GatewayFixtures.utf8(line).contains(text)) {
        return io.opentelemetry.proto.trace.v1.TracesData.newBuilder()
            .addAllResourceSpans(io.sluice.core.otlp.OtlpJson.decodeTraces(line).getResourceSpansList()).build();
      }
    }
    throw new AssertionError("no line of " + file + " has " + text);
  }

  // ------------------------------------------------------------------------------------------
  // Health and self-metrics
  // ------------------------------------------------------------------------------------------

  @Test
  void healthEndpointAnswers200WhileRunningAndStopsAnsweringAfterShutdown() throws Exception {
    for (String path : List.of("/", "/healthz", "/readyz")) {
      HttpResponse<String> res = GatewayFixtures.get(aHealth, path);
      assertThat(res.statusCode()).as("GET %s", path).isEqualTo(200);
    }
    assertThat(GatewayFixtures.get(aHealth, "/nothing-here").statusCode()).isEqualTo(404);

    gatewayA.shutdown(Duration.ofSeconds(10));
    assertThat(gatewayA.ready()).isFalse();
    assertThat(GatewayFixtures.statusOf(aHealth, "/")).as("health after shutdown").isNotEqualTo(200);
  }

  @Test
  void selfMetricsCountTheItemsAcceptedAndSentPerComponentSignalAndTransport() throws Exception {
    SdkRecorders.Spans grpcSpans = new SdkRecorders.Spans(OtlpGrpcSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aGrpc).setExecutorService(sdkThreads).build());
    SdkRecorders.Spans httpSpans = new SdkRecorders.Spans(OtlpHttpSpanExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aHttp + "/v1/traces").setExecutorService(sdkThreads).build());
    SdkRecorders.Logs httpLogs = new SdkRecorders.Logs(OtlpHttpLogRecordExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aHttp + "/v1/logs").setExecutorService(sdkThreads).build());
    SdkRecorders.Metrics grpcMetrics = new SdkRecorders.Metrics(OtlpGrpcMetricExporter.builder()
        .setEndpoint("http://127.0.0.1:" + aGrpc).build());
    SdkTracerProvider tracesGrpc = SdkTracerProvider.builder().setResource(resource("e2e-count-grpc"))
        .addSpanProcessor(SimpleSpanProcessor.create(grpcSpans)).build();
    SdkTracerProvider tracesHttp = SdkTracerProvider.builder().setResource(resource("e2e-count-http"))
        .addSpanProcessor(SimpleSpanProcessor.create(httpSpans)).build();
    SdkLoggerProvider logs = SdkLoggerProvider.builder().setResource(resource("e2e-count-http"))
        .addLogRecordProcessor(SimpleLogRecordProcessor.create(httpLogs)).build();
    SdkMeterProvider metrics = meterProvider("e2e-count-grpc", grpcMetrics);
    sdks.add(OpenTelemetrySdk.builder().setTracerProvider(tracesGrpc).setMeterProvider(metrics).build());
    sdks.add(OpenTelemetrySdk.builder().setTracerProvider(tracesHttp).setLoggerProvider(logs).build());

    for (int i = 0; i < 7; i++) {
      tracesGrpc.get("count").spanBuilder("grpc " + i).startSpan().end();
    }
    for (int i = 0; i < 4; i++) {
      tracesHttp.get("count").spanBuilder("http " + i).startSpan().end();
    }
    for (int i = 0; i < 3; i++) {
      logs.get("count").logRecordBuilder().setBody("log " + i).emit();
    }
    recordMetrics(metrics);
    assertSucceeded(tracesGrpc.forceFlush(), "spans over gRPC");
    assertSucceeded(tracesHttp.forceFlush(), "spans over HTTP");
    assertSucceeded(logs.forceFlush(), "logs over HTTP");
    assertSucceeded(metrics.forceFlush(), "metrics over gRPC");
    long points = grpcMetrics.exported().stream().mapToLong(m -> m.getData().getPoints().size()).sum();
    assertThat(points).isGreaterThanOrEqualTo(METRIC_NAMES.length);

    String accepted = "sluice_receiver_accepted_items_total";
    String sent = "sluice_exporter_sent_items_total";
    Map<String, Double> expectA = new LinkedHashMap<>();
    expectA.put(series(accepted, "component_id", "otlp", "signal", "traces", "transport", "grpc"), 7.0);
    expectA.put(series(accepted, "component_id", "otlp", "signal", "traces", "transport", "http"), 4.0);
    expectA.put(series(accepted, "component_id", "otlp", "signal", "logs", "transport", "http"), 3.0);
    expectA.put(series(accepted, "component_id", "otlp", "signal", "logs", "transport", "grpc"), 0.0);
    expectA.put(series(accepted, "component_id", "otlp", "signal", "metrics", "transport", "grpc"), (double) points);
    expectA.put(series(sent, "component_id", "otlp", "signal", "traces"), 11.0);
    expectA.put(series(sent, "component_id", "otlp", "signal", "logs"), 3.0);
    expectA.put(series(sent, "component_id", "otlp", "signal", "metrics"), (double) points);
    Map<String, Double> expectB = new LinkedHashMap<>();
    expectB.put(series(accepted, "component_id", "otlp", "signal", "traces", "transport", "grpc"), 11.0);
    expectB.put(series(accepted, "component_id", "otlp", "signal", "logs", "transport", "grpc"), 3.0);
    expectB.put(series(accepted, "component_id", "otlp", "signal", "metrics", "transport", "grpc"), (double) points);
    expectB.put(series(sent, "component_id", "file/traces", "signal", "traces"), 11.0);
    expectB.put(series(sent, "component_id", "file/logs", "signal", "logs"), 3.0);
    expectB.put(series(sent, "component_id", "file/metrics", "signal", "metrics"), (double) points);

    await("self-metrics of both gateways").atMost(DELIVERY).untilAsserted(() -> {
      assertThat(GatewayFixtures.scrape(aMetrics)).as("gateway A").containsAllEntriesOf(expectA);
      assertThat(GatewayFixtures.scrape(bMetrics)).as("gateway B").containsAllEntriesOf(expectB);
    });
    assertThat(gatewayA.metricsPort()).isEqualTo(aMetrics);
  }

  // ------------------------------------------------------------------------------------------
  // Helpers
  // ------------------------------------------------------------------------------------------

  private static io.opentelemetry.sdk.resources.Resource resource(String service) {
    return io.opentelemetry.sdk.resources.Resource.getDefault().merge(io.opentelemetry.sdk.resources.Resource.builder()
        .put("service.name", service)
        .put("service.instance.id", service + "-1")
        .put("deployment.environment.name", "test")
        .build());
  }

  private static void assertSucceeded(CompletableResultCode result, String what) {
    result.join(15, TimeUnit.SECONDS);
    assertThat(result.isDone()).as(what + " finished").isTrue();
    assertThat(result.isSuccess()).as(what + " succeeded (failure: %s)", result.getFailureThrowable()).isTrue();
  }

  private static ByteString bytes(String hex) {
    return ByteString.copyFrom(HexFormat.of().parseHex(hex));
  }

  private static AnyValue str(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  private static io.opentelemetry.proto.common.v1.KeyValue kv(String key, AnyValue value) {
    return io.opentelemetry.proto.common.v1.KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  private static Map<String, String> traceState(String w3c) {
    Map<String, String> out = new LinkedHashMap<>();
    if (!w3c.isEmpty()) {
      for (String member : w3c.split(",")) {
        int eq = member.indexOf('=');
        out.put(member.substring(0, eq).trim(), member.substring(eq + 1).trim());
      }
    }
    return out;
  }

  /** SDK attributes as plain Java values: String, Long, Double, Boolean or a List of those. */
  private static Map<String, Object> attributes(Attributes attributes) {
    Map<String, Object> out = new HashMap<>();
    attributes.forEach((k, v) -> out.put(k.getKey(), v instanceof List<?> l ? List.copyOf(l) : v));
    return out;
  }

  /** OTLP attributes as plain Java values, comparable with {@link #attributes(Attributes)}. */
  private static Map<String, Object> attributes(List<io.opentelemetry.proto.common.v1.KeyValue> kvs) {
    Map<String, Object> out = new HashMap<>();
    for (io.opentelemetry.proto.common.v1.KeyValue kv : kvs) {
      assertThat(out).as("attribute keys are unique").doesNotContainKey(kv.getKey());
      out.put(kv.getKey(), anyValue(kv.getValue()));
    }
    return out;
  }

  private static Object anyValue(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue();
      case INT_VALUE -> v.getIntValue();
      case DOUBLE_VALUE -> v.getDoubleValue();
      case BYTES_VALUE -> java.nio.ByteBuffer.wrap(v.getBytesValue().toByteArray());
      case ARRAY_VALUE -> v.getArrayValue().getValuesList().stream().map(EndToEndTest::anyValue).toList();
      case KVLIST_VALUE -> {
        Map<String, Object> m = new LinkedHashMap<>();
        v.getKvlistValue().getValuesList().forEach(kv -> m.put(kv.getKey(), anyValue(kv.getValue())));
        yield m;
      }
      case VALUE_NOT_SET -> null;
      default -> throw new AssertionError("unexpected value " + v);
    };
  }

  /** An SDK log body or value as plain Java values, comparable with {@link #anyValue(AnyValue)}. */
  private static Object value(Value<?> v) {
    if (v == null) {
      return null;
    }
    return switch (v.getType()) {
      case STRING, BOOLEAN, LONG, DOUBLE -> v.getValue();
      case BYTES -> v.getValue();
      case ARRAY -> ((List<?>) v.getValue()).stream().map(x -> value((Value<?>) x)).toList();
      case KEY_VALUE_LIST -> {
        Map<String, Object> m = new LinkedHashMap<>();
        for (Object o : (List<?>) v.getValue()) {
          KeyValue kv = (KeyValue) o;
          m.put(kv.getKey(), value(kv.getValue()));
        }
        yield m;
      }
      default -> null;
    };
  }
}
