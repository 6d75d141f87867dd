package io.sluice.processor.tailsampling;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.sluice.core.Batch;
import io.sluice.core.Envelope;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.processor.tailsampling.Policies.Named;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The traces of one event loop: every trace ID hashes to exactly one shard, which holds its spans,
 * decides it and hands its sampled spans on. Everything here runs on the shard's context, so
 * nothing is locked.
 *
 * <p>Undecided traces are kept in a table by ID and in a list by arrival, oldest first. One
 * periodic timer per shard decides the traces whose {@code decision_wait} has passed (the list's
 * head) and those whose root span brought the decision forward. Over {@code num_traces} or
 * {@code max_bytes} the oldest traces are decided at once, on what has arrived. Decided IDs go to
 * the sampled or the non-sampled decision cache, and a span that arrives later follows the
 * decision found there.
 */
final class Shard {
  private static final Logger LOG = LoggerFactory.getLogger(Shard.class);
  /** Decisions made in one turn of the event loop at most; the rest in the next turn. */
  static final int MAX_DECISIONS_PER_TURN = 2048;
  private static final int EARLY_NUM_TRACES = 0;
  private static final int EARLY_MAX_BYTES = 1;
  private static final int EARLY_TOO_LARGE = 2;

  final int index;
  final ContextInternal context;
  private final TailSamplingProcessor owner;
  private final TailSamplingMetrics metrics;
  private final List<Named> policies;
  private final CounterDataPoint[][][] policyCounters;
  private final Policies.Eval eval;

  private final TraceTable pending;
  private Trace head;
  private Trace tail;
  /** Bytes counted against {@code max_bytes}: span bytes and bookkeeping of undecided traces. */
  private long pendingBytes;
  /** The encoded span bytes alone of undecided traces. */
  private long pendingSpanBytes;
  /** Bytes of sampled spans handed to the next consumer (or waiting to be again) and not yet taken. */
  private long outboundBytes;
  private final DecisionCache sampled;
  private final DecisionCache notSampled;
  private final ArrayDeque<Trace> rootDue = new ArrayDeque<>();
  private final Map<ResourceRef, ResourceRef> resources = new HashMap<>();
  private final Map<ScopeRef, ScopeRef> scopes = new HashMap<>();
  private final Output output = new Output();
  private final ArrayDeque<Retry> retries = new ArrayDeque<>();
  private final Map<String, Output.Tag> liveTags = new HashMap<>();
  private final Output.Tag[] cachedTags;
  private long intakeToken;
  private long timerId = -1;
  private boolean closed;
  private Promise<Void> closing;

  // Read by other threads (gauges, the admission check).
  volatile int heldTraces;
  volatile long heldBytes;
  volatile boolean refusing;

  private record Retry(Batch batch, int bytes, int spans, int attempt, long dueNanos, Release release) {}

  /**
   * The acknowledgements that wait for the requests of one flush: released when the next consumer
   * took (or refused for good) every one of them. Touched on the shard's context only.
   */
  private static final class Release {
    final Ack[] acks;
    int requests;

    Release(Ack[] acks, int requests) {
      this.acks = acks;
      this.requests = requests;
    }

    void requestDone() {
      if (--requests == 0) {
        Ack.releaseAll(acks, acks.length);
      }
    }
  }

  /** The acknowledgement of the batch being taken (null when batches are acknowledged on receipt). */
  private Ack takingAck;
  /** Whether {@link #takingAck} already waits for this flush's late sampled spans. */
  private boolean takingAckHeld;

