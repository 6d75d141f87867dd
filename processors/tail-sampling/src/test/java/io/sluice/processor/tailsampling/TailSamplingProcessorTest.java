package io.sluice.processor.tailsampling;

import static io.sluice.processor.tailsampling.TestSpans.attr;
import static io.sluice.processor.tailsampling.TestSpans.batch;
import static io.sluice.processor.tailsampling.TestSpans.error;
import static io.sluice.processor.tailsampling.TestSpans.resource;
import static io.sluice.processor.tailsampling.TestSpans.span;
import static io.sluice.processor.tailsampling.TestSpans.spansOf;
import static io.sluice.processor.tailsampling.TestSpans.traceId;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The processor on two event loops: sharding, decisions, late spans, budgets, hand-on and shutdown. */
class TailSamplingProcessorTest {
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private TestVertx tv;
  private SelfMetrics metrics;
  private CapturingConsumer out;
  private TailSamplingProcessor processor;

  /**
   * One full cycle on a Vert.x without the strict blocked-thread check, so that loading the
   * processor's classes the first time does not count against the first test.
   */
  @org.junit.jupiter.api.BeforeAll
  static void warmUp() throws Exception {
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      TailSamplingProcessorConfig c = ConfigLoader.bindComponent(new TailSamplingProcessorFactory(), """
          decision_wait: 50ms
          record_policy: true
          policies: [{name: all, type: always_sample}]
          """);
      CapturingConsumer sink = new CapturingConsumer();
      TailSamplingProcessor p = new TailSamplingProcessor(
          TestContexts.processorContext(vertx, "tail_sampling/warmup", "traces", new SelfMetrics()), c, sink,
          System::nanoTime);
      p.start();
      p.consume(batch(resource(spans(1, 0, 2)))).await(10, TimeUnit.SECONDS);
      await().atMost(DEADLINE).until(() -> !sink.batches().isEmpty());
      p.consume(batch(resource(spans(1, 2, 3)))).await(10, TimeUnit.SECONDS);
      p.shutdown().await(10, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void setUp() {
    tv = TestVertx.create(2);
    metrics = new SelfMetrics();
    out = new CapturingConsumer();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (processor != null) {
      processor.shutdown().await(20, TimeUnit.SECONDS);
    }
    tv.close();
  }

  private TailSamplingProcessor start(String yaml) throws Exception {
    TailSamplingProcessorConfig c = ConfigLoader.bindComponent(new TailSamplingProcessorFactory(), yaml);
    processor = new TailSamplingProcessor(
        TestContexts.processorContext(tv.vertx(), "tail_sampling", "traces", metrics), c, out, System::nanoTime);
    processor.start().await(5, TimeUnit.SECONDS);
    return processor;
  }

  private void send(Batch b) throws Exception {
    processor.consume(b).await(10, TimeUnit.SECONDS);
  }

  private double counter(String name, String... labels) {
    return SelfMetricsReader.counter(metrics, "sluice_processor_tail_sampling_" + name, labels);
  }

  /** The trace IDs (hex) of every span that came out, with how many spans each. */
  private Map<String, Integer> spansByTrace() {
    Map<String, Integer> m = new HashMap<>();
    for (Span s : spansOf(out.batches())) {
      m.merge(TestSpans.hex(s.getTraceId().toByteArray()), 1, Integer::sum);
    }
    return m;
  }

  private static String id(long trace) {
    return TestSpans.hex(traceId(trace));
  }

  private static Span[] spans(long trace, int from, int to) {
    Span[] s = new Span[to - from];
    for (int i = from; i < to; i++) {
      s[i - from] = span(trace, i, i, 1).build();
    }
    return s;
  }

  @Test
  void spansOfOneTraceArrivingOnDifferentLoopsAreDecidedOnceByOneOwner() throws Exception {
    start("""
        decision_wait: 300ms
        policies: [{name: all, type: always_sample}]
        """);
    VertxInternal vx = (VertxInternal) tv.vertx();
    ContextInternal a = vx.createEventLoopContext();
    ContextInternal b = vx.createEventLoopContext();
    assertThat(a.nettyEventLoop()).isNotSameAs(b.nettyEventLoop());
    // 40 traces; each loop sends half the spans of every one, interleaved.
    List<Future<Void>> acks = new ArrayList<>();
    for (int round = 0; round < 4; round++) {
      int r = round;
      for (ContextInternal ctx : List.of(a, b)) {
        Promise<Void> p = Promise.promise();
        acks.add(p.future());
        int offset = ctx == a ? 0 : 1;
        ctx.runOnContext(v -> {
          List<Span> spans = new ArrayList<>();
          for (long t = 1; t <= 40; t++) {
            spans.add(span(t, r * 2 + offset, r, 1).build());
          }
          processor.consume(batch(resource(spans.toArray(new Span[0])))).onComplete(p);
        });
      }
    }
    Future.all(acks).await(10, TimeUnit.SECONDS);
    await().atMost(DEADLINE).until(() -> out.itemCount(io.sluice.core.Signal.TRACES) == 320);
    Map<String, Integer> got = spansByTrace();
    assertThat(got).hasSize(40);
    assertThat(got.values()).allMatch(n -> n == 8);
    // Each trace was decided once, all of its spans in one outgoing batch.
    for (long t = 1; t <= 40; t++) {
      String want = id(t);
      long batchesWithIt = out.batches().stream()
          .filter(bt -> spansOf(List.of(bt)).stream().anyMatch(s -> TestSpans.hex(s.getTraceId().toByteArray())
              .equals(want)))
          .count();
      assertThat(batchesWithIt).as("batches holding trace " + t).isEqualTo(1);
    }
    assertThat(counter("new_trace_id_received")).isEqualTo(40);
    assertThat(counter("global_count_traces_sampled", "decision", "sampled")).isEqualTo(40);
    // Every trace lives on the shard its ID hashes to.
    Shard[] shards = processor.shards();
    assertThat(shards).hasSize(2);
    Set<Integer> owners = new HashSet<>();
    for (long t = 1; t <= 40; t++) {
      ByteBuffer bb = ByteBuffer.wrap(traceId(t));
      owners.add(Scan.shardOf(bb.getLong(), bb.getLong(), 2));
    }
    assertThat(owners).as("the traces spread over both loops").containsExactlyInAnyOrder(0, 1);
  }

  @Test
  void theFinalDecisionFollowsTheCollectorsRules() throws Exception {
    start("""
        decision_wait: 200ms
        policies:
          - {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}
          - {name: not-gold, type: string_attribute, string_attribute: {key: tier, values: [gold], invert_match: true}}
          - name: health
            type: drop
            drop: {drop_sub_policy: [{name: h, type: string_attribute, string_attribute: {key: route, values: [/health]}}]}
        """);
    send(batch(resource(
        error(span(1, 0, 0, 1).addAttributes(attr("route", "/health"))), // drop wins over sampled
        error(span(2, 0, 0, 1).addAttributes(attr("tier", "gold"))),     // inverted not-sampled wins over sampled
        error(span(3, 0, 0, 1).addAttributes(attr("tier", "silver"))),   // sampled
        span(4, 0, 0, 1).addAttributes(attr("tier", "silver")).build()))); // inverted sampled, but errors said no
    await().atMost(DEADLINE).until(() -> counter("global_count_traces_sampled") == 4);
    assertThat(spansByTrace().keySet()).containsExactly(id(3));
    assertThat(counter("global_count_traces_sampled", "decision", "dropped")).isEqualTo(1);
    assertThat(counter("global_count_traces_sampled", "decision", "not_sampled")).isEqualTo(2);
    // The drop policy is evaluated first and ends the evaluation of a dropped trace.
    assertThat(counter("count_traces_sampled", "policy", "health", "decision", "dropped")).isEqualTo(1);
    assertThat(counter("count_traces_sampled", "policy", "errors")).isEqualTo(3);
    assertThat(counter("count_spans_sampled", "policy", "errors", "decision", "sampled")).isEqualTo(2);
  }

  @Test
  void anInvertedSampleAloneSamples() throws Exception {
    start("""
        decision_wait: 200ms
        sample_on_first_match: true
        policies:
          - {name: not-gold, type: string_attribute, string_attribute: {key: tier, values: [gold], invert_match: true}}
        """);
    send(TestSpans.decoded(resource(span(5, 0, 0, 1).addAttributes(attr("tier", "silver")).build(),
        span(6, 0, 0, 1).addAttributes(attr("tier", "gold")).build())));
    await().atMost(DEADLINE).until(() -> counter("global_count_traces_sampled") == 2);
    assertThat(spansByTrace().keySet()).containsExactly(id(5));
  }

  @Test
  void lateSpansFollowTheCachedDecisionAndNeverStartASecondOne() throws Exception {
    start("""
        decision_wait: 200ms
        record_policy: true
        decision_cache: {sampled_cache_size: 1000, non_sampled_cache_size: 1000}
        policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]
        """);
    send(batch(resource(error(span(1, 0, 0, 1)), span(2, 0, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> counter("global_count_traces_sampled") == 2);
    assertThat(spansByTrace()).containsOnlyKeys(id(1));
    ScopeSpans decided = out.batches().get(0).resourceSpans().get(0).getScopeSpans(0);
    assertThat(scopeAttrs(decided)).containsEntry("tailsampling.policy", "errors")
        .doesNotContainKey("tailsampling.cached_decision");
    out.clear();

    // Late spans, without errors: trace 1's follows its "sampled", trace 2's its "not sampled".
    send(batch(resource(span(1, 1, 5, 1).build(), span(2, 1, 5, 1).build())));
    await().atMost(DEADLINE).until(() -> out.itemCount(io.sluice.core.Signal.TRACES) == 1);
    assertThat(spansByTrace()).containsOnlyKeys(id(1));
    assertThat(scopeAttrs(out.batches().get(0).resourceSpans().get(0).getScopeSpans(0)))
        .containsEntry("tailsampling.policy", "errors").containsEntry("tailsampling.cached_decision", "true");
    assertThat(counter("early_releases_from_cache_decision", "sampled", "true")).isEqualTo(1);
    assertThat(counter("early_releases_from_cache_decision", "sampled", "false")).isEqualTo(1);
    assertThat(SelfMetricsReader.observations(metrics, "sluice_processor_tail_sampling_sampling_late_span_age_seconds"))
        .isEqualTo(2);
    // No new trace, no second decision, nothing held.
    assertThat(counter("new_trace_id_received")).isEqualTo(2);
    assertThat(counter("global_count_traces_sampled")).isEqualTo(2);
    assertThat(processor.shards()[0].pendingTraces() + processor.shards()[1].pendingTraces()).isZero();
  }

  private static Map<String, String> scopeAttrs(ScopeSpans ss) {
    Map<String, String> m = new HashMap<>();
    for (KeyValue kv : ss.getScope().getAttributesList()) {
      m.put(kv.getKey(), kv.getValue().hasBoolValue() ? String.valueOf(kv.getValue().getBoolValue())
          : kv.getValue().getStringValue());
    }
    return m;
  }

  @Test
  void withoutCacheSizesTheLastNumTracesDecisionsAreRemembered() throws Exception {
    start("""
        decision_wait: 200ms
        num_traces: 10
        policies: [{name: all, type: always_sample}]
        """);
    send(batch(resource(span(1, 0, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> out.itemCount(io.sluice.core.Signal.TRACES) == 1);
    send(batch(resource(span(1, 1, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> out.itemCount(io.sluice.core.Signal.TRACES) == 2);
    assertThat(counter("new_trace_id_received")).isEqualTo(1);
    assertThat(counter("early_releases_from_cache_decision", "sampled", "true")).isEqualTo(1);
  }

  @Test
  void pastNumTracesTheOldestAreDecidedEarlyNotDropped() throws Exception {
    start("""
        decision_wait: 1h
        num_traces: 4
        acknowledge: on_receipt
        policies: [{name: all, type: always_sample}]
        """);
    int[] perShard = new int[2];
    for (long t = 1; t <= 10; t++) {
      ByteBuffer bb = ByteBuffer.wrap(traceId(t));
      perShard[Scan.shardOf(bb.getLong(), bb.getLong(), 2)]++;
      send(batch(resource(spans(t, 0, 3))));
    }
    int early = Math.max(0, perShard[0] - 2) + Math.max(0, perShard[1] - 2);
    await().atMost(DEADLINE).until(() -> out.itemCount(io.sluice.core.Signal.TRACES) == early * 3);
    assertThat(counter("early_decisions", "reason", "num_traces")).isEqualTo(early);
    // The oldest of each shard left first: traces 1.. in order of arrival per shard.
    assertThat(spansByTrace().values()).allMatch(n -> n == 3);
    await().atMost(DEADLINE).until(() -> SelfMetricsReader.gauge(metrics,
        "sluice_processor_tail_sampling_sampling_traces_on_memory") == 10 - early);
    // Shutdown decides the rest: every span accepted comes out.
    processor.shutdown().await(10, TimeUnit.SECONDS);
    assertThat(out.itemCount(io.sluice.core.Signal.TRACES)).isEqualTo(30);
  }

  @Test
  void pastMaxBytesTheOldestAreDecidedEarly() throws Exception {
    start("""
        decision_wait: 1h
        max_bytes: 1048576
        acknowledge: on_receipt
        policies: [{name: all, type: always_sample}]
        """);
    String big = "x".repeat(50_000);
    for (long t = 1; t <= 60; t++) {
      send(batch(resource(span(t, 0, 0, 1).addAttributes(attr("payload", big)).build())));
    }
    // 60 traces of ~50 KB: 3 MB through a budget of 1 MiB (512 KiB per loop).
    await().atMost(DEADLINE).until(() -> counter("early_decisions", "reason", "max_bytes") > 0);
    double held = SelfMetricsReader.gauge(metrics, "sluice_processor_tail_sampling_bytes_on_memory");
    assertThat(held).isLessThanOrEqualTo(1_048_576 + 60_000);
    assertThat(counter("early_decisions", "reason", "max_bytes") + processor.shards()[0].pendingTraces()
        + processor.shards()[1].pendingTraces()).isEqualTo(60);
    processor.shutdown().await(10, TimeUnit.SECONDS);
    assertThat(out.itemCount(io.sluice.core.Signal.TRACES)).isEqualTo(60);
  }

  @Test
  void aTraceOverMaximumTraceSizeIsDecidedAtOnce() throws Exception {
    start("""
        decision_wait: 1h
        maximum_trace_size_bytes: 10000
        acknowledge: on_receipt
        policies: [{name: all, type: always_sample}]
        """);
    send(batch(resource(span(1, 0, 0, 1).addAttributes(attr("payload", "y".repeat(20_000))).build(),
        span(2, 0, 0, 1).build())));
    await().atMost(DEADLINE).until(() -> out.itemCount(io.sluice.core.Signal.TRACES) == 1);
    assertThat(spansByTrace()).containsOnlyKeys(id(1));
    assertThat(counter("early_decisions", "reason", "trace_too_large")).isEqualTo(1);
  }

  @Test
  void shutdownDecidesEveryHeldTrace() throws Exception {
    start("""
        decision_wait: 1h
        acknowledge: after_decision
        policies: [{name: errors, type: status_code, status_code: {status_codes: [ERROR]}}]
        """);
    List<Span> spans = new ArrayList<>();
    for (long t = 1; t <= 50; t++) {
      spans.add(t % 5 == 0 ? error(span(t, 0, 0, 1)) : span(t, 0, 0, 1).build());
    }
    Future<Void> ack = processor.consume(batch(resource(spans.toArray(new Span[0]))));
    await().atMost(DEADLINE).until(() -> processor.shards()[0].pendingTraces() + processor.shards()[1].pendingTraces()
        == 50);
    assertThat(out.batches()).isEmpty();
    assertThat(ack.isComplete()).as("acknowledged before its traces were decided").isFalse();
    processor.shutdown().await(10, TimeUnit.SECONDS);
    assertThat(ack.succeeded()).as("acknowledged once shutdown decided and sent its traces").isTrue();
    assertThat(spansByTrace()).hasSize(10);
    assertThat(counter("global_count_traces_sampled")).isEqualTo(50);
    // Shut down: new batches are refused for the client to retry; a second shutdown is fine.
    assertThat(processor.consume(batch(resource(span(99, 0, 0, 1).build()))).cause())
        .isInstanceOf(RetryableException.class);
    assertThat(processor.shutdown().await(5, TimeUnit.SECONDS)).isNull();
  }

  @Test
  void dropPendingTracesOnShutdownDropsThemAndCountsThem() throws Exception {
    start("""
        decision_wait: 1h
        acknowledge: after_decision
        drop_pending_traces_on_shutdown: true
        policies: [{name: all, type: always_sample}]
        """);
    Future<Void> ack = processor.consume(batch(resource(spans(1, 0, 4))));
    await().atMost(DEADLINE).until(() -> processor.shards()[0].pendingTraces() + processor.shards()[1].pendingTraces()
        == 1);
    processor.shutdown().await(10, TimeUnit.SECONDS);
    assertThat(out.batches()).isEmpty();
    // Not acknowledged: a source that can replay sends the batch again.
    assertThat(ack.cause()).isInstanceOf(RetryableException.class).hasMessageContaining("drop_pending_traces_on_shutdown");
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_dropped_items")).isEqualTo(4);
  }

  @Test
  void shutdownWithoutStartCompletes() throws Exception {
    TailSamplingProcessorConfig c = ConfigLoader.bindComponent(new TailSamplingProcessorFactory(),
        "policies: [{name: all, type: always_sample}]");
    TailSamplingProcessor p = new TailSamplingProcessor(
        TestContexts.processorContext(tv.vertx(), "tail_sampling/x", "traces", metrics), c, out, System::nanoTime);
    p.shutdown().await(5, TimeUnit.SECONDS);
    p.shutdown().await(5, TimeUnit.SECONDS);
  }

  @Test
  void sampledSpansTheNextConsumerRefusesAreSentAgain() throws Exception {
    AtomicInteger refusals = new AtomicInteger(3);
    out.answerWith(b -> refusals.getAndDecrement() > 0
        ? Future.failedFuture(new RetryableException("queue full")) : Future.succeededFuture());
    start("""
        decision_wait: 100ms
        policies: [{name: all, type: always_sample}]
        """);
    send(batch(resource(spans(1, 0, 5))));
    await().atMost(DEADLINE).until(() -> refusals.get() < 0);
    // Four attempts of one batch of 5 spans, the last taken; nothing lost.
    assertThat(out.batches()).hasSize(4);
    assertThat(spansOf(List.of(out.batches().get(3)))).hasSize(5);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_dropped_items")).isZero();
  }

  @Test
  void whileTheNextConsumerHoldsBackNewBatchesAreRefusedForRetry() throws Exception {
    out.failWith(new RetryableException("backend down"));
    start("""
        decision_wait: 50ms
        max_bytes: 1048576
        acknowledge: on_receipt
        policies: [{name: all, type: always_sample}]
        """);
    String big = "z".repeat(100_000);
    Throwable refused = null;
    for (long t = 1; t <= 100 && refused == null; t++) {
      Future<Void> f = processor.consume(batch(resource(span(t, 0, 0, 1).addAttributes(attr("p", big)).build())));
      await().atMost(DEADLINE).until(f::isComplete);
      if (f.failed()) {
        refused = f.cause();
      }
      if (t % 4 == 0) {
        long seen = t;
        await().atMost(DEADLINE).until(() -> counter("global_count_traces_sampled") >= seen);
      }
    }
    assertThat(refused).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("max_bytes");
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_refused_items")).isGreaterThan(0);
    out.succeed();
  }

  @Test
  void aRootSpanBringsTheDecisionForwardWithDecisionWaitAfterRootReceived() throws Exception {
    start("""
        decision_wait: 1h
        decision_wait_after_root_received: 100ms
        acknowledge: on_receipt
        policies: [{name: all, type: always_sample}]
        """);
    send(batch(resource(span(1, 1, 0, 1).build(), span(1, 2, 0, 1).build())));
    assertThat(processor.shards()[0].pendingTraces() + processor.shards()[1].pendingTraces()).isEqualTo(1);
    send(batch(resource(span(1, 0, 0, 5).build()))); // the root: no parent
    await().atMost(DEADLINE).until(() -> out.itemCount(io.sluice.core.Signal.TRACES) == 3);
    assertThat(counter("early_decisions")).isZero();
  }

  @Test
  void withBlockOnOverflowNewTracesPastNumTracesAreRefusedNotDecidedEarly() throws Exception {
    start("""
        decision_wait: 1h
        num_traces: 2
        block_on_overflow: true
        acknowledge: on_receipt
        policies: [{name: all, type: always_sample}]
        """);
    Throwable refused = null;
    for (long t = 1; t <= 10 && refused == null; t++) {
      Future<Void> f = processor.consume(batch(resource(span(t, 0, 0, 1).build())));
      await().atMost(DEADLINE).until(f::isComplete);
      refused = f.cause();
    }
    assertThat(refused).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("num_traces");
    assertThat(counter("early_decisions")).isZero();
    assertThat(out.batches()).isEmpty();
  }
}
