package io.sluice.exporter.prometheusremotewrite;

import static io.sluice.exporter.prometheusremotewrite.TestBatches.T0;
import static io.sluice.exporter.prometheusremotewrite.TestBatches.T0_MS;
import static io.sluice.exporter.prometheusremotewrite.TestBatches.gauge;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.core.Exporter;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.exporter.prometheusremotewrite.PrometheusRemoteWriteExporterConfig.RemoteWriteQueue;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.slf4j.LoggerFactory;
import org.xerial.snappy.Snappy;

/** Prometheus' sending knobs: max_samples_per_send, batch_send_deadline, and shards between min_shards and max_shards. */
class PrometheusRemoteWriteShardingTest {
  private static final String ID = "prometheusremotewrite/shards";

  @RegisterExtension
  final ExporterFixture fx = new ExporterFixture(ID);
  private final RemoteWriteSink sink = fx.sink;
  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void captureShardLogs() {
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(Shards.class)).addAppender(logs);
  }

  @AfterEach
  void detachShardLogs() {
    ((Logger) LoggerFactory.getLogger(Shards.class)).detachAppender(logs);
  }

  private PrometheusRemoteWriteExporter start(RemoteWriteQueue queue, long maxBatchSizeBytes, Duration updatePeriod)
      throws Exception {
    return fx.start(TestBatches.config(fx.port, queue, maxBatchSizeBytes, Duration.ofSeconds(5)), updatePeriod);
  }

  private static long samplesIn(RemoteWriteSink.Received r) {
    return r.decode().series().stream().mapToLong(s -> s.samples().size()).sum();
  }

  @Test
  void requestsCarryAtMostMaxSamplesPerSendAndCombineSmallBatches() throws Exception {
    Exporter e = start(new RemoteWriteQueue(true, 100, 1, null, null, 25, Duration.ofSeconds(30)), 3_000_000,
        Shards.DEFAULT_UPDATE_PERIOD);

    for (int b = 1; b <= 10; b++) {
      e.consume(gauge("level", 10, T0 + b * 1_000_000L, b)).await(5, TimeUnit.SECONDS);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> fx.counter("sluice_exporter_sent_items") == 100);
    assertThat(sink.received).as("ten batches of 10 samples, gathered 25 at a time").hasSize(4)
        .allSatisfy(r -> assertThat(samplesIn(r)).isEqualTo(25));
    Map<String, List<Long>> ts = RemoteWriteSink.timestamps(sink.received, "level", "n");
    assertThat(ts).hasSize(10).allSatisfy((n, list) -> assertThat(list).isEqualTo(TestBatches.millisFrom1To(10)));
  }

  @Test
  void gatheredRequestsAreStillCutAtMaxBatchSizeBytes() throws Exception {
    Exporter e = start(new RemoteWriteQueue(true, 100, 1, null, null, 1000, Duration.ofMillis(200)), 300,
        Shards.DEFAULT_UPDATE_PERIOD);

    for (int b = 1; b <= 4; b++) {
      e.consume(gauge("level", 5, T0 + b * 1_000_000L, b)).await(5, TimeUnit.SECONDS);
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> fx.counter("sluice_exporter_sent_items") == 20);
    assertThat(sink.received).hasSizeGreaterThan(1)
        .allSatisfy(r -> assertThat(Snappy.uncompressedLength(r.rawBody())).isLessThanOrEqualTo(300));
    assertThat(RemoteWriteSink.timestamps(sink.received, "level", "n")).hasSize(5)
        .allSatisfy((n, list) -> assertThat(list).isEqualTo(TestBatches.millisFrom1To(4)));
  }

  @Test
  void aLoneSmallBatchGoesOutAfterBatchSendDeadline() throws Exception {
    Exporter e = start(new RemoteWriteQueue(false, 100, 1, null, null, 1000, Duration.ofMillis(300)), 3_000_000,
        Shards.DEFAULT_UPDATE_PERIOD);

    long t0 = System.nanoTime();
    Future<Void> ack = e.consume(gauge("level", 3, T0, 1));
    assertThat(ack.isComplete()).as("nothing is sent before the deadline").isFalse();
    ack.await(5, TimeUnit.SECONDS);

    assertThat(sink.calls()).isEqualTo(1);
    assertThat(samplesIn(sink.received.get(0))).isEqualTo(3);
    long waitedMs = (sink.arrivedNanos.get(0) - t0) / 1_000_000;
    assertThat(waitedMs).as("sent once the oldest sample waited batch_send_deadline").isBetween(290L, 3000L);
  }

  @Test
  void aBatchSpreadOverTwoRequestsIsAcknowledgedOnlyOnceBothAreDelivered() throws Exception {
    Exporter e = start(new RemoteWriteQueue(false, 100, 1, null, null, 15, Duration.ofSeconds(1)), 3_000_000,
        Shards.DEFAULT_UPDATE_PERIOD);

    Future<Void> first = e.consume(gauge("level", 10, T0 + 1_000_000L, 1));
    Future<Void> second = e.consume(gauge("level", 10, T0 + 2_000_000L, 2));
    first.await(5, TimeUnit.SECONDS);

    assertThat(sink.calls()).as("10 samples of the first batch and 5 of the second").isEqualTo(1);
    assertThat(samplesIn(sink.received.get(0))).isEqualTo(15);
    assertThat(second.isComplete()).as("5 samples of the second batch wait for the deadline").isFalse();
    second.await(5, TimeUnit.SECONDS);
    assertThat(sink.calls()).isEqualTo(2);
    assertThat(samplesIn(sink.received.get(1))).isEqualTo(5);
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(20);
    assertThat(RemoteWriteSink.timestamps(sink.received, "level", "n")).hasSize(10)
        .allSatisfy((n, list) -> assertThat(list).isEqualTo(TestBatches.millisFrom1To(2)));
  }

  @Test
  void shutdownSendsAGatheringRequestWithoutWaitingForTheDeadline() throws Exception {
    Exporter e = start(new RemoteWriteQueue(true, 100, 2, null, null, 1000, Duration.ofSeconds(60)), 3_000_000,
        Shards.DEFAULT_UPDATE_PERIOD);
    e.consume(gauge("level", 8, T0, 1)).await(5, TimeUnit.SECONDS);
    assertThat(sink.calls()).isZero();

    long t0 = System.nanoTime();
    e.shutdown().await(10, TimeUnit.SECONDS);

    assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5000);
    assertThat(fx.counter("sluice_exporter_sent_items")).isEqualTo(8);
    assertThat(sink.received.stream().mapToLong(PrometheusRemoteWriteShardingTest::samplesIn).sum()).isEqualTo(8);
  }

  @Test
  void doesNotReshardWhileSendingFails() throws Exception {
    sink.delay(n -> 100L);
    PrometheusRemoteWriteExporter e = start(new RemoteWriteQueue(true, 100_000, 1, 1, 6, 50, Duration.ofMillis(100)),
        3_000_000, Duration.ofMillis(100));
    // A light load first, so the exporter knows how long sending takes: about 5 ms per sample.
    for (int b = 1; b <= 5; b++) {
      e.consume(gauge("level", 20, T0 + b * 1_000_000L, b)).await(5, TimeUnit.SECONDS);
      int delivered = b * 20;
      await().atMost(Duration.ofSeconds(5)).until(() -> fx.counter("sluice_exporter_sent_items") == delivered);
    }
    // Then the receiver fails every request at once while 1000 samples/s arrive, which would need 5 shards.
    sink.delay(n -> 0L);
    sink.behave(n -> RemoteWriteSink.Reply.status(503));
    AtomicLong sent = new AtomicLong(5);
    long busy = fx.tv.vertx().setPeriodic(20, id -> {
      long k = sent.incrementAndGet();
      e.consume(gauge("level", 20, T0 + k * 1_000_000L, k));
    });
    int callsBefore = sink.calls();
    try {
      // 15 failed attempts (backing off from 20 ms to 200 ms) span about 2 s: some 20 updates of the count.
      await().atMost(Duration.ofSeconds(20)).until(() -> sink.calls() - callsBefore >= 15);
      assertThat(e.shardCount()).isEqualTo(1);
      assertThat(logs.list).noneMatch(l -> l.getFormattedMessage().contains("reshards from"));
    } finally {
      fx.tv.vertx().cancelTimer(busy);
    }

    sink.behave(n -> RemoteWriteSink.Reply.status(204));
    await().atMost(Duration.ofSeconds(20))
        .until(() -> fx.counter("sluice_exporter_sent_items") == (double) sent.get() * 20);
    assertThat(fx.counter("sluice_exporter_send_failed_items")).isZero();
    assertThat(RemoteWriteSink.timestamps(sink.distinctAccepted(), "level", "n")).hasSize(20)
        .allSatisfy((n, list) -> assertThat(list).isEqualTo(TestBatches.millisFrom1To(sent.get())));
  }

  @Test
  void withoutMaxShardsNumConsumersIsTheFixedCount() throws Exception {
    PrometheusRemoteWriteExporter e = start(new RemoteWriteQueue(true, 100, 3), 3_000_000, Duration.ofMillis(50));

    assertThat(e.shardCount()).isEqualTo(3);
    assertThat(SelfMetricsReader.gauge(fx.metrics, ShardsGauge.NAME, "component_id", ID)).isEqualTo(3);
  }

  @Test
  void shardsGrowUnderLoadShrinkWhenQuietAndEverySampleArrivesOnceInOrder() throws Exception {
    sink.delay(n -> 100L);
    PrometheusRemoteWriteExporter e = start(new RemoteWriteQueue(true, 100_000, 1, 1, 6, 50, Duration.ofMillis(100)),
        3_000_000, Duration.ofMillis(200));
    assertThat(e.shardCount()).isEqualTo(1);

    Vertx vertx = fx.tv.vertx();
    AtomicLong sent = new AtomicLong();
    AtomicInteger refused = new AtomicInteger();
    AtomicInteger mostShards = new AtomicInteger();
    int series = 20;
    Runnable produce = () -> {
      long k = sent.incrementAndGet();
      e.consume(gauge("level", series, T0 + k * 1_000_000L, k)).onFailure(x -> refused.incrementAndGet());
    };
    long watch = vertx.setPeriodic(20, id -> mostShards.accumulateAndGet(e.shardCount(), Math::max));
    // 1000 samples/s while one shard sends at most 50 samples per 100 ms request: 500/s.
    long busy = vertx.setPeriodic(20, id -> produce.run());
    await().atMost(Duration.ofSeconds(20)).until(() -> e.shardCount() >= 3);
    vertx.cancelTimer(busy);
    long quiet = vertx.setPeriodic(250, id -> produce.run());
    await().atMost(Duration.ofSeconds(30)).until(() -> e.shardCount() == 1);
    vertx.cancelTimer(quiet);
    vertx.cancelTimer(watch);

    await().atMost(Duration.ofSeconds(30))
        .until(() -> fx.counter("sluice_exporter_sent_items") == (double) sent.get() * series);
    assertThat(refused).hasValue(0);
    assertThat(mostShards.get()).isBetween(3, 6);
    assertThat(SelfMetricsReader.gauge(fx.metrics, ShardsGauge.NAME, "component_id", ID)).isEqualTo(1);
    assertThat(sink.maxInFlight()).as("shards sent in parallel").isGreaterThan(1);
    assertThat(sink.resent()).isZero();
    Map<String, List<Long>> ts = RemoteWriteSink.timestamps(sink.received, "level", "n");
    List<Long> expected = TestBatches.millisFrom1To(sent.get());
    assertThat(ts).hasSize(series).allSatisfy((n, list) -> assertThat(list)
        .as("series n=%s: every sample once, in order, across reshards", n).isEqualTo(expected));
    assertThat(fx.counter("sluice_exporter_send_failed_items")).isZero();
    assertThat(sink.received).allSatisfy(r -> assertThat(samplesIn(r)).isLessThanOrEqualTo(50));
    List<String> reshards = logs.list.stream().map(ILoggingEvent::getFormattedMessage)
        .filter(m -> m.contains("reshards from")).toList();
    assertThat(reshards).anySatisfy(m -> assertThat(m).startsWith("Exporter '" + ID + "' reshards from 1 to")
        .contains("samples/s in"));
    assertThat(reshards).anySatisfy(m -> assertThat(m).contains(" to 1 shard(s)"));
  }
}
