package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * Some of the points of some batches' resources, gathered point by point (or whole metrics) and
 * built back into resource messages that keep each point's resource, scope and metric (name,
 * description, unit, type, temporality). Resources, scopes and metrics are told apart by
 * identity, in the order first added.
 */
public final class PointSelection {
  private final Map<ResourceMetrics, Resource> resources = new IdentityHashMap<>();
  private final List<Resource> order = new ArrayList<>();
  private int points;

  private static final class Resource {
    final ResourceMetrics rm;
    final Map<ScopeMetrics, Scope> scopes = new IdentityHashMap<>();
    final List<Scope> order = new ArrayList<>();

    Resource(ResourceMetrics rm) {
      this.rm = rm;
    }
  }

  private static final class Scope {
    final ScopeMetrics sm;
    final Map<Metric, Metric.Builder> metrics = new IdentityHashMap<>();
    final List<Metric.Builder> order = new ArrayList<>();

    Scope(ScopeMetrics sm) {
      this.sm = sm;
    }
  }

  public boolean isEmpty() {
    return order.isEmpty();
  }

  /** Points added so far (those of whole metrics included). */
  public int pointCount() {
    return points;
  }

  /** Adds one point of {@code m}. */
  public void add(ResourceMetrics rm, ScopeMetrics sm, Metric m, Object point) {
    Metric.Builder b = metric(rm, sm, m);
    addPoint(b, point);
    points++;
  }

  /** Adds a whole metric with all its points. */
  public void addMetric(ResourceMetrics rm, ScopeMetrics sm, Metric m) {
    Scope s = scope(rm, sm);
    Metric.Builder b = m.toBuilder();
    s.metrics.put(m, b);
    s.order.add(b);
    points += io.sluice.core.Batch.dataPointCount(m);
  }

  private Scope scope(ResourceMetrics rm, ScopeMetrics sm) {
    Resource r = resources.get(rm);
    if (r == null) {
      r = new Resource(rm);
      resources.put(rm, r);
      order.add(r);
    }
    Scope s = r.scopes.get(sm);
    if (s == null) {
      s = new Scope(sm);
      r.scopes.put(sm, s);
      r.order.add(s);
    }
    return s;
  }

  private Metric.Builder metric(ResourceMetrics rm, ScopeMetrics sm, Metric m) {
    Scope s = scope(rm, sm);
    Metric.Builder b = s.metrics.get(m);
    if (b == null) {
      b = withoutPoints(m);
      s.metrics.put(m, b);
      s.order.add(b);
    }
    return b;
  }

  /** {@code m} with its name, description, unit, metadata, type and temporality, and no points. */
  public static Metric.Builder withoutPoints(Metric m) {
    Metric.Builder b = m.toBuilder();
    switch (m.getDataCase()) {
      case GAUGE -> b.getGaugeBuilder().clearDataPoints();
      case SUM -> b.getSumBuilder().clearDataPoints();
      case HISTOGRAM -> b.getHistogramBuilder().clearDataPoints();
      case EXPONENTIAL_HISTOGRAM -> b.getExponentialHistogramBuilder().clearDataPoints();
      case SUMMARY -> b.getSummaryBuilder().clearDataPoints();
      case DATA_NOT_SET -> {
        // no points
      }
    }
    return b;
  }

  /** A metric's name, description, unit and metadata, without its type and points. */
  public static Metric descriptor(Metric m) {
    return Metric.newBuilder().setName(m.getName()).setDescription(m.getDescription()).setUnit(m.getUnit())
        .addAllMetadata(m.getMetadataList()).build();
  }

  /** Appends a point to the container of its type. */
  public static void addPoint(Metric.Builder b, Object point) {
    if (point instanceof NumberDataPoint p) {
      if (b.getDataCase() == Metric.DataCase.GAUGE) {
        b.getGaugeBuilder().addDataPoints(p);
      } else {
        b.getSumBuilder().addDataPoints(p);
      }
    } else if (point instanceof HistogramDataPoint p) {
      b.getHistogramBuilder().addDataPoints(p);
    } else if (point instanceof ExponentialHistogramDataPoint p) {
      b.getExponentialHistogramBuilder().addDataPoints(p);
    } else {
      b.getSummaryBuilder().addDataPoints((SummaryDataPoint) point);
    }
  }

  /** The points of a metric, whatever its type. */
  public static List<?> points(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> m.getGauge().getDataPointsList();
      case SUM -> m.getSum().getDataPointsList();
      case HISTOGRAM -> m.getHistogram().getDataPointsList();
      case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsList();
      case SUMMARY -> m.getSummary().getDataPointsList();
      case DATA_NOT_SET -> List.of();
    };
  }

  /** The attributes of a point, whatever its type. */
  public static List<io.opentelemetry.proto.common.v1.KeyValue> attributes(Object point) {
    if (point instanceof NumberDataPoint p) {
      return p.getAttributesList();
    } else if (point instanceof HistogramDataPoint p) {
      return p.getAttributesList();
    } else if (point instanceof ExponentialHistogramDataPoint p) {
      return p.getAttributesList();
    }
    return ((SummaryDataPoint) point).getAttributesList();
  }

  /** The time of a point, whatever its type. */
  public static long time(Object point) {
    return Aggregate.timeOf(point);
  }

  /** The flags of a point, whatever its type. */
  public static int flags(Object point) {
    return Aggregate.flags(point);
  }

  /** The resources holding what was added, in the order it was added. */
  public List<ResourceMetrics> build() {
    List<ResourceMetrics> out = new ArrayList<>(order.size());
    for (Resource r : order) {
      ResourceMetrics.Builder rb = ResourceMetrics.newBuilder().setResource(r.rm.getResource())
          .setSchemaUrl(r.rm.getSchemaUrl());
      for (Scope s : r.order) {
        ScopeMetrics.Builder sb = ScopeMetrics.newBuilder().setScope(s.sm.getScope()).setSchemaUrl(s.sm.getSchemaUrl());
        for (Metric.Builder m : s.order) {
          sb.addMetrics(m);
        }
        rb.addScopeMetrics(sb);
      }
      out.add(rb.build());
    }
    return out;
  }
}
