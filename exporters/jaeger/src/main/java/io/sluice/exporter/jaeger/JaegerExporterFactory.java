package io.sluice.exporter.jaeger;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.ExporterHelper;
import io.sluice.exporter.otlp.GrpcClientChannel;
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
    GrpcClientChannel.Owner channel = new GrpcClientChannel.Owner(ctx, config, "spans over Jaeger's gRPC API");
    long max = config.maxRequestSize();
    ExporterHelper helper = ExporterHelper.builder(ctx, new JaegerExporter(ctx, config, channel))
        .timeout(config.timeout())
        .queue(config.sendingQueue())
        .retry(config.retryOnFailure())
        .onStart(channel::open)
        .onShutdown(channel::close)
        .requestSplitter(b -> JaegerExporter.byProcess(b, max))
        .build();
    channel.bind(helper.context());
    return helper;
  }
}
