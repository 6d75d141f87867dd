package io.sluice.receiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.logs.v1.LogsData;
import io.opentelemetry.proto.metrics.v1.MetricsData;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentKind;
import io.sluice.core.Consumer;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.Receiver;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.sluice.exporter.kafka.KafkaExporterFactory;
import io.sluice.testkit.kafka.KafkaBroker;
import io.sluice.translation.kafka.KafkaTestClients;
import io.sluice.translation.kafka.OtlpItems;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The kafka receiver against a real broker: what it hands on, and what it commits when. */
class KafkaReceiverIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static KafkaBroker broker;
  private TestVertx tv;
  private SelfMetrics metrics;
  private final List<Receiver> receivers = new ArrayList<>();
  private final List<Exporter> exporters = new ArrayList<>();

  @BeforeAll
  static void startBrokerAndWarmUp() throws Exception {
    broker = KafkaBroker.shared();
    // Once per JVM on a Vert.x without the strict blocked-thread check: the first use of the Kafka
    // client, protobuf and JSON classes is slow and would count against the first test.
    Vertx vertx = Vertx.vertx();
    try {
      for (String enc : List.of("otlp_proto", "otlp_json")) {
        String topic = KafkaTestClients.uniqueTopic("warmup");
        ComponentContext ctx = TestContexts.context(vertx, ComponentKind.EXPORTER, "kafka/warmup");
        Exporter e = new KafkaExporterFactory().create(ctx, ConfigLoader.bindComponent(new KafkaExporterFactory(),
            "brokers: [%s]\ntraces: {topic: %s, encoding: %s}".formatted(broker.bootstrap(), topic, enc)));
        e.start().await(60, TimeUnit.SECONDS);
        e.consume(TestData.traces(16, 0)).await(60, TimeUnit.SECONDS);
        e.shutdown().await(60, TimeUnit.SECONDS);
        CapturingConsumer sink = new CapturingConsumer();
        Receiver r = new KafkaReceiverFactory().create(TestContexts.context(vertx, ComponentKind.RECEIVER,
            "kafka/warmup"), receiverConfig(KafkaTestClients.uniqueTopic("group"), """
                traces: {topics: [%s], encoding: %s}
                header_extraction: {extract_headers: true, headers: [h]}
                """.formatted(topic, enc)), Map.of(Signal.TRACES, sink));
        r.start().await(60, TimeUnit.SECONDS);
        await().atMost(WAIT).until(() -> sink.itemCount(Signal.TRACES) >= 16);
        r.shutdown().await(60, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    metrics = new SelfMetrics();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Receiver r : receivers) {
      r.shutdown().await(60, TimeUnit.SECONDS);
    }
    for (Exporter e : exporters) {
      e.shutdown().await(60, TimeUnit.SECONDS);
    }
    tv.close();
  }

  private static KafkaReceiverConfig receiverConfig(String group, String yaml) throws Exception {
    return ConfigLoader.bindComponent(new KafkaReceiverFactory(), """
        brokers: [%s]
        group_id: %s
        initial_offset: earliest
        session_timeout: 6s
        heartbeat_interval: 1s
        autocommit: {interval: 200ms}
        """.formatted(broker.bootstrap(), group) + (yaml.contains("error_backoff") ? ""
        : "error_backoff: {initial_interval: 100ms, max_interval: 500ms}\n") + yaml);
  }

  private KafkaReceiver receiver(String id, String group, String yaml, Map<Signal, Consumer> next) throws Exception {
    KafkaReceiver r = (KafkaReceiver) new KafkaReceiverFactory().create(TestContexts.context(tv.vertx(),
        ComponentKind.RECEIVER, id, metrics), receiverConfig(group, yaml), next);
    receivers.add(r);
    r.start().await(60, TimeUnit.SECONDS);
    return r;
  }

  private Exporter exporter(String yaml) throws Exception {
    Exporter e = new KafkaExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
        "kafka/out"), ConfigLoader.bindComponent(new KafkaExporterFactory(), "brokers: [" + broker.bootstrap()
        + "]\n" + yaml));
    exporters.add(e);
    e.start().await(60, TimeUnit.SECONDS);
    return e;
  }

  private static long total(Map<Integer, Long> offsets) {
    return offsets.values().stream().mapToLong(Long::longValue).sum();
  }

  @ParameterizedTest
  @ValueSource(strings = {"otlp_proto", "otlp_json"})
  void everySpanPointAndRecordComesOutOfKafkaAsItWentIn(String encoding) throws Exception {
    String spans = KafkaTestClients.uniqueTopic("rt-spans");
    String points = KafkaTestClients.uniqueTopic("rt-metrics");
    String logs = KafkaTestClients.uniqueTopic("rt-logs");
    for (String t : List.of(spans, points, logs)) {
      KafkaTestClients.createTopic(broker.bootstrap(), t, 3);
    }
    String topics = """
        encoding: %s
        traces: {topic: %s}
        metrics: {topic: %s}
        logs: {topic: %s}
        """.formatted(encoding, spans, points, logs);
    Exporter out = exporter(topics + "partition_traces_by_id: true\npartition_metrics_by_resource_attributes: true\n");
    Map<Signal, List<Object>> in = Map.of(Signal.TRACES, new ArrayList<>(), Signal.METRICS, new ArrayList<>(),
        Signal.LOGS, new ArrayList<>());
    for (int i = 0; i < 5; i++) {
      for (Batch b : List.of(TestData.traces(48, i), TestData.metrics(4, i), TestData.logs(10, i))) {
        out.consume(b).await(60, TimeUnit.SECONDS);
        in.get(b.signal()).addAll(b.resources());
      }
    }
    CapturingConsumer sink = new CapturingConsumer();
    receiver("kafka/in", KafkaTestClients.uniqueTopic("rt"), topics, Map.of(Signal.TRACES, sink, Signal.METRICS,
        sink, Signal.LOGS, sink));

    for (Signal s : Signal.values()) {
      int want = OtlpItems.of(s, in.get(s)).size();
      await().atMost(WAIT).until(() -> sink.itemCount(s) >= want);
      assertThat(OtlpItems.ofBatches(s, sink.batches(s))).as("%s", s)
          .containsExactlyInAnyOrderElementsOf(OtlpItems.of(s, in.get(s)));
    }
    assertThat(sink.batches(Signal.TRACES).get(0).envelope().metadata()).containsKeys("kafka.topic",
        "kafka.partition");
    assertThat(SelfMetricsReader.counter(metrics, "sluice_receiver_accepted_items", "component_id", "kafka/in",
        "signal", "traces", "transport", "kafka")).isEqualTo(240);
  }

  @Test
  void jaegerProtoSpansGoThroughKafkaOneMessagePerSpanKeyedByTraceAndComeOutAsTheyWentIn() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("jaeger");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, 3);
    Exporter out = exporter("traces: {topic: " + topic + ", encoding: jaeger_proto}\n");
    List<Object> in = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      Batch b = TestData.traces(24, 50 + i);
      out.consume(b).await(60, TimeUnit.SECONDS);
      in.addAll(b.resources());
    }
    int spans = OtlpItems.of(Signal.TRACES, in).size();

    List<org.apache.kafka.clients.consumer.ConsumerRecord<byte[], byte[]>> records = KafkaTestClients.readAll(
        broker.bootstrap(), topic, spans, WAIT);
    assertThat(records).as("one message per span").hasSize(spans);
    Map<String, Set<Integer>> partitionsOfTrace = new ConcurrentHashMap<>();
    for (var r : records) {
      ResourceSpans one = (ResourceSpans) io.sluice.translation.kafka.KafkaPayloads.decode(Signal.TRACES,
          io.sluice.translation.kafka.KafkaEncoding.parse("jaeger_proto", Signal.TRACES, false), r.value(),
          io.sluice.core.Envelope.of(io.sluice.core.ComponentId.of("read")), 0).resources().get(0);
      String trace = java.util.HexFormat.of().formatHex(one.getScopeSpans(0).getSpans(0).getTraceId().toByteArray());
      assertThat(new String(r.key(), java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo(trace);
      partitionsOfTrace.computeIfAbsent(trace, t -> ConcurrentHashMap.newKeySet()).add(r.partition());
    }
    assertThat(partitionsOfTrace.values()).as("a trace's spans on one partition").allSatisfy(p -> assertThat(p)
        .hasSize(1));

    CapturingConsumer sink = new CapturingConsumer();
    receiver("kafka/jaeger", KafkaTestClients.uniqueTopic("jg"), "traces: {topics: [" + topic
        + "], encoding: jaeger_proto}\n", Map.of(Signal.TRACES, sink));
    await().atMost(WAIT).until(() -> sink.itemCount(Signal.TRACES) >= spans);
    assertThat(OtlpItems.ofBatches(Signal.TRACES, sink.batches())).containsExactlyInAnyOrderElementsOf(
        OtlpItems.of(Signal.TRACES, in));
  }

  @Test
  void offsetsAreCommittedOnlyOnceThePipelineAcknowledgedAndAPausedPartitionResumesWithNothingLost()
      throws Exception {
    String topic = KafkaTestClients.uniqueTopic("backpressure");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, 1);
    List<byte[]> first = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      first.add(TracesData.newBuilder().addResourceSpans(TestData.resourceSpans("a", 4, i)).build().toByteArray());
    }
    KafkaTestClients.produce(broker.bootstrap(), topic, first);
    String group = KafkaTestClients.uniqueTopic("bp");

    AtomicBoolean refuse = new AtomicBoolean(true);
    CapturingConsumer sink = new CapturingConsumer().answerWith(b -> refuse.get()
        ? Future.failedFuture(new RetryableException("the exporter's queue is full"))
        : Future.succeededFuture());
    KafkaReceiver r = receiver("kafka/bp", group, "traces: {topics: [" + topic + "]}\n",
        Map.of(Signal.TRACES, sink));

    // Refused and offered again (each offer recorded), the partition paused meanwhile.
    await().atMost(WAIT).until(() -> sink.batches().size() >= 3 && r.pausedPartitions() == 1);
    List<Object> offered = new ArrayList<>();
    sink.batches().forEach(b -> offered.addAll(OtlpItems.of(Signal.TRACES, b.resources())));
    // More messages while paused: they wait in Kafka.
    List<byte[]> second = new ArrayList<>();
    for (int i = 20; i < 30; i++) {
      second.add(TracesData.newBuilder().addResourceSpans(TestData.resourceSpans("a", 4, i)).build().toByteArray());
    }
    KafkaTestClients.produce(broker.bootstrap(), topic, second);
    // Several commit intervals pass: nothing is committed for what the pipeline did not take.
    long refusedBefore = sink.batches().size();
    await().atMost(WAIT).until(() -> sink.batches().size() >= refusedBefore + 3);
    assertThat(KafkaTestClients.committed(broker.bootstrap(), group, topic)).isEmpty();
    assertThat(SelfMetricsReader.counter(metrics, "sluice_receiver_accepted_items", "component_id", "kafka/bp"))
        .isZero();
    assertThat(SelfMetricsReader.gauge(metrics, "sluice_receiver_kafka_partition_paused", "component_id", "kafka/bp"))
        .isEqualTo(1);
    // The messages written while paused wait in Kafka: the consumer's lag says so (once first
    // looked up, every 2 s; until then the partition has no lag series).
    await().atMost(WAIT).ignoreExceptions().until(() -> SelfMetricsReader.gauge(metrics, "sluice_receiver_kafka_partition_lag",
        "component_id", "kafka/bp") >= 10);

    sink.clear();
    refuse.set(false);

    await().atMost(WAIT).until(() -> sink.itemCount(Signal.TRACES) >= 120);
    await().atMost(WAIT).until(() -> total(KafkaTestClients.committed(broker.bootstrap(), group, topic)) == 30);
    assertThat(r.pausedPartitions()).isZero();
    assertThat(SelfMetricsReader.gauge(metrics, "sluice_receiver_kafka_partition_paused", "component_id", "kafka/bp"))
        .isZero();
    await().atMost(WAIT).until(() -> SelfMetricsReader.gauge(metrics, "sluice_receiver_kafka_partition_lag",
        "component_id", "kafka/bp") == 0);
    List<Object> want = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      want.addAll(OtlpItems.of(Signal.TRACES, List.of(TestData.resourceSpans("a", 4, i))));
    }
    assertThat(OtlpItems.ofBatches(Signal.TRACES, sink.batches())).containsExactlyInAnyOrderElementsOf(want);
    assertThat(want).containsAll(offered);
  }

  /**
   * A pipeline that acknowledges late and out of order (as tail sampling does, trace by trace): the
   * receiver offers the next chunk without waiting, and commits only up to the first chunk not yet
   * acknowledged.
   */
  @Test
  void chunksInThePipelineAtOnceAreCommittedOnlyUpToTheFirstNotAcknowledged() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("prefix");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, 1);
    String group = KafkaTestClients.uniqueTopic("prefix");
    List<Promise<Void>> answers = new CopyOnWriteArrayList<>();
    CapturingConsumer sink = new CapturingConsumer().answerWith(b -> {
      Promise<Void> p = Promise.promise();
      answers.add(p);
      return p.future();
    });
    receiver("kafka/prefix", group, "traces: {topics: [" + topic + "]}\n", Map.of(Signal.TRACES, sink));

    List<byte[]> first = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      first.add(TracesData.newBuilder().addResourceSpans(TestData.resourceSpans("a", 2, i)).build().toByteArray());
    }
    KafkaTestClients.produce(broker.bootstrap(), topic, first);
    await().atMost(WAIT).until(() -> answers.size() == 1);
    List<byte[]> second = new ArrayList<>();
    for (int i = 5; i < 12; i++) {
      second.add(TracesData.newBuilder().addResourceSpans(TestData.resourceSpans("a", 2, i)).build().toByteArray());
    }
    KafkaTestClients.produce(broker.bootstrap(), topic, second);
    await("the second chunk offered while the first is not acknowledged").atMost(WAIT)
        .until(() -> sink.itemCount(Signal.TRACES) == 24);
    assertThat(answers).hasSizeGreaterThanOrEqualTo(2);
    Promise<Void> last = answers.get(answers.size() - 1);
    last.complete();
    // Many commit intervals: the acknowledged chunk after the open one is not committed.
    await().atMost(WAIT).until(() -> SelfMetricsReader.counter(metrics, "sluice_receiver_accepted_items",
        "component_id", "kafka/prefix") > 0);
    long settled = System.nanoTime();
    await().atMost(WAIT).until(() -> System.nanoTime() - settled > TimeUnit.SECONDS.toNanos(1));
    assertThat(KafkaTestClients.committed(broker.bootstrap(), group, topic)).isEmpty();

    answers.forEach(Promise::tryComplete);
    await().atMost(WAIT).until(() -> total(KafkaTestClients.committed(broker.bootstrap(), group, topic)) == 12);
  }

  @Test
  void twoMembersShareTheTopicAndWhenOneStopsTheOtherTakesOverWithNothingAcknowledgedLost() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("rebalance");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, 4);
    String group = KafkaTestClients.uniqueTopic("rb");
    String yaml = "traces: {topics: [" + topic + "]}\n";
    Set<String> seen = ConcurrentHashMap.newKeySet();
    Map<String, Set<String>> byMember = new ConcurrentHashMap<>();
    Consumer a = recorder("a", seen, byMember);
    Consumer b = recorder("b", seen, byMember);
    KafkaReceiver ra = receiver("kafka/a", group, yaml, Map.of(Signal.TRACES, a));
    KafkaReceiver rb = receiver("kafka/b", group, yaml, Map.of(Signal.TRACES, b));
    await().atMost(WAIT).until(() -> ra.assignedPartitions() == 2 && rb.assignedPartitions() == 2);

    Exporter out = exporter("traces: {topic: " + topic + "}\npartition_traces_by_id: true\n");
    Set<String> sent = new HashSet<>();
    for (int i = 0; i < 40; i++) {
      Batch batch = TestData.traces(16, 1000 + i);
      out.consume(batch).await(60, TimeUnit.SECONDS);
      batch.resourceSpans().forEach(rs -> spanIds(rs, sent));
      if (i == 20) {
        // One member leaves mid-run; its partitions move to the other.
        await().atMost(WAIT).until(() -> byMember.containsKey("b") && byMember.containsKey("a"));
        rb.shutdown().await(60, TimeUnit.SECONDS);
      }
    }

    await().atMost(WAIT).until(() -> seen.containsAll(sent));
    await().atMost(WAIT).until(() -> ra.assignedPartitions() == 4);
    Map<Integer, Long> end = KafkaTestClients.endOffsets(broker.bootstrap(), topic);
    await().atMost(WAIT).until(() -> KafkaTestClients.committed(broker.bootstrap(), group, topic).equals(end));
    assertThat(byMember.get("a")).isNotEmpty();
    assertThat(byMember.get("b")).isNotEmpty();
    assertThat(seen).isEqualTo(sent);
  }

  private static Consumer recorder(String member, Set<String> seen, Map<String, Set<String>> byMember) {
    return batch -> {
      Set<String> ids = new HashSet<>();
      batch.resourceSpans().forEach(rs -> spanIds(rs, ids));
      seen.addAll(ids);
      byMember.computeIfAbsent(member, m -> ConcurrentHashMap.newKeySet()).addAll(ids);
      return Future.succeededFuture();
    };
  }

  private static void spanIds(ResourceSpans rs, Set<String> out) {
    rs.getScopeSpansList().forEach(ss -> ss.getSpansList().forEach(s -> out.add(
        java.util.HexFormat.of().formatHex(s.getSpanId().toByteArray()))));
  }

  @Test
  void aMalformedMessageIsCountedAndSkippedWithoutStoppingItsPartition() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("malformed");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, 1);
    byte[] good1 = MetricsData.newBuilder().addResourceMetrics(TestData.resourceMetrics("a", 2, 1)).build()
        .toByteArray();
    byte[] good2 = MetricsData.newBuilder().addResourceMetrics(TestData.resourceMetrics("a", 2, 2)).build()
        .toByteArray();
    KafkaTestClients.produce(broker.bootstrap(), topic, List.of(good1, new byte[] {0x0a, 0x7f, 0x01, 0x02}, good2));
    String group = KafkaTestClients.uniqueTopic("mf");
    CapturingConsumer sink = new CapturingConsumer();

    receiver("kafka/mf", group, "metrics: {topics: [" + topic + "]}\n", Map.of(Signal.METRICS, sink));

    await().atMost(WAIT).until(() -> total(KafkaTestClients.committed(broker.bootstrap(), group, topic)) == 3);
    assertThat(sink.itemCount(Signal.METRICS)).isEqualTo(12);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_receiver_malformed_messages", "component_id", "kafka/mf"))
        .isEqualTo(1);
  }

  @Test
  void dataThePipelineRefusesAsBadIsSkippedAndRetryableRefusalsAreGivenUpOnlyWithOnError() throws Exception {
    String bad = KafkaTestClients.uniqueTopic("permanent");
    String busy = KafkaTestClients.uniqueTopic("on-error");
    KafkaTestClients.createTopic(broker.bootstrap(), bad, 1);
    KafkaTestClients.createTopic(broker.bootstrap(), busy, 1);
    byte[] logs = LogsData.newBuilder().addResourceLogs(TestData.resourceLogs("a", 3, 1)).build().toByteArray();
    KafkaTestClients.produce(broker.bootstrap(), bad, List.of(logs, logs));
    KafkaTestClients.produce(broker.bootstrap(), busy, List.of(logs, logs));
    String g1 = KafkaTestClients.uniqueTopic("perm");
    String g2 = KafkaTestClients.uniqueTopic("onerr");

    receiver("kafka/perm", g1, "logs: {topics: [" + bad + "]}\n", Map.of(Signal.LOGS,
        new CapturingConsumer().failWith(new PermanentException("bad data"))));
    receiver("kafka/onerr", g2, """
        logs: {topics: [%s]}
        message_marking: {after: true, on_error: true}
        error_backoff: {enabled: true, initial_interval: 50ms, max_interval: 100ms, max_elapsed_time: 300ms}
        """.formatted(busy), Map.of(Signal.LOGS, new CapturingConsumer().failWith(new RetryableException("busy"))));

    await().atMost(WAIT).until(() -> total(KafkaTestClients.committed(broker.bootstrap(), g1, bad)) == 2);
    await().atMost(WAIT).until(() -> total(KafkaTestClients.committed(broker.bootstrap(), g2, busy)) == 2);
  }

  @Test
  void namedHeadersBecomeResourceAttributes() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("headers");
    byte[] logs = LogsData.newBuilder().addResourceLogs(TestData.resourceLogs("a", 2, 1)).build().toByteArray();
    KafkaTestClients.produce(broker.bootstrap(), topic, List.of(logs), Map.of("tenant", "acme", "other", "x"));
    CapturingConsumer sink = new CapturingConsumer();

    receiver("kafka/h", KafkaTestClients.uniqueTopic("h"), """
        logs: {topics: [%s]}
        header_extraction: {extract_headers: true, headers: [tenant, missing]}
        """.formatted(topic), Map.of(Signal.LOGS, sink));

    await().atMost(WAIT).until(() -> sink.itemCount(Signal.LOGS) == 2);
    var resource = sink.batches().get(0).resourceLogs().get(0).getResource();
    assertThat(resource.getAttributesList()).extracting(kv -> kv.getKey() + "=" + kv.getValue().getStringValue())
        .containsExactly("service.name=a", "service.instance.id=a-1", "host.name=test-host", "kafka.header.tenant=acme");
  }
}
