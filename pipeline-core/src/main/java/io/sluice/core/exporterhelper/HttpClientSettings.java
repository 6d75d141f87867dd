package io.sluice.core.exporterhelper;

import io.sluice.core.tls.TlsClientSettings;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.time.Duration;

/** The Vert.x HTTP client options every HTTP exporter starts from. */
public final class HttpClientSettings {
  private HttpClientSettings() {}

  /**
   * Keep-alive connections named after the exporter, a connect timeout of {@code timeout} (none
   * when zero or null), and the exporter's {@code tls} settings: trust everything with
   * {@code insecure_skip_verify}, else the CAs of {@code ca_file} (the JVM's by default), and a
   * client certificate for mutual TLS. Reads the PEM files, so build it off the event loop.
   */
  public static HttpClientOptions options(String exporterId, Duration timeout, TlsClientSettings tls) {
    HttpClientOptions options = new HttpClientOptions()
        .setName("sluice-" + exporterId)
        .setKeepAlive(true)
        .setTcpKeepAlive(true);
    if (timeout != null && !timeout.isZero()) {
      options.setConnectTimeout((int) Math.min(Integer.MAX_VALUE, timeout.toMillis()));
    }
    if (tls.insecureSkipVerify()) {
      options.setTrustAll(true).setVerifyHost(false);
    } else if (tls.hasCaFile()) {
      options.setTrustOptions(new PemTrustOptions().addCertPath(tls.caFile()));
    }
    if (tls.hasClientCertificate()) {
      options.setKeyCertOptions(new PemKeyCertOptions().setCertPath(tls.certFile()).setKeyPath(tls.keyFile()));
    }
    return options;
  }
}
