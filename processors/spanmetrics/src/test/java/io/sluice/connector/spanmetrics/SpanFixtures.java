package io.sluice.connector.spanmetrics;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/** Spans built field by field, and lookups in the metrics the connector sends. */
final class SpanFixtures {
  static final long MS = 1_000_000L;
  private static final AtomicLong IDS = new AtomicLong(1);

  private SpanFixtures() {}

  static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  static KeyValue attr(String key, long value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setIntValue(value)).build();
  }

  static Resource resource(KeyValue... attrs) {
    return Resource.newBuilder().addAllAttributes(List.of(attrs)).build();
  }

  static Resource service(String name) {
    return resource(attr("service.name", name));
  }

  /** A span with fresh ids, starting at 1 s past the epoch, lasting {@code durationNanos}. */
  static Span.Builder span(String name, Span.SpanKind kind, Status.StatusCode status, long durationNanos,
      KeyValue... attrs) {
    long id = IDS.getAndIncrement();
    long start = 1_000_000_000L;
    return Span.newBuilder()
        .setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0, 0, (byte) (id >> 8),
            (byte) id}))
        .setSpanId(ByteString.copyFrom(new byte[] {0, 0, 0, 0, 0, 0, (byte) (id >> 8), (byte) id}))
        .setName(name)
        .setKind(kind)
        .setStartTimeUnixNano(start)
        .setEndTimeUnixNano(start + durationNanos)
        .setStatus(Status.newBuilder().setCode(status))
        .addAllAttributes(List.of(attrs));
  }

  static Span.Builder server(String name, long durationNanos, KeyValue... attrs) {
    return span(name, Span.SpanKind.SPAN_KIND_SERVER, Status.StatusCode.STATUS_CODE_UNSET, durationNanos, attrs);
  }

  static ResourceSpans resourceSpans(Resource resource, Span.Builder... spans) {
    return resourceSpans(resource, InstrumentationScope.newBuilder().setName("test").build(), spans);
  }

  static ResourceSpans resourceSpans(Resource resource, InstrumentationScope scope, Span.Builder... spans) {
    ScopeSpans.Builder ss = ScopeSpans.newBuilder().setScope(scope);
    for (Span.Builder s : spans) {
      ss.addSpans(s);
    }
    return ResourceSpans.newBuilder().setResource(resource).addScopeSpans(ss).build();
  }

  // ---- reading the output ------------------------------------------------------------------

  /** Attributes as strings (ints in decimal, bools as true/false), in order. */
  static Map<String, String> attrs(List<KeyValue> kvs) {
    Map<String, String> out = new LinkedHashMap<>();
    for (KeyValue kv : kvs) {
      AnyValue v = kv.getValue();
      out.put(kv.getKey(), switch (v.getValueCase()) {
        case STRING_VALUE -> v.getStringValue();
        case INT_VALUE -> Long.toString(v.getIntValue());
        case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
        case DOUBLE_VALUE -> Double.toString(v.getDoubleValue());
        default -> v.toString();
      });
    }
    return out;
  }

  /** {@code k1, v1, k2, v2, ...} as a map. */
  static Map<String, String> map(String... kv) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return m;
  }

  /** The default dimensions of a span: service, name, kind and status. */
  static Map<String, String> dims(String service, String span, String kind, String status, String... more) {
    Map<String, String> m = map("service.name", service, "span.name", span, "span.kind", "SPAN_KIND_" + kind,
        "status.code", "STATUS_CODE_" + status);
    m.putAll(map(more));
    return m;
  }

  /** The resource metrics whose resource has this service.name. */
  static ResourceMetrics resourceOf(List<ResourceMetrics> all, String service) {
    List<ResourceMetrics> found = all.stream()
        .filter(rm -> service.equals(attrs(rm.getResource().getAttributesList()).get("service.name"))).toList();
    assertThat(found).as("resource metrics of service %s", service).hasSize(1);
    return found.get(0);
  }

  /** The one metric of that name under the connector's scope. */
  static Metric metric(ResourceMetrics rm, String name) {
    assertThat(rm.getScopeMetricsCount()).isEqualTo(1);
    ScopeMetrics sm = rm.getScopeMetrics(0);
    assertThat(sm.getScope().getName()).isEqualTo("spanmetricsconnector");
    List<Metric> found = sm.getMetricsList().stream().filter(m -> m.getName().equals(name)).toList();
    assertThat(found).as("metric %s in %s", name, sm.getMetricsList().stream().map(Metric::getName).toList())
        .hasSize(1);
    return found.get(0);
  }

  static List<String> metricNames(ResourceMetrics rm) {
    List<String> names = new ArrayList<>();
    rm.getScopeMetricsList().forEach(sm -> sm.getMetricsList().forEach(m -> names.add(m.getName())));
    return names;
  }

  /** Each point of a sum by its attributes. */
  static Map<Map<String, String>, NumberDataPoint> sumPoints(Metric m) {
    assertThat(m.hasSum()).as("%s is a sum", m.getName()).isTrue();
    return byAttributes(m.getSum().getDataPointsList(), NumberDataPoint::getAttributesList);
  }

  /** The value of each point of a sum by its attributes. */
  static Map<Map<String, String>, Long> counts(Metric m) {
    Map<Map<String, String>, Long> out = new LinkedHashMap<>();
    sumPoints(m).forEach((k, p) -> out.put(k, p.getAsInt()));
    return out;
  }

  static Map<Map<String, String>, HistogramDataPoint> histogramPoints(Metric m) {
    assertThat(m.hasHistogram()).as("%s is an explicit histogram", m.getName()).isTrue();
    return byAttributes(m.getHistogram().getDataPointsList(), HistogramDataPoint::getAttributesList);
  }

  static Map<Map<String, String>, ExponentialHistogramDataPoint> exponentialPoints(Metric m) {
    assertThat(m.hasExponentialHistogram()).as("%s is an exponential histogram", m.getName()).isTrue();
    return byAttributes(m.getExponentialHistogram().getDataPointsList(),
        ExponentialHistogramDataPoint::getAttributesList);
  }

  private static <P> Map<Map<String, String>, P> byAttributes(List<P> points, Function<P, List<KeyValue>> attrsOf) {
    Map<Map<String, String>, P> out = new LinkedHashMap<>();
    for (P p : points) {
      assertThat(out.put(attrs(attrsOf.apply(p)), p)).as("one point per attribute set").isNull();
    }
    return out;
  }
}
