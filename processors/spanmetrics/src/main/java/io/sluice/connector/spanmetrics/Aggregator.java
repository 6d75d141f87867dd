package io.sluice.connector.spanmetrics;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.connector.spanmetrics.Settings.Dim;
import io.sluice.core.otlp.AnyValues;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The span metrics of the resources one shard owns: counts spans into series, and builds the
 * metrics of a flush. Confined to one thread (its shard's event loop); no locks.
 *
 * <p>State: resources, least recently used first, at most {@code resourceCap}; a resource pushed
 * out is flushed once more and then forgotten (unless a span of it comes first). Per resource,
 * three maps of series (calls, duration, events), each at most {@code aggregation_cardinality_limit}
 * series plus one overflow series. Cumulative series live until {@code metrics_expiration} passes
 * without a span for them; with delta temporality every flush takes all series away, and a flush
 * refused with a retryable error gives them back to be merged into the next one.
 */
final class Aggregator {
  static final String SCOPE_NAME = "spanmetricsconnector";
  static final String OVERFLOW_ATTRIBUTE = "otel.metric.overflow";
  /** Series keys start with a digit, '+' or '-': this one is no other series' key. */
  private static final String OVERFLOW_KEY = "\u0000overflow";
  private static final List<KeyValue> OVERFLOW_ATTRIBUTES = List.of(KeyValue.newBuilder()
      .setKey(OVERFLOW_ATTRIBUTE).setValue(AnyValue.newBuilder().setBoolValue(true)).build());
  private static final String[] KINDS = {
    "SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL", "SPAN_KIND_SERVER", "SPAN_KIND_CLIENT", "SPAN_KIND_PRODUCER",
    "SPAN_KIND_CONSUMER"
  };
  private static final String[] STATUS_CODES = {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};

  static final int CALLS = 0;
  static final int DURATION = 1;
  static final int EVENTS = 2;

  /** Where the aggregator reports what it counts for the self-metrics. */
  interface Tally {
    Tally NONE = new Tally() {};

    default void skippedSpans(long n) {}

    /** Spans (or events) counted in an overflow series, per metric ({@link #CALLS}, ...). */
    default void overflowed(int metric, long n) {}

    default void expiredSeries(long n) {}
  }

  /**
   * One flush: the resources it covers, built into metrics a few points at a time ({@link #step})
   * so that a large state does not hold the event loop, then sent and settled. Built and settled
   * on the owner's thread. Each metric of a resource is built from the series it had when the
   * flush reached it; a series added later is in the next flush.
   */
  final class Flush {
    final long time;
    /** The metrics built so far. */
    final List<ResourceMetrics> resources = new ArrayList<>();
    /** The points built so far. */
    int points;
    /** The resources the flush covers; with delta temporality taken out of the state. */
    private final List<ResourceState> covered;
    /** With delta temporality: the series flushed, whose next point starts at this flush. */
    private final List<DeltaKey> flushedSeries;
    private int next;
    private long expired;
    // Where building stopped: the resource, its metrics so far, the metric being built (CALLS,
    // DURATION, EVENTS) and its series.
    private ResourceState resource;
    private ScopeMetrics.Builder scope;
    private int metric;
    private List<? extends Map.Entry<String, ? extends Series>> series;
    private Metric.Builder metricBuilder;
    private int seriesIndex;

    private Flush(long time, List<ResourceState> covered) {
      this.time = time;
      this.covered = covered;
      this.flushedSeries = s.delta ? new ArrayList<>() : null;
    }

    /** Builds up to {@code maxPoints} more points; true once every resource is built. */
    boolean step(int maxPoints) {
      int budget = maxPoints;
      while (budget > 0) {
        if (resource == null) {
          if (next == covered.size()) {
            break;
          }
          resource = covered.get(next++);
          scope = ScopeMetrics.newBuilder();
          scope.getScopeBuilder().setName(SCOPE_NAME);
          metric = CALLS;
          series = null;
        }
        if (series == null) {
          if (metric > EVENTS) {
            finishResource();
            continue;
          }
          Map<String, ? extends Series> all = seriesOf(resource, metric);
          if (all.isEmpty()) {
            metric++;
            continue;
          }
          series = new ArrayList<>(all.entrySet());
          seriesIndex = 0;
          metricBuilder = newMetric(scope, metric);
        }
        while (seriesIndex < series.size() && budget > 0) {
          Map.Entry<String, ? extends Series> e = series.get(seriesIndex++);
          addPoint(metricBuilder, metric, resource, e.getKey(), e.getValue(), time, flushedSeries);
          points++;
          budget--;
        }
        if (seriesIndex == series.size()) {
          series = null;
          metric++;
        }
      }
      if (resource != null || next < covered.size()) {
        return false;
      }
      if (expired > 0) {
        tally.expiredSeries(expired);
        expired = 0;
      }
      return true;
    }

    private void finishResource() {
      if (scope.getMetricsCount() > 0) {
        resources.add(ResourceMetrics.newBuilder().setResource(resource.resource).addScopeMetrics(scope).build());
      }
      if (!s.delta) {
        expired += afterCumulativeFlush(resource, time);
      }
      resource = null;
      scope = null;
      metricBuilder = null;
    }
  }

  /** A delta series: its resource, metric and key. */
  record DeltaKey(ByteString resource, int metric, String series) {}

  private final Settings s;
  private final LongSupplier clock;
  private final int resourceCap;
  private final Tally tally;
  private final AdjustedCount adjustedCount;
  private final StringBuilder keyBuilder = new StringBuilder(128);
  /** Spans or events counted in overflow series during one {@link #aggregate} call, per metric. */
  private final long[] overflowed = new long[3];

  private LinkedHashMap<ByteString, ResourceState> resources = new LinkedHashMap<>(16, 0.75f, true);
  /** Resources pushed out by newer ones: flushed once more, or revived by a span. */
  private LinkedHashMap<ByteString, ResourceState> evicted = new LinkedHashMap<>();
  /** With delta temporality: when each series was last flushed, least recently used first. */
  private final LinkedHashMap<DeltaKey, Long> lastFlushed;

  /**
   * @param clock the time now in nanoseconds since the epoch
   * @param resourceCap the most resources this aggregator keeps
   * @param seed for the random rounding of adjusted counts
   */
  Aggregator(Settings settings, LongSupplier clock, int resourceCap, int timestampCacheSize, Tally tally,
      long seed) {
    this.s = settings;
    this.clock = clock;
    this.resourceCap = Math.max(1, resourceCap);
    this.tally = tally;
    this.adjustedCount = new AdjustedCount(seed);
    int cap = Math.max(1, timestampCacheSize);
    this.lastFlushed = new LinkedHashMap<>(16, 0.75f, true) {
      @Override
      protected boolean removeEldestEntry(Map.Entry<DeltaKey, Long> eldest) {
        return size() > cap;
      }
    };
  }

  // ---- keys of resources -------------------------------------------------------------------

  /**
   * The key that tells {@code resource} apart: its attributes (those named in
   * {@code resource_metrics_key_attributes}, when set) sorted by name and encoded.
   */
  static ByteString resourceKey(Resource resource, Settings s) {
    List<KeyValue> attrs = new ArrayList<>(resource.getAttributesList());
    if (!s.resourceKeyAttributes.isEmpty()) {
      attrs.removeIf(kv -> !s.resourceKeyAttributes.contains(kv.getKey()));
    }
    attrs.sort((a, b) -> a.getKey().compareTo(b.getKey()));
    ByteString.Output out = ByteString.newOutput(64);
    try {
      for (KeyValue kv : attrs) {
        kv.writeDelimitedTo(out);
      }
    } catch (java.io.IOException e) {
      throw new IllegalStateException(e); // writing to memory
    }
    return out.toByteString();
  }

  /** The value of {@code service.name}, or null when the resource has none. */
  static String serviceName(Resource resource) {
    for (KeyValue kv : resource.getAttributesList()) {
      if (kv.getKey().equals("service.name")) {
        return AnyValues.asString(kv.getValue());
      }
    }
    return null;
  }

  // ---- aggregation -------------------------------------------------------------------------

  /** Counts the spans of one resource, whose key is {@code key}; skips it when it has no service.name. */
  void aggregate(ByteString key, ResourceSpans rs) {
    String service = serviceName(rs.getResource());
    if (service == null) {
      long n = 0;
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        n += ss.getSpansCount();
      }
      tally.skippedSpans(n);
      return;
    }
    long now = clock.getAsLong();
    ResourceState r = resource(key, rs.getResource());
    List<KeyValue> resourceAttrs = rs.getResource().getAttributesList();
    for (ScopeSpans ss : rs.getScopeSpansList()) {
      InstrumentationScope scope = ss.getScope();
      InstrumentationScope withScope =
          !scope.getName().isEmpty() && s.includeScopes.contains(scope.getName()) ? scope : null;
      for (Span span : ss.getSpansList()) {
        aggregate(r, service, span, resourceAttrs, withScope, now);
      }
    }
    for (int metric = 0; metric < overflowed.length; metric++) {
      if (overflowed[metric] > 0) {
        tally.overflowed(metric, overflowed[metric]);
        overflowed[metric] = 0;
      }
    }
  }

  private void aggregate(ResourceState r, String service, Span span, List<KeyValue> resourceAttrs,
      InstrumentationScope scope, long now) {
    long start = span.getStartTimeUnixNano();
    long end = span.getEndTimeUnixNano();
    double duration = Long.compareUnsigned(end, start) > 0 ? (end - start) / s.unitNanos : 0;
    long n = adjustedCount.count(span.getTraceState());
    boolean adjusted = adjustedCount.adjusted();
    List<KeyValue> spanAttrs = span.getAttributesList();
    boolean exemplar = s.exemplarsEnabled && !isZero(span.getTraceId());

    String callsKey = key(service, span, s.callsDims, spanAttrs, resourceAttrs, null, scope, adjusted);
    SumSeries calls = r.calls.get(callsKey);
    if (calls == null) {
      calls = add(r.calls, callsKey, CALLS, a -> new SumSeries(a, now),
          () -> attributes(service, span, s.callsDims, spanAttrs, resourceAttrs, null, scope, adjusted));
    }
    count(calls, n, now, exemplar, span, duration);

    if (s.histogramEnabled) {
      String durationKey = s.sameCallsAndDurationKeys ? callsKey
          : key(service, span, s.durationDims, spanAttrs, resourceAttrs, null, scope, adjusted);
      HistogramSeries h = r.durations.get(durationKey);
      if (h == null) {
        List<KeyValue> callsAttributes = calls.attributes;
        h = add(r.durations, durationKey, DURATION, a -> new HistogramSeries(a, now, s),
            () -> s.sameCallsAndDurationKeys && callsAttributes != OVERFLOW_ATTRIBUTES ? callsAttributes
                : attributes(service, span, s.durationDims, spanAttrs, resourceAttrs, null, scope, adjusted));
      }
      h.record(duration, n, s.explicitBounds);
      h.lastSeen = now;
      if (exemplar && h.attributes != OVERFLOW_ATTRIBUTES) {
        h.exemplar(span, duration, s.maxExemplars);
      }
    }

    if (s.eventsEnabled) {
      for (Span.Event event : span.getEventsList()) {
        List<KeyValue> eventAttrs = event.getAttributesList();
        String eventKey = key(service, span, s.eventDims, spanAttrs, eventAttrs, resourceAttrs, scope, adjusted);
        SumSeries e = r.events.get(eventKey);
        if (e == null) {
          e = add(r.events, eventKey, EVENTS, a -> new SumSeries(a, now),
              () -> attributes(service, span, s.eventDims, spanAttrs, eventAttrs, resourceAttrs, scope, adjusted));
        }
        count(e, n, now, exemplar, span, duration);
      }
    }
  }

  /**
   * Adds the series {@code key} made by {@code make} with its attributes; when the metric already
   * has {@code aggregation_cardinality_limit} series, the overflow series instead (made the first
   * time), which has only {@code otel.metric.overflow=true} and no exemplars.
   */
  private <S extends Series> S add(Map<String, S> all, String key, int metric, Function<List<KeyValue>, S> make,
      Supplier<List<KeyValue>> attributes) {
    if (full(all)) {
      overflowed[metric]++;
      return all.computeIfAbsent(OVERFLOW_KEY, k -> make.apply(OVERFLOW_ATTRIBUTES));
    }
    S series = make.apply(attributes.get());
    all.put(key, series);
    return series;
  }

  private void count(SumSeries series, long n, long now, boolean exemplar, Span span, double duration) {
    series.count += n;
    series.lastSeen = now;
    if (exemplar && series.attributes != OVERFLOW_ATTRIBUTES) {
      series.exemplar(span, duration, s.maxExemplars);
    }
  }

  /** True when a new series would pass the cardinality limit. */
  private boolean full(Map<String, ?> series) {
    return s.cardinalityLimit > 0 && series.size() >= s.cardinalityLimit;
  }

  private ResourceState resource(ByteString key, Resource resource) {
    ResourceState r = resources.get(key);
    if (r != null) {
      return r;
    }
    r = evicted.remove(key);
    if (r == null) {
      r = new ResourceState(key, Resource.newBuilder().addAllAttributes(resource.getAttributesList()).build());
    }
    resources.put(key, r);
    while (resources.size() > resourceCap) {
      Iterator<Map.Entry<ByteString, ResourceState>> eldest = resources.entrySet().iterator();
      Map.Entry<ByteString, ResourceState> e = eldest.next();
      eldest.remove();
      evicted.put(e.getKey(), e.getValue());
    }
    return r;
  }

  /**
   * The series key of a span: the values of its dimensions, each length-prefixed (missing ones
   * marked), so that no two different sets of values share a key.
   */
  private String key(String service, Span span, Dim[] dims, List<KeyValue> first, List<KeyValue> second,
      List<KeyValue> third, InstrumentationScope scope, boolean adjusted) {
    StringBuilder k = keyBuilder;
    k.setLength(0);
    if (s.serviceName) {
      part(k, service);
    }
    if (s.spanName) {
      part(k, span.getName());
    }
    if (s.spanKind) {
      k.append(span.getKindValue()).append(';');
    }
    if (s.statusCode) {
      k.append(span.getStatus().getCodeValue()).append(';');
    }
    for (Dim d : dims) {
      AnyValue v = lookup(d, first, second, third);
      if (v == null) {
        k.append('-');
      } else {
        k.append('+').append(v.getValueCase().getNumber()).append(';');
        part(k, v.hasStringValue() ? v.getStringValue() : AnyValues.asString(v));
      }
    }
    if (scope != null) {
      part(k, scope.getName());
      part(k, scope.getVersion());
    }
    if (s.samplingMethod) {
      k.append(adjusted ? 'x' : 'c');
    }
    return k.toString();
  }

  private static void part(StringBuilder k, String value) {
    k.append(value.length()).append(':').append(value);
  }

  /** The attributes of a new series, in the Collector's order. */
  private List<KeyValue> attributes(String service, Span span, Dim[] dims, List<KeyValue> first,
      List<KeyValue> second, List<KeyValue> third, InstrumentationScope scope, boolean adjusted) {
    List<KeyValue> out = new ArrayList<>(6 + dims.length);
    if (s.serviceName) {
      out.add(kv("service.name", service));
    }
    if (s.spanName) {
      out.add(kv("span.name", span.getName()));
    }
    if (s.spanKind) {
      int kind = span.getKindValue();
      out.add(kv("span.kind", kind >= 0 && kind < KINDS.length ? KINDS[kind] : ""));
    }
    if (s.statusCode) {
      int code = span.getStatus().getCodeValue();
      out.add(kv("status.code", code >= 0 && code < STATUS_CODES.length ? STATUS_CODES[code] : ""));
    }
    if (scope != null) {
      out.add(kv("span.instrumentation.scope.name", scope.getName()));
      if (!scope.getVersion().isEmpty()) {
        out.add(kv("span.instrumentation.scope.version", scope.getVersion()));
      }
    }
    if (s.samplingMethod) {
      out.add(kv("sampling.method", adjusted ? "extrapolated" : "counted"));
    }
    for (Dim d : dims) {
      AnyValue v = lookup(d, first, second, third);
      if (v != null) {
        put(out, KeyValue.newBuilder().setKey(d.name()).setValue(v).build());
      }
    }
    return List.copyOf(out);
  }

  /** Adds {@code kv}, or replaces the value of an attribute of the same name. */
  private static void put(List<KeyValue> attrs, KeyValue kv) {
    for (int i = 0; i < attrs.size(); i++) {
      if (attrs.get(i).getKey().equals(kv.getKey())) {
        attrs.set(i, kv);
        return;
      }
    }
    attrs.add(kv);
  }

  private static KeyValue kv(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  /** The dimension's value: from the first attribute list that has it, else its default (or null). */
  private static AnyValue lookup(Dim d, List<KeyValue> first, List<KeyValue> second, List<KeyValue> third) {
    AnyValue v = find(first, d.name());
    if (v == null && second != null) {
      v = find(second, d.name());
    }
    if (v == null && third != null) {
      v = find(third, d.name());
    }
    return v != null ? v : d.defaultValue();
  }

  private static AnyValue find(List<KeyValue> attrs, String name) {
    for (int i = 0, n = attrs.size(); i < n; i++) {
      KeyValue kv = attrs.get(i);
      if (kv.getKey().equals(name)) {
        return kv.getValue();
      }
    }
    return null;
  }

  private static boolean isZero(ByteString id) {
    for (int i = 0, n = id.size(); i < n; i++) {
      if (id.byteAt(i) != 0) {
        return false;
      }
    }
    return true;
  }

  // ---- flushing ----------------------------------------------------------------------------

  /** True when there is nothing to flush. */
  boolean isEmpty() {
    return resources.isEmpty() && evicted.isEmpty();
  }

  /** The number of series held (all metrics, all resources). */
  int seriesCount() {
    int n = 0;
    for (ResourceState r : resources.values()) {
      n += r.seriesCount();
    }
    for (ResourceState r : evicted.values()) {
      n += r.seriesCount();
    }
    return n;
  }

  /**
   * Starts a flush of every series now; null when there is nothing to flush. Cumulative: each
   * resource, once built, has its exemplars cleared and its expired series dropped, and a
   * pushed-out resource is forgotten. Delta: every series is taken out at once, to be given back
   * by {@link #settle} if the flush is refused.
   */
  Flush startFlush() {
    if (isEmpty()) {
      return null;
    }
    long now = clock.getAsLong();
    List<ResourceState> all = new ArrayList<>(resources.size() + evicted.size());
    all.addAll(resources.values());
    all.addAll(evicted.values());
    if (s.delta) {
      resources = new LinkedHashMap<>(16, 0.75f, true);
      evicted = new LinkedHashMap<>();
    }
    return new Flush(now, all);
  }

  /** A whole flush built at once; null when there is nothing to send. */
  Flush flush() {
    Flush f = startFlush();
    if (f == null) {
      return null;
    }
    f.step(Integer.MAX_VALUE);
    return f.resources.isEmpty() ? null : f;
  }

  /** The series of one metric of a resource; none for a metric that is off. */
  private Map<String, ? extends Series> seriesOf(ResourceState r, int metric) {
    return switch (metric) {
      case CALLS -> r.calls;
      case DURATION -> s.histogramEnabled ? r.durations : Map.of();
      default -> s.eventsEnabled ? r.events : Map.of();
    };
  }

  private Metric.Builder newMetric(ScopeMetrics.Builder scope, int metric) {
    Metric.Builder m = scope.addMetricsBuilder();
    switch (metric) {
      case CALLS, EVENTS -> m.setName(metric == CALLS ? s.callsName : s.eventsName).getSumBuilder()
          .setAggregationTemporality(s.temporality).setIsMonotonic(true);
      default -> {
        m.setName(s.durationName).setUnit(s.unit);
        if (s.exponential) {
          m.getExponentialHistogramBuilder().setAggregationTemporality(s.temporality);
        } else {
          m.getHistogramBuilder().setAggregationTemporality(s.temporality);
        }
      }
    }
    return m;
  }

  private void addPoint(Metric.Builder m, int metric, ResourceState r, String key, Series series, long now,
      List<DeltaKey> flushedSeries) {
    long start = start(r, metric, key, series.start, flushedSeries);
    if (series instanceof SumSeries ss) {
      NumberDataPoint.Builder dp = m.getSumBuilder().addDataPointsBuilder().addAllAttributes(ss.attributes)
          .setStartTimeUnixNano(start).setTimeUnixNano(now);
      if (!s.delta && ss.first) {
        // A new cumulative series is first sent as 0, so that a backend sees its first increase.
        dp.setAsInt(0);
        ss.first = false;
      } else {
        dp.setAsInt(ss.count);
      }
      addExemplars(ss.exemplars, now, dp::addExemplars);
      return;
    }
    HistogramSeries h = (HistogramSeries) series;
    if (h.exponential != null) {
      ExponentialHistogramDataPoint.Builder dp = m.getExponentialHistogramBuilder().addDataPointsBuilder()
          .addAllAttributes(h.attributes).setStartTimeUnixNano(start).setTimeUnixNano(now);
      h.exponential.writeTo(dp);
      addExemplars(h.exemplars, now, dp::addExemplars);
    } else {
      HistogramDataPoint.Builder dp = m.getHistogramBuilder().addDataPointsBuilder().addAllAttributes(h.attributes)
          .setStartTimeUnixNano(start).setTimeUnixNano(now).setCount(h.count).setSum(h.sum)
          .addAllExplicitBounds(s.explicitBoundsList);
      for (long c : h.buckets) {
        dp.addBucketCounts(c);
      }
      addExemplars(h.exemplars, now, dp::addExemplars);
    }
  }

  /** After a cumulative flush built {@code r}: exemplars cleared, expired series dropped; how many. */
  private long afterCumulativeFlush(ResourceState r, long now) {
    if (evicted.remove(r.key, r)) {
      return 0; // pushed out by newer resources: this was its last flush
    }
    if (s.exemplarsEnabled) {
      r.clearExemplars();
    }
    long n = 0;
    if (s.expirationNanos > 0) {
      n = r.expire(now - s.expirationNanos);
      if (r.seriesCount() == 0) {
        resources.remove(r.key, r);
      }
    }
    return n;
  }

  /**
   * Settles a flush: {@code retry} gives a refused delta flush's series back, to be merged into the
   * next flush (their start times kept); otherwise its series' next points start at its time.
   */
  void settle(Flush f, boolean retry) {
    if (!s.delta) {
      return;
    }
    if (!retry) {
      for (DeltaKey k : f.flushedSeries) {
        lastFlushed.put(k, f.time);
      }
      return;
    }
    for (ResourceState old : f.covered) {
      ResourceState cur = resources.get(old.key);
      if (cur == null) {
        cur = evicted.get(old.key);
      }
      if (cur == null) {
        resources.put(old.key, old);
      } else {
        cur.mergeFrom(old, s.maxExemplars);
      }
    }
  }

  /**
   * A point's start time. Cumulative: when its series began. Delta: the previous flush of the
   * series, when it is remembered, else when the series began in this interval.
   */
  private long start(ResourceState r, int metric, String key, long seriesStart, List<DeltaKey> flushedSeries) {
    if (flushedSeries == null) {
      return seriesStart;
    }
    DeltaKey k = new DeltaKey(r.key, metric, key);
    flushedSeries.add(k);
    Long last = lastFlushed.get(k);
    return last != null ? last : seriesStart;
  }

  private static void addExemplars(List<ExemplarValue> exemplars, long now,
      java.util.function.Consumer<Exemplar> add) {
    if (exemplars == null) {
      return;
    }
    for (ExemplarValue e : exemplars) {
      add.accept(Exemplar.newBuilder().setTimeUnixNano(now).setAsDouble(e.value())
          .setTraceId(e.traceId()).setSpanId(e.spanId()).build());
    }
  }

  // ---- state -------------------------------------------------------------------------------

  /** An exemplar before its flush: the span's ids and its duration. */
  record ExemplarValue(ByteString traceId, ByteString spanId, double value) {}

  /** What every series has. */
  abstract static class Series {
    final List<KeyValue> attributes;
    long start;
    long lastSeen;
    List<ExemplarValue> exemplars;

    Series(List<KeyValue> attributes, long start) {
      this.attributes = attributes;
      this.start = start;
      this.lastSeen = start;
    }

    final void exemplar(Span span, double value, int max) {
      if (exemplars == null) {
        if (max == 0) {
          return;
        }
        exemplars = new ArrayList<>(Math.min(max, 8));
      }
      if (exemplars.size() < max) {
        exemplars.add(new ExemplarValue(span.getTraceId(), span.getSpanId(), value));
      }
    }

    final void mergeCommon(Series older, int maxExemplars) {
      start = Math.min(start, older.start);
      lastSeen = Math.max(lastSeen, older.lastSeen);
      if (older.exemplars != null) {
        List<ExemplarValue> merged = new ArrayList<>(older.exemplars);
        if (exemplars != null) {
          merged.addAll(exemplars);
        }
        exemplars = merged.size() > maxExemplars ? new ArrayList<>(merged.subList(0, maxExemplars)) : merged;
      }
    }
  }

  /** A count: calls or events. */
  static final class SumSeries extends Series {
    long count;
    boolean first = true;

    SumSeries(List<KeyValue> attributes, long start) {
      super(attributes, start);
    }
  }

  /** Durations: explicit buckets or an exponential histogram. */
  static final class HistogramSeries extends Series {
    final long[] buckets;
    final ExponentialHistogramAccumulator exponential;
    long count;
    double sum;

    HistogramSeries(List<KeyValue> attributes, long start, Settings s) {
      super(attributes, start);
      if (s.exponential) {
        buckets = null;
        exponential = new ExponentialHistogramAccumulator(s.exponentialMaxSize);
      } else {
        buckets = new long[s.explicitBounds.length + 1];
        exponential = null;
      }
    }

    /**
     * Counts {@code value} {@code n} times: explicit bucket {@code i} holds the values above bound
     * {@code i-1} up to and including bound {@code i}.
     */
    void record(double value, long n, double[] bounds) {
      if (exponential != null) {
        exponential.record(value, n);
        return;
      }
      int i = Arrays.binarySearch(bounds, value);
      buckets[i >= 0 ? i : -i - 1] += n;
      count += n;
      sum += value * n;
    }

    void mergeFrom(HistogramSeries older) {
      if (exponential != null) {
        exponential.merge(older.exponential);
        return;
      }
      for (int i = 0; i < buckets.length; i++) {
        buckets[i] += older.buckets[i];
      }
      count += older.count;
      sum += older.sum;
    }
  }

  /** The series of one resource. */
  static final class ResourceState {
    final ByteString key;
    final Resource resource;
    final LinkedHashMap<String, SumSeries> calls = new LinkedHashMap<>();
    final LinkedHashMap<String, HistogramSeries> durations = new LinkedHashMap<>();
    final LinkedHashMap<String, SumSeries> events = new LinkedHashMap<>();

    ResourceState(ByteString key, Resource resource) {
      this.key = key;
      this.resource = resource;
    }

    int seriesCount() {
      return calls.size() + durations.size() + events.size();
    }

    void clearExemplars() {
      calls.values().forEach(x -> x.exemplars = null);
      durations.values().forEach(x -> x.exemplars = null);
      events.values().forEach(x -> x.exemplars = null);
    }

    /** Drops the series last seen before {@code seenBefore} (not after it); returns how many. */
    long expire(long seenBefore) {
      long n = 0;
      n += expire(calls, seenBefore);
      n += expire(durations, seenBefore);
      n += expire(events, seenBefore);
      return n;
    }

    private static long expire(Map<String, ? extends Series> series, long seenBefore) {
      long n = 0;
      for (Iterator<? extends Series> it = series.values().iterator(); it.hasNext(); ) {
        if (it.next().lastSeen <= seenBefore) {
          it.remove();
          n++;
        }
      }
      return n;
    }

    /** Merges a refused delta flush's series of this resource into this newer state. */
    void mergeFrom(ResourceState older, int maxExemplars) {
      mergeSums(calls, older.calls, maxExemplars);
      mergeSums(events, older.events, maxExemplars);
      older.durations.forEach((k, h) -> {
        HistogramSeries cur = durations.get(k);
        if (cur == null) {
          durations.put(k, h);
        } else {
          cur.mergeFrom(h);
          cur.mergeCommon(h, maxExemplars);
        }
      });
    }

    private static void mergeSums(Map<String, SumSeries> into, Map<String, SumSeries> older, int maxExemplars) {
      older.forEach((k, o) -> {
        SumSeries cur = into.get(k);
        if (cur == null) {
          into.put(k, o);
        } else {
          cur.count += o.count;
          cur.mergeCommon(o, maxExemplars);
        }
      });
    }
  }
}
