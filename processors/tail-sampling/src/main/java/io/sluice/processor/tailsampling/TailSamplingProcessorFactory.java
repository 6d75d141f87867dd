package io.sluice.processor.tailsampling;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code tail_sampling} processors: they hold the spans of each trace for
 * {@code decision_wait}, then keep or drop the whole trace by the configured policies (errors,
 * latency, attributes, a share of the rest, rate limits).
 */
public final class TailSamplingProcessorFactory implements ProcessorFactory<TailSamplingProcessorConfig> {
  @Override
  public String type() {
    return "tail_sampling";
  }

  @Override
  public Class<TailSamplingProcessorConfig> configClass() {
    return TailSamplingProcessorConfig.class;
  }

  @Override
  public TailSamplingProcessorConfig defaultConfig() {
    return TailSamplingProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.of(Signal.TRACES);
  }

  @Override
  public Processor create(ComponentContext ctx, TailSamplingProcessorConfig config, Signal signal, Consumer next) {
    return new TailSamplingProcessor(ctx, config, next, System::nanoTime);
  }
}
