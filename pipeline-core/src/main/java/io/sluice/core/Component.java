package io.sluice.core;

import io.vertx.core.Future;

/**
 * The lifecycle every component shares.
 *
 * <p>{@link #start()} completes when the component is ready (port bound, client built);
 * background work carries on after it. {@link #shutdown()} stops intake and flushes what the
 * component holds; it is safe to call without start, and twice.
 */
public interface Component {
  Future<Void> start();

  Future<Void> shutdown();
}
