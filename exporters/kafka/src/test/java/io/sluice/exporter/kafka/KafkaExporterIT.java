package io.sluice.exporter.kafka;

import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.logs.v1.LogsData;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.MetricsData;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.sluice.testkit.kafka.KafkaBroker;
import io.sluice.translation.kafka.KafkaEncoding;
import io.sluice.translation.kafka.KafkaPayloads;
import io.sluice.translation.kafka.KafkaTestClients;
import io.sluice.translation.kafka.OtlpItems;
import io.vertx.core.Vertx;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The kafka exporter against a real broker, read back with a plain Kafka consumer and the published OTLP classes. */
class KafkaExporterIT {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static KafkaBroker broker;
  private TestVertx tv;
  private final List<Exporter> exporters = new ArrayList<>();

  @BeforeAll
  static void startBrokerAndWarmUp() throws Exception {
    broker = KafkaBroker.shared();
    // Once per JVM on a Vert.x without the strict blocked-thread check: loading the Kafka client,
    // protobuf and JSON classes for the first time is slow and would count against the first test.
    Vertx vertx = Vertx.vertx();
    try {
      String topic = KafkaTestClients.uniqueTopic("warmup");
      for (String enc : List.of("otlp_proto", "otlp_json")) {
        for (boolean keyed : List.of(false, true)) {
          Exporter e = new KafkaExporterFactory().create(TestContexts.context(vertx, ComponentKind.EXPORTER,
              "kafka/warmup"), config("""
                  encoding: %s
                  traces: {topic: %s}
                  metrics: {topic: %s}
                  logs: {topic: %s}
                  partition_traces_by_id: %s
                  partition_metrics_by_resource_attributes: %s
                  producer: {max_message_bytes: 4096}
                  """.formatted(enc, topic, topic, topic, keyed, keyed)));
          e.start().await(60, TimeUnit.SECONDS);
          e.consume(TestData.traces(64, 0)).await(60, TimeUnit.SECONDS);
          e.consume(TestData.metrics(20, 0)).await(60, TimeUnit.SECONDS);
          e.consume(TestData.logs(40, 0)).await(60, TimeUnit.SECONDS);
          e.shutdown().await(60, TimeUnit.SECONDS);
        }
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Exporter e : exporters) {
      e.shutdown().await(30, TimeUnit.SECONDS);
    }
    tv.close();
  }

  private static KafkaExporterConfig config(String yaml) throws Exception {
    return ConfigLoader.bindComponent(new KafkaExporterFactory(), "brokers: [" + broker.bootstrap() + "]\n"
        + "retry_on_failure: {initial_interval: 200ms, max_interval: 1s}\n" + yaml);
  }

  private Exporter start(String yaml) throws Exception {
    Exporter e = new KafkaExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
        "kafka/test"), config(yaml));
    exporters.add(e);
    e.start().await(60, TimeUnit.SECONDS);
    return e;
  }

  private static void deliver(Exporter e, Batch b) throws Exception {
    e.consume(b).await(60, TimeUnit.SECONDS);
  }

  @Test
  void everySignalGoesOutAsTheOtlpDataMessageAsItCameIn() throws Exception {
    String spans = KafkaTestClients.uniqueTopic("spans");
    String metrics = KafkaTestClients.uniqueTopic("metrics");
    String logs = KafkaTestClients.uniqueTopic("logs");
    Exporter e = start("""
        traces: {topic: %s}
        metrics: {topic: %s}
        logs: {topic: %s}
        """.formatted(spans, metrics, logs));
    Batch traces = TestData.traces(40, 1);
    Batch points = TestData.metrics(5, 2);
    Batch records = TestData.logs(12, 3);

    deliver(e, traces);
    deliver(e, points);
    deliver(e, records);
    // The same batch given again is written again.
    deliver(e, traces);

    // Acknowledged means written: every message is there as soon as consume() completed.
    List<ResourceSpans> outSpans = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readAll(broker.bootstrap(), spans, 2, WAIT)) {
      assertThat(r.key()).isNull();
      outSpans.addAll(TracesData.parseFrom(r.value()).getResourceSpansList());
    }
    List<ResourceMetrics> outMetrics = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readAll(broker.bootstrap(), metrics, 1, WAIT)) {
      outMetrics.addAll(MetricsData.parseFrom(r.value()).getResourceMetricsList());
    }
    List<ResourceLogs> outLogs = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readAll(broker.bootstrap(), logs, 1, WAIT)) {
      outLogs.addAll(LogsData.parseFrom(r.value()).getResourceLogsList());
    }
    List<ResourceSpans> twice = new ArrayList<>(traces.resourceSpans());
    twice.addAll(traces.resourceSpans());
    assertThat(outSpans).isEqualTo(twice);
    assertThat(outMetrics).isEqualTo(points.resourceMetrics());
    assertThat(outLogs).isEqualTo(records.resourceLogs());
  }

  @Test
  void otlpJsonCarriesEverySignalFieldForField() throws Exception {
    String spans = KafkaTestClients.uniqueTopic("json-spans");
    String metrics = KafkaTestClients.uniqueTopic("json-metrics");
    String logs = KafkaTestClients.uniqueTopic("json-logs");
    Exporter e = start("""
        encoding: otlp_json
        traces: {topic: %s}
        metrics: {topic: %s}
        logs: {topic: %s}
        """.formatted(spans, metrics, logs));
    Map<Signal, Batch> in = Map.of(Signal.TRACES, TestData.traces(30, 4), Signal.METRICS, TestData.metrics(3, 5),
        Signal.LOGS, TestData.logs(7, 6));
    for (Batch b : in.values()) {
      deliver(e, b);
    }

    Map<Signal, String> topics = Map.of(Signal.TRACES, spans, Signal.METRICS, metrics, Signal.LOGS, logs);
    for (Signal s : Signal.values()) {
      List<Object> out = new ArrayList<>();
      for (ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readAll(broker.bootstrap(), topics.get(s), 1, WAIT)) {
        assertThat(new String(r.value(), StandardCharsets.UTF_8)).startsWith("{\"resource");
        out.addAll(KafkaPayloads.decode(s, KafkaEncoding.parse("otlp_json", s, false), r.value(),
            Envelope.of(ComponentId.of("t")), 0).resources());
      }
      assertThat(OtlpItems.of(s, out)).as("%s", s).containsExactlyInAnyOrderElementsOf(
          OtlpItems.of(s, in.get(s).resources()));
    }
  }

  @Test
  void aTracesSpansShareOneMessageKeyAndPartition() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("by-trace");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, 6);
    Exporter e = start("""
        traces: {topic: %s}
        partition_traces_by_id: true
        """.formatted(topic));
    List<Batch> batches = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      // Spans of a trace arrive in different batches and from different services.
      batches.add(Batch.traces(List.of(TestData.resourceSpans("front", 24, 100 + i),
          TestData.resourceSpans("back", 16, 100 + i)), Envelope.of(ComponentId.of("t"))));
    }
    Set<String> traceIds = new HashSet<>();
    for (Batch b : batches) {
      for (ResourceSpans rs : b.resourceSpans()) {
        rs.getScopeSpans(0).getSpansList().forEach(s -> traceIds.add(HexFormat.of().formatHex(
            s.getTraceId().toByteArray())));
      }
      deliver(e, b);
    }

    List<ConsumerRecord<byte[], byte[]>> records = KafkaTestClients.readAll(broker.bootstrap(), topic, 1, WAIT);
    Map<String, Set<Integer>> partitionsOfTrace = new HashMap<>();
    List<Object> out = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      String key = new String(r.key(), StandardCharsets.US_ASCII);
      assertThat(key).matches("[0-9a-f]{32}");
      for (ResourceSpans rs : TracesData.parseFrom(r.value()).getResourceSpansList()) {
        for (var ss : rs.getScopeSpansList()) {
          for (Span s : ss.getSpansList()) {
            assertThat(HexFormat.of().formatHex(s.getTraceId().toByteArray())).as("trace of a span under key %s",
                key).isEqualTo(key);
          }
        }
        out.add(rs);
      }
      partitionsOfTrace.computeIfAbsent(key, k -> new HashSet<>()).add(r.partition());
    }
    assertThat(partitionsOfTrace.keySet()).isEqualTo(traceIds);
    assertThat(partitionsOfTrace.values()).allSatisfy(p -> assertThat(p).hasSize(1));
    Set<Integer> used = new HashSet<>();
    partitionsOfTrace.values().forEach(used::addAll);
    assertThat(used).as("partitions used by %s traces", partitionsOfTrace.size()).hasSizeGreaterThan(3);
    List<Object> in = new ArrayList<>();
    batches.forEach(b -> in.addAll(b.resources()));
    assertThat(OtlpItems.of(Signal.TRACES, out)).containsExactlyInAnyOrderElementsOf(OtlpItems.of(Signal.TRACES, in));
  }

  @Test
  void metricsAndLogsKeyedByResourceGoOneMessagePerDistinctResource() throws Exception {
    String metrics = KafkaTestClients.uniqueTopic("by-resource-metrics");
    String logs = KafkaTestClients.uniqueTopic("by-resource-logs");
    KafkaTestClients.createTopic(broker.bootstrap(), metrics, 4);
    KafkaTestClients.createTopic(broker.bootstrap(), logs, 4);
    Exporter e = start("""
        metrics: {topic: %s}
        logs: {topic: %s}
        partition_metrics_by_resource_attributes: true
        partition_logs_by_resource_attributes: true
        """.formatted(metrics, logs));
    List<ResourceMetrics> rms = new ArrayList<>();
    List<ResourceLogs> rls = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      rms.add(TestData.resourceMetrics("svc-" + (i % 4), 2, i));
      rls.add(TestData.resourceLogs("svc-" + (i % 4), 3, i));
    }
    deliver(e, Batch.metrics(rms, Envelope.of(ComponentId.of("t"))));
    deliver(e, Batch.logs(rls, Envelope.of(ComponentId.of("t"))));

    Map<String, Set<Integer>> partitionsOfKey = new HashMap<>();
    Map<String, Set<String>> servicesOfKey = new HashMap<>();
    // Four distinct resources, each twice: one message per resource, holding both of its batches' parts.
    List<ConsumerRecord<byte[], byte[]>> mrecs = KafkaTestClients.readAll(broker.bootstrap(), metrics, 4, WAIT);
    assertThat(mrecs).hasSize(4);
    List<ResourceMetrics> outMetrics = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : mrecs) {
      List<ResourceMetrics> same = MetricsData.parseFrom(r.value()).getResourceMetricsList();
      assertThat(same).hasSize(2);
      outMetrics.addAll(same);
      String key = new String(r.key(), StandardCharsets.US_ASCII);
      partitionsOfKey.computeIfAbsent(key, k -> new HashSet<>()).add(r.partition());
      same.forEach(rm -> servicesOfKey.computeIfAbsent(key, k -> new HashSet<>()).add(rm.getResource()
          .getAttributes(0).getValue().getStringValue()));
    }
    assertThat(outMetrics).containsExactlyInAnyOrderElementsOf(rms);
    assertThat(partitionsOfKey).hasSize(4);
    assertThat(partitionsOfKey.values()).allSatisfy(p -> assertThat(p).hasSize(1));
    assertThat(servicesOfKey.values()).allSatisfy(s -> assertThat(s).hasSize(1));

    List<ResourceLogs> outLogs = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readAll(broker.bootstrap(), logs, 4, WAIT)) {
      assertThat(r.key()).hasSize(32);
      outLogs.addAll(LogsData.parseFrom(r.value()).getResourceLogsList());
    }
    assertThat(outLogs).containsExactlyInAnyOrderElementsOf(rls);
  }

  @Test
  void aBatchLargerThanMaxMessageBytesIsSplitNotRefused() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("split");
    String keyed = KafkaTestClients.uniqueTopic("split-keyed");
    Exporter e = start("""
        traces: {topic: %s}
        producer: {max_message_bytes: 30000}
        """.formatted(topic));
    List<ResourceSpans> big = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      big.add(TestData.resourceSpans("svc-" + i, 200, i));
    }
    Batch batch = Batch.traces(big, Envelope.of(ComponentId.of("t")));
    assertThat(batch.sizeBytes()).isGreaterThan(4 * 30_000);
    deliver(e, batch);

    List<ResourceSpans> out = new ArrayList<>();
    List<ConsumerRecord<byte[], byte[]>> records = KafkaTestClients.readAll(broker.bootstrap(), topic, 5, WAIT);
    for (ConsumerRecord<byte[], byte[]> r : records) {
      assertThat(r.value().length).isLessThanOrEqualTo(30_000);
      out.addAll(TracesData.parseFrom(r.value()).getResourceSpansList());
    }
    assertThat(records).hasSizeGreaterThan(4);
    assertThat(OtlpItems.of(Signal.TRACES, out)).containsExactlyInAnyOrderElementsOf(OtlpItems.of(Signal.TRACES, big));

    // One trace larger than a message: its pieces keep its key, so they stay on its partition.
    KafkaTestClients.createTopic(broker.bootstrap(), keyed, 3);
    Exporter k = start("""
        traces: {topic: %s}
        partition_traces_by_id: true
        producer: {max_message_bytes: 8000}
        """.formatted(keyed));
    ResourceSpans oneTrace = sameTrace(TestData.resourceSpans("svc", 120, 9));
    deliver(k, Batch.traces(List.of(oneTrace), Envelope.of(ComponentId.of("t"))));
    List<ConsumerRecord<byte[], byte[]>> pieces = KafkaTestClients.readAll(broker.bootstrap(), keyed, 3, WAIT);
    assertThat(pieces).hasSizeGreaterThan(2);
    assertThat(pieces).extracting(ConsumerRecord::partition).containsOnly(pieces.get(0).partition());
    assertThat(pieces).extracting(r -> new String(r.key(), StandardCharsets.US_ASCII)).containsOnly(
        HexFormat.of().formatHex(oneTrace.getScopeSpans(0).getSpans(0).getTraceId().toByteArray()));
    List<ResourceSpans> pieceSpans = new ArrayList<>();
    for (ConsumerRecord<byte[], byte[]> r : pieces) {
      assertThat(r.value().length).isLessThanOrEqualTo(8000);
      pieceSpans.addAll(TracesData.parseFrom(r.value()).getResourceSpansList());
    }
    assertThat(OtlpItems.of(Signal.TRACES, pieceSpans)).containsExactlyInAnyOrderElementsOf(
        OtlpItems.of(Signal.TRACES, List.of(oneTrace)));
  }

  /** The spans all moved into the first span's trace. */
  private static ResourceSpans sameTrace(ResourceSpans rs) {
    var traceId = rs.getScopeSpans(0).getSpans(0).getTraceId();
    ResourceSpans.Builder b = rs.toBuilder();
    for (var ss : b.getScopeSpansBuilderList()) {
      for (Span.Builder s : ss.getSpansBuilderList()) {
        s.setTraceId(traceId);
      }
    }
    return b.build();
  }

  @Test
  void rawLogsAreOneMessagePerRecordBodyWithHeadersAndTopicsFromTheData() throws Exception {
    String fallback = KafkaTestClients.uniqueTopic("raw");
    String tenantTopic = KafkaTestClients.uniqueTopic("raw-tenant");
    Exporter e = start("""
        logs: {topic: %s, encoding: raw}
        topic_from_attribute: kafka.topic
        record_headers: {origin: sluice}
        include_metadata_keys: [tenant]
        """.formatted(fallback));
    ResourceLogs routed = TestData.resourceLogs("a", 3, 1).toBuilder()
        .setResource(TestData.resource("a").toBuilder().addAttributes(attr("kafka.topic", tenantTopic))).build();
    ResourceLogs plain = TestData.resourceLogs("b", 2, 2);
    deliver(e, Batch.logs(List.of(routed, plain), new Envelope(ComponentId.of("t"), System.nanoTime(), "",
        Map.of("tenant", "acme"))));

    List<ConsumerRecord<byte[], byte[]>> a = KafkaTestClients.readAll(broker.bootstrap(), tenantTopic, 3, WAIT);
    List<ConsumerRecord<byte[], byte[]>> b = KafkaTestClients.readAll(broker.bootstrap(), fallback, 2, WAIT);
    assertThat(a).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactlyElementsOf(
        routed.getScopeLogs(0).getLogRecordsList().stream().map(r -> r.getBody().getStringValue()).toList());
    assertThat(b).extracting(r -> new String(r.value(), StandardCharsets.UTF_8)).containsExactlyElementsOf(
        plain.getScopeLogs(0).getLogRecordsList().stream().map(r -> r.getBody().getStringValue()).toList());
    for (ConsumerRecord<byte[], byte[]> r : a) {
      Map<String, String> headers = new HashMap<>();
      for (Header h : r.headers()) {
        headers.put(h.key(), new String(h.value(), StandardCharsets.UTF_8));
      }
      assertThat(headers).containsExactlyInAnyOrderEntriesOf(Map.of("origin", "sluice", "tenant", "acme"));
    }
  }

  @org.junit.jupiter.params.ParameterizedTest
  @org.junit.jupiter.params.provider.ValueSource(strings = {"gzip", "snappy", "lz4", "zstd"})
  void everyCompressionWritesWhatAPlainConsumerReadsBack(String compression) throws Exception {
    String topic = KafkaTestClients.uniqueTopic("compressed-" + compression);
    Exporter e = start("""
        metrics: {topic: %s}
        producer: {compression: %s}
        """.formatted(topic, compression));
    Batch points = TestData.metrics(20, 9);
    deliver(e, points);

    List<ConsumerRecord<byte[], byte[]>> records = KafkaTestClients.readAll(broker.bootstrap(), topic, 1, WAIT);
    assertThat(records).hasSize(1);
    assertThat(MetricsData.parseFrom(records.get(0).value()).getResourceMetricsList())
        .isEqualTo(points.resourceMetrics());
  }

  @Test
  void aBrokerThatCannotBeReachedFailsTheBatchRetryably() throws Exception {
    KafkaExporterConfig c = ConfigLoader.bindComponent(new KafkaExporterFactory(), """
        brokers: [127.0.0.1:%d]
        timeout: 1s
        retry_on_failure: {enabled: false}
        """.formatted(io.sluice.core.testkit.Ports.freePort()));
    Exporter e = new KafkaExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
        "kafka/down"), c);
    exporters.add(e);
    e.start().await(60, TimeUnit.SECONDS);

    Throwable failure = e.consume(TestData.traces(4, 1)).transform(ar -> io.vertx.core.Future.succeededFuture(
        ar.cause())).await(60, TimeUnit.SECONDS);

    assertThat(failure).isInstanceOf(RetryableException.class)
        .hasMessageContaining("Exporter 'kafka/down' could not write to Kafka topic 'otlp_spans'");
  }

  @Test
  void aRecordTheBrokerRefusesAsTooLargeIsAPermanentFailure() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("too-large");
    Exporter e = start("""
        logs: {topic: %s, encoding: raw}
        producer: {max_message_bytes: 4096}
        """.formatted(topic));
    ResourceLogs huge = TestData.resourceLogs("a", 1, 1).toBuilder().setScopeLogs(0, TestData.resourceLogs("a", 1, 1)
        .getScopeLogs(0).toBuilder().setLogRecords(0, TestData.resourceLogs("a", 1, 1).getScopeLogs(0)
            .getLogRecords(0).toBuilder().setBody(io.opentelemetry.proto.common.v1.AnyValue.newBuilder()
                .setStringValue("x".repeat(10_000))))).build();

    Throwable failure = e.consume(Batch.logs(List.of(huge), Envelope.of(ComponentId.of("t"))))
        .transform(ar -> io.vertx.core.Future.succeededFuture(ar.cause())).await(60, TimeUnit.SECONDS);

    assertThat(failure).isInstanceOf(PermanentException.class).hasMessageContaining("RecordTooLargeException");
  }
}
