package io.sluice.processor.relabel;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code relabel} processors: they run Prometheus {@code metric_relabel_configs} over the
 * labels of every metric data point (the metric name as {@code __name__}, the point's attributes,
 * and {@code job}/{@code instance} from the resource), drop the points whose series is dropped and
 * write changed labels back. Metrics only.
 */
public final class RelabelProcessorFactory implements ProcessorFactory<RelabelProcessorConfig> {
  @Override
  public String type() {
    return "relabel";
  }

  @Override
  public Class<RelabelProcessorConfig> configClass() {
    return RelabelProcessorConfig.class;
  }

  @Override
  public RelabelProcessorConfig defaultConfig() {
    return RelabelProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.of(Signal.METRICS);
  }

  @Override
  public Processor create(ComponentContext ctx, RelabelProcessorConfig config, Signal signal, Consumer next) {
    if (signal != Signal.METRICS) {
      throw new IllegalArgumentException("the relabel processor \"" + ctx.id() + "\" handles metrics only, not "
          + signal);
    }
    return new RelabelProcessor(ctx, config, next);
  }
}
