package io.sluice.exporter.kafka;

import com.google.protobuf.ByteString;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.translation.kafka.MessageKeys;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Cuts encoded spans into one {@code TracesData} per trace ID without parsing them: it reads the
 * framing of the resource, scope and span messages and each span's {@code trace_id}, and copies
 * bytes. Every trace's message keeps the resource and scope fields its spans came with, and its
 * spans in their order. Field numbers: {@code TracesData.resource_spans} 1,
 * {@code ResourceSpans.scope_spans} 2, {@code ScopeSpans.spans} 2, {@code Span.trace_id} 1.
 */
final class TraceGrouper {
  private static final int WIRE_VARINT = 0;
  private static final int WIRE_FIXED64 = 1;
  private static final int WIRE_LEN = 2;
  private static final int WIRE_FIXED32 = 5;

  private TraceGrouper() {}

  /** One trace's message: its key (the trace ID in lower-case hex) and its content. */
  record Trace(byte[] key, EncodedResources content) {
  }

  /** The traces of {@code spans}, in the order their first span came. */
  static List<Trace> group(EncodedResources spans) {
    Map<Key, EncodedResources.Builder> traces = new LinkedHashMap<>();
    try {
      for (int i = 0; i < spans.size(); i++) {
        resource(spans.array(i), spans.offset(i), spans.offset(i) + spans.length(i), traces);
      }
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("spans that were scanned before are malformed: " + e.getMessage(), e);
    }
    List<Trace> out = new ArrayList<>(traces.size());
    for (Map.Entry<Key, EncodedResources.Builder> e : traces.entrySet()) {
      out.add(new Trace(MessageKeys.traceKey(ByteString.copyFrom(e.getKey().id())), e.getValue().build()));
    }
    return out;
  }

  /**
   * The spans of one resource, added to their traces' messages: per trace, one resource message
   * of exactly its size, holding the resource's own fields and, per scope it has spans in, the
   * scope's fields and those spans.
   */
  private static void resource(byte[] b, int start, int end, Map<Key, EncodedResources.Builder> traces) {
    List<int[]> header = new ArrayList<>(2);
    // Per trace: the scopes of this resource it has spans in.
    Map<Key, List<ScopePart>> mine = new LinkedHashMap<>();
    fields(b, start, end, (field, wire, fieldStart, from, to) -> {
      if (field == 2 && wire == WIRE_LEN) {
        scope(b, from, to, mine);
      } else {
        header.add(new int[] {fieldStart, to});
      }
    });
    int headerBytes = spanned(header);
    for (Map.Entry<Key, List<ScopePart>> e : mine.entrySet()) {
      int size = headerBytes;
      int spans = 0;
      for (ScopePart sp : e.getValue()) {
        size += fieldBytes(sp.bodyBytes());
        spans += sp.spans().size();
      }
      byte[] out = new byte[size];
      int pos = copy(b, header, out, 0);
      for (ScopePart sp : e.getValue()) {
        pos = lengthPrefix(out, pos, 2, sp.bodyBytes());
        pos = copy(b, sp.header(), out, pos);
        for (int[] span : sp.spans()) {
          pos = lengthPrefix(out, pos, 2, span[1] - span[0]);
          System.arraycopy(b, span[0], out, pos, span[1] - span[0]);
          pos += span[1] - span[0];
        }
      }
      traces.computeIfAbsent(e.getKey(), k -> EncodedResources.builder(Signal.TRACES, 1)).add(out, 0, size, spans);
    }
  }

  /** Bytes of the ranges {@code [from, to)} together. */
  private static int spanned(List<int[]> ranges) {
    int n = 0;
    for (int[] r : ranges) {
      n += r[1] - r[0];
    }
    return n;
  }

  /** Copies the ranges of {@code b} into {@code out} at {@code pos}; returns where they end. */
  private static int copy(byte[] b, List<int[]> ranges, byte[] out, int pos) {
    for (int[] r : ranges) {
      System.arraycopy(b, r[0], out, pos, r[1] - r[0]);
      pos += r[1] - r[0];
    }
    return pos;
  }

  /** The size of a length-delimited field of a number under 16 holding {@code len} bytes. */
  private static int fieldBytes(int len) {
    return 1 + varintBytes(len) + len;
  }

