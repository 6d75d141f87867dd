package io.sluice.processor.tailsampling;

import io.sluice.core.PermanentException;
import java.nio.charset.StandardCharsets;

/**
 * Reads and writes protobuf wire format in byte arrays, for the few OTLP fields this processor
 * looks at: tags, varints, lengths, fixed64. Every read is bounded by {@code end}; malformed input
 * throws {@link PermanentException}.
 */
final class Wire {
  private Wire() {}

  static final int VARINT = 0;
  static final int FIXED64 = 1;
  static final int LEN = 2;
  static final int FIXED32 = 5;

  /** Reads a varint at {@code pos}; the position after it is {@link #end}. */
  static long varint(byte[] b, int pos, int end) {
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
    throw malformed("a varint is longer than 10 bytes");
  }

  /** The position after the varint at {@code pos} (already read, so known to be well formed). */
  static int skipVarint(byte[] b, int pos) {
    while (b[pos++] < 0) {
      // continuation bit set
    }
    return pos;
  }

  /** A length prefix at {@code pos}, checked against {@code end} once it is skipped. */
  static int length(byte[] b, int pos, int end) {
    long n = varint(b, pos, end);
    int after = skipVarint(b, pos);
    if (n < 0 || n > end - after) {
      throw malformed("a length of " + n + " runs past the end of its message");
    }
    return (int) n;
  }

  static long fixed64(byte[] b, int pos, int end) {
    if (pos + 8 > end) {
      throw malformed("a fixed64 runs past the end of its message");
    }
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = (v << 8) | (b[pos + i] & 0xFF);
    }
    return v;
  }

  static int fixed32(byte[] b, int pos, int end) {
    if (pos + 4 > end) {
      throw malformed("a fixed32 runs past the end of its message");
    }
    return (b[pos] & 0xFF) | (b[pos + 1] & 0xFF) << 8 | (b[pos + 2] & 0xFF) << 16 | (b[pos + 3] & 0xFF) << 24;
  }

  /** The position after the value of wire type {@code wire} starting at {@code pos}. */
  static int skip(byte[] b, int pos, int end, int wire) {
    switch (wire) {
      case VARINT -> {
        varint(b, pos, end);
        return skipVarint(b, pos);
      }
      case FIXED64 -> {
        if (pos + 8 > end) {
          throw malformed("a fixed64 runs past the end of its message");
        }
        return pos + 8;
      }
      case LEN -> {
        int n = length(b, pos, end);
        return skipVarint(b, pos) + n;
      }
      case FIXED32 -> {
        if (pos + 4 > end) {
          throw malformed("a fixed32 runs past the end of its message");
        }
        return pos + 4;
      }
      default -> throw malformed("unsupported wire type " + wire);
    }
  }

  static int varintSize(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  static int writeVarint(byte[] out, int pos, long v) {
    while ((v & ~0x7FL) != 0) {
      out[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[pos++] = (byte) v;
    return pos;
  }

  /** The size of a length-delimited field with a one-byte tag holding {@code n} bytes. */
  static int lenFieldSize(int n) {
    return 1 + varintSize(n) + n;
  }

  /** Writes a one-byte tag for {@code field} (1..15) with wire type LEN and the length {@code n}. */
  static int writeLenHeader(byte[] out, int pos, int field, int n) {
    out[pos++] = (byte) (field << 3 | LEN);
    return writeVarint(out, pos, n);
  }

  static boolean equalsBytes(byte[] a, int aOff, int aLen, byte[] b) {
    if (aLen != b.length) {
      return false;
    }
    for (int i = 0; i < aLen; i++) {
      if (a[aOff + i] != b[i]) {
        return false;
      }
    }
    return true;
  }

  static String utf8(byte[] b, int off, int len) {
    return new String(b, off, len, StandardCharsets.UTF_8);
  }

  static PermanentException malformed(String what) {
    return new PermanentException("tail_sampling: malformed span data: " + what);
  }
}
