package io.sluice.processor.histogramaggregation;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** OTLP metrics built by hand for tests, and the points of what came out, keyed by name and attributes. */
final class Otlp {
  private Otlp() {}

  static List<KeyValue> attrs(String... kv) {
    List<KeyValue> out = new ArrayList<>();
    for (int i = 0; i < kv.length; i += 2) {
      out.add(KeyValue.newBuilder().setKey(kv[i]).setValue(AnyValue.newBuilder().setStringValue(kv[i + 1])).build());
    }
    return out;
  }

  static Batch batch(String service, Metric... metrics) {
    ResourceMetrics rm = ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAllAttributes(attrs("service.name", service)))
        .addScopeMetrics(ScopeMetrics.newBuilder().setScope(InstrumentationScope.newBuilder().setName("test"))
            .addAllMetrics(List.of(metrics)))
        .build();
    return Batch.metrics(List.of(rm), Envelope.of(ComponentId.parse("otlp")));
  }

  static NumberDataPoint number(long start, long time, long value, String... attributes) {
    return NumberDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(time).setAsInt(value)
        .addAllAttributes(attrs(attributes)).build();
  }

  static NumberDataPoint number(long time, double value, String... attributes) {
    return NumberDataPoint.newBuilder().setTimeUnixNano(time).setAsDouble(value).addAllAttributes(attrs(attributes))
        .build();
  }

  static Metric sum(String name, boolean delta, NumberDataPoint... points) {
    return Metric.newBuilder().setName(name).setSum(Sum.newBuilder().setIsMonotonic(true)
        .setAggregationTemporality(delta ? AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
            : AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addAllDataPoints(List.of(points))).build();
  }

  static Metric gauge(String name, NumberDataPoint... points) {
    return Metric.newBuilder().setName(name).setGauge(Gauge.newBuilder().addAllDataPoints(List.of(points))).build();
  }

  static HistogramDataPoint histogram(long start, long time, double[] bounds, long[] counts, String... attributes) {
    HistogramDataPoint.Builder b = HistogramDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(time)
        .addAllAttributes(attrs(attributes));
    long total = 0;
    for (double bound : bounds) {
      b.addExplicitBounds(bound);
    }
    for (long c : counts) {
      b.addBucketCounts(c);
      total += c;
    }
    return b.setCount(total).setSum(total * 10.0).build();
  }

  static Metric histogram(String name, boolean delta, HistogramDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit("s").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(delta ? AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
            : AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addAllDataPoints(List.of(points))).build();
  }

  static Metric exponential(String name, ExponentialHistogramDataPoint... points) {
    return Metric.newBuilder().setName(name).setExponentialHistogram(
        io.opentelemetry.proto.metrics.v1.ExponentialHistogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
            .addAllDataPoints(List.of(points))).build();
  }

  /** {@code name{k="v",...}} with the attributes in key order. */
  static String series(String name, List<KeyValue> attributes) {
    Map<String, String> sorted = new TreeMap<>();
    for (KeyValue kv : attributes) {
      sorted.put(kv.getKey(), kv.getValue().getStringValue());
    }
    StringBuilder sb = new StringBuilder(name).append('{');
    sorted.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ",").append(k).append("=\"")
        .append(v).append('"'));
    return sb.append('}').toString();
  }

  /** Every point of these batches by {@link #series}; a later point of a series replaces an earlier one. */
  static Map<String, Object> points(List<Batch> batches) {
    Map<String, Object> out = new LinkedHashMap<>();
    for (Batch b : batches) {
      for (ResourceMetrics rm : b.resourceMetrics()) {
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          for (Metric m : sm.getMetricsList()) {
            switch (m.getDataCase()) {
              case SUM -> m.getSum().getDataPointsList()
                  .forEach(p -> out.put(series(m.getName(), p.getAttributesList()), p));
              case GAUGE -> m.getGauge().getDataPointsList()
                  .forEach(p -> out.put(series(m.getName(), p.getAttributesList()), p));
              case HISTOGRAM -> m.getHistogram().getDataPointsList()
                  .forEach(p -> out.put(series(m.getName(), p.getAttributesList()), p));
              case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsList()
                  .forEach(p -> out.put(series(m.getName(), p.getAttributesList()), p));
              case SUMMARY -> m.getSummary().getDataPointsList()
                  .forEach(p -> out.put(series(m.getName(), p.getAttributesList()), p));
              default -> { }
            }
          }
        }
      }
    }
    return out;
  }
}
