package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Metrics being written, grouped as OTLP groups them: by resource, then scope, then metric (name
 * and kind), so that the points of one metric share one {@link Metric} message.
 */
public final class MetricsOutput {
  private final Map<ResourceId, Map<ScopeId, Map<MetricId, Metric.Builder>>> resources = new LinkedHashMap<>();
  private final Map<ScopeId, InstrumentationScope> scopes = new LinkedHashMap<>();

  private record ScopeId(String name, String version) {}

  private record MetricId(String name, MetricKind kind) {}

  /**
   * The metric {@code name} of {@code kind} under this resource and scope, made from
   * {@code descriptor} the first time; add points to its container.
   */
  public Metric.Builder metric(ResourceId resource, InstrumentationScope scope, MetricKind kind, Metric descriptor,
      String name) {
    ScopeId sid = new ScopeId(scope.getName(), scope.getVersion());
    scopes.putIfAbsent(sid, scope);
    return resources.computeIfAbsent(resource, r -> new LinkedHashMap<>())
        .computeIfAbsent(sid, s -> new LinkedHashMap<>())
        .computeIfAbsent(new MetricId(name, kind), m -> kind.newMetric(descriptor).setName(name));
  }

  public boolean isEmpty() {
    return resources.isEmpty();
  }

  private static int pointCount(Metric.Builder m) {
    return switch (m.getDataCase()) {
      case GAUGE -> m.getGaugeBuilder().getDataPointsCount();
      case SUM -> m.getSumBuilder().getDataPointsCount();
      case HISTOGRAM -> m.getHistogramBuilder().getDataPointsCount();
      case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogramBuilder().getDataPointsCount();
      case SUMMARY -> m.getSummaryBuilder().getDataPointsCount();
      case DATA_NOT_SET -> 0;
    };
  }

  /** The resource messages; metrics to which no point was added are left out. */
  public List<ResourceMetrics> build() {
    List<ResourceMetrics> out = new java.util.ArrayList<>();
    for (Map.Entry<ResourceId, Map<ScopeId, Map<MetricId, Metric.Builder>>> r : resources.entrySet()) {
      ResourceMetrics.Builder rb = ResourceMetrics.newBuilder().setResource(r.getKey().resource());
      for (Map.Entry<ScopeId, Map<MetricId, Metric.Builder>> s : r.getValue().entrySet()) {
        ScopeMetrics.Builder sb = ScopeMetrics.newBuilder().setScope(scopes.get(s.getKey()));
        for (Metric.Builder m : s.getValue().values()) {
          if (pointCount(m) > 0) {
            sb.addMetrics(m);
          }
        }
        if (sb.getMetricsCount() > 0) {
          rb.addScopeMetrics(sb);
        }
      }
      if (rb.getScopeMetricsCount() > 0) {
        out.add(rb.build());
      }
    }
    return out;
  }
}
