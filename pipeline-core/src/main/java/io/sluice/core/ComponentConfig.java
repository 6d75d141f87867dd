package io.sluice.core;

import java.util.List;

/**
 * A component's typed config: an immutable record whose components are the YAML keys in
 * snake_case ({@code sendBatchSize} is {@code send_batch_size}). Keys the record does not have
 * are errors; keys the user leaves out keep the values of the factory's {@code defaultConfig()}.
 */
public interface ComponentConfig {
  /**
   * Every problem with this config at once, each with the key path relative to the component
   * ({@code protocols.grpc.endpoint}). Empty when the config is valid.
   */
  default List<ConfigProblem> validate() {
    return List.of();
  }

  /**
   * Keys that are accepted, so that a config written for the Collector or Prometheus loads, but
   * that change nothing in Sluice: each with its key path and why. {@code sluice validate} prints
   * them; a valid config may have some.
   */
  default List<ConfigProblem> warnings() {
    return List.of();
  }
}
