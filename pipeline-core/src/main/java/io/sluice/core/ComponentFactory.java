package io.sluice.core;

import java.util.Set;

/**
 * Makes components of one type. Factories are stateless and found with
 * {@link java.util.ServiceLoader}: a new component is a class plus one line in
 * {@code META-INF/services/<the factory interface>}.
 */
public interface ComponentFactory<C extends ComponentConfig> {
  /** The type name used in configs ({@code otlp}, {@code batch}). */
  String type();

  /**
   * Other type names this factory answers to in configs: the Collector renamed some components
   * ({@code otlp_grpc} for the {@code otlp} exporter), and configs use both names.
   */
  default Set<String> aliases() {
    return Set.of();
  }

  ComponentKind kind();

  Class<C> configClass();

  /** The config used for keys the user leaves out. */
  C defaultConfig();

  /** The signals this component handles; extensions return none. */
  Set<Signal> signals();
}
