package io.sluice.core;

import io.vertx.core.Future;

/**
 * Takes batches. The returned future is the acknowledgement: it succeeds once the batch is
 * delivered or queued by the exporters behind this consumer, and fails with a
 * {@link RetryableException} (try again later: queue full, backend down, over the memory limit)
 * or a {@link PermanentException} (the data is bad and will never be accepted).
 *
 * <p>A batch handed over is no longer the caller's; since the OTLP messages are immutable the
 * caller may still read it. {@code consume} may be called from any thread and never blocks.
 */
@FunctionalInterface
public interface Consumer {
  Future<Void> consume(Batch batch);
}
