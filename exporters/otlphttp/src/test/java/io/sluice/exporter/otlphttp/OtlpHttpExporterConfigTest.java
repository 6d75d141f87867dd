package io.sluice.exporter.otlphttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ConfigProblem;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import io.vertx.core.buffer.Buffer;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OtlpHttpExporterConfigTest {

  @Test
  void defaultsAreTheCollectorsAndValidateOnceAnEndpointIsSet() {
    OtlpHttpExporterConfig d = new OtlpHttpExporterFactory().defaultConfig();

    assertThat(d.encoding()).isEqualTo("proto");
    assertThat(d.compression()).isEqualTo("gzip");
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.sendingQueue()).isEqualTo(QueueSettings.defaults());
    assertThat(d.retryOnFailure()).isEqualTo(RetrySettings.defaults());
    assertThat(d.validate()).extracting(ConfigProblem::path).containsExactly("endpoint");
    assertThat(d.withEndpoint("http://otelcol:4318").validate()).isEmpty();
  }

  @Test
  void appendsSignalPathsToTheBaseAndUsesSignalEndpointsAsWritten() {
    OtlpHttpExporterConfig c = new OtlpHttpExporterConfig("http://loki:3100/otlp/", "https://x/traces", "", "",
        "proto", "gzip", Map.of(), Duration.ofSeconds(30), null, null, null);

    assertThat(c.url(Signal.LOGS)).isEqualTo("http://loki:3100/otlp/v1/logs");
    assertThat(c.url(Signal.METRICS)).isEqualTo("http://loki:3100/otlp/v1/metrics");
    assertThat(c.url(Signal.TRACES)).isEqualTo("https://x/traces");
    OtlpHttpExporterConfig onlyLogs = new OtlpHttpExporterConfig("", "", "", "http://l:1/push", "proto", "gzip",
        Map.of(), Duration.ofSeconds(30), null, null, null);
    assertThat(onlyLogs.validate()).isEmpty();
    assertThat(onlyLogs.url(Signal.TRACES)).isEmpty();
  }

  @Test
  void bindsACollectorConfigOverTheDefaults() throws Exception {
    String ca = TestOtlpHttpSink.resource("tls/ca.pem");
    OtlpHttpExporterConfig c = ConfigLoader.bindComponent(new OtlpHttpExporterFactory(), """
        endpoint: https://otlp.example.com:4318
        logs_endpoint: http://loki:3100/otlp/v1/logs
        encoding: json
        compression: zstd
        headers:
          Authorization: Bearer abc
        timeout: 10s
        tls:
          insecure_skip_verify: true
          ca_file: %s
        sending_queue:
          enabled: false
        retry_on_failure:
          max_interval: 5s
        """.formatted(ca));

    assertThat(c.url(Signal.TRACES)).isEqualTo("https://otlp.example.com:4318/v1/traces");
    assertThat(c.url(Signal.LOGS)).isEqualTo("http://loki:3100/otlp/v1/logs");
    assertThat(c.json()).isTrue();
    assertThat(c.contentEncoding()).isEqualTo("zstd");
    assertThat(c.headers()).containsExactly(Map.entry("Authorization", "Bearer abc"));
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.tls()).isEqualTo(new TlsClientSettings(false, true, ca, "", ""));
    assertThat(c.sendingQueue()).isEqualTo(new QueueSettings(false, 10, 1000));
    assertThat(c.retryOnFailure().maxInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.retryOnFailure().initialInterval()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void rejectsUnknownKeysAndBadValuesWithTheirPaths() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new OtlpHttpExporterFactory(), """
        endpoint: otelcol:4318
        encodng: json
        compression: brotli
        """))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).errors()).extracting(ConfigError::path)
            .contains("exporters.otlphttp.encodng", "exporters.otlphttp.compression", "exporters.otlphttp.endpoint"));
  }

  @Test
  void reportsEveryProblemAtOnceWithItsPath() {
    OtlpHttpExporterConfig c = new OtlpHttpExporterConfig("otelcol:4318", "ftp://x/t", "", "", "avro", "lz4",
        Map.of("bad header", "x"), Duration.ofSeconds(-1), new TlsClientSettings(false, false, "", "",
        "k.pem"), new QueueSettings(true, 1, 0), RetrySettings.defaults());

    assertThat(c.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("endpoint",
        "traces_endpoint", "encoding", "compression", "timeout", "tls.cert_file", "tls.key_file", "headers",
        "sending_queue.queue_size");
    assertThat(c.validate()).filteredOn(p -> p.path().equals("endpoint")).first()
        .extracting(ConfigProblem::message).asString().contains("\"otelcol:4318\"", "\"http://otelcol:4318\"");
  }

  @Test
  void readsRetryAfterAsSecondsOrAsAnHttpDate() {
    Instant now = Instant.parse("2026-11-22T10:00:00Z");

    assertThat(OtlpHttpExporter.parseRetryAfter("7", now)).isEqualTo(Duration.ofSeconds(7));
    assertThat(OtlpHttpExporter.parseRetryAfter("Sun, 22 Nov 2026 10:00:30 GMT", now))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(OtlpHttpExporter.parseRetryAfter("Sun, 22 Nov 2026 09:00:00 GMT", now)).isEqualTo(Duration.ZERO);
    assertThat(OtlpHttpExporter.parseRetryAfter("soon", now)).isNull();
    assertThat(OtlpHttpExporter.parseRetryAfter(null, now)).isNull();
  }

  @ParameterizedTest
  @ValueSource(ints = {429, 502, 503, 504})
  void retriesOnlyTheStatusesOtlpCallsRetryable(int status) {
    RuntimeException e = OtlpHttpExporter.failure(status, "m", "3", Instant.now());

    assertThat(e).isInstanceOf(RetryableException.class);
    assertThat(((RetryableException) e).retryAfter()).isEqualTo(Duration.ofSeconds(3));
  }

  @ParameterizedTest
  @ValueSource(ints = {400, 401, 403, 404, 413, 415, 500, 501})
  void givesUpOnEveryOtherStatus(int status) {
    assertThat(OtlpHttpExporter.failure(status, "m", "3", Instant.now())).isInstanceOf(PermanentException.class);
  }

  @Test
  void quotesTheStatusMessageOfAnErrorBody() {
    assertThat(OtlpHttpExporter.describeBody("application/json",
        Buffer.buffer("{\"code\":3,\"message\":\"bad span\"}"))).isEqualTo(": bad span");
    assertThat(OtlpHttpExporter.describeBody("text/plain; charset=utf-8", Buffer.buffer("nope\n")))
        .isEqualTo(": nope");
    assertThat(OtlpHttpExporter.describeBody("application/x-protobuf", Buffer.buffer(new byte[] {1, 2, 3})))
        .isEmpty();
    assertThat(OtlpHttpExporter.describeBody(null, Buffer.buffer())).isEmpty();
  }
}
