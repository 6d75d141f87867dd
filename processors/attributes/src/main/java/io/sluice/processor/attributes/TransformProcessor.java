package io.sluice.processor.attributes;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Consumer;
import io.sluice.core.PermanentException;
import io.sluice.core.Processor;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics.ProcessorMetrics;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An {@code attributes} or {@code resource} processor of one pipeline: a stateless batch to batch
 * function run on the caller's thread. The changed batch (or the batch itself when nothing
 * changed) goes to the next consumer, whose acknowledgement is this batch's. Nothing is dropped.
 */
final class TransformProcessor implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(TransformProcessor.class);

  private final String type;
  private final ComponentId id;
  private final String pipeline;
  private final Signal signal;
  private final Consumer next;
  private final ProcessorMetrics metrics;
  private final BatchTransform transform;
  private final int actions;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean stopped = new AtomicBoolean();

  TransformProcessor(String type, ComponentContext ctx, Signal signal, Consumer next, BatchTransform transform,
      int actions) {
    this.type = type;
    this.id = ctx.id();
    this.pipeline = ctx.pipeline();
    this.signal = signal;
    this.next = next;
    this.metrics = ctx.metrics().processor(ctx.id(), ctx.pipeline(), signal);
    this.transform = transform;
    this.actions = actions;
  }

  @Override
  public Future<Void> start() {
    if (started.compareAndSet(false, true)) {
      LOG.info("Processor \"{}\" ({}) in pipeline \"{}\" started with {} actions on {}", id, type, pipeline, actions,
          signal.itemName());
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    int items = batch.itemCount();
    metrics.incoming(items);
    List<?> out;
    try {
      out = transform.apply(batch);
    } catch (RuntimeException e) {
      LOG.error("Processor \"{}\" in pipeline \"{}\" failed on a batch of {} {}; dropping it", id, pipeline, items,
          signal.itemName(), e);
      metrics.dropped(items);
      return Future.failedFuture(new PermanentException("processor \"" + id + "\" could not process the batch: "
          + e, e));
    }
    metrics.outgoing(items);
    try {
      return next.consume(out == batch.resources() ? batch : batch.withResources(out));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Void> shutdown() {
    if (stopped.compareAndSet(false, true) && started.get()) {
      LOG.info("Processor \"{}\" in pipeline \"{}\" shut down", id, pipeline);
    }
    return Future.succeededFuture();
  }

  @Override
  public String toString() {
    return type + " processor \"" + id + "\" in pipeline \"" + pipeline + "\"";
  }
}
