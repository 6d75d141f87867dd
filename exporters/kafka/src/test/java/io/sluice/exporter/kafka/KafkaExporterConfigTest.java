package io.sluice.exporter.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Exporter;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.translation.kafka.KafkaAuth;
import io.sluice.translation.kafka.KafkaEncoding;
import io.sluice.translation.kafka.KafkaPartitioner;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KafkaExporterConfigTest {

  @Test
  void defaultsAreTheCollectorsExceptAcksAllAndWaitingForKafkasAcknowledgement() {
    KafkaExporterConfig d = new KafkaExporterFactory().defaultConfig();

    assertThat(d.validate()).isEmpty();
    assertThat(d.brokers()).containsExactly("localhost:9092");
    assertThat(d.clientId()).isEqualTo("otel-collector");
    assertThat(d.topic(Signal.TRACES)).isEqualTo("otlp_spans");
    assertThat(d.topic(Signal.METRICS)).isEqualTo("otlp_metrics");
    assertThat(d.topic(Signal.LOGS)).isEqualTo("otlp_logs");
    assertThat(d.encoding(Signal.TRACES).name()).isEqualTo("otlp_proto");
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.producer().maxMessageBytes()).isEqualTo(1_000_000);
    assertThat(d.producer().requiredAcks()).isEqualTo(-1);
    assertThat(d.producer().compression()).isEqualTo("none");
    assertThat(d.producer().linger()).isEqualTo(Duration.ofMillis(10));
    assertThat(d.partitioner()).isEqualTo(KafkaPartitioner.SARAMA_COMPAT);
    assertThat(d.sendingQueue().waitForResult()).isTrue();
    assertThat(d.sendingQueue().numConsumers()).isEqualTo(10);
    assertThat(d.tls()).isNull();
    assertThat(d.warnings()).isEmpty();
  }

  @Test
  void bindsACollectorConfig() throws Exception {
    KafkaExporterConfig c = ConfigLoader.bindComponent(new KafkaExporterFactory(), """
        brokers: [kafka-1:9092, kafka-2:9092]
        client_id: edge
        protocol_version: 2.1.0
        topic: everything
        traces: {topic: spans, encoding: otlp_json}
        logs: {encoding: raw}
        topic_from_attribute: kafka.topic
        include_metadata_keys: [tenant]
        record_headers: {origin: edge}
        partition_traces_by_id: true
        partition_metrics_by_resource_attributes: true
        record_partitioner: {sticky_key: {hasher: murmur2}}
        timeout: 10s
        auth:
          sasl: {mechanism: SCRAM-SHA-512, username: alice, password: secret}
        producer:
          max_message_bytes: 2000000
          required_acks: 1
          compression: zstd
          compression_params: {level: 3}
          linger: 5ms
          flush_max_messages: 500
        sending_queue: {num_consumers: 4, wait_for_result: false}
        """);

    assertThat(c.validate()).isEmpty();
    assertThat(c.brokers()).containsExactly("kafka-1:9092", "kafka-2:9092");
    assertThat(c.topic(Signal.TRACES)).isEqualTo("spans");
    assertThat(c.topic(Signal.METRICS)).isEqualTo("everything");
    assertThat(c.encoding(Signal.TRACES).name()).isEqualTo("otlp_json");
    assertThat(c.encoding(Signal.LOGS).name()).isEqualTo("raw");
    assertThat(c.partitioner()).isEqualTo(KafkaPartitioner.MURMUR2);
    assertThat(c.producer().compressionParams().level()).isEqualTo(3);
    assertThat(c.sendingQueue()).isEqualTo(new QueueSettings(true, 4, 1000, "requests", false, false, null));
    assertThat(c.auth().credentials()).isEqualTo(new KafkaAuth.Credentials("SCRAM-SHA-512", "alice", "secret"));
    assertThat(c.warnings()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("protocol_version",
        "producer.flush_max_messages");
  }

  @Test
  void aPersistentQueueTakesThePlaceOfWaitingForKafka() throws Exception {
    KafkaExporterConfig c = ConfigLoader.bindComponent(new KafkaExporterFactory(), """
        sending_queue:
          storage: file_storage
        """);
    assertThat(c.validate()).isEmpty();
    assertThat(c.sendingQueue().waitForResult()).isFalse();
    assertThat(c.sendingQueue().storage()).isEqualTo("file_storage");
    assertThat(new KafkaExporterFactory().defaultConfig().sendingQueue().waitForResult()).isTrue();
  }

  @Test
  void aTlsBlockEvenEmptyMeansTlsAndNoBlockMeansPlaintext() throws Exception {
    KafkaExporterFactory f = new KafkaExporterFactory();
    assertThat(ConfigLoader.bindComponent(f, "client_id: x").tls()).isNull();
    assertThat(ConfigLoader.bindComponent(f, "tls:").tls()).isEqualTo(TlsClientSettings.defaults());
    assertThat(ConfigLoader.bindComponent(f, "tls: {}").tls()).isEqualTo(TlsClientSettings.defaults());
    assertThat(ConfigLoader.bindComponent(f, "tls: {insecure_skip_verify: true}").tls().insecureSkipVerify())
        .isTrue();
    assertThat(ConfigLoader.bindComponent(f, "tls: {insecure: true}").tls().insecure()).isTrue();
    assertThat(ConfigLoader.bindComponent(f, "auth: {tls: }").client().effectiveTls())
        .isEqualTo(TlsClientSettings.defaults());
  }

  @Test
  void theProducerIsIdempotentWithAcksAllAndBoundedByTheTimeout() throws Exception {
    try (TestVertx tv = TestVertx.create()) {
      KafkaExporterConfig c = ConfigLoader.bindComponent(new KafkaExporterFactory(), """
          brokers: [k:9092]
          timeout: 3s
          auth: {plain_text: {username: bob, password: "p\\"w"}}
          producer: {compression: gzip, compression_params: {level: 9}, linger: 20ms}
          """);
      KafkaExporter e = new KafkaExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "kafka"), c);
      Map<String, Object> p = e.producerProperties();

      assertThat(p).containsEntry(ProducerConfig.ACKS_CONFIG, "all")
          .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true)
          .containsEntry(ProducerConfig.COMPRESSION_TYPE_CONFIG, "gzip")
          .containsEntry(ProducerConfig.COMPRESSION_GZIP_LEVEL_CONFIG, 9)
          .containsEntry(ProducerConfig.LINGER_MS_CONFIG, 20)
          .containsEntry(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 3000)
          .containsEntry(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 3020)
          .containsEntry(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT")
          .containsEntry(SaslConfigs.SASL_MECHANISM, "PLAIN")
          .containsEntry(SaslConfigs.SASL_JAAS_CONFIG, "org.apache.kafka.common.security.plain.PlainLoginModule"
              + " required username=\"bob\" password=\"p\\\"w\";");
      // Idempotence needs all in-sync replicas; with fewer acks the producer is not idempotent.
      KafkaExporterConfig one = ConfigLoader.bindComponent(new KafkaExporterFactory(), "producer: {required_acks: 1}");
      assertThat(new KafkaExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "kafka"), one)
          .producerProperties()).containsEntry(ProducerConfig.ACKS_CONFIG, "1")
          .containsEntry(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    }
  }

  @Test
  void reportsEveryProblemWithItsPathAndWhatWouldBeValid() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(
        new KafkaExporterFactory(), """
            brokers: ["kafka:9092", "http://kafka:9093", "kafka"]
            protocol_version: two
            traces: {encoding: jaeger_json}
            metrics: {encoding: raw}
            logs: {encoding: otlp_protobuf}
            partition_logs_by_resource_attributes: true
            partition_logs_by_trace_id: true
            record_partitioner: {sticky_key: {hasher: crc32}}
            producer: {required_acks: 2, compression: brotli, max_message_bytes: 100}
            auth: {sasl: {mechanism: GSSAPI}}
            """));

    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "exporters.kafka.brokers[1]", "exporters.kafka.brokers[2]", "exporters.kafka.protocol_version",
        "exporters.kafka.traces.encoding", "exporters.kafka.metrics.encoding", "exporters.kafka.logs.encoding",
        "exporters.kafka.partition_logs_by_trace_id", "exporters.kafka.record_partitioner.sticky_key.hasher",
        "exporters.kafka.producer.required_acks", "exporters.kafka.producer.compression",
        "exporters.kafka.producer.max_message_bytes", "exporters.kafka.auth.sasl.mechanism");
    assertThat(message(e, "exporters.kafka.brokers[1]")).isEqualTo("\"http://kafka:9093\" has a scheme; write"
        + " host:port, such as \"kafka:9093\"");
    assertThat(message(e, "exporters.kafka.brokers[2]")).contains("\"kafka:9092\"");
    assertThat(message(e, "exporters.kafka.metrics.encoding")).isEqualTo("\"raw\" is not supported by Sluice's"
        + " kafka exporter for metrics; use one of otlp_proto, otlp_json");
    assertThat(message(e, "exporters.kafka.auth.sasl.mechanism")).isEqualTo("\"GSSAPI\" is not supported by"
        + " Sluice; use one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512");
  }

  @Test
  void jaegerProtoIsForSpansOnly() throws Exception {
    KafkaExporterConfig c = ConfigLoader.bindComponent(new KafkaExporterFactory(), "traces: {encoding: jaeger_proto}");
    assertThat(c.encoding(Signal.TRACES).kind()).isEqualTo(KafkaEncoding.Kind.JAEGER_PROTO);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(
        new KafkaExporterFactory(), "metrics: {encoding: jaeger_proto}"));
    assertThat(message(e, "exporters.kafka.metrics.encoding")).isEqualTo("\"jaeger_proto\" encodes spans only; for"
        + " metrics use one of otlp_proto, otlp_json");
  }

  @Test
  void anErrorInAConfigFileNamesTheFileLineAndKey(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("ingest.yaml");
    Files.writeString(file, """
        receivers:
          otlp:
        exporters:
          kafka/out:
            brokers: [kafka:9092]
            partition_trace_by_id: true
            producer:
              compression: lzma
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [kafka/out]
        """);
    ConfigLoader loader = new ConfigLoader(Factories.of(new KafkaExporterFactory(),
        new io.sluice.core.config.FakeComponents.OtlpReceiverFactory()), Map.of());

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader.load(List.of(file)));

    assertThat(e.errors()).hasSize(2);
    assertThat(e.errors().get(0).toString()).startsWith(file + ":6:5: exporters.kafka/out.partition_trace_by_id:"
        + " unknown key; did you mean \"partition_traces_by_id\"?");
    assertThat(e.errors().get(1)).hasToString(
        file + ":8:20: exporters.kafka/out.producer.compression: \"lzma\" is not supported; use none, gzip, snappy,"
            + " lz4 or zstd");
  }

  @Test
  void shutdownWorksWithoutStartAndTwiceAndTheExporterStartsAgain() throws Exception {
    try (TestVertx tv = TestVertx.create()) {
      Exporter e = new KafkaExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
          "kafka"), ConfigLoader.bindComponent(new KafkaExporterFactory(), "brokers: [127.0.0.1:"
          + io.sluice.core.testkit.Ports.freePort() + "]"));
      e.shutdown().await(30, TimeUnit.SECONDS);
      e.shutdown().await(30, TimeUnit.SECONDS);
      e.start().await(30, TimeUnit.SECONDS);
      e.shutdown().await(30, TimeUnit.SECONDS);
      e.start().await(30, TimeUnit.SECONDS);
      e.shutdown().await(30, TimeUnit.SECONDS);
    }
  }

  private static String message(ConfigException e, String path) {
    return e.errors().stream().filter(err -> err.path().equals(path)).findFirst().orElseThrow().message();
  }
}
