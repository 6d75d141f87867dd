package io.sluice.processor.memorylimiter;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code memory_limiter} processors: they read the JVM's heap use every
 * {@code check_interval} and, while it is above the soft limit, refuse batches with a retryable
 * {@link io.sluice.core.ResourceExhaustedException} so that senders back off.
 */
public final class MemoryLimiterProcessorFactory implements ProcessorFactory<MemoryLimiterProcessorConfig> {
  @Override
  public String type() {
    return "memory_limiter";
  }

  @Override
  public Class<MemoryLimiterProcessorConfig> configClass() {
    return MemoryLimiterProcessorConfig.class;
  }

  @Override
  public MemoryLimiterProcessorConfig defaultConfig() {
    return MemoryLimiterProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Processor create(
      ComponentContext ctx, MemoryLimiterProcessorConfig config, Signal signal, Consumer next) {
    return new MemoryLimiterProcessor(ctx, config, signal, next);
  }
}
