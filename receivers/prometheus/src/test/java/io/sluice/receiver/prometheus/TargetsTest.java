package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.config.ConfigLoader;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.GlobalConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import io.sluice.receiver.prometheus.Targets.Target;
import io.sluice.translation.prometheus.relabel.LabelSet;
import io.sluice.translation.prometheus.relabel.Relabeler;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TargetsTest {
  private static Target build(String yaml, String address, Map<String, String> groupLabels) throws Exception {
    PrometheusReceiverConfig c = ConfigLoader.bindComponent(new PrometheusReceiverFactory(), yaml);
    ScrapeConfig sc = c.config().scrapeConfigs().get(0);
    GlobalConfig global = c.config().global();
    return Targets.build(address, groupLabels, sc, global, Relabeler.compile(sc.relabelConfigs()));
  }

  @Test
  void instanceDefaultsToTheAddressAndDoubleUnderscoreLabelsAreDropped() throws Exception {
    Target t = build("""
        config:
          scrape_configs:
            - job_name: node
              static_configs: [ { targets: ["h:9100"] } ]
        """, "h:9100", Map.of("__meta_x", "y", "team", "a"));
    assertThat(t.labels()).isEqualTo(LabelSet.of("instance", "h:9100", "job", "node", "team", "a"));
    assertThat(t.url()).isEqualTo("http://h:9100/metrics");
    assertThat(t.interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(t.timeout()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void relabelingCanRewriteAddressSchemePathParamsAndInterval() throws Exception {
    Target t = build("""
        config:
          scrape_configs:
            - job_name: blackbox
              params: { module: [http_2xx, extra] }
              static_configs: [ { targets: ["example.org"] } ]
              relabel_configs:
                - source_labels: [__address__]
                  target_label: __param_target
                - source_labels: [__param_target]
                  target_label: instance
                - target_label: __address__
                  replacement: "127.0.0.1:9115"
                - target_label: __metrics_path__
                  replacement: /probe
                - target_label: __scheme__
                  replacement: https
                - target_label: __param_module
                  replacement: icmp
                - target_label: __scrape_interval__
                  replacement: 30s
        """, "example.org", Map.of());
    assertThat(t.labels()).isEqualTo(LabelSet.of("instance", "example.org", "job", "blackbox"));
    assertThat(t.url()).isEqualTo("https://127.0.0.1:9115/probe?module=icmp&module=extra&target=example.org");
    assertThat(t.scheme()).isEqualTo("https");
    assertThat(t.interval()).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aTargetDroppedByRelabelingIsNull() throws Exception {
    Target t = build("""
        config:
          scrape_configs:
            - job_name: j
              static_configs: [ { targets: ["h:1"] } ]
              relabel_configs:
                - source_labels: [__address__]
                  regex: "h:1"
                  action: drop
        """, "h:1", Map.of());
    assertThat(t).isNull();
  }

  @Test
  void groupLabelsCanSetTheJobAndAreNotOverriddenByDefaults() throws Exception {
    Target t = build("""
        config:
          scrape_configs:
            - job_name: j
              static_configs: [ { targets: ["h:1"] } ]
        """, "h:1", Map.of("job", "custom", "__metrics_path__", "/m"));
    assertThat(t.labels().get("job")).isEqualTo("custom");
    assertThat(t.url()).isEqualTo("http://h:1/m");
  }

  @Test
  void checksAddresses() {
    assertThat(Targets.addressProblem("localhost:9100")).isNull();
    assertThat(Targets.addressProblem("[::1]:9100")).isNull();
    assertThat(Targets.addressProblem("example.org")).isNull();
    assertThat(Targets.addressProblem("http://h:1")).contains("did you mean \"h:1\"");
    assertThat(Targets.addressProblem("h:1/metrics")).contains("metrics_path");
    assertThat(Targets.addressProblem("h:99999")).contains("99999");
    assertThat(Targets.addressProblem(":80")).contains("no host");
    assertThat(Targets.addressProblem("")).isNotNull();
  }
}
