package io.sluice.processor.attributes;

import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes {@code attributes} processors, as in the Collector: actions (insert, update, upsert,
 * delete, hash, extract, convert) on the attributes of spans, log records and metric data points,
 * limited by {@code include}/{@code exclude}. See {@link AttributesProcessorConfig}.
 */
public final class AttributesProcessorFactory implements ProcessorFactory<AttributesProcessorConfig> {
  private static final Logger LOG = LoggerFactory.getLogger(AttributesProcessorFactory.class);

  @Override
  public String type() {
    return "attributes";
  }

  @Override
  public Class<AttributesProcessorConfig> configClass() {
    return AttributesProcessorConfig.class;
  }

  @Override
  public AttributesProcessorConfig defaultConfig() {
    return AttributesProcessorConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Processor create(ComponentContext ctx, AttributesProcessorConfig config, Signal signal, Consumer next) {
    AttributesTransform transform = new AttributesTransform(config, signal);
    List<String> ignored = transform.ignoredProperties();
    if (!ignored.isEmpty()) {
      LOG.warn("Processor \"{}\" in pipeline \"{}\" ignores {} there: they do not apply to {}", ctx.id(),
          ctx.pipeline(), String.join(", ", ignored), signal.itemName());
    }
    return new TransformProcessor(type(), ctx, signal, next, transform, config.actions().size());
  }
}
