package io.sluice.receiver.filelog;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentKind;
import io.sluice.core.Consumer;
import io.sluice.core.Envelope;
import io.sluice.core.PermanentException;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.storage.StorageClient;
import io.sluice.core.storage.StorageExtension;
import io.sluice.core.telemetry.SelfMetrics.ReceiverMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code filelog} receiver. One cycle at a time, on its own context: a poll on its worker
 * (blocking file I/O never touches an event loop) yields one batch; the batch goes to the
 * pipeline; once the pipeline acknowledged it, the offsets it advanced are written to storage, and
 * only then does the next poll start. A retryable refusal pauses reading and sends the same batch
 * again after a backoff, so nothing is dropped and reading never runs ahead of what was
 * acknowledged; after a restart, reading resumes at the last acknowledged offsets, so at most one
 * batch is read twice. A permanent refusal (bad data) drops the batch, counted and logged, and
 * reading goes on.
 */
final class FilelogReceiver implements Receiver {
  private static final Logger LOG = LoggerFactory.getLogger(FilelogReceiver.class);
  /** How long shutdown waits for the pipeline's answer to the batch in flight. */
  static final long SHUTDOWN_WAIT_MILLIS = 5000;

  private final ComponentContext ctx;
  private final FilelogReceiverConfig config;
  private final Consumer next;
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final BiFunction<List<Map<String, Object>>, String, LogEntryPipeline> pipelines;
  private final ReceiverMetrics metrics;
  private final CounterDataPoint splitEntries;
  private final RateLimitedLog refusedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  private Context context;
  private WorkerExecutor worker;
  private Tailer tailer;
  private StorageClient storage;
  private volatile boolean running;
  /** The files of the last acknowledged poll, for the file gauges (read from the scraping thread). */
  private volatile List<Tailer.FileOffset> tailed = List.of();
  private long timer = -1;
  private long reportedSplits;
  private Promise<Void> cycleDone;
  private Future<Void> startFuture;
  private Future<Void> shutdownFuture;

  FilelogReceiver(ComponentContext ctx, FilelogReceiverConfig config, Consumer next, LongSupplier nanoTime,
      Clock clock) {
    this(ctx, config, next, nanoTime, clock, LogEntryPipeline::of);
  }

  /** With {@code operators} built by {@code pipelines} (operators list, key path) instead of the providers found. */
  FilelogReceiver(ComponentContext ctx, FilelogReceiverConfig config, Consumer next, LongSupplier nanoTime,
      Clock clock, BiFunction<List<Map<String, Object>>, String, LogEntryPipeline> pipelines) {
    this.pipelines = pipelines;
    this.ctx = ctx;
    this.config = config;
    this.next = next;
    this.nanoTime = nanoTime;
    this.clock = clock;
    this.metrics = ctx.metrics().receiver(ctx.id(), "file");
    this.splitEntries = ctx.metrics().sharedCounter("sluice_receiver_split_log_entries",
        "Log entries longer than max_log_size that a receiver cut into pieces.", "component_id")
        .labelValues(ctx.id().toString());
    ctx.metrics().gaugeSource("sluice_receiver_filelog_file_offset_bytes",
        "Per file a filelog receiver knows: the offset up to which its pipeline acknowledged the file's entries.",
        List.of("path"), ctx.id(), sink -> tailed.forEach(f -> sink.set(f.offset(), f.path())));
    ctx.metrics().gaugeSource("sluice_receiver_filelog_file_size_bytes",
        "Per file a filelog receiver knows: its size when last read (not for compressed files).",
        List.of("path"), ctx.id(), sink -> tailed.forEach(f -> {
          if (f.size() >= 0) {
            sink.set(f.size(), f.path());
          }
        }));
  }

