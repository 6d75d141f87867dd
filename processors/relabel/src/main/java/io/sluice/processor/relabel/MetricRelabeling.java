package io.sluice.processor.relabel;

import com.google.protobuf.Message;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.otlp.AnyValues;
import io.sluice.translation.prometheus.relabel.LabelSet;
import io.sluice.translation.prometheus.relabel.Relabeler;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs a {@link Relabeler} over every data point of a list of {@code ResourceMetrics}: a pure
 * function from resources to resources, safe to share between threads.
 *
 * <p>Each point is seen as a Prometheus series: {@code __name__} is the metric name as it is in
 * OTLP, then the point's attributes (keys as they are, values as strings), then {@code job}
 * ({@code service.namespace/service.name} or {@code service.name}) and {@code instance}
 * ({@code service.instance.id}) from the resource, which win over attributes of those names, as
 * in the Prometheus translation.
 *
 * <p>After relabeling, a dropped series (or one left without {@code __name__}) removes the point.
 * Otherwise labels whose value changed are written back as attributes: an attribute whose label
 * kept its value stays as it was (with its type), one whose label was deleted is removed, and new
 * or changed labels become string attributes, {@code job} and {@code instance} included. Labels
 * and attributes whose name starts with {@code __} are removed. A new {@code __name__} moves the
 * point to a metric of that name with the same type, unit, description and temporality in the
 * same scope (merged with one that is already there). Metrics that lose all their points, and
 * then scopes and resources left empty, are removed; untouched messages are passed on as they are.
 */
final class MetricRelabeling {
  static final String NAME_LABEL = "__name__";

  private final Relabeler relabeler;

  MetricRelabeling(Relabeler relabeler) {
    this.relabeler = relabeler;
  }

  /** What one run made: the new resources and how many points were dropped. */
  record Result(List<ResourceMetrics> resources, int dropped, boolean changed) {}

  Result apply(List<ResourceMetrics> in) {
    if (relabeler.isEmpty()) {
      return new Result(in, 0, false);
    }
    Run run = new Run();
    List<ResourceMetrics> out = new ArrayList<>(in.size());
    boolean changed = false;
    for (ResourceMetrics rm : in) {
      ResourceMetrics r = run.resource(rm);
      if (r != rm) {
        changed = true;
      }
      if (r != null) {
        out.add(r);
      }
    }
    return changed ? new Result(out, run.dropped, true) : new Result(in, 0, false);
  }

  /** The state of one call of {@link #apply}. */
  private final class Run {
    int dropped;

    /** The resource relabeled; the same object when unchanged, null when nothing is left of it. */
    ResourceMetrics resource(ResourceMetrics rm) {
      if (rm.getScopeMetricsCount() == 0) {
        return rm;
      }
      String[] jobInstance = jobAndInstance(rm.getResource());
      List<ScopeMetrics> scopes = new ArrayList<>(rm.getScopeMetricsCount());
      boolean changed = false;
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        ScopeMetrics s = scope(sm, jobInstance[0], jobInstance[1]);
        if (s != sm) {
          changed = true;
        }
        if (s != null) {
          scopes.add(s);
        }
      }
      if (!changed) {
        return rm;
      }
      if (scopes.isEmpty()) {
        return null;
      }
      return rm.toBuilder().clearScopeMetrics().addAllScopeMetrics(scopes).build();
    }

    ScopeMetrics scope(ScopeMetrics sm, String job, String instance) {
      if (sm.getMetricsCount() == 0) {
        return sm;
      }
      Map<Metric, Group> groups = new LinkedHashMap<>();
      boolean changed = false;
      for (Metric m : sm.getMetricsList()) {
        Kind<?> kind = Kind.of(m);
        if (kind == null || kind.points(m).isEmpty()) {
          groups.computeIfAbsent(m, k -> new Group(kind)).keepEmpty = true;
          continue;
        }
        changed |= points(m, kind, groups, job, instance);
      }
      if (!changed) {
        return sm;
      }
      List<Metric> metrics = new ArrayList<>(groups.size());
      for (Map.Entry<Metric, Group> e : groups.entrySet()) {
        Group g = e.getValue();
        if (g.kind == null) {
          metrics.add(e.getKey());
        } else if (!g.points.isEmpty() || g.keepEmpty) {
          metrics.add(g.kind.build(e.getKey(), g.points));
        }
      }
      if (metrics.isEmpty()) {
        return null;
      }
      return sm.toBuilder().clearMetrics().addAllMetrics(metrics).build();
    }

