package io.sluice.exporter.kafka;

import io.sluice.core.otlp.EncodedResources;
import java.util.List;
import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * One request of the exporter: messages to one topic and, when they are keyed, one partition,
 * written in order. It outlives retries: the values are encoded at the first attempt, and a
 * message Kafka acknowledged is not written again by a later attempt.
 */
final class Planned {
  final String topic;
  /** The partition of every message, or -1: keyless (the client picks), or keyed with the partition count unknown yet. */
  final int partition;
  /** True when the messages carry keys, so the request is serialised with the others of its partition. */
  final boolean keyed;
  final List<Message> messages;
  /** The values to write, one or more per message; set at the first attempt. */
  List<Value> values;
  /** 1 where Kafka acknowledged the value of that index. */
  AtomicIntegerArray delivered;

  Planned(String topic, int partition, boolean keyed, List<Message> messages) {
    this.topic = topic;
    this.partition = partition;
    this.keyed = keyed;
    this.messages = messages;
  }

  /**
   * One message as planned: its key (null for none) and what it carries, OTLP resources
   * ({@code content}, possibly written as several values when large) or a raw log body
   * ({@code raw}, with {@code content} the record it came from, for counting).
   */
  record Message(byte[] key, EncodedResources content, byte[] raw) {
  }

  /** One Kafka record to write: a message's key and one of its values. */
  record Value(byte[] key, byte[] value) {
  }

  /** The helper's key of a keyed request: its topic and partition (-1 until the partition count is known). */
  record PartitionKey(String topic, int partition) {
  }
}
