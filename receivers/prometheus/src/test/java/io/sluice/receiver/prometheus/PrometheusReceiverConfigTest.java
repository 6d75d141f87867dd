package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ReceiverFactory;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class PrometheusReceiverConfigTest {
  private final PrometheusReceiverFactory factory = new PrometheusReceiverFactory();

  private PrometheusReceiverConfig bind(String yaml) throws ConfigException {
    return ConfigLoader.bindComponent(factory, yaml);
  }

  private List<String> errors(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> bind(yaml));
    assertThat(e).as("config should be refused").isNotNull();
    return e.errors().stream().map(err -> err.path() + ": " + err.message()).toList();
  }

  @Test
  void factoryIsFoundByServiceLoader() {
    assertThat(ServiceLoader.load(ReceiverFactory.class).stream().map(p -> p.get().type()))
        .contains("prometheus");
  }

  @Test
  void defaultsValidate() throws ConfigException {
    PrometheusReceiverConfig c = bind("");
    assertThat(c.config().scrapeConfigs()).isEmpty();
    assertThat(c.config().global().scrapeInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.config().global().scrapeTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(factory.defaultConfig().validate()).isEmpty();
  }

  @Test
  void bindsAPrometheusStyleConfig() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          global:
            scrape_interval: 15s
            external_labels:
              region: eu
          scrape_configs:
            - job_name: api
              scrape_interval: 5s
              scrape_timeout: 2s
              metrics_path: /prom
              scheme: https
              params:
                module: [http_2xx]
              honor_labels: true
              honor_timestamps: false
              sample_limit: 1000
              label_limit: 30
              body_size_limit: 10MB
              basic_auth:
                username: u
                password: p
              tls_config:
                insecure_skip_verify: true
              static_configs:
                - targets: ["a:9100", "b:9100"]
                  labels:
                    team: x
              file_sd_configs:
                - files: ["/tmp/targets/*.json"]
                  refresh_interval: 30s
              relabel_configs:
                - source_labels: [__address__]
                  regex: "(.*):.*"
                  target_label: host
              metric_relabel_configs:
                - action: drop
                  source_labels: [__name__]
                  regex: go_.*
            - job_name: node
              static_configs:
                - targets: ["localhost:9100"]
        """);
    assertThat(c.config().global().scrapeInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.config().global().scrapeTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.config().global().externalLabels()).containsEntry("region", "eu");
    ScrapeConfig api = c.config().scrapeConfigs().get(0);
    assertThat(api.jobName()).isEqualTo("api");
    assertThat(api.interval(c.config().global())).isEqualTo(Duration.ofSeconds(5));
    assertThat(api.timeout(c.config().global())).isEqualTo(Duration.ofSeconds(2));
    assertThat(api.metricsPath()).isEqualTo("/prom");
    assertThat(api.scheme()).isEqualTo("https");
    assertThat(api.params()).containsEntry("module", List.of("http_2xx"));
    assertThat(api.honorLabels()).isTrue();
    assertThat(api.honorTimestamps()).isFalse();
    assertThat(api.sampleLimit()).isEqualTo(1000);
    assertThat(api.labelLimit()).isEqualTo(30);
    assertThat(api.bodySizeLimitBytes()).isEqualTo(10L * 1024 * 1024);
    assertThat(api.basicAuth().username()).isEqualTo("u");
    assertThat(api.tlsConfig().insecureSkipVerify()).isTrue();
    assertThat(api.staticConfigs().get(0).targets()).containsExactly("a:9100", "b:9100");
    assertThat(api.staticConfigs().get(0).labels()).isEqualTo(Map.of("team", "x"));
    assertThat(api.fileSdConfigs().get(0).refreshInterval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(api.relabelConfigs().get(0).targetLabel()).isEqualTo("host");
    assertThat(api.metricRelabelConfigs().get(0).action()).isEqualTo("drop");

    ScrapeConfig node = c.config().scrapeConfigs().get(1);
    assertThat(node.metricsPath()).isEqualTo("/metrics");
    assertThat(node.scheme()).isEqualTo("http");
    assertThat(node.honorLabels()).isFalse();
    assertThat(node.honorTimestamps()).isTrue();
    assertThat(node.interval(c.config().global())).isEqualTo(Duration.ofSeconds(15));
    assertThat(node.timeout(c.config().global())).isEqualTo(Duration.ofSeconds(10));
    assertThat(node.bodySizeLimitBytes()).isZero();
  }

  @Test
  void timeoutDefaultsToTheIntervalWhenTheIntervalIsShorterThanTheGlobalTimeout() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          scrape_configs:
            - job_name: fast
              scrape_interval: 200ms
              static_configs: [ { targets: ["localhost:1"] } ]
        """);
    assertThat(c.config().scrapeConfigs().get(0).timeout(c.config().global())).isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void reportsEveryProblemWithItsKeyPath() {
    List<String> errors = errors("""
        config:
          scrape_configs:
            - scrape_interval: 5s
              static_configs: [ { targets: ["a:1"] } ]
            - job_name: dup
              scrape_interval: 5s
              scrape_timeout: 10s
              static_configs:
                - targets: ["http://host:9100/metrics", "host:notaport", "ok:80"]
            - job_name: dup
              scheme: ftp
              relabel_configs:
                - action: explode
              metric_relabel_configs:
                - source_labels: [a]
                  regex: "(unclosed"
              body_size_limit: lots
              sample_limit: -1
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("receivers.prometheus.config.scrape_configs[0].job_name:"));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[1].scrape_timeout:").contains("greater than"));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[1].static_configs[0].targets[0]:")
        .contains("did you mean \"host:9100\""));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[1].static_configs[0].targets[1]:")
        .contains("notaport"));
    assertThat(errors).noneSatisfy(e -> assertThat(e).contains("targets[2]"));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[2].job_name:").contains("\"dup\""));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[2].scheme:"));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[2].relabel_configs[0]"));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[2].metric_relabel_configs[0]"));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[2].body_size_limit:"));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("receivers.prometheus.config.scrape_configs[2].sample_limit:"));
  }

  @Test
  void bindsHttpSdConfigsAndTlsSettings() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          scrape_configs:
            - job_name: sd
              scheme: https
              tls_config:
                ca_file: /etc/hostname
                server_name: metrics.internal
              http_sd_configs:
                - url: https://sd.internal:8443/targets
                  basic_auth: { username: u, password: p }
                  tls_config: { insecure_skip_verify: true }
                - url: http://sd.internal/other
                  refresh_interval: 15s
                  authorization: { type: Token, credentials: t }
        """);
    ScrapeConfig sd = c.config().scrapeConfigs().get(0);
    assertThat(sd.tlsConfig().serverName()).isEqualTo("metrics.internal");
    assertThat(sd.tlsConfig().certFile()).isEmpty();
    assertThat(sd.httpSdConfigs()).hasSize(2);
    assertThat(sd.httpSdConfigs().get(0).url()).isEqualTo("https://sd.internal:8443/targets");
    assertThat(sd.httpSdConfigs().get(0).refreshInterval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(sd.httpSdConfigs().get(0).basicAuth().username()).isEqualTo("u");
    assertThat(sd.httpSdConfigs().get(0).tlsConfig().insecureSkipVerify()).isTrue();
    assertThat(sd.httpSdConfigs().get(1).refreshInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(sd.httpSdConfigs().get(1).authorization().type()).isEqualTo("Token");
  }

  @Test
  void reportsHttpSdAndTlsProblemsWithTheirKeyPaths() {
    List<String> errors = errors("""
        config:
          scrape_configs:
            - job_name: a
              tls_config: { cert_file: /etc/hostname, ca_file: /no/such/ca.pem }
              http_sd_configs:
                - refresh_interval: 0s
                - url: sd.internal/targets
                - url: ftp://sd.internal/targets
                  basic_auth: { username: u }
                  authorization: { credentials: t }
                - url: http://sd.internal/targets
                  tls_config: { key_file: /etc/hostname }
                  proxy_urll: http://proxy
        """);
    String p = "receivers.prometheus.config.scrape_configs[0].";
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "tls_config.key_file:").contains("cert_file"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "tls_config.ca_file:").contains("/no/such/ca.pem"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "http_sd_configs[0].url:").contains("required"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "http_sd_configs[0].refresh_interval:"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "http_sd_configs[1].url:")
        .contains("did you mean \"http://sd.internal/targets\""));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "http_sd_configs[2].url:").contains("ftp"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "http_sd_configs[2].authorization:"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "http_sd_configs[3].tls_config.cert_file:"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("proxy_urll"));
  }

  @Test
  void unknownKeysAreErrors() {
    List<String> errors = errors("""
        config:
          scrape_configs:
            - job_name: a
              scrape_intervall: 5s
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("scrape_intervall"));
  }

  @Test
  void parsesPrometheusSizes() {
    assertThat(PrometheusReceiverConfig.parseSize("")).isZero();
    assertThat(PrometheusReceiverConfig.parseSize("100")).isEqualTo(100);
    assertThat(PrometheusReceiverConfig.parseSize("2KB")).isEqualTo(2048);
    assertThat(PrometheusReceiverConfig.parseSize("1GiB")).isEqualTo(1L << 30);
    assertThat(PrometheusReceiverConfig.parseSize("1.5MB")).isEqualTo(-1);
  }

  @Test
  void acceptsTheCollectorsKeysOnlyWhereSluiceBehavesTheSame() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        trim_metric_suffixes: false
        use_start_time_metric: false
        report_extra_scrape_metrics: true
        config:
          scrape_configs: []
        """);
    assertThat(c.reportExtraScrapeMetrics()).isTrue();
    List<String> errors = errors("""
        trim_metric_suffixes: true
        use_start_time_metric: true
        start_time_metric_regex: "^process_start.*"
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("receivers.prometheus.trim_metric_suffixes:"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("receivers.prometheus.use_start_time_metric:"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("receivers.prometheus.start_time_metric_regex:"));
  }
}
