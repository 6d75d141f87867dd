package io.sluice.processor.cardinalitylimit;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.config.GoDurations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Config of the {@code cardinality_limit} processor.
 *
 * @param maxSeriesPerMetric the most series one metric name may have; points of further series
 *     are folded into the metric's overflow series (2000, the OpenTelemetry SDKs' default
 *     cardinality limit)
 * @param maxSeries the most series all metrics together may have; past it, new series of every
 *     metric are folded into their overflow series
 * @param seriesTtl a series without points for this long frees its slot
 */
public record CardinalityLimitProcessorConfig(int maxSeriesPerMetric, int maxSeries, Duration seriesTtl)
    implements ComponentConfig {

  /** 2000 series per metric, 100,000 in all, slots freed after 5 minutes without points. */
  public static CardinalityLimitProcessorConfig defaults() {
    return new CardinalityLimitProcessorConfig(2000, 100_000, Duration.ofMinutes(5));
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (maxSeriesPerMetric < 1) {
      problems.add(new ConfigProblem("max_series_per_metric", maxSeriesPerMetric
          + " is not a number of series; give at least 1, such as 2000"));
    }
    if (maxSeries < 1) {
      problems.add(new ConfigProblem("max_series", maxSeries + " is not a number of series; give at least 1, such as"
          + " 100000"));
    }
    if (seriesTtl == null || seriesTtl.isNegative() || seriesTtl.isZero()) {
      problems.add(new ConfigProblem("series_ttl", (seriesTtl == null ? "is empty"
          : "\"" + GoDurations.format(seriesTtl) + "\" is not positive")
          + "; give how long a series may go without points before its slot is freed, such as \"5m\""));
    }
    return problems;
  }
}
