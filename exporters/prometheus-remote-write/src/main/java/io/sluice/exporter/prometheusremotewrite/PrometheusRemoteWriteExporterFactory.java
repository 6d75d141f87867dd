package io.sluice.exporter.prometheusremotewrite;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code prometheusremotewrite} exporters: metrics translated to Prometheus series and
 * pushed with remote write 1.0 or 2.0 (snappy, or zstd for receivers that take it), sharded by
 * series so samples of one series stay in order.
 */
public final class PrometheusRemoteWriteExporterFactory implements ExporterFactory<PrometheusRemoteWriteExporterConfig> {
  @Override
  public String type() {
    return "prometheusremotewrite";
  }

  /** The name newer Collector releases give this exporter; both load. */
  @Override
  public Set<String> aliases() {
    return Set.of("prometheus_remote_write");
  }

  @Override
  public Class<PrometheusRemoteWriteExporterConfig> configClass() {
    return PrometheusRemoteWriteExporterConfig.class;
  }

  @Override
  public PrometheusRemoteWriteExporterConfig defaultConfig() {
    return PrometheusRemoteWriteExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.of(Signal.METRICS);
  }

  @Override
  public Exporter create(ComponentContext ctx, PrometheusRemoteWriteExporterConfig config) {
    return new PrometheusRemoteWriteExporter(ctx, config);
  }
}