  private static int varintBytes(long v) {
    int n = 1;
    while ((v & ~0x7FL) != 0) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  /** Writes the tag and length of a length-delimited field {@code number}; returns where its value starts. */
  private static int lengthPrefix(byte[] out, int pos, int number, int len) {
    pos = putVarint(out, pos, ((long) number << 3) | WIRE_LEN);
    return putVarint(out, pos, len);
  }

  private static int putVarint(byte[] out, int pos, long v) {
    while ((v & ~0x7FL) != 0) {
      out[pos++] = (byte) ((v & 0x7F) | 0x80);
      v >>>= 7;
    }
    out[pos++] = (byte) v;
    return pos;
  }

  /** The spans of one scope, by trace. */
  private static void scope(byte[] b, int start, int end, Map<Key, List<ScopePart>> mine) {
    List<int[]> header = new ArrayList<>(2);
    Map<Key, List<int[]>> spans = new LinkedHashMap<>();
    fields(b, start, end, (field, wire, fieldStart, from, to) -> {
      if (field == 2 && wire == WIRE_LEN) {
        spans.computeIfAbsent(traceId(b, from, to), k -> new ArrayList<>()).add(new int[] {from, to});
      } else {
        header.add(new int[] {fieldStart, to});
      }
    });
    int headerBytes = spanned(header);
    spans.forEach((k, list) -> {
      int body = headerBytes;
      for (int[] span : list) {
        body += fieldBytes(span[1] - span[0]);
      }
      mine.computeIfAbsent(k, x -> new ArrayList<>()).add(new ScopePart(header, list, body));
    });
  }

  /** A span's {@code trace_id} (the last one written, as a parser keeps); empty when it has none. */
  private static Key traceId(byte[] b, int start, int end) {
    int[] id = {0, 0};
    fields(b, start, end, (field, wire, fieldStart, from, to) -> {
      if (field == 1 && wire == WIRE_LEN) {
        id[0] = from;
        id[1] = to;
      }
    });
    return new Key(Arrays.copyOfRange(b, id[0], id[1]));
  }

  /** What {@link #fields} calls for each field: its number, wire type, and where it and its value are. */
  @FunctionalInterface
  private interface FieldVisitor {
    void field(int number, int wire, int fieldStart, int valueStart, int valueEnd);
  }

  /**
   * Calls {@code visitor} for each field of the message in {@code [start, end)}; a length-delimited
   * value is {@code [valueStart, valueEnd)} without its length prefix.
   *
   * @throws IllegalArgumentException when the framing is broken
   */
  private static void fields(byte[] b, int start, int end, FieldVisitor visitor) {
    int[] pos = {start};
    while (pos[0] < end) {
      int fieldStart = pos[0];
      long tag = varint(b, pos, end);
      int number = (int) (tag >>> 3);
      int wire = (int) tag & 7;
      if (number == 0) {
        throw new IllegalArgumentException("a field number of 0");
      }
      int valueStart;
      int valueEnd;
      switch (wire) {
        case WIRE_LEN -> {
          long len = varint(b, pos, end);
          valueStart = pos[0];
          if (len < 0 || len > end - valueStart) {
            throw new IllegalArgumentException("a length runs past the end of its message");
          }
          valueEnd = valueStart + (int) len;
        }
        case WIRE_VARINT -> {
          valueStart = pos[0];
          varint(b, pos, end);
          valueEnd = pos[0];
        }
        case WIRE_FIXED64 -> {
          valueStart = pos[0];
          valueEnd = valueStart + 8;
        }
        case WIRE_FIXED32 -> {
          valueStart = pos[0];
          valueEnd = valueStart + 4;
        }
        default -> throw new IllegalArgumentException("wire type " + wire + ", which OTLP does not use");
      }
      if (valueEnd > end) {
        throw new IllegalArgumentException("field " + number + " runs past the end of its message");
      }
      visitor.field(number, wire, fieldStart, valueStart, valueEnd);
      pos[0] = valueEnd;
    }
  }

  /** Reads a varint at {@code pos[0]}, moving it past. */
  private static long varint(byte[] b, int[] pos, int end) {
    long v = 0;
    int p = pos[0];
    for (int shift = 0; shift < 64; shift += 7) {
      if (p >= end) {
        throw new IllegalArgumentException("a varint runs past the end of its message");
      }
      byte x = b[p++];
      v |= (long) (x & 0x7F) << shift;
      if (x >= 0) {
        pos[0] = p;
        return v;
      }
    }
    throw new IllegalArgumentException("a varint longer than 10 bytes");
  }

  /** A scope's own fields and the spans of one trace in it; {@code bodyBytes}: the scope message they make. */
  private record ScopePart(List<int[]> header, List<int[]> spans, int bodyBytes) {
  }

  /** Trace ID bytes with value equality. */
  private record Key(byte[] id) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && Arrays.equals(id, k.id);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(id);
    }
  }
}
