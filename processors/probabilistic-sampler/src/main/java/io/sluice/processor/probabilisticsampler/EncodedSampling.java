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
  /** One cursor per nesting level, so that a level's loop and the levels below it do not share one. */
  private final Fields resourceFields = new Fields();
  private final Fields scopeFields = new Fields();
  private final Fields itemFields = new Fields();
  private final Fields keyValueFields = new Fields();
  private final Fields valueFields = new Fields();

  /** Per item of the batch, in order: the {@link Sampler} verdict. */
  private byte[] verdicts;
  /** Per changed item: the new tracestate (spans) or the {@link LogChange} (log records). */
  private Object[] changes;
  /** Per changed item: its encoded length once changed. */
  private int[] changedLengths;
  /** Per scope of the resource being written, in order, its new length; -1 for a scope left with no items. */
  private int[] scopeLengths = new int[8];
  private int scopeCount;
  private int cursor;
  private int kept;
  private int changed;
  /** Where the last span's tracestate was: empty when it had none. */
  private int tsStart;
  private int tsEnd;

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
      Fields resource = resourceFields.of(resources.array(i), resources.offset(i),
          resources.offset(i) + resources.length(i));
      while (resource.next()) {
        if (resource.tag == CONTAINER_TAG) {
          Fields scope = scopeFields.of(resource.b, resource.valueStart, resource.valueEnd);
          while (scope.next()) {
            if (scope.tag == CONTAINER_TAG) {
              decide(scope.b, scope.valueStart, scope.valueEnd);
            }
          }
        }
      }
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

  private void decide(byte[] b, int start, int end) throws InvalidProtocolBufferException {
    int k = cursor++;
    int verdict;
    Object change = null;
    int changedLength = 0;
    if (signal == Signal.TRACES) {
      verdict = decideSpan(b, start, end);
      if (verdict == Sampler.KEEP_CHANGED) {
        byte[] ts = editor.write();
        if (Arrays.equals(ts, 0, ts.length, b, tsStart, tsEnd)) {
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

  private int decideSpan(byte[] b, int start, int end) throws InvalidProtocolBufferException {
    int tidStart = 0;
    int tidLength = 0;
    tsStart = 0;
    tsEnd = 0;
    int priority = Sampler.PRIORITY_NONE;
    boolean priorityFound = false;
    Fields span = itemFields.of(b, start, end);
    while (span.next()) {
      if (span.wire() != WIRE_LEN) {
        continue;
      }
      switch (span.field()) {
        case SPAN_TRACE_ID -> {
          tidStart = span.valueStart;
          tidLength = span.valueEnd - span.valueStart;
        }
        case SPAN_TRACE_STATE -> {
          tsStart = span.valueStart;
          tsEnd = span.valueEnd;
        }
        case SPAN_ATTRIBUTES -> {
          if (!priorityFound && keyIs(b, span, PRIORITY_KEY)) {
            priorityFound = true;
            priority = spanPriority(valueOf(b, span));
          }
        }
        default -> { }
      }
    }
    return sampler.decideSpan(b, tidStart, tidLength, b, tsStart, tsEnd - tsStart, priority, editor);
  }

  private int decideLogRecord(byte[] b, int start, int end) throws InvalidProtocolBufferException {
    Sampler.LogRecordInputs in = inputs;
    in.clear();
    boolean thresholdFound = false;
    boolean randomnessFound = false;
    boolean sourceFound = false;
    boolean priorityFound = false;
    Fields record = itemFields.of(b, start, end);
    while (record.next()) {
      if (record.wire() != WIRE_LEN) {
        continue;
      }
      if (record.field() == LOG_TRACE_ID) {
        in.traceId = b;
        in.traceIdOffset = record.valueStart;
        in.traceIdLength = record.valueEnd - record.valueStart;
      } else if (record.field() == LOG_ATTRIBUTES) {
        long key = keyOf(b, record);
        if (!thresholdFound && equal(b, key, THRESHOLD_KEY)) {
          thresholdFound = true;
          long s = stringOf(valueOf(b, record));
          in.threshold = b;
          in.thresholdOffset = start(s);
          in.thresholdLength = end(s) - start(s);
        }
        if (!randomnessFound && equal(b, key, RANDOMNESS_KEY)) {
          randomnessFound = true;
          long s = stringOf(valueOf(b, record));
          in.randomness = b;
          in.randomnessOffset = start(s);
          in.randomnessLength = end(s) - start(s);
        }
        if (sourceKey != null && !sourceFound && equal(b, key, sourceKey)) {
          sourceFound = true;
          source(valueOf(b, record), in);
        }
        if (priorityKey != null && !priorityFound && equal(b, key, priorityKey)) {
          priorityFound = true;
          in.priorityPercent = percentage(valueOf(b, record));
        }
      }
    }
    return sampler.decideLogRecord(in, edit);
  }

  /** True when the {@code KeyValue} at the field {@code kv} is on has the key {@code key}. */
  private boolean keyIs(byte[] b, Fields kv, byte[] key) throws InvalidProtocolBufferException {
    return equal(b, keyOf(b, kv), key);
  }

  /** The key of the {@code KeyValue} at the field {@code kv} is on: start and end packed ({@link #start}, {@link #end}). */
  private long keyOf(byte[] b, Fields kv) throws InvalidProtocolBufferException {
    return lastField(keyValueFields.of(b, kv.valueStart, kv.valueEnd), KEY_VALUE_KEY);
  }

  /** The cursor on the {@code AnyValue} of the {@code KeyValue} at the field {@code kv} is on. */
  private Fields valueOf(byte[] b, Fields kv) throws InvalidProtocolBufferException {
    long v = lastField(keyValueFields.of(b, kv.valueStart, kv.valueEnd), KEY_VALUE_VALUE);
    return valueFields.of(b, start(v), end(v));
  }

  /** The start and end, packed, of the last length-delimited field {@code field} {@code f} passes; empty when none. */
  private static long lastField(Fields f, int field) throws InvalidProtocolBufferException {
    long found = 0;
    while (f.next()) {
      if (f.field() == field && f.wire() == WIRE_LEN) {
        found = ((long) f.valueStart << 32) | f.valueEnd;
      }
    }
    return found;
  }

  private static int start(long packed) {
    return (int) (packed >>> 32);
  }

  private static int end(long packed) {
    return (int) packed;
  }

  /**
   * The value an {@code AnyValue} holds (the last written, as a parser reads it): its field
   * number, and in {@code value} its bounds; 0 for none.
   */
  private static int kindOf(Fields value) throws InvalidProtocolBufferException {
    int kind = 0;
    int start = value.start;
    while (value.next()) {
      kind = value.field();
      start = value.fieldStart;
    }
    if (kind != 0) {
      value.pos = start;
      value.next();
    }
    return kind;
  }

  /** The string of an {@code AnyValue} holding one, its start and end packed; empty otherwise. */
  private static long stringOf(Fields value) throws InvalidProtocolBufferException {
    return kindOf(value) == ANY_STRING && value.wire() == WIRE_LEN
        ? ((long) value.valueStart << 32) | value.valueEnd : 0;
  }

  /** The priority of a span's {@code sampling.priority} value. */
  private static int spanPriority(Fields value) throws InvalidProtocolBufferException {
    return switch (kindOf(value)) {
      case ANY_INT -> AttributeValues.spanPriority(varint(value));
      case ANY_DOUBLE -> AttributeValues.spanPriority(fixed64(value));
      case ANY_STRING -> AttributeValues.spanPriority(new String(value.b, value.valueStart,
          value.valueEnd - value.valueStart, StandardCharsets.UTF_8));
      default -> Sampler.PRIORITY_NONE;
    };
  }

  /** A value's number as a percentage: its int or double, else NaN. */
  private static double percentage(Fields value) throws InvalidProtocolBufferException {
    return switch (kindOf(value)) {
      case ANY_INT -> (double) varint(value);
      case ANY_DOUBLE -> fixed64(value);
      default -> Double.NaN;
    };
  }

  /** Points {@code in.source} at the bytes to hash of a value: a string's or byte array's in place, others as text. */
  private static void source(Fields value, Sampler.LogRecordInputs in) throws InvalidProtocolBufferException {
    int valueStart = value.start;
    int valueEnd = value.end;
    int kind = kindOf(value);
    if ((kind == ANY_STRING || kind == ANY_BYTES) && value.wire() == WIRE_LEN) {
      in.source = value.b;
      in.sourceOffset = value.valueStart;
      in.sourceLength = value.valueEnd - value.valueStart;
    } else if (kind != 0) {
      byte[] bytes = AttributeValues.hashBytes(AnyValue.parseFrom(Arrays.copyOfRange(value.b, valueStart,
          valueEnd)));
      in.source = bytes;
      in.sourceOffset = 0;
      in.sourceLength = bytes.length;
    }
  }

  private static long varint(Fields value) throws InvalidProtocolBufferException {
    return value.wire() == WIRE_VARINT ? OtlpWire.readVarint(value.b, value.valueStart, value.valueEnd) : 0;
  }

  private static double fixed64(Fields value) {
    if (value.wire() != WIRE_FIXED64) {
      return 0;
    }
    long bits = 0;
    for (int i = 7; i >= 0; i--) {
      bits = (bits << 8) | (value.b[value.valueStart + i] & 0xFF);
    }
    return Double.longBitsToDouble(bits);
  }

  // ---- writing ----------------------------------------------------------------------------------

  /** One resource message with the kept items of it, starting at item {@code first} of the batch. */
  private byte[] rewriteResource(byte[] b, int start, int end, int first) throws InvalidProtocolBufferException {
    scopeCount = 0;
    cursor = first;
    int length = 0;
    Fields resource = resourceFields.of(b, start, end);
    while (resource.next()) {
      if (resource.tag == CONTAINER_TAG) {
        int scope = scopeLength(b, resource.valueStart, resource.valueEnd);
        addScopeLength(scope);
        if (scope >= 0) {
          length += 1 + OtlpWire.varintSize(scope) + scope;
        }
      } else {
        length += resource.fieldLength();
      }
    }
    byte[] out = new byte[length];
    int p = 0;
    int scopeIndex = 0;
    cursor = first;
    resource = resourceFields.of(b, start, end);
    while (resource.next()) {
      if (resource.tag == CONTAINER_TAG) {
        int scope = scopeLengths[scopeIndex++];
        if (scope >= 0) {
          out[p++] = (byte) CONTAINER_TAG;
          p = OtlpWire.writeVarint(out, p, scope);
          p = writeScope(b, resource.valueStart, resource.valueEnd, out, p);
        } else {
          cursor += itemsIn(b, resource.valueStart, resource.valueEnd);
        }
      } else {
        p = resource.copyField(out, p);
      }
    }
    if (p != length) {
      throw new IllegalStateException("wrote " + p + " bytes of a resource measured at " + length);
    }
    return out;
  }

  /** The length of a scope message holding its kept items, or -1 when it keeps none. Advances the cursor. */
  private int scopeLength(byte[] b, int start, int end) throws InvalidProtocolBufferException {
    int length = 0;
    boolean any = false;
    Fields scope = scopeFields.of(b, start, end);
    while (scope.next()) {
      if (scope.tag != CONTAINER_TAG) {
        length += scope.fieldLength();
        continue;
      }
      int k = cursor++;
      if (verdicts[k] == Sampler.KEEP) {
        any = true;
        length += scope.fieldLength();
      } else if (verdicts[k] == Sampler.KEEP_CHANGED) {
        any = true;
        length += 1 + OtlpWire.varintSize(changedLengths[k]) + changedLengths[k];
      }
    }
    return any ? length : -1;
  }

  private int itemsIn(byte[] b, int start, int end) throws InvalidProtocolBufferException {
    int n = 0;
    Fields scope = scopeFields.of(b, start, end);
    while (scope.next()) {
      n += scope.tag == CONTAINER_TAG ? 1 : 0;
    }
    return n;
  }

  private int writeScope(byte[] b, int start, int end, byte[] out, int p) throws InvalidProtocolBufferException {
    Fields scope = scopeFields.of(b, start, end);
    while (scope.next()) {
      if (scope.tag != CONTAINER_TAG) {
        p = scope.copyField(out, p);
        continue;
      }
      int k = cursor++;
      if (verdicts[k] == Sampler.KEEP) {
        p = scope.copyField(out, p);
      } else if (verdicts[k] == Sampler.KEEP_CHANGED) {
        out[p++] = (byte) CONTAINER_TAG;
        p = OtlpWire.writeVarint(out, p, changedLengths[k]);
        int itemEnd = p + changedLengths[k];
        p = signal == Signal.TRACES
            ? writeSpan(b, scope.valueStart, scope.valueEnd, (byte[]) changes[k], out, p)
            : writeLogRecord(b, scope.valueStart, scope.valueEnd, (LogChange) changes[k], out, p);
        if (p != itemEnd) {
          throw new IllegalStateException("wrote an item of " + (p - itemEnd + changedLengths[k])
              + " bytes measured at " + changedLengths[k]);
        }
      }
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
  private int spanLength(byte[] b, int start, int end, byte[] ts) throws InvalidProtocolBufferException {
    int length = fieldLength(SPAN_TRACE_STATE, ts.length);
    Fields span = itemFields.of(b, start, end);
    while (span.next()) {
      if (span.field() != SPAN_TRACE_STATE) {
        length += span.fieldLength();
      }
    }
    return length;
  }

  /** Writes a span with its {@code trace_state} replaced, in field order (before the first later field). */
  private int writeSpan(byte[] b, int start, int end, byte[] ts, byte[] out, int p)
      throws InvalidProtocolBufferException {
    boolean written = false;
    Fields span = itemFields.of(b, start, end);
    while (span.next()) {
      if (!written && span.field() >= SPAN_TRACE_STATE) {
        p = writeBytesField(SPAN_TRACE_STATE, ts, out, p);
        written = true;
      }
      if (span.field() != SPAN_TRACE_STATE) {
        p = span.copyField(out, p);
      }
    }
    return written ? p : writeBytesField(SPAN_TRACE_STATE, ts, out, p);
  }

  /** A log record's length with its sampling attributes changed, as {@link #writeLogRecord} writes it. */
  private int logRecordLength(byte[] b, int start, int end, LogChange c) throws InvalidProtocolBufferException {
    int length = 0;
    boolean thresholdSeen = false;
    boolean randomnessSeen = false;
    Fields record = itemFields.of(b, start, end);
    while (record.next()) {
      int here = record.fieldLength();
      if (record.tag == ((LOG_ATTRIBUTES << 3) | WIRE_LEN)) {
        long key = keyOf(b, record);
        if (c.touchesThreshold() && !thresholdSeen && equal(b, key, THRESHOLD_KEY)) {
          thresholdSeen = true;
          here = c.threshold() == null ? 0 : attributeLength(THRESHOLD_KEY, c.threshold());
        } else if (c.randomness() != null && !randomnessSeen && equal(b, key, RANDOMNESS_KEY)) {
          randomnessSeen = true;
          here = attributeLength(RANDOMNESS_KEY, c.randomness());
        }
      }
      length += here;
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
  private int writeLogRecord(byte[] b, int start, int end, LogChange c, byte[] out, int p)
      throws InvalidProtocolBufferException {
    boolean thresholdSeen = false;
    boolean randomnessSeen = false;
    Fields record = itemFields.of(b, start, end);
    while (record.next()) {
      if (record.tag == ((LOG_ATTRIBUTES << 3) | WIRE_LEN)) {
        long key = keyOf(b, record);
        if (c.touchesThreshold() && !thresholdSeen && equal(b, key, THRESHOLD_KEY)) {
          thresholdSeen = true;
          if (c.threshold() != null) {
            p = writeAttribute(THRESHOLD_KEY, c.threshold(), out, p);
          }
          continue;
        } else if (c.randomness() != null && !randomnessSeen && equal(b, key, RANDOMNESS_KEY)) {
          randomnessSeen = true;
          p = writeAttribute(RANDOMNESS_KEY, c.randomness(), out, p);
          continue;
        }
      }
      p = record.copyField(out, p);
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
    p = writeBytesField(KEY_VALUE_KEY, key, out, p);
    out[p++] = (byte) ((KEY_VALUE_VALUE << 3) | WIRE_LEN);
    p = OtlpWire.writeVarint(out, p, fieldLength(ANY_STRING, value.length()));
    return writeBytesField(ANY_STRING, value.getBytes(StandardCharsets.US_ASCII), out, p);
  }

  /** The encoded length of a length-delimited field of {@code length} bytes; an empty one is left out. */
  private static int fieldLength(int field, int length) {
    return length == 0 ? 0 : OtlpWire.varintSize((long) field << 3) + OtlpWire.varintSize(length) + length;
  }

  private static int writeBytesField(int field, byte[] value, byte[] out, int p) {
    if (value.length == 0) {
      return p;
    }
    p = OtlpWire.writeVarint(out, p, ((long) field << 3) | WIRE_LEN);
    p = OtlpWire.writeVarint(out, p, value.length);
    System.arraycopy(value, 0, out, p, value.length);
    return p + value.length;
  }

  /** True when the bytes at the packed start and end {@code range} are {@code key}. */
  private static boolean equal(byte[] b, long range, byte[] key) {
    return end(range) - start(range) == key.length && Arrays.equals(b, start(range), end(range), key, 0, key.length);
  }

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  /**
   * Steps through the fields of one encoded message: after {@link #next}, the field's tag, where
   * it starts, and where its value starts and ends (a length-delimited value without its length).
   * Lengths are checked against the message's end, so a malformed value is an
   * {@link InvalidProtocolBufferException}, never a read out of bounds.
   */
  private static final class Fields {
    byte[] b;
    int start;
    int end;
    int pos;
    int tag;
    int fieldStart;
    int valueStart;
    int valueEnd;

    Fields of(byte[] bytes, int from, int to) {
      b = bytes;
      start = from;
      end = to;
      pos = from;
      return this;
    }

    boolean next() throws InvalidProtocolBufferException {
      if (pos >= end) {
        return false;
      }
      fieldStart = pos;
      long t = OtlpWire.readVarint32(b, pos, end);
      tag = (int) (t >>> 32);
      int p = (int) t;
      if ((tag & 7) == WIRE_LEN) {
        long l = OtlpWire.readLengthPrefix(b, p, end);
        valueStart = (int) l;
        valueEnd = valueStart + (int) (l >>> 32);
      } else {
        valueStart = p;
        valueEnd = OtlpWire.skipValue(b, p, end, tag & 7, tag >>> 3);
      }
      pos = valueEnd;
      return true;
    }

    int field() {
      return tag >>> 3;
    }

    int wire() {
      return tag & 7;
    }

    /** The field's bytes, tag and length included. */
    int fieldLength() {
      return valueEnd - fieldStart;
    }

    /** Copies the field as it is encoded into {@code out} at {@code p}; the position after it. */
    int copyField(byte[] out, int p) {
      System.arraycopy(b, fieldStart, out, p, valueEnd - fieldStart);
      return p + valueEnd - fieldStart;
    }
  }

  /** The attribute changes of one kept log record; the strings are ASCII (hex digits). */
  record LogChange(String randomness, String threshold, boolean removeThreshold) {
    LogChange(Sampler.LogRecordEdit e) {
      this(e.newRandomness, e.newThreshold, e.newThreshold == null && e.removeThreshold);
    }

    boolean touchesThreshold() {
      return threshold != null || removeThreshold;
    }
  }
}
