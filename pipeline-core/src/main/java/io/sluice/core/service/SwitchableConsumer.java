package io.sluice.core.service;

import io.sluice.core.Batch;
import io.sluice.core.Consumer;
import io.vertx.core.Future;

/**
 * The next consumer of a receiver, processor or connector, as the graph wired it. A reload that
 * keeps the component but changes what follows it points this at the new chain; batches already
 * handed on stay with the consumer they were handed to.
 */
final class SwitchableConsumer implements Consumer {
  private volatile Consumer target;

  SwitchableConsumer(Consumer target) {
    this.target = target;
  }

  Consumer target() {
    return target;
  }

  void switchTo(Consumer next) {
    target = next;
  }

  @Override
  public Future<Void> consume(Batch batch) {
    return target.consume(batch);
  }
}
