package io.sluice.receiver.kafka;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Batch;
import io.sluice.core.Consumer;
import io.sluice.core.Envelope;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.translation.kafka.KafkaEncoding;
import io.sluice.translation.kafka.KafkaPayloads;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

/**
 * One assigned partition of a {@link KafkaReceiver}. The poll thread hands it chunks of records
 * (one poll's worth); on its event-loop context it decodes a chunk into one batch and pushes it
 * into the pipeline, chunk after chunk in offset order, without waiting for the pipeline to
 * acknowledge the one before: several chunks of the partition may be in the pipeline at once
 * (bounded by {@link KafkaReceiver#MAX_CHUNKS_IN_FLIGHT} and the receiver's bytes in flight), as a
 * pipeline that acknowledges late (tail sampling, after its decisions) needs to keep its rate.
 * The pipeline may acknowledge them in any order; {@link #acknowledged}, the offset the poll
 * thread commits, moves only past the acknowledged prefix ({@link AckedPrefix}).
 *
 * <p>A chunk the pipeline refuses with a retryable error (backpressure) is offered again after a
 * backoff while the partition is paused ({@link #full()}) and no new chunk is offered; with
 * {@code message_marking.on_error} it is given up when the backoff allows no more. A chunk refused
 * as bad data, and a message that cannot be decoded, are counted, logged and passed over.
 *
 * <p>Fields the poll thread reads are volatile or atomic; the rest is touched on the context only,
 * and the poll thread's own ({@link #committed}, {@link #paused}) on the poll thread only.
 */
final class PartitionWorker {
  private final KafkaReceiver receiver;
  final TopicPartition tp;
  private final Signal signal;
  private final KafkaEncoding encoding;
  private final Consumer next;
  private final Context context;
  private final Map<String, String> metadata;

  /** The offset after the acknowledged prefix of records (acknowledged or passed over); -1 before any. */
  volatile long acknowledged = -1;
  /** Chunks handed over and not yet in the acknowledged prefix or dropped. */
  private final AtomicInteger inFlight = new AtomicInteger();
  /** The partition was taken away (or the receiver stops): nothing of it is offered or acknowledged any more. */
  private volatile boolean revoked;
  /** The receiver is stopping: no new chunk goes to the pipeline. */
  volatile boolean stopping;
  /** Some chunk was refused by the pipeline and waits to be offered again. */
  private volatile boolean refused;
  /** Chunks being decoded, in the pipeline or waiting to be offered again. */
  private final AtomicInteger inPipeline = new AtomicInteger();

  /** Poll thread only: the offset last committed, -1 before any. */
  long committed = -1;
  /** Written on the poll thread only: the consumer has this partition paused. */
  volatile boolean paused;
  /** Written on the poll thread only: records after the last one acknowledged, -1 until known. */
  volatile long lag = -1;

  /**
   * Message bytes decoded in one turn of the event loop (eight times as many for
   * {@code otlp_proto}, which is only scanned): a large chunk is decoded over several turns so
   * that other work on the loop goes on in between.
   */
  static final long DECODE_SLICE_BYTES = 128 * 1024;

  /** Context only: chunks waiting their turn, with their bytes. */
  private final ArrayDeque<Waiting> waiting = new ArrayDeque<>();
  /** Context only: the chunks offered, in offset order, until their prefix is acknowledged. */
  private final AckedPrefix offered = new AckedPrefix();
  /** Context only: a chunk is being decoded. */
  private boolean decoding;
  /** Context only: refused chunks waiting for their backoff. */
  private int refusedChunks;
  /** Context only: the backoff timers of refused chunks. */
  private final Set<Long> timers = new HashSet<>();

  private record Waiting(List<ConsumerRecord<byte[], byte[]>> records, long bytes) {}

  PartitionWorker(KafkaReceiver receiver, TopicPartition tp, Signal signal, KafkaEncoding encoding, Consumer next,
      Context context) {
    this.receiver = receiver;
    this.tp = tp;
    this.signal = signal;
    this.encoding = encoding;
    this.next = next;
    this.context = context;
    this.metadata = Map.of("kafka.topic", tp.topic(), "kafka.partition", Integer.toString(tp.partition()));
  }

  // ---- called on the poll thread ----

  /**
   * True when the partition should be paused: too many chunks not yet acknowledged, the receiver's
   * bytes in flight at their bound, or the pipeline pushing back.
   */
  boolean full() {
    return refused || inFlight.get() >= KafkaReceiver.MAX_CHUNKS_IN_FLIGHT || receiver.bytesInFlightFull();
  }

  /** True while a chunk is being decoded, in the pipeline, or waits to be offered again. */
  boolean busy() {
    return inPipeline.get() > 0;
  }

