package io.sluice.perf;

import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads every record of a Kafka topic from its start, on a thread of its own (the consumer's poll
 * blocks), in a consumer group of its own that commits nothing, and hands each record's value to
 * {@code sink}. For the counting sink: a gateway's kafka exporter writes there.
 */
final class KafkaTopicReader implements AutoCloseable {
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Thread thread;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicReference<Exception> failure = new AtomicReference<>();

  KafkaTopicReader(String bootstrap, String topic, Consumer<byte[]> sink) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "sluice-load-" + UUID.randomUUID());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "sluice-load-sink");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.METADATA_MAX_AGE_CONFIG, "1000"); // see the topic soon when the exporter makes it
    consumer = new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    consumer.subscribe(List.of(topic));
    thread = new Thread(() -> {
      try {
        while (true) {
          for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(500))) {
            if (r.value() != null) {
              sink.accept(r.value());
            }
          }
        }
      } catch (WakeupException e) {
        // closing
      } catch (RuntimeException e) {
        failure.set(e);
      } finally {
        consumer.close(Duration.ofSeconds(5));
        stopped.countDown();
      }
    }, "sink-kafka-" + topic);
    thread.setDaemon(true);
    thread.start();
  }

  /** Why the reader stopped early, or null. */
  Exception failure() {
    return failure.get();
  }

  @Override
  public void close() {
    consumer.wakeup();
    try {
      stopped.await(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
