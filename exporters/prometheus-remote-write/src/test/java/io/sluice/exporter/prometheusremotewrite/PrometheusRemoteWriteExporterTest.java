package io.sluice.exporter.prometheusremotewrite;

import static io.sluice.exporter.prometheusremotewrite.TestBatches.T0;
import static io.sluice.exporter.prometheusremotewrite.TestBatches.T0_MS;
import static io.sluice.exporter.prometheusremotewrite.TestBatches.attr;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestData;
import io.sluice.core.tls.TlsClientSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.xerial.snappy.Snappy;

class PrometheusRemoteWriteExporterTest {
  private static final String ID = "prometheusremotewrite/test";

  @RegisterExtension
  final ExporterFixture fx = new ExporterFixture(ID);
  private final RemoteWriteSink sink = fx.sink;

  private PrometheusRemoteWriteExporterConfig config(String compression, QueueSettings queue,
      Map<String, String> externalLabels, Map<String, String> headers) {
    return config("1.0", compression, queue, externalLabels, headers);
  }

  private PrometheusRemoteWriteExporterConfig config(String version, String compression, QueueSettings queue,
      Map<String, String> externalLabels, Map<String, String> headers) {
    return new PrometheusRemoteWriteExporterConfig("http://127.0.0.1:" + fx.port + "/api/v1/write", headers, "",
        externalLabels, true, new PrometheusRemoteWriteExporterConfig.ResourceToTelemetryConversion(false),
        new PrometheusRemoteWriteExporterConfig.TargetInfo(true), true, version, compression, Duration.ofSeconds(5),
        TlsClientSettings.defaults(), queue, TestBatches.fastRetry(), 3_000_000L, null, null, null);
  }

