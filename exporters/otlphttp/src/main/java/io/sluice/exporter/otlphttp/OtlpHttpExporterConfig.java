package io.sluice.exporter.otlphttp;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The {@code otlphttp} exporter's config: OTLP over HTTP, with the Collector's key names and
 * defaults.
 *
 * @param endpoint base URL; {@code /v1/traces}, {@code /v1/metrics} and {@code /v1/logs} are appended
 * @param tracesEndpoint the full URL for traces, used as written; overrides {@code endpoint}
 * @param metricsEndpoint the full URL for metrics, used as written
 * @param logsEndpoint the full URL for logs, used as written
 * @param encoding {@code proto} (default) or {@code json}
 * @param compression {@code gzip} (default), {@code zstd}, {@code snappy}, {@code deflate} or {@code none}
 * @param headers sent with every request
 * @param timeout how long one request may take; 0 means no limit
 * @param tls TLS settings for {@code https} URLs; the URL's scheme decides whether TLS is used, and
 *     {@code tls.insecure} is accepted so that Collector configs load but has no effect
 * @param sendingQueue the exporter helper's queue
 * @param retryOnFailure the exporter helper's retries
 * @param auth the authenticator extension whose headers go with every request; null without one
 */
public record OtlpHttpExporterConfig(
    String endpoint,
    String tracesEndpoint,
    String metricsEndpoint,
    String logsEndpoint,
    String encoding,
    String compression,
    Map<String, String> headers,
    Duration timeout,
    TlsClientSettings tls,
    QueueSettings sendingQueue,
    RetrySettings retryOnFailure,
    AuthSettings auth) implements ComponentConfig {

  static final Set<String> COMPRESSIONS = Set.of("gzip", "zstd", "snappy", "deflate", "none", "");
  /** An HTTP header name (an RFC 9110 token). */
  private static final Pattern TOKEN = Pattern.compile("[!#$%&'*+.^_`|~0-9A-Za-z-]+");

  public OtlpHttpExporterConfig {
    endpoint = endpoint == null ? "" : endpoint.trim();
    tracesEndpoint = tracesEndpoint == null ? "" : tracesEndpoint.trim();
    metricsEndpoint = metricsEndpoint == null ? "" : metricsEndpoint.trim();
    logsEndpoint = logsEndpoint == null ? "" : logsEndpoint.trim();
    encoding = encoding == null ? "" : encoding.trim();
    compression = compression == null ? "" : compression.trim();
    headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    tls = tls == null ? TlsClientSettings.defaults() : tls;
    sendingQueue = sendingQueue == null ? QueueSettings.defaults() : sendingQueue;
    retryOnFailure = retryOnFailure == null ? RetrySettings.defaults() : retryOnFailure;
  }

  /** A config without an authenticator. */
  public OtlpHttpExporterConfig(String endpoint, String tracesEndpoint, String metricsEndpoint, String logsEndpoint,
      String encoding, String compression, Map<String, String> headers, Duration timeout, TlsClientSettings tls,
      QueueSettings sendingQueue, RetrySettings retryOnFailure) {
    this(endpoint, tracesEndpoint, metricsEndpoint, logsEndpoint, encoding, compression, headers, timeout, tls,
        sendingQueue, retryOnFailure, null);
  }

  /** The Collector's defaults; an endpoint must be set. */
  public static OtlpHttpExporterConfig defaults() {
    return new OtlpHttpExporterConfig("", "", "", "", "proto", "gzip", Map.of(), Duration.ofSeconds(30),
        TlsClientSettings.defaults(), QueueSettings.defaults(), RetrySettings.defaults());
  }

  /** The same config with {@code newEndpoint} as the base URL. */
  public OtlpHttpExporterConfig withEndpoint(String newEndpoint) {
    return new OtlpHttpExporterConfig(newEndpoint, tracesEndpoint, metricsEndpoint, logsEndpoint, encoding,
        compression, headers, timeout, tls, sendingQueue, retryOnFailure, auth);
  }

  /**
   * The URL a signal is sent to: its own endpoint as written, else the base endpoint with
   * {@code /v1/<signal>} appended; empty when neither is set.
   */
  String url(Signal signal) {
    String own = switch (signal) {
      case TRACES -> tracesEndpoint;
      case METRICS -> metricsEndpoint;
      case LOGS -> logsEndpoint;
    };
    if (!own.isEmpty()) {
      return own;
    }
    if (endpoint.isEmpty()) {
      return "";
    }
    String base = endpoint;
    while (base.endsWith("/")) {
      base = base.substring(0, base.length() - 1);
    }
    return base + "/v1/" + signal.configName();
  }

  /** The Content-Encoding value, or null when requests are not compressed. */
  String contentEncoding() {
    return compression.isEmpty() || compression.equals("none") ? null : compression;
  }

  boolean json() {
    return encoding.equals("json");
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (endpoint.isEmpty() && tracesEndpoint.isEmpty() && metricsEndpoint.isEmpty() && logsEndpoint.isEmpty()) {
      problems.add(new ConfigProblem("endpoint", "is required (or traces_endpoint, metrics_endpoint and"
          + " logs_endpoint): the base URL of an OTLP/HTTP server, such as \"http://otelcol:4318\""));
    }
    checkUrl(problems, "endpoint", endpoint);
    checkUrl(problems, "traces_endpoint", tracesEndpoint);
    checkUrl(problems, "metrics_endpoint", metricsEndpoint);
    checkUrl(problems, "logs_endpoint", logsEndpoint);
    if (!encoding.equals("proto") && !encoding.equals("json")) {
      problems.add(new ConfigProblem("encoding", "\"" + encoding + "\" is not supported; use \"proto\" or \"json\""));
    }
    if (!COMPRESSIONS.contains(compression)) {
      problems.add(new ConfigProblem("compression", "\"" + compression
          + "\" is not supported; use \"gzip\", \"zstd\", \"snappy\", \"deflate\" or \"none\""));
    }
    if (timeout == null || timeout.isNegative()) {
      problems.add(new ConfigProblem("timeout", "must be a duration such as \"30s\" (0 means no limit)"));
    }
    problems.addAll(tls.validate("tls"));
    if (auth != null) {
      problems.addAll(auth.validate("auth"));
    }
    for (Map.Entry<String, String> h : headers.entrySet()) {
      if (h.getKey() == null || !TOKEN.matcher(h.getKey()).matches()) {
        problems.add(new ConfigProblem("headers", "\"" + h.getKey() + "\" is not a valid HTTP header name"));
      } else if (h.getValue() == null) {
        problems.add(new ConfigProblem("headers." + h.getKey(), "has no value"));
      } else if (h.getValue().indexOf('\r') >= 0 || h.getValue().indexOf('\n') >= 0) {
        problems.add(new ConfigProblem("headers." + h.getKey(), "must not contain a line break"));
      }
    }
    problems.addAll(sendingQueue.validate("sending_queue"));
    problems.addAll(retryOnFailure.validate("retry_on_failure"));
    return problems;
  }

  private static void checkUrl(List<ConfigProblem> problems, String key, String url) {
    if (url.isEmpty()) {
      return;
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      problems.add(new ConfigProblem(key, "\"" + url + "\" is not a URL: " + e.getReason()));
      return;
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      problems.add(new ConfigProblem(key, "\"" + url + "\" has no http or https scheme; did you mean \"http://"
          + stripScheme(url) + "\"?"));
    } else if (uri.getHost() == null || uri.getHost().isEmpty()) {
      problems.add(new ConfigProblem(key, "\"" + url + "\" has no host; write it as \"http://host:4318\""));
    } else if (uri.getFragment() != null) {
      problems.add(new ConfigProblem(key, "\"" + url + "\" must not have a fragment"));
    }
  }

  private static String stripScheme(String url) {
    int i = url.indexOf("://");
    return i < 0 ? url : url.substring(i + 3);
  }
}
