package io.sluice.core.exporterhelper;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The machinery every exporter shares: a bounded in-memory sending queue, a fixed number of
 * requests in flight, retries with exponential backoff and jitter that wait at least as long as
 * the backend asked, a per-request timeout, and the counts of what was sent, failed and refused.
 * An exporter gives it a {@link RequestSender} and gets an {@link Exporter}.
 *
 * <p>With the queue enabled a batch is acknowledged once it is queued; a full queue refuses it
 * with a {@link ResourceExhaustedException}. With the queue disabled it is acknowledged once it is
 * delivered, and a failure goes back to the caller. All state lives on one Vert.x context.
 *
 * <p>{@link #shutdown()} stops intake, then completes once every queued and in-flight batch is
 * delivered or given up on; the gateway bounds that wait with its shutdown deadline.
 */
public final class ExporterHelper implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(ExporterHelper.class);

  private final ComponentContext ctx;
  private final String id;
  private final Vertx vertx;
  private final Context context;
  private final RequestSender sender;
  private final Duration timeout;
  private final QueueSettings queue;
  private final RetrySettings retry;
  private final Supplier<Future<Void>> onStart;
  private final Supplier<Future<Void>> onShutdown;
  private final SelfMetrics.ExporterMetrics metrics;
  private final RateLimitedLog dropLog;
  private final RateLimitedLog retryLog;

  private final ArrayDeque<Batch> pending = new ArrayDeque<>();
  private int inFlight;
  private volatile int queued;
  private boolean started;
  private boolean stopping;
  private Promise<Void> drained;
  private Future<Void> shutdownFuture;

  private ExporterHelper(Builder b) {
    this.ctx = b.ctx;
    this.id = b.ctx.id().toString();
    this.vertx = b.ctx.vertx();
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    this.sender = b.sender;
    this.timeout = b.timeout;
    this.queue = b.queue;
    this.retry = b.retry;
    this.onStart = b.onStart;
    this.onShutdown = b.onShutdown;
    this.metrics = b.ctx.metrics().exporter(b.ctx.id());
    this.dropLog = new RateLimitedLog(LOG, Level.ERROR, 60, TimeUnit.SECONDS);
    this.retryLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
    if (queue.enabled()) {
      b.ctx.metrics().registerQueue(b.ctx.id(), () -> queued, queue.queueSize());
    }
  }

  public static Builder builder(ComponentContext ctx, RequestSender sender) {
    return new Builder(ctx, sender);
  }

  /** The context the sender is called on; exporters may use it for their own state. */
  public Context context() {
    return context;
  }

  /** Batches waiting in the queue now (not counting those in flight). */
  public int queueSize() {
    return queued;
  }

  @Override
  public Future<Void> start() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      if (started) {
        p.complete();
        return;
      }
      onStart.get().onComplete(ar -> {
        if (ar.succeeded()) {
          started = true;
          stopping = false;
          shutdownFuture = null;
        }
        p.handle(ar);
      });
    });
    return p.future();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    Promise<Void> p = Promise.promise();
    if (Vertx.currentContext() == context) {
      accept(batch, p);
    } else {
      context.runOnContext(v -> accept(batch, p));
    }
    return p.future();
  }

  private void accept(Batch batch, Promise<Void> ack) {
    if (stopping || !started) {
      ack.fail(new RetryableException("Exporter '" + id + "' is " + (stopping ? "shutting down" : "not started")));
      return;
    }
    if (!queue.enabled()) {
      inFlight++;
      sendWithRetry(batch).onComplete(ar -> {
        inFlight--;
        checkDrained();
        ack.handle(ar);
      });
      return;
    }
    if (pending.size() >= queue.queueSize()) {
      metrics.enqueueFailed(batch.signal(), batch.itemCount());
      ack.fail(new ResourceExhaustedException("Exporter '" + id + "': sending queue is full ("
          + queue.queueSize() + " batches); the backend is slower than the input", retryDelayHint()));
      return;
    }
    pending.add(batch);
    queued = pending.size();
    ack.complete();
    dispatch();
  }

  private Duration retryDelayHint() {
    return retry.enabled() ? retry.initialInterval() : Duration.ofSeconds(1);
  }

  private void dispatch() {
    while (inFlight < queue.numConsumers() && !pending.isEmpty()) {
      Batch next = pending.poll();
      queued = pending.size();
      inFlight++;
      sendWithRetry(next).onComplete(ar -> {
        inFlight--;
        dispatch();
        checkDrained();
      });
    }
  }

  /** Sends until delivered, a permanent error, or retries run out; never fails the returned future silently. */
  private Future<Void> sendWithRetry(Batch batch) {
    Promise<Void> done = Promise.promise();
    attempt(batch, 1, System.nanoTime(), retry.initialInterval().toNanos(), done);
    return done.future();
  }

  private void attempt(Batch batch, int attempt, long firstAttemptNanos, long backoffNanos, Promise<Void> done) {
    long t0 = System.nanoTime();
    sendOnce(batch).onComplete(ar -> {
      metrics.requestDuration(batch.signal(), System.nanoTime() - t0);
      if (ar.succeeded()) {
        metrics.sent(batch.signal(), batch.itemCount());
        done.complete();
        return;
      }
      Throwable err = ar.cause();
      if (PermanentException.isPermanent(err) || !retry.enabled()) {
        drop(batch, err, attempt);
        done.fail(err);
        return;
      }
      long delay = jittered(backoffNanos);
      if (err instanceof RetryableException re && re.retryAfter() != null) {
        delay = Math.max(delay, re.retryAfter().toNanos());
      }
      long elapsed = System.nanoTime() - firstAttemptNanos;
      long max = retry.maxElapsedTime().toNanos();
      if (max > 0 && elapsed + delay > max) {
        drop(batch, err, attempt);
        done.fail(new RetryableException("Exporter '" + id + "' gave up after " + attempt + " attempts in "
            + TimeUnit.NANOSECONDS.toSeconds(elapsed) + " s", err));
        return;
      }
      retryLog.log("Exporter '{}' could not send {} {} (attempt {}), retrying in {} ms: {}", id, batch.itemCount(),
          batch.signal().itemName(), attempt, TimeUnit.NANOSECONDS.toMillis(delay), err.getMessage());
      long next = Math.min((long) (backoffNanos * retry.multiplier()), retry.maxInterval().toNanos());
      vertx.setTimer(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delay)),
          tid -> context.runOnContext(v -> attempt(batch, attempt + 1, firstAttemptNanos, next, done)));
    });
  }

  private Future<Void> sendOnce(Batch batch) {
    Future<Void> sent;
    try {
      sent = sender.send(batch);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (timeout == null || timeout.isZero() || sent.isComplete()) {
      return sent;
    }
    Promise<Void> p = Promise.promise();
    long timer = vertx.setTimer(timeout.toMillis(), tid -> p.tryFail(new RetryableException(
        "Exporter '" + id + "': request timed out after " + timeout.toMillis() + " ms")));
    sent.onComplete(ar -> {
      vertx.cancelTimer(timer);
      if (ar.succeeded()) {
        p.tryComplete();
      } else {
        p.tryFail(ar.cause());
      }
    });
    return p.future();
  }

  private long jittered(long intervalNanos) {
    double rf = retry.randomizationFactor();
    if (rf == 0) {
      return intervalNanos;
    }
    double r = ThreadLocalRandom.current().nextDouble();
    return (long) (intervalNanos * (1 - rf + 2 * rf * r));
  }

  private void drop(Batch batch, Throwable err, int attempts) {
    metrics.sendFailed(batch.signal(), batch.itemCount());
    dropLog.log("Exporter '{}' dropped {} {} after {} attempt(s): {}", id, batch.itemCount(),
        batch.signal().itemName(), attempts, err.getMessage(), err);
  }

  private void checkDrained() {
    if (stopping && drained != null && pending.isEmpty() && inFlight == 0) {
      drained.tryComplete();
    }
  }

  @Override
  public Future<Void> shutdown() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      if (shutdownFuture != null) {
        shutdownFuture.onComplete(p);
        return;
      }
      stopping = true;
      drained = Promise.promise();
      checkDrained();
      if (!pending.isEmpty() || inFlight > 0) {
        LOG.info("Exporter '{}' is shutting down: sending {} queued and {} in-flight batches", id,
            pending.size(), inFlight);
      }
      boolean wasStarted = started;
      shutdownFuture = drained.future()
          .compose(x -> wasStarted ? onShutdown.get() : Future.succeededFuture())
          .onComplete(x -> started = false);
      shutdownFuture.onComplete(p);
    });
    return p.future();
  }

  /** The component context this helper serves. */
  public ComponentContext componentContext() {
    return ctx;
  }

  /** Builds an {@link ExporterHelper}; defaults are the Collector's. */
  public static final class Builder {
    private final ComponentContext ctx;
    private final RequestSender sender;
    private Duration timeout = Duration.ofSeconds(5);
    private QueueSettings queue = QueueSettings.defaults();
    private RetrySettings retry = RetrySettings.defaults();
    private Supplier<Future<Void>> onStart = Future::succeededFuture;
    private Supplier<Future<Void>> onShutdown = Future::succeededFuture;

    private Builder(ComponentContext ctx, RequestSender sender) {
      this.ctx = ctx;
      this.sender = sender;
    }

    /** Per-request timeout; zero or null means none. */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    public Builder queue(QueueSettings queue) {
      this.queue = queue;
      return this;
    }

    public Builder retry(RetrySettings retry) {
      this.retry = retry;
      return this;
    }

    /** Runs on the exporter's context when it starts (build the client, open the file). */
    public Builder onStart(Supplier<Future<Void>> onStart) {
      this.onStart = onStart;
      return this;
    }

    /** Runs on the exporter's context after everything queued was sent (close the client). */
    public Builder onShutdown(Supplier<Future<Void>> onShutdown) {
      this.onShutdown = onShutdown;
      return this;
    }

    public ExporterHelper build() {
      return new ExporterHelper(this);
    }
  }
}
