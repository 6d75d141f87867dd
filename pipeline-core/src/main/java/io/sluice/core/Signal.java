package io.sluice.core;

import java.util.Locale;

/** The three telemetry signals a pipeline carries, named as in the Collector's config. */
public enum Signal {
  TRACES("traces", "spans"),
  METRICS("metrics", "metric points"),
  LOGS("logs", "log records");

  private final String configName;
  private final String itemName;

  Signal(String configName, String itemName) {
    this.configName = configName;
    this.itemName = itemName;
  }

  /** The name used in {@code service.pipelines} ids and in metric labels: traces, metrics, logs. */
  public String configName() {
    return configName;
  }

  /** What one item of this signal is called in logs: spans, metric points, log records. */
  public String itemName() {
    return itemName;
  }

  /** Parses a pipeline signal name; returns null when it is not one. */
  public static Signal fromConfigName(String name) {
    for (Signal s : values()) {
      if (s.configName.equals(name.toLowerCase(Locale.ROOT))) {
        return s;
      }
    }
    return null;
  }

  @Override
  public String toString() {
    return configName;
  }
}
