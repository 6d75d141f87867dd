package io.sluice.exporter.jaeger;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.exporter.otlp.GrpcClientSettings;
import io.sluice.exporter.otlp.OtlpExporterConfig.Keepalive;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code jaeger} exporter's config: Jaeger's {@code api_v2} gRPC collector API, with the key
 * names and defaults of the Collector's {@code jaeger} exporter (its gRPC client settings and the
 * exporter helper's).
 *
 * @param endpoint the collector's gRPC endpoint, {@code host:port} (usually port 14250);
 *     {@code http://host:port} forces plaintext and {@code https://host:port} TLS
 * @param tls TLS settings; TLS is used unless {@code tls.insecure} is true or the scheme is http
 * @param compression {@code none} (the default, also written {@code ""}), {@code gzip},
 *     {@code zstd} or {@code snappy}
 * @param headers sent as gRPC metadata on every call
 * @param timeout how long one {@code PostSpans} call may take; 0 means no limit
 * @param balancerName {@code pick_first} (default) or {@code round_robin}
 * @param sendingQueue the exporter helper's queue
 * @param retryOnFailure the exporter helper's retries
 * @param maxRequestSize the most spans one call carries, as their size in OTLP's encoding
 *     (Jaeger's is usually a little larger): a process with more goes out in several calls
 *     (0: no limit). The default keeps calls well under the 4 MiB a Jaeger collector accepts
 *     unless told otherwise.
 * @param keepalive pings on an idle connection; off unless set
 * @param waitForReady when true a call waits for the connection to become ready instead of
 *     failing at once while it is down
 * @param readBufferSize accepted as the Collector takes it; no effect in Sluice
 * @param writeBufferSize as {@code readBufferSize}
 * @param auth the authenticator extension whose headers go with every call; null without one
 */
public record JaegerExporterConfig(
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

  /** 2 MiB of OTLP-encoded spans: their Jaeger encoding stays under gRPC's default 4 MiB limit. */
  public static final long DEFAULT_MAX_REQUEST_SIZE = 2L * 1024 * 1024;

  public JaegerExporterConfig {
    endpoint = endpoint == null ? "" : endpoint.trim();
    tls = tls == null ? TlsClientSettings.defaults() : tls;
    compression = compression == null ? "" : compression.trim();
    headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    balancerName = balancerName == null ? "" : balancerName.trim();
    sendingQueue = sendingQueue == null ? QueueSettings.defaults() : sendingQueue;
    retryOnFailure = retryOnFailure == null ? RetrySettings.defaults() : retryOnFailure;
    keepalive = keepalive == null ? Keepalive.off() : keepalive;
  }

  /** The Collector's defaults; {@code endpoint} has none and must be set. */
  public static JaegerExporterConfig defaults() {
    return new JaegerExporterConfig("", TlsClientSettings.defaults(), "none", Map.of(), Duration.ofSeconds(5),
        "pick_first", QueueSettings.defaults(), RetrySettings.defaults(), DEFAULT_MAX_REQUEST_SIZE,
        Keepalive.off(), false, 0, 0, null);
  }

  /** The same config sending to {@code newEndpoint}. */
  public JaegerExporterConfig withEndpoint(String newEndpoint) {
    return new JaegerExporterConfig(newEndpoint, tls, compression, headers, timeout, balancerName, sendingQueue,
        retryOnFailure, maxRequestSize, keepalive, waitForReady, readBufferSize, writeBufferSize, auth);
  }

  @Override
  public List<ConfigProblem> warnings() {
    return GrpcClientSettings.warnings(this);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>(GrpcClientSettings.validate(this,
        "spans to a Jaeger collector's gRPC API", "jaeger-collector:14250"));
    if (maxRequestSize < 0) {
      problems.add(new ConfigProblem("max_request_size", maxRequestSize + " is negative; give the most span bytes"
          + " one call carries, such as " + DEFAULT_MAX_REQUEST_SIZE + ", or 0 for no limit"));
    }
    problems.addAll(sendingQueue.validate("sending_queue"));
    problems.addAll(retryOnFailure.validate("retry_on_failure"));
    return problems;
  }
}
