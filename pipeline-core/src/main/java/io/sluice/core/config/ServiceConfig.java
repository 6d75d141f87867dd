package io.sluice.core.config;

import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.service.ServiceGraph;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.ExporterFactory;
import io.sluice.core.ExtensionFactory;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.ReceiverFactory;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A loaded and validated config: what the gateway runs.
 *
 * <p>As in the Collector, only what the service uses is here: the receivers, processors,
 * exporters and connectors named by some pipeline, and the extensions named in
 * {@code service.extensions}. Components defined but not used were bound and validated, and are
 * not built. Maps keep the order the components were defined in.
 *
 * @param receivers the receivers used by pipelines
 * @param processors the processors used by pipelines (each pipeline builds its own instance)
 * @param exporters the exporters used by pipelines
 * @param connectors the connectors used by pipelines (as exporter of one, receiver of another)
 * @param extensions the extensions of {@code service.extensions}, in that order
 * @param pipelines the pipelines, in the order they are written
 * @param serviceExtensions the ids of {@code service.extensions}, in order
 * @param telemetry {@code service.telemetry}
 */
public record ServiceConfig(
    Map<ComponentId, BoundComponent<ReceiverFactory<?>>> receivers,
    Map<ComponentId, BoundComponent<ProcessorFactory<?>>> processors,
    Map<ComponentId, BoundComponent<ExporterFactory<?>>> exporters,
    Map<ComponentId, BoundComponent<ConnectorFactory<?>>> connectors,
    Map<ComponentId, BoundComponent<ExtensionFactory<?>>> extensions,
    List<PipelineConfig> pipelines,
    List<ComponentId> serviceExtensions,
    TelemetryConfig telemetry) implements ServiceGraph.Definition {

  public ServiceConfig {
    receivers = frozen(receivers);
    processors = frozen(processors);
    exporters = frozen(exporters);
    connectors = frozen(connectors);
    extensions = frozen(extensions);
    pipelines = List.copyOf(pipelines);
    serviceExtensions = List.copyOf(serviceExtensions);
    telemetry = telemetry == null ? TelemetryConfig.DEFAULT : telemetry;
  }

  private static <V> Map<ComponentId, V> frozen(Map<ComponentId, V> m) {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m));
  }

  @Override
  public BoundComponent<?> component(ComponentKind kind, ComponentId id) {
    return switch (kind) {
      case RECEIVER -> receivers.get(id);
      case PROCESSOR -> processors.get(id);
      case EXPORTER -> exporters.get(id);
      case CONNECTOR -> connectors.get(id);
      case EXTENSION -> extensions.get(id);
    };
  }

  /** The pipeline with this id ({@code traces/main}), or null. */
  public PipelineConfig pipeline(String id) {
    for (PipelineConfig p : pipelines) {
      if (p.id().equals(id)) {
        return p;
      }
    }
    return null;
  }
}
