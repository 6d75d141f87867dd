package io.sluice.exporter.otlp;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DistributionDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.sluice.core.telemetry.SelfMetrics;

/** Reads one exporter's self-metrics from a registry scrape, as the metrics endpoint would show them. */
final class SelfMetricsReader {
  private SelfMetricsReader() {}

  /** A counter's value for one component and signal; 0 when it has no data point. */
  static double counter(SelfMetrics metrics, String name, String componentId, String signal) {
    for (MetricSnapshot s : metrics.registry().scrape()) {
      if (s instanceof CounterSnapshot c && s.getMetadata().getName().equals(name)) {
        for (CounterSnapshot.CounterDataPointSnapshot dp : c.getDataPoints()) {
          if (matches(dp, componentId, signal)) {
            return dp.getValue();
          }
        }
      }
    }
    return 0;
  }

  /** How many observations a histogram has for one component and signal. */
  static long observations(SelfMetrics metrics, String name, String componentId, String signal) {
    for (MetricSnapshot s : metrics.registry().scrape()) {
      if (s.getMetadata().getName().equals(name)) {
        for (DataPointSnapshot dp : s.getDataPoints()) {
          if (dp instanceof DistributionDataPointSnapshot d && matches(dp, componentId, signal)) {
            return d.getCount();
          }
        }
      }
    }
    return 0;
  }

  private static boolean matches(DataPointSnapshot dp, String componentId, String signal) {
    return componentId.equals(dp.getLabels().get("component_id")) && signal.equals(dp.getLabels().get("signal"));
  }
}
