package io.sluice.receiver.prometheus;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.sluice.core.Batch;
import io.sluice.core.Signal;
import io.sluice.core.testkit.CapturingConsumer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** The data points a receiver pushed, flattened for assertions. */
record ScrapedPoints(List<Point> all) {

  /**
   * One data point: its resource's job and instance, metric name and kind, attributes, value (count
   * for histograms and summaries) and whether it is a stale marker.
   */
  record Point(String job, String instance, String name, String kind, Map<String, String> attrs, double value,
      boolean stale, long timeNanos, Metric metric) {}

  static ScrapedPoints of(CapturingConsumer consumer) {
    List<Point> out = new ArrayList<>();
    for (Batch b : consumer.batches(Signal.METRICS)) {
      for (ResourceMetrics rm : b.resourceMetrics()) {
        Map<String, String> resource = attrs(rm.getResource().getAttributesList());
        String job = resource.get("service.name");
        String instance = resource.get("service.instance.id");
        for (ScopeMetrics sm : rm.getScopeMetricsList()) {
          for (Metric m : sm.getMetricsList()) {
            switch (m.getDataCase()) {
              case GAUGE -> m.getGauge().getDataPointsList().forEach(p -> out.add(new Point(job, instance, m.getName(),
                  "gauge", attrs(p.getAttributesList()), p.getAsDouble(), stale(p.getFlags()), p.getTimeUnixNano(), m)));
              case SUM -> m.getSum().getDataPointsList().forEach(p -> out.add(new Point(job, instance, m.getName(),
                  m.getSum().getIsMonotonic() ? "counter" : "sum", attrs(p.getAttributesList()), p.getAsDouble(),
                  stale(p.getFlags()), p.getTimeUnixNano(), m)));
              case HISTOGRAM -> m.getHistogram().getDataPointsList().forEach(p -> out.add(new Point(job, instance,
                  m.getName(), "histogram", attrs(p.getAttributesList()), p.getCount(), stale(p.getFlags()),
                  p.getTimeUnixNano(), m)));
              case SUMMARY -> m.getSummary().getDataPointsList().forEach(p -> out.add(new Point(job, instance,
                  m.getName(), "summary", attrs(p.getAttributesList()), p.getCount(), stale(p.getFlags()),
                  p.getTimeUnixNano(), m)));
              default -> { }
            }
          }
        }
      }
    }
    return new ScrapedPoints(out);
  }

  private static boolean stale(int flags) {
    return (flags & DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE) != 0;
  }

  static Map<String, String> attrs(List<KeyValue> kvs) {
    Map<String, String> out = new TreeMap<>();
    for (KeyValue kv : kvs) {
      out.put(kv.getKey(), kv.getValue().getStringValue());
    }
    return out;
  }

  List<Point> named(String name) {
    return all.stream().filter(p -> p.name().equals(name)).toList();
  }

  /** The last point of a metric (optionally only fresh, non-stale ones), or null. */
  Point last(String name) {
    List<Point> ps = named(name);
    return ps.isEmpty() ? null : ps.get(ps.size() - 1);
  }

  Point lastFresh(String name) {
    List<Point> ps = named(name).stream().filter(p -> !p.stale()).toList();
    return ps.isEmpty() ? null : ps.get(ps.size() - 1);
  }

  /** The values of the {@code up} points in order. */
  List<Double> up() {
    return named("up").stream().filter(p -> !p.stale()).map(Point::value).toList();
  }

  List<Point> staleOf(String name) {
    return named(name).stream().filter(Point::stale).toList();
  }
}