  void handOff(List<ConsumerRecord<byte[], byte[]>> records) {
    long bytes = 0;
    for (ConsumerRecord<byte[], byte[]> r : records) {
      bytes += r.serializedValueSize() > 0 ? r.serializedValueSize() : 0;
    }
    inFlight.incrementAndGet();
    receiver.addBytesInFlight(bytes);
    long b = bytes;
    context.runOnContext(v -> offer(new Waiting(records, b)));
  }

  /** The partition is no longer this member's: what is not acknowledged is forgotten. */
  void revoke() {
    revoked = true;
    context.runOnContext(v -> {
      for (Waiting w : waiting) {
        receiver.addBytesInFlight(-w.bytes());
      }
      waiting.clear();
      for (Long t : timers) {
        receiver.ctx.vertx().cancelTimer(t);
        inPipeline.decrementAndGet();
      }
      timers.clear();
      for (AckedPrefix.Chunk c : offered.chunks()) {
        releaseBytes(c);
      }
      offered.clear();
    });
  }

  // ---- on the context ----

  private void offer(Waiting w) {
    if (revoked || stopping) {
      inFlight.decrementAndGet();
      receiver.addBytesInFlight(-w.bytes());
      return;
    }
    waiting.add(w);
    pump();
  }

  /**
   * Starts decoding the next chunk unless one is being decoded or the pipeline refused one that
   * waits to be offered again (then the partition is paused and the rest waits).
   */
  private void pump() {
    while (!decoding && refusedChunks == 0) {
      Waiting w = waiting.poll();
      if (w == null) {
        return;
      }
      if (revoked || stopping) {
        inFlight.decrementAndGet();
        receiver.addBytesInFlight(-w.bytes());
        continue;
      }
      decoding = true;
      inPipeline.incrementAndGet();
      List<ConsumerRecord<byte[], byte[]>> records = w.records();
      AckedPrefix.Chunk chunk = offered.add(records.get(records.size() - 1).offset() + 1, w.bytes());
      Envelope envelope = new Envelope(receiver.ctx.id(), System.nanoTime(), "", metadata);
      decode(records, 0, new ArrayList<>(records.size()), envelope, chunk);
    }
  }

  /**
   * Decodes the chunk's messages from {@code from} on, about {@link #DECODE_SLICE_BYTES} per turn of
   * the event loop, then offers the batch they make (or passes the chunk over when none decodes).
   */
  private void decode(List<ConsumerRecord<byte[], byte[]>> records, int from, List<Batch> parts,
      Envelope envelope, AckedPrefix.Chunk chunk) {
    int i = decodeSlice(records, from, parts, envelope);
    if (i < records.size()) {
      context.runOnContext(v -> {
        if (revoked || stopping) {
          decoding = false;
          inPipeline.decrementAndGet();
          pump();
        } else {
          decode(records, i, parts, envelope, chunk);
        }
      });
      return;
    }
    decoding = false;
    Batch batch = parts.isEmpty() ? null : Batch.join(signal, parts, envelope);
    if (batch == null || batch.isEmpty()) {
      inPipeline.decrementAndGet();
      done(chunk);
      return;
    }
    attempt(batch, chunk, 0, System.nanoTime());
    pump();
  }

  private void attempt(Batch batch, AckedPrefix.Chunk chunk, int attempt, long firstTry) {
    int items = batch.itemCount();
    Future<Void> f;
    try {
      f = next.consume(batch);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> context.runOnContext(v -> answered(ar, batch, chunk, attempt, firstTry, items)));
  }

  private void answered(AsyncResult<Void> ar, Batch batch, AckedPrefix.Chunk chunk, int attempt, long firstTry,
      int items) {
    if (revoked) {
      // Not acknowledged here any more: the partition's new owner reads these records again.
      inPipeline.decrementAndGet();
      return;
    }
    long after = chunk.after;
    if (ar.succeeded()) {
      receiver.metrics.accepted(signal, items);
      inPipeline.decrementAndGet();
      done(chunk);
      return;
    }
    receiver.metrics.refused(signal, items);
    Throwable cause = ar.cause();
    if (PermanentException.isPermanent(cause)) {
      receiver.droppedLog.log("Receiver '{}' dropped {} {} from {} (offsets before {}): its pipeline refused them as"
          + " bad data: {}", receiver.id, items, signal.itemName(), tp, after, cause.toString());
      inPipeline.decrementAndGet();
      done(chunk);
      return;
    }
    if (stopping) {
      inPipeline.decrementAndGet(); // not acknowledged: read again after a restart
      return;
    }
    RetrySettings backoff = receiver.config.errorBackoff();
    boolean outOfTime = !backoff.enabled() || (!backoff.maxElapsedTime().isZero()
        && System.nanoTime() - firstTry >= backoff.maxElapsedTime().toNanos());
    if (receiver.config.messageMarking().giveUpOnError() && outOfTime) {
      receiver.droppedLog.log("Receiver '{}' gave up on {} {} from {} (offsets before {}) that its pipeline refused"
          + " (message_marking.on_error): {}", receiver.id, items, signal.itemName(), tp, after, cause.toString());
      inPipeline.decrementAndGet();
      done(chunk);
      return;
    }
    if (!chunk.refused) {
      chunk.refused = true;
      refusedChunks++;
    }
    refused = true;
    long delay = backoff.delayMillis(attempt);
    receiver.refusedLog.log("Receiver '{}': the pipeline refused {} {} from {} ({}); the partition is paused and"
        + " they are offered again in {} ms", receiver.id, items, signal.itemName(), tp, cause.toString(), delay);
    long[] timer = new long[1];
    timer[0] = receiver.ctx.vertx().setTimer(delay, t -> {
      timers.remove(timer[0]);
      if (revoked || stopping) {
        inPipeline.decrementAndGet();
        return;
      }
      attempt(batch, chunk, attempt + 1, firstTry);
    });
    timers.add(timer[0]);
  }

