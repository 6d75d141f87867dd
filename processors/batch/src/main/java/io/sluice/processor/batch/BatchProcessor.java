package io.sluice.processor.batch;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Consumer;
import io.sluice.core.Envelope;
import io.sluice.core.Processor;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.config.GoDurations;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics.ProcessorMetrics;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code batch} processor of one pipeline.
 *
 * <p>Pending batches live on the instance's own context; {@link #consume} hops there and appends
 * the incoming resources. A pending batch is sent when it reaches {@code send_batch_size} items
 * or when the timer started by its first item fires. With {@code send_batch_max_size} set, an
 * incoming batch is cut so that every outgoing batch holds at most that many items.
 *
 * <p>Acknowledgement: every incoming batch has an {@link Incoming} entry counting the outgoing
 * batches that hold some of its items and are not acknowledged yet. Its future succeeds when
 * that count drops to zero after all its items were placed, and fails with the first failure of
 * any of those outgoing batches, unchanged.
 *
 * <p>With {@code timeout: 0} nothing is buffered: each incoming batch is sent at once (cut by
 * {@code send_batch_max_size}) from the caller's thread, without a hop.
 */
final class BatchProcessor implements Processor {
  private static final Logger LOG = LoggerFactory.getLogger(BatchProcessor.class);
  private static final BatchKey DEFAULT_KEY = new BatchKey("", List.of());

  private final ComponentId id;
  private final String pipeline;
  private final Signal signal;
  private final Consumer next;
  private final ContextInternal context;
  private final ProcessorMetrics metrics;
  private final int sendBatchSize;
  private final int maxSize;
  private final long timeoutMillis;
  private final boolean passThrough;
  private final List<String> metadataKeys;
  private final int cardinalityLimit;
  private final Duration retryAfter;

  // Touched only on the context.
  private final Map<BatchKey, Batcher> batchers = new HashMap<>();
  private boolean closed;

  // Touched from any thread.
  private volatile boolean shuttingDown;
  private volatile boolean flushed;
  private final AtomicBoolean shutdownCalled = new AtomicBoolean();
  private final Promise<Void> shutdownPromise = Promise.promise();
  /** Outgoing batches (incoming batches in pass-through mode) sent and not settled yet. */
  private final AtomicInteger inflight = new AtomicInteger();

  BatchProcessor(ComponentContext ctx, BatchProcessorConfig config, Signal signal, Consumer next) {
    this.id = ctx.id();
    this.pipeline = ctx.pipeline();
    this.signal = signal;
    this.next = next;
    this.context = ((VertxInternal) ctx.vertx()).createEventLoopContext();
    this.metrics = ctx.metrics().processor(ctx.id(), ctx.pipeline(), signal);
    this.sendBatchSize = config.sendBatchSize();
    this.maxSize = config.sendBatchMaxSize();
    Duration timeout = config.timeout();
    this.passThrough = timeout.isZero();
    this.timeoutMillis = passThrough ? 0 : Math.max(1, timeout.toMillis());
    this.metadataKeys = List.copyOf(config.metadataKeys());
    this.cardinalityLimit = config.metadataCardinalityLimit();
    this.retryAfter = passThrough ? Duration.ofSeconds(1) : timeout;
  }

  @Override
  public Future<Void> start() {
    LOG.info("Batch processor \"{}\" in pipeline \"{}\" started (send_batch_size {}, send_batch_max_size {},"
        + " timeout {})", id, pipeline, sendBatchSize, maxSize, GoDurations.format(Duration.ofMillis(timeoutMillis)));
    return Future.succeededFuture();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    if (shuttingDown) {
      return Future.failedFuture(shuttingDownError());
    }
    int items = batch.itemCount();
    metrics.incoming(items);
    if (items == 0) {
      return Future.succeededFuture();
    }
    if (passThrough) {
      return passThrough(batch, items);
    }
    Incoming in = new Incoming(batch.envelope());
    context.runOnContext(v -> accept(batch, items, in));
    return in.promise.future();
  }

  @Override
  public Future<Void> shutdown() {
    if (!shutdownCalled.compareAndSet(false, true)) {
      return shutdownPromise.future();
    }
    shuttingDown = true;
    if (passThrough) {
      flushed = true;
      maybeFinishShutdown();
    } else {
      context.runOnContext(v -> flushAll());
    }
    return shutdownPromise.future()
        .onSuccess(v -> LOG.info("Batch processor \"{}\" in pipeline \"{}\" shut down", id, pipeline));
  }

  // ---- pass-through (timeout 0) -------------------------------------------------------------

