package io.sluice.exporter.kafka;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.exporter.jaeger.JaegerSpanMessages;
import io.sluice.translation.kafka.KafkaEncoding;
import io.sluice.translation.kafka.KafkaPartitioner;
import io.sluice.translation.kafka.KafkaPayloads;
import io.sluice.translation.kafka.MessageKeys;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.IntConsumer;
import java.util.function.ToIntFunction;

/**
 * Cuts a batch into the exporter's requests: the messages it becomes (one per trace, per distinct
 * resource or per log record when keyed, one per span in {@code jaeger_proto}; the whole batch
 * otherwise), grouped by topic and partition. A
 * batch that needs no cutting (one topic, no keys, an OTLP encoding) is not planned at all: it is
 * written as it came, its resources copied into the message as the bytes they arrived in.
 */
final class MessagePlanner {
  private final KafkaExporterConfig config;
  private final KafkaPartitioner partitioner;
  /** The partition count of a topic, or a negative number when it is not known yet. */
  private final ToIntFunction<String> partitionCount;

  /** Told how many spans a batch had that {@code jaeger_proto} cannot carry (IDs of the wrong length). */
  private final IntConsumer invalidSpans;

  MessagePlanner(KafkaExporterConfig config, ToIntFunction<String> partitionCount) {
    this(config, partitionCount, n -> { });
  }

  MessagePlanner(KafkaExporterConfig config, ToIntFunction<String> partitionCount, IntConsumer invalidSpans) {
    this.config = config;
    this.partitioner = config.partitioner();
    this.partitionCount = partitionCount;
    this.invalidSpans = invalidSpans;
  }

  /** The topic of every message of a batch when its metadata names one, else null. */
  String batchTopic(Batch batch) {
    String key = config.settings(batch.signal()).topicFromMetadataKey();
    if (key.isEmpty()) {
      return null;
    }
    String t = batch.envelope().metadata().get(key);
    return t == null || t.isBlank() ? null : t;
  }

  /** The message key a batch's metadata gives all its messages, or null. */
  private byte[] batchKey(Batch batch) {
    String key = config.settings(batch.signal()).messageKeyFromMetadataKey();
    if (key.isEmpty()) {
      return null;
    }
    String k = batch.envelope().metadata().get(key);
    return k == null || k.isEmpty() ? null : k.getBytes(StandardCharsets.UTF_8);
  }

  /** True when the batch is written as it came: one topic, no key, an OTLP encoding. */
  boolean passesThrough(Batch batch) {
    Signal s = batch.signal();
    return config.encoding(s).isOtlp() && !config.partitioned(s) && config.topicFromAttribute().isEmpty()
        && batchKey(batch) == null;
  }

  /** The request of a batch that passes through. */
  Planned whole(Batch batch) {
    String topic = Objects.requireNonNullElse(batchTopic(batch), config.topic(batch.signal()));
    return new Planned(topic, -1, false, List.of(new Planned.Message(null, batch.encoded(), null)));
  }

  /** The requests of a batch that does not pass through, in the order their first item came. */
  List<Planned> plan(Batch batch) {
    Signal s = batch.signal();
    String fixedTopic = batchTopic(batch);
    List<Item> items = new ArrayList<>();
    KafkaEncoding encoding = config.encoding(s);
    byte[] batchKey = batchKey(batch);
    switch (s) {
      case TRACES -> {
        if (encoding.kind() == KafkaEncoding.Kind.JAEGER_PROTO) {
          int invalid = 0;
          for (ResourceSpans rs : batch.resourceSpans()) {
            invalid += jaegerSpans(rs, topicOf(s, rs.getResource(), fixedTopic), items);
          }
          if (invalid > 0) {
            invalidSpans.accept(invalid);
          }
          break;
        }
        if (config.partitionTracesById() && config.topicFromAttribute().isEmpty()) {
          // The spans' trace IDs are all it takes: cut by trace without parsing.
          String topic = Objects.requireNonNullElse(fixedTopic, config.topic(s));
          for (TraceGrouper.Trace t : TraceGrouper.group(batch.encoded())) {
            items.add(new Item(topic, t.key(), t.content(), null));
          }
          break;
        }
        for (ResourceSpans rs : batch.resourceSpans()) {
          String topic = topicOf(s, rs.getResource(), fixedTopic);
          if (config.partitionTracesById()) {
            items.addAll(byTrace(rs, topic));
          } else {
            items.add(new Item(s, topic, batchKey, rs, null));
          }
        }
      }
      case METRICS -> {
        for (ResourceMetrics rm : batch.resourceMetrics()) {
          String topic = topicOf(s, rm.getResource(), fixedTopic);
          byte[] key = config.partitionMetricsByResourceAttributes() ? MessageKeys.resourceKey(rm.getResource())
              : batchKey;
          items.add(new Item(s, topic, key, rm, null));
        }
      }
      case LOGS -> {
        boolean raw = encoding.kind() == KafkaEncoding.Kind.RAW;
        for (ResourceLogs rl : batch.resourceLogs()) {
          String topic = topicOf(s, rl.getResource(), fixedTopic);
          byte[] resourceKey = config.partitionLogsByResourceAttributes() ? MessageKeys.resourceKey(rl.getResource())
              : batchKey;
          if (raw) {
            items.addAll(rawRecords(rl, topic, resourceKey));
          } else if (config.partitionLogsByTraceId()) {
            items.addAll(logsByTrace(rl, topic));
          } else {
            items.add(new Item(s, topic, resourceKey, rl, null));
          }
        }
      }
    }
    return group(s, items);
  }

