package io.sluice.translation.prometheus.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.sluice.core.otlp.AnyValues;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Translates OTLP metrics into Prometheus series, the way the Collector's Prometheus exporters do
 * (see SPECS §7): names with unit and type suffixes, sanitised label names whose colliding values
 * are joined with {@code ;}, {@code job}/{@code instance} from {@code service.*}, scope labels,
 * {@code target_info}, counters, gauges, classic histograms, summaries, stale markers for
 * {@code NO_RECORDED_VALUE} and exemplars.
 *
 * <p>Delta monotonic sums and delta histograms become cumulative counters and histograms when the
 * translator is given a {@link DeltaToCumulative} (which keeps their running totals); without
 * one they are dropped. Cumulative exponential histograms become native histograms
 * ({@link PromHistogram}: schema = scale, scales above 8 merged down to 8) when native histograms
 * are asked for (remote write 2.0); otherwise they are dropped. Not translated, and counted in
 * {@link PromWriteData#droppedPoints()}: delta non-monotonic sums, unspecified-temporality sums
 * and histograms, delta exponential histograms, and exponential histograms without a sum or with
 * a scale below -4.
 *
 * <p>An instance keeps scratch buffers and a cache of sanitised names: use it from one thread at
 * a time (an exporter calls it on its own context).
 */
public final class OtlpToPrometheus {
  /**
   * The instrumentation scope the {@code prometheus} receiver gives what it scrapes. Its series
   * are translated back without scope labels and without {@code target_info}, so that remote
   * write sends the series the target served, as Prometheus would.
   */
  public static final String SCRAPE_SCOPE_NAME = "io.sluice.receiver.prometheus";

  /**
   * {@code Metric.metadata} key under which the scrape receiver keeps how a target spelled the
   * {@code le} values of a histogram ({@code "1.0"}, {@code "1e+09"}), as an array of the
   * spellings that differ from {@link PrometheusNaming#formatFloat}. Prometheus stores the text a
   * target served, so bucket series written back use it rather than a reformatted number.
   */
  public static final String LE_SPELLINGS_KEY = "prometheus.le";
  /** As {@link #LE_SPELLINGS_KEY}, for the {@code quantile} values of a summary. */
  public static final String QUANTILE_SPELLINGS_KEY = "prometheus.quantile";

  /** Prometheus' stale marker. Never do arithmetic on it; compare raw bits. */
  public static final double STALE_NAN = Double.longBitsToDouble(0x7ff0000000000002L);
  public static final long STALE_NAN_BITS = 0x7ff0000000000002L;

  public static final String DROP_DELTA_SUM = "delta_sum";
  public static final String DROP_DELTA_HISTOGRAM = "delta_histogram";
  public static final String DROP_EXPONENTIAL_HISTOGRAM = "exponential_histogram";
  /** Exponential histograms that no native histogram can hold: delta, no sum, or a scale below -4. */
  public static final String DROP_EXPONENTIAL_HISTOGRAM_UNSUPPORTED = "exponential_histogram_unsupported";
  /** Native histograms' zero bucket width when the OTLP point gives none. */
  static final double DEFAULT_ZERO_THRESHOLD = 1e-128;
  public static final String DROP_TYPE_CONFLICT = "type_conflict";
  public static final String DROP_EMPTY_NAME = "empty_name";

  private static final int NO_RECORDED_VALUE = 1;
  private static final int NAME_CACHE_LIMIT = 4096;
  /** Metric names kept: enough for the families of many targets. */
  private static final int METRIC_NAME_CACHE_LIMIT = 1 << 16;
  // indexes into suffixed(name)
  private static final int SUM = 0;
  private static final int COUNT = 1;
  private static final int BUCKET = 2;
  private static final int CREATED = 3;
  /** {@code x_created} for a counter named {@code x_total}. */
  private static final int COUNTER_CREATED = 4;
  /** Scraped label sets unused for this long (at most twice as long) are forgotten. */
  private static final long LABEL_CACHE_PERIOD_NANOS = 5L * 60 * 1_000_000_000L;
  // slots of the label sets derived from a point's (ScrapedLabelCache.Entry)
  private static final int SUM_SLOT = 0;
  private static final int COUNT_SLOT = 1;
  private static final int CREATED_SLOT = 2;
  /** Bucket or quantile i is in slot FIRST_BOUND_SLOT + i. */
  private static final int FIRST_BOUND_SLOT = 3;
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private final TranslationOptions options;
  private final String[] external;
  private final Map<String, String> labelNameCache = new HashMap<>();
  /**
   * Prometheus names of OTLP metric names, and the series names derived from them: computed once
   * and then the same String objects batch after batch, so that what hashes or encodes them
   * further on (the exporter's caches) meets known strings.
   */
  private final Map<NameKey, String> metricNames = new HashMap<>();
  private final Map<String, String[]> suffixedNames = new HashMap<>();
  private final Labels scratch = new Labels();
  /** Running totals of delta streams; null when deltas are dropped. */
  private final DeltaToCumulative deltas;
  private final boolean nativeHistograms;
  private final String[] refusal = new String[1];
  /** Label sets of scraped series, kept from batch to batch. */
  private final ScrapedLabelCache scrapedLabels = new ScrapedLabelCache();
  private long nextLabelPeriodNanos = System.nanoTime() + LABEL_CACHE_PERIOD_NANOS;

  // per-call state
  /** Series of the batch whose label sets are not kept (kept ones are found by their place). */
  private Map<PromLabels, PromSeries> series;
  /** Every series of the batch, in order. */
  private List<PromSeries> ordered;
  /** Counts batches, so that kept label sets tell whether they already have a series in this one. */
  private int batchNumber;
  private int lastSeriesCount;
  private Map<String, PromMetadata> metadata;
  private Map<String, Long> dropped;
  /** The family whose points are being translated; new series belong to it. */
  private PromMetadata family;
  private List<Double> lastBounds;
  private String[] lastBoundStrings;
  /** Whether the scope being translated is the scrape receiver's. */
  private boolean scrapedScope;
  /** The current metric's bound or quantile spellings (number to text), or null for the usual form. */
  private Map<Double, String> spellings;
  /** The label cache's context of the scope being translated; null when its points are not cached. */
  private ScrapedLabelCache.Context labelContext;
  /** The label cache's entry of the point being translated; null when not cached. */
  private ScrapedLabelCache.Entry entry;

  public OtlpToPrometheus(TranslationOptions options) {
    this(options, null);
  }

  /**
   * A translator that turns delta monotonic sums and delta histograms into cumulative series
   * with {@code deltas}' running totals (null drops them).
   */
  public OtlpToPrometheus(TranslationOptions options, DeltaToCumulative deltas) {
    this(options, deltas, false);
  }

  /**
   * A translator that also turns cumulative exponential histograms into native histograms
   * ({@link PromSeries#histograms()}) when {@code nativeHistograms} is set; remote write 2.0
   * carries them. Without it they are dropped.
   */
  public OtlpToPrometheus(TranslationOptions options, DeltaToCumulative deltas, boolean nativeHistograms) {
    this.options = options;
    this.deltas = deltas;
    this.nativeHistograms = nativeHistograms;
    TreeMap<String, String> sorted = new TreeMap<>(options.externalLabels());
    this.external = new String[sorted.size() * 2];
    int i = 0;
    for (Map.Entry<String, String> e : sorted.entrySet()) {
      external[i++] = e.getKey();
      external[i++] = e.getValue();
    }
  }

  public TranslationOptions options() {
    return options;
  }

  /** Translates one batch. */
  public PromWriteData translate(List<ResourceMetrics> resources) {
    series = new HashMap<>();
    // sized for as many series as the last batch had, so that the list does not grow step by step
    ordered = new ArrayList<>(Math.max(16, lastSeriesCount));
    batchNumber++;
    metadata = new LinkedHashMap<>();
    dropped = new TreeMap<>();
    Set<String> targets = new HashSet<>();
    if (deltas != null) {
      deltas.expire();
    }
    long now = System.nanoTime();
    if (now - nextLabelPeriodNanos >= 0) {
      scrapedLabels.advance();
      nextLabelPeriodNanos = now + LABEL_CACHE_PERIOD_NANOS;
    }
    try {
      for (ResourceMetrics rm : resources) {
        translateResource(rm, targets);
      }
      lastSeriesCount = ordered.size();
      for (PromSeries s : ordered) {
        s.sortSamples();
      }
      return new PromWriteData(ordered, new ArrayList<>(metadata.values()), dropped);
    } finally {
      series = null;
      ordered = null;
      metadata = null;
      dropped = null;
      family = null;
      labelContext = null;
      entry = null;
    }
  }

  private void translateResource(ResourceMetrics rm, Set<String> targets) {
    List<KeyValue> resAttrs = rm.getResource().getAttributesList();
    String serviceName = "";
    String serviceNamespace = "";
    String instance = "";
    boolean hasOtherAttributes = false;
    for (KeyValue kv : resAttrs) {
      switch (kv.getKey()) {
        case "service.name" -> serviceName = AnyValues.asString(kv.getValue());
        case "service.namespace" -> serviceNamespace = AnyValues.asString(kv.getValue());
        case "service.instance.id" -> instance = AnyValues.asString(kv.getValue());
        default -> hasOtherAttributes = true;
      }
    }
    String job = serviceName.isEmpty() ? "" : serviceNamespace.isEmpty() ? serviceName
        : serviceNamespace + "/" + serviceName;
    ResourceContext rc = new ResourceContext(job, instance,
        options.resourceToTelemetry() ? sanitizedPairs(resAttrs)
            : options.resourceLabels().isEmpty() ? new String[0] : sanitizedPairs(constantLabels(resAttrs)));
    boolean scraped = false;
    for (ScopeMetrics sm : rm.getScopeMetricsList()) {
      // Series Sluice scraped go back out as Prometheus would send them: no scope labels of the
      // scrape receiver's own, and no target_info (its resource describes the scrape target).
      boolean fromScrape = SCRAPE_SCOPE_NAME.equals(sm.getScope().getName());
      scraped |= fromScrape;
      scrapedScope = fromScrape;
      String[] scopeLabels = options.scopeLabels() && !fromScrape
          ? scopeLabels(sm.getScope(), sm.getSchemaUrl()) : new String[0];
      // The scrape receiver reuses its attribute objects from scrape to scrape: their label
      // sets are worth keeping. Other sources build new ones every time.
      labelContext = fromScrape ? scrapedLabels.context(rc.job, rc.instance, rc.resourceLabels, scopeLabels) : null;
      for (Metric m : sm.getMetricsList()) {
        translateMetric(m, rc, scopeLabels);
      }
    }
    if (options.targetInfo() && hasOtherAttributes && !scraped && rc.latestMs != Long.MIN_VALUE
        && targets.add(job + '\u0000' + instance)) {
      Labels l = scratch.reset();
      for (KeyValue kv : resAttrs) {
        String k = kv.getKey();
        if (!k.equals("service.name") && !k.equals("service.namespace") && !k.equals("service.instance.id")) {
          l.add(labelName(k), AnyValues.asString(kv.getValue()));
        }
      }
      l.sortAndJoin();
      finishLabels(l, rc, "target_info");
      family = new PromMetadata(PromMetricType.GAUGE, "target_info", "Target metadata", "");
      addMetadata(family);
      seriesFor(new PromLabels(l.toArray())).add(rc.latestMs, 1.0);
    }
  }

  private static final class ResourceContext {
    final String job;
    final String instance;
    final String[] resourceLabels;
    long latestMs = Long.MIN_VALUE;

    ResourceContext(String job, String instance, String[] resourceLabels) {
      this.job = job;
      this.instance = instance;
      this.resourceLabels = resourceLabels;
    }

    void seen(long ms) {
      if (ms > latestMs) {
        latestMs = ms;
      }
    }
  }

  private String[] scopeLabels(InstrumentationScope scope, String schemaUrl) {
    if (scope.getName().isEmpty()) {
      return new String[0];
    }
    List<String> out = new ArrayList<>();
    out.add("otel_scope_name");
    out.add(scope.getName());
    if (!scope.getVersion().isEmpty()) {
      out.add("otel_scope_version");
      out.add(scope.getVersion());
    }
    if (schemaUrl != null && !schemaUrl.isEmpty()) {
      out.add("otel_scope_schema_url");
      out.add(schemaUrl);
    }
    for (KeyValue kv : scope.getAttributesList()) {
      String k = kv.getKey();
      if (k.equals("name") || k.equals("version") || k.equals("schema_url")) {
        continue;
      }
      out.add(labelName("otel_scope_" + k));
      out.add(AnyValues.asString(kv.getValue()));
    }
    return out.toArray(new String[0]);
  }

  /** The resource attributes {@code resource_constant_labels} selects. */
  private List<KeyValue> constantLabels(List<KeyValue> attrs) {
    List<KeyValue> out = new ArrayList<>();
    for (KeyValue kv : attrs) {
      if (options.resourceLabels().test(kv.getKey())) {
        out.add(kv);
      }
    }
    return out;
  }

  private String[] sanitizedPairs(List<KeyValue> attrs) {
    String[] out = new String[attrs.size() * 2];
    int i = 0;
    for (KeyValue kv : attrs) {
      out[i++] = labelName(kv.getKey());
      out[i++] = AnyValues.asString(kv.getValue());
    }
    return out;
  }

  private void translateMetric(Metric m, ResourceContext rc, String[] scopeLabels) {
    spellings = null;
    String unit = m.getUnit();
    boolean suffixes = options.addMetricSuffixes();
    String ns = options.namespace();
    switch (m.getDataCase()) {
      case GAUGE -> {
        String name = metricName(m.getName(), unit, PrometheusNaming.Kind.GAUGE, ns, suffixes);
        if (acceptFamily(name, PromMetricType.GAUGE, m, m.getGauge().getDataPointsCount())) {
          numberPoints(m.getGauge().getDataPointsList(), name, rc, scopeLabels, false);
        }
      }
      case SUM -> {
        var sum = m.getSum();
        if (sum.getAggregationTemporality() != AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE) {
          if (deltas == null || !sum.getIsMonotonic()
              || sum.getAggregationTemporality() != AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA) {
            drop(DROP_DELTA_SUM, sum.getDataPointsCount());
            return;
          }
          String name = metricName(m.getName(), unit, PrometheusNaming.Kind.COUNTER, ns, suffixes);
          if (acceptFamily(name, PromMetricType.COUNTER, m, sum.getDataPointsCount())) {
            deltaSumPoints(sum.getDataPointsList(), name, rc, scopeLabels);
          }
          return;
        }
        boolean counter = sum.getIsMonotonic();
        String name = metricName(m.getName(), unit,
            counter ? PrometheusNaming.Kind.COUNTER : PrometheusNaming.Kind.GAUGE, ns, suffixes);
        if (acceptFamily(name, counter ? PromMetricType.COUNTER : PromMetricType.GAUGE, m, sum.getDataPointsCount())) {
          numberPoints(sum.getDataPointsList(), name, rc, scopeLabels, counter);
        }
      }
      case HISTOGRAM -> {
        var h = m.getHistogram();
        boolean delta = h.getAggregationTemporality() == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
        if (h.getAggregationTemporality() != AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE
            && (deltas == null || !delta)) {
          drop(DROP_DELTA_HISTOGRAM, h.getDataPointsCount());
          return;
        }
        String name = metricName(m.getName(), unit, PrometheusNaming.Kind.HISTOGRAM, ns, suffixes);
        if (acceptFamily(name, PromMetricType.HISTOGRAM, m, h.getDataPointsCount())) {
          spellings = spellings(m, LE_SPELLINGS_KEY);
          for (HistogramDataPoint p : h.getDataPointsList()) {
            if (delta) {
              deltaHistogramPoint(p, name, rc, scopeLabels);
            } else {
              histogramPoint(p, name, rc, scopeLabels);
            }
          }
        }
      }
      case SUMMARY -> {
        var s = m.getSummary();
        String name = metricName(m.getName(), unit, PrometheusNaming.Kind.SUMMARY, ns, suffixes);
        if (acceptFamily(name, PromMetricType.SUMMARY, m, s.getDataPointsCount())) {
          spellings = spellings(m, QUANTILE_SPELLINGS_KEY);
          for (SummaryDataPoint p : s.getDataPointsList()) {
            summaryPoint(p, name, rc, scopeLabels);
          }
        }
      }
      case EXPONENTIAL_HISTOGRAM -> {
        var eh = m.getExponentialHistogram();
        if (!nativeHistograms) {
          drop(DROP_EXPONENTIAL_HISTOGRAM, eh.getDataPointsCount());
          return;
        }
        if (eh.getAggregationTemporality() != AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE) {
          drop(DROP_EXPONENTIAL_HISTOGRAM_UNSUPPORTED, eh.getDataPointsCount());
          return;
        }
        String name = metricName(m.getName(), unit, PrometheusNaming.Kind.HISTOGRAM, ns, suffixes);
        if (acceptFamily(name, PromMetricType.HISTOGRAM, m, eh.getDataPointsCount())) {
          for (ExponentialHistogramDataPoint p : eh.getDataPointsList()) {
            nativeHistogramPoint(p, name, rc, scopeLabels);
          }
        }
      }
      default -> {
        // a metric without data has no points to count
      }
    }
  }

  private record NameKey(String name, String unit, PrometheusNaming.Kind kind, boolean suffixes) {
  }

  private String metricName(String name, String unit, PrometheusNaming.Kind kind, String namespace, boolean suffixes) {
    NameKey key = new NameKey(name, unit, kind, suffixes);
    String known = metricNames.get(key);
    if (known == null) {
      if (metricNames.size() >= METRIC_NAME_CACHE_LIMIT) {
        metricNames.clear();
      }
      known = PrometheusNaming.metricName(name, unit, kind, namespace, suffixes);
      metricNames.put(key, known);
    }
    return known;
  }

  /** {@code name_sum}, {@code _count}, {@code _bucket}, {@code _created}, and {@code _created} without {@code _total}. */
  private String[] suffixed(String name) {
    String[] known = suffixedNames.get(name);
    if (known == null) {
      if (suffixedNames.size() >= METRIC_NAME_CACHE_LIMIT) {
        suffixedNames.clear();
      }
      String base = name.endsWith("_total") ? name.substring(0, name.length() - 6) : name;
      known = new String[] {name + "_sum", name + "_count", name + "_bucket", name + "_created", base + "_created"};
      suffixedNames.put(name, known);
    }
    return known;
  }

  /** Records the family's metadata; false (and the points counted as dropped) when the name is unusable or its type conflicts. */
  private boolean acceptFamily(String name, PromMetricType type, Metric m, int points) {
    if (name.isEmpty()) {
      drop(DROP_EMPTY_NAME, points);
      return false;
    }
    PromMetadata known = metadata.get(name);
    if (known != null) {
      if (known.type() != type) {
        drop(DROP_TYPE_CONFLICT, points);
        return false;
      }
      family = known;
      return true;
    }
    family = new PromMetadata(type, name, m.getDescription(), PrometheusNaming.unitName(m.getUnit()));
    addMetadata(family);
    return true;
  }

  private void addMetadata(PromMetadata md) {
    metadata.putIfAbsent(md.familyName(), md);
  }

  private void drop(String reason, int points) {
    if (points > 0) {
      dropped.merge(reason, (long) points, Long::sum);
    }
  }

  private void numberPoints(List<NumberDataPoint> points, String name, ResourceContext rc, String[] scopeLabels,
      boolean counter) {
    for (NumberDataPoint p : points) {
      long ts = millis(p.getTimeUnixNano());
      long start = counter ? startMillis(p.getStartTimeUnixNano(), ts) : 0;
      rc.seen(ts);
      double v = (p.getFlags() & NO_RECORDED_VALUE) != 0 ? STALE_NAN
          : p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? (double) p.getAsInt() : p.getAsDouble();
      PromLabels labels = pointSeries(p.getAttributesList(), rc, scopeLabels, name);
      PromSeries s = seriesFor(labels);
      s.add(ts, v, start);
      for (Exemplar e : p.getExemplarsList()) {
        s.addExemplar(exemplar(e));
      }
      if (counter) {
        createdSeries(labels, name, COUNTER_CREATED, p.getStartTimeUnixNano(), ts,
            (p.getFlags() & NO_RECORDED_VALUE) != 0);
      }
    }
  }

  /**
   * The {@code _created} sample of a point with a start time (named {@code suffixed(name)[which]}),
   * when the options ask for one: the start time in seconds (a stale marker for a stale point).
   */
  private void createdSeries(PromLabels labels, String name, int which, long startNanos, long ts, boolean stale) {
    if (startNanos == 0 || !(options.createdSeries() == TranslationOptions.CreatedSeries.ALL
        || options.createdSeries() == TranslationOptions.CreatedSeries.SCRAPED && scrapedScope)) {
      return;
    }
    double seconds = startNanos / 1_000_000_000L + (startNanos % 1_000_000_000L) / 1e9;
    seriesFor(derive(labels, CREATED_SLOT, suffixed(name)[which], null, null)).add(ts, stale ? STALE_NAN : seconds);
  }

  /** Delta counter points, added to their streams' running totals and written as the totals. */
  private void deltaSumPoints(List<NumberDataPoint> points, String name, ResourceContext rc, String[] scopeLabels) {
    for (NumberDataPoint p : points) {
      PromLabels labels = pointSeries(p.getAttributesList(), rc, scopeLabels, name);
      long ts = millis(p.getTimeUnixNano());
      if ((p.getFlags() & NO_RECORDED_VALUE) != 0) {
        rc.seen(ts);
        seriesFor(labels).add(ts, STALE_NAN);
        continue;
      }
      double v = p.getValueCase() == NumberDataPoint.ValueCase.AS_INT ? (double) p.getAsInt() : p.getAsDouble();
      DeltaToCumulative.State s = deltas.addSum(labels.array(), p.getStartTimeUnixNano(), p.getTimeUnixNano(), v, refusal);
      if (s == null) {
        drop(refusal[0], 1);
        continue;
      }
      rc.seen(ts);
      PromSeries series = seriesFor(labels);
      series.add(ts, s.value, startMillis(s.startNanos, ts));
      for (Exemplar e : p.getExemplarsList()) {
        series.addExemplar(exemplar(e));
      }
    }
  }

  /** A delta histogram point, added bucket by bucket to its stream's totals and written as a cumulative one. */
  private void deltaHistogramPoint(HistogramDataPoint p, String name, ResourceContext rc, String[] scopeLabels) {
    if ((p.getFlags() & NO_RECORDED_VALUE) != 0) {
      histogramPoint(p, name, rc, scopeLabels);
      return;
    }
    PromLabels base = pointSeries(p.getAttributesList(), rc, scopeLabels, name);
    DeltaToCumulative.State s = deltas.addHistogram(base.array(), p.getStartTimeUnixNano(), p.getTimeUnixNano(),
        p.getExplicitBoundsList(), p.getBucketCountsList(), p.getCount(), p.hasSum(), p.getSum(), refusal);
    if (s == null) {
      drop(refusal[0], 1);
      return;
    }
    HistogramDataPoint.Builder total = p.toBuilder().setStartTimeUnixNano(s.startNanos).setCount(s.count)
        .clearBucketCounts();
    for (long c : s.buckets) {
      total.addBucketCounts(c);
    }
    if (s.hasSum) {
      total.setSum(s.value);
    } else {
      total.clearSum();
    }
    histogramPoint(total.build(), base, name, rc);
  }

  private void histogramPoint(HistogramDataPoint p, String name, ResourceContext rc, String[] scopeLabels) {
    histogramPoint(p, pointSeries(p.getAttributesList(), rc, scopeLabels, name), name, rc);
  }

  private void histogramPoint(HistogramDataPoint p, PromLabels base, String name, ResourceContext rc) {
    String[] names = suffixed(name);
    long ts = millis(p.getTimeUnixNano());
    long start = startMillis(p.getStartTimeUnixNano(), ts);
    rc.seen(ts);
    boolean stale = (p.getFlags() & NO_RECORDED_VALUE) != 0;
    if (p.hasSum()) {
      seriesFor(derive(base, SUM_SLOT, names[SUM], null, null)).add(ts, stale ? STALE_NAN : p.getSum(), start);
    }
    seriesFor(derive(base, COUNT_SLOT, names[COUNT], null, null))
        .add(ts, stale ? STALE_NAN : (double) p.getCount(), start);
    createdSeries(base, name, CREATED, p.getStartTimeUnixNano(), ts, stale);

    String bucketName = names[BUCKET];
    String[] bounds = boundStrings(p.getExplicitBoundsList());
    int buckets = p.getBucketCountsCount();
    List<Exemplar> exemplars = p.getExemplarsList();
    long cumulative = 0;
    for (int i = 0; i <= bounds.length; i++) {
      // A point without bucket counts still has its +Inf bucket (= count).
      if (i < bounds.length && i >= buckets) {
        break;
      }
      boolean inf = i == bounds.length;
      if (!inf) {
        cumulative += p.getBucketCounts(i);
      }
      double value = stale ? STALE_NAN : inf ? (double) p.getCount() : (double) cumulative;
      PromSeries s = seriesFor(derive(base, FIRST_BOUND_SLOT + i, bucketName, "le",
          inf ? spelled(Double.POSITIVE_INFINITY) : bounds[i]));
      s.add(ts, value, start);
      if (!exemplars.isEmpty()) {
        double upper = inf ? Double.POSITIVE_INFINITY : p.getExplicitBounds(i);
        double lower = i == 0 ? Double.NEGATIVE_INFINITY : p.getExplicitBounds(i - 1);
        for (Exemplar e : exemplars) {
          double ev = exemplarValue(e);
          if (ev <= upper && (ev > lower || i == 0)) {
            s.addExemplar(exemplar(e));
          }
        }
      }
    }
  }

  /** A cumulative exponential histogram point as one native histogram sample. */
  private void nativeHistogramPoint(ExponentialHistogramDataPoint p, String name, ResourceContext rc,
      String[] scopeLabels) {
    boolean stale = (p.getFlags() & NO_RECORDED_VALUE) != 0;
    int scale = p.getScale();
    if ((!stale && !p.hasSum()) || scale < -4) {
      drop(DROP_EXPONENTIAL_HISTOGRAM_UNSUPPORTED, 1);
      return;
    }
    int scaleDown = Math.max(0, scale - 8);
    long ts = millis(p.getTimeUnixNano());
    long start = startMillis(p.getStartTimeUnixNano(), ts);
    rc.seen(ts);
    PromSeries series = seriesFor(pointSeries(p.getAttributesList(), rc, scopeLabels, name));
    double zeroThreshold = p.getZeroThreshold() > 0 ? p.getZeroThreshold() : DEFAULT_ZERO_THRESHOLD;
    PromHistogram h;
    if (stale) {
      h = new PromHistogram(ts, start, 0, STALE_NAN, scale - scaleDown, zeroThreshold, 0, new int[0], new long[0],
          new int[0], new long[0]);
    } else {
      Buckets pos = buckets(p.getPositive(), scaleDown);
      Buckets neg = buckets(p.getNegative(), scaleDown);
      h = new PromHistogram(ts, start, p.getCount(), p.getSum(), scale - scaleDown, zeroThreshold, p.getZeroCount(),
          pos.spans, pos.deltas, neg.spans, neg.deltas);
    }
    series.addHistogram(h);
    for (Exemplar e : p.getExemplarsList()) {
      series.addExemplar(exemplar(e));
    }
  }

  private record Buckets(int[] spans, long[] deltas) {
  }

  /**
   * OTLP buckets (bucket {@code offset+i} covers {@code (base^(offset+i), base^(offset+i+1)]}) as
   * native spans and deltas (bucket {@code k} covers {@code (base^(k-1), base^k]}), merged
   * {@code 2^scaleDown} at a time; empty buckets are left out and split the spans.
   */
  private static Buckets buckets(ExponentialHistogramDataPoint.Buckets b, int scaleDown) {
    int n = b.getBucketCountsCount();
    long[] counts = new long[n];
    int[] indexes = new int[n];
    int m = 0;
    for (int i = 0; i < n; i++) {
      long c = b.getBucketCounts(i);
      if (c == 0) {
        continue;
      }
      // The OTLP index, downscaled, then shifted by one to the native index of the same bucket.
      int index = ((b.getOffset() + i) >> scaleDown) + 1;
      if (m > 0 && indexes[m - 1] == index) {
        counts[m - 1] += c;
      } else {
        indexes[m] = index;
        counts[m] = c;
        m++;
      }
    }
    List<Integer> spans = new ArrayList<>();
    long[] deltas = new long[m];
    long previous = 0;
    int spanStart = -1;
    int lastIndex = 0;
    for (int i = 0; i < m; i++) {
      if (i == 0 || indexes[i] != lastIndex + 1) {
        if (spanStart >= 0) {
          spans.add(i - spanStart);
        }
        spans.add(i == 0 ? indexes[i] : indexes[i] - lastIndex - 1);
        spanStart = i;
      }
      lastIndex = indexes[i];
      deltas[i] = counts[i] - previous;
      previous = counts[i];
    }
    if (spanStart >= 0) {
      spans.add(m - spanStart);
    }
    int[] spanArray = new int[spans.size()];
    for (int i = 0; i < spanArray.length; i++) {
      spanArray[i] = spans.get(i);
    }
    return new Buckets(spanArray, deltas);
  }

  private void summaryPoint(SummaryDataPoint p, String name, ResourceContext rc, String[] scopeLabels) {
    long ts = millis(p.getTimeUnixNano());
    long start = startMillis(p.getStartTimeUnixNano(), ts);
    rc.seen(ts);
    boolean stale = (p.getFlags() & NO_RECORDED_VALUE) != 0;
    PromLabels base = pointSeries(p.getAttributesList(), rc, scopeLabels, name);
    String[] names = suffixed(name);
    seriesFor(derive(base, SUM_SLOT, names[SUM], null, null)).add(ts, stale ? STALE_NAN : p.getSum(), start);
    seriesFor(derive(base, COUNT_SLOT, names[COUNT], null, null))
        .add(ts, stale ? STALE_NAN : (double) p.getCount(), start);
    createdSeries(base, name, CREATED, p.getStartTimeUnixNano(), ts, stale);
    int slot = FIRST_BOUND_SLOT;
    for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
      seriesFor(derive(base, slot++, name, "quantile", spelled(q.getQuantile())))
          .add(ts, stale ? STALE_NAN : q.getValue());
    }
  }

  private String[] boundStrings(List<Double> bounds) {
    if (spellings == null && bounds.equals(lastBounds)) {
      return lastBoundStrings;
    }
    String[] out = new String[bounds.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = spelled(bounds.get(i));
    }
    if (spellings == null) {
      lastBounds = bounds;
      lastBoundStrings = out;
    }
    return out;
  }

  /** An {@code le} or {@code quantile} value as the scraped target spelled it, else in the usual form. */
  private String spelled(double v) {
    if (spellings != null) {
      String text = spellings.get(v);
      if (text != null) {
        return text;
      }
    }
    return PrometheusNaming.formatFloat(v);
  }

  /** The spellings a metric's metadata carries under {@code key}, by the number they stand for; null if none. */
  private static Map<Double, String> spellings(Metric m, String key) {
    if (m.getMetadataCount() == 0) {
      return null;
    }
    for (KeyValue kv : m.getMetadataList()) {
      if (!kv.getKey().equals(key) || !kv.getValue().hasArrayValue()) {
        continue;
      }
      Map<Double, String> out = new HashMap<>();
      for (var v : kv.getValue().getArrayValue().getValuesList()) {
        double number = PrometheusNaming.parseFloat(v.getStringValue());
        if (!Double.isNaN(number)) {
          out.putIfAbsent(number, v.getStringValue());
        }
      }
      return out.isEmpty() ? null : out;
    }
    return null;
  }

  private static double exemplarValue(Exemplar e) {
    return e.getValueCase() == Exemplar.ValueCase.AS_INT ? (double) e.getAsInt() : e.getAsDouble();
  }

  private PromExemplar exemplar(Exemplar e) {
    Labels l = new Labels();
    for (KeyValue kv : e.getFilteredAttributesList()) {
      l.add(labelName(kv.getKey()), AnyValues.asString(kv.getValue()));
    }
    l.sortAndJoin();
    if (!e.getTraceId().isEmpty()) {
      l.put("trace_id", hex(e.getTraceId()));
    }
    if (!e.getSpanId().isEmpty()) {
      l.put("span_id", hex(e.getSpanId()));
    }
    return new PromExemplar(l.toArray(), exemplarValue(e), millis(e.getTimeUnixNano()));
  }

  /** The point's attributes, scope labels and (with resource_to_telemetry) resource attributes, sorted and joined. */
  private Labels pointLabels(List<KeyValue> attrs, ResourceContext rc, String[] scopeLabels) {
    Labels l = scratch.reset();
    for (int i = 0; i < rc.resourceLabels.length; i += 2) {
      l.add(rc.resourceLabels[i], rc.resourceLabels[i + 1]);
    }
    for (int i = 0; i < scopeLabels.length; i += 2) {
      l.add(scopeLabels[i], scopeLabels[i + 1]);
    }
    for (KeyValue kv : attrs) {
      l.add(labelName(kv.getKey()), AnyValues.asString(kv.getValue()));
    }
    l.sortAndJoin();
    return l;
  }

  /** job and instance (winning over attributes), external labels (losing to them) and the name. */
  private void finishLabels(Labels l, ResourceContext rc, String name) {
    if (!rc.job.isEmpty()) {
      l.put("job", rc.job);
    }
    if (!rc.instance.isEmpty()) {
      l.put("instance", rc.instance);
    }
    for (int i = 0; i < external.length; i += 2) {
      l.putIfAbsent(external[i], external[i + 1]);
    }
    l.put("__name__", name);
  }

  /**
   * The batch's series of a label set. A kept label set (unique in content among those of its
   * context) knows its place in this batch; others are found by content.
   */
  private PromSeries seriesFor(PromLabels labels) {
    if (labels.kept) {
      if (labels.batch == batchNumber) {
        return ordered.get(labels.place);
      }
      labels.epoch = scrapedLabels.epoch();
      labels.batch = batchNumber;
      labels.place = ordered.size();
    } else {
      PromSeries known = series.get(labels);
      if (known != null) {
        return known;
      }
    }
    PromSeries s = new PromSeries(labels);
    s.metadata(family);
    if (!labels.kept) {
      series.put(labels, s);
    }
    ordered.add(s);
    return s;
  }

  /**
   * The label set of a point of metric {@code name}: its attributes, scope and resource labels,
   * job, instance, external labels and name. A scraped point's comes from the label cache when
   * its attribute objects are the ones seen before; {@link #entry} is then its cache entry.
   */
  private PromLabels pointSeries(List<KeyValue> attrs, ResourceContext rc, String[] scopeLabels, String name) {
    ScrapedLabelCache.Context c = labelContext;
    if (c != null) {
      ScrapedLabelCache.Entry e = scrapedLabels.find(c, name, attrs);
      if (e != null) {
        entry = e;
        return e.labels;
      }
    }
    Labels l = pointLabels(attrs, rc, scopeLabels);
    finishLabels(l, rc, name);
    PromLabels labels = new PromLabels(l.toArray());
    if (c == null) {
      entry = null;
      return labels;
    }
    entry = scrapedLabels.add(c, name, attrs, labels);
    return entry.labels;
  }

  /**
   * {@code base} with {@code __name__} replaced, and with one more label when {@code extraName}
   * is not null; kept in the point's cache entry under {@code slot} when {@code base} is the
   * current point's cached label set.
   */
  private PromLabels derive(PromLabels base, int slot, String name, String extraName, String extraValue) {
    ScrapedLabelCache.Entry e = entry != null && entry.labels == base ? entry : null;
    if (e != null) {
      PromLabels known = e.derived(slot, name, extraName, extraValue);
      if (known != null) {
        return known;
      }
    }
    PromLabels derived = new PromLabels(extraName == null ? withName(base.array(), name)
        : withNameAndExtra(base.array(), name, extraName, extraValue));
    if (e != null) {
      derived = scrapedLabels.keep(labelContext, derived);
      e.derived(slot, name, extraName, extraValue, derived);
    }
    return derived;
  }

  /** A copy of sorted labels with {@code __name__} replaced. */
  private static String[] withName(String[] labels, String name) {
    String[] out = labels.clone();
    for (int i = 0; i < out.length; i += 2) {
      if (out[i].equals("__name__")) {
        out[i + 1] = name;
        return out;
      }
    }
    throw new IllegalStateException("labels without __name__");
  }

  /** A copy with {@code __name__} replaced and one more label inserted in sorted place (or replaced). */
  private static String[] withNameAndExtra(String[] labels, String name, String extraName, String extraValue) {
    int pos = 0;
    boolean replace = false;
    for (; pos < labels.length; pos += 2) {
      int c = labels[pos].compareTo(extraName);
      if (c >= 0) {
        replace = c == 0;
        break;
      }
    }
    String[] out = new String[replace ? labels.length : labels.length + 2];
    System.arraycopy(labels, 0, out, 0, pos);
    out[pos] = extraName;
    out[pos + 1] = extraValue;
    int rest = replace ? pos + 2 : pos;
    System.arraycopy(labels, rest, out, pos + 2, labels.length - rest);
    for (int i = 0; i < out.length; i += 2) {
      if (out[i].equals("__name__")) {
        out[i + 1] = name;
      }
    }
    return out;
  }

  private String labelName(String key) {
    String cached = labelNameCache.get(key);
    if (cached == null) {
      cached = PrometheusNaming.labelName(key);
      if (labelNameCache.size() >= NAME_CACHE_LIMIT) {
        labelNameCache.clear();
      }
      labelNameCache.put(key, cached);
    }
    return cached;
  }

  /**
   * A point's start time in ms for remote write 2.0's {@code start_timestamp}: 0 (unset) when
   * absent or later than the sample; the epoch itself becomes 1, since 0 means unset.
   */
  static long startMillis(long startNanos, long sampleMs) {
    if (startNanos == 0) {
      return 0;
    }
    long ms = millis(startNanos);
    if (ms > sampleMs) {
      return 0;
    }
    return ms == 0 ? 1 : ms;
  }

  static long millis(long nanos) {
    return Math.floorDiv(nanos, 1_000_000L);
  }

  static String hex(ByteString bytes) {
    char[] out = new char[bytes.size() * 2];
    for (int i = 0; i < bytes.size(); i++) {
      int b = bytes.byteAt(i) & 0xff;
      out[2 * i] = HEX[b >>> 4];
      out[2 * i + 1] = HEX[b & 0xf];
    }
    return new String(out);
  }

  /**
   * A reusable label list: names and values in parallel arrays. Pairs with an empty name or
   * value are ignored, as Prometheus treats an empty value as an absent label.
   */
  static final class Labels {
    private String[] names = new String[16];
    private String[] values = new String[16];
    private int n;

    Labels reset() {
      n = 0;
      return this;
    }

    void add(String name, String value) {
      if (name.isEmpty() || value.isEmpty()) {
        return;
      }
      if (n == names.length) {
        names = Arrays.copyOf(names, n * 2);
        values = Arrays.copyOf(values, n * 2);
      }
      names[n] = name;
      values[n] = value;
      n++;
    }

    /** Sorts by name keeping the order of equal names, then joins their values with {@code ;}. */
    void sortAndJoin() {
      for (int i = 1; i < n; i++) {
        String kn = names[i];
        String kv = values[i];
        int j = i - 1;
        while (j >= 0 && names[j].compareTo(kn) > 0) {
          names[j + 1] = names[j];
          values[j + 1] = values[j];
          j--;
        }
        names[j + 1] = kn;
        values[j + 1] = kv;
      }
      int w = 0;
      for (int i = 0; i < n; i++) {
        if (w > 0 && names[w - 1].equals(names[i])) {
          values[w - 1] = values[w - 1] + ";" + values[i];
        } else {
          names[w] = names[i];
          values[w] = values[i];
          w++;
        }
      }
      n = w;
    }

    /** Sets a label, replacing one of that name; the list must be sorted. */
    void put(String name, String value) {
      set(name, value, true);
    }

    /** Sets a label unless one of that name exists; the list must be sorted. */
    void putIfAbsent(String name, String value) {
      set(name, value, false);
    }

    private void set(String name, String value, boolean replace) {
      if (value.isEmpty()) {
        return;
      }
      int pos = 0;
      while (pos < n) {
        int c = names[pos].compareTo(name);
        if (c == 0) {
          if (replace) {
            values[pos] = value;
          }
          return;
        }
        if (c > 0) {
          break;
        }
        pos++;
      }
      if (n == names.length) {
        names = Arrays.copyOf(names, n * 2);
        values = Arrays.copyOf(values, n * 2);
      }
      System.arraycopy(names, pos, names, pos + 1, n - pos);
      System.arraycopy(values, pos, values, pos + 1, n - pos);
      names[pos] = name;
      values[pos] = value;
      n++;
    }

    String[] toArray() {
      String[] out = new String[n * 2];
      for (int i = 0; i < n; i++) {
        out[2 * i] = names[i];
        out[2 * i + 1] = values[i];
      }
      return out;
    }
  }
}