  @Override
  public synchronized Future<Void> start() {
    if (startFuture != null) {
      return startFuture;
    }
    context = ctx.vertx().getOrCreateContext();
    String prefix = "receivers." + ctx.id();
    LogEntryPipeline pipeline;
    try {
      pipeline = pipelines.apply(config.operators(), prefix + ".operators");
    } catch (RuntimeException e) {
      startFuture = Future.failedFuture(e);
      return startFuture;
    }
    StorageExtension extension = null;
    if (!config.storage().isEmpty()) {
      try {
        extension = StorageExtension.resolve(ctx, prefix + ".storage", config.storage());
      } catch (IllegalStateException e) {
        startFuture = Future.failedFuture(e);
        return startFuture;
      }
    }
    worker = ctx.vertx().createSharedWorkerExecutor("sluice-filelog-" + ctx.id(), 1, 60, TimeUnit.SECONDS);
    tailer = new Tailer(ctx.id(), config, pipeline, nanoTime, clock);
    Future<List<StorageClient.Entry>> checkpoints;
    if (extension == null) {
      checkpoints = Future.succeededFuture(List.of());
    } else {
      checkpoints = extension.client(ComponentKind.RECEIVER, ctx.id(), Signal.LOGS).compose(client -> {
        storage = client;
        return client.range("file/", "file0", 0);
      });
    }
    Promise<Void> started = Promise.promise();
    checkpoints.compose(entries -> worker.<Void>executeBlocking(() -> {
      tailer.restore(entries);
      return null;
    })).onComplete(ar -> context.runOnContext(v -> {
      if (ar.failed()) {
        started.fail(ar.cause());
        return;
      }
      running = true;
      LOG.info("Receiver '{}' tails {} every {} ms{}", ctx.id(), config.include(), config.pollInterval().toMillis(),
          storage == null ? " (no storage: offsets are kept in memory only)" : "");
      cycle();
      started.complete();
    }));
    startFuture = started.future();
    return startFuture;
  }

  /** On the context: one poll, its batch, its acknowledgement and checkpoint, then the next. */
  private void cycle() {
    timer = -1;
    if (!running) {
      return;
    }
    cycleDone = Promise.promise();
    worker.executeBlocking(tailer::poll).onComplete(ar -> context.runOnContext(v -> {
      if (!running) {
        cycleDone.tryComplete(); // stopping: what was read is read again at the next start
        return;
      }
      if (ar.failed()) {
        LOG.warn("Receiver '{}': a poll failed", ctx.id(), ar.cause());
        endCycle(config.pollInterval().toMillis());
        return;
      }
      Tailer.Poll poll = ar.result();
      long splits = poll.splits() - reportedSplits;
      if (splits > 0) {
        splitEntries.inc(splits);
        reportedSplits = poll.splits();
      }
      if (poll.entries() == 0) {
        acknowledged(poll);
      } else {
        send(poll, Batch.logs(poll.resources(), Envelope.of(ctx.id())), 0, nanoTime.getAsLong());
      }
    }));
  }

  private void send(Tailer.Poll poll, Batch batch, int attempt, long firstTry) {
    next.consume(batch).onComplete(ar -> context.runOnContext(v -> {
      if (ar.succeeded()) {
        metrics.accepted(Signal.LOGS, poll.entries());
        acknowledged(poll);
        return;
      }
      metrics.refused(Signal.LOGS, poll.entries());
      Throwable cause = ar.cause();
      RetrySettings retry = config.retryOnFailure();
      boolean gaveUp = retry.enabled() && !retry.maxElapsedTime().isZero()
          && nanoTime.getAsLong() - firstTry >= retry.maxElapsedTime().toNanos();
      if (PermanentException.isPermanent(cause) || gaveUp) {
        LOG.error("Receiver '{}' dropped {} log records its pipeline refused{}", ctx.id(), poll.entries(),
            gaveUp ? " for longer than retry_on_failure.max_elapsed_time" : " as bad data", cause);
        acknowledged(poll);
        return;
      }
      if (!running) {
        cycleDone.tryComplete(); // not acknowledged: read again after a restart
        return;
      }
      long delay = backoff(retry, attempt);
      refusedLog.log("Receiver '{}': the pipeline refused {} log records ({}); reading pauses and they are sent"
          + " again in {} ms", ctx.id(), poll.entries(), cause.toString(), delay);
      timer = ctx.vertx().setTimer(delay, t -> {
        timer = -1;
        send(poll, batch, attempt + 1, firstTry);
      });
    }));
  }

