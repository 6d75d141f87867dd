package io.sluice.receiver.prometheus;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.translation.prometheus.otlp.PrometheusNaming;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns the metric families of one scrape of one target into OTLP metrics, keeping what the way
 * back to Prometheus needs: the series name, {@code prometheus.type} in {@code Metric.metadata},
 * HELP as description, UNIT as (UCUM) unit, staleness as {@code NO_RECORDED_VALUE}.
 *
 * <ul>
 *   <li>counter → monotonic cumulative Sum; gauge and unknown → Gauge; info and stateset →
 *       non-monotonic cumulative Sum; histogram → Histogram with per-bucket counts (the +Inf bound
 *       dropped; points without {@code _count} dropped); summary → Summary (points without
 *       {@code _count} dropped, a missing {@code _sum} is 0); gauge histograms are dropped.
 *   <li>Counter and info metrics are named after their value series ({@code x_total},
 *       {@code x_info}), histogram and summary metrics after the family, so that adding the
 *       structural suffixes reproduces the scraped series.
 *   <li>{@code _created} gives the start time; a sample without timestamp gets the scrape time.
 *   <li>{@code le} and {@code quantile} values spelled otherwise than the translation back would
 *       print them ({@code 1.0}, {@code 1e+09}) are kept in {@code Metric.metadata}.
 *   <li>{@code target_info} labels (other than job/instance) become resource attributes.
 *   <li>{@code otel_scope_name}/{@code _version}/{@code _schema_url} labels select the
 *       instrumentation scope and are removed; other series go under the receiver's scope.
 * </ul>
 *
 * <p>Stateless; safe from any thread.
 */
final class ScrapeToOtlp {
  static final String SCOPE_NAME = io.sluice.translation.prometheus.otlp.OtlpToPrometheus.SCRAPE_SCOPE_NAME;
  static final String TYPE_METADATA_KEY = "prometheus.type";
  static final String LE_SPELLINGS_KEY = io.sluice.translation.prometheus.otlp.OtlpToPrometheus.LE_SPELLINGS_KEY;
  static final String QUANTILE_SPELLINGS_KEY =
      io.sluice.translation.prometheus.otlp.OtlpToPrometheus.QUANTILE_SPELLINGS_KEY;
  static final long STALE_NAN_BITS = 0x7ff0000000000002L;
  /** Start time of a stale point whose {@code _created} sample went stale with it. */
  static final long STALE_CREATED_NANOS = 1L;
  static final String SCOPE_NAME_LABEL = "otel_scope_name";
  static final String SCOPE_VERSION_LABEL = "otel_scope_version";
  static final String SCOPE_SCHEMA_URL_LABEL = "otel_scope_schema_url";

  private static final Map<String, String> UNITS = Map.ofEntries(
      Map.entry("days", "d"), Map.entry("hours", "h"), Map.entry("minutes", "min"),
      Map.entry("seconds", "s"), Map.entry("milliseconds", "ms"), Map.entry("microseconds", "us"),
      Map.entry("nanoseconds", "ns"), Map.entry("bytes", "By"), Map.entry("kibibytes", "KiBy"),
      Map.entry("mebibytes", "MiBy"), Map.entry("gibibytes", "GiBy"),
      Map.entry("tebibytes", "TiBy"), Map.entry("tibibytes", "TiBy"),
      Map.entry("kilobytes", "KBy"), Map.entry("megabytes", "MBy"), Map.entry("gigabytes", "GBy"),
      Map.entry("terabytes", "TBy"), Map.entry("meters", "m"), Map.entry("volts", "V"),
      Map.entry("amperes", "A"), Map.entry("joules", "J"), Map.entry("watts", "W"),
      Map.entry("grams", "g"), Map.entry("celsius", "Cel"), Map.entry("hertz", "Hz"),
      Map.entry("percent", "%"));
  private static final Map<String, String> PER_UNITS = Map.of(
      "second", "s", "minute", "m", "hour", "h", "day", "d", "week", "w", "month", "mo",
      "year", "y");

  private ScrapeToOtlp() {
  }

  /** The target a scrape came from. {@code instance} is usually {@code host:port}. */
  record Target(String job, String instance, String scheme) {}

  /** Whether {@code value} is the Prometheus staleness marker (compares the raw bits). */
  static boolean isStale(double value) {
    return Double.doubleToRawLongBits(value) == STALE_NAN_BITS;
  }

