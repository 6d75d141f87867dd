package io.sluice.processor.probabilisticsampler;

import static io.sluice.core.otlp.OtlpWire.WIRE_FIXED64;
import static io.sluice.core.otlp.OtlpWire.WIRE_LEN;
import static io.sluice.core.otlp.OtlpWire.WIRE_VARINT;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.otlp.OtlpWire;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Samples resources held encoded, without parsing them into objects. It reads, where they are in
 * the bytes, what a decision needs — a span's trace ID, {@code trace_state} and
 * {@code sampling.priority} attribute; a log record's trace ID and its {@code sampling.*},
 * {@code from_attribute} and {@code sampling_priority} attributes — and writes resources that
 * hold only the kept items: whole resources whose items all stay as they were keep their slice,
 * others are written anew from the original bytes, with a kept item's changed field (its
 * tracestate, its sampling attributes) re-encoded and every other field copied as it was.
 *
 * <p>One instance samples one batch, on one thread.
 */
final class EncodedSampling {
  private static final byte[] PRIORITY_KEY = ascii("sampling.priority");
  private static final byte[] THRESHOLD_KEY = ascii("sampling.threshold");
  private static final byte[] RANDOMNESS_KEY = ascii("sampling.randomness");
  /** Field 2, length-delimited: how a resource holds its scopes and a scope its items, for every signal. */
  private static final int CONTAINER_TAG = (2 << 3) | WIRE_LEN;
  private static final int SPAN_TRACE_ID = 1;
  private static final int SPAN_TRACE_STATE = 3;
  private static final int SPAN_ATTRIBUTES = 9;
  private static final int LOG_ATTRIBUTES = 6;
  private static final int LOG_TRACE_ID = 9;
  private static final int KEY_VALUE_KEY = 1;
  private static final int KEY_VALUE_VALUE = 2;
  private static final int ANY_STRING = 1;
  private static final int ANY_INT = 3;
  private static final int ANY_DOUBLE = 4;
  private static final int ANY_BYTES = 7;

  private final Sampler sampler;
  private final Signal signal;
  private final byte[] sourceKey;
  private final byte[] priorityKey;
  private final TraceStateEditor editor = new TraceStateEditor();
  private final Sampler.LogRecordInputs inputs = new Sampler.LogRecordInputs();
  private final Sampler.LogRecordEdit edit = new Sampler.LogRecordEdit();

  /** Per item of the batch, in order: the {@link Sampler} verdict. */
  private byte[] verdicts;
  /** Per changed item: the new tracestate (spans) or the {@link LogChange} (log records). */
  private Object[] changes;
  /** Per changed item: its encoded length once changed. */
  private int[] changedLengths;
  /** Per scope written, in order, its encoded length; -1 for a scope left with no items. */
  private int[] scopeLengths = new int[8];
  private int scopeCount;
  private int cursor;
  private int kept;
  private int changed;

  /**
   * @param sourceAttribute {@code from_attribute}, empty for none
   * @param priorityAttribute {@code sampling_priority}, empty for none
   */
  EncodedSampling(Sampler sampler, Signal signal, String sourceAttribute, String priorityAttribute) {
    this.sampler = sampler;
    this.signal = signal;
    this.sourceKey = sourceAttribute.isEmpty() ? null : sourceAttribute.getBytes(StandardCharsets.UTF_8);
    this.priorityKey = priorityAttribute.isEmpty() ? null : priorityAttribute.getBytes(StandardCharsets.UTF_8);
  }

  /** Items kept by the last {@link #sample}. */
  int kept() {
    return kept;
  }

