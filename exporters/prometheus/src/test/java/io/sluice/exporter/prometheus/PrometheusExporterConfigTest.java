package io.sluice.exporter.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrometheusExporterConfigTest {
  private final PrometheusExporterFactory factory = new PrometheusExporterFactory();

  @Test
  void bindsTheCollectorsExampleSection() throws Exception {
    PrometheusExporterConfig c = ConfigLoader.bindComponent(factory, """
        endpoint: "1.2.3.4:1234"
        namespace: test-space
        const_labels:
          label1: value1
          another: value2
        send_timestamps: true
        metric_expiration: 180m
        enable_open_metrics: true
        add_metric_suffixes: false
        resource_to_telemetry_conversion:
          enabled: true
        """);

    assertThat(c.hostPort().host()).isEqualTo("1.2.3.4");
    assertThat(c.hostPort().port()).isEqualTo(1234);
    assertThat(c.namespace()).isEqualTo("test-space");
    assertThat(c.constLabels()).isEqualTo(Map.of("label1", "value1", "another", "value2"));
    assertThat(c.sendTimestamps()).isTrue();
    assertThat(c.metricExpiration()).isEqualTo(Duration.ofMinutes(180));
    assertThat(c.enableOpenMetrics()).isTrue();
    assertThat(c.addMetricSuffixes()).isFalse();
    assertThat(c.resourceToTelemetryConversion().enabled()).isTrue();
  }

  @Test
  void keysLeftOutKeepTheCollectorsDefaults() throws Exception {
    PrometheusExporterConfig c = ConfigLoader.bindComponent(factory, "endpoint: localhost:8889\n");

    assertThat(c.namespace()).isEmpty();
    assertThat(c.constLabels()).isEmpty();
    assertThat(c.sendTimestamps()).isFalse();
    assertThat(c.metricExpiration()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.enableOpenMetrics()).isFalse();
    assertThat(c.addMetricSuffixes()).isTrue();
    assertThat(c.resourceToTelemetryConversion().enabled()).isFalse();
  }

  @Test
  void reportsEachProblemWithItsKeyPath() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, ""))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.prometheus.endpoint");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "endpoint: http://localhost:8889"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.prometheus.endpoint");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory,
        "endpoint: localhost:8889\nmetric_expiration: 0s\nconst_labels:\n  1bad: x\n"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("exporters.prometheus.metric_expiration")
        .hasMessageContaining("exporters.prometheus.const_labels.1bad");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "endpoint: localhost:8889\nsend_timestamp: true"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("send_timestamp");
  }
}
