package io.sluice.core.health;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.tls.TlsServerSettings;
import io.sluice.core.util.HostPort;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code health_check} extension's config, with the Collector's keys.
 *
 * @param endpoint where to listen, {@code localhost:13133} by default
 * @param path the path that reports health besides {@code /healthz} and {@code /readyz}
 * @param tls TLS of the health endpoint; null serves plaintext
 * @param responseBody the bodies answered when healthy and when not, instead of the JSON status
 * @param checkCollectorPipeline when enabled, the gateway is unhealthy for an {@code interval} in
 *     which its exporters gave up on more than {@code exporter_failure_threshold} items
 */
public record HealthCheckConfig(String endpoint, String path, TlsServerSettings tls, ResponseBody responseBody,
    PipelineCheck checkCollectorPipeline) implements ComponentConfig {
  /** Served in plaintext. */
  public HealthCheckConfig(String endpoint, String path) {
    this(endpoint, path, null);
  }

  /** With the default bodies and no pipeline check. */
  public HealthCheckConfig(String endpoint, String path, TlsServerSettings tls) {
    this(endpoint, path, tls, null, null);
  }

  public HealthCheckConfig {
    checkCollectorPipeline = checkCollectorPipeline == null ? new PipelineCheck(false, null, null)
        : checkCollectorPipeline;
  }

  /** {@code response_body}: what a healthy and an unhealthy answer say. */
  public record ResponseBody(String healthy, String unhealthy) {}

  /**
   * {@code check_collector_pipeline}.
   *
   * @param enabled off by default
   * @param interval how long a window of exporter failures is (default 5m)
   * @param exporterFailureThreshold failed items in one window past which the gateway is unhealthy (default 5)
   */
  public record PipelineCheck(boolean enabled, Duration interval, Integer exporterFailureThreshold) {
    public PipelineCheck {
      interval = interval == null ? Duration.ofMinutes(5) : interval;
      exporterFailureThreshold = exporterFailureThreshold == null ? 5 : exporterFailureThreshold;
    }
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    try {
      HostPort.parse(endpoint);
    } catch (IllegalArgumentException e) {
      problems.add(new ConfigProblem("endpoint", e.getMessage()));
    }
    if (path == null || !path.startsWith("/")) {
      problems.add(new ConfigProblem("path", "\"" + path + "\" must start with '/', such as \"/\""));
    }
    if (tls != null) {
      problems.addAll(tls.validate("tls"));
    }
    if (checkCollectorPipeline.enabled()) {
      if (checkCollectorPipeline.interval().isZero() || checkCollectorPipeline.interval().isNegative()) {
        problems.add(new ConfigProblem("check_collector_pipeline.interval", "must be a positive duration such as"
            + " \"5m\""));
      }
      if (checkCollectorPipeline.exporterFailureThreshold() < 1) {
        problems.add(new ConfigProblem("check_collector_pipeline.exporter_failure_threshold",
            checkCollectorPipeline.exporterFailureThreshold() + " is not a number of failures; give at least 1"));
      }
    }
    return problems;
  }
}
