package io.sluice.core.service;

import io.sluice.core.Batch;
import io.sluice.core.Consumer;
import io.sluice.core.PermanentException;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Hands one batch to several consumers. The OTLP messages are immutable, so every consumer gets
 * the same batch without a copy. The acknowledgement waits until every consumer answered: it
 * succeeds when all of them succeeded and otherwise fails with the first retryable failure (in
 * the order of the consumers), or the first failure when all failures are permanent, so a
 * retryable refusal anywhere makes the sender retry.
 */
final class FanOutConsumer implements Consumer {
  private final Consumer[] consumers;

  private FanOutConsumer(List<Consumer> consumers) {
    this.consumers = consumers.toArray(new Consumer[0]);
  }

  /** The consumer itself when there is only one. */
  static Consumer of(List<Consumer> consumers) {
    if (consumers.isEmpty()) {
      throw new IllegalArgumentException("a fan-out needs at least one consumer");
    }
    return consumers.size() == 1 ? consumers.get(0) : new FanOutConsumer(consumers);
  }

  @Override
  public Future<Void> consume(Batch batch) {
    int n = consumers.length;
    Promise<Void> ack = Promise.promise();
    AtomicReferenceArray<Throwable> failures = new AtomicReferenceArray<>(n);
    AtomicInteger outstanding = new AtomicInteger(n);
    for (int i = 0; i < n; i++) {
      Future<Void> f;
      try {
        f = consumers[i].consume(batch);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      if (f == null) {
        f = Future.failedFuture(new IllegalStateException("a consumer returned no acknowledgement"));
      }
      int index = i;
      f.onComplete(ar -> {
        if (ar.failed()) {
          failures.set(index, ar.cause());
        }
        if (outstanding.decrementAndGet() == 0) {
          settle(ack, failures);
        }
      });
    }
    return ack.future();
  }

  private static void settle(Promise<Void> ack, AtomicReferenceArray<Throwable> failures) {
    Throwable first = null;
    for (int i = 0; i < failures.length(); i++) {
      Throwable t = failures.get(i);
      if (t == null) {
        continue;
      }
      if (!PermanentException.isPermanent(t)) {
        ack.fail(t);
        return;
      }
      if (first == null) {
        first = t;
      }
    }
    if (first == null) {
      ack.complete();
    } else {
      ack.fail(first);
    }
  }
}
