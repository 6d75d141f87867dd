package io.sluice.exporter.otlphttp;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.ExporterHelper;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code otlphttp} exporters: OTLP over HTTP (protobuf or JSON) to a Collector or any
 * OTLP/HTTP backend. One instance serves every pipeline that names it, for traces, metrics and
 * logs alike.
 */
public final class OtlpHttpExporterFactory implements ExporterFactory<OtlpHttpExporterConfig> {
  @Override
  public String type() {
    return "otlphttp";
  }

  /** The name newer Collector releases give this exporter; both load. */
  @Override
  public Set<String> aliases() {
    return Set.of("otlp_http");
  }

  @Override
  public Class<OtlpHttpExporterConfig> configClass() {
    return OtlpHttpExporterConfig.class;
  }

  @Override
  public OtlpHttpExporterConfig defaultConfig() {
    return OtlpHttpExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Exporter create(ComponentContext ctx, OtlpHttpExporterConfig config) {
    OtlpHttpExporter sender = new OtlpHttpExporter(ctx, config);
    ExporterHelper helper = ExporterHelper.builder(ctx, sender)
        .timeout(config.timeout())
        .queue(config.sendingQueue())
        .retry(config.retryOnFailure())
        .onStart(sender::start)
        .onShutdown(sender::shutdown)
        .build();
    sender.bind(helper.context());
    return helper;
  }
}
