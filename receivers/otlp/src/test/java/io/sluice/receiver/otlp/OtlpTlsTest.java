package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.sluice.core.Signal;
import io.sluice.core.testkit.TestCertificates;
import io.sluice.core.testkit.TestCertificates.Issued;
import io.sluice.core.tls.TlsServerSettings;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.Test;

/** The receiver's gRPC and HTTP listeners over TLS and mutual TLS, with the OpenTelemetry SDK as client. */
class OtlpTlsTest {
  @TempDir
  Path dir;

  private TestCertificates certs;
  private Issued server;
  private Issued client;

  @BeforeEach
  void certificates() {
    certs = TestCertificates.newCa(dir, "test-ca");
    server = certs.server("server");
    client = certs.client("client");
  }

  private TlsServerSettings tls() {
    return TlsServerSettings.ofFiles(server.certFile().toString(), server.keyFile().toString());
  }

  private byte[] caPem() {
    return certs.ca().certPem().getBytes(StandardCharsets.US_ASCII);
  }

  /** One finished span, as the SDK hands spans to its exporters. */
  static List<SpanData> oneSpan() {
    List<SpanData> captured = new ArrayList<>();
    SpanExporter capture = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        captured.addAll(spans);
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    SdkTracerProvider provider = SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(capture))
        .build();
    provider.get("io.sluice.test").spanBuilder("checked").startSpan().end();
    provider.shutdown().join(5, TimeUnit.SECONDS);
    return captured;
  }

  /** Exports one span with {@code exporter}, then shuts it down; the export's outcome. */
  static CompletableResultCode export(SpanExporter exporter) {
    try {
      return exporter.export(oneSpan()).join(15, TimeUnit.SECONDS);
    } finally {
      exporter.shutdown().join(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void theSdkExportsOverTlsOnGrpcAndHttp() {
    try (RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.withTls(tls()), h -> h.withTls(tls()))) {
      assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + r.grpcPort)
          .setTrustedCertificates(caPem()).build()).isSuccess()).isTrue();
      assertThat(export(OtlpHttpSpanExporter.builder().setEndpoint(r.httpsUrl("/v1/traces"))
          .setTrustedCertificates(caPem()).build()).isSuccess()).isTrue();

      await().atMost(Duration.ofSeconds(10)).until(() -> r.consumer(Signal.TRACES).batches().size() == 2);
    }
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificate() {
    TlsServerSettings mtls = tls().withClientCaFile(certs.ca().certFile().toString(), false);
    try (RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.withTls(mtls), h -> h.withTls(mtls))) {
      assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + r.grpcPort)
          .setTrustedCertificates(caPem()).setTimeout(Duration.ofSeconds(5)).build()).isSuccess()).isFalse();
      assertThat(export(OtlpHttpSpanExporter.builder().setEndpoint(r.httpsUrl("/v1/traces"))
          .setTrustedCertificates(caPem()).setTimeout(Duration.ofSeconds(5)).build()).isSuccess()).isFalse();
      assertThat(r.consumer(Signal.TRACES).batches()).isEmpty();

      byte[] key = client.keyPem().getBytes(StandardCharsets.US_ASCII);
      byte[] cert = client.certPem().getBytes(StandardCharsets.US_ASCII);
      assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + r.grpcPort)
          .setTrustedCertificates(caPem()).setClientTls(key, cert).build()).isSuccess()).isTrue();
      assertThat(export(OtlpHttpSpanExporter.builder().setEndpoint(r.httpsUrl("/v1/traces"))
          .setTrustedCertificates(caPem()).setClientTls(key, cert).build()).isSuccess()).isTrue();
    }
  }

  @Test
  void aCertificateRotatedOnDiskIsServedWithoutARestart() throws Exception {
    TlsServerSettings reloading = tls().withReloadInterval(Duration.ofMillis(100));
    Issued next = certs.server("server-next");
    try (RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.withTls(reloading), h -> h)) {
      assertThat(presented(r.grpcPort)).isEqualTo(server.certificate());

      TestCertificates.install(next, server);

      await().atMost(Duration.ofSeconds(10)).until(() -> presented(r.grpcPort).equals(next.certificate()));
      assertThat(export(OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + r.grpcPort)
          .setTrustedCertificates(caPem()).build()).isSuccess()).isTrue();
    }
  }

  /** The certificate the server presents on a new connection, with no session to resume. */
  private X509Certificate presented(int port) throws IOException {
    try (SSLSocket s = (SSLSocket) certs.clientContext(null).getSocketFactory().createSocket("127.0.0.1", port)) {
      javax.net.ssl.SSLParameters params = s.getSSLParameters();
      params.setApplicationProtocols(new String[] {"h2"});
      s.setSSLParameters(params);
      s.startHandshake();
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }
}
