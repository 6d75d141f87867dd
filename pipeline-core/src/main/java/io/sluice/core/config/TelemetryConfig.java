package io.sluice.core.config;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.tls.TlsServerSettings;
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
   * @param readers the Collector's newer way to say where metrics are served: a {@code pull}
   *     reader with a {@code prometheus} exporter gives the address instead of {@code address}
   * @param tls serve {@code /metrics} over TLS (a Sluice key; the Collector has none here); null for plaintext
   */
  public record Metrics(String address, MetricsLevel level, List<Reader> readers, TlsServerSettings tls) {
    public static final Metrics DEFAULT = new Metrics("localhost:8888", MetricsLevel.NORMAL, List.of(), null);

    public Metrics {
      readers = readers == null ? List.of() : List.copyOf(readers);
    }

    /** Where {@code /metrics} is served: the pull reader's host and port when there is one, else {@code address}. */
    public String servingAddress() {
      for (Reader r : readers) {
        if (r != null && r.pull() != null && r.pull().exporter() != null && r.pull().exporter().prometheus() != null) {
          PrometheusPull p = r.pull().exporter().prometheus();
          String host = p.host() == null || p.host().isEmpty() ? "localhost" : p.host();
          return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + p.port();
        }
      }
      return address;
    }
  }

  /** One entry of {@code service.telemetry.metrics.readers}; Sluice serves its metrics by pull only. */
  public record Reader(Pull pull, Map<String, Object> periodic) {}

  /** {@code readers[].pull}. */
  public record Pull(PullExporter exporter) {}

  /** {@code readers[].pull.exporter}. */
  public record PullExporter(PrometheusPull prometheus) {}

  /**
   * {@code readers[].pull.exporter.prometheus}: where the Prometheus endpoint listens. The
   * Collector's naming switches are accepted and have no effect: Sluice's names are fixed.
   */
  public record PrometheusPull(String host, int port, Boolean withoutTypeSuffix, Boolean withoutUnits,
      Boolean withoutScopeInfo) {}

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
    for (int i = 0; i < metrics.readers().size(); i++) {
      Reader r = metrics.readers().get(i);
      String at = "metrics.readers[" + i + "]";
      if (r == null || r.pull() == null) {
        problems.add(new ConfigProblem(at, "Sluice serves its metrics by pull only: write"
            + " \"pull: {exporter: {prometheus: {host: localhost, port: 8888}}}\""));
      } else if (r.pull().exporter() == null || r.pull().exporter().prometheus() == null) {
        problems.add(new ConfigProblem(at + ".pull", "needs \"exporter: {prometheus: {host: ..., port: ...}}\""));
      } else {
        int port = r.pull().exporter().prometheus().port();
        if (port < 1 || port > 65535) {
          problems.add(new ConfigProblem(at + ".pull.exporter.prometheus.port",
              "must be a port from 1 to 65535, got " + port));
        }
      }
    }
    if (metrics.level() != MetricsLevel.NONE && metrics.readers().isEmpty()) {
      try {
        io.sluice.core.util.HostPort.parse(metrics.address());
      } catch (IllegalArgumentException e) {
        problems.add(new ConfigProblem("metrics.address", e.getMessage()));
      }
    }
    if (metrics.tls() != null) {
      problems.addAll(metrics.tls().validate("metrics.tls"));
    }
    return problems;
  }
}
