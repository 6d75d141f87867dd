package io.sluice.core.exporterhelper;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.telemetry.SelfMetrics;
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
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The machinery every exporter shares: a bounded in-memory sending queue, a fixed number of
 * requests in flight, retries with exponential backoff and jitter that wait at least as long as
 * the backend asked, a per-request timeout, and the counts of what was sent, failed and refused.
 * An exporter gives it a {@link RequestSender} and gets an {@link Exporter}.
 *
 * <p>With the queue enabled a batch is acknowledged once it is queued; a full queue (by batches,
 * or by bytes: {@link #MAX_QUEUED_BYTES}) refuses it with a {@link ResourceExhaustedException}.
 * With the queue disabled it is acknowledged once it is delivered, and a failure goes back to the caller. All state lives on one Vert.x context: the
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
 * <p>{@link #shutdown()} stops intake, then completes once every queued and in-flight batch is
 * delivered or given up on; the gateway bounds that wait with its shutdown deadline.
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
  private volatile int queued;

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
    if (queue.enabled()) {
      b.ctx.metrics().registerQueue(b.ctx.id(), () -> queued, queue.queueSize());
    }
  }

  public static Builder builder(ComponentContext ctx, RequestSender sender) {
    return new Builder(ctx, sender);
  }

  /** The context the sender is called on; exporters may use it for their own state. */
  public Context context() {
    return context;
  }

  /** Batches waiting in the queue now (not counting those in flight). */
  public int queueSize() {
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
        Future<Void> starting = onContext(call(onStart));
        startFuture = starting;
        starting.onComplete(ar -> {
          if (ar.succeeded()) {
            started = !stopping;
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
    if (requestKey != null && !fitsKeys(requests, keyOf)) {
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
    if (pending + requests.size() > queue.queueSize() && !(pending == 0 && requests.size() > 1)) {
      metrics.enqueueFailed(batch.signal(), batch.itemCount());
      ack.fail(new ResourceExhaustedException("Exporter '" + id + "': sending queue is full ("
          + queue.queueSize() + " batches); the backend is slower than the input", retryDelayHint()));
      return;
    }
    long bytes = 0;
    for (Batch r : requests) {
      bytes += r.sizeBytes();
    }
    if (pending > 0 && pendingBytes + bytes > maxQueuedBytes) {
      metrics.enqueueFailed(batch.signal(), batch.itemCount());
      ack.fail(new ResourceExhaustedException("Exporter '" + id + "': sending queue holds " + pendingBytes
          + " bytes, its limit in memory is " + maxQueuedBytes + " (a quarter of the heap, at most 512 MiB); the"
          + " backend is slower than the input", retryDelayHint()));
      return;
    }
    for (int i = 0; i < requests.size(); i++) {
      enqueue(requests.get(i), keyOf[i], null);
    }
    ack.complete();
    dispatch();
  }

  /**
   * Computes each request's key into {@code keyOf}; false when the keys new to the exporter would
   * bring it over {@link #maxKeys} while some key is busy.
   */
  private boolean fitsKeys(List<Batch> requests, Object[] keyOf) {
    int added = 0;
    Set<Object> fresh = null;
    for (int i = 0; i < requests.size(); i++) {
      Object k = requestKey.apply(requests.get(i));
      keyOf[i] = k;
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
    queued = pending;
    if (!k.busy && k.waiting.size() == 1) {
      ready.add(k);
    }
  }

  /** Without a queue: sends every request (one per key at a time), acknowledging when all are delivered. */
  private void sendAll(List<Batch> requests, Object[] keyOf, Promise<Void> ack) {
    int[] unsettled = {requests.size()};
    for (int i = 0; i < requests.size(); i++) {
      enqueue(requests.get(i), keyOf[i], ar -> {
        if (ar.failed()) {
          ack.tryFail(ar.cause());
        } else if (--unsettled[0] == 0) {
          ack.tryComplete();
        }
      });
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
    dispatching = true;
    try {
      int budget = DISPATCH_BUDGET;
      // Without a queue every request is sent at once, as it comes (one per key at a time).
      int limit = queue.enabled() ? queue.numConsumers() : Integer.MAX_VALUE;
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
        queued = pending;
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
        keyed ? this::backOffWithoutASlot : null);
  }

  /** A keyed request between attempts: its slot goes to other work until its next attempt is due. */
  private void backOffWithoutASlot(long delayMillis, Runnable next) {
    inFlight--;
    backingOff++;
    context.setTimer(delayMillis, tid -> {
      retriesDue.add(next);
      dispatch();
    });
    dispatch(); // the key stays busy, so this starts other keys' work only
  }

  private void checkDrained() {
    if (stopping && drained != null && pending == 0 && inFlight == 0 && backingOff == 0) {
      drained.tryComplete();
    }
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
      checkDrained();
      if (pending > 0 || inFlight > 0 || backingOff > 0) {
        LOG.info("Exporter '{}' is shutting down: sending {} queued and {} in-flight batches", id,
            pending, inFlight + backingOff);
      }
      // A start still running is waited for, so what its onStart opened is closed by onShutdown.
      Future<Boolean> wasStarted = startFuture == null ? Future.succeededFuture(false)
          : startFuture.transform(ar -> Future.succeededFuture(ar.succeeded()));
      Future<Void> done = onContext(wasStarted.compose(s -> drained.future()
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

  /** Keys with requests queued or in flight now; call on {@link #context()}. */
  int activeKeys() {
    return keys.size();
  }

  /** A request waiting, and who to tell how it ended (null when the queue acknowledged it already). */
  private record Queued(Batch request, Handler<AsyncResult<Void>> done) {
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
