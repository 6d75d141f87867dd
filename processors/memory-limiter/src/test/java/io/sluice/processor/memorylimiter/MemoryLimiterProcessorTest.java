package io.sluice.processor.memorylimiter;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class MemoryLimiterProcessorTest {
  private static final long MIB = 1024L * 1024L;
  private static final Duration INTERVAL = Duration.ofSeconds(1);

  private TestVertx tv;
  private SelfMetrics metrics;
  private CapturingConsumer next;
  private final AtomicLong used = new AtomicLong(100 * MIB);
  private final AtomicLong max = new AtomicLong(1000 * MIB);
  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final List<String> gcThreads = new CopyOnWriteArrayList<>();
  private volatile long usedAfterGc = -1;
  private GcTrigger gc;
  private ListAppender<ILoggingEvent> logs;
  private Logger logger;

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    metrics = new SelfMetrics();
    next = new CapturingConsumer();
    gc = new GcTrigger(() -> {
      gcThreads.add(Thread.currentThread().getName() + (Context.isOnEventLoopThread() ? " (event loop)" : ""));
      if (usedAfterGc >= 0) {
        used.set(usedAfterGc);
      }
    }, clock::get);
    logger = (Logger) LoggerFactory.getLogger(MemoryLimiterProcessor.class);
    logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
  }

  @AfterEach
  void tearDown() {
    logger.detachAppender(logs);
    tv.close();
  }

  @Test
  void passesBatchesStraightThroughBelowTheSoftLimit() throws Exception {
    MemoryLimiterProcessor p = started(mib(1000, 200, INTERVAL));
    Batch batch = TestData.traces(10, 1);
    Future<Void> f = p.consume(batch);
    assertThat(next.batches()).containsExactly(batch);
    awaitDone(f);
    assertThat(f.succeeded()).isTrue();
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_outgoing_items",
        "component_id", "memory_limiter")).isEqualTo(10);
  }

  @Test
  void refusesWithResourceExhaustedAboveTheSoftLimitAndCountsRefusedItems() throws Exception {
    MemoryLimiterProcessor p = started(mib(1000, 200, INTERVAL));
    used.set(850 * MIB);
    awaitDone(p.checkNow());

    Throwable error = failureOf(p.consume(TestData.traces(7, 1)));
    failureOf(p.consume(TestData.traces(5, 2)));
    assertThat(error).isInstanceOf(ResourceExhaustedException.class)
        .hasMessageContaining("\"memory_limiter\"")
        .hasMessageContaining("850 MiB")
        .hasMessageContaining("soft limit of 800 MiB");
    assertThat(((ResourceExhaustedException) error).retryAfter()).isEqualTo(Duration.ofSeconds(1));
    assertThat(next.batches()).isEmpty();
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_refused_items",
        "component_id", "memory_limiter", "signal", "traces")).isEqualTo(12);
  }

  @Test
  void acceptsAgainWhenMemoryDrops() throws Exception {
    MemoryLimiterProcessor p = started(mib(1000, 200, INTERVAL));
    used.set(900 * MIB);
    awaitDone(p.checkNow());
    assertThat(failureOf(p.consume(TestData.traces(3, 1)))).isInstanceOf(ResourceExhaustedException.class);

    used.set(500 * MIB);
    awaitDone(p.checkNow());
    awaitDone(p.consume(TestData.traces(3, 2)));
    assertThat(next.itemCount(Signal.TRACES)).isEqualTo(3);
  }

  @Test
  void logsWarnOnceOnEnteringAndInfoOnceOnLeavingTheRefusingState() throws Exception {
    MemoryLimiterProcessor p = started(mib(1000, 200, INTERVAL));
    used.set(900 * MIB);
    awaitDone(p.checkNow());
    awaitDone(p.checkNow());
    for (int i = 0; i < 5; i++) {
      failureOf(p.consume(TestData.traces(2, i)));
    }
    used.set(100 * MIB);
    awaitDone(p.checkNow());
    awaitDone(p.checkNow());

    List<ILoggingEvent> warns = logs.list.stream().filter(e -> e.getLevel() == Level.WARN).toList();
    List<ILoggingEvent> recovered = logs.list.stream()
        .filter(e -> e.getLevel() == Level.INFO && e.getFormattedMessage().contains("accepting data")).toList();
    assertThat(warns).hasSize(1);
    assertThat(warns.get(0).getFormattedMessage()).contains("memory_limiter").contains("900 MiB").contains("refusing");
    assertThat(recovered).hasSize(1);
    assertThat(recovered.get(0).getFormattedMessage()).contains("refused 10 spans");
  }

  @Test
  void forcesAGarbageCollectionOnAWorkerAboveTheHardLimitAndResumesWhenItFreesEnough() throws Exception {
    MemoryLimiterProcessor p = started(mib(1000, 200, INTERVAL));
    usedAfterGc = 300 * MIB;
    used.set(1100 * MIB);
    awaitDone(p.checkNow());
    await().atMost(5, TimeUnit.SECONDS).until(() -> !p.refusing());
    assertThat(gcThreads).hasSize(1);
    assertThat(gcThreads.get(0)).startsWith("sluice-memory-limiter-gc").doesNotContain("event loop");
    awaitDone(p.consume(TestData.traces(1, 1)));
  }

  @Test
  void forcesAtMostOneCollectionPerCheckIntervalAboveTheHardLimit() throws Exception {
    MemoryLimiterProcessor p = started(mib(1000, 200, INTERVAL));
    used.set(1100 * MIB);
    awaitDone(p.checkNow());
    awaitCollections(p, 1);
    awaitDone(p.checkNow()); // same instant: too soon
    assertThat(gcThreads).hasSize(1);
    assertThat(p.refusing()).isTrue();

    clock.addAndGet(Duration.ofSeconds(1).toNanos());
    awaitDone(p.checkNow());
    awaitCollections(p, 2);
    assertThat(gcThreads).hasSize(2);
  }

  @Test
  void forcesCollectionsAboveTheSoftLimitOnlyEveryMinGcIntervalWhenSoftLimited() throws Exception {
    MemoryLimiterProcessor p = started(mib(1000, 200, INTERVAL));
    used.set(850 * MIB); // between the soft (800) and the hard (1000) limit
    awaitDone(p.checkNow());
    awaitCollections(p, 1);

    clock.addAndGet(Duration.ofSeconds(5).toNanos());
    awaitDone(p.checkNow());
    assertThat(gcThreads).hasSize(1);

    clock.addAndGet(Duration.ofSeconds(5).toNanos());
    awaitDone(p.checkNow());
    awaitCollections(p, 2);
    assertThat(gcThreads).hasSize(2);
  }

  @Test
  void itsTimerChecksEveryCheckInterval() throws Exception {
    MemoryLimiterProcessor p = started(mib(1000, 200, Duration.ofMillis(20)));
    used.set(950 * MIB);
    await().atMost(5, TimeUnit.SECONDS).until(p::refusing);
    used.set(100 * MIB);
    await().atMost(5, TimeUnit.SECONDS).until(() -> !p.refusing());
    awaitDone(p.shutdown());

    // After shutdown nobody reads the heap any more.
    AtomicLong reads = new AtomicLong();
    MemoryLimiterProcessor q = new MemoryLimiterProcessor(context(), mib(1000, 200, Duration.ofMillis(10)),
        Signal.TRACES, next, () -> {
          reads.incrementAndGet();
          return 100 * MIB;
        }, max::get, gc);
    awaitDone(q.start());
    await().atMost(5, TimeUnit.SECONDS).until(() -> reads.get() >= 3);
    awaitDone(q.shutdown());
    long afterShutdown = reads.get();
    await().during(100, TimeUnit.MILLISECONDS).atMost(1, TimeUnit.SECONDS).until(() -> reads.get() == afterShutdown);
  }

  @Test
  void computesPercentageLimitsFromTheMaxHeap() throws Exception {
    MemoryLimiterProcessor p = started(pct(80, 0));
    assertThat(p.limitBytes()).isEqualTo(800 * MIB);
    assertThat(p.softLimitBytes()).isEqualTo(640 * MIB); // spike defaults to 20% of the limit
    used.set(650 * MIB);
    awaitDone(p.checkNow());
    assertThat(p.refusing()).isTrue();
    used.set(630 * MIB);
    awaitDone(p.checkNow());
    assertThat(p.refusing()).isFalse();

    MemoryLimiterProcessor q = processor(pct(80, 30));
    assertThat(q.softLimitBytes()).isEqualTo(500 * MIB);
  }

  @Test
  void spikeDefaultsToAFifthOfAFixedLimit() {
    MemoryLimiterProcessor p = processor(mib(1000, 0, INTERVAL));
    assertThat(p.softLimitBytes()).isEqualTo(800 * MIB);
  }

  @Test
  void percentageWithAnUnboundedHeapFailsStartWithAClearMessage() throws Exception {
    max.set(Long.MAX_VALUE);
    MemoryLimiterProcessor p = processor(pct(80, 0));
    assertThat(failureOf(p.start())).hasMessageContaining("limit_percentage").hasMessageContaining("-Xmx");
  }

  @Test
  void shutdownIsSafeWithoutStartAndTwice() throws Exception {
    MemoryLimiterProcessor p = processor(mib(1000, 200, INTERVAL));
    Future<Void> first = p.shutdown();
    Future<Void> second = p.shutdown();
    awaitDone(first);
    awaitDone(second);
    assertThat(first.succeeded()).isTrue();
    assertThat(second.succeeded()).isTrue();
  }

  @Test
  void readsTheRealHeapByDefault() throws Exception {
    MemoryLimiterProcessor p = (MemoryLimiterProcessor) new MemoryLimiterProcessorFactory()
        .create(context(), pct(99, 1), Signal.METRICS, next);
    awaitDone(p.start());
    assertThat(p.limitBytes()).isEqualTo(Runtime.getRuntime().maxMemory() / 100 * 99);
    awaitDone(p.consume(TestData.metrics(2, 1)));
    assertThat(next.itemCount(Signal.METRICS)).isEqualTo(6);
    awaitDone(p.shutdown());
  }

  // ---- helpers -----------------------------------------------------------------------------

  private ComponentContext context() {
    return TestContexts.processorContext(tv.vertx(), "memory_limiter", "traces", metrics);
  }

  private MemoryLimiterProcessor processor(MemoryLimiterProcessorConfig cfg) {
    assertThat(cfg.validate()).isEmpty();
    return new MemoryLimiterProcessor(context(), cfg, Signal.TRACES, next, used::get, max::get, gc);
  }

  private MemoryLimiterProcessor started(MemoryLimiterProcessorConfig cfg) throws Exception {
    MemoryLimiterProcessor p = processor(cfg);
    awaitDone(p.start());
    return p;
  }

  /** Waits until {@code n} forced collections have finished and their readings were applied. */
  private static void awaitCollections(MemoryLimiterProcessor p, int n) {
    await().atMost(5, TimeUnit.SECONDS).until(() -> p.forcedCollections() >= n);
  }

  private static MemoryLimiterProcessorConfig mib(long limit, long spike, Duration checkInterval) {
    return new MemoryLimiterProcessorConfig(checkInterval, limit, spike, 0, 0, Duration.ofSeconds(10), Duration.ZERO);
  }

  private static MemoryLimiterProcessorConfig pct(int limit, int spike) {
    return new MemoryLimiterProcessorConfig(Duration.ofSeconds(1), 0, 0, limit, spike, Duration.ofSeconds(10),
        Duration.ZERO);
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
