package io.sluice.receiver.prometheus;

import com.fasterxml.jackson.databind.JsonNode;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.Authorization;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.BasicAuth;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpClientKeys;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.TlsConfig;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.JdkSSLEngineOptions;
import io.vertx.core.net.KeyCertOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import io.vertx.core.net.ProxyOptions;
import io.vertx.core.net.ProxyType;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.net.TrustOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the requests of one job's scrapes, or of one http_sd config, connect and authenticate:
 * the {@code Authorization} header, and the TLS material of {@code tls_config}, read from its PEM
 * files once by {@link #load} (blocking: call it on a worker). HTTP clients made from a setup do
 * no file I/O on the event loop, and run the TLS handshake's heavy steps (certificate checks, key
 * exchange) on Vert.x's worker pool rather than on the event loop.
 */
final class ClientSetup {
  private static final Logger log = LoggerFactory.getLogger(ClientSetup.class);
  private final TrustOptions trust;
  private final KeyCertOptions keyCert;
  private final boolean insecure;
  private final String serverName;
  private final String authorization;
  private final Set<String> tlsVersions;
  private final Map<String, List<String>> headers;
  private final boolean followRedirects;
  private final ProxyOptions proxy;
  private final List<String> nonProxyHosts;
  /** The oauth2 token source, or null. */
  private OAuth2Token oauth2;

  private ClientSetup(TrustOptions trust, KeyCertOptions keyCert, boolean insecure, String serverName,
      String authorization, Set<String> tlsVersions, Map<String, List<String>> headers, boolean followRedirects,
      ProxyOptions proxy, List<String> nonProxyHosts) {
    this.trust = trust;
    this.keyCert = keyCert;
    this.insecure = insecure;
    this.serverName = serverName;
    this.authorization = authorization;
    this.tlsVersions = tlsVersions;
    this.headers = headers;
    this.followRedirects = followRedirects;
    this.proxy = proxy;
    this.nonProxyHosts = nonProxyHosts;
  }

  /**
   * Reads the TLS, credential and header files (blocking) and works out the Authorization header.
   *
   * @param keyPath where these keys are in the receiver's config, for messages
   *     ({@code config.scrape_configs[0]})
   * @throws IllegalArgumentException naming the key and file when a file cannot be read or holds
   *     no usable PEM
   */
  static ClientSetup load(Vertx vertx, String keyPath, HttpClientKeys keys) {
    return load(vertx, keyPath, keys, false, Map.of());
  }

