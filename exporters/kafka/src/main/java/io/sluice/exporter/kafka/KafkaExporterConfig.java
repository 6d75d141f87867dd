package io.sluice.exporter.kafka;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.annotation.JsonDeserialize;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.translation.kafka.KafkaAuth;
import io.sluice.translation.kafka.KafkaClientSettings;
import io.sluice.translation.kafka.KafkaEncoding;
import io.sluice.translation.kafka.KafkaMetadata;
import io.sluice.translation.kafka.KafkaPartitioner;
import io.sluice.translation.kafka.KafkaTls;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The {@code kafka} exporter's config: the Collector's kafka exporter keys and defaults, except
 * where losing nothing asks otherwise (below).
 *
 * <p>Each signal goes to its topic ({@code traces.topic}, default {@code otlp_spans};
 * {@code metrics.topic}, {@code otlp_metrics}; {@code logs.topic}, {@code otlp_logs}; the older
 * top-level {@code topic} sets all three), in its encoding ({@code otlp_proto} by default,
 * {@code otlp_json}, and {@code raw} for logs). A resource attribute named by
 * {@code topic_from_attribute}, or a request metadata key named by a signal's
 * {@code topic_from_metadata_key}, picks another topic.
 *
 * <p>Without a partitioning key a batch goes out as one message (more when it is larger than
 * {@code producer.max_message_bytes}) and the Kafka client picks the partition. With
 * {@code partition_traces_by_id} every trace is a message of its own keyed by its trace ID (32
 * lower-case hex digits), so all spans of a trace land on one partition; with
 * {@code partition_metrics_by_resource_attributes} / {@code partition_logs_by_resource_attributes}
 * the resources of a batch with equal attributes form a message keyed by a hash of them; {@code partition_logs_by_trace_id}
 * keys log records by their trace ID. The partition of a key is chosen by
 * {@code record_partitioner.sticky_key.hasher}: {@code sarama_compat} (the Collector's default,
 * FNV-1a, so both put a key on the same partition) or {@code murmur2} (the Java client's).
 *
 * <p>Where Sluice differs from the Collector: {@code producer.required_acks} defaults to -1 (all
 * in-sync replicas; the Collector's default is 1, which loses what a leader acknowledged and then
 * lost) and the producer is idempotent then, so retries neither duplicate nor reorder within a
 * partition; {@code sending_queue.wait_for_result} defaults to true, so a batch is acknowledged
 * to the pipeline only once Kafka acknowledged every message of it, and the pipeline feels Kafka's
 * backpressure and errors. A message larger than {@code max_message_bytes} is split (between
 * resources, then between spans, data points or log records), never refused.
 *
 * @param brokers the brokers to bootstrap from (default {@code localhost:9092})
 * @param protocolVersion accepted; the Java client negotiates versions with each broker itself
 * @param resolveCanonicalBootstrapServersOnly resolve bootstrap names to their canonical names
 * @param clientId the client id the brokers see (default {@code otel-collector})
 * @param connIdleTimeout close connections idle this long (default 9m)
 * @param topic the older top-level topic for every signal
 * @param encoding the older top-level encoding for every signal
 * @param traces topic and encoding of spans
 * @param metrics topic and encoding of metrics
 * @param logs topic and encoding of logs
 * @param profiles accepted; Sluice carries no profiles
 * @param topicFromAttribute a resource attribute whose value is the topic of that resource's data
 * @param includeMetadataKeys request metadata keys sent as Kafka headers
 * @param recordHeaders headers sent with every message
 * @param partitionTracesById key spans by trace ID
 * @param partitionMetricsByResourceAttributes key metrics by their resource's attributes
 * @param partitionLogsByResourceAttributes key logs by their resource's attributes
 * @param partitionLogsByTraceId key log records by their trace ID
 * @param recordPartitioner which hash picks the partition of a key
 * @param tls TLS to the brokers; without the block, plaintext
 * @param auth SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)
 * @param metadata cluster metadata refresh
 * @param timeout how long one attempt to deliver a batch may take (default 5s); 0 for the client's own limits
 * @param retryOnFailure the exporter helper's retries
 * @param sendingQueue the exporter helper's queue; requests to one partition are sent one at a time, in order
 * @param producer the producer's settings
 */
