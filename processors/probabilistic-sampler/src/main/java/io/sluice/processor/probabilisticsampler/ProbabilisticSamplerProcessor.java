package io.sluice.processor.probabilisticsampler;

import com.google.protobuf.InvalidProtocolBufferException;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Consumer;
import io.sluice.core.PermanentException;
import io.sluice.core.Processor;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics.ProcessorMetrics;
import io.vertx.core.Future;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code probabilistic_sampler} processor of one traces or logs pipeline: a stateless batch
 * to batch function run on the caller's thread. A batch that arrived encoded is sampled in its
 * bytes ({@link EncodedSampling}), one already parsed in its objects ({@link DecodedSampling}).
 * The kept items go to the next consumer, whose acknowledgement is the batch's; the dropped ones
 * are counted for the receiver's {@code partial_success}, and a batch with nothing kept is
 * acknowledged at once.
 */
final class ProbabilisticSamplerProcessor implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(ProbabilisticSamplerProcessor.class);
  static final String COUNT_METRIC = "sluice_processor_probabilistic_sampler_count_items_sampled";

  private final ComponentId id;
  private final String pipeline;
  private final Signal signal;
  private final Consumer next;
  private final ProbabilisticSamplerProcessorConfig config;
  private final Sampler sampler;
  private final ProcessorMetrics metrics;
  private final CounterDataPoint sampled;
  private final CounterDataPoint notSampled;
  private final String rejectReason;
  private final AtomicBoolean started = new AtomicBoolean();
  private final AtomicBoolean stopped = new AtomicBoolean();

  ProbabilisticSamplerProcessor(ComponentContext ctx, ProbabilisticSamplerProcessorConfig config, Signal signal,
      Consumer next) {
    this.id = ctx.id();
    this.pipeline = ctx.pipeline();
    this.signal = signal;
    this.next = next;
    this.config = config;
    this.sampler = Sampler.of(config);
    this.metrics = ctx.metrics().processor(ctx.id(), ctx.pipeline(), signal);
    var counter = ctx.metrics().sharedCounter(COUNT_METRIC,
        "Items (spans, log records) the probabilistic_sampler processor decided on, by whether it kept them.",
        "component_id", "pipeline", "signal", "sampled");
    this.sampled = counter.labelValues(id.toString(), pipeline, signal.configName(), "true");
    this.notSampled = counter.labelValues(id.toString(), pipeline, signal.configName(), "false");
    this.rejectReason = "not sampled by the probabilistic_sampler processor \"" + id + "\"";
  }

  @Override
  public Future<Void> start() {
    if (started.compareAndSet(false, true)) {
      LOG.info("Probabilistic sampler \"{}\" in pipeline \"{}\" started: {}% of {}, {} mode{}", id, pipeline,
          config.percentage(), signal.itemName(), config.mode(),
          config.failClosed() ? "" : ", keeping what it cannot decide (fail_closed: false)");
    }
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    int items = batch.itemCount();
    metrics.incoming(items);
    Batch out;
    int kept;
    try {
      if (batch.isEncoded()) {
        EncodedSampling s = new EncodedSampling(sampler, signal, config.fromAttribute(), config.samplingPriority());
        EncodedResources in = batch.encoded();
        EncodedResources result = s.sample(in);
        kept = s.kept();
        out = result == in ? batch : batch.withEncoded(result);
      } else {
        DecodedSampling s = new DecodedSampling(sampler, config.fromAttribute(), config.samplingPriority());
        List<?> in = batch.resources();
        List<?> result = signal == Signal.TRACES ? s.sampleSpans(batch.resourceSpans()) : s.sampleLogs(
            batch.resourceLogs());
        kept = s.kept();
        out = result == in ? batch : batch.withResources(result);
      }
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      LOG.error("Probabilistic sampler \"{}\" in pipeline \"{}\" could not read a batch of {} {}; dropping it", id,
          pipeline, items, signal.itemName(), e);
      metrics.dropped(items);
      return Future.failedFuture(new PermanentException("probabilistic_sampler processor \"" + id
          + "\" could not read the batch: " + e.getMessage(), e));
    }
    int dropped = items - kept;
    sampled.inc(kept);
    if (dropped > 0) {
      notSampled.inc(dropped);
      metrics.dropped(dropped);
      batch.envelope().rejections().add(dropped, rejectReason);
    }
    if (kept == 0) {
      return Future.succeededFuture();
    }
    metrics.outgoing(kept);
    try {
      return next.consume(out);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  @Override
  public Future<Void> shutdown() {
    if (stopped.compareAndSet(false, true) && started.get()) {
      LOG.info("Probabilistic sampler \"{}\" in pipeline \"{}\" shut down", id, pipeline);
    }
    return Future.succeededFuture();
  }

  @Override
  public String toString() {
    return "probabilistic_sampler processor \"" + id + "\" in pipeline \"" + pipeline + "\"";
  }
}
