package io.sluice.processor.tailsampling;

import java.util.List;

/** Reads single fields of encoded spans and events, and evaluates OTTL conditions on them. */
final class SpanFields {
  private SpanFields() {}

  /**
   * The position of the value of the last field {@code field} with wire type {@code wire} in the
   * message {@code [off, off + len)}: after its tag (for LEN fields, at the length prefix); -1 when absent.
   */
  static int find(byte[] d, int off, int len, int field, int wire) {
    int end = off + len;
    int p = off;
    int found = -1;
    while (p < end) {
      long tag = Wire.varint(d, p, end);
      p = Wire.skipVarint(d, p);
      int w = (int) tag & 7;
      if ((int) (tag >>> 3) == field && w == wire) {
        found = p;
      }
      p = Wire.skip(d, p, end, w);
    }
    return found;
  }

  /** A string (or bytes) field's text; "" when absent. */
  static String string(byte[] d, int off, int len, int field) {
    int p = find(d, off, len, field, Wire.LEN);
    if (p < 0) {
      return "";
    }
    int n = Wire.length(d, p, off + len);
    return Wire.utf8(d, Wire.skipVarint(d, p), n);
  }

  /** A bytes field as lower-case hex; "" when absent. */
  static String hex(byte[] d, int off, int len, int field) {
    int p = find(d, off, len, field, Wire.LEN);
    if (p < 0) {
      return "";
    }
    int n = Wire.length(d, p, off + len);
    return Ottl.hex(d, Wire.skipVarint(d, p), n);
  }

  static long varintField(byte[] d, int off, int len, int field) {
    int p = find(d, off, len, field, Wire.VARINT);
    return p < 0 ? 0 : Wire.varint(d, p, off + len);
  }

  static long fixed64Field(byte[] d, int off, int len, int field) {
    int p = find(d, off, len, field, Wire.FIXED64);
    return p < 0 ? 0 : Wire.fixed64(d, p, off + len);
  }

  /** The span's status code (field 15, its field 3); 0 (unset) when absent. */
  static long statusCode(byte[] d, int off, int len) {
    int p = find(d, off, len, 15, Wire.LEN);
    if (p < 0) {
      return 0;
    }
    int n = Wire.length(d, p, off + len);
    return varintField(d, Wire.skipVarint(d, p), n, 3);
  }

  /** The subject of OTTL conditions: one span, and while events are walked, one of its events. */
  static final class Subject implements Ottl.Subject {
    private final Val val;
    private byte[] d;
    private int off;
    private int len;
    private ScopeRef scope;
    private int eventOff;
    private int eventLen;

    Subject(Val val) {
      this.val = val;
    }

    void span(byte[] data, int off, int len, ScopeRef scope) {
      this.d = data;
      this.off = off;
      this.len = len;
      this.scope = scope;
    }

    /** True when any condition holds for any of the span's events (field 11). */
    boolean anyEvent(List<Ottl.Condition> conditions) {
      int end = off + len;
      int p = off;
      while (p < end) {
        long tag = Wire.varint(d, p, end);
        p = Wire.skipVarint(d, p);
        int w = (int) tag & 7;
        if ((int) (tag >>> 3) == 11 && w == Wire.LEN) {
          int n = Wire.length(d, p, end);
          eventOff = Wire.skipVarint(d, p);
          eventLen = n;
          for (Ottl.Condition c : conditions) {
            if (c.test(this)) {
              return true;
            }
          }
        }
        p = Wire.skip(d, p, end, w);
      }
      return false;
    }

    @Override
    public Object span(Ottl.Field f, byte[] key) {
      return switch (f) {
        case NAME -> string(d, off, len, 5);
        case KIND -> varintField(d, off, len, 6);
        case STATUS_CODE -> statusCode(d, off, len);
        case STATUS_MESSAGE -> {
          int p = find(d, off, len, 15, Wire.LEN);
          if (p < 0) {
            yield "";
          }
          int n = Wire.length(d, p, off + len);
          yield string(d, Wire.skipVarint(d, p), n, 2);
        }
        case TRACE_STATE -> string(d, off, len, 3);
        case START_TIME -> fixed64Field(d, off, len, 7);
        case END_TIME -> fixed64Field(d, off, len, 8);
        case TRACE_ID -> hex(d, off, len, 1);
        case SPAN_ID -> hex(d, off, len, 2);
        case PARENT_SPAN_ID -> hex(d, off, len, 4);
        case ATTRIBUTE -> val.find(d, off, len, 9, key) ? val.toObject() : null;
        case RESOURCE_ATTRIBUTE -> {
          ResourceRef r = scope.resource;
          yield r.resourceOff >= 0 && val.find(r.header, r.resourceOff, r.resourceLen, 1, key) ? val.toObject() : null;
        }
        case SCOPE_NAME -> scope.scopeOff < 0 ? "" : string(scope.header, scope.scopeOff, scope.scopeLen, 1);
        case SCOPE_VERSION -> scope.scopeOff < 0 ? "" : string(scope.header, scope.scopeOff, scope.scopeLen, 2);
        default -> null;
      };
    }

    @Override
    public Object event(Ottl.Field f, byte[] key) {
      return switch (f) {
        case EVENT_NAME -> string(d, eventOff, eventLen, 2);
        case EVENT_TIME -> fixed64Field(d, eventOff, eventLen, 1);
        case EVENT_ATTRIBUTE -> val.find(d, eventOff, eventLen, 3, key) ? val.toObject() : null;
        default -> null;
      };
    }
  }
}
