package io.sluice.exporter.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.grpc.Status;
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
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class OtlpExporterConfigTest {

  @Test
  void defaultsAreTheCollectorsAndValidateOnceAnEndpointIsSet() {
    OtlpExporterConfig d = new OtlpExporterFactory().defaultConfig();

    assertThat(d.compression()).isEqualTo("gzip");
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.balancerName()).isEqualTo("pick_first");
    assertThat(d.tls().insecure()).isFalse();
    assertThat(d.sendingQueue()).isEqualTo(QueueSettings.defaults());
    assertThat(d.retryOnFailure()).isEqualTo(RetrySettings.defaults());
    assertThat(d.validate()).extracting(ConfigProblem::path).containsExactly("endpoint");
    assertThat(d.withEndpoint("otelcol:4317").validate()).isEmpty();
  }

  @Test
  void bindsACollectorConfigOverTheDefaults() throws Exception {
    OtlpExporterConfig c = ConfigLoader.bindComponent(new OtlpExporterFactory(), """
        endpoint: otelcol:4317
        tls:
          insecure: true
        compression: none
        headers:
          X-Scope-OrgID: tenant-a
        timeout: 10s
        balancer_name: round_robin
        sending_queue:
          num_consumers: 4
          queue_size: 500
        retry_on_failure:
          initial_interval: 1s
          max_elapsed_time: 0s
        """);

    assertThat(c.endpoint()).isEqualTo("otelcol:4317");
    assertThat(c.tls()).isEqualTo(new TlsClientSettings(true, false, "", "", ""));
    assertThat(c.compression()).isEqualTo("none");
    assertThat(c.headers()).containsExactly(Map.entry("X-Scope-OrgID", "tenant-a"));
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.balancerName()).isEqualTo("round_robin");
    assertThat(c.sendingQueue()).isEqualTo(new QueueSettings(true, 4, 500));
    assertThat(c.retryOnFailure()).isEqualTo(new RetrySettings(true, Duration.ofSeconds(1), 0.5, 1.5,
        Duration.ofSeconds(30), Duration.ZERO));
  }

  @Test
  void bindsTheCollectorsConnectionKeys() throws Exception {
    OtlpExporterConfig c = ConfigLoader.bindComponent(new OtlpExporterFactory(), """
        endpoint: otelcol:4317
        compression: zstd
        keepalive:
          time: 30s
          timeout: 5s
          permit_without_stream: true
        wait_for_ready: true
        read_buffer_size: 524288
        write_buffer_size: 262144
        auth:
          authenticator: bearertokenauth/out
        """);

    assertThat(c.grpcEncoding()).isEqualTo("zstd");
    assertThat(c.keepalive()).isEqualTo(new OtlpExporterConfig.Keepalive(Duration.ofSeconds(30),
        Duration.ofSeconds(5), true));
    assertThat(c.waitForReady()).isTrue();
    assertThat(c.readBufferSize()).isEqualTo(524288);
    assertThat(c.writeBufferSize()).isEqualTo(262144);
    assertThat(c.auth().authenticator()).isEqualTo("bearertokenauth/out");
    assertThat(OtlpExporterConfig.defaults().keepalive().enabled()).isFalse();
    assertThat(OtlpExporterConfig.defaults().grpcEncoding()).isEqualTo("gzip");
  }

  @Test
  void bindsTheCollectorsSendingQueueKeys() throws Exception {
    OtlpExporterConfig c = ConfigLoader.bindComponent(new OtlpExporterFactory(), """
        endpoint: otelcol:4317
        sending_queue:
          sizer: items
          queue_size: 50000
          num_consumers: 4
          block_on_overflow: true
          wait_for_result: true
          batch:
            flush_timeout: 100ms
            max_size: 10000
        """);

    QueueSettings q = c.sendingQueue();
    assertThat(q.sizer()).isEqualTo("items");
    assertThat(q.queueSize()).isEqualTo(50000);
    assertThat(q.numConsumers()).isEqualTo(4);
    assertThat(q.blockOnOverflow()).isTrue();
    assertThat(q.waitForResult()).isTrue();
    assertThat(q.batch()).isEqualTo(new QueueSettings.Batching(Duration.ofMillis(100), null, 8192L, 10000L));
    assertThat(q.batchSizer()).isEqualTo("items");
    assertThat(ConfigLoader.bindComponent(new OtlpExporterFactory(), "endpoint: otelcol:4317").sendingQueue())
        .isEqualTo(QueueSettings.defaults());
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new OtlpExporterFactory(), """
        endpoint: otelcol:4317
        sending_queue:
          sizer: spans
          batch:
            sizer: requests
        """))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).errors()).extracting(ConfigError::path)
            .containsExactlyInAnyOrder("exporters.otlp.sending_queue.sizer",
                "exporters.otlp.sending_queue.batch.sizer"));
  }

  @Test
  void rejectsWrongConnectionKeysWithTheirPaths() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new OtlpExporterFactory(), """
        endpoint: otelcol:4317
        compression: lz4
        keepalive:
          time: -1s
          timeout: 0s
        read_buffer_size: -1
        auth:
          authenticator: ""
        """))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).errors()).extracting(ConfigError::path)
            .contains("exporters.otlp.compression", "exporters.otlp.keepalive.time",
                "exporters.otlp.keepalive.timeout", "exporters.otlp.read_buffer_size",
                "exporters.otlp.auth.authenticator"))
        .hasMessageContaining("\"zstd\", \"snappy\"");
  }

  @Test
  void rejectsUnknownKeysAndBadValuesWithTheirPaths() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new OtlpExporterFactory(), """
        endpoint: otelcol:4317
        compresion: gzip
        tls:
          ca_fil: /etc/ca.pem
        balancer_name: least_request
        """))
        .isInstanceOf(ConfigException.class)
        .satisfies(e -> assertThat(((ConfigException) e).errors()).extracting(ConfigError::path)
            .contains("exporters.otlp.compresion", "exporters.otlp.tls.ca_fil", "exporters.otlp.balancer_name"));
  }

  @Test
  void reportsEveryProblemAtOnceWithItsPath() {
    OtlpExporterConfig c = new OtlpExporterConfig("otelcol", new TlsClientSettings(false, false, "", "c.pem", ""),
        "lz4", Map.of("bad header", "x", "trace-bin", "y"), Duration.ofSeconds(-1), "least_request",
        new QueueSettings(true, 0, 10), new RetrySettings(true, Duration.ZERO, 0.5, 1.5, Duration.ofSeconds(30),
        Duration.ofMinutes(5)));

    assertThat(c.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("endpoint", "compression",
        "timeout", "balancer_name", "tls.cert_file", "tls.key_file", "headers", "headers.trace-bin",
        "sending_queue.num_consumers", "retry_on_failure.initial_interval");
    assertThat(c.validate()).filteredOn(p -> p.path().equals("endpoint")).first()
        .extracting(ConfigProblem::message).asString().contains("\"otelcol\"", "otelcol:4317");
  }

  @Test
  void acceptsEndpointsWithAndWithoutScheme() {
    assertThat(GrpcEndpoint.parse("otelcol:4317")).isEqualTo(new GrpcEndpoint("otelcol:4317", ""));
    assertThat(GrpcEndpoint.parse("http://otelcol:4317/")).isEqualTo(new GrpcEndpoint("otelcol:4317", "http"));
    assertThat(GrpcEndpoint.parse("https://[::1]:4317")).isEqualTo(new GrpcEndpoint("[::1]:4317", "https"));
    assertThat(GrpcEndpoint.parse("http://otelcol:4317").plaintext(false)).isTrue();
    assertThat(GrpcEndpoint.parse("otelcol:4317").plaintext(false)).isFalse();
    assertThat(GrpcEndpoint.parse("otelcol:4317").plaintext(true)).isTrue();
    assertThatThrownBy(() -> GrpcEndpoint.parse("http://otelcol:4317/v1/traces")).hasMessageContaining("path");
    assertThatThrownBy(() -> GrpcEndpoint.parse("otelcol:http")).hasMessageContaining("port");
    assertThatThrownBy(() -> GrpcEndpoint.parse("unix:///run/otel.sock")).hasMessageContaining("scheme");
  }

  @ParameterizedTest
  @EnumSource(value = Status.Code.class, names = {"CANCELLED", "DEADLINE_EXCEEDED", "ABORTED", "OUT_OF_RANGE",
      "UNAVAILABLE", "DATA_LOSS"})
  void retriesTheCodesOtlpCallsRetryable(Status.Code code) {
    RuntimeException e = OtlpExporter.failure("otlp", "otelcol:4317", Signal.TRACES,
        Status.fromCode(code).asRuntimeException());

    assertThat(e).isInstanceOf(RetryableException.class).hasMessageContaining(code.name())
        .hasMessageContaining("otelcol:4317");
    assertThat(((RetryableException) e).retryAfter()).isNull();
  }

  @ParameterizedTest
  @EnumSource(value = Status.Code.class, names = {"UNKNOWN", "INVALID_ARGUMENT", "NOT_FOUND", "ALREADY_EXISTS",
      "PERMISSION_DENIED", "UNAUTHENTICATED", "FAILED_PRECONDITION", "UNIMPLEMENTED", "INTERNAL",
      "RESOURCE_EXHAUSTED"})
  void givesUpOnEveryOtherCode(Status.Code code) {
    RuntimeException e = OtlpExporter.failure("otlp", "otelcol:4317", Signal.LOGS,
        Status.fromCode(code).asRuntimeException());

    assertThat(e).isInstanceOf(PermanentException.class).hasMessageContaining(code.name())
        .hasMessageContaining("otelcol:4317");
  }

  @Test
  void retriesResourceExhaustedWhenTheServerSentARetryDelay() {
    io.grpc.StatusRuntimeException withInfo = OtlpExporterTest.unavailableWithRetryInfo(1500);
    io.grpc.StatusRuntimeException exhausted = io.grpc.protobuf.StatusProto.toStatusRuntimeException(
        io.grpc.protobuf.StatusProto.fromThrowable(withInfo).toBuilder()
            .setCode(com.google.rpc.Code.RESOURCE_EXHAUSTED_VALUE).build());

    RuntimeException e = OtlpExporter.failure("otlp", "otelcol:4317", Signal.METRICS, exhausted);

    assertThat(e).isInstanceOf(RetryableException.class);
    assertThat(((RetryableException) e).retryAfter()).isEqualTo(Duration.ofMillis(1500));
  }
}
