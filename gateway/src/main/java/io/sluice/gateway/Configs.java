package io.sluice.gateway;

import io.sluice.core.ComponentFactory;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Signal;
import io.sluice.core.config.BoundComponent;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.config.ServiceConfig;
import io.sluice.core.config.TelemetryConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Loads configs with every component found on the class path, and turns them into something to run. */
final class Configs {
  private static final Factories FACTORIES = Factories.load();

  private Configs() {}

  /** A config that did not load: the message lists every problem as {@code FILE:LINE:COL: PATH: MESSAGE}. */
  static final class InvalidConfigException extends Exception {
    InvalidConfigException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  static LoadedConfig load(List<Path> files, Map<String, String> env) throws InvalidConfigException {
    ServiceConfig cfg;
    try {
      cfg = new ConfigLoader(FACTORIES, env).load(files);
    } catch (ConfigException e) {
      int n = e.errors().size();
      throw new InvalidConfigException("The config has " + n + (n == 1 ? " problem" : " problems") + ":\n"
          + e.getMessage(), e);
    }
    return toLoaded(files, cfg);
  }

  static LoadedConfig toLoaded(List<Path> files, ServiceConfig cfg) {
    TelemetryConfig t = cfg.telemetry();
    String address = t.metrics().level() == TelemetryConfig.MetricsLevel.NONE ? null : t.metrics().servingAddress();
    return new LoadedConfig(List.copyOf(files), cfg, address,
        t.logs().level().name().toLowerCase(Locale.ROOT), t.logs().encoding() == TelemetryConfig.LogEncoding.JSON,
        t.metrics().tls());
  }

  /**
   * The keys of a valid config that change nothing in Sluice, as {@code <section>.<id>.<path>:
   * <why>}, in config order.
   */
  static List<String> warnings(LoadedConfig loaded) {
    List<String> out = new ArrayList<>();
    if (!(loaded.definition() instanceof ServiceConfig cfg)) {
      return out;
    }
    Map<String, Map<ComponentId, ? extends BoundComponent<?>>> sections = new LinkedHashMap<>();
    sections.put("receivers", cfg.receivers());
    sections.put("processors", cfg.processors());
    sections.put("exporters", cfg.exporters());
    sections.put("connectors", cfg.connectors());
    sections.put("extensions", cfg.extensions());
    sections.forEach((section, components) -> {
      for (BoundComponent<?> bound : components.values()) {
        for (ConfigProblem w : bound.config().warnings()) {
          out.add(section + "." + bound.id() + "." + w.path() + ": " + w.message());
        }
      }
    });
    return out;
  }

  /** The component types of this build, one section per kind, with the signals each supports. */
  static String describeComponents() {
    StringBuilder sb = new StringBuilder();
    for (ComponentKind kind : ComponentKind.values()) {
      sb.append(kind.section()).append(":\n");
      List<ComponentFactory<?>> all = FACTORIES.all(kind);
      if (all.isEmpty()) {
        sb.append("  (none)\n");
      }
      for (ComponentFactory<?> f : all) {
        sb.append("  ").append(f.type());
        if (!f.aliases().isEmpty()) {
          sb.append(f.aliases().stream().sorted().collect(Collectors.joining(", ", " (also ", ")")));
        }
        if (!f.signals().isEmpty()) {
          sb.append("  [").append(f.signals().stream().sorted().map(Signal::configName)
              .collect(Collectors.joining(", "))).append(']');
        }
        sb.append('\n');
      }
    }
    return sb.toString();
  }

  /** Parses a Go-style duration from the command line ("30s", "2m", "1m30s"). */
  static Duration parseDuration(picocli.CommandLine cmd, String text, String option) {
    try {
      return io.sluice.core.config.GoDurations.parse(text);
    } catch (IllegalArgumentException e) {
      throw new picocli.CommandLine.ParameterException(cmd, option + ": " + e.getMessage());
    }
  }
}
