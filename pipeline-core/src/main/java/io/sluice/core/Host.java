package io.sluice.core;

import java.util.Optional;

/** What the running gateway tells its components about itself. */
public interface Host {
  /** True once every pipeline has started, and until shutdown begins. */
  boolean ready();

  /**
   * The extension of that id when it is listed in {@code service.extensions}; extensions start
   * before every other component, so a component may look one up in its own {@code start()}.
   * Empty when there is no such extension (and always for hosts without extensions).
   */
  default Optional<Extension> extension(ComponentId id) {
    return Optional.empty();
  }

  /** A host that is always ready, for components run on their own in tests. */
  Host ALWAYS_READY = () -> true;
}
