package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import io.sluice.core.ComponentKind;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.receiver.prometheus.ScrapedPoints.Point;
import io.vertx.core.Vertx;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scrapes over TLS against a Vert.x HTTPS target whose certificates {@code keytool} made for the
 * test: CA checks, insecure_skip_verify, client certificates and server_name.
 */
class PrometheusReceiverTlsTest {
  static final Duration WAIT = Duration.ofSeconds(15);

  @TempDir
  static Path dir;
  static TestCertificates certs;

  private final PrometheusReceiverFactory factory = new PrometheusReceiverFactory();
  private final CapturingConsumer consumer = new CapturingConsumer();
  private LogCapture logs;
  private TestVertx tv;
  private Vertx vertx;
  private Receiver receiver;
  private HttpServer server;
  private int port;
  private final List<String> serverNames = new CopyOnWriteArrayList<>();
  private final List<String> hosts = new CopyOnWriteArrayList<>();

  @BeforeAll
  static void makeCertificates() throws Exception {
    certs = TestCertificates.create(dir);
  }

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    vertx = tv.vertx();
    logs = LogCapture.of(ScrapeLoop.class);
  }

  @AfterEach
  void tearDown() throws Exception {
    logs.close();
    if (receiver != null) {
      receiver.shutdown().await(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close().await(10, TimeUnit.SECONDS);
    }
    tv.close();
  }

  /** An HTTPS target with the CA-signed certificate; {@code clientCa} set: it requires a client certificate. */
  private void startServer(Path clientCa) throws Exception {
    port = Ports.freePort();
    HttpServerOptions options = new HttpServerOptions()
        .setSsl(true)
        .setSni(true)
        .setKeyCertOptions(new PemKeyCertOptions().setCertPath(certs.serverCert().toString())
            .setKeyPath(certs.serverKey().toString()))
        .setSslEngineOptions(new JdkSSLEngineOptions().setUseWorkerThread(true));
    if (clientCa != null) {
      options.setClientAuth(ClientAuth.REQUIRED)
          .setTrustOptions(new PemTrustOptions().addCertPath(clientCa.toString()));
    }
    server = vertx.createHttpServer(options).requestHandler(req -> {
      serverNames.add(String.valueOf(req.connection().indicatedServerName()));
      hosts.add(String.valueOf(req.headers().get("Host")));
      req.response().putHeader("Content-Type", PrometheusReceiverTest.TEXT).end("# TYPE tls_metric gauge\ntls_metric 7\n");
    });
    server.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
  }

  private void start(String scrapeConfigs) throws Exception {
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory, "config:\n  scrape_configs:\n"
        + scrapeConfigs);
    receiver = factory.create(TestContexts.context(vertx, ComponentKind.RECEIVER, "prometheus/tls"), config,
        Map.of(Signal.METRICS, consumer));
    receiver.start().await(10, TimeUnit.SECONDS);
  }

  private String job(String name, String tlsConfig) {
    return """
          - job_name: %s
            scheme: https
            scrape_interval: 300ms
            tls_config: %s
            static_configs: [ { targets: ["127.0.0.1:%d"] } ]
        """.formatted(name, tlsConfig, port);
  }

  private ScrapedPoints points() {
    return ScrapedPoints.of(consumer);
  }

  private List<Point> upOf(String job) {
    return points().named("up").stream().filter(p -> !p.stale() && p.job().equals(job)).toList();
  }

  /**
   * Whether a scrape of the job succeeded, and every one since did. (The first handshakes of a
   * cold JVM on a busy machine may take longer than the tests' short scrape timeout.)
   */
  private boolean scraped(String job) {
    List<Point> up = upOf(job);
    int first = up.stream().map(Point::value).toList().indexOf(1.0);
    return first >= 0 && up.size() >= first + 2
        && up.subList(first, up.size()).stream().allMatch(u -> u.value() == 1.0);
  }

  private List<String> warnings() {
    return logs.at(Level.WARN);
  }

  @Test
  void scrapesOverTlsWhenTheCaFileNamesTheTargetsCa() throws Exception {
    startServer(null);
    start(job("tls", "{ ca_file: \"%s\" }".formatted(certs.caCert())));
    await().atMost(WAIT).until(() -> scraped("tls"));
    Point m = points().lastFresh("tls_metric");
    assertThat(m.value()).isEqualTo(7.0);
    assertThat(m.instance()).isEqualTo("127.0.0.1:" + port);
    assertThat(hosts).first().isEqualTo("127.0.0.1:" + port);
  }

  @Test
  void aCaThatDidNotSignTheTargetsCertificateGivesUpZeroAndSaysWhy() throws Exception {
    startServer(null);
    start(job("wrong_ca", "{ ca_file: \"%s\" }".formatted(certs.otherCaCert())));
    await().atMost(WAIT).until(() -> upOf("wrong_ca").size() >= 2);
    assertThat(upOf("wrong_ca")).allSatisfy(u -> assertThat(u.value()).isZero());
    assertThat(points().named("tls_metric")).isEmpty();
    assertThat(serverNames).isEmpty();
    await().atMost(WAIT).until(() -> warnings().stream().anyMatch(w -> w.contains("job 'wrong_ca'")
        && w.contains("TLS handshake failed")));
    assertThat(warnings()).filteredOn(w -> w.contains("job 'wrong_ca'") && w.contains("TLS handshake failed"))
        .first().asString()
        .contains("https://127.0.0.1:" + port + "/metrics")
        .contains("certification path");
  }

  @Test
  void insecureSkipVerifyScrapesWithoutCheckingTheCertificate() throws Exception {
    startServer(null);
    start(job("insecure", "{ insecure_skip_verify: true }"));
    await().atMost(WAIT).until(() -> scraped("insecure"));
    assertThat(points().lastFresh("tls_metric").value()).isEqualTo(7.0);
  }

  @Test
  void presentsTheClientCertificateAndVerifiesTheServerName() throws Exception {
    startServer(certs.clientCert());
    String ca = certs.caCert().toString();
    start(job("client_cert", "{ ca_file: \"%s\", cert_file: \"%s\", key_file: \"%s\", server_name: localhost }"
            .formatted(ca, certs.clientCert(), certs.clientKey()))
        + job("no_client_cert", "{ ca_file: \"%s\" }".formatted(ca))
        + job("other_name", "{ ca_file: \"%s\", cert_file: \"%s\", key_file: \"%s\", server_name: other.example }"
            .formatted(ca, certs.clientCert(), certs.clientKey())));
    await().atMost(WAIT).until(() -> scraped("client_cert") && upOf("no_client_cert").size() >= 2
        && upOf("other_name").size() >= 2);
    // the handshake named the server_name, while the request still names the target
    assertThat(serverNames).isNotEmpty().containsOnly("localhost");
    assertThat(hosts).containsOnly("127.0.0.1:" + port);
    assertThat(upOf("no_client_cert")).allSatisfy(u -> assertThat(u.value()).isZero());
    // the certificate is good for 127.0.0.1, but not for the server_name asked for
    assertThat(upOf("other_name")).allSatisfy(u -> assertThat(u.value()).isZero());
    // A loaded machine may time out the first, cold handshake (300 ms); a later scrape says why it fails.
    await().atMost(WAIT).until(() -> warnings().stream().anyMatch(w -> w.contains("job 'other_name'")
        && w.contains("TLS handshake failed")));
    assertThat(warnings()).filteredOn(w -> w.contains("job 'other_name'") && w.contains("TLS handshake failed"))
        .first().asString().contains("other.example");
  }

  @Test
  void aKeyFileThatIsNotAKeyFailsTheStartNamingTheKey() throws Exception {
    Path notAKey = dir.resolve("not-a-key.pem");
    Files.writeString(notAKey, "hello\n");
    port = 1;
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory, "config:\n  scrape_configs:\n"
        + job("bad_key", "{ cert_file: \"%s\", key_file: \"%s\" }".formatted(certs.clientCert(), notAKey)));
    receiver = factory.create(TestContexts.context(vertx, ComponentKind.RECEIVER, "prometheus/tls"), config,
        Map.of(Signal.METRICS, consumer));
    Throwable error = catchThrowable(() -> receiver.start().await(10, TimeUnit.SECONDS));
    assertThat(error).hasMessageContaining("config.scrape_configs[0].tls_config")
        .hasMessageContaining(notAKey.toString());
  }
}
