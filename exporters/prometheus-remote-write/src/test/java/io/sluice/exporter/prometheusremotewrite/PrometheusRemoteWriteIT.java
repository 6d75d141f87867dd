package io.sluice.exporter.prometheusremotewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Exporter;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.testkit.PrometheusServer;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.tls.TlsClientSettings;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sends OTLP metrics through the exporter into a real Prometheus (its remote-write receiver) and
 * reads them back with PromQL.
 */
class PrometheusRemoteWriteIT {
  private static PrometheusServer prometheus;
  private static Vertx vertx;
  private static Exporter exporter;
  private static long nowMs;

  @BeforeAll
  static void startPrometheusAndSend() throws Exception {
    prometheus = PrometheusServer.start();
    vertx = Vertx.vertx();
    PrometheusRemoteWriteExporterConfig config = new PrometheusRemoteWriteExporterConfig(prometheus.remoteWriteUrl(),
        Map.of(), "", Map.of("cluster", "it"), true,
        new PrometheusRemoteWriteExporterConfig.ResourceToTelemetryConversion(false),
        new PrometheusRemoteWriteExporterConfig.TargetInfo(true), true, "1.0", "snappy", Duration.ofSeconds(5),
        TlsClientSettings.defaults(), QueueSettings.disabled(), RetrySettings.disabled(), 0, null, null, null);
    assertThat(config.validate()).isEmpty();
    exporter = new PrometheusRemoteWriteExporterFactory().create(
        TestContexts.context(vertx, ComponentKind.EXPORTER, "prometheusremotewrite/it"), config);
    exporter.start().await(10, TimeUnit.SECONDS);

    nowMs = System.currentTimeMillis();
    long t1 = (nowMs - 40_000) * 1_000_000L;
    long t2 = (nowMs - 20_000) * 1_000_000L;
    exporter.consume(batch(t1, false)).await(10, TimeUnit.SECONDS);
    exporter.consume(batch(t2, true)).await(10, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    if (exporter != null) {
      exporter.shutdown().await(10, TimeUnit.SECONDS);
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    if (prometheus != null) {
      prometheus.close();
    }
  }

  private static KeyValue attr(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  /** The second batch (at {@code t}) ends the temperature series with NO_RECORDED_VALUE. */
  private static Batch batch(long t, boolean second) {
    NumberDataPoint.Builder temp = NumberDataPoint.newBuilder().setTimeUnixNano(t).addAttributes(attr("room", "lab"));
    if (second) {
      temp.setFlags(1);
    } else {
      temp.setAsDouble(21.5);
    }
    ScopeMetrics scope = ScopeMetrics.newBuilder()
        .setScope(InstrumentationScope.newBuilder().setName("io.sluice.it").setVersion("1.0"))
        .addMetrics(Metric.newBuilder().setName("requests").setUnit("1").setSum(Sum.newBuilder().setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(t).setAsInt(second ? 50 : 42)
                .addAttributes(attr("http.method", "GET")))))
        .addMetrics(Metric.newBuilder().setName("cpu.utilization").setUnit("1").setGauge(Gauge.newBuilder()
            .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(t).setAsDouble(0.75))))
        .addMetrics(Metric.newBuilder().setName("http.server.duration").setUnit("ms").setHistogram(Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(t).setCount(10).setSum(250)
                .addAllExplicitBounds(List.of(10.0, 100.0)).addAllBucketCounts(List.of(4L, 5L, 1L))
                .addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder().setTimeUnixNano(t)
                    .setAsDouble(42).setTraceId(com.google.protobuf.ByteString.fromHex(
                        "0af7651916cd43dd8448eb211c80319c"))))))
        .addMetrics(Metric.newBuilder().setName("temperature").setUnit("Cel").setGauge(Gauge.newBuilder()
            .addDataPoints(temp)))
        .build();
    ResourceMetrics rm = ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(attr("service.name", "shop"))
            .addAttributes(attr("service.namespace", "acme")).addAttributes(attr("service.instance.id", "pod-1"))
            .addAttributes(attr("host.name", "node-7")))
        .addScopeMetrics(scope).build();
    return Batch.metrics(List.of(rm), Envelope.of(ComponentId.of("otlp")));
  }

  private static List<PrometheusServer.Sample> awaitQuery(String promql) {
    return awaitQuery(prometheus, promql);
  }

  private static List<PrometheusServer.Sample> awaitQuery(PrometheusServer server, String promql) {
    return await().atMost(Duration.ofSeconds(10)).until(() -> server.query(promql), r -> !r.isEmpty());
  }

  @Test
  void counterArrivesWithTotalJobInstanceScopeAndExternalLabels() {
    List<PrometheusServer.Sample> r = awaitQuery("requests_total");

    assertThat(r).hasSize(1);
    assertThat(r.get(0).labels()).containsAllEntriesOf(Map.of("__name__", "requests_total", "http_method", "GET",
        "job", "acme/shop", "instance", "pod-1", "cluster", "it", "otel_scope_name", "io.sluice.it",
        "otel_scope_version", "1.0"));
    assertThat(r.get(0).value()).isEqualTo(50.0);
  }

  @Test
  void unitOneGaugeGetsRatio() {
    assertThat(awaitQuery("cpu_utilization_ratio").get(0).value()).isEqualTo(0.75);
  }

  @Test
  void histogramArrivesAsCumulativeBucketsSumAndCount() {
    List<PrometheusServer.Sample> buckets = awaitQuery("http_server_duration_milliseconds_bucket");
    assertThat(buckets).extracting(s -> s.labels().get("le") + "=" + s.value())
        .containsExactlyInAnyOrder("10=4.0", "100=9.0", "+Inf=10.0");
    assertThat(awaitQuery("http_server_duration_milliseconds_sum").get(0).value()).isEqualTo(250.0);
    assertThat(awaitQuery("http_server_duration_milliseconds_count").get(0).value()).isEqualTo(10.0);
    assertThat(awaitQuery("histogram_quantile(0.5, http_server_duration_milliseconds_bucket)").get(0).value())
        .isBetween(10.0, 100.0);
  }

  @Test
  void targetInfoCarriesTheOtherResourceAttributes() {
    List<PrometheusServer.Sample> r = awaitQuery("target_info");
    assertThat(r).hasSize(1);
    assertThat(r.get(0).labels()).containsEntry("host_name", "node-7").containsEntry("job", "acme/shop")
        .containsEntry("instance", "pod-1").doesNotContainKey("otel_scope_name");
  }

  @Test
  void remoteWrite2FallsBackTo1WithThisPrometheusAndTheDataArrives() throws Exception {
    PrometheusRemoteWriteExporterConfig v2 = new PrometheusRemoteWriteExporterConfig(prometheus.remoteWriteUrl(),
        Map.of(), "", Map.of(), true, null, null, false, "2.0", "snappy", Duration.ofSeconds(5), null,
        QueueSettings.disabled(), RetrySettings.disabled(), 0, null, null, null);
    Exporter e = new PrometheusRemoteWriteExporterFactory().create(
        TestContexts.context(vertx, ComponentKind.EXPORTER, "prometheusremotewrite/v2"), v2);
    e.start().await(10, TimeUnit.SECONDS);
    try {
      ResourceMetrics rm = ResourceMetrics.newBuilder()
          .setResource(Resource.newBuilder().addAttributes(attr("service.name", "v2")))
          .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder().setName("fallback.check")
              .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder()
                  .setTimeUnixNano((System.currentTimeMillis() - 1000) * 1_000_000L).setAsDouble(7))))).build();
      e.consume(Batch.metrics(List.of(rm), Envelope.of(ComponentId.of("otlp")))).await(10, TimeUnit.SECONDS);

      List<PrometheusServer.Sample> r = awaitQuery("fallback_check");
      assertThat(r.get(0).value()).isEqualTo(7.0);
      assertThat(r.get(0).labels()).containsEntry("job", "v2");
    } finally {
      e.shutdown().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void deltaCountersSentOverFourShardsArriveAsRunningTotalsAndNoneIsRefused() throws Exception {
    io.sluice.core.telemetry.SelfMetrics metrics = new io.sluice.core.telemetry.SelfMetrics();
    PrometheusRemoteWriteExporterConfig config = new PrometheusRemoteWriteExporterConfig(prometheus.remoteWriteUrl(),
        Map.of(), "", Map.of(), true, null, new PrometheusRemoteWriteExporterConfig.TargetInfo(false), false, "1.0",
        "snappy", Duration.ofSeconds(5), null, QueueSettings.disabled(), RetrySettings.disabled(), 0,
        new PrometheusRemoteWriteExporterConfig.RemoteWriteQueue(true, 1000, 4), null, null);
    Exporter e = new PrometheusRemoteWriteExporterFactory().create(
        TestContexts.context(vertx, ComponentKind.EXPORTER, "prometheusremotewrite/shards", metrics), config);
    e.start().await(10, TimeUnit.SECONDS);
    int series = 16;
    int batches = 30;
    long base = System.currentTimeMillis() - 60_000;
    try {
      for (int b = 0; b < batches; b++) {
        Sum.Builder sum = Sum.newBuilder().setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
        for (int i = 0; i < series; i++) {
          sum.addDataPoints(NumberDataPoint.newBuilder().setStartTimeUnixNano((base + b * 1000L) * 1_000_000L)
              .setTimeUnixNano((base + (b + 1) * 1000L) * 1_000_000L).setAsInt(1).addAttributes(attr("n", "" + i)));
        }
        ResourceMetrics rm = ResourceMetrics.newBuilder()
            .setResource(Resource.newBuilder().addAttributes(attr("service.name", "shards")))
            .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder().setName("it.deltas")
                .setUnit("1").setSum(sum))).build();
        e.consume(Batch.metrics(List.of(rm), Envelope.of(ComponentId.of("otlp")))).await(10, TimeUnit.SECONDS);
      }
      await().atMost(Duration.ofSeconds(20)).until(() -> io.sluice.core.testkit.SelfMetricsReader.counter(metrics,
          "sluice_exporter_sent_items", "component_id", "prometheusremotewrite/shards", "signal", "metrics")
          == (double) series * batches);
      assertThat(io.sluice.core.testkit.SelfMetricsReader.counter(metrics, "sluice_exporter_send_failed_items",
          "component_id", "prometheusremotewrite/shards", "signal", "metrics"))
          .as("Prometheus refused nothing as out of order").isZero();

      List<PrometheusServer.Sample> totals = awaitQuery("it_deltas_total");
      assertThat(totals).hasSize(series).allSatisfy(s -> assertThat(s.value()).isEqualTo((double) batches));
      List<PrometheusServer.Sample> counts = awaitQuery("count_over_time(it_deltas_total[5m])");
      assertThat(counts).hasSize(series).allSatisfy(s -> assertThat(s.value()).isEqualTo((double) batches));
    } finally {
      e.shutdown().await(10, TimeUnit.SECONDS);
    }
  }

  /**
   * Prometheus stopped for a while and started again on its port with its storage (so it replays
   * its WAL before it is ready): batches accepted meanwhile wait in the queue, are retried, and
   * every sample, sent before, during and after the outage, can be queried back, each at its own
   * timestamp. It has a Prometheus of its own, so the other tests' server never goes down.
   */
  @Test
  void everySampleAcceptedWhilePrometheusIsStoppedCanBeQueriedOnceItIsRestarted() throws Exception {
    io.sluice.core.telemetry.SelfMetrics metrics = new io.sluice.core.telemetry.SelfMetrics();
    String id = "prometheusremotewrite/outage";
    try (PrometheusServer own = PrometheusServer.start()) {
      PrometheusRemoteWriteExporterConfig config = new PrometheusRemoteWriteExporterConfig(own.remoteWriteUrl(),
          Map.of(), "", Map.of(), true, null, new PrometheusRemoteWriteExporterConfig.TargetInfo(false), false, "1.0",
          "snappy", Duration.ofSeconds(2), null, null, TestBatches.fastRetry(), 0,
          new PrometheusRemoteWriteExporterConfig.RemoteWriteQueue(true, 1000, 2), null, null);
      Exporter e = new PrometheusRemoteWriteExporterFactory().create(
          TestContexts.context(vertx, ComponentKind.EXPORTER, id, metrics), config);
      e.start().await(10, TimeUnit.SECONDS);
      java.util.function.Function<String, Double> counter = name -> io.sluice.core.testkit.SelfMetricsReader
          .counter(metrics, name, "component_id", id, "signal", "metrics");
      java.util.function.LongSupplier attempts = () -> io.sluice.core.testkit.SelfMetricsReader.observations(metrics,
          "sluice_exporter_request_duration_seconds", "component_id", id, "signal", "metrics");
      int series = 6;
      int batches = 30;
      long baseMs = System.currentTimeMillis() - 240_000;
      try {
        int b = 0;
        for (; b < 10; b++) {
          e.consume(TestBatches.gauge("it.outage.level", series, (baseMs + b * 5000L) * 1_000_000L, b))
              .await(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(10))
            .until(() -> counter.apply("sluice_exporter_sent_items") == 10.0 * series);

        own.stop();
        long attemptsBefore = attempts.getAsLong();
        for (; b < 20; b++) {
          e.consume(TestBatches.gauge("it.outage.level", series, (baseMs + b * 5000L) * 1_000_000L, b))
              .await(10, TimeUnit.SECONDS);
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> attempts.getAsLong() - attemptsBefore >= 16);
        assertThat(counter.apply("sluice_exporter_sent_items")).as("nothing got through while stopped")
            .isEqualTo(10.0 * series);
        own.restart();
        for (; b < batches; b++) {
          e.consume(TestBatches.gauge("it.outage.level", series, (baseMs + b * 5000L) * 1_000_000L, b))
              .await(10, TimeUnit.SECONDS);
        }

        await().atMost(Duration.ofSeconds(20))
            .until(() -> counter.apply("sluice_exporter_sent_items") == (double) batches * series);
        assertThat(counter.apply("sluice_exporter_send_failed_items")).as("Prometheus refused nothing").isZero();
        assertThat(awaitQuery(own, "count_over_time(it_outage_level[1h])")).hasSize(series)
            .allSatisfy(s -> assertThat(s.value()).as("every sample, the ones before the restart replayed from the WAL")
                .isEqualTo((double) batches));
        for (int k = 0; k < batches; k++) {
          double at = (baseMs + k * 5000L) / 1000.0;
          List<PrometheusServer.Sample> r = own.query("it_outage_level", at);
          int value = k;
          // The newest sample at or before batch k's timestamp: batch k's own, unless it is missing.
          assertThat(r).as("the samples at batch %s's timestamp", k).hasSize(series)
              .allSatisfy(s -> assertThat(s.value()).isEqualTo((double) value));
        }
      } finally {
        e.shutdown().await(10, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  void staleMarkerEndsTheSeries() {
    double before = (nowMs - 30_000) / 1000.0;
    List<PrometheusServer.Sample> earlier = await().atMost(Duration.ofSeconds(10))
        .until(() -> prometheus.query("temperature_celsius", before), l -> !l.isEmpty());
    assertThat(earlier.get(0).value()).isEqualTo(21.5);
    assertThat(earlier.get(0).labels()).containsEntry("room", "lab");

    // Without the marker the 5-minute lookback would still return 21.5 now.
    assertThat(prometheus.query("temperature_celsius")).isEmpty();
    assertThat(prometheus.query("requests_total")).isNotEmpty();
  }
}
