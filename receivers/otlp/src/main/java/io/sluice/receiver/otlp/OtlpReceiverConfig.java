package io.sluice.receiver.otlp;

import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.config.GoDurations;
import io.sluice.core.tls.TlsServerSettings;
import io.sluice.core.util.HostPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Config of the {@code otlp} receiver, with the Collector's keys and defaults:
 *
 * <pre>
 * protocols:
 *   grpc:
 *     endpoint: localhost:4317
 *     max_recv_msg_size_mib: 4
 *     max_concurrent_streams: 0        # 0 = unlimited
 *     include_metadata: false
 *     tls: { cert_file: ..., key_file: ..., client_ca_file: ... }   # see TlsServerSettings; absent = plaintext
 *     auth: { authenticator: basicauth/server }  # an extension in service.extensions; 401 / UNAUTHENTICATED
 *     transport: tcp                   # or unix, with the socket's path as endpoint
 *     read_buffer_size: 0              # SO_RCVBUF in bytes; 0 = the system's
 *     write_buffer_size: 0             # SO_SNDBUF in bytes
 *     keepalive:
 *       server_parameters: { max_connection_idle, max_connection_age, max_connection_age_grace, time, timeout }
 *       enforcement_policy: { min_time: 5m, permit_without_stream: false }
 *   http:
 *     endpoint: localhost:4318
 *     traces_url_path: /v1/traces
 *     metrics_url_path: /v1/metrics
 *     logs_url_path: /v1/logs
 *     max_request_body_size: 20971520  # bytes, also after decompression
 *     include_metadata: false
 *     cors: { allowed_origins: [], allowed_headers: [], max_age: 0 }
 *     tls: { ... }
 *     auth: { authenticator: bearertokenauth }
 * </pre>
 *
 * <p>A protocol is on when its key is present, even with no value ({@code grpc:}); the fields
 * left out take the defaults above. When {@code protocols} itself is left out both protocols
 * are on with their defaults. See {@link OtlpReceiverFactory} for the whole rule.
 *
 * @param protocols the protocols to serve; null means both, with defaults
 */
public record OtlpReceiverConfig(Protocols protocols) implements ComponentConfig {

  /** The gRPC and HTTP listeners; a null member is a protocol that is off. */
  @JsonDeserialize(using = ProtocolsDeserializer.class)
  public record Protocols(Grpc grpc, Http http) {}

  /**
   * OTLP/gRPC. Null members take the defaults.
   *
   * @param endpoint {@code host:port} to listen on, or a socket path with {@code transport: unix}
   * @param maxRecvMsgSizeMib the largest request message, in MiB, checked before and after decompression
   * @param maxConcurrentStreams HTTP/2 streams one connection may have open at once; 0 = unlimited
   * @param includeMetadata whether request headers travel with the data in the batch envelope
   * @param tls TLS of the listener; null serves plaintext
   * @param auth the authenticator extension that checks every request; null for none
   * @param transport {@code tcp} (also {@code tcp4}, {@code tcp6}) or {@code unix} (a Unix domain socket)
   * @param readBufferSize the socket's receive buffer in bytes (SO_RCVBUF); 0 = the system's
   * @param writeBufferSize the socket's send buffer in bytes (SO_SNDBUF); 0 = the system's
   * @param keepalive gRPC keepalive: pings, connection ages, and how often clients may ping
   */
  public record Grpc(String endpoint, Integer maxRecvMsgSizeMib, Long maxConcurrentStreams, Boolean includeMetadata,
      TlsServerSettings tls, AuthSettings auth, String transport, Integer readBufferSize, Integer writeBufferSize,
      Keepalive keepalive) {
    public static final String DEFAULT_ENDPOINT = "localhost:4317";
    public static final int DEFAULT_MAX_RECV_MSG_SIZE_MIB = 4;

    public Grpc {
      endpoint = endpoint == null ? DEFAULT_ENDPOINT : endpoint;
      maxRecvMsgSizeMib = maxRecvMsgSizeMib == null ? DEFAULT_MAX_RECV_MSG_SIZE_MIB : maxRecvMsgSizeMib;
      maxConcurrentStreams = maxConcurrentStreams == null ? 0L : maxConcurrentStreams;
      includeMetadata = includeMetadata != null && includeMetadata;
      transport = transport == null || transport.isEmpty() ? "tcp" : transport;
      readBufferSize = readBufferSize == null ? 0 : readBufferSize;
      writeBufferSize = writeBufferSize == null ? 0 : writeBufferSize;
    }

    /** Plaintext gRPC over TCP. */
    public Grpc(String endpoint, Integer maxRecvMsgSizeMib, Long maxConcurrentStreams, Boolean includeMetadata) {
      this(endpoint, maxRecvMsgSizeMib, maxConcurrentStreams, includeMetadata, null, null, null, null, null, null);
    }

    /** gRPC with every default. */
    public static Grpc defaults() {
      return new Grpc(null, null, null, null);
    }

    /** True for {@code transport: unix}. */
    boolean unixSocket() {
      return transport.equals("unix");
    }

    /** A copy served with TLS. */
    public Grpc withTls(TlsServerSettings settings) {
      return new Grpc(endpoint, maxRecvMsgSizeMib, maxConcurrentStreams, includeMetadata, settings, auth, transport,
          readBufferSize, writeBufferSize, keepalive);
    }

    /** A copy whose requests the named authenticator checks. */
    public Grpc withAuth(String authenticator) {
      return new Grpc(endpoint, maxRecvMsgSizeMib, maxConcurrentStreams, includeMetadata, tls,
          new AuthSettings(authenticator), transport, readBufferSize, writeBufferSize, keepalive);
    }

    /** A copy with these keepalive settings. */
    public Grpc withKeepalive(Keepalive settings) {
      return new Grpc(endpoint, maxRecvMsgSizeMib, maxConcurrentStreams, includeMetadata, tls, auth, transport,
          readBufferSize, writeBufferSize, settings);
    }

    /** A copy listening on a Unix domain socket at {@code path}. */
    public Grpc onUnixSocket(String path) {
      return new Grpc(path, maxRecvMsgSizeMib, maxConcurrentStreams, includeMetadata, tls, auth, "unix",
          readBufferSize, writeBufferSize, keepalive);
    }
  }

