package io.sluice.exporter.jaeger;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.sluice.core.otlp.AnyValues;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Arrays;
import java.util.List;

/**
 * Translates OTLP spans into one Jaeger {@code api_v2} {@code PostSpansRequest} and encodes it,
 * written field by field with protobuf's {@link CodedOutputStream}, no generated classes.
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
 * {@link Encoded#invalidSpans()}. A link with such IDs is left out of the references.
 *
 * <p>Encoding makes two passes over the same translation: one measures every nested message (in
 * the order they begin), the other writes into an array of exactly the request's size. An
 * instance keeps its buffers between requests and is used by one thread at a time.
 */
final class JaegerEncoder {
  /** The service name of a process whose resource has no {@code service.name}. */
  static final String NO_SERVICE_NAME = "OTLPResourceNoServiceName";

  // PostSpansRequest, Batch, Process
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
  static final int TYPE_STRING = 0;
  static final int TYPE_BOOL = 1;
  static final int TYPE_INT64 = 2;
  static final int TYPE_FLOAT64 = 3;
  static final int TYPE_BINARY = 4;
  // google.protobuf.Timestamp and Duration
  private static final int TIME_SECONDS = 1;
  private static final int TIME_NANOS = 2;

  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final int SAMPLED = 0x1;

  private static final String SERVICE_NAME = "service.name";
  private static final ByteString SCOPE_NAME = ByteString.copyFromUtf8("otel.scope.name");
  private static final ByteString SCOPE_VERSION = ByteString.copyFromUtf8("otel.scope.version");
  private static final ByteString SPAN_KIND = ByteString.copyFromUtf8("span.kind");
  private static final ByteString STATUS_CODE = ByteString.copyFromUtf8("otel.status_code");
  private static final ByteString ERROR = ByteString.copyFromUtf8("error");
  private static final ByteString STATUS_DESCRIPTION = ByteString.copyFromUtf8("otel.status_description");
  private static final ByteString TRACE_STATE = ByteString.copyFromUtf8("w3c.tracestate");
  private static final ByteString DROPPED_ATTRIBUTES = ByteString.copyFromUtf8("otel.dropped_attributes_count");
  private static final ByteString DROPPED_EVENTS = ByteString.copyFromUtf8("otel.dropped_events_count");
  private static final ByteString DROPPED_LINKS = ByteString.copyFromUtf8("otel.dropped_links_count");
  private static final ByteString EVENT = ByteString.copyFromUtf8("event");
  private static final ByteString OK = ByteString.copyFromUtf8("OK");
  private static final ByteString ERROR_CODE = ByteString.copyFromUtf8("ERROR");
  private static final ByteString NO_SERVICE = ByteString.copyFromUtf8(NO_SERVICE_NAME);
  /** {@code span.kind} values by OTLP kind number; null where no tag is written. */
  private static final ByteString[] KINDS = {null, ByteString.copyFromUtf8("internal"), ByteString.copyFromUtf8("server"),
      ByteString.copyFromUtf8("client"), ByteString.copyFromUtf8("producer"), ByteString.copyFromUtf8("consumer")};
  private static final String REF_TYPE_ATTRIBUTE = "opentracing.ref_type";
  private static final String REF_TYPE_CHILD_OF = "child_of";

  /**
   * One encoded request.
   *
   * @param bytes the {@code PostSpansRequest}
   * @param spans spans in it
   * @param invalidSpans spans left out for IDs of the wrong length
   */
  record Encoded(byte[] bytes, int spans, int invalidSpans) {}

  // Sizes of nested messages, in the order they begin; filled by the measuring pass.
  private int[] sizes = new int[256];
  private int sizeCount;
  // Measuring: per open message, its field, its index in sizes and the size of its parent so far.
  private long[] stack = new long[48];
  private int depth;
  private long size;
  // Writing.
  private boolean measuring;
  private CodedOutputStream out;
  private int cursor;
  private int spans;
  private int invalid;

