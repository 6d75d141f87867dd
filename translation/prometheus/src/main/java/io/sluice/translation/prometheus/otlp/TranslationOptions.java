package io.sluice.translation.prometheus.otlp;

import java.util.Map;
import java.util.TreeMap;

/**
 * How {@link OtlpToPrometheus} translates.
 *
 * @param namespace prefix for every metric name (joined with {@code _}); empty for none
 * @param addMetricSuffixes unit, {@code _total} and {@code _ratio} suffixes
 * @param resourceToTelemetry copy every resource attribute onto every series
 * @param targetInfo emit one {@code target_info} series per (job, instance)
 * @param scopeLabels add {@code otel_scope_*} labels
 * @param externalLabels added to every series that does not have a label of that name already;
 *     names must already be valid label names
 * @param createdSeries which counters, histograms and summaries also get a {@code _created}
 *     series (their start time in seconds)
 */
public record TranslationOptions(String namespace, boolean addMetricSuffixes, boolean resourceToTelemetry,
    boolean targetInfo, boolean scopeLabels, Map<String, String> externalLabels, CreatedSeries createdSeries) {

  /** Which points with a start time get a {@code _created} series. */
  public enum CreatedSeries {
    /** None. */
    NONE,
    /**
     * Those the {@code prometheus} receiver scraped with a {@code _created} sample, so that the
     * series written are the ones the target served, as Prometheus stores them.
     */
    SCRAPED,
    /** Every monotonic sum, histogram and summary point with a start time (and scraped ones). */
    ALL
  }

  public TranslationOptions {
    namespace = namespace == null ? "" : namespace;
    externalLabels = externalLabels == null ? Map.of() : Map.copyOf(new TreeMap<>(externalLabels));
    createdSeries = createdSeries == null ? CreatedSeries.SCRAPED : createdSeries;
  }

  /** Options that write {@code _created} series for scraped data only. */
  public TranslationOptions(String namespace, boolean addMetricSuffixes, boolean resourceToTelemetry,
      boolean targetInfo, boolean scopeLabels, Map<String, String> externalLabels) {
    this(namespace, addMetricSuffixes, resourceToTelemetry, targetInfo, scopeLabels, externalLabels,
        CreatedSeries.SCRAPED);
  }

  /** These options with {@code createdSeries} replaced. */
  public TranslationOptions withCreatedSeries(CreatedSeries created) {
    return new TranslationOptions(namespace, addMetricSuffixes, resourceToTelemetry, targetInfo, scopeLabels,
        externalLabels, created);
  }

  /** The Collector's defaults: suffixes, target_info and scope labels on, no namespace, no external labels. */
  public static TranslationOptions defaults() {
    return new TranslationOptions("", true, false, true, true, Map.of());
  }
}