  /**
   * {@code keepalive} of the gRPC server, as grpc-go takes it.
   *
   * @param serverParameters what the server does to its connections
   * @param enforcementPolicy how often clients may ping
   */
  public record Keepalive(ServerParameters serverParameters, EnforcementPolicy enforcementPolicy) {}

  /**
   * {@code keepalive.server_parameters}; zero or absent = off.
   *
   * @param maxConnectionIdle close a connection that has carried nothing for this long
   * @param maxConnectionAge ask a connection to go away (GOAWAY) once it is this old
   * @param maxConnectionAgeGrace then give its calls this long before closing it
   * @param time ping a client after this long without activity
   * @param timeout close the connection when a ping is not answered within this
   */
  public record ServerParameters(Duration maxConnectionIdle, Duration maxConnectionAge,
      Duration maxConnectionAgeGrace, Duration time, Duration timeout) {
    public ServerParameters {
      maxConnectionIdle = maxConnectionIdle == null ? Duration.ZERO : maxConnectionIdle;
      maxConnectionAge = maxConnectionAge == null ? Duration.ZERO : maxConnectionAge;
      maxConnectionAgeGrace = maxConnectionAgeGrace == null ? Duration.ZERO : maxConnectionAgeGrace;
      time = time == null ? Duration.ZERO : time;
      timeout = timeout == null ? Duration.ofSeconds(20) : timeout;
    }
  }

  /**
   * {@code keepalive.enforcement_policy}: a client pinging more often than {@code min_time}
   * is sent GOAWAY {@code ENHANCE_YOUR_CALM} ("too_many_pings") after two strikes, as grpc-go does.
   *
   * @param minTime the shortest time allowed between a client's pings; 5m by default
   * @param permitWithoutStream accepted for Collector configs; Sluice does not count a
   *     connection's streams, so min_time applies whether or not calls are open
   */
  public record EnforcementPolicy(Duration minTime, Boolean permitWithoutStream) {
    public EnforcementPolicy {
      minTime = minTime == null ? Duration.ofMinutes(5) : minTime;
      permitWithoutStream = permitWithoutStream != null && permitWithoutStream;
    }
  }

