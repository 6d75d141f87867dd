package io.sluice.receiver.logoperators;

import java.util.List;

/**
 * Sets trace id, span id and trace flags from hex strings in fields: the {@code trace} block of
 * a parser and the {@code trace_parser} operator. Each of {@code trace_id}, {@code span_id} and
 * {@code trace_flags} takes a {@code parse_from} (defaults {@code attributes.trace_id}, {@code
 * attributes.span_id}, {@code attributes.trace_flags}). A missing field is skipped; a value that
 * is not hex of the right length (32, 16 and 2 digits) is an error naming it.
 */
final class TraceParser implements EntryStep {
  static final List<String> KEYS = List.of("trace_id", "span_id", "trace_flags");

  private final Field traceId;
  private final Field spanId;
  private final Field traceFlags;

  private TraceParser(Field traceId, Field spanId, Field traceFlags) {
    this.traceId = traceId;
    this.spanId = spanId;
    this.traceFlags = traceFlags;
  }

  static TraceParser read(Conf c) {
    int before = c.problemCount();
    Field t = sub(c, "trace_id", Field.body("trace_id"));
    Field s = sub(c, "span_id", Field.body("span_id"));
    Field f = sub(c, "trace_flags", Field.body("trace_flags"));
    return c.problemCount() == before ? new TraceParser(t, s, f) : null;
  }

  private static Field sub(Conf c, String key, Field def) {
    Conf s = c.sub(key);
    if (s == null) {
      return def;
    }
    s.refuseUnknown(List.of("parse_from"));
    return s.field("parse_from", def);
  }

  @Override
  public void apply(LogEntry e) throws EntryException {
    // decode all first, so that one bad value leaves the entry as it was
    byte[] t = hex(e, traceId, 16);
    byte[] s = hex(e, spanId, 8);
    byte[] f = hex(e, traceFlags, 1);
    if (t != null) {
      e.traceId(t);
    }
    if (s != null) {
      e.spanId(s);
    }
    if (f != null) {
      e.traceFlags(f[0] & 0xff);
    }
  }

  private static byte[] hex(LogEntry e, Field field, int bytes) throws EntryException {
    Object v = field.get(e);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s)) {
      throw new EntryException(field + " is a " + Expr.typeName(v) + ", not a hex string");
    }
    if (s.length() != bytes * 2) {
      throw new EntryException(field + " \"" + s + "\" must be " + bytes * 2 + " hex digits, got " + s.length());
    }
    byte[] out = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      int hi = Character.digit(s.charAt(2 * i), 16);
      int lo = Character.digit(s.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        throw new EntryException(field + " \"" + s + "\" is not hex");
      }
      out[i] = (byte) (hi << 4 | lo);
    }
    return out;
  }
}
