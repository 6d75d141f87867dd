package io.sluice.processor.tailsampling;

import java.util.Arrays;

/**
 * One incoming batch, read once on the thread that hands it over: where each span is, its trace
 * ID, the few fields the trace summary keeps (start, end, status code, sampled flag, root), and
 * which shard owns its trace. The resources' and scopes' other fields are copied out here, so
 * that each shard can intern them. Read-only once handed to the shards.
 */
final class Scan {
  static final int ROOT = 1 << 2;
  static final int SAMPLED_FLAG = 1 << 3;
  static final int STATUS_MASK = 3;

  final byte[] data;
  final String tenant;
  final long receivedNanos;

  // Resources and scopes, by index.
  byte[][] resourceHeaders = new byte[2][];
  int[] resourceOff = new int[2];
  int[] resourceLen = new int[2];
  int resources;
  byte[][] scopeHeaders = new byte[4][];
  int[] scopeOff = new int[4];
  int[] scopeLen = new int[4];
  int[] scopeResource = new int[4];
  int scopes;

  // Spans, by index.
  int spans;
  int[] spanOff;
  int[] spanLen;
  int[] spanScope;
  long[] idHi;
  long[] idLo;
  long[] start;
  long[] end;
  byte[] bits;
  byte[] shard;
  /** Per shard, how many spans it owns. */
  final int[] perShard;
  /** The next span of the same trace in this batch, for the owning shard; filled by the shard. */
  int[] chain;

  private Scan(byte[] data, String tenant, long receivedNanos, int shards, int capacity) {
    this.data = data;
    this.tenant = tenant;
    this.receivedNanos = receivedNanos;
    this.perShard = new int[shards];
    int c = Math.max(8, capacity);
    spanOff = new int[c];
    spanLen = new int[c];
    spanScope = new int[c];
    idHi = new long[c];
    idLo = new long[c];
    start = new long[c];
    end = new long[c];
    bits = new byte[c];
    shard = new byte[c];
  }

  /**
   * Reads an encoded {@code ExportTraceServiceRequest} (its field 1 holds the resources).
   *
   * @param spanHint the number of spans, when known, to size the arrays
   */
  static Scan read(byte[] request, String tenant, long receivedNanos, int shards, int spanHint) {
    Scan s = new Scan(request, tenant, receivedNanos, shards, spanHint);
    int end = request.length;
    int p = 0;
    while (p < end) {
      long tag = Wire.varint(request, p, end);
      p = Wire.skipVarint(request, p);
      int wire = (int) tag & 7;
      if ((int) (tag >>> 3) == 1 && wire == Wire.LEN) {
        int n = Wire.length(request, p, end);
        p = Wire.skipVarint(request, p);
        s.readResource(p, p + n);
        p += n;
      } else {
        p = Wire.skip(request, p, end, wire);
      }
    }
    s.chain = new int[s.spans];
    return s;
  }

  /** One {@code ResourceSpans} message in {@code [from, to)}. */
  private void readResource(int from, int to) {
    int r = resources;
    int firstScope = scopes;
    byte[] d = data;
    // First pass: the header (every field but scope_spans) and the scopes.
    int headerSize = 0;
    int p = from;
    while (p < to) {
      int fieldStart = p;
      long tag = Wire.varint(d, p, to);
      p = Wire.skipVarint(d, p);
      int wire = (int) tag & 7;
      int after = Wire.skip(d, p, to, wire);
      if ((int) (tag >>> 3) == 2 && wire == Wire.LEN) {
        int n = Wire.length(d, p, to);
        int body = Wire.skipVarint(d, p);
        readScope(r, body, body + n);
      } else {
        headerSize += after - fieldStart;
      }
      p = after;
    }
    if (scopes == firstScope) {
      return; // a resource without spans carries nothing to sample
    }
    byte[] header = new byte[headerSize];
    int resOff = -1;
    int resLen = 0;
    int w = 0;
    p = from;
    while (p < to) {
      int fieldStart = p;
      long tag = Wire.varint(d, p, to);
      p = Wire.skipVarint(d, p);
      int wire = (int) tag & 7;
      int after = Wire.skip(d, p, to, wire);
      if (!((int) (tag >>> 3) == 2 && wire == Wire.LEN)) {
        if ((int) (tag >>> 3) == 1 && wire == Wire.LEN) {
          resLen = Wire.length(d, p, to);
          resOff = w + (Wire.skipVarint(d, p) - fieldStart);
        }
        System.arraycopy(d, fieldStart, header, w, after - fieldStart);
        w += after - fieldStart;
      }
      p = after;
    }
    if (r == resourceHeaders.length) {
      resourceHeaders = Arrays.copyOf(resourceHeaders, r * 2);
      resourceOff = Arrays.copyOf(resourceOff, r * 2);
      resourceLen = Arrays.copyOf(resourceLen, r * 2);
    }
    resourceHeaders[r] = header;
    resourceOff[r] = resOff;
    resourceLen[r] = resLen;
    resources++;
  }