  /**
   * As {@link #load(Vertx, String, HttpClientKeys)}; with {@code proxy_from_environment}, the proxy
   * is {@code HTTPS_PROXY} (for {@code https}) or {@code HTTP_PROXY} of {@code env}, and
   * {@code NO_PROXY} lists the hosts reached directly, as Go's HTTP clients read them.
   */
  static ClientSetup load(Vertx vertx, String keyPath, HttpClientKeys keys, boolean https, Map<String, String> env) {
    String header = null;
    BasicAuth basicAuth = keys.basicAuth();
    Authorization authorization = keys.authorization();
    if (basicAuth != null) {
      String user = basicAuth.usernameFile().isEmpty() ? basicAuth.username()
          : read(keyPath + ".basic_auth.username_file", basicAuth.usernameFile());
      String password = basicAuth.passwordFile().isEmpty() ? basicAuth.password()
          : read(keyPath + ".basic_auth.password_file", basicAuth.passwordFile());
      header = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    } else if (authorization != null) {
      String credentials = authorization.credentialsFile().isEmpty() ? authorization.credentials()
          : read(keyPath + ".authorization.credentials_file", authorization.credentialsFile());
      header = authorization.type() + " " + credentials;
    } else if (keys.bearerTokenFile() != null && !keys.bearerTokenFile().isEmpty()) {
      header = "Bearer " + read(keyPath + ".bearer_token_file", keys.bearerTokenFile());
    } else if (keys.bearerToken() != null && !keys.bearerToken().isEmpty()) {
      header = "Bearer " + keys.bearerToken();
    }
    Map<String, List<String>> headers = new LinkedHashMap<>();
    keys.httpHeaders().forEach((name, h) -> {
      if (h == null) {
        return;
      }
      List<String> values = new ArrayList<>(h.values());
      values.addAll(h.secrets());
      for (String file : h.files()) {
        values.add(read(keyPath + ".http_headers." + name + ".files", file));
      }
      headers.put(name, values);
    });
    boolean follow = keys.followRedirects() == null || keys.followRedirects();
    String proxyUrl = keys.proxyUrl();
    String noProxy = keys.noProxy();
    if (Boolean.TRUE.equals(keys.proxyFromEnvironment())) {
      String name = https ? "HTTPS_PROXY" : "HTTP_PROXY";
      proxyUrl = env.getOrDefault(name, env.get(name.toLowerCase(Locale.ROOT)));
      noProxy = env.getOrDefault("NO_PROXY", env.get("no_proxy"));
      if (proxyUrl != null && !proxyUrl.isEmpty() && !proxyUrl.contains("://")) {
        proxyUrl = "http://" + proxyUrl;
      }
      String problem = proxyUrl == null || proxyUrl.isEmpty() ? null : PromConfigCheck.proxyUrlProblem(proxyUrl);
      if (problem != null) {
        throw new IllegalArgumentException(keyPath + ".proxy_from_environment: " + name + " " + problem);
      }
    }
    ProxyOptions proxy = null;
    List<String> nonProxyHosts = List.of();
    if (proxyUrl != null && !proxyUrl.isEmpty()) {
      proxy = proxyOptions(proxyUrl);
      if (noProxy != null) {
        nonProxyHosts = Arrays.stream(noProxy.split(",")).map(String::trim).filter(h -> !h.isEmpty()).toList();
      }
    }
    OAuth2Token oauth2 = null;
    JsonNode oauth2Keys = keys.oauth2();
    if (header == null && oauth2Keys != null && oauth2Keys.isObject()) {
      String secretFile = oauth2Keys.path("client_secret_file").asText("");
      String secret = secretFile.isEmpty() ? oauth2Keys.path("client_secret").asText("")
          : read(keyPath + ".oauth2.client_secret_file", secretFile);
      oauth2 = OAuth2Token.of(keyPath + ".oauth2", oauth2Keys, secret);
    }
    TlsConfig tls = keys.tlsConfig();
    if (tls == null) {
      ClientSetup setup = new ClientSetup(null, null, false, "", header, Set.of(), headers, follow, proxy,
          nonProxyHosts);
      setup.oauth2 = oauth2;
      return setup;
    }
    TrustOptions trust = null;
    boolean ca = !tls.caFile().isEmpty() || !tls.ca().isEmpty();
    if (ca && !tls.insecureSkipVerify()) {
      String where = tls.caFile().isEmpty() ? "tls_config.ca" : "tls_config.ca_file \"" + tls.caFile() + "\"";
      try {
        PemTrustOptions pem = new PemTrustOptions();
        if (tls.caFile().isEmpty()) {
          pem.addCertValue(Buffer.buffer(tls.ca()));
        } else {
          pem.addCertPath(tls.caFile());
        }
        trust = TrustOptions.wrap(pem.getTrustManagerFactory(vertx));
      } catch (Exception e) {
        throw new IllegalArgumentException(keyPath + "." + where + ": could not read CA certificates"
            + " (expected PEM, -----BEGIN CERTIFICATE-----): " + message(e), e);
      }
    }
    KeyCertOptions keyCert = null;
    boolean cert = !tls.certFile().isEmpty() || !tls.cert().isEmpty();
    boolean key = !tls.keyFile().isEmpty() || !tls.key().isEmpty();
    if (cert && key) {
      try {
        PemKeyCertOptions pem = new PemKeyCertOptions();
        if (tls.certFile().isEmpty()) {
          pem.setCertValue(Buffer.buffer(tls.cert()));
        } else {
          pem.setCertPath(tls.certFile());
        }
        if (tls.keyFile().isEmpty()) {
          pem.setKeyValue(Buffer.buffer(tls.key()));
        } else {
          pem.setKeyPath(tls.keyFile());
        }
        keyCert = KeyCertOptions.wrap(pem.getKeyManagerFactory(vertx));
      } catch (Exception e) {
        throw new IllegalArgumentException(keyPath + ".tls_config: could not read the client certificate \""
            + tls.certFile() + "\" and key \"" + tls.keyFile() + "\" (expected PEM): " + message(e), e);
      }
    }
    ClientSetup setup = new ClientSetup(trust, keyCert, tls.insecureSkipVerify(), tls.serverName(), header,
        tlsVersions(tls.minVersion(), tls.maxVersion()), headers, follow, proxy, nonProxyHosts);
    setup.oauth2 = oauth2;
    return setup;
  }

