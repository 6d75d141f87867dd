package io.sluice.core.health;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.util.HostPort;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code health_check} extension's config, with the Collector's keys.
 *
 * @param endpoint where to listen, {@code localhost:13133} by default
 * @param path the path that reports health besides {@code /healthz} and {@code /readyz}
 */
public record HealthCheckConfig(String endpoint, String path) implements ComponentConfig {
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
    return problems;
  }
}
