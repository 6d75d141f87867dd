package io.sluice.connector.spanmetrics;

import io.sluice.core.ComponentContext;
import io.sluice.core.Connector;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.Consumer;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code spanmetrics} connectors: the exporter of traces pipelines and the receiver of
 * metrics pipelines, turning spans into request, error and duration metrics
 * ({@code traces.span.metrics.calls}, {@code .duration}, {@code .events}) as the Collector's
 * connector of that name does.
 */
public final class SpanMetricsConnectorFactory implements ConnectorFactory<SpanMetricsConnectorConfig> {
  @Override
  public String type() {
    return "spanmetrics";
  }

  @Override
  public Class<SpanMetricsConnectorConfig> configClass() {
    return SpanMetricsConnectorConfig.class;
  }

  @Override
  public SpanMetricsConnectorConfig defaultConfig() {
    return SpanMetricsConnectorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.of(Signal.TRACES);
  }

  @Override
  public boolean supports(Signal from, Signal to) {
    return from == Signal.TRACES && to == Signal.METRICS;
  }

  @Override
  public Connector create(ComponentContext ctx, SpanMetricsConnectorConfig config, Signal from, Signal to,
      Consumer next) {
    if (!supports(from, to)) {
      throw new IllegalArgumentException("spanmetrics turns traces into metrics, not " + from + " into " + to);
    }
    return new SpanMetricsConnector(ctx, config, next);
  }
}
