package io.sluice.core.tls;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.NetServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Arrays;
import java.util.LinkedHashSet;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running TLS of one server: its certificate and key, and the CAs of client certificates
 * when clients must present one, loaded from {@link TlsServerSettings} and re-read from disk while
 * the server runs ({@code reload_interval}, {@code client_ca_file_reload}). A handshake takes the
 * key material current at that moment, so a rotated certificate serves new connections without
 * a restart, and connections already open keep theirs. A file that cannot be read or parsed on a
 * reload leaves the previous material in place, with a warning.
 *
 * <p>Uses the JDK's TLS, whatever Netty could find on the class path.
 */
public final class ServerTls {
  private static final Logger LOG = LoggerFactory.getLogger(ServerTls.class);

  /** How often {@code client_ca_file_reload} looks at the file. */
  static final long CLIENT_CA_CHECK_MS = 1_000;

  private final Vertx vertx;
  private final TlsServerSettings settings;
  private final String where;
  private final ReloadingKeyManager keys = new ReloadingKeyManager();
  private final ReloadingTrustManager clientCas;
  private byte[][] loadedKeyMaterial;
  private byte[] loadedClientCas;
  private long lastKeyCheck;
  private long timer = -1;

  private ServerTls(Vertx vertx, TlsServerSettings settings, String where) {
    this.vertx = vertx;
    this.settings = settings;
    this.where = where;
    this.clientCas = settings.requiresClientCertificate() ? new ReloadingTrustManager() : null;
  }

  /**
   * Loads the key material (on a worker thread) and starts re-reading it as the settings ask.
   *
   * @param where who serves and the key path of the settings, for messages, such as
   *     {@code receiver 'otlp' (protocols.grpc.tls)}
   * @return fails with a message naming {@code where} and the file when the material cannot be used
   */
  public static Future<ServerTls> start(Vertx vertx, TlsServerSettings settings, String where) {
    ServerTls tls = new ServerTls(vertx, settings, where);
    return vertx.executeBlocking(() -> {
      tls.loadKeys(true);
      tls.loadClientCas(true);
      return tls;
    }, false).onSuccess(ServerTls::scheduleReloads);
  }

  /**
   * As {@link #start}, for a server whose TLS is optional: null settings give a succeeded
   * future of null, and {@link #applyIfSet} then leaves the options as they are.
   */
  public static Future<ServerTls> startIfSet(Vertx vertx, TlsServerSettings settings, String where) {
    return settings == null ? Future.succeededFuture() : start(vertx, settings, where);
  }

  /** {@code tls.applyTo(options)}, or the options unchanged when {@code tls} is null. */
  public static <T extends NetServerOptions> T applyIfSet(ServerTls tls, T options) {
    return tls == null ? options : tls.applyTo(options);
  }

  /** Closes {@code tls} when it is not null. */
  public static void closeIfSet(ServerTls tls) {
    if (tls != null) {
      tls.close();
    }
  }