  /**
   * The resources holding only the kept items, or {@code resources} itself when every item is
   * kept unchanged.
   *
   * @throws InvalidProtocolBufferException when an attribute the decision reads is malformed
   */
  EncodedResources sample(EncodedResources resources) throws InvalidProtocolBufferException {
    int items = resources.itemCount();
    verdicts = new byte[items];
    changes = null;
    changedLengths = null;
    kept = 0;
    changed = 0;
    cursor = 0;
    for (int i = 0; i < resources.size(); i++) {
      byte[] b = resources.array(i);
      int start = resources.offset(i);
      forEachItem(b, start, start + resources.length(i), true);
    }
    if (cursor != items) {
      throw new IllegalStateException("read " + cursor + " items of " + items);
    }
    if (kept == items && changed == 0) {
      return resources;
    }
    EncodedResources.Builder out = EncodedResources.builder(signal, resources.size());
    int first = 0;
    for (int i = 0; i < resources.size(); i++) {
      int n = resources.itemCount(i);
      int keptHere = 0;
      boolean changedHere = false;
      for (int k = first; k < first + n; k++) {
        keptHere += verdicts[k] != Sampler.DROP ? 1 : 0;
        changedHere |= verdicts[k] == Sampler.KEEP_CHANGED;
      }
      byte[] b = resources.array(i);
      int start = resources.offset(i);
      int length = resources.length(i);
      if (keptHere == n && !changedHere) {
        out.add(b, start, length, n);
      } else if (keptHere > 0) {
        byte[] rewritten = rewriteResource(b, start, start + length, first);
        out.add(rewritten, 0, rewritten.length, keptHere);
      }
      first += n;
    }
    return out.build();
  }

  // ---- reading ----------------------------------------------------------------------------------

  /** Visits the items of one resource message in order: decides each, or nothing when {@code decide} is false. */
  private void forEachItem(byte[] b, int pos, int end, boolean decide) throws InvalidProtocolBufferException {
    while (pos < end) {
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = (int) t;
      if (tag == CONTAINER_TAG) {
        long l = OtlpWire.readLengthPrefix(b, pos, end);
        int scopeStart = (int) l;
        int scopeEnd = scopeStart + (int) (l >>> 32);
        for (int p = scopeStart; p < scopeEnd; ) {
          long st = OtlpWire.readVarint32(b, p, scopeEnd);
          int stag = (int) (st >>> 32);
          p = (int) st;
          if (stag == CONTAINER_TAG) {
            long il = OtlpWire.readLengthPrefix(b, p, scopeEnd);
            int itemStart = (int) il;
            int itemEnd = itemStart + (int) (il >>> 32);
            if (decide) {
              decide(b, itemStart, itemEnd);
            }
            p = itemEnd;
          } else {
            p = OtlpWire.skipValue(b, p, scopeEnd, stag & 7, stag >>> 3);
          }
        }
        pos = scopeEnd;
      } else {
        pos = OtlpWire.skipValue(b, pos, end, tag & 7, tag >>> 3);
      }
    }
  }

  private void decide(byte[] b, int start, int end) throws InvalidProtocolBufferException {
    int k = cursor++;
    int verdict;
    Object change = null;
    int changedLength = 0;
    if (signal == Signal.TRACES) {
      verdict = decideSpan(b, start, end);
      if (verdict == Sampler.KEEP_CHANGED) {
        byte[] ts = editor.write();
        if (sameBytes(ts, b, tsStart, tsEnd)) {
          verdict = Sampler.KEEP;
        } else {
          change = ts;
          changedLength = spanLength(b, start, end, ts);
        }
      }
    } else {
      verdict = decideLogRecord(b, start, end);
      if (verdict == Sampler.KEEP_CHANGED) {
        LogChange c = new LogChange(edit);
        change = c;
        changedLength = logRecordLength(b, start, end, c);
      }
    }
    verdicts[k] = (byte) verdict;
    if (verdict != Sampler.DROP) {
      kept++;
    }
    if (change != null) {
      if (changes == null) {
        changes = new Object[verdicts.length];
        changedLengths = new int[verdicts.length];
      }
      changes[k] = change;
      changedLengths[k] = changedLength;
      changed++;
    }
  }

  /** Where the last span's tracestate was: empty when it had none. */
  private int tsStart;
  private int tsEnd;

