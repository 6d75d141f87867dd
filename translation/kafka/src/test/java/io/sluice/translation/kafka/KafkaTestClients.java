package io.sluice.translation.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * Plain Kafka clients for tests: make topics, write messages and read them back, and look up a
 * group's committed offsets, independently of the Sluice components under test.
 */
public final class KafkaTestClients {
  private KafkaTestClients() {}

  /** A topic name no other test uses. */
  public static String uniqueTopic(String prefix) {
    return prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  /** Makes a topic with {@code partitions} partitions and waits until it exists. */
  public static void createTopic(String bootstrap, String topic, int partitions) {
    try (Admin a = admin(bootstrap)) {
      a.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot create topic " + topic + " at " + bootstrap, e);
    }
  }

  /** The offsets group {@code group} committed for the partitions of {@code topic} (absent: none). */
  public static Map<Integer, Long> committed(String bootstrap, String group, String topic) {
    try (Admin a = admin(bootstrap)) {
      Map<TopicPartition, OffsetAndMetadata> all = a.listConsumerGroupOffsets(group)
          .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
      Map<Integer, Long> out = new HashMap<>();
      all.forEach((tp, o) -> {
        if (tp.topic().equals(topic) && o != null) {
          out.put(tp.partition(), o.offset());
        }
      });
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot read the offsets of group " + group, e);
    }
  }

  /** Writes messages (key may be null) to a topic, to the partition Kafka picks; waits for them to be acknowledged. */
  public static void produce(String bootstrap, String topic, List<byte[]> values) {
    produce(bootstrap, topic, values, Map.of());
  }

  /** Writes messages with the given headers on each. */
  public static void produce(String bootstrap, String topic, List<byte[]> values, Map<String, String> headers) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
        new ByteArraySerializer())) {
      for (byte[] v : values) {
        ProducerRecord<byte[], byte[]> r = new ProducerRecord<>(topic, v);
        headers.forEach((k, hv) -> r.headers().add(k, hv.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        producer.send(r);
      }
      producer.flush();
    }
  }

  /** Reads every message of every partition of a topic from the start until at least {@code atLeast} came. */
  public static List<ConsumerRecord<byte[], byte[]>> readAll(String bootstrap, String topic, int atLeast,
      Duration timeout) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, pi.partition()));
      }
      c.assign(parts);
      c.seekToBeginning(parts);
      List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (out.size() < atLeast && System.nanoTime() < deadline) {
        c.poll(Duration.ofMillis(200)).forEach(out::add);
      }
      return out;
    }
  }

  /** How many messages each partition of a topic holds (its end offset). */
  public static Map<Integer, Long> endOffsets(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (KafkaConsumer<byte[], byte[]> c = new KafkaConsumer<>(p, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo pi : c.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, pi.partition()));
      }
      Map<Integer, Long> out = new HashMap<>();
      c.endOffsets(parts, Duration.ofSeconds(30)).forEach((tp, o) -> out.put(tp.partition(), o));
      return out;
    }
  }
}