  /** OTLP unit of an OpenMetrics UNIT word ({@code seconds} → {@code s}); null for none. */
  static String ucumUnit(String unit) {
    if (unit == null || unit.isEmpty()) {
      return null;
    }
    String known = UNITS.get(unit);
    if (known != null) {
      return known;
    }
    int per = unit.indexOf("_per_");
    if (per > 0) {
      String main = UNITS.getOrDefault(unit.substring(0, per), unit.substring(0, per));
      String perUnit = unit.substring(per + 5);
      return main + "/" + PER_UNITS.getOrDefault(perUnit, perUnit);
    }
    return unit;
  }

  static ResourceMetrics convert(List<MetricFamily> families, Target target, long scrapeTimeMs) {
    return convert(families, target, scrapeTimeMs, new AttributeCache());
  }

  /** As {@link #convert(List, Target, long)}, taking point attributes from a target's cache. */
  static ResourceMetrics convert(List<MetricFamily> families, Target target, long scrapeTimeMs,
      AttributeCache attributes) {
    Resource.Builder resource = Resource.newBuilder();
    putString(resource.addAttributesBuilder(), "service.name", target.job());
    putString(resource.addAttributesBuilder(), "service.instance.id", target.instance());
    String instance = target.instance();
    int colon = instance.lastIndexOf(':');
    if (colon > 0 && colon < instance.length() - 1 && instance.indexOf(']') < colon) {
      String host = instance.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      putString(resource.addAttributesBuilder(), "server.address", host);
      putString(resource.addAttributesBuilder(), "server.port", instance.substring(colon + 1));
    } else {
      putString(resource.addAttributesBuilder(), "server.address", instance);
    }
    if (target.scheme() != null) {
      putString(resource.addAttributesBuilder(), "url.scheme", target.scheme());
    }

    Map<Scope, ScopeMetrics.Builder> scopes = new LinkedHashMap<>();
    long defaultTimeNanos = scrapeTimeMs * 1_000_000L;
    for (MetricFamily family : families) {
      if (isTargetInfo(family)) {
        mergeTargetInfo(family, resource);
        continue;
      }
      for (Map.Entry<Scope, MetricFamily> part : byScope(family).entrySet()) {
        MetricFamily f = part.getValue();
        Metric metric = switch (f.type()) {
          case COUNTER -> numbers(f, defaultTimeNanos, true, attributes);
          case GAUGE, UNKNOWN, INFO, STATESET -> numbers(f, defaultTimeNanos, false, attributes);
          case HISTOGRAM -> histogram(f, defaultTimeNanos, attributes);
          case SUMMARY -> summary(f, defaultTimeNanos, attributes);
          case GAUGEHISTOGRAM -> null;
        };
        if (metric != null) {
          scopes.computeIfAbsent(part.getKey(), ScrapeToOtlp::scopeMetrics).addMetrics(metric);
        }
      }
    }
    ResourceMetrics.Builder rm = ResourceMetrics.newBuilder().setResource(resource);
    if (scopes.isEmpty()) {
      rm.addScopeMetrics(scopeMetrics(Scope.RECEIVER));
    }
    scopes.values().forEach(rm::addScopeMetrics);
    return rm.build();
  }

  /** The instrumentation scope of a series: its otel_scope_* labels, else the receiver. */
  private record Scope(String name, String version, String schemaUrl) {
    static final Scope RECEIVER = new Scope(SCOPE_NAME, "", "");
  }

  private static ScopeMetrics.Builder scopeMetrics(Scope scope) {
    ScopeMetrics.Builder sm = ScopeMetrics.newBuilder().setScope(
        InstrumentationScope.newBuilder().setName(scope.name()).setVersion(scope.version()));
    if (!scope.schemaUrl().isEmpty()) {
      sm.setSchemaUrl(scope.schemaUrl());
    }
    return sm;
  }

