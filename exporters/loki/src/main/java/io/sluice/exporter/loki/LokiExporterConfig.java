package io.sluice.exporter.loki;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.exporterhelper.HttpConfigChecks;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code loki} exporter's config: the Collector's Loki exporter keys ({@code endpoint},
 * {@code headers}, {@code tls}, {@code auth}, {@code timeout}, {@code sending_queue},
 * {@code retry_on_failure}, {@code default_labels_enabled}), plus Sluice's keys for what becomes
 * a label and how many streams there may be.
 *
 * <p>Every log record goes to one Loki stream, named by its labels: the default labels that are
 * enabled, the resource attributes listed in {@code labels.resource} or in the resource's
 * {@code loki.resource.labels} hint, and the record attributes listed in
 * {@code labels.attributes} or in a {@code loki.attribute.labels} hint (on the resource or the
 * record). Label names are made valid for Loki ({@code [a-zA-Z_][a-zA-Z0-9_]*}: every other
 * character becomes {@code _}, a leading digit gets a {@code _} before it). Everything else about
 * the record goes as structured metadata, or in the line for the {@code json} and {@code logfmt}
 * formats. The {@code loki.*} hint attributes themselves go nowhere.
 *
 * @param endpoint the push URL, written in full as for the Collector's exporter, such as
 *     {@code http://loki:3100/loki/api/v1/push}
 * @param encoding {@code protobuf} (default: a snappy-compressed {@code PushRequest}) or {@code json}
 * @param headers sent with every request
 * @param tenant the {@code X-Scope-OrgID} header; empty (default) sends none. A resource's
 *     {@code loki.tenant} hint names a resource attribute whose value is the tenant instead
 * @param defaultLabelsEnabled which of the default labels each stream gets (all by default):
 *     {@code exporter} ("OTLP"), {@code job} ({@code service.namespace/service.name}, or
 *     {@code service.name}), {@code instance} ({@code service.instance.id}) and {@code level}
 *     (the severity text in lower case, else the severity number's name: trace, debug, info,
 *     warn, error, fatal)
 * @param labels {@code resource} and {@code attributes}: maps from an attribute name to the label
 *     name it becomes; an empty value uses the attribute name made valid
 *     ({@code service.name} → {@code service_name})
 * @param format the line: {@code raw} (default: the body as text, every attribute not made a label
 *     in structured metadata), {@code json} or {@code logfmt} (body, trace and span id, severity,
 *     record and resource attributes in the line, as the Collector's exporter writes it; only
 *     trace and span id in structured metadata). A {@code loki.format} hint on the resource or
 *     the record overrides it
 * @param maxStreams the most streams this exporter keeps active (default 5000); a record that
 *     would open another goes out in its tenant's overflow stream {@code {sluice_overflow="true"}}
 *     with the labels it would have had in its structured metadata, counted in
 *     {@code sluice_exporter_loki_overflow_items_total} and warned about once
 * @param streamIdleTimeout a stream not written for this long is no longer active (default 30m,
 *     Loki's {@code chunk_idle_period}); it counts again when it comes back
 * @param timeout how long one request may take (default 30s); 0 means no limit
 * @param tls TLS for {@code https} endpoints
 * @param auth {@code authenticator}: a {@code basicauth} or {@code bearertokenauth} extension
 *     listed in {@code service.extensions}; null (default) sends no credentials besides {@code headers}
 * @param sendingQueue the exporter helper's queue; {@code num_consumers} requests are in flight at
 *     once, at most one per stream
 * @param retryOnFailure retries on 429, 5xx and timeouts, waiting at least {@code Retry-After}
 */
public record LokiExporterConfig(
    String endpoint,
    String encoding,
    Map<String, String> headers,
    String tenant,
    DefaultLabelsEnabled defaultLabelsEnabled,
    Labels labels,
    String format,
    int maxStreams,
    Duration streamIdleTimeout,
    Duration timeout,
    TlsClientSettings tls,
    AuthSettings auth,
    QueueSettings sendingQueue,
    RetrySettings retryOnFailure) implements ComponentConfig {

  static final Set<String> FORMATS = Set.of("raw", "json", "logfmt");

  /** {@code default_labels_enabled}: each default label on unless set false. */
  public record DefaultLabelsEnabled(Boolean exporter, Boolean job, Boolean instance, Boolean level) {
    public DefaultLabelsEnabled {
      exporter = exporter == null || exporter;
      job = job == null || job;
      instance = instance == null || instance;
      level = level == null || level;
    }

    static DefaultLabelsEnabled all() {
      return new DefaultLabelsEnabled(true, true, true, true);
    }
  }

  /** {@code labels}: attribute name → label name (empty: the attribute name made valid). */
  public record Labels(Map<String, String> resource, Map<String, String> attributes) {
    public Labels {
      resource = copy(resource);
      attributes = copy(attributes);
    }

    private static Map<String, String> copy(Map<String, String> m) {
      if (m == null) {
        return Map.of();
      }
      Map<String, String> c = new LinkedHashMap<>();
      m.forEach((k, v) -> c.put(k, v == null ? "" : v.trim()));
      return Collections.unmodifiableMap(c);
    }

    static Labels none() {
      return new Labels(Map.of(), Map.of());
    }
  }

  public LokiExporterConfig {
    endpoint = endpoint == null ? "" : endpoint.trim();
    encoding = encoding == null ? "protobuf" : encoding.trim();
    headers = headers == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(headers));
    tenant = tenant == null ? "" : tenant.trim();
    defaultLabelsEnabled = defaultLabelsEnabled == null ? DefaultLabelsEnabled.all() : defaultLabelsEnabled;
    labels = labels == null ? Labels.none() : labels;
    format = format == null ? "raw" : format.trim();
    tls = tls == null ? TlsClientSettings.defaults() : tls;
    sendingQueue = sendingQueue == null ? QueueSettings.defaults() : sendingQueue;
    retryOnFailure = retryOnFailure == null ? RetrySettings.defaults() : retryOnFailure;
  }

  /** The defaults; an endpoint must be set. */
  public static LokiExporterConfig defaults() {
    return new LokiExporterConfig("", "protobuf", Map.of(), "", DefaultLabelsEnabled.all(), Labels.none(), "raw",
        5000, Duration.ofMinutes(30), Duration.ofSeconds(30), TlsClientSettings.defaults(), null,
        QueueSettings.defaults(), RetrySettings.defaults());
  }

  /** The same config sending to {@code newEndpoint}. */
  public LokiExporterConfig withEndpoint(String newEndpoint) {
    return new LokiExporterConfig(newEndpoint, encoding, headers, tenant, defaultLabelsEnabled, labels, format,
        maxStreams, streamIdleTimeout, timeout, tls, auth, sendingQueue, retryOnFailure);
  }

  boolean json() {
    return encoding.equals("json");
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (endpoint.isEmpty()) {
      problems.add(new ConfigProblem("endpoint", "is required: Loki's push URL, such as"
          + " \"http://loki:3100/loki/api/v1/push\""));
    } else {
      HttpConfigChecks.checkUrl(problems, "endpoint", endpoint, "http://loki:3100/loki/api/v1/push");
    }
    if (!encoding.equals("protobuf") && !encoding.equals("json")) {
      problems.add(new ConfigProblem("encoding", "\"" + encoding + "\" is not supported; use \"protobuf\""
          + " (snappy-compressed, the default) or \"json\""));
    }
    HttpConfigChecks.checkHeaders(problems, "headers", headers);
    if (tenant.length() > 150 || tenant.indexOf('|') >= 0 || tenant.chars().anyMatch(c -> c < 0x20)) {
      problems.add(new ConfigProblem("tenant", "\"" + tenant + "\" is not a Loki tenant id: at most 150"
          + " characters, one tenant (no '|'), no control characters"));
    }
    checkLabels(problems, "labels.resource", labels.resource());
    checkLabels(problems, "labels.attributes", labels.attributes());
    if (!FORMATS.contains(format)) {
      problems.add(new ConfigProblem("format", "\"" + format + "\" is not supported; use \"raw\", \"json\" or"
          + " \"logfmt\""));
    }
    if (maxStreams < 1) {
      problems.add(new ConfigProblem("max_streams", "must be at least 1, got " + maxStreams));
    }
    if (streamIdleTimeout == null || streamIdleTimeout.isNegative() || streamIdleTimeout.isZero()) {
      problems.add(new ConfigProblem("stream_idle_timeout", "must be a positive duration such as \"30m\""));
    }
    if (timeout == null || timeout.isNegative()) {
      problems.add(new ConfigProblem("timeout", "must be a duration such as \"30s\" (0 means no limit)"));
    }
    problems.addAll(tls.validate("tls"));
    if (auth != null) {
      problems.addAll(auth.validate("auth"));
    }
    problems.addAll(sendingQueue.validate("sending_queue"));
    problems.addAll(retryOnFailure.validate("retry_on_failure"));
    return problems;
  }

  private static void checkLabels(List<ConfigProblem> problems, String key, Map<String, String> m) {
    for (Map.Entry<String, String> e : m.entrySet()) {
      String label = e.getValue();
      if (!label.isEmpty() && !LokiLabels.isValidName(label)) {
        problems.add(new ConfigProblem(key + "." + e.getKey(), "\"" + label + "\" is not a Loki label name;"
            + " use letters, digits and '_', not starting with a digit, such as \""
            + LokiLabels.sanitize(label) + "\" (or leave it empty to use the attribute name made valid)"));
      }
    }
  }
}
