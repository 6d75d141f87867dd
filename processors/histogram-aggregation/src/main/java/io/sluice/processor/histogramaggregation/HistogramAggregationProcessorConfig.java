package io.sluice.processor.histogramaggregation;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.config.GoDurations;
import io.sluice.processor.seriesstate.GaugeMode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Config of the {@code histogram_aggregation} processor.
 *
 * @param keepAttributes the point attributes the aggregated series keep; every other attribute is
 *     aggregated away. Exactly one of this and {@code dropAttributes} is set
 * @param dropAttributes the point attributes that are aggregated away; the rest are kept
 * @param interval how often the aggregated series are written (and quantiles taken)
 * @param seriesTtl an input series not updated for this long stops counting; an aggregated series
 *     not updated for this long is dropped, after one last stale point. At least {@code interval}
 * @param gaugeAggregation how the gauges of merged series combine: {@code last}, {@code min},
 *     {@code max} or {@code mean} of each series' latest value
 * @param quantiles quantiles (each in [0, 1]) to estimate from every aggregated histogram per
 *     interval, written as the gauge {@code <name>_quantile} with attribute {@code quantile}; none
 *     by default
 * @param exponentialMaxSize the most buckets of one sign an aggregated exponential histogram keeps;
 *     its scale is lowered until its buckets fit (160, as the OpenTelemetry SDKs)
 */
public record HistogramAggregationProcessorConfig(
    List<String> keepAttributes,
    List<String> dropAttributes,
    Duration interval,
    Duration seriesTtl,
    GaugeMode gaugeAggregation,
    List<Double> quantiles,
    int exponentialMaxSize)
    implements ComponentConfig {

  public HistogramAggregationProcessorConfig {
    // Nulls inside the lists are kept (and reported by validate()) instead of failing the binding.
    keepAttributes = keepAttributes == null ? null : Collections.unmodifiableList(new ArrayList<>(keepAttributes));
    dropAttributes = dropAttributes == null ? null : Collections.unmodifiableList(new ArrayList<>(dropAttributes));
    quantiles = quantiles == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(quantiles));
  }

  /** Written every minute, series idle for 5 minutes dropped, gauges by their last value, no quantiles. */
  public static HistogramAggregationProcessorConfig defaults() {
    return new HistogramAggregationProcessorConfig(null, null, Duration.ofSeconds(60), Duration.ofMinutes(5),
        GaugeMode.LAST, List.of(), 160);
  }

  /** Whether {@link #attributeKeys()} are the ones kept (else the ones dropped). */
  public boolean keeps() {
    return keepAttributes != null;
  }

  /** The keys of {@code keep_attributes} or {@code drop_attributes}, whichever is set. */
  public Set<String> attributeKeys() {
    List<String> keys = keepAttributes != null ? keepAttributes : dropAttributes != null ? dropAttributes : List.of();
    return Set.copyOf(keys);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (keepAttributes == null && dropAttributes == null) {
      problems.add(new ConfigProblem("keep_attributes", "is required: set keep_attributes (the attributes the"
          + " aggregated series keep, such as [\"http.route\"]) or drop_attributes (the ones aggregated away)"));
    } else if (keepAttributes != null && dropAttributes != null) {
      problems.add(new ConfigProblem("drop_attributes", "cannot be set together with keep_attributes; keep one of"
          + " the two"));
    }
    checkKeys(problems, "keep_attributes", keepAttributes);
    checkKeys(problems, "drop_attributes", dropAttributes);
    if (interval == null || interval.isNegative() || interval.isZero()) {
      problems.add(new ConfigProblem("interval", (interval == null ? "is empty" : "\"" + GoDurations.format(interval)
          + "\" is not positive") + "; give how often aggregated series are written, such as \"60s\""));
    }
    if (seriesTtl == null || seriesTtl.isNegative() || seriesTtl.isZero()) {
      problems.add(new ConfigProblem("series_ttl", (seriesTtl == null ? "is empty"
          : "\"" + GoDurations.format(seriesTtl) + "\" is not positive")
          + "; give how long a series may go without points before it is dropped, such as \"5m\""));
    } else if (interval != null && seriesTtl.compareTo(interval) < 0) {
      problems.add(new ConfigProblem("series_ttl", "\"" + GoDurations.format(seriesTtl) + "\" is shorter than"
          + " interval (\"" + GoDurations.format(interval) + "\"); series would expire between writes. Give at least"
          + " the interval, such as \"" + GoDurations.format(interval.multipliedBy(5)) + "\""));
    }
    if (gaugeAggregation == null) {
      problems.add(new ConfigProblem("gauge_aggregation", "is empty; use last, min, max or mean"));
    }
    Set<Double> seen = new HashSet<>();
    for (int i = 0; i < quantiles.size(); i++) {
      Double q = quantiles.get(i);
      if (q == null || q.isNaN() || q < 0 || q > 1) {
        problems.add(new ConfigProblem("quantiles." + i, (q == null ? "is empty" : q + " is not between 0 and 1")
            + "; give quantiles as fractions, such as [0.5, 0.9, 0.95, 0.99]"));
      } else if (!seen.add(q)) {
        problems.add(new ConfigProblem("quantiles." + i, q + " is listed twice; remove one"));
      }
    }
    if (exponentialMaxSize < 2) {
      problems.add(new ConfigProblem("exponential_max_size", exponentialMaxSize
          + " is too small; an exponential histogram needs at least 2 buckets of each sign (the SDKs use 160)"));
    }
    return problems;
  }

  private static void checkKeys(List<ConfigProblem> problems, String path, List<String> keys) {
    if (keys == null) {
      return;
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < keys.size(); i++) {
      String key = keys.get(i);
      if (key == null || key.isEmpty()) {
        problems.add(new ConfigProblem(path + "." + i, "is empty; give an attribute key such as \"http.route\""));
      } else if (!seen.add(key)) {
        problems.add(new ConfigProblem(path + "." + i, "\"" + key + "\" is listed twice; remove one"));
      }
    }
  }
}
