package io.sluice.exporter.prometheusremotewrite;

import static io.sluice.exporter.prometheusremotewrite.TestBatches.T0;
import static io.sluice.exporter.prometheusremotewrite.TestBatches.gauge;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.core.Exporter;
import io.sluice.exporter.prometheusremotewrite.PrometheusRemoteWriteExporterConfig.RemoteWriteQueue;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a remote-write receiver can do besides answering with a status (those are in
 * {@link PrometheusRemoteWriteExporterTest}): answer too late, or not listen for a while.
 *
 * <p>What "nothing lost, nothing duplicated" means here: every sample accepted reaches the sink,
 * and per series in timestamp order. A request that reached the sink but whose answer the
 * exporter never got (it timed out, or the connection closed under it) is sent again; that resend
 * is byte for byte the request the sink already has, and it is the only kind of duplicate allowed.
 * The checks count such resends and then look at each distinct body once.
 */
class PrometheusRemoteWriteFaultsTest {
  private static final String ID = "prometheusremotewrite/faults";
  private static final String DURATIONS = "sluice_exporter_request_duration_seconds";

  @RegisterExtension
  final ExporterFixture fx = new ExporterFixture(ID);
  private final RemoteWriteSink sink = fx.sink;

  private Exporter start(RemoteWriteQueue queue, Duration timeout) throws Exception {
    return fx.start(TestBatches.config(fx.port, queue, 3_000_000, timeout));
  }

  /** Attempts the exporter made: each one, answered, failed or timed out, is one observed request duration. */
  private long attempts() {
    return fx.observations(DURATIONS);
  }

  @Test
  void aRequestAnsweredAfterTheTimeoutIsSentAgainAndCountedOnce() throws Exception {
    // The first request is answered only after 1.5 s; the exporter gives up on it after 300 ms.
    sink.delay(n -> n == 1 ? 1500L : 0L);
    Exporter e = start(new RemoteWriteQueue(false, 10, 1), Duration.ofMillis(300));

    long t0 = System.nanoTime();
    e.consume(gauge("level", 4, T0 + 1_000_000L, 1)).await(5, TimeUnit.SECONDS);
    long ackMs = (System.nanoTime() - t0) / 1_000_000;
    e.consume(gauge("level", 4, T0 + 2_000_000L, 2)).await(5, TimeUnit.SECONDS);

    assertThat(ackMs).as("acknowledged once the resend was answered, not the late first answer")
        .isBetween(300L, 1400L);
    assertThat(sink.calls()).isEqualTo(3);
    assertThat(sink.received.get(1).rawBody()).as("the resend is the timed-out request, byte for byte")
        .isEqualTo(sink.received.get(0).rawBody());
    assertThat(sink.resent()).isEqualTo(1);
    Map<String, List<Long>> ts = RemoteWriteSink.timestamps(sink.distinctAccepted(), "level", "n");
    assertThat(ts).hasSize(4).allSatisfy((n, list) -> assertThat(list).isEqualTo(TestBatches.millisFrom1To(2)));
    assertThat(fx.counter("sluice_exporter_sent_items")).as("each item counted once as sent").isEqualTo(8);
    assertThat(fx.counter("sluice_exporter_send_failed_items")).isZero();
    assertThat(attempts()).as("the timed-out attempt, its retry, the second batch").isEqualTo(3);
  }

  @Test
  void everythingAcceptedWhileTheEndpointIsDownArrivesInOrderOnceItIsBack() throws Exception {
    Exporter e = start(new RemoteWriteQueue(true, 1000, 2), Duration.ofSeconds(1));
    int series = 12;
    int batch = 0;
    for (; batch < 5; batch++) {
      e.consume(gauge("level", series, T0 + (batch + 1) * 1_000_000L, batch)).await(5, TimeUnit.SECONDS);
    }
    int before = batch;
    await().atMost(Duration.ofSeconds(10)).until(() -> fx.counter("sluice_exporter_sent_items") == before * series);

    sink.down();
    long attemptsBefore = attempts();
    for (; batch < 15; batch++) {
      e.consume(gauge("level", series, T0 + (batch + 1) * 1_000_000L, batch)).await(5, TimeUnit.SECONDS);
    }
    // Down for as long as the two shards take to be refused 20 times (about 1.5 s with this backoff).
    await().atMost(Duration.ofSeconds(20)).until(() -> attempts() - attemptsBefore >= 20);
    assertThat(fx.counter("sluice_exporter_sent_items")).as("nothing got through while down")
        .isEqualTo(before * series);
    sink.up();
    for (; batch < 20; batch++) {
      e.consume(gauge("level", series, T0 + (batch + 1) * 1_000_000L, batch)).await(5, TimeUnit.SECONDS);
    }
    int total = batch;

    await().atMost(Duration.ofSeconds(20)).until(() -> fx.counter("sluice_exporter_sent_items") == total * series);
    assertThat(fx.counter("sluice_exporter_send_failed_items")).isZero();
    assertThat(fx.counter("sluice_exporter_enqueue_failed_items")).isZero();
    long delivered = sink.distinctAccepted().size();
    assertThat(attempts()).as("refused attempts come on top of the requests that got through")
        .isGreaterThanOrEqualTo(delivered + 20);
    assertThat(sink.resent()).as("an answer lost in the close is the only reason to resend").isLessThanOrEqualTo(2);
    Map<String, List<Long>> ts = RemoteWriteSink.timestamps(sink.distinctAccepted(), "level", "n");
    assertThat(ts).hasSize(series).allSatisfy((n, list) -> assertThat(list)
        .as("series n=%s: every sample once, in order", n).isEqualTo(TestBatches.millisFrom1To(total)));
  }
}
