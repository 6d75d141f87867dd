package io.sluice.processor.relabel;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.translation.prometheus.relabel.RelabelConfig;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Config of the {@code relabel} processor: Prometheus relabeling for OTLP metrics.
 *
 * <p>The only key is {@code metric_relabel_configs}, a list written exactly as Prometheus'
 * {@code metric_relabel_configs} (keys {@code source_labels}, {@code separator}, {@code regex},
 * {@code modulus}, {@code target_label}, {@code replacement}, {@code action}, with Prometheus'
 * defaults), so a scrape config's list can be pasted in. There is no {@code relabel_configs}
 * alias: in Prometheus that key relabels scrape targets, not samples.
 *
 * <p>As everywhere in the config, {@code ${...}} is an environment variable and {@code $$} a
 * literal dollar, as in the Collector. {@code $1} and {@code $name} pass through unchanged, but
 * the braced forms must be written {@code $${1}} and {@code $${name}}, and a literal {@code $$}
 * in a replacement as {@code $$$$}.
 *
 * <pre>
 * processors:
 *   relabel:
 *     metric_relabel_configs:
 *       - source_labels: [__name__]
 *         regex: go_.*
 *         action: drop
 * </pre>
 *
 * @param metricRelabelConfigs the steps, run in order on every data point's labels; none by default
 */
public record RelabelProcessorConfig(List<RelabelConfig> metricRelabelConfigs) implements ComponentConfig {

  public RelabelProcessorConfig {
    // Not List.copyOf: an empty YAML item binds to null and validate() reports it.
    metricRelabelConfigs = metricRelabelConfigs == null ? List.of()
        : Collections.unmodifiableList(new ArrayList<>(metricRelabelConfigs));
  }

  /** Defaults: no steps, so data passes unchanged. */
  public static RelabelProcessorConfig defaults() {
    return new RelabelProcessorConfig(List.of());
  }

  @Override
  public List<ConfigProblem> validate() {
    return RelabelConfig.validateAll("metric_relabel_configs", metricRelabelConfigs);
  }
}
