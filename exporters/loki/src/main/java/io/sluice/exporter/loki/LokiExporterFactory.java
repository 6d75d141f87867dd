package io.sluice.exporter.loki;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.ExporterHelper;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code loki} exporters: logs to Loki's push API (or anything that takes it, such as
 * VictoriaLogs), one request per stream, one request of a stream in flight at a time.
 */
public final class LokiExporterFactory implements ExporterFactory<LokiExporterConfig> {
  /**
   * Keys the helper holds at most: every stream max_streams allows, plus overflow streams (one per
   * tenant); past that, batches wait (are refused retryably) until requests finish.
   */
  static final int EXTRA_KEYS = 1000;

  @Override
  public String type() {
    return "loki";
  }

  @Override
  public Class<LokiExporterConfig> configClass() {
    return LokiExporterConfig.class;
  }

  @Override
  public LokiExporterConfig defaultConfig() {
    return LokiExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.of(Signal.LOGS);
  }

  @Override
  public Exporter create(ComponentContext ctx, LokiExporterConfig config) {
    return create(ctx, new LokiExporter(ctx, config), config);
  }

  static ExporterHelper create(ComponentContext ctx, LokiExporter sender, LokiExporterConfig config) {
    ExporterHelper helper = ExporterHelper.builder(ctx, sender)
        .timeout(config.timeout())
        .queue(config.sendingQueue())
        .retry(config.retryOnFailure())
        .requestSplitter(sender::split)
        .requestKey(LokiExporter::keyOf)
        .maxKeys(config.maxStreams() + EXTRA_KEYS)
        .onStart(sender::start)
        .onShutdown(sender::shutdown)
        .build();
    sender.bind(helper.context());
    return helper;
  }
}
