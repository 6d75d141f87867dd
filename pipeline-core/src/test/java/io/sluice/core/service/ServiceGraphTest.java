package io.sluice.core.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.Component;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Connector;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.Consumer;
import io.sluice.core.Envelope;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Extension;
import io.sluice.core.ExtensionFactory;
import io.sluice.core.PermanentException;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Receiver;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.config.BoundComponent;
import io.sluice.core.config.PipelineConfig;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ServiceGraphTest {
  private static final Duration WAIT = Duration.ofSeconds(5);
  private static final Duration QUIET = Duration.ofMillis(100);

  private TestVertx tv;
  /** What the fake components did, in order: "start exporter capture/a", "consume processor ...". */
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final Map<String, List<FakeReceiver>> receiversBuilt = new HashMap<>();
  private final Map<String, List<FakeProcessor>> processorsBuilt = new HashMap<>();
  private final Map<String, List<FakeExporter>> exportersBuilt = new HashMap<>();
  private final Map<String, List<FakeConnector>> connectorsBuilt = new HashMap<>();
  private final List<ServiceGraph> graphs = new ArrayList<>();

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
  }

  @AfterEach
  void tearDown() {
    graphs.forEach(ServiceGraph::shutdown);
    tv.close();
  }

  // ---------------------------------------------------------------- receivers

  @Test
  void receiverInPipelinesOfOneAndOtherSignalsIsOneInstanceWithAConsumerPerSignal() {
    Def def = new Def()
        .receiver("fakerecv")
        .exporter("capture/a").exporter("capture/b").exporter("capture/m")
        .pipeline("traces/a", ids("fakerecv"), ids(), ids("capture/a"))
        .pipeline("traces/b", ids("fakerecv"), ids(), ids("capture/b"))
        .pipeline("metrics", ids("fakerecv"), ids(), ids("capture/m"));
    running(def);

    assertThat(receiversBuilt.get("fakerecv")).hasSize(1);
    FakeReceiver r = receiver("fakerecv");
    assertThat(r.next).containsOnlyKeys(Signal.TRACES, Signal.METRICS);

    Batch traces = TestData.traces(3, 1);
    awaitSuccess(r.push(traces));
    assertThat(exporter("capture/a").capture.batches()).containsExactly(traces);
    assertThat(exporter("capture/b").capture.batches()).containsExactly(traces);
    assertThat(exporter("capture/m").capture.batches()).isEmpty();

    Batch metrics = TestData.metrics(2, 1);
    awaitSuccess(r.push(metrics));
    assertThat(exporter("capture/m").capture.batches()).containsExactly(metrics);
    assertThat(exporter("capture/a").capture.batches()).containsExactly(traces);
  }

  @Test
  void twoReceiversFeedOnePipeline() {
    Def def = new Def()
        .receiver("fakerecv/1").receiver("fakerecv/2")
        .exporter("capture")
        .pipeline("logs", ids("fakerecv/1", "fakerecv/2"), ids(), ids("capture"));
    running(def);

    Batch first = TestData.logs(1, 1);
    Batch second = TestData.logs(2, 2);
    awaitSuccess(receiver("fakerecv/1").push(first));
    awaitSuccess(receiver("fakerecv/2").push(second));

    assertThat(exporter("capture").capture.batches()).containsExactly(first, second);
    assertThat(receiver("fakerecv/1").next).containsOnlyKeys(Signal.LOGS);
    assertThat(receiver("fakerecv/2").next).containsOnlyKeys(Signal.LOGS);
  }

  // ---------------------------------------------------------------- exporters and fan-out

  @Test
  void fanOutDeliversTheSameBatchToBothExportersAndTheAckWaitsForBoth() {
    ServiceGraph g = running(twoExporters());
    Promise<Void> a = Promise.promise();
    Promise<Void> b = Promise.promise();
    exporter("capture/a").capture.answerWith(x -> a.future());
    exporter("capture/b").capture.answerWith(x -> b.future());
    Batch batch = TestData.traces(4, 1);

    Future<Void> ack = receiver("fakerecv").push(batch);

    assertThat(exporter("capture/a").capture.batches()).singleElement().isSameAs(batch);
    assertThat(exporter("capture/b").capture.batches()).singleElement().isSameAs(batch);
    a.complete();
    await().during(QUIET).atMost(WAIT).until(() -> !ack.isComplete());
    b.complete();
    awaitSuccess(ack);
    assertThat(g.ready()).isTrue();
  }

  @Test
  void fanOutAckFailsWhenEitherExporterFailsButOnlyOnceBothAnswered() {
    running(twoExporters());
    RetryableException full = new RetryableException("queue of capture/a is full");
    Promise<Void> b = Promise.promise();
    exporter("capture/a").capture.failWith(full);
    exporter("capture/b").capture.answerWith(x -> b.future());

    Future<Void> ack = receiver("fakerecv").push(TestData.traces(1, 1));

    await().during(QUIET).atMost(WAIT).until(() -> !ack.isComplete());
    b.complete();
    assertThat(awaitFailure(ack)).isSameAs(full);

    exporter("capture/a").capture.succeed();
    exporter("capture/b").capture.failWith(new PermanentException("rejected by capture/b"));
    assertThat(awaitFailure(receiver("fakerecv").push(TestData.traces(1, 2))))
        .hasMessage("rejected by capture/b");
  }

  @Test
  void oneExporterInTracesMetricsAndLogsPipelinesIsOneInstance() {
    Def def = new Def()
        .receiver("fakerecv")
        .exporter("capture")
        .pipeline("traces", ids("fakerecv"), ids(), ids("capture"))
        .pipeline("metrics", ids("fakerecv"), ids(), ids("capture"))
        .pipeline("logs", ids("fakerecv"), ids(), ids("capture"));
    running(def);

    assertThat(exportersBuilt.get("capture")).hasSize(1);
    awaitSuccess(receiver("fakerecv").push(TestData.traces(2, 1)));
    awaitSuccess(receiver("fakerecv").push(TestData.metrics(1, 1)));
    awaitSuccess(receiver("fakerecv").push(TestData.logs(4, 1)));
    CapturingConsumer c = exporter("capture").capture;
    assertThat(c.itemCount(Signal.TRACES)).isEqualTo(2);
    assertThat(c.itemCount(Signal.METRICS)).isEqualTo(3);
    assertThat(c.itemCount(Signal.LOGS)).isEqualTo(4);
    assertThat(exporter("capture").ctx.kind()).isEqualTo(ComponentKind.EXPORTER);
  }

  // ---------------------------------------------------------------- processors

  @Test
  void processorsAreOneInstancePerPipelineAndAppliedInOrder() {
    Def def = new Def()
        .receiver("fakerecv")
        .processor("tagger/1").processor("tagger/2")
        .exporter("capture/a").exporter("capture/b")
        .pipeline("traces/a", ids("fakerecv"), ids("tagger/1", "tagger/2"), ids("capture/a"))
        .pipeline("traces/b", ids("fakerecv"), ids("tagger/2", "tagger/1"), ids("capture/b"));
    ServiceGraph g = running(def);

    assertThat(processorsBuilt.get("tagger/1")).extracting(p -> p.ctx.pipeline())
        .containsExactlyInAnyOrder("traces/a", "traces/b");
    assertThat(processorsBuilt.get("tagger/2")).hasSize(2);
    awaitSuccess(receiver("fakerecv").push(TestData.traces(2, 1)));

    assertThat(tags(exporter("capture/a").capture.batches().get(0)))
        .containsExactly("tagger/1@traces/a", "tagger/2@traces/a");
    assertThat(tags(exporter("capture/b").capture.batches().get(0)))
        .containsExactly("tagger/2@traces/b", "tagger/1@traces/b");
    assertThat(g.pipelineEntry("traces/a")).isSameAs(processor("tagger/1", "traces/a"));
    assertThat(g.pipelineEntry("traces/b")).isSameAs(processor("tagger/2", "traces/b"));
  }

  @Test
  void pipelineWithoutProcessorsStartsAtItsExporters() {
    ServiceGraph g = running(twoExporters());

    Batch batch = TestData.traces(1, 1);
    awaitSuccess(g.pipelineEntry("traces").consume(batch));

    assertThat(exporter("capture/a").capture.batches()).containsExactly(batch);
    assertThat(exporter("capture/b").capture.batches()).containsExactly(batch);
  }

  // ---------------------------------------------------------------- connectors

  @ParameterizedTest(name = "metrics pipeline listed first: {0}")
  @ValueSource(booleans = {true, false})
  void connectorTurnsTracesIntoMetricsWhateverOrderThePipelinesAreListedIn(boolean metricsFirst) {
    Def def = new Def()
        .receiver("fakerecv")
        .processor("tagger")
        .exporter("capture/t").exporter("capture/m")
        .connector("spancount");
    PipelineConfig traces = pipeline("traces", ids("fakerecv"), ids(), ids("spancount", "capture/t"));
    PipelineConfig metrics = pipeline("metrics", ids("spancount"), ids("tagger"), ids("capture/m"));
    if (metricsFirst) {
      def.pipelines.addAll(List.of(metrics, traces));
    } else {
      def.pipelines.addAll(List.of(traces, metrics));
    }
    running(def);

    Batch spans = TestData.traces(5, 1);
    awaitSuccess(receiver("fakerecv").push(spans));

    assertThat(exporter("capture/t").capture.batches()).containsExactly(spans);
    List<Batch> out = exporter("capture/m").capture.batches();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).signal()).isEqualTo(Signal.METRICS);
    assertThat(out.get(0).itemCount()).isEqualTo(5);
    assertThat(tags(out.get(0))).containsExactly("tagger@metrics");
    assertThat(receiver("fakerecv").next).containsOnlyKeys(Signal.TRACES);
    assertThat(connectorsBuilt.get("spancount")).singleElement()
        .satisfies(c -> assertThat(c.from + "->" + c.to).isEqualTo("traces->metrics"));
  }

  @Test
  void connectorIsOneInstancePerPairOfSignalsAndFeedsEveryPipelineListingIt() {
    Def def = new Def()
        .receiver("fakerecv/1").receiver("fakerecv/2")
        .exporter("capture/m1").exporter("capture/m2")
        .connector("spancount")
        .pipeline("traces/1", ids("fakerecv/1"), ids(), ids("spancount"))
        .pipeline("traces/2", ids("fakerecv/2"), ids(), ids("spancount"))
        .pipeline("metrics/1", ids("spancount"), ids(), ids("capture/m1"))
        .pipeline("metrics/2", ids("spancount"), ids(), ids("capture/m2"));
    running(def);

    awaitSuccess(receiver("fakerecv/1").push(TestData.traces(2, 1)));
    awaitSuccess(receiver("fakerecv/2").push(TestData.traces(3, 2)));

    assertThat(connectorsBuilt.get("spancount")).hasSize(1);
    assertThat(exporter("capture/m1").capture.itemCount(Signal.METRICS)).isEqualTo(5);
    assertThat(exporter("capture/m2").capture.itemCount(Signal.METRICS)).isEqualTo(5);
  }

  @Test
  void connectorIsOnlyBuiltForTheSignalsItCanProduce() {
    Def def = new Def()
        .receiver("fakerecv")
        .exporter("capture/m").exporter("capture/l")
        .connector("spancount")
        .pipeline("traces", ids("fakerecv"), ids(), ids("spancount"))
        .pipeline("metrics", ids("spancount"), ids(), ids("capture/m"))
        .pipeline("logs", ids("spancount"), ids(), ids("capture/l"));
    running(def);

    awaitSuccess(receiver("fakerecv").push(TestData.traces(2, 1)));

    assertThat(connectorsBuilt.get("spancount")).extracting(c -> c.to).containsExactly(Signal.METRICS);
    assertThat(exporter("capture/m").capture.itemCount(Signal.METRICS)).isEqualTo(2);
    assertThat(exporter("capture/l").capture.batches()).isEmpty();
  }

  @Test
  void connectorThatNoPipelineReceivesFromIsRejected() {
    Def def = new Def()
        .receiver("fakerecv")
        .connector("spancount")
        .exporter("capture")
        .pipeline("traces", ids("fakerecv"), ids(), ids("spancount", "capture"));

    assertThatThrownBy(() -> ServiceGraph.build(tv.vertx(), new SelfMetrics(), def))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spancount").hasMessageContaining("traces");
  }

  @Test
  void connectorCycleIsRejectedWithAMessageNamingThePipelines() {
    Def def = new Def()
        .receiver("fakerecv")
        .connector("forward/ab").connector("forward/ba")
        .exporter("capture")
        .pipeline("traces/a", ids("fakerecv", "forward/ba"), ids(), ids("forward/ab"))
        .pipeline("traces/b", ids("forward/ab"), ids(), ids("forward/ba", "capture"));

    assertThatThrownBy(() -> ServiceGraph.build(tv.vertx(), new SelfMetrics(), def))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("cycle")
        .hasMessageContaining("traces/a")
        .hasMessageContaining("traces/b");
    assertThat(receiversBuilt).isEmpty();
  }

  @Test
  void pipelineFeedingItselfThroughAConnectorIsRejected() {
    Def def = new Def()
        .receiver("fakerecv")
        .connector("forward")
        .pipeline("logs/loop", ids("fakerecv", "forward"), ids(), ids("forward"));

    assertThatThrownBy(() -> ServiceGraph.build(tv.vertx(), new SelfMetrics(), def))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("logs/loop -> logs/loop");
  }

  // ---------------------------------------------------------------- lifecycle

  @Test
  void componentsFindTheExtensionsOfServiceExtensionsThroughTheirHost() {
    Def def = new Def()
        .extension("ext/auth")
        .receiver("fakerecv")
        .exporter("capture")
        .pipeline("traces", ids("fakerecv"), ids(), ids("capture"));
    running(def);

    var host = exporter("capture").ctx.host();
    assertThat(host.extension(ComponentId.parse("ext/auth"))).get().isInstanceOf(FakeExtension.class);
    assertThat(host.extension(ComponentId.parse("ext/other"))).isEmpty();
  }

  @Test
  void startsAndShutsDownInDependencyOrder() {
    Def def = new Def()
        .extension("ext")
        .receiver("fakerecv")
        .processor("tagger/1").processor("tagger/2")
        .exporter("capture")
        .pipeline("traces", ids("fakerecv"), ids("tagger/1", "tagger/2"), ids("capture"));
    ServiceGraph g = build(def);
    events.clear();

    awaitSuccess(g.start());
    assertThat(lifecycle("start")).containsExactly(
        "extension ext", "exporter capture", "processor tagger/2@traces", "processor tagger/1@traces",
        "receiver fakerecv");

    awaitSuccess(g.shutdown());
    assertThat(lifecycle("shutdown")).containsExactly(
        "receiver fakerecv", "processor tagger/1@traces", "processor tagger/2@traces", "exporter capture",
        "extension ext");
  }

  @Test
  void connectorsStartAfterThePipelinesTheyFeedAndShutDownBeforeThem() {
    ServiceGraph g = build(tracesToMetrics(FakeConfig.OK));

    awaitSuccess(g.start());
    awaitSuccess(g.shutdown());

    assertThat(lifecycle("start")).containsExactly(
        "extension ext", "exporter capture", "processor tagger/m@metrics", "connector spancount",
        "processor tagger/t@traces", "receiver fakerecv");
    assertThat(lifecycle("shutdown")).containsExactly(
        "receiver fakerecv", "processor tagger/t@traces", "connector spancount", "processor tagger/m@metrics",
        "exporter capture", "extension ext");
  }

  @Test
  void whatAConnectorFlushesOnShutdownStillReachesItsPipeline() {
    ServiceGraph g = build(tracesToMetrics(new FakeConfig(false, false, true, false)));
    awaitSuccess(g.start());

    awaitSuccess(g.shutdown());

    assertThat(exporter("capture").capture.batches(Signal.METRICS)).extracting(Batch::itemCount)
        .containsExactly(1);
    assertThat(tags(exporter("capture").capture.batches().get(0))).containsExactly("tagger/m@metrics");
  }

  @Test
  void readyOnlyBetweenStartAndShutdown() {
    ServiceGraph g = build(twoExporters());
    assertThat(g.ready()).isFalse();

    awaitSuccess(g.start());
    assertThat(g.ready()).isTrue();
    assertThat(exporter("capture/a").ctx.host().ready()).as("what components see").isTrue();

    Future<Void> stopped = g.shutdown();
    assertThat(g.ready()).isFalse();
    awaitSuccess(stopped);
    assertThat(g.ready()).isFalse();
  }

  @Test
  void failingStartFailsStartNamingTheComponentAndStartsNothingAfterIt() {
    Def def = new Def()
        .receiver("fakerecv")
        .processor("tagger")
        .exporter("capture/ok").exporter("capture/bad", new FakeConfig(true, false, false, false))
        .pipeline("traces", ids("fakerecv"), ids("tagger"), ids("capture/ok", "capture/bad"));
    ServiceGraph g = build(def);

    Throwable err = awaitFailure(g.start());

    assertThat(err).hasMessageContaining("capture/bad").hasRootCauseMessage("capture/bad cannot start");
    assertThat(lifecycle("start")).doesNotContain("processor tagger@traces", "receiver fakerecv");
    assertThat(g.ready()).isFalse();
    awaitSuccess(g.shutdown());
    assertThat(lifecycle("shutdown")).contains("receiver fakerecv", "exporter capture/ok", "exporter capture/bad");
  }

  @Test
  void startThatThrowsFailsStart() {
    Def def = new Def()
        .receiver("fakerecv", new FakeConfig(false, false, false, false))
        .exporter("capture")
        .pipeline("traces", ids("fakerecv"), ids(), ids("capture"));
    ServiceGraph g = build(def);
    receiver("fakerecv").throwOnStart = true;

    assertThat(awaitFailure(g.start())).hasMessageContaining("receiver 'fakerecv'");
    assertThat(g.ready()).isFalse();
  }

  @Test
  void shutdownContinuesPastAFailingComponentAndFailsWithItsError() {
    Def def = new Def()
        .extension("ext")
        .receiver("fakerecv")
        .processor("tagger", new FakeConfig(false, true, false, false))
        .exporter("capture")
        .pipeline("traces", ids("fakerecv"), ids("tagger"), ids("capture"));
    ServiceGraph g = build(def);
    awaitSuccess(g.start());

    Throwable err = awaitFailure(g.shutdown());

    assertThat(err).hasMessage("tagger@traces cannot shut down");
    assertThat(lifecycle("shutdown")).containsExactly(
        "receiver fakerecv", "processor tagger@traces", "exporter capture", "extension ext");
    assertThat(g.ready()).isFalse();
  }

  @Test
  void shutdownTwiceAndWithoutStartIsSafe() {
    ServiceGraph g = build(twoExporters());

    Future<Void> first = g.shutdown();
    awaitSuccess(first);
    awaitSuccess(g.shutdown());

    assertThat(lifecycle("shutdown")).hasSize(3).startsWith("receiver fakerecv")
        .contains("exporter capture/a", "exporter capture/b");
    assertThat(lifecycle("start")).isEmpty();
  }

  @Test
  void startTwiceStartsEachComponentOnce() {
    ServiceGraph g = build(twoExporters());

    Future<Void> first = g.start();
    Future<Void> second = g.start();

    awaitSuccess(first);
    awaitSuccess(second);
    assertThat(lifecycle("start")).hasSize(3).endsWith("receiver fakerecv")
        .contains("exporter capture/a", "exporter capture/b");
  }

  @Test
  void shutdownDuringStartStopsStartingAndLeavesTheGraphNotReady() {
    Def def = new Def()
        .receiver("fakerecv")
        .exporter("capture", new FakeConfig(false, false, false, true))
        .pipeline("traces", ids("fakerecv"), ids(), ids("capture"));
    ServiceGraph g = build(def);

    Future<Void> started = g.start();
    await().atMost(WAIT).until(() -> lifecycle("start").contains("exporter capture"));
    Future<Void> stopped = g.shutdown();
    exporter("capture").heldStart.complete();

    awaitSuccess(stopped);
    await().atMost(WAIT).until(started::isComplete);
    assertThat(lifecycle("start")).doesNotContain("receiver fakerecv");
    assertThat(g.ready()).isFalse();
  }

  // ---------------------------------------------------------------- FanOutConsumer on its own

  @Nested
  class FanOut {
    @Test
    void singleConsumerIsUsedAsIs() {
      CapturingConsumer only = new CapturingConsumer();

      assertThat(FanOutConsumer.of(List.of(only))).isSameAs(only);
      assertThatThrownBy(() -> FanOutConsumer.of(List.of())).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void retryableFailureWinsOverPermanentSoTheSenderRetries() {
      CapturingConsumer bad = new CapturingConsumer().failWith(new PermanentException("bad for one backend"));
      RetryableException down = new RetryableException("other backend down");
      CapturingConsumer unavailable = new CapturingConsumer().failWith(down);

      Future<Void> ack = FanOutConsumer.of(List.of(bad, unavailable)).consume(TestData.traces(1, 1));

      assertThat(awaitFailure(ack)).isSameAs(down);
    }

    @Test
    void permanentFailureIsReportedWhenEveryFailureIsPermanent() {
      PermanentException bad = new PermanentException("bad");
      Consumer fanOut = FanOutConsumer.of(List.of(new CapturingConsumer(), new CapturingConsumer().failWith(bad)));

      assertThat(awaitFailure(fanOut.consume(TestData.traces(1, 1)))).isSameAs(bad);
    }

    @Test
    void consumerThatThrowsFailsTheAckButTheOthersStillGetTheBatch() {
      CapturingConsumer first = new CapturingConsumer();
      CapturingConsumer last = new CapturingConsumer();
      Consumer throwing = b -> {
        throw new IllegalStateException("boom");
      };
      Batch batch = TestData.logs(1, 1);

      Future<Void> ack = FanOutConsumer.of(List.of(first, throwing, last)).consume(batch);

      assertThat(awaitFailure(ack)).hasMessage("boom");
      assertThat(first.batches()).containsExactly(batch);
      assertThat(last.batches()).containsExactly(batch);
    }

    @Test
    void ackSucceedsOnceEveryConsumerAnsweredFromAnyThread() throws Exception {
      Promise<Void> a = Promise.promise();
      Promise<Void> b = Promise.promise();
      Consumer fanOut = FanOutConsumer.of(List.of(x -> a.future(), x -> b.future()));

      Future<Void> ack = fanOut.consume(TestData.traces(1, 1));
      Thread t1 = new Thread(a::complete);
      Thread t2 = new Thread(b::complete);
      t1.start();
      t2.start();
      t1.join();
      t2.join();

      awaitSuccess(ack);
    }
  }

  // ---------------------------------------------------------------- graphs used by several tests

  /** traces: fakerecv → (capture/a, capture/b). */
  private Def twoExporters() {
    return new Def()
        .receiver("fakerecv")
        .exporter("capture/a").exporter("capture/b")
        .pipeline("traces", ids("fakerecv"), ids(), ids("capture/a", "capture/b"));
  }

  /** traces: fakerecv → tagger/t → spancount; metrics: spancount → tagger/m → capture; extension ext. */
  private Def tracesToMetrics(FakeConfig connector) {
    return new Def()
        .extension("ext")
        .receiver("fakerecv")
        .processor("tagger/t").processor("tagger/m")
        .connector("spancount", connector)
        .exporter("capture")
        .pipeline("metrics", ids("spancount"), ids("tagger/m"), ids("capture"))
        .pipeline("traces", ids("fakerecv"), ids("tagger/t"), ids("spancount"));
  }

  // ---------------------------------------------------------------- reload by difference

  @Nested
  class Reload {
    private final FakeConfig changed = new FakeConfig(false, false, true, false);

    private Def chain(FakeConfig second) {
      return new Def()
          .receiver("fakerecv")
          .processor("tagger/1").processor("tagger/2", second)
          .exporter("capture")
          .pipeline("traces", ids("fakerecv"), ids("tagger/1", "tagger/2"), ids("capture"));
    }

    /** Builds {@code def} to replace {@code running} and waits for it to take over. */
    private ServiceGraph.ReloadSummary reload(ServiceGraph running, Def def) {
      ServiceGraph next = ServiceGraph.buildNext(running, def);
      Future<ServiceGraph.ReloadSummary> done = next.takeOver();
      awaitSuccess(done);
      graphs.remove(running);
      graphs.add(next);
      current = next;
      return done.result();
    }

    private ServiceGraph current;

    @Test
    void unchangedComponentsKeepRunningAndAChangedProcessorIsRewiredBetweenThem() {
      ServiceGraph g = running(chain(FakeConfig.OK));
      FakeReceiver r = receiver("fakerecv");
      events.clear();

      ServiceGraph.ReloadSummary summary = reload(g, chain(changed));

      assertThat(summary.kept()).containsExactlyInAnyOrder("exporter 'capture'",
          "processor 'tagger/1' of pipeline 'traces'", "receiver 'fakerecv'");
      assertThat(summary.replaced()).containsExactly("processor 'tagger/2' of pipeline 'traces'");
      assertThat(summary.started()).isEmpty();
      assertThat(summary.stopped()).isEmpty();
      assertThat(events).containsExactly("start processor tagger/2@traces", "shutdown processor tagger/2@traces");
      assertThat(processorsBuilt.get("tagger/2")).hasSize(2);
      assertThat(processorsBuilt.get("tagger/2").get(0).running).as("the old tagger/2 runs").isFalse();
      assertThat(receiver("fakerecv")).isSameAs(r);

      awaitSuccess(r.push(TestData.traces(1, 1)));
      assertThat(tags(exporter("capture").capture.batches().get(0)))
          .containsExactly("tagger/1@traces", "tagger/2@traces");
      assertThat(current.ready()).isTrue();
    }

    @Test
    void aRemovedProcessorIsBypassedThenStopped() {
      ServiceGraph g = running(chain(FakeConfig.OK));
      events.clear();
      Def without = new Def()
          .receiver("fakerecv")
          .processor("tagger/1")
          .exporter("capture")
          .pipeline("traces", ids("fakerecv"), ids("tagger/1"), ids("capture"));

      ServiceGraph.ReloadSummary summary = reload(g, without);

      assertThat(summary.stopped()).containsExactly("processor 'tagger/2' of pipeline 'traces'");
      assertThat(events).containsExactly("shutdown processor tagger/2@traces");
      awaitSuccess(receiver("fakerecv").push(TestData.traces(1, 1)));
      assertThat(tags(exporter("capture").capture.batches().get(0))).containsExactly("tagger/1@traces");
    }

    @Test
    void newComponentsStartBeforeTheReplacedOnesStopAndThoseStopIntakeFirst() {
      ServiceGraph g = running(chain(FakeConfig.OK));
      events.clear();
      Def def = new Def()
          .receiver("fakerecv", changed)
          .processor("tagger/1").processor("tagger/2")
          .exporter("capture", changed)
          .pipeline("traces", ids("fakerecv"), ids("tagger/1", "tagger/2"), ids("capture"));

      ServiceGraph.ReloadSummary summary = reload(g, def);

      assertThat(summary.replaced()).containsExactlyInAnyOrder("exporter 'capture'", "receiver 'fakerecv'");
      // New exporter first and new receiver last, then the old receiver (intake) before the old exporter.
      assertThat(events).containsExactly("start exporter capture", "start receiver fakerecv",
          "shutdown receiver fakerecv", "shutdown exporter capture");
      FakeReceiver fresh = receiversBuilt.get("fakerecv").get(1);
      FakeExporter newExporter = exportersBuilt.get("capture").get(1);
      awaitSuccess(fresh.push(TestData.traces(1, 1)));
      assertThat(tags(newExporter.capture.batches().get(0)))
          .as("the kept processors feed the new exporter").containsExactly("tagger/1@traces", "tagger/2@traces");
    }

    @Test
    void aNewComponentThatFailsToStartLeavesTheRunningGraphAsItWas() {
      ServiceGraph g = running(chain(FakeConfig.OK));
      events.clear();
      Def def = chain(changed).exporter("capture/b", new FakeConfig(true, false, false, false));
      def.pipelines.clear();
      def.pipeline("traces", ids("fakerecv"), ids("tagger/1", "tagger/2"), ids("capture", "capture/b"));

      ServiceGraph next = ServiceGraph.buildNext(g, def);
      Throwable failure = awaitFailure(next.takeOver());

      assertThat(failure).hasMessageContaining("capture/b");
      assertThat(events).doesNotContain("shutdown receiver fakerecv", "shutdown processor tagger/1@traces",
          "shutdown exporter capture");
      assertThat(g.ready()).isTrue();
      awaitSuccess(receiver("fakerecv").push(TestData.traces(1, 1)));
      assertThat(tags(exporter("capture").capture.batches().get(0)))
          .as("still the old chain").containsExactly("tagger/1@traces", "tagger/2@traces");
      assertThat(processorsBuilt.get("tagger/2").get(0).running).as("the old tagger/2 runs on").isTrue();
    }

    @Test
    void aChangedExtensionReplacesEveryComponent() {
      ServiceGraph g = running(chain(FakeConfig.OK).extension("ext"));
      events.clear();
      Def def = chain(FakeConfig.OK);
      def.add(ComponentKind.EXTENSION, "ext", new FakeExtensionFactory(), changed);
      def.extensionIds.add(ComponentId.parse("ext"));

      ServiceGraph.ReloadSummary summary = reload(g, def);

      assertThat(summary.kept()).isEmpty();
      assertThat(summary.replaced()).hasSize(5);
      assertThat(receiversBuilt.get("fakerecv")).hasSize(2);
    }

    @Test
    void aKeptConnectorFeedsTheRebuiltPipelineItExportsInto() {
      ServiceGraph g = running(new Def()
          .receiver("fakerecv")
          .processor("tagger/m")
          .connector("spancount")
          .exporter("capture")
          .pipeline("traces", ids("fakerecv"), ids(), ids("spancount"))
          .pipeline("metrics", ids("spancount"), ids("tagger/m"), ids("capture")));
      Def def = new Def()
          .receiver("fakerecv")
          .processor("tagger/m", changed)
          .connector("spancount")
          .exporter("capture")
          .pipeline("traces", ids("fakerecv"), ids(), ids("spancount"))
          .pipeline("metrics", ids("spancount"), ids("tagger/m"), ids("capture"));

      ServiceGraph.ReloadSummary summary = reload(g, def);

      assertThat(summary.kept()).contains("connector 'spancount' (traces to metrics)");
      awaitSuccess(receiver("fakerecv").push(TestData.traces(2, 1)));
      FakeProcessor fresh = processorsBuilt.get("tagger/m").get(1);
      assertThat(fresh.running).isTrue();
      assertThat(exporter("capture").capture.itemCount(Signal.METRICS)).isEqualTo(2);
    }
  }

  // ---------------------------------------------------------------- helpers

  /** Builds and starts the graph of {@code def}. */
  private ServiceGraph running(Def def) {
    ServiceGraph g = build(def);
    awaitSuccess(g.start());
    return g;
  }

  private ServiceGraph build(Def def) {
    ServiceGraph g = ServiceGraph.build(tv.vertx(), new SelfMetrics(), def);
    graphs.add(g);
    return g;
  }

  private static List<ComponentId> ids(String... ids) {
    return Arrays.stream(ids).map(ComponentId::parse).toList();
  }

  private static PipelineConfig pipeline(String id, List<ComponentId> receivers, List<ComponentId> processors,
      List<ComponentId> exporters) {
    Signal signal = Signal.fromConfigName(id.split("/")[0]);
    return new PipelineConfig(id, signal, receivers, processors, exporters);
  }

  private List<String> lifecycle(String what) {
    String prefix = what + " ";
    return events.stream().filter(e -> e.startsWith(prefix)).map(e -> e.substring(prefix.length())).toList();
  }

  private FakeReceiver receiver(String id) {
    List<FakeReceiver> built = receiversBuilt.get(id);
    assertThat(built).as("receivers built for " + id).hasSize(1);
    return built.get(0);
  }

  private FakeExporter exporter(String id) {
    List<FakeExporter> built = exportersBuilt.get(id);
    assertThat(built).as("exporters built for " + id).hasSize(1);
    return built.get(0);
  }

  private FakeProcessor processor(String id, String pipeline) {
    return processorsBuilt.get(id).stream().filter(p -> p.ctx.pipeline().equals(pipeline)).findFirst().orElseThrow();
  }

  /** The tags the fake processors put on the first resource of a batch, in the order they were added. */
  private static List<String> tags(Batch batch) {
    Resource r = switch (batch.signal()) {
      case TRACES -> batch.resourceSpans().get(0).getResource();
      case METRICS -> batch.resourceMetrics().get(0).getResource();
      case LOGS -> batch.resourceLogs().get(0).getResource();
    };
    return r.getAttributesList().stream().filter(kv -> kv.getKey().equals("sluice.test.tag"))
        .map(kv -> kv.getValue().getStringValue()).toList();
  }

  private static Batch tag(Batch batch, String tag) {
    KeyValue kv = TestData.attr("sluice.test.tag", tag);
    List<Object> out = new ArrayList<>();
    for (Object o : batch.resources()) {
      switch (batch.signal()) {
        case TRACES -> {
          ResourceSpans rs = (ResourceSpans) o;
          out.add(rs.toBuilder().setResource(rs.getResource().toBuilder().addAttributes(kv)).build());
        }
        case METRICS -> {
          ResourceMetrics rm = (ResourceMetrics) o;
          out.add(rm.toBuilder().setResource(rm.getResource().toBuilder().addAttributes(kv)).build());
        }
        case LOGS -> {
          ResourceLogs rl = (ResourceLogs) o;
          out.add(rl.toBuilder().setResource(rl.getResource().toBuilder().addAttributes(kv)).build());
        }
      }
    }
    return batch.withResources(out);
  }

  /** One gauge data point per span, under the spans' resource. */
  private static Batch spanCounts(Batch traces, ComponentId source) {
    List<ResourceMetrics> out = new ArrayList<>();
    for (ResourceSpans rs : traces.resourceSpans()) {
      Gauge.Builder gauge = Gauge.newBuilder();
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          gauge.addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(span.getEndTimeUnixNano())
              .setAsDouble((span.getEndTimeUnixNano() - span.getStartTimeUnixNano()) / 1e9));
        }
      }
      out.add(ResourceMetrics.newBuilder().setResource(rs.getResource())
          .addScopeMetrics(ScopeMetrics.newBuilder()
              .addMetrics(Metric.newBuilder().setName("span.duration").setUnit("s").setGauge(gauge)))
          .build());
    }
    return Batch.metrics(out, Envelope.of(source));
  }

  private static Batch flushBatch(ComponentId source) {
    return Batch.metrics(List.of(ResourceMetrics.newBuilder()
        .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder().setName("span.count.final")
            .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder().setAsInt(1)))))
        .build()), Envelope.of(source));
  }

  private static ConditionFactory await() {
    return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(2));
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

  // ---------------------------------------------------------------- the definition

  /** The graph's input, assembled by hand: fake factories chosen by kind (and type, for connectors). */
  private final class Def implements ServiceGraph.Definition {
    final List<PipelineConfig> pipelines = new ArrayList<>();
    final List<ComponentId> extensionIds = new ArrayList<>();
    final Map<String, BoundComponent<?>> specs = new HashMap<>();

    Def receiver(String id) {
      return receiver(id, FakeConfig.OK);
    }

    Def receiver(String id, FakeConfig config) {
      return add(ComponentKind.RECEIVER, id, new FakeReceiverFactory(), config);
    }

    Def processor(String id) {
      return processor(id, FakeConfig.OK);
    }

    Def processor(String id, FakeConfig config) {
      return add(ComponentKind.PROCESSOR, id, new FakeProcessorFactory(), config);
    }

    Def exporter(String id) {
      return exporter(id, FakeConfig.OK);
    }

    Def exporter(String id, FakeConfig config) {
      return add(ComponentKind.EXPORTER, id, new FakeExporterFactory(), config);
    }

    Def connector(String id) {
      return connector(id, FakeConfig.OK);
    }

    Def connector(String id, FakeConfig config) {
      return add(ComponentKind.CONNECTOR, id, new FakeConnectorFactory(ComponentId.parse(id).type()), config);
    }

    Def extension(String id) {
      add(ComponentKind.EXTENSION, id, new FakeExtensionFactory(), FakeConfig.OK);
      extensionIds.add(ComponentId.parse(id));
      return this;
    }

    Def pipeline(String id, List<ComponentId> receivers, List<ComponentId> processors, List<ComponentId> exporters) {
      pipelines.add(ServiceGraphTest.pipeline(id, receivers, processors, exporters));
      return this;
    }

    private Def add(ComponentKind kind, String id, io.sluice.core.ComponentFactory<?> factory, FakeConfig config) {
      ComponentId cid = ComponentId.parse(id);
      specs.put(kind + " " + cid, new BoundComponent<>(cid, factory, config));
      return this;
    }

    @Override
    public List<PipelineConfig> pipelines() {
      return pipelines;
    }

    @Override
    public BoundComponent<?> component(ComponentKind kind, ComponentId id) {
      return specs.get(kind + " " + id);
    }

    @Override
    public List<ComponentId> serviceExtensions() {
      return extensionIds;
    }
  }

  // ---------------------------------------------------------------- fakes

  /**
   * How a fake behaves: fail its start or shutdown, send one last batch when it shuts down
   * (connectors), or hold its start until the test completes it.
   */
  record FakeConfig(boolean failStart, boolean failShutdown, boolean flushOnShutdown, boolean holdStart)
      implements ComponentConfig {
    static final FakeConfig OK = new FakeConfig(false, false, false, false);
  }

  /** Records its lifecycle in {@link #events} and refuses data while it is not running. */
  private abstract class FakeComponent implements Component {
    final String name;
    final String shortName;
    final FakeConfig config;
    final ComponentContext ctx;
    final Promise<Void> heldStart = Promise.promise();
    volatile boolean running;
    volatile boolean throwOnStart;

    FakeComponent(String kind, String shortName, ComponentContext ctx, ComponentConfig config) {
      this.shortName = shortName;
      this.name = kind + " " + shortName;
      this.ctx = ctx;
      this.config = (FakeConfig) config;
    }

    @Override
    public Future<Void> start() {
      if (throwOnStart) {
        throw new IllegalStateException(shortName + " threw");
      }
      events.add("start " + name);
      if (config.failStart()) {
        return Future.failedFuture(new IllegalStateException(shortName + " cannot start"));
      }
      running = true;
      return config.holdStart() ? heldStart.future() : Future.succeededFuture();
    }

    @Override
    public Future<Void> shutdown() {
      events.add("shutdown " + name);
      Future<Void> last = onShutdown();
      running = false;
      if (config.failShutdown()) {
        return Future.failedFuture(new IllegalStateException(shortName + " cannot shut down"));
      }
      return last;
    }

    Future<Void> onShutdown() {
      return Future.succeededFuture();
    }

    Future<Void> refuseUnlessRunning() {
      return running ? null : Future.failedFuture(new RetryableException(name + " is not running"));
    }
  }

  private final class FakeReceiver extends FakeComponent implements Receiver {
    final Map<Signal, Consumer> next;

    FakeReceiver(ComponentContext ctx, ComponentConfig config, Map<Signal, Consumer> next) {
      super("receiver", ctx.id().toString(), ctx, config);
      this.next = next;
    }

    Future<Void> push(Batch batch) {
      return next.get(batch.signal()).consume(batch);
    }
  }

  private final class FakeProcessor extends FakeComponent implements Processor {
    final Consumer next;

    FakeProcessor(ComponentContext ctx, ComponentConfig config, Consumer next) {
      super("processor", ctx.id() + "@" + ctx.pipeline(), ctx, config);
      this.next = next;
    }

    @Override
    public Future<Void> consume(Batch batch) {
      Future<Void> refused = refuseUnlessRunning();
      return refused != null ? refused : next.consume(tag(batch, shortName));
    }
  }

  private final class FakeExporter extends FakeComponent implements Exporter {
    final CapturingConsumer capture = new CapturingConsumer();

    FakeExporter(ComponentContext ctx, ComponentConfig config) {
      super("exporter", ctx.id().toString(), ctx, config);
    }

    @Override
    public Future<Void> consume(Batch batch) {
      Future<Void> refused = refuseUnlessRunning();
      return refused != null ? refused : capture.consume(batch);
    }
  }

  private final class FakeConnector extends FakeComponent implements Connector {
    final Signal from;
    final Signal to;
    final Consumer next;

    FakeConnector(ComponentContext ctx, ComponentConfig config, Signal from, Signal to, Consumer next) {
      super("connector", ctx.id().toString(), ctx, config);
      this.from = from;
      this.to = to;
      this.next = next;
    }

    @Override
    public Future<Void> consume(Batch batch) {
      Future<Void> refused = refuseUnlessRunning();
      if (refused != null) {
        return refused;
      }
      return next.consume(from == to ? batch : spanCounts(batch, ctx.id()));
    }

    @Override
    Future<Void> onShutdown() {
      return config.flushOnShutdown() ? next.consume(flushBatch(ctx.id())) : Future.succeededFuture();
    }
  }

  private final class FakeExtension extends FakeComponent implements Extension {
    FakeExtension(ComponentContext ctx, ComponentConfig config) {
      super("extension", ctx.id().toString(), ctx, config);
    }
  }

  private abstract static class FakeFactory implements io.sluice.core.ComponentFactory<FakeConfig> {
    private final String type;

    FakeFactory(String type) {
      this.type = type;
    }

    @Override
    public String type() {
      return type;
    }

    @Override
    public Class<FakeConfig> configClass() {
      return FakeConfig.class;
    }

    @Override
    public FakeConfig defaultConfig() {
      return FakeConfig.OK;
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.allOf(Signal.class);
    }
  }

  private static <T> T remember(Map<String, List<T>> built, ComponentContext ctx, T component) {
    synchronized (built) {
      built.computeIfAbsent(ctx.id().toString(), k -> new ArrayList<>()).add(component);
    }
    return component;
  }

  private final class FakeReceiverFactory extends FakeFactory implements ReceiverFactory<FakeConfig> {
    FakeReceiverFactory() {
      super("fakerecv");
    }

    @Override
    public Receiver create(ComponentContext ctx, FakeConfig config, Map<Signal, Consumer> next) {
      assertThat(ctx.kind()).isEqualTo(ComponentKind.RECEIVER);
      return remember(receiversBuilt, ctx, new FakeReceiver(ctx, config, next));
    }
  }

  private final class FakeProcessorFactory extends FakeFactory implements ProcessorFactory<FakeConfig> {
    FakeProcessorFactory() {
      super("tagger");
    }

    @Override
    public Processor create(ComponentContext ctx, FakeConfig config, Signal signal, Consumer next) {
      assertThat(ctx.kind()).isEqualTo(ComponentKind.PROCESSOR);
      return remember(processorsBuilt, ctx, new FakeProcessor(ctx, config, next));
    }
  }

  private final class FakeExporterFactory extends FakeFactory implements ExporterFactory<FakeConfig> {
    FakeExporterFactory() {
      super("capture");
    }

    @Override
    public Exporter create(ComponentContext ctx, FakeConfig config) {
      return remember(exportersBuilt, ctx, new FakeExporter(ctx, config));
    }
  }

  /** {@code spancount} turns traces into metrics; {@code forward} passes any signal on unchanged. */
  private final class FakeConnectorFactory extends FakeFactory implements ConnectorFactory<FakeConfig> {
    FakeConnectorFactory(String type) {
      super(type);
    }

    @Override
    public boolean supports(Signal from, Signal to) {
      return type().equals("spancount") ? from == Signal.TRACES && to == Signal.METRICS : from == to;
    }

    @Override
    public Connector create(ComponentContext ctx, FakeConfig config, Signal from, Signal to, Consumer next) {
      assertThat(supports(from, to)).as("asked for a pair the connector supports").isTrue();
      assertThat(ctx.kind()).isEqualTo(ComponentKind.CONNECTOR);
      return remember(connectorsBuilt, ctx, new FakeConnector(ctx, config, from, to, next));
    }
  }

  private final class FakeExtensionFactory extends FakeFactory implements ExtensionFactory<FakeConfig> {
    FakeExtensionFactory() {
      super("ext");
    }

    @Override
    public Extension create(ComponentContext ctx, FakeConfig config) {
      return new FakeExtension(ctx, config);
    }
  }
}
