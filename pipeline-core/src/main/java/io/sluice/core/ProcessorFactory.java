package io.sluice.core;

/** Makes processors: one instance per pipeline that names the processor, as in the Collector. */
public interface ProcessorFactory<C extends ComponentConfig> extends ComponentFactory<C> {
  Processor create(ComponentContext ctx, C config, Signal signal, Consumer next);

  @Override
  default ComponentKind kind() {
    return ComponentKind.PROCESSOR;
  }
}