  /** The request for the spans of {@code resources}, with their resources as processes. */
  Encoded encode(List<ResourceSpans> resources) {
    measuring = true;
    sizeCount = 0;
    depth = 0;
    size = 0;
    spans = 0;
    invalid = 0;
    request(resources);
    int measuredSpans = spans;
    int invalidSpans = invalid;
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("a Jaeger request of " + size + " bytes does not fit an array");
    }
    byte[] bytes = new byte[(int) size];
    measuring = false;
    out = CodedOutputStream.newInstance(bytes);
    cursor = 0;
    try {
      request(resources);
      out.checkNoSpaceLeft();
    } finally {
      out = null;
    }
    return new Encoded(bytes, measuredSpans, invalidSpans);
  }

  private void request(List<ResourceSpans> resources) {
    Resource first = null;
    for (ResourceSpans rs : resources) {
      if (hasSpans(rs)) {
        first = rs.getResource();
        break;
      }
    }
    if (first == null) {
      return;
    }
    begin(REQUEST_BATCH);
    for (ResourceSpans rs : resources) {
      Resource own = rs.getResource() == first || rs.getResource().equals(first) ? null : rs.getResource();
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        InstrumentationScope scope = ss.getScope();
        for (Span s : ss.getSpansList()) {
          if (valid(s)) {
            span(s, scope, own);
            spans++;
          } else {
            invalid++;
          }
        }
      }
    }
    process(BATCH_PROCESS, first);
    end();
  }

  private static boolean hasSpans(ResourceSpans rs) {
    for (ScopeSpans ss : rs.getScopeSpansList()) {
      if (ss.getSpansCount() > 0) {
        return true;
      }
    }
    return false;
  }

  private static boolean valid(Span s) {
    int parent = s.getParentSpanId().size();
    return s.getTraceId().size() == 16 && s.getSpanId().size() == 8 && (parent == 0 || parent == 8);
  }

  private void process(int field, Resource resource) {
    begin(field);
    ByteString service = null;
    for (KeyValue kv : resource.getAttributesList()) {
      if (kv.getKey().equals(SERVICE_NAME)) {
        AnyValue v = kv.getValue();
        service = v.hasStringValue() ? v.getStringValueBytes() : ByteString.copyFromUtf8(AnyValues.asString(v));
      }
    }
    bytes(PROCESS_SERVICE_NAME, service == null ? NO_SERVICE : service);
    for (KeyValue kv : resource.getAttributesList()) {
      if (!kv.getKey().equals(SERVICE_NAME)) {
        tag(PROCESS_TAGS, kv);
      }
    }
    end();
  }

  private void span(Span s, InstrumentationScope scope, Resource ownProcess) {
    begin(BATCH_SPANS);
    id(SPAN_TRACE_ID, s.getTraceId());
    id(SPAN_SPAN_ID, s.getSpanId());
    bytes(SPAN_OPERATION_NAME, s.getNameBytes());
    references(s);
    uint(SPAN_FLAGS, s.getFlags() & SAMPLED);
    long start = s.getStartTimeUnixNano();
    time(SPAN_START_TIME, start);
    long end = s.getEndTimeUnixNano();
    time(SPAN_DURATION, Long.compareUnsigned(end, start) > 0 ? end - start : 0);
    tags(s, scope);
    for (Span.Event e : s.getEventsList()) {
      log(e);
    }
    if (ownProcess != null) {
      process(SPAN_PROCESS, ownProcess);
    }
    end();
  }

  private void references(Span s) {
    ByteString trace = s.getTraceId();
    ByteString parent = s.getParentSpanId();
    boolean hasParent = parent.size() == 8 && !zero(parent);
    if (hasParent) {
      int type = CHILD_OF;
      for (Span.Link l : s.getLinksList()) {
        if (l.getSpanId().equals(parent) && l.getTraceId().equals(trace)) {
          type = refType(l);
        }
      }
      ref(trace, parent, type);
    }
    for (Span.Link l : s.getLinksList()) {
      if (l.getTraceId().size() != 16 || l.getSpanId().size() != 8
          || (hasParent && l.getSpanId().equals(parent) && l.getTraceId().equals(trace))) {
        continue;
      }
      ref(l.getTraceId(), l.getSpanId(), refType(l));
    }
  }

  private static int refType(Span.Link l) {
    for (KeyValue kv : l.getAttributesList()) {
      if (kv.getKey().equals(REF_TYPE_ATTRIBUTE)) {
        return kv.getValue().getStringValue().equals(REF_TYPE_CHILD_OF) ? CHILD_OF : FOLLOWS_FROM;
      }
    }
    return FOLLOWS_FROM;
  }

  private static boolean zero(ByteString id) {
    for (int i = 0; i < id.size(); i++) {
      if (id.byteAt(i) != 0) {
        return false;
      }
    }
    return true;
  }

  private void ref(ByteString trace, ByteString span, int type) {
    begin(SPAN_REFERENCES);
    id(REF_TRACE_ID, trace);
    id(REF_SPAN_ID, span);
    uint(REF_TYPE, type);
    end();
  }

  private void tags(Span s, InstrumentationScope scope) {
    if (!scope.getName().isEmpty()) {
      stringTag(SCOPE_NAME, scope.getNameBytes());
    }
    if (!scope.getVersion().isEmpty()) {
      stringTag(SCOPE_VERSION, scope.getVersionBytes());
    }
    for (KeyValue kv : s.getAttributesList()) {
      tag(SPAN_TAGS, kv);
    }
    int kind = s.getKindValue();
    if (kind > 0 && kind < KINDS.length) {
      stringTag(SPAN_KIND, KINDS[kind]);
    }
    Status status = s.getStatus();
    if (status.getCodeValue() == Status.StatusCode.STATUS_CODE_ERROR_VALUE) {
      stringTag(STATUS_CODE, ERROR_CODE);
      begin(SPAN_TAGS);
      bytes(KV_KEY, ERROR);
      uint(KV_TYPE, TYPE_BOOL);
      uint(KV_BOOL, 1);
      end();
    } else if (status.getCodeValue() == Status.StatusCode.STATUS_CODE_OK_VALUE) {
      stringTag(STATUS_CODE, OK);
    }
    if (!status.getMessage().isEmpty()) {
      stringTag(STATUS_DESCRIPTION, status.getMessageBytes());
    }
    if (!s.getTraceState().isEmpty()) {
      stringTag(TRACE_STATE, s.getTraceStateBytes());
    }
    intTag(DROPPED_ATTRIBUTES, s.getDroppedAttributesCount());
    intTag(DROPPED_EVENTS, s.getDroppedEventsCount());
    intTag(DROPPED_LINKS, s.getDroppedLinksCount());
  }

  private void stringTag(ByteString key, ByteString value) {
    begin(SPAN_TAGS);
    bytes(KV_KEY, key);
    bytes(KV_STR, value);
    end();
  }

  /** A non-zero count as an INT64 tag. */
  private void intTag(ByteString key, int count) {
    if (count == 0) {
      return;
    }
    begin(SPAN_TAGS);
    bytes(KV_KEY, key);
    uint(KV_TYPE, TYPE_INT64);
    uint(KV_INT64, Integer.toUnsignedLong(count));
    end();
  }

  private void log(Span.Event e) {
    begin(SPAN_LOGS);
    time(LOG_TIMESTAMP, e.getTimeUnixNano());
    if (!e.getName().isEmpty() && !hasKey(e.getAttributesList(), "event")) {
      begin(LOG_FIELDS);
      bytes(KV_KEY, EVENT);
      bytes(KV_STR, e.getNameBytes());
      end();
    }
    for (KeyValue kv : e.getAttributesList()) {
      tag(LOG_FIELDS, kv);
    }
    end();
  }

  private static boolean hasKey(List<KeyValue> attributes, String key) {
    for (KeyValue kv : attributes) {
      if (kv.getKey().equals(key)) {
        return true;
      }
    }
    return false;
  }

  /** An attribute as a Jaeger KeyValue. */
  private void tag(int field, KeyValue kv) {
    begin(field);
    bytes(KV_KEY, kv.getKeyBytes());
    AnyValue v = kv.getValue();
    switch (v.getValueCase()) {
      case STRING_VALUE -> bytes(KV_STR, v.getStringValueBytes());
      case BOOL_VALUE -> {
        uint(KV_TYPE, TYPE_BOOL);
        uint(KV_BOOL, v.getBoolValue() ? 1 : 0);
      }
      case INT_VALUE -> {
        uint(KV_TYPE, TYPE_INT64);
        uint(KV_INT64, v.getIntValue());
      }
      case DOUBLE_VALUE -> {
        uint(KV_TYPE, TYPE_FLOAT64);
        float64(KV_FLOAT64, v.getDoubleValue());
      }
      case BYTES_VALUE -> {
        uint(KV_TYPE, TYPE_BINARY);
        bytes(KV_BINARY, v.getBytesValue());
      }
      case ARRAY_VALUE, KVLIST_VALUE -> bytes(KV_STR, ByteString.copyFromUtf8(AnyValues.asString(v)));
      // An empty value (or a profiles string index) is an empty string.
      case STRING_VALUE_STRINDEX, VALUE_NOT_SET -> { }
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

  // The two passes.

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
        out.writeTag(field, 2);
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

  /** An ID: written even when all zero, as Jaeger's fixed-size IDs are. */
  private void id(int field, ByteString value) {
    if (measuring) {
      size += CodedOutputStream.computeBytesSize(field, value);
    } else {
      write(field, value);
    }
  }

  /** A string or bytes field, left out when empty as proto3 does. */
  private void bytes(int field, ByteString value) {
    if (value.isEmpty()) {
      return;
    }
    if (measuring) {
      size += CodedOutputStream.computeBytesSize(field, value);
    } else {
      write(field, value);
    }
  }

  private void write(int field, ByteString value) {
    try {
      out.writeBytes(field, value);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
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

  /** A double field, left out when it is +0.0 as proto3 does. */
  private void float64(int field, double value) {
    if (Double.doubleToRawLongBits(value) == 0) {
      return;
    }
    if (measuring) {
      size += CodedOutputStream.computeDoubleSize(field, value);
    } else {
      try {
        out.writeDouble(field, value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
