package io.sluice.exporter.prometheus;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code prometheus} exporters: they keep the latest value of every series the pipeline
 * delivers and serve them on {@code GET /metrics} for Prometheus to scrape, in the text format
 * 0.0.4 or OpenMetrics 1.0.
 */
public final class PrometheusExporterFactory implements ExporterFactory<PrometheusExporterConfig> {
  @Override
  public String type() {
    return "prometheus";
  }

  @Override
  public Class<PrometheusExporterConfig> configClass() {
    return PrometheusExporterConfig.class;
  }

  @Override
  public PrometheusExporterConfig defaultConfig() {
    return PrometheusExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.of(Signal.METRICS);
  }

  @Override
  public Exporter create(ComponentContext ctx, PrometheusExporterConfig config) {
    return new PrometheusExporter(ctx, config, System::currentTimeMillis);
  }
}
