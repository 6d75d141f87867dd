package io.sluice.exporter.debug;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code debug} exporters: they write each batch of traces, metrics or logs to the log
 * (logger {@code io.sluice.exporter.debug}) as a count, one line per item, or every field.
 */
public final class DebugExporterFactory implements ExporterFactory<DebugExporterConfig> {
  @Override
  public String type() {
    return "debug";
  }

  @Override
  public Class<DebugExporterConfig> configClass() {
    return DebugExporterConfig.class;
  }

  @Override
  public DebugExporterConfig defaultConfig() {
    return DebugExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Exporter create(ComponentContext ctx, DebugExporterConfig config) {
    return new DebugExporter(ctx, config, System::nanoTime);
  }
}
