package io.sluice.processor.tailsampling;

import java.util.Arrays;

/**
 * One undecided trace held by a shard: a summary of its spans kept up to date as they arrive
 * (what the cheap policies read) and the spans themselves, as runs of encoded {@code Span} fields
 * ({@code 0x12 length bytes}, exactly as they sit in a {@code ScopeSpans}) per scope.
 *
 * <p>Touched only on its shard's event loop.
 */
final class Trace {
  /** Bookkeeping held per trace beyond its spans' bytes, as counted against {@code max_bytes}. */
  static final int OVERHEAD_BYTES = 192;
  /** Bookkeeping held per run of spans, as counted against {@code max_bytes}. */
  static final int RUN_OVERHEAD_BYTES = 40;

  final long hi;
  final long lo;
  final long firstNanos;
  /** When the trace is due for its decision (root spans may bring it forward). */
  long dueNanos;
  /** Arrival order, oldest first: the shard's list of undecided traces. */
  Trace prev;
  Trace next;

  int spans;
  /** Bytes counted against the budget: span bytes plus bookkeeping. */
  long bytes;
  /** The encoded span bytes alone. */
  long spanBytes;
  long minStart = Long.MAX_VALUE;
  long maxEnd = Long.MIN_VALUE;
  /** Bit {@code 1 << code} for each span status code seen (0 unset, 1 ok, 2 error, 3 anything else). */
  int statusBits;
  boolean sampledFlag;
  boolean rootSeen;

  ScopeRef[] runScope = new ScopeRef[2];
  byte[][] runData = new byte[2][];
  int[] runSpans = new int[2];
  int runCount;

  /** Acknowledgements of the batches that brought spans of this trace, released once it is decided. */
  Ack[] acks;
  int ackCount;

  // Scratch for one intake on the shard: the chain of this trace's spans in the batch being taken.
  long intakeToken;
  int intakeFirst;
  int intakeLast;

  Trace(long hi, long lo, long firstNanos) {
    this.hi = hi;
    this.lo = lo;
    this.firstNanos = firstNanos;
  }

  void addRun(ScopeRef scope, byte[] data, int count) {
    if (runCount == runData.length) {
      runScope = Arrays.copyOf(runScope, runCount * 2);
      runData = Arrays.copyOf(runData, runCount * 2);
      runSpans = Arrays.copyOf(runSpans, runCount * 2);
    }
    runScope[runCount] = scope;
    runData[runCount] = data;
    runSpans[runCount] = count;
    runCount++;
  }

  /** Holds {@code ack} until this trace is decided (and its spans taken, when kept). */
  void addAck(Ack ack) {
    if (acks == null) {
      acks = new Ack[2];
    } else if (ackCount == acks.length) {
      acks = Arrays.copyOf(acks, ackCount * 2);
    }
    ack.hold();
    acks[ackCount++] = ack;
  }

  /** The size of the encoded trace (its resources, scopes and spans), as the bytes_limiting policy counts it. */
  long encodedSize() {
    long n = 0;
    ResourceRef lastResource = null;
    ScopeRef lastScope = null;
    for (int r = 0; r < runCount; r++) {
      n += runData[r].length;
      if (runScope[r] != lastScope) {
        lastScope = runScope[r];
        n += Wire.lenFieldSize(lastScope.header.length);
        if (lastScope.resource != lastResource) {
          lastResource = lastScope.resource;
          n += Wire.lenFieldSize(lastResource.header.length);
        }
      }
    }
    return n;
  }

  /** Walks the spans of a trace, run by run. */
  static final class Cursor {
    private final Trace t;
    private int run;
    private int pos;
    byte[] data;
    int off;
    int len;
    ScopeRef scope;

    Cursor(Trace t) {
      this.t = t;
    }

    boolean next() {
      while (run < t.runCount) {
        byte[] d = t.runData[run];
        if (pos < d.length) {
          int n = Wire.length(d, pos + 1, d.length);
          data = d;
          off = Wire.skipVarint(d, pos + 1);
          len = n;
          scope = t.runScope[run];
          pos = off + n;
          return true;
        }
        run++;
        pos = 0;
      }
      return false;
    }
  }
}
