package io.sluice.receiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.FakeComponents;
import io.sluice.core.config.Factories;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaReceiverConfigTest {

  @Test
  void defaultsAreTheCollectors() {
    KafkaReceiverConfig d = new KafkaReceiverFactory().defaultConfig();

    assertThat(d.validate()).isEmpty();
    assertThat(d.warnings()).isEmpty();
    assertThat(d.brokers()).containsExactly("localhost:9092");
    assertThat(d.groupId()).isEqualTo("otel-collector");
    assertThat(d.clientId()).isEqualTo("otel-collector");
    assertThat(d.initialOffset()).isEqualTo("latest");
    assertThat(d.topics(Signal.TRACES)).containsExactly("otlp_spans");
    assertThat(d.topics(Signal.METRICS)).containsExactly("otlp_metrics");
    assertThat(d.topics(Signal.LOGS)).containsExactly("otlp_logs");
    assertThat(d.encoding(Signal.LOGS).name()).isEqualTo("otlp_proto");
    assertThat(d.sessionTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(d.heartbeatInterval()).isEqualTo(Duration.ofSeconds(3));
    assertThat(d.autocommit().enable()).isTrue();
    assertThat(d.autocommit().interval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(d.strategies()).containsExactly("cooperative-sticky");
    assertThat(d.partitionFetchSize()).isEqualTo(1_048_576);
    assertThat(d.maxFetchSize()).isEqualTo(1_048_576);
  }

  @Test
  void bindsACollectorConfigAndTheConsumerTakesIt() throws Exception {
    KafkaReceiverConfig c = ConfigLoader.bindComponent(new KafkaReceiverFactory(), """
        brokers: kafka-1:9092,kafka-2:9092
        protocol_version: 3.6.0
        group_id: processing
        client_id: tier-2
        initial_offset: earliest
        session_timeout: 30s
        heartbeat_interval: 5s
        group_rebalance_strategy: range
        min_fetch_size: 1024
        max_fetch_size: 5242880
        max_fetch_wait: 100ms
        default_fetch_size: 2097152
        rack_id: eu-1a
        traces: {topic: spans}
        metrics: {topics: ["^metrics-.*"], exclude_topics: ["^metrics-test$"], encoding: otlp_json}
        logs: {topics: [raw-logs], encoding: text_utf-8}
        autocommit: {enable: false}
        message_marking: {after: true, on_error: true}
        header_extraction: {extract_headers: true, headers: [tenant]}
        error_backoff: {enabled: true, initial_interval: 1s, max_elapsed_time: 1m}
        """);

    assertThat(c.validate()).isEmpty();
    assertThat(c.warnings()).extracting(ConfigProblem::path).containsExactly("protocol_version");
    assertThat(c.brokers()).containsExactly("kafka-1:9092", "kafka-2:9092");
    assertThat(c.topics(Signal.TRACES)).containsExactly("spans");
    assertThat(c.encoding(Signal.LOGS).name()).isEqualTo("text_utf-8");
    assertThat(c.messageMarking().giveUpOnError()).isTrue();
    assertThat(c.headerExtraction().enabled()).isTrue();

    try (TestVertx tv = TestVertx.create()) {
      KafkaReceiver r = new KafkaReceiver(TestContexts.context(tv.vertx(), ComponentKind.RECEIVER, "kafka"), c,
          Map.of());
      assertThat(r.consumerProperties())
          .containsEntry(ConsumerConfig.GROUP_ID_CONFIG, "processing")
          .containsEntry(ConsumerConfig.CLIENT_ID_CONFIG, "tier-2")
          .containsEntry(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false)
          .containsEntry(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest")
          .containsEntry(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000)
          .containsEntry(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 5000)
          .containsEntry(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, 1024)
          .containsEntry(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 5_242_880)
          .containsEntry(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 2_097_152)
          .containsEntry(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 100)
          .containsEntry(ConsumerConfig.CLIENT_RACK_CONFIG, "eu-1a")
          .containsEntry(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG,
              "org.apache.kafka.clients.consumer.RangeAssignor");
    }
  }

  @Test
  void topicsByPatternKeepToTheirSignalLessTheExcludedOnes() throws Exception {
    KafkaReceiverConfig c = ConfigLoader.bindComponent(new KafkaReceiverFactory(), """
        traces: {topics: [spans]}
        metrics: {topics: ["^metrics-.*"], exclude_topics: ["^metrics-(test|dev)$"]}
        logs: {topics: ["^logs-.*", audit]}
        """);
    TopicSignals all = new TopicSignals(c, Set.of(Signal.values()));
    TopicSignals tracesOnly = new TopicSignals(c, Set.of(Signal.TRACES));

    assertThat(all.byPattern()).isTrue();
    assertThat(all.signalOf("spans")).isEqualTo(Signal.TRACES);
    assertThat(all.signalOf("metrics-prod")).isEqualTo(Signal.METRICS);
    assertThat(all.signalOf("metrics-test")).isNull();
    assertThat(all.signalOf("logs-app")).isEqualTo(Signal.LOGS);
    assertThat(all.signalOf("audit")).isEqualTo(Signal.LOGS);
    assertThat(all.signalOf("other")).isNull();
    assertThat(all.pattern().matcher("metrics-prod").matches()).isTrue();
    assertThat(all.pattern().matcher("metrics-dev").matches()).isFalse();
    assertThat(all.pattern().matcher("spans").matches()).isTrue();
    assertThat(all.pattern().matcher("spansx").matches()).isFalse();
    assertThat(tracesOnly.byPattern()).isFalse();
    assertThat(tracesOnly.names()).containsExactly("spans");
  }

  @Test
  void reportsEveryProblemWithItsPathAndWhatWouldBeValid() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(
        new KafkaReceiverFactory(), """
            brokers: [kafka]
            initial_offset: oldest
            heartbeat_interval: 10s
            session_timeout: 10s
            group_rebalance_strategy: fastest
            max_fetch_size: 10
            min_fetch_size: 100
            traces: {topics: [shared], encoding: raw}
            metrics: {topic: shared, exclude_topics: [x]}
            logs: {topics: ["^logs-(["], encoding: jaeger_proto}
            auth: {sasl: {mechanism: SCRAM-SHA-256, username: alice}, kerberos: {realm: X}}
            """));

    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "receivers.kafka.brokers[0]", "receivers.kafka.initial_offset", "receivers.kafka.heartbeat_interval",
        "receivers.kafka.group_rebalance_strategy", "receivers.kafka.max_fetch_size",
        "receivers.kafka.traces.encoding", "receivers.kafka.metrics.topic", "receivers.kafka.metrics.exclude_topics",
        "receivers.kafka.logs.topics[0]", "receivers.kafka.logs.encoding", "receivers.kafka.auth.sasl.password",
        "receivers.kafka.auth.kerberos");
    assertThat(message(e, "receivers.kafka.metrics.topic")).isEqualTo("topic \"shared\" is also read for traces;"
        + " a topic carries one signal, so give each signal its own topic");
    assertThat(message(e, "receivers.kafka.initial_offset")).isEqualTo("\"oldest\" is not valid; use latest or"
        + " earliest");
    assertThat(message(e, "receivers.kafka.heartbeat_interval")).isEqualTo("must be less than session_timeout"
        + " (10s), typically a third of it");
  }

  @Test
  void keysThatChangeNothingAreListed() throws Exception {
    KafkaReceiverConfig c = ConfigLoader.bindComponent(new KafkaReceiverFactory(), """
        use_leader_epoch: false
        message_marking: {after: false, on_permanent_error: false}
        profiles: {topics: [p]}
        """);
    assertThat(c.validate()).isEmpty();
    assertThat(c.warnings()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("use_leader_epoch",
        "message_marking.after", "message_marking.on_permanent_error", "profiles");
  }

  @Test
  void anErrorInAConfigFileNamesTheFileLineAndKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("process.yaml");
    Files.writeString(file, """
        receivers:
          kafka:
            brokers: [kafka:9092]
            group_id: processing
            message_marking:
              after: true
              on_eror: true
        exporters:
          debug:
        service:
          pipelines:
            traces:
              receivers: [kafka]
              exporters: [debug]
        """);
    ConfigLoader loader = new ConfigLoader(Factories.of(new KafkaReceiverFactory(),
        new FakeComponents.DebugExporterFactory()), Map.of());

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.load(List.of(file)));

    assertThat(e.errors()).hasSize(1);
    assertThat(e.errors().get(0).toString()).startsWith(file + ":7:7: receivers.kafka.message_marking.on_eror:"
        + " unknown key; did you mean \"on_error\"?");
  }

  @Test
  void shutdownWorksWithoutStartAndTwiceAndTheReceiverStartsAgain() throws Exception {
    try (TestVertx tv = TestVertx.create()) {
      Receiver r = new KafkaReceiverFactory().create(TestContexts.context(tv.vertx(), ComponentKind.RECEIVER,
          "kafka"), ConfigLoader.bindComponent(new KafkaReceiverFactory(), "brokers: [127.0.0.1:1]"),
          Map.of(Signal.TRACES, new CapturingConsumer()));
      r.shutdown().await(30, TimeUnit.SECONDS);
      r.shutdown().await(30, TimeUnit.SECONDS);
      r.start().await(30, TimeUnit.SECONDS);
      r.shutdown().await(30, TimeUnit.SECONDS);
      r.start().await(30, TimeUnit.SECONDS);
      r.shutdown().await(30, TimeUnit.SECONDS);
      r.shutdown().await(30, TimeUnit.SECONDS);
    }
  }

  private static String message(ConfigException e, String path) {
    return e.errors().stream().filter(err -> err.path().equals(path)).findFirst().orElseThrow().message();
  }
}