  private static Batch batch(Metric... metrics) {
    ResourceMetrics rm = ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(attr("service.name", "shop"))
            .addAttributes(attr("service.instance.id", "i-1")).addAttributes(attr("host.name", "h")))
        .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics))).build();
    return Batch.metrics(List.of(rm), Envelope.of(ComponentId.of("otlp")));
  }

  private static Metric requests(long timeNanos, double value) {
    return Metric.newBuilder().setName("requests").setUnit("1").setDescription("Requests served")
        .setSum(Sum.newBuilder().setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(timeNanos).setAsDouble(value)
                .setStartTimeUnixNano(T0 - 60_000_000_000L).addAttributes(attr("http.method", "GET"))))
        .build();
  }

  @Test
  void sendsSnappyRemoteWriteWithRequiredHeadersThatUsersCannotOverride() throws Exception {
    Exporter e = fx.start(config("snappy", QueueSettings.disabled(), Map.of("cluster", "eu"),
        Map.of("X-Scope-OrgID", "tenant-1", "Content-Type", "text/plain", "User-Agent", "mine")));

    Metric temp = Metric.newBuilder().setName("temperature").setUnit("Cel").setGauge(Gauge.newBuilder()
        .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T0 + 2_000_000).setAsDouble(21.5))
        .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T0).setAsDouble(-3))).build();
    e.consume(batch(requests(T0, 42), temp)).await(5, TimeUnit.SECONDS);

    assertThat(sink.calls()).isEqualTo(1);
    RemoteWriteSink.Received r = sink.received.get(0);
    assertThat(r.headers().get("Content-Encoding")).isEqualTo("snappy");
    assertThat(r.headers().get("Content-Type")).isEqualTo("application/x-protobuf");
    assertThat(r.headers().get("X-Prometheus-Remote-Write-Version")).isEqualTo("0.1.0");
    assertThat(r.headers().get("User-Agent")).startsWith("Sluice/");
    assertThat(r.headers().get("X-Scope-OrgID")).isEqualTo("tenant-1");

    RemoteWriteSink.WriteRequest w = r.decode();
    RemoteWriteSink.Series req = w.named("requests_total").get(0);
    assertThat(req.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("__name__", "requests_total",
        "http_method", "GET", "job", "shop", "instance", "i-1", "cluster", "eu"));
    assertThat(req.labelOrder()).isSorted();
    assertThat(req.samples()).containsExactly(new RemoteWriteSink.Sample(42, T0_MS));

    RemoteWriteSink.Series t = w.named("temperature_celsius").get(0);
    assertThat(t.samples()).containsExactly(new RemoteWriteSink.Sample(-3, T0_MS),
        new RemoteWriteSink.Sample(21.5, T0_MS + 2));

    RemoteWriteSink.Series info = w.named("target_info").get(0);
    assertThat(info.labels()).containsEntry("host_name", "h").containsEntry("cluster", "eu")
        .containsEntry("job", "shop");
    assertThat(w.metadata()).contains(new RemoteWriteSink.Metadata(1, "requests_total", "Requests served", ""),
        new RemoteWriteSink.Metadata(2, "temperature_celsius", "", "celsius"));
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(3);
  }

  private static PrometheusRemoteWriteExporterConfig withExportCreatedMetric(PrometheusRemoteWriteExporterConfig c,
      boolean enabled) {
    return new PrometheusRemoteWriteExporterConfig(c.endpoint(), c.headers(), c.namespace(), c.externalLabels(),
        c.addMetricSuffixes(), c.resourceToTelemetryConversion(), c.targetInfo(), c.sendMetadata(),
        c.remoteWriteVersion(), c.compression(), c.timeout(), c.tls(), c.sendingQueue(), c.retryOnFailure(),
        c.maxBatchSizeBytes(), c.remoteWriteQueue(),
        new PrometheusRemoteWriteExporterConfig.ExportCreatedMetric(enabled), c.deltaToCumulative());
  }

  @Test
  void exportCreatedMetricSendsACountersStartTimeInSecondsAsItsCreatedSeries() throws Exception {
    PrometheusRemoteWriteExporterConfig c = config("snappy", QueueSettings.disabled(), Map.of(), Map.of());
    Exporter e = fx.start(withExportCreatedMetric(c, true));

    e.consume(batch(requests(T0, 42))).await(5, TimeUnit.SECONDS);

    RemoteWriteSink.WriteRequest w = sink.received.get(0).decode();
    assertThat(w.named("requests_created")).singleElement().satisfies(created -> {
      assertThat(created.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("__name__", "requests_created",
          "http_method", "GET", "job", "shop", "instance", "i-1"));
      assertThat(created.samples()).as("the start time, one minute before T0, in seconds")
          .containsExactly(new RemoteWriteSink.Sample((T0_MS - 60_000) / 1000.0, T0_MS));
    });
    assertThat(w.named("requests_total")).singleElement()
        .satisfies(total -> assertThat(total.samples()).containsExactly(new RemoteWriteSink.Sample(42, T0_MS)));
  }

  @Test
  void anOtlpCounterGetsNoCreatedSeriesByDefault() throws Exception {
    PrometheusRemoteWriteExporterConfig c = config("snappy", QueueSettings.disabled(), Map.of(), Map.of());
    assertThat(c.exportCreatedMetric().enabled()).isFalse();
    Exporter e = fx.start(c);

    e.consume(batch(requests(T0, 42))).await(5, TimeUnit.SECONDS);

    RemoteWriteSink.WriteRequest w = sink.received.get(0).decode();
    assertThat(w.named("requests_total")).hasSize(1);
    assertThat(w.series()).extracting(RemoteWriteSink.Series::name).doesNotContain("requests_created");
  }

  @Test
  void zstdBodiesDecodeWithZstdsOwnStream() throws Exception {
    Exporter e = fx.start(config("zstd", QueueSettings.disabled(), Map.of(), Map.of()));

    e.consume(TestData.metrics(3, 1)).await(5, TimeUnit.SECONDS);

    RemoteWriteSink.Received r = sink.received.get(0);
    assertThat(r.headers().get("Content-Encoding")).isEqualTo("zstd");
    RemoteWriteSink.WriteRequest w = r.decode();
    assertThat(w.named("http_server_requests_total")).hasSize(3);
    assertThat(w.named("pool_utilization_ratio")).hasSize(3);
    List<RemoteWriteSink.Series> buckets = w.named("http_server_duration_seconds_bucket");
    assertThat(buckets).hasSize(9);
    assertThat(buckets).filteredOn(s -> "/r0".equals(s.labels().get("route")))
        .extracting(s -> s.labels().get("le") + "=" + s.samples().get(0).value())
        .containsExactlyInAnyOrder("0.1=2.0", "1=5.0", "+Inf=6.0");
  }

  @Test
  void sendsTheStaleMarkerBitForBit() throws Exception {
    Exporter e = fx.start(config("snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    Metric gone = Metric.newBuilder().setName("up.ish").setGauge(Gauge.newBuilder()
        .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T0).setFlags(1))).build();
    e.consume(batch(gone)).await(5, TimeUnit.SECONDS);

    double v = sink.received.get(0).decode().named("up_ish").get(0).samples().get(0).value();
    assertThat(Double.doubleToRawLongBits(v)).isEqualTo(0x7ff0000000000002L);
  }

  @Test
  void retriesA500ThenSucceeds() throws Exception {
    sink.behave(n -> n == 1 ? RemoteWriteSink.Reply.status(500).withBody("busy") : RemoteWriteSink.Reply.status(204));
    Exporter e = fx.start(config("snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    e.consume(batch(requests(T0, 1))).await(5, TimeUnit.SECONDS);

    assertThat(sink.calls()).isEqualTo(2);
    assertThat(sink.received.get(1).decode().named("requests_total")).hasSize(1);
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(1);
  }

  @Test
  void retriesA429AfterTheRetryAfterDelay() throws Exception {
    sink.behave(n -> n == 1 ? RemoteWriteSink.Reply.status(429).withHeader("Retry-After", "1")
        : RemoteWriteSink.Reply.status(200));
    Exporter e = fx.start(config("snappy", new QueueSettings(true, 1, 10), Map.of(), Map.of()));

    e.consume(batch(requests(T0, 1))).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.calls() == 2);
    long waitedMs = (sink.arrivedNanos.get(1) - sink.arrivedNanos.get(0)) / 1_000_000;
    assertThat(waitedMs).isGreaterThanOrEqualTo(900);
    await().atMost(Duration.ofSeconds(5)).until(() -> fx.counter("sluice_exporter_sent_items") == 1);
  }

  @Test
  void doesNotRetryA400AndQuotesTheBody() throws Exception {
    sink.behave(n -> RemoteWriteSink.Reply.status(400).withBody("out of order sample"));
    Exporter e = fx.start(config("snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    assertThatThrownBy(() -> e.consume(batch(requests(T0, 1))).await(5, TimeUnit.SECONDS))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("HTTP 400").hasMessageContaining("out of order sample");
    assertThat(sink.calls()).isEqualTo(1);
    assertThat(fx.counter("sluice_exporter_send_failed_items")).isEqualTo(1);
  }

  @Test
  void deltaCountersArriveAsRunningTotalsAndNonMonotonicDeltasAreDropped() throws Exception {
    Exporter e = fx.start(config("snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    for (int i = 1; i <= 3; i++) {
      Metric delta = Metric.newBuilder().setName("d").setSum(Sum.newBuilder().setIsMonotonic(true)
          .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
          .addDataPoints(NumberDataPoint.newBuilder().setStartTimeUnixNano(T0 + (i - 1) * 1_000_000_000L)
              .setTimeUnixNano(T0 + i * 1_000_000_000L).setAsInt(i))).build();
      e.consume(batch(delta)).await(5, TimeUnit.SECONDS);
    }
    List<String> totals = new ArrayList<>();
    for (RemoteWriteSink.Received r : sink.received) {
      r.decode().named("d_total").forEach(s -> s.samples().forEach(x -> totals.add(x.value() + "@"
          + (x.timestampMs() - T0_MS))));
    }
    assertThat(totals).containsExactly("1.0@1000", "3.0@2000", "6.0@3000");

    Metric upDown = Metric.newBuilder().setName("u").setSum(Sum.newBuilder().setIsMonotonic(false)
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
        .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T0).setAsInt(1))).build();
    ResourceMetrics onlyDelta = ResourceMetrics.newBuilder()
        .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(upDown)).build();
    int before = sink.calls();
    e.consume(Batch.metrics(List.of(onlyDelta), Envelope.of(ComponentId.of("otlp")))).await(5, TimeUnit.SECONDS);
    assertThat(sink.calls()).isEqualTo(before);
    assertThat(((PrometheusRemoteWriteExporter) e).droppedPoints()).containsEntry("delta_sum", 1L);
    assertThat(SelfMetricsReader.counter(fx.metrics, "sluice_exporter_dropped_items", "component_id", ID,
        "signal", "metrics", "reason", "delta_sum")).as("the self-metric, by reason").isEqualTo(1.0);
  }

  private static RemoteWriteSink.Reply written(long samples) {
    return RemoteWriteSink.Reply.status(204).withHeader("X-Prometheus-Remote-Write-Samples-Written", "" + samples)
        .withHeader("X-Prometheus-Remote-Write-Histograms-Written", "0")
        .withHeader("X-Prometheus-Remote-Write-Exemplars-Written", "0");
  }

  @Test
  void sendsRemoteWrite2WithASymbolsTableAndPerSeriesMetadata() throws Exception {
    sink.behave(n -> written(3));
    Exporter e = fx.start(config("2.0", "snappy", QueueSettings.disabled(), Map.of("cluster", "eu"), Map.of()));

    Metric temp = Metric.newBuilder().setName("temperature").setUnit("Cel").setDescription("Room\ntemperature")
        .setGauge(Gauge.newBuilder()
            .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T0 + 2_000_000).setAsDouble(21.5))
            .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T0).setAsDouble(-3))).build();
    e.consume(batch(requests(T0, 42), temp)).await(5, TimeUnit.SECONDS);

    assertThat(sink.calls()).isEqualTo(1);
    RemoteWriteSink.Received r = sink.received.get(0);
    assertThat(r.headers().get("Content-Type")).isEqualTo("application/x-protobuf;proto=io.prometheus.write.v2.Request");
    assertThat(r.headers().get("X-Prometheus-Remote-Write-Version")).isEqualTo("2.0.0");
    assertThat(r.headers().get("Content-Encoding")).isEqualTo("snappy");
    assertThat(topLevelFields(r.body())).as("2.0 uses only fields 4 and 5 (1-3 are reserved)")
        .containsOnly(4, 5);

    RemoteWriteSink.WriteRequest w = r.decode();
    RemoteWriteSink.Series req = w.named("requests_total").get(0);
    assertThat(req.labels()).containsExactlyInAnyOrderEntriesOf(Map.of("__name__", "requests_total",
        "http_method", "GET", "job", "shop", "instance", "i-1", "cluster", "eu"));
    assertThat(req.labelOrder()).isSorted();
    assertThat(req.samples()).as("a counter carries its start timestamp")
        .containsExactly(new RemoteWriteSink.Sample(42, T0_MS, T0_MS - 60_000));
    assertThat(req.metadata()).isEqualTo(new RemoteWriteSink.Metadata(1, "requests_total", "Requests served", ""));
    RemoteWriteSink.Series t = w.named("temperature_celsius").get(0);
    assertThat(t.samples()).containsExactly(new RemoteWriteSink.Sample(-3, T0_MS, 0),
        new RemoteWriteSink.Sample(21.5, T0_MS + 2, 0));
    assertThat(t.metadata()).isEqualTo(new RemoteWriteSink.Metadata(2, "temperature_celsius", "Room\ntemperature",
        "celsius"));
    assertThat(w.named("target_info")).hasSize(1);
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(3);
  }

  private static java.util.Set<Integer> topLevelFields(byte[] body) throws java.io.IOException {
    com.google.protobuf.CodedInputStream in = com.google.protobuf.CodedInputStream.newInstance(body);
    java.util.Set<Integer> fields = new java.util.TreeSet<>();
    for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
      fields.add(tag >>> 3);
      in.skipField(tag);
    }
    return fields;
  }

  @Test
  void fallsBackToRemoteWrite1OnceOn415AndRemembersIt() throws Exception {
    sink.behave(n -> n == 1 ? RemoteWriteSink.Reply.status(415).withBody("unsupported") : RemoteWriteSink.Reply.status(204));
    Exporter e = fx.start(config("2.0", "snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    e.consume(batch(requests(T0, 1))).await(5, TimeUnit.SECONDS);
    e.consume(batch(requests(T0 + 1_000_000_000L, 2))).await(5, TimeUnit.SECONDS);

    assertThat(sink.calls()).isEqualTo(3);
    assertThat(sink.received).extracting(RemoteWriteSink.Received::v2).containsExactly(true, false, false);
    assertThat(sink.received.get(1).headers().get("X-Prometheus-Remote-Write-Version")).isEqualTo("0.1.0");
    assertThat(sink.received.get(1).headers().get("Content-Type")).isEqualTo("application/x-protobuf");
    assertThat(sink.received.get(1).decode().named("requests_total").get(0).samples().get(0).value()).isEqualTo(1.0);
    assertThat(sink.received.get(2).decode().named("requests_total").get(0).samples().get(0).value()).isEqualTo(2.0);
  }

  @Test
  void treatsA2xxWithoutWrittenHeadersAsA1xReceiver() throws Exception {
    Exporter e = fx.start(config("2.0", "snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    e.consume(batch(requests(T0, 1))).await(5, TimeUnit.SECONDS);

    assertThat(sink.received).extracting(RemoteWriteSink.Received::v2).containsExactly(true, false);
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"1.0", "2.0"})
  void sendsHistogramExemplarsWithTraceAndSpanIds(String version) throws Exception {
    sink.behave(n -> written(5));
    Exporter e = fx.start(config(version, "snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    Metric h = Metric.newBuilder().setName("latency").setUnit("s").setHistogram(
        io.opentelemetry.proto.metrics.v1.Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(io.opentelemetry.proto.metrics.v1.HistogramDataPoint.newBuilder().setTimeUnixNano(T0)
                .setCount(3).setSum(1.5).addExplicitBounds(0.5).addBucketCounts(1).addBucketCounts(2)
                .addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder().setAsDouble(0.9)
                    .setTimeUnixNano(T0 - 5_000_000)
                    .setTraceId(com.google.protobuf.ByteString.fromHex("000102030405060708090a0b0c0d0eff"))
                    .setSpanId(com.google.protobuf.ByteString.fromHex("00000000000000aa"))
                    .addFilteredAttributes(attr("user", "u1")))))
        .build();
    e.consume(batch(h)).await(5, TimeUnit.SECONDS);

    RemoteWriteSink.WriteRequest w = sink.received.get(0).decode();
    List<RemoteWriteSink.Series> buckets = w.named("latency_seconds_bucket");
    RemoteWriteSink.Series inf = buckets.stream().filter(s -> "+Inf".equals(s.labels().get("le"))).findFirst()
        .orElseThrow();
    assertThat(inf.exemplars()).containsExactly(new RemoteWriteSink.Exemplar(Map.of("span_id", "00000000000000aa",
        "trace_id", "000102030405060708090a0b0c0d0eff", "user", "u1"), 0.9, T0_MS - 5));
    assertThat(buckets).filteredOn(s -> "0.5".equals(s.labels().get("le")))
        .allSatisfy(s -> assertThat(s.exemplars()).isEmpty());
  }

  @Test
  void splitsABatchLargerThanMaxBatchSizeBytesIntoSeveralRequests() throws Exception {
    PrometheusRemoteWriteExporterConfig c = config("snappy", QueueSettings.disabled(), Map.of(), Map.of());
    c = new PrometheusRemoteWriteExporterConfig(c.endpoint(), c.headers(), c.namespace(), c.externalLabels(),
        c.addMetricSuffixes(), c.resourceToTelemetryConversion(), new PrometheusRemoteWriteExporterConfig.TargetInfo(false),
        c.sendMetadata(), c.remoteWriteVersion(), c.compression(), c.timeout(), c.tls(), c.sendingQueue(),
        c.retryOnFailure(), 300, null, null, null);
    Exporter e = fx.start(c);

    Gauge.Builder g = Gauge.newBuilder();
    for (int i = 0; i < 10; i++) {
      g.addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(T0).setAsDouble(i).addAttributes(attr("n", "" + i)));
    }
    e.consume(batch(Metric.newBuilder().setName("many").setGauge(g).build())).await(5, TimeUnit.SECONDS);

    assertThat(sink.calls()).isGreaterThan(1);
    List<String> seen = new ArrayList<>();
    for (RemoteWriteSink.Received r : sink.received) {
      assertThat(Snappy.uncompressedLength(r.rawBody())).isLessThanOrEqualTo(300);
      r.decode().named("many").forEach(s -> seen.add(s.labels().get("n")));
    }
    assertThat(seen).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
    assertThat(sink.received.get(0).decode().metadata()).extracting(RemoteWriteSink.Metadata::family)
        .containsExactly("many");
  }

  private PrometheusRemoteWriteExporterConfig sharded(int shards, int queueSize, boolean queueEnabled) {
    PrometheusRemoteWriteExporterConfig c = config("snappy", QueueSettings.disabled(), Map.of(), Map.of());
    return new PrometheusRemoteWriteExporterConfig(c.endpoint(), c.headers(), c.namespace(), c.externalLabels(),
        c.addMetricSuffixes(), c.resourceToTelemetryConversion(), c.targetInfo(), c.sendMetadata(),
        c.remoteWriteVersion(), c.compression(), c.timeout(), c.tls(), c.sendingQueue(), c.retryOnFailure(),
        c.maxBatchSizeBytes(), new PrometheusRemoteWriteExporterConfig.RemoteWriteQueue(queueEnabled, queueSize, shards),
        null, null);
  }

  /** One gauge point for each of {@code series} series, all at {@code timeNanos}. */
  private static Batch gaugeBatch(int series, long timeNanos, double value) {
    Gauge.Builder g = Gauge.newBuilder();
    for (int i = 0; i < series; i++) {
      g.addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(timeNanos).setAsDouble(value)
          .addAttributes(attr("n", "" + i)));
    }
    return batch(Metric.newBuilder().setName("level").setGauge(g).build());
  }

  @Test
  void keepsEverySeriesInTimestampOrderAcrossParallelShardsWithRandomDelaysAndRetries() throws Exception {
    java.util.Random random = new java.util.Random(42);
    List<Boolean> fails = new ArrayList<>();
    List<Long> delays = new ArrayList<>();
    for (int i = 0; i < 2000; i++) {
      fails.add(random.nextInt(10) == 0);
      delays.add((long) random.nextInt(15));
    }
    sink.behave(n -> n <= fails.size() && fails.get(n - 1) ? RemoteWriteSink.Reply.status(503)
        : RemoteWriteSink.Reply.status(204));
    sink.delay(n -> n <= delays.size() ? delays.get(n - 1) : 0L);
    Exporter e = fx.start(sharded(4, 1000, true));

    int series = 24;
    int batches = 40;
    for (int b = 0; b < batches; b++) {
      e.consume(gaugeBatch(series, T0 + b * 1_000_000_000L, b)).await(5, TimeUnit.SECONDS);
    }

    await().atMost(Duration.ofSeconds(30))
        .until(() -> fx.counter("sluice_exporter_sent_items") == (double) series * batches);
    Map<String, List<Long>> timestamps = new java.util.TreeMap<>();
    for (RemoteWriteSink.Received r : sink.received) {
      if (r.status() != 204) {
        continue;
      }
      for (RemoteWriteSink.Series s : r.decode().named("level")) {
        s.samples().forEach(x -> timestamps.computeIfAbsent(s.labels().get("n"), k -> new ArrayList<>())
            .add(x.timestampMs()));
      }
    }
    assertThat(timestamps).hasSize(series);
    List<Long> expected = new ArrayList<>();
    for (int b = 0; b < batches; b++) {
      expected.add(T0_MS + b * 1000L);
    }
    timestamps.forEach((n, ts) -> assertThat(ts).as("series n=%s, in arrival order", n).isEqualTo(expected));
    assertThat(sink.received).as("some requests were answered 503 and retried")
        .anySatisfy(r -> assertThat(r.status()).isEqualTo(503));
    assertThat(sink.maxInFlight()).as("shards send in parallel").isGreaterThan(1);
    assertThat(fx.counter("sluice_exporter_send_failed_items")).isZero();
  }

  @Test
  void sendsEachSeriesAlwaysOnTheSameShard() {
    Shards shards = new Shards("t", null, 4, TestBatches.fastRetry(), Duration.ofSeconds(1), null, d -> null, () -> { });
    io.sluice.translation.prometheus.otlp.OtlpToPrometheus tr = new io.sluice.translation.prometheus.otlp
        .OtlpToPrometheus(io.sluice.translation.prometheus.otlp.TranslationOptions.defaults());
    Map<String, Integer> shardOfSeries = new java.util.HashMap<>();
    for (int b = 0; b < 3; b++) {
      Batch batch = gaugeBatch(50, T0 + b * 1_000_000_000L, b);
      List<Shards.Part> parts = shards.partition(tr.translate(batch.resourceMetrics()), 0, batch.itemCount());
      assertThat(parts).extracting(Shards.Part::items).as("items add up to the batch's")
          .satisfies(items -> assertThat(items.stream().mapToLong(Long::longValue).sum()).isEqualTo(50));
      assertThat(parts).extracting(Shards.Part::shard).doesNotHaveDuplicates().hasSizeGreaterThan(1);
      for (Shards.Part p : parts) {
        for (var s : p.data().series()) {
          Integer before = shardOfSeries.putIfAbsent(s.toString().replaceAll("} .*", "}"), p.shard());
          assertThat(before == null || before == p.shard()).as("%s stays on shard %s", s, before).isTrue();
        }
        assertThat(p.data().metadata()).extracting(m -> m.familyName())
            .containsExactlyInAnyOrderElementsOf(p.data().series().stream().map(s -> s.metricName()).distinct()
                .toList());
      }
    }
    assertThat(shardOfSeries).hasSize(51);
  }

  @Test
  void refusesABatchWhenQueueSizeBatchesAreStillUndelivered() throws Exception {
    sink.delay(n -> 1000L);
    Exporter e = fx.start(sharded(2, 1, true));

    e.consume(gaugeBatch(4, T0, 1)).await(5, TimeUnit.SECONDS);
    assertThatThrownBy(() -> e.consume(gaugeBatch(4, T0 + 1_000_000_000L, 2)).await(5, TimeUnit.SECONDS))
        .isInstanceOf(io.sluice.core.ResourceExhaustedException.class).hasMessageContaining("queue is full");
    assertThat(fx.counter("sluice_exporter_enqueue_failed_items")).isEqualTo(4);

    await().atMost(Duration.ofSeconds(5)).until(() -> fx.counter("sluice_exporter_sent_items") == 4);
    e.consume(gaugeBatch(4, T0 + 2_000_000_000L, 3)).await(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(5)).until(() -> fx.counter("sluice_exporter_sent_items") == 8);
  }

  @Test
  void withoutAQueueAcknowledgesOnlyOnceEveryShardDelivered() throws Exception {
    sink.delay(n -> n == 1 ? 1500L : 0L);
    Exporter e = fx.start(sharded(4, 10, false));

    var ack = e.consume(gaugeBatch(30, T0, 1));
    await().atMost(Duration.ofSeconds(5)).until(() -> sink.calls() > 1);
    assertThat(ack.isComplete()).as("the first shard's request is still being answered").isFalse();
    ack.await(5, TimeUnit.SECONDS);
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(30);
  }

  @Test
  void shutdownSendsWhatTheShardsStillHold() throws Exception {
    sink.delay(n -> 50L);
    Exporter e = fx.start(sharded(3, 100, true));
    for (int b = 0; b < 5; b++) {
      e.consume(gaugeBatch(10, T0 + b * 1_000_000_000L, b)).await(5, TimeUnit.SECONDS);
    }
    e.shutdown().await(10, TimeUnit.SECONDS);
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(50);
    assertThatThrownBy(() -> e.consume(gaugeBatch(1, T0, 1)).await(5, TimeUnit.SECONDS))
        .isInstanceOf(io.sluice.core.RetryableException.class).hasMessageContaining("shut down");
  }

  private static Metric exponentialLatency() {
    return Metric.newBuilder().setName("latency").setUnit("s").setDescription("Request latency")
        .setExponentialHistogram(io.opentelemetry.proto.metrics.v1.ExponentialHistogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.newBuilder()
                .setTimeUnixNano(T0).setStartTimeUnixNano(T0 - 60_000_000_000L).setScale(3).setCount(11)
                .setSum(42.5).setZeroCount(2).addAttributes(attr("route", "/a"))
                .setPositive(io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets.newBuilder()
                    .setOffset(2).addAllBucketCounts(List.of(5L, 0L, 0L, 0L, 2L, 1L)))
                .setNegative(io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets.newBuilder()
                    .setOffset(-1).addBucketCounts(1))))
        .build();
  }

  @Test
  void sendsExponentialHistogramsAsNativeHistogramsWithRemoteWrite2() throws Exception {
    sink.behave(n -> RemoteWriteSink.Reply.status(204).withHeader("X-Prometheus-Remote-Write-Samples-Written", "1")
        .withHeader("X-Prometheus-Remote-Write-Histograms-Written", "1")
        .withHeader("X-Prometheus-Remote-Write-Exemplars-Written", "0"));
    Exporter e = fx.start(config("2.0", "snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    e.consume(batch(exponentialLatency())).await(5, TimeUnit.SECONDS);

    RemoteWriteSink.WriteRequest w = sink.received.get(0).decode();
    RemoteWriteSink.Series s = w.named("latency_seconds").get(0);
    assertThat(s.samples()).as("histograms, never samples as well").isEmpty();
    assertThat(s.labels()).containsEntry("route", "/a").containsEntry("job", "shop");
    assertThat(s.histograms()).containsExactly(new RemoteWriteSink.NativeHistogram(11, 42.5, 3, 1e-128, 2,
        Map.of(3, 5L, 7, 2L, 8, 1L), Map.of(0, 1L), 0, T0_MS, T0_MS - 60_000));
    assertThat(s.metadata()).isEqualTo(new RemoteWriteSink.Metadata(3, "latency_seconds", "Request latency",
        "seconds"));
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(1);
  }

  @Test
  void dropsNativeHistogramsAndCountsThemAfterFallingBackToRemoteWrite1() throws Exception {
    sink.behave(n -> n == 1 ? RemoteWriteSink.Reply.status(415) : RemoteWriteSink.Reply.status(204));
    Exporter e = fx.start(config("2.0", "snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    e.consume(batch(exponentialLatency(), requests(T0, 7))).await(5, TimeUnit.SECONDS);

    assertThat(sink.received).extracting(RemoteWriteSink.Received::v2).containsExactly(true, false);
    RemoteWriteSink.WriteRequest w = sink.received.get(1).decode();
    assertThat(w.named("requests_total")).hasSize(1);
    assertThat(w.named("latency_seconds")).isEmpty();
    assertThat(((PrometheusRemoteWriteExporter) e).droppedPoints()).containsEntry("exponential_histogram", 1L);

    e.consume(batch(exponentialLatency(), requests(T0 + 1_000_000_000L, 8))).await(5, TimeUnit.SECONDS);
    assertThat(sink.received).extracting(RemoteWriteSink.Received::v2).containsExactly(true, false, false);
    assertThat(sink.received.get(2).decode().named("latency_seconds")).isEmpty();
    assertThat(((PrometheusRemoteWriteExporter) e).droppedPoints()).containsEntry("exponential_histogram", 2L);
    // The first batch was cut into requests for 2.0, so its histogram point, dropped at the
    // fall-back, still counts as sent; batches translated after the fall-back count only what goes out.
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(3);
  }

  @Test
  void remoteWrite1DropsExponentialHistogramsAndCountsThem() throws Exception {
    Exporter e = fx.start(config("snappy", QueueSettings.disabled(), Map.of(), Map.of()));

    e.consume(batch(exponentialLatency(), requests(T0, 7))).await(5, TimeUnit.SECONDS);

    assertThat(sink.received.get(0).decode().named("latency_seconds")).isEmpty();
    assertThat(((PrometheusRemoteWriteExporter) e).droppedPoints()).containsEntry("exponential_histogram", 1L);
  }

  @Test
  void retryAfterReadsSecondsAndDates() {
    java.time.Instant now = java.time.Instant.parse("2026-01-01T00:00:00Z");
    assertThat(PrometheusRemoteWriteExporter.parseRetryAfter("7", now)).isEqualTo(Duration.ofSeconds(7));
    assertThat(PrometheusRemoteWriteExporter.parseRetryAfter("Thu, 01 Jan 2026 00:00:30 GMT", now))
        .isEqualTo(Duration.ofSeconds(30));
    assertThat(PrometheusRemoteWriteExporter.parseRetryAfter("soon", now)).isNull();
    assertThat(PrometheusRemoteWriteExporter.failure(503, "m", null, now))
        .isInstanceOf(io.sluice.core.RetryableException.class);
    assertThat(PrometheusRemoteWriteExporter.failure(404, "m", null, now)).isInstanceOf(PermanentException.class);
  }
}
