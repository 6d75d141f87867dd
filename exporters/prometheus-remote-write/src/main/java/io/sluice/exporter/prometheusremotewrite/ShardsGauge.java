package io.sluice.exporter.prometheusremotewrite;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.core.telemetry.SelfMetrics;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntSupplier;

/**
 * {@code sluice_exporter_shards}: how many shards each remote-write exporter sends over now. One
 * gauge per self-metrics registry, with a series per exporter; an exporter created again for the
 * same id (after a config reload) replaces its series.
 */
final class ShardsGauge {
  static final String NAME = "sluice_exporter_shards";
  private static final Map<PrometheusRegistry, ShardsGauge> BY_REGISTRY = new WeakHashMap<>();

  private final Map<String, IntSupplier> exporters = new ConcurrentHashMap<>();

  private ShardsGauge() {
  }

  static synchronized void register(SelfMetrics metrics, String componentId, IntSupplier shards) {
    ShardsGauge gauge = BY_REGISTRY.computeIfAbsent(metrics.registry(), r -> {
      ShardsGauge g = new ShardsGauge();
      GaugeWithCallback.builder()
          .name(NAME)
          .help("Shards a remote-write exporter sends over: each has one request in flight at a time.")
          .labelNames("component_id")
          .callback(cb -> g.exporters.forEach((id, s) -> cb.call(s.getAsInt(), id)))
          .register(r);
      return g;
    });
    gauge.exporters.put(componentId, shards);
  }
}
