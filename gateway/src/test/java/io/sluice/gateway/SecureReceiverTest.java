package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestCertificates;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A Collector-style config with an OTLP receiver safe to expose: TLS on both protocols, a bearer
 * token on gRPC and basic auth (bcrypt htpasswd) on HTTP, loaded and run by the gateway, and the
 * OpenTelemetry SDK as the client.
 */
class SecureReceiverTest {
  @TempDir
  Path dir;

  private static final String CONFIG = """
      extensions:
        bearertokenauth/server:
          token: ${env:TOKEN}
        basicauth/server:
          htpasswd:
            inline: |
              ${env:HTPASSWD}
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:GRPC}
              tls:
                cert_file: ${env:CERT}
                key_file: ${env:KEY}
              auth:
                authenticator: bearertokenauth/server
            http:
              endpoint: 127.0.0.1:${env:HTTP}
              tls:
                cert_file: ${env:CERT}
                key_file: ${env:KEY}
              auth:
                authenticator: basicauth/server
      exporters:
        debug:
      service:
        extensions: [bearertokenauth/server, basicauth/server]
        telemetry:
          metrics:
            address: 127.0.0.1:${env:METRICS}
        pipelines:
          traces: {receivers: [otlp], exporters: [debug]}
      """;

  static List<SpanData> oneSpan() {
    SdkRecorders.Spans capture = new SdkRecorders.Spans(SpanExporter.composite());
    SdkTracerProvider p = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(capture)).build();
    p.get("io.sluice.test").spanBuilder("secure").startSpan().end();
    p.shutdown().join(5, TimeUnit.SECONDS);
    return capture.exported();
  }

  /** Exports one span through {@code exporter} and shuts it down; true when the export succeeded. */
  static boolean export(SpanExporter exporter) {
    try {
      return exporter.export(oneSpan()).join(15, TimeUnit.SECONDS).isSuccess();
    } finally {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theSdkSendsOverTlsWithABearerTokenAndWithBasicAuthAndWrongCredentialsAreRefused() throws Exception {
    TestCertificates certs = TestCertificates.newCa(dir, "ca");
    TestCertificates.Issued server = certs.server("server");
    byte[] ca = certs.ca().certPem().getBytes(StandardCharsets.US_ASCII);
    int grpc = Ports.freePort();
    int http = Ports.freePort();
    int metrics = Ports.freePort();
    String hash = OpenBSDBCrypt.generate("2y", "s3cret-pw".toCharArray(), new byte[16], 4);
    Map<String, String> env = Map.of("TOKEN", "tok-123", "HTPASSWD", "ann:" + hash,
        "GRPC", "" + grpc, "HTTP", "" + http, "METRICS", "" + metrics,
        "CERT", server.certFile().toString(), "KEY", server.keyFile().toString());
    Path file = GatewayFixtures.writeConfig(dir, "secure.yaml", CONFIG);
    Vertx vertx = Vertx.vertx();
    Gateway gateway = GatewayFixtures.start(vertx, file, env);
    try {
      String basic = "Basic " + Base64.getEncoder().encodeToString("ann:s3cret-pw".getBytes(StandardCharsets.UTF_8));
      String wrongBasic = "Basic " + Base64.getEncoder().encodeToString("ann:nope".getBytes(StandardCharsets.UTF_8));
      assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + grpc)
          .setTrustedCertificates(ca).addHeader("Authorization", "Bearer tok-123").build())).isTrue();
      assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + grpc)
          .setTrustedCertificates(ca).addHeader("Authorization", "Bearer tok-999").build())).isFalse();
      assertThat(export(OtlpHttpSpanExporter.builder().setEndpoint("https://localhost:" + http + "/v1/traces")
          .setTrustedCertificates(ca).addHeader("Authorization", wrongBasic).build())).isFalse();
      assertThat(export(OtlpHttpSpanExporter.builder().setEndpoint("https://localhost:" + http + "/v1/traces")
          .setTrustedCertificates(ca).addHeader("Authorization", basic).build())).isTrue();

      await().atMost(Duration.ofSeconds(10)).until(() -> GatewayFixtures.scrape(metrics).entrySet().stream()
          .filter(e -> e.getKey().startsWith("sluice_receiver_accepted_items_total"))
          .mapToDouble(Map.Entry::getValue).sum() == 2.0);
    } finally {
      gateway.shutdown(Duration.ofSeconds(15));
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }
}