  private int decideSpan(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    int tidStart = 0;
    int tidLength = 0;
    tsStart = 0;
    tsEnd = 0;
    int priority = Sampler.PRIORITY_NONE;
    boolean priorityFound = false;
    while (pos < end) {
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = (int) t;
      int field = tag >>> 3;
      if ((tag & 7) != WIRE_LEN) {
        pos = OtlpWire.skipValue(b, pos, end, tag & 7, field);
        continue;
      }
      long l = OtlpWire.readLengthPrefix(b, pos, end);
      int vs = (int) l;
      int ve = vs + (int) (l >>> 32);
      if (field == SPAN_TRACE_ID) {
        tidStart = vs;
        tidLength = ve - vs;
      } else if (field == SPAN_TRACE_STATE) {
        tsStart = vs;
        tsEnd = ve;
      } else if (field == SPAN_ATTRIBUTES && !priorityFound) {
        long value = keyValue(b, vs, ve, PRIORITY_KEY);
        if (value != NO_MATCH) {
          priorityFound = true;
          priority = spanPriority(b, (int) (value >>> 32), (int) value);
        }
      }
      pos = ve;
    }
    return sampler.decideSpan(b, tidStart, tidLength, b, tsStart, tsEnd - tsStart, priority, editor);
  }

  private int decideLogRecord(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    Sampler.LogRecordInputs in = inputs;
    in.clear();
    boolean thresholdFound = false;
    boolean randomnessFound = false;
    boolean sourceFound = false;
    boolean priorityFound = false;
    while (pos < end) {
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = (int) t;
      int field = tag >>> 3;
      if ((tag & 7) != WIRE_LEN) {
        pos = OtlpWire.skipValue(b, pos, end, tag & 7, field);
        continue;
      }
      long l = OtlpWire.readLengthPrefix(b, pos, end);
      int vs = (int) l;
      int ve = vs + (int) (l >>> 32);
      if (field == LOG_TRACE_ID) {
        in.traceId = b;
        in.traceIdOffset = vs;
        in.traceIdLength = ve - vs;
      } else if (field == LOG_ATTRIBUTES) {
        long key = keyOf(b, vs, ve);
        int ks = (int) (key >>> 32);
        int ke = (int) key;
        if (!thresholdFound && equal(b, ks, ke, THRESHOLD_KEY)) {
          thresholdFound = true;
          long s = stringValue(b, vs, ve);
          if (s != NO_MATCH) {
            in.threshold = b;
            in.thresholdOffset = (int) (s >>> 32);
            in.thresholdLength = (int) s - in.thresholdOffset;
          }
        }
        if (!randomnessFound && equal(b, ks, ke, RANDOMNESS_KEY)) {
          randomnessFound = true;
          long s = stringValue(b, vs, ve);
          if (s != NO_MATCH) {
            in.randomness = b;
            in.randomnessOffset = (int) (s >>> 32);
            in.randomnessLength = (int) s - in.randomnessOffset;
          }
        }
        if (sourceKey != null && !sourceFound && equal(b, ks, ke, sourceKey)) {
          sourceFound = true;
          source(b, vs, ve, in);
        }
        if (priorityKey != null && !priorityFound && equal(b, ks, ke, priorityKey)) {
          priorityFound = true;
          in.priorityPercent = percentage(b, vs, ve);
        }
      }
      pos = ve;
    }
    return sampler.decideLogRecord(in, edit);
  }

  private static final long NO_MATCH = -1;

  /**
   * The value of a {@code KeyValue} whose key is {@code key}, as the start and end of its
   * {@code AnyValue} packed in a long; {@link #NO_MATCH} for another key.
   */
  private static long keyValue(byte[] b, int pos, int end, byte[] key) throws InvalidProtocolBufferException {
    long k = keyOf(b, pos, end);
    if (!equal(b, (int) (k >>> 32), (int) k, key)) {
      return NO_MATCH;
    }
    return valueOf(b, pos, end);
  }

  /** The start and end of a {@code KeyValue}'s key (the last one written), packed. */
  private static long keyOf(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    return lastField(b, pos, end, KEY_VALUE_KEY);
  }

  /** The start and end of a {@code KeyValue}'s {@code AnyValue}, packed; empty when it has none. */
  private static long valueOf(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    return lastField(b, pos, end, KEY_VALUE_VALUE);
  }