  private Future<Void> passThrough(Batch batch, int items) {
    inflight.incrementAndGet();
    if (shuttingDown) {
      release();
      return Future.failedFuture(shuttingDownError());
    }
    if (maxSize == 0 || items <= maxSize) {
      metrics.batchSent(items, false);
      metrics.outgoing(items);
      return send(batch).onComplete((v, err) -> release());
    }
    List<Batch> parts = new ArrayList<>(items / maxSize + 1);
    Batch rest = batch;
    int left = items;
    while (left > maxSize) {
      Batch[] p = cut(rest, maxSize);
      parts.add(p[0]);
      rest = p[1];
      left -= maxSize;
    }
    parts.add(rest);
    Promise<Void> result = Promise.promise();
    AtomicInteger unsettled = new AtomicInteger(parts.size());
    for (int i = 0; i < parts.size(); i++) {
      int n = i < parts.size() - 1 ? maxSize : left;
      metrics.batchSent(n, false);
      metrics.outgoing(n);
      send(parts.get(i)).onComplete((v, err) -> {
        if (err != null) {
          result.tryFail(err);
        }
        if (unsettled.decrementAndGet() == 0) {
          result.tryComplete();
          release();
        }
      });
    }
    return result.future();
  }

  private void release() {
    if (inflight.decrementAndGet() == 0) {
      maybeFinishShutdown();
    }
  }

  // ---- buffering, on the context ------------------------------------------------------------

  private void accept(Batch batch, int items, Incoming in) {
    if (closed) {
      in.promise.fail(shuttingDownError());
      return;
    }
    BatchKey key = keyOf(batch.envelope());
    Batcher b = batchers.get(key);
    if (b == null) {
      if (!metadataKeys.isEmpty() && cardinalityLimit > 0 && batchers.size() >= cardinalityLimit) {
        in.promise.fail(new ResourceExhaustedException("Batch processor \"" + id + "\" in pipeline \"" + pipeline
            + "\" already has " + batchers.size() + " pending batches for distinct values of metadata_keys "
            + metadataKeys + " (metadata_cardinality_limit " + cardinalityLimit + "); retry later", retryAfter));
        return;
      }
      b = new Batcher(key);
      batchers.put(key, b);
    }
    Batch rest = batch;
    int left = items;
    while (maxSize > 0 && b.items + left > maxSize) {
      int room = maxSize - b.items;
      if (room > 0) {
        Batch[] p = cut(rest, room);
        b.add(p[0], room, in);
        rest = p[1];
        left -= room;
      }
      sendPending(b, false);
    }
    b.add(rest, left, in);
    in.sealed = true;
    if ((sendBatchSize > 0 && b.items >= sendBatchSize) || (maxSize > 0 && b.items >= maxSize)) {
      sendPending(b, false);
    }
    if (b.items > 0) {
      if (b.timerId < 0) {
        Batcher timed = b;
        b.timerId = context.setTimer(timeoutMillis, t -> onTimeout(timed, t));
      }
    } else {
      dropIfIdle(b);
    }
    // Every part may already have been acknowledged while the batch was being placed.
    if (in.outstanding == 0 && !in.settled) {
      in.settled = true;
      in.promise.complete();
    }
  }

  private void onTimeout(Batcher b, long timerId) {
    if (b.timerId != timerId) {
      return; // cancelled after it fired
    }
    b.timerId = -1;
    if (b.items > 0) {
      sendPending(b, true);
    }
    dropIfIdle(b);
  }

  /** Sends what {@code b} holds and starts it afresh. */
  private void sendPending(Batcher b, boolean byTimeout) {
    List<Batch> parts = b.parts;
    int items = b.items;
    List<Incoming> contributors = b.contributors;
    b.parts = new ArrayList<>();
    b.items = 0;
    b.contributors = new ArrayList<>(4);
    if (b.timerId >= 0) {
      context.owner().cancelTimer(b.timerId);
      b.timerId = -1;
    }
    Envelope envelope = contributors.size() == 1 ? contributors.get(0).envelope : merged(b, contributors);
    metrics.batchSent(items, byTimeout);
    metrics.outgoing(items);
    inflight.incrementAndGet();
    send(Batch.join(signal, parts, envelope)).onComplete((v, err) -> {
      if (context.inThread()) {
        settle(contributors, err);
      } else {
        context.runOnContext(x -> settle(contributors, err));
      }
    });
  }

  /** An outgoing batch was acknowledged ({@code err} null) or failed; on the context. */
  private void settle(List<Incoming> contributors, Throwable err) {
    for (int i = 0, n = contributors.size(); i < n; i++) {
      Incoming in = contributors.get(i);
      if (in.settled) {
        continue;
      }
      if (err != null) {
        in.settled = true;
        in.promise.fail(err);
      } else if (--in.outstanding == 0 && in.sealed) {
        in.settled = true;
        in.promise.complete();
      }
    }
    release();
  }

