package io.sluice.processor.seriesstate;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.core.telemetry.SelfMetrics;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.DoubleSupplier;

/**
 * Self-metric gauges with a series per processor instance ({@code component_id}, {@code pipeline}):
 * one gauge per name and self-metrics registry, registered with the first instance. An instance
 * made again for the same id and pipeline (after a config reload) replaces its series; one that
 * shuts down removes it.
 */
public final class SharedGauges {
  private static final Map<PrometheusRegistry, Map<String, Map<List<String>, DoubleSupplier>>> BY_REGISTRY =
      new WeakHashMap<>();

  private SharedGauges() {}

  public static synchronized void register(SelfMetrics metrics, String name, String help, String componentId,
      String pipeline, DoubleSupplier value) {
    Map<String, Map<List<String>, DoubleSupplier>> gauges =
        BY_REGISTRY.computeIfAbsent(metrics.registry(), r -> new ConcurrentHashMap<>());
    Map<List<String>, DoubleSupplier> series = gauges.computeIfAbsent(name, n -> {
      Map<List<String>, DoubleSupplier> s = new ConcurrentHashMap<>();
      GaugeWithCallback.builder()
          .name(n)
          .help(help)
          .labelNames("component_id", "pipeline")
          .callback(cb -> s.forEach((labels, v) -> cb.call(v.getAsDouble(), labels.get(0), labels.get(1))))
          .register(metrics.registry());
      return s;
    });
    series.put(List.of(componentId, pipeline), value);
  }

  /** Removes the series of one instance (it shut down); a later one with the same id may register again. */
  public static synchronized void unregister(SelfMetrics metrics, String name, String componentId, String pipeline,
      DoubleSupplier value) {
    Map<String, Map<List<String>, DoubleSupplier>> gauges = BY_REGISTRY.get(metrics.registry());
    Map<List<String>, DoubleSupplier> series = gauges == null ? null : gauges.get(name);
    if (series != null) {
      series.remove(List.of(componentId, pipeline), value);
    }
  }
}
