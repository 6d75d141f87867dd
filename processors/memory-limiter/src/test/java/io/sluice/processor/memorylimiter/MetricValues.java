package io.sluice.processor.memorylimiter;

import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DistributionDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.sluice.core.telemetry.SelfMetrics;

/** Reads one series of the self-metrics: a counter's value or a histogram's count. */
final class MetricValues {
  private MetricValues() {}

  /** {@code labels} are name, value pairs; series without a match read as 0. */
  static double value(SelfMetrics metrics, String name, String... labels) {
    for (MetricSnapshot s : metrics.registry().scrape().stream().toList()) {
      if (!s.getMetadata().getName().equals(name)) {
        continue;
      }
      for (DataPointSnapshot dp : s.getDataPoints()) {
        boolean match = true;
        for (int i = 0; i < labels.length; i += 2) {
          match &= labels[i + 1].equals(dp.getLabels().get(labels[i]));
        }
        if (match) {
          if (dp instanceof CounterDataPointSnapshot c) {
            return c.getValue();
          }
          if (dp instanceof DistributionDataPointSnapshot d) {
            return d.getCount();
          }
        }
      }
    }
    return 0;
  }
}
