package io.sluice.processor.seriesstate;

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
public final class TestMetrics {
  private TestMetrics() {}

  /** The result of a future, waiting at most 10 s; an {@link AssertionError} if it failed or did not complete. */
  public static <T> T result(io.vertx.core.Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(10, java.util.concurrent.TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  /**
   * Loads a gateway config (as {@code gateway.yaml}) whose metrics pipeline has processor
   * {@code type} with this section (keys at the start of the lines) and returns the errors about
   * that processor; the processor's keys start on line 3. Fails when the config loads.
   */
  public static List<io.sluice.core.config.ConfigError> configErrors(String type, String section) {
    String yaml = """
        processors:
          %s:
        %s
        service:
          pipelines:
            metrics:
              processors: [%s]
        """.formatted(type, section.indent(4).stripTrailing(), type);
    try {
      new io.sluice.core.config.ConfigLoader(io.sluice.core.config.Factories.load(), Map.of())
          .loadYaml("gateway.yaml", yaml);
    } catch (io.sluice.core.config.ConfigException e) {
      return e.errors().stream().filter(x -> x.path().startsWith("processors." + type)).toList();
    }
    throw new AssertionError("the config loaded:\n" + yaml);
  }

  public static List<KeyValue> attrs(String... kv) {
    List<KeyValue> out = new ArrayList<>();
    for (int i = 0; i < kv.length; i += 2) {
      out.add(KeyValue.newBuilder().setKey(kv[i]).setValue(AnyValue.newBuilder().setStringValue(kv[i + 1])).build());
    }
    return out;
  }

  public static Batch batch(String service, Metric... metrics) {
    ResourceMetrics rm = ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAllAttributes(attrs("service.name", service)))
        .addScopeMetrics(ScopeMetrics.newBuilder().setScope(InstrumentationScope.newBuilder().setName("test"))
            .addAllMetrics(List.of(metrics)))
        .build();
    return Batch.metrics(List.of(rm), Envelope.of(ComponentId.parse("otlp")));
  }

  public static NumberDataPoint number(long start, long time, long value, String... attributes) {
    return NumberDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(time).setAsInt(value)
        .addAllAttributes(attrs(attributes)).build();
  }

  public static NumberDataPoint number(long time, double value, String... attributes) {
    return NumberDataPoint.newBuilder().setTimeUnixNano(time).setAsDouble(value).addAllAttributes(attrs(attributes))
        .build();
  }

  public static Metric sum(String name, boolean delta, NumberDataPoint... points) {
    return Metric.newBuilder().setName(name).setSum(Sum.newBuilder().setIsMonotonic(true)
        .setAggregationTemporality(delta ? AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
            : AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addAllDataPoints(List.of(points))).build();
  }

  public static Metric gauge(String name, NumberDataPoint... points) {
    return Metric.newBuilder().setName(name).setGauge(Gauge.newBuilder().addAllDataPoints(List.of(points))).build();
  }

  public static HistogramDataPoint histogram(long start, long time, double[] bounds, long[] counts,
      String... attributes) {
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

  public static Metric histogram(String name, boolean delta, HistogramDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit("s").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(delta ? AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
            : AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addAllDataPoints(List.of(points))).build();
  }

  public static Metric exponential(String name, ExponentialHistogramDataPoint... points) {
    return Metric.newBuilder().setName(name).setExponentialHistogram(
        io.opentelemetry.proto.metrics.v1.ExponentialHistogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
            .addAllDataPoints(List.of(points))).build();
  }

  /** {@code name{k="v",...}} with the attributes in key order. */
  public static String series(String name, List<KeyValue> attributes) {
    Map<String, String> sorted = new TreeMap<>();
    for (KeyValue kv : attributes) {
      sorted.put(kv.getKey(), io.sluice.core.otlp.AnyValues.asString(kv.getValue()));
    }
    StringBuilder sb = new StringBuilder(name).append('{');
    sorted.forEach((k, v) -> sb.append(sb.charAt(sb.length() - 1) == '{' ? "" : ",").append(k).append("=\"")
        .append(v).append('"'));
    return sb.append('}').toString();
  }

  /** Every point of these batches by {@link #series}; a later point of a series replaces an earlier one. */
  public static Map<String, Object> points(List<Batch> batches) {
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
