package io.sluice.core;

/** What the running gateway tells its components about itself. */
public interface Host {
  /** True once every pipeline has started, and until shutdown begins. */
  boolean ready();

  /** A host that is always ready, for components run on their own in tests. */
  Host ALWAYS_READY = () -> true;
}
