package io.sluice.processor.probabilisticsampler;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code probabilistic_sampler} processors: they keep a share of spans or log records,
 * decided per item from its trace ID (or a log record attribute), consistently across gateways
 * that share the config: {@code hash_seed} mode as the Collector's processor decides, the
 * {@code proportional} and {@code equalizing} modes by OpenTelemetry's consistent probability
 * sampling, writing the threshold into what they keep. Traces and logs.
 */
public final class ProbabilisticSamplerProcessorFactory implements ProcessorFactory<ProbabilisticSamplerProcessorConfig> {
  @Override
  public String type() {
    return "probabilistic_sampler";
  }

  @Override
  public Class<ProbabilisticSamplerProcessorConfig> configClass() {
    return ProbabilisticSamplerProcessorConfig.class;
  }

  @Override
  public ProbabilisticSamplerProcessorConfig defaultConfig() {
    return ProbabilisticSamplerProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.of(Signal.TRACES, Signal.LOGS);
  }

  @Override
  public Processor create(ComponentContext ctx, ProbabilisticSamplerProcessorConfig config, Signal signal,
      Consumer next) {
    if (signal == Signal.METRICS) {
      throw new IllegalArgumentException("the probabilistic_sampler processor \"" + ctx.id()
          + "\" handles traces and logs, not metrics");
    }
    return new ProbabilisticSamplerProcessor(ctx, config, signal, next);
  }
}