  /**
   * Splits a family by the {@code otel_scope_name}, {@code otel_scope_version} and
   * {@code otel_scope_schema_url} labels of its samples (which are removed); a family without
   * them stays whole under the receiver's scope.
   */
  private static Map<Scope, MetricFamily> byScope(MetricFamily family) {
    boolean scoped = false;
    for (Sample s : family.samples()) {
      if (s.labels().hasScopeName()) {
        scoped = true;
        break;
      }
    }
    if (!scoped) {
      return Map.of(Scope.RECEIVER, family);
    }
    Map<Scope, MetricFamily> parts = new LinkedHashMap<>();
    for (Sample s : family.samples()) {
      Labels labels = s.labels();
      String name = labels.get(SCOPE_NAME_LABEL);
      Scope scope = Scope.RECEIVER;
      if (name != null) {
        String version = labels.get(SCOPE_VERSION_LABEL);
        String schemaUrl = labels.get(SCOPE_SCHEMA_URL_LABEL);
        scope = new Scope(name, version == null ? "" : version, schemaUrl == null ? "" : schemaUrl);
        labels = labels.without(SCOPE_NAME_LABEL).without(SCOPE_VERSION_LABEL)
            .without(SCOPE_SCHEMA_URL_LABEL);
      }
      MetricFamily part = parts.computeIfAbsent(scope, k -> {
        MetricFamily f = new MetricFamily(family.name(), family.type());
        f.help(family.help());
        f.unit(family.unit());
        return f;
      });
      part.add(new Sample(s.name(), labels, s.value(), s.timestampMs(), s.exemplar()));
    }
    return parts;
  }

  private static boolean isTargetInfo(MetricFamily f) {
    return (f.name().equals("target_info") && f.type() != MetricType.INFO)
        || (f.name().equals("target") && f.type() == MetricType.INFO);
  }

  private static void mergeTargetInfo(MetricFamily family, Resource.Builder resource) {
    for (Sample s : family.samples()) {
      Labels labels = s.labels();
      for (int i = 0; i < labels.size(); i++) {
        String name = labels.name(i);
        if (!name.equals("job") && !name.equals("instance")) {
          putString(resource.addAttributesBuilder(), name, labels.value(i));
        }
      }
      return; // one target_info series per target
    }
  }

  private static Metric.Builder metricBuilder(MetricFamily family, String name) {
    Metric.Builder m = Metric.newBuilder().setName(name);
    if (family.help() != null) {
      m.setDescription(family.help());
    }
    String unit = ucumUnit(family.unit());
    if (unit != null) {
      m.setUnit(unit);
    }
    putString(m.addMetadataBuilder(), TYPE_METADATA_KEY, family.type().openMetricsName());
    return m;
  }