  Shard(int index, ContextInternal context, TailSamplingProcessor owner, List<Named> policies,
      CounterDataPoint[][][] policyCounters) {
    this.index = index;
    this.context = context;
    this.owner = owner;
    this.metrics = owner.metrics;
    this.policies = policies;
    this.policyCounters = policyCounters;
    this.eval = new Policies.Eval(owner.clock);
    this.pending = new TraceTable(owner.expectedTracesPerShard);
    this.sampled = new DecisionCache(owner.sampledCachePerShard);
    this.notSampled = new DecisionCache(owner.notSampledCachePerShard);
    this.cachedTags = new Output.Tag[policies.size() + 1];
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  void start() {
    if (!closed && timerId < 0) {
      timerId = context.setPeriodic(owner.tickMillis, id -> tick());
    }
  }

  /** Stops the timer, decides (or drops) every undecided trace and completes once the next consumer took all. */
  void close(boolean dropPending, Promise<Void> done) {
    if (closed) {
      done.complete();
      return;
    }
    closed = true;
    closing = done;
    if (timerId >= 0) {
      context.owner().cancelTimer(timerId);
      timerId = -1;
    }
    if (dropPending) {
      int traces = 0;
      long spans = 0;
      for (Trace t = head; t != null; t = t.next) {
        traces++;
        spans += t.spans;
      }
      if (traces > 0) {
        LOG.warn("Tail sampling processor \"{}\" in pipeline \"{}\" is shutting down: dropped {} undecided traces"
            + " ({} spans), as drop_pending_traces_on_shutdown asks", owner.id, owner.pipeline, traces, spans);
        metrics.processor.dropped(spans);
        RetryableException notTaken = new RetryableException("Tail sampling processor \"" + owner.id
            + "\" in pipeline \"" + owner.pipeline + "\" dropped undecided traces on shutdown"
            + " (drop_pending_traces_on_shutdown); send them again");
        for (Trace t = head; t != null; t = t.next) {
          Ack.failAll(t.acks, t.ackCount, notTaken);
        }
      }
      head = null;
      tail = null;
      pending.clear();
      rootDue.clear();
      pendingBytes = 0;
      pendingSpanBytes = 0;
      drainAfterClose();
    } else {
      decideAllThenDrain();
    }
  }

  private void decideAllThenDrain() {
    long now = owner.clock.getAsLong();
    for (int n = 0; head != null && n < MAX_DECISIONS_PER_TURN; n++) {
      decide(head, -1, now);
    }
    flush(now);
    if (head != null) {
      context.runOnContext(v -> decideAllThenDrain());
    } else {
      drainAfterClose();
    }
  }

  private void drainAfterClose() {
    publish();
    if (outboundBytes == 0 && retries.isEmpty()) {
      Promise<Void> p = closing;
      closing = null;
      if (p != null) {
        p.complete();
      }
    } else if (!retries.isEmpty()) {
      long wait = Math.max(1, (retries.peekFirst().dueNanos() - owner.clock.getAsLong()) / 1_000_000);
      context.setTimer(wait, id -> {
        retryDue(owner.clock.getAsLong());
        drainAfterClose();
      });
    }
    // Otherwise a send is in flight; its completion calls this again.
  }

  // ---- intake -------------------------------------------------------------------------------

  /**
   * Takes this shard's spans of a batch; on the shard's context. False when the shard is closed
   * (the batch came in while the processor shut down): then nothing is taken.
   */
  boolean take(Scan scan, Ack ack) {
    if (closed) {
      return false;
    }
    takingAck = ack;
    takingAckHeld = false;
    long now = owner.clock.getAsLong();
    long token = ++intakeToken;
    ScopeRef[] localScopes = new ScopeRef[scan.scopes];
    List<Trace> touched = new ArrayList<>();
    int[] chain = scan.chain;
    for (int i = 0; i < scan.spans; i++) {
      if (scan.shard[i] != index) {
        continue;
      }
      long hi = scan.idHi[i];
      long lo = scan.idLo[i];
      Trace t = pending.get(hi, lo);
      if (t == null) {
        if (late(scan, i, localScopes, now)) {
          continue;
        }
        t = new Trace(hi, lo, now);
        t.dueNanos = now + owner.waitNanos;
        t.bytes = Trace.OVERHEAD_BYTES;
        pendingBytes += Trace.OVERHEAD_BYTES;
        pending.put(t);
        append(t);
        metrics.newTraces.inc();
      }
      if (t.intakeToken != token) {
        t.intakeToken = token;
        t.intakeFirst = i;
        touched.add(t);
        if (ack != null) {
          t.addAck(ack);
          t.bytes += Ack.HOLD_BYTES;
          pendingBytes += Ack.HOLD_BYTES;
        }
      } else {
        chain[t.intakeLast] = i;
      }
      t.intakeLast = i;
      chain[i] = -1;
      t.spans++;
      long st = scan.start[i];
      long en = scan.end[i];
      if (st < t.minStart) {
        t.minStart = st;
      }
      if (en > t.maxEnd) {
        t.maxEnd = en;
      }
      int bits = scan.bits[i];
      t.statusBits |= 1 << (bits & Scan.STATUS_MASK);
      t.sampledFlag |= (bits & Scan.SAMPLED_FLAG) != 0;
      if ((bits & Scan.ROOT) != 0 && !t.rootSeen) {
        t.rootSeen = true;
        if (owner.rootWaitNanos > 0 && now + owner.rootWaitNanos - t.dueNanos < 0) {
          t.dueNanos = now + owner.rootWaitNanos;
          rootDue.addLast(t);
        }
      }
    }
    for (int k = 0, n = touched.size(); k < n; k++) {
      Trace t = touched.get(k);
      store(scan, t, localScopes);
      if (owner.maxTraceBytes > 0 && t.spanBytes > owner.maxTraceBytes
          && pending.get(t.hi, t.lo) == t) {
        decide(t, EARLY_TOO_LARGE, now);
      }
    }
    if (!owner.blockOnOverflow) {
      while (pending.size() > owner.maxTracesPerShard) {
        decide(head, EARLY_NUM_TRACES, now);
      }
    }
    while (head != null && pendingBytes + outboundBytes > owner.maxBytesPerShard) {
      decide(head, EARLY_MAX_BYTES, now);
    }
    flush(now);
    publish();
    takingAck = null;
    return true;
  }

  /** Handles span {@code i} when its trace was decided; false when it is a new trace. */
  private boolean late(Scan scan, int i, ScopeRef[] localScopes, long now) {
    long hi = scan.idHi[i];
    long lo = scan.idLo[i];
    long v = sampled.get(hi, lo);
    boolean wasSampled = v >= 0;
    if (!wasSampled) {
      v = notSampled.get(hi, lo);
      if (v < 0) {
        return false;
      }
    }
    long decidedMillis = v >>> 16;
    metrics.lateSpanAge.observe(Math.max(0, owner.millisSinceStart(now) - decidedMillis) / 1000.0);
    if (wasSampled) {
      byte[] run = new byte[Wire.lenFieldSize(scan.spanLen[i])];
      int p = Wire.writeLenHeader(run, 0, 2, scan.spanLen[i]);
      System.arraycopy(scan.data, scan.spanOff[i], run, p, scan.spanLen[i]);
      output.add(scope(scan, scan.spanScope[i], localScopes), cachedTag((int) (v & 0xFFFF)), run, 1);
      if (takingAck != null && !takingAckHeld) {
        output.hold(takingAck); // released once the next consumer took the late spans
        takingAckHeld = true;
      }
      metrics.cacheReleasedSampled.inc();
    } else {
      metrics.cacheReleasedNotSampled.inc();
      metrics.processor.dropped(1);
    }
    return true;
  }

  /** Copies the spans a batch brought for {@code t} into runs, one per scope. */
  private void store(Scan scan, Trace t, ScopeRef[] localScopes) {
    int[] chain = scan.chain;
    int i = t.intakeFirst;
    while (i >= 0) {
      int sc = scan.spanScope[i];
      int size = 0;
      int count = 0;
      for (int j = i; j >= 0 && scan.spanScope[j] == sc; j = chain[j]) {
        size += Wire.lenFieldSize(scan.spanLen[j]);
        count++;
      }
      byte[] run = new byte[size];
      int p = 0;
      int j = i;
      for (int c = 0; c < count; c++) {
        p = Wire.writeLenHeader(run, p, 2, scan.spanLen[j]);
        System.arraycopy(scan.data, scan.spanOff[j], run, p, scan.spanLen[j]);
        p += scan.spanLen[j];
        j = chain[j];
      }
      t.addRun(scope(scan, sc, localScopes), run, count);
      long added = size + Trace.RUN_OVERHEAD_BYTES;
      t.bytes += added;
      pendingBytes += added;
      t.spanBytes += size;
      pendingSpanBytes += size;
      i = j;
    }
  }

  /** The interned scope (and resource) of scope {@code sc} of a batch. */
  private ScopeRef scope(Scan scan, int sc, ScopeRef[] local) {
    ScopeRef s = local[sc];
    if (s == null) {
      int r = scan.scopeResource[sc];
      ResourceRef res = new ResourceRef(scan.tenant, scan.resourceHeaders[r], scan.resourceOff[r], scan.resourceLen[r]);
      ResourceRef known = resources.putIfAbsent(res, res);
      if (known != null) {
        res = known;
      } else if (resources.size() > 4096) {
        resources.clear(); // traces keep theirs; only sharing between batches starts afresh
        scopes.clear();
      }
      s = new ScopeRef(res, scan.scopeHeaders[sc], scan.scopeOff[sc], scan.scopeLen[sc]);
      ScopeRef knownScope = scopes.putIfAbsent(s, s);
      if (knownScope != null) {
        s = knownScope;
      }
      local[sc] = s;
    }
    return s;
  }

  private void append(Trace t) {
    t.prev = tail;
    t.next = null;
    if (tail == null) {
      head = t;
    } else {
      tail.next = t;
    }
    tail = t;
  }

  private void unlink(Trace t) {
    if (t.prev == null) {
      head = t.next;
    } else {
      t.prev.next = t.next;
    }
    if (t.next == null) {
      tail = t.prev;
    } else {
      t.next.prev = t.prev;
    }
    t.prev = null;
    t.next = null;
  }

  // ---- decisions ----------------------------------------------------------------------------

  private void tick() {
    long now = owner.clock.getAsLong();
    int n = 0;
    long wait = owner.waitNanos;
    while (head != null && n < MAX_DECISIONS_PER_TURN && head.firstNanos + wait - now <= 0) {
      decide(head, -1, now);
      n++;
    }
    while (!rootDue.isEmpty() && n < MAX_DECISIONS_PER_TURN && rootDue.peekFirst().dueNanos - now <= 0) {
      Trace t = rootDue.pollFirst();
      if (pending.get(t.hi, t.lo) == t) {
        decide(t, -1, now);
        n++;
      }
    }
    retryDue(now);
    flush(now);
    publish();
    owner.publishGauges();
    metrics.timerLatency.observe((owner.clock.getAsLong() - now) / 1e9);
    if (n >= MAX_DECISIONS_PER_TURN && !closed) {
      context.runOnContext(v -> tick());
    }
  }

  /** Decides {@code t} now; {@code early} is the reason it is decided before its time, or -1. */
  void decide(Trace t, int early, long now) {
    pending.remove(t);
    unlink(t);
    pendingBytes -= t.bytes;
    pendingSpanBytes -= t.spanBytes;
    eval.compositeSub = null;
    int by = evaluate(t);
    Decision d = by >= 0 ? Decision.SAMPLED : by == -2 ? Decision.DROPPED : Decision.NOT_SAMPLED;
    int policy = by >= 0 ? by : -1;
    metrics.decisionLatency.observe((now - t.firstNanos) / 1e9);
    metrics.global[d.ordinal()].inc();
    if (early >= 0) {
      metrics.early[early].inc();
      owner.earlyDecisionLog(early);
    }
    long decided = owner.millisSinceStart(now) << 16;
    if (d == Decision.SAMPLED) {
      Output.Tag tag = owner.recordPolicy ? liveTag(policy, eval.compositeSub) : null;
      for (int r = 0; r < t.runCount; r++) {
        output.add(t.runScope[r], tag, t.runData[r], t.runSpans[r]);
      }
      output.holdAll(t.acks, t.ackCount);
      sampled.put(t.hi, t.lo, decided | (policy + 1));
    } else {
      notSampled.put(t.hi, t.lo, decided);
      metrics.processor.dropped(t.spans);
      Ack.releaseAll(t.acks, t.ackCount); // a dropped trace is done once decided
    }
    t.acks = null;
    t.ackCount = 0;
  }

  /**
   * Evaluates every policy and combines their decisions as the Collector does: a drop wins; then
   * an inverted not-sampled; then the first policy that sampled; then an inverted sampled when no
   * policy said not sampled. Returns the index of the policy the trace is sampled by, -2 when
   * dropped, -1 when not sampled.
   */
  int evaluate(Trace t) {
    int sampledBy = -1;
    int invertSampledBy = -1;
    boolean invertNotSampled = false;
    boolean notSampledSeen = false;
    for (int k = 0, n = policies.size(); k < n; k++) {
      Decision d;
      try {
        d = policies.get(k).policy().evaluate(t, eval);
      } catch (RuntimeException e) {
        LOG.debug("Tail sampling processor \"{}\": policy \"{}\" failed", owner.id, policies.get(k).name(), e);
        d = Decision.ERROR;
      }
      if (d == Decision.ERROR) {
        metrics.evaluationErrors.inc();
        continue;
      }
      policyCounters[k][0][d.ordinal()].inc();
      policyCounters[k][1][d.ordinal()].inc(t.spans);
      switch (d) {
        case DROPPED -> {
          return -2;
        }
        case SAMPLED -> {
          if (sampledBy < 0) {
            sampledBy = k;
          }
          if (owner.sampleOnFirstMatch) {
            return sampledBy;
          }
        }
        case INVERT_SAMPLED -> {
          if (invertSampledBy < 0) {
            invertSampledBy = k;
          }
        }
        case INVERT_NOT_SAMPLED -> invertNotSampled = true;
        case NOT_SAMPLED -> notSampledSeen = true;
        default -> { }
      }
    }
    if (invertNotSampled) {
      return -1;
    }
    if (sampledBy >= 0) {
      return sampledBy;
    }
    if (invertSampledBy >= 0 && !notSampledSeen) {
      return invertSampledBy;
    }
    return -1;
  }

  private Output.Tag liveTag(int policy, String compositeSub) {
    if (policy < 0) {
      return null;
    }
    String name = policies.get(policy).name();
    String key = compositeSub == null ? name : name + '\u0000' + compositeSub;
    return liveTags.computeIfAbsent(key, k -> {
      Map<String, Object> attrs = new LinkedHashMap<>();
      attrs.put("tailsampling.policy", name);
      if (compositeSub != null) {
        attrs.put("tailsampling.composite_policy", compositeSub);
      }
      return new Output.Tag(attrs);
    });
  }

  private Output.Tag cachedTag(int policyPlusOne) {
    if (!owner.recordPolicy) {
      return null;
    }
    int i = Math.min(policyPlusOne, policies.size());
    Output.Tag tag = cachedTags[i];
    if (tag == null) {
      Map<String, Object> attrs = new LinkedHashMap<>();
      if (i > 0) {
        attrs.put("tailsampling.policy", policies.get(i - 1).name());
      }
      attrs.put("tailsampling.cached_decision", true);
      tag = new Output.Tag(attrs);
      cachedTags[i] = tag;
    }
    return tag;
  }

  // ---- handing on ---------------------------------------------------------------------------

  private void flush(long now) {
    Ack[] acks = output.drainAcks();
    if (output.isEmpty()) {
      Ack.releaseAll(acks, acks.length);
      return;
    }
    List<Output.Request> requests = output.drain();
    Release release = new Release(acks, requests.size());
    int holdBytes = acks.length * Ack.HOLD_BYTES;
    for (Output.Request r : requests) {
      Batch batch;
      try {
        batch = Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, r.bytes(), 0, r.bytes().length),
            new Envelope(owner.id, now, r.tenant(), Map.of()));
      } catch (com.google.protobuf.InvalidProtocolBufferException e) {
        throw new IllegalStateException("tail_sampling wrote a malformed request", e); // a bug
      }
      metrics.processor.outgoing(r.spans());
      send(new Retry(batch, r.bytes().length + holdBytes, r.spans(), 0, now, release));
      holdBytes = 0;
    }
  }

  private void send(Retry r) {
    outboundBytes += r.bytes();
    Future<Void> f;
    try {
      f = owner.next.consume(r.batch());
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    f.onComplete((v, err) -> {
      if (context.inThread()) {
        sent(r, err);
      } else {
        context.runOnContext(x -> sent(r, err));
      }
    });
  }

  private void sent(Retry r, Throwable err) {
    outboundBytes -= r.bytes();
    if (err != null) {
      boolean permanent = err instanceof PermanentException;
      boolean givingUp = permanent || closed && r.attempt() >= owner.shutdownRetries;
      if (givingUp) {
        metrics.processor.dropped(r.spans());
        owner.sendFailedLog(r.spans(), err, permanent);
        if (permanent) {
          r.release().requestDone(); // sending them again would be refused again
        } else {
          Ack.failAll(r.release().acks, r.release().acks.length, new RetryableException("Tail sampling processor \""
              + owner.id + "\" in pipeline \"" + owner.pipeline + "\" shut down before the next consumer took the"
              + " sampled spans; send them again", err));
        }
      } else {
        long backoff = Math.min(5_000, 100L << Math.min(6, r.attempt())) * 1_000_000L;
        retries.addLast(new Retry(r.batch(), r.bytes(), r.spans(), r.attempt() + 1,
            owner.clock.getAsLong() + backoff, r.release()));
        outboundBytes += r.bytes();
      }
    } else {
      r.release().requestDone();
    }
    publish();
    if (closed && closing != null) {
      drainAfterClose();
    }
  }

  private void retryDue(long now) {
    for (int n = retries.size(); n > 0; n--) {
      Retry r = retries.peekFirst();
      if (r.dueNanos() - now > 0) {
        break;
      }
      retries.pollFirst();
      outboundBytes -= r.bytes();
      send(r);
    }
  }

  /** Updates what other threads read: the held counts and whether to refuse new batches. */
  private void publish() {
    heldTraces = pending.size();
    heldBytes = pendingSpanBytes + outboundBytes;
    refusing = outboundBytes >= owner.maxBytesPerShard / 2
        || owner.blockOnOverflow && pending.size() >= owner.maxTracesPerShard;
  }

  /** For tests: the undecided traces held. */
  int pendingTraces() {
    return pending.size();
  }

  long sampledCacheSize() {
    return sampled.size();
  }
}
