package io.sluice.processor.relabel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.translation.prometheus.relabel.RelabelAction;
import io.sluice.translation.prometheus.relabel.RelabelConfig;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class RelabelProcessorConfigTest {
  private final RelabelProcessorFactory factory = new RelabelProcessorFactory();

  @Test
  void defaultsHaveNoStepsAndAreValid() {
    RelabelProcessorConfig d = factory.defaultConfig();
    assertThat(d.metricRelabelConfigs()).isEmpty();
    assertThat(d.validate()).isEmpty();
  }

  @Test
  void bindsPrometheusSyntaxWithPerItemDefaults() throws Exception {
    RelabelProcessorConfig c = ConfigLoader.bindComponent(factory, """
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: 'go_.*'
            action: drop
          - source_labels: [namespace, pod]
            separator: /
            target_label: workload
          - action: LabelMap
            regex: k8s_(.+)
            replacement: kube_$1
          - source_labels: [instance]
            target_label: shard
            modulus: 8
            action: hashmod
        """);
    List<RelabelConfig> steps = c.metricRelabelConfigs();
    assertThat(steps).hasSize(4);
    assertThat(steps.get(0)).isEqualTo(RelabelConfig.of(RelabelAction.DROP).withSourceLabels("__name__")
        .withRegex("go_.*"));
    RelabelConfig replace = steps.get(1);
    assertThat(replace.parsedAction()).isEqualTo(RelabelAction.REPLACE);
    assertThat(replace.sourceLabels()).containsExactly("namespace", "pod");
    assertThat(replace.separator()).isEqualTo("/");
    assertThat(replace.regex()).isEqualTo("(.*)");
    assertThat(replace.replacement()).isEqualTo("$1");
    assertThat(replace.targetLabel()).isEqualTo("workload");
    assertThat(steps.get(2).parsedAction()).isEqualTo(RelabelAction.LABELMAP);
    assertThat(steps.get(2).replacement()).isEqualTo("kube_$1");
    assertThat(steps.get(2).separator()).isEqualTo(";");
    assertThat(steps.get(3).modulus()).isEqualTo(8);
  }

  @Test
  void bracedReferencesAreWrittenWithADoubleDollarAsInTheCollector() throws Exception {
    RelabelConfig c = ConfigLoader.bindComponent(factory, """
        metric_relabel_configs:
          - source_labels: [a]
            regex: '(.*)-(.*)'
            target_label: $${1}_x
            replacement: $2 costs $$$$
        """).metricRelabelConfigs().get(0);
    assertThat(c.targetLabel()).isEqualTo("${1}_x");
    assertThat(c.replacement()).isEqualTo("$2 costs $$");
  }

  @Test
  void emptySectionMeansNoSteps() throws Exception {
    assertThat(ConfigLoader.bindComponent(factory, "").metricRelabelConfigs()).isEmpty();
    assertThat(ConfigLoader.bindComponent(factory, "metric_relabel_configs: []").metricRelabelConfigs()).isEmpty();
  }

  @Test
  void invalidRegexAndUnknownActionAreReportedWithItemPaths() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(factory, """
        metric_relabel_configs:
          - source_labels: [__name__]
            action: keep
          - source_labels: [__name__]
            regex: 'http_(.*'
            action: drop
          - source_labels: [a]
            target_label: b
            action: rename
        """));
    assertThat(e).isNotNull();
    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.relabel.metric_relabel_configs[1].regex",
        "processors.relabel.metric_relabel_configs[2].action");
    assertThat(e.getMessage()).contains("\"http_(.*\"").contains("missing closing )")
        .contains("\"rename\"").contains("labelmap");
    ConfigError regex = e.errors().stream().filter(x -> x.path().endsWith("regex")).findFirst().orElseThrow();
    assertThat(regex.line()).isEqualTo(5);
  }

  @Test
  void forbiddenAndMissingFieldsAreReportedPerItem() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(factory, """
        metric_relabel_configs:
          - source_labels: [a]
            action: lowercase
            replacement: x
          - source_labels: [a]
            action: hashmod
            target_label: h
          - regex: tmp_.*
            source_labels: [a]
            action: labeldrop
        """));
    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.relabel.metric_relabel_configs[0].target_label",
        "processors.relabel.metric_relabel_configs[0].replacement",
        "processors.relabel.metric_relabel_configs[1].modulus",
        "processors.relabel.metric_relabel_configs[2].source_labels");
  }

  @Test
  void unknownKeysInAnItemAreErrors() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(factory, """
        metric_relabel_configs:
          - source_label: [a]
            target_label: b
        """));
    assertThat(e.getMessage()).contains("source_label").contains("source_labels");
    ConfigException alias = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(factory,
        "relabel_configs: []"));
    assertThat(alias.getMessage()).contains("relabel_configs").contains("metric_relabel_configs");
  }

  @Test
  void factoryIsFoundByServiceLoaderAsTypeRelabelForMetricsOnly() {
    List<ProcessorFactory<?>> found = ServiceLoader.load(ProcessorFactory.class).stream()
        .<ProcessorFactory<?>>map(ServiceLoader.Provider::get).filter(f -> f.type().equals("relabel")).toList();
    assertThat(found).hasSize(1).allMatch(f -> f instanceof RelabelProcessorFactory);
    assertThat(found.get(0).signals()).containsExactly(Signal.METRICS);
  }
}
