package io.sluice.receiver.kafka;

import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.core.telemetry.SelfMetrics;
import java.util.Collection;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Per assigned partition of each kafka receiver: {@code sluice_receiver_kafka_partition_lag}
 * (records in the partition after the last one the pipeline acknowledged, from the brokers' end
 * offsets every 2 s) and
 * {@code sluice_receiver_kafka_partition_paused} (1 while the receiver holds the partition back
 * because its pipeline pushes back). One pair of gauges per self-metrics registry; a receiver
 * created again for the same id (after a config reload) replaces its series.
 */
final class PartitionGauges {
  private static final Map<PrometheusRegistry, PartitionGauges> BY_REGISTRY = new WeakHashMap<>();

  private final Map<String, Supplier<Collection<PartitionWorker>>> receivers = new ConcurrentHashMap<>();

  private PartitionGauges() {
  }

  static synchronized void register(SelfMetrics metrics, String componentId,
      Supplier<Collection<PartitionWorker>> partitions) {
    PartitionGauges gauges = BY_REGISTRY.computeIfAbsent(metrics.registry(), r -> {
      PartitionGauges g = new PartitionGauges();
      GaugeWithCallback.builder()
          .name("sluice_receiver_kafka_partition_lag")
          .help("Records in an assigned Kafka partition after the last one the receiver's pipeline acknowledged.")
          .labelNames("component_id", "topic", "partition")
          .callback(cb -> g.receivers.forEach((id, p) -> p.get().forEach(w -> {
            long lag = w.lag;
            if (lag >= 0) {
              cb.call(lag, id, w.tp.topic(), Integer.toString(w.tp.partition()));
            }
          })))
          .register(r);
      GaugeWithCallback.builder()
          .name("sluice_receiver_kafka_partition_paused")
          .help("1 while a kafka receiver holds an assigned partition back because its pipeline pushes back.")
          .labelNames("component_id", "topic", "partition")
          .callback(cb -> g.receivers.forEach((id, p) -> p.get().forEach(w -> cb.call(w.paused ? 1 : 0, id,
              w.tp.topic(), Integer.toString(w.tp.partition())))))
          .register(r);
      return g;
    });
    gauges.receivers.put(componentId, partitions);
  }
}