  /** The start and end of the last length-delimited field {@code field} in {@code [pos, end)}, packed; empty when none. */
  private static long lastField(byte[] b, int pos, int end, int field) throws InvalidProtocolBufferException {
    long found = 0;
    while (pos < end) {
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = (int) t;
      if (tag == ((field << 3) | WIRE_LEN)) {
        long l = OtlpWire.readLengthPrefix(b, pos, end);
        int vs = (int) l;
        int ve = vs + (int) (l >>> 32);
        found = ((long) vs << 32) | ve;
        pos = ve;
      } else {
        pos = OtlpWire.skipValue(b, pos, end, tag & 7, tag >>> 3);
      }
    }
    return found;
  }

  /** The string of a {@code KeyValue} whose value is a string, its start and end packed; {@link #NO_MATCH} otherwise. */
  private static long stringValue(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    long v = valueOf(b, pos, end);
    int vs = (int) (v >>> 32);
    int ve = (int) v;
    int kind = valueKind(b, vs, ve);
    return kind == ANY_STRING ? lastField(b, vs, ve, ANY_STRING) : NO_MATCH;
  }

  /** The field number of the value an {@code AnyValue} holds (the last one written); 0 for none. */
  private static int valueKind(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    int kind = 0;
    while (pos < end) {
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      kind = tag >>> 3;
    }
    return kind;
  }

  /** The priority of an {@code AnyValue} in {@code [pos, end)}. */
  private static int spanPriority(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    switch (valueKind(b, pos, end)) {
      case ANY_INT -> {
        return AttributeValues.spanPriority(lastVarint(b, pos, end, ANY_INT));
      }
      case ANY_DOUBLE -> {
        return AttributeValues.spanPriority(lastDouble(b, pos, end, ANY_DOUBLE));
      }
      case ANY_STRING -> {
        long s = lastField(b, pos, end, ANY_STRING);
        int ss = (int) (s >>> 32);
        return AttributeValues.spanPriority(new String(b, ss, (int) s - ss, StandardCharsets.UTF_8));
      }
      default -> {
        return Sampler.PRIORITY_NONE;
      }
    }
  }

  /** A {@code KeyValue}'s number as a percentage: its int or double, else NaN. */
  private static double percentage(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    long v = valueOf(b, pos, end);
    int vs = (int) (v >>> 32);
    int ve = (int) v;
    return switch (valueKind(b, vs, ve)) {
      case ANY_INT -> (double) lastVarint(b, vs, ve, ANY_INT);
      case ANY_DOUBLE -> lastDouble(b, vs, ve, ANY_DOUBLE);
      default -> Double.NaN;
    };
  }

  /** Points {@code in.source} at the bytes to hash of a {@code KeyValue}'s value. */
  private static void source(byte[] b, int pos, int end, Sampler.LogRecordInputs in)
      throws InvalidProtocolBufferException {
    long v = valueOf(b, pos, end);
    int vs = (int) (v >>> 32);
    int ve = (int) v;
    int kind = valueKind(b, vs, ve);
    if (kind == ANY_STRING || kind == ANY_BYTES) {
      long s = lastField(b, vs, ve, kind);
      in.source = b;
      in.sourceOffset = (int) (s >>> 32);
      in.sourceLength = (int) s - in.sourceOffset;
    } else if (kind != 0) {
      byte[] bytes = AttributeValues.hashBytes(AnyValue.parseFrom(Arrays.copyOfRange(b, vs, ve)));
      in.source = bytes;
      in.sourceOffset = 0;
      in.sourceLength = bytes.length;
    }
  }

  private static long lastVarint(byte[] b, int pos, int end, int field) throws InvalidProtocolBufferException {
    long value = 0;
    while (pos < end) {
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = (int) t;
      if (tag == ((field << 3) | WIRE_VARINT)) {
        value = OtlpWire.readVarint(b, pos, end);
      }
      pos = OtlpWire.skipValue(b, pos, end, tag & 7, tag >>> 3);
    }
    return value;
  }

