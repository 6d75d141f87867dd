package io.sluice.core;

import java.util.Set;

/** Makes extensions: components outside the data path, one instance each. */
public interface ExtensionFactory<C extends ComponentConfig> extends ComponentFactory<C> {
  Extension create(ComponentContext ctx, C config);

  @Override
  default ComponentKind kind() {
    return ComponentKind.EXTENSION;
  }

  @Override
  default Set<Signal> signals() {
    return Set.of();
  }
}
