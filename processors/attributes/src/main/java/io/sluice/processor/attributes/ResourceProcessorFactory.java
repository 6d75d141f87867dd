package io.sluice.processor.attributes;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code resource} processors, as in the Collector: actions (insert, update, upsert,
 * delete, hash, extract, convert) on the resource attributes of every signal. See
 * {@link ResourceProcessorConfig}.
 */
public final class ResourceProcessorFactory implements ProcessorFactory<ResourceProcessorConfig> {
  @Override
  public String type() {
    return "resource";
  }

  @Override
  public Class<ResourceProcessorConfig> configClass() {
    return ResourceProcessorConfig.class;
  }

  @Override
  public ResourceProcessorConfig defaultConfig() {
    return ResourceProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Processor create(ComponentContext ctx, ResourceProcessorConfig config, Signal signal, Consumer next) {
    return new TransformProcessor(type(), ctx, signal, next, new ResourceTransform(config), config.attributes().size());
  }
}