public record KafkaExporterConfig(
    List<String> brokers,
    String protocolVersion,
    boolean resolveCanonicalBootstrapServersOnly,
    String clientId,
    Duration connIdleTimeout,
    String topic,
    String encoding,
    SignalSettings traces,
    SignalSettings metrics,
    SignalSettings logs,
    Map<String, Object> profiles,
    String topicFromAttribute,
    List<String> includeMetadataKeys,
    Map<String, String> recordHeaders,
    boolean partitionTracesById,
    boolean partitionMetricsByResourceAttributes,
    boolean partitionLogsByResourceAttributes,
    boolean partitionLogsByTraceId,
    RecordPartitioner recordPartitioner,
    @JsonInclude(JsonInclude.Include.NON_NULL) @JsonDeserialize(using = KafkaTls.Deserializer.class)
    TlsClientSettings tls,
    KafkaAuth auth,
    KafkaMetadata metadata,
    Duration timeout,
    RetrySettings retryOnFailure,
    QueueSettings sendingQueue,
    Producer producer) implements ComponentConfig {

  static final Map<Signal, String> DEFAULT_TOPICS = Map.of(Signal.TRACES, "otlp_spans", Signal.METRICS,
      "otlp_metrics", Signal.LOGS, "otlp_logs");
  static final Set<String> COMPRESSIONS = Set.of("none", "gzip", "snappy", "lz4", "zstd");

  /**
   * One signal's block.
   *
   * @param topic its topic
   * @param encoding its encoding
   * @param topicFromMetadataKey a request metadata key whose value is the topic (before
   *     {@code topic_from_attribute} and {@code topic})
   * @param messageKeyFromMetadataKey a request metadata key whose value is the message key
   */
  public record SignalSettings(String topic, String encoding, String topicFromMetadataKey,
      String messageKeyFromMetadataKey) {
    public SignalSettings {
      topic = blankToNull(topic);
      encoding = blankToNull(encoding);
      topicFromMetadataKey = topicFromMetadataKey == null ? "" : topicFromMetadataKey.trim();
      messageKeyFromMetadataKey = messageKeyFromMetadataKey == null ? "" : messageKeyFromMetadataKey.trim();
    }

    static SignalSettings unset() {
      return new SignalSettings(null, null, "", "");
    }
  }

  /**
   * {@code producer}.
   *
   * @param maxMessageBytes the largest message value (default 1000000); larger batches are split
   * @param maxBrokerWriteBytes accepted; the Java client sizes its requests itself
   * @param requiredAcks -1 (all in-sync replicas, Sluice's default), 1 (the leader) or 0 (none)
   * @param compression none (default), gzip, snappy, lz4 or zstd
   * @param compressionParams {@code level} of gzip (1-9), lz4 (1-17) or zstd (-131072-22)
   * @param flushMaxMessages accepted; the Java client batches by bytes and {@code linger}
   * @param allowAutoTopicCreation accepted; whether a topic is made on first use is the broker's
   *     {@code auto.create.topics.enable}
   * @param linger how long messages wait for others to the same partition (default 10ms)
   */
  public record Producer(Integer maxMessageBytes, Integer maxBrokerWriteBytes, Integer requiredAcks,
      String compression, CompressionParams compressionParams, Integer flushMaxMessages,
      Boolean allowAutoTopicCreation, Duration linger) {
    public Producer {
      maxMessageBytes = maxMessageBytes == null ? 1_000_000 : maxMessageBytes;
      requiredAcks = requiredAcks == null ? -1 : requiredAcks;
      compression = compression == null || compression.isBlank() ? "none" : compression.trim().toLowerCase(Locale.ROOT);
      compressionParams = compressionParams == null ? new CompressionParams(null) : compressionParams;
      linger = linger == null ? Duration.ofMillis(10) : linger;
    }

    static Producer defaults() {
      return new Producer(1_000_000, null, -1, "none", new CompressionParams(null), null, null,
          Duration.ofMillis(10));
    }
  }

  /** {@code producer.compression_params}: the level, -1 (default) for the codec's own. */
  public record CompressionParams(Integer level) {
    public CompressionParams {
      level = level == null ? -1 : level;
    }
  }

  /** {@code record_partitioner}: at most one of its keys. */
  public record RecordPartitioner(StickyKey stickyKey, Map<String, Object> roundRobin,
      Map<String, Object> leastBackup, String extension) {
  }

  /** {@code record_partitioner.sticky_key}. */
  public record StickyKey(String hasher) {
    public StickyKey {
      hasher = hasher == null || hasher.isBlank() ? "sarama_compat" : hasher.trim().toLowerCase(Locale.ROOT);
    }
  }

  public KafkaExporterConfig {
    // A persistent queue acknowledges a batch once it is on disk, which is what waiting for
    // Kafka's answer gives without one: the default to wait gives way to it.
    if (sendingQueue != null && sendingQueue.storage() != null && sendingQueue.waitForResult()) {
      QueueSettings q = sendingQueue;
      sendingQueue = new QueueSettings(q.enabled(), q.numConsumers(), q.queueSize(), q.sizer(),
          q.blockOnOverflow(), false, q.batch(), q.storage());
    }
    brokers = brokers == null ? List.of() : List.copyOf(brokers);
    protocolVersion = protocolVersion == null ? "" : protocolVersion.trim();
    clientId = clientId == null ? "otel-collector" : clientId;
    connIdleTimeout = connIdleTimeout == null ? Duration.ofMinutes(9) : connIdleTimeout;
    topic = blankToNull(topic);
    encoding = blankToNull(encoding);
    traces = traces == null ? SignalSettings.unset() : traces;
    metrics = metrics == null ? SignalSettings.unset() : metrics;
    logs = logs == null ? SignalSettings.unset() : logs;
    topicFromAttribute = topicFromAttribute == null ? "" : topicFromAttribute.trim();
    includeMetadataKeys = includeMetadataKeys == null ? List.of() : List.copyOf(includeMetadataKeys);
    recordHeaders = recordHeaders == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(recordHeaders));
    metadata = metadata == null ? KafkaMetadata.defaults() : metadata;
    timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
    retryOnFailure = retryOnFailure == null ? RetrySettings.defaults() : retryOnFailure;
    sendingQueue = sendingQueue == null ? defaultQueue() : sendingQueue;
    producer = producer == null ? Producer.defaults() : producer;
  }

  /** The Collector's queue, but a batch is acknowledged once Kafka acknowledged it. */
  static QueueSettings defaultQueue() {
    return new QueueSettings(true, 10, 1000, "requests", false, true, null);
  }

  public static KafkaExporterConfig defaults() {
    return new KafkaExporterConfig(List.of("localhost:9092"), "", false, "otel-collector", Duration.ofMinutes(9),
        null, null, SignalSettings.unset(), SignalSettings.unset(), SignalSettings.unset(), null, "", List.of(),
        Map.of(), false, false, false, false, null, null, null, KafkaMetadata.defaults(), Duration.ofSeconds(5),
        RetrySettings.defaults(), defaultQueue(), Producer.defaults());
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** The connection settings. */
  public KafkaClientSettings client() {
    return new KafkaClientSettings(brokers, clientId, protocolVersion, resolveCanonicalBootstrapServersOnly,
        connIdleTimeout, tls, auth, metadata);
  }

  SignalSettings settings(Signal signal) {
    return switch (signal) {
      case TRACES -> traces;
      case METRICS -> metrics;
      case LOGS -> logs;
    };
  }

  /** The topic of a signal: its own, else the top-level one, else the default. */
  String topic(Signal signal) {
    String t = settings(signal).topic();
    return t != null ? t : topic != null ? topic : DEFAULT_TOPICS.get(signal);
  }

  private String encodingName(Signal signal) {
    String e = settings(signal).encoding();
    return e != null ? e : encoding != null ? encoding : "otlp_proto";
  }

  /** The encoding of a signal (valid once the config validated). */
  KafkaEncoding encoding(Signal signal) {
    return KafkaEncoding.parse(encodingName(signal), signal, true);
  }

  /** The hash that picks the partition of a key. */
  KafkaPartitioner partitioner() {
    StickyKey sk = recordPartitioner == null ? null : recordPartitioner.stickyKey();
    KafkaPartitioner p = KafkaPartitioner.byName(sk == null ? "sarama_compat" : sk.hasher());
    return p == null ? KafkaPartitioner.SARAMA_COMPAT : p;
  }

  /** The largest message value written: {@code max_message_bytes} less room for the key and headers. */
  long maxValueBytes() {
    return Math.max(1024, producer.maxMessageBytes() - 512L);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    client().validate(problems);
    for (Signal s : Signal.values()) {
      String key = s.configName();
      SignalSettings ss = settings(s);
      KafkaEncoding.validate(problems, s, ss.encoding(), encoding, true);
      if (topic(s).isEmpty()) {
        problems.add(new ConfigProblem(key + ".topic", "must not be empty"));
      }
      if (!ss.messageKeyFromMetadataKey().isEmpty() && partitioned(s)) {
        problems.add(new ConfigProblem(key + ".message_key_from_metadata_key", "cannot be set with "
            + partitionKeyName(s) + ": a message has one key; choose one of them"));
      }
    }
    if (partitionLogsByResourceAttributes && partitionLogsByTraceId) {
      problems.add(new ConfigProblem("partition_logs_by_trace_id", "cannot be set with"
          + " partition_logs_by_resource_attributes: a log message has one key; choose one of them"));
    }
    for (int i = 0; i < includeMetadataKeys.size(); i++) {
      if (includeMetadataKeys.get(i) == null || includeMetadataKeys.get(i).isBlank()) {
        problems.add(new ConfigProblem("include_metadata_keys[" + i + "]", "must not be empty"));
      }
    }
    if (recordPartitioner != null) {
      int set = (recordPartitioner.stickyKey() != null ? 1 : 0) + (recordPartitioner.roundRobin() != null ? 1 : 0)
          + (recordPartitioner.leastBackup() != null ? 1 : 0)
          + (recordPartitioner.extension() != null && !recordPartitioner.extension().isBlank() ? 1 : 0);
      if (set > 1) {
        problems.add(new ConfigProblem("record_partitioner", "set at most one of sticky_key, round_robin,"
            + " least_backup and extension"));
      }
      for (String other : List.of("round_robin", "least_backup", "extension")) {
        boolean isSet = switch (other) {
          case "round_robin" -> recordPartitioner.roundRobin() != null;
          case "least_backup" -> recordPartitioner.leastBackup() != null;
          default -> recordPartitioner.extension() != null && !recordPartitioner.extension().isBlank();
        };
        if (isSet) {
          problems.add(new ConfigProblem("record_partitioner." + other, "is not supported by Sluice; use"
              + " sticky_key (keyless messages are spread over the partitions by the Kafka client)"));
        }
      }
      if (recordPartitioner.stickyKey() != null
          && KafkaPartitioner.byName(recordPartitioner.stickyKey().hasher()) == null) {
        problems.add(new ConfigProblem("record_partitioner.sticky_key.hasher", "\""
            + recordPartitioner.stickyKey().hasher() + "\" is not a hasher; use sarama_compat (the default) or"
            + " murmur2"));
      }
    }
    if (timeout.isNegative()) {
      problems.add(new ConfigProblem("timeout", "must be a duration such as \"5s\" (0 leaves it to the client)"));
    }
    checkProducer(problems);
    problems.addAll(retryOnFailure.validate("retry_on_failure"));
    problems.addAll(sendingQueue.validate("sending_queue"));
    return problems;
  }

  /** True when a signal's messages are keyed by trace ID or resource. */
  boolean partitioned(Signal s) {
    return switch (s) {
      case TRACES -> partitionTracesById;
      case METRICS -> partitionMetricsByResourceAttributes;
      case LOGS -> partitionLogsByResourceAttributes || partitionLogsByTraceId;
    };
  }

  private String partitionKeyName(Signal s) {
    return switch (s) {
      case TRACES -> "partition_traces_by_id";
      case METRICS -> "partition_metrics_by_resource_attributes";
      case LOGS -> partitionLogsByTraceId ? "partition_logs_by_trace_id" : "partition_logs_by_resource_attributes";
    };
  }

  private void checkProducer(List<ConfigProblem> problems) {
    Producer p = producer;
    if (p.maxMessageBytes() < 2048) {
      problems.add(new ConfigProblem("producer.max_message_bytes", "must be at least 2048, got "
          + p.maxMessageBytes()));
    }
    if (p.requiredAcks() != -1 && p.requiredAcks() != 0 && p.requiredAcks() != 1) {
      problems.add(new ConfigProblem("producer.required_acks", "must be -1 (all in-sync replicas, the default), 1"
          + " (the leader) or 0 (none), got " + p.requiredAcks()));
    }
    if (!COMPRESSIONS.contains(p.compression())) {
      problems.add(new ConfigProblem("producer.compression", "\"" + p.compression() + "\" is not supported; use"
          + " none, gzip, snappy, lz4 or zstd"));
    }
    int level = p.compressionParams().level();
    if (level != -1) {
      String why = switch (p.compression()) {
        case "gzip" -> level < 1 || level > 9 ? "gzip levels are 1 (fastest) to 9 (smallest), or -1" : null;
        case "lz4" -> level < 1 || level > 17 ? "lz4 levels are 1 to 17, or -1" : null;
        case "zstd" -> level < -131072 || level > 22 ? "zstd levels are -131072 to 22, or -1" : null;
        default -> null;
      };
      if (why != null) {
        problems.add(new ConfigProblem("producer.compression_params.level", level + ": " + why));
      }
    }
    if (p.linger().isNegative()) {
      problems.add(new ConfigProblem("producer.linger", "must be a duration such as \"10ms\""));
    }
    if (p.flushMaxMessages() != null && p.flushMaxMessages() < 0) {
      problems.add(new ConfigProblem("producer.flush_max_messages", "must not be negative"));
    }
  }

  @Override
  public List<ConfigProblem> warnings() {
    List<ConfigProblem> out = new ArrayList<>();
    client().warnings(out);
    if (profiles != null) {
      out.add(new ConfigProblem("profiles", "Sluice carries no profiles"));
    }
    if (producer.maxBrokerWriteBytes() != null) {
      out.add(new ConfigProblem("producer.max_broker_write_bytes", "the Java Kafka client sizes its requests from"
          + " max_message_bytes"));
    }
    if (producer.flushMaxMessages() != null) {
      out.add(new ConfigProblem("producer.flush_max_messages", "the Java Kafka client batches by bytes and"
          + " producer.linger"));
    }
    if (producer.allowAutoTopicCreation() != null) {
      out.add(new ConfigProblem("producer.allow_auto_topic_creation", "whether a topic is created on first use is"
          + " the broker's auto.create.topics.enable"));
    }
    if (producer.compressionParams().level() != -1 && producer.compression().equals("snappy")) {
      out.add(new ConfigProblem("producer.compression_params.level", "snappy has no levels"));
    }
    return out;
  }
}
