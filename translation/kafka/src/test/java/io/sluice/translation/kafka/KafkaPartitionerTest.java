package io.sluice.translation.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import org.apache.kafka.clients.producer.internals.BuiltInPartitioner;
import org.junit.jupiter.api.Test;

class KafkaPartitionerTest {

  private static byte[] b(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  @Test
  void fnv1aMatchesThePublishedTestVectors() {
    // From the FNV reference test suite (32-bit FNV-1a).
    assertThat(KafkaPartitioner.fnv1a32(b(""))).isEqualTo(0x811c9dc5);
    assertThat(KafkaPartitioner.fnv1a32(b("a"))).isEqualTo(0xe40c292c);
    assertThat(KafkaPartitioner.fnv1a32(b("foobar"))).isEqualTo(0xbf9cf968);
  }

  @Test
  void saramaCompatTakesTheSignedRemainderMadePositive() {
    // fnv1a("foobar") = 0xbf9cf968 = -1080231576 as an int32; % 7 = -4 in Go and Java; abs: 4.
    assertThat(KafkaPartitioner.SARAMA_COMPAT.partition(b("foobar"), 7)).isEqualTo(4);
    // fnv1a("a") = 0xe40c292c = -468965076; % 10 = -6 -> 6.
    assertThat(KafkaPartitioner.SARAMA_COMPAT.partition(b("a"), 10)).isEqualTo(6);
    assertThat(KafkaPartitioner.SARAMA_COMPAT.partition(b("anything"), 1)).isZero();
  }

  @Test
  void murmur2IsTheJavaClientsKeyPartitioning() {
    for (String key : new String[] {"a", "foobar", "0af7651916cd43dd8448eb211c80319c", "x".repeat(100)}) {
      for (int n : new int[] {2, 3, 12, 100}) {
        assertThat(KafkaPartitioner.MURMUR2.partition(b(key), n))
            .isEqualTo(BuiltInPartitioner.partitionForKey(b(key), n));
      }
    }
  }

  @Test
  void keysSpreadOverEveryPartition() {
    Set<Integer> seen = new HashSet<>();
    for (int i = 0; i < 200; i++) {
      seen.add(KafkaPartitioner.SARAMA_COMPAT.partition(b(String.format("%032x", i * 7919L)), 6));
    }
    assertThat(seen).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5);
  }
}
