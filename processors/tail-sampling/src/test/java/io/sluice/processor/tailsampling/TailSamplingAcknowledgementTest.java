package io.sluice.processor.tailsampling;

import static io.sluice.processor.tailsampling.TestSpans.batch;
import static io.sluice.processor.tailsampling.TestSpans.error;
import static io.sluice.processor.tailsampling.TestSpans.resource;
import static io.sluice.processor.tailsampling.TestSpans.span;
import static io.sluice.processor.tailsampling.TestSpans.spansOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * When a consumed batch is acknowledged ({@code acknowledge}): with {@code after_decision}, once
 * every trace it brought spans of is decided and the kept spans were taken by the next consumer;
 * with {@code on_receipt}, once held. Decisions run on a clock the test moves.
 */
class TailSamplingAcknowledgementTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final long SECOND = 1_000_000_000L;
  private TestVertx tv;
  private SelfMetrics metrics;
  private CapturingConsumer out;
  private final AtomicLong clock = new AtomicLong(1_000 * SECOND);
  private TailSamplingProcessor processor;

  @BeforeEach
  void setUp() {
    tv = TestVertx.create(2);
    metrics = new SelfMetrics();
    out = new CapturingConsumer();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (processor != null) {
      out.succeed();
      processor.shutdown().await(20, TimeUnit.SECONDS);
    }
    tv.close();
  }

  /** Starts the processor; {@code acknowledge: after_decision} unless {@code yaml} says otherwise. */
  private void start(String yaml) throws Exception {
    String withAck = yaml.contains("acknowledge:") ? yaml : "acknowledge: after_decision\n" + yaml;
    TailSamplingProcessorConfig c = ConfigLoader.bindComponent(new TailSamplingProcessorFactory(), withAck);
    processor = new TailSamplingProcessor(
        TestContexts.processorContext(tv.vertx(), "tail_sampling", "traces", metrics), c, out, clock::get);
    processor.start().await(5, TimeUnit.SECONDS);
  }

  /** The next consumer answers each batch when the test completes its promise, in the list returned. */
  private List<Promise<Void>> answerWhenTold() {
    List<Promise<Void>> answers = new CopyOnWriteArrayList<>();
    out.answerWith(b -> {
      Promise<Void> p = Promise.promise();
      answers.add(p);
      return p.future();
    });
    return answers;
  }

  private int held() {
    return processor.shards()[0].pendingTraces() + processor.shards()[1].pendingTraces();
  }

  private double sampledTraces() {
    return SelfMetricsReader.counter(metrics, "sluice_processor_tail_sampling_global_count_traces_sampled");
  }

  @Test
  void aBatchSpanningTracesDecidedAtDifferentTimesIsAcknowledgedAfterTheLast() throws Exception {
    start("""
        decision_wait: 10s
        policies: [{name: all, type: always_sample}]
        """);
    Future<Void> first = processor.consume(batch(resource(span(1, 0, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> held() == 1);
    clock.addAndGet(5 * SECOND);
    // The second batch brings a span of trace 1 (due at 10 s) and starts trace 2 (due at 15 s).
    Future<Void> second = processor.consume(batch(resource(span(1, 1, 0, 1).build(), span(2, 0, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> held() == 2);
    assertThat(first.isComplete()).isFalse();

    clock.addAndGet(5 * SECOND);
    await().atMost(DEADLINE).until(first::isComplete);
    assertThat(first.succeeded()).isTrue();
    assertThat(spansOf(out.batches())).hasSize(2);
    assertThat(held()).isEqualTo(1);
    assertThat(second.isComplete()).as("acknowledged while trace 2 waits for its decision").isFalse();

    clock.addAndGet(5 * SECOND);
    await().atMost(DEADLINE).until(second::isComplete);
    assertThat(second.succeeded()).isTrue();
    assertThat(spansOf(out.batches())).hasSize(3);
  }

  @Test
  void aKeptTraceIsAcknowledgedOnlyOnceTheNextConsumerTookItsSpans() throws Exception {
    List<Promise<Void>> downstream = answerWhenTold();
    start("""
        decision_wait: 1s
        policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]
        """);
    Future<Void> kept = processor.consume(batch(resource(error(span(1, 0, 0, 1)))));
    Future<Void> dropped = processor.consume(batch(resource(span(2, 0, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> held() == 2);
    clock.addAndGet(2 * SECOND);
    await().atMost(DEADLINE).until(() -> downstream.size() == 1);
    // The trace that is not kept is done once decided; the kept one waits for the next consumer.
    await().atMost(DEADLINE).until(dropped::isComplete);
    assertThat(dropped.succeeded()).isTrue();
    assertThat(kept.isComplete()).isFalse();
    downstream.get(0).complete();
    await().atMost(DEADLINE).until(kept::isComplete);
    assertThat(kept.succeeded()).isTrue();
  }

  @Test
  void keptSpansTheNextConsumerRefusesForAWhileHoldTheAcknowledgementUntilTaken() throws Exception {
    out.failWith(new io.sluice.core.RetryableException("backend down"));
    start("""
        decision_wait: 1s
        policies: [{name: all, type: always_sample}]
        """);
    Future<Void> ack = processor.consume(batch(resource(span(1, 0, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> held() == 1);
    clock.addAndGet(2 * SECOND);
    await().atMost(DEADLINE).until(() -> sampledTraces() == 1 && out.batches().size() >= 1);
    assertThat(ack.isComplete()).isFalse();
    out.succeed();
    // Sent again after a backoff on the test's clock.
    await().atMost(DEADLINE).until(() -> {
      clock.addAndGet(SECOND);
      return ack.isComplete();
    });
    assertThat(ack.succeeded()).isTrue();
  }

  @Test
  void lateSpansAreAcknowledgedAtOnceWhenNotKeptAndOnceTakenWhenKept() throws Exception {
    List<Promise<Void>> downstream = answerWhenTold();
    start("""
        decision_wait: 1s
        decision_cache: {sampled_cache_size: 100, non_sampled_cache_size: 100}
        policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]
        """);
    Future<Void> first = processor.consume(batch(resource(error(span(1, 0, 0, 1)), span(2, 0, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> held() == 2);
    clock.addAndGet(2 * SECOND);
    await().atMost(DEADLINE).until(() -> downstream.size() == 1);
    downstream.get(0).complete();
    await().atMost(DEADLINE).until(first::isComplete);

    // A late span of the trace that was not kept: acknowledged at once, nothing sent, nothing held.
    Future<Void> lateDropped = processor.consume(batch(resource(span(2, 1, 0, 1).build())));
    await().atMost(DEADLINE).until(lateDropped::isComplete);
    assertThat(lateDropped.succeeded()).isTrue();
    assertThat(downstream).hasSize(1);
    // A late span of the kept trace: sent at once, acknowledged once the next consumer took it.
    Future<Void> lateKept = processor.consume(batch(resource(span(1, 1, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> downstream.size() == 2);
    assertThat(lateKept.isComplete()).isFalse();
    downstream.get(1).complete();
    await().atMost(DEADLINE).until(lateKept::isComplete);
    assertThat(lateKept.succeeded()).isTrue();
    assertThat(held()).isZero();
  }

  @Test
  void onReceiptAcknowledgesOnceTheSpansAreHeld() throws Exception {
    start("""
        decision_wait: 1h
        acknowledge: on_receipt
        policies: [{name: all, type: always_sample}]
        """);
    Batch b = batch(resource(span(1, 0, 0, 1).build(), span(2, 0, 0, 1).build()));
    assertThat(processor.consume(b).await(10, TimeUnit.SECONDS)).isNull();
    assertThat(held()).isEqualTo(2);
    assertThat(out.itemCount(Signal.TRACES)).isZero();
  }

  @Test
  void byDefaultBatchesFromTheKafkaReceiverWaitForTheDecisionAndOthersDoNot() throws Exception {
    start("""
        acknowledge: auto
        decision_wait: 10s
        policies: [{name: all, type: always_sample}]
        """);
    assertThat(ConfigLoader.bindComponent(new TailSamplingProcessorFactory(),
        "policies: [{name: all, type: always_sample}]\n").acknowledge())
        .as("the default").isEqualTo(TailSamplingProcessorConfig.Acknowledge.AUTO);
    Batch fromOtlp = batch(resource(span(1, 0, 0, 1).build()));
    assertThat(processor.consume(fromOtlp).await(10, TimeUnit.SECONDS)).as("an OTLP client's batch, on receipt")
        .isNull();
    Batch fromKafka = Batch.encoded(batch(resource(span(2, 0, 0, 1).build())).encoded(),
        Envelope.of(ComponentId.parse("kafka/tier1")));
    Future<Void> kafka = processor.consume(fromKafka);
    await().atMost(DEADLINE).until(() -> held() == 2);
    assertThat(kafka.isComplete()).as("a Kafka receiver's batch before its trace is decided").isFalse();

    clock.addAndGet(10 * SECOND);
    await().atMost(DEADLINE).until(kafka::isComplete);
    assertThat(kafka.succeeded()).isTrue();
    assertThat(out.itemCount(Signal.TRACES)).isEqualTo(2);
  }

  @Test
  void unknownAcknowledgeValuesAreRefusedNamingTheChoices() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigLoader.bindComponent(
        new TailSamplingProcessorFactory(), """
            acknowledge: sometimes
            policies: [{name: all, type: always_sample}]
            """)).hasMessageContaining("acknowledge").hasMessageContaining("after_decision")
        .hasMessageContaining("on_receipt");
  }
}
