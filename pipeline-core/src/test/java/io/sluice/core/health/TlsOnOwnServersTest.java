package io.sluice.core.health;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ComponentKind;
import io.sluice.core.Extension;
import io.sluice.core.telemetry.MetricsServer;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestCertificates;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.tls.TlsServerSettings;
import io.sluice.core.util.HostPort;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gateway's own servers, health and self-metrics, over TLS and mutual TLS. */
class TlsOnOwnServersTest {
  @TempDir
  Path dir;

  private final TestVertx tv = TestVertx.create();
  private TestCertificates certs;
  private TlsServerSettings tls;

  @BeforeEach
  void certificates() {
    certs = TestCertificates.newCa(dir, "test-ca");
    TestCertificates.Issued server = certs.server("server");
    tls = TlsServerSettings.ofFiles(server.certFile().toString(), server.keyFile().toString());
  }

  @AfterEach
  void tearDown() {
    tv.close();
  }

  private HttpResponse<String> get(HttpClient client, String url) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void healthCheckServesOverTlsAndRequiresAClientCertificateWithClientCaFile() throws Exception {
    int port = Ports.freePort();
    Extension health = new HealthCheckExtensionFactory().create(
        TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, "health_check"),
        new HealthCheckConfig("127.0.0.1:" + port, "/", tls.withClientCaFile(certs.ca().certFile().toString(),
            false)));
    health.start().await(10, TimeUnit.SECONDS);
    try {
      HttpClient withCert = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(certs.clientContext(certs.client("probe"))).build();
      assertThat(get(withCert, "https://localhost:" + port + "/healthz").statusCode()).isEqualTo(200);

      HttpClient without = HttpClient.newBuilder().sslContext(certs.clientContext(null)).build();
      assertThatThrownBy(() -> get(without, "https://localhost:" + port + "/healthz")).isInstanceOf(IOException.class);
    } finally {
      health.shutdown().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void selfMetricsServeOverTls() throws Exception {
    int port = Ports.freePort();
    MetricsServer server = new MetricsServer(tv.vertx(), new SelfMetrics(), HostPort.parse("127.0.0.1:" + port), tls);
    server.start().await(10, TimeUnit.SECONDS);
    try {
      HttpClient client = HttpClient.newBuilder().sslContext(certs.clientContext(null)).build();
      HttpResponse<String> r = get(client, "https://localhost:" + port + "/metrics");
      assertThat(r.statusCode()).isEqualTo(200);
    } finally {
      server.shutdown().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void healthCheckTlsProblemsNameTheirKeys() {
    assertThat(new HealthCheckConfig("localhost:13133", "/", TlsServerSettings.ofFiles("", "")).validate())
        .extracting(p -> p.path()).containsExactly("tls.cert_file", "tls.key_file");
  }
}
