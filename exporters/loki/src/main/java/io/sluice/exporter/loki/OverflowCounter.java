package io.sluice.exporter.loki;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.core.telemetry.SelfMetrics;
import java.util.Map;
import java.util.WeakHashMap;

/**
 * {@code sluice_exporter_loki_overflow_items_total}: log records a Loki exporter sent in an
 * overflow stream because {@code max_streams} streams were active. One counter per self-metrics
 * registry, a series per exporter.
 */
final class OverflowCounter {
  static final String NAME = "sluice_exporter_loki_overflow_items_total";
  private static final Map<PrometheusRegistry, OverflowCounter> BY_REGISTRY = new WeakHashMap<>();

  private final Counter counter;

  private OverflowCounter(Counter counter) {
    this.counter = counter;
  }

  static synchronized OverflowCounter register(SelfMetrics metrics, String componentId) {
    OverflowCounter c = BY_REGISTRY.computeIfAbsent(metrics.registry(), r -> new OverflowCounter(Counter.builder()
        .name(NAME)
        .help("Log records a Loki exporter folded into its overflow stream because max_streams streams were active.")
        .labelNames("component_id")
        .register(r)));
    c.counter.labelValues(componentId); // the series shows 0 from the start
    return c;
  }

  void add(String componentId, long items) {
    counter.labelValues(componentId).inc(items);
  }
}