  private static double lastDouble(byte[] b, int pos, int end, int field) throws InvalidProtocolBufferException {
    long bits = 0;
    while (pos < end) {
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = (int) t;
      if (tag == ((field << 3) | WIRE_FIXED64) && pos + 8 <= end) {
        bits = 0;
        for (int i = 7; i >= 0; i--) {
          bits = (bits << 8) | (b[pos + i] & 0xFF);
        }
      }
      pos = OtlpWire.skipValue(b, pos, end, tag & 7, tag >>> 3);
    }
    return Double.longBitsToDouble(bits);
  }

  // ---- writing ----------------------------------------------------------------------------------

  /** One resource message with the kept items of it, starting at item {@code first} of the batch. */
  private byte[] rewriteResource(byte[] b, int start, int end, int first) throws InvalidProtocolBufferException {
    scopeCount = 0;
    cursor = first;
    int length = 0;
    int pos = start;
    while (pos < end) {
      int fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      int next = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      if (tag == CONTAINER_TAG) {
        long l = OtlpWire.readLengthPrefix(b, (int) t, end);
        int scope = scopeLength(b, (int) l, next);
        addScopeLength(scope);
        if (scope >= 0) {
          length += 1 + OtlpWire.varintSize(scope) + scope;
        }
      } else {
        length += next - fieldStart;
      }
      pos = next;
    }
    byte[] out = new byte[length];
    int p = 0;
    int scopeIndex = 0;
    cursor = first;
    pos = start;
    while (pos < end) {
      int fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      int next = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      if (tag == CONTAINER_TAG) {
        long l = OtlpWire.readLengthPrefix(b, (int) t, end);
        int scope = scopeLengths[scopeIndex++];
        if (scope >= 0) {
          out[p++] = (byte) CONTAINER_TAG;
          p = OtlpWire.writeVarint(out, p, scope);
          p = writeScope(b, (int) l, next, out, p);
        } else {
          cursor += itemsIn(b, (int) l, next);
        }
      } else {
        System.arraycopy(b, fieldStart, out, p, next - fieldStart);
        p += next - fieldStart;
      }
      pos = next;
    }
    if (p != length) {
      throw new IllegalStateException("wrote " + p + " bytes of a resource measured at " + length);
    }
    return out;
  }

  /** The length of a scope message holding its kept items, or -1 when it keeps none. Advances the cursor. */
  private int scopeLength(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    int length = 0;
    boolean any = false;
    while (pos < end) {
      int fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      int next = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      if (tag == CONTAINER_TAG) {
        int k = cursor++;
        if (verdicts[k] == Sampler.KEEP) {
          any = true;
          length += next - fieldStart;
        } else if (verdicts[k] == Sampler.KEEP_CHANGED) {
          any = true;
          length += 1 + OtlpWire.varintSize(changedLengths[k]) + changedLengths[k];
        }
      } else {
        length += next - fieldStart;
      }
      pos = next;
    }
    return any ? length : -1;
  }

  private int itemsIn(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    int n = 0;
    while (pos < end) {
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      n += tag == CONTAINER_TAG ? 1 : 0;
    }
    return n;
  }

  private int writeScope(byte[] b, int pos, int end, byte[] out, int p) throws InvalidProtocolBufferException {
    while (pos < end) {
      int fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      int next = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      if (tag == CONTAINER_TAG) {
        int k = cursor++;
        if (verdicts[k] == Sampler.KEEP) {
          System.arraycopy(b, fieldStart, out, p, next - fieldStart);
          p += next - fieldStart;
        } else if (verdicts[k] == Sampler.KEEP_CHANGED) {
          int itemStart = (int) OtlpWire.readLengthPrefix(b, (int) t, end);
          out[p++] = (byte) CONTAINER_TAG;
          p = OtlpWire.writeVarint(out, p, changedLengths[k]);
          int itemEnd = p + changedLengths[k];
          p = signal == Signal.TRACES
              ? writeSpan(b, itemStart, next, (byte[]) changes[k], out, p)
              : writeLogRecord(b, itemStart, next, (LogChange) changes[k], out, p);
          if (p != itemEnd) {
            throw new IllegalStateException("wrote an item of " + (p - itemEnd + changedLengths[k])
                + " bytes measured at " + changedLengths[k]);
          }
        }
      } else {
        System.arraycopy(b, fieldStart, out, p, next - fieldStart);
        p += next - fieldStart;
      }
      pos = next;
    }
    return p;
  }

