package io.sluice.processor.cardinalitylimit;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.processor.seriesstate.WallClock;
import java.util.Set;

/**
 * Makes {@code cardinality_limit} processors: they let at most so many series per metric name and
 * in total through, fold the points of further series into one overflow series per metric
 * ({@code otel.metric.overflow=true}), and free the slot of a series that goes quiet.
 */
public final class CardinalityLimitProcessorFactory implements ProcessorFactory<CardinalityLimitProcessorConfig> {
  @Override
  public String type() {
    return "cardinality_limit";
  }

  @Override
  public Class<CardinalityLimitProcessorConfig> configClass() {
    return CardinalityLimitProcessorConfig.class;
  }

  @Override
  public CardinalityLimitProcessorConfig defaultConfig() {
    return CardinalityLimitProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return Set.of(Signal.METRICS);
  }

  @Override
  public Processor create(ComponentContext ctx, CardinalityLimitProcessorConfig config, Signal signal, Consumer next) {
    return new CardinalityLimitProcessor(ctx, config, next, WallClock::epochNanos);
  }
}
