package io.sluice.core.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.core.Signal;

/**
 * Reads and rewrites encoded OTLP messages at the level of their framing: tags and lengths,
 * never field contents. It finds the resource messages in an {@code Export*ServiceRequest},
 * counts the items (spans, data points, log records) inside them, and cuts a resource message in
 * two at an item boundary, keeping the resource, scope and metric fields in both halves.
 *
 * <p>Every signal nests the same way: a resource message holds scope messages in field 2, which
 * hold items (spans, log records) or metrics in field 2; a metric holds its one data container
 * (gauge 5, sum 7, histogram 9, exponential histogram 10, summary 11), whose field 1 holds the
 * data points. A level's other fields (resource, scope, schema URL, a metric's name and unit, a
 * sum's temporality) are its header.
 *
 * <p>The readers and writers of single varints, tags and lengths are public for components that
 * read a few fields of encoded items themselves (a sampler reading trace IDs).
 */
public final class OtlpWire {
  private OtlpWire() {}

  public static final int WIRE_VARINT = 0;
  public static final int WIRE_FIXED64 = 1;
  public static final int WIRE_LEN = 2;
  static final int WIRE_START_GROUP = 3;
  static final int WIRE_END_GROUP = 4;
  public static final int WIRE_FIXED32 = 5;

  /** The field of an {@code Export*ServiceRequest} (and of {@code TracesData} etc.) holding resources. */
  static final int REQUEST_RESOURCES = 1;

  private static final long METRIC_DATA_FIELDS = (1L << 5) | (1L << 7) | (1L << 9) | (1L << 10) | (1L << 11);

  /**
   * The container fields of each nesting level below a resource message, as bit sets of field
   * numbers: level 0 is the resource message itself, the last level's entries are items.
   */
  static long[] shape(Signal signal) {
    return switch (signal) {
      case TRACES, LOGS -> new long[] {1L << 2, 1L << 2};
      case METRICS -> new long[] {1L << 2, 1L << 2, METRIC_DATA_FIELDS, 1L << 1};
    };
  }

  private static final long[][] SHAPES = {shape(Signal.TRACES), shape(Signal.METRICS), shape(Signal.LOGS)};

  static long[] shapeOf(Signal signal) {
    return SHAPES[signal.ordinal()];
  }

  /**
   * Counts the items of one encoded resource message, checking its framing down to the items'
   * own fields.
   *
   * @throws InvalidProtocolBufferException when a tag, a length or a wire type is malformed
   */
  static int countItems(Signal signal, byte[] data, int offset, int length) throws InvalidProtocolBufferException {
    return count(shapeOf(signal), 0, data, offset, offset + length);
  }

  private static int count(long[] shape, int level, byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    if (level == shape.length) {
      skipFields(b, pos, end);
      return 1;
    }
    long containers = shape[level];
    int n = 0;
    while (pos < end) {
      long t = readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = (int) t;
      int field = tag >>> 3;
      int wire = tag & 7;
      if (wire == WIRE_LEN) {
        long l = readLengthPrefix(b, pos, end);
        int len = (int) (l >>> 32);
        pos = (int) l;
        if (field < 64 && (containers & (1L << field)) != 0) {
          n += count(shape, level + 1, b, pos, pos + len);
        } else if (field == 0) {
          throw malformed("a field number of 0");
        }
        pos += len;
      } else {
        pos = skipScalar(b, pos, end, wire, field);
      }
    }
    return n;
  }

  /** Checks that {@code [pos, end)} is a well-framed sequence of fields. */
  private static void skipFields(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    while (pos < end) {
      long t = readVarint32(b, pos, end);
      int tag = (int) (t >>> 32);
      pos = skipValue(b, (int) t, end, tag & 7, tag >>> 3);
    }
  }

  /**
   * Reads the length prefix of a length-delimited value at {@code pos} and checks that the bytes
   * it announces are there: the length in the high half of the result, the position of the
   * value's first byte in the low half.
   */
  public static long readLengthPrefix(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    long l = readVarint32(b, pos, end);
    int len = (int) (l >>> 32);
    if (len < 0 || len > end - (int) l) {
      throw malformed("a length of " + Integer.toUnsignedString(len) + " bytes runs past the end of its message");
    }
    return l;
  }

  /** The position after a varint, fixed32 or fixed64 value starting at {@code pos}. */
  private static int skipScalar(byte[] b, int pos, int end, int wire, int field) throws InvalidProtocolBufferException {
    if (field == 0) {
      throw malformed("a field number of 0");
    }
    int next;
    switch (wire) {
      case WIRE_VARINT -> {
        int limit = Math.min(end, pos + 10);
        while (pos < limit && b[pos] < 0) {
          pos++;
        }
        if (pos >= limit) {
          throw malformed(pos >= end ? "a varint runs past the end of its message" : "a varint longer than 10 bytes");
        }
        next = pos + 1;
      }
      case WIRE_FIXED64 -> next = pos + 8;
      case WIRE_FIXED32 -> next = pos + 4;
      default -> throw malformed("wire type " + wire + " in field " + field + ", which OTLP does not use");
    }
    if (next > end) {
      throw malformed("field " + field + " runs past the end of its message");
    }
    return next;
  }