  private void addScopeLength(int length) {
    if (scopeCount == scopeLengths.length) {
      scopeLengths = Arrays.copyOf(scopeLengths, scopeCount * 2);
    }
    scopeLengths[scopeCount++] = length;
  }

  /** A span's length with its {@code trace_state} replaced by {@code ts} (left out when empty). */
  private static int spanLength(byte[] b, int pos, int end, byte[] ts) throws InvalidProtocolBufferException {
    int length = fieldLength(SPAN_TRACE_STATE, ts.length);
    while (pos < end) {
      int fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      int next = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      if (tag >>> 3 != SPAN_TRACE_STATE) {
        length += next - fieldStart;
      }
      pos = next;
    }
    return length;
  }

  /** Writes a span with its {@code trace_state} replaced, in field order (before the first later field). */
  private static int writeSpan(byte[] b, int pos, int end, byte[] ts, byte[] out, int p)
      throws InvalidProtocolBufferException {
    boolean written = false;
    while (pos < end) {
      int fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      int field = tag >>> 3;
      int next = OtlpWire.skipValue(b, (int) t, end, tag & 7, field);
      if (!written && field >= SPAN_TRACE_STATE) {
        p = writeBytesField(SPAN_TRACE_STATE, ts, 0, ts.length, out, p);
        written = true;
      }
      if (field != SPAN_TRACE_STATE) {
        System.arraycopy(b, fieldStart, out, p, next - fieldStart);
        p += next - fieldStart;
      }
      pos = next;
    }
    return written ? p : writeBytesField(SPAN_TRACE_STATE, ts, 0, ts.length, out, p);
  }

  /** A log record's length with its sampling attributes changed. */
  private static int logRecordLength(byte[] b, int pos, int end, LogChange c) throws InvalidProtocolBufferException {
    int length = 0;
    boolean thresholdSeen = false;
    boolean randomnessSeen = false;
    while (pos < end) {
      int fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      int next = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      int keep = next - fieldStart;
      if (tag == ((LOG_ATTRIBUTES << 3) | WIRE_LEN)) {
        int vs = (int) OtlpWire.readLengthPrefix(b, (int) t, end);
        long key = keyOf(b, vs, next);
        if (c.touchesThreshold() && !thresholdSeen && equal(b, (int) (key >>> 32), (int) key, THRESHOLD_KEY)) {
          thresholdSeen = true;
          keep = c.threshold() == null ? 0 : attributeLength(THRESHOLD_KEY, c.threshold());
        } else if (c.randomness() != null && !randomnessSeen
            && equal(b, (int) (key >>> 32), (int) key, RANDOMNESS_KEY)) {
          randomnessSeen = true;
          keep = attributeLength(RANDOMNESS_KEY, c.randomness());
        }
      }
      length += keep;
      pos = next;
    }
    if (c.randomness() != null && !randomnessSeen) {
      length += attributeLength(RANDOMNESS_KEY, c.randomness());
    }
    if (c.threshold() != null && !thresholdSeen) {
      length += attributeLength(THRESHOLD_KEY, c.threshold());
    }
    return length;
  }

