package io.sluice.processor.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.PermanentException;
import io.sluice.core.Processor;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.otlp.EncodedResources;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class BatchProcessorTest {
  private static final Duration LONG = Duration.ofHours(1);

  private TestVertx tv;
  private SelfMetrics metrics;
  private CapturingConsumer next;

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    metrics = new SelfMetrics();
    next = new CapturingConsumer();
  }

  @AfterEach
  void tearDown() {
    tv.close();
  }

  // ---- triggers ----------------------------------------------------------------------------

  @Test
  void sendsOneMergedBatchWhenPendingItemsReachSendBatchSize() throws Exception {
    Processor p = processor(config(100, 0, LONG), Signal.TRACES);
    Future<Void> a = p.consume(TestData.traces(40, 1));
    Future<Void> b = p.consume(TestData.traces(40, 2));
    Future<Void> c = p.consume(TestData.traces(40, 3));
    awaitDone(c);
    assertThat(next.batches()).hasSize(1);
    Batch out = next.batches().get(0);
    assertThat(out.itemCount()).isEqualTo(120);
    assertThat(out.resourceSpans()).hasSize(3); // resources are concatenated, not merged
    assertThat(a.succeeded()).isTrue();
    assertThat(b.succeeded()).isTrue();
    assertThat(incomingItems()).isEqualTo(120);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_batch_size_trigger_send",
        "component_id", "batch")).isEqualTo(1);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_outgoing_items", "component_id", "batch"))
        .isEqualTo(120);
  }

  @Test
  void sendsPendingItemsWhenTheTimeoutExpires() throws Exception {
    List<Long> arrivals = new CopyOnWriteArrayList<>();
    next.answerWith(batch -> {
      arrivals.add(System.nanoTime());
      return Future.succeededFuture();
    });
    Processor p = processor(config(1000, 0, Duration.ofMillis(150)), Signal.TRACES);
    long start = System.nanoTime();
    Future<Void> f = p.consume(TestData.traces(10, 1));

    awaitDone(f);
    assertThat(next.batches()).hasSize(1);
    assertThat(next.itemCount(Signal.TRACES)).isEqualTo(10);
    assertThat(TimeUnit.NANOSECONDS.toMillis(arrivals.get(0) - start)).isGreaterThanOrEqualTo(140);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_batch_timeout_trigger_send",
        "component_id", "batch")).isEqualTo(1);
  }

  @Test
  void timeoutZeroPassesEveryBatchThroughAtOnce() throws Exception {
    Processor p = processor(config(8192, 0, Duration.ZERO), Signal.LOGS);
    Batch first = TestData.logs(10, 1);
    Batch second = TestData.logs(3, 2);
    Future<Void> a = p.consume(first);
    Future<Void> b = p.consume(second);
    // Passed on synchronously, without buffering and without waiting for a timer.
    assertThat(next.batches()).hasSize(2);
    assertThat(next.batches().get(0)).isSameAs(first);
    assertThat(next.batches().get(1)).isSameAs(second);
    awaitDone(a);
    awaitDone(b);
  }

  @Test
  void timeoutZeroStillSplitsAtTheMaxSize() throws Exception {
    Processor p = processor(config(0, 4, Duration.ZERO), Signal.LOGS);
    Batch in = TestData.logs(10, 1);
    awaitDone(p.consume(in));
    assertThat(next.batches()).extracting(Batch::itemCount).containsExactly(4, 4, 2);
    assertThat(next.batches()).allSatisfy(b -> assertThat(b.envelope()).isSameAs(in.envelope()));
    assertThat(logBodies(next.batches())).isEqualTo(logBodies(List.of(in)));
  }

  // ---- splitting ---------------------------------------------------------------------------

  @Test
  void splitsTracesIntoBatchesOfExactlyTheMaxSizeKeepingResourcesAndScopes() throws Exception {
    ResourceSpans first = ResourceSpans.newBuilder()
        .setResource(TestData.resource("cart"))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.26.0")
        .addScopeSpans(scoped(TestData.resourceSpans("cart", 70, 1), "io.sluice.a"))
        .addScopeSpans(scoped(TestData.resourceSpans("cart", 60, 2), "io.sluice.b"))
        .build();
    ResourceSpans second = TestData.resourceSpans("payment", 95, 3);
    Batch in = Batch.traces(List.of(first, second), Envelope.of(ComponentId.of("otlp")));
    assertThat(in.itemCount()).isEqualTo(225);

    Processor p = processor(config(100, 100, LONG), Signal.TRACES);
    Future<Void> f = p.consume(in);
    await().atMost(5, TimeUnit.SECONDS).until(() -> next.batches().size() == 2);
    assertThat(f.isComplete()).as("25 spans are still pending").isFalse();
    awaitDone(p.shutdown());
    awaitDone(f);

    List<Batch> out = next.batches();
    assertThat(out).extracting(Batch::itemCount).containsExactly(100, 100, 25);
    assertThat(spanIds(out)).isEqualTo(spanIds(List.of(in))).doesNotHaveDuplicates();

    Map<ByteString, Resource> resourceOf = new HashMap<>();
    Map<ByteString, InstrumentationScope> scopeOf = new HashMap<>();
    Map<ByteString, String> schemaOf = new HashMap<>();
    for (ResourceSpans rs : in.resourceSpans()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          resourceOf.put(s.getSpanId(), rs.getResource());
          scopeOf.put(s.getSpanId(), ss.getScope());
          schemaOf.put(s.getSpanId(), rs.getSchemaUrl());
        }
      }
    }
    for (Batch b : out) {
      for (ResourceSpans rs : b.resourceSpans()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          assertThat(ss.getSpansList()).isNotEmpty();
          for (Span s : ss.getSpansList()) {
            assertThat(rs.getResource()).isEqualTo(resourceOf.get(s.getSpanId()));
            assertThat(rs.getSchemaUrl()).isEqualTo(schemaOf.get(s.getSpanId()));
            assertThat(ss.getScope()).isEqualTo(scopeOf.get(s.getSpanId()));
          }
        }
      }
    }
    // The first batch holds all 70 spans of scope a and 30 of scope b, the cut is inside scope b.
    assertThat(out.get(0).resourceSpans()).hasSize(1);
    assertThat(out.get(0).resourceSpans().get(0).getScopeSpansList())
        .extracting(ss -> ss.getScope().getName(), ScopeSpans::getSpansCount)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("io.sluice.a", 70),
            org.assertj.core.groups.Tuple.tuple("io.sluice.b", 30));
  }

  @Test
  void splitsMetricsInsideAMetricsDataPointsKeepingItsDescriptor() throws Exception {
    ResourceMetrics rm = TestData.resourceMetrics("cart", 10, 1); // sum, gauge, histogram: 10 points each
    Batch in = Batch.metrics(List.of(rm), Envelope.of(ComponentId.of("otlp")));
    Processor p = processor(config(7, 7, LONG), Signal.METRICS);
    Future<Void> f = p.consume(in);
    awaitDone(p.shutdown());
    awaitDone(f);

    List<Batch> out = next.batches();
    assertThat(out).extracting(Batch::itemCount).containsExactly(7, 7, 7, 7, 2);
    // The second batch ends the sum (3 points) and starts the gauge (4 points).
    List<Metric> second = out.get(1).resourceMetrics().get(0).getScopeMetrics(0).getMetricsList();
    assertThat(second).extracting(Metric::getName).containsExactly("http.server.requests", "pool.utilization");
    assertThat(second).extracting(Batch::dataPointCount).containsExactly(3, 4);

    Map<String, Metric> original = new HashMap<>();
    for (Metric m : rm.getScopeMetrics(0).getMetricsList()) {
      original.put(m.getName(), m);
    }
    Map<String, List<Object>> pointsByMetric = new HashMap<>();
    for (Batch b : out) {
      for (ResourceMetrics r : b.resourceMetrics()) {
        assertThat(r.getResource()).isEqualTo(rm.getResource());
        for (ScopeMetrics sm : r.getScopeMetricsList()) {
          assertThat(sm.getScope()).isEqualTo(rm.getScopeMetrics(0).getScope());
          for (Metric m : sm.getMetricsList()) {
            Metric o = original.get(m.getName());
            assertThat(withoutPoints(m)).isEqualTo(withoutPoints(o));
            pointsByMetric.computeIfAbsent(m.getName(), k -> new ArrayList<>()).addAll(points(m));
          }
        }
      }
    }
    for (Metric o : original.values()) {
      assertThat(pointsByMetric.get(o.getName())).as(o.getName()).isEqualTo(points(o));
    }
  }

  @Test
  void splitsLogsInsideScopeLogs() throws Exception {
    ResourceLogs rl = ResourceLogs.newBuilder()
        .setResource(TestData.resource("cart"))
        .addScopeLogs(TestData.resourceLogs("cart", 6, 1).getScopeLogs(0).toBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("a")))
        .addScopeLogs(TestData.resourceLogs("cart", 9, 2).getScopeLogs(0).toBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("b")))
        .build();
    Batch in = Batch.logs(List.of(rl), Envelope.of(ComponentId.of("filelog")));
    Processor p = processor(config(5, 5, LONG), Signal.LOGS);
    awaitDone(p.consume(in));

    List<Batch> out = next.batches();
    assertThat(out).extracting(Batch::itemCount).containsExactly(5, 5, 5);
    assertThat(logBodies(out)).isEqualTo(logBodies(List.of(in)));
    ResourceLogs middle = out.get(1).resourceLogs().get(0);
    assertThat(middle.getResource()).isEqualTo(rl.getResource());
    assertThat(middle.getScopeLogsList()).extracting(sl -> sl.getScope().getName(), ScopeLogs::getLogRecordsCount)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("a", 1), org.assertj.core.groups.Tuple.tuple("b", 4));
  }

  @Test
  void fillsThePendingBatchUpToTheMaxBeforeCuttingTheNextOne() throws Exception {
    Processor p = processor(config(100, 150, LONG), Signal.TRACES);
    p.consume(TestData.traces(90, 1));
    p.consume(TestData.traces(100, 2));
    await().atMost(5, TimeUnit.SECONDS).until(() -> next.batches().size() == 1);
    // 90 + 100 = 190: 150 go out, the remaining 40 (below send_batch_size) wait.
    assertThat(next.batches().get(0).itemCount()).isEqualTo(150);
    p.consume(TestData.traces(60, 3));
    await().atMost(5, TimeUnit.SECONDS).until(() -> next.batches().size() == 2);
    assertThat(next.batches().get(1).itemCount()).isEqualTo(100);
  }

  // ---- encoded batches ---------------------------------------------------------------------

  @Test
  void joinsEncodedBatchesWithoutParsingThem() throws Exception {
    Processor p = processor(config(100, 0, LONG), Signal.TRACES);
    p.consume(encoded(TestData.traces(40, 1)));
    p.consume(encoded(TestData.traces(40, 2)));
    awaitDone(p.consume(encoded(TestData.traces(40, 3))));
    assertThat(next.batches()).hasSize(1);
    Batch out = next.batches().get(0);
    assertThat(out.isEncoded()).as("an encoded batch out of encoded batches in").isTrue();
    assertThat(out.itemCount()).isEqualTo(120);
    assertThat(out.encoded().toRequestBytes()).isEqualTo(ExportTraceServiceRequest.newBuilder()
        .addAllResourceSpans(TestData.traces(40, 1).resourceSpans())
        .addAllResourceSpans(TestData.traces(40, 2).resourceSpans())
        .addAllResourceSpans(TestData.traces(40, 3).resourceSpans()).build().toByteArray());
  }

  @Test
  void cutsEncodedBatchesAtTheMaxSizeKeepingEverySpanInOrder() throws Exception {
    Processor p = processor(config(100, 150, LONG), Signal.TRACES);
    List<Batch> in = List.of(encoded(TestData.traces(90, 1)), encoded(TestData.traces(100, 2)),
        encoded(TestData.traces(160, 3)));
    for (Batch b : in) {
      p.consume(b);
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> next.batches().size() == 2);
    awaitDone(p.shutdown());
    assertThat(next.batches()).extracting(Batch::itemCount).containsExactly(150, 150, 50);
    assertThat(next.batches()).allSatisfy(b -> assertThat(b.isEncoded()).isTrue());
    assertThat(spanIds(next.batches())).isEqualTo(spanIds(in));
  }

  @Test
  void aMixOfEncodedAndParsedBatchesGoesOutParsedWithEverySpan() throws Exception {
    Processor p = processor(config(100, 0, LONG), Signal.TRACES);
    List<Batch> in = List.of(encoded(TestData.traces(60, 1)), TestData.traces(60, 2));
    for (Batch b : in) {
      p.consume(b);
    }
    await().atMost(5, TimeUnit.SECONDS).until(() -> next.batches().size() == 1);
    assertThat(next.batches().get(0).isEncoded()).isFalse();
    assertThat(spanIds(next.batches())).isEqualTo(spanIds(in));
  }

  /** The same batch as a receiver of protobuf hands it on: encoded, not parsed. */
  private static Batch encoded(Batch parsed) throws Exception {
    byte[] request = ExportTraceServiceRequest.newBuilder().addAllResourceSpans(parsed.resourceSpans()).build()
        .toByteArray();
    return Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, request, 0, request.length), parsed.envelope());
  }

  // ---- acknowledgement ---------------------------------------------------------------------

  @Test
  void acknowledgesAnIncomingBatchOnlyAfterEveryOutgoingBatchHoldingItWasAcknowledged() throws Exception {
    List<Promise<Void>> downstream = new CopyOnWriteArrayList<>();
    next.answerWith(batch -> {
      Promise<Void> promise = Promise.promise();
      downstream.add(promise);
      return promise.future();
    });
    Processor p = processor(config(10, 10, LONG), Signal.TRACES);
    Future<Void> a = p.consume(TestData.traces(8, 1));
    Future<Void> b = p.consume(TestData.traces(8, 2)); // 2 go with a, 6 wait
    await().atMost(5, TimeUnit.SECONDS).until(() -> downstream.size() == 1);
    Future<Void> c = p.consume(TestData.traces(4, 3)); // completes b's second batch
    await().atMost(5, TimeUnit.SECONDS).until(() -> downstream.size() == 2);
    assertThat(next.batches()).extracting(Batch::itemCount).containsExactly(10, 10);
    assertThat(List.of(a, b, c)).noneMatch(Future::isComplete);

    downstream.get(0).complete();
    awaitDone(a);
    assertThat(b.isComplete()).as("b's other 6 spans are not acknowledged yet").isFalse();
    assertThat(c.isComplete()).isFalse();

    downstream.get(1).complete();
    awaitDone(b);
    awaitDone(c);
    assertThat(b.succeeded()).isTrue();
    assertThat(c.succeeded()).isTrue();
  }

  @Test
  void propagatesARetryableFailureUnchanged() throws Exception {
    RetryableException error = new ResourceExhaustedException("queue full", Duration.ofSeconds(3));
    next.failWith(error);
    Processor p = processor(config(10, 0, LONG), Signal.TRACES);
    Future<Void> a = p.consume(TestData.traces(5, 1));
    Future<Void> b = p.consume(TestData.traces(5, 2));
    assertThat(failureOf(a)).isSameAs(error);
    assertThat(failureOf(b)).isSameAs(error).isInstanceOf(RetryableException.class);
  }

  @Test
  void failsWithTheFirstFailureWhenOnlyOneOfItsOutgoingBatchesFails() throws Exception {
    PermanentException error = new PermanentException("bad data");
    List<Promise<Void>> downstream = new CopyOnWriteArrayList<>();
    next.answerWith(batch -> {
      Promise<Void> promise = Promise.promise();
      downstream.add(promise);
      return promise.future();
    });
    Processor p = processor(config(4, 4, LONG), Signal.LOGS);
    Future<Void> f = p.consume(TestData.logs(8, 1));
    await().atMost(5, TimeUnit.SECONDS).until(() -> downstream.size() == 2);
    downstream.get(1).fail(error);
    assertThat(failureOf(f)).isSameAs(error);
    downstream.get(0).complete();
  }

  @Test
  void deliversEveryItemOnceToConcurrentCallersAcknowledgedFromAnotherContext() throws Exception {
    io.vertx.core.Context elsewhere = tv.vertx().getOrCreateContext();
    next.answerWith(batch -> {
      Promise<Void> promise = Promise.promise();
      elsewhere.runOnContext(v -> promise.complete());
      return promise.future();
    });
    Processor p = processor(config(100, 150, Duration.ofMillis(20)), Signal.TRACES);
    List<Future<Void>> acks = new CopyOnWriteArrayList<>();
    List<Batch> sent = new CopyOnWriteArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 4; t++) {
      int thread = t;
      threads.add(new Thread(() -> {
        for (int i = 0; i < 50; i++) {
          Batch b = TestData.traces(1 + (i * 7 + thread) % 60, thread * 1000L + i);
          sent.add(b);
          acks.add(p.consume(b));
        }
      }));
    }
    threads.forEach(Thread::start);
    for (Thread t : threads) {
      t.join(5000);
    }
    for (Future<Void> f : acks) {
      awaitDone(f);
    }
    assertThat(acks).hasSize(200).allMatch(Future::succeeded);
    assertThat(next.batches()).allMatch(b -> b.itemCount() <= 150);
    assertThat(spanIds(next.batches())).doesNotHaveDuplicates()
        .containsExactlyInAnyOrderElementsOf(spanIds(sent));
    awaitDone(p.shutdown());
  }

  // ---- shutdown ----------------------------------------------------------------------------

  @Test
  void shutdownFlushesPendingItems() throws Exception {
    Processor p = processor(config(1000, 0, LONG), Signal.METRICS);
    Future<Void> f = p.consume(TestData.metrics(5, 1));
    Future<Void> g = p.consume(TestData.metrics(5, 2));
    awaitDone(p.shutdown());
    assertThat(next.batches()).hasSize(1);
    assertThat(next.itemCount(Signal.METRICS)).isEqualTo(30);
    awaitDone(f);
    awaitDone(g);
    assertThat(f.succeeded()).isTrue();
  }

  @Test
  void shutdownCompletesOnlyOnceOutstandingBatchesAreAcknowledged() throws Exception {
    List<Promise<Void>> downstream = new CopyOnWriteArrayList<>();
    next.answerWith(batch -> {
      Promise<Void> promise = Promise.promise();
      downstream.add(promise);
      return promise.future();
    });
    Processor p = processor(config(1000, 0, LONG), Signal.TRACES);
    Future<Void> f = p.consume(TestData.traces(5, 1));
    Future<Void> stopped = p.shutdown();
    await().atMost(5, TimeUnit.SECONDS).until(() -> downstream.size() == 1);
    assertThat(stopped.isComplete()).isFalse();
    downstream.get(0).complete();
    awaitDone(stopped);
    assertThat(f.succeeded()).isTrue();
  }

  @Test
  void consumeAfterShutdownFailsRetryably() throws Exception {
    for (Duration timeout : List.of(LONG, Duration.ZERO)) {
      Processor p = processor(config(100, 0, timeout), Signal.TRACES);
      awaitDone(p.shutdown());
      Throwable error = failureOf(p.consume(TestData.traces(3, 1)));
      assertThat(error).isInstanceOf(RetryableException.class).hasMessageContaining("shutting down");
    }
    assertThat(next.batches()).isEmpty();
  }

  @Test
  void shutdownIsSafeWithoutStartAndTwice() throws Exception {
    ComponentContext ctx = TestContexts.processorContext(tv.vertx(), "batch", "traces", metrics);
    Processor p = new BatchProcessorFactory().create(ctx, BatchProcessorConfig.defaults(), Signal.TRACES, next);
    Future<Void> first = p.shutdown();
    Future<Void> second = p.shutdown();
    awaitDone(first);
    awaitDone(second);
    assertThat(first.succeeded()).isTrue();
    assertThat(second.succeeded()).isTrue();
  }

  // ---- metadata_keys -----------------------------------------------------------------------

  @Test
  void batchesSeparatelyPerValueOfMetadataKeysComparedCaseInsensitively() throws Exception {
    BatchProcessorConfig cfg = new BatchProcessorConfig(10, 0, LONG, List.of("X-Tenant"), 1000);
    Processor p = processor(cfg, Signal.TRACES);
    Future<Void> a1 = p.consume(traces(6, 1, Map.of("x-tenant", "acme")));
    Future<Void> b1 = p.consume(traces(6, 2, Map.of("X-TENANT", "globex")));
    Future<Void> a2 = p.consume(traces(6, 3, Map.of("X-Tenant", "acme", "other", "x")));
    awaitDone(a1);
    awaitDone(a2);
    assertThat(next.batches()).hasSize(1);
    Batch acme = next.batches().get(0);
    assertThat(acme.itemCount()).isEqualTo(12);
    assertThat(acme.envelope().metadata()).isEqualTo(Map.of("X-Tenant", "acme"));
    assertThat(b1.isComplete()).isFalse();

    awaitDone(p.shutdown());
    assertThat(next.batches()).hasSize(2);
    Batch globex = next.batches().get(1);
    assertThat(globex.itemCount()).isEqualTo(6);
    assertThat(globex.envelope().metadata()).containsEntry("X-TENANT", "globex");
  }

  @Test
  void refusesANewMetadataCombinationBeyondTheCardinalityLimit() throws Exception {
    BatchProcessorConfig cfg = new BatchProcessorConfig(100, 0, LONG, List.of("tenant"), 1);
    Processor p = processor(cfg, Signal.TRACES);
    Future<Void> a = p.consume(traces(5, 1, Map.of("tenant", "acme")));
    Throwable error = failureOf(p.consume(traces(5, 2, Map.of("tenant", "globex"))));
    assertThat(error).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("metadata_cardinality_limit 1");
    awaitDone(p.shutdown());
    assertThat(a.succeeded()).isTrue();
  }

  @Test
  void keepsTenantsApart() throws Exception {
    Processor p = processor(config(10, 0, LONG), Signal.TRACES);
    p.consume(Batch.traces(List.of(TestData.resourceSpans("a", 6, 1)),
        new Envelope(ComponentId.of("otlp"), System.nanoTime(), "acme", Map.of())));
    p.consume(Batch.traces(List.of(TestData.resourceSpans("b", 6, 2)),
        new Envelope(ComponentId.of("otlp"), System.nanoTime(), "globex", Map.of())));
    awaitDone(p.shutdown());
    assertThat(next.batches()).extracting(b -> b.envelope().tenant(), Batch::itemCount)
        .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("acme", 6),
            org.assertj.core.groups.Tuple.tuple("globex", 6));
  }

  // ---- helpers -----------------------------------------------------------------------------

  private Processor processor(BatchProcessorConfig cfg, Signal signal) throws Exception {
    assertThat(cfg.validate()).isEmpty();
    ComponentContext ctx = TestContexts.processorContext(tv.vertx(), "batch", signal.configName(), metrics);
    Processor p = new BatchProcessorFactory().create(ctx, cfg, signal, next);
    awaitDone(p.start());
    return p;
  }

  private static BatchProcessorConfig config(int size, int max, Duration timeout) {
    return new BatchProcessorConfig(size, max, timeout, List.of(), 1000);
  }

  private double incomingItems() {
    return SelfMetricsReader.counter(metrics, "sluice_processor_incoming_items", "component_id", "batch");
  }

  private static Batch traces(int spans, long seed, Map<String, String> metadata) {
    return Batch.traces(List.of(TestData.resourceSpans("cart", spans, seed)),
        new Envelope(ComponentId.of("otlp"), System.nanoTime(), "", metadata));
  }

  private static ScopeSpans scoped(ResourceSpans rs, String scopeName) {
    return rs.getScopeSpans(0).toBuilder()
        .setScope(InstrumentationScope.newBuilder().setName(scopeName).setVersion("2.0"))
        .build();
  }

  private static List<ByteString> spanIds(List<Batch> batches) {
    List<ByteString> ids = new ArrayList<>();
    for (Batch b : batches) {
      for (ResourceSpans rs : b.resourceSpans()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span s : ss.getSpansList()) {
            ids.add(s.getSpanId());
          }
        }
      }
    }
    return ids;
  }

  private static List<LogRecord> logBodies(List<Batch> batches) {
    List<LogRecord> records = new ArrayList<>();
    for (Batch b : batches) {
      for (ResourceLogs rl : b.resourceLogs()) {
        for (ScopeLogs sl : rl.getScopeLogsList()) {
          records.addAll(sl.getLogRecordsList());
        }
      }
    }
    return records;
  }

  private static Metric withoutPoints(Metric m) {
    Metric.Builder b = m.toBuilder();
    switch (m.getDataCase()) {
      case GAUGE -> b.getGaugeBuilder().clearDataPoints();
      case SUM -> b.getSumBuilder().clearDataPoints();
      case HISTOGRAM -> b.getHistogramBuilder().clearDataPoints();
      case EXPONENTIAL_HISTOGRAM -> b.getExponentialHistogramBuilder().clearDataPoints();
      case SUMMARY -> b.getSummaryBuilder().clearDataPoints();
      default -> { }
    }
    return b.build();
  }

  private static List<Object> points(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> new ArrayList<>(m.getGauge().getDataPointsList());
      case SUM -> new ArrayList<>(m.getSum().getDataPointsList());
      case HISTOGRAM -> new ArrayList<>(m.getHistogram().getDataPointsList());
      case EXPONENTIAL_HISTOGRAM -> new ArrayList<>(m.getExponentialHistogram().getDataPointsList());
      case SUMMARY -> new ArrayList<>(m.getSummary().getDataPointsList());
      default -> new ArrayList<>();
    };
  }

  private static void awaitDone(Future<?> f) throws Exception {
    f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static Throwable failureOf(Future<?> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(5, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected the future to fail, it succeeded");
  }
}