  /** Counters, gauges, unknown, info and stateset: one number point per value sample. */
  private static Metric numbers(MetricFamily family, long defaultTimeNanos, boolean counter,
      AttributeCache attributes) {
    String valueName = switch (family.type()) {
      case COUNTER -> family.name().endsWith("_total") || !hasSample(family, family.name() + "_total")
          ? family.name() : family.name() + "_total";
      case INFO -> family.name() + "_info";
      default -> family.name();
    };
    Map<Labels, Long> created = created(family);
    List<NumberDataPoint> points = new ArrayList<>();
    for (Sample s : family.samples()) {
      if (!s.name().equals(valueName)) {
        continue;
      }
      // shares the cached point's attribute list
      NumberDataPoint.Builder p = attributes.numberPoint(s.labels()).toBuilder()
          .setTimeUnixNano(timeNanos(s, defaultTimeNanos));
      Long start = created.get(s.labels());
      if (start != null) {
        p.setStartTimeUnixNano(start);
      }
      if (isStale(s.value())) {
        p.setFlags(DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE);
      }
      p.setAsDouble(s.value());
      if (s.exemplar() != null) {
        p.addExemplars(exemplar(s.exemplar(), timeNanos(s, defaultTimeNanos)));
      }
      points.add(p.build());
    }
    if (points.isEmpty()) {
      return null;
    }
    Metric.Builder m = metricBuilder(family, valueName);
    if (family.type() == MetricType.GAUGE || family.type() == MetricType.UNKNOWN) {
      m.setGauge(Gauge.newBuilder().addAllDataPoints(points));
    } else {
      m.setSum(Sum.newBuilder().addAllDataPoints(points).setIsMonotonic(counter)
          .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE));
    }
    return m.build();
  }

  private static boolean hasSample(MetricFamily family, String name) {
    for (Sample s : family.samples()) {
      if (s.name().equals(name)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Start times (ns) from the family's {@code _created} samples, by label set, to the nanosecond so
   * that the remote-write translation writes the {@code _created} value back as served. A stale
   * {@code _created} sample gives {@link #STALE_CREATED_NANOS}: the point is stale as well, and
   * the translation writes the {@code _created} series' stale marker from it.
   */
  private static Map<Labels, Long> created(MetricFamily family) {
    String createdName = family.name() + "_created";
    Map<Labels, Long> created = null;
    for (Sample s : family.samples()) {
      if (!s.name().equals(createdName)) {
        continue;
      }
      long nanos;
      if (isStale(s.value())) {
        nanos = STALE_CREATED_NANOS;
      } else if (Double.isNaN(s.value()) || Double.isInfinite(s.value()) || s.value() <= 0
          || s.value() >= Long.MAX_VALUE / 1e9) {
        continue;
      } else {
        double whole = Math.floor(s.value());
        nanos = (long) whole * 1_000_000_000L + Math.round((s.value() - whole) * 1e9);
      }
      if (created == null) {
        created = new HashMap<>();
      }
      created.put(s.labels(), nanos);
    }
    return created == null ? Map.of() : created;
  }

  private static long timeNanos(Sample s, long defaultTimeNanos) {
    return s.hasTimestamp() ? s.timestampMs() * 1_000_000L : defaultTimeNanos;
  }

  private static void putString(KeyValue.Builder kv, String key, String value) {
    kv.setKey(key).setValue(AnyValue.newBuilder().setStringValue(value));
  }

  private static Exemplar exemplar(io.sluice.receiver.prometheus.Exemplar e, long defaultNanos) {
    Exemplar.Builder x = Exemplar.newBuilder()
        .setAsDouble(e.value())
        .setTimeUnixNano(e.hasTimestamp() ? e.timestampMs() * 1_000_000L : defaultNanos);
    Labels labels = e.labels();
    for (int i = 0; i < labels.size(); i++) {
      String name = labels.name(i);
      String value = labels.value(i);
      ByteString id = null;
      if (name.equals("trace_id") && value.length() == 32) {
        id = hex(value);
      } else if (name.equals("span_id") && value.length() == 16) {
        id = hex(value);
      }
      if (id != null && name.equals("trace_id")) {
        x.setTraceId(id);
      } else if (id != null) {
        x.setSpanId(id);
      } else {
        putString(x.addFilteredAttributesBuilder(), name, value);
      }
    }
    return x.build();
  }

  private static ByteString hex(String text) {
    byte[] out = new byte[text.length() / 2];
    for (int i = 0; i < out.length; i++) {
      int hi = Character.digit(text.charAt(2 * i), 16);
      int lo = Character.digit(text.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        return null;
      }
      out[i] = (byte) (hi << 4 | lo);
    }
    return ByteString.copyFrom(out);
  }

  /** Samples of one histogram or summary point: same labels (minus le/quantile), same time. */
  private static final class Point {
    final Labels labels;
    final long timeNanos;
    final List<Sample> parts = new ArrayList<>();
    double count = Double.NaN;
    double sum = Double.NaN;
    boolean hasCount;
    boolean hasSum;
    boolean stale;

    Point(Labels labels, long timeNanos) {
      this.labels = labels;
      this.timeNanos = timeNanos;
    }
  }

  private record PointKey(Labels labels, long timeNanos) {}

  private static List<Point> points(MetricFamily family, String partSuffix, String partLabel,
      long defaultTimeNanos) {
    String partName = family.name() + partSuffix;
    String countName = family.name() + "_count";
    String sumName = family.name() + "_sum";
    Map<PointKey, Point> points = new LinkedHashMap<>();
    for (Sample s : family.samples()) {
      boolean part = s.name().equals(partName);
      boolean count = s.name().equals(countName);
      boolean sum = s.name().equals(sumName);
      if (!part && !count && !sum) {
        continue;
      }
      Labels labels = part ? s.labels().without(partLabel) : s.labels();
      long time = timeNanos(s, defaultTimeNanos);
      Point p = points.computeIfAbsent(new PointKey(labels, time), k -> new Point(labels, time));
      if (isStale(s.value())) {
        p.stale = true;
      }
      if (part) {
        p.parts.add(s);
      } else if (count) {
        p.count = s.value();
        p.hasCount = true;
      } else {
        p.sum = s.value();
        p.hasSum = true;
      }
    }
    return new ArrayList<>(points.values());
  }

  private static Metric histogram(MetricFamily family, long defaultTimeNanos, AttributeCache attributes) {
    Map<Labels, Long> created = created(family);
    Set<String> spellings = null;
    Histogram.Builder h = Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    for (Point p : points(family, "_bucket", "le", defaultTimeNanos)) {
      if (!p.hasCount) {
        continue;
      }
      HistogramDataPoint.Builder d = HistogramDataPoint.newBuilder()
          .setTimeUnixNano(p.timeNanos);
      d.addAllAttributes(attributes.of(p.labels));
      Long start = created.get(p.labels);
      if (start != null) {
        d.setStartTimeUnixNano(start);
      }
      if (p.stale) {
        // Bounds (and sum) still go in, with zero counts: every bucket series gets its stale marker.
        d.setFlags(DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE);
      }
      List<Sample> buckets = new ArrayList<>(p.parts);
      buckets.sort((a, b) -> Double.compare(le(a), le(b)));
      double previous = 0;
      Sample inf = null;
      for (Sample bucket : buckets) {
        double bound = le(bucket);
        if (Double.isNaN(bound)) {
          continue;
        }
        spellings = spelling(spellings, bucket.labels().get("le"), bound);
        d.addBucketCounts((long) Math.max(0, bucket.value() - previous));
        previous = Math.max(previous, bucket.value());
        if (bound == Double.POSITIVE_INFINITY) {
          inf = bucket;
          break;
        }
        d.addExplicitBounds(bound);
        if (bucket.exemplar() != null) {
          d.addExemplars(exemplar(bucket.exemplar(), p.timeNanos));
        }
      }
      if (inf == null) {
        // no +Inf bucket (text 0.0.4 is not checked): the rest of the count goes above the last bound
        d.addBucketCounts((long) Math.max(0, p.count - previous));
      } else if (inf.exemplar() != null) {
        d.addExemplars(exemplar(inf.exemplar(), p.timeNanos));
      }
      d.setCount((long) p.count);
      if (p.hasSum) {
        d.setSum(p.sum);
      }
      h.addDataPoints(d);
    }
    if (h.getDataPointsCount() == 0) {
      return null;
    }
    return spelled(metricBuilder(family, family.name()), LE_SPELLINGS_KEY, spellings).setHistogram(h).build();
  }

  private static double le(Sample bucket) {
    String le = bucket.labels().get("le");
    if (le == null) {
      return Double.NaN;
    }
    le = le.trim();
    double bound = ExpositionParser.labelNumber(le);
    if (Double.isNaN(bound) && (le.equalsIgnoreCase("+inf") || le.equalsIgnoreCase("inf"))) {
      return Double.POSITIVE_INFINITY;
    }
    return bound;
  }

  private static Metric summary(MetricFamily family, long defaultTimeNanos, AttributeCache attributes) {
    Map<Labels, Long> created = created(family);
    Set<String> spellings = null;
    Summary.Builder summary = Summary.newBuilder();
    for (Point p : points(family, "", "quantile", defaultTimeNanos)) {
      if (!p.hasCount) {
        continue;
      }
      SummaryDataPoint.Builder d = SummaryDataPoint.newBuilder().setTimeUnixNano(p.timeNanos);
      d.addAllAttributes(attributes.of(p.labels));
      Long start = created.get(p.labels);
      if (start != null) {
        d.setStartTimeUnixNano(start);
      }
      if (p.stale) {
        // Quantiles still go in (values NaN): every quantile series gets its stale marker.
        d.setFlags(DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE);
      }
      d.setCount((long) p.count).setSum(p.hasSum ? p.sum : 0.0);
      for (Sample q : p.parts) {
        String quantile = q.labels().get("quantile");
        double qv = quantile == null ? Double.NaN : ExpositionParser.labelNumber(quantile.trim());
        if (!Double.isNaN(qv)) {
          d.addQuantileValuesBuilder().setQuantile(qv).setValue(q.value());
          spellings = spelling(spellings, quantile, qv);
        }
      }
      summary.addDataPoints(d);
    }
    if (summary.getDataPointsCount() == 0) {
      return null;
    }
    return spelled(metricBuilder(family, family.name()), QUANTILE_SPELLINGS_KEY, spellings).setSummary(summary)
        .build();
  }

  /**
   * Adds {@code text} to {@code spellings} (created on first use) when the remote-write
   * translation would print {@code number} differently: Prometheus keeps the {@code le} and
   * {@code quantile} text a target served, so the way back must too.
   */
  private static Set<String> spelling(Set<String> spellings, String text, double number) {
    if (text == null || text.equals(PrometheusNaming.formatFloat(number))) {
      return spellings;
    }
    Set<String> out = spellings == null ? new LinkedHashSet<>() : spellings;
    out.add(text);
    return out;
  }

  /** Records a family's unusual {@code le}/{@code quantile} spellings in the metric's metadata. */
  private static Metric.Builder spelled(Metric.Builder m, String key, Set<String> spellings) {
    if (spellings != null) {
      ArrayValue.Builder values = ArrayValue.newBuilder();
      for (String text : spellings) {
        values.addValues(AnyValue.newBuilder().setStringValue(text));
      }
      m.addMetadataBuilder().setKey(key).setValue(AnyValue.newBuilder().setArrayValue(values));
    }
    return m;
  }
}
