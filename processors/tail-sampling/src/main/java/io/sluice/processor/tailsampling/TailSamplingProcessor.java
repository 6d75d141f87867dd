package io.sluice.processor.tailsampling;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Consumer;
import io.sluice.core.PermanentException;
import io.sluice.core.Processor;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.config.GoDurations;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.EventExecutor;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code tail_sampling} processor of one traces pipeline.
 *
 * <p>State is sharded by trace ID over the Vert.x event loops: one {@link Shard} per loop, each
 * on a context bound to that loop, owns every trace whose ID hashes to it. {@link #consume} reads
 * the batch once on the caller's thread ({@link Scan}: where each span is, its trace ID and a few
 * fields), then hands each shard its spans with {@code runOnContext}; spans of one trace arriving
 * on different loops thus meet on one owner, and no state is shared or locked.
 *
 * <p>Acknowledgement ({@code acknowledge}): with {@code after_decision}, the future of
 * {@code consume} completes once every trace the batch brought spans of is decided and, for the
 * kept ones, the next consumer took their spans; a dropped trace counts as done when decided, and
 * spans arriving after their trace's decision count as done at once (not kept) or once the next
 * consumer took them (kept). A batch of many traces is thus acknowledged after the last of them
 * is decided, about {@code decision_wait} after it came. Each pending acknowledgement is an
 * {@link Ack} held by the traces and outgoing requests that carry the batch's spans, which
 * {@code num_traces} and {@code max_bytes} bound, so a source that replays what it has not had
 * acknowledged (the Kafka receiver's uncommitted offsets) loses nothing to a crash. With
 * {@code on_receipt} it completes once every shard holds its spans, as the Collector's processor
 * does: for push clients whose export timeout is shorter than {@code decision_wait}; a crash then
 * loses what was held. With {@code auto}, the default, a batch whose source replays (the
 * {@code kafka} receiver, {@link #REPLAYING_SOURCES}) waits for the decision and the rest are
 * acknowledged on receipt, so neither a Kafka tier nor an OTLP client has to choose.
 *
 * <p>What is held is not lost on purpose: traces are decided (early, past the budgets), never
 * dropped undecided; sampled spans that the next consumer refuses with a retryable error are kept
 * (counted against {@code max_bytes}) and sent again with backoff, and while half of
 * {@code max_bytes} is taken by such spans new batches are refused with a retryable error, so the
 * client holds them. On shutdown every held trace is decided and sent (unless
 * {@code drop_pending_traces_on_shutdown}, which fails the acknowledgements it could not keep),
 * with a bounded number of retries. Sampled spans the next consumer refuses as bad data are lost
 * and their batches acknowledged: sent again, they would be refused again.
 */
final class TailSamplingProcessor implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(TailSamplingProcessor.class);

  final ComponentId id;
  final String pipeline;
  final Consumer next;
  final TailSamplingMetrics metrics;
  final LongSupplier clock;
  final long startNanos;
  final long waitNanos;
  final long rootWaitNanos;
  final long tickMillis;
  final int maxTracesPerShard;
  final long maxBytesPerShard;
  final long maxTraceBytes;
  final int expectedTracesPerShard;
  final int sampledCachePerShard;
  final int notSampledCachePerShard;
  final boolean blockOnOverflow;
  final boolean sampleOnFirstMatch;
  final boolean recordPolicy;
  final boolean dropPendingOnShutdown;
  /**
   * The receivers that read again what they have not had acknowledged (the {@code kafka} receiver
   * commits only acknowledged offsets): with {@code acknowledge: auto}, their batches wait for the
   * decision.
   */
  static final Set<String> REPLAYING_SOURCES = Set.of("kafka");

  /** When a batch is acknowledged ({@code acknowledge}). */
  final TailSamplingProcessorConfig.Acknowledge acknowledge;
  /** Sends of sampled spans tried during shutdown before they are given up. */
  final int shutdownRetries = 5;
  private final TailSamplingProcessorConfig config;
  private final Shard[] shards;
  private final RateLimitedLog earlyLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  private final RateLimitedLog failedLog = new RateLimitedLog(LOG, Level.ERROR, 60, TimeUnit.SECONDS);

  private volatile boolean shuttingDown;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean shutdownCalled = new AtomicBoolean();
  private final Promise<Void> shutdownPromise = Promise.promise();

  TailSamplingProcessor(ComponentContext ctx, TailSamplingProcessorConfig config, Consumer next, LongSupplier clock) {
    this.id = ctx.id();
    this.pipeline = ctx.pipeline();
    this.next = next;
    this.config = config;
    this.clock = clock;
    this.startNanos = clock.getAsLong();
    this.metrics = new TailSamplingMetrics(ctx);
    VertxInternal vx = (VertxInternal) ctx.vertx();
    List<ContextInternal> contexts = new ArrayList<>();
    for (EventExecutor loop : vx.nettyEventLoopGroup()) {
      contexts.add(vx.contextBuilder().withEventLoop((EventLoop) loop).build());
    }
    int n = Math.max(1, contexts.size());
    Duration wait = config.decisionWait();
    this.waitNanos = wait.toNanos();
    this.rootWaitNanos = config.decisionWaitAfterRootReceived().toNanos();
    // Decisions are made at most a tick after they are due: a tenth of the wait, 5 ms to 100 ms.
    this.tickMillis = Math.max(5, Math.min(100, wait.toMillis() / 10));
    this.maxTracesPerShard = (int) Math.min(Integer.MAX_VALUE, (config.numTraces() + n - 1) / n);
    this.maxBytesPerShard = Math.max(1, config.effectiveMaxBytes() / n);
    this.maxTraceBytes = config.maximumTraceSizeBytes();
    long expected = config.expectedNewTracesPerSec() * Math.max(1, wait.toSeconds());
    this.expectedTracesPerShard = (int) Math.min(maxTracesPerShard, Math.max(64, expected / n));
    long sampledSize = config.decisionCache().sampledCacheSize() > 0 ? config.decisionCache().sampledCacheSize()
        : config.numTraces();
    long notSampledSize = config.decisionCache().nonSampledCacheSize() > 0
        ? config.decisionCache().nonSampledCacheSize() : config.numTraces();
    this.sampledCachePerShard = (int) Math.min(Integer.MAX_VALUE - 8, (sampledSize + n - 1) / n);
    this.notSampledCachePerShard = (int) Math.min(Integer.MAX_VALUE - 8, (notSampledSize + n - 1) / n);
    this.blockOnOverflow = config.blockOnOverflow();
    this.sampleOnFirstMatch = config.sampleOnFirstMatch();
    this.recordPolicy = config.recordPolicy();
    this.dropPendingOnShutdown = config.dropPendingTracesOnShutdown();
    this.acknowledge = config.acknowledge();

    Policies.Shared shared = new Policies.Shared();
    this.shards = new Shard[n];
    CounterDataPoint[][][] counters = null;
    for (int i = 0; i < n; i++) {
      List<Policies.Named> policies = Policies.build(config.policies(), shared);
      if (counters == null) {
        counters = new CounterDataPoint[policies.size()][][];
        for (int k = 0; k < policies.size(); k++) {
          counters[k] = metrics.policy(policies.get(k).name());
        }
      }
      shards[i] = new Shard(i, contexts.isEmpty() ? vx.createEventLoopContext() : contexts.get(i), this, policies,
          counters);
    }
  }

  @Override
  public Future<Void> start() {
    if (started.compareAndSet(false, true)) {
      for (Shard s : shards) {
        s.context.runOnContext(v -> s.start());
      }
      LOG.info("Tail sampling processor \"{}\" in pipeline \"{}\" started: {} policies, decision_wait {},"
          + " num_traces {}, max_bytes {} MiB, over {} event loops", id, pipeline, config.policies().size(),
          GoDurations.format(config.decisionWait()), config.numTraces(), config.effectiveMaxBytes() >> 20,
          shards.length);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    if (shuttingDown) {
      return Future.failedFuture(new RetryableException("Tail sampling processor \"" + id + "\" in pipeline \""
          + pipeline + "\" is shutting down; retry once the gateway is back"));
    }
    int items = batch.itemCount();
    metrics.processor.incoming(items);
    if (items == 0) {
      return Future.succeededFuture();
    }
    for (Shard s : shards) {
      if (s.refusing) {
        metrics.processor.refused(items);
        return Future.failedFuture(new ResourceExhaustedException("Tail sampling processor \"" + id
            + "\" in pipeline \"" + pipeline + "\" holds as many spans as max_bytes allows"
            + (blockOnOverflow ? " or num_traces traces (block_on_overflow)" : ", sampled spans the next consumer"
            + " has not taken yet") + "; retry later", Duration.ofSeconds(1)));
      }
    }
    Scan scan;
    try {
      scan = Scan.read(batch.encoded().toRequestBytes(), batch.envelope().tenant(), clock.getAsLong(),
          shards.length, items);
    } catch (PermanentException e) {
      return Future.failedFuture(e);
    }
    int involved = 0;
    for (int c : scan.perShard) {
      if (c > 0) {
        involved++;
      }
    }
    if (involved == 0) {
      return Future.succeededFuture();
    }
    // One hold per shard while it takes its spans; after_decision adds one per trace (see Ack).
    Ack ack = new Ack(involved);
    Ack held = waitsForDecision(batch) ? ack : null;
    for (Shard s : shards) {
      if (scan.perShard[s.index] == 0) {
        continue;
      }
      s.context.runOnContext(v -> {
        try {
          if (!s.take(scan, held)) {
            ack.fail(new RetryableException("Tail sampling processor \"" + id + "\" in pipeline \"" + pipeline
                + "\" is shutting down; retry once the gateway is back"));
          }
        } catch (RuntimeException e) {
          LOG.error("Tail sampling processor \"{}\" in pipeline \"{}\" failed to take spans", id, pipeline, e);
          ack.fail(e);
        }
        ack.release();
      });
    }
    return ack.future();
  }

  @Override
  public Future<Void> shutdown() {
    if (!shutdownCalled.compareAndSet(false, true)) {
      return shutdownPromise.future();
    }
    shuttingDown = true;
    List<Future<Void>> closed = new ArrayList<>();
    for (Shard s : shards) {
      Promise<Void> p = Promise.promise();
      closed.add(p.future());
      s.context.runOnContext(v -> s.close(dropPendingOnShutdown, p));
    }
    Future.join(closed).onComplete(ar -> {
      publishGauges();
      LOG.info("Tail sampling processor \"{}\" in pipeline \"{}\" shut down", id, pipeline);
      shutdownPromise.tryComplete();
    });
    return shutdownPromise.future();
  }

  /** Sums the shards' counts into the gauges; any shard may call it. */
  void publishGauges() {
    long traces = 0;
    long bytes = 0;
    for (Shard s : shards) {
      traces += s.heldTraces;
      bytes += s.heldBytes;
    }
    metrics.tracesOnMemory.set(traces);
    metrics.bytesOnMemory.set(bytes);
  }

  long millisSinceStart(long nanos) {
    return Math.max(0, (nanos - startNanos) / 1_000_000);
  }

  void earlyDecisionLog(int reason) {
    earlyLog.log("Tail sampling processor \"{}\" in pipeline \"{}\" decided traces before decision_wait because {};"
        + " see sluice_processor_tail_sampling_early_decisions_total. Raise num_traces or max_bytes, or lower"
        + " decision_wait", id, pipeline, switch (reason) {
          case 0 -> "num_traces was reached";
          case 1 -> "max_bytes was reached";
          default -> "a trace passed maximum_trace_size_bytes";
        });
  }

  void sendFailedLog(int spans, Throwable err, boolean permanent) {
    failedLog.log("Tail sampling processor \"{}\" in pipeline \"{}\" lost {} sampled spans: the next consumer {}: {}",
        id, pipeline, spans, permanent ? "refused them as bad data" : "did not take them before shutdown",
        String.valueOf(err.getMessage()));
  }

  /** For tests: the shards. */
  Shard[] shards() {
    return shards;
  }

  @Override
  public String toString() {
    return "tail_sampling processor \"" + id + "\" in pipeline \"" + pipeline + "\"";
  }

  /** Whether {@code batch} is acknowledged only once its traces are decided (see {@code acknowledge}). */
  boolean waitsForDecision(Batch batch) {
    return switch (acknowledge) {
      case AFTER_DECISION -> true;
      case ON_RECEIPT -> false;
      case AUTO -> REPLAYING_SOURCES.contains(batch.envelope().source().type());
    };
  }
}