  static long backoff(RetrySettings retry, int attempt) {
    double interval = retry.initialInterval().toMillis() * Math.pow(retry.multiplier(), attempt);
    interval = Math.min(interval, retry.maxInterval().toMillis());
    double jitter = retry.randomizationFactor() * interval;
    double low = interval - jitter;
    double high = interval + jitter;
    return Math.max(1, (long) (low + ThreadLocalRandom.current().nextDouble() * (high - low + 1)));
  }

  /** The batch is acknowledged (or dropped for good): its offsets become the checkpoint. */
  private void acknowledged(Tailer.Poll poll) {
    tailed = poll.files();
    Future<Void> written = storage == null || poll.checkpoints().isEmpty() ? Future.succeededFuture()
        : storage.write(poll.checkpoints()).recover(e -> {
          LOG.warn("Receiver '{}' could not write its checkpoints; they are written with the next batch",
              ctx.id(), e);
          return Future.succeededFuture();
        });
    written.compose(v -> poll.finished().isEmpty() ? Future.succeededFuture()
            : worker.<Void>executeBlocking(() -> {
              tailer.deleteFinished(poll.finished());
              return null;
            }))
        .onComplete(ar -> context.runOnContext(v -> endCycle(poll.more() ? 0 : config.pollInterval().toMillis())));
  }

  private void endCycle(long delayMillis) {
    Promise<Void> done = cycleDone;
    if (running) {
      if (delayMillis <= 0) {
        context.runOnContext(v -> cycle());
      } else {
        timer = ctx.vertx().setTimer(delayMillis, t -> cycle());
      }
    }
    done.tryComplete();
  }

  Tailer tailerForTest() {
    return tailer;
  }

  @Override
  public synchronized Future<Void> shutdown() {
    if (shutdownFuture != null) {
      return shutdownFuture;
    }
    if (context == null || worker == null) {
      shutdownFuture = Future.succeededFuture();
      return shutdownFuture;
    }
    Promise<Void> stopped = Promise.promise();
    context.runOnContext(v -> {
      running = false;
      tailed = List.of();
      boolean retryPending = timer >= 0 && cycleDone != null && !cycleDone.future().isComplete();
      if (timer >= 0) {
        ctx.vertx().cancelTimer(timer);
        timer = -1;
      }
      if (retryPending) {
        cycleDone.tryComplete();
      }
      Future<Void> idle = cycleDone == null ? Future.succeededFuture() : cycleDone.future();
      if (!idle.isComplete()) {
        // A batch is with the pipeline: wait for its answer, but not for ever. Unacknowledged, it is
        // read again after the next start.
        Promise<Void> waited = Promise.promise();
        long t = ctx.vertx().setTimer(SHUTDOWN_WAIT_MILLIS, x -> {
          if (waited.tryComplete()) {
            LOG.warn("Receiver '{}' stops with a batch still unacknowledged after {} ms; it is read again at the"
                + " next start", ctx.id(), SHUTDOWN_WAIT_MILLIS);
          }
        });
        idle.onComplete(x -> {
          ctx.vertx().cancelTimer(t);
          waited.tryComplete();
        });
        idle = waited.future();
      }
      idle.compose(x -> worker.<Void>executeBlocking(() -> {
            tailer.closeAll();
            return null;
          }))
          .compose(x -> storage == null ? Future.<Void>succeededFuture() : storage.close().recover(e -> {
            LOG.warn("Receiver '{}' could not close its storage client", ctx.id(), e);
            return Future.succeededFuture();
          }))
          .eventually(() -> worker.close())
          .onComplete(ar -> {
            LOG.info("Receiver '{}' stopped", ctx.id());
            stopped.handle(ar);
          });
    });
    shutdownFuture = stopped.future();
    return shutdownFuture;
  }
}