  /** One {@code ScopeSpans} message in {@code [from, to)} of resource {@code r}. */
  private void readScope(int r, int from, int to) {
    byte[] d = data;
    int sc = scopes;
    int spansBefore = spans;
    int headerSize = 0;
    int p = from;
    while (p < to) {
      int fieldStart = p;
      long tag = Wire.varint(d, p, to);
      p = Wire.skipVarint(d, p);
      int wire = (int) tag & 7;
      int after = Wire.skip(d, p, to, wire);
      if ((int) (tag >>> 3) == 2 && wire == Wire.LEN) {
        int n = Wire.length(d, p, to);
        readSpan(sc, Wire.skipVarint(d, p), n);
      } else {
        headerSize += after - fieldStart;
      }
      p = after;
    }
    if (spans == spansBefore) {
      return;
    }
    byte[] header = new byte[headerSize];
    int scopeOffset = -1;
    int scopeLength = 0;
    int w = 0;
    p = from;
    while (p < to) {
      int fieldStart = p;
      long tag = Wire.varint(d, p, to);
      p = Wire.skipVarint(d, p);
      int wire = (int) tag & 7;
      int after = Wire.skip(d, p, to, wire);
      if (!((int) (tag >>> 3) == 2 && wire == Wire.LEN)) {
        if ((int) (tag >>> 3) == 1 && wire == Wire.LEN) {
          scopeLength = Wire.length(d, p, to);
          scopeOffset = w + (Wire.skipVarint(d, p) - fieldStart);
        }
        System.arraycopy(d, fieldStart, header, w, after - fieldStart);
        w += after - fieldStart;
      }
      p = after;
    }
    if (sc == scopeHeaders.length) {
      scopeHeaders = Arrays.copyOf(scopeHeaders, sc * 2);
      scopeOff = Arrays.copyOf(scopeOff, sc * 2);
      scopeLen = Arrays.copyOf(scopeLen, sc * 2);
      scopeResource = Arrays.copyOf(scopeResource, sc * 2);
    }
    scopeHeaders[sc] = header;
    scopeOff[sc] = scopeOffset;
    scopeLen[sc] = scopeLength;
    scopeResource[sc] = r;
    scopes++;
  }

  /** One {@code Span} in {@code [off, off + len)} of scope {@code sc}. */
  private void readSpan(int sc, int off, int len) {
    if (spans == spanOff.length) {
      growSpans();
    }
    byte[] d = data;
    int to = off + len;
    long hi = 0;
    long lo = 0;
    long st = 0;
    long en = 0;
    int status = 0;
    int flags = 0;
    boolean hasParent = false;
    int p = off;
    while (p < to) {
      long tag = Wire.varint(d, p, to);
      p = Wire.skipVarint(d, p);
      int wire = (int) tag & 7;
      int field = (int) (tag >>> 3);
      switch (field) {
        case 1 -> {
          if (wire == Wire.LEN) {
            int n = Wire.length(d, p, to);
            int b = Wire.skipVarint(d, p);
            hi = 0;
            lo = 0;
            // A trace ID of another length than 16 is kept as its first 16 bytes, zero-padded.
            for (int i = 0; i < Math.min(n, 16); i++) {
              if (i < 8) {
                hi |= (long) (d[b + i] & 0xFF) << (56 - 8 * i);
              } else {
                lo |= (long) (d[b + i] & 0xFF) << (56 - 8 * (i - 8));
              }
            }
            p = b + n;
            continue;
          }
        }
        case 4 -> {
          if (wire == Wire.LEN) {
            int n = Wire.length(d, p, to);
            hasParent = n > 0;
            p = Wire.skipVarint(d, p) + n;
            continue;
          }
        }
        case 7, 8 -> {
          if (wire == Wire.FIXED64) {
            long v = Wire.fixed64(d, p, to);
            if (field == 7) {
              st = v;
            } else {
              en = v;
            }
            p += 8;
            continue;
          }
        }
        case 15 -> {
          if (wire == Wire.LEN) {
            int n = Wire.length(d, p, to);
            int b = Wire.skipVarint(d, p);
            long code = SpanFields.varintField(d, b, n, 3);
            status = code >= 0 && code <= 2 ? (int) code : 3;
            p = b + n;
            continue;
          }
        }
        case 16 -> {
          if (wire == Wire.FIXED32) {
            flags = Wire.fixed32(d, p, to);
            p += 4;
            continue;
          }
        }
        default -> { }
      }
      p = Wire.skip(d, p, to, wire);
    }
    int i = spans++;
    spanOff[i] = off;
    spanLen[i] = len;
    spanScope[i] = sc;
    idHi[i] = hi;
    idLo[i] = lo;
    start[i] = st;
    end[i] = en;
    bits[i] = (byte) (status | (hasParent ? 0 : ROOT) | ((flags & 1) != 0 ? SAMPLED_FLAG : 0));
    int owner = shardOf(hi, lo, perShard.length);
    shard[i] = (byte) owner;
    perShard[owner]++;
  }

  private void growSpans() {
    int c = spanOff.length * 2;
    spanOff = Arrays.copyOf(spanOff, c);
    spanLen = Arrays.copyOf(spanLen, c);
    spanScope = Arrays.copyOf(spanScope, c);
    idHi = Arrays.copyOf(idHi, c);
    idLo = Arrays.copyOf(idLo, c);
    start = Arrays.copyOf(start, c);
    end = Arrays.copyOf(end, c);
    bits = Arrays.copyOf(bits, c);
    shard = Arrays.copyOf(shard, c);
  }

  /** The shard that owns a trace ID. */
  static int shardOf(long hi, long lo, int shards) {
    // A mix of its own (not the table's slot hash), its high 32 bits scaled to [0, shards).
    long h = (hi + 0x632BE59BD9B4E019L) * 0xBF58476D1CE4E5B9L ^ lo;
    h = (h ^ (h >>> 31)) * 0x94D049BB133111EBL;
    return (int) (((h >>> 32) * shards) >>> 32);
  }
}
