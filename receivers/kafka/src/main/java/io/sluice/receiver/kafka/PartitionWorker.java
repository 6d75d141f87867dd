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
 * into the pipeline, one chunk at a time so the partition's order holds, and once the pipeline
 * acknowledged a chunk it moves {@link #acknowledged} past it: the offset the poll thread commits.
 *
 * <p>A chunk the pipeline refuses with a retryable error (backpressure) is offered again after a
 * backoff while the partition is paused ({@link #full()}); with {@code message_marking.on_error}
 * it is given up when the backoff allows no more. A chunk refused as bad data, and a message that
 * cannot be decoded, are counted, logged and passed over.
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

  /** The offset after the last record the pipeline acknowledged (or passed over); -1 before any. */
  volatile long acknowledged = -1;
  /** Chunks handed over and not yet acknowledged or dropped. */
  private final AtomicInteger inFlight = new AtomicInteger();
  /** The partition was taken away (or the receiver stops): nothing of it is offered or acknowledged any more. */
  private volatile boolean revoked;
  /** The receiver is stopping: no new chunk goes to the pipeline. */
  volatile boolean stopping;
  /** The pipeline refused the current chunk and it waits to be offered again. */
  private volatile boolean refused;
  /** A chunk is in the pipeline or waiting to be offered again. */
  private volatile boolean inPipeline;

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

  /** Context only: chunks waiting their turn. */
  private final ArrayDeque<List<ConsumerRecord<byte[], byte[]>>> waiting = new ArrayDeque<>();
  private boolean sending;
  private long timer = -1;

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

  /** True when the partition should be paused: too many chunks in flight, or the pipeline pushing back. */
  boolean full() {
    return refused || inFlight.get() >= KafkaReceiver.MAX_CHUNKS_IN_FLIGHT;
  }

  /** True while a chunk is in the pipeline (or waits to be offered again). */
  boolean busy() {
    return inPipeline;
  }

  void handOff(List<ConsumerRecord<byte[], byte[]>> records) {
    inFlight.incrementAndGet();
    context.runOnContext(v -> offer(records));
  }

  /** The partition is no longer this member's: what is not acknowledged is forgotten. */
  void revoke() {
    revoked = true;
    context.runOnContext(v -> {
      waiting.clear();
      if (timer >= 0) {
        receiver.ctx.vertx().cancelTimer(timer);
        timer = -1;
        sending = false;
        inPipeline = false;
      }
    });
  }

  // ---- on the context ----

  private void offer(List<ConsumerRecord<byte[], byte[]>> records) {
    if (revoked || stopping) {
      inFlight.decrementAndGet();
      return;
    }
    waiting.add(records);
    pump();
  }

  /** Starts on the next chunk when none is being decoded or is in the pipeline. */
  private void pump() {
    while (!sending) {
      List<ConsumerRecord<byte[], byte[]>> records = waiting.poll();
      if (records == null) {
        return;
      }
      if (revoked || stopping) {
        inFlight.decrementAndGet();
        continue;
      }
      sending = true;
      inPipeline = true;
      Envelope envelope = new Envelope(receiver.ctx.id(), System.nanoTime(), "", metadata);
      decode(records, 0, new ArrayList<>(records.size()), envelope);
    }
  }

  /**
   * Decodes the chunk's messages from {@code from} on, about {@link #DECODE_SLICE_BYTES} per turn of
   * the event loop, then offers the batch they make (or passes the chunk over when none decodes).
   */
  private void decode(List<ConsumerRecord<byte[], byte[]>> records, int from, List<Batch> parts,
      Envelope envelope) {
    int i = decodeSlice(records, from, parts, envelope);
    long after = records.get(records.size() - 1).offset() + 1;
    if (i < records.size()) {
      context.runOnContext(v -> {
        if (revoked || stopping) {
          inFlight.decrementAndGet();
          idle();
          pump();
        } else {
          decode(records, i, parts, envelope);
        }
      });
      return;
    }
    Batch batch = parts.isEmpty() ? null : Batch.join(signal, parts, envelope);
    if (batch == null || batch.isEmpty()) {
      settle(after);
      idle();
      pump();
      return;
    }
    attempt(batch, after, 0, System.nanoTime());
  }

  private void attempt(Batch batch, long after, int attempt, long firstTry) {
    int items = batch.itemCount();
    Future<Void> f;
    try {
      f = next.consume(batch);
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete(ar -> context.runOnContext(v -> answered(ar, batch, after, attempt, firstTry, items)));
  }

  private void answered(AsyncResult<Void> ar, Batch batch, long after, int attempt, long firstTry, int items) {
    if (revoked) {
      // Not acknowledged here any more: the partition's new owner reads these records again.
      idle();
      return;
    }
    if (ar.succeeded()) {
      receiver.metrics.accepted(signal, items);
      done(after);
      return;
    }
    receiver.metrics.refused(signal, items);
    Throwable cause = ar.cause();
    if (PermanentException.isPermanent(cause)) {
      receiver.droppedLog.log("Receiver '{}' dropped {} {} from {} (offsets before {}): its pipeline refused them as"
          + " bad data: {}", receiver.id, items, signal.itemName(), tp, after, cause.toString());
      done(after);
      return;
    }
    if (stopping) {
      idle(); // not acknowledged: read again after a restart
      return;
    }
    RetrySettings backoff = receiver.config.errorBackoff();
    boolean outOfTime = !backoff.enabled() || (!backoff.maxElapsedTime().isZero()
        && System.nanoTime() - firstTry >= backoff.maxElapsedTime().toNanos());
    if (receiver.config.messageMarking().giveUpOnError() && outOfTime) {
      receiver.droppedLog.log("Receiver '{}' gave up on {} {} from {} (offsets before {}) that its pipeline refused"
          + " (message_marking.on_error): {}", receiver.id, items, signal.itemName(), tp, after, cause.toString());
      done(after);
      return;
    }
    refused = true;
    long delay = backoff.delayMillis(attempt);
    receiver.refusedLog.log("Receiver '{}': the pipeline refused {} {} from {} ({}); the partition is paused and"
        + " they are offered again in {} ms", receiver.id, items, signal.itemName(), tp, cause.toString(), delay);
    timer = receiver.ctx.vertx().setTimer(delay, t -> {
      timer = -1;
      if (revoked || stopping) {
        idle();
        return;
      }
      attempt(batch, after, attempt + 1, firstTry);
    });
  }

  /** The chunk is acknowledged (or passed over for good): on to the next. */
  private void done(long after) {
    refused = false;
    settle(after);
    idle();
    pump();
  }

  private void idle() {
    sending = false;
    inPipeline = false;
  }

  private void settle(long after) {
    acknowledged = after;
    inFlight.decrementAndGet();
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
