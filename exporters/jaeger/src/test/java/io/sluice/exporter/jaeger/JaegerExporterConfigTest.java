package io.sluice.exporter.jaeger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ConfigProblem;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.config.FakeComponents;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.exporter.otlp.OtlpExporterConfig.Keepalive;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JaegerExporterConfigTest {
  /** A stand-in for the otlp receiver, and the real jaeger exporter. */
  private static final Factories FACTORIES = Factories.of(new FakeComponents.OtlpReceiverFactory(),
      new JaegerExporterFactory());

  @Test
  void defaultsAreTheCollectorsAndValidateOnceAnEndpointIsSet() {
    JaegerExporterConfig d = new JaegerExporterFactory().defaultConfig();

    assertThat(d.compression()).isEqualTo("none");
    assertThat(d.grpcEncoding()).isNull();
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.balancerName()).isEqualTo("pick_first");
    assertThat(d.tls()).isEqualTo(TlsClientSettings.defaults());
    assertThat(d.sendingQueue()).isEqualTo(QueueSettings.defaults());
    assertThat(d.retryOnFailure()).isEqualTo(RetrySettings.defaults());
    assertThat(d.maxRequestSize()).isEqualTo(2L * 1024 * 1024);
    assertThat(d.validate()).extracting(ConfigProblem::path).containsExactly("endpoint");
    assertThat(d.validate().get(0).message()).contains("jaeger-collector:14250");
    assertThat(d.withEndpoint("jaeger-collector:14250").validate()).isEmpty();
    assertThat(d.warnings()).isEmpty();
  }

  @Test
  void bindsACollectorJaegerExporterConfig(@TempDir Path dir) throws Exception {
    Path ca = Files.writeString(dir.resolve("jaeger-ca.pem"), "not read until the exporter starts");
    JaegerExporterConfig c = ConfigLoader.bindComponent(new JaegerExporterFactory(), """
        endpoint: jaeger-collector:14250
        tls:
          insecure: false
          ca_file: %s
        headers:
          X-Tenant: team-a
        compression: gzip
        timeout: 10s
        balancer_name: round_robin
        keepalive:
          time: 30s
          timeout: 5s
          permit_without_stream: true
        wait_for_ready: true
        write_buffer_size: 524288
        auth:
          authenticator: bearertokenauth/jaeger
        sending_queue:
          enabled: true
          num_consumers: 4
          queue_size: 500
        retry_on_failure:
          initial_interval: 1s
          max_elapsed_time: 2m
        max_request_size: 1048576
        """.formatted(ca));

    assertThat(c.endpoint()).isEqualTo("jaeger-collector:14250");
    assertThat(c.tls().caFile()).isEqualTo(ca.toString());
    assertThat(c.headers()).containsExactly(Map.entry("X-Tenant", "team-a"));
    assertThat(c.grpcEncoding()).isEqualTo("gzip");
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.balancerName()).isEqualTo("round_robin");
    assertThat(c.keepalive()).isEqualTo(new Keepalive(Duration.ofSeconds(30), Duration.ofSeconds(5), true));
    assertThat(c.waitForReady()).isTrue();
    assertThat(c.auth()).isEqualTo(new AuthSettings("bearertokenauth/jaeger"));
    assertThat(c.sendingQueue().numConsumers()).isEqualTo(4);
    assertThat(c.sendingQueue().queueSize()).isEqualTo(500);
    assertThat(c.retryOnFailure().initialInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(c.retryOnFailure().maxElapsedTime()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.maxRequestSize()).isEqualTo(1024 * 1024);
    // The Collector's write_buffer_size is taken, with a warning that it does nothing here.
    assertThat(c.warnings()).extracting(ConfigProblem::path).containsExactly("write_buffer_size");
  }

  @Test
  void unknownKeysAndWrongTypesAreRefusedWithFileLineAndKey() {
    String yaml = """
        receivers:
          otlp:
        exporters:
          jaeger:
            endpoint: jaeger-collector:14250
            timeout: 5 seconds
            sending_queue:
              num_consumer: 4
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [jaeger]
        """;

    List<ConfigError> errors = errors(yaml);

    assertThat(errors).extracting(ConfigError::path).containsExactlyInAnyOrder("exporters.jaeger.timeout",
        "exporters.jaeger.sending_queue.num_consumer");
    assertThat(errors).allSatisfy(err -> assertThat(err.file()).isEqualTo("sluice.yaml"));
    assertThat(byPath(errors, "exporters.jaeger.timeout").line()).isEqualTo(6);
    assertThat(byPath(errors, "exporters.jaeger.sending_queue.num_consumer").line()).isEqualTo(8);
    assertThat(byPath(errors, "exporters.jaeger.sending_queue.num_consumer").message()).contains("num_consumers");
  }

  @Test
  void invalidValuesAreRefusedWithFileLineKeyAndWhatWouldBeValid() {
    String yaml = """
        receivers:
          otlp:
        exporters:
          jaeger:
            endpoint: jaeger-collector
            compression: brotli
            balancer_name: random
            max_request_size: -1
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [jaeger]
        """;

    List<ConfigError> errors = errors(yaml);

    assertThat(errors).extracting(ConfigError::path).containsExactlyInAnyOrder("exporters.jaeger.endpoint",
        "exporters.jaeger.compression", "exporters.jaeger.balancer_name", "exporters.jaeger.max_request_size");
    assertThat(errors).allSatisfy(err -> assertThat(err.file()).isEqualTo("sluice.yaml"));
    ConfigError endpoint = byPath(errors, "exporters.jaeger.endpoint");
    assertThat(endpoint.line()).isEqualTo(5);
    assertThat(endpoint.message()).contains("\"jaeger-collector:14250\"");
    assertThat(byPath(errors, "exporters.jaeger.compression").line()).isEqualTo(6);
    assertThat(byPath(errors, "exporters.jaeger.compression").message()).contains("\"brotli\"", "\"gzip\"");
    assertThat(byPath(errors, "exporters.jaeger.balancer_name").line()).isEqualTo(7);
    assertThat(byPath(errors, "exporters.jaeger.balancer_name").message()).contains("\"round_robin\"");
    assertThat(byPath(errors, "exporters.jaeger.max_request_size").line()).isEqualTo(8);
  }

  private static List<ConfigError> errors(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> new ConfigLoader(FACTORIES, Map.of()).loadYaml("sluice.yaml", yaml));
    assertThat(e).as("the config is refused").isNotNull();
    return e.errors();
  }

  @Test
  void jaegerTakesOnlyTraces() {
    String yaml = """
        receivers:
          otlp:
        exporters:
          jaeger:
            endpoint: jaeger-collector:14250
        service:
          pipelines:
            metrics:
              receivers: [otlp]
              exporters: [jaeger]
        """;

    assertThatThrownBy(() -> new ConfigLoader(FACTORIES, Map.of()).loadYaml("sluice.yaml", yaml))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("jaeger");
  }

  @Test
  void reportsEveryProblemAtOnce() {
    JaegerExporterConfig c = new JaegerExporterConfig("ftp://jaeger:14250", new TlsClientSettings(false, false, "",
        "", "k.pem"), "lz4", Map.of("bad header", "x"), Duration.ofSeconds(-1), "least_request",
        new QueueSettings(true, 0, 10), RetrySettings.defaults(), -5, new Keepalive(Duration.ofSeconds(-1),
        Duration.ZERO, false), false, -1, 0, new AuthSettings(""));

    assertThat(c.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("endpoint", "tls.cert_file",
        "tls.key_file", "compression", "headers", "timeout", "balancer_name", "sending_queue.num_consumers",
        "max_request_size", "keepalive.time", "keepalive.timeout", "read_buffer_size", "auth.authenticator");
  }

  private static ConfigError byPath(List<ConfigError> errors, String path) {
    return errors.stream().filter(e -> e.path().equals(path)).findFirst().orElseThrow(() ->
        new AssertionError("no error at " + path + " in " + errors));
  }
}
