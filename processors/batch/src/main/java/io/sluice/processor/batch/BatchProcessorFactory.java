package io.sluice.processor.batch;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code batch} processors: they gather incoming batches into larger ones (by size or after
 * a timeout), split batches above a maximum size, and acknowledge an incoming batch only once
 * every outgoing batch holding its items has been acknowledged.
 */
public final class BatchProcessorFactory implements ProcessorFactory<BatchProcessorConfig> {
  @Override
  public String type() {
    return "batch";
  }

  @Override
  public Class<BatchProcessorConfig> configClass() {
    return BatchProcessorConfig.class;
  }

  @Override
  public BatchProcessorConfig defaultConfig() {
    return BatchProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Processor create(ComponentContext ctx, BatchProcessorConfig config, Signal signal, Consumer next) {
    return new BatchProcessor(ctx, config, signal, next);
  }
}