  /**
   * OTLP/HTTP. Null members take the defaults.
   *
   * @param endpoint {@code host:port} to listen on
   * @param tracesUrlPath path that takes traces; a missing leading '/' is added
   * @param metricsUrlPath path that takes metrics
   * @param logsUrlPath path that takes logs
   * @param maxRequestBodySize the largest request body in bytes, as sent and after decompression
   * @param includeMetadata whether request headers travel with the data in the batch envelope
   * @param cors cross-origin settings for browser clients; null or no origins = CORS off
   * @param tls TLS of the listener; null serves plaintext
   * @param auth the authenticator extension that checks every request; null for none
   */
  public record Http(
      String endpoint,
      String tracesUrlPath,
      String metricsUrlPath,
      String logsUrlPath,
      Long maxRequestBodySize,
      Boolean includeMetadata,
      Cors cors,
      TlsServerSettings tls,
      AuthSettings auth) {
    public static final String DEFAULT_ENDPOINT = "localhost:4318";
    public static final long DEFAULT_MAX_REQUEST_BODY_SIZE = 20L * 1024 * 1024;

    public Http {
      endpoint = endpoint == null ? DEFAULT_ENDPOINT : endpoint;
      tracesUrlPath = urlPath(tracesUrlPath, "/v1/traces");
      metricsUrlPath = urlPath(metricsUrlPath, "/v1/metrics");
      logsUrlPath = urlPath(logsUrlPath, "/v1/logs");
      maxRequestBodySize = maxRequestBodySize == null ? DEFAULT_MAX_REQUEST_BODY_SIZE : maxRequestBodySize;
      includeMetadata = includeMetadata != null && includeMetadata;
    }

    /** Plaintext HTTP. */
    public Http(String endpoint, String tracesUrlPath, String metricsUrlPath, String logsUrlPath,
        Long maxRequestBodySize, Boolean includeMetadata, Cors cors) {
      this(endpoint, tracesUrlPath, metricsUrlPath, logsUrlPath, maxRequestBodySize, includeMetadata, cors, null,
          null);
    }

    /** HTTP with every default. */
    public static Http defaults() {
      return new Http(null, null, null, null, null, null, null);
    }

    /** A copy served with TLS. */
    public Http withTls(TlsServerSettings settings) {
      return new Http(endpoint, tracesUrlPath, metricsUrlPath, logsUrlPath, maxRequestBodySize, includeMetadata, cors,
          settings, auth);
    }

    /** A copy whose requests the named authenticator checks. */
    public Http withAuth(String authenticator) {
      return new Http(endpoint, tracesUrlPath, metricsUrlPath, logsUrlPath, maxRequestBodySize, includeMetadata, cors,
          tls, new AuthSettings(authenticator));
    }

    private static String urlPath(String path, String dflt) {
      if (path == null) {
        return dflt;
      }
      String p = path.trim();
      return p.startsWith("/") || p.isEmpty() ? p : "/" + p;
    }
  }

  /**
   * CORS for OTLP/HTTP.
   *
   * @param allowedOrigins origins allowed to send, such as {@code https://*.example.com}; "*" allows any
   * @param allowedHeaders request headers allowed besides the CORS-safelisted ones; "*" allows any
   * @param maxAge seconds a browser may cache a preflight answer; 0 = do not send the header
   */
  public record Cors(List<String> allowedOrigins, List<String> allowedHeaders, Integer maxAge) {
    public Cors {
      allowedOrigins = allowedOrigins == null ? List.of() : List.copyOf(allowedOrigins);
      allowedHeaders = allowedHeaders == null ? List.of() : List.copyOf(allowedHeaders);
      maxAge = maxAge == null ? 0 : maxAge;
    }
  }

  /** The largest gRPC message we accept, in MiB: Java arrays stop short of 2 GiB. */
  static final int MAX_RECV_MSG_SIZE_MIB_LIMIT = 2047;
  /** The largest HTTP body we accept: the largest byte array a JVM reliably allocates. */
  static final long MAX_REQUEST_BODY_SIZE_LIMIT = Integer.MAX_VALUE - 8;

  private static final Pattern ORIGIN =
      Pattern.compile("[A-Za-z][A-Za-z0-9+.\\-]*://[^/?#\\s]+");

