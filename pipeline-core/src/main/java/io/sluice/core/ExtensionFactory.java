package io.sluice.core;

import java.util.Set;

/** Makes extensions: components outside the data path, one instance each. */
public interface ExtensionFactory<C extends ComponentConfig> extends ComponentFactory<C> {
  Extension create(ComponentContext ctx, C config);

  /**
   * True when the extensions made keep components' state (they implement
   * {@link io.sluice.core.storage.StorageExtension}), so that a component's {@code storage:} may
   * name them.
   */
  default boolean providesStorage() {
    return false;
  }

  @Override
  default ComponentKind kind() {
    return ComponentKind.EXTENSION;
  }

  @Override
  default Set<Signal> signals() {
    return Set.of();
  }
}
