package io.sluice.core;

import java.util.Map;
import java.util.Set;

/**
 * Makes receivers. One receiver instance serves every pipeline that names it: {@code next} has a
 * consumer for each signal of those pipelines (and none for the others).
 */
public interface ReceiverFactory<C extends ComponentConfig> extends ComponentFactory<C> {
  Receiver create(ComponentContext ctx, C config, Map<Signal, Consumer> next);

  @Override
  default ComponentKind kind() {
    return ComponentKind.RECEIVER;
  }

  @Override
  Set<Signal> signals();
}
