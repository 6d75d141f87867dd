package io.sluice.connector.spanmetrics;

import com.google.protobuf.ByteString;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Connector;
import io.sluice.core.Consumer;
import io.sluice.core.Envelope;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.config.GoDurations;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code spanmetrics} connector: the exporter of traces pipelines that counts their spans
 * into calls, duration and events metrics, and the receiver that sends those metrics into the
 * metrics pipelines every {@code metrics_flush_interval}.
 *
 * <p>Threads: one shard per event loop, each owning the resources whose key hashes to it, so a
 * series is only ever touched by its shard's loop. {@link #consume} parses the batch, routes each
 * resource's spans to its shard (counted at once when the caller is on that loop, else posted to
 * it) and completes once every shard has counted its part: from then on the spans are in the
 * metrics, which is all a traces pipeline can ask of this exporter. Each shard flushes on its own
 * periodic timer into the next consumer, building the flush {@link #FLUSH_STEP_POINTS} points per
 * loop task so that a large state never holds the loop for long; while a flush is unacknowledged,
 * the shard's next ticks are skipped (counted), so a slow metrics pipeline holds one flush per
 * shard, not a pile.
 *
 * <p>A flush refused downstream: with cumulative temporality it is counted, and nothing is lost
 * that the next flush does not carry (it holds the same series with the totals since). With
 * delta temporality a retryable refusal gives the flush's series back to the shard, merged into
 * the next interval's (their start times kept, so the next point covers both intervals); a
 * permanent refusal loses them, counted. Shutdown flushes what each shard holds, once.
 */
final class SpanMetricsConnector implements Connector {
  private static final Logger LOG = LoggerFactory.getLogger(SpanMetricsConnector.class);
  /** Points one flush builds per event-loop task, so that a large state does not hold the loop. */
  static final int FLUSH_STEP_POINTS = 500;

  private final ComponentId id;
  private final Consumer next;
  private final Settings settings;
  private final SpanMetricsConnectorConfig config;
  private final long flushIntervalMillis;
  private final Shard[] shards;
  private final Counters counters;
  private final RateLimitedLog flushFailures = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean shutdownCalled = new AtomicBoolean();
  private final Promise<Void> shutdownPromise = Promise.promise();
  private volatile boolean shuttingDown;

  SpanMetricsConnector(ComponentContext ctx, SpanMetricsConnectorConfig config, Consumer next) {
    this(ctx, config, next, SpanMetricsConnector::epochNanos);
  }

  /** @param clock the time now in nanoseconds since the epoch */
  SpanMetricsConnector(ComponentContext ctx, SpanMetricsConnectorConfig config, Consumer next, LongSupplier clock) {
    this.id = ctx.id();
    this.next = next;
    this.config = config;
    this.settings = new Settings(config);
    this.flushIntervalMillis = Math.max(1, config.metricsFlushInterval().toMillis());
    this.counters = new Counters(ctx.metrics(), id.toString());
    VertxInternal vertx = (VertxInternal) ctx.vertx();
    List<EventLoop> loops = new ArrayList<>();
    for (EventExecutor e : vertx.nettyEventLoopGroup()) {
      loops.add((EventLoop) e);
    }
    int n = Math.max(1, loops.size());
    int resourceCap = (config.resourceMetricsCacheSize() + n - 1) / n;
    this.shards = new Shard[n];
    long seed = System.nanoTime();
    for (int i = 0; i < n; i++) {
      ContextInternal context = loops.isEmpty() ? vertx.createEventLoopContext()
          : vertx.contextBuilder().withThreadingModel(ThreadingModel.EVENT_LOOP).withEventLoop(loops.get(i)).build();
      shards[i] = new Shard(i, context, new Aggregator(settings, clock, resourceCap, config.timestampCacheSize(),
          counters, seed + i * 0x9E3779B97F4A7C15L));
    }
  }

  private static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  @Override
  public Future<Void> start() {
    if (started.compareAndSet(false, true) && !shuttingDown) {
      for (Shard shard : shards) {
        shard.context.runOnContext(v -> shard.startTimer());
      }
      LOG.info("Spanmetrics connector \"{}\" started: {} shards, flushes every {}, {}, {} histogram{}", id,
          shards.length, GoDurations.format(config.metricsFlushInterval()), settings.delta ? "delta" : "cumulative",
          settings.histogramEnabled ? (settings.exponential ? "exponential" : "explicit") : "no",
          settings.expirationNanos > 0 ? ", series expire after " + GoDurations.format(config.metricsExpiration())
              : "");
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    if (shuttingDown) {
      return Future.failedFuture(shuttingDownError());
    }
    List<ResourceSpans> all;
    try {
      all = batch.resourceSpans();
    } catch (PermanentException e) {
      return Future.failedFuture(e);
    }
    if (all.isEmpty()) {
      return Future.succeededFuture();
    }
    if (shards.length == 1) {
      List<Work> work = new ArrayList<>(all.size());
      for (ResourceSpans rs : all) {
        work.add(new Work(Aggregator.resourceKey(rs.getResource(), settings), rs));
      }
      return shards[0].submit(work);
    }
    @SuppressWarnings("unchecked")
    List<Work>[] perShard = new List[shards.length];
    for (ResourceSpans rs : all) {
      ByteString key = Aggregator.resourceKey(rs.getResource(), settings);
      int shard = shardOf(key);
      if (perShard[shard] == null) {
        perShard[shard] = new ArrayList<>();
      }
      perShard[shard].add(new Work(key, rs));
    }
    List<Future<Void>> parts = new ArrayList<>(shards.length);
    for (int i = 0; i < shards.length; i++) {
      if (perShard[i] != null) {
        parts.add(shards[i].submit(perShard[i]));
      }
    }
    return parts.size() == 1 ? parts.get(0) : Future.all(parts).mapEmpty();
  }

  private int shardOf(ByteString key) {
    int h = key.hashCode();
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    return Math.floorMod(h, shards.length);
  }

  @Override
  public Future<Void> shutdown() {
    if (!shutdownCalled.compareAndSet(false, true)) {
      return shutdownPromise.future();
    }
    shuttingDown = true;
    List<Future<Void>> closed = new ArrayList<>(shards.length);
    for (Shard shard : shards) {
      Promise<Void> p = Promise.promise();
      shard.context.runOnContext(v -> shard.close(p));
      closed.add(p.future());
    }
    Future.join(closed).onComplete(ar -> {
      LOG.info("Spanmetrics connector \"{}\" shut down", id);
      shutdownPromise.tryComplete();
    });
    return shutdownPromise.future();
  }

  /**
   * Flushes every shard now, as its timer would; completes when each flush was acknowledged or
   * refused (a shard with a flush in flight flushes again once that one settles).
   */
  Future<Void> flushNow() {
    List<Future<Void>> flushed = new ArrayList<>(shards.length);
    for (Shard shard : shards) {
      Promise<Void> p = Promise.promise();
      shard.context.runOnContext(v -> shard.flushWhenIdle(p));
      flushed.add(p.future());
    }
    return Future.join(flushed).mapEmpty();
  }

  /** Series held by all shards, read on each shard's loop. */
  Future<Integer> seriesCount() {
    List<Future<Integer>> counts = new ArrayList<>(shards.length);
    for (Shard shard : shards) {
      Promise<Integer> p = Promise.promise();
      shard.context.runOnContext(v -> p.complete(shard.aggregator.seriesCount()));
      counts.add(p.future());
    }
    return Future.all(counts).map(cf -> {
      int n = 0;
      for (int i = 0; i < counts.size(); i++) {
        n += cf.<Integer>resultAt(i);
      }
      return n;
    });
  }

  int shardCount() {
    return shards.length;
  }

  private RetryableException shuttingDownError() {
    return new RetryableException("Spanmetrics connector \"" + id + "\" is shutting down; retry once the gateway"
        + " is back");
  }

  @Override
  public String toString() {
    return "spanmetrics connector \"" + id + "\"";
  }

  /** The spans of one resource and that resource's key. */
  private record Work(ByteString key, ResourceSpans spans) {}

  /** The resources of one event loop: their state, their flush timer, their flush in flight. */
  private final class Shard {
    final int index;
    final ContextInternal context;
    final Aggregator aggregator;
    // Touched only on the context.
    long timerId = -1;
    boolean flushing;
    boolean closed;
    /** Completed once the flush at shutdown settled. */
    Promise<Void> closing;
    /** What waits for the flush in flight to settle. */
    final List<Runnable> afterFlush = new ArrayList<>();

    Shard(int index, ContextInternal context, Aggregator aggregator) {
      this.index = index;
      this.context = context;
      this.aggregator = aggregator;
    }

    Future<Void> submit(List<Work> work) {
      if (context.nettyEventLoop().inEventLoop()) {
        return count(work);
      }
      Promise<Void> done = Promise.promise();
      context.runOnContext(v -> count(work).onComplete(done));
      return done.future();
    }

    private Future<Void> count(List<Work> work) {
      if (closed) {
        return Future.failedFuture(shuttingDownError());
      }
      try {
        for (Work w : work) {
          aggregator.aggregate(w.key(), w.spans());
        }
        return Future.succeededFuture();
      } catch (RuntimeException e) {
        LOG.error("Spanmetrics connector \"{}\" failed to count spans", id, e);
        return Future.failedFuture(new PermanentException("Spanmetrics connector \"" + id + "\" failed to count"
            + " spans: " + e, e));
      }
    }

    void startTimer() {
      if (!closed && timerId < 0) {
        timerId = context.setPeriodic(flushIntervalMillis, t -> tick());
      }
    }

    private void tick() {
      if (closed) {
        return;
      }
      if (flushing) {
        counters.skippedFlushes.inc();
        return;
      }
      flush(null);
    }

    void flushWhenIdle(Promise<Void> done) {
      if (flushing) {
        afterFlush.add(() -> flushWhenIdle(done));
      } else {
        flush(done);
      }
    }

    /** Sends what the shard holds; {@code done} (may be null) completes once the flush settles. */
    private void flush(Promise<Void> done) {
      Aggregator.Flush f;
      try {
        f = aggregator.startFlush();
      } catch (RuntimeException e) {
        LOG.error("Spanmetrics connector \"{}\" failed to start a flush", id, e);
        f = null;
      }
      if (f == null) {
        if (done != null) {
          done.complete();
        }
        return;
      }
      flushing = true;
      build(f, done);
    }

    /**
     * Builds the flush's metrics {@link #FLUSH_STEP_POINTS} points at a time, each step a task of
     * its own on the loop, then sends them.
     */
    private void build(Aggregator.Flush f, Promise<Void> done) {
      boolean built;
      try {
        built = f.step(FLUSH_STEP_POINTS);
      } catch (RuntimeException e) {
        LOG.error("Spanmetrics connector \"{}\" failed to build its metrics", id, e);
        settle(f, e, done);
        return;
      }
      if (!built) {
        context.runOnContext(v -> build(f, done));
        return;
      }
      if (f.resources.isEmpty()) {
        settle(f, null, done);
        return;
      }
      Future<Void> sent;
      try {
        sent = next.consume(Batch.metrics(f.resources, Envelope.of(id)));
      } catch (RuntimeException e) {
        sent = Future.failedFuture(e);
      }
      sent.onComplete(ar -> {
        if (context.nettyEventLoop().inEventLoop()) {
          settle(f, ar.cause(), done);
        } else {
          context.runOnContext(v -> settle(f, ar.cause(), done));
        }
      });
    }

    private void settle(Aggregator.Flush f, Throwable error, Promise<Void> done) {
      flushing = false;
      if (error == null) {
        aggregator.settle(f, false);
      } else {
        boolean permanent = PermanentException.isPermanent(error);
        boolean last = done != null && done == closing;
        boolean retry = settings.delta && !permanent && !last;
        aggregator.settle(f, retry);
        String reason = permanent ? "permanent" : "retryable";
        counters.failedPoints(reason).inc(f.points);
        if (last && settings.delta) {
          LOG.error("Spanmetrics connector \"{}\" lost {} delta points at shutdown: the metrics pipeline refused"
              + " them", id, f.points, error);
        } else {
          flushFailures.log("Spanmetrics connector \"{}\": the metrics pipeline refused a flush of {} points ({});"
              + " {}", id, f.points, error.toString(), retry ? "they are merged into the next flush"
              : settings.delta ? "they are lost" : "the next flush carries the totals");
        }
      }
      if (done != null) {
        done.complete();
      }
      if (!afterFlush.isEmpty()) {
        List<Runnable> waiting = new ArrayList<>(afterFlush);
        afterFlush.clear();
        waiting.forEach(Runnable::run);
      }
    }

    void close(Promise<Void> closedPromise) {
      if (timerId >= 0) {
        context.owner().cancelTimer(timerId);
        timerId = -1;
      }
      closed = true;
      closing = closedPromise;
      flushWhenIdle(closedPromise);
    }
  }

  /** The connector's self-metrics. */
  private static final class Counters implements Aggregator.Tally {
    final CounterDataPoint skippedSpans;
    final CounterDataPoint[] overflowed;
    final CounterDataPoint expiredSeries;
    final CounterDataPoint skippedFlushes;
    final CounterDataPoint failedRetryable;
    final CounterDataPoint failedPermanent;

    Counters(SelfMetrics metrics, String id) {
      skippedSpans = metrics.sharedCounter("sluice_connector_spanmetrics_skipped_spans",
          "Spans the spanmetrics connector did not count, by reason (no_service_name: their resource has no"
              + " service.name).", "component_id", "reason").labelValues(id, "no_service_name");
      var overflow = metrics.sharedCounter("sluice_connector_spanmetrics_overflow_items",
          "Spans (events for the events metric) counted in a metric's otel.metric.overflow series because their"
              + " resource had aggregation_cardinality_limit series of it already.", "component_id", "metric");
      overflowed = new CounterDataPoint[] {
        overflow.labelValues(id, "calls"), overflow.labelValues(id, "duration"), overflow.labelValues(id, "events")
      };
      expiredSeries = metrics.sharedCounter("sluice_connector_spanmetrics_expired_series",
          "Series the spanmetrics connector dropped after metrics_expiration without spans.", "component_id")
          .labelValues(id);
      skippedFlushes = metrics.sharedCounter("sluice_connector_spanmetrics_skipped_flushes",
          "Flush ticks of a spanmetrics shard skipped because its previous flush was not acknowledged yet.",
          "component_id").labelValues(id);
      var failed = metrics.sharedCounter("sluice_connector_spanmetrics_flush_failed_points",
          "Points of spanmetrics flushes the metrics pipeline refused, by reason: retryable (delta: merged into the"
              + " next flush; cumulative: the next flush carries the totals) or permanent (lost).",
          "component_id", "reason");
      failedRetryable = failed.labelValues(id, "retryable");
      failedPermanent = failed.labelValues(id, "permanent");
    }

    CounterDataPoint failedPoints(String reason) {
      return reason.equals("permanent") ? failedPermanent : failedRetryable;
    }

    @Override
    public void skippedSpans(long n) {
      skippedSpans.inc(n);
    }

    @Override
    public void overflowed(int metric, long n) {
      overflowed[metric].inc(n);
    }

    @Override
    public void expiredSeries(long n) {
      expiredSeries.inc(n);
    }
  }

}
