package io.sluice.exporter.loki;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Exporter;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.tls.TlsClientSettings;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class LokiExporterConfigTest {

  @Test
  void defaultsValidateOnceAnEndpointIsSet() {
    LokiExporterConfig d = new LokiExporterFactory().defaultConfig();

    assertThat(d.encoding()).isEqualTo("protobuf");
    assertThat(d.format()).isEqualTo("raw");
    assertThat(d.maxStreams()).isEqualTo(5000);
    assertThat(d.defaultLabelsEnabled()).isEqualTo(new LokiExporterConfig.DefaultLabelsEnabled(true, true, true, true));
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.sendingQueue()).isEqualTo(QueueSettings.defaults());
    assertThat(d.retryOnFailure()).isEqualTo(RetrySettings.defaults());
    assertThat(d.validate()).extracting(ConfigProblem::path).containsExactly("endpoint");
    assertThat(d.withEndpoint("http://loki:3100/loki/api/v1/push").validate()).isEmpty();
  }

  @Test
  void bindsACollectorLokiExporterConfigWithSluicesKeys() throws Exception {
    LokiExporterConfig c = ConfigLoader.bindComponent(new LokiExporterFactory(), """
        endpoint: https://loki.example.com/loki/api/v1/push
        encoding: json
        headers:
          X-Team: core
        tenant: acme
        default_labels_enabled:
          exporter: false
          job: true
        labels:
          resource:
            k8s.namespace.name: namespace
            service.name:
          attributes:
            http.method: ""
        format: logfmt
        max_streams: 100
        stream_idle_timeout: 10m
        timeout: 10s
        tls:
          insecure_skip_verify: true
        auth:
          authenticator: basicauth/loki
        sending_queue:
          num_consumers: 20
        retry_on_failure:
          max_elapsed_time: 1m
        """);

    assertThat(c.json()).isTrue();
    assertThat(c.headers()).containsExactly(Map.entry("X-Team", "core"));
    assertThat(c.tenant()).isEqualTo("acme");
    assertThat(c.defaultLabelsEnabled()).isEqualTo(new LokiExporterConfig.DefaultLabelsEnabled(false, true, true,
        true));
    assertThat(c.labels().resource()).containsExactly(Map.entry("k8s.namespace.name", "namespace"),
        Map.entry("service.name", ""));
    assertThat(c.labels().attributes()).containsExactly(Map.entry("http.method", ""));
    assertThat(c.format()).isEqualTo("logfmt");
    assertThat(c.maxStreams()).isEqualTo(100);
    assertThat(c.streamIdleTimeout()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.tls().insecureSkipVerify()).isTrue();
    assertThat(c.auth()).isEqualTo(new AuthSettings("basicauth/loki"));
    assertThat(c.sendingQueue().numConsumers()).isEqualTo(20);
    assertThat(c.retryOnFailure().maxElapsedTime()).isEqualTo(Duration.ofMinutes(1));
  }

  @Test
  void wrongKeysAndValuesAreRefusedWithTheirPaths() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new LokiExporterFactory(), """
        endpoint: loki:3100/loki/api/v1/push
        encoding: snappy
        format: xml
        max_streams: 0
        max_stream: 5
        default_labels_enabled:
          host: true
        labels:
          resource:
            service.name: "service-name"
        """))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).errors()).extracting(ConfigError::path)
            .contains("exporters.loki.endpoint", "exporters.loki.encoding", "exporters.loki.format",
                "exporters.loki.max_streams", "exporters.loki.max_stream",
                "exporters.loki.default_labels_enabled.host"));
  }

  @Test
  void reportsEveryProblemAtOnceSayingWhatWouldBeValid() {
    LokiExporterConfig c = new LokiExporterConfig("ftp://loki/push", "avro", Map.of("bad header", "x"), "a|b", null,
        new LokiExporterConfig.Labels(Map.of("service.name", "service-name"), Map.of("x", "9x")), "xml", 0,
        Duration.ZERO, Duration.ofSeconds(-1), new TlsClientSettings(false, false, "", "", "k.pem"),
        new AuthSettings(""), new QueueSettings(true, 0, 10), RetrySettings.defaults());

    assertThat(c.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("endpoint", "encoding",
        "headers", "tenant", "labels.resource.service.name", "labels.attributes.x", "format", "max_streams",
        "stream_idle_timeout", "timeout", "tls.cert_file", "tls.key_file", "auth.authenticator",
        "sending_queue.num_consumers");
    assertThat(c.validate()).filteredOn(p -> p.path().equals("labels.resource.service.name")).first()
        .extracting(ConfigProblem::message).asString().contains("\"service-name\"", "\"service_name\"");
    assertThat(c.validate()).filteredOn(p -> p.path().equals("endpoint")).first()
        .extracting(ConfigProblem::message).asString().contains("\"http://loki/push\"");
  }

  @Test
  void shutdownWorksWithoutStartAndTwice() {
    try (TestVertx tv = TestVertx.create()) {
      Exporter e = new LokiExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "loki"),
          LokiExporterConfig.defaults().withEndpoint("http://127.0.0.1:1/loki/api/v1/push"));
      e.shutdown().await(5, TimeUnit.SECONDS);
      e.shutdown().await(5, TimeUnit.SECONDS);
      e.start().await(5, TimeUnit.SECONDS);
      e.shutdown().await(5, TimeUnit.SECONDS);
      e.start().await(5, TimeUnit.SECONDS);
      e.shutdown().await(5, TimeUnit.SECONDS);
    } catch (Exception ex) {
      throw new AssertionError(ex);
    }
  }
}
