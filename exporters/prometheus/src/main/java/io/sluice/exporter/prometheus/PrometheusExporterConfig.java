package io.sluice.exporter.prometheus;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.tls.TlsServerSettings;
import io.sluice.core.util.HostPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Config of the {@code prometheus} (pull) exporter, with the Collector's key names and defaults.
 *
 * @param endpoint where the scrape endpoint listens, {@code host:port}; required
 * @param namespace prefix for every metric name; empty for none
 * @param constLabels labels added to every series that does not have them already
 * @param sendTimestamps write each sample's timestamp (the time of its data point)
 * @param metricExpiration how long a series that receives no new point stays exposed
 * @param resourceToTelemetryConversion copy all resource attributes onto every series
 * @param enableOpenMetrics serve OpenMetrics 1.0 to scrapers that ask for it
 * @param addMetricSuffixes unit, {@code _total} and {@code _ratio} suffixes on metric names
 * @param tls TLS of the scrape endpoint; null serves plaintext
 */
public record PrometheusExporterConfig(
    String endpoint,
    String namespace,
    Map<String, String> constLabels,
    boolean sendTimestamps,
    Duration metricExpiration,
    ResourceToTelemetryConversion resourceToTelemetryConversion,
    boolean enableOpenMetrics,
    boolean addMetricSuffixes,
    TlsServerSettings tls)
    implements ComponentConfig {

  private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");

  /** The {@code resource_to_telemetry_conversion} section. */
  public record ResourceToTelemetryConversion(boolean enabled) {}

  public PrometheusExporterConfig {
    namespace = namespace == null ? "" : namespace;
    constLabels = constLabels == null ? Map.of() : Map.copyOf(constLabels);
  }

  /** Served in plaintext. */
  public PrometheusExporterConfig(String endpoint, String namespace, Map<String, String> constLabels,
      boolean sendTimestamps, Duration metricExpiration, ResourceToTelemetryConversion resourceToTelemetryConversion,
      boolean enableOpenMetrics, boolean addMetricSuffixes) {
    this(endpoint, namespace, constLabels, sendTimestamps, metricExpiration, resourceToTelemetryConversion,
        enableOpenMetrics, addMetricSuffixes, null);
  }

  /** The Collector's defaults; the endpoint has none and must be given. */
  public static PrometheusExporterConfig defaults() {
    return new PrometheusExporterConfig(null, "", Map.of(), false, Duration.ofMinutes(5),
        new ResourceToTelemetryConversion(false), false, true);
  }

  /** The parsed endpoint; call only on a valid config. */
  public HostPort hostPort() {
    return HostPort.parse(endpoint);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (endpoint == null || endpoint.isBlank()) {
      problems.add(new ConfigProblem("endpoint", "is required; give the address to serve /metrics on, such as"
          + " \"0.0.0.0:8889\""));
    } else {
      try {
        HostPort.parse(endpoint);
      } catch (IllegalArgumentException e) {
        problems.add(new ConfigProblem("endpoint", e.getMessage()));
      }
    }
    if (metricExpiration == null || metricExpiration.isNegative() || metricExpiration.isZero()) {
      problems.add(new ConfigProblem("metric_expiration", metricExpiration
          + " is not positive; give how long an idle series stays exposed, such as 5m"));
    }
    for (Map.Entry<String, String> e : constLabels.entrySet()) {
      if (!LABEL_NAME.matcher(e.getKey()).matches() || e.getKey().startsWith("__")) {
        problems.add(new ConfigProblem("const_labels." + e.getKey(),
            "is not a valid label name; use letters, digits and '_', not starting with a digit or \"__\""));
      } else if (e.getValue() == null || e.getValue().isEmpty()) {
        problems.add(new ConfigProblem("const_labels." + e.getKey(), "has an empty value; give a value or leave"
            + " the label out"));
      }
    }
    if (tls != null) {
      problems.addAll(tls.validate("tls"));
    }
    if (resourceToTelemetryConversion == null) {
      problems.add(new ConfigProblem("resource_to_telemetry_conversion", "is empty; leave the key out to keep"
          + " it off"));
    }
    return problems;
  }
}
