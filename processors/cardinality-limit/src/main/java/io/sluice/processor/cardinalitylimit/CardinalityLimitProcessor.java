package io.sluice.processor.cardinalitylimit;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.prometheus.metrics.core.metrics.Counter;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.config.GoDurations;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.processor.seriesstate.Aggregate;
import io.sluice.processor.seriesstate.AttributeSets;
import io.sluice.processor.seriesstate.EventLoopShards;
import io.sluice.processor.seriesstate.GaugeMode;
import io.sluice.processor.seriesstate.MetricKind;
import io.sluice.processor.seriesstate.MetricsOutput;
import io.sluice.processor.seriesstate.PointSelection;
import io.sluice.processor.seriesstate.ResourceId;
import io.sluice.processor.seriesstate.SeriesKey;
import io.sluice.processor.seriesstate.ShardedMetricsProcessor;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code cardinality_limit} processor of one metrics pipeline.
 *
 * <p>A series is a metric name, its point attributes, its resource's attributes and its
 * instrumentation scope. The first {@code max_series_per_metric} series of a metric pass, as long
 * as fewer than {@code max_series} pass in all; the points of every further series are folded
 * into the metric's overflow series, which carries the one attribute
 * {@code otel.metric.overflow=true}, no resource attributes, and the scope of the first folded
 * point: counters and histograms add up (each folded series with its latest total, as in
 * {@link Aggregate}), gauges keep the latest value, summaries their count and sum. A folded series
 * stays folded while it has points; the overflow point goes out in the batch that brought folded
 * points, at the latest time among them.
 *
 * <p>Staleness stays meaningful: the stale marker of a series that passes (a
 * {@code NO_RECORDED_VALUE} point, as the {@code prometheus} receiver writes them) passes too and
 * frees the series' slot; that of a folded series takes it out of the overflow, and when the last
 * folded series of an overflow series goes stale the overflow series gets a stale marker of its own.
 * A stale marker of a series never seen is dropped. A series without points for
 * {@code series_ttl} frees its slot (or leaves its overflow) without a marker.
 *
 * <p>State is split by metric name across the event loops ({@link EventLoopShards}): the series of
 * a metric are counted and folded on one loop only; the total is one atomic count. A batch in which
 * every point passes goes on as it came.
 */
final class CardinalityLimitProcessor extends ShardedMetricsProcessor<CardinalityLimitProcessor.Decisions> {
  private static final Logger LOG = LoggerFactory.getLogger(CardinalityLimitProcessor.class);
  static final String SERIES_GAUGE = "sluice_processor_cardinality_limit_series";
  static final String FOLDED_GAUGE = "sluice_processor_cardinality_limit_folded_series";
  static final String SERIES_FOLDED = "sluice_processor_cardinality_limit_series_folded";
  static final String FOLDED_POINTS = "sluice_processor_cardinality_limit_folded_points";
  static final String OVERFLOW_ATTRIBUTE = "otel.metric.overflow";
  private static final List<KeyValue> OVERFLOW = List.of(KeyValue.newBuilder().setKey(OVERFLOW_ATTRIBUTE)
      .setValue(AnyValue.newBuilder().setBoolValue(true)).build());
  private static final int NO_RECORDED_VALUE = DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE;
  private static final Aggregate.Options OPTIONS = new Aggregate.Options(GaugeMode.LAST, 160, false);
  /** Points decided per turn of the event loop; the loop is free between slices. */
  static final int DECIDE_SLICE = 512;

  /** What became of one point. */
  private enum Outcome {
    PASSES,
    FOLDED,
    /** Not passed on, nothing to count: a stale marker that ended a folded series or a series never seen. */
    IGNORED,
    DROPPED
  }

