package io.sluice.receiver.otlp;

import static io.opentelemetry.api.common.AttributeKey.booleanKey;
import static io.opentelemetry.api.common.AttributeKey.doubleKey;
import static io.opentelemetry.api.common.AttributeKey.longKey;
import static io.opentelemetry.api.common.AttributeKey.stringArrayKey;
import static io.opentelemetry.api.common.AttributeKey.stringKey;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
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
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.sluice.core.Batch;
import io.sluice.core.Signal;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The official OpenTelemetry Java SDK and its OTLP exporters, over gRPC and HTTP, send to the
 * receiver; what arrives in the pipeline is compared field by field with what was created.
 */
class OtlpSdkTest {
  private static final Instant T0 = Instant.ofEpochSecond(1_700_000_000L, 123_456_789L);
  private static final Resource RESOURCE = Resource.create(Attributes.builder()
      .put("service.name", "checkout")
      .put("service.version", "2.1.0")
      .put("build", 42L)
      .build());

  private static RunningReceiver r;

  @BeforeAll
  static void start() {
    r = RunningReceiver.start();
  }

  @AfterAll
  static void stop() {
    r.close();
  }

  @AfterEach
  void reset() {
    r.reset();
  }

  private static long nanos(Instant i) {
    return TimeUnit.SECONDS.toNanos(i.getEpochSecond()) + i.getNano();
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "http", "http+gzip"})
  void spansArriveFieldForField(String transport) {
    SpanExporter exporter = switch (transport) {
      case "grpc" -> OtlpGrpcSpanExporter.builder().setEndpoint("http://127.0.0.1:" + r.grpcPort).build();
      case "http" -> OtlpHttpSpanExporter.builder().setEndpoint(r.httpUrl("/v1/traces")).build();
      default -> OtlpHttpSpanExporter.builder().setEndpoint(r.httpUrl("/v1/traces")).setCompression("gzip").build();
    };
    SdkTracerProvider provider = SdkTracerProvider.builder()
        .setResource(RESOURCE)
        .addSpanProcessor(SimpleSpanProcessor.create(exporter))
        .build();
    try {
      Tracer tracer = provider.get("io.sluice.test", "1.2.3");
      SpanContext linked = SpanContext.create("0102030405060708090a0b0c0d0e0f10", "1112131415161718",
          TraceFlags.getSampled(), TraceState.builder().put("vendor", "v1").build());
      io.opentelemetry.api.trace.Span parent = tracer.spanBuilder("GET /items")
          .setSpanKind(SpanKind.SERVER).setStartTimestamp(T0).startSpan();
      io.opentelemetry.api.trace.Span child = tracer.spanBuilder("SELECT items")
          .setParent(Context.root().with(parent))
          .setSpanKind(SpanKind.CLIENT)
          .setStartTimestamp(T0.plusMillis(1))
          .setAttribute("db.system", "postgresql")
          .setAttribute("rows", 7L)
          .setAttribute("ratio", 2.5)
          .setAttribute("cached", true)
          .setAttribute(stringArrayKey("tables"), List.of("items", "prices"))
          .addLink(linked, Attributes.of(stringKey("link.kind"), "follows"))
          .startSpan();
      child.addEvent("retry", Attributes.of(longKey("attempt"), 2L), T0.plusMillis(2));
      child.setStatus(StatusCode.ERROR, "connection reset");
      child.end(T0.plusMillis(3));
      parent.setStatus(StatusCode.OK);
      parent.end(T0.plusMillis(4));
      assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();

      await().atMost(Duration.ofSeconds(10)).until(() -> r.consumer(Signal.TRACES).itemCount(Signal.TRACES) == 2);
      Map<String, Span> spans = new LinkedHashMap<>();
      for (Batch b : r.consumer(Signal.TRACES).batches()) {
        assertThat(b.envelope().source().toString()).isEqualTo("otlp/test");
        for (ResourceSpans rs : b.resourceSpans()) {
          assertThat(attrs(rs.getResource().getAttributesList()))
              .containsEntry("service.name", str("checkout"))
              .containsEntry("service.version", str("2.1.0"))
              .containsEntry("build", AnyValue.newBuilder().setIntValue(42).build());
          for (ScopeSpans ss : rs.getScopeSpansList()) {
            assertThat(ss.getScope().getName()).isEqualTo("io.sluice.test");
            assertThat(ss.getScope().getVersion()).isEqualTo("1.2.3");
            ss.getSpansList().forEach(s -> spans.put(s.getName(), s));
          }
        }
      }
      Span p = spans.get("GET /items");
      Span c = spans.get("SELECT items");
      assertThat(hex(p.getTraceId())).isEqualTo(parent.getSpanContext().getTraceId());
      assertThat(hex(p.getSpanId())).isEqualTo(parent.getSpanContext().getSpanId());
      assertThat(p.getParentSpanId().isEmpty()).isTrue();
      assertThat(p.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
      assertThat(p.getStartTimeUnixNano()).isEqualTo(nanos(T0));
      assertThat(p.getEndTimeUnixNano()).isEqualTo(nanos(T0.plusMillis(4)));
      assertThat(p.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_OK);

      assertThat(hex(c.getTraceId())).isEqualTo(child.getSpanContext().getTraceId())
          .isEqualTo(parent.getSpanContext().getTraceId());
      assertThat(hex(c.getSpanId())).isEqualTo(child.getSpanContext().getSpanId());
      assertThat(hex(c.getParentSpanId())).isEqualTo(parent.getSpanContext().getSpanId());
      assertThat(c.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CLIENT);
      assertThat(c.getStartTimeUnixNano()).isEqualTo(nanos(T0.plusMillis(1)));
      assertThat(c.getEndTimeUnixNano()).isEqualTo(nanos(T0.plusMillis(3)));
      assertThat(c.getFlags() & 0xff).isEqualTo(child.getSpanContext().getTraceFlags().asByte() & 0xff);
      assertThat(p.getFlags() & 0xff).isEqualTo(parent.getSpanContext().getTraceFlags().asByte() & 0xff);
      assertThat(attrs(c.getAttributesList())).containsOnly(
          Map.entry("db.system", str("postgresql")),
          Map.entry("rows", AnyValue.newBuilder().setIntValue(7).build()),
          Map.entry("ratio", AnyValue.newBuilder().setDoubleValue(2.5).build()),
          Map.entry("cached", AnyValue.newBuilder().setBoolValue(true).build()),
          Map.entry("tables", AnyValue.newBuilder().setArrayValue(io.opentelemetry.proto.common.v1.ArrayValue
              .newBuilder().addValues(str("items")).addValues(str("prices"))).build()));
      assertThat(c.getEventsList()).singleElement().satisfies(e -> {
        assertThat(e.getName()).isEqualTo("retry");
        assertThat(e.getTimeUnixNano()).isEqualTo(nanos(T0.plusMillis(2)));
        assertThat(attrs(e.getAttributesList())).containsOnly(
            Map.entry("attempt", AnyValue.newBuilder().setIntValue(2).build()));
      });
      assertThat(c.getLinksList()).singleElement().satisfies(l -> {
        assertThat(hex(l.getTraceId())).isEqualTo(linked.getTraceId());
        assertThat(hex(l.getSpanId())).isEqualTo(linked.getSpanId());
        assertThat(l.getTraceState()).isEqualTo("vendor=v1");
        assertThat(attrs(l.getAttributesList())).containsOnly(Map.entry("link.kind", str("follows")));
      });
      assertThat(c.getStatus().getCode()).isEqualTo(Status.StatusCode.STATUS_CODE_ERROR);
      assertThat(c.getStatus().getMessage()).isEqualTo("connection reset");
    } finally {
      provider.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "http"})
  void metricsArriveFieldForField(String transport) {
    MetricExporter exporter = transport.equals("grpc")
        ? OtlpGrpcMetricExporter.builder().setEndpoint("http://127.0.0.1:" + r.grpcPort).build()
        : OtlpHttpMetricExporter.builder().setEndpoint(r.httpUrl("/v1/metrics")).build();
    SdkMeterProvider provider = SdkMeterProvider.builder()
        .setResource(RESOURCE)
        .registerMetricReader(PeriodicMetricReader.builder(exporter).setInterval(Duration.ofHours(1)).build())
        .build();
    try {
      Meter meter = provider.get("io.sluice.test.meter");
      LongCounter requests = meter.counterBuilder("http.server.requests").setUnit("{request}")
          .setDescription("Requests served.").build();
      requests.add(3, Attributes.of(stringKey("route"), "/a"));
      requests.add(4, Attributes.of(stringKey("route"), "/a"));
      requests.add(1, Attributes.of(stringKey("route"), "/b"));
      meter.gaugeBuilder("pool.utilization").setUnit("1").build()
          .set(0.75, Attributes.of(stringKey("pool"), "db"));
      var latency = meter.histogramBuilder("http.server.duration").setUnit("s")
          .setExplicitBucketBoundariesAdvice(List.of(0.1, 1.0)).build();
      latency.record(0.05);
      latency.record(0.5);
      latency.record(0.7);
      latency.record(3.0);
      assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();

      await().atMost(Duration.ofSeconds(10)).until(() -> !r.consumer(Signal.METRICS).batches().isEmpty());
      Map<String, Metric> metrics = new LinkedHashMap<>();
      for (Batch b : r.consumer(Signal.METRICS).batches()) {
        for (ResourceMetrics rm : b.resourceMetrics()) {
          assertThat(attrs(rm.getResource().getAttributesList())).containsEntry("service.name", str("checkout"));
          rm.getScopeMetricsList().forEach(sm -> {
            assertThat(sm.getScope().getName()).isEqualTo("io.sluice.test.meter");
            sm.getMetricsList().forEach(m -> metrics.put(m.getName(), m));
          });
        }
      }
      assertThat(metrics).containsOnlyKeys("http.server.requests", "pool.utilization", "http.server.duration");

      Metric counter = metrics.get("http.server.requests");
      assertThat(counter.getUnit()).isEqualTo("{request}");
      assertThat(counter.getDescription()).isEqualTo("Requests served.");
      assertThat(counter.getSum().getIsMonotonic()).isTrue();
      assertThat(counter.getSum().getAggregationTemporality())
          .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
      Map<String, Long> byRoute = new LinkedHashMap<>();
      for (NumberDataPoint p : counter.getSum().getDataPointsList()) {
        byRoute.put(attrs(p.getAttributesList()).get("route").getStringValue(), p.getAsInt());
        assertThat(p.getTimeUnixNano()).isGreaterThan(p.getStartTimeUnixNano());
      }
      assertThat(byRoute).containsOnly(Map.entry("/a", 7L), Map.entry("/b", 1L));

      NumberDataPoint gauge = metrics.get("pool.utilization").getGauge().getDataPoints(0);
      assertThat(gauge.getAsDouble()).isEqualTo(0.75);
      assertThat(attrs(gauge.getAttributesList())).containsOnly(Map.entry("pool", str("db")));

      HistogramDataPoint h = metrics.get("http.server.duration").getHistogram().getDataPoints(0);
      assertThat(h.getCount()).isEqualTo(4);
      assertThat(h.getSum()).isCloseTo(4.25, org.assertj.core.data.Offset.offset(1e-9));
      assertThat(h.getExplicitBoundsList()).containsExactly(0.1, 1.0);
      assertThat(h.getBucketCountsList()).containsExactly(1L, 2L, 1L);
      assertThat(h.getMin()).isEqualTo(0.05);
      assertThat(h.getMax()).isEqualTo(3.0);
    } finally {
      provider.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"grpc", "http"})
  void logsArriveFieldForField(String transport) {
    LogRecordExporter exporter = transport.equals("grpc")
        ? OtlpGrpcLogRecordExporter.builder().setEndpoint("http://127.0.0.1:" + r.grpcPort).build()
        : OtlpHttpLogRecordExporter.builder().setEndpoint(r.httpUrl("/v1/logs")).build();
    SdkLoggerProvider provider = SdkLoggerProvider.builder()
        .setResource(RESOURCE)
        .addLogRecordProcessor(SimpleLogRecordProcessor.create(exporter))
        .build();
    try {
      Logger logger = provider.get("io.sluice.test.logger");
      SpanContext spanContext = SpanContext.create("5b8efff798038103d269b633813fc60c", "eee19b7ec3c1b174",
          TraceFlags.getSampled(), TraceState.getDefault());
      logger.logRecordBuilder()
          .setTimestamp(T0)
          .setObservedTimestamp(T0.plusMillis(5))
          .setSeverity(Severity.WARN)
          .setSeverityText("WARN")
          .setBody("disk almost full")
          .setAttribute(stringKey("disk"), "/dev/sda1")
          .setAttribute(doubleKey("used"), 0.93)
          .setAttribute(booleanKey("alert"), true)
          .setContext(Context.root().with(io.opentelemetry.api.trace.Span.wrap(spanContext)))
          .emit();
      logger.logRecordBuilder().setBody("second").setSeverity(Severity.INFO).emit();
      assertThat(provider.forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();

      await().atMost(Duration.ofSeconds(10)).until(() -> r.consumer(Signal.LOGS).itemCount(Signal.LOGS) == 2);
      List<LogRecord> records = new ArrayList<>();
      for (Batch b : r.consumer(Signal.LOGS).batches()) {
        for (ResourceLogs rl : b.resourceLogs()) {
          assertThat(attrs(rl.getResource().getAttributesList())).containsEntry("service.name", str("checkout"));
          rl.getScopeLogsList().forEach(sl -> {
            assertThat(sl.getScope().getName()).isEqualTo("io.sluice.test.logger");
            records.addAll(sl.getLogRecordsList());
          });
        }
      }
      LogRecord first = records.stream().filter(l -> l.getBody().getStringValue().equals("disk almost full"))
          .findFirst().orElseThrow();
      assertThat(first.getTimeUnixNano()).isEqualTo(nanos(T0));
      assertThat(first.getObservedTimeUnixNano()).isEqualTo(nanos(T0.plusMillis(5)));
      assertThat(first.getSeverityNumberValue()).isEqualTo(Severity.WARN.getSeverityNumber());
      assertThat(first.getSeverityText()).isEqualTo("WARN");
      assertThat(hex(first.getTraceId())).isEqualTo(spanContext.getTraceId());
      assertThat(hex(first.getSpanId())).isEqualTo(spanContext.getSpanId());
      assertThat(first.getFlags() & 0xff).isEqualTo(spanContext.getTraceFlags().asByte() & 0xff);
      assertThat(attrs(first.getAttributesList())).containsOnly(
          Map.entry("disk", str("/dev/sda1")),
          Map.entry("used", AnyValue.newBuilder().setDoubleValue(0.93).build()),
          Map.entry("alert", AnyValue.newBuilder().setBoolValue(true).build()));
      LogRecord second = records.stream().filter(l -> l.getBody().getStringValue().equals("second"))
          .findFirst().orElseThrow();
      assertThat(second.getSeverityNumberValue()).isEqualTo(Severity.INFO.getSeverityNumber());
      assertThat(second.getTraceId().isEmpty()).isTrue();
    } finally {
      provider.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  private static Map<String, AnyValue> attrs(List<KeyValue> kvs) {
    Map<String, AnyValue> m = new LinkedHashMap<>();
    kvs.forEach(kv -> m.put(kv.getKey(), kv.getValue()));
    return m;
  }

  private static AnyValue str(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  private static String hex(com.google.protobuf.ByteString b) {
    return HexFormat.of().formatHex(b.toByteArray());
  }
}