    /** Relabels the points of one metric into their groups; true when anything changed. */
    private <P extends Message> boolean points(Metric m, Kind<P> kind, Map<Metric, Group> groups, String job,
        String instance) {
      String name = m.getName();
      Metric shape = kind.shape(m);
      Group own = groups.computeIfAbsent(shape, k -> new Group(kind));
      Map<String, Group> renamed = null;
      boolean changed = false;
      for (P p : kind.points(m)) {
        List<KeyValue> attrs = kind.attributes(p);
        boolean dunder = false;
        LabelSet.Builder b = LabelSet.builder();
        for (KeyValue kv : attrs) {
          String key = kv.getKey();
          dunder |= key.startsWith("__");
          b.set(key, AnyValues.asString(kv.getValue()));
        }
        b.set(NAME_LABEL, name);
        if (job != null) {
          b.set("job", job);
        }
        if (instance != null) {
          b.set("instance", instance);
        }
        LabelSet labels = b.build();
        LabelSet out = relabeler.apply(labels);
        if (out == null) {
          dropped++;
          changed = true;
          continue;
        }
        if (out == labels && !dunder) {
          own.points.add(p);
          continue;
        }
        String newName = out.get(NAME_LABEL);
        if (newName == null) {
          dropped++; // a series with no name cannot be stored
          changed = true;
          continue;
        }
        changed = true;
        P rewritten = kind.withAttributes(p, writeBack(attrs, labels, out));
        if (newName.equals(name)) {
          own.points.add(rewritten);
        } else {
          if (renamed == null) {
            renamed = new HashMap<>();
          }
          Group g = renamed.computeIfAbsent(newName, n -> groups.computeIfAbsent(
              shape.toBuilder().setName(n).build(), k -> new Group(kind)));
          g.points.add(rewritten);
        }
      }
      return changed;
    }
  }

  /** The new attributes of a point whose labels went from {@code in} to {@code out}. */
  static List<KeyValue> writeBack(List<KeyValue> attrs, LabelSet in, LabelSet out) {
    List<KeyValue> result = new ArrayList<>(attrs.size() + 2);
    for (KeyValue kv : attrs) {
      String key = kv.getKey();
      if (key.startsWith("__")) {
        continue;
      }
      String before = in.get(key);
      String after = out.get(key);
      if (after == null ? before == null : after.equals(before)) {
        result.add(kv); // its label kept its value (or was never visible): leave it as it was
      } else if (after != null) {
        result.add(stringAttr(key, after));
      }
    }
    for (int i = 0; i < out.size(); i++) {
      String key = out.name(i);
      if (key.startsWith("__") || out.value(i).equals(in.get(key)) || hasKey(attrs, key)) {
        continue;
      }
      result.add(stringAttr(key, out.value(i)));
    }
    return result;
  }

  private static boolean hasKey(List<KeyValue> attrs, String key) {
    for (KeyValue kv : attrs) {
      if (kv.getKey().equals(key)) {
        return true;
      }
    }
    return false;
  }

  private static KeyValue stringAttr(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  /** {@code job} and {@code instance} as the Prometheus translation makes them; null when absent. */
  static String[] jobAndInstance(Resource r) {
    String service = null;
    String namespace = null;
    String instance = null;
    for (KeyValue kv : r.getAttributesList()) {
      switch (kv.getKey()) {
        case "service.name" -> service = AnyValues.asString(kv.getValue());
        case "service.namespace" -> namespace = AnyValues.asString(kv.getValue());
        case "service.instance.id" -> instance = AnyValues.asString(kv.getValue());
        default -> {
          // other resource attributes are not labels of the series
        }
      }
    }
    String job = null;
    if (service != null) {
      job = namespace != null && !namespace.isEmpty() ? namespace + "/" + service : service;
    }
    return new String[] {job, instance};
  }

  /** The points that go into one output metric. */
  private static final class Group {
    final Kind<?> kind;
    final List<Object> points = new ArrayList<>();
    boolean keepEmpty;

    Group(Kind<?> kind) {
      this.kind = kind;
    }
  }

  /** How to read and rebuild the points of one metric type. */
  private abstract static class Kind<P extends Message> {
    abstract List<P> points(Metric m);

    abstract List<KeyValue> attributes(P p);

    abstract P withAttributes(P p, List<KeyValue> attrs);

    /** The metric without its points: what points must share to be merged into one metric. */
    abstract Metric shape(Metric m);

    /** The metric {@code shape} holding {@code points}. */
    abstract Metric build(Metric shape, List<Object> points);

    @SuppressWarnings("unchecked")
    static <T> List<T> cast(List<Object> points) {
      return (List<T>) (List<?>) points;
    }

    static Kind<?> of(Metric m) {
      return switch (m.getDataCase()) {
        case GAUGE -> GAUGE;
        case SUM -> SUM;
        case HISTOGRAM -> HISTOGRAM;
        case EXPONENTIAL_HISTOGRAM -> EXPONENTIAL_HISTOGRAM;
        case SUMMARY -> SUMMARY;
        case DATA_NOT_SET -> null;
      };
    }

    static final Kind<NumberDataPoint> GAUGE = new Kind<>() {
      @Override
      List<NumberDataPoint> points(Metric m) {
        return m.getGauge().getDataPointsList();
      }

      @Override
      List<KeyValue> attributes(NumberDataPoint p) {
        return p.getAttributesList();
      }

      @Override
      NumberDataPoint withAttributes(NumberDataPoint p, List<KeyValue> attrs) {
        return p.toBuilder().clearAttributes().addAllAttributes(attrs).build();
      }

      @Override
      Metric shape(Metric m) {
        return m.toBuilder().setGauge(m.getGauge().toBuilder().clearDataPoints()).build();
      }

      @Override
      Metric build(Metric shape, List<Object> points) {
        return shape.toBuilder().setGauge(shape.getGauge().toBuilder()
            .addAllDataPoints(Kind.<NumberDataPoint>cast(points))).build();
      }
    };

    static final Kind<NumberDataPoint> SUM = new Kind<>() {
      @Override
      List<NumberDataPoint> points(Metric m) {
        return m.getSum().getDataPointsList();
      }

      @Override
      List<KeyValue> attributes(NumberDataPoint p) {
        return p.getAttributesList();
      }

      @Override
      NumberDataPoint withAttributes(NumberDataPoint p, List<KeyValue> attrs) {
        return p.toBuilder().clearAttributes().addAllAttributes(attrs).build();
      }

      @Override
      Metric shape(Metric m) {
        return m.toBuilder().setSum(m.getSum().toBuilder().clearDataPoints()).build();
      }

      @Override
      Metric build(Metric shape, List<Object> points) {
        return shape.toBuilder().setSum(shape.getSum().toBuilder()
            .addAllDataPoints(Kind.<NumberDataPoint>cast(points))).build();
      }
    };

    static final Kind<HistogramDataPoint> HISTOGRAM = new Kind<>() {
      @Override
      List<HistogramDataPoint> points(Metric m) {
        return m.getHistogram().getDataPointsList();
      }

      @Override
      List<KeyValue> attributes(HistogramDataPoint p) {
        return p.getAttributesList();
      }

      @Override
      HistogramDataPoint withAttributes(HistogramDataPoint p, List<KeyValue> attrs) {
        return p.toBuilder().clearAttributes().addAllAttributes(attrs).build();
      }

      @Override
      Metric shape(Metric m) {
        return m.toBuilder().setHistogram(m.getHistogram().toBuilder().clearDataPoints()).build();
      }

      @Override
      Metric build(Metric shape, List<Object> points) {
        return shape.toBuilder().setHistogram(shape.getHistogram().toBuilder()
            .addAllDataPoints(Kind.<HistogramDataPoint>cast(points))).build();
      }
    };

    static final Kind<ExponentialHistogramDataPoint> EXPONENTIAL_HISTOGRAM = new Kind<>() {
      @Override
      List<ExponentialHistogramDataPoint> points(Metric m) {
        return m.getExponentialHistogram().getDataPointsList();
      }

      @Override
      List<KeyValue> attributes(ExponentialHistogramDataPoint p) {
        return p.getAttributesList();
      }

      @Override
      ExponentialHistogramDataPoint withAttributes(ExponentialHistogramDataPoint p, List<KeyValue> attrs) {
        return p.toBuilder().clearAttributes().addAllAttributes(attrs).build();
      }

      @Override
      Metric shape(Metric m) {
        return m.toBuilder().setExponentialHistogram(m.getExponentialHistogram().toBuilder().clearDataPoints())
            .build();
      }

      @Override
      Metric build(Metric shape, List<Object> points) {
        return shape.toBuilder().setExponentialHistogram(shape.getExponentialHistogram().toBuilder()
            .addAllDataPoints(Kind.<ExponentialHistogramDataPoint>cast(points))).build();
      }
    };

    static final Kind<SummaryDataPoint> SUMMARY = new Kind<>() {
      @Override
      List<SummaryDataPoint> points(Metric m) {
        return m.getSummary().getDataPointsList();
      }

      @Override
      List<KeyValue> attributes(SummaryDataPoint p) {
        return p.getAttributesList();
      }

      @Override
      SummaryDataPoint withAttributes(SummaryDataPoint p, List<KeyValue> attrs) {
        return p.toBuilder().clearAttributes().addAllAttributes(attrs).build();
      }

      @Override
      Metric shape(Metric m) {
        return m.toBuilder().setSummary(m.getSummary().toBuilder().clearDataPoints()).build();
      }

      @Override
      Metric build(Metric shape, List<Object> points) {
        return shape.toBuilder().setSummary(shape.getSummary().toBuilder()
            .addAllDataPoints(Kind.<SummaryDataPoint>cast(points))).build();
      }
    };
  }
}
