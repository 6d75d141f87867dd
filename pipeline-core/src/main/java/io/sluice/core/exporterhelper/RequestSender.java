package io.sluice.core.exporterhelper;

import io.sluice.core.Batch;
import io.vertx.core.Future;

/**
 * The one thing an exporter says itself: how to encode and send one batch as one request. The
 * {@link ExporterHelper} calls it on the exporter's context and takes care of queueing, retries,
 * timeouts and counting.
 */
@FunctionalInterface
public interface RequestSender {
  /**
   * Sends {@code batch}. The future fails with a {@link io.sluice.core.RetryableException}
   * (with the backend's retry delay when it gave one) when sending again may work, or a
   * {@link io.sluice.core.PermanentException} when it never will.
   */
  Future<Void> send(Batch batch);
}
