package io.sluice.exporter.file;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.RetryableException;
import io.sluice.core.exporterhelper.ExporterHelper;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code file} exporter. Batches of every signal go through an {@link ExporterHelper} (a
 * queue with one consumer, so they keep their order) and are encoded and written by a
 * {@link FileSink} on this exporter's own worker thread, one at a time and in order; the event
 * loop never touches the disk. A batch is acknowledged once its bytes were handed to the OS; what
 * was written is forced to disk every {@code flush_interval} and at shutdown. Write errors are
 * retryable (the disk may get space again); retries are off unless configured.
 */
final class FileExporter implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(FileExporter.class);

  private final String id;
  private final Vertx vertx;
  private final FileExporterConfig config;
  private final Target sink;
  private final ExporterHelper helper;
  private final RateLimitedLog skippedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);

  // Touched on the helper's context only.
  private WorkerExecutor worker;
  private long syncTimer = -1;

  FileExporter(ComponentContext ctx, FileExporterConfig config, Clock clock) {
    this.id = ctx.id().toString();
    this.vertx = ctx.vertx();
    this.config = config;
    this.sink = config.groupBy().enabled() ? Target.of(new GroupedSinks(id, config, clock))
        : Target.of(new FileSink(id, config, clock));
    this.helper = ExporterHelper.builder(ctx, this::send)
        .queue(config.sendingQueue())
        .retry(config.retryOnFailure())
        .timeout(Duration.ZERO)
        .onStart(this::open)
        .onShutdown(this::close)
        .build();
  }

  /** Runs on the helper's context. */
  private Future<Void> open() {
    worker = vertx.createSharedWorkerExecutor("sluice-file-" + id, 1);
    return worker.<Void>executeBlocking(() -> {
      try {
        sink.open();
      } catch (IOException | RuntimeException e) {
        throw new IOException("Exporter '" + id + "' cannot open '" + sink.describe() + "': " + e, e);
      }
      return null;
    }, true).onSuccess(v -> {
      long every = Math.max(1, config.effectiveFlushInterval().toMillis());
      syncTimer = vertx.setPeriodic(every, t -> sync());
      LOG.info("Exporter '{}' writing {}{} to '{}'{}", id, config.format(), config.zstd() ? " (zstd)" : "",
          sink.describe(), config.rotation() == null ? ""
              : " with rotation at " + config.rotation().maxBytes() / (1024 * 1024) + " MiB");
    }).onFailure(err -> {
      worker.close();
      worker = null;
    });
  }

  /** Runs on the helper's context; the write runs on the worker, after every earlier one. */
  private Future<Void> send(Batch batch) {
    WorkerExecutor w = worker;
    if (w == null) {
      return Future.failedFuture(new RetryableException("Exporter '" + id + "' is not open"));
    }
    return w.executeBlocking(() -> {
      int skipped;
      try {
        skipped = sink.write(batch);
      } catch (IOException e) {
        throw new RetryableException("Exporter '" + id + "' could not write to '" + sink.describe() + "': " + e, e);
      }
      if (skipped > 0) {
        skippedLog.log("Exporter '{}' did not write {} resources without a string '{}' attribute (group_by)", id,
            skipped, config.groupBy().resourceAttribute());
      }
      return null;
    }, true);
  }

  private void sync() {
    WorkerExecutor w = worker;
    if (w == null) {
      return;
    }
    w.executeBlocking(() -> {
      sink.sync();
      return null;
    }, true).onFailure(err -> LOG.warn("Exporter '{}' could not sync '{}' to disk: {}", id, sink.describe(),
        err.toString()));
  }

  /** Runs on the helper's context once every queued batch was written. */
  private Future<Void> close() {
    if (syncTimer >= 0) {
      vertx.cancelTimer(syncTimer);
      syncTimer = -1;
    }
    WorkerExecutor w = worker;
    if (w == null) {
      return Future.succeededFuture();
    }
    worker = null;
    return w.<Void>executeBlocking(() -> {
      sink.close();
      return null;
    }, true).eventually(() -> w.close()).onSuccess(v -> LOG.info("Exporter '{}' closed '{}'", id,
        sink.describe())).recover(err -> Future.failedFuture(new RetryableException("Exporter '" + id
        + "' could not close '" + sink.describe() + "': " + err, err)));
  }

  @Override
  public Future<Void> start() {
    return helper.start();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    return helper.consume(batch);
  }

  @Override
  public Future<Void> shutdown() {
    return helper.shutdown();
  }

  /** The one file, or the files of group_by; every method blocks and runs on the worker. */
  private interface Target {
    void open() throws IOException;

    /** Writes the batch; returns how many resources were left out (group_by without the attribute). */
    int write(Batch batch) throws IOException;

    void sync() throws IOException;

    void close() throws IOException;

    String describe();

    static Target of(FileSink file) {
      return new Target() {
        @Override
        public void open() throws IOException {
          file.open();
        }

        @Override
        public int write(Batch batch) throws IOException {
          file.write(batch);
          return 0;
        }

        @Override
        public void sync() throws IOException {
          file.sync();
        }

        @Override
        public void close() throws IOException {
          file.close();
        }

        @Override
        public String describe() {
          return file.path().toString();
        }
      };
    }

    static Target of(GroupedSinks files) {
      return new Target() {
        @Override
        public void open() {
          // Each file opens when first written.
        }

        @Override
        public int write(Batch batch) throws IOException {
          return files.write(batch);
        }

        @Override
        public void sync() throws IOException {
          files.sync();
        }

        @Override
        public void close() throws IOException {
          files.close();
        }

        @Override
        public String describe() {
          return files.describe();
        }
      };
    }
  }
}