  /**
   * The protocols in effect: both with defaults when {@code protocols} was left out, else the
   * ones named.
   */
  Protocols effectiveProtocols() {
    return protocols == null ? new Protocols(Grpc.defaults(), Http.defaults()) : protocols;
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    Protocols p = effectiveProtocols();
    if (p.grpc() == null && p.http() == null) {
      problems.add(new ConfigProblem("protocols", "names no protocol; add \"grpc:\" and/or \"http:\" under"
          + " protocols (or leave protocols out to serve both with defaults)"));
      return problems;
    }
    HostPort grpcAt = null;
    HostPort httpAt = null;
    if (p.grpc() != null) {
      Grpc g = p.grpc();
      grpcAt = g.unixSocket() ? null : endpoint("protocols.grpc.endpoint", g.endpoint(), problems);
      if (g.maxRecvMsgSizeMib() < 1 || g.maxRecvMsgSizeMib() > MAX_RECV_MSG_SIZE_MIB_LIMIT) {
        problems.add(new ConfigProblem("protocols.grpc.max_recv_msg_size_mib", "is " + g.maxRecvMsgSizeMib()
            + "; expected a size in MiB from 1 to " + MAX_RECV_MSG_SIZE_MIB_LIMIT + " (default "
            + Grpc.DEFAULT_MAX_RECV_MSG_SIZE_MIB + ")"));
      }
      if (g.maxConcurrentStreams() < 0 || g.maxConcurrentStreams() > 0xFFFFFFFFL) {
        problems.add(new ConfigProblem("protocols.grpc.max_concurrent_streams", "is " + g.maxConcurrentStreams()
            + "; expected 0 (unlimited) or a positive number up to 4294967295"));
      }
      if (g.tls() != null) {
        problems.addAll(g.tls().validate("protocols.grpc.tls"));
      }
      if (g.auth() != null) {
        problems.addAll(g.auth().validate("protocols.grpc.auth"));
      }
      checkGrpcServer(g, problems);
    }
    if (p.http() != null) {
      Http h = p.http();
      httpAt = endpoint("protocols.http.endpoint", h.endpoint(), problems);
      Set<String> paths = new HashSet<>();
      checkPath("protocols.http.traces_url_path", h.tracesUrlPath(), paths, problems);
      checkPath("protocols.http.metrics_url_path", h.metricsUrlPath(), paths, problems);
      checkPath("protocols.http.logs_url_path", h.logsUrlPath(), paths, problems);
      if (h.maxRequestBodySize() < 1 || h.maxRequestBodySize() > MAX_REQUEST_BODY_SIZE_LIMIT) {
        problems.add(new ConfigProblem("protocols.http.max_request_body_size", "is " + h.maxRequestBodySize()
            + "; expected a size in bytes from 1 to " + MAX_REQUEST_BODY_SIZE_LIMIT + " (default "
            + Http.DEFAULT_MAX_REQUEST_BODY_SIZE + ")"));
      }
      if (h.cors() != null) {
        checkCors(h.cors(), problems);
      }
      if (h.tls() != null) {
        problems.addAll(h.tls().validate("protocols.http.tls"));
      }
      if (h.auth() != null) {
        problems.addAll(h.auth().validate("protocols.http.auth"));
      }
    }
    if (grpcAt != null && httpAt != null && grpcAt.port() == httpAt.port()
        && (grpcAt.host().equalsIgnoreCase(httpAt.host()) || grpcAt.anyInterface() || httpAt.anyInterface())) {
      problems.add(new ConfigProblem("protocols.http.endpoint", "\"" + p.http().endpoint() + "\" uses the same port"
          + " as protocols.grpc.endpoint \"" + p.grpc().endpoint() + "\"; give each protocol its own port"
          + " (the defaults are 4317 for gRPC and 4318 for HTTP)"));
    }
    return problems;
  }

  private static final Set<String> TRANSPORTS = Set.of("tcp", "tcp4", "tcp6", "unix");

  private static void checkGrpcServer(Grpc g, List<ConfigProblem> problems) {
    if (!TRANSPORTS.contains(g.transport())) {
      problems.add(new ConfigProblem("protocols.grpc.transport", "\"" + g.transport() + "\" is not supported;"
          + " expected \"tcp\" (or \"tcp4\", \"tcp6\") or \"unix\""));
    } else if (g.unixSocket() && (g.endpoint().isBlank() || g.endpoint().equals(Grpc.DEFAULT_ENDPOINT))) {
      problems.add(new ConfigProblem("protocols.grpc.endpoint", "is \"" + g.endpoint() + "\"; with transport"
          + " \"unix\" give the path of the socket, such as \"/var/run/sluice/otlp.sock\""));
    }
    if (g.readBufferSize() < 0) {
      problems.add(new ConfigProblem("protocols.grpc.read_buffer_size", "is " + g.readBufferSize()
          + "; expected a size in bytes, or 0 for the system's"));
    }
    if (g.writeBufferSize() < 0) {
      problems.add(new ConfigProblem("protocols.grpc.write_buffer_size", "is " + g.writeBufferSize()
          + "; expected a size in bytes, or 0 for the system's"));
    }
    Keepalive k = g.keepalive();
    if (k != null && k.serverParameters() != null) {
      ServerParameters sp = k.serverParameters();
      nonNegative("protocols.grpc.keepalive.server_parameters.max_connection_idle", sp.maxConnectionIdle(), problems);
      nonNegative("protocols.grpc.keepalive.server_parameters.max_connection_age", sp.maxConnectionAge(), problems);
      nonNegative("protocols.grpc.keepalive.server_parameters.max_connection_age_grace", sp.maxConnectionAgeGrace(),
          problems);
      nonNegative("protocols.grpc.keepalive.server_parameters.time", sp.time(), problems);
      nonNegative("protocols.grpc.keepalive.server_parameters.timeout", sp.timeout(), problems);
    }
    if (k != null && k.enforcementPolicy() != null) {
      nonNegative("protocols.grpc.keepalive.enforcement_policy.min_time", k.enforcementPolicy().minTime(), problems);
    }
  }

