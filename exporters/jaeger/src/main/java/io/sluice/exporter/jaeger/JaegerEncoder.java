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
 * <p>How: one scan of the OTLP bytes fills columns of primitive arrays (spans, attributes, events,
 * links, resources), where a part of a message (a string, an ID) is a {@code long}: its offset in
 * the high half, its length in the low half, {@link #NONE} when absent. Encoding then makes two
 * passes over the columns: one measures every nested message (in the order they begin), the
 * other writes into an array of exactly the request's size. An instance keeps its arrays between
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

  // What an attribute holds, in the attribute columns.
  private static final byte A_EMPTY = 0;
  private static final byte A_STRING = 1;
  private static final byte A_BOOL = 2;
  private static final byte A_INT = 3;
  private static final byte A_DOUBLE = 4;
  private static final byte A_BYTES = 5;
  /** A string made here (JSON of an array or a map; a non-string service name): index in {@link #made}. */
  private static final byte A_MADE = 6;

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

  // ---- Columns, filled by the scan ----

  /** Resources with spans: their array, their process's attributes, whether their spans carry it. */
  private byte[][] rArray = new byte[4][];
  private int[] rAttrFrom = new int[4];
  private int[] rAttrTo = new int[4];
  /** The service name: an attribute index, or -1 for none. */
  private int[] rService = new int[4];
  private boolean[] rOwn = new boolean[4];
  private int resources;

  /** Spans: the resource they belong to, their parts and values, their ranges in the other columns. */
  private int[] sResource = new int[64];
  private long[] sTrace = new long[64];
  private long[] sSpan = new long[64];
  private long[] sParent = new long[64];
  private int[] sParentType = new int[64];
  private long[] sName = new long[64];
  private long[] sState = new long[64];
  private long[] sScopeName = new long[64];
  private long[] sScopeVersion = new long[64];
  private long[] sStart = new long[64];
  private long[] sEnd = new long[64];
  private int[] sKind = new int[64];
  private int[] sFlags = new int[64];
  private int[] sStatusCode = new int[64];
  private long[] sStatusMessage = new long[64];
  private long[] sDroppedAttributes = new long[64];
  private long[] sDroppedEvents = new long[64];
  private long[] sDroppedLinks = new long[64];
  private int[] sAttrFrom = new int[64];
  private int[] sAttrTo = new int[64];
  private int[] sEventFrom = new int[64];
  private int[] sEventTo = new int[64];
  private int[] sLinkFrom = new int[64];
  private int[] sLinkTo = new int[64];
  private int spans;
  private int invalid;

  /** Attributes (of spans, events and resources): key, what the value is, and the value. */
  private long[] aKey = new long[512];
  private byte[] aKind = new byte[512];
  private long[] aValue = new long[512];
  private int attributes;
  /** Strings made during the scan, for {@link #A_MADE} values. */
  private final List<byte[]> made = new ArrayList<>();

  /** Events: time, name, whether the name goes in an {@code event} field, their attributes. */
  private long[] eTime = new long[64];
  private long[] eName = new long[64];
  private boolean[] eNameField = new boolean[64];
  private int[] eAttrFrom = new int[64];
  private int[] eAttrTo = new int[64];
  private int events;

  /** Links that become references (past the parent): trace, span, reference type. */
  private long[] lTrace = new long[16];
  private long[] lSpan = new long[16];
  private int[] lType = new int[16];
  private int links;

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
    try {
      scan(request);
      if (spans == 0) {
        return new Encoded(new byte[0], 0, invalid);
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
      return new Encoded(bytes, spans, invalid);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException("a ResourceSpans message is malformed: " + e.getMessage(), e);
    } finally {
      out = null;
      made.clear();
      Arrays.fill(rArray, 0, resources, null);
    }
  }

  // ---- Scan ----

  private void scan(EncodedResources request) throws InvalidProtocolBufferException {
    resources = 0;
    spans = 0;
    invalid = 0;
    attributes = 0;
    events = 0;
    links = 0;
    made.clear();
    long firstResource = NONE;
    byte[] firstArray = null;
    for (int i = 0; i < request.size(); i++) {
      byte[] a = request.array(i);
      int s = request.offset(i);
      int e = s + request.length(i);
      int spansBefore = spans;
      long resource = NONE;
      int p = s;
      while (p < e) {
        long t = OtlpWire.readVarint32(a, p, e);
        int tag = (int) (t >>> 32);
        p = (int) t;
        if (tag == RESOURCE || tag == SCOPE_SPANS) {
          long l = OtlpWire.readVarint32(a, p, e);
          int len = length(l, e);
          p = (int) l;
          if (tag == RESOURCE) {
            resource = len == 0 ? NONE : part(p, len);
          } else {
            scopeSpans(a, p, p + len);
          }
          p += len;
        } else {
          p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
        }
      }
      if (spans == spansBefore) {
        continue; // no span: no process either
      }
      int r = resources++;
      growResources();
      rArray[r] = a;
      if (firstArray == null) {
        firstArray = a;
        firstResource = resource;
        rOwn[r] = false;
      } else {
        rOwn[r] = !same(a, resource, firstArray, firstResource);
      }
      rAttrFrom[r] = attributes;
      rService[r] = -1;
      if (resource != NONE) {
        processAttributes(a, off(resource), off(resource) + len(resource), r);
      }
      rAttrTo[r] = attributes;
      for (int k = spansBefore; k < spans; k++) {
        sResource[k] = r;
      }
    }
  }

  private void scopeSpans(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    long scopeName = NONE;
    long scopeVersion = NONE;
    int firstSpan = spans;
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == SCOPE || tag == SPANS) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        p = (int) l;
        if (tag == SCOPE) {
          long[] nv = {scopeName, scopeVersion};
          scope(a, p, p + len, nv);
          scopeName = nv[0];
          scopeVersion = nv[1];
        } else {
          span(a, p, p + len);
        }
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    // The scope may come after its spans.
    for (int k = firstSpan; k < spans; k++) {
      sScopeName[k] = scopeName;
      sScopeVersion[k] = scopeVersion;
    }
  }

  private static void scope(byte[] a, int s, int e, long[] nameAndVersion) throws InvalidProtocolBufferException {
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == SCOPE_NAME || tag == SCOPE_VERSION) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        p = (int) l;
        nameAndVersion[tag == SCOPE_NAME ? 0 : 1] = part(p, len);
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
  }

  /** Scans one span into the columns; a span with IDs of the wrong length is taken back and counted. */
  private void span(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    int k = spans;
    growSpans();
    long trace = NONE;
    long span = NONE;
    long parent = NONE;
    long name = NONE;
    long state = NONE;
    long start = 0;
    long end = 0;
    int kind = 0;
    int flags = 0;
    long droppedAttributes = 0;
    long droppedEvents = 0;
    long droppedLinks = 0;
    sStatusCode[k] = 0;
    sStatusMessage[k] = NONE;
    int attrFrom = attributes;
    // Events and links are read after the span's other fields: the span's attributes stay together
    // in the attribute column, and whether a link is the parent needs the parent.
    int eventsSeen = 0;
    int linksSeen = 0;
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      switch (tag) {
        case S_TRACE_ID, S_SPAN_ID, S_TRACE_STATE, S_PARENT, S_NAME, S_ATTRIBUTES, S_EVENTS, S_LINKS, S_STATUS -> {
          long l = OtlpWire.readVarint32(a, p, e);
          int len = length(l, e);
          p = (int) l;
          switch (tag) {
            case S_TRACE_ID -> trace = part(p, len);
            case S_SPAN_ID -> span = part(p, len);
            case S_TRACE_STATE -> state = part(p, len);
            case S_PARENT -> parent = part(p, len);
            case S_NAME -> name = part(p, len);
            case S_ATTRIBUTES -> attribute(a, p, p + len);
            case S_EVENTS -> eventsSeen++;
            case S_LINKS -> linksSeen++;
            default -> status(a, p, p + len, k);
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
    int parentLength = parent == NONE ? 0 : len(parent);
    if (trace == NONE || len(trace) != 16 || span == NONE || len(span) != 8
        || (parentLength != 0 && parentLength != 8)) {
      attributes = attrFrom;
      invalid++;
      return;
    }
    boolean hasParent = parentLength == 8 && !zero(a, parent);
    sTrace[k] = trace;
    sSpan[k] = span;
    sParent[k] = hasParent ? parent : NONE;
    sParentType[k] = CHILD_OF;
    sName[k] = name;
    sState[k] = state;
    sStart[k] = start;
    sEnd[k] = end;
    sKind[k] = kind;
    sFlags[k] = flags;
    sDroppedAttributes[k] = droppedAttributes;
    sDroppedEvents[k] = droppedEvents;
    sDroppedLinks[k] = droppedLinks;
    sAttrFrom[k] = attrFrom;
    sAttrTo[k] = attributes;
    sEventFrom[k] = events;
    if (eventsSeen > 0) {
      events(a, s, e);
    }
    sEventTo[k] = events;
    sLinkFrom[k] = links;
    if (linksSeen > 0) {
      links(a, s, e, k);
    }
    sLinkTo[k] = links;
    spans++;
  }

  /** Scans the span's events into the columns. */
  private void events(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == S_EVENTS) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        p = (int) l;
        event(a, p, p + len);
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
  }

  private void status(byte[] a, int s, int e, int k) throws InvalidProtocolBufferException {
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == STATUS_MESSAGE) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        p = (int) l;
        sStatusMessage[k] = part(p, len);
        p += len;
      } else if (tag == STATUS_CODE) {
        sStatusCode[k] = (int) OtlpWire.readVarint(a, p, e);
        p = OtlpWire.varintEnd(a, p);
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
  }

  /** Scans one event into the columns. */
  private void event(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    growEvents();
    int ev = events++;
    long time = 0;
    long name = NONE;
    int from = attributes;
    boolean eventAttribute = false;
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == E_TIME) {
        time = fixed64(a, p, e);
        p += 8;
      } else if (tag == E_NAME || tag == E_ATTRIBUTES) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        p = (int) l;
        if (tag == E_NAME) {
          name = part(p, len);
        } else {
          attribute(a, p, p + len);
          eventAttribute |= equal(a, aKey[attributes - 1], EVENT);
        }
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    eTime[ev] = time;
    eName[ev] = name;
    eNameField[ev] = name != NONE && len(name) > 0 && !eventAttribute;
    eAttrFrom[ev] = from;
    eAttrTo[ev] = attributes;
  }

  /**
   * Scans the span's links: one to the parent sets the parent reference's type, the others with
   * IDs of the right length become references.
   */
  private void links(byte[] a, int s, int e, int k) throws InvalidProtocolBufferException {
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag != S_LINKS) {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
        continue;
      }
      long l = OtlpWire.readVarint32(a, p, e);
      int len = length(l, e);
      p = (int) l;
      int q = p;
      int end = p + len;
      long trace = NONE;
      long span = NONE;
      int type = FOLLOWS_FROM;
      while (q < end) {
        long lt = OtlpWire.readVarint32(a, q, end);
        int ltag = (int) (lt >>> 32);
        q = (int) lt;
        if (ltag == L_TRACE_ID || ltag == L_SPAN_ID || ltag == L_ATTRIBUTES) {
          long ll = OtlpWire.readVarint32(a, q, end);
          int llen = length(ll, end);
          q = (int) ll;
          if (ltag == L_TRACE_ID) {
            trace = part(q, llen);
          } else if (ltag == L_SPAN_ID) {
            span = part(q, llen);
          } else {
            int refType = refType(a, q, q + llen);
            if (refType >= 0) {
              type = refType;
            }
          }
          q += llen;
        } else {
          q = OtlpWire.skipValue(a, q, end, ltag & 7, ltag >>> 3);
        }
      }
      p = end;
      if (sParent[k] != NONE && same(a, span, a, sParent[k]) && same(a, trace, a, sTrace[k])) {
        sParentType[k] = type;
      } else if (trace != NONE && len(trace) == 16 && span != NONE && len(span) == 8) {
        growLinks();
        lTrace[links] = trace;
        lSpan[links] = span;
        lType[links] = type;
        links++;
      }
    }
  }

  /** The reference type an {@code opentracing.ref_type} attribute (one KeyValue) says, or -1 for another key. */
  private static int refType(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    long key = NONE;
    long value = NONE;
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == KEY || tag == VALUE) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        p = (int) l;
        if (tag == KEY) {
          key = part(p, len);
        } else {
          value = part(p, len);
        }
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    if (key == NONE || !equal(a, key, REF_TYPE_ATTRIBUTE)) {
      return -1;
    }
    if (value == NONE) {
      return FOLLOWS_FROM;
    }
    long str = lastString(a, off(value), off(value) + len(value));
    return str != NONE && equal(a, str, REF_TYPE_CHILD_OF) ? CHILD_OF : FOLLOWS_FROM;
  }

  /** The string of an AnyValue when its last oneof member is one, else {@link #NONE}. */
  private static long lastString(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    long str = NONE;
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == V_STRING) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        str = part((int) l, len);
        p = (int) l + len;
      } else {
        if (tag >>> 3 >= 1 && tag >>> 3 <= 8) {
          str = NONE; // another member of the oneof replaces the string
        }
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    return str;
  }

  /** The resource's attributes into the columns, the service name's index noted and kept out of the tags. */
  private void processAttributes(byte[] a, int s, int e, int r) throws InvalidProtocolBufferException {
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == RESOURCE_ATTRIBUTES) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        p = (int) l;
        attribute(a, p, p + len);
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    // The service name (the last, if given twice) moves to the end of the resource's range.
    int service = -1;
    for (int i = rAttrFrom[r]; i < attributes; i++) {
      if (aKey[i] != NONE && equal(a, aKey[i], SERVICE_NAME)) {
        service = i;
      }
    }
    if (service < 0) {
      return;
    }
    int others = rAttrFrom[r];
    long key = aKey[service];
    byte kind = aKind[service];
    long value = aValue[service];
    for (int i = rAttrFrom[r]; i < attributes; i++) {
      if (aKey[i] == NONE || !equal(a, aKey[i], SERVICE_NAME)) {
        aKey[others] = aKey[i];
        aKind[others] = aKind[i];
        aValue[others] = aValue[i];
        others++;
      }
    }
    aKey[others] = key;
    aKind[others] = kind;
    aValue[others] = value;
    attributes = others + 1;
    rService[r] = others;
    if (kind != A_STRING && kind != A_EMPTY && kind != A_MADE) {
      aKind[others] = A_MADE;
      aValue[others] = made.size();
      made.add(utf8(serviceNameOf(a, kind, value)));
    }
  }

  /** A service name given as another type than a string, as text. */
  private String serviceNameOf(byte[] a, byte kind, long value) {
    return switch (kind) {
      case A_BOOL -> value != 0 ? "true" : "false";
      case A_INT -> Long.toString(value);
      case A_DOUBLE -> AnyValues.formatDouble(Double.longBitsToDouble(value));
      case A_BYTES -> java.util.Base64.getEncoder().encodeToString(Arrays.copyOfRange(a, off(value),
          off(value) + len(value)));
      default -> throw new IllegalArgumentException("no text form for kind " + kind);
    };
  }

  /** Scans one KeyValue into the attribute columns. */
  private void attribute(byte[] a, int s, int e) throws InvalidProtocolBufferException {
    growAttributes();
    int i = attributes++;
    long key = NONE;
    byte kind = A_EMPTY;
    long value = 0;
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      if (tag == KEY || tag == VALUE) {
        long l = OtlpWire.readVarint32(a, p, e);
        int len = length(l, e);
        p = (int) l;
        if (tag == KEY) {
          key = part(p, len);
        } else {
          // A value given twice is merged: a later member of the oneof replaces an earlier one.
          long v = anyValue(a, p, p + len, kind, value);
          kind = lastKind;
          value = v;
        }
        p += len;
      } else {
        p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    aKey[i] = key;
    aKind[i] = kind;
    aValue[i] = value;
  }

  /** The kind {@link #anyValue} found. */
  private byte lastKind;

  /** Reads an AnyValue; returns its value, its kind in {@link #lastKind}. */
  private long anyValue(byte[] a, int s, int e, byte kind, long value) throws InvalidProtocolBufferException {
    byte k = kind;
    long v = value;
    int p = s;
    while (p < e) {
      long t = OtlpWire.readVarint32(a, p, e);
      int tag = (int) (t >>> 32);
      p = (int) t;
      switch (tag) {
        case V_STRING, V_BYTES, V_ARRAY, V_KVLIST -> {
          long l = OtlpWire.readVarint32(a, p, e);
          int len = length(l, e);
          p = (int) l;
          if (tag == V_STRING || tag == V_BYTES) {
            k = tag == V_STRING ? A_STRING : A_BYTES;
            v = part(p, len);
          } else {
            k = A_MADE;
            v = made.size();
            made.add(utf8(AnyValues.asString(AnyValue.parser().parseFrom(a, s, e - s))));
          }
          p += len;
        }
        case V_BOOL, V_INT, V_STRINDEX -> {
          long n = OtlpWire.readVarint(a, p, e);
          p = OtlpWire.varintEnd(a, p);
          k = tag == V_BOOL ? A_BOOL : tag == V_INT ? A_INT : A_EMPTY;
          v = n;
        }
        case V_DOUBLE -> {
          k = A_DOUBLE;
          v = fixed64(a, p, e);
          p += 8;
        }
        default -> p = OtlpWire.skipValue(a, p, e, tag & 7, tag >>> 3);
      }
    }
    lastKind = k;
    return v;
  }

  // ---- Write (both passes) ----

  private void request() {
    begin(REQUEST_BATCH);
    for (int k = 0; k < spans; k++) {
      span(k);
    }
    process(BATCH_PROCESS, 0);
    end();
  }

  private void span(int k) {
    int r = sResource[k];
    byte[] a = rArray[r];
    begin(BATCH_SPANS);
    write(SPAN_TRACE_ID, a, sTrace[k]);
    write(SPAN_SPAN_ID, a, sSpan[k]);
    bytes(SPAN_OPERATION_NAME, a, sName[k]);
    if (sParent[k] != NONE) {
      ref(a, sTrace[k], sParent[k], sParentType[k]);
    }
    for (int l = sLinkFrom[k]; l < sLinkTo[k]; l++) {
      ref(a, lTrace[l], lSpan[l], lType[l]);
    }
    uint(SPAN_FLAGS, sFlags[k] & SAMPLED);
    time(SPAN_START_TIME, sStart[k]);
    time(SPAN_DURATION, Long.compareUnsigned(sEnd[k], sStart[k]) > 0 ? sEnd[k] - sStart[k] : 0);
    tags(k, a);
    for (int ev = sEventFrom[k]; ev < sEventTo[k]; ev++) {
      begin(SPAN_LOGS);
      time(LOG_TIMESTAMP, eTime[ev]);
      if (eNameField[ev]) {
        begin(LOG_FIELDS);
        constant(KV_KEY, EVENT);
        bytes(KV_STR, a, eName[ev]);
        end();
      }
      for (int i = eAttrFrom[ev]; i < eAttrTo[ev]; i++) {
        keyValue(LOG_FIELDS, a, i);
      }
      end();
    }
    if (rOwn[r]) {
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
    if (sScopeName[k] != NONE && len(sScopeName[k]) > 0) {
      stringTag(T_SCOPE_NAME, a, sScopeName[k]);
    }
    if (sScopeVersion[k] != NONE && len(sScopeVersion[k]) > 0) {
      stringTag(T_SCOPE_VERSION, a, sScopeVersion[k]);
    }
    for (int i = sAttrFrom[k]; i < sAttrTo[k]; i++) {
      keyValue(SPAN_TAGS, a, i);
    }
    int kind = sKind[k];
    if (kind > 0 && kind < KINDS.length) {
      begin(SPAN_TAGS);
      constant(KV_KEY, T_SPAN_KIND);
      constant(KV_STR, KINDS[kind]);
      end();
    }
    if (sStatusCode[k] == STATUS_ERROR) {
      begin(SPAN_TAGS);
      constant(KV_KEY, T_STATUS_CODE);
      constant(KV_STR, ERROR);
      end();
      begin(SPAN_TAGS);
      constant(KV_KEY, T_ERROR);
      uint(KV_TYPE, TYPE_BOOL);
      uint(KV_BOOL, 1);
      end();
    } else if (sStatusCode[k] == STATUS_OK) {
      begin(SPAN_TAGS);
      constant(KV_KEY, T_STATUS_CODE);
      constant(KV_STR, OK);
      end();
    }
    if (sStatusMessage[k] != NONE && len(sStatusMessage[k]) > 0) {
      stringTag(T_STATUS_DESCRIPTION, a, sStatusMessage[k]);
    }
    if (sState[k] != NONE && len(sState[k]) > 0) {
      stringTag(T_TRACE_STATE, a, sState[k]);
    }
    intTag(T_DROPPED_ATTRIBUTES, sDroppedAttributes[k]);
    intTag(T_DROPPED_EVENTS, sDroppedEvents[k]);
    intTag(T_DROPPED_LINKS, sDroppedLinks[k]);
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
    byte[] a = rArray[r];
    begin(field);
    int service = rService[r];
    if (service < 0) {
      constant(PROCESS_SERVICE_NAME, NO_SERVICE);
    } else if (aKind[service] == A_STRING) {
      bytes(PROCESS_SERVICE_NAME, a, aValue[service]);
    } else if (aKind[service] == A_MADE) {
      constant(PROCESS_SERVICE_NAME, made.get((int) aValue[service]));
    }
    for (int i = rAttrFrom[r]; i < rAttrTo[r]; i++) {
      if (i != service) {
        keyValue(PROCESS_TAGS, a, i);
      }
    }
    end();
  }

  /** Attribute {@code i} as a Jaeger KeyValue. */
  private void keyValue(int field, byte[] a, int i) {
    begin(field);
    bytes(KV_KEY, a, aKey[i]);
    long v = aValue[i];
    switch (aKind[i]) {
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
      case A_MADE -> constant(KV_STR, made.get((int) v));
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

  // ---- Parts and bytes ----

  private static long part(int offset, int length) {
    return (long) offset << 32 | length;
  }

  private static int off(long part) {
    return (int) (part >>> 32);
  }

  private static int len(long part) {
    return (int) part;
  }

  /** The length in a {@link OtlpWire#readVarint32} result, checked to end by {@code end}. */
  private static int length(long read, int end) throws InvalidProtocolBufferException {
    int len = (int) (read >>> 32);
    if (len < 0 || len > end - (int) read) {
      throw new InvalidProtocolBufferException("a length of " + Integer.toUnsignedString(len)
          + " bytes runs past the end of its message");
    }
    return len;
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
    return part != NONE && Arrays.equals(a, off(part), off(part) + len(part), constant, 0, constant.length);
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

  // ---- Growing the columns ----

  private void growResources() {
    if (resources > rArray.length) {
      int n = rArray.length * 2;
      rArray = Arrays.copyOf(rArray, n);
      rAttrFrom = Arrays.copyOf(rAttrFrom, n);
      rAttrTo = Arrays.copyOf(rAttrTo, n);
      rService = Arrays.copyOf(rService, n);
      rOwn = Arrays.copyOf(rOwn, n);
    }
  }

  private void growSpans() {
    if (spans < sTrace.length) {
      return;
    }
    int n = sTrace.length * 2;
    sResource = Arrays.copyOf(sResource, n);
    sTrace = Arrays.copyOf(sTrace, n);
    sSpan = Arrays.copyOf(sSpan, n);
    sParent = Arrays.copyOf(sParent, n);
    sParentType = Arrays.copyOf(sParentType, n);
    sName = Arrays.copyOf(sName, n);
    sState = Arrays.copyOf(sState, n);
    sScopeName = Arrays.copyOf(sScopeName, n);
    sScopeVersion = Arrays.copyOf(sScopeVersion, n);
    sStart = Arrays.copyOf(sStart, n);
    sEnd = Arrays.copyOf(sEnd, n);
    sKind = Arrays.copyOf(sKind, n);
    sFlags = Arrays.copyOf(sFlags, n);
    sStatusCode = Arrays.copyOf(sStatusCode, n);
    sStatusMessage = Arrays.copyOf(sStatusMessage, n);
    sDroppedAttributes = Arrays.copyOf(sDroppedAttributes, n);
    sDroppedEvents = Arrays.copyOf(sDroppedEvents, n);
    sDroppedLinks = Arrays.copyOf(sDroppedLinks, n);
    sAttrFrom = Arrays.copyOf(sAttrFrom, n);
    sAttrTo = Arrays.copyOf(sAttrTo, n);
    sEventFrom = Arrays.copyOf(sEventFrom, n);
    sEventTo = Arrays.copyOf(sEventTo, n);
    sLinkFrom = Arrays.copyOf(sLinkFrom, n);
    sLinkTo = Arrays.copyOf(sLinkTo, n);
  }

  private void growAttributes() {
    if (attributes < aKey.length) {
      return;
    }
    int n = aKey.length * 2;
    aKey = Arrays.copyOf(aKey, n);
    aKind = Arrays.copyOf(aKind, n);
    aValue = Arrays.copyOf(aValue, n);
  }

  private void growEvents() {
    if (events < eTime.length) {
      return;
    }
    int n = eTime.length * 2;
    eTime = Arrays.copyOf(eTime, n);
    eName = Arrays.copyOf(eName, n);
    eNameField = Arrays.copyOf(eNameField, n);
    eAttrFrom = Arrays.copyOf(eAttrFrom, n);
    eAttrTo = Arrays.copyOf(eAttrTo, n);
  }

  private void growLinks() {
    if (links < lTrace.length) {
      return;
    }
    int n = lTrace.length * 2;
    lTrace = Arrays.copyOf(lTrace, n);
    lSpan = Arrays.copyOf(lSpan, n);
    lType = Arrays.copyOf(lType, n);
  }
}
