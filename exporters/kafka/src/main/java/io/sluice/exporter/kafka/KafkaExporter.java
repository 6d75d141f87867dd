package io.sluice.exporter.kafka;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.RequestSender;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.translation.kafka.KafkaEncoding;
import io.sluice.translation.kafka.KafkaPartitioner;
import io.sluice.translation.kafka.KafkaPayloads;
import io.sluice.translation.kafka.KafkaTls;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.WeakHashMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.InvalidTopicException;
import org.apache.kafka.common.errors.RecordBatchTooLargeException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The {@code kafka} exporter's own part. On the exporter helper's context it cuts batches into
 * requests ({@link MessagePlanner}), names each request's partition as its key (so the helper
 * sends one request per partition at a time, in order, and a retried request holds back the later
 * ones of its partition), and encodes the message values. Handing records to the Kafka producer
 * happens on one thread of the exporter's own, because the producer may block there (fetching a
 * new topic's metadata, waiting for room in its buffer), which an event loop must never do. A
 * request completes once Kafka acknowledged every record of it, from the producer's callbacks;
 * a retry writes only the records not acknowledged yet.
 */
final class KafkaExporter implements RequestSender {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaExporter.class);
  /** How long the producer may take to send what it holds when the exporter shuts down. */
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(10);
  /** How often a topic's partition count is looked up again while it is being written. */
  private static final long PARTITIONS_REFRESH_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final ComponentContext ctx;
  private final String id;
  private final KafkaExporterConfig config;
  private final MessagePlanner planner;
  private final KafkaPartitioner partitioner;
  /** The plan of every request the helper holds; a request the helper let go is forgotten with it. */
  private final Map<Batch, Planned> plans = new WeakHashMap<>();
  private final Map<String, TopicPartitions> partitionCounts = new ConcurrentHashMap<>();
  private final List<Header> staticHeaders;
  private volatile KafkaProducer<byte[], byte[]> producer;
  private ExecutorService producerThread;

  KafkaExporter(ComponentContext ctx, KafkaExporterConfig config) {
    this.ctx = ctx;
    this.id = ctx.id().toString();
    this.config = config;
    RateLimitedLog invalidLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
    this.planner = new MessagePlanner(config, this::partitionCount, n -> invalidLog.log("Exporter '{}' left out {}"
        + " spans whose trace ID is not 16 bytes, span ID not 8 bytes or parent span ID not 8 bytes: jaeger_proto"
        + " cannot carry them", id, n));
    this.partitioner = config.partitioner();
    List<Header> h = new ArrayList<>();
    config.recordHeaders().forEach((k, v) -> h.add(new RecordHeader(k, v == null ? new byte[0]
        : v.getBytes(StandardCharsets.UTF_8))));
    this.staticHeaders = List.copyOf(h);
  }

  /** A topic's partition count as last looked up. */
  private record TopicPartitions(int count, long lookedUpNanos) {
  }

  /** The partition count of a topic, or -1 when it was never looked up. */
  int partitionCount(String topic) {
    TopicPartitions t = partitionCounts.get(topic);
    return t == null ? -1 : t.count();
  }

  /** How long the Kafka client tries to deliver one record: {@code timeout} plus {@code linger}. */
  Duration deliveryTimeout() {
    return config.timeout().isZero() ? Duration.ofMinutes(2) : requestTimeout().plus(config.producer().linger());
  }

  private Duration requestTimeout() {
    return config.timeout().isZero() ? Duration.ofSeconds(30) : config.timeout();
  }

  /** The producer's properties: the connection's, and how it batches, compresses and acknowledges. */
  Map<String, Object> producerProperties() {
    Map<String, Object> p = config.client().properties(ctx.vertx());
    KafkaExporterConfig.Producer c = config.producer();
    boolean all = c.requiredAcks() == -1;
    p.put(ProducerConfig.ACKS_CONFIG, all ? "all" : Integer.toString(c.requiredAcks()));
    // Idempotence needs acks=all; with it the broker drops the duplicates a retry would make.
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, all);
    p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
    p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, c.compression());
    int level = c.compressionParams().level();
    if (level != -1) {
      switch (c.compression()) {
        case "gzip" -> p.put(ProducerConfig.COMPRESSION_GZIP_LEVEL_CONFIG, level);
        case "lz4" -> p.put(ProducerConfig.COMPRESSION_LZ4_LEVEL_CONFIG, level);
        case "zstd" -> p.put(ProducerConfig.COMPRESSION_ZSTD_LEVEL_CONFIG, level);
        default -> {
          // snappy has no levels
        }
      }
    }
    p.put(ProducerConfig.LINGER_MS_CONFIG, (int) Math.min(Integer.MAX_VALUE, c.linger().toMillis()));
    p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, c.maxMessageBytes());
    p.put(ProducerConfig.BATCH_SIZE_CONFIG, Math.max(16_384, Math.min(c.maxMessageBytes(), 1 << 20)));
    p.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(64L << 20, 4L * c.maxMessageBytes()));
    int request = (int) Math.min(Integer.MAX_VALUE, requestTimeout().toMillis());
    int delivery = (int) Math.min(Integer.MAX_VALUE, deliveryTimeout().toMillis());
    p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, request);
    p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, delivery);
    p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (long) delivery);
    return p;
  }

  Future<Void> start() {
    Promise<Void> started = Promise.promise();
    ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "sluice-kafka-producer-" + id);
      t.setDaemon(true);
      return t;
    });
    producerThread = thread;
    thread.execute(() -> {
      try {
        producer = new KafkaProducer<>(producerProperties(), new ByteArraySerializer(), new ByteArraySerializer());
        started.complete();
      } catch (RuntimeException e) {
        Throwable cause = e.getCause() != null && e.getMessage() != null && e.getMessage().startsWith("Failed to")
            ? e.getCause() : e;
        started.fail(new IllegalStateException("Exporter '" + id + "' cannot create its Kafka producer for "
            + config.brokers() + ": " + cause.getMessage(), e));
      }
    });
    return started.future().onSuccess(v -> LOG.info("Exporter '{}' writes to Kafka at {}{}: {}; acks={}{},"
        + " compression {}", id, config.brokers(), KafkaTls.enabled(config.client().effectiveTls()) ? " over TLS" : "",
        describeSignals(), config.producer().requiredAcks() == -1 ? "all" : config.producer().requiredAcks(),
        config.producer().requiredAcks() == -1 ? " (idempotent)" : "", config.producer().compression()))
        .onFailure(e -> thread.shutdown());
  }

  private String describeSignals() {
    List<String> parts = new ArrayList<>();
    for (Signal s : Signal.values()) {
      String keyed = switch (s) {
        case TRACES -> config.partitionTracesById() ? ", keyed by trace ID" : "";
        case METRICS -> config.partitionMetricsByResourceAttributes() ? ", keyed by resource" : "";
        case LOGS -> config.partitionLogsByTraceId() ? ", keyed by trace ID"
            : config.partitionLogsByResourceAttributes() ? ", keyed by resource" : "";
      };
      parts.add(s + " to '" + config.topic(s) + "' (" + config.encoding(s) + keyed + ")");
    }
    return String.join(", ", parts);
  }

  Future<Void> shutdown() {
    KafkaProducer<byte[], byte[]> p = producer;
    ExecutorService thread = producerThread;
    producer = null;
    producerThread = null;
    if (thread == null) {
      return Future.succeededFuture();
    }
    Promise<Void> closed = Promise.promise();
    try {
      thread.execute(() -> {
        try {
          if (p != null) {
            p.close(CLOSE_TIMEOUT);
          }
        } catch (RuntimeException e) {
          LOG.warn("Exporter '{}': closing the Kafka producer failed", id, e);
        } finally {
          closed.complete();
        }
      });
    } catch (RejectedExecutionException e) {
      closed.complete();
    }
    thread.shutdown();
    return closed.future();
  }

  // ---- on the helper's context ----

  /** The requests a batch goes out as; the helper queues, sends and retries each on its own. */
  List<Batch> split(Batch batch) {
    if (planner.passesThrough(batch)) {
      // A request of its own even when it carries the batch as it came: a plan belongs to one
      // consume() (the same batch given twice is written twice).
      Batch request = batch.withEncoded(batch.encoded());
      plans.put(request, planner.whole(request));
      return List.of(request);
    }
    List<Planned> planned = planner.plan(batch);
    List<Batch> requests = new ArrayList<>(planned.size());
    for (Planned p : planned) {
      Batch request = batch.withEncoded(content(batch.signal(), p));
      plans.put(request, p);
      requests.add(request);
    }
    return requests;
  }

  private static EncodedResources content(Signal signal, Planned p) {
    List<EncodedResources> parts = new ArrayList<>(p.messages.size());
    for (Planned.Message m : p.messages) {
      parts.add(m.content());
    }
    return EncodedResources.concat(signal, parts);
  }

  /** A keyed request's topic and partition: the helper sends one such request at a time, in order. */
  Object keyOf(Batch request) {
    List<Planned> ps = plansOf(request);
    if (ps.size() != 1) {
      return null;
    }
    Planned p = ps.get(0);
    return p.keyed ? new Planned.PartitionKey(p.topic, p.partition) : null;
  }

  /**
   * The plan of a request: the one split() made, else (a request the helper read back from a
   * persistent queue, or merged) planned again from its content, which gives the same messages.
   */
  private List<Planned> plansOf(Batch request) {
    Planned p = plans.get(request);
    if (p != null) {
      return List.of(p);
    }
    List<Planned> ps = planner.passesThrough(request) ? List.of(planner.whole(request)) : planner.plan(request);
    if (ps.size() == 1) {
      plans.put(request, ps.get(0));
    }
    return ps;
  }

  @Override
  public Future<Void> send(Batch request) {
    List<Planned> ps;
    try {
      ps = plansOf(request);
    } catch (RuntimeException e) {
      return Future.failedFuture(new PermanentException("Exporter '" + id + "' could not read the "
          + request.signal() + " it was given: " + e.getMessage(), e));
    }
    if (ps.size() == 1) {
      return write(request, ps.get(0));
    }
    List<Future<Void>> parts = new ArrayList<>(ps.size());
    for (Planned part : ps) {
      parts.add(write(request, part));
    }
    return Future.all(parts).mapEmpty();
  }

  private Future<Void> write(Batch request, Planned p) {
    KafkaProducer<byte[], byte[]> prod = producer;
    ExecutorService thread = producerThread;
    if (prod == null || thread == null) {
      return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no Kafka producer"));
    }
    if (p.values == null) {
      try {
        p.values = values(request.signal(), p);
      } catch (RuntimeException e) {
        return Future.failedFuture(new PermanentException("Exporter '" + id + "' could not encode "
            + request.signal() + " as " + config.encoding(request.signal()) + ": " + e.getMessage(), e));
      }
      p.delivered = new AtomicIntegerArray(p.values.size());
    }
    List<Header> headers = headers(request);
    Promise<Void> done = Promise.promise();
    try {
      thread.execute(() -> writeAll(prod, p, headers, done));
    } catch (RejectedExecutionException e) {
      done.fail(new RetryableException("Exporter '" + id + "' is shutting down", e));
    }
    return done.future();
  }

  /** The record values of a request: each message's, cut to {@code max_message_bytes}. */
  private List<Planned.Value> values(Signal signal, Planned p) {
    KafkaEncoding encoding = config.encoding(signal);
    long max = config.maxValueBytes();
    List<Planned.Value> out = new ArrayList<>(p.messages.size());
    for (Planned.Message m : p.messages) {
      if (m.raw() != null) {
        out.add(new Planned.Value(m.key(), m.raw()));
      } else {
        for (byte[] v : KafkaPayloads.encodeWithin(signal, encoding, m.content(), max)) {
          out.add(new Planned.Value(m.key(), v));
        }
      }
    }
    return out;
  }

  private List<Header> headers(Batch request) {
    if (config.includeMetadataKeys().isEmpty()) {
      return staticHeaders;
    }
    List<Header> h = new ArrayList<>(staticHeaders);
    Map<String, String> md = request.envelope().metadata();
    for (String k : config.includeMetadataKeys()) {
      String v = md.get(k);
      if (v != null) {
        h.add(new RecordHeader(k, v.getBytes(StandardCharsets.UTF_8)));
      }
    }
    return h;
  }

  // ---- on the producer thread ----

  /** Hands every record not yet acknowledged to the producer; completes {@code done} once all are settled. */
  private void writeAll(KafkaProducer<byte[], byte[]> prod, Planned p, List<Header> headers, Promise<Void> done) {
    int n = p.values.size();
    AtomicInteger unsettled = new AtomicInteger(n + 1);
    AtomicReference<Throwable> error = new AtomicReference<>();
    int count = -1;
    if (p.keyed) {
      try {
        count = lookUpPartitions(prod, p.topic, p.partition < 0);
      } catch (RuntimeException e) {
        done.fail(failure(p.topic, e));
        return;
      }
    }
    for (int i = 0; i < n; i++) {
      if (p.delivered.get(i) == 1) {
        unsettled.decrementAndGet();
        continue;
      }
      Planned.Value v = p.values.get(i);
      Integer partition = p.partition >= 0 ? Integer.valueOf(p.partition)
          : v.key() != null && count > 0 ? Integer.valueOf(partitioner.partition(v.key(), count)) : null;
      int index = i;
      try {
        prod.send(new ProducerRecord<>(p.topic, partition, null, v.key(), v.value(), headers), (md, e) -> {
          if (e == null) {
            p.delivered.set(index, 1);
          } else {
            error.compareAndSet(null, e);
          }
          if (unsettled.decrementAndGet() == 0) {
            settle(p, error.get(), done);
          }
        });
      } catch (RuntimeException e) {
        error.compareAndSet(null, e);
        unsettled.decrementAndGet();
      }
    }
    if (unsettled.decrementAndGet() == 0) {
      settle(p, error.get(), done);
    }
  }

  private void settle(Planned p, Throwable error, Promise<Void> done) {
    if (error == null) {
      done.complete();
    } else {
      done.fail(failure(p.topic, error));
    }
  }

  /**
   * A topic's partition count, looked up from the producer (blocking when the producer does not
   * know the topic yet) when it is unknown, {@code force}d, or old.
   */
  private int lookUpPartitions(KafkaProducer<byte[], byte[]> prod, String topic, boolean force) {
    TopicPartitions known = partitionCounts.get(topic);
    long now = System.nanoTime();
    if (known != null && !force && now - known.lookedUpNanos() < PARTITIONS_REFRESH_NANOS) {
      return known.count();
    }
    List<PartitionInfo> parts = prod.partitionsFor(topic);
    int n = parts == null ? 0 : parts.size();
    if (n > 0) {
      partitionCounts.put(topic, new TopicPartitions(n, now));
    }
    return n;
  }

  private Throwable failure(String topic, Throwable e) {
    String message = "Exporter '" + id + "' could not write to Kafka topic '" + topic + "': "
        + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
    if (e instanceof RecordTooLargeException || e instanceof RecordBatchTooLargeException
        || e instanceof InvalidTopicException || e instanceof SerializationException) {
      return new PermanentException(message, e);
    }
    return new RetryableException(message, e);
  }
}
