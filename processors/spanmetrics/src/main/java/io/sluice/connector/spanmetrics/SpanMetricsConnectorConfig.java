package io.sluice.connector.spanmetrics;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.config.GoDurations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Config of the {@code spanmetrics} connector, with the Collector's key names and defaults.
 *
 * @param dimensions attributes added as dimensions to every metric, on top of {@code service.name},
 *     {@code span.name}, {@code span.kind} and {@code status.code}: looked up in the span's
 *     attributes, then the resource's, else the default; without a default a missing attribute is
 *     left out
 * @param callsDimensions more dimensions for the calls metric only
 * @param excludeDimensions default dimensions to leave out ({@code status.code}, ...)
 * @param dimensionsCacheSize deprecated in the Collector, where it has no effect; accepted
 * @param resourceMetricsCacheSize the most resources whose series are kept, split evenly across the
 *     event loops' shards; the least recently used resource past it is flushed once more and then
 *     forgotten
 * @param resourceMetricsKeyAttributes the resource attributes that tell resources apart (all of
 *     them when empty); the metrics' resource carries the first resource's full attributes
 * @param aggregationTemporality {@code AGGREGATION_TEMPORALITY_CUMULATIVE} (default) or
 *     {@code AGGREGATION_TEMPORALITY_DELTA}
 * @param histogram the duration histogram
 * @param metricsFlushInterval how often metrics are sent into the metrics pipeline
 * @param metricsExpiration a series that saw no span for this long is dropped after its next flush;
 *     0 keeps series for ever
 * @param metricTimestampCacheSize with delta temporality, how many series per shard remember their
 *     last flush time (the next point's start time); null for the default, 1000
 * @param namespace prefix of the metric names, joined with a dot ({@code traces.span.metrics.calls})
 * @param exemplars exemplars of the spans seen in a flush interval
 * @param events the events metric
 * @param includeInstrumentationScope scope names whose spans carry the scope's name and version as
 *     dimensions
 * @param aggregationCardinalityLimit the most series per resource and metric; spans past it count in
 *     one series with the single attribute {@code otel.metric.overflow=true}; 0 means no limit
 * @param addResourceAttributes accepted; the metrics always carry the resource's attributes, as the
 *     Collector's do by default
 * @param enableMetricsSamplingMethod adds {@code sampling.method}: {@code extrapolated} for spans
 *     whose tracestate carries a sampling threshold, {@code counted} for the others
 */
public record SpanMetricsConnectorConfig(
    List<Dimension> dimensions,
    List<Dimension> callsDimensions,
    List<String> excludeDimensions,
    int dimensionsCacheSize,
    int resourceMetricsCacheSize,
    List<String> resourceMetricsKeyAttributes,
    String aggregationTemporality,
    HistogramConfig histogram,
    Duration metricsFlushInterval,
    Duration metricsExpiration,
    Integer metricTimestampCacheSize,
    String namespace,
    ExemplarsConfig exemplars,
    EventsConfig events,
    List<String> includeInstrumentationScope,
    int aggregationCardinalityLimit,
    boolean addResourceAttributes,
    boolean enableMetricsSamplingMethod)
    implements ComponentConfig {

  public static final String CUMULATIVE = "AGGREGATION_TEMPORALITY_CUMULATIVE";
  public static final String DELTA = "AGGREGATION_TEMPORALITY_DELTA";
  public static final String DEFAULT_NAMESPACE = "traces.span.metrics";
  /** The Collector's default explicit buckets, in milliseconds. */
  static final double[] DEFAULT_BUCKETS_MS = {
    2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000
  };
  static final int DEFAULT_EXPONENTIAL_MAX_SIZE = 160;
  static final int MAX_EXPONENTIAL_MAX_SIZE = 16384;
  static final int DEFAULT_TIMESTAMP_CACHE_SIZE = 1000;
  /** The dimensions every metric has unless excluded. */
  static final List<String> DEFAULT_DIMENSIONS = List.of("service.name", "span.name", "span.kind", "status.code");

  public SpanMetricsConnectorConfig {
    dimensions = copy(dimensions);
    callsDimensions = copy(callsDimensions);
    excludeDimensions = copy(excludeDimensions);
    resourceMetricsKeyAttributes = copy(resourceMetricsKeyAttributes);
    includeInstrumentationScope = copy(includeInstrumentationScope);
    histogram = histogram == null ? HistogramConfig.defaults() : histogram;
    exemplars = exemplars == null ? ExemplarsConfig.defaults() : exemplars;
    events = events == null ? EventsConfig.defaults() : events;
    namespace = namespace == null ? "" : namespace;
  }

  /** The Collector's defaults (v0.148.0): cumulative, 60 s flushes, explicit histograms in ms. */
  public static SpanMetricsConnectorConfig defaults() {
    return new SpanMetricsConnectorConfig(List.of(), List.of(), List.of(), 0, 1000, List.of(), CUMULATIVE,
        HistogramConfig.defaults(), Duration.ofSeconds(60), Duration.ZERO, null, DEFAULT_NAMESPACE,
        ExemplarsConfig.defaults(), EventsConfig.defaults(), List.of(), 0, false, false);
  }

  /**
   * One dimension: an attribute name and the value to use when a span has no such attribute.
   *
   * @param name the attribute looked up
   * @param defaultValue the value when it is missing ({@code default}); null leaves the dimension out
   */
  public record Dimension(String name, @JsonProperty("default") String defaultValue) {
    public static Dimension of(String name) {
      return new Dimension(name, null);
    }
  }

  /**
   * @param disable no duration metric at all
   * @param unit {@code ms} (the default) or {@code s}: the unit durations are recorded in
   * @param explicit explicit buckets; the default when neither this nor {@code exponential} is set
   * @param exponential base-2 exponential buckets
   * @param dimensions more dimensions for the duration metric only
   */
  public record HistogramConfig(boolean disable, String unit, ExplicitHistogramConfig explicit,
      ExponentialHistogramConfig exponential, List<Dimension> dimensions) {
    public HistogramConfig {
      dimensions = copy(dimensions);
    }

    static HistogramConfig defaults() {
      return new HistogramConfig(false, "ms", null, null, List.of());
    }

    /** True when the unit is seconds. */
    boolean seconds() {
      return "s".equalsIgnoreCase(unit);
    }
  }

  /** @param buckets the buckets' upper bounds as durations; null for the Collector's default buckets */
  public record ExplicitHistogramConfig(List<Duration> buckets) {}

  /** @param maxSize the most buckets for positive values (and as many for negative); 0 for 160 */
  public record ExponentialHistogramConfig(int maxSize) {}

  /**
   * @param enabled attach the trace and span id of spans to the points they counted in
   * @param maxPerDataPoint the most exemplars on one point per flush interval
   */
  public record ExemplarsConfig(boolean enabled, int maxPerDataPoint) {
    static ExemplarsConfig defaults() {
      return new ExemplarsConfig(false, 5);
    }
  }

  /**
   * @param enabled count span events in a metric of their own
   * @param dimensions event attributes added as its dimensions (required when enabled)
   */
  public record EventsConfig(boolean enabled, List<Dimension> dimensions) {
    public EventsConfig {
      dimensions = copy(dimensions);
    }

    static EventsConfig defaults() {
      return new EventsConfig(false, List.of());
    }
  }

  /** True for delta temporality. */
  boolean delta() {
    return DELTA.equals(aggregationTemporality);
  }

  /** The explicit bucket bounds in the histogram's unit. */
  double[] explicitBounds() {
    boolean seconds = histogram.seconds();
    ExplicitHistogramConfig e = histogram.explicit();
    if (e == null || e.buckets() == null) {
      double[] b = DEFAULT_BUCKETS_MS.clone();
      if (seconds) {
        for (int i = 0; i < b.length; i++) {
          b[i] = b[i] / 1000.0;
        }
      }
      return b;
    }
    double divider = seconds ? 1e9 : 1e6;
    double[] b = new double[e.buckets().size()];
    for (int i = 0; i < b.length; i++) {
      b[i] = e.buckets().get(i).toNanos() / divider;
    }
    return b;
  }

  /** True when the duration histogram is exponential. */
  boolean exponentialHistogram() {
    return histogram.exponential() != null;
  }

  int exponentialMaxSize() {
    int n = histogram.exponential() == null ? 0 : histogram.exponential().maxSize();
    return n == 0 ? DEFAULT_EXPONENTIAL_MAX_SIZE : n;
  }

  int timestampCacheSize() {
    return metricTimestampCacheSize == null ? DEFAULT_TIMESTAMP_CACHE_SIZE : metricTimestampCacheSize;
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    checkDimensions("dimensions", dimensions, true, problems);
    checkDimensions("calls_dimensions", callsDimensions, false, problems);
    checkDimensions("histogram.dimensions", histogram.dimensions(), false, problems);
    if (events.enabled()) {
      if (events.dimensions().isEmpty()) {
        problems.add(new ConfigProblem("events.dimensions", "is empty while events.enabled is true; list the event"
            + " attributes to count events by, such as [{name: exception.type}]"));
      }
      checkDimensions("events.dimensions", events.dimensions(), true, problems);
    }
    for (int i = 0; i < excludeDimensions.size(); i++) {
      String d = excludeDimensions.get(i);
      if (d == null || d.isBlank()) {
        problems.add(new ConfigProblem("exclude_dimensions." + i, "is empty; name a default dimension such as"
            + " \"status.code\""));
      }
    }
    String unit = histogram.unit();
    if (unit == null || !(unit.equalsIgnoreCase("ms") || unit.equalsIgnoreCase("s"))) {
      problems.add(new ConfigProblem("histogram.unit", (unit == null ? "is empty" : "\"" + unit + "\" is not a unit")
          + "; use \"ms\" (milliseconds, the default) or \"s\" (seconds)"));
    }
    if (histogram.explicit() != null && histogram.exponential() != null) {
      problems.add(new ConfigProblem("histogram", "has both \"explicit\" and \"exponential\"; use either"
          + " explicit or exponential buckets"));
    }
    if (histogram.explicit() != null && histogram.explicit().buckets() != null) {
      List<Duration> buckets = histogram.explicit().buckets();
      for (int i = 0; i < buckets.size(); i++) {
        Duration b = buckets.get(i);
        if (b == null) {
          problems.add(new ConfigProblem("histogram.explicit.buckets." + i, "is empty; give a duration such as"
              + " \"100ms\""));
        } else if (b.isNegative()) {
          problems.add(new ConfigProblem("histogram.explicit.buckets." + i, "\"" + GoDurations.format(b)
              + "\" is negative; bucket bounds are durations of 0 or more"));
        } else if (i > 0 && buckets.get(i - 1) != null && b.compareTo(buckets.get(i - 1)) <= 0) {
          problems.add(new ConfigProblem("histogram.explicit.buckets." + i, "\"" + GoDurations.format(b)
              + "\" is not above the bucket before it (\"" + GoDurations.format(buckets.get(i - 1))
              + "\"); list the bounds in increasing order, each once"));
        }
      }
    }
    if (histogram.exponential() != null) {
      int n = histogram.exponential().maxSize();
      if (n != 0 && (n < 2 || n > MAX_EXPONENTIAL_MAX_SIZE)) {
        problems.add(new ConfigProblem("histogram.exponential.max_size", n + " is out of range; use 2 to "
            + MAX_EXPONENTIAL_MAX_SIZE + " buckets, or 0 for the default " + DEFAULT_EXPONENTIAL_MAX_SIZE));
      }
    }
    if (aggregationTemporality == null
        || !(aggregationTemporality.equals(CUMULATIVE) || aggregationTemporality.equals(DELTA))) {
      String hint = "";
      if (aggregationTemporality != null) {
        String upper = aggregationTemporality.toUpperCase(Locale.ROOT);
        if (upper.contains("DELTA")) {
          hint = "did you mean \"" + DELTA + "\"? ";
        } else if (upper.contains("CUMULATIVE")) {
          hint = "did you mean \"" + CUMULATIVE + "\"? ";
        }
      }
      problems.add(new ConfigProblem("aggregation_temporality", (aggregationTemporality == null ? "is empty"
          : "\"" + aggregationTemporality + "\" is not a temporality") + "; " + hint + "use \"" + CUMULATIVE
          + "\" (the default) or \"" + DELTA + "\""));
    }
    if (metricsFlushInterval == null || metricsFlushInterval.isNegative() || metricsFlushInterval.isZero()) {
      problems.add(new ConfigProblem("metrics_flush_interval", (metricsFlushInterval == null ? "is empty"
          : "\"" + GoDurations.format(metricsFlushInterval) + "\" is not positive")
          + "; give how often metrics are sent, such as \"60s\" (the default) or \"15s\""));
    }
    if (metricsExpiration == null || metricsExpiration.isNegative()) {
      problems.add(new ConfigProblem("metrics_expiration", (metricsExpiration == null ? "is empty"
          : "\"" + GoDurations.format(metricsExpiration) + "\" is negative")
          + "; give how long a series may go without spans before it is dropped, such as \"5m\", or \"0\" to keep"
          + " series for ever"));
    }
    if (delta() && timestampCacheSize() <= 0) {
      problems.add(new ConfigProblem("metric_timestamp_cache_size", timestampCacheSize() + " is not positive; with"
          + " delta temporality give how many series remember their last flush time, such as 1000 (the default)"));
    }
    if (resourceMetricsCacheSize <= 0) {
      problems.add(new ConfigProblem("resource_metrics_cache_size", resourceMetricsCacheSize + " is not positive;"
          + " give how many resources keep their series, such as 1000 (the default)"));
    }
    if (aggregationCardinalityLimit < 0) {
      problems.add(new ConfigProblem("aggregation_cardinality_limit", aggregationCardinalityLimit
          + " is negative; give the most series per resource and metric, or 0 for no limit"));
    }
    if (exemplars.enabled() && exemplars.maxPerDataPoint() < 0) {
      problems.add(new ConfigProblem("exemplars.max_per_data_point", exemplars.maxPerDataPoint()
          + " is negative; give the most exemplars per point, such as 5 (the default)"));
    }
    if (dimensionsCacheSize < 0) {
      problems.add(new ConfigProblem("dimensions_cache_size", dimensionsCacheSize + " is negative; remove the key"
          + " (it is deprecated; use aggregation_cardinality_limit)"));
    }
    for (int i = 0; i < resourceMetricsKeyAttributes.size(); i++) {
      if (resourceMetricsKeyAttributes.get(i) == null) {
        problems.add(new ConfigProblem("resource_metrics_key_attributes." + i, "is empty; name a resource"
            + " attribute such as \"service.name\""));
      }
    }
    for (int i = 0; i < includeInstrumentationScope.size(); i++) {
      if (includeInstrumentationScope.get(i) == null) {
        problems.add(new ConfigProblem("include_instrumentation_scope." + i, "is empty; name an instrumentation"
            + " scope"));
      }
    }
    return problems;
  }

  @Override
  public List<ConfigProblem> warnings() {
    List<ConfigProblem> warnings = new ArrayList<>();
    if (dimensionsCacheSize != 0) {
      warnings.add(new ConfigProblem("dimensions_cache_size", "is deprecated and has no effect, in Sluice as in the"
          + " Collector; use aggregation_cardinality_limit to bound the series"));
    }
    if (addResourceAttributes) {
      warnings.add(new ConfigProblem("add_resource_attributes", "changes nothing: the metrics always carry the"
          + " spans' resource attributes, as the Collector's do by default"));
    }
    return warnings;
  }

  /**
   * Checks names (present, no duplicates); with {@code reserved}, also that none repeats a default
   * dimension, as the Collector checks {@code dimensions} and {@code events.dimensions}.
   */
  private static void checkDimensions(String key, List<Dimension> dims, boolean reserved,
      List<ConfigProblem> problems) {
    Set<String> seen = new HashSet<>(reserved ? DEFAULT_DIMENSIONS : List.of());
    for (int i = 0; i < dims.size(); i++) {
      Dimension d = dims.get(i);
      if (d == null || d.name() == null || d.name().isEmpty()) {
        problems.add(new ConfigProblem(key + "." + i + ".name", "is empty; name the attribute to use as a"
            + " dimension, such as \"http.method\""));
      } else if (!seen.add(d.name())) {
        problems.add(new ConfigProblem(key + "." + i + ".name", "\"" + d.name() + "\" is "
            + (DEFAULT_DIMENSIONS.contains(d.name()) && reserved ? "a default dimension already" : "listed twice")
            + "; remove it"));
      }
    }
  }

  private static <T> List<T> copy(List<T> list) {
    // Nulls inside the list are kept (and reported by validate()) instead of failing the binding.
    return list == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(list));
  }
}
