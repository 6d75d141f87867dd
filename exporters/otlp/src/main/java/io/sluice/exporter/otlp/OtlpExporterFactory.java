package io.sluice.exporter.otlp;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.ExporterHelper;
import io.sluice.core.otlp.EncodedResources;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * Makes {@code otlp} exporters: OTLP over gRPC to a Collector or any OTLP backend. One instance
 * serves every pipeline that names it, for traces, metrics and logs alike.
 */
public final class OtlpExporterFactory implements ExporterFactory<OtlpExporterConfig> {
  @Override
  public String type() {
    return "otlp";
  }

  /** The name newer Collector releases give this exporter; both load. */
  @Override
  public Set<String> aliases() {
    return Set.of("otlp_grpc");
  }

  @Override
  public Class<OtlpExporterConfig> configClass() {
    return OtlpExporterConfig.class;
  }

  @Override
  public OtlpExporterConfig defaultConfig() {
    return OtlpExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Exporter create(ComponentContext ctx, OtlpExporterConfig config) {
    GrpcClientChannel.Owner channel = new GrpcClientChannel.Owner(ctx, config, "OTLP over gRPC");
    ExporterHelper helper = ExporterHelper.builder(ctx, new OtlpExporter(ctx, config, channel))
        .timeout(config.timeout())
        .queue(config.sendingQueue())
        .retry(config.retryOnFailure())
        .onStart(channel::open)
        .onShutdown(channel::close)
        .requestSplitter(config.maxRequestSize() > 0 ? b -> splitBySize(b, config.maxRequestSize()) : null)
        .build();
    channel.bind(helper.context());
    return helper;
  }

  /** A batch as requests of at most {@code max} bytes, cut in its encoded bytes. */
  static List<Batch> splitBySize(Batch batch, long max) {
    EncodedResources all = batch.encoded();
    if (all.requestBytes() <= max) {
      return List.of(batch);
    }
    List<EncodedResources> parts = all.splitBySize(max);
    List<Batch> out = new ArrayList<>(parts.size());
    for (EncodedResources p : parts) {
      out.add(batch.withEncoded(p));
    }
    return out;
  }
}