  /** Stops re-reading; servers already configured keep the last material. Safe twice. */
  public void close() {
    synchronized (this) {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
        timer = -1;
      }
    }
  }

  /**
   * Turns TLS on in {@code options}: this material, the versions and cipher suites of the
   * settings, ALPN (h2 and http/1.1), and client certificates required when {@code client_ca_file}
   * is set. The handshake's delegated tasks run on Vert.x's worker pool.
   */
  public <T extends NetServerOptions> T applyTo(T options) {
    options.setSsl(true);
    options.setUseAlpn(true);
    // handshake crypto (signatures, key exchange) runs on workers, not on the event loops
    options.setSslEngineOptions(new JdkSSLEngineOptions().setUseWorkerThread(true));
    options.setKeyCertOptions(KeyCertOptions.wrap(keys));
    options.setEnabledSecureTransportProtocols(new LinkedHashSet<>(settings.protocols()));
    for (String suite : settings.jdkCipherSuites()) {
      options.addEnabledCipherSuite(suite);
    }
    if (clientCas != null) {
      options.setTrustOptions(TrustOptions.wrap(clientCas));
      options.setClientAuth(ClientAuth.REQUIRED);
    }
    return options;
  }

  private void scheduleReloads() {
    boolean keysReload = !settings.reloadInterval().isZero();
    boolean casReload = clientCas != null && settings.clientCaFileReload();
    if (!keysReload && !casReload) {
      return;
    }
    long period = keysReload ? Math.max(1, settings.reloadInterval().toMillis()) : CLIENT_CA_CHECK_MS;
    if (casReload) {
      period = Math.min(period, CLIENT_CA_CHECK_MS);
    }
    lastKeyCheck = System.nanoTime();
    synchronized (this) {
      timer = vertx.setPeriodic(period, id -> vertx.executeBlocking(() -> {
        reloadIfDue(keysReload, casReload);
        return null;
      }, true));
    }
  }

  private synchronized void reloadIfDue(boolean keysReload, boolean casReload) {
    long now = System.nanoTime();
    if (keysReload && now - lastKeyCheck >= settings.reloadInterval().toNanos()) {
      lastKeyCheck = now;
      reload(() -> loadKeys(false));
    }
    if (casReload) {
      reload(() -> loadClientCas(false));
    }
  }

  private interface Step {
    void run() throws Exception;
  }

  private void reload(Step step) {
    try {
      step.run();
    } catch (Exception e) {
      LOG.warn("TLS of {}: cannot reload, keeping the material loaded before: {}", where, e.getMessage());
    }
  }

  /** Reads certificate and key; builds a new key manager when they changed (or {@code first}). */
  private synchronized void loadKeys(boolean first) throws Exception {
    byte[] cert = settings.certPem().isEmpty() ? read(settings.certFile(), "cert_file")
        : settings.certPem().getBytes(StandardCharsets.UTF_8);
    byte[] key = settings.keyPem().isEmpty() ? read(settings.keyFile(), "key_file")
        : settings.keyPem().getBytes(StandardCharsets.UTF_8);
    byte[][] material = {cert, key};
    if (!first && Arrays.deepEquals(material, loadedKeyMaterial)) {
      return;
    }
    X509ExtendedKeyManager km;
    try {
      PemKeyCertOptions pem = new PemKeyCertOptions().setCertValue(Buffer.buffer(cert)).setKeyValue(Buffer.buffer(key));
      km = firstOf(pem.getKeyManagerFactory(vertx).getKeyManagers(), X509ExtendedKeyManager.class);
    } catch (Exception e) {
      throw new IllegalStateException(where + ": cannot use the certificate " + describe("cert_file",
          settings.certFile()) + " with the key " + describe("key_file", settings.keyFile()) + ": "
          + message(e), e);
    }
    keys.install(km);
    loadedKeyMaterial = material;
    if (!first) {
      LOG.info("TLS of {}: loaded a changed certificate and key; new connections use them.", where);
    }
  }

  /** Reads the client CAs; builds a new trust manager when they changed (or {@code first}). */
  private synchronized void loadClientCas(boolean first) throws Exception {
    if (clientCas == null) {
      return;
    }
    byte[] pem = read(settings.clientCaFile(), "client_ca_file");
    if (!first && Arrays.equals(pem, loadedClientCas)) {
      return;
    }
    X509ExtendedTrustManager tm;
    try {
      PemTrustOptions trust = new PemTrustOptions().addCertValue(Buffer.buffer(pem));
      tm = firstOf(trust.getTrustManagerFactory(vertx).getTrustManagers(), X509ExtendedTrustManager.class);
      if (tm.getAcceptedIssuers().length == 0) {
        throw new IllegalArgumentException("it holds no certificate");
      }
    } catch (Exception e) {
      throw new IllegalStateException(where + ": cannot use client_ca_file \"" + settings.clientCaFile() + "\": "
          + message(e), e);
    }
    clientCas.delegate = tm;
    loadedClientCas = pem;
    if (!first) {
      LOG.info("TLS of {}: loaded changed client CAs from \"{}\".", where, settings.clientCaFile());
    }
  }

  private byte[] read(String file, String key) throws IOException {
    try {
      return Files.readAllBytes(Path.of(file));
    } catch (IOException e) {
      throw new IOException(where + ": cannot read " + key + " \"" + file + "\": " + message(e), e);
    }
  }

  private static String describe(String key, String file) {
    return file.isEmpty() ? "(" + key.replace("_file", "_pem") + ")" : "\"" + file + "\"";
  }

  private static String message(Throwable e) {
    String m = e.getMessage();
    return m == null ? e.getClass().getSimpleName() : m;
  }

  private static <M> M firstOf(Object[] managers, Class<M> type) {
    for (Object m : managers) {
      if (type.isInstance(m)) {
        return type.cast(m);
      }
    }
    throw new IllegalStateException("the JDK made no " + type.getSimpleName());
  }

  /**
   * Serves the key material of the latest load. An alias carries the generation it came from, so
   * a handshake that chose its alias just before a reload still gets the matching chain and key.
   */
  static final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private record Generation(int number, X509ExtendedKeyManager keys) {}

    private volatile Generation current;
    private volatile Generation previous;

    void install(X509ExtendedKeyManager km) {
      Generation now = current;
      previous = now;
      current = new Generation(now == null ? 0 : now.number() + 1, km);
    }

    private static String tag(Generation g, String alias) {
      return alias == null ? null : g.number() + ":" + alias;
    }

    private X509ExtendedKeyManager keysOf(String alias) {
      int colon = alias == null ? -1 : alias.indexOf(':');
      if (colon < 0) {
        return null;
      }
      String number = alias.substring(0, colon);
      for (Generation g : new Generation[] {current, previous}) {
        if (g != null && number.equals(Integer.toString(g.number()))) {
          return g.keys();
        }
      }
      return null;
    }

    private static String untag(String alias) {
      return alias.substring(alias.indexOf(':') + 1);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
      Generation g = current;
      return tag(g, g.keys().chooseEngineServerAlias(keyType, issuers, engine));
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
      Generation g = current;
      return tag(g, g.keys().chooseServerAlias(keyType, issuers, socket));
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
      Generation g = current;
      String[] aliases = g.keys().getServerAliases(keyType, issuers);
      return aliases == null ? null : Arrays.stream(aliases).map(a -> tag(g, a)).toArray(String[]::new);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
      X509ExtendedKeyManager km = keysOf(alias);
      return km == null ? null : km.getCertificateChain(untag(alias));
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
      X509ExtendedKeyManager km = keysOf(alias);
      return km == null ? null : km.getPrivateKey(untag(alias));
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
      return null;
    }

    @Override
    public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
      return null;
    }
  }

  /** Checks client certificates against the CAs of the latest load. */
  static final class ReloadingTrustManager extends X509ExtendedTrustManager {
    volatile X509ExtendedTrustManager delegate;

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      delegate.checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      delegate.checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
        throws CertificateException {
      throw new CertificateException("a server's trust manager checks no servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
        throws CertificateException {
      throw new CertificateException("a server's trust manager checks no servers");
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
      throw new CertificateException("a server's trust manager checks no servers");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return delegate.getAcceptedIssuers();
    }
  }
}
