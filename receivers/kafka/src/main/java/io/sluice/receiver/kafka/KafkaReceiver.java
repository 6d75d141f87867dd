package io.sluice.receiver.kafka;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.sluice.core.ComponentContext;
import io.sluice.core.Consumer;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics.ReceiverMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.translation.kafka.KafkaTls;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code kafka} receiver: one member of a consumer group.
 *
 * <p>The Kafka consumer, which is not thread-safe and whose {@code poll} blocks, lives on a thread
 * of its own: it polls, hands each partition's records to that partition's {@link PartitionWorker}
 * on an event loop, pauses and resumes partitions, and commits offsets. The workers decode the
 * records, push them into the pipeline chunk after chunk in offset order, several at a time
 * without waiting for each acknowledgement (a pipeline that acknowledges late, such as tail
 * sampling once its traces are decided, keeps its rate), and record how far the acknowledged
 * prefix of each partition reaches; the poll thread commits exactly that, so no offset is
 * committed for a record the pipeline has not taken, whatever it acknowledged after it. A
 * partition with {@value #MAX_CHUNKS_IN_FLIGHT} chunks not yet in its acknowledged prefix, or
 * whose chunk the pipeline refused, is paused until it has room again, and so is every partition
 * while the receiver's message bytes not yet acknowledged pass an eighth of the heap: the
 * pipeline's backpressure reaches Kafka instead of filling the heap.
 *
 * <p>On a rebalance, the partitions taken away get their acknowledged offsets committed and their
 * records not yet acknowledged are forgotten (their new owner reads them again from the committed
 * offset): nothing acknowledged is lost, nothing is skipped, and records in flight may be read twice.
 */
final class KafkaReceiver implements Receiver {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaReceiver.class);
  /**
   * Chunks (one poll's records of one partition) a partition may have waiting, in the pipeline or
   * acknowledged past an earlier one that is not. Memory is bounded by {@link #MAX_BYTES_IN_FLIGHT};
   * this bounds the bookkeeping of small chunks. A pipeline that acknowledges {@code decision_wait}
   * late needs about {@code decision_wait} / the poll interval of them: 300 for 30 s at 100 ms.
   */
  static final int MAX_CHUNKS_IN_FLIGHT = 1024;
  /** Message bytes of the receiver's chunks not yet acknowledged, past which its partitions pause. */
  static final long MAX_BYTES_IN_FLIGHT = Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 8);
  /** The longest one poll blocks; the loop also pauses, resumes and commits between polls. */
  static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  /** How often the partitions' lag is brought up to date from the brokers' end offsets. */
  static final long LAG_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(2);
  /** How long one lookup of end offsets may hold the poll thread. */
  static final Duration LAG_TIMEOUT = Duration.ofSeconds(2);
  /** How long shutdown waits for the pipeline's answer to the chunks it holds. */
  static final long SHUTDOWN_WAIT_MILLIS = 5000;

  final ComponentContext ctx;
  final String id;
  final KafkaReceiverConfig config;
  final Map<Signal, Consumer> next;
  final ReceiverMetrics metrics;
  final CounterDataPoint malformed;
  final RateLimitedLog malformedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  final RateLimitedLog refusedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  final RateLimitedLog droppedLog = new RateLimitedLog(LOG, Level.ERROR, 60, TimeUnit.SECONDS);
  private final RateLimitedLog pollLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  /** The partitions assigned now, for the gauges (the poll thread's own map is not safe to read elsewhere). */
  private final Map<TopicPartition, PartitionWorker> assignedNow = new ConcurrentHashMap<>();
  private final AtomicLong bytesInFlight = new AtomicLong();
  private Context[] contexts;
  private PollLoop loop;
  private Future<Void> startFuture;

  KafkaReceiver(ComponentContext ctx, KafkaReceiverConfig config, Map<Signal, Consumer> next) {
    this.ctx = ctx;
    this.id = ctx.id().toString();
    this.config = config;
    this.next = Map.copyOf(next);
    this.metrics = ctx.metrics().receiver(ctx.id(), "kafka");
    this.malformed = ctx.metrics().sharedCounter("sluice_receiver_malformed_messages",
        "Messages a receiver could not decode and skipped.", "component_id").labelValues(id);
    PartitionGauges.register(ctx.metrics(), id, assignedNow::values);
  }

  @Override
  public synchronized Future<Void> start() {
    if (startFuture != null) {
      return startFuture;
    }
    if (next.isEmpty()) {
      startFuture = Future.succeededFuture();
      return startFuture;
    }
    if (contexts == null) {
      VertxInternal vertx = (VertxInternal) ctx.vertx();
      int loops = 0;
      for (var ignored : vertx.nettyEventLoopGroup()) {
        loops++;
      }
      contexts = new Context[Math.max(1, loops)];
      for (int i = 0; i < contexts.length; i++) {
        contexts[i] = vertx.createEventLoopContext();
      }
    }
    PollLoop l = new PollLoop();
    loop = l;
    Thread t = new Thread(l, "sluice-kafka-consumer-" + id);
    t.setDaemon(true);
    t.start();
    startFuture = l.started.future();
    startFuture.onFailure(e -> {
      synchronized (this) {
        if (loop == l) {
          loop = null;
          startFuture = null;
        }
      }
    });
    return startFuture;
  }

  @Override
  public synchronized Future<Void> shutdown() {
    PollLoop l = loop;
    loop = null;
    startFuture = null;
    if (l == null) {
      return Future.succeededFuture();
    }
    return l.stop();
  }

  void addBytesInFlight(long bytes) {
    bytesInFlight.addAndGet(bytes);
  }

  boolean bytesInFlightFull() {
    return bytesInFlight.get() >= MAX_BYTES_IN_FLIGHT;
  }

  /** Partitions paused now (for tests and the logs). */
  int pausedPartitions() {
    PollLoop l = loop;
    return l == null ? 0 : l.paused;
  }

  /** Partitions assigned now. */
  int assignedPartitions() {
    PollLoop l = loop;
    return l == null ? 0 : l.assigned;
  }

  Map<String, Object> consumerProperties() {
    Map<String, Object> p = config.client().properties(ctx.vertx());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, config.groupId());
    if (!config.groupInstanceId().isEmpty()) {
      p.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, config.groupInstanceId());
    }
    // Offsets are committed by the receiver, for what the pipeline acknowledged only.
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, config.initialOffset());
    p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, (int) config.sessionTimeout().toMillis());
    p.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, (int) config.heartbeatInterval().toMillis());
    p.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, config.minFetchSize());
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, config.maxFetchSize());
    p.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) config.maxFetchWait().toMillis());
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, config.partitionFetchSize());
    List<String> assignors = new ArrayList<>();
    for (String s : config.strategies()) {
      assignors.add(KafkaReceiverConfig.STRATEGIES.get(s));
    }
    p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, String.join(",", assignors));
    if (!config.rackId().isEmpty()) {
      p.put(ConsumerConfig.CLIENT_RACK_CONFIG, config.rackId());
    }
    return p;
  }

  /**
   * The poll thread: owns the Kafka consumer and the partitions' bookkeeping that only it
   * touches (assignment, pausing, committed offsets).
   */
  private final class PollLoop implements Runnable, ConsumerRebalanceListener {
    final Promise<Void> started = Promise.promise();
    final Promise<Void> stopped = Promise.promise();
    final TopicSignals topics = new TopicSignals(config, next.keySet());
    final Map<TopicPartition, PartitionWorker> partitions = new HashMap<>();
    volatile boolean running = true;
    volatile int paused;
    volatile int assigned;
    private KafkaConsumer<byte[], byte[]> consumer;

    Future<Void> stop() {
      running = false;
      KafkaConsumer<byte[], byte[]> c = consumer;
      if (c != null) {
        c.wakeup();
      }
      return stopped.future();
    }

    @Override
    public void run() {
      try {
        consumer = new KafkaConsumer<>(consumerProperties(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
        if (topics.byPattern()) {
          consumer.subscribe(topics.pattern(), this);
        } else {
          consumer.subscribe(topics.names(), this);
        }
      } catch (RuntimeException e) {
        if (consumer != null) {
          consumer.close(Duration.ZERO);
        }
        Throwable cause = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith("Failed to")
            ? e.getCause() : e;
        started.fail(new IllegalStateException("Receiver '" + id + "' cannot create its Kafka consumer for "
            + config.brokers() + ": " + cause.getMessage(), e));
        stopped.complete();
        return;
      }
      LOG.info("Receiver '{}' reads {} from Kafka at {}{} in consumer group '{}'", id, topics, config.brokers(),
          KafkaTls.enabled(config.client().effectiveTls()) ? " over TLS" : "", config.groupId());
      started.complete();
      try {
        loop();
        drain();
      } catch (RuntimeException e) {
        LOG.error("Receiver '{}' stopped reading from Kafka", id, e);
      } finally {
        try {
          consumer.close(Duration.ofSeconds(5));
        } catch (RuntimeException e) {
          LOG.warn("Receiver '{}': closing the Kafka consumer failed", id, e);
        }
        for (PartitionWorker w : partitions.values()) {
          w.revoke();
        }
        partitions.clear();
        assignedNow.clear();
        assigned = 0;
        paused = 0;
        stopped.complete();
      }
    }

    /**
     * Each partition's lag: the records after the last one the pipeline acknowledged (or, before
     * any, after the consumer's position), from the brokers' end offsets. A paused partition is
     * not fetched, so the consumer's own lag figure would stand still: the end offsets are asked for.
     */
    private void refreshLag() {
      if (partitions.isEmpty()) {
        return;
      }
      Map<TopicPartition, Long> ends;
      try {
        ends = consumer.endOffsets(partitions.keySet(), LAG_TIMEOUT);
      } catch (WakeupException e) {
        throw e;
      } catch (RuntimeException e) {
        return; // asked again at the next refresh
      }
      for (PartitionWorker w : partitions.values()) {
        Long end = ends.get(w.tp);
        if (end == null) {
          continue;
        }
        long from = w.acknowledged;
        if (from < 0) {
          try {
            from = consumer.position(w.tp, Duration.ZERO);
          } catch (RuntimeException e) {
            continue;
          }
        }
        w.lag = Math.max(0, end - from);
      }
    }

    private void loop() {
      long nextLag = System.nanoTime();
      long interval = config.autocommit().interval().toNanos();
      long nextCommit = System.nanoTime() + interval;
      while (running) {
        try {
          updatePauses();
          ConsumerRecords<byte[], byte[]> records = consumer.poll(POLL_TIMEOUT);
          for (TopicPartition tp : records.partitions()) {
            PartitionWorker w = partitions.get(tp);
            List<ConsumerRecord<byte[], byte[]>> list = records.records(tp);
            if (w != null && !list.isEmpty()) {
              w.handOff(list);
            }
          }
          long now = System.nanoTime();
          if (now - nextLag >= 0) {
            refreshLag();
            nextLag = now + LAG_REFRESH_NANOS;
          }
          if (!config.autocommit().enable() || now - nextCommit >= 0) {
            commitAcknowledged(false);
            nextCommit = now + interval;
          }
        } catch (WakeupException e) {
          // stop() or a worker asked for attention; the loop condition decides
        } catch (RuntimeException e) {
          pollLog.log("Receiver '{}': polling Kafka at {} failed; trying again: {}", id, config.brokers(),
              e.toString());
          sleepQuietly(1000);
        }
      }
    }

    /** Stopping: no new chunks go to the pipeline; the ones in it get a bounded time to be acknowledged. */
    private void drain() {
      for (PartitionWorker w : partitions.values()) {
        w.stopping = true;
      }
      try {
        consumer.pause(consumer.assignment());
        try {
          consumer.poll(Duration.ZERO); // takes the wakeup stop() left, so the calls below do not throw it
        } catch (WakeupException e) {
          // expected
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_WAIT_MILLIS);
        while (partitions.values().stream().anyMatch(PartitionWorker::busy) && System.nanoTime() < deadline) {
          try {
            consumer.poll(POLL_TIMEOUT); // keeps the membership alive; nothing comes back, all is paused
          } catch (WakeupException e) {
            // already stopping
          }
        }
        commitAcknowledged(true);
      } catch (RuntimeException e) {
        LOG.warn("Receiver '{}': committing the acknowledged offsets while stopping failed", id, e);
      }
    }

    private void updatePauses() {
      List<TopicPartition> toPause = new ArrayList<>();
      List<TopicPartition> toResume = new ArrayList<>();
      for (PartitionWorker w : partitions.values()) {
        boolean full = w.full();
        if (full && !w.paused) {
          toPause.add(w.tp);
          w.paused = true;
        } else if (!full && w.paused) {
          toResume.add(w.tp);
          w.paused = false;
        }
      }
      if (!toPause.isEmpty()) {
        consumer.pause(toPause);
      }
      if (!toResume.isEmpty()) {
        consumer.resume(toResume);
      }
      if (!toPause.isEmpty() || !toResume.isEmpty()) {
        int n = 0;
        for (PartitionWorker w : partitions.values()) {
          n += w.paused ? 1 : 0;
        }
        paused = n;
        LOG.debug("Receiver '{}': paused {}, resumed {}", id, toPause, toResume);
      }
    }

    /** Commits, for every partition, the offset after the records the pipeline acknowledged. */
    private void commitAcknowledged(boolean sync) {
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      for (PartitionWorker w : partitions.values()) {
        long a = w.acknowledged;
        if (a > w.committed) {
          offsets.put(w.tp, new OffsetAndMetadata(a));
        }
      }
      commit(offsets, sync);
    }

    private void commit(Map<TopicPartition, OffsetAndMetadata> offsets, boolean sync) {
      if (offsets.isEmpty()) {
        return;
      }
      if (sync) {
        consumer.commitSync(offsets, Duration.ofSeconds(10));
        offsets.forEach((tp, o) -> {
          PartitionWorker w = partitions.get(tp);
          if (w != null) {
            w.committed = Math.max(w.committed, o.offset());
          }
        });
        return;
      }
      offsets.forEach((tp, o) -> partitions.get(tp).committed = o.offset());
      consumer.commitAsync(offsets, (done, e) -> {
        if (e != null) {
          // Committed again at the next round.
          done.keySet().forEach(tp -> {
            PartitionWorker w = partitions.get(tp);
            if (w != null) {
              w.committed = -1;
            }
          });
          if (e instanceof RebalanceInProgressException) {
            LOG.debug("Receiver '{}': a rebalance holds up the commit of {}; it is made again", id, done);
          } else {
            pollLog.log("Receiver '{}': committing offsets failed; trying again: {}", id, e.toString());
          }
        }
      });
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
      for (TopicPartition tp : revoked) {
        PartitionWorker w = partitions.remove(tp);
        if (w == null) {
          continue;
        }
        w.revoke();
        long a = w.acknowledged;
        if (a > w.committed) {
          offsets.put(tp, new OffsetAndMetadata(a));
        }
      }
      try {
        commit(offsets, true);
      } catch (RuntimeException e) {
        LOG.warn("Receiver '{}': committing the acknowledged offsets of revoked partitions {} failed; their next"
            + " owner reads from the offsets committed before", id, offsets.keySet(), e);
      }
      refreshCounts();
      if (!revoked.isEmpty()) {
        LOG.info("Receiver '{}': partitions {} were revoked; committed {}", id, revoked, offsets.values().stream()
            .map(OffsetAndMetadata::offset).toList());
      }
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      for (TopicPartition tp : lost) {
        PartitionWorker w = partitions.remove(tp);
        if (w != null) {
          w.revoke();
        }
      }
      refreshCounts();
      LOG.warn("Receiver '{}': partitions {} were lost (the group moved on without this member); their records"
          + " not yet committed are read again by their new owner", id, lost);
    }

    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> added) {
      for (TopicPartition tp : added) {
        Signal s = topics.signalOf(tp.topic());
        if (s == null) {
          continue;
        }
        Context c = contexts[Math.floorMod(tp.hashCode(), contexts.length)];
        partitions.put(tp, new PartitionWorker(KafkaReceiver.this, tp, s, config.encoding(s), next.get(s), c));
      }
      refreshCounts();
      if (!added.isEmpty()) {
        LOG.info("Receiver '{}': partitions {} were assigned", id, added);
      }
    }

    private void refreshCounts() {
      assignedNow.keySet().retainAll(partitions.keySet());
      assignedNow.putAll(partitions);
      assigned = partitions.size();
      int n = 0;
      for (PartitionWorker w : partitions.values()) {
        n += w.paused ? 1 : 0;
      }
      paused = n;
    }
  }

  private static void sleepQuietly(long millis) {
    try {
      Thread.sleep(millis); // the poll thread's own pause after a failed poll; no event loop waits on it
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
