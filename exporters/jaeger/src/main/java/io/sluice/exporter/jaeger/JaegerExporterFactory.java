package io.sluice.exporter.jaeger;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.ExporterHelper;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code jaeger} exporters: traces to a Jaeger collector over its {@code api_v2} gRPC API
 * ({@code jaeger.api_v2.CollectorService/PostSpans}), one call per process, through the exporter
 * helper's queue and retries.
 */
public final class JaegerExporterFactory implements ExporterFactory<JaegerExporterConfig> {
  @Override
  public String type() {
    return "jaeger";
  }

  @Override
  public Class<JaegerExporterConfig> configClass() {
    return JaegerExporterConfig.class;
  }

  @Override
  public JaegerExporterConfig defaultConfig() {
    return JaegerExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.of(Signal.TRACES);
  }

  @Override
  public Exporter create(ComponentContext ctx, JaegerExporterConfig config) {
    JaegerExporter sender = new JaegerExporter(ctx, config);
    long max = config.maxRequestSize();
    ExporterHelper helper = ExporterHelper.builder(ctx, sender)
        .timeout(config.timeout())
        .queue(config.sendingQueue())
        .retry(config.retryOnFailure())
        .onStart(sender::start)
        .onShutdown(sender::shutdown)
        .requestSplitter(b -> JaegerExporter.byProcess(b, max))
        .build();
    sender.bind(helper.context());
    return helper;
  }
}
