package io.sluice.core.config;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code service.telemetry}: the gateway's own metrics and logs, with the Collector's keys and
 * defaults.
 *
 * @param metrics {@code service.telemetry.metrics}
 * @param logs {@code service.telemetry.logs}
 * @param resource {@code service.telemetry.resource}: accepted for Collector configs, not used
 */
public record TelemetryConfig(Metrics metrics, Logs logs, Map<String, Object> resource) implements ComponentConfig {

  public TelemetryConfig {
    metrics = metrics == null ? Metrics.DEFAULT : metrics;
    logs = logs == null ? Logs.DEFAULT : logs;
    resource = resource == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(resource));
  }

  /** The settings when {@code service.telemetry} is left out. */
  public static final TelemetryConfig DEFAULT = new TelemetryConfig(Metrics.DEFAULT, Logs.DEFAULT, Map.of());

  /** How much the gateway records about itself. */
  public enum MetricsLevel {
    NONE,
    BASIC,
    NORMAL,
    DETAILED
  }

  /** The lowest level of the gateway's log lines that are written. */
  public enum LogLevel {
    DEBUG,
    INFO,
    WARN,
    ERROR
  }

  /** How log lines are written: plain text or one JSON object per line. */
  public enum LogEncoding {
    CONSOLE,
    JSON
  }

  /**
   * @param address where {@code /metrics} is served, {@code host:port}; default {@code localhost:8888}
   * @param level how much is recorded; default {@code normal}; {@code none} serves nothing
   */
  public record Metrics(String address, MetricsLevel level) {
    public static final Metrics DEFAULT = new Metrics("localhost:8888", MetricsLevel.NORMAL);
  }

  /**
   * @param level default {@code info}
   * @param encoding default {@code console}
   */
  public record Logs(LogLevel level, LogEncoding encoding) {
    public static final Logs DEFAULT = new Logs(LogLevel.INFO, LogEncoding.CONSOLE);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (metrics.level() != MetricsLevel.NONE) {
      String address = metrics.address() == null ? "" : metrics.address();
      int colon = address.lastIndexOf(':');
      String port = colon < 0 ? "" : address.substring(colon + 1);
      if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) > 65535) {
        problems.add(new ConfigProblem("metrics.address", "\"" + address
            + "\" is not a host:port address; write it like \"localhost:8888\" or \"0.0.0.0:8888\""));
      }
    }
    return problems;
  }
}