  /**
   * Reads a varint of at most 32 bits (a tag or a length) at {@code pos}: the value in the high
   * half of the result (as an unsigned int), the position after it in the low half.
   */
  public static long readVarint32(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    if (pos >= end) {
      throw malformed("a varint runs past the end of its message");
    }
    int x = b[pos++];
    if (x >= 0) {
      return ((long) x << 32) | pos;
    }
    int v = x & 0x7F;
    for (int shift = 7; shift < 35; shift += 7) {
      if (pos >= end) {
        throw malformed("a varint runs past the end of its message");
      }
      x = b[pos++];
      v |= (x & 0x7F) << shift;
      if (x >= 0) {
        return ((v & 0xFFFF_FFFFL) << 32) | pos;
      }
    }
    throw malformed("a tag or length longer than 5 bytes");
  }

  /** The position after the value of a field with the given wire type that starts at {@code pos}. */
  public static int skipValue(byte[] b, int pos, int end, int wire, int field) throws InvalidProtocolBufferException {
    if (wire != WIRE_LEN) {
      return skipScalar(b, pos, end, wire, field);
    }
    if (field == 0) {
      throw malformed("a field number of 0");
    }
    long l = readLengthPrefix(b, pos, end);
    return (int) l + (int) (l >>> 32);
  }

  /** Reads a varint at {@code pos}, checking it ends before {@code end}. */
  public static long readVarint(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos >= end) {
        throw malformed("a varint runs past the end of its message");
      }
      byte x = b[pos++];
      v |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        return v;
      }
    }
    throw malformed("a varint longer than 10 bytes");
  }

  /** The position after the varint at {@code pos}, which {@link #readVarint} has checked. */
  public static int varintEnd(byte[] b, int pos) {
    while (b[pos] < 0) {
      pos++;
    }
    return pos + 1;
  }

  /** Reads a length prefix and checks that the bytes it announces are there. */
  static int readLength(byte[] b, int pos, int end) throws InvalidProtocolBufferException {
    return (int) (readLengthPrefix(b, pos, end) >>> 32);
  }

  /** Bytes a varint takes. */
  public static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  public static int writeVarint(byte[] out, int pos, long v) {
    while ((v & ~0x7FL) != 0) {
      out[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[pos++] = (byte) v;
    return pos;
  }

  static InvalidProtocolBufferException malformed(String what) {
    return new InvalidProtocolBufferException("malformed protobuf: " + what);
  }

  // ---- cutting ---------------------------------------------------------------------------------

  /** The two halves of a cut resource message, each a complete encoded message. */
  record Halves(byte[] head, int headItems, byte[] tail, int tailItems) {}

  /**
   * Cuts one encoded resource message after its first {@code n} items (0 &lt; n &lt; its item
   * count). Both halves keep every header field of every level they contain.
   */
  static Halves cut(Signal signal, byte[] data, int offset, int length, int n) {
    long[] shape = shapeOf(signal);
    Writer head = new Writer(length + 16);
    Writer tail = new Writer(length + 16);
    try {
      int[] left = {n};
      cutLevel(shape, 0, data, offset, offset + length, left, head, tail);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("a resource message that was scanned before is malformed", e);
    }
    int total = countUnchecked(signal, data, offset, length);
    return new Halves(head.toArray(), n, tail.toArray(), total - n);
  }

  static int countUnchecked(Signal signal, byte[] data, int offset, int length) {
    try {
      return countItems(signal, data, offset, length);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("a resource message that was scanned before is malformed", e);
    }
  }

  /**
   * Writes the fields of the message in {@code [pos, end)} to {@code head} and {@code tail}:
   * headers to both, container entries to the head while {@code left[0]} items remain to place,
   * the entry that straddles the cut split in two, the rest to the tail.
   */
  private static void cutLevel(long[] shape, int level, byte[] b, int pos, int end, int[] left, Writer head,
      Writer tail) throws InvalidProtocolBufferException {
    long containers = shape[level];
    while (pos < end) {
      int fieldStart = pos;
      long tag = readVarint(b, pos, end);
      pos = varintEnd(b, pos);
      int field = (int) (tag >>> 3);
      int wire = (int) tag & 7;
      int valueStart = pos;
      int next = skipValue(b, pos, end, wire, field);
      if (!(wire == WIRE_LEN && field < 64 && (containers & (1L << field)) != 0)) {
        head.write(b, fieldStart, next - fieldStart);
        tail.write(b, fieldStart, next - fieldStart);
        pos = next;
        continue;
      }
      int len = readLength(b, valueStart, end);
      int inner = varintEnd(b, valueStart);
      int items = level + 1 == shape.length ? 1 : count(shape, level + 1, b, inner, inner + len);
      if (left[0] <= 0) {
        tail.write(b, fieldStart, next - fieldStart);
      } else if (items <= left[0]) {
        head.write(b, fieldStart, next - fieldStart);
        left[0] -= items;
      } else {
        Writer h = new Writer(len + 16);
        Writer t = new Writer(len + 16);
        cutLevel(shape, level + 1, b, inner, inner + len, left, h, t);
        left[0] = 0;
        head.writeField(field, h);
        tail.writeField(field, t);
      }
      pos = next;
    }
  }

  /** A growing byte array. */
  static final class Writer {
    byte[] buf;
    int size;

    Writer(int capacity) {
      buf = new byte[Math.max(16, capacity)];
    }

    void write(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    void writeField(int field, Writer value) {
      ensure(20 + value.size);
      size = writeVarint(buf, size, ((long) field << 3) | WIRE_LEN);
      size = writeVarint(buf, size, value.size);
      System.arraycopy(value.buf, 0, buf, size, value.size);
      size += value.size;
    }

    private void ensure(int more) {
      if (size + more > buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
      }
    }

    byte[] toArray() {
      return size == buf.length ? buf : java.util.Arrays.copyOf(buf, size);
    }
  }
}