  private String topicOf(Signal s, Resource resource, String fixedTopic) {
    if (fixedTopic != null) {
      return fixedTopic;
    }
    String attr = config.topicFromAttribute();
    if (!attr.isEmpty()) {
      for (KeyValue kv : resource.getAttributesList()) {
        if (kv.getKey().equals(attr) && kv.getValue().hasStringValue() && !kv.getValue().getStringValue().isBlank()) {
          return kv.getValue().getStringValue();
        }
      }
    }
    return config.topic(s);
  }

  /**
   * Groups items into messages (items of one topic and key that are not raw form one message)
   * and messages into requests (by topic and partition; keyless messages by topic).
   */
  private List<Planned> group(Signal s, List<Item> items) {
    Map<MessageId, List<EncodedResources>> messages = new LinkedHashMap<>();
    List<byte[]> raws = new ArrayList<>();
    for (Item it : items) {
      KeyBytes key = it.key() == null ? null : new KeyBytes(it.key());
      // Raw messages are one per record: each gets its own id, which keeps its place among the others.
      MessageId id = new MessageId(it.topic(), key, it.raw() != null ? raws.size() : -1);
      if (it.raw() != null) {
        raws.add(it.raw());
      }
      messages.computeIfAbsent(id, x -> new ArrayList<>(1)).add(it.content());
    }
    Map<RequestId, List<Planned.Message>> requests = new LinkedHashMap<>();
    for (Map.Entry<MessageId, List<EncodedResources>> e : messages.entrySet()) {
      MessageId id = e.getKey();
      EncodedResources content = EncodedResources.concat(s, e.getValue());
      byte[] key = id.key() == null ? null : id.key().bytes();
      byte[] raw = id.rawIndex() >= 0 ? raws.get(id.rawIndex()) : null;
      int partition = -1;
      if (key != null) {
        int n = partitionCount.applyAsInt(id.topic());
        partition = n > 0 ? partitioner.partition(key, n) : -1;
      }
      requests.computeIfAbsent(new RequestId(id.topic(), partition, key != null), x -> new ArrayList<>())
          .add(new Planned.Message(key, content, raw));
    }
    List<Planned> out = new ArrayList<>(requests.size());
    requests.forEach((id, msgs) -> out.add(new Planned(id.topic(), id.partition(), id.keyed(), msgs)));
    return out;
  }

  /** The spans of one resource, one item per trace (with the resource and scopes they came in). */
  private static List<Item> byTrace(ResourceSpans rs, String topic) {
    Map<ByteString, ResourceSpans.Builder> traces = new LinkedHashMap<>();
    for (ScopeSpans ss : rs.getScopeSpansList()) {
      Map<ByteString, ScopeSpans.Builder> scopes = new LinkedHashMap<>();
      for (Span span : ss.getSpansList()) {
        scopes.computeIfAbsent(span.getTraceId(), t -> ScopeSpans.newBuilder().setScope(ss.getScope())
            .setSchemaUrl(ss.getSchemaUrl())).addSpans(span);
      }
      scopes.forEach((traceId, scope) -> traces.computeIfAbsent(traceId, t -> ResourceSpans.newBuilder()
          .setResource(rs.getResource()).setSchemaUrl(rs.getSchemaUrl())).addScopeSpans(scope));
    }
    List<Item> out = new ArrayList<>(traces.size());
    traces.forEach((traceId, b) -> out.add(new Item(Signal.TRACES, topic, MessageKeys.traceKey(traceId), b.build(),
        null)));
    return out;
  }

