package io.sluice.core.service;

import io.sluice.core.Batch;
import io.sluice.core.Consumer;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;

/**
 * Hands one batch to several consumers. The OTLP messages are immutable, so every consumer gets
 * the same batch without a copy. The acknowledgement succeeds when all of them succeeded and
 * otherwise fails with the first failure, so a retryable refusal anywhere makes the sender retry.
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
    List<Future<Void>> results = new ArrayList<>(consumers.length);
    for (Consumer c : consumers) {
      Future<Void> f;
      try {
        f = c.consume(batch);
      } catch (RuntimeException e) {
        f = Future.failedFuture(e);
      }
      results.add(f);
    }
    return Future.all(results).mapEmpty();
  }
}