  /**
   * The proxy of a {@code proxy_url}: {@code http://[user:password@]host[:port]} (port 80 by
   * default) or {@code socks5://...} (1080); PromConfigCheck refuses other URLs at load.
   */
  static ProxyOptions proxyOptions(String url) {
    URI uri = URI.create(url);
    boolean socks = "socks5".equalsIgnoreCase(uri.getScheme());
    ProxyOptions proxy = new ProxyOptions().setType(socks ? ProxyType.SOCKS5 : ProxyType.HTTP)
        .setHost(uri.getHost()).setPort(uri.getPort() > 0 ? uri.getPort() : socks ? 1080 : 80);
    String userInfo = uri.getUserInfo();
    if (userInfo != null) {
      int colon = userInfo.indexOf(':');
      proxy.setUsername(colon < 0 ? userInfo : userInfo.substring(0, colon));
      if (colon >= 0) {
        proxy.setPassword(userInfo.substring(colon + 1));
      }
    }
    return proxy;
  }

  /**
   * The JDK names of the TLS versions from min to max (TLS 1.2 to 1.3 when one is unset); none
   * when neither is set, leaving Vert.x's defaults (also 1.2 and 1.3).
   */
  private static Set<String> tlsVersions(String min, String max) {
    if (min.isEmpty() && max.isEmpty()) {
      return Set.of();
    }
    List<String> all = List.of("TLS10", "TLS11", "TLS12", "TLS13");
    int from = min.isEmpty() ? 2 : Math.max(0, all.indexOf(min));
    int to = max.isEmpty() ? 3 : Math.max(0, all.indexOf(max));
    Set<String> out = new LinkedHashSet<>();
    for (int i = from; i <= to; i++) {
      out.add(PromConfigCheck.jdkTlsVersion(all.get(i)));
    }
    return out;
  }

  /** A secret or header value from a file, without the trailing newline (blocking). */
  private static String read(String key, String file) {
    try {
      return Files.readString(Path.of(file)).strip();
    } catch (IOException | InvalidPathException e) {
      throw new IllegalArgumentException(key + ": cannot read \"" + file + "\": " + message(e), e);
    }
  }

  private static String message(Exception e) {
    Throwable t = e;
    while (t.getCause() != null && t.getMessage() == null) {
      t = t.getCause();
    }
    return t.getMessage() != null ? t.getMessage() : t.toString();
  }

