package io.sluice.exporter.file;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code file} exporters: they write every batch of traces, metrics and logs to one file
 * as OTLP/JSON lines or length-prefixed OTLP protobuf, optionally zstd-compressed and rotated by
 * size.
 */
public final class FileExporterFactory implements ExporterFactory<FileExporterConfig> {
  @Override
  public String type() {
    return "file";
  }

  @Override
  public Class<FileExporterConfig> configClass() {
    return FileExporterConfig.class;
  }

  @Override
  public FileExporterConfig defaultConfig() {
    return FileExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Exporter create(ComponentContext ctx, FileExporterConfig config) {
    return new FileExporter(ctx, config, Clock.systemUTC());
  }
}
