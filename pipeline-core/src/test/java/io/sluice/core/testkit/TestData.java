package io.sluice.core.testkit;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Realistic OTLP data for tests, deterministic for a given seed. */
public final class TestData {
  private TestData() {}

  public static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  public static KeyValue attr(String key, long value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
  }

  public static Resource resource(String service) {
    return Resource.newBuilder()
        .addAttributes(attr("service.name", service))
        .addAttributes(attr("service.instance.id", service + "-1"))
        .addAttributes(attr("host.name", "test-host"))
        .build();
  }

  public static InstrumentationScope scope() {
    return InstrumentationScope.newBuilder().setName("io.sluice.test").setVersion("1.0.0").build();
  }

  /** One ResourceSpans with {@code spans} spans of a few traces, with attributes, events and status. */
  public static ResourceSpans resourceSpans(String service, int spans, long seed) {
    Random r = new Random(seed);
    ScopeSpans.Builder ss = ScopeSpans.newBuilder().setScope(scope());
    byte[] traceId = new byte[16];
    long now = 1_700_000_000_000_000_000L + seed * 1_000_000L;
    for (int i = 0; i < spans; i++) {
      if (i % 8 == 0) {
        r.nextBytes(traceId);
      }
      byte[] spanId = new byte[8];
      r.nextBytes(spanId);
      Span.Builder s = Span.newBuilder()
          .setTraceId(ByteString.copyFrom(traceId))
          .setSpanId(ByteString.copyFrom(spanId))
          .setName("GET /api/items/" + (i % 16))
          .setKind(Span.SpanKind.SPAN_KIND_SERVER)
          .setStartTimeUnixNano(now + i * 1000L)
          .setEndTimeUnixNano(now + i * 1000L + 250_000L + r.nextInt(1_000_000))
          .addAttributes(attr("http.request.method", "GET"))
          .addAttributes(attr("http.route", "/api/items/{id}"))
          .addAttributes(attr("http.response.status_code", 200 + (i % 5 == 0 ? 300 : 0)))
          .addAttributes(attr("url.path", "/api/items/" + r.nextInt(10_000)))
          .addAttributes(attr("user_agent.original", "test-client/1.0"))
          .addEvents(Span.Event.newBuilder().setName("cache.miss").setTimeUnixNano(now + i * 1000L + 10)
              .addAttributes(attr("cache.key", "item-" + i)))
          .setStatus(Status.newBuilder().setCode(i % 5 == 0 ? Status.StatusCode.STATUS_CODE_ERROR
              : Status.StatusCode.STATUS_CODE_UNSET));
      if (i % 8 != 0) {
        byte[] parent = new byte[8];
        r.nextBytes(parent);
        s.setParentSpanId(ByteString.copyFrom(parent));
      }
      ss.addSpans(s);
    }
    return ResourceSpans.newBuilder().setResource(resource(service)).addScopeSpans(ss).build();
  }

  /** One ResourceMetrics with a counter, a gauge and a histogram, each with {@code pointsEach} points. */
  public static ResourceMetrics resourceMetrics(String service, int pointsEach, long seed) {
    long now = 1_700_000_000_000_000_000L + seed * 1_000_000L;
    Sum.Builder sum = Sum.newBuilder().setIsMonotonic(true)
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    Gauge.Builder gauge = Gauge.newBuilder();
    Histogram.Builder hist = Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (int i = 0; i < pointsEach; i++) {
      sum.addDataPoints(NumberDataPoint.newBuilder().addAttributes(attr("route", "/r" + i))
          .setStartTimeUnixNano(now - 60_000_000_000L).setTimeUnixNano(now).setAsInt(100 + i + seed));
      gauge.addDataPoints(NumberDataPoint.newBuilder().addAttributes(attr("pool", "p" + i))
          .setTimeUnixNano(now).setAsDouble(0.5 + i));
      hist.addDataPoints(HistogramDataPoint.newBuilder().addAttributes(attr("route", "/r" + i))
          .setStartTimeUnixNano(now - 60_000_000_000L).setTimeUnixNano(now)
          .setCount(6).setSum(3.5).addExplicitBounds(0.1).addExplicitBounds(1.0)
          .addBucketCounts(2).addBucketCounts(3).addBucketCounts(1).setMin(0.01).setMax(2.0));
    }
    return ResourceMetrics.newBuilder()
        .setResource(resource(service))
        .addScopeMetrics(ScopeMetrics.newBuilder().setScope(scope())
            .addMetrics(Metric.newBuilder().setName("http.server.requests").setUnit("{request}")
                .setDescription("Requests served.").setSum(sum))
            .addMetrics(Metric.newBuilder().setName("pool.utilization").setUnit("1").setGauge(gauge))
            .addMetrics(Metric.newBuilder().setName("http.server.duration").setUnit("s").setHistogram(hist)))
        .build();
  }

  /** One ResourceLogs with {@code records} log records. */
  public static ResourceLogs resourceLogs(String service, int records, long seed) {
    long now = 1_700_000_000_000_000_000L + seed * 1_000_000L;
    ScopeLogs.Builder sl = ScopeLogs.newBuilder().setScope(scope());
    Random r = new Random(seed);
    for (int i = 0; i < records; i++) {
      byte[] traceId = new byte[16];
      byte[] spanId = new byte[8];
      r.nextBytes(traceId);
      r.nextBytes(spanId);
      sl.addLogRecords(LogRecord.newBuilder()
          .setTimeUnixNano(now + i)
          .setObservedTimeUnixNano(now + i + 5)
          .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO)
          .setSeverityText("INFO")
          .setBody(AnyValue.newBuilder().setStringValue("request " + i + " served in " + r.nextInt(100) + " ms"))
          .addAttributes(attr("http.route", "/api/items"))
          .setTraceId(ByteString.copyFrom(traceId))
          .setSpanId(ByteString.copyFrom(spanId)));
    }
    return ResourceLogs.newBuilder().setResource(resource(service)).addScopeLogs(sl).build();
  }

  public static Batch traces(int spans, long seed) {
    return Batch.traces(List.of(resourceSpans("checkout", spans, seed)), Envelope.of(ComponentId.of("test")));
  }

  public static Batch metrics(int pointsEach, long seed) {
    return Batch.metrics(List.of(resourceMetrics("checkout", pointsEach, seed)), Envelope.of(ComponentId.of("test")));
  }

  public static Batch logs(int records, long seed) {
    return Batch.logs(List.of(resourceLogs("checkout", records, seed)), Envelope.of(ComponentId.of("test")));
  }

  /** Several traces batches, for tests that count what arrives. */
  public static List<Batch> tracesBatches(int batches, int spansEach) {
    List<Batch> out = new ArrayList<>();
    for (int i = 0; i < batches; i++) {
      out.add(traces(spansEach, i));
    }
    return out;
  }
}