  /**
   * Writes a log record with its sampling attributes changed: an attribute that exists is
   * replaced where it is (or removed), a new one is added after the others.
   */
  private static int writeLogRecord(byte[] b, int pos, int end, LogChange c, byte[] out, int p)
      throws InvalidProtocolBufferException {
    boolean thresholdSeen = false;
    boolean randomnessSeen = false;
    while (pos < end) {
      int fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      int next = OtlpWire.skipValue(b, (int) t, end, tag & 7, tag >>> 3);
      boolean copy = true;
      if (tag == ((LOG_ATTRIBUTES << 3) | WIRE_LEN)) {
        int vs = (int) OtlpWire.readLengthPrefix(b, (int) t, end);
        long key = keyOf(b, vs, next);
        if (c.touchesThreshold() && !thresholdSeen && equal(b, (int) (key >>> 32), (int) key, THRESHOLD_KEY)) {
          thresholdSeen = true;
          copy = false;
          if (c.threshold() != null) {
            p = writeAttribute(THRESHOLD_KEY, c.threshold(), out, p);
          }
        } else if (c.randomness() != null && !randomnessSeen
            && equal(b, (int) (key >>> 32), (int) key, RANDOMNESS_KEY)) {
          randomnessSeen = true;
          copy = false;
          p = writeAttribute(RANDOMNESS_KEY, c.randomness(), out, p);
        }
      }
      if (copy) {
        System.arraycopy(b, fieldStart, out, p, next - fieldStart);
        p += next - fieldStart;
      }
      pos = next;
    }
    if (c.randomness() != null && !randomnessSeen) {
      p = writeAttribute(RANDOMNESS_KEY, c.randomness(), out, p);
    }
    if (c.threshold() != null && !thresholdSeen) {
      p = writeAttribute(THRESHOLD_KEY, c.threshold(), out, p);
    }
    return p;
  }

  /** The length of a log record's attributes field holding {@code key} = the string {@code value}. */
  private static int attributeLength(byte[] key, String value) {
    return fieldLength(LOG_ATTRIBUTES, keyValueLength(key, value));
  }

  private static int keyValueLength(byte[] key, String value) {
    return fieldLength(KEY_VALUE_KEY, key.length) + fieldLength(KEY_VALUE_VALUE, fieldLength(ANY_STRING,
        value.length()));
  }

  private static int writeAttribute(byte[] key, String value, byte[] out, int p) {
    out[p++] = (byte) ((LOG_ATTRIBUTES << 3) | WIRE_LEN);
    p = OtlpWire.writeVarint(out, p, keyValueLength(key, value));
    p = writeBytesField(KEY_VALUE_KEY, key, 0, key.length, out, p);
    out[p++] = (byte) ((KEY_VALUE_VALUE << 3) | WIRE_LEN);
    p = OtlpWire.writeVarint(out, p, fieldLength(ANY_STRING, value.length()));
    out[p++] = (byte) ((ANY_STRING << 3) | WIRE_LEN);
    p = OtlpWire.writeVarint(out, p, value.length());
    for (int i = 0; i < value.length(); i++) {
      out[p++] = (byte) value.charAt(i);
    }
    return p;
  }

  /** The encoded length of a length-delimited field of {@code length} bytes; an empty one is left out. */
  private static int fieldLength(int field, int length) {
    return length == 0 ? 0 : OtlpWire.varintSize((long) field << 3) + OtlpWire.varintSize(length) + length;
  }

  private static int writeBytesField(int field, byte[] value, int off, int len, byte[] out, int p) {
    if (len == 0) {
      return p;
    }
    p = OtlpWire.writeVarint(out, p, ((long) field << 3) | WIRE_LEN);
    p = OtlpWire.writeVarint(out, p, len);
    System.arraycopy(value, off, out, p, len);
    return p + len;
  }

  private static boolean equal(byte[] b, int start, int end, byte[] key) {
    return end - start == key.length && Arrays.equals(b, start, end, key, 0, key.length);
  }

  private static boolean sameBytes(byte[] a, byte[] b, int start, int end) {
    return Arrays.equals(a, 0, a.length, b, start, end);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /** The attribute changes of one kept log record; the strings are ASCII (hex digits). */
  record LogChange(String randomness, String threshold, boolean removeThreshold) {
    LogChange(Sampler.LogRecordEdit e) {
      this(e.randomness, e.threshold, e.threshold == null && e.removeThreshold);
    }

    boolean touchesThreshold() {
      return threshold != null || removeThreshold;
    }
  }
}
