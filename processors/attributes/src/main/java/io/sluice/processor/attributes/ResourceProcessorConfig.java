package io.sluice.processor.attributes;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Config of the {@code resource} processor, as in the Collector: the actions, under the key
 * {@code attributes}, run in order on the attributes of every resource of every signal.
 *
 * <pre>
 * processors:
 *   resource:
 *     attributes:
 *       - key: deployment.environment
 *         value: production
 *         action: upsert
 *       - key: host.id
 *         action: delete
 * </pre>
 *
 * @param attributes the actions ({@link AttributeActionConfig}), at least one
 */
public record ResourceProcessorConfig(List<AttributeActionConfig> attributes) implements ComponentConfig {

  public ResourceProcessorConfig {
    // Not List.copyOf: an empty YAML item binds to null and validate() reports it.
    attributes = attributes == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(attributes));
  }

  /** Defaults: no actions. As in the Collector, a processor needs at least one. */
  public static ResourceProcessorConfig defaults() {
    return new ResourceProcessorConfig(List.of());
  }

  @Override
  public List<ConfigProblem> validate() {
    return AttributeActionConfig.validateAll("attributes", attributes);
  }
}