  private final Shard[] state;
  private final int maxPerMetric;
  private final int maxTotal;
  private final long ttlNanos;
  private final AtomicInteger total = new AtomicInteger();
  private final AtomicLong folded = new AtomicLong();
  private final Counter foldedSeries;
  private final Counter foldedPoints;
  private final RateLimitedLog unmergedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);

  CardinalityLimitProcessor(ComponentContext ctx, CardinalityLimitProcessorConfig config, Consumer next,
      LongSupplier epochNanos) {
    super(ctx, next, epochNanos, "Cardinality limit processor");
    this.maxPerMetric = config.maxSeriesPerMetric();
    this.maxTotal = config.maxSeries();
    this.ttlNanos = config.seriesTtl().toNanos();
    this.state = new Shard[shards.size()];
    for (int i = 0; i < state.length; i++) {
      state[i] = new Shard(i);
    }
    this.foldedSeries = ctx.metrics().sharedCounter(SERIES_FOLDED,
        "Series the cardinality_limit processor folded into an overflow series, by the cap they met:"
            + " max_series_per_metric or max_series.", "component_id", "pipeline", "reason");
    this.foldedPoints = ctx.metrics().sharedCounter(FOLDED_POINTS,
        "Points the cardinality_limit processor folded into overflow series.", "component_id", "pipeline");
    foldedSeries.labelValues(id.toString(), pipeline, "max_series_per_metric");
    foldedSeries.labelValues(id.toString(), pipeline, "max_series");
    foldedPoints.labelValues(id.toString(), pipeline);
    gauge(SERIES_GAUGE, "Series the cardinality_limit processor lets through now.", total::get);
    gauge(FOLDED_GAUGE, "Series the cardinality_limit processor folds into overflow series now.", folded::get);
  }

  @Override
  protected long timerMillis() {
    return sweepMillis(ttlNanos);
  }

  @Override
  protected void onTimer(int shard) {
    state[shard].sweep();
  }

  @Override
  protected Future<Decisions> onShard(int shard, List<Work> work) {
    return state[shard].decide(work);
  }

  @Override
  protected String settings() {
    return "max_series_per_metric " + maxPerMetric + ", max_series " + maxTotal + ", series_ttl "
        + GoDurations.format(Duration.ofNanos(ttlNanos));
  }

  /** How often idle series are looked for: a tenth of the TTL, between 100 ms and 30 s. */
  static long sweepMillis(long ttlNanos) {
    return Math.max(100, Math.min(30_000, TimeUnit.NANOSECONDS.toMillis(ttlNanos) / 10));
  }

  @Override
  protected Future<Void> finish(Batch batch, int items, List<Decisions> decided) {
    Map<Metric, boolean[]> held = new IdentityHashMap<>();
    List<ResourceMetrics> overflow = new ArrayList<>();
    for (Decisions d : decided) {
      held.putAll(d.passing());
      if (d.overflow() != null) {
        overflow.addAll(d.overflow().build());
      }
    }
    Batch out = held.isEmpty() && overflow.isEmpty() ? batch
        : rebuild(batch, batch.resourceMetrics(), held, overflow);
    metrics.outgoing(out == batch ? items : out.itemCount());
    return out.isEmpty() ? Future.succeededFuture() : send(out);
  }

  /**
   * The batch with only the points that pass, in their order, and the overflow series after them.
   * Resources, scopes and metrics whose points all pass are kept as they are.
   */
  private static Batch rebuild(Batch batch, List<ResourceMetrics> resources, Map<Metric, boolean[]> passing,
      List<ResourceMetrics> overflow) {
    List<ResourceMetrics> out = new ArrayList<>(resources.size() + overflow.size());
    for (ResourceMetrics rm : resources) {
      if (!holdsAny(rm, passing)) {
        out.add(rm);
        continue;
      }
      ResourceMetrics.Builder rb = rm.toBuilder().clearScopeMetrics();
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        ScopeMetrics.Builder sb = sm.toBuilder().clearMetrics();
        for (Metric m : sm.getMetricsList()) {
          boolean[] pass = passing.get(m);
          if (pass == null) {
            sb.addMetrics(m);
            continue;
          }
          Metric.Builder mb = PointSelection.withoutPoints(m);
          List<?> points = PointSelection.points(m);
          int kept = 0;
          for (int i = 0; i < pass.length; i++) {
            if (pass[i]) {
              PointSelection.addPoint(mb, points.get(i));
              kept++;
            }
          }
          if (kept > 0) {
            sb.addMetrics(mb);
          }
        }
        if (sb.getMetricsCount() > 0) {
          rb.addScopeMetrics(sb);
        }
      }
      if (rb.getScopeMetricsCount() > 0) {
        out.add(rb.build());
      }
    }
    out.addAll(overflow);
    return batch.withResources(out);
  }

  private static boolean holdsAny(ResourceMetrics rm, Map<Metric, boolean[]> passing) {
    for (ScopeMetrics sm : rm.getScopeMetricsList()) {
      for (Metric m : sm.getMetricsList()) {
        if (passing.containsKey(m)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Frees the slots of series idle past the TTL on every loop now (as the timers do); for tests. */
  Future<Void> sweepNow() {
    List<Future<Integer>> all = new ArrayList<>();
    for (Shard s : state) {
      all.add(shards.on(s.index, s::sweep));
    }
    return Future.join(all).mapEmpty();
  }

  int seriesCount() {
    return total.get();
  }

  long foldedCount() {
    return folded.get();
  }

  /**
   * What a shard decided: for each metric with a point that does not pass, which of its points do
   * (metrics not listed pass whole); and the overflow series to add.
   */
  record Decisions(Map<Metric, boolean[]> passing, MetricsOutput overflow) {}

  /** One metric's overflow series of one kind. */
  private static final class Overflow {
    final Aggregate aggregate;
    final Metric descriptor;
    final InstrumentationScope scope;
    boolean written;

    Overflow(Aggregate aggregate, Metric descriptor, InstrumentationScope scope) {
      this.aggregate = aggregate;
      this.descriptor = descriptor;
      this.scope = scope;
    }
  }

  /** The series of one metric name. */
  private static final class MetricState {
    /** Series that pass → when they last had a point; least recently updated first. */
    final LinkedHashMap<SeriesKey, long[]> passing = new LinkedHashMap<>(16, 0.75f, true);
    final Map<MetricKind, Overflow> overflow = new EnumMap<>(MetricKind.class);

    boolean isEmpty() {
      return passing.isEmpty() && overflow.isEmpty();
    }
  }

  /** The metric names one event loop owns; touched only on that loop. */
  private final class Shard {
    final int index;
    final Map<String, MetricState> metricStates = new HashMap<>();

    Shard(int index) {
      this.index = index;
    }

    /** Decides about the points of these metrics, {@link #DECIDE_SLICE} points per turn of the loop. */
    Future<Decisions> decide(List<Work> work) {
      Decider d = new Decider(work, clock.getAsLong());
      return walk(index, d).map(v -> new Decisions(d.passing, d.overflow));
    }

    /** The progress of one batch's decisions on this shard. */
    private final class Decider extends PointWalk {
      final long now;
      final Map<Metric, boolean[]> passing = new IdentityHashMap<>();
      MetricsOutput overflow;
      long foldedNow;
      long dropped;
      // the metric being decided: its state, which of its points pass (null: all so far), and the
      // overflow series its points went into with the latest time among them
      MetricState ms;
      boolean[] pass;
      Map<Overflow, long[]> touched;

      Decider(List<Work> work, long now) {
        super(work, DECIDE_SLICE);
        this.now = now;
      }

      @Override
      protected boolean metricBegins(Work w) {
        ms = metricStates.computeIfAbsent(w.metric().getName(), n -> new MetricState());
        pass = null;
        touched = null;
        return true;
      }

      @Override
      protected void point(Work w, int index, Object point) {
        Outcome o = decideOne(w, point);
        foldedNow += o == Outcome.FOLDED ? 1 : 0;
        dropped += o == Outcome.DROPPED ? 1 : 0;
        if (o != Outcome.PASSES || pass != null) {
          pass = mark(pass, PointSelection.points(w.metric()).size(), index, o == Outcome.PASSES);
        }
      }

      @Override
      protected void sliceEnds() {
        if (foldedNow > 0) {
          foldedPoints.labelValues(id.toString(), pipeline).inc(foldedNow);
          foldedNow = 0;
        }
        if (dropped > 0) {
          metrics.dropped(dropped);
          dropped = 0;
        }
      }

      private Outcome decideOne(Work w, Object point) {
        String name = w.metric().getName();
        boolean stale = (PointSelection.flags(point) & NO_RECORDED_VALUE) != 0;
        SeriesKey key = new SeriesKey(w.resource(), w.sm().getScope(), name,
            AttributeSets.sorted(PointSelection.attributes(point)));
        long[] seen = ms.passing.get(key);
        if (seen != null) {
          if (stale) {
            ms.passing.remove(key);
            total.decrementAndGet();
          } else {
            seen[0] = now;
          }
          return Outcome.PASSES;
        }
        Overflow o = ms.overflow.get(w.kind());
        boolean isFolded = o != null && o.aggregate.hasInput(key);
        if (!isFolded && stale) {
          // the stale marker of a series never seen (or already freed): nothing to end
          return Outcome.IGNORED;
        }
        if (!isFolded && ms.passing.size() < maxPerMetric && reserve()) {
          ms.passing.put(key, new long[] {now});
          return Outcome.PASSES;
        }
        if (o == null) {
          Aggregate a = Aggregate.create(w.kind(), point, OPTIONS, w.kind().delta(), now);
          if (a == null) {
            unmergedLog.log("Cardinality limit processor \"{}\" in pipeline \"{}\" dropped a point of \"{}\" past the"
                + " cap: its buckets are malformed", id, pipeline, name);
            return Outcome.DROPPED;
          }
          o = new Overflow(a, PointSelection.descriptor(w.metric()), w.sm().getScope());
          ms.overflow.put(w.kind(), o);
        }
        int before = o.aggregate.inputCount();
        Aggregate.Outcome outcome = o.aggregate.accept(key, point, now);
        folded.addAndGet(o.aggregate.inputCount() - before);
        switch (outcome) {
          case MERGED -> {
            if (!isFolded) {
              foldedSeries.labelValues(id.toString(), pipeline,
                  ms.passing.size() >= maxPerMetric ? "max_series_per_metric" : "max_series").inc();
            }
            touched = touched == null ? new LinkedHashMap<>() : touched;
            long[] latest = touched.computeIfAbsent(o, x -> new long[1]);
            latest[0] = Math.max(latest[0], PointSelection.time(point));
            return Outcome.FOLDED;
          }
          case STALE -> {
            if (o.aggregate.inputCount() == 0) {
              // the last folded series went stale: so does the overflow series
              if (o.written) {
                o.aggregate.writeStale(metric(output(), o), OVERFLOW, PointSelection.time(point));
              }
              ms.overflow.remove(w.kind());
              if (touched != null) {
                touched.remove(o);
              }
            }
            return Outcome.IGNORED;
          }
          case INCOMPATIBLE -> {
            unmergedLog.log("Cardinality limit processor \"{}\" in pipeline \"{}\" dropped a point of \"{}\" past the"
                + " cap: its bucket bounds do not fit those of the overflow series", id, pipeline, name);
            return Outcome.DROPPED;
          }
          default -> {
            return Outcome.DROPPED; // older than the folded series' latest point
          }
        }
      }

      /** All points of the metric are decided: note which pass, write its overflow series. */
      @Override
      protected void metricEnds(Work w) {
        if (pass != null) {
          passing.put(w.metric(), pass);
        }
        if (touched != null) {
          for (Map.Entry<Overflow, long[]> e : touched.entrySet()) {
            Overflow o = e.getKey();
            o.aggregate.writeTo(metric(output(), o), OVERFLOW, e.getValue()[0]);
            o.written = true;
          }
        }
        if (ms.isEmpty()) {
          metricStates.remove(w.metric().getName());
        }
      }

      private MetricsOutput output() {
        if (overflow == null) {
          overflow = new MetricsOutput();
        }
        return overflow;
      }
    }

    private Metric.Builder metric(MetricsOutput out, Overflow o) {
      MetricKind kind = o.aggregate.kind();
      return out.metric(ResourceId.EMPTY, o.scope, kind, o.descriptor, o.descriptor.getName());
    }

    /** Frees the slots of series without points for the TTL, and empties idle overflow series. */
    int sweep() {
      long cutoff = clock.getAsLong() - ttlNanos;
      int freed = 0;
      for (Iterator<MetricState> it = metricStates.values().iterator(); it.hasNext(); ) {
        MetricState ms = it.next();
        for (Iterator<long[]> s = ms.passing.values().iterator(); s.hasNext(); ) {
          if (s.next()[0] - cutoff >= 0) {
            break; // least recently updated first
          }
          s.remove();
          freed++;
        }
        for (Iterator<Overflow> o = ms.overflow.values().iterator(); o.hasNext(); ) {
          Aggregate a = o.next().aggregate;
          folded.addAndGet(-a.expireInputs(cutoff));
          if (a.inputCount() == 0) {
            o.remove();
          }
        }
        if (ms.isEmpty()) {
          it.remove();
        }
      }
      if (freed > 0) {
        total.addAndGet(-freed);
      }
      return freed;
    }
  }

  /** Takes one slot of {@code max_series}, if one is free. */
  private boolean reserve() {
    while (true) {
      int n = total.get();
      if (n >= maxTotal) {
        return false;
      }
      if (total.compareAndSet(n, n + 1)) {
        return true;
      }
    }
  }

  private static boolean[] mark(boolean[] pass, int size, int index, boolean passes) {
    if (pass == null) {
      pass = new boolean[size];
      java.util.Arrays.fill(pass, 0, index, true);
    }
    pass[index] = passes;
    return pass;
  }
}
