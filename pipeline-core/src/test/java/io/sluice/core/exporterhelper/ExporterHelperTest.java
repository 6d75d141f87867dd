package io.sluice.core.exporterhelper;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentKind;
import io.sluice.core.PermanentException;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class ExporterHelperTest {
  private static final String ID = "otlp/test";
  private static final Duration WAIT = Duration.ofSeconds(5);
  /** How long a test watches for something that must not happen. */
  private static final Duration QUIET = Duration.ofMillis(150);

  private TestVertx tv;
  private Vertx vertx;
  private SelfMetrics metrics;
  private ComponentContext ctx;
  private ScriptedSender sender;
  private final List<ExporterHelper> helpers = new ArrayList<>();

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    vertx = tv.vertx();
    metrics = new SelfMetrics();
    ctx = TestContexts.context(vertx, ComponentKind.EXPORTER, ID, metrics);
    sender = new ScriptedSender();
  }

  @AfterEach
  void tearDown() {
    for (ExporterHelper h : helpers) {
      h.shutdown();
    }
    tv.close();
  }

  // ---------------------------------------------------------------- queue enabled

  @Test
  void queueEnabledAcknowledgesOnEnqueueThenDelivers() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 2, 10)).retry(fastRetry()));
    Batch batch = TestData.traces(7, 1);

    Future<Void> ack = h.consume(batch);

    awaitSuccess(ack);
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    assertThat(sender.calls.get(0).batch()).isSameAs(batch);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isZero();

    sender.calls.get(0).promise().complete();

    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 7);
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isZero();
  }

  @Test
  void aQueueHoldingItsLimitInBytesRefusesMoreAndTakesBatchesAgainOnceItDrains() {
    Batch one = TestData.traces(50, 1);
    long size = one.sizeBytes();
    assertThat(size).isPositive();
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, 1000)).retry(fastRetry())
        .maxQueuedBytes(size * 2 + size / 2));

    awaitSuccess(h.consume(one)); // taken by the one consumer, not queued
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    awaitSuccess(h.consume(TestData.traces(50, 2)));
    awaitSuccess(h.consume(TestData.traces(50, 3))); // two batches queued: under 2.5 batches' bytes
    Throwable err = awaitFailure(h.consume(TestData.traces(50, 4)));

    assertThat(err).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("bytes");
    assertThat(h.queueSize()).isEqualTo(2);
    assertThat(counter("sluice_exporter_enqueue_failed_items", "traces")).isEqualTo(50);
    sender.answerEveryCall(Future::succeededFuture);
    sender.calls.get(0).promise().complete();
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 150);
    awaitSuccess(h.consume(TestData.traces(50, 5)));
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 200);
  }

  @Test
  void fullQueueRefusesWithResourceExhaustedAndCountsEnqueueFailed() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, 2)).retry(fastRetry()));

    awaitSuccess(h.consume(TestData.traces(1, 1))); // taken by the one consumer
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    awaitSuccess(h.consume(TestData.traces(2, 2))); // waits
    awaitSuccess(h.consume(TestData.traces(3, 3))); // waits: the queue is full now
    Future<Void> refused = h.consume(TestData.traces(5, 4));

    Throwable err = awaitFailure(refused);
    assertThat(err).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining(ID);
    assertThat(((ResourceExhaustedException) err).retryAfter()).isPositive();
    assertThat(counter("sluice_exporter_enqueue_failed_items", "traces")).isEqualTo(5);
    assertThat(counter("sluice_exporter_enqueue_failed_items", "metrics")).isZero();
    assertThat(h.queueSize()).isEqualTo(2);

    // Once the backend answers the queue drains and takes batches again.
    sender.answerEveryCall(Future::succeededFuture);
    sender.calls.get(0).promise().complete();
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 1 + 2 + 3);
    awaitSuccess(h.consume(TestData.traces(4, 5)));
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 10);
    assertThat(counter("sluice_exporter_enqueue_failed_items", "traces")).isEqualTo(5);
  }

  @Test
  void keepsAtMostNumConsumersRequestsInFlight() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 3, 100)).retry(fastRetry()));
    for (int i = 0; i < 10; i++) {
      awaitSuccess(h.consume(TestData.traces(1, i)));
    }

    int answered = 0;
    while (answered < 10) {
      int expected = Math.min(answered + 3, 10);
      await().atMost(WAIT).until(() -> sender.calls.size() == expected);
      // Nobody answered, so no further request may start.
      await().during(Duration.ofMillis(50)).atMost(WAIT).until(() -> sender.calls.size() == expected);
      assertThat(sender.inFlight.get()).isEqualTo(expected - answered);
      sender.calls.get(answered).promise().complete();
      answered++;
    }

    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 10);
    assertThat(sender.maxInFlight.get()).isEqualTo(3);
    assertThat(h.queueSize()).isZero();
  }

  @Test
  void queueSizeGaugeReportsWaitingBatchesAndCapacity() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, 5)).retry(fastRetry()));
    assertThat(gauge("sluice_exporter_queue_capacity")).isEqualTo(5);
    assertThat(gauge("sluice_exporter_queue_size")).isZero();

    for (int i = 0; i < 3; i++) {
      awaitSuccess(h.consume(TestData.logs(2, i)));
    }
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    assertThat(gauge("sluice_exporter_queue_size")).isEqualTo(2);
    assertThat(h.queueSize()).isEqualTo(2);

    sender.answerEveryCall(Future::succeededFuture);
    sender.calls.get(0).promise().complete();
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "logs") == 6);
    assertThat(gauge("sluice_exporter_queue_size")).isZero();
  }

  // ---------------------------------------------------------------- the Collector's queue keys

  private static QueueSettings queue(int consumers, int size, String sizer, boolean block, boolean waitForResult,
      QueueSettings.Batching batch) {
    return new QueueSettings(true, consumers, size, sizer, block, waitForResult, batch);
  }

  @Test
  void anItemsSizerCountsSpansNotBatches() {
    ExporterHelper h = started(builder().queue(queue(1, 10, "items", false, false, null)).retry(fastRetry()));
    assertThat(gauge("sluice_exporter_queue_capacity")).isEqualTo(10);

    awaitSuccess(h.consume(TestData.traces(3, 1))); // taken by the one consumer
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    awaitSuccess(h.consume(TestData.traces(4, 2)));
    awaitSuccess(h.consume(TestData.traces(6, 3))); // 10 spans wait: the queue is full
    Throwable err = awaitFailure(h.consume(TestData.traces(1, 4)));

    assertThat(err).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("10 items");
    assertThat(h.queueSize()).isEqualTo(10);
    assertThat(gauge("sluice_exporter_queue_size")).isEqualTo(10);
    sender.answerEveryCall(Future::succeededFuture);
    sender.calls.get(0).promise().complete();
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 13);
    assertThat(h.queueSize()).isZero();
  }

  @Test
  void blockOnOverflowHoldsTheBatchUntilThereIsRoomInsteadOfRefusing() {
    ExporterHelper h = started(builder().queue(queue(1, 1, "requests", true, false, null)).retry(fastRetry()));

    awaitSuccess(h.consume(TestData.logs(1, 1))); // in flight
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    awaitSuccess(h.consume(TestData.logs(2, 2))); // fills the queue
    Future<Void> held = h.consume(TestData.logs(3, 3));
    Future<Void> behind = h.consume(TestData.logs(4, 4));

    await().during(QUIET).atMost(WAIT).until(() -> !held.isComplete() && !behind.isComplete());
    assertThat(counter("sluice_exporter_enqueue_failed_items", "logs")).isZero();
    sender.calls.get(0).promise().complete(); // the queued batch goes out, the held one takes its place
    awaitSuccess(held);
    assertThat(behind.isComplete()).as("a later batch waits behind the held one").isFalse();
    sender.answerEveryCall(Future::succeededFuture);
    sender.calls.get(1).promise().complete();
    awaitSuccess(behind);
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "logs") == 10);
    assertThat(sender.calls).extracting(c -> c.batch().itemCount()).containsExactly(1, 2, 3, 4);
  }

  @Test
  void shutdownTellsTheSendersOfBlockedBatchesToTryAgain() {
    ExporterHelper h = started(builder().queue(queue(1, 1, "requests", true, false, null)).retry(fastRetry()));
    awaitSuccess(h.consume(TestData.logs(1, 1)));
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    awaitSuccess(h.consume(TestData.logs(2, 2)));
    Future<Void> held = h.consume(TestData.logs(3, 3));
    onContext(h);

    Future<Void> stopped = h.shutdown();

    assertThat(awaitFailure(held)).isInstanceOf(RetryableException.class).hasMessageContaining("shutting down");
    sender.answerEveryCall(Future::succeededFuture);
    sender.calls.get(0).promise().complete();
    awaitSuccess(stopped);
    assertThat(counter("sluice_exporter_sent_items", "logs")).isEqualTo(3);
  }

  @Test
  void waitForResultAcknowledgesOnlyOnceDelivered() {
    ExporterHelper h = started(builder().queue(queue(2, 10, "requests", false, true, null)).retry(fastRetry()));

    Future<Void> ack = h.consume(TestData.metrics(2, 1));

    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    await().during(QUIET).atMost(WAIT).until(() -> !ack.isComplete());
    sender.calls.get(0).promise().complete();
    awaitSuccess(ack);

    sender.script((n, b) -> Future.failedFuture(new PermanentException("400 bad data")));
    assertThat(awaitFailure(h.consume(TestData.metrics(1, 2)))).isInstanceOf(PermanentException.class);
  }

  @Test
  void batchMergesQueuedRequestsUntilMinSize() {
    sender.answerEveryCall(Future::succeededFuture);
    ExporterHelper h = started(builder().retry(fastRetry()).queue(queue(2, 1000, "requests", false, false,
        new QueueSettings.Batching(Duration.ofSeconds(30), "items", 10L, 0L))));
    List<Batch> parts = List.of(TestData.traces(3, 1), TestData.traces(4, 2), TestData.traces(5, 3));

    awaitSuccess(h.consume(parts.get(0)));
    awaitSuccess(h.consume(TestData.logs(2, 9))); // another signal gathers on its own
    awaitSuccess(h.consume(parts.get(1)));
    await().during(QUIET).atMost(WAIT).until(() -> sender.calls.isEmpty());
    awaitSuccess(h.consume(parts.get(2))); // 12 spans: past min_size, out at once

    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    Batch sent = sender.calls.get(0).batch();
    assertThat(sent.itemCount()).isEqualTo(12);
    List<Object> expected = new ArrayList<>();
    parts.forEach(b -> expected.addAll(b.resourceSpans()));
    assertThat(sent.resourceSpans()).isEqualTo(expected);
    assertThat(h.queueSize()).as("the logs still gather").isEqualTo(1);
  }

  @Test
  void batchSendsWhatGatheredAfterFlushTimeoutAndCutsToMaxSize() {
    sender.answerEveryCall(Future::succeededFuture);
    ExporterHelper h = started(builder().retry(fastRetry()).queue(queue(2, 1000, "items", false, true,
        new QueueSettings.Batching(Duration.ofMillis(100), null, 1000L, 4L))));

    long before = System.nanoTime();
    Future<Void> first = h.consume(TestData.logs(3, 1));
    Future<Void> second = h.consume(TestData.logs(7, 2));

    awaitSuccess(first);
    awaitSuccess(second);
    assertThat(TimeUnit.NANOSECONDS.toMillis(sender.calls.get(0).atNanos() - before))
        .as("the first request waits out flush_timeout, as 10 items are under min_size").isGreaterThanOrEqualTo(100);
    assertThat(sender.calls).extracting(c -> c.batch().itemCount()).containsExactly(4, 4, 2);
    assertThat(counter("sluice_exporter_sent_items", "logs")).isEqualTo(10);
  }

  @Test
  void shutdownSendsWhatIsStillGathering() {
    sender.answerEveryCall(Future::succeededFuture);
    ExporterHelper h = started(builder().retry(fastRetry()).queue(queue(1, 1000, "requests", false, false,
        new QueueSettings.Batching(Duration.ofMinutes(5), null, 1000L, 0L))));
    awaitSuccess(h.consume(TestData.traces(5, 1)));
    awaitSuccess(h.consume(TestData.traces(6, 2)));
    assertThat(sender.calls).isEmpty();

    awaitSuccess(h.shutdown());

    assertThat(sender.calls).extracting(c -> c.batch().itemCount()).containsExactly(11);
  }

  // ---------------------------------------------------------------- retries

  @Test
  void retryableFailureIsRetriedWithBackoffThenDeliveredExactlyOnce() {
    // No jitter, so the waits are exactly 20 ms then 40 ms.
    RetrySettings retry = new RetrySettings(true, Duration.ofMillis(20), 0, 2.0, Duration.ofSeconds(1),
        Duration.ofSeconds(10));
    sender.script((n, b) -> n < 2 ? Future.failedFuture(new RetryableException("backend down " + n))
        : Future.succeededFuture());
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, 10)).retry(retry));

    awaitSuccess(h.consume(TestData.traces(4, 1)));

    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 4);
    await().during(QUIET).atMost(WAIT).until(() -> sender.calls.size() == 3);
    assertThat(millisBetween(0, 1)).isGreaterThanOrEqualTo(20);
    assertThat(millisBetween(1, 2)).isGreaterThanOrEqualTo(40);
    assertThat(sender.calls).extracting(ScriptedSender.Call::batch).containsOnly(sender.calls.get(0).batch());
    assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(4);
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isZero();
    assertThat(counter("sluice_exporter_retried_requests", "traces")).as("retries").isEqualTo(2);
  }

  @Test
  void jitterNeverShortensTheWaitBelowItsLowerBound() {
    // Randomization 0.5 of 60 ms: every wait is between 30 and 90 ms.
    RetrySettings retry = new RetrySettings(true, Duration.ofMillis(60), 0.5, 1.0, Duration.ofSeconds(1),
        Duration.ofSeconds(10));
    sender.script((n, b) -> n < 3 ? Future.failedFuture(new RetryableException("down")) : Future.succeededFuture());
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(retry));

    awaitSuccess(h.consume(TestData.traces(1, 1)));

    assertThat(sender.calls).hasSize(4);
    for (int i = 0; i < 3; i++) {
      assertThat(millisBetween(i, i + 1)).isGreaterThanOrEqualTo(30);
    }
  }

  @Test
  void retryAfterFromTheErrorIsHonoured() {
    RetrySettings retry = new RetrySettings(true, Duration.ofMillis(10), 0, 1.5, Duration.ofMillis(50),
        Duration.ofSeconds(10));
    sender.script((n, b) -> switch (n) {
      case 0 -> Future.failedFuture(new RetryableException("slow down", Duration.ofMillis(250), null));
      case 1 -> Future.failedFuture(new ResourceExhaustedException("over quota", Duration.ofMillis(150)));
      default -> Future.succeededFuture();
    });
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, 10)).retry(retry));

    awaitSuccess(h.consume(TestData.metrics(1, 1)));

    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "metrics") == 3);
    assertThat(sender.calls).hasSize(3);
    assertThat(millisBetween(0, 1)).as("wait asked for by the first error").isGreaterThanOrEqualTo(250);
    assertThat(millisBetween(1, 2)).as("wait asked for by the second error").isGreaterThanOrEqualTo(150);
  }

  @Test
  void permanentFailureIsNotRetriedAndCountsSendFailed() {
    sender.script((n, b) -> Future.failedFuture(new PermanentException("400 Bad Request: invalid span")));
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, 10)).retry(fastRetry()));

    awaitSuccess(h.consume(TestData.traces(6, 1)));

    await().atMost(WAIT).until(() -> counter("sluice_exporter_send_failed_items", "traces") == 6);
    await().during(QUIET).atMost(WAIT).until(() -> sender.calls.size() == 1);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isZero();
  }

  @Test
  void permanentFailureBehindAWrapperIsNotRetried() {
    sender.script((n, b) -> Future.failedFuture(
        new IllegalStateException("encoding failed", new PermanentException("attribute too large"))));
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(fastRetry()));

    Throwable err = awaitFailure(h.consume(TestData.logs(2, 1)));

    assertThat(err).hasRootCauseInstanceOf(PermanentException.class);
    assertThat(sender.calls).hasSize(1);
    assertThat(counter("sluice_exporter_send_failed_items", "logs")).isEqualTo(2);
  }

  @Test
  void otherFailuresAreRetried() {
    sender.script((n, b) -> n == 0 ? Future.failedFuture(new java.io.IOException("connection reset"))
        : Future.succeededFuture());
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(fastRetry()));

    awaitSuccess(h.consume(TestData.traces(1, 1)));

    assertThat(sender.calls).hasSize(2);
  }

  @Test
  void senderThatThrowsCountsAsAFailedAttempt() {
    AtomicInteger n = new AtomicInteger();
    RequestSender throwing = b -> {
      if (n.getAndIncrement() == 0) {
        throw new IllegalStateException("client not ready");
      }
      return Future.succeededFuture();
    };
    ExporterHelper h = track(ExporterHelper.builder(ctx, throwing).queue(QueueSettings.disabled())
        .retry(fastRetry()).build());
    awaitSuccess(h.start());

    awaitSuccess(h.consume(TestData.traces(1, 1)));

    assertThat(n.get()).isEqualTo(2);
  }

  @Test
  void senderThatReturnsNoFutureFailsTheBatchInsteadOfHanging() {
    ExporterHelper h = track(ExporterHelper.builder(ctx, b -> null).queue(QueueSettings.disabled())
        .retry(RetrySettings.disabled()).build());
    awaitSuccess(h.start());

    Throwable err = awaitFailure(h.consume(TestData.traces(3, 1)));

    assertThat(err).hasMessageContaining(ID);
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isEqualTo(3);
  }

  @Test
  void givesUpAfterMaxElapsedTimeAndCountsSendFailed() {
    RetrySettings retry = new RetrySettings(true, Duration.ofMillis(10), 0, 1.0, Duration.ofMillis(10),
        Duration.ofMillis(120));
    sender.script((n, b) -> Future.failedFuture(new RetryableException("503 Service Unavailable")));
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(retry));

    Throwable err = awaitFailure(h.consume(TestData.traces(3, 1)));

    assertThat(err).isInstanceOf(RetryableException.class).hasMessageContaining(ID).hasMessageContaining("gave up")
        .hasRootCauseMessage("503 Service Unavailable");
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isEqualTo(3);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isZero();
    int calls = sender.calls.size();
    assertThat(calls).isGreaterThan(1);
    // Retries stop near max_elapsed_time (120 ms), not after the 10 s the test allows.
    assertThat(millisBetween(0, calls - 1)).isLessThan(2000);
    await().during(QUIET).atMost(WAIT).until(() -> sender.calls.size() == calls);
  }

  @Test
  void givesUpRatherThanWaitPastMaxElapsedTimeForARetryAfter() {
    RetrySettings retry = new RetrySettings(true, Duration.ofMillis(10), 0, 1.0, Duration.ofMillis(10),
        Duration.ofMillis(200));
    sender.script((n, b) -> Future.failedFuture(new RetryableException("throttled", Duration.ofSeconds(30), null)));
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(retry));

    long t0 = System.nanoTime();
    Throwable err = awaitFailure(h.consume(TestData.traces(1, 1)));

    assertThat(err).isInstanceOf(RetryableException.class);
    assertThat(sender.calls).hasSize(1);
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).isLessThan(3000);
  }

  @Test
  void retryDisabledDropsOnTheFirstFailure() {
    sender.script((n, b) -> Future.failedFuture(new RetryableException("down")));
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, 10)).retry(RetrySettings.disabled()));

    awaitSuccess(h.consume(TestData.metrics(1, 1)));

    await().atMost(WAIT).until(() -> counter("sluice_exporter_send_failed_items", "metrics") == 3);
    await().during(QUIET).atMost(WAIT).until(() -> sender.calls.size() == 1);
  }

  // ---------------------------------------------------------------- queue disabled

  @Test
  void queueDisabledAckWaitsForDelivery() {
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(fastRetry()));

    Future<Void> ack = h.consume(TestData.traces(2, 1));

    await().atMost(WAIT).until(() -> sender.calls.size() == 1);
    await().during(QUIET).atMost(WAIT).until(() -> !ack.isComplete());
    sender.calls.get(0).promise().complete();
    awaitSuccess(ack);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(2);
  }

  @Test
  void queueDisabledHandsPermanentFailuresToTheCaller() {
    PermanentException bad = new PermanentException("400 Bad Request");
    sender.script((n, b) -> Future.failedFuture(bad));
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(fastRetry()));

    assertThat(awaitFailure(h.consume(TestData.traces(2, 1)))).isSameAs(bad);
    assertThat(sender.calls).hasSize(1);
  }

  @Test
  void queueDisabledWithoutRetriesHandsRetryableFailuresToTheCaller() {
    RetryableException down = new RetryableException("503", Duration.ofSeconds(2), null);
    sender.script((n, b) -> Future.failedFuture(down));
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(RetrySettings.disabled()));

    assertThat(awaitFailure(h.consume(TestData.traces(2, 1)))).isSameAs(down);
  }

  // ---------------------------------------------------------------- timeout

  @Test
  void timeoutTurnsANeverCompletingSendIntoARetry() {
    // The first request never answers; the second does.
    sender.script((n, b) -> n == 0 ? null : Future.succeededFuture());
    ExporterHelper h = started(builder().timeout(Duration.ofMillis(50)).queue(QueueSettings.disabled())
        .retry(fastRetry()));

    awaitSuccess(h.consume(TestData.traces(2, 1)));

    assertThat(sender.calls).hasSize(2);
    assertThat(millisBetween(0, 1)).isGreaterThanOrEqualTo(50);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(2);
  }

  @Test
  void timeoutWithoutRetriesFailsTheBatchRetryably() {
    ExporterHelper h = started(builder().timeout(Duration.ofMillis(30)).queue(QueueSettings.disabled())
        .retry(RetrySettings.disabled()));

    Throwable err = awaitFailure(h.consume(TestData.traces(2, 1)));

    assertThat(err).isInstanceOf(RetryableException.class).hasMessageContaining("timed out").hasMessageContaining(ID);
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isEqualTo(2);
  }

  @Test
  void answerAfterTheTimeoutIsIgnored() {
    sender.script((n, b) -> n == 0 ? null : Future.succeededFuture());
    ExporterHelper h = started(builder().timeout(Duration.ofMillis(30)).queue(QueueSettings.disabled())
        .retry(fastRetry()));

    awaitSuccess(h.consume(TestData.traces(2, 1)));
    sender.calls.get(0).promise().complete(); // the late answer of the timed-out request

    await().during(QUIET).atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 2);
  }

  // ---------------------------------------------------------------- threads

  @Test
  void senderIsAlwaysCalledOnTheExporterContextEvenWhenAnswersArriveOnOtherThreads() throws Exception {
    ScheduledExecutorService foreign = Executors.newSingleThreadScheduledExecutor(
        r -> new Thread(r, "grpc-like-callback"));
    try {
      List<String> problems = new CopyOnWriteArrayList<>();
      AtomicInteger n = new AtomicInteger();
      RetrySettings retry = new RetrySettings(true, Duration.ofMillis(5), 0, 1.0, Duration.ofMillis(5),
          Duration.ofSeconds(10));
      ExporterHelper[] self = new ExporterHelper[1];
      RequestSender answeringElsewhere = b -> {
        if (Vertx.currentContext() != self[0].context()) {
          problems.add("send called on " + Thread.currentThread().getName());
        }
        Promise<Void> p = Promise.promise();
        int i = n.getAndIncrement();
        // Answered a moment later on a thread Vert.x does not know, as a gRPC client would.
        foreign.schedule(() -> {
          if (i % 3 == 0) {
            p.fail(new RetryableException("try again"));
          } else {
            p.complete();
          }
        }, 2, TimeUnit.MILLISECONDS);
        return p.future();
      };
      ExporterHelper h = track(ExporterHelper.builder(ctx, answeringElsewhere)
          .queue(new QueueSettings(true, 2, 100)).retry(retry).build());
      self[0] = h;
      awaitSuccess(h.start());

      List<Future<Void>> acks = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        acks.add(h.consume(TestData.traces(1, i)));
      }
      acks.forEach(ExporterHelperTest::awaitSuccess);

      await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 20);
      assertThat(problems).isEmpty();
      awaitSuccess(h.shutdown());
      assertThat(problems).isEmpty();
    } finally {
      foreign.shutdownNow();
    }
  }

  @Test
  void acknowledgementsCompleteOnTheCallersContext() {
    ExporterHelper queued = started(builder().queue(new QueueSettings(true, 1, 10)).retry(fastRetry()));
    ExporterHelper direct = track(ExporterHelper.builder(ctx, b -> Future.succeededFuture())
        .queue(QueueSettings.disabled()).retry(fastRetry()).build());
    awaitSuccess(direct.start());
    Context receiver = vertx.getOrCreateContext();
    List<Context> seen = new CopyOnWriteArrayList<>();

    receiver.runOnContext(v -> {
      queued.consume(TestData.traces(1, 1)).onComplete(ar -> seen.add(Vertx.currentContext()));
      direct.consume(TestData.traces(1, 2)).onComplete(ar -> seen.add(Vertx.currentContext()));
    });

    await().atMost(WAIT).until(() -> seen.size() == 2);
    assertThat(seen).containsOnly(receiver);
    assertThat(receiver).isNotSameAs(queued.context()).isNotSameAs(direct.context());
  }

  @Test
  void drainsALongBacklogOfImmediateAnswersWithoutRunningOutOfStack() {
    int backlog = 20_000;
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, backlog)).retry(fastRetry()));
    Batch batch = TestData.traces(1, 1);
    for (int i = 0; i < backlog; i++) {
      h.consume(batch);
    }
    awaitSuccess(h.consume(batch));
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);

    sender.answerEveryCall(Future::succeededFuture);
    sender.calls.get(0).promise().complete();

    await().atMost(Duration.ofSeconds(20)).until(() -> counter("sluice_exporter_sent_items", "traces") == backlog + 1);
    assertThat(h.queueSize()).isZero();
  }

  // ---------------------------------------------------------------- lifecycle

  @Test
  void consumeBeforeStartFailsRetryably() {
    ExporterHelper h = track(builder().build());

    Throwable err = awaitFailure(h.consume(TestData.traces(1, 1)));

    assertThat(err).isInstanceOf(RetryableException.class).hasMessageContaining(ID).hasMessageContaining("not started");
    assertThat(sender.calls).isEmpty();
  }

  @Test
  void consumeAfterShutdownFailsRetryably() {
    ExporterHelper h = started(builder());
    awaitSuccess(h.shutdown());

    Throwable err = awaitFailure(h.consume(TestData.traces(1, 1)));

    assertThat(err).isInstanceOf(RetryableException.class).hasMessageContaining(ID);
    assertThat(sender.calls).isEmpty();
  }

  @Test
  void shutdownDrainsQueuedAndInFlightBatchesThenCallsOnShutdown() {
    List<String> events = new CopyOnWriteArrayList<>();
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 1, 10)).retry(fastRetry())
        .onShutdown(() -> {
          events.add("onShutdown");
          return Future.succeededFuture();
        }));
    for (int i = 0; i < 3; i++) {
      awaitSuccess(h.consume(TestData.traces(1, i)));
    }
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);

    Future<Void> stopped = h.shutdown();

    assertThat(awaitFailure(h.consume(TestData.traces(1, 9)))).isInstanceOf(RetryableException.class)
        .hasMessageContaining("shutting down");
    for (int i = 0; i < 3; i++) {
      int call = i;
      await().atMost(WAIT).until(() -> sender.calls.size() == call + 1);
      await().during(Duration.ofMillis(50)).atMost(WAIT).until(() -> !stopped.isComplete());
      events.add("delivered " + call);
      sender.calls.get(call).promise().complete();
    }

    awaitSuccess(stopped);
    assertThat(events).containsExactly("delivered 0", "delivered 1", "delivered 2", "onShutdown");
    assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(3);
  }

  @Test
  void shutdownWaitsForAnUnqueuedDeliveryInFlight() {
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(fastRetry()));
    Future<Void> ack = h.consume(TestData.traces(1, 1));
    await().atMost(WAIT).until(() -> sender.calls.size() == 1);

    Future<Void> stopped = h.shutdown();

    await().during(Duration.ofMillis(50)).atMost(WAIT).until(() -> !stopped.isComplete());
    sender.calls.get(0).promise().complete();
    awaitSuccess(ack);
    awaitSuccess(stopped);
  }

  @Test
  void shutdownTwiceCompletesBothAndCallsOnShutdownOnce() {
    AtomicInteger onShutdown = new AtomicInteger();
    ExporterHelper h = started(builder().onShutdown(() -> {
      onShutdown.incrementAndGet();
      return Future.succeededFuture();
    }));

    Future<Void> first = h.shutdown();
    Future<Void> second = h.shutdown();

    awaitSuccess(first);
    awaitSuccess(second);
    awaitSuccess(h.shutdown());
    assertThat(onShutdown.get()).isEqualTo(1);
  }

  @Test
  void shutdownWithoutStartCompletesWithoutCallingOnShutdown() {
    AtomicInteger onShutdown = new AtomicInteger();
    ExporterHelper h = track(builder().onShutdown(() -> {
      onShutdown.incrementAndGet();
      return Future.succeededFuture();
    }).build());

    awaitSuccess(h.shutdown());
    awaitSuccess(h.shutdown());

    assertThat(onShutdown.get()).isZero();
  }

  @Test
  void onStartRunsOnceOnTheExporterContext() {
    AtomicInteger onStart = new AtomicInteger();
    List<Context> contexts = new CopyOnWriteArrayList<>();
    Promise<Void> clientBuilt = Promise.promise();
    ExporterHelper h = track(builder().onStart(() -> {
      onStart.incrementAndGet();
      contexts.add(Vertx.currentContext());
      return clientBuilt.future();
    }).build());

    Future<Void> first = h.start();
    Future<Void> second = h.start(); // while the first is still building its client
    await().atMost(WAIT).until(() -> onStart.get() == 1);
    clientBuilt.complete();

    awaitSuccess(first);
    awaitSuccess(second);
    awaitSuccess(h.start());
    assertThat(onStart.get()).isEqualTo(1);
    assertThat(contexts).containsExactly(h.context());
  }

  @Test
  void failedStartLeavesTheExporterRefusingAndCanBeRetried() {
    AtomicInteger onStart = new AtomicInteger();
    ExporterHelper h = track(builder().onStart(() -> onStart.incrementAndGet() == 1
        ? Future.failedFuture(new IllegalStateException("cannot read CA file"))
        : Future.succeededFuture()).build());

    assertThat(awaitFailure(h.start())).hasMessage("cannot read CA file");
    assertThat(awaitFailure(h.consume(TestData.traces(1, 1)))).isInstanceOf(RetryableException.class);

    awaitSuccess(h.start());
    awaitSuccess(h.consume(TestData.traces(1, 1)));
    assertThat(onStart.get()).isEqualTo(2);
  }

  @Test
  void onStartThatThrowsFailsStart() {
    ExporterHelper h = track(builder().onStart(() -> {
      throw new IllegalArgumentException("bad endpoint");
    }).build());

    assertThat(awaitFailure(h.start())).hasMessage("bad endpoint");
  }

  @Test
  void shutdownDuringStartWaitsForItAndLeavesTheExporterStopped() {
    Promise<Void> clientBuilt = Promise.promise();
    AtomicInteger onShutdown = new AtomicInteger();
    AtomicBoolean clientBuilding = new AtomicBoolean();
    ExporterHelper h = track(builder().onStart(() -> {
      clientBuilding.set(true);
      return clientBuilt.future();
    }).onShutdown(() -> {
      onShutdown.incrementAndGet();
      return Future.succeededFuture();
    }).build());

    Future<Void> started = h.start();
    await().atMost(WAIT).until(() -> clientBuilding.get());
    Future<Void> stopped = h.shutdown();
    onContext(h); // the shutdown has begun
    clientBuilt.complete();
    await().atMost(WAIT).until(() -> started.isComplete() && stopped.isComplete());

    assertThat(stopped.succeeded()).isTrue();
    assertThat(onShutdown.get()).as("the client built by start is closed").isEqualTo(1);
    assertThat(awaitFailure(h.consume(TestData.traces(1, 1)))).isInstanceOf(RetryableException.class);
  }

  @Test
  void startsAgainAfterShutdown() {
    AtomicInteger onStart = new AtomicInteger();
    ExporterHelper h = started(builder().onStart(() -> {
      onStart.incrementAndGet();
      return Future.succeededFuture();
    }));
    awaitSuccess(h.shutdown());

    awaitSuccess(h.start());
    sender.answerEveryCall(Future::succeededFuture);
    awaitSuccess(h.consume(TestData.traces(1, 1)));

    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 1);
    assertThat(onStart.get()).isEqualTo(2);
  }

  // ---------------------------------------------------------------- request keys

  /** The key of a test request: its number of spans. */
  private static Object spansKey(Batch b) {
    return b.itemCount();
  }

  @Test
  void aKeyHasOneRequestInFlightAndItsRequestsGoInOrderWhileOtherKeysGoOn() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 4, 100)).retry(fastRetry())
        .requestKey(ExporterHelperTest::spansKey));
    Batch a1 = TestData.traces(1, 1);
    Batch a2 = TestData.traces(1, 2);
    Batch a3 = TestData.traces(1, 3);
    Batch b1 = TestData.traces(2, 4);

    for (Batch b : List.of(a1, a2, a3, b1)) {
      awaitSuccess(h.consume(b));
    }

    await().atMost(WAIT).until(() -> sender.calls.size() == 2);
    onContext(h);
    assertThat(sender.calls).extracting(ScriptedSender.Call::batch).containsExactly(a1, b1);
    assertThat(h.queueSize()).isEqualTo(2);
    sender.calls.get(0).promise().complete();
    await().atMost(WAIT).until(() -> sender.calls.size() == 3);
    assertThat(sender.calls.get(2).batch()).isSameAs(a2);
    sender.calls.get(2).promise().complete();
    await().atMost(WAIT).until(() -> sender.calls.size() == 4);
    assertThat(sender.calls.get(3).batch()).isSameAs(a3);
    assertThat(sender.maxInFlight.get()).isEqualTo(2);
  }

  @Test
  void aKeyBeingRetriedDoesNotHoldUpOtherKeysAndNothingOfItsOwnOvertakesIt() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 2, 100)).retry(fastRetry())
        .requestKey(ExporterHelperTest::spansKey));
    AtomicInteger failuresLeft = new AtomicInteger(5);
    AtomicBoolean keyOneMayPass = new AtomicBoolean();
    sender.script((n, b) -> {
      if (b.itemCount() == 2) {
        return Future.succeededFuture();
      }
      if (!keyOneMayPass.get() || failuresLeft.decrementAndGet() >= 0) {
        return Future.failedFuture(new RetryableException("busy"));
      }
      return Future.succeededFuture();
    });
    Batch first = TestData.traces(1, 1);
    Batch second = TestData.traces(1, 2);
    awaitSuccess(h.consume(first));
    awaitSuccess(h.consume(second));
    for (int i = 0; i < 20; i++) {
      awaitSuccess(h.consume(TestData.traces(2, 10 + i)));
    }

    // Key 2's twenty requests are all delivered while key 1's first request keeps failing.
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 40);
    assertThat(sender.calls).filteredOn(c -> c.batch().itemCount() == 1)
        .extracting(ScriptedSender.Call::batch).containsOnly(first);
    keyOneMayPass.set(true);
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 42);
    List<Batch> keyOne = sender.calls.stream().filter(c -> c.batch().itemCount() == 1)
        .map(ScriptedSender.Call::batch).toList();
    assertThat(keyOne.get(keyOne.size() - 1)).isSameAs(second);
    assertThat(keyOne.subList(0, keyOne.size() - 1)).containsOnly(first);
  }

  @Test
  void keysWaitingOutTheirBackoffLeaveTheirSlotsToOtherKeys() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 2, 100))
        .retry(new RetrySettings(true, Duration.ofMillis(100), 0, 1, Duration.ofMillis(100), Duration.ofSeconds(20)))
        .requestKey(ExporterHelperTest::spansKey));
    AtomicBoolean backendBack = new AtomicBoolean();
    sender.script((n, b) -> b.itemCount() <= 3 && !backendBack.get()
        ? Future.failedFuture(new RetryableException("rate limited")) : Future.succeededFuture());

    // Three keys retrying, two slots: a fourth key still gets through, more than once.
    for (int spans = 1; spans <= 3; spans++) {
      awaitSuccess(h.consume(TestData.traces(spans, spans)));
    }
    for (int i = 0; i < 3; i++) {
      awaitSuccess(h.consume(TestData.traces(4, 10 + i)));
    }

    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 12);
    assertThat(sender.maxInFlight.get()).isLessThanOrEqualTo(2);
    backendBack.set(true);
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 12 + 1 + 2 + 3);
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isZero();
    awaitSuccess(h.shutdown());
  }

  @Test
  void shutdownWaitsForAKeyedRequestWaitingOutItsBackoff() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 2, 100))
        .retry(new RetrySettings(true, Duration.ofMillis(200), 0, 1, Duration.ofMillis(200), Duration.ofSeconds(20)))
        .requestKey(ExporterHelperTest::spansKey));
    AtomicInteger calls = new AtomicInteger();
    sender.script((n, b) -> calls.incrementAndGet() == 1
        ? Future.failedFuture(new RetryableException("busy")) : Future.succeededFuture());
    awaitSuccess(h.consume(TestData.traces(5, 1)));
    await().atMost(WAIT).until(() -> calls.get() == 1);

    Future<Void> down = h.shutdown();

    awaitSuccess(down);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(5);
  }

  @Test
  void aBatchBringingMoreKeysThanTheBoundIsRefusedUntilKeysAreFreed() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 10, 100)).retry(fastRetry())
        .requestKey(ExporterHelperTest::spansKey).maxKeys(2));
    awaitSuccess(h.consume(TestData.traces(1, 1)));
    awaitSuccess(h.consume(TestData.traces(2, 2)));
    awaitSuccess(h.consume(TestData.traces(1, 3))); // a key already busy: taken
    await().atMost(WAIT).until(() -> sender.calls.size() == 2);

    Throwable err = awaitFailure(h.consume(TestData.traces(3, 4)));

    assertThat(err).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("keys")
        .hasMessageContaining("2");
    assertThat(counter("sluice_exporter_enqueue_failed_items", "traces")).isEqualTo(3);
    sender.answerEveryCall(Future::succeededFuture);
    sender.calls.get(1).promise().complete(); // key 2 is done and forgotten
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 2);
    awaitSuccess(h.consume(TestData.traces(3, 5)));
    sender.calls.get(0).promise().complete();
    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 1 + 2 + 1 + 3);
    onContext(h);
    assertThat(h.activeKeys()).isZero();
  }

  @Test
  void anIdleExporterTakesABatchWithMoreKeysThanTheBound() {
    ExporterHelper h = started(builder().queue(new QueueSettings(true, 10, 100)).retry(fastRetry())
        .requestSplitter(b -> List.of(TestData.traces(1, 1), TestData.traces(2, 2), TestData.traces(3, 3)))
        .requestKey(ExporterHelperTest::spansKey).maxKeys(2));
    sender.answerEveryCall(Future::succeededFuture);

    awaitSuccess(h.consume(TestData.traces(6, 9)));

    await().atMost(WAIT).until(() -> counter("sluice_exporter_sent_items", "traces") == 6);
  }

  @Test
  void withoutAQueueKeyedRequestsAreAcknowledgedOnceAllAreDeliveredOneAtATimePerKey() {
    ExporterHelper h = started(builder().queue(QueueSettings.disabled()).retry(fastRetry())
        .requestSplitter(b -> List.of(TestData.traces(1, 1), TestData.traces(1, 2), TestData.traces(2, 3)))
        .requestKey(ExporterHelperTest::spansKey));

    Future<Void> ack = h.consume(TestData.traces(4, 9));

    await().atMost(WAIT).until(() -> sender.calls.size() == 2);
    onContext(h);
    assertThat(sender.calls).extracting(c -> c.batch().itemCount()).containsExactly(1, 2);
    sender.calls.get(1).promise().complete();
    sender.calls.get(0).promise().complete();
    await().atMost(WAIT).until(() -> sender.calls.size() == 3);
    assertThat(ack.isComplete()).isFalse();
    sender.calls.get(2).promise().complete();
    awaitSuccess(ack);
  }

  // ---------------------------------------------------------------- settings

  @Nested
  class Settings {
    @Test
    void defaultsAreTheCollectorDefaultsAndValid() {
      assertThat(QueueSettings.defaults()).isEqualTo(new QueueSettings(true, 10, 1000));
      assertThat(RetrySettings.defaults()).isEqualTo(new RetrySettings(true, Duration.ofSeconds(5), 0.5, 1.5,
          Duration.ofSeconds(30), Duration.ofMinutes(5)));
      assertThat(QueueSettings.defaults().validate("sending_queue")).isEmpty();
      assertThat(QueueSettings.disabled().validate("sending_queue")).isEmpty();
      assertThat(RetrySettings.defaults().validate("retry_on_failure")).isEmpty();
      assertThat(RetrySettings.disabled().validate("retry_on_failure")).isEmpty();
    }

    @Test
    void queueProblemsAreAllReportedWithTheirPaths() {
      assertThat(new QueueSettings(true, 0, 0).validate("sending_queue"))
          .extracting(io.sluice.core.ConfigProblem::path)
          .containsExactlyInAnyOrder("sending_queue.num_consumers", "sending_queue.queue_size");
      assertThat(new QueueSettings(false, 1, 0).validate("sending_queue")).isEmpty();
      assertThat(new QueueSettings(true, -2, 5).validate("q").get(0).message()).contains("-2");
    }

    @Test
    void retryProblemsAreAllReportedWithTheirPaths() {
      RetrySettings bad = new RetrySettings(true, Duration.ZERO, 1.5, 0.5, Duration.ofSeconds(-1),
          Duration.ofSeconds(-1));
      assertThat(bad.validate("retry_on_failure")).extracting(io.sluice.core.ConfigProblem::path)
          .containsExactlyInAnyOrder("retry_on_failure.initial_interval", "retry_on_failure.randomization_factor",
              "retry_on_failure.multiplier", "retry_on_failure.max_interval", "retry_on_failure.max_elapsed_time");
      RetrySettings nulls = new RetrySettings(true, null, 0, 1, null, null);
      assertThat(nulls.validate("r")).hasSize(3);
      RetrySettings forever = new RetrySettings(true, Duration.ofSeconds(1), 0, 1, Duration.ofSeconds(1),
          Duration.ZERO);
      assertThat(forever.validate("r")).isEmpty();
    }
  }

  // ---------------------------------------------------------------- helpers

  private ExporterHelper.Builder builder() {
    return ExporterHelper.builder(ctx, sender);
  }

  private ExporterHelper track(ExporterHelper h) {
    helpers.add(h);
    return h;
  }

  private ExporterHelper started(ExporterHelper.Builder b) {
    ExporterHelper h = track(b.build());
    awaitSuccess(h.start());
    return h;
  }

  /** Short waits, no jitter, retrying for up to 10 s. */
  private static RetrySettings fastRetry() {
    return new RetrySettings(true, Duration.ofMillis(10), 0, 1.5, Duration.ofMillis(50), Duration.ofSeconds(10));
  }

  private long millisBetween(int callA, int callB) {
    return TimeUnit.NANOSECONDS.toMillis(sender.calls.get(callB).atNanos() - sender.calls.get(callA).atNanos());
  }

  /** Awaitility, polling often: the conditions here become true within milliseconds. */
  private static ConditionFactory await() {
    return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2));
  }

  /** Returns once everything submitted to the exporter's context before has run. */
  private static void onContext(ExporterHelper h) {
    Promise<Void> marker = Promise.promise();
    h.context().runOnContext(v -> marker.complete());
    awaitSuccess(marker.future());
  }

  private static void awaitSuccess(Future<?> f) {
    await().atMost(WAIT).until(f::isComplete);
    if (f.failed()) {
      throw new AssertionError("expected success but failed", f.cause());
    }
  }

  private static Throwable awaitFailure(Future<?> f) {
    await().atMost(WAIT).until(f::isComplete);
    assertThat(f.failed()).as("the future failed").isTrue();
    return f.cause();
  }

  private double counter(String name, String signal) {
    return SelfMetricsReader.counter(metrics, name, "component_id", ID, "signal", signal);
  }

  private double gauge(String name) {
    return SelfMetricsReader.gauge(metrics, name, "component_id", ID);
  }

  /**
   * A sender the test controls: it records every call, and answers with the script (or leaves
   * the request open for the test to complete through {@link Call#promise()} when the script
   * answers null).
   */
  static final class ScriptedSender implements RequestSender {
    record Call(Batch batch, long atNanos, Promise<Void> promise) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    final AtomicInteger inFlight = new AtomicInteger();
    final AtomicInteger maxInFlight = new AtomicInteger();
    private volatile BiFunction<Integer, Batch, Future<Void>> script = (n, b) -> null;

    void script(BiFunction<Integer, Batch, Future<Void>> script) {
      this.script = script;
    }

    void answerEveryCall(java.util.function.Supplier<Future<Void>> answer) {
      this.script = (n, b) -> answer.get();
    }

    @Override
    public Future<Void> send(Batch batch) {
      Promise<Void> p = Promise.promise();
      int n;
      synchronized (this) {
        n = calls.size();
        calls.add(new Call(batch, System.nanoTime(), p));
      }
      maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
      p.future().onComplete(ar -> inFlight.decrementAndGet());
      Future<Void> answer = script.apply(n, batch);
      if (answer != null) {
        answer.onComplete(p);
      }
      return p.future();
    }
  }
}
