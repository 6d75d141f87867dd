package io.sluice.processor.memorylimiter;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.Signal;
import io.sluice.core.config.GoDurations;
import io.sluice.core.telemetry.SelfMetrics.ProcessorMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.List;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code memory_limiter} processor of one pipeline.
 *
 * <p>A periodic timer on the instance's own context reads the heap in use. Above the soft limit
 * (limit minus spike) the processor refuses batches with a {@link ResourceExhaustedException}
 * carrying {@code check_interval} as the retry delay, and asks for a garbage collection on a
 * worker thread (at most every {@code min_gc_interval_when_soft_limited}; above the hard limit at
 * most once per check or every {@code min_gc_interval_when_hard_limited}). Below it, batches go
 * straight to the next consumer from the caller's thread: the state is one volatile flag. Each
 * batch also reads the heap, so that a burst is refused as soon as it crosses the soft limit
 * rather than at the next check.
 */
final class MemoryLimiterProcessor implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryLimiterProcessor.class);
  private static final long MIB = 1024L * 1024L;
  private static final String WORKER_POOL = "sluice-memory-limiter-gc";

  private final ComponentId id;
  private final String pipeline;
  private final Signal signal;
  private final Consumer next;
  private final ContextInternal context;
  private final ProcessorMetrics metrics;
  private final LongSupplier usedBytes;
  private final GcTrigger gc;
  private final Duration checkInterval;
  private final long softGapNanos;
  private final long hardGapNanos;
  private final long maxHeapBytes;
  private final long limitBytes;
  private final long spikeBytes;
  private final long softLimitBytes;
  /** Why the limits could not be worked out; start() fails with it. */
  private final String limitError;

  // Read on any thread, written on the context.
  private volatile boolean refusing;
  private volatile int forcedCollections;
  private volatile String refusalReason = "";
  private final LongAdder refusedWhileLimited = new LongAdder();
  /** A check asked for by a batch over the soft limit is on its way to the context. */
  private final AtomicBoolean checkScheduled = new AtomicBoolean();

  // Touched only on the context.
  private long timerId = -1;
  private boolean gcRunning;
  private int gcsWhileLimited;
  private WorkerExecutor worker;

  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean shutdownCalled = new AtomicBoolean();
  private volatile boolean stopped;
  private final Promise<Void> shutdownPromise = Promise.promise();

  MemoryLimiterProcessor(ComponentContext ctx, MemoryLimiterProcessorConfig config, Signal signal, Consumer next) {
    this(ctx, config, signal, next, MemoryLimiterProcessor::heapUsed, MemoryLimiterProcessor::heapMax, GcTrigger.JVM);
  }

  /**
   * @param usedBytes the heap in use now, in bytes
   * @param maxBytes the most heap the JVM may use, in bytes; percentages are of this
   * @param gc forces collections
   */
  MemoryLimiterProcessor(ComponentContext ctx, MemoryLimiterProcessorConfig config, Signal signal, Consumer next,
      LongSupplier usedBytes, LongSupplier maxBytes, GcTrigger gc) {
    this.id = ctx.id();
    this.pipeline = ctx.pipeline();
    this.signal = signal;
    this.next = next;
    this.context = ((VertxInternal) ctx.vertx()).createEventLoopContext();
    this.metrics = ctx.metrics().processor(ctx.id(), ctx.pipeline(), signal);
    this.usedBytes = usedBytes;
    this.gc = gc;
    this.checkInterval = config.checkInterval();
    this.softGapNanos = config.minGcIntervalWhenSoftLimited().toNanos();
    // Never more than one forced collection per check, even when several pipelines' limiters share it.
    this.hardGapNanos = Math.max(config.minGcIntervalWhenHardLimited().toNanos(), checkInterval.toNanos() / 2);
    this.maxHeapBytes = maxBytes.getAsLong();
    long limit;
    long spike;
    String error = null;
    if (config.limitMib() > 0) {
      limit = config.limitMib() * MIB;
      spike = config.spikeLimitMib() > 0 ? config.spikeLimitMib() * MIB : limit / 5;
    } else if (maxHeapBytes <= 0 || maxHeapBytes == Long.MAX_VALUE) {
      limit = 0;
      spike = 0;
      error = "Memory limiter \"" + id + "\" cannot apply limit_percentage " + config.limitPercentage()
          + ": the JVM's max heap is not bounded; start the JVM with -Xmx or set limit_mib instead";
    } else {
      limit = maxHeapBytes / 100 * config.limitPercentage();
      spike = config.spikeLimitPercentage() > 0 ? maxHeapBytes / 100 * config.spikeLimitPercentage() : limit / 5;
    }
    this.limitBytes = limit;
    this.spikeBytes = spike;
    this.softLimitBytes = limit - spike;
    this.limitError = error;
  }

  /**
   * The heap that holds data: every heap pool but eden, where new objects are made and which is
   * mostly garbage between young collections. What a batch, a queue or a buffer keeps survives
   * a young collection and shows up here; a full eden does not. The gateway runs with a large
   * young generation (bin/sluice), so counting eden would make the limiter refuse data whenever
   * eden fills, however little is really kept.
   */
  private static long heapUsed() {
    if (HeapHolder.RETAINING_POOLS.isEmpty()) {
      return HeapHolder.BEAN.getHeapMemoryUsage().getUsed();
    }
    long used = 0;
    for (MemoryPoolMXBean pool : HeapHolder.RETAINING_POOLS) {
      used += pool.getUsage().getUsed();
    }
    return used;
  }

  /**
   * The most the heap that holds data can hold: the pools {@link #heapUsed()} counts, at their
   * maximum. Percentages are of this, so that a limit of 80% can be reached whatever share of the
   * heap the young generation takes.
   */
  private static long heapMax() {
    long max = 0;
    for (MemoryPoolMXBean pool : HeapHolder.RETAINING_POOLS) {
      long m = pool.getUsage().getMax();
      if (m > 0) {
        max += m;
      }
    }
    return max > 0 ? Math.min(max, Runtime.getRuntime().maxMemory()) : Runtime.getRuntime().maxMemory();
  }

  private static final class HeapHolder {
    static final MemoryMXBean BEAN = ManagementFactory.getMemoryMXBean();
    static final List<MemoryPoolMXBean> RETAINING_POOLS = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && !p.getName().contains("Eden"))
        .toList();
  }

  /** The hard limit in bytes. */
  long limitBytes() {
    return limitBytes;
  }

  /** The soft limit in bytes: above it data is refused. */
  long softLimitBytes() {
    return softLimitBytes;
  }

  boolean refusing() {
    return refusing;
  }

  /** Forced collections finished so far, their readings applied. */
  int forcedCollections() {
    return forcedCollections;
  }

  @Override
  public Future<Void> start() {
    if (limitError != null) {
      return Future.failedFuture(new IllegalStateException(limitError));
    }
    if (stopped || !started.compareAndSet(false, true)) {
      return Future.succeededFuture();
    }
    if (maxHeapBytes > 0 && maxHeapBytes != Long.MAX_VALUE && limitBytes > maxHeapBytes) {
      LOG.warn("Memory limiter \"{}\" in pipeline \"{}\": the limit of {} MiB is above the JVM's max heap of {} MiB,"
          + " so the heap fills before data is refused; lower limit_mib or raise -Xmx", id, pipeline, mib(limitBytes),
          mib(maxHeapBytes));
    }
    Promise<Void> ready = Promise.promise();
    context.runOnContext(v -> {
      if (!stopped) {
        worker = context.owner().createSharedWorkerExecutor(WORKER_POOL, 1);
        check();
        timerId = context.setPeriodic(Math.max(1, checkInterval.toMillis()), t -> check());
        LOG.info("Memory limiter \"{}\" in pipeline \"{}\" started: limit {} MiB, spike {} MiB, refusing data above"
            + " {} MiB of heap in use (heap that holds data: at most {} MiB), checked every {}", id, pipeline,
            mib(limitBytes), mib(spikeBytes), mib(softLimitBytes), mib(maxHeapBytes), GoDurations.format(checkInterval));
      }
      ready.complete();
    });
    return ready.future();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    int items = batch.itemCount();
    metrics.incoming(items);
    if (refusing) {
      return refuse(items, refusalReason);
    }
    // Between checks a burst can fill a small heap faster than check_interval comes round: each
    // batch reads the heap too (a few pool counters), and the first one over the soft limit is
    // refused at once while the context makes the decision that lasts.
    long used = started.get() && !stopped ? usedBytes.getAsLong() : 0;
    if (used >= softLimitBytes && softLimitBytes > 0) {
      if (checkScheduled.compareAndSet(false, true)) {
        context.runOnContext(v -> {
          checkScheduled.set(false);
          check();
        });
      }
      return refuse(items, "heap in use " + mib(used) + " MiB is above the soft limit of " + mib(softLimitBytes)
          + " MiB (limit " + mib(limitBytes) + " MiB, spike " + mib(spikeBytes) + " MiB)");
    }
    metrics.outgoing(items);
    try {
      return next.consume(batch);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Void> refuse(int items, String reason) {
    metrics.refused(items);
    refusedWhileLimited.add(items);
    return Future.failedFuture(new Refused("Memory limiter \"" + id + "\" in pipeline \"" + pipeline + "\" refused "
        + items + " " + signal.itemName() + ": " + reason + "; retry in " + GoDurations.format(checkInterval),
        checkInterval));
  }

  @Override
  public Future<Void> shutdown() {
    if (!shutdownCalled.compareAndSet(false, true)) {
      return shutdownPromise.future();
    }
    stopped = true;
    context.runOnContext(v -> {
      if (timerId >= 0) {
        context.owner().cancelTimer(timerId);
        timerId = -1;
      }
      Future<Void> closed = worker == null ? Future.succeededFuture() : worker.close();
      worker = null;
      closed.onComplete((x, err) -> {
        if (started.get()) {
          LOG.info("Memory limiter \"{}\" in pipeline \"{}\" shut down", id, pipeline);
        }
        shutdownPromise.tryComplete();
      });
    });
    return shutdownPromise.future();
  }

  /** Runs one check now, as the timer would; for tests. Completes once the decision is made. */
  Future<Void> checkNow() {
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      check();
      done.complete();
    });
    return done.future();
  }

  /** Reads the heap and decides whether to refuse; on the context. */
  private void check() {
    if (stopped) {
      return;
    }
    long used = usedBytes.getAsLong();
    if (used < softLimitBytes) {
      update(false, used);
      return;
    }
    update(true, used);
    boolean hard = used >= limitBytes;
    if (gcRunning || worker == null || !gc.tryBegin(hard ? hardGapNanos : softGapNanos)) {
      return;
    }
    gcRunning = true;
    gcsWhileLimited++;
    LOG.debug("Memory limiter \"{}\" in pipeline \"{}\": heap in use {} MiB is above the {} limit; forcing a garbage"
        + " collection", id, pipeline, mib(used), hard ? "hard" : "soft");
    worker.executeBlocking(() -> {
      gc.collect();
      return usedBytes.getAsLong();
    }, false).onComplete((after, err) -> onContext(() -> {
      gcRunning = false;
      if (err != null) {
        LOG.warn("Memory limiter \"{}\" in pipeline \"{}\": the forced garbage collection failed", id, pipeline, err);
      } else if (!stopped) {
        update(after >= softLimitBytes, after);
      }
      forcedCollections++;
    }));
  }

  private void update(boolean refuse, long used) {
    if (refuse) {
      refusalReason = "heap in use " + mib(used) + " MiB is above the soft limit of " + mib(softLimitBytes)
          + " MiB (limit " + mib(limitBytes) + " MiB, spike " + mib(spikeBytes) + " MiB)";
      if (!refusing) {
        refusing = true;
        LOG.warn("Memory limiter \"{}\" in pipeline \"{}\": {}; refusing data until it drops", id, pipeline,
            refusalReason);
      }
    } else if (refusing) {
      refusing = false;
      LOG.info("Memory limiter \"{}\" in pipeline \"{}\": heap in use {} MiB is below the soft limit of {} MiB again;"
          + " accepting data (refused {} {} and forced {} garbage collections meanwhile)", id, pipeline, mib(used),
          mib(softLimitBytes), refusedWhileLimited.sumThenReset(), signal.itemName(), gcsWhileLimited);
      gcsWhileLimited = 0;
    }
  }

  private void onContext(Runnable r) {
    if (context.inThread()) {
      r.run();
    } else {
      context.runOnContext(v -> r.run());
    }
  }

  private static long mib(long bytes) {
    return bytes / MIB;
  }

  /** A refusal; its stack trace would only say "consume", so none is taken. */
  private static final class Refused extends ResourceExhaustedException {
    Refused(String message, Duration retryAfter) {
      super(message, retryAfter);
    }

    @Override
    public synchronized Throwable fillInStackTrace() {
      return this;
    }
  }

  @Override
  public String toString() {
    return "memory limiter \"" + id + "\" in pipeline \"" + pipeline + "\" (" + signal + ")";
  }
}
