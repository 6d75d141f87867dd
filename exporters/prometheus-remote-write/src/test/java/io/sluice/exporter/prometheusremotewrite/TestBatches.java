package io.sluice.exporter.prometheusremotewrite;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.exporterhelper.RetrySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Batches and configs the sharding and fault tests share. */
final class TestBatches {
  static final long T0 = 1_700_000_000_000_000_000L;
  static final long T0_MS = 1_700_000_000_000L;

  private TestBatches() {
  }

  static KeyValue attr(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  /** One point for each of {@code series} series of the gauge {@code name} (label {@code n}), all at {@code timeNanos}. */
  static Batch gauge(String name, int series, long timeNanos, double value) {
    Gauge.Builder g = Gauge.newBuilder();
    for (int i = 0; i < series; i++) {
      g.addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(timeNanos).setAsDouble(value)
          .addAttributes(attr("n", "" + i)));
    }
    ResourceMetrics rm = ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(attr("service.name", "shop")))
        .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder().setName(name).setGauge(g))).build();
    return Batch.metrics(List.of(rm), Envelope.of(ComponentId.of("otlp")));
  }

  /** Timestamps (ms) of batches 1..count sent one millisecond apart from {@link #T0_MS}. */
  static List<Long> millisFrom1To(long count) {
    List<Long> out = new ArrayList<>();
    for (long i = 1; i <= count; i++) {
      out.add(T0_MS + i);
    }
    return out;
  }

  static RetrySettings fastRetry() {
    return new RetrySettings(true, Duration.ofMillis(20), 0, 1.5, Duration.ofMillis(200), Duration.ofSeconds(30));
  }

  /** Remote write 1.0 to {@code port}, no target_info, with the given queue, request size limit and timeout. */
  static PrometheusRemoteWriteExporterConfig config(int port, PrometheusRemoteWriteExporterConfig.RemoteWriteQueue queue,
      long maxBatchSizeBytes, Duration timeout) {
    return new PrometheusRemoteWriteExporterConfig("http://127.0.0.1:" + port + "/api/v1/write", Map.of(), "",
        Map.of(), true, null, new PrometheusRemoteWriteExporterConfig.TargetInfo(false), false, "1.0", "snappy",
        timeout, null, null, fastRetry(), maxBatchSizeBytes, queue, null, null);
  }
}
