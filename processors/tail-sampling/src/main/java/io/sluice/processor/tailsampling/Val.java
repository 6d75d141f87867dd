package io.sluice.processor.tailsampling;

import java.util.HexFormat;

/**
 * An attribute value read from encoded OTLP ({@code AnyValue}) without building objects: its type
 * and, for strings, where its bytes are. Reused: one per evaluation scratch.
 */
final class Val {
  static final int STRING = 1;
  static final int BOOL = 2;
  static final int INT = 3;
  static final int DOUBLE = 4;
  static final int BYTES = 5;
  static final int OTHER = 6; // array or key-value list
  static final int EMPTY = 7; // an AnyValue with no value set

  int type;
  byte[] b;
  int off;
  int len;
  long i;
  double d;

  /**
   * Finds the first attribute (a {@code KeyValue} in field {@code field}) with key {@code key} in
   * the message {@code [off, off + len)} of {@code data}; fills this value and returns true, or
   * returns false when there is none.
   */
  boolean find(byte[] data, int off, int len, int field, byte[] key) {
    int end = off + len;
    int p = off;
    while (p < end) {
      long tag = Wire.varint(data, p, end);
      p = Wire.skipVarint(data, p);
      int wire = (int) tag & 7;
      if ((int) (tag >>> 3) == field && wire == Wire.LEN) {
        int n = Wire.length(data, p, end);
        p = Wire.skipVarint(data, p);
        if (readKeyValue(data, p, p + n, key)) {
          return true;
        }
        p += n;
      } else {
        p = Wire.skip(data, p, end, wire);
      }
    }
    return false;
  }

  /** Reads a {@code KeyValue} in {@code [p, end)}: true and this value filled when its key is {@code key}. */
  private boolean readKeyValue(byte[] data, int p, int end, byte[] key) {
    boolean keyMatches = false;
    int valueOff = -1;
    int valueLen = 0;
    while (p < end) {
      long tag = Wire.varint(data, p, end);
      p = Wire.skipVarint(data, p);
      int f = (int) (tag >>> 3);
      int wire = (int) tag & 7;
      if (wire == Wire.LEN && (f == 1 || f == 2)) {
        int n = Wire.length(data, p, end);
        p = Wire.skipVarint(data, p);
        if (f == 1) {
          keyMatches = Wire.equalsBytes(data, p, n, key);
          if (!keyMatches) {
            return false;
          }
        } else {
          valueOff = p;
          valueLen = n;
        }
        p += n;
      } else {
        p = Wire.skip(data, p, end, wire);
      }
    }
    if (!keyMatches) {
      return false;
    }
    if (valueOff < 0) {
      type = EMPTY;
    } else {
      readAnyValue(data, valueOff, valueOff + valueLen);
    }
    return true;
  }

  /** Reads an {@code AnyValue} in {@code [p, end)}; the last value field set wins, as in a parser. */
  void readAnyValue(byte[] data, int p, int end) {
    type = EMPTY;
    while (p < end) {
      long tag = Wire.varint(data, p, end);
      p = Wire.skipVarint(data, p);
      int f = (int) (tag >>> 3);
      int wire = (int) tag & 7;
      switch (f) {
        case 1, 7, 5, 6 -> {
          if (wire != Wire.LEN) {
            p = Wire.skip(data, p, end, wire);
            continue;
          }
          int n = Wire.length(data, p, end);
          p = Wire.skipVarint(data, p);
          type = f == 1 ? STRING : f == 7 ? BYTES : OTHER;
          b = data;
          off = p;
          len = n;
          p += n;
        }
        case 2, 3 -> {
          if (wire != Wire.VARINT) {
            p = Wire.skip(data, p, end, wire);
            continue;
          }
          i = Wire.varint(data, p, end);
          p = Wire.skipVarint(data, p);
          type = f == 2 ? BOOL : INT;
        }
        case 4 -> {
          if (wire != Wire.FIXED64) {
            p = Wire.skip(data, p, end, wire);
            continue;
          }
          d = Double.longBitsToDouble(Wire.fixed64(data, p, end));
          p += 8;
          type = DOUBLE;
        }
        default -> p = Wire.skip(data, p, end, wire);
      }
    }
  }

  /** The string value; for other types "" (as the Collector's {@code Str()} gives). */
  String str() {
    return type == STRING ? Wire.utf8(b, off, len) : "";
  }

  /** The integer value; 0 for other types (as the Collector's {@code Int()} gives). */
  long asInt() {
    return type == INT ? i : 0;
  }

  /** The boolean value; false for other types (as the Collector's {@code Bool()} gives). */
  boolean asBool() {
    return type == BOOL && i != 0;
  }

  /**
   * The value as an OTTL value: String, Long, Double, Boolean, a hex string for bytes, or
   * {@link Ottl#OTHER} for arrays and maps; null for an empty value.
   */
  Object toObject() {
    return switch (type) {
      case STRING -> Wire.utf8(b, off, len);
      case BOOL -> i != 0;
      case INT -> i;
      case DOUBLE -> d;
      case BYTES -> HexFormat.of().formatHex(b, off, off + len);
      case OTHER -> Ottl.OTHER;
      default -> null;
    };
  }
}
