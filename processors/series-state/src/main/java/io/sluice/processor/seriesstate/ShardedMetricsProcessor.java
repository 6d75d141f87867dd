package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.telemetry.SelfMetrics.ProcessorMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.DoubleSupplier;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A metrics processor whose state is split by metric name across the event loops: each incoming
 * batch is cut into its metrics, each metric goes to the shard its name picks
 * ({@link EventLoopShards}), every shard handles its part on its own loop ({@link #onShard}), and
 * when all are done {@link #finish} decides what goes on. Each shard may have a periodic timer
 * ({@link #timerMillis}). Start, shutdown (safe without start and twice), the refusal of batches
 * while shutting down, and the self-metric gauges ({@link #gauge}) are handled here.
 *
 * @param <R> what a shard makes of its part of a batch
 */
public abstract class ShardedMetricsProcessor<R> implements Processor {
  private final Logger log = LoggerFactory.getLogger(getClass());
  protected final ComponentId id;
  protected final String pipeline;
  protected final Consumer next;
  protected final SelfMetrics selfMetrics;
  protected final ProcessorMetrics metrics;
  protected final EventLoopShards shards;
  /** Nanoseconds since the Unix epoch: the time points carry. */
  protected final LongSupplier clock;
  private final String title;
  private final long[] timerIds;
  private final Map<String, Gauge> gauges = new LinkedHashMap<>();
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean shutdownCalled = new AtomicBoolean();
  private final Promise<Void> shutdownPromise = Promise.promise();
  private volatile boolean shuttingDown;

  /** One metric of an incoming batch, for the shard that owns its name. */
  public record Work(ResourceMetrics rm, ResourceId resource, ScopeMetrics sm, Metric metric, MetricKind kind) {}

  private record Gauge(String help, DoubleSupplier value) {}

  /**
   * @param title what the processor is called in log lines and errors, such as
   *     {@code Cardinality limit processor}
   */
  protected ShardedMetricsProcessor(ComponentContext ctx, Consumer next, LongSupplier clock, String title) {
    this.id = ctx.id();
    this.pipeline = ctx.pipeline();
    this.next = next;
    this.selfMetrics = ctx.metrics();
    this.metrics = ctx.metrics().processor(ctx.id(), ctx.pipeline(), Signal.METRICS);
    this.shards = new EventLoopShards(ctx.vertx());
    this.clock = clock;
    this.title = title;
    this.timerIds = new long[shards.size()];
    java.util.Arrays.fill(timerIds, -1);
  }

  /** A gauge with a series for this instance, registered at start and removed at shutdown. */
  protected final void gauge(String name, String help, DoubleSupplier value) {
    gauges.put(name, new Gauge(help, value));
  }

  /** How often each shard's timer fires, in milliseconds; 0 for no timer. */
  protected abstract long timerMillis();

  /** A shard's timer fired; on that shard's loop. */
  protected abstract void onTimer(int shard);

  /** Handles a shard's part of a batch, on that shard's loop; completes with what it made of it. */
  protected abstract Future<R> onShard(int shard, List<Work> work);

  /**
   * Every shard is done with {@code batch} ({@code results} in no particular order): pass on
   * what goes on; the future is the batch's acknowledgement. On any thread.
   */
  protected abstract Future<Void> finish(Batch batch, int items, List<R> results);

  /** The last work of a shard at shutdown, on its loop, after its timer stopped. */
  protected Future<Void> onShutdown(int shard) {
    return Future.succeededFuture();
  }

  /** What the start-up log line says about the settings. */
  protected abstract String settings();

  @Override
  public final Future<Void> start() {
    if (!started.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    gauges.forEach((name, g) -> SharedGauges.register(selfMetrics, name, g.help(), id.toString(), pipeline,
        g.value()));
    long every = timerMillis();
    if (every > 0) {
      for (int i = 0; i < shards.size(); i++) {
        int shard = i;
        shards.on(shard, () -> timerIds[shard] = shards.context(shard).setPeriodic(every, t -> onTimer(shard)));
      }
    }
    log.info("{} \"{}\" in pipeline \"{}\" started ({}, {} event loops)", title, id, pipeline, settings(),
        shards.size());
    return Future.succeededFuture();
  }

  @Override
  public final Future<Void> consume(Batch batch) {
    if (shuttingDown) {
      return Future.failedFuture(new RetryableException(title + " \"" + id + "\" in pipeline \"" + pipeline
          + "\" is shutting down; retry once the gateway is back"));
    }
    int items;
    List<ResourceMetrics> resources;
    try {
      resources = batch.resourceMetrics();
      items = batch.itemCount();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    metrics.incoming(items);
    if (items == 0) {
      return Future.succeededFuture();
    }
    @SuppressWarnings("unchecked")
    List<Work>[] work = new List[shards.size()];
    for (ResourceMetrics rm : resources) {
      ResourceId resource = null;
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          MetricKind kind = MetricKind.of(m);
          if (kind == null || Batch.dataPointCount(m) == 0) {
            continue;
          }
          if (resource == null) {
            resource = new ResourceId(rm.getResource());
          }
          int shard = shards.shardOf(m.getName().hashCode());
          if (work[shard] == null) {
            work[shard] = new ArrayList<>();
          }
          work[shard].add(new Work(rm, resource, sm, m, kind));
        }
      }
    }
    List<Future<R>> parts = new ArrayList<>();
    for (int i = 0; i < work.length; i++) {
      if (work[i] != null) {
        int shard = i;
        List<Work> w = work[i];
        parts.add(shards.on(shard, () -> onShard(shard, w)).compose(f -> f));
      }
    }
    return Future.all(parts).compose(all -> {
      List<R> results = new ArrayList<>(parts.size());
      for (Future<R> f : parts) {
        results.add(f.result());
      }
      return finish(batch, items, results);
    });
  }

  /**
   * A walk over the points of a shard's part of a batch, a slice of points per turn of the event
   * loop (run it with {@link #walk}); subclasses say what to do with each metric and point.
   */
  protected abstract static class PointWalk {
    private final List<Work> work;
    private final int slice;
    private int workIndex;
    private int pointIndex;
    private boolean begun;

    protected PointWalk(List<Work> work, int slice) {
      this.work = work;
      this.slice = slice;
    }

    /** A metric begins; false skips its points. */
    protected boolean metricBegins(Work w) {
      return true;
    }

    protected abstract void point(Work w, int index, Object point);

    /** Every point of a metric was walked (not called for skipped metrics). */
    protected void metricEnds(Work w) {}

    /** A slice ends, the last or not: a place to record counts. */
    protected void sliceEnds() {}

    /** Walks up to a slice of points; true when the walk is done. */
    final boolean step() {
      int budget = slice;
      try {
        while (workIndex < work.size()) {
          Work w = work.get(workIndex);
          if (!begun) {
            begun = true;
            if (!metricBegins(w)) {
              nextMetric();
              continue;
            }
          }
          List<?> points = PointSelection.points(w.metric());
          while (pointIndex < points.size()) {
            if (budget-- == 0) {
              return false;
            }
            int i = pointIndex++;
            point(w, i, points.get(i));
          }
          metricEnds(w);
          nextMetric();
        }
        return true;
      } finally {
        sliceEnds();
      }
    }

    private void nextMetric() {
      workIndex++;
      pointIndex = 0;
      begun = false;
    }
  }

  /** Runs a walk on the shard's loop, a slice per turn, until it is done. */
  protected final Future<Void> walk(int shard, PointWalk walk) {
    return shards.loop(shard, walk::step);
  }

  /** Sends a batch on; a throwing consumer is a failed future. */
  protected final Future<Void> send(Batch batch) {
    try {
      return next.consume(batch);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public final Future<Void> shutdown() {
    if (!shutdownCalled.compareAndSet(false, true)) {
      return shutdownPromise.future();
    }
    shuttingDown = true;
    if (!started.get()) {
      shutdownPromise.complete();
      return shutdownPromise.future();
    }
    List<Future<Void>> last = new ArrayList<>();
    for (int i = 0; i < shards.size(); i++) {
      int shard = i;
      last.add(shards.on(shard, () -> {
        if (timerIds[shard] >= 0) {
          shards.context(shard).owner().cancelTimer(timerIds[shard]);
        }
        return onShutdown(shard);
      }).compose(f -> f));
    }
    Future.join(last).onComplete(ar -> {
      gauges.forEach((name, g) -> SharedGauges.unregister(selfMetrics, name, id.toString(), pipeline, g.value()));
      log.info("{} \"{}\" in pipeline \"{}\" shut down", title, id, pipeline);
      shutdownPromise.tryComplete();
    });
    return shutdownPromise.future();
  }

  @Override
  public String toString() {
    return title + " \"" + id + "\" in pipeline \"" + pipeline + "\"";
  }
}
