package io.sluice.core.config;

import io.sluice.core.ComponentId;
import io.sluice.core.Signal;
import java.util.List;

/**
 * One pipeline of {@code service.pipelines}.
 *
 * @param id the pipeline id as written: {@code traces} or {@code traces/name}
 * @param signal the signal the pipeline carries
 * @param receivers the receivers and connectors (used as receivers) feeding it, in config order
 * @param processors its processors, in the order data passes through them
 * @param exporters the exporters and connectors (used as exporters) it sends to, in config order
 */
public record PipelineConfig(
    String id, Signal signal, List<ComponentId> receivers, List<ComponentId> processors, List<ComponentId> exporters) {

  public PipelineConfig {
    receivers = List.copyOf(receivers);
    processors = List.copyOf(processors);
    exporters = List.copyOf(exporters);
  }
}
