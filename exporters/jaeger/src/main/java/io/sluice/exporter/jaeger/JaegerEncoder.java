package io.sluice.exporter.jaeger;

import static io.sluice.exporter.jaeger.SpanColumns.A_BOOL;
import static io.sluice.exporter.jaeger.SpanColumns.A_BYTES;
import static io.sluice.exporter.jaeger.SpanColumns.A_DOUBLE;
import static io.sluice.exporter.jaeger.SpanColumns.A_INT;
import static io.sluice.exporter.jaeger.SpanColumns.A_MADE;
import static io.sluice.exporter.jaeger.SpanColumns.A_STRING;
import static io.sluice.exporter.jaeger.SpanColumns.EVENT;
import static io.sluice.exporter.jaeger.SpanColumns.NONE;
import static io.sluice.exporter.jaeger.SpanColumns.len;
import static io.sluice.exporter.jaeger.SpanColumns.off;
import static io.sluice.exporter.jaeger.SpanColumns.part;
import static io.sluice.exporter.jaeger.SpanColumns.utf8;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Translates OTLP spans into one Jaeger {@code api_v2} {@code PostSpansRequest} and encodes it,
 * reading the OTLP messages as they are encoded and writing the Jaeger ones field by field with
 * protobuf's {@link CodedOutputStream}: no OTLP object is made and no generated Jaeger class is
 * used.
 *
 * <p>The mapping (the OpenTelemetry specification's Jaeger mapping, where it is silent the
 * Collector's):
 * <ul>
 *   <li>The resource becomes the batch's process: {@code service.name} its service name
 *       ({@value #NO_SERVICE_NAME} without one), every other attribute a process tag. A span
 *       of another resource in the same request carries its own process.</li>
 *   <li>Trace and span IDs are the same bytes (16 and 8); the name is the operation name; start
 *       time and duration (end minus start, never negative) are a Timestamp and a Duration.</li>
 *   <li>A parent becomes the first reference, {@code CHILD_OF}; links follow as
 *       {@code FOLLOWS_FROM} ({@code CHILD_OF} when the link's {@code opentracing.ref_type} says
 *       {@code child_of}; a link to the parent itself only sets the first reference's type).</li>
 *   <li>Tags, in order: {@code otel.scope.name} and {@code otel.scope.version}, the attributes
 *       (strings, booleans, integers and doubles keep their type, bytes are BINARY, arrays and
 *       maps JSON strings), {@code span.kind}, {@code otel.status_code}, {@code error=true} for
 *       an error status, {@code otel.status_description}, {@code w3c.tracestate}, and the
 *       non-zero {@code otel.dropped_attributes_count}, {@code otel.dropped_events_count},
 *       {@code otel.dropped_links_count}.</li>
 *   <li>Events become logs: their time, a field {@code event} holding the name (unless an
 *       attribute is called so), then the attributes.</li>
 *   <li>The W3C sampled flag (0x1) is Jaeger's sampled flag.</li>
 * </ul>
 *
 * <p>A span whose trace ID is not 16 bytes, whose span ID is not 8, or whose parent span ID is
 * neither empty nor 8 bytes cannot be written; it is left out and counted in
 * {@link Encoded#invalidSpans()}. A link with such IDs is left out of the references. As in a
 * parser, unknown fields are skipped, of a field given twice the last counts, and a message
 * given twice is merged. Strings go over as the bytes they came in.
 *
 * <p>How: one scan of the OTLP bytes fills {@link SpanColumns}; encoding then makes two passes over
 * the columns: one measures every nested message (in the order they begin), the other writes into
 * an array of exactly the request's size. Reading the bytes costs well under half of what parsing
 * them into OTLP objects would ({@code perf-tests/run-jaeger-translation.sh}). An instance keeps
 * its arrays between requests and is used by one thread at a time.
 */
final class JaegerEncoder {
  /** The service name of a process whose resource has no {@code service.name}. */
  static final String NO_SERVICE_NAME = "OTLPResourceNoServiceName";

  // Jaeger api_v2: PostSpansRequest, Batch, Process
  private static final int REQUEST_BATCH = 1;
  private static final int BATCH_SPANS = 1;
  private static final int BATCH_PROCESS = 2;
  private static final int PROCESS_SERVICE_NAME = 1;
  private static final int PROCESS_TAGS = 2;
  // Span
  private static final int SPAN_TRACE_ID = 1;
  private static final int SPAN_SPAN_ID = 2;
  private static final int SPAN_OPERATION_NAME = 3;
  private static final int SPAN_REFERENCES = 4;
  private static final int SPAN_FLAGS = 5;
  private static final int SPAN_START_TIME = 6;
  private static final int SPAN_DURATION = 7;
  private static final int SPAN_TAGS = 8;
  private static final int SPAN_LOGS = 9;
  private static final int SPAN_PROCESS = 10;
  // SpanRef
  private static final int REF_TRACE_ID = 1;
  private static final int REF_SPAN_ID = 2;
  private static final int REF_TYPE = 3;
  static final int CHILD_OF = 0;
  static final int FOLLOWS_FROM = 1;
  // Log
  private static final int LOG_TIMESTAMP = 1;
  private static final int LOG_FIELDS = 2;
  // KeyValue
  private static final int KV_KEY = 1;
  private static final int KV_TYPE = 2;
  private static final int KV_STR = 3;
  private static final int KV_BOOL = 4;
  private static final int KV_INT64 = 5;
  private static final int KV_FLOAT64 = 6;
  private static final int KV_BINARY = 7;
  static final int TYPE_BOOL = 1;
  static final int TYPE_INT64 = 2;
  static final int TYPE_FLOAT64 = 3;
  static final int TYPE_BINARY = 4;
  // google.protobuf.Timestamp and Duration
  private static final int TIME_SECONDS = 1;
  private static final int TIME_NANOS = 2;

  private static final int STATUS_OK = 1;
  private static final int STATUS_ERROR = 2;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final int SAMPLED = 0x1;

  private static final byte[] T_SCOPE_NAME = utf8("otel.scope.name");
  private static final byte[] T_SCOPE_VERSION = utf8("otel.scope.version");
  private static final byte[] T_SPAN_KIND = utf8("span.kind");
  private static final byte[] T_STATUS_CODE = utf8("otel.status_code");
  private static final byte[] T_ERROR = utf8("error");
  private static final byte[] T_STATUS_DESCRIPTION = utf8("otel.status_description");
  private static final byte[] T_TRACE_STATE = utf8("w3c.tracestate");
  private static final byte[] T_DROPPED_ATTRIBUTES = utf8("otel.dropped_attributes_count");
  private static final byte[] T_DROPPED_EVENTS = utf8("otel.dropped_events_count");
  private static final byte[] T_DROPPED_LINKS = utf8("otel.dropped_links_count");
  private static final byte[] OK = utf8("OK");
  private static final byte[] ERROR = utf8("ERROR");
  private static final byte[] NO_SERVICE = utf8(NO_SERVICE_NAME);
  /** {@code span.kind} values by OTLP kind number; null where no tag is written. */
  private static final byte[][] KINDS = {null, utf8("internal"), utf8("server"), utf8("client"), utf8("producer"),
      utf8("consumer")};


  /**
   * One encoded request.
   *
   * @param bytes the {@code PostSpansRequest}; empty when it holds no span
   * @param spans spans in it
   * @param invalidSpans spans left out for IDs of the wrong length
   */
  record Encoded(byte[] bytes, int spans, int invalidSpans) {}

  private final SpanColumns columns = new SpanColumns();

  // ---- The two passes ----

  // Sizes of nested messages, in the order they begin; filled by the measuring pass.
  private int[] sizes = new int[1024];
  private int sizeCount;
  // Measuring: per open message, its field, its index in sizes and the size of its parent so far.
  private long[] stack = new long[48];
  private int depth;
  private long size;
  private boolean measuring;
  private CodedOutputStream out;
  private int cursor;
  /** Writing {@link #encodeSpans}: every span at the top level with its own process, no batch. */
  private boolean spanMessages;
  private int lastSpans;
  private int lastInvalid;

  /** The request for the spans of {@code resources}, with their resources as processes. */
  Encoded encode(List<ResourceSpans> resources) {
    return encode(EncodedResources.encode(Signal.TRACES, resources));
  }

  /**
   * The request for the spans of encoded {@code ResourceSpans} messages.
   *
   * @throws IllegalArgumentException when a message is malformed
   */
  Encoded encode(EncodedResources request) {
    spanMessages = false;
    byte[] bytes = write(request);
    return new Encoded(bytes, lastSpans, lastInvalid);
  }

  /**
   * Every span of encoded {@code ResourceSpans} messages as a Jaeger {@code Span} message of its
   * own that carries its process (field {@code process}): the messages of Jaeger's Kafka format.
   * In the order the spans came; spans with IDs of the wrong length are left out and counted.
   *
   * @throws IllegalArgumentException when a message is malformed
   */
  SpanMessages encodeSpans(EncodedResources request) {
    spanMessages = true;
    // Written as a sequence of length-delimited fields, one per span: cut apart below.
    byte[] bytes = write(request);
    List<byte[]> spans = new ArrayList<>(lastSpans);
    CodedInputStream in = CodedInputStream.newInstance(bytes);
    try {
      while (!in.isAtEnd()) {
        in.readTag();
        spans.add(in.readByteArray());
      }
    } catch (IOException e) {
      throw new IllegalStateException("Jaeger spans just written do not read back: " + e.getMessage(), e);
    }
    return new SpanMessages(spans, lastInvalid);
  }

  /**
   * Spans as Jaeger {@code Span} messages.
   *
   * @param spans the encoded messages, one per span
   * @param invalidSpans spans left out for IDs of the wrong length
   */
  record SpanMessages(List<byte[]> spans, int invalidSpans) {}

  private byte[] write(EncodedResources request) {
    try {
      columns.scan(request);
      lastSpans = columns.spans;
      lastInvalid = columns.invalid;
      if (columns.spans == 0) {
        return new byte[0];
      }
      measuring = true;
      sizeCount = 0;
      depth = 0;
      size = 0;
      request();
      if (size > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("a Jaeger request of " + size + " bytes does not fit an array");
      }
      byte[] bytes = new byte[(int) size];
      measuring = false;
      out = CodedOutputStream.newInstance(bytes);
      cursor = 0;
      request();
      out.checkNoSpaceLeft();
      return bytes;
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("a ResourceSpans message is malformed: " + e.getMessage(), e);
    } finally {
      out = null;
      columns.clear();
    }
  }

  // ---- Write (both passes) ----

  private void request() {
    if (spanMessages) {
      for (int k = 0; k < columns.spans; k++) {
        span(k);
      }
      return;
    }
    begin(REQUEST_BATCH);
    for (int k = 0; k < columns.spans; k++) {
      span(k);
    }
    process(BATCH_PROCESS, 0);
    end();
  }

  private void span(int k) {
    int r = columns.sResource[k];
    byte[] a = columns.rArray[r];
    begin(BATCH_SPANS);
    write(SPAN_TRACE_ID, a, columns.sTrace[k]);
    write(SPAN_SPAN_ID, a, columns.sSpan[k]);
    bytes(SPAN_OPERATION_NAME, a, columns.sName[k]);
    if (columns.sParent[k] != NONE) {
      ref(a, columns.sTrace[k], columns.sParent[k], columns.sParentType[k]);
    }
    for (int l = columns.sLinkFrom[k]; l < columns.sLinkTo[k]; l++) {
      ref(a, columns.lTrace[l], columns.lSpan[l], columns.lType[l]);
    }
    uint(SPAN_FLAGS, columns.sFlags[k] & SAMPLED);
    long start = columns.sStart[k];
    long end = columns.sEnd[k];
    time(SPAN_START_TIME, start);
    time(SPAN_DURATION, Long.compareUnsigned(end, start) > 0 ? end - start : 0);
    tags(k, a);
    for (int ev = columns.sEventFrom[k]; ev < columns.sEventTo[k]; ev++) {
      begin(SPAN_LOGS);
      time(LOG_TIMESTAMP, columns.eTime[ev]);
      if (columns.eNameField[ev]) {
        begin(LOG_FIELDS);
        constant(KV_KEY, EVENT);
        bytes(KV_STR, a, columns.eName[ev]);
        end();
      }
      for (int i = columns.eAttrFrom[ev]; i < columns.eAttrTo[ev]; i++) {
        keyValue(LOG_FIELDS, a, i);
      }
      end();
    }
    if (columns.rOwn[r] || spanMessages) {
      process(SPAN_PROCESS, r);
    }
    end();
  }

  private void ref(byte[] a, long trace, long span, int type) {
    begin(SPAN_REFERENCES);
    write(REF_TRACE_ID, a, trace);
    write(REF_SPAN_ID, a, span);
    uint(REF_TYPE, type);
    end();
  }

  private void tags(int k, byte[] a) {
    if (columns.sScopeName[k] != NONE && len(columns.sScopeName[k]) > 0) {
      stringTag(T_SCOPE_NAME, a, columns.sScopeName[k]);
    }
    if (columns.sScopeVersion[k] != NONE && len(columns.sScopeVersion[k]) > 0) {
      stringTag(T_SCOPE_VERSION, a, columns.sScopeVersion[k]);
    }
    for (int i = columns.sAttrFrom[k]; i < columns.sAttrTo[k]; i++) {
      keyValue(SPAN_TAGS, a, i);
    }
    int kind = columns.sKind[k];
    if (kind > 0 && kind < KINDS.length) {
      begin(SPAN_TAGS);
      constant(KV_KEY, T_SPAN_KIND);
      constant(KV_STR, KINDS[kind]);
      end();
    }
    if (columns.sStatusCode[k] == STATUS_ERROR) {
      begin(SPAN_TAGS);
      constant(KV_KEY, T_STATUS_CODE);
      constant(KV_STR, ERROR);
      end();
      begin(SPAN_TAGS);
      constant(KV_KEY, T_ERROR);
      uint(KV_TYPE, TYPE_BOOL);
      uint(KV_BOOL, 1);
      end();
    } else if (columns.sStatusCode[k] == STATUS_OK) {
      begin(SPAN_TAGS);
      constant(KV_KEY, T_STATUS_CODE);
      constant(KV_STR, OK);
      end();
    }
    if (columns.sStatusMessage[k] != NONE && len(columns.sStatusMessage[k]) > 0) {
      stringTag(T_STATUS_DESCRIPTION, a, columns.sStatusMessage[k]);
    }
    if (columns.sState[k] != NONE && len(columns.sState[k]) > 0) {
      stringTag(T_TRACE_STATE, a, columns.sState[k]);
    }
    intTag(T_DROPPED_ATTRIBUTES, columns.sDroppedAttributes[k]);
    intTag(T_DROPPED_EVENTS, columns.sDroppedEvents[k]);
    intTag(T_DROPPED_LINKS, columns.sDroppedLinks[k]);
  }

  private void stringTag(byte[] key, byte[] a, long value) {
    begin(SPAN_TAGS);
    constant(KV_KEY, key);
    bytes(KV_STR, a, value);
    end();
  }

  /** A non-zero count as an INT64 tag. */
  private void intTag(byte[] key, long count) {
    if (count == 0) {
      return;
    }
    begin(SPAN_TAGS);
    constant(KV_KEY, key);
    uint(KV_TYPE, TYPE_INT64);
    uint(KV_INT64, count);
    end();
  }

  private void process(int field, int r) {
    byte[] a = columns.rArray[r];
    begin(field);
    int service = columns.rService[r];
    if (service < 0) {
      constant(PROCESS_SERVICE_NAME, NO_SERVICE);
    } else if (columns.aKind[service] == A_STRING) {
      bytes(PROCESS_SERVICE_NAME, a, columns.aValue[service]);
    } else if (columns.aKind[service] == A_MADE) {
      constant(PROCESS_SERVICE_NAME, columns.made.get((int) columns.aValue[service]));
    }
    for (int i = columns.rAttrFrom[r]; i < columns.rAttrTo[r]; i++) {
      if (i != service) {
        keyValue(PROCESS_TAGS, a, i);
      }
    }
    end();
  }

  /** Attribute {@code i} as a Jaeger KeyValue. */
  private void keyValue(int field, byte[] a, int i) {
    begin(field);
    bytes(KV_KEY, a, columns.aKey[i]);
    long v = columns.aValue[i];
    switch (columns.aKind[i]) {
      case A_STRING -> bytes(KV_STR, a, v);
      case A_BOOL -> {
        uint(KV_TYPE, TYPE_BOOL);
        uint(KV_BOOL, v != 0 ? 1 : 0);
      }
      case A_INT -> {
        uint(KV_TYPE, TYPE_INT64);
        uint(KV_INT64, v);
      }
      case A_DOUBLE -> {
        uint(KV_TYPE, TYPE_FLOAT64);
        float64(KV_FLOAT64, v);
      }
      case A_BYTES -> {
        uint(KV_TYPE, TYPE_BINARY);
        bytes(KV_BINARY, a, v);
      }
      case A_MADE -> constant(KV_STR, columns.made.get((int) v));
      // An empty value (or a profiles string index) is an empty string.
      default -> { }
    }
    end();
  }

  /** A Timestamp or a Duration of {@code nanos} (unsigned). */
  private void time(int field, long nanos) {
    begin(field);
    uint(TIME_SECONDS, Long.divideUnsigned(nanos, NANOS_PER_SECOND));
    uint(TIME_NANOS, Long.remainderUnsigned(nanos, NANOS_PER_SECOND));
    end();
  }

  private void begin(int field) {
    if (measuring) {
      if (depth + 3 > stack.length) {
        stack = Arrays.copyOf(stack, stack.length * 2);
      }
      if (sizeCount == sizes.length) {
        sizes = Arrays.copyOf(sizes, sizes.length * 2);
      }
      stack[depth++] = field;
      stack[depth++] = sizeCount++;
      stack[depth++] = size;
      size = 0;
    } else {
      try {
        out.writeTag(field, WireFormat.WIRETYPE_LENGTH_DELIMITED);
        out.writeUInt32NoTag(sizes[cursor++]);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private void end() {
    if (measuring) {
      long parent = stack[--depth];
      int index = (int) stack[--depth];
      int field = (int) stack[--depth];
      if (size > Integer.MAX_VALUE) {
        throw new IllegalStateException("a Jaeger message of " + size + " bytes is too large for protobuf");
      }
      sizes[index] = (int) size;
      size = parent + CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag((int) size)
          + size;
    }
  }

  /** A string or bytes field, left out when absent or empty as proto3 does. */
  private void bytes(int field, byte[] a, long part) {
    if (part != NONE && len(part) > 0) {
      write(field, a, part);
    }
  }

  private void constant(int field, byte[] value) {
    if (value.length > 0) {
      write(field, value, part(0, value.length));
    }
  }

  /** A bytes field, written even when empty (IDs). */
  private void write(int field, byte[] a, long part) {
    int length = len(part);
    if (measuring) {
      size += CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(length) + length;
    } else {
      try {
        out.writeByteArray(field, a, off(part), length);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A varint field (enum, bool, int64, uint32), left out when zero. */
  private void uint(int field, long value) {
    if (value == 0) {
      return;
    }
    if (measuring) {
      size += CodedOutputStream.computeUInt64Size(field, value);
    } else {
      try {
        out.writeUInt64(field, value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** A double field given as its bits, left out when it is +0.0 as proto3 does. */
  private void float64(int field, long bits) {
    if (bits == 0) {
      return;
    }
    if (measuring) {
      size += CodedOutputStream.computeFixed64Size(field, bits);
    } else {
      try {
        out.writeFixed64(field, bits);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
