package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ReceiverFactory;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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
    assertThat(c.config().global().interval()).isEqualTo(Duration.ofMinutes(1));
    assertThat(c.config().global().timeout()).isEqualTo(Duration.ofSeconds(10));
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
    assertThat(c.config().global().interval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.config().global().timeout()).isEqualTo(Duration.ofSeconds(10));
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
    assertThat(api.sampleLimit(c.config().global())).isEqualTo(1000);
    assertThat(api.labelLimit(c.config().global())).isEqualTo(30);
    assertThat(api.bodySizeLimitBytes(c.config().global())).isEqualTo(10L * 1024 * 1024);
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
    assertThat(node.bodySizeLimitBytes(c.config().global())).isZero();
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
                - refresh_interval: 30s
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
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(p + "http_sd_configs[0].url:").contains("URL is missing"));
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

  @Test
  void kubernetesOnlyKeysAreRefusedSayingWhatToUseInstead() {
    List<String> errors = errors("""
        target_allocator:
          endpoint: http://otel-targetallocator
          interval: 30s
          collector_id: ${POD_NAME}
        api_server:
          auth_type: serviceAccount
        config:
          scrape_configs: []
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("receivers.prometheus.target_allocator:")
        .contains("no target allocator").contains("http_sd_configs"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("receivers.prometheus.api_server:")
        .contains("Kubernetes API server").contains("static_configs"));
    assertThat(errors).noneSatisfy(e -> assertThat(e).contains("unknown key"));
  }

  /** "line N: path: message" of each error, to check that errors point at their line. */
  private List<String> errorsWithLines(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> bind(yaml));
    assertThat(e).as("config should be refused").isNotNull();
    return e.errors().stream().map(err -> "line " + err.line() + ": " + err.path() + ": " + err.message()).toList();
  }

  @Test
  void anUnsetTimeoutIsTheLesserOfTenSecondsAndTheInterval() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          global: {scrape_interval: 2s}
          scrape_configs:
            - job_name: inherits
              static_configs: [ { targets: ["localhost:1"] } ]
            - job_name: own
              scrape_interval: 30s
              static_configs: [ { targets: ["localhost:1"] } ]
        """);
    var global = c.config().global();
    assertThat(global.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.config().scrapeConfigs().get(0).timeout(global)).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.config().scrapeConfigs().get(1).timeout(global)).isEqualTo(Duration.ofSeconds(2));
    PrometheusReceiverConfig longer = bind("""
        config:
          global: {scrape_interval: 1m, scrape_timeout: 20s}
          scrape_configs:
            - job_name: fast
              scrape_interval: 5s
              static_configs: [ { targets: ["localhost:1"] } ]
        """);
    assertThat(longer.config().scrapeConfigs().get(0).timeout(longer.config().global()))
        .isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void anExplicitTimeoutAboveItsIntervalIsRefused() {
    assertThat(errorsWithLines("""
        config:
          global: {scrape_interval: 5s, scrape_timeout: 6s}
        """)).anySatisfy(e -> assertThat(e).startsWith("line 2: receivers.prometheus.config.global.scrape_timeout:")
            .contains("global scrape timeout 6s is greater than scrape interval 5s"));
    assertThat(errorsWithLines("""
        config:
          global: {scrape_interval: 5s}
          scrape_configs:
            - job_name: slow
              scrape_timeout: 10s
        """)).anySatisfy(e -> assertThat(e)
            .startsWith("line 5: receivers.prometheus.config.scrape_configs[0].scrape_timeout:")
            .contains("scrape timeout 10s is greater than scrape interval 5s for scrape config with job name \"slow\""));
  }

  @Test
  void durationsAreReadAsPrometheusWritesThem() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          global: {scrape_interval: 1m30s, evaluation_interval: 1d, query_max_duration: 1w, rule_query_offset: 0}
          scrape_configs:
            - job_name: a
              scrape_interval: 1y
              file_sd_configs: [ { files: [x.json], refresh_interval: 2h } ]
        """);
    assertThat(c.config().global().interval()).isEqualTo(Duration.ofSeconds(90));
    assertThat(c.config().scrapeConfigs().get(0).interval(c.config().global())).isEqualTo(Duration.ofDays(365));
    assertThat(c.config().scrapeConfigs().get(0).fileSdConfigs().get(0).refreshInterval())
        .isEqualTo(Duration.ofHours(2));
    List<String> errors = errorsWithLines("""
        config:
          global:
            scrape_interval: 45
            query_max_duration: -1s
          scrape_configs:
            - job_name: a
              scrape_timeout: 1.5s
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 3: receivers.prometheus.config.global.scrape_interval:")
        .contains("not a valid duration string: \"45\""));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("line 4: receivers.prometheus.config.global.query_max_duration:")
        .contains("not a valid duration string: \"-1s\""));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("line 7: receivers.prometheus.config.scrape_configs[0].scrape_timeout:").contains("1.5s"));
  }

  @Test
  void sizesNeedAUnitAsInPrometheus() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          global: {body_size_limit: 1KB}
          scrape_configs:
            - job_name: a
              body_size_limit: 1.5MiB
            - job_name: b
        """);
    var global = c.config().global();
    assertThat(c.config().scrapeConfigs().get(0).bodySizeLimitBytes(global)).isEqualTo(1024 * 1024 * 3 / 2);
    assertThat(c.config().scrapeConfigs().get(1).bodySizeLimitBytes(global)).isEqualTo(1024);
    assertThat(errorsWithLines("""
        config:
          scrape_configs:
            - job_name: a
              body_size_limit: 100
        """)).anySatisfy(e -> assertThat(e)
            .startsWith("line 4: receivers.prometheus.config.scrape_configs[0].body_size_limit:")
            .contains("unknown unit \"\" in 100"));
  }

  @Test
  void limitsAreUnsignedAndJobsInheritTheGlobalOnes() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          global: {sample_limit: 100, label_limit: 20}
          scrape_configs:
            - job_name: a
              sample_limit: 5
        """);
    var global = c.config().global();
    assertThat(c.config().scrapeConfigs().get(0).sampleLimit(global)).isEqualTo(5);
    assertThat(c.config().scrapeConfigs().get(0).labelLimit(global)).isEqualTo(20);
    assertThat(errorsWithLines("""
        config:
          global:
            query_max_series: -1
        """)).anySatisfy(e -> assertThat(e)
            .startsWith("line 3: receivers.prometheus.config.global.query_max_series:").contains("unsigned"));
    assertThat(errorsWithLines("""
        config:
          global:
            query_max_samples_read: many
        """)).anySatisfy(e -> assertThat(e)
            .startsWith("line 3: receivers.prometheus.config.global.query_max_samples_read:").contains("integer"));
  }

  @Test
  void labelNamesAreUtf8UnlessTheLegacySchemeIsChosen() throws ConfigException {
    bind("""
        config:
          global: {external_labels: {k8s.cluster.name: eu-1}}
          scrape_configs:
            - job_name: a
              static_configs: [ { targets: ["h:1"], labels: {service.name: api} } ]
              relabel_configs: [ { target_label: host.name, replacement: x } ]
        """);
    List<String> errors = errorsWithLines("""
        config:
          global: {metric_name_validation_scheme: legacy, metric_name_escaping_scheme: underscores}
          scrape_configs:
            - job_name: a
              static_configs:
                - targets: ["h:1"]
                  labels: {service.name: api}
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("line 7: receivers.prometheus.config.scrape_configs[0].static_configs[0].labels.service.name:")
        .contains("not a valid label name"));
    assertThat(errorsWithLines("""
        config:
          global: {metric_name_validation_scheme: invalid_scheme}
        """)).anySatisfy(e -> assertThat(e).startsWith("line 2: receivers.prometheus.config.global.metric_name_validation_scheme:")
            .contains("unrecognized ValidationScheme: \"invalid_scheme\""));
  }

  @Test
  void nullListEntriesAreReportedAtTheirOwnPath() {
    List<String> errors = errorsWithLines("""
        config:
          scrape_configs:
            - job_name: a
              static_configs:
                -
              relabel_configs:
                -
              metric_relabel_configs:
                - ~
            -
        """);
    String p = "receivers.prometheus.config.scrape_configs";
    assertThat(errors).anySatisfy(e -> assertThat(e).contains(p + "[0].static_configs[0]: empty or null section in"
        + " static_configs; expected a map"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains(p + "[0].relabel_configs[0]: empty or null"
        + " relabeling rule; expected a map"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains(p + "[0].metric_relabel_configs[0]: empty or null"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains(p + "[1]: empty or null scrape config section"));
    assertThat(errors).allSatisfy(e -> assertThat(e).doesNotStartWith("line 0"));
  }

  @Test
  void scrapeProtocolsAndCompressionAreRead() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          global: {scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0]}
          scrape_configs:
            - job_name: a
              enable_compression: false
              fallback_scrape_protocol: OpenMetricsText1.0.0
            - job_name: b
              scrape_protocols: [PrometheusText1.0.0]
              metric_name_escaping_scheme: dots
        """);
    var global = c.config().global();
    ScrapeConfig a = c.config().scrapeConfigs().get(0);
    ScrapeConfig b = c.config().scrapeConfigs().get(1);
    assertThat(a.enableCompression()).isFalse();
    assertThat(b.enableCompression()).isTrue();
    assertThat(PromFormats.acceptHeader(a.protocols(global), a.escapingScheme(global))).isEqualTo(
        "text/plain;version=0.0.4;q=0.7,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,*/*;q=0.5");
    assertThat(PromFormats.acceptHeader(b.protocols(global), b.escapingScheme(global)))
        .isEqualTo("text/plain;version=1.0.0;escaping=dots;q=0.7,*/*;q=0.6");
    assertThat(PromFormats.formatOf(a.fallbackScrapeProtocol())).isEqualTo(ExpositionFormat.OPENMETRICS_TEXT);
    List<String> errors = errorsWithLines("""
        config:
          scrape_configs:
            - job_name: node
              scrape_protocols: ["prometheusproto"]
              fallback_scrape_protocol: text
            - job_name: dup
              scrape_protocols: [OpenMetricsText1.0.0, PrometheusProto, OpenMetricsText1.0.0]
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("scrape_configs[0].scrape_protocols[0]:")
        .contains("unknown scrape protocol prometheusproto"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("scrape_configs[0].fallback_scrape_protocol:")
        .contains("invalid fallback_scrape_protocol"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("scrape_configs[1].scrape_protocols[2]:")
        .contains("duplicated protocol"));
  }

  @Test
  void authenticationKeysAreCheckedAsPrometheusChecksThem() {
    List<String> errors = errorsWithLines("""
        config:
          scrape_configs:
            - job_name: a
              bearer_token: x
              bearer_token_file: /etc/hostname
            - job_name: b
              bearer_token: x
              basic_auth: {username: u, password: p}
            - job_name: c
              authorization: {credentials: x, credentials_file: /etc/hostname}
            - job_name: d
              authorization: {credentials_file: /no/such/token}
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("scrape_configs[0].bearer_token_file:")
        .contains("at most one of bearer_token & bearer_token_file must be configured"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("scrape_configs[1].bearer_token:")
        .contains("at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("scrape_configs[2].authorization.credentials_file:")
        .contains("at most one of credentials & credentials_file"));
    assertThat(errors).anySatisfy(e -> assertThat(e).contains("scrape_configs[3].authorization.credentials_file:")
        .contains("/no/such/token"));
  }

  @Test
  void otherServiceDiscoveriesAreRefusedSayingSluiceHasNone() {
    assertThat(errorsWithLines("""
        config:
          scrape_configs:
            - job_name: k8s
              kubernetes_sd_configs: [ { role: pod } ]
        """)).anySatisfy(e -> assertThat(e)
            .startsWith("line 4: receivers.prometheus.config.scrape_configs[0].kubernetes_sd_configs:")
            .contains("Sluice has no kubernetes service discovery").contains("file_sd_configs"));
  }

  @Test
  void keysWithoutEffectAreAcceptedWithOneWarningEach() throws ConfigException {
    PrometheusReceiverConfig c = bind("""
        config:
          global:
            evaluation_interval: 30s
            query_log_file: q.log
            scrape_native_histograms: true
            always_scrape_classic_histograms: true
          rule_files: [rules/*.yml]
          remote_write: [ { url: "http://remote/push" } ]
          alerting: {alertmanagers: [ { static_configs: [ { targets: [am:9093] } ] } ]}
          storage: {tsdb: {out_of_order_time_window: 10m}}
          scrape_configs:
            - job_name: a
              convert_classic_histograms_to_nhcb: true
              track_timestamps_staleness: true
              oauth2: {client_id: x, token_url: "http://t", tls_config: {insecure_skip_verify: true}}
              extra_scrape_metrics: true
        """);
    List<String> warnings = c.warnings().stream().map(w -> w.path() + ": " + w.message()).toList();
    assertThat(warnings).containsExactlyInAnyOrder(
        "config.rule_files: has no effect in Sluice's prometheus receiver: Sluice evaluates no recording or alerting"
            + " rules",
        "config.alerting: has no effect in Sluice's prometheus receiver: Sluice sends no alerts",
        "config.remote_write: has no effect in Sluice's prometheus receiver: the receiver only scrapes; send with a"
            + " prometheusremotewrite exporter in a pipeline",
        "config.storage: has no effect in Sluice's prometheus receiver: Sluice keeps no TSDB",
        "config.global.scrape_native_histograms: has no effect in Sluice: Sluice cannot read the protobuf exposition"
            + " format that carries native histograms; classic histograms are scraped",
        "config.scrape_configs[0].convert_classic_histograms_to_nhcb: has no effect in Sluice: classic histograms"
            + " stay classic (OTLP explicit-bucket histograms, which carry the same buckets)",
        "config.scrape_configs[0].oauth2.tls_config: has no effect in Sluice: Sluice fetches tokens with the client"
            + " credentials grant, with the job's own connection settings");
    assertThat(c.config().scrapeConfigs().get(0).extraScrapeMetrics(c.config().global(), false)).isTrue();
  }

  @Test
  void scrapeConfigFilesAddJobsFromGlobsWithPathsRelativeToEachFile(@TempDir Path dir) throws Exception {
    Path jobs = Files.createDirectories(dir.resolve("jobs"));
    Files.writeString(jobs.resolve("a.yml"), """
        scrape_configs:
          - job_name: a
            file_sd_configs: [ { files: [targets/*.json] } ]
            bearer_token_file: token
        """);
    Files.writeString(jobs.resolve("token"), "t");
    Files.writeString(jobs.resolve("b.yml"), """
        scrape_configs:
          - job_name: b
            static_configs: [ { targets: ["h:1"] } ]
        """);
    Files.writeString(jobs.resolve("notes.txt"), "not a scrape config");
    PrometheusReceiverConfig c = bind("""
        config:
          global: {scrape_interval: 5s}
          scrape_config_files: ["%s/*.yml"]
          scrape_configs:
            - job_name: main
              static_configs: [ { targets: ["h:2"] } ]
        """.formatted(jobs));
    List<io.sluice.core.ConfigProblem> problems = new ArrayList<>();
    List<ScrapeConfig> included = ScrapeConfigFiles.load(c.config(), problems);
    assertThat(problems).isEmpty();
    assertThat(included).extracting(ScrapeConfig::jobName).containsExactly("a", "b");
    assertThat(included.get(0).fileSdConfigs().get(0).files()).containsExactly(jobs.resolve("targets/*.json").toString());
    assertThat(included.get(0).bearerTokenFile()).isEqualTo(jobs.resolve("token").toString());
    assertThat(included.get(1).timeout(c.config().global())).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void scrapeConfigFilesAreCheckedWithTheirFileAndLine(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("a.yml"), """
        scrape_configs:
          - job_name: main
          - job_name: slow
            scrape_timeout: 2m
            scrape_intervall: 1m
        """);
    List<String> errors = errorsWithLines("""
        config:
          scrape_config_files:
            - "%s/*.yml"
            - "%s/*/deeper/*.yml"
          scrape_configs:
            - job_name: main
        """.formatted(dir, dir));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 4: receivers.prometheus.config"
        + ".scrape_config_files[1]:").contains("invalid scrape config file path"));
    // the file is bound once the patterns are valid
    errors = errorsWithLines("""
        config:
          scrape_config_files: ["%s/*.yml"]
          scrape_configs:
            - job_name: main
        """.formatted(dir));
    String first = "line 2: receivers.prometheus.config.scrape_config_files[0]: " + dir.resolve("a.yml");
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(first + ":5:5: scrape_configs[1].scrape_intervall:")
        .contains("unknown key"));
    Files.writeString(dir.resolve("a.yml"), """
        scrape_configs:
          - job_name: main
          - job_name: slow
            scrape_timeout: 2m
        """);
    errors = errorsWithLines("""
        config:
          scrape_config_files: ["%s/*.yml"]
          scrape_configs:
            - job_name: main
        """.formatted(dir));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(first + ": scrape_configs[0].job_name:")
        .contains("found multiple scrape configs with job name \"main\", first found in the main config"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith(first + ": scrape_configs[1].scrape_timeout:")
        .contains("scrape timeout 2m is greater than scrape interval 1m"));
  }

  @Test
  void eachKeyFamilyWithAWrongValueIsReportedAtItsLine() {
    List<String> errors = errorsWithLines("""
        config:
          global:
            metric_name_escaping_scheme: percent
          rule_files: ["rules/*/x.yml"]
          scrape_configs:
            - job_name: tls
              tls_config: {min_version: TLS9, ca: "-----BEGIN CERTIFICATE-----", ca_file: /etc/hostname}
            - job_name: basic
              basic_auth: {username: u, password: p, password_file: /etc/hostname}
            - job_name: proxy
              no_proxy: localhost
              proxy_from_environment: true
              proxy_url: http://proxy:3128
            - job_name: sd
              http_sd_configs:
                - url: http://sd/targets
                  bearer_token: t
                  authorization: {credentials_file: /etc/hostname}
                - url: http://sd/targets
                  refresh_interval: 1h30
            - job_name: headers
              http_headers: {X-A: [not, a, map]}
        """);
    String p = "receivers.prometheus.config.";
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 20: " + p + "scrape_configs[3].http_sd_configs[1]"
        + ".refresh_interval:").contains("\"1h30\""));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 22: " + p + "scrape_configs[4].http_headers.X-A:")
        .contains("expected a map"));
    // the values that bind are checked once the types are right
    errors = errorsWithLines("""
        config:
          global:
            metric_name_escaping_scheme: percent
          rule_files: ["rules/*/x.yml"]
          scrape_configs:
            - job_name: tls
              tls_config: {min_version: TLS9, ca: "-----BEGIN CERTIFICATE-----", ca_file: /etc/hostname}
            - job_name: basic
              basic_auth: {username: u, password: p, password_file: /etc/hostname}
            - job_name: proxy
              no_proxy: localhost
              proxy_from_environment: true
              proxy_url: http://proxy:3128
            - job_name: sd
              http_sd_configs:
                - url: http://sd/targets
                  bearer_token: t
                  authorization: {credentials_file: /etc/hostname}
        """);
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 3: " + p + "global.metric_name_escaping_scheme:")
        .contains("unknown global name escaping method \"percent\""));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 4: " + p + "rule_files[0]:")
        .contains("invalid rule file path \"rules/*/x.yml\""));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 7: " + p + "scrape_configs[0].tls_config.min_version:")
        .contains("unknown TLS version: TLS9"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 7: " + p + "scrape_configs[0].tls_config.ca_file:")
        .contains("at most one of ca & ca_file must be configured"));
    assertThat(errors).anySatisfy(e -> assertThat(e)
        .startsWith("line 9: " + p + "scrape_configs[1].basic_auth.password_file:")
        .contains("at most one of password & password_file must be configured"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 13: " + p + "scrape_configs[2].proxy_url:")
        .contains("if proxy_from_environment is configured, proxy_url must not be configured"));
    assertThat(errorsWithLines("""
        config:
          scrape_configs:
            - job_name: proxy
              proxy_url: ftp://proxy:21
        """)).anySatisfy(e -> assertThat(e).startsWith("line 4: " + p + "scrape_configs[0].proxy_url:")
            .contains("http:// and socks5:// proxies"));
    assertThat(errors).anySatisfy(e -> assertThat(e).startsWith("line 18: " + p + "scrape_configs[3].http_sd_configs[0]"
        + ".authorization:").contains("authorization is not compatible with bearer_token & bearer_token_file"));
  }
}
