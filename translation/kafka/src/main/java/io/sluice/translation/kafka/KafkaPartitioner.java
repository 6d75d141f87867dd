package io.sluice.translation.kafka;

import org.apache.kafka.common.utils.Utils;

/**
 * Which partition a message with a key goes to, as {@code record_partitioner.sticky_key.hasher}
 * names it. Keyless messages are left to the Kafka client's own partitioner.
 */
public enum KafkaPartitioner {
  /**
   * The Collector's default: 32-bit FNV-1a of the key, taken as a signed int, remainder by the
   * partition count, made non-negative ({@code abs(int32(fnv1a(key)) % n)}), as the Sarama client
   * did. Sluice and the Collector writing one topic put a key on the same partition.
   */
  SARAMA_COMPAT("sarama_compat"),
  /** The Java client's default: {@code toPositive(murmur2(key)) % n}. */
  MURMUR2("murmur2");

  private final String configName;

  KafkaPartitioner(String configName) {
    this.configName = configName;
  }

  public String configName() {
    return configName;
  }

  /** The partition of {@code key} among {@code partitions} (at least 1). */
  public int partition(byte[] key, int partitions) {
    if (partitions <= 1) {
      return 0;
    }
    return switch (this) {
      case SARAMA_COMPAT -> {
        int p = fnv1a32(key) % partitions;
        yield p < 0 ? -p : p;
      }
      case MURMUR2 -> Utils.toPositive(Utils.murmur2(key)) % partitions;
    };
  }

  /** 32-bit FNV-1a. */
  static int fnv1a32(byte[] key) {
    int h = 0x811c9dc5;
    for (byte b : key) {
      h ^= b & 0xff;
      h *= 0x01000193;
    }
    return h;
  }

  /** The hasher of that config name, or null when there is none. */
  public static KafkaPartitioner byName(String name) {
    for (KafkaPartitioner p : values()) {
      if (p.configName.equals(name)) {
        return p;
      }
    }
    return null;
  }
}