  private static void nonNegative(String key, Duration d, List<ConfigProblem> problems) {
    if (d.isNegative()) {
      problems.add(new ConfigProblem(key, "is " + GoDurations.format(d) + "; expected a duration >= 0, such as"
          + " \"30s\" (0 = off)"));
    }
  }

  private static HostPort endpoint(String path, String value, List<ConfigProblem> problems) {
    try {
      return listenAddress(value);
    } catch (IllegalArgumentException e) {
      problems.add(new ConfigProblem(path, e.getMessage()));
      return null;
    }
  }

  private static void checkPath(String key, String path, Set<String> seen, List<ConfigProblem> problems) {
    if (path.isEmpty() || path.equals("/")) {
      problems.add(new ConfigProblem(key, "is \"" + path + "\"; expected a URL path such as \"/v1/traces\""));
    } else if (path.contains("?") || path.contains("#") || path.chars().anyMatch(Character::isWhitespace)) {
      problems.add(new ConfigProblem(key, "\"" + path + "\" is not a plain URL path; remove the query, fragment"
          + " or spaces"));
    } else if (!seen.add(path)) {
      problems.add(new ConfigProblem(key, "\"" + path + "\" is already the path of another signal; give traces,"
          + " metrics and logs different paths"));
    }
  }

  private static void checkCors(Cors cors, List<ConfigProblem> problems) {
    for (int i = 0; i < cors.allowedOrigins().size(); i++) {
      String o = cors.allowedOrigins().get(i);
      if (o == null || o.isBlank()) {
        problems.add(new ConfigProblem("protocols.http.cors.allowed_origins[" + i + "]",
            "is empty; expected an origin such as \"https://app.example.com\", a pattern such as"
                + " \"https://*.example.com\", or \"*\""));
      } else if (!o.equals("*") && !ORIGIN.matcher(o).matches()) {
        problems.add(new ConfigProblem("protocols.http.cors.allowed_origins[" + i + "]",
            "\"" + o + "\" is not an origin; expected scheme://host[:port] with no path, such as"
                + " \"https://app.example.com\" or \"https://*.example.com\", or \"*\""));
      }
    }
    for (int i = 0; i < cors.allowedHeaders().size(); i++) {
      String h = cors.allowedHeaders().get(i);
      if (h == null || !(h.equals("*") || h.matches("[!#$%&'*+.^_`|~0-9A-Za-z\\-]+"))) {
        problems.add(new ConfigProblem("protocols.http.cors.allowed_headers[" + i + "]",
            (h == null ? "is empty" : "\"" + h + "\" is not a header name")
                + "; expected a name such as \"X-Custom-Header\" or \"*\""));
      }
    }
    if (cors.maxAge() < 0) {
      problems.add(new ConfigProblem("protocols.http.cors.max_age", "is " + cors.maxAge()
          + "; expected seconds >= 0 (0 leaves the header out)"));
    }
  }

  /**
   * Parses a listen endpoint ({@link HostPort#parse}). Port 0, a random port, is refused: a
   * receiver's clients need to know its port.
   *
   * @throws IllegalArgumentException saying what is wrong, quoting the value
   */
  static HostPort listenAddress(String endpoint) {
    HostPort at = HostPort.parse(endpoint);
    if (at.port() == 0) {
      throw new IllegalArgumentException("\"" + endpoint + "\": port 0 (a random port) is not supported for a"
          + " receiver, whose clients need to know its port; choose a port from 1 to 65535");
    }
    return at;
  }
}
