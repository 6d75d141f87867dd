package io.sluice.core.health;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.tls.TlsServerSettings;
import io.sluice.core.util.HostPort;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code health_check} extension's config, with the Collector's keys.
 *
 * @param endpoint where to listen, {@code localhost:13133} by default
 * @param path the path that reports health besides {@code /healthz} and {@code /readyz}
 * @param tls TLS of the health endpoint; null serves plaintext
 */
public record HealthCheckConfig(String endpoint, String path, TlsServerSettings tls) implements ComponentConfig {
  /** Served in plaintext. */
  public HealthCheckConfig(String endpoint, String path) {
    this(endpoint, path, null);
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
    return problems;
  }
}