  /**
   * Loads the JDK's and Netty's TLS classes and runs the costly first steps of a client handshake
   * (context set-up, key shares for the ClientHello) once, so that the first handshake on an event loop
   * does not pay for them. Blocking: call on a worker.
   */
  static void warmUpTls() throws Exception {
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, null, null);
    SSLEngine engine = ssl.createSSLEngine("warm-up.invalid", 443);
    engine.setUseClientMode(true);
    engine.getSupportedCipherSuites();
    engine.beginHandshake();
    ByteBuffer out = ByteBuffer.allocate(engine.getSession().getPacketBufferSize());
    engine.wrap(ByteBuffer.allocate(0), out);
    engine.closeOutbound();
    // Netty's client contexts, which Vert.x builds for each TLS client: verifying and not
    io.netty.handler.ssl.SslContextBuilder.forClient().sslProvider(io.netty.handler.ssl.SslProvider.JDK).build();
    io.netty.handler.ssl.SslContextBuilder.forClient().sslProvider(io.netty.handler.ssl.SslProvider.JDK)
        .trustManager(io.netty.handler.ssl.util.InsecureTrustManagerFactory.INSTANCE).build();
  }

  /**
   * Why a request failed, for logs: the exception's message; for a failed TLS handshake, which
   * Vert.x reports as "Failed to create SSL connection", the underlying cause (an untrusted
   * certificate, a name mismatch).
   */
  static String reason(Throwable error) {
    if (error instanceof SSLException) {
      String deepest = null;
      for (Throwable t = error; t != null; t = t.getCause()) {
        if (t.getMessage() != null) {
          deepest = t.getMessage();
        }
        if (t.getCause() == t) {
          break;
        }
      }
      return "TLS handshake failed: " + (deepest != null ? deepest : error.toString());
    }
    return error.getMessage() != null ? error.getMessage() : error.toString();
  }

  /** The {@code Authorization} header value, or null. */
  String authorization() {
    return authorization;
  }

  /** An HTTP client with this TLS setup; the pool keeps at most {@code maxConnections} per server. */
  HttpClient createClient(Vertx vertx, String name, int maxConnections) {
    HttpClientOptions options = new HttpClientOptions()
        .setDecompressionSupported(true)
        .setKeepAlive(true)
        .setName(name)
        // handshake tasks (certificate checks, key exchange) run on a worker, not the event loop
        .setSslEngineOptions(new JdkSSLEngineOptions().setUseWorkerThread(true));
    if (insecure) {
      options.setTrustAll(true).setVerifyHost(false);
    } else if (trust != null) {
      options.setTrustOptions(trust);
    }
    if (keyCert != null) {
      options.setKeyCertOptions(keyCert);
    }
    if (!serverName.isEmpty()) {
      options.setForceSni(true);
    }
    if (!tlsVersions.isEmpty()) {
      options.setEnabledSecureTransportProtocols(tlsVersions);
    }
    if (proxy != null) {
      options.setProxyOptions(proxy);
      options.setNonProxyHosts(nonProxyHosts);
    }
    HttpClient client = vertx.httpClientBuilder()
        .with(options)
        .with(new PoolOptions().setHttp1MaxSize(maxConnections))
        // a connection that fails after it was set up (a TLS alert, a reset) fails its request,
        // which is reported there; Vert.x would log it again at ERROR
        .withConnectHandler(conn -> conn.exceptionHandler(e -> log.debug("Connection to '{}' failed",
            conn.remoteAddress(), e)))
        .build();
    if (oauth2 != null) {
      oauth2.use(client);
    }
    return client;
  }

  /**
   * A GET of {@code url} with the Authorization header. With a TLS server name, https requests
   * still connect to the URL's host and send it as {@code Host}, but the handshake names (SNI) and
   * verifies the server name.
   */
  RequestOptions request(String url) {
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.GET).setAbsoluteURI(url)
        .setFollowRedirects(followRedirects);
    // plain loops: a lambda here would be linked on the event loop at the first request
    for (Map.Entry<String, List<String>> header : headers.entrySet()) {
      for (String value : header.getValue()) {
        options.addHeader(header.getKey(), value);
      }
    }
    if (authorization != null) {
      options.putHeader(HttpHeaders.AUTHORIZATION, authorization);
    } else if (oauth2 != null) {
      String token = oauth2.current();
      if (token != null) {
        options.putHeader(HttpHeaders.AUTHORIZATION, "Bearer " + token);
      }
    }
    if (!serverName.isEmpty() && Boolean.TRUE.equals(options.isSsl())) {
      String host = options.getHost();
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      options.setServer(SocketAddress.inetSocketAddress(options.getPort(), host))
          .putHeader(HttpHeaders.HOST, authority(url))
          .setHost(serverName);
    }
    return options;
  }

  /** The {@code host[:port]} of an absolute URL. */
  private static String authority(String url) {
    int start = url.indexOf("://") + 3;
    int end = start;
    while (end < url.length() && "/?#".indexOf(url.charAt(end)) < 0) {
      end++;
    }
    return url.substring(start, end);
  }
}
