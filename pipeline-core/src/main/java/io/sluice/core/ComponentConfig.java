package io.sluice.core;

import java.util.List;
import java.util.Set;

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

  /**
   * Problems that depend on the signals of the pipelines the component is used in, such as a key
   * that only applies to logs set on a component used only in traces pipelines; each with its key
   * path, reported like {@link #validate()}'s. Checked once the pipelines are read, for components
   * that some pipeline uses and whose config is otherwise valid.
   *
   * @param signals the signals of every pipeline that names the component; never empty
   */
  default List<ConfigProblem> validateUse(Set<Signal> signals) {
    return List.of();
  }
}
