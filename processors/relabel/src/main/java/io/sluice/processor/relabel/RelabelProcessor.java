package io.sluice.processor.relabel;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Consumer;
import io.sluice.core.PermanentException;
import io.sluice.core.Processor;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics.ProcessorMetrics;
import io.sluice.translation.prometheus.relabel.Relabeler;
import io.vertx.core.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code relabel} processor of one metrics pipeline: a stateless batch to batch function
 * ({@link MetricRelabeling}) run on the caller's thread. The relabeled batch goes to the next
 * consumer and its acknowledgement is this batch's; a batch left with no points is acknowledged
 * at once without being passed on.
 */
final class RelabelProcessor implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(RelabelProcessor.class);

  private final ComponentId id;
  private final String pipeline;
  private final Consumer next;
  private final ProcessorMetrics metrics;
  private final MetricRelabeling relabeling;
  private final int steps;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean stopped = new AtomicBoolean();

  RelabelProcessor(ComponentContext ctx, RelabelProcessorConfig config, Consumer next) {
    this.id = ctx.id();
    this.pipeline = ctx.pipeline();
    this.next = next;
    this.metrics = ctx.metrics().processor(ctx.id(), ctx.pipeline(), Signal.METRICS);
    this.relabeling = new MetricRelabeling(Relabeler.compile(config.metricRelabelConfigs()));
    this.steps = config.metricRelabelConfigs().size();
  }

  @Override
  public Future<Void> start() {
    if (started.compareAndSet(false, true)) {
      LOG.info("Relabel processor \"{}\" in pipeline \"{}\" started with {} metric relabel steps", id, pipeline,
          steps);
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    int items = batch.itemCount();
    metrics.incoming(items);
    MetricRelabeling.Result result;
    try {
      result = relabeling.apply(batch.resourceMetrics());
    } catch (RuntimeException e) {
      LOG.error("Relabel processor \"{}\" in pipeline \"{}\" failed on a batch of {} metric points; dropping it", id,
          pipeline, items, e);
      metrics.dropped(items);
      return Future.failedFuture(new PermanentException("relabel processor \"" + id + "\" could not relabel the"
          + " batch: " + e, e));
    }
    if (result.dropped() > 0) {
      metrics.dropped(result.dropped());
      batch.envelope().rejections().add(result.dropped(), "dropped by the relabel rules of processor \"" + id + "\"");
      LOG.debug("Relabel processor \"{}\" dropped {} of {} metric points", id, result.dropped(), items);
    }
    int left = items - result.dropped();
    if (left == 0 && result.changed()) {
      return Future.succeededFuture();
    }
    metrics.outgoing(left);
    Batch out = result.changed() ? batch.withResources(result.resources()) : batch;
    try {
      return next.consume(out);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Void> shutdown() {
    if (stopped.compareAndSet(false, true) && started.get()) {
      LOG.info("Relabel processor \"{}\" in pipeline \"{}\" shut down", id, pipeline);
    }
    return Future.succeededFuture();
  }

  @Override
  public String toString() {
    return "relabel processor \"" + id + "\" in pipeline \"" + pipeline + "\"";
  }
}
