package io.sluice.core.exporterhelper;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentKind;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.storage.StorageClient;
import io.sluice.core.storage.StorageExtension;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The machinery every exporter shares: a bounded in-memory sending queue, a fixed number of
 * requests in flight, retries with exponential backoff and jitter that wait at least as long as
 * the backend asked, a per-request timeout, and the counts of what was sent, failed and refused.
 * An exporter gives it a {@link RequestSender} and gets an {@link Exporter}.
 *
 * <p>With the queue enabled a batch is acknowledged once it is queued ({@code wait_for_result}:
 * once it is delivered); a full queue (by its {@code sizer}: requests, items or bytes, and in any
 * case by bytes: {@link #MAX_QUEUED_BYTES}) refuses it with a {@link ResourceExhaustedException},
 * or with {@code block_on_overflow} holds it, unacknowledged, until there is room. With
 * {@code sending_queue.batch} queued requests of one signal (and key) are merged until they reach
 * {@code min_size} or the first has waited {@code flush_timeout}, and cut to {@code max_size}.
 * With the queue disabled a batch is acknowledged once it is delivered, and a failure goes back
 * to the caller. All state lives on one Vert.x context: the
 * sender is always called there, whatever thread its futures complete on, and the
 * acknowledgement completes on the caller's context when it was called from one.
 *
 * <p>With a {@linkplain Builder#requestKey request key} requests are serialised per key: a key
 * has at most one request in flight, its requests go out in the order they were queued, and a
 * request being retried stays at the head of its key, so nothing of that key overtakes it.
 * Requests of other keys go on meanwhile, up to {@code num_consumers} in flight in all; a keyed
 * request waiting out its backoff between attempts does not take one of those slots (it takes
 * one again for its next attempt, before any new request), so keys being retried, however many,
 * do not hold up the others. Keys cost memory only while they have requests queued
 * or in flight, and at most {@link Builder#maxKeys} such keys exist: a batch that would bring in
 * more is refused with a {@link ResourceExhaustedException}, counted as an enqueue failure, as
 * a full queue is (unless no key is busy at all, so a batch with more keys than the bound is
 * still taken once the exporter is idle). Requests without a key are each their own key.
 *
 * <p>With {@code sending_queue.storage} the queue is persistent: the requests of a batch (after the
 * splitter) are written to the storage extension, one record each with a checksum, and the batch
 * is acknowledged once that write is committed (and synced, with the extension's {@code fsync}).
 * A record is removed once its request was delivered or given up on, so after a crash or a
 * restart the queue resumes with what was on disk: nothing acknowledged is lost, and what is sent
 * twice is at most what was in flight. Records go out in the order they were written (per key
 * with a request key). The queue's size and capacity count what is on disk; what it holds in
 * memory at once is bounded by {@link Builder#maxQueuedBytes} and {@link Builder#maxKeys}, and
 * the rest is read back from disk, in order, as room frees. A record that fails its checksum is
 * skipped, removed, counted and logged; a write that fails (a full disk) refuses the batch, as a
 * full queue does. Disk work runs on the extension's worker, never on this exporter's context.
 *
 * <p>{@link #shutdown()} stops intake, then completes once every queued and in-flight batch is
 * delivered or given up on; the gateway bounds that wait with its shutdown deadline. A
 * persistent queue sends nothing new once shutdown begins: it waits for the attempts in flight,
 * and leaves everything else on disk for the next start.
 */
public final class ExporterHelper implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(ExporterHelper.class);
  /**
   * The most a sending queue holds in memory, as encoded bytes: a quarter of the heap, at most
   * 512 MiB. Past it batches are refused, as when the queue is full, so that a backend slower
   * than the input pushes back on the senders instead of filling the heap.
   */
  static final long MAX_QUEUED_BYTES = Math.min(Runtime.getRuntime().maxMemory() / 4, 512L << 20);

  /** The default bound on keys with requests queued or in flight. */
  public static final int DEFAULT_MAX_KEYS = 10_000;

  /** Sends one dispatch() starts before it lets other work on the event loop run. */
  private static final int DISPATCH_BUDGET = 256;
  /** The most records one read of a persistent queue takes from disk. */
  private static final int LOAD_PAGE = 32;
  /** How long a persistent queue waits before reading again after a read failed. */
  private static final long READ_RETRY_MS = 1000;

  private final ComponentContext ctx;
  private final String id;
  private final Vertx vertx;
  private final ContextInternal context;
  private final RequestSender sender;
  private final Duration timeout;
  private final QueueSettings queue;
  private final RetrySettings retry;
  private final Supplier<Future<Void>> onStart;
  private final Supplier<Future<Void>> onShutdown;
  private final Function<Batch, List<Batch>> requestSplitter;
  private final long maxQueuedBytes;
  private final Function<Batch, Object> requestKey;
  private final int maxKeys;
  private final SelfMetrics.ExporterMetrics metrics;
  private final RequestRetrier retrier;
  /** True when the queue is kept in a storage extension. */
  private final boolean persistent;
  private final SelfMetrics.PersistentQueueMetrics persistentMetrics;
  private final RateLimitedLog storageLog = new RateLimitedLog(LOG, Level.ERROR, 60, TimeUnit.SECONDS);
  private final RateLimitedLog corruptLog = new RateLimitedLog(LOG, Level.ERROR, 60, TimeUnit.SECONDS);

  /** The keys with requests queued or in flight (keyless requests are not here). */
  private final Map<Object, KeyQueue> keys = new HashMap<>();
  /** Keys with a request waiting and none in flight, in the order they became so. */
  private final ArrayDeque<KeyQueue> ready = new ArrayDeque<>();
  /** Requests waiting, over all keys. */
  private int pending;
  /** Encoded size of the requests waiting. */
  private long pendingBytes;
  private int inFlight;
  /** Keyed requests waiting out a backoff, or due for their next attempt; not in {@link #inFlight}. */
  private int backingOff;
  /** Next attempts of keyed requests whose backoff is over, waiting for a slot; served first. */
  private final ArrayDeque<Runnable> retriesDue = new ArrayDeque<>();
  /** What waits in memory: requests queued and in accumulators. */
  private final Tally inMemory = new Tally();
  /** Requests of a persistent queue being written, acknowledged once the write is committed. */
  private final Tally writing = new Tally();
  /** Records of a persistent queue on disk and not yet read back into memory ({@link #spilled}). */
  private final Tally onDisk = new Tally();
  /** What waits in the queue, in units of {@code sizer}; items; bytes: for the metrics. */
  private volatile long queued;
  private volatile long queuedItems;
  private volatile long queuedBytes;
  /** Backoff timers of requests between attempts: true for keyed ones (which gave up their slot). */
  private final Map<Long, Boolean> backoffTimers = new HashMap<>();

  /** The persistent queue's records on disk, while started; null for a queue in memory. */
  private PersistentQueue store;
  /** Records from {@link #nextLoadSeq} on are on disk only and are read back in order. */
  private boolean spilled;
  /** The first record not yet taken into memory, while {@link #spilled}. */
  private long nextLoadSeq;
  /** One past the last record whose write was committed. */
  private long committedEnd;
  /** A read of records is running. */
  private boolean loading;
  /** A record read back that waits for room (keys) in memory before the ones after it. */
  private Loaded parked;
  /** The size of the records read back lately, to size the next read. */
  private long recordBytesAverage;
  /** Batches held by {@code block_on_overflow} until the queue has room, oldest first. */
  private final ArrayDeque<Blocked> blocked = new ArrayDeque<>();
  private long blockedBytes;
  /** Requests being gathered by {@code sending_queue.batch}, per signal and key. */
  private final Map<AccumulatorKey, Accumulator> accumulators = new HashMap<>();
  /** Encoded size of what the accumulators hold. */
  private long accumulatedBytes;

  /** Dispatching now: a send that completes at once must not start a nested dispatch. */
  private boolean dispatching;
  /** A dispatch() that ran out of budget is queued on the context. */
  private boolean dispatchScheduled;
  /** onStart succeeded and no shutdown began since. */
  private boolean started;
  /** From the first start() until it fails or a shutdown completes: later calls share it. */
  private Future<Void> startFuture;
  private boolean stopping;
  private Promise<Void> drained;
  private Future<Void> shutdownFuture;

  private ExporterHelper(Builder b) {
    this.ctx = b.ctx;
    this.id = b.ctx.id().toString();
    this.vertx = b.ctx.vertx();
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    this.sender = b.sender;
    this.timeout = b.timeout;
    this.queue = b.queue;
    this.retry = b.retry;
    this.onStart = b.onStart;
    this.onShutdown = b.onShutdown;
    this.requestSplitter = b.requestSplitter;
    this.maxQueuedBytes = b.maxQueuedBytes;
    this.requestKey = b.requestKey;
    this.maxKeys = b.maxKeys;
    this.metrics = b.ctx.metrics().exporter(b.ctx.id());
    this.retrier = new RequestRetrier(id, context, retry, timeout, metrics);
    this.persistent = queue.persistent();
    this.persistentMetrics = persistent ? b.ctx.metrics().persistentQueue(b.ctx.id()) : null;
    if (queue.enabled()) {
      long capacityItems = queue.sizer().equals("items") ? queue.queueSize() : -1;
      long capacityBytes = queue.sizer().equals("bytes") ? Math.min(queue.queueSize(), maxQueuedBytes) : maxQueuedBytes;
      b.ctx.metrics().registerQueue(b.ctx.id(), () -> queued, queue.queueSize(), new SelfMetrics.QueueContents() {
        @Override
        public long items() {
          return queuedItems;
        }

        @Override
        public long bytes() {
          return queuedBytes;
        }

        @Override
        public long capacityItems() {
          return capacityItems;
        }

        @Override
        public long capacityBytes() {
          return capacityBytes;
        }
      });
    } else if (queue.storage() != null) {
      LOG.warn("Exporter '{}': sending_queue.storage \"{}\" has no effect while the queue is disabled"
          + " (sending_queue.enabled: false); batches are not written to disk", id, queue.storage());
    }
  }

  public static Builder builder(ComponentContext ctx, RequestSender sender) {
    return new Builder(ctx, sender);
  }

  /** The context the sender is called on; exporters may use it for their own state. */
  public Context context() {
    return context;
  }

  /** What waits in the queue now, in units of its {@code sizer} (not counting what is in flight). */
  public long queueSize() {
    return queued;
  }

  @Override
  public Future<Void> start() {
    Promise<Void> p = callerPromise();
    context.runOnContext(v -> {
      if (shutdownFuture != null && !shutdownFuture.isComplete()) {
        p.fail(new IllegalStateException("Exporter '" + id + "' cannot start while it is shutting down"));
        return;
      }
      Future<Void> f = startFuture;
      if (f == null) {
        stopping = false;
        shutdownFuture = null;
        Future<Void> starting = onContext(call(onStart)).compose(x -> !persistent ? Future.succeededFuture()
            : openStore().recover(e -> onContext(call(onShutdown)).transform(y -> Future.failedFuture(e))));
        startFuture = starting;
        starting.onComplete(ar -> {
          if (ar.succeeded()) {
            started = !stopping;
            if (started && persistent) {
              dispatch(); // what the queue found on disk
            }
          } else if (startFuture == starting) {
            startFuture = null; // a later start() tries again
          }
        });
        f = starting;
      }
      f.onComplete(p);
    });
    return p.future();
  }

  /** Runs a lifecycle hook; a hook that throws or returns null fails instead of leaving the caller waiting. */
  private Future<Void> call(Supplier<Future<Void>> hook) {
    try {
      Future<Void> f = hook.get();
      return f != null ? f
          : Future.failedFuture(new IllegalStateException("Exporter '" + id + "': a lifecycle hook returned null"));
    } catch (RuntimeException e) {
      return Future.failedFuture(e);
    }
  }

  /** The same outcome, with its listeners run on this exporter's context. */
  private <T> Future<T> onContext(Future<T> f) {
    Promise<T> p = context.promise();
    f.onComplete(p);
    return p.future();
  }

  /** A promise whose listeners run on the caller's context when it has one, so acknowledgements come home. */
  private static Promise<Void> callerPromise() {
    ContextInternal caller = ContextInternal.current();
    return caller != null ? caller.promise() : Promise.promise();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    Promise<Void> p = callerPromise();
    if (ContextInternal.current() == context) {
      accept(batch, p);
    } else {
      context.runOnContext(v -> accept(batch, p));
    }
    return p.future();
  }

  private void accept(Batch batch, Promise<Void> ack) {
    if (stopping || !started) {
      String state = !stopping ? "not started" : shutdownFuture != null && shutdownFuture.isComplete()
          ? "shut down" : "shutting down";
      ack.fail(new RetryableException("Exporter '" + id + "' is " + state));
      return;
    }
    List<Batch> requests;
    try {
      requests = requestSplitter == null ? List.of(batch) : requestSplitter.apply(batch);
    } catch (RuntimeException e) {
      ack.fail(e);
      return;
    }
    Object[] keyOf = new Object[requests.size()];
    if (requestKey != null) {
      computeKeys(requests, keyOf);
    }
    // A persistent queue keeps requests whose keys do not fit on disk until they do.
    if (requestKey != null && !persistent && !keysFit(keyOf)) {
      metrics.enqueueFailed(batch.signal(), batch.itemCount());
      ack.fail(new ResourceExhaustedException("Exporter '" + id + "': " + keys.size() + " keys have requests"
          + " queued or in flight, the most it holds at once is " + maxKeys + "; the backend is slower than the"
          + " input", retryDelayHint()));
      return;
    }
    if (!queue.enabled()) {
      sendAll(requests, keyOf, ack);
      return;
    }
    long size = 0;
    long bytes = 0;
    for (Batch r : requests) {
      size += sizeOf(r);
      bytes += r.sizeBytes();
    }
    String full = blocked.isEmpty() ? overflow(size, bytes) : "batches are waiting for room";
    if (full != null) {
      if (queue.blockOnOverflow() && blockedBytes + bytes <= maxQueuedBytes) {
        blocked.add(new Blocked(batch, requests, keyOf, size, bytes, ack));
        blockedBytes += bytes;
        return;
      }
      metrics.enqueueFailed(batch.signal(), batch.itemCount());
      ack.fail(new ResourceExhaustedException("Exporter '" + id + "': " + (full.startsWith("batches")
          ? "sending queue is full and " + full : full) + "; the backend is slower than the input",
          retryDelayHint()));
      return;
    }
    admit(batch, requests, keyOf, ack);
  }

  /** True when nothing waits in the queue (on disk or in memory); in flight does not count. */
  private boolean queueEmpty() {
    return pending == 0 && accumulators.isEmpty() && writing.count == 0 && onDisk.count == 0 && !spilled;
  }

  /**
   * Why a batch of this size does not fit in the queue now, or null when it does. An empty queue
   * takes any batch, so one larger than the whole queue is not refused for ever.
   */
  private String overflow(long size, long bytes) {
    if (queueEmpty()) {
      return null;
    }
    if (queuedSize() + size > queue.queueSize()) {
      return "sending queue is full (" + queue.queueSize() + " " + queue.sizer() + ")";
    }
    if (persistent && queuedBytesNow() + bytes > maxQueuedBytes) {
      return "persistent sending queue holds " + queuedBytesNow() + " bytes, its limit is " + maxQueuedBytes
          + " (a quarter of the heap, at most 512 MiB)";
    }
    if (pendingBytes + accumulatedBytes + bytes > maxQueuedBytes) {
      return "sending queue holds " + (pendingBytes + accumulatedBytes) + " bytes, its limit in memory is "
          + maxQueuedBytes + " (a quarter of the heap, at most 512 MiB)";
    }
    return null;
  }

  /** What waits, in units of the queue's sizer: in memory, being written and on disk. */
  private long queuedSize() {
    return inMemory.size + writing.size + onDisk.size;
  }

  private long queuedBytesNow() {
    return inMemory.bytes + writing.bytes + onDisk.bytes;
  }

  /** Makes what waits visible to the metrics. */
  private void publish() {
    queued = queuedSize();
    queuedItems = inMemory.items + writing.items + onDisk.items;
    queuedBytes = queuedBytesNow();
  }

  /**
   * Queues requests that fit; the acknowledgement comes now, or on delivery with wait_for_result,
   * or, for a persistent queue, once they are written.
   */
  private void admit(Batch batch, List<Batch> requests, Object[] keyOf, Promise<Void> ack) {
    if (persistent) {
      persist(batch, requests, keyOf, ack);
      return;
    }
    Handler<AsyncResult<Void>> delivered = queue.waitForResult() ? allDelivered(requests.size(), ack) : null;
    for (int i = 0; i < requests.size(); i++) {
      if (queue.batch() != null) {
        accumulate(requests.get(i), keyOf[i], delivered);
      } else {
        enqueue(requests.get(i), keyOf[i], delivered);
      }
    }
    if (delivered == null) {
      ack.complete();
    }
    dispatch();
  }

  /** A handler to call {@code n} times that completes {@code ack} once all succeeded, or fails it at the first failure. */
  private static Handler<AsyncResult<Void>> allDelivered(int n, Promise<Void> ack) {
    int[] unsettled = {n};
    return ar -> {
      if (ar.failed()) {
        ack.tryFail(ar.cause());
      } else if (--unsettled[0] == 0) {
        ack.tryComplete();
      }
    };
  }

  /** Takes blocked batches, oldest first, while they fit. */
  private void admitBlocked() {
    while (!blocked.isEmpty()) {
      Blocked b = blocked.peek();
      if (overflow(b.size(), b.bytes()) != null) {
        return;
      }
      blocked.poll();
      blockedBytes -= b.bytes();
      admit(b.batch(), b.requests(), b.keyOf(), b.ack());
    }
  }

  /** The size of one request in units of the queue's sizer. */
  private long sizeOf(Batch r) {
    return switch (queue.sizer()) {
      case "items" -> r.itemCount();
      case "bytes" -> r.sizeBytes();
      default -> 1;
    };
  }

  /** The size of one request in units of the batch's sizer. */
  private long batchSizeOf(Batch r) {
    return "bytes".equals(queue.batchSizer()) ? r.sizeBytes() : r.itemCount();
  }


  /**
   * Adds a request to its signal's and key's accumulator, which goes into the queue as one request
   * once it holds {@code min_size} or its first request has waited {@code flush_timeout}.
   */
  private void accumulate(Batch request, Object key, Handler<AsyncResult<Void>> done) {
    AccumulatorKey ak = new AccumulatorKey(request.signal(), key);
    Accumulator acc = accumulators.get(ak);
    if (acc == null) {
      acc = new Accumulator(ak);
      accumulators.put(ak, acc);
      Accumulator flushing = acc;
      acc.timer = context.setTimer(Math.max(1, queue.batch().flushTimeout().toMillis()), t -> {
        flushing.timer = -1;
        flush(flushing);
        dispatch();
      });
    }
    acc.parts.add(request);
    if (done != null) {
      acc.dones.add(done);
    }
    acc.size += batchSizeOf(request);
    accumulatedBytes += request.sizeBytes();
    inMemory.add(sizeOf(request), request.sizeBytes(), request.itemCount(), 1);
    publish();
    if (acc.size >= queue.batch().minSize()) {
      flush(acc);
    }
  }

  /** Moves what an accumulator gathered into the queue, cut to {@code max_size}. */
  private void flush(Accumulator acc) {
    if (accumulators.remove(acc.key) != acc) {
      return;
    }
    if (acc.timer >= 0) {
      context.owner().cancelTimer(acc.timer);
      acc.timer = -1;
    }
    for (Batch part : acc.parts) {
      accumulatedBytes -= part.sizeBytes();
      inMemory.sub(sizeOf(part), part.sizeBytes(), part.itemCount(), 1);
    }
    Batch merged = Batch.join(acc.key.signal(), acc.parts, acc.parts.get(0).envelope());
    List<Batch> requests = new ArrayList<>();
    for (Batch piece : cutToMaxSize(merged)) {
      requests.addAll(requestSplitter == null ? List.of(piece) : requestSplitter.apply(piece));
    }
    Handler<AsyncResult<Void>> done = null;
    if (!acc.dones.isEmpty()) {
      List<Handler<AsyncResult<Void>>> dones = acc.dones;
      int[] unsettled = {requests.size()};
      boolean[] failed = {false};
      done = ar -> {
        if (failed[0]) {
          return;
        }
        if (ar.failed()) {
          failed[0] = true;
          dones.forEach(d -> d.handle(ar));
        } else if (--unsettled[0] == 0) {
          dones.forEach(d -> d.handle(ar));
        }
      };
    }
    for (Batch r : requests) {
      enqueue(r, acc.key.key(), done);
    }
  }

  /** The merged batch in pieces of at most {@code max_size} (items or bytes); itself when no limit applies. */
  private List<Batch> cutToMaxSize(Batch merged) {
    long max = queue.batch().maxSize();
    if (max <= 0 || batchSizeOf(merged) <= max) {
      return List.of(merged);
    }
    List<Batch> out = new ArrayList<>();
    if ("bytes".equals(queue.batchSizer())) {
      for (EncodedResources part : merged.encoded().splitBySize(max)) {
        out.add(merged.withEncoded(part));
      }
      return out;
    }
    EncodedResources rest = merged.encoded();
    while (rest.itemCount() > max) {
      EncodedResources.Parts p = rest.cut((int) max);
      out.add(merged.withEncoded(p.head()));
      rest = p.tail();
    }
    if (rest.itemCount() > 0 || out.isEmpty()) {
      out.add(merged.withEncoded(rest));
    }
    return out;
  }

  /** Computes each request's key into {@code keyOf}. */
  private void computeKeys(List<Batch> requests, Object[] keyOf) {
    for (int i = 0; i < requests.size(); i++) {
      keyOf[i] = requestKey.apply(requests.get(i));
    }
  }

  /** False when the keys new to the exporter would bring it over {@link #maxKeys} while some key is busy. */
  private boolean keysFit(Object[] keyOf) {
    int added = 0;
    Set<Object> fresh = null;
    for (Object k : keyOf) {
      if (k != null && !keys.containsKey(k)) {
        if (fresh == null) {
          fresh = new HashSet<>();
        }
        if (fresh.add(k)) {
          added++;
        }
      }
    }
    return keys.isEmpty() || keys.size() + added <= maxKeys;
  }

  /** Puts a request behind the others of its key; {@code done}, when not null, hears how it ended. */
  private void enqueue(Batch request, Object key, Handler<AsyncResult<Void>> done) {
    KeyQueue k = key == null ? new KeyQueue(null) : keys.computeIfAbsent(key, KeyQueue::new);
    k.waiting.add(new Queued(request, done));
    pending++;
    pendingBytes += request.sizeBytes();
    if (queue.enabled()) {
      inMemory.add(sizeOf(request), request.sizeBytes(), request.itemCount(), 1);
      publish();
    }
    if (!k.busy && k.waiting.size() == 1) {
      ready.add(k);
    }
  }

  /** Without a queue: sends every request (one per key at a time), acknowledging when all are delivered. */
  private void sendAll(List<Batch> requests, Object[] keyOf, Promise<Void> ack) {
    Handler<AsyncResult<Void>> delivered = allDelivered(requests.size(), ack);
    for (int i = 0; i < requests.size(); i++) {
      enqueue(requests.get(i), keyOf[i], delivered);
    }
    dispatch();
  }

  private Duration retryDelayHint() {
    return retry.enabled() ? retry.initialInterval() : Duration.ofSeconds(1);
  }

  private void dispatch() {
    if (dispatching) {
      return; // a send completed at once inside the loop below, which carries on
    }
    if (persistent && stopping) {
      return; // what waits stays on disk for the next start
    }
    dispatching = true;
    try {
      admitBlocked();
      loadMore();
      int budget = DISPATCH_BUDGET;
      // Without a queue every request is sent at once, as it comes (one per key at a time).
      int limit = queue.enabled() ? queue.numConsumers() : Integer.MAX_VALUE;
      while (true) {
        while (inFlight < limit && (!retriesDue.isEmpty() || !ready.isEmpty())) {
          if (budget-- == 0) {
            // Sends are completing at once (a fast backend): carry on in a later task, not all in this one.
            if (!dispatchScheduled) {
              dispatchScheduled = true;
              context.runOnContext(v -> {
                dispatchScheduled = false;
                dispatch();
              });
            }
            return;
          }
          Runnable due = retriesDue.poll();
          if (due != null) {
            backingOff--;
            inFlight++;
            due.run();
            continue;
          }
          KeyQueue k = ready.poll();
          Queued next = k.waiting.poll();
          pending--;
          pendingBytes -= next.request().sizeBytes();
          if (queue.enabled()) {
            Batch r = next.request();
            inMemory.sub(sizeOf(r), r.sizeBytes(), r.itemCount(), 1);
            publish();
            admitBlocked(); // the room this request leaves
          }
          inFlight++;
          k.busy = true;
          sendWithRetry(next.request(), k.key != null).onComplete(ar -> {
            inFlight--;
            k.busy = false;
            if (!k.waiting.isEmpty()) {
              ready.add(k);
            } else if (k.key != null) {
              keys.remove(k.key);
            }
            if (next.done() != null) {
              next.done().handle(ar);
            }
            dispatch();
            checkDrained();
          });
        }
        // A persistent queue reads records back as requests leave memory; a read may answer at
        // once and queue more, and so may the record that waited for room.
        loadMore();
        if (inFlight >= limit || (retriesDue.isEmpty() && ready.isEmpty())) {
          break;
        }
      }
    } finally {
      dispatching = false;
    }
  }

  /**
   * Sends until delivered, a permanent error, or retries run out; never fails the returned future
   * silently. The future completes on this exporter's context.
   */
  private Future<Void> sendWithRetry(Batch batch, boolean keyed) {
    return retrier.send(batch.signal(), batch.itemCount(), batch.signal().itemName(), () -> sender.send(batch),
        keyed ? this::backOffWithoutASlot : persistent ? this::backOffHoldingTheSlot : null);
  }

  /** A keyed request between attempts: its slot goes to other work until its next attempt is due. */
  private void backOffWithoutASlot(long delayMillis, Runnable next) {
    inFlight--;
    if (persistent && stopping) {
      checkDrained(); // no next attempt: the request stays on disk for the next start
      return;
    }
    backingOff++;
    long[] timer = {-1};
    timer[0] = context.setTimer(delayMillis, tid -> {
      backoffTimers.remove(timer[0]);
      retriesDue.add(next);
      dispatch();
    });
    backoffTimers.put(timer[0], true);
    dispatch(); // the key stays busy, so this starts other keys' work only
  }

  /** A request without a key of a persistent queue between attempts; it keeps its slot, as in memory. */
  private void backOffHoldingTheSlot(long delayMillis, Runnable next) {
    if (stopping) {
      inFlight--;
      checkDrained(); // no next attempt: the request stays on disk for the next start
      return;
    }
    long[] timer = {-1};
    timer[0] = context.setTimer(delayMillis, tid -> {
      backoffTimers.remove(timer[0]);
      next.run();
    });
    backoffTimers.put(timer[0], false);
  }

  private void checkDrained() {
    if (!stopping || drained == null) {
      return;
    }
    if (persistent ? inFlight == 0 && backingOff == 0 && writing.count == 0 && !loading
        : pending == 0 && inFlight == 0 && backingOff == 0 && accumulators.isEmpty()) {
      drained.tryComplete();
    }
  }

  // ---------------------------------------------------------------- the persistent queue

  /**
   * Opens the storage client of a persistent queue and reads back what it holds: every record is
   * checked, counted and (as far as memory allows) queued again, before any new batch is taken.
   */
  private Future<Void> openStore() {
    String key = "exporters." + id + ".sending_queue.storage";
    StorageExtension extension;
    try {
      extension = StorageExtension.resolve(ctx, key, queue.storage());
    } catch (IllegalStateException e) {
      return Future.failedFuture(new IllegalStateException("Exporter '" + id + "': " + e.getMessage(), e));
    }
    return onContext(extension.client(ComponentKind.EXPORTER, ctx.id(), null))
        .recover(e -> Future.failedFuture(new IllegalStateException("Exporter '" + id + "' could not open its"
            + " persistent queue in '" + queue.storage() + "': " + e.getMessage(), e)))
        .compose(client -> {
          store = new PersistentQueue(id, context, client);
          resetQueueState();
          Recovery r = new Recovery();
          Promise<Void> done = context.promise();
          scan(client, PersistentQueue.PREFIX, r, done);
          return done.future().onSuccess(v -> {
            committedEnd = r.nextSeq;
            store.nextSequence(r.nextSeq);
            if (!spilled) {
              nextLoadSeq = committedEnd;
            }
            publish();
            if (r.records > 0 || r.corrupt > 0) {
              LOG.info("Exporter '{}' resumes {} requests ({} items, {} bytes) from its persistent queue in '{}'{}",
                  id, r.records, r.items, r.bytes, queue.storage(),
                  r.corrupt == 0 ? "" : "; " + r.corrupt + " corrupt records were skipped and removed");
            } else {
              LOG.info("Exporter '{}' keeps its sending queue in '{}'", id, queue.storage());
            }
          }).recover(e -> {
            PersistentQueue s = store;
            store = null;
            return s.close().transform(x -> Future.failedFuture(new IllegalStateException("Exporter '" + id
                + "' could not read its persistent queue in '" + queue.storage() + "': " + e.getMessage(), e)));
          });
        });
  }

  /** What a recovery found. */
  private static final class Recovery {
    long records;
    long items;
    long bytes;
    long corrupt;
    long nextSeq;
  }

  /** Reads the records from {@code from} on, one page at a time, queueing what memory takes. */
  private void scan(StorageClient client, String from, Recovery r, Promise<Void> done) {
    int limit = readLimit();
    store.scan(from, limit).onComplete(ar -> {
      if (ar.failed()) {
        done.fail(ar.cause());
        return;
      }
      List<StorageClient.Entry> entries = ar.result();
      for (StorageClient.Entry e : entries) {
        long seq = PersistentQueue.seqOf(e.key());
        if (seq < 0) {
          r.corrupt++;
          skipCorrupt(-1, e.key(), "its key is not a record key");
          continue;
        }
        r.nextSeq = Math.max(r.nextSeq, seq + 1);
        Loaded l = decode(seq, e.value());
        if (l == null) {
          r.corrupt++;
          continue;
        }
        r.records++;
        r.items += l.tally.items;
        r.bytes += l.tally.bytes;
        persistentMetrics.recovered(l.record.batch().signal(), l.record.items());
        if (spilled) {
          onDisk.add(l.tally);
        } else if (split(l) && !place(l)) {
          // The first record memory has no room for: it goes first once there is.
          spilled = true;
          parked = l;
          nextLoadSeq = seq + 1;
          onDisk.add(l.tally);
        }
      }
      if (entries.size() < limit) {
        done.complete();
      } else {
        // The next key after the last one read; in a task of its own, so that reads answered at
        // once do not nest.
        String next = entries.get(entries.size() - 1).key() + '\0';
        context.runOnContext(v -> scan(client, next, r, done));
      }
    });
  }

  /** Empties what the queue holds in memory (a start after a shutdown reads it all from disk again). */
  private void resetQueueState() {
    for (Accumulator acc : accumulators.values()) {
      if (acc.timer >= 0) {
        context.owner().cancelTimer(acc.timer);
      }
    }
    accumulators.clear();
    accumulatedBytes = 0;
    for (KeyQueue k : keys.values()) {
      k.waiting.clear();
    }
    for (KeyQueue k : ready) {
      k.waiting.clear();
    }
    keys.clear();
    ready.clear();
    pending = 0;
    pendingBytes = 0;
    inMemory.reset();
    onDisk.reset();
    spilled = false;
    parked = null;
    loading = false;
    publish();
  }

  /**
   * Writes the requests of one batch to the persistent queue, one record each, and acknowledges
   * the batch once they are committed; then queues them in memory, or leaves them on disk when
   * earlier records are still there or memory is full.
   */
  private void persist(Batch batch, List<Batch> requests, Object[] keyOf, Promise<Void> ack) {
    long ageMillis = Math.max(0, (System.nanoTime() - batch.envelope().receivedAtNanos()) / 1_000_000);
    long arrival = System.currentTimeMillis() - ageMillis;
    List<byte[]> records = new ArrayList<>(requests.size());
    Tally t = new Tally();
    try {
      for (int i = 0; i < requests.size(); i++) {
        Batch r = requests.get(i);
        records.add(QueueRecord.encode(r, keyOf[i] == null ? null : String.valueOf(keyOf[i]), arrival));
        t.add(sizeOf(r), r.sizeBytes(), r.itemCount(), 1);
      }
    } catch (RuntimeException e) {
      metrics.enqueueFailed(batch.signal(), batch.itemCount());
      ack.fail(new PermanentException("Exporter '" + id + "' cannot store the batch in its persistent queue: "
          + e.getMessage(), e));
      return;
    }
    PersistentQueue s = store;
    writing.add(t);
    publish();
    s.append(records).onComplete(ar -> {
      writing.sub(t);
      if (ar.failed()) {
        publish();
        metrics.enqueueFailed(batch.signal(), batch.itemCount());
        String why = rootMessage(ar.cause());
        storageLog.log("Exporter '{}' could not write {} {} to its persistent queue in '{}', so it refuses them"
            + " and will until writing works again: {}", id, batch.itemCount(), batch.signal().itemName(),
            queue.storage(), why);
        ack.fail(new ResourceExhaustedException("Exporter '" + id + "' could not write to its persistent queue: "
            + why, retryDelayHint()));
        checkDrained();
        return;
      }
      long first = ar.result();
      committedEnd = Math.max(committedEnd, first + requests.size());
      persistentMetrics.persisted(batch.signal(), t.items);
      ack.complete();
      if (stopping || store != s) {
        checkDrained(); // on disk for the next start
        return;
      }
      if (spilled || !windowFits(t.bytes) || (requestKey != null && !keysFit(keyOf))) {
        if (!spilled) {
          spilled = true;
          nextLoadSeq = first;
        }
        onDisk.add(t);
      } else {
        for (int i = 0; i < requests.size(); i++) {
          Stored st = new Stored(first + i, 1);
          enqueueOrAccumulate(requests.get(i), keyOf[i], settle(st));
        }
        nextLoadSeq = first + requests.size();
      }
      publish();
      dispatch();
    });
  }

  private static String rootMessage(Throwable t) {
    Throwable c = t;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    String m = c.getMessage();
    return m == null || m.isBlank() ? c.getClass().getSimpleName() : m;
  }

  /**
   * How many records the next read takes: as many as fit in a sixteenth of the queue's memory
   * (at most 16 MiB, at most {@link #LOAD_PAGE}) at the size of the records read so far, and one
   * before any was read, so that a read of large records never takes much of a small heap.
   */
  private int readLimit() {
    if (recordBytesAverage <= 0) {
      return 1;
    }
    long budget = Math.max(1 << 20, Math.min(16L << 20, maxQueuedBytes / 16));
    return (int) Math.max(1, Math.min(LOAD_PAGE, budget / recordBytesAverage));
  }

  /** Whether requests of {@code bytes} fit in memory now; an empty queue takes any. */
  private boolean windowFits(long bytes) {
    return (pending == 0 && accumulators.isEmpty()) || pendingBytes + accumulatedBytes + bytes <= maxQueuedBytes;
  }

  private void enqueueOrAccumulate(Batch request, Object key, Handler<AsyncResult<Void>> done) {
    if (queue.batch() != null) {
      accumulate(request, key, done);
    } else {
      enqueue(request, key, done);
    }
  }

  /** Hears how each request of a record ended; removes the record once all have. */
  private Handler<AsyncResult<Void>> settle(Stored st) {
    return ar -> {
      if (--st.unsettled == 0 && store != null) {
        store.remove(st.seq);
      }
    };
  }

  /**
   * Decodes a record read from disk; null when it is corrupt, which is then removed, counted and
   * logged.
   */
  private Loaded decode(long seq, byte[] value) {
    long len = value == null ? 0 : value.length;
    recordBytesAverage = recordBytesAverage <= 0 ? len : (recordBytesAverage * 7 + len) / 8;
    try {
      QueueRecord.Decoded d = QueueRecord.decode(value, ctx.id());
      Tally t = new Tally();
      t.add(sizeOf(d.batch()), d.bytes(), d.items(), 1);
      return new Loaded(seq, d, t);
    } catch (QueueRecord.Corrupt e) {
      skipCorrupt(seq, PersistentQueue.key(seq), e.getMessage());
      return null;
    }
  }

  private void skipCorrupt(long seq, String key, String why) {
    persistentMetrics.corrupt(1);
    corruptLog.log("Exporter '{}' skipped the record \"{}\" of its persistent queue in '{}' and removed it: {};"
        + " what it held is lost", id, key, queue.storage(), why);
    if (seq >= 0) {
      store.remove(seq);
    } else {
      store.removeKey(key);
    }
  }

  /**
   * Splits a record read back into its requests and their keys; false when the exporter cannot
   * take it (its splitter fails), in which case it is dropped, counted and removed.
   */
  private boolean split(Loaded l) {
    if (l.requests != null) {
      return true;
    }
    Batch b = l.record.batch();
    try {
      l.requests = requestSplitter == null ? List.of(b) : requestSplitter.apply(b);
      l.keyOf = new Object[l.requests.size()];
      if (requestKey != null) {
        computeKeys(l.requests, l.keyOf);
      }
      return true;
    } catch (RuntimeException e) {
      metrics.sendFailed(b.signal(), b.itemCount());
      storageLog.log("Exporter '{}' dropped {} {} read back from its persistent queue: {}", id, b.itemCount(),
          b.signal().itemName(), e.getMessage(), e);
      store.remove(l.seq);
      return false;
    }
  }

  /** Queues the requests of a record read back when memory (bytes, keys) has room for them. */
  private boolean place(Loaded l) {
    long bytes = 0;
    for (Batch r : l.requests) {
      bytes += r.sizeBytes();
    }
    if (!windowFits(bytes) || (requestKey != null && !keysFit(l.keyOf))) {
      return false;
    }
    Stored st = new Stored(l.seq, l.requests.size());
    if (l.requests.isEmpty()) {
      store.remove(l.seq);
      return true;
    }
    Handler<AsyncResult<Void>> done = settle(st);
    for (int i = 0; i < l.requests.size(); i++) {
      enqueueOrAccumulate(l.requests.get(i), l.keyOf[i], done);
    }
    return true;
  }

  /**
   * Reads records left on disk back into memory, in order, while it has room: the record waiting
   * for room at once (true when it was queued now), the next ones with a read whose answer
   * dispatches again.
   */
  private boolean loadMore() {
    if (!persistent || store == null || !spilled || loading || stopping || !started) {
      return false;
    }
    if (parked != null) {
      if (!place(parked)) {
        return false;
      }
      onDisk.sub(parked.tally);
      parked = null;
      publish();
      return true;
    }
    if (nextLoadSeq >= committedEnd) {
      spilled = false;
      onDisk.reset(); // nothing is on disk only any more: undoes any drift from records found corrupt late
      publish();
      return false;
    }
    if (!windowFits(1)) {
      return false;
    }
    loading = true;
    long to = committedEnd;
    PersistentQueue s = store;
    int limit = readLimit();
    s.read(nextLoadSeq, to, limit).onComplete(ar -> {
      loading = false;
      if (stopping || store != s) {
        checkDrained();
        return;
      }
      if (ar.failed()) {
        storageLog.log("Exporter '{}' could not read its persistent queue in '{}'; trying again in {} ms: {}", id,
            queue.storage(), READ_RETRY_MS, rootMessage(ar.cause()));
        context.setTimer(READ_RETRY_MS, t -> dispatch());
        return;
      }
      List<StorageClient.Entry> entries = ar.result();
      for (StorageClient.Entry e : entries) {
        long seq = PersistentQueue.seqOf(e.key());
        if (seq < nextLoadSeq) {
          continue;
        }
        nextLoadSeq = seq + 1;
        Loaded l = decode(seq, e.value());
        if (l == null) {
          continue;
        }
        if (!split(l)) {
          onDisk.sub(l.tally);
          continue;
        }
        if (place(l)) {
          onDisk.sub(l.tally);
        } else {
          parked = l;
          break;
        }
      }
      if (parked == null && entries.size() < limit) {
        nextLoadSeq = Math.max(nextLoadSeq, to);
      }
      publish();
      dispatch();
    });
    return false;
  }

  @Override
  public Future<Void> shutdown() {
    Promise<Void> p = callerPromise();
    context.runOnContext(v -> {
      if (shutdownFuture != null) {
        shutdownFuture.onComplete(p);
        return;
      }
      stopping = true;
      drained = context.promise();
      // What waits for room was never acknowledged: its senders hear to try again. What is being
      // gathered was, and goes out now (a persistent queue keeps it on disk instead).
      while (!blocked.isEmpty()) {
        Blocked b = blocked.poll();
        blockedBytes -= b.bytes();
        metrics.enqueueFailed(b.batch().signal(), b.batch().itemCount());
        b.ack().tryFail(new RetryableException("Exporter '" + id + "' is shutting down"));
      }
      if (persistent) {
        long waiting = queuedSize();
        abandonRetries();
        resetQueueState();
        if (waiting > 0 || inFlight > 0) {
          LOG.info("Exporter '{}' is shutting down: {} {} wait in its persistent queue for the next start; waiting"
              + " for the {} requests in flight", id, waiting, queue.sizer(), inFlight);
        }
      } else {
        for (Accumulator acc : List.copyOf(accumulators.values())) {
          flush(acc);
        }
      }
      dispatch();
      checkDrained();
      if (!persistent && (pending > 0 || inFlight > 0 || backingOff > 0)) {
        LOG.info("Exporter '{}' is shutting down: sending {} queued and {} in-flight batches", id,
            pending, inFlight + backingOff);
      }
      // A start still running is waited for, so what its onStart opened is closed by onShutdown.
      Future<Boolean> wasStarted = startFuture == null ? Future.succeededFuture(false)
          : startFuture.transform(ar -> Future.succeededFuture(ar.succeeded()));
      Future<Void> done = onContext(wasStarted.compose(s -> drained.future()
          .compose(x -> closeStore())
          .compose(x -> s ? call(onShutdown) : Future.succeededFuture())));
      shutdownFuture = done;
      done.onComplete(ar -> {
        started = false;
        startFuture = null;
      });
      done.onComplete(p);
    });
    return p.future();
  }

  /** Cancels the next attempts of requests between attempts: they stay on disk for the next start. */
  private void abandonRetries() {
    for (Map.Entry<Long, Boolean> t : backoffTimers.entrySet()) {
      context.owner().cancelTimer(t.getKey());
      if (t.getValue()) {
        backingOff--;
      } else {
        inFlight--;
      }
    }
    backoffTimers.clear();
    backingOff -= retriesDue.size();
    retriesDue.clear();
  }

  /** Commits the removals of what was delivered and closes the persistent queue's client. */
  private Future<Void> closeStore() {
    PersistentQueue s = store;
    store = null;
    if (s == null) {
      return Future.succeededFuture();
    }
    return onContext(s.close()).recover(e -> {
      LOG.warn("Exporter '{}' could not close its persistent queue in '{}' cleanly", id, queue.storage(), e);
      return Future.succeededFuture();
    });
  }

  /** Keys with requests queued or in flight now; call on {@link #context()}. */
  int activeKeys() {
    return keys.size();
  }

  /** A request waiting, and who to tell how it ended (null when the queue acknowledged it already). */
  private record Queued(Batch request, Handler<AsyncResult<Void>> done) {
  }

  /** A record of a persistent queue in memory, and how many of its requests have not ended yet. */
  private static final class Stored {
    final long seq;
    int unsettled;

    Stored(long seq, int unsettled) {
      this.seq = seq;
      this.unsettled = unsettled;
    }
  }

  /** A record read back from disk: what it holds and counts for, and its requests once split. */
  private static final class Loaded {
    final long seq;
    final QueueRecord.Decoded record;
    final Tally tally;
    List<Batch> requests;
    Object[] keyOf;

    Loaded(long seq, QueueRecord.Decoded record, Tally tally) {
      this.seq = seq;
      this.record = record;
      this.tally = tally;
    }
  }

  /** What some requests count for: in the queue's sizer, bytes, items, and how many requests. */
  private static final class Tally {
    long size;
    long bytes;
    long items;
    long count;

    void add(long s, long b, long i, long n) {
      size += s;
      bytes += b;
      items += i;
      count += n;
    }

    void add(Tally t) {
      add(t.size, t.bytes, t.items, t.count);
    }

    void sub(long s, long b, long i, long n) {
      size = Math.max(0, size - s);
      bytes = Math.max(0, bytes - b);
      items = Math.max(0, items - i);
      count = Math.max(0, count - n);
    }

    void sub(Tally t) {
      sub(t.size, t.bytes, t.items, t.count);
    }

    void reset() {
      size = 0;
      bytes = 0;
      items = 0;
      count = 0;
    }
  }

  /** A batch held by {@code block_on_overflow}, with what admitting it needs. */
  private record Blocked(Batch batch, List<Batch> requests, Object[] keyOf, long size, long bytes,
      Promise<Void> ack) {
  }

  /** Requests of one signal and key gathered by {@code sending_queue.batch}. */
  private record AccumulatorKey(io.sluice.core.Signal signal, Object key) {
  }

  /** The requests an accumulator holds, their size in the batch's sizer, and its flush timer. */
  private static final class Accumulator {
    final AccumulatorKey key;
    final List<Batch> parts = new ArrayList<>();
    List<Handler<AsyncResult<Void>>> dones = new ArrayList<>();
    long size;
    long timer = -1;

    Accumulator(AccumulatorKey key) {
      this.key = key;
    }
  }

  /** The requests of one key: at most one of them in flight, the rest waiting in order. */
  private static final class KeyQueue {
    final Object key;
    final ArrayDeque<Queued> waiting = new ArrayDeque<>(2);
    boolean busy;

    KeyQueue(Object key) {
      this.key = key;
    }
  }

  /** The component context this helper serves. */
  public ComponentContext componentContext() {
    return ctx;
  }

  /** Builds an {@link ExporterHelper}; defaults are the Collector's. */
  public static final class Builder {
    private final ComponentContext ctx;
    private final RequestSender sender;
    private Duration timeout = Duration.ofSeconds(5);
    private QueueSettings queue = QueueSettings.defaults();
    private RetrySettings retry = RetrySettings.defaults();
    private Supplier<Future<Void>> onStart = Future::succeededFuture;
    private Supplier<Future<Void>> onShutdown = Future::succeededFuture;
    private Function<Batch, List<Batch>> requestSplitter;
    private long maxQueuedBytes = MAX_QUEUED_BYTES;
    private Function<Batch, Object> requestKey;
    private int maxKeys = DEFAULT_MAX_KEYS;

    private Builder(ComponentContext ctx, RequestSender sender) {
      this.ctx = ctx;
      this.sender = sender;
    }

    /** Per-request timeout; zero or null means none. */
    public Builder timeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    public Builder queue(QueueSettings queue) {
      this.queue = queue;
      return this;
    }

    public Builder retry(RetrySettings retry) {
      this.retry = retry;
      return this;
    }

    /** Runs on the exporter's context when it starts (build the client, open the file). */
    public Builder onStart(Supplier<Future<Void>> onStart) {
      this.onStart = onStart;
      return this;
    }

    /** Runs on the exporter's context after everything queued was sent (close the client). */
    public Builder onShutdown(Supplier<Future<Void>> onShutdown) {
      this.onShutdown = onShutdown;
      return this;
    }

    /**
     * Splits each incoming batch into the requests it is sent as (by encoded size, say); each
     * request is queued, sent and retried on its own. Runs on the exporter's context.
     */
    public Builder requestSplitter(Function<Batch, List<Batch>> requestSplitter) {
      this.requestSplitter = requestSplitter;
      return this;
    }

    /** The most the sending queue holds, in encoded bytes; {@link #MAX_QUEUED_BYTES} by default. */
    public Builder maxQueuedBytes(long maxQueuedBytes) {
      this.maxQueuedBytes = maxQueuedBytes;
      return this;
    }

    /**
     * Serialises requests per key: {@code key} gives each request's key (after the
     * {@link #requestSplitter}; equal keys by {@code equals}), or null for a request that waits for
     * no other. A key has one request in flight at a time, its requests go in order, and its
     * retries do not hold up other keys. Runs on the exporter's context.
     */
    public Builder requestKey(Function<Batch, Object> key) {
      this.requestKey = key;
      return this;
    }

    /**
     * The most keys with requests queued or in flight at once ({@link #DEFAULT_MAX_KEYS} by
     * default); a batch bringing more is refused as when the queue is full.
     */
    public Builder maxKeys(int maxKeys) {
      if (maxKeys < 1) {
        throw new IllegalArgumentException("maxKeys must be at least 1, got " + maxKeys);
      }
      this.maxKeys = maxKeys;
      return this;
    }

    public ExporterHelper build() {
      return new ExporterHelper(this);
    }
  }
}