  private void flushAll() {
    closed = true;
    int pending = 0;
    for (Batcher b : batchers.values()) {
      if (b.items > 0) {
        pending += b.items;
        sendPending(b, true);
      } else if (b.timerId >= 0) {
        context.owner().cancelTimer(b.timerId);
        b.timerId = -1;
      }
    }
    batchers.clear();
    if (pending > 0) {
      LOG.info("Batch processor \"{}\" in pipeline \"{}\" is shutting down: sent the {} pending {}", id, pipeline,
          pending, signal.itemName());
    }
    flushed = true;
    maybeFinishShutdown();
  }

  private void maybeFinishShutdown() {
    if (flushed && inflight.get() == 0) {
      shutdownPromise.tryComplete();
    }
  }

  private void dropIfIdle(Batcher b) {
    // Keyed batchers go away when empty so that metadata_cardinality_limit counts pending ones.
    if (b.items == 0 && b.key != DEFAULT_KEY && !closed) {
      batchers.remove(b.key);
    }
  }

  /**
   * The first {@code n} items of a batch and the rest, as two batches of its envelope: encoded
   * batches are cut in their bytes, decoded ones between their messages.
   */
  private Batch[] cut(Batch batch, int n) {
    if (batch.isEncoded()) {
      EncodedResources.Parts p = batch.encoded().cut(n);
      return new Batch[] {batch.withEncoded(p.head()), batch.withEncoded(p.tail())};
    }
    Splitter.Parts p = Splitter.cut(signal, batch.resources(), n);
    return new Batch[] {batch.withResources(p.head()), batch.withResources(p.tail())};
  }

  private Future<Void> send(Batch batch) {
    try {
      return next.consume(batch);
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  // ---- keys and envelopes -------------------------------------------------------------------

  private BatchKey keyOf(Envelope envelope) {
    if (metadataKeys.isEmpty()) {
      return envelope.tenant().isEmpty() ? DEFAULT_KEY : new BatchKey(envelope.tenant(), List.of());
    }
    String[] values = new String[metadataKeys.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = lookup(envelope.metadata(), metadataKeys.get(i));
    }
    return new BatchKey(envelope.tenant(), Arrays.asList(values));
  }

  private static String lookup(Map<String, String> metadata, String key) {
    String v = metadata.get(key);
    if (v != null || metadata.isEmpty()) {
      return v;
    }
    for (Iterator<Map.Entry<String, String>> it = metadata.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, String> e = it.next();
      if (e.getKey().equalsIgnoreCase(key)) {
        return e.getValue();
      }
    }
    return null;
  }

  /**
   * The envelope of a batch gathered from several incoming ones: the first one's source, the
   * earliest arrival, the shared tenant, and only the metadata the batch was keyed by.
   */
  private Envelope merged(Batcher b, List<Incoming> contributors) {
    Envelope first = contributors.get(0).envelope;
    long earliest = first.receivedAtNanos();
    for (int i = 1, n = contributors.size(); i < n; i++) {
      long t = contributors.get(i).envelope.receivedAtNanos();
      if (t - earliest < 0) {
        earliest = t;
      }
    }
    return new Envelope(first.source(), earliest, b.key.tenant(), b.keyMetadata);
  }

  private RetryableException shuttingDownError() {
    return new RetryableException("Batch processor \"" + id + "\" in pipeline \"" + pipeline
        + "\" is shutting down; retry once the gateway is back");
  }

  /** What batches are kept apart by: the tenant and the values of {@code metadata_keys}. */
  private record BatchKey(String tenant, List<String> values) {}

  /** One incoming batch waiting for the outgoing batches that hold its items. */
  private static final class Incoming {
    final Promise<Void> promise = Promise.promise();
    final Envelope envelope;
    /** Outgoing batches (pending or sent) holding some of its items, not acknowledged yet. */
    int outstanding;
    /** All its items have been placed in outgoing batches. */
    boolean sealed;
    boolean settled;

    Incoming(Envelope envelope) {
      this.envelope = envelope;
    }
  }

  /** The pending batch for one key. */
  private final class Batcher {
    final BatchKey key;
    final Map<String, String> keyMetadata;
    List<Batch> parts = new ArrayList<>();
    int items;
    List<Incoming> contributors = new ArrayList<>(4);
    long timerId = -1;

    Batcher(BatchKey key) {
      this.key = key;
      Map<String, String> md = new LinkedHashMap<>();
      for (int i = 0; i < key.values().size(); i++) {
        String v = key.values().get(i);
        if (v != null) {
          md.put(metadataKeys.get(i), v);
        }
      }
      this.keyMetadata = md.isEmpty() ? Map.of() : Collections.unmodifiableMap(md);
    }

    void add(Batch more, int n, Incoming in) {
      parts.add(more);
      items += n;
      int last = contributors.size() - 1;
      if (last < 0 || contributors.get(last) != in) {
        contributors.add(in);
        in.outstanding++;
      }
    }
  }

  @Override
  public String toString() {
    return "batch processor \"" + id + "\" in pipeline \"" + pipeline + "\" (" + signal + ")";
  }
}
