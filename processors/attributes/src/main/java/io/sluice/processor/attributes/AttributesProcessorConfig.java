package io.sluice.processor.attributes;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Config of the {@code attributes} processor, as in the Collector: {@code actions} run in order on
 * the attributes of every span, log record and metric data point that {@code include} (when given)
 * matches and {@code exclude} (when given) does not.
 *
 * <pre>
 * processors:
 *   attributes:
 *     include:
 *       match_type: strict
 *       services: [checkout]
 *     actions:
 *       - key: environment
 *         value: production
 *         action: insert
 *       - key: user.email
 *         action: hash
 * </pre>
 *
 * @param actions the actions, at least one
 * @param include when given, only items it matches are changed
 * @param exclude when given, items it matches are left unchanged
 */
public record AttributesProcessorConfig(List<AttributeActionConfig> actions, MatchProperties include,
    MatchProperties exclude) implements ComponentConfig {

  public AttributesProcessorConfig {
    // Not List.copyOf: an empty YAML item binds to null and validate() reports it.
    actions = actions == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(actions));
  }

  /** Defaults: no actions and no filter. As in the Collector, a processor needs at least one action. */
  public static AttributesProcessorConfig defaults() {
    return new AttributesProcessorConfig(List.of(), null, null);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>(AttributeActionConfig.validateAll("actions", actions));
    if (include != null) {
      include.validate("include", problems);
    }
    if (exclude != null) {
      exclude.validate("exclude", problems);
    }
    return problems;
  }
}
