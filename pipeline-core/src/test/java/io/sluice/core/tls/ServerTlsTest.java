package io.sluice.core.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.core.testkit.TestCertificates;
import io.sluice.core.testkit.TestCertificates.Issued;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import java.io.IOException;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A Vert.x server with {@link ServerTls}, reached by the JDK's TLS client. */
class ServerTlsTest {
  @TempDir
  Path dir;

  private TestVertx tv;
  private TestCertificates certs;
  private ServerTls tls;
  private HttpServer server;

  @BeforeEach
  void setUp() {
    tv = TestVertx.create(1);
    certs = TestCertificates.newCa(dir, "test-ca");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.close().await(5, TimeUnit.SECONDS);
    }
    if (tls != null) {
      tls.close();
    }
    tv.close();
  }

  private int serve(TlsServerSettings settings) throws Exception {
    tls = ServerTls.start(tv.vertx(), settings, "test server (tls)").await(10, TimeUnit.SECONDS);
    server = tv.vertx().createHttpServer(tls.applyTo(new HttpServerOptions().setHost("127.0.0.1").setPort(0)))
        .requestHandler(req -> req.response().end("ok"));
    return server.listen().await(10, TimeUnit.SECONDS).actualPort();
  }

  /** Handshakes on a new connection; returns the certificate the server presented. */
  private static X509Certificate handshake(SSLContext ctx, int port, String... protocols) throws IOException {
    try (SSLSocket s = (SSLSocket) ctx.getSocketFactory().createSocket("127.0.0.1", port)) {
      if (protocols.length > 0) {
        s.setEnabledProtocols(protocols);
      }
      s.setSoTimeout(5_000);
      s.startHandshake();
      // TLS 1.3 reports a refused client certificate only on the first read
      s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes());
      s.getOutputStream().flush();
      if (s.getInputStream().read() < 0) {
        throw new IOException("connection closed by the server");
      }
      return (X509Certificate) s.getSession().getPeerCertificates()[0];
    }
  }

  @Test
  void servesTheConfiguredCertificate() throws Exception {
    Issued server = certs.server("server");
    int port = serve(TlsServerSettings.ofFiles(server.certFile().toString(), server.keyFile().toString()));

    assertThat(handshake(certs.clientContext(null), port)).isEqualTo(server.certificate());
  }

  @Test
  void servesInlinePem() throws Exception {
    Issued server = certs.server("server");
    int port = serve(new TlsServerSettings(null, server.certPem(), null, server.keyPem(), null, null, null, null,
        null, null, null, null, null));

    assertThat(handshake(certs.clientContext(null), port)).isEqualTo(server.certificate());
  }

  @Test
  void mutualTlsRefusesAClientWithoutACertificateAndTakesOneWith() throws Exception {
    Issued server = certs.server("server");
    Issued client = certs.client("client");
    int port = serve(TlsServerSettings.ofFiles(server.certFile().toString(), server.keyFile().toString())
        .withClientCaFile(certs.ca().certFile().toString(), false));

    assertThatThrownBy(() -> handshake(certs.clientContext(null), port)).isInstanceOf(IOException.class);
    assertThat(handshake(certs.clientContext(client), port)).isEqualTo(server.certificate());
  }

  @Test
  void mutualTlsRefusesAClientCertificateOfAnotherCa() throws Exception {
    Issued server = certs.server("server");
    TestCertificates other = TestCertificates.newCa(dir.resolve("other"), "other-ca");
    Issued stranger = other.client("stranger");
    int port = serve(TlsServerSettings.ofFiles(server.certFile().toString(), server.keyFile().toString())
        .withClientCaFile(certs.ca().certFile().toString(), false));

    SSLContext strangerCtx = SSLContext.getInstance("TLS");
    strangerCtx.init(keyManagers(stranger), trustManagers(certs), null);
    assertThatThrownBy(() -> handshake(strangerCtx, port)).isInstanceOf(IOException.class);
  }

  private static javax.net.ssl.KeyManager[] keyManagers(Issued cert)
      throws Exception {
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setKeyEntry("c", cert.key(), new char[0], new java.security.cert.Certificate[] {cert.certificate()});
    javax.net.ssl.KeyManagerFactory kmf = javax.net.ssl.KeyManagerFactory.getInstance("PKIX");
    kmf.init(ks, new char[0]);
    return kmf.getKeyManagers();
  }

  private static javax.net.ssl.TrustManager[] trustManagers(TestCertificates ca) throws Exception {
    java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
    ks.load(null, null);
    ks.setCertificateEntry("ca", ca.ca().certificate());
    javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance("PKIX");
    tmf.init(ks);
    return tmf.getTrustManagers();
  }

  @Test
  void aCertificateRotatedOnDiskServesNewConnectionsWithoutARestart() throws Exception {
    Issued first = certs.server("server");
    Issued second = certs.server("server-next");
    int port = serve(TlsServerSettings.ofFiles(first.certFile().toString(), first.keyFile().toString())
        .withReloadInterval(Duration.ofMillis(100)));
    assertThat(handshake(certs.clientContext(null), port)).isEqualTo(first.certificate());

    TestCertificates.install(second, first);

    // a new client context each time: a resumed session would report the certificate it began with
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
        .until(() -> handshake(certs.clientContext(null), port).equals(second.certificate()));
  }

  @Test
  void aBrokenFileOnReloadKeepsTheCertificateServed() throws Exception {
    Issued first = certs.server("server");
    Issued second = certs.server("server-next");
    int port = serve(TlsServerSettings.ofFiles(first.certFile().toString(), first.keyFile().toString())
        .withReloadInterval(Duration.ofMillis(50)));

    java.nio.file.Files.writeString(first.keyFile(), "not a key");
    // several reload periods pass; the first certificate is still served
    long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(300);
    while (System.nanoTime() < until) {
      assertThat(handshake(certs.clientContext(null), port)).isEqualTo(first.certificate());
    }
    TestCertificates.install(second, first);
    await().atMost(Duration.ofSeconds(10))
        .until(() -> handshake(certs.clientContext(null), port).equals(second.certificate()));
  }

  @Test
  void aRotatedClientCaIsPickedUpWhenClientCaFileReloadIsOn() throws Exception {
    Issued server = certs.server("server");
    TestCertificates other = TestCertificates.newCa(dir.resolve("other"), "other-ca");
    Issued stranger = other.client("stranger");
    Path clientCa = dir.resolve("client-ca.crt");
    java.nio.file.Files.copy(certs.ca().certFile(), clientCa);
    int port = serve(TlsServerSettings.ofFiles(server.certFile().toString(), server.keyFile().toString())
        .withClientCaFile(clientCa.toString(), true));
    SSLContext strangerCtx = SSLContext.getInstance("TLS");
    strangerCtx.init(keyManagers(stranger), trustManagers(certs), null);
    assertThatThrownBy(() -> handshake(strangerCtx, port)).isInstanceOf(IOException.class);

    java.nio.file.Files.copy(other.ca().certFile(), clientCa, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
        .until(() -> handshake(strangerCtx, port).equals(server.certificate()));
  }

  @Test
  void minVersionRefusesOlderClients() throws Exception {
    Issued server = certs.server("server");
    TlsServerSettings s = new TlsServerSettings(server.certFile().toString(), null, server.keyFile().toString(), null,
        null, null, "1.3", null, null, null, null, null, null);
    int port = serve(s);

    assertThatThrownBy(() -> handshake(certs.clientContext(null), port, "TLSv1.2")).isInstanceOf(IOException.class);
    assertThat(handshake(certs.clientContext(null), port, "TLSv1.3")).isEqualTo(server.certificate());
  }

  @Test
  void cipherSuitesLimitTls12() throws Exception {
    Issued server = certs.server("server");
    TlsServerSettings s = new TlsServerSettings(server.certFile().toString(), null, server.keyFile().toString(), null,
        null, null, null, "1.2", List.of("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384"), null, null, null, null);
    int port = serve(s);

    try (SSLSocket sock = (SSLSocket) certs.clientContext(null).getSocketFactory().createSocket("127.0.0.1", port)) {
      sock.startHandshake();
      assertThat(sock.getSession().getCipherSuite()).isEqualTo("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384");
      assertThat(sock.getSession().getProtocol()).isEqualTo("TLSv1.2");
    }
  }

  @Test
  void aKeyThatDoesNotParseFailsStartNamingTheFile() throws Exception {
    Issued server = certs.server("server");
    java.nio.file.Files.writeString(server.keyFile(), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");

    assertThatThrownBy(() -> ServerTls.start(tv.vertx(), TlsServerSettings.ofFiles(server.certFile().toString(),
        server.keyFile().toString()), "test server (tls)").await(10, TimeUnit.SECONDS))
        .hasMessageContaining("test server (tls)")
        .hasMessageContaining(server.keyFile().toString());
  }
}