  /** The records of one resource, one item per trace ID. */
  private static List<Item> logsByTrace(ResourceLogs rl, String topic) {
    Map<ByteString, ResourceLogs.Builder> traces = new LinkedHashMap<>();
    for (ScopeLogs sl : rl.getScopeLogsList()) {
      Map<ByteString, ScopeLogs.Builder> scopes = new LinkedHashMap<>();
      for (LogRecord r : sl.getLogRecordsList()) {
        scopes.computeIfAbsent(r.getTraceId(), t -> ScopeLogs.newBuilder().setScope(sl.getScope())
            .setSchemaUrl(sl.getSchemaUrl())).addLogRecords(r);
      }
      scopes.forEach((traceId, scope) -> traces.computeIfAbsent(traceId, t -> ResourceLogs.newBuilder()
          .setResource(rl.getResource()).setSchemaUrl(rl.getSchemaUrl())).addScopeLogs(scope));
    }
    List<Item> out = new ArrayList<>(traces.size());
    traces.forEach((traceId, b) -> out.add(new Item(Signal.LOGS, topic, MessageKeys.traceKey(traceId), b.build(),
        null)));
    return out;
  }

  /**
   * One item per span, carrying it as a Jaeger {@code Span} message with its process, keyed by its
   * trace ID as Jaeger keys it (Jaeger's Kafka format: every span of a trace on one partition).
   * Returns how many spans were left out because Jaeger cannot carry their IDs.
   */
  private static int jaegerSpans(ResourceSpans rs, String topic, List<Item> out) {
    int invalid = 0;
    for (ScopeSpans ss : rs.getScopeSpansList()) {
      for (Span span : ss.getSpansList()) {
        ResourceSpans one = ResourceSpans.newBuilder().setResource(rs.getResource()).setSchemaUrl(rs.getSchemaUrl())
            .addScopeSpans(ScopeSpans.newBuilder().setScope(ss.getScope()).setSchemaUrl(ss.getSchemaUrl())
                .addSpans(span))
            .build();
        EncodedResources content = EncodedResources.encode(Signal.TRACES, List.of(one));
        JaegerSpanMessages.Encoded jaeger = JaegerSpanMessages.encode(content);
        if (jaeger.spans().isEmpty()) {
          invalid++;
          continue;
        }
        out.add(new Item(topic, MessageKeys.jaegerTraceKey(span.getTraceId()), content, jaeger.spans().get(0)));
      }
    }
    return invalid;
  }

  /** One item per log record, carrying its raw body. */
  private List<Item> rawRecords(ResourceLogs rl, String topic, byte[] resourceKey) {
    List<Item> out = new ArrayList<>();
    for (ScopeLogs sl : rl.getScopeLogsList()) {
      for (LogRecord r : sl.getLogRecordsList()) {
        ResourceLogs one = ResourceLogs.newBuilder().setResource(rl.getResource()).setSchemaUrl(rl.getSchemaUrl())
            .addScopeLogs(ScopeLogs.newBuilder().setScope(sl.getScope()).setSchemaUrl(sl.getSchemaUrl())
                .addLogRecords(r))
            .build();
        byte[] key = config.partitionLogsByTraceId() ? MessageKeys.traceKey(r.getTraceId()) : resourceKey;
        out.add(new Item(Signal.LOGS, topic, key, one, KafkaPayloads.rawBody(r.getBody())));
      }
    }
    return out;
  }

  /** Resources bound for one message (or part of one), encoded, with its topic and key. */
  private record Item(String topic, byte[] key, EncodedResources content, byte[] raw) {
    Item(Signal signal, String topic, byte[] key, Object resource, byte[] raw) {
      this(topic, key, EncodedResources.encode(signal, List.of(resource)), raw);
    }
  }

  /** A message: topic, key, and for raw messages their own index (so each stays apart). */
  private record MessageId(String topic, KeyBytes key, int rawIndex) {
  }

  private record RequestId(String topic, int partition, boolean keyed) {
  }

  /** Key bytes with value equality. */
  private record KeyBytes(byte[] bytes) {
    @Override
    public boolean equals(Object o) {
      return o instanceof KeyBytes k && java.util.Arrays.equals(bytes, k.bytes);
    }

    @Override
    public int hashCode() {
      return java.util.Arrays.hashCode(bytes);
    }
  }
}
