package io.sluice.core.exporterhelper;

import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Sends one request until it is delivered, fails permanently or runs out of retries, as
 * {@code retry_on_failure} says: exponential backoff with jitter, waiting at least the backend's
 * retry delay, each attempt bounded by the timeout. Counts sent and failed items and request
 * latency. The {@link ExporterHelper} sends every batch through one; an exporter that queues its
 * own requests (remote write's per-series shards) uses one directly.
 *
 * <p>Works on one context: call {@link #send} on it; the returned future completes on it.
 */
public final class RequestRetrier {
  private static final Logger LOG = LoggerFactory.getLogger(RequestRetrier.class);

  private final String id;
  private final ContextInternal context;
  private final RetrySettings retry;
  private final Duration timeout;
  private final SelfMetrics.ExporterMetrics metrics;
  private final RateLimitedLog dropLog = new RateLimitedLog(LOG, Level.ERROR, 60, TimeUnit.SECONDS);
  private final RateLimitedLog retryLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);

  /**
   * @param exporterId the exporter's id, for logs and errors
   * @param context where attempts, timers and completions run
   * @param retry the retry settings; when disabled a retryable failure is final too
   * @param timeout the limit on one attempt; zero or null for none
   * @param metrics where sent and failed items and latencies are counted
   */
  public RequestRetrier(String exporterId, ContextInternal context, RetrySettings retry, Duration timeout,
      SelfMetrics.ExporterMetrics metrics) {
    this.id = exporterId;
    this.context = context;
    this.retry = retry;
    this.timeout = timeout;
    this.metrics = metrics;
  }

  /**
   * Sends a request, attempt after attempt.
   *
   * @param signal what the items are, for the counters
   * @param items how many items the request carries
   * @param itemsName how to name them in logs ("spans", "metric points on shard 3")
   * @param request makes one attempt; may complete on any thread
   * @return completes when delivered; fails with the last error when given up (the items are then
   *     counted as failed)
   */
  public Future<Void> send(Signal signal, long items, String itemsName, Supplier<Future<Void>> request) {
    return send(signal, items, itemsName, request, null);
  }

  /**
   * Sends a request, waiting between attempts as {@code backoff} says.
   *
   * @param backoff how the request waits for its next attempt; null waits on a timer
   */
  public Future<Void> send(Signal signal, long items, String itemsName, Supplier<Future<Void>> request,
      Backoff backoff) {
    Promise<Void> done = context.promise();
    Backoff b = backoff != null ? backoff : (ms, next) -> context.setTimer(ms, tid -> next.run());
    attempt(signal, items, itemsName, request, b, 1, System.nanoTime(), retry.initialInterval().toNanos(), done);
    return done.future();
  }

  /** Where a request waits between attempts. */
  @FunctionalInterface
  public interface Backoff {
    /** Runs {@code next} (the next attempt) on the retrier's context, no sooner than {@code delayMillis} from now. */
    void await(long delayMillis, Runnable next);
  }

  private void attempt(Signal signal, long items, String itemsName, Supplier<Future<Void>> request, Backoff backoff,
      int attempt, long firstAttemptNanos, long backoffNanos, Promise<Void> done) {
    long t0 = System.nanoTime();
    once(request).onComplete(ar -> {
      metrics.requestDuration(signal, System.nanoTime() - t0);
      if (ar.succeeded()) {
        metrics.sent(signal, items);
        done.complete();
        return;
      }
      Throwable err = ar.cause();
      if (PermanentException.isPermanent(err) || !retry.enabled()) {
        drop(signal, items, itemsName, err, attempt);
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
        drop(signal, items, itemsName, err, attempt);
        done.fail(new RetryableException("Exporter '" + id + "' gave up after " + attempt + " attempts in "
            + TimeUnit.NANOSECONDS.toMillis(elapsed) + " ms", err));
        return;
      }
      retryLog.log("Exporter '{}' could not send {} {} (attempt {}), retrying in {} ms: {}", id, items, itemsName,
          attempt, TimeUnit.NANOSECONDS.toMillis(delay), err.getMessage());
      long next = Math.min((long) (backoffNanos * retry.multiplier()), retry.maxInterval().toNanos());
      backoff.await(Math.max(1, TimeUnit.NANOSECONDS.toMillis(delay)), () -> {
        metrics.retried(signal);
        attempt(signal, items, itemsName, request, backoff, attempt + 1, firstAttemptNanos, next, done);
      });
    });
  }

  /** One attempt, bounded by the timeout; completes on the context whatever thread answers. */
  private Future<Void> once(Supplier<Future<Void>> request) {
    Future<Void> sent;
    try {
      sent = request.get();
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
    if (sent == null) {
      return Future.failedFuture(new IllegalStateException("Exporter '" + id + "': its sender returned no future"));
    }
    Promise<Void> p = context.promise();
    if (sent.isComplete() || timeout == null || timeout.isZero() || timeout.isNegative()) {
      sent.onComplete(p);
      return p.future();
    }
    long timeoutMillis = Math.max(1, timeout.toMillis());
    long timer = context.setTimer(timeoutMillis, tid -> p.tryFail(new RetryableException(
        "Exporter '" + id + "': request timed out after " + timeoutMillis + " ms")));
    sent.onComplete(ar -> {
      context.owner().cancelTimer(timer);
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

  private void drop(Signal signal, long items, String itemsName, Throwable err, int attempts) {
    metrics.sendFailed(signal, items);
    dropLog.log("Exporter '{}' dropped {} {} after {} attempt(s): {}", id, items, itemsName, attempts,
        err.getMessage(), err);
  }
}
