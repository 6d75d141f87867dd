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
 */
public record TranslationOptions(String namespace, boolean addMetricSuffixes, boolean resourceToTelemetry,
    boolean targetInfo, boolean scopeLabels, Map<String, String> externalLabels) {

  public TranslationOptions {
    namespace = namespace == null ? "" : namespace;
    externalLabels = externalLabels == null ? Map.of() : Map.copyOf(new TreeMap<>(externalLabels));
  }

  /** The Collector's defaults: suffixes, target_info and scope labels on, no namespace, no external labels. */
  public static TranslationOptions defaults() {
    return new TranslationOptions("", true, false, true, true, Map.of());
  }
}
