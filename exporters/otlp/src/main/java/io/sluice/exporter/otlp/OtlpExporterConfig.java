package io.sluice.exporter.otlp;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code otlp} exporter's config: OTLP over gRPC, with the Collector's key names and defaults.
 *
 * @param endpoint where to send, {@code host:port}; {@code http://host:port} forces plaintext and
 *     {@code https://host:port} TLS
 * @param tls TLS settings; TLS is used unless {@code tls.insecure} is true or the scheme is http
 * @param compression {@code gzip} (default), {@code zstd}, {@code snappy} (gRPC's framed snappy) or
 *     {@code none} (also written {@code ""})
 * @param headers sent as gRPC metadata on every call
 * @param timeout how long one export call may take; 0 means no limit
 * @param balancerName {@code pick_first} (default) or {@code round_robin}
 * @param sendingQueue the exporter helper's queue
 * @param retryOnFailure the exporter helper's retries
 * @param maxRequestSize the largest request sent, in bytes before compression: a batch whose
 *     request would be larger goes out as several (0: no limit). The default stays under the
 *     4 MiB that gRPC servers, the Collector's included, accept unless told otherwise.
 * @param keepalive pings on an idle connection, so a dead peer or a middlebox that dropped the
 *     connection is noticed; off unless set
 * @param waitForReady when true a call waits for the connection to become ready instead of
 *     failing at once while it is down
 * @param readBufferSize accepted as the Collector takes it; Sluice's transport sizes its reads
 *     itself, so the value has no effect
 * @param writeBufferSize as {@code readBufferSize}
 * @param auth the authenticator extension whose headers go with every call; null without one
 */
public record OtlpExporterConfig(
    String endpoint,
    TlsClientSettings tls,
    String compression,
    Map<String, String> headers,
    Duration timeout,
    String balancerName,
    QueueSettings sendingQueue,
    RetrySettings retryOnFailure,
    long maxRequestSize,
    Keepalive keepalive,
    boolean waitForReady,
    int readBufferSize,
    int writeBufferSize,
    AuthSettings auth) implements ComponentConfig, GrpcClientSettings {

  /**
   * Client keepalive, with the Collector's keys.
   *
   * @param time how long a connection stays idle before a ping; 0 (the default) sends none
   * @param timeout how long to wait for the ping's answer before closing the connection
   * @param permitWithoutStream ping even when no call is open
   */
  public record Keepalive(Duration time, Duration timeout, boolean permitWithoutStream) {
    public Keepalive {
      time = time == null ? Duration.ZERO : time;
      timeout = timeout == null ? Duration.ofSeconds(20) : timeout;
    }

    /** No pings. */
    public static Keepalive off() {
      return new Keepalive(Duration.ZERO, Duration.ofSeconds(20), false);
    }

    /** True when pings are sent. */
    public boolean enabled() {
      return !time.isZero() && !time.isNegative();
    }
  }

  /** 4 MiB, gRPC's default limit on a received message, less room for anything around it. */
  public static final long DEFAULT_MAX_REQUEST_SIZE = 4L * 1024 * 1024 - 64 * 1024;

  public OtlpExporterConfig {
    endpoint = endpoint == null ? "" : endpoint.trim();
    tls = tls == null ? TlsClientSettings.defaults() : tls;
    compression = compression == null ? "" : compression.trim();
    headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    balancerName = balancerName == null ? "" : balancerName.trim();
    sendingQueue = sendingQueue == null ? QueueSettings.defaults() : sendingQueue;
    retryOnFailure = retryOnFailure == null ? RetrySettings.defaults() : retryOnFailure;
    keepalive = keepalive == null ? Keepalive.off() : keepalive;
  }

  /** A config with the default {@code max_request_size} and none of the connection options. */
  public OtlpExporterConfig(String endpoint, TlsClientSettings tls, String compression, Map<String, String> headers,
      Duration timeout, String balancerName, QueueSettings sendingQueue, RetrySettings retryOnFailure,
      long maxRequestSize) {
    this(endpoint, tls, compression, headers, timeout, balancerName, sendingQueue, retryOnFailure,
        maxRequestSize, Keepalive.off(), false, 0, 0, null);
  }

  /** A config with the default {@code max_request_size}. */
  public OtlpExporterConfig(String endpoint, TlsClientSettings tls, String compression, Map<String, String> headers,
      Duration timeout, String balancerName, QueueSettings sendingQueue, RetrySettings retryOnFailure) {
    this(endpoint, tls, compression, headers, timeout, balancerName, sendingQueue, retryOnFailure,
        DEFAULT_MAX_REQUEST_SIZE);
  }

  /** The Collector's defaults; {@code endpoint} has none and must be set. */
  public static OtlpExporterConfig defaults() {
    return new OtlpExporterConfig("", TlsClientSettings.defaults(), "gzip", Map.of(), Duration.ofSeconds(5),
        "pick_first", QueueSettings.defaults(), RetrySettings.defaults());
  }

  /** The same config sending to {@code newEndpoint}. */
  public OtlpExporterConfig withEndpoint(String newEndpoint) {
    return new OtlpExporterConfig(newEndpoint, tls, compression, headers, timeout, balancerName, sendingQueue,
        retryOnFailure, maxRequestSize, keepalive, waitForReady, readBufferSize, writeBufferSize, auth);
  }

  @Override
  public List<ConfigProblem> warnings() {
    return GrpcClientSettings.warnings(this);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>(GrpcClientSettings.validate(this, "OTLP over gRPC", "otelcol:4317"));
    if (maxRequestSize < 0) {
      problems.add(new ConfigProblem("max_request_size", maxRequestSize + " is negative; give the largest request"
          + " in bytes, such as " + DEFAULT_MAX_REQUEST_SIZE + ", or 0 for no limit"));
    }
    problems.addAll(sendingQueue.validate("sending_queue"));
    problems.addAll(retryOnFailure.validate("retry_on_failure"));
    return problems;
  }
}
