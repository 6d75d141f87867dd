package io.sluice.core;

import io.vertx.core.Future;

/**
 * A component that can carry on part of the work of the instance it replaces when a reload
 * changes its config: a scrape job the change did not touch keeps its series, instead of being
 * marked stale by the old instance's shutdown and starting afresh in the new one.
 *
 * <p>A reload calls {@link #takeOverFrom} on the new instance once every new component has
 * started and before the old instance shuts down; the old one is still running.
 */
public interface StateHandover {
  /**
   * Takes over what this instance can of {@code predecessor}, an instance of the same type that is
   * about to shut down; whatever it takes over, the predecessor must no longer do (nor finish with
   * stale markers, flushes or the like). A failed future is logged and the predecessor then shuts
   * down as usual.
   */
  Future<Void> takeOverFrom(Component predecessor);
}
