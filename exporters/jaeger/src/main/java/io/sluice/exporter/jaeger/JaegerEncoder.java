package io.sluice.exporter.jaeger;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Signal;
import io.sluice.core.otlp.AnyValues;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.otlp.OtlpWire;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Translates OTLP spans into one Jaeger {@code api_v2} {@code PostSpansRequest} and encodes it,
 * reading the OTLP messages as they are encoded and writing the Jaeger ones field by field with
 * protobuf's {@link CodedOutputStream}: no OTLP object is made (parsing them costs three times
 * what the translation does) and no generated Jaeger class is used.
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
 * parser, unknown fields are skipped and of a field given twice the last counts. Strings go over
 * as the bytes they came in.
 *
 * <p>Encoding makes two passes over the same translation: one measures every nested message (in
 * the order they begin), the other writes into an array of exactly the request's size. A part
 * of a message (a string, an ID) is held as a {@code long}: its offset in the high half, its
 * length in the low half, {@link #NONE} when absent. An instance keeps its buffers between
 * requests and is used by one thread at a time.
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

  // OTLP wire types and tags (field << 3 | wire type)
  private static final int VARINT = 0;
  private static final int I64 = 1;
  private static final int LEN = 2;
  private static final int I32 = 5;
  /** ResourceSpans{1 resource, 2 scope_spans}, Resource{1 attributes}. */
  private static final int RESOURCE = 1 << 3 | LEN;
  private static final int SCOPE_SPANS = 2 << 3 | LEN;
  private static final int RESOURCE_ATTRIBUTES = 1 << 3 | LEN;
  /** ScopeSpans{1 scope, 2 spans}, InstrumentationScope{1 name, 2 version}. */
  private static final int SCOPE = 1 << 3 | LEN;
  private static final int SPANS = 2 << 3 | LEN;
  private static final int SCOPE_NAME = 1 << 3 | LEN;
  private static final int SCOPE_VERSION = 2 << 3 | LEN;
  /** Span fields. */
  private static final int S_TRACE_ID = 1 << 3 | LEN;
  private static final int S_SPAN_ID = 2 << 3 | LEN;
  private static final int S_TRACE_STATE = 3 << 3 | LEN;
  private static final int S_PARENT = 4 << 3 | LEN;
  private static final int S_NAME = 5 << 3 | LEN;
  private static final int S_KIND = 6 << 3 | VARINT;
  private static final int S_START = 7 << 3 | I64;
  private static final int S_END = 8 << 3 | I64;
  private static final int S_ATTRIBUTES = 9 << 3 | LEN;
  private static final int S_DROPPED_ATTRIBUTES = 10 << 3 | VARINT;
  private static final int S_EVENTS = 11 << 3 | LEN;
  private static final int S_DROPPED_EVENTS = 12 << 3 | VARINT;
  private static final int S_LINKS = 13 << 3 | LEN;
  private static final int S_DROPPED_LINKS = 14 << 3 | VARINT;
  private static final int S_STATUS = 15 << 3 | LEN;
  private static final int S_FLAGS = 16 << 3 | I32;
  /** Status{2 message, 3 code}. */
  private static final int STATUS_MESSAGE = 2 << 3 | LEN;
  private static final int STATUS_CODE = 3 << 3 | VARINT;
  /** Event{1 time, 2 name, 3 attributes}. */
  private static final int E_TIME = 1 << 3 | I64;
  private static final int E_NAME = 2 << 3 | LEN;
  private static final int E_ATTRIBUTES = 3 << 3 | LEN;
  /** Link{1 trace_id, 2 span_id, 4 attributes}. */
  private static final int L_TRACE_ID = 1 << 3 | LEN;
  private static final int L_SPAN_ID = 2 << 3 | LEN;
  private static final int L_ATTRIBUTES = 4 << 3 | LEN;
  /** KeyValue{1 key, 2 value}; AnyValue's oneof. */
  private static final int KEY = 1 << 3 | LEN;
  private static final int VALUE = 2 << 3 | LEN;
  private static final int V_STRING = 1 << 3 | LEN;
  private static final int V_BOOL = 2 << 3 | VARINT;
  private static final int V_INT = 3 << 3 | VARINT;
  private static final int V_DOUBLE = 4 << 3 | I64;
  private static final int V_ARRAY = 5 << 3 | LEN;
  private static final int V_KVLIST = 6 << 3 | LEN;
  private static final int V_BYTES = 7 << 3 | LEN;
  private static final int V_STRINDEX = 8 << 3 | VARINT;

  private static final int STATUS_OK = 1;
  private static final int STATUS_ERROR = 2;
  private static final long NANOS_PER_SECOND = 1_000_000_000L;
  private static final int SAMPLED = 0x1;
  /** An absent part. */
  private static final long NONE = -1;

  private static final byte[] SERVICE_NAME = utf8("service.name");
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
  private static final byte[] EVENT = utf8("event");
  private static final byte[] OK = utf8("OK");
  private static final byte[] ERROR = utf8("ERROR");
  private static final byte[] NO_SERVICE = utf8(NO_SERVICE_NAME);
  /** {@code span.kind} values by OTLP kind number; null where no tag is written. */
  private static final byte[][] KINDS = {null, utf8("internal"), utf8("server"), utf8("client"), utf8("producer"),
      utf8("consumer")};
  private static final byte[] REF_TYPE_ATTRIBUTE = utf8("opentracing.ref_type");
  private static final byte[] REF_TYPE_CHILD_OF = utf8("child_of");

  /**
   * One encoded request.
   *
   * @param bytes the {@code PostSpansRequest}; empty when it holds no span
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

  // The span being translated: its bytes and its fields (parts as offset << 32 | length).
  private byte[] b;
  private int spanStart;
  private int spanEnd;
  private long traceId;
  private long spanId;
  private long traceState;
  private long parentId;
  private long name;
  private int kind;
  private long start;
  private long end;
  private long droppedAttributes;
  private long droppedEvents;
  private long droppedLinks;
  private long statusMessage;
  private int statusCode;
  private int flags;

  /** The request for the spans of {@code resources}, with their resources as processes. */
  Encoded encode(List<ResourceSpans> resources) {
    return encode(EncodedResources.encode(Signal.TRACES, resources));
  }

  /**
   * The request for the spans of encoded {@code ResourceSpans} messages.
   *
   * @throws IllegalArgumentException when a message is malformed
   */
  Encoded encode(EncodedResources resources) {
    measuring = true;
    sizeCount = 0;
    depth = 0;
    size = 0;
    spans = 0;
    invalid = 0;
    try {
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
      request(resources);
      out.checkNoSpaceLeft();
      return new Encoded(bytes, measuredSpans, invalidSpans);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("a ResourceSpans message is malformed: " + e.getMessage(), e);
    } finally {
      out = null;
      b = null;
    }
  }

  private void request(EncodedResources resources) throws InvalidProtocolBufferException {
    int first = -1;
    for (int i = 0; i < resources.size() && first < 0; i++) {
      if (hasSpans(resources.array(i), resources.offset(i), resources.offset(i) + resources.length(i))) {
        first = i;
      }
    }
    if (first < 0) {
      return;
    }
    byte[] fa = resources.array(first);
    long firstResource = resource(fa, resources.offset(first), resources.offset(first) + resources.length(first));
    begin(REQUEST_BATCH);
    for (int i = first; i < resources.size(); i++) {
      byte[] a = resources.array(i);
      int p = resources.offset(i);
      int e = p + resources.length(i);
      long resource = resource(a, p, e);
      boolean same = same(a, resource, fa, firstResource);
      while (p < e) {
        int tag = tag(a, p, e);
        p = OtlpWire.varintEnd(a, p);
        if (tag == SCOPE_SPANS) {
          int len = OtlpWire.readLength(a, p, e);
          p = OtlpWire.varintEnd(a, p);
          scopeSpans(a, p, p + len, same ? NONE : resource);
          p += len;
        } else {
          p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
        }
      }
    }
    process(BATCH_PROCESS, fa, firstResource);
    end();
  }

  /** The resource of a ResourceSpans message; {@link #NONE} for none or an empty one, which are the same. */
  private static long resource(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    long r = field(a, s, e, RESOURCE);
    return r != NONE && len(r) == 0 ? NONE : r;
  }

  private static boolean hasSpans(byte[] a, int p, int e) throws InvalidProtocolBufferException {
    while (p < e) {
      int tag = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      if (tag == SCOPE_SPANS) {
        int len = OtlpWire.readLength(a, p, e);
        p = OtlpWire.varintEnd(a, p);
        if (field(a, p, p + len, SPANS) != NONE) {
          return true;
        }
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    return false;
  }

  private void scopeSpans(byte[] a, int s, int e, long ownResource) throws InvalidProtocolBufferException {
    long scope = field(a, s, e, SCOPE);
    long scopeName = scope == NONE ? NONE : field(a, off(scope), off(scope) + len(scope), SCOPE_NAME);
    long scopeVersion = scope == NONE ? NONE : field(a, off(scope), off(scope) + len(scope), SCOPE_VERSION);
    int p = s;
    while (p < e) {
      int tag = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      if (tag == SPANS) {
        int len = OtlpWire.readLength(a, p, e);
        p = OtlpWire.varintEnd(a, p);
        readSpan(a, p, p + len);
        if (validIds()) {
          span(scopeName, scopeVersion, ownResource);
          spans++;
        } else {
          invalid++;
        }
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
  }

  /** Reads the span's single fields into this encoder's span state. */
  private void readSpan(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    b = a;
    spanStart = s;
    spanEnd = e;
    traceId = NONE;
    spanId = NONE;
    traceState = NONE;
    parentId = NONE;
    name = NONE;
    kind = 0;
    start = 0;
    end = 0;
    droppedAttributes = 0;
    droppedEvents = 0;
    droppedLinks = 0;
    statusMessage = NONE;
    statusCode = 0;
    flags = 0;
    int p = s;
    while (p < e) {
      int tag = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      switch (tag) {
        case S_TRACE_ID, S_SPAN_ID, S_TRACE_STATE, S_PARENT, S_NAME, S_STATUS -> {
          int len = OtlpWire.readLength(a, p, e);
          p = OtlpWire.varintEnd(a, p);
          long part = part(p, len);
          switch (tag) {
            case S_TRACE_ID -> traceId = part;
            case S_SPAN_ID -> spanId = part;
            case S_TRACE_STATE -> traceState = part;
            case S_PARENT -> parentId = part;
            case S_NAME -> name = part;
            default -> readStatus(a, p, p + len);
          }
          p += len;
        }
        case S_KIND, S_DROPPED_ATTRIBUTES, S_DROPPED_EVENTS, S_DROPPED_LINKS -> {
          long v = OtlpWire.readVarint(a, p, e);
          p = OtlpWire.varintEnd(a, p);
          switch (tag) {
            case S_KIND -> kind = (int) v;
            case S_DROPPED_ATTRIBUTES -> droppedAttributes = v & 0xFFFF_FFFFL;
            case S_DROPPED_EVENTS -> droppedEvents = v & 0xFFFF_FFFFL;
            default -> droppedLinks = v & 0xFFFF_FFFFL;
          }
        }
        case S_START, S_END -> {
          long v = fixed64(a, p, e);
          p += 8;
          if (tag == S_START) {
            start = v;
          } else {
            end = v;
          }
        }
        case S_FLAGS -> {
          flags = (int) fixed32(a, p, e);
          p += 4;
        }
        default -> p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
  }

  private void readStatus(byte[] a, int p, int e) throws InvalidProtocolBufferException {
    while (p < e) {
      int tag = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      if (tag == STATUS_MESSAGE) {
        int len = OtlpWire.readLength(a, p, e);
        p = OtlpWire.varintEnd(a, p);
        statusMessage = part(p, len);
        p += len;
      } else if (tag == STATUS_CODE) {
        statusCode = (int) OtlpWire.readVarint(a, p, e);
        p = OtlpWire.varintEnd(a, p);
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
  }

  private boolean validIds() {
    int parent = parentId == NONE ? 0 : len(parentId);
    return traceId != NONE && len(traceId) == 16 && spanId != NONE && len(spanId) == 8
        && (parent == 0 || parent == 8);
  }

  private void span(long scopeName, long scopeVersion, long ownResource) throws InvalidProtocolBufferException {
    byte[] a = b;
    begin(BATCH_SPANS);
    id(SPAN_TRACE_ID, a, traceId);
    id(SPAN_SPAN_ID, a, spanId);
    bytes(SPAN_OPERATION_NAME, a, name);
    references();
    uint(SPAN_FLAGS, flags & SAMPLED);
    time(SPAN_START_TIME, start);
    time(SPAN_DURATION, Long.compareUnsigned(end, start) > 0 ? end - start : 0);
    tags(scopeName, scopeVersion);
    int p = spanStart;
    while (p < spanEnd) {
      int tag = tag(a, p, spanEnd);
      p = OtlpWire.varintEnd(a, p);
      if (tag == S_EVENTS) {
        int len = OtlpWire.readLength(a, p, spanEnd);
        p = OtlpWire.varintEnd(a, p);
        log(a, p, p + len);
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, spanEnd, tag & 7, tag >>> 3);
      }
    }
    if (ownResource != NONE) {
      process(SPAN_PROCESS, a, ownResource);
    }
    end();
  }

  private void references() throws InvalidProtocolBufferException {
    byte[] a = b;
    boolean hasParent = parentId != NONE && len(parentId) == 8 && !zero(a, parentId);
    if (hasParent) {
      int type = CHILD_OF;
      for (int p = nextLink(spanStart); p >= 0; p = nextLink(linkEnd)) {
        if (linkIsParent()) {
          type = refType(a, linkStart, linkEnd);
        }
      }
      ref(a, traceId, parentId, type);
    }
    for (int p = nextLink(spanStart); p >= 0; p = nextLink(linkEnd)) {
      if (linkTrace == NONE || len(linkTrace) != 16 || linkSpan == NONE || len(linkSpan) != 8
          || (hasParent && linkIsParent())) {
        continue;
      }
      ref(a, linkTrace, linkSpan, refType(a, linkStart, linkEnd));
    }
  }

  // The link nextLink found: its bounds and IDs.
  private int linkStart;
  private int linkEnd;
  private long linkTrace;
  private long linkSpan;

  /** Finds the span's next link at or after {@code from}; its start, or -1 when there is none. */
  private int nextLink(int from) throws InvalidProtocolBufferException {
    byte[] a = b;
    int p = from;
    while (p < spanEnd) {
      int tag = tag(a, p, spanEnd);
      p = OtlpWire.varintEnd(a, p);
      if (tag == S_LINKS) {
        int len = OtlpWire.readLength(a, p, spanEnd);
        p = OtlpWire.varintEnd(a, p);
        linkStart = p;
        linkEnd = p + len;
        linkTrace = field(a, p, p + len, L_TRACE_ID);
        linkSpan = field(a, p, p + len, L_SPAN_ID);
        return p;
      }
      p = OtlpWire.skipValue(a, p, spanEnd, tag & 7, tag >>> 3);
    }
    return -1;
  }

  private boolean linkIsParent() {
    return same(b, linkSpan, b, parentId) && same(b, linkTrace, b, traceId);
  }

  private static int refType(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    long value = attribute(a, s, e, L_ATTRIBUTES, REF_TYPE_ATTRIBUTE);
    if (value == NONE) {
      return FOLLOWS_FROM;
    }
    long str = field(a, off(value), off(value) + len(value), V_STRING);
    return str != NONE && equal(a, str, REF_TYPE_CHILD_OF) ? CHILD_OF : FOLLOWS_FROM;
  }

  private void ref(byte[] a, long trace, long span, int type) {
    begin(SPAN_REFERENCES);
    id(REF_TRACE_ID, a, trace);
    id(REF_SPAN_ID, a, span);
    uint(REF_TYPE, type);
    end();
  }

  private void tags(long scopeName, long scopeVersion) throws InvalidProtocolBufferException {
    byte[] a = b;
    if (scopeName != NONE && len(scopeName) > 0) {
      stringTag(T_SCOPE_NAME, a, scopeName);
    }
    if (scopeVersion != NONE && len(scopeVersion) > 0) {
      stringTag(T_SCOPE_VERSION, a, scopeVersion);
    }
    eachAttribute(SPAN_TAGS, a, spanStart, spanEnd, S_ATTRIBUTES, null);
    if (kind > 0 && kind < KINDS.length) {
      stringTag(T_SPAN_KIND, KINDS[kind]);
    }
    if (statusCode == STATUS_ERROR) {
      stringTag(T_STATUS_CODE, ERROR);
      begin(SPAN_TAGS);
      constant(KV_KEY, T_ERROR);
      uint(KV_TYPE, TYPE_BOOL);
      uint(KV_BOOL, 1);
      end();
    } else if (statusCode == STATUS_OK) {
      stringTag(T_STATUS_CODE, OK);
    }
    if (statusMessage != NONE && len(statusMessage) > 0) {
      stringTag(T_STATUS_DESCRIPTION, a, statusMessage);
    }
    if (traceState != NONE && len(traceState) > 0) {
      stringTag(T_TRACE_STATE, a, traceState);
    }
    intTag(T_DROPPED_ATTRIBUTES, droppedAttributes);
    intTag(T_DROPPED_EVENTS, droppedEvents);
    intTag(T_DROPPED_LINKS, droppedLinks);
  }

  private void stringTag(byte[] key, byte[] a, long value) {
    begin(SPAN_TAGS);
    constant(KV_KEY, key);
    bytes(KV_STR, a, value);
    end();
  }

  private void stringTag(byte[] key, byte[] value) {
    begin(SPAN_TAGS);
    constant(KV_KEY, key);
    constant(KV_STR, value);
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

  private void log(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    begin(SPAN_LOGS);
    long time = 0;
    long eventName = NONE;
    int p = s;
    while (p < e) {
      int tag = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      if (tag == E_TIME) {
        time = fixed64(a, p, e);
        p += 8;
      } else if (tag == E_NAME) {
        int len = OtlpWire.readLength(a, p, e);
        p = OtlpWire.varintEnd(a, p);
        eventName = part(p, len);
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    time(LOG_TIMESTAMP, time);
    if (eventName != NONE && len(eventName) > 0 && attribute(a, s, e, E_ATTRIBUTES, EVENT) == NONE) {
      begin(LOG_FIELDS);
      constant(KV_KEY, EVENT);
      bytes(KV_STR, a, eventName);
      end();
    }
    eachAttribute(LOG_FIELDS, a, s, e, E_ATTRIBUTES, null);
    end();
  }

  /** The process of a resource message (the whole {@code Resource}, or {@link #NONE}). */
  private void process(int field, byte[] a, long resource) throws InvalidProtocolBufferException {
    begin(field);
    int s = resource == NONE ? 0 : off(resource);
    int e = resource == NONE ? 0 : s + len(resource);
    long service = attribute(a, s, e, RESOURCE_ATTRIBUTES, SERVICE_NAME);
    if (service == NONE) {
      constant(PROCESS_SERVICE_NAME, NO_SERVICE);
    } else {
      value(PROCESS_SERVICE_NAME, a, service, true);
    }
    eachAttribute(PROCESS_TAGS, a, s, e, RESOURCE_ATTRIBUTES, SERVICE_NAME);
    end();
  }

  /** Every attribute (in field {@code tag} of the message in [s, e)) as a KeyValue, but those keyed {@code skip}. */
  private void eachAttribute(int field, byte[] a, int s, int e, int tag, byte[] skip)
      throws InvalidProtocolBufferException {
    int p = s;
    while (p < e) {
      int t = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      if (t == tag) {
        int len = OtlpWire.readLength(a, p, e);
        p = OtlpWire.varintEnd(a, p);
        long key = field(a, p, p + len, KEY);
        if (skip == null || key == NONE || !equal(a, key, skip)) {
          begin(field);
          bytes(KV_KEY, a, key);
          long v = field(a, p, p + len, VALUE);
          if (v != NONE) {
            value(0, a, v, false);
          }
          end();
        }
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, t & 7, t >>> 3);
      }
    }
  }

  /**
   * The AnyValue {@code v} as a Jaeger KeyValue's type and value, or, {@code asString}, as the
   * string field {@code field} (the process's service name).
   */
  private void value(int field, byte[] a, long v, boolean asString) throws InvalidProtocolBufferException {
    int s = off(v);
    int e = s + len(v);
    int which = 0;
    long part = NONE;
    long number = 0;
    int p = s;
    while (p < e) {
      int tag = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      switch (tag) {
        case V_STRING, V_ARRAY, V_KVLIST, V_BYTES -> {
          int len = OtlpWire.readLength(a, p, e);
          p = OtlpWire.varintEnd(a, p);
          which = tag;
          part = part(p, len);
          p += len;
        }
        case V_BOOL, V_INT, V_STRINDEX -> {
          which = tag;
          number = OtlpWire.readVarint(a, p, e);
          p = OtlpWire.varintEnd(a, p);
        }
        case V_DOUBLE -> {
          which = tag;
          number = fixed64(a, p, e);
          p += 8;
        }
        default -> p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    if (asString) {
      if (which == V_STRING) {
        bytes(field, a, part);
      } else {
        constant(field, utf8(AnyValues.asString(AnyValue.parser().parseFrom(a, s, e - s))));
      }
      return;
    }
    switch (which) {
      case V_STRING -> bytes(KV_STR, a, part);
      case V_BOOL -> {
        uint(KV_TYPE, TYPE_BOOL);
        uint(KV_BOOL, number != 0 ? 1 : 0);
      }
      case V_INT -> {
        uint(KV_TYPE, TYPE_INT64);
        uint(KV_INT64, number);
      }
      case V_DOUBLE -> {
        uint(KV_TYPE, TYPE_FLOAT64);
        float64(KV_FLOAT64, number);
      }
      case V_BYTES -> {
        uint(KV_TYPE, TYPE_BINARY);
        bytes(KV_BINARY, a, part);
      }
      case V_ARRAY, V_KVLIST ->
          constant(KV_STR, utf8(AnyValues.asString(AnyValue.parser().parseFrom(a, s, e - s))));
      // An empty value (or a profiles string index) is an empty string.
      default -> { }
    }
  }

  /** A Timestamp or a Duration of {@code nanos} (unsigned). */
  private void time(int field, long nanos) {
    begin(field);
    uint(TIME_SECONDS, Long.divideUnsigned(nanos, NANOS_PER_SECOND));
    uint(TIME_NANOS, Long.remainderUnsigned(nanos, NANOS_PER_SECOND));
    end();
  }

  // Reading.

  private static long part(int offset, int length) {
    return (long) offset << 32 | length;
  }

  private static int off(long part) {
    return (int) (part >>> 32);
  }

  private static int len(long part) {
    return (int) part;
  }

  private static int tag(byte[] a, int p, int e) throws InvalidProtocolBufferException {
    return (int) (OtlpWire.readVarint32(a, p, e) >>> 32);
  }

  /** The last length-delimited field with {@code tag} in [s, e), or {@link #NONE}. */
  private static long field(byte[] a, int s, int e, int tag) throws InvalidProtocolBufferException {
    long found = NONE;
    int p = s;
    while (p < e) {
      int t = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      if (t == tag) {
        int len = OtlpWire.readLength(a, p, e);
        p = OtlpWire.varintEnd(a, p);
        found = part(p, len);
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, t & 7, t >>> 3);
      }
    }
    return found;
  }

  /**
   * The value (an AnyValue) of the last attribute keyed {@code key} among the KeyValues in field
   * {@code tag} of the message in [s, e), or {@link #NONE}.
   */
  private static long attribute(byte[] a, int s, int e, int tag, byte[] key) throws InvalidProtocolBufferException {
    long found = NONE;
    int p = s;
    while (p < e) {
      int t = tag(a, p, e);
      p = OtlpWire.varintEnd(a, p);
      if (t == tag) {
        int len = OtlpWire.readLength(a, p, e);
        p = OtlpWire.varintEnd(a, p);
        long k = field(a, p, p + len, KEY);
        if (k != NONE && equal(a, k, key)) {
          long v = field(a, p, p + len, VALUE);
          found = v == NONE ? part(p, 0) : v;
        }
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, t & 7, t >>> 3);
      }
    }
    return found;
  }

  private static long fixed64(byte[] a, int p, int e) throws InvalidProtocolBufferException {
    if (p + 8 > e) {
      throw new InvalidProtocolBufferException("a fixed64 runs past the end of its message");
    }
    long v = 0;
    for (int i = 7; i >= 0; i--) {
      v = v << 8 | (a[p + i] & 0xFF);
    }
    return v;
  }

  private static long fixed32(byte[] a, int p, int e) throws InvalidProtocolBufferException {
    if (p + 4 > e) {
      throw new InvalidProtocolBufferException("a fixed32 runs past the end of its message");
    }
    return (a[p] & 0xFF) | (a[p + 1] & 0xFF) << 8 | (a[p + 2] & 0xFF) << 16 | (long) (a[p + 3] & 0xFF) << 24;
  }

  /** True when both parts are absent, or both present with the same bytes. */
  private static boolean same(byte[] a, long x, byte[] b, long y) {
    if (x == NONE || y == NONE) {
      return x == y;
    }
    return Arrays.equals(a, off(x), off(x) + len(x), b, off(y), off(y) + len(y));
  }

  private static boolean equal(byte[] a, long part, byte[] constant) {
    return Arrays.equals(a, off(part), off(part) + len(part), constant, 0, constant.length);
  }

  private static boolean zero(byte[] a, long part) {
    for (int i = off(part), e = i + len(part); i < e; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
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
        out.writeTag(field, LEN);
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
  private void id(int field, byte[] a, long part) {
    write(field, a, off(part), len(part));
  }

  /** A string or bytes field, left out when absent or empty as proto3 does. */
  private void bytes(int field, byte[] a, long part) {
    if (part != NONE && len(part) > 0) {
      write(field, a, off(part), len(part));
    }
  }

  private void constant(int field, byte[] value) {
    if (value.length > 0) {
      write(field, value, 0, value.length);
    }
  }

  private void write(int field, byte[] a, int offset, int length) {
    if (measuring) {
      size += CodedOutputStream.computeTagSize(field) + CodedOutputStream.computeUInt32SizeNoTag(length) + length;
    } else {
      try {
        out.writeByteArray(field, a, offset, length);
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
