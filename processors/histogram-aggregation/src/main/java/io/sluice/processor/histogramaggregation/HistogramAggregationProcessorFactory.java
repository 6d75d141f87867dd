package io.sluice.processor.histogramaggregation;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.processor.seriesstate.WallClock;
import java.util.Set;

/**
 * Makes {@code histogram_aggregation} processors: they re-aggregate metric points over a kept (or
 * dropped) set of attributes, turn deltas into cumulative totals, write the aggregated series on an
 * interval, and optionally estimate quantile gauges from the aggregated histograms.
 */
public final class HistogramAggregationProcessorFactory
    implements ProcessorFactory<HistogramAggregationProcessorConfig> {
  @Override
  public String type() {
    return "histogram_aggregation";
  }

  @Override
  public Class<HistogramAggregationProcessorConfig> configClass() {
    return HistogramAggregationProcessorConfig.class;
  }

  @Override
  public HistogramAggregationProcessorConfig defaultConfig() {
    return HistogramAggregationProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.METRICS);
  }

  @Override
  public Processor create(ComponentContext ctx, HistogramAggregationProcessorConfig config, Signal signal,
      Consumer next) {
    return new HistogramAggregationProcessor(ctx, config, next, WallClock::epochNanos);
  }
}
