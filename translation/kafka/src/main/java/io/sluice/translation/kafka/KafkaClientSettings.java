package io.sluice.translation.kafka;

import io.sluice.core.ConfigProblem;
import io.sluice.core.tls.TlsClientSettings;
import io.vertx.core.Vertx;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.common.config.SslConfigs;

/**
 * The connection settings the kafka exporter and receiver share, as the Collector names them, and
 * the Kafka client properties they become.
 *
 * @param brokers {@code host:port} of the brokers to bootstrap from
 * @param clientId the client id the brokers see
 * @param protocolVersion accepted as the Collector takes it ({@code 2.1.0}): the Java client asks
 *     each broker which versions of each request it supports (Kafka's ApiVersions request) and
 *     uses the newest both know, so the setting changes nothing
 * @param resolveCanonicalBootstrapServersOnly resolve each bootstrap name and use the canonical
 *     names of its addresses
 * @param connIdleTimeout close connections idle for this long
 * @param tls TLS settings; null (no {@code tls} block) for plaintext
 * @param auth SASL settings; null for none
 * @param metadata metadata refresh and retries
 */
public record KafkaClientSettings(
    List<String> brokers,
    String clientId,
    String protocolVersion,
    boolean resolveCanonicalBootstrapServersOnly,
    Duration connIdleTimeout,
    TlsClientSettings tls,
    KafkaAuth auth,
    KafkaMetadata metadata) {

  /** The key under which the built {@link SSLContext} reaches {@link SluiceSslEngineFactory}. */
  static final String SSL_CONTEXT_KEY = "sluice.ssl.context";
  /** The key saying whether the broker's host name is checked against its certificate. */
  static final String VERIFY_HOST_KEY = "sluice.ssl.verify.host";

  private static final Pattern VERSION = Pattern.compile("\\d+\\.\\d+\\.\\d+(\\.\\d+)?");

  public KafkaClientSettings {
    brokers = brokers == null ? List.of() : List.copyOf(brokers);
    clientId = clientId == null ? "" : clientId;
    protocolVersion = protocolVersion == null ? "" : protocolVersion.trim();
    connIdleTimeout = connIdleTimeout == null ? Duration.ofMinutes(9) : connIdleTimeout;
    metadata = metadata == null ? KafkaMetadata.defaults() : metadata;
  }

  /** The TLS settings in force: the top-level block, else the older {@code auth.tls}. */
  public TlsClientSettings effectiveTls() {
    if (tls != null) {
      return tls;
    }
    return auth == null ? null : auth.tls();
  }

  /** Adds the problems of these settings; key paths are the component's. */
  public void validate(List<ConfigProblem> problems) {
    if (brokers.isEmpty()) {
      problems.add(new ConfigProblem("brokers", "is required: the brokers to bootstrap from, such as"
          + " [\"kafka-1:9092\", \"kafka-2:9092\"]"));
    }
    for (int i = 0; i < brokers.size(); i++) {
      String why = checkBroker(brokers.get(i));
      if (why != null) {
        problems.add(new ConfigProblem("brokers[" + i + "]", why));
      }
    }
    if (!protocolVersion.isEmpty() && !VERSION.matcher(protocolVersion).matches()) {
      problems.add(new ConfigProblem("protocol_version", "\"" + protocolVersion + "\" is not a Kafka version such"
          + " as \"2.1.0\""));
    }
    if (connIdleTimeout.isNegative() || connIdleTimeout.isZero()) {
      problems.add(new ConfigProblem("conn_idle_timeout", "must be a positive duration such as \"9m\""));
    }
    if (tls != null) {
      problems.addAll(tls.validate("tls"));
      if (auth != null && auth.tls() != null) {
        problems.add(new ConfigProblem("auth.tls", "is the older place of tls; set only the top-level tls"));
      }
    }
    if (auth != null) {
      problems.addAll(auth.validate("auth"));
    }
    problems.addAll(metadata.validate("metadata"));
  }

  /** Adds the keys that are accepted but change nothing. */
  public void warnings(List<ConfigProblem> warnings) {
    if (!protocolVersion.isEmpty()) {
      warnings.add(new ConfigProblem("protocol_version", "the Java Kafka client negotiates each request's version"
          + " with every broker (ApiVersions), so it needs no protocol version"));
    }
    if (metadata.full() != null) {
      warnings.add(new ConfigProblem("metadata.full", "the Java Kafka client fetches the metadata of the topics it"
          + " uses only"));
    }
    if (auth != null && auth.sasl() != null && auth.sasl().version() != null) {
      warnings.add(new ConfigProblem("auth.sasl.version", "the Java Kafka client negotiates the SASL handshake"
          + " version itself"));
    }
  }

  /** Why {@code broker} is not {@code host:port}, or null when it is. */
  static String checkBroker(String broker) {
    String b = broker == null ? "" : broker.trim();
    int colon = b.lastIndexOf(':');
    if (b.isEmpty()) {
      return "is empty; write host:port, such as \"kafka:9092\"";
    }
    if (b.contains("://")) {
      return "\"" + b + "\" has a scheme; write host:port, such as \"" + b.substring(b.indexOf("://") + 3) + "\"";
    }
    if (colon <= 0 || colon == b.length() - 1) {
      return "\"" + b + "\" has no port; write host:port, such as \"" + b + ":9092\"";
    }
    try {
      int port = Integer.parseInt(b.substring(colon + 1));
      if (port < 1 || port > 65535) {
        return "\"" + b + "\" has port " + port + ", outside 1-65535";
      }
    } catch (NumberFormatException e) {
      return "\"" + b + "\" has no valid port; write host:port, such as \"kafka:9092\"";
    }
    return null;
  }

  /**
   * The Kafka client properties for these settings. Reads the TLS files (blocking: call off the
   * event loops).
   *
   * @throws IllegalArgumentException saying which TLS file could not be used and why
   */
  public Map<String, Object> properties(Vertx vertx) {
    Map<String, Object> p = new HashMap<>();
    p.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, String.join(",", brokers.stream().map(String::trim).toList()));
    p.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
    p.put(CommonClientConfigs.METADATA_MAX_AGE_CONFIG, (int) Math.min(Integer.MAX_VALUE,
        metadata.refreshInterval().toMillis()));
    p.put(CommonClientConfigs.RETRY_BACKOFF_MS_CONFIG, Math.max(1, metadata.retry().backoff().toMillis()));
    p.put(CommonClientConfigs.RETRY_BACKOFF_MAX_MS_CONFIG, Math.max(5000, metadata.retry().backoff().toMillis()));
    p.put(CommonClientConfigs.CONNECTIONS_MAX_IDLE_MS_CONFIG, connIdleTimeout.toMillis());
    if (resolveCanonicalBootstrapServersOnly) {
      p.put(CommonClientConfigs.CLIENT_DNS_LOOKUP_CONFIG, "resolve_canonical_bootstrap_servers_only");
    }
    TlsClientSettings t = effectiveTls();
    boolean tlsOn = KafkaTls.enabled(t);
    KafkaAuth.Credentials c = auth == null ? null : auth.credentials();
    p.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, c != null ? (tlsOn ? "SASL_SSL" : "SASL_PLAINTEXT")
        : (tlsOn ? "SSL" : "PLAINTEXT"));
    if (c != null) {
      p.put(SaslConfigs.SASL_MECHANISM, c.mechanism());
      String module = c.mechanism().equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
          : "org.apache.kafka.common.security.scram.ScramLoginModule";
      p.put(SaslConfigs.SASL_JAAS_CONFIG, module + " required username=\"" + jaasQuote(c.username())
          + "\" password=\"" + jaasQuote(c.password()) + "\";");
    }
    if (tlsOn) {
      p.put(SslConfigs.SSL_ENGINE_FACTORY_CLASS_CONFIG, SluiceSslEngineFactory.class);
      p.put(SSL_CONTEXT_KEY, sslContext(vertx, t));
      p.put(VERIFY_HOST_KEY, !t.insecureSkipVerify());
    }
    return p;
  }

  private static String jaasQuote(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  /** The TLS context of {@code tls}: its CA (or the JVM's), its client certificate, or no checks at all. */
  static SSLContext sslContext(Vertx vertx, TlsClientSettings tls) {
    KeyManager[] keys = null;
    TrustManager[] trust = null;
    String file = null;
    try {
      if (tls.hasClientCertificate()) {
        file = tls.certFile() + "\" and \"" + tls.keyFile();
        keys = new PemKeyCertOptions().setCertPath(tls.certFile()).setKeyPath(tls.keyFile())
            .getKeyManagerFactory(vertx).getKeyManagers();
      }
      if (tls.insecureSkipVerify()) {
        trust = new TrustManager[] {new TrustAll()};
      } else if (tls.hasCaFile()) {
        file = tls.caFile();
        trust = new PemTrustOptions().addCertPath(tls.caFile()).getTrustManagerFactory(vertx).getTrustManagers();
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keys, trust, null);
      return ctx;
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot use the TLS files \"" + file + "\": " + e.getMessage()
          + " (expected PEM certificates and a PEM private key)", e);
    }
  }

  /** {@code insecure_skip_verify}: every server certificate is accepted. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws java.security.cert.CertificateException {
      throw new java.security.cert.CertificateException("a Kafka client does not check client certificates");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {
      // accepted: insecure_skip_verify
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
