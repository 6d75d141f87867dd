package io.sluice.exporter.jaeger;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.sluice.core.otlp.AnyValues;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.otlp.OtlpWire;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The spans of encoded {@code ResourceSpans} messages, read by one scan of their bytes into
 * columns of primitive arrays (resources, spans, attributes, events, links) for
 * {@link JaegerEncoder} to write from: no OTLP object is made. A part of a message (a string, an
 * ID) is held as a {@code long}: its offset in its resource's array in the high half, its length
 * in the low half, {@link #NONE} when absent.
 *
 * <p>The scan already decides what the Jaeger mapping needs decided: spans whose IDs have the
 * wrong length are left out (counted in {@link #invalid}); a parent is kept only when it is 8
 * bytes and not all zero; a link to the parent gives the parent reference its type and is no
 * reference of its own, nor is a link with IDs of the wrong length; a link's
 * {@code opentracing.ref_type} of {@code child_of} makes it {@code CHILD_OF}; an event gets an
 * {@code event} field for its name unless an attribute is called so; a resource's
 * {@code service.name} is kept apart from its other attributes, as text when it is not a string;
 * arrays and maps become their JSON text. As in a parser, unknown fields are skipped, of a field
 * given twice the last counts, and a message given twice is merged.
 *
 * <p>The arrays grow as needed and are kept from one request to the next; one thread at a time.
 */
final class SpanColumns {
  // OTLP tags (field << 3 | wire type)
  private static final int VARINT = OtlpWire.WIRE_VARINT;
  private static final int I64 = OtlpWire.WIRE_FIXED64;
  private static final int LEN = OtlpWire.WIRE_LEN;
  private static final int I32 = OtlpWire.WIRE_FIXED32;
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
  static final byte A_EMPTY = 0;
  static final byte A_STRING = 1;
  static final byte A_BOOL = 2;
  static final byte A_INT = 3;
  static final byte A_DOUBLE = 4;
  static final byte A_BYTES = 5;
  /** A string made here (JSON of an array or a map; a non-string service name): index in {@link #made}. */
  static final byte A_MADE = 6;

  /** An absent part. */
  static final long NONE = -1;

  private static final byte[] SERVICE_NAME = utf8("service.name");
  static final byte[] EVENT = utf8("event");
  private static final byte[] REF_TYPE_ATTRIBUTE = utf8("opentracing.ref_type");
  private static final byte[] REF_TYPE_CHILD_OF = utf8("child_of");

  // ---- The columns ----

  /** Resources with spans: their array, their process's attributes, whether their spans carry it. */
  byte[][] rArray = new byte[4][];
  int[] rAttrFrom = new int[4];
  int[] rAttrTo = new int[4];
  /** The service name: an attribute index, or -1 for none. */
  int[] rService = new int[4];
  boolean[] rOwn = new boolean[4];
  int resources;

  /** Spans: the resource they belong to, their parts and values, their ranges in the other columns. */
  int[] sResource = new int[64];
  long[] sTrace = new long[64];
  long[] sSpan = new long[64];
  long[] sParent = new long[64];
  int[] sParentType = new int[64];
  long[] sName = new long[64];
  long[] sState = new long[64];
  long[] sScopeName = new long[64];
  long[] sScopeVersion = new long[64];
  long[] sStart = new long[64];
  long[] sEnd = new long[64];
  int[] sKind = new int[64];
  int[] sFlags = new int[64];
  int[] sStatusCode = new int[64];
  long[] sStatusMessage = new long[64];
  long[] sDroppedAttributes = new long[64];
  long[] sDroppedEvents = new long[64];
  long[] sDroppedLinks = new long[64];
  int[] sAttrFrom = new int[64];
  int[] sAttrTo = new int[64];
  int[] sEventFrom = new int[64];
  int[] sEventTo = new int[64];
  int[] sLinkFrom = new int[64];
  int[] sLinkTo = new int[64];
  int spans;
  int invalid;

  /** Attributes (of spans, events and resources): key, what the value is, and the value. */
  long[] aKey = new long[512];
  byte[] aKind = new byte[512];
  long[] aValue = new long[512];
  int attributes;
  /** Strings made during the scan, for {@link #A_MADE} values. */
  final List<byte[]> made = new ArrayList<>();

  /** Events: time, name, whether the name goes in an {@code event} field, their attributes. */
  long[] eTime = new long[64];
  long[] eName = new long[64];
  boolean[] eNameField = new boolean[64];
  int[] eAttrFrom = new int[64];
  int[] eAttrTo = new int[64];
  int events;

  /** Links that become references (past the parent): trace, span, reference type. */
  long[] lTrace = new long[16];
  long[] lSpan = new long[16];
  int[] lType = new int[16];
  int links;

  /**
   * Steps through the fields of one encoded message, reading each field's value: the part of a
   * length-delimited one, the number of a varint or fixed one. One per nesting level, reused.
   */
  private static final class Cursor {
    private byte[] a;
    private int p;
    private int end;
    /** The current field's tag: field number << 3 | wire type. */
    int tag;
    /** A length-delimited field's bytes, as a part. */
    long part;
    /** A varint, fixed64 or fixed32 field's value. */
    long number;

    Cursor of(byte[] array, long message) {
      a = array;
      p = off(message);
      end = p + len(message);
      return this;
    }

    /** Moves to the next field; false past the last. */
    boolean next() throws InvalidProtocolBufferException {
      if (p >= end) {
        return false;
      }
      long t = OtlpWire.readVarint32(a, p, end);
      tag = (int) (t >>> 32);
      p = (int) t;
      switch (tag & 7) {
        case LEN -> {
          long l = OtlpWire.readVarint32(a, p, end);
          int len = (int) (l >>> 32);
          p = (int) l;
          if (len < 0 || len > end - p) {
            throw new InvalidProtocolBufferException("a length of " + Integer.toUnsignedString(len)
                + " bytes runs past the end of its message");
          }
          part = part(p, len);
          p += len;
        }
        case VARINT -> {
          number = OtlpWire.readVarint(a, p, end);
          p = OtlpWire.varintEnd(a, p);
        }
        case I64 -> number = fixed(8);
        case I32 -> number = fixed(4);
        default -> p = OtlpWire.skipValue(a, p, end, tag & 7, tag >>> 3);
      }
      return true;
    }

    /** A little-endian fixed-width value of {@code n} bytes. */
    private long fixed(int n) throws InvalidProtocolBufferException {
      if (p + n > end) {
        throw new InvalidProtocolBufferException("a fixed" + n * 8 + " runs past the end of its message");
      }
      long v = 0;
      for (int i = n - 1; i >= 0; i--) {
        v = v << 8 | (a[p + i] & 0xFF);
      }
      p += n;
      return v;
    }
  }

  // Cursors by nesting level: ResourceSpans; ScopeSpans or Resource; Span or InstrumentationScope;
  // Event, Link or Status; KeyValue; AnyValue.
  private final Cursor resourceSpansCursor = new Cursor();
  private final Cursor scopeSpansCursor = new Cursor();
  private final Cursor spanCursor = new Cursor();
  private final Cursor itemCursor = new Cursor();
  private final Cursor keyValueCursor = new Cursor();
  private final Cursor anyValueCursor = new Cursor();

  /**
   * Fills the columns from encoded {@code ResourceSpans} messages.
   *
   * @throws InvalidProtocolBufferException when a message is malformed
   */
  void scan(EncodedResources request) throws InvalidProtocolBufferException {
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
      int spansBefore = spans;
      long resource = NONE;
      Cursor c = resourceSpansCursor.of(a, part(request.offset(i), request.length(i)));
      while (c.next()) {
        if (c.tag == RESOURCE) {
          resource = len(c.part) == 0 ? NONE : c.part;
        } else if (c.tag == SCOPE_SPANS) {
          scopeSpans(a, c.part);
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
        processAttributes(a, resource, r);
      }
      rAttrTo[r] = attributes;
      for (int k = spansBefore; k < spans; k++) {
        sResource[k] = r;
      }
    }
  }

  private void scopeSpans(byte[] a, long message) throws InvalidProtocolBufferException {
    long scopeName = NONE;
    long scopeVersion = NONE;
    int firstSpan = spans;
    Cursor c = scopeSpansCursor.of(a, message);
    while (c.next()) {
      if (c.tag == SCOPE) {
        Cursor scope = spanCursor.of(a, c.part);
        while (scope.next()) {
          if (scope.tag == SCOPE_NAME) {
            scopeName = scope.part;
          } else if (scope.tag == SCOPE_VERSION) {
            scopeVersion = scope.part;
          }
        }
      } else if (c.tag == SPANS) {
        span(a, c.part);
      }
    }
    // The scope may come after its spans.
    for (int k = firstSpan; k < spans; k++) {
      sScopeName[k] = scopeName;
      sScopeVersion[k] = scopeVersion;
    }
  }

  /** Scans one span into the columns; a span with IDs of the wrong length is taken back and counted. */
  private void span(byte[] a, long message) throws InvalidProtocolBufferException {
    int k = spans;
    growSpans();
    long trace = NONE;
    long span = NONE;
    long parent = NONE;
    sName[k] = NONE;
    sState[k] = NONE;
    sStart[k] = 0;
    sEnd[k] = 0;
    sKind[k] = 0;
    sFlags[k] = 0;
    sDroppedAttributes[k] = 0;
    sDroppedEvents[k] = 0;
    sDroppedLinks[k] = 0;
    sStatusCode[k] = 0;
    sStatusMessage[k] = NONE;
    int attrFrom = attributes;
    // Events and links are read after the span's other fields: the span's attributes stay together
    // in the attribute column, and whether a link is the parent needs the parent.
    boolean hasEvents = false;
    boolean hasLinks = false;
    Cursor c = spanCursor.of(a, message);
    while (c.next()) {
      switch (c.tag) {
        case S_TRACE_ID -> trace = c.part;
        case S_SPAN_ID -> span = c.part;
        case S_PARENT -> parent = c.part;
        case S_NAME -> sName[k] = c.part;
        case S_TRACE_STATE -> sState[k] = c.part;
        case S_KIND -> sKind[k] = (int) c.number;
        case S_START -> sStart[k] = c.number;
        case S_END -> sEnd[k] = c.number;
        case S_FLAGS -> sFlags[k] = (int) c.number;
        case S_DROPPED_ATTRIBUTES -> sDroppedAttributes[k] = c.number & 0xFFFF_FFFFL;
        case S_DROPPED_EVENTS -> sDroppedEvents[k] = c.number & 0xFFFF_FFFFL;
        case S_DROPPED_LINKS -> sDroppedLinks[k] = c.number & 0xFFFF_FFFFL;
        case S_ATTRIBUTES -> attribute(a, c.part);
        case S_STATUS -> status(a, c.part, k);
        case S_EVENTS -> hasEvents = true;
        case S_LINKS -> hasLinks = true;
        default -> { }
      }
    }
    int parentLength = parent == NONE ? 0 : len(parent);
    if (trace == NONE || len(trace) != 16 || span == NONE || len(span) != 8
        || (parentLength != 0 && parentLength != 8)) {
      attributes = attrFrom;
      invalid++;
      return;
    }
    sTrace[k] = trace;
    sSpan[k] = span;
    sParent[k] = parentLength == 8 && !zero(a, parent) ? parent : NONE;
    sParentType[k] = JaegerEncoder.CHILD_OF;
    sAttrFrom[k] = attrFrom;
    sAttrTo[k] = attributes;
    sEventFrom[k] = events;
    sLinkFrom[k] = links;
    if (hasEvents || hasLinks) {
      c = spanCursor.of(a, message);
      while (c.next()) {
        if (c.tag == S_EVENTS) {
          event(a, c.part);
        } else if (c.tag == S_LINKS) {
          link(a, c.part, k);
        }
      }
    }
    sEventTo[k] = events;
    sLinkTo[k] = links;
    spans++;
  }

  private void status(byte[] a, long message, int k) throws InvalidProtocolBufferException {
    Cursor c = itemCursor.of(a, message);
    while (c.next()) {
      if (c.tag == STATUS_MESSAGE) {
        sStatusMessage[k] = c.part;
      } else if (c.tag == STATUS_CODE) {
        sStatusCode[k] = (int) c.number;
      }
    }
  }

  /** Scans one event into the columns. */
  private void event(byte[] a, long message) throws InvalidProtocolBufferException {
    growEvents();
    int ev = events++;
    long time = 0;
    long name = NONE;
    int from = attributes;
    boolean eventAttribute = false;
    Cursor c = itemCursor.of(a, message);
    while (c.next()) {
      if (c.tag == E_TIME) {
        time = c.number;
      } else if (c.tag == E_NAME) {
        name = c.part;
      } else if (c.tag == E_ATTRIBUTES) {
        attribute(a, c.part);
        eventAttribute |= equal(a, aKey[attributes - 1], EVENT);
      }
    }
    eTime[ev] = time;
    eName[ev] = name;
    eNameField[ev] = name != NONE && len(name) > 0 && !eventAttribute;
    eAttrFrom[ev] = from;
    eAttrTo[ev] = attributes;
  }

  /**
   * Scans one link: one to the parent sets the parent reference's type, another with IDs of the
   * right length becomes a reference.
   */
  private void link(byte[] a, long message, int k) throws InvalidProtocolBufferException {
    long trace = NONE;
    long span = NONE;
    int type = JaegerEncoder.FOLLOWS_FROM;
    Cursor c = itemCursor.of(a, message);
    while (c.next()) {
      if (c.tag == L_TRACE_ID) {
        trace = c.part;
      } else if (c.tag == L_SPAN_ID) {
        span = c.part;
      } else if (c.tag == L_ATTRIBUTES) {
        int refType = refType(a, c.part);
        if (refType >= 0) {
          type = refType;
        }
      }
    }
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

  /** The reference type an {@code opentracing.ref_type} attribute (one KeyValue) says, or -1 for another key. */
  private int refType(byte[] a, long keyValue) throws InvalidProtocolBufferException {
    long key = NONE;
    long value = NONE;
    Cursor c = keyValueCursor.of(a, keyValue);
    while (c.next()) {
      if (c.tag == KEY) {
        key = c.part;
      } else if (c.tag == VALUE) {
        value = c.part;
      }
    }
    if (!equal(a, key, REF_TYPE_ATTRIBUTE)) {
      return -1;
    }
    long str = NONE;
    if (value != NONE) {
      Cursor v = anyValueCursor.of(a, value);
      while (v.next()) {
        if (v.tag == V_STRING) {
          str = v.part;
        } else if (v.tag >>> 3 >= 1 && v.tag >>> 3 <= 8) {
          str = NONE; // another member of the oneof replaces the string
        }
      }
    }
    return equal(a, str, REF_TYPE_CHILD_OF) ? JaegerEncoder.CHILD_OF : JaegerEncoder.FOLLOWS_FROM;
  }

  /** The resource's attributes into the columns, the service name's index noted and kept out of the tags. */
  private void processAttributes(byte[] a, long resource, int r) throws InvalidProtocolBufferException {
    Cursor c = scopeSpansCursor.of(a, resource);
    while (c.next()) {
      if (c.tag == RESOURCE_ATTRIBUTES) {
        attribute(a, c.part);
      }
    }
    // The service name (the last, if given twice) moves to the end of the resource's range.
    int service = -1;
    for (int i = rAttrFrom[r]; i < attributes; i++) {
      if (equal(a, aKey[i], SERVICE_NAME)) {
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
      if (!equal(a, aKey[i], SERVICE_NAME)) {
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
  private static String serviceNameOf(byte[] a, byte kind, long value) {
    return switch (kind) {
      case A_BOOL -> value != 0 ? "true" : "false";
      case A_INT -> Long.toString(value);
      case A_DOUBLE -> AnyValues.formatDouble(Double.longBitsToDouble(value));
      case A_BYTES -> java.util.Base64.getEncoder().encodeToString(Arrays.copyOfRange(a, off(value),
          off(value) + len(value)));
      default -> throw new IllegalArgumentException("no text form for kind " + kind);
    };
  }

  /**
   * Scans one KeyValue into the attribute columns. A value given twice is merged: a later member
   * of its oneof replaces an earlier one.
   */
  private void attribute(byte[] a, long keyValue) throws InvalidProtocolBufferException {
    growAttributes();
    int i = attributes++;
    long key = NONE;
    byte kind = A_EMPTY;
    long value = 0;
    Cursor c = keyValueCursor.of(a, keyValue);
    while (c.next()) {
      if (c.tag == KEY) {
        key = c.part;
      } else if (c.tag == VALUE) {
        Cursor v = anyValueCursor.of(a, c.part);
        while (v.next()) {
          switch (v.tag) {
            case V_STRING -> {
              kind = A_STRING;
              value = v.part;
            }
            case V_BYTES -> {
              kind = A_BYTES;
              value = v.part;
            }
            case V_BOOL -> {
              kind = A_BOOL;
              value = v.number;
            }
            case V_INT -> {
              kind = A_INT;
              value = v.number;
            }
            case V_DOUBLE -> {
              kind = A_DOUBLE;
              value = v.number;
            }
            case V_ARRAY, V_KVLIST -> {
              kind = A_MADE;
              value = made.size();
              made.add(utf8(AnyValues.asString(AnyValue.parser().parseFrom(a, off(c.part), len(c.part)))));
            }
            case V_STRINDEX -> kind = A_EMPTY;
            default -> { }
          }
        }
      }
    }
    aKey[i] = key;
    aKind[i] = kind;
    aValue[i] = value;
  }

  // ---- Parts and bytes ----

  static long part(int offset, int length) {
    return (long) offset << 32 | length;
  }

  static int off(long part) {
    return (int) (part >>> 32);
  }

  static int len(long part) {
    return (int) part;
  }

  /** True when both parts are absent, or both present with the same bytes. */
  static boolean same(byte[] a, long x, byte[] b, long y) {
    if (x == NONE || y == NONE) {
      return x == y;
    }
    return Arrays.equals(a, off(x), off(x) + len(x), b, off(y), off(y) + len(y));
  }

  static boolean equal(byte[] a, long part, byte[] constant) {
    return part != NONE && Arrays.equals(a, off(part), off(part) + len(part), constant, 0, constant.length);
  }

  static boolean zero(byte[] a, long part) {
    for (int i = off(part), e = i + len(part); i < e; i++) {
      if (a[i] != 0) {
        return false;
      }
    }
    return true;
  }

  static byte[] utf8(String s) {
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

  /** Lets go of the last request's arrays and strings. */
  void clear() {
    made.clear();
    Arrays.fill(rArray, 0, resources, null);
  }
}
