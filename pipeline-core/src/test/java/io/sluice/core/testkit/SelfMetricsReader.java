package io.sluice.core.testkit;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DistributionDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.SummarySnapshot;
import io.sluice.core.telemetry.SelfMetrics;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Reads Sluice's self-metrics in tests from a scrape of the registry, as the metrics endpoint
 * would show them.
 *
 * <p>A name is written as registered ({@code sluice_exporter_sent_items}); a counter's may also
 * carry the {@code _total} it is exposed with. {@code labels} are name, value pairs, and a series
 * matches when it has all of them (its other labels may be anything):
 * {@code counter(metrics, "sluice_exporter_sent_items", "component_id", "otlp", "signal", "traces")}.
 * A name no metric has is an {@link AssertionError}, so a misspelt name cannot read as 0.
 */
public final class SelfMetricsReader {
  private SelfMetricsReader() {}

  /** The sum of a counter's matching series; 0 when none has counted yet. */
  public static double counter(SelfMetrics metrics, String name, String... labels) {
    double sum = 0;
    for (DataPointSnapshot dp : matching(metrics, name, List.of(CounterSnapshot.class), labels)) {
      sum += ((CounterDataPointSnapshot) dp).getValue();
    }
    return sum;
  }

  /** How many observations a histogram (or summary) has in its matching series; 0 when none. */
  public static long observations(SelfMetrics metrics, String name, String... labels) {
    long count = 0;
    for (DataPointSnapshot dp : matching(metrics, name, List.of(HistogramSnapshot.class, SummarySnapshot.class),
        labels)) {
      count += ((DistributionDataPointSnapshot) dp).getCount();
    }
    return count;
  }

  /** A gauge's value; exactly one series must match. */
  public static double gauge(SelfMetrics metrics, String name, String... labels) {
    List<DataPointSnapshot> found = matching(metrics, name, List.of(GaugeSnapshot.class), labels);
    if (found.size() != 1) {
      throw new AssertionError(found.size() + " series of gauge \"" + name + "\" match " + describe(labels)
          + "; expected exactly one");
    }
    return ((GaugeDataPointSnapshot) found.get(0)).getValue();
  }

  private static List<DataPointSnapshot> matching(SelfMetrics metrics, String name,
      List<Class<? extends MetricSnapshot>> types, String... labels) {
    if (labels.length % 2 != 0) {
      throw new IllegalArgumentException("labels must be name, value pairs; got " + labels.length + " strings");
    }
    List<String> names = new ArrayList<>();
    for (MetricSnapshot s : metrics.registry().scrape()) {
      String registered = s.getMetadata().getName();
      names.add(registered);
      boolean sameName = registered.equals(name)
          || (s instanceof CounterSnapshot && name.equals(registered + "_total"));
      if (!sameName) {
        continue;
      }
      if (types.stream().noneMatch(t -> t.isInstance(s))) {
        throw new AssertionError("\"" + name + "\" is a " + s.getClass().getSimpleName() + ", not a "
            + types.stream().map(Class::getSimpleName).collect(Collectors.joining(" or ")));
      }
      List<DataPointSnapshot> found = new ArrayList<>();
      for (DataPointSnapshot dp : s.getDataPoints()) {
        if (matches(dp.getLabels(), labels)) {
          found.add(dp);
        }
      }
      return found;
    }
    throw new AssertionError("no self-metric is named \"" + name + "\"; there are " + names);
  }

  private static boolean matches(Labels have, String[] want) {
    for (int i = 0; i < want.length; i += 2) {
      if (!want[i + 1].equals(have.get(want[i]))) {
        return false;
      }
    }
    return true;
  }

  private static String describe(String[] labels) {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < labels.length; i += 2) {
      sb.append(i == 0 ? "" : ", ").append(labels[i]).append("=\"").append(labels[i + 1]).append('"');
    }
    return sb.append('}').toString();
  }
}
