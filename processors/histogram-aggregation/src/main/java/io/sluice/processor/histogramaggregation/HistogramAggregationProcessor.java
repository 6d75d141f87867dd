package io.sluice.processor.histogramaggregation;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Envelope;
import io.sluice.core.config.GoDurations;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.processor.seriesstate.Aggregate;
import io.sluice.processor.seriesstate.AttributeSets;
import io.sluice.processor.seriesstate.EventLoopShards;
import io.sluice.processor.seriesstate.MetricKind;
import io.sluice.processor.seriesstate.MetricsOutput;
import io.sluice.processor.seriesstate.PointSelection;
import io.sluice.processor.seriesstate.SeriesKey;
import io.sluice.processor.seriesstate.ShardedMetricsProcessor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code histogram_aggregation} processor of one metrics pipeline.
 *
 * <p>Every incoming point is merged into the aggregated series named by its resource, scope,
 * metric name and the attributes it keeps ({@link Aggregate} says how points merge). The incoming
 * batch is acknowledged once its points are merged (and what passes through unmerged is
 * delivered); the aggregated series go out every {@code interval} as cumulative points with their
 * start time, followed by the quantile gauges, in batches of {@link #WRITE_SLICE} series per event
 * loop.
 *
 * <p>State is split by metric name across the event loops ({@link EventLoopShards}): all series of
 * a metric live on one loop, which alone touches them, and each loop has its own write timer.
 *
 * <p>Passed on unmerged, as they came (and counted in
 * {@code sluice_processor_histogram_aggregation_unmerged_points_total} by reason): summaries
 * ({@code summary}); explicit histograms whose bounds do not include all of the aggregated
 * series' bounds ({@code bounds_mismatch}); points of a type other than the series' first
 * ({@code type_conflict}); histograms with malformed buckets ({@code invalid}). Points older than
 * their input's latest are dropped ({@code sluice_processor_dropped_items}).
 */
final class HistogramAggregationProcessor extends ShardedMetricsProcessor<HistogramAggregationProcessor.Merged> {
  private static final Logger LOG = LoggerFactory.getLogger(HistogramAggregationProcessor.class);
  static final String SERIES_GAUGE = "sluice_processor_histogram_aggregation_series";
  static final String UNMERGED = "sluice_processor_histogram_aggregation_unmerged_points";
  static final String EXPIRED = "sluice_processor_histogram_aggregation_expired_series";
  static final String QUANTILE_SUFFIX = "_quantile";
  static final String QUANTILE_ATTRIBUTE = "quantile";
  private static final int NO_RECORDED_VALUE = DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE;
  private static final double STALE_NAN = Double.longBitsToDouble(0x7ff0000000000002L);
  /** Series written per turn of the event loop; the loop is free between slices. */
  static final int WRITE_SLICE = 500;
  /** Points merged per turn of the event loop. */
  static final int MERGE_SLICE = 512;

  private final Shard[] state;
  private final Set<String> attributeKeys;
  private final boolean keep;
  private final long intervalNanos;
  private final long ttlNanos;
  private final double[] quantiles;
  private final List<KeyValue> quantileAttributes;
  private final Aggregate.Options options;
  private final Counter unmerged;
  private final CounterDataPoint expired;
  private final AtomicLong seriesCount = new AtomicLong();
  private final RateLimitedLog refusedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);

  HistogramAggregationProcessor(ComponentContext ctx, HistogramAggregationProcessorConfig config, Consumer next,
      LongSupplier epochNanos) {
    super(ctx, next, epochNanos, "Histogram aggregation processor");
    this.attributeKeys = config.attributeKeys();
    this.keep = config.keeps();
    this.intervalNanos = config.interval().toNanos();
    this.ttlNanos = config.seriesTtl().toNanos();
    this.quantiles = config.quantiles().stream().mapToDouble(Double::doubleValue).toArray();
    this.quantileAttributes = new ArrayList<>();
    for (double q : quantiles) {
      quantileAttributes.add(KeyValue.newBuilder().setKey(QUANTILE_ATTRIBUTE)
          .setValue(AnyValue.newBuilder().setStringValue(format(q))).build());
    }
    this.options = new Aggregate.Options(config.gaugeAggregation(), config.exponentialMaxSize(), quantiles.length > 0);
    this.state = new Shard[shards.size()];
    for (int i = 0; i < state.length; i++) {
      state[i] = new Shard(i);
    }
    this.unmerged = ctx.metrics().sharedCounter(UNMERGED,
        "Points the histogram_aggregation processor passed on unmerged, by reason: summary, bounds_mismatch"
            + " (explicit bounds that do not include the aggregated series' bounds), type_conflict, invalid.",
        "component_id", "pipeline", "reason");
    this.expired = ctx.metrics().sharedCounter(EXPIRED,
        "Aggregated series the histogram_aggregation processor dropped after series_ttl without points.",
        "component_id", "pipeline").labelValues(id.toString(), pipeline);
    gauge(SERIES_GAUGE, "Aggregated series the histogram_aggregation processor holds.", seriesCount::get);
  }

  /** {@code 0.95} as {@code "0.95"}, {@code 1.0} as {@code "1"}: as Prometheus writes quantile labels. */
  static String format(double q) {
    return BigDecimal.valueOf(q).stripTrailingZeros().toPlainString();
  }

  @Override
  protected long timerMillis() {
    return Math.max(1, TimeUnit.NANOSECONDS.toMillis(intervalNanos));
  }

  @Override
  protected void onTimer(int shard) {
    state[shard].write();
  }

  @Override
  protected Future<Merged> onShard(int shard, List<Work> work) {
    return state[shard].merge(work);
  }

  /** The last write of every series. */
  @Override
  protected Future<Void> onShutdown(int shard) {
    return state[shard].write();
  }

  @Override
  protected String settings() {
    return (keep ? "keeping " : "dropping ") + attributeKeys + ", interval "
        + GoDurations.format(Duration.ofNanos(intervalNanos)) + ", series_ttl "
        + GoDurations.format(Duration.ofNanos(ttlNanos));
  }

  @Override
  protected Future<Void> finish(Batch batch, int items, List<Merged> merged) {
    List<PointSelection> rejected = new ArrayList<>(merged.size());
    boolean deltas = false;
    for (Merged m : merged) {
      rejected.add(m.rejected());
      deltas |= m.deltas();
    }
    Future<Void> sent = passOn(batch.envelope(), rejected);
    if (!deltas) {
      return sent;
    }
    int passed = 0;
    for (PointSelection p : rejected) {
      passed += p.pointCount();
    }
    int lost = passed;
    // Delta points are in the totals now; a retry of the batch would count them twice.
    return sent.transform(ar -> {
      if (ar.failed()) {
        metrics.dropped(lost);
        refusedLog.log("Histogram aggregation processor \"{}\" in pipeline \"{}\": the next consumer refused the"
            + " points passed on unmerged; they are dropped, since the batch's delta points are aggregated already",
            id, pipeline, ar.cause());
      }
      return Future.succeededFuture();
    });
  }

  /** What a shard made of its part of a batch: the points passed on unmerged, and whether delta points merged. */
  record Merged(PointSelection rejected, boolean deltas) {}

  /** Sends what is passed on unmerged; succeeds at once when there is nothing. */
  private Future<Void> passOn(Envelope envelope, List<PointSelection> parts) {
    List<ResourceMetrics> out = new ArrayList<>();
    int points = 0;
    for (PointSelection p : parts) {
      if (!p.isEmpty()) {
        out.addAll(p.build());
        points += p.pointCount();
      }
    }
    if (out.isEmpty()) {
      return Future.succeededFuture();
    }
    metrics.outgoing(points);
    return send(Batch.metrics(out, envelope));
  }

  /** Writes every shard's series now (as the timers do); completes when the writes are settled. For tests. */
  Future<Void> writeNow() {
    List<Future<Void>> all = new ArrayList<>();
    for (Shard s : state) {
      all.add(shards.on(s.index, s::write).compose(f -> f));
    }
    return Future.join(all).mapEmpty();
  }

  /** Aggregated series held now; for tests. */
  long seriesCount() {
    return seriesCount.get();
  }

  /** One aggregated series. */
  private static final class Series {
    final SeriesKey key;
    final Aggregate aggregate;
    final Metric descriptor;
    final InstrumentationScope scope;
    boolean written;
    boolean quantilesWritten;

    Series(SeriesKey key, Aggregate aggregate, Metric descriptor, InstrumentationScope scope) {
      this.key = key;
      this.aggregate = aggregate;
      this.descriptor = descriptor;
      this.scope = scope;
    }
  }

  /** The series of the metric names one event loop owns; touched only on that loop. */
  private final class Shard {
    final int index;
    final Map<SeriesKey, Series> series = new HashMap<>();

    Shard(int index) {
      this.index = index;
    }

    /**
     * Merges the points of these metrics, {@link #MERGE_SLICE} points per turn of the loop, and
     * completes with the points passed on unmerged.
     */
    Future<Merged> merge(List<Work> work) {
      Merger m = new Merger(work, clock.getAsLong());
      return walk(index, m).map(v -> new Merged(m.rejected, m.deltas));
    }

    /** The progress of one merge. */
    private final class Merger extends PointWalk {
      final long now;
      final PointSelection rejected = new PointSelection();
      boolean deltas;
      long outOfOrder;
      /** The current metric's name, description, unit and metadata, made once it starts a series. */
      Metric descriptor;

      Merger(List<Work> work, long now) {
        super(work, MERGE_SLICE);
        this.now = now;
      }

      @Override
      protected boolean metricBegins(Work w) {
        descriptor = null;
        if (w.kind() == MetricKind.SUMMARY) {
          // quantiles cannot be merged: passed on as they came
          rejected.addMetric(w.rm(), w.sm(), w.metric());
          unmerged.labelValues(id.toString(), pipeline, "summary").inc(Batch.dataPointCount(w.metric()));
          return false;
        }
        return true;
      }

      @Override
      protected void point(Work w, int index, Object point) {
        if (!mergeOne(w, point)) {
          outOfOrder++;
        }
      }

      @Override
      protected void sliceEnds() {
        if (outOfOrder > 0) {
          metrics.dropped(outOfOrder);
          outOfOrder = 0;
        }
      }

      /** Merges one point; false when it was older than its input's latest (dropped). */
      private boolean mergeOne(Work w, Object point) {
        Metric m = w.metric();
        List<KeyValue> attributes = AttributeSets.sorted(PointSelection.attributes(point));
        List<KeyValue> kept = AttributeSets.filter(attributes, attributeKeys, keep);
        SeriesKey key = new SeriesKey(w.resource(), w.sm().getScope(), m.getName(), kept);
        Series s = series.get(key);
        if (s == null) {
          if ((PointSelection.flags(point) & NO_RECORDED_VALUE) != 0) {
            return true; // a stale marker for a series that does not exist
          }
          Aggregate a = Aggregate.create(w.kind(), point, options, false, now);
          if (a == null) {
            reject(rejected, w, point, "invalid");
            return true;
          }
          if (descriptor == null) {
            descriptor = PointSelection.descriptor(m);
          }
          s = new Series(key, a, descriptor, w.sm().getScope());
          series.put(key, s);
          seriesCount.incrementAndGet();
        } else if (s.aggregate.kind() != w.kind()) {
          reject(rejected, w, point, "type_conflict");
          return true;
        }
        switch (s.aggregate.accept(attributes, point, now)) {
          case INCOMPATIBLE -> reject(rejected, w, point, "bounds_mismatch");
          case OUT_OF_ORDER -> {
            return false;
          }
          case MERGED -> deltas |= w.kind().delta();
          case STALE -> {
            // the input stopped
          }
        }
        return true;
      }
    }

    private void reject(PointSelection rejected, Work w, Object point, String reason) {
      rejected.add(w.rm(), w.sm(), w.metric(), point);
      unmerged.labelValues(id.toString(), pipeline, reason).inc();
    }

    /**
     * Writes every series (values, then quantiles) and drops the expired ones after a last stale
     * point, {@link #WRITE_SLICE} series at a time: each slice goes out as one batch, and the loop
     * is free between slices. Completes when every batch is acknowledged or refused.
     */
    Future<Void> write() {
      long now = clock.getAsLong();
      List<Series> all = new ArrayList<>(series.values());
      Promise<Void> done = Promise.promise();
      writeSlice(all, 0, now, new ArrayList<>(), done);
      return done.future();
    }

    private void writeSlice(List<Series> all, int from, long now, List<Future<Void>> acks, Promise<Void> done) {
      long cutoff = now - ttlNanos;
      int to = Math.min(all.size(), from + WRITE_SLICE);
      MetricsOutput out = new MetricsOutput();
      int points = 0;
      int removed = 0;
      for (int i = from; i < to; i++) {
        Series s = all.get(i);
        Aggregate a = s.aggregate;
        a.expireInputs(cutoff);
        MetricKind outKind = a.kind().cumulative();
        if (a.lastUpdateNanos() - cutoff < 0 || !a.hasValue()) {
          series.remove(s.key, s);
          removed++;
          if (s.written) {
            a.writeStale(out.metric(s.key.resource(), s.scope, outKind, s.descriptor, s.descriptor.getName()),
                s.key.attributes(), now);
            points++;
          }
          if (s.quantilesWritten) {
            points += writeQuantiles(out, s, null, now);
          }
          continue;
        }
        a.writeTo(out.metric(s.key.resource(), s.scope, outKind, s.descriptor, s.descriptor.getName()),
            s.key.attributes(), now);
        s.written = true;
        points++;
        if (quantiles.length > 0) {
          double[] values = a.takeQuantiles(quantiles, now);
          if (values != null) {
            int n = writeQuantiles(out, s, values, now);
            s.quantilesWritten |= n > 0;
            points += n;
          }
        }
      }
      if (removed > 0) {
        seriesCount.addAndGet(-removed);
        expired.inc(removed);
      }
      if (!out.isEmpty()) {
        acks.add(sendWritten(out, points));
      }
      if (to < all.size()) {
        shards.context(index).runOnContext(v -> writeSlice(all, to, now, acks, done));
      } else {
        Future.join(acks).onComplete(ar -> done.complete());
      }
    }

    /** Sends written points; the future succeeds either way, a refusal is counted and logged. */
    private Future<Void> sendWritten(MetricsOutput out, int points) {
      metrics.outgoing(points);
      return send(Batch.metrics(out.build(), Envelope.of(id))).transform(ar -> {
        if (ar.failed()) {
          metrics.dropped(points);
          refusedLog.log("Histogram aggregation processor \"{}\" in pipeline \"{}\": the next consumer refused {}"
              + " aggregated points; the totals go out again at the next interval", id, pipeline, points, ar.cause());
        }
        return Future.succeededFuture();
      });
    }

    /** Writes the quantile gauges of a series; with {@code values} null, their stale markers. */
    private int writeQuantiles(MetricsOutput out, Series s, double[] values, long now) {
      String name = s.descriptor.getName() + QUANTILE_SUFFIX;
      Metric descriptor = null;
      int n = 0;
      for (int i = 0; i < quantiles.length; i++) {
        if (values != null && Double.isNaN(values[i])) {
          continue;
        }
        if (descriptor == null) {
          descriptor = Metric.newBuilder().setName(name).setUnit(s.descriptor.getUnit())
              .setDescription("Quantiles of " + s.descriptor.getName() + " over each interval, estimated from its"
                  + " buckets").build();
        }
        List<KeyValue> attributes = new ArrayList<>(s.key.attributes().size() + 1);
        attributes.addAll(s.key.attributes());
        attributes.add(quantileAttributes.get(i));
        NumberDataPoint.Builder p = out.metric(s.key.resource(), s.scope, MetricKind.GAUGE, descriptor, name)
            .getGaugeBuilder().addDataPointsBuilder().addAllAttributes(AttributeSets.sorted(attributes))
            .setTimeUnixNano(now);
        if (values == null) {
          p.setAsDouble(STALE_NAN).setFlags(NO_RECORDED_VALUE);
        } else {
          p.setAsDouble(values[i]);
        }
        n++;
      }
      return n;
    }
  }
}
