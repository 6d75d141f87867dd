package io.sluice.translation.prometheus.otlp;

import java.util.List;
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
 * @param resourceLabels the resource attributes copied onto every series when
 *     {@code resourceToTelemetry} is off ({@code resource_constant_labels}); none by default
 */
public record TranslationOptions(String namespace, boolean addMetricSuffixes, boolean resourceToTelemetry,
    boolean targetInfo, boolean scopeLabels, Map<String, String> externalLabels, CreatedSeries createdSeries,
    ResourceLabelFilter resourceLabels) {

  /**
   * Which resource attributes become labels: those matching a pattern of {@code included} and
   * none of {@code excluded}. Patterns are attribute names where {@code *} stands for any run of
   * characters.
   */
  public record ResourceLabelFilter(List<String> included, List<String> excluded) {
    public ResourceLabelFilter {
      included = included == null ? List.of() : List.copyOf(included);
      excluded = excluded == null ? List.of() : List.copyOf(excluded);
    }

    /** A filter that takes no attribute. */
    public static ResourceLabelFilter none() {
      return new ResourceLabelFilter(List.of(), List.of());
    }

    public boolean isEmpty() {
      return included.isEmpty();
    }

    /** True when attribute {@code key} becomes a label. */
    public boolean test(String key) {
      return matchesAny(included, key) && !matchesAny(excluded, key);
    }

    private static boolean matchesAny(List<String> patterns, String key) {
      for (String p : patterns) {
        if (glob(p, key)) {
          return true;
        }
      }
      return false;
    }

    /** Whether {@code text} matches {@code pattern}, {@code *} matching any run of characters. */
    static boolean glob(String pattern, String text) {
      int star = pattern.indexOf('*');
      if (star < 0) {
        return pattern.equals(text);
      }
      String[] parts = pattern.split("\\*", -1);
      if (!text.startsWith(parts[0])) {
        return false;
      }
      int at = parts[0].length();
      for (int i = 1; i < parts.length - 1; i++) {
        int found = text.indexOf(parts[i], at);
        if (found < 0) {
          return false;
        }
        at = found + parts[i].length();
      }
      String last = parts[parts.length - 1];
      return text.length() - at >= last.length() && text.endsWith(last);
    }
  }

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
    resourceLabels = resourceLabels == null ? ResourceLabelFilter.none() : resourceLabels;
  }

  /** Options without resource constant labels. */
  public TranslationOptions(String namespace, boolean addMetricSuffixes, boolean resourceToTelemetry,
      boolean targetInfo, boolean scopeLabels, Map<String, String> externalLabels, CreatedSeries createdSeries) {
    this(namespace, addMetricSuffixes, resourceToTelemetry, targetInfo, scopeLabels, externalLabels, createdSeries,
        null);
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
        externalLabels, created, resourceLabels);
  }

  /** The Collector's defaults: suffixes, target_info and scope labels on, no namespace, no external labels. */
  public static TranslationOptions defaults() {
    return new TranslationOptions("", true, false, true, true, Map.of());
  }
}