  /** The chunk is acknowledged (or passed over for good): the prefix may move, and the next chunks go on. */
  private void done(AckedPrefix.Chunk chunk) {
    if (chunk.refused) {
      chunk.refused = false;
      refusedChunks--;
      refused = refusedChunks > 0;
    }
    releaseBytes(chunk);
    int left = offered.acknowledge(chunk);
    if (left > 0) {
      acknowledged = offered.acknowledged();
      inFlight.addAndGet(-left);
    }
    pump();
  }

  private void releaseBytes(AckedPrefix.Chunk chunk) {
    if (!chunk.bytesReleased) {
      chunk.bytesReleased = true;
      receiver.addBytesInFlight(-chunk.bytes);
    }
  }

  /**
   * Decodes messages from {@code from} into {@code parts} until about {@link #DECODE_SLICE_BYTES}
   * are done; returns the index of the first message left. A message that does not decode is
   * counted, logged and left out.
   */
  private int decodeSlice(List<ConsumerRecord<byte[], byte[]>> records, int from, List<Batch> parts,
      Envelope envelope) {
    long now = System.currentTimeMillis() * 1_000_000L;
    long budget = encoding.kind() == KafkaEncoding.Kind.OTLP_PROTO ? 8 * DECODE_SLICE_BYTES : DECODE_SLICE_BYTES;
    int bad = 0;
    int i = from;
    for (; i < records.size() && budget > 0; i++) {
      ConsumerRecord<byte[], byte[]> r = records.get(i);
      byte[] value = r.value();
      if (value == null) {
        continue; // a tombstone carries nothing
      }
      budget -= value.length;
      try {
        Batch b = KafkaPayloads.decode(signal, encoding, value, envelope, now);
        if (receiver.config.headerExtraction().enabled()) {
          b = withHeaders(b, r);
        }
        parts.add(b);
      } catch (RuntimeException e) {
        bad++;
        receiver.malformedLog.log("Receiver '{}' skipped a message it cannot decode as {} at {} offset {}: {}",
            receiver.id, encoding, tp, r.offset(), e.getMessage());
      }
    }
    if (bad > 0) {
      receiver.malformed.inc(bad);
    }
    return i;
  }

  /** The batch with the configured headers of its message as resource attributes {@code kafka.header.<name>}. */
  private Batch withHeaders(Batch batch, ConsumerRecord<byte[], byte[]> r) {
    List<KeyValue> attrs = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (String name : receiver.config.headerExtraction().headers()) {
      Header h = r.headers().lastHeader(name);
      if (h != null) {
        String key = "kafka.header." + name;
        keys.add(key);
        attrs.add(KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder()
            .setStringValue(h.value() == null ? "" : new String(h.value(), StandardCharsets.UTF_8))).build());
      }
    }
    if (attrs.isEmpty()) {
      return batch;
    }
    List<Object> out = new ArrayList<>();
    for (Object o : batch.resources()) {
      out.add(switch (signal) {
        case TRACES -> {
          ResourceSpans rs = (ResourceSpans) o;
          yield rs.toBuilder().setResource(withAttributes(rs.getResource(), keys, attrs)).build();
        }
        case METRICS -> {
          ResourceMetrics rm = (ResourceMetrics) o;
          yield rm.toBuilder().setResource(withAttributes(rm.getResource(), keys, attrs)).build();
        }
        case LOGS -> {
          ResourceLogs rl = (ResourceLogs) o;
          yield rl.toBuilder().setResource(withAttributes(rl.getResource(), keys, attrs)).build();
        }
      });
    }
    return batch.withResources(out);
  }

  private static Resource withAttributes(Resource r, Set<String> keys, List<KeyValue> attrs) {
    Resource.Builder b = r.toBuilder().clearAttributes();
    for (KeyValue kv : r.getAttributesList()) {
      if (!keys.contains(kv.getKey())) {
        b.addAttributes(kv);
      }
    }
    b.addAllAttributes(attrs);
    return b.build();
  }
}
