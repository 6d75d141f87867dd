package io.sluice.core.otlp;

import com.fasterxml.jackson.core.Base64Variants;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.PermanentException;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Deque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The OTLP/JSON encoding of OTLP messages: proto3 JSON with OTLP's differences.
 *
 * <ul>
 *   <li>{@code traceId}, {@code spanId} and {@code parentSpanId} are hex strings (lower case on
 *       output, either case on input); every other bytes field is base64.
 *   <li>Enums are written as integers; integers and enum value names are read.
 *   <li>Keys are written in lowerCamelCase; lowerCamelCase and the proto field names are read.
 *   <li>64-bit integers are written as decimal strings; strings and numbers are read.
 *   <li>Doubles that are not finite are the strings {@code "NaN"}, {@code "Infinity"} and
 *       {@code "-Infinity"}.
 *   <li>Unknown keys and unknown enum value names are ignored; {@code null} means "not set".
 * </ul>
 *
 * <p>Works for every OTLP message: the {@code Export*ServiceRequest}/{@code Response} messages,
 * {@code TracesData}, {@code MetricsData}, {@code LogsData} and anything inside them. The codec
 * needs no reflection on the message: it writes JSON straight from the protobuf wire bytes and
 * reads JSON straight into wire bytes that the generated parser then takes in, using the
 * message's descriptor to know what each field is. Well-known types ({@code Any},
 * {@code Timestamp}, wrappers) get no special JSON form; OTLP uses none of them.
 *
 * <p>Decoding errors are {@link PermanentException}s whose message says what was wrong, at
 * which path in the document ({@code resourceSpans[0].scopeSpans[0].spans[3].traceId}) and at
 * which line and column. All methods are thread-safe.
 */
public final class OtlpJson {
  private static final JsonFactory JSON = JsonFactory.builder()
      // Keys come from untrusted input: canonicalize them, but keep them out of the JVM's string pool.
      .disable(JsonFactory.Feature.INTERN_FIELD_NAMES)
      .enable(StreamWriteFeature.USE_FAST_DOUBLE_WRITER)
      .disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
      .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER)
      .streamReadConstraints(StreamReadConstraints.builder()
          // Log bodies may be large; the size of a whole request is limited by the receiver.
          .maxStringLength(Integer.MAX_VALUE)
          .maxNestingDepth(1000)
          .build())
      .build();

  private static final Map<Descriptor, MessageInfo> INFOS = new ConcurrentHashMap<>();
  private static final char[] HEX = "0123456789abcdef".toCharArray();
  private static final BigInteger TWO_POW_64 = BigInteger.ONE.shiftLeft(64);
  private static final int MAX_BYTES_FOR_DECODE = Integer.MAX_VALUE - 64;

  private OtlpJson() {}

  // ---------------------------------------------------------------------------------------------
  // Public API
  // ---------------------------------------------------------------------------------------------

  /** The OTLP/JSON form of {@code message}, UTF-8, on one line. */
  public static byte[] encode(Message message) {
    byte[] wire = message.toByteArray();
    ByteArrayBuilder out = new ByteArrayBuilder(Math.max(256, Math.min(wire.length * 2, 1 << 24)));
    try {
      writeJson(message.getDescriptorForType(), wire, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /**
   * The OTLP/JSON form of a message of type {@code type} given as its protobuf encoding
   * ({@code wire}, which must be valid), UTF-8, on one line: no parsing into objects first.
   */
  public static byte[] encode(Descriptor type, byte[] wire) {
    ByteArrayBuilder out = new ByteArrayBuilder(Math.max(256, Math.min(wire.length * 2, 1 << 24)));
    try {
      writeJson(type, wire, out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** The OTLP/JSON form of {@code message}, on one line. */
  public static String encodeToString(Message message) {
    return new String(encode(message), StandardCharsets.UTF_8);
  }

  /**
   * Writes the OTLP/JSON form of {@code message} to {@code out} (UTF-8, one line, no line
   * terminator). The stream is neither flushed nor closed.
   */
  public static void writeTo(Message message, OutputStream out) throws IOException {
    writeJson(message.getDescriptorForType(), message.toByteArray(), out);
  }

  /** Decodes an OTLP/JSON traces request (also the {@code TracesData} shape). */
  public static ExportTraceServiceRequest decodeTraces(byte[] json) {
    return decode(json, ExportTraceServiceRequest.newBuilder());
  }

  /** Decodes an OTLP/JSON metrics request (also the {@code MetricsData} shape). */
  public static ExportMetricsServiceRequest decodeMetrics(byte[] json) {
    return decode(json, ExportMetricsServiceRequest.newBuilder());
  }

  /** Decodes an OTLP/JSON logs request (also the {@code LogsData} shape). */
  public static ExportLogsServiceRequest decodeLogs(byte[] json) {
    return decode(json, ExportLogsServiceRequest.newBuilder());
  }

  /** Decodes {@code length} bytes from {@code offset} as an OTLP/JSON traces request. */
  public static ExportTraceServiceRequest decodeTraces(byte[] json, int offset, int length) {
    return decode(json, offset, length, ExportTraceServiceRequest.newBuilder());
  }

  /** Decodes {@code length} bytes from {@code offset} as an OTLP/JSON metrics request. */
  public static ExportMetricsServiceRequest decodeMetrics(byte[] json, int offset, int length) {
    return decode(json, offset, length, ExportMetricsServiceRequest.newBuilder());
  }

  /** Decodes {@code length} bytes from {@code offset} as an OTLP/JSON logs request. */
  public static ExportLogsServiceRequest decodeLogs(byte[] json, int offset, int length) {
    return decode(json, offset, length, ExportLogsServiceRequest.newBuilder());
  }

  /**
   * Decodes OTLP/JSON into {@code builder} (merging into what it holds) and returns the built
   * message.
   *
   * @throws PermanentException when {@code json} is not valid JSON or not a valid OTLP/JSON
   *     form of the builder's message
   */
  public static <T extends Message> T decode(byte[] json, Message.Builder builder) {
    return decode(json, 0, json.length, builder);
  }

  /** Decodes {@code length} bytes of {@code json} from {@code offset}; see {@link #decode(byte[], Message.Builder)}. */
  @SuppressWarnings("unchecked")
  public static <T extends Message> T decode(byte[] json, int offset, int length, Message.Builder builder) {
    WireOut wire = new WireOut(Math.max(64, Math.min(length, 1 << 24)));
    Descriptor type = builder.getDescriptorForType();
    try (JsonParser p = JSON.createParser(json, offset, length)) {
      readDocument(p, info(type), wire);
    } catch (PermanentException e) {
      throw e;
    } catch (JsonProcessingException e) {
      throw malformed(e);
    } catch (IOException e) {
      throw new PermanentException("Invalid OTLP/JSON: " + e.getMessage(), e);
    }
    try {
      builder.mergeFrom(wire.buf, 0, wire.pos);
    } catch (InvalidProtocolBufferException e) {
      throw new PermanentException("Invalid OTLP/JSON for " + type.getName() + ": " + e.getMessage(), e);
    }
    return (T) builder.build();
  }

  /** Decodes an OTLP/JSON string; see {@link #decode(byte[], Message.Builder)}. */
  public static <T extends Message> T decode(String json, Message.Builder builder) {
    return decode(json.getBytes(StandardCharsets.UTF_8), builder);
  }

  // ---------------------------------------------------------------------------------------------
  // Field metadata, computed once per message type
  // ---------------------------------------------------------------------------------------------

  private static MessageInfo info(Descriptor d) {
    MessageInfo i = INFOS.get(d);
    return i != null ? i : INFOS.computeIfAbsent(d, MessageInfo::new);
  }

  /** What the codec needs to know about one message type. Nested types are resolved lazily. */
  private static final class MessageInfo {
    final Descriptor descriptor;
    final FieldInfo[] byNumber;
    final Map<Integer, FieldInfo> byLargeNumber = new HashMap<>();
    final Map<String, FieldInfo> byName = new HashMap<>();

    MessageInfo(Descriptor d) {
      this.descriptor = d;
      int maxSmall = 0;
      for (FieldDescriptor fd : d.getFields()) {
        if (fd.getNumber() < 256) {
          maxSmall = Math.max(maxSmall, fd.getNumber());
        }
      }
      byNumber = new FieldInfo[maxSmall + 1];
      for (FieldDescriptor fd : d.getFields()) {
        if (fd.getType() == FieldDescriptor.Type.GROUP) {
          continue; // proto2 only; never in OTLP
        }
        FieldInfo f = new FieldInfo(fd);
        if (fd.getNumber() < 256) {
          byNumber[fd.getNumber()] = f;
        } else {
          byLargeNumber.put(fd.getNumber(), f);
        }
        byName.put(fd.getJsonName(), f);
        byName.putIfAbsent(fd.getName(), f);
      }
    }

    FieldInfo field(int number) {
      if (number < byNumber.length) {
        return byNumber[number];
      }
      return byLargeNumber.isEmpty() ? null : byLargeNumber.get(number);
    }
  }

  private static final class FieldInfo {
    final FieldDescriptor fd;
    final int number;
    final FieldDescriptor.Type type;
    final boolean repeated;
    final boolean map;
    final boolean packable;
    final SerializedString key;
    /** Bytes in an id written as hex (16 for trace ids, 8 for span ids), 0 for base64 bytes. */
    final int idLength;
    private volatile MessageInfo message;

    FieldInfo(FieldDescriptor fd) {
      this.fd = fd;
      this.number = fd.getNumber();
      this.type = fd.getType();
      this.repeated = fd.isRepeated();
      this.map = fd.isMapField();
      this.packable = repeated && fd.isPackable();
      this.key = new SerializedString(fd.getJsonName());
      int id = 0;
      if (type == FieldDescriptor.Type.BYTES && !repeated) {
        switch (fd.getName()) {
          case "trace_id" -> id = 16;
          case "span_id", "parent_span_id" -> id = 8;
          default -> id = 0;
        }
      }
      this.idLength = id;
    }

    MessageInfo message() {
      MessageInfo m = message;
      if (m == null) {
        m = info(fd.getMessageType());
        message = m;
      }
      return m;
    }

    /** The wire type of one value of this field, unpacked. */
    int wireType() {
      return switch (type) {
        case DOUBLE, FIXED64, SFIXED64 -> 1;
        case FLOAT, FIXED32, SFIXED32 -> 5;
        case STRING, BYTES, MESSAGE -> 2;
        case GROUP -> 3;
        default -> 0;
      };
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Encoding: protobuf wire bytes -> JSON
  // ---------------------------------------------------------------------------------------------

  private static void writeJson(Descriptor type, byte[] wire, OutputStream out) throws IOException {
    try (JsonGenerator g = JSON.createGenerator(out)) {
      WireIn in = new WireIn(wire);
      writeMessage(g, info(type), in, wire.length);
    }
  }

  /**
   * Writes the message whose fields are {@code in.pos..end} as a JSON object. Generated
   * serializers write fields in field-number order with all elements of a repeated field
   * together, so each repeated field becomes one array.
   */
  private static void writeMessage(JsonGenerator g, MessageInfo info, WireIn in, int end) throws IOException {
    g.writeStartObject();
    FieldInfo open = null;
    while (in.pos < end) {
      int tag = (int) in.varint();
      int wireType = tag & 7;
      FieldInfo f = info.field(tag >>> 3);
      if (f == null || (wireType != f.wireType() && !(f.packable && wireType == 2))) {
        in.skip(wireType);
        continue;
      }
      if (f != open) {
        if (open != null) {
          closeRepeated(g, open);
          open = null;
        }
        g.writeFieldName(f.key);
        if (f.repeated) {
          if (f.map) {
            g.writeStartObject();
          } else {
            g.writeStartArray();
          }
          open = f;
        }
      }
      if (f.map) {
        int len = in.length();
        writeMapEntry(g, f.message(), in, in.pos + len);
      } else if (f.packable && wireType == 2) {
        int len = in.length();
        int packedEnd = in.pos + len;
        int unpacked = f.wireType();
        while (in.pos < packedEnd) {
          writeValue(g, f, unpacked, in);
        }
      } else {
        writeValue(g, f, wireType, in);
      }
    }
    if (open != null) {
      closeRepeated(g, open);
    }
    g.writeEndObject();
  }

  private static void closeRepeated(JsonGenerator g, FieldInfo f) throws IOException {
    if (f.map) {
      g.writeEndObject();
    } else {
      g.writeEndArray();
    }
  }

  private static void writeMapEntry(JsonGenerator g, MessageInfo entry, WireIn in, int end) throws IOException {
    FieldInfo keyField = entry.field(1);
    FieldInfo valueField = entry.field(2);
    String key = null;
    int valuePos = -1;
    int valueWireType = 0;
    while (in.pos < end) {
      int tag = (int) in.varint();
      int number = tag >>> 3;
      int wireType = tag & 7;
      if (number == 1 && keyField != null && wireType == keyField.wireType()) {
        key = mapKey(keyField, wireType, in);
      } else if (number == 2 && valueField != null && wireType == valueField.wireType()) {
        valuePos = in.pos;
        valueWireType = wireType;
        in.skip(wireType);
      } else {
        in.skip(wireType);
      }
    }
    g.writeFieldName(key != null ? key : defaultMapKey(keyField));
    if (valuePos < 0) {
      writeDefault(g, valueField);
    } else {
      int resume = in.pos;
      in.pos = valuePos;
      writeValue(g, valueField, valueWireType, in);
      in.pos = resume;
    }
  }

  private static String mapKey(FieldInfo f, int wireType, WireIn in) {
    return switch (f.type) {
      case STRING -> {
        int len = in.length();
        String s = new String(in.buf, in.pos, len, StandardCharsets.UTF_8);
        in.pos += len;
        yield s;
      }
      case BOOL -> in.varint() != 0 ? "true" : "false";
      case INT32 -> Integer.toString((int) in.varint());
      case SINT32 -> Integer.toString(zigzag32((int) in.varint()));
      case UINT32 -> Long.toString(in.varint() & 0xFFFFFFFFL);
      case INT64 -> Long.toString(in.varint());
      case SINT64 -> Long.toString(zigzag64(in.varint()));
      case UINT64 -> Long.toUnsignedString(in.varint());
      case FIXED32 -> Long.toString(in.fixed32() & 0xFFFFFFFFL);
      case SFIXED32 -> Integer.toString(in.fixed32());
      case FIXED64 -> Long.toUnsignedString(in.fixed64());
      case SFIXED64 -> Long.toString(in.fixed64());
      default -> {
        in.skip(wireType);
        yield "";
      }
    };
  }

  private static String defaultMapKey(FieldInfo f) {
    if (f == null || f.type == FieldDescriptor.Type.STRING) {
      return "";
    }
    return f.type == FieldDescriptor.Type.BOOL ? "false" : "0";
  }

  private static void writeDefault(JsonGenerator g, FieldInfo f) throws IOException {
    switch (f.type) {
      case MESSAGE -> {
        g.writeStartObject();
        g.writeEndObject();
      }
      case STRING, BYTES -> g.writeString("");
      case BOOL -> g.writeBoolean(false);
      case INT64, UINT64, SINT64, FIXED64, SFIXED64 -> g.writeString("0");
      default -> g.writeNumber(0);
    }
  }

  private static void writeValue(JsonGenerator g, FieldInfo f, int wireType, WireIn in) throws IOException {
    switch (f.type) {
      case DOUBLE -> writeDouble(g, Double.longBitsToDouble(in.fixed64()));
      case FLOAT -> writeFloat(g, Float.intBitsToFloat(in.fixed32()));
      case INT64 -> g.writeString(Long.toString(in.varint()));
      case UINT64 -> g.writeString(Long.toUnsignedString(in.varint()));
      case SINT64 -> g.writeString(Long.toString(zigzag64(in.varint())));
      case FIXED64 -> g.writeString(Long.toUnsignedString(in.fixed64()));
      case SFIXED64 -> g.writeString(Long.toString(in.fixed64()));
      case INT32, ENUM -> g.writeNumber((int) in.varint());
      case UINT32 -> g.writeNumber(in.varint() & 0xFFFFFFFFL);
      case SINT32 -> g.writeNumber(zigzag32((int) in.varint()));
      case FIXED32 -> g.writeNumber(in.fixed32() & 0xFFFFFFFFL);
      case SFIXED32 -> g.writeNumber(in.fixed32());
      case BOOL -> g.writeBoolean(in.varint() != 0);
      case STRING -> {
        int len = in.length();
        g.writeUTF8String(in.buf, in.pos, len);
        in.pos += len;
      }
      case BYTES -> {
        int len = in.length();
        if (f.idLength > 0) {
          writeHex(g, in.buf, in.pos, len);
        } else {
          g.writeBinary(Base64Variants.MIME_NO_LINEFEEDS, in.buf, in.pos, len);
        }
        in.pos += len;
      }
      case MESSAGE -> {
        int len = in.length();
        writeMessage(g, f.message(), in, in.pos + len);
      }
      default -> in.skip(wireType);
    }
  }

  private static void writeDouble(JsonGenerator g, double d) throws IOException {
    if (Double.isFinite(d)) {
      g.writeNumber(d);
    } else {
      g.writeString(Double.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    }
  }

  private static void writeFloat(JsonGenerator g, float d) throws IOException {
    if (Float.isFinite(d)) {
      g.writeNumber(d);
    } else {
      g.writeString(Float.isNaN(d) ? "NaN" : d > 0 ? "Infinity" : "-Infinity");
    }
  }

  private static void writeHex(JsonGenerator g, byte[] b, int off, int len) throws IOException {
    char[] chars = new char[len * 2];
    for (int i = 0; i < len; i++) {
      int v = b[off + i] & 0xFF;
      chars[2 * i] = HEX[v >>> 4];
      chars[2 * i + 1] = HEX[v & 0xF];
    }
    g.writeString(chars, 0, chars.length);
  }

  private static long zigzag64(long n) {
    return (n >>> 1) ^ -(n & 1);
  }

  private static int zigzag32(int n) {
    return (n >>> 1) ^ -(n & 1);
  }

  /** Reads protobuf wire format produced by a generated serializer (so it is well-formed). */
  private static final class WireIn {
    final byte[] buf;
    int pos;

    WireIn(byte[] buf) {
      this.buf = buf;
    }

    long varint() {
      long result = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        byte b = buf[pos++];
        result |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return result;
        }
      }
      throw new IllegalStateException("malformed varint in protobuf bytes at " + pos);
    }

    int length() {
      return (int) varint();
    }

    int fixed32() {
      int p = pos;
      pos += 4;
      return (buf[p] & 0xFF) | (buf[p + 1] & 0xFF) << 8 | (buf[p + 2] & 0xFF) << 16 | (buf[p + 3] & 0xFF) << 24;
    }

    long fixed64() {
      return (fixed32() & 0xFFFFFFFFL) | ((long) fixed32() << 32);
    }

    void skip(int wireType) {
      switch (wireType) {
        case 0 -> varint();
        case 1 -> pos += 8;
        case 2 -> {
          int len = length();
          pos += len;
        }
        case 3 -> skipGroup();
        case 5 -> pos += 4;
        default -> throw new IllegalStateException("malformed protobuf bytes: wire type " + wireType);
      }
    }

    private void skipGroup() {
      while (true) {
        int tag = (int) varint();
        if ((tag & 7) == 4) {
          return;
        }
        skip(tag & 7);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding: JSON -> protobuf wire bytes
  // ---------------------------------------------------------------------------------------------

  private static void readDocument(JsonParser p, MessageInfo info, WireOut out) throws IOException {
    JsonToken t = p.nextToken();
    if (t == null) {
      throw new PermanentException("Invalid OTLP/JSON: the document is empty; expected a "
          + info.descriptor.getName() + " object");
    }
    if (t != JsonToken.START_OBJECT) {
      throw invalid(p, "expected a JSON object (" + info.descriptor.getName() + "), found " + describe(p));
    }
    readMessage(p, info, out);
    if (p.nextToken() != null) {
      throw invalid(p, "unexpected " + describe(p) + " after the end of the top-level object");
    }
  }

  /** Reads the object whose START_OBJECT is the current token, up to and including END_OBJECT. */
  private static void readMessage(JsonParser p, MessageInfo info, WireOut out) throws IOException {
    JsonToken t;
    while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
      FieldInfo f = info.byName.get(p.currentName());
      JsonToken value = p.nextToken();
      if (f == null) {
        p.skipChildren();
        continue;
      }
      if (value == JsonToken.VALUE_NULL) {
        continue;
      }
      if (f.map) {
        readMap(p, f, out);
      } else if (f.repeated) {
        readRepeated(p, f, out);
      } else {
        readSingle(p, f, out);
      }
    }
    if (t != JsonToken.END_OBJECT) {
      throw invalid(p, "expected a field name or '}', found " + describe(p));
    }
  }

  private static void readRepeated(JsonParser p, FieldInfo f, WireOut out) throws IOException {
    if (p.currentToken() != JsonToken.START_ARRAY) {
      throw invalid(p, "expected an array for repeated field '" + f.fd.getJsonName() + "', found " + describe(p));
    }
    if (f.packable) {
      int start = out.pos;
      out.tag(f.number, 2);
      int mark = out.beginLength();
      int count = 0;
      while (p.nextToken() != JsonToken.END_ARRAY) {
        checkElement(p, f);
        writeScalar(p, f, out);
        count++;
      }
      if (count == 0) {
        out.pos = start;
      } else {
        out.endLength(mark);
      }
      return;
    }
    while (p.nextToken() != JsonToken.END_ARRAY) {
      checkElement(p, f);
      readSingle(p, f, out);
    }
  }

  private static void checkElement(JsonParser p, FieldInfo f) {
    if (p.currentToken() == JsonToken.VALUE_NULL) {
      throw invalid(p, "null is not allowed as an element of repeated field '" + f.fd.getJsonName() + "'");
    }
  }

  private static void readMap(JsonParser p, FieldInfo f, WireOut out) throws IOException {
    if (p.currentToken() != JsonToken.START_OBJECT) {
      throw invalid(p, "expected an object for map field '" + f.fd.getJsonName() + "', found " + describe(p));
    }
    MessageInfo entry = f.message();
    FieldInfo keyField = entry.field(1);
    FieldInfo valueField = entry.field(2);
    while (p.nextToken() == JsonToken.FIELD_NAME) {
      String key = p.currentName();
      out.tag(f.number, 2);
      int mark = out.beginLength();
      writeMapKey(p, keyField, key, out);
      if (p.nextToken() != JsonToken.VALUE_NULL) {
        readSingle(p, valueField, out);
      }
      out.endLength(mark);
    }
  }

  private static void writeMapKey(JsonParser p, FieldInfo f, String key, WireOut out) {
    switch (f.type) {
      case STRING -> {
        out.tag(1, 2);
        byte[] b = key.getBytes(StandardCharsets.UTF_8);
        out.varint(b.length);
        out.bytes(b, 0, b.length);
      }
      case BOOL -> {
        if (!key.equals("true") && !key.equals("false")) {
          throw invalid(p, "map key \"" + key + "\" is not a boolean");
        }
        out.tag(1, 0);
        out.varint(key.equals("true") ? 1 : 0);
      }
      default -> {
        long v = integerFromString(p, f, key);
        writeInteger(f, 1, v, out);
      }
    }
  }

  /** Reads the value at the current token for a singular field (or one element of a repeated one). */
  private static void readSingle(JsonParser p, FieldInfo f, WireOut out) throws IOException {
    switch (f.type) {
      case MESSAGE -> {
        if (p.currentToken() != JsonToken.START_OBJECT) {
          throw invalid(p, "expected an object (" + f.fd.getMessageType().getName() + "), found " + describe(p));
        }
        out.tag(f.number, 2);
        int mark = out.beginLength();
        readMessage(p, f.message(), out);
        out.endLength(mark);
      }
      case STRING -> {
        expectString(p, f);
        out.tag(f.number, 2);
        out.utf8Field(p.getTextCharacters(), p.getTextOffset(), p.getTextLength());
      }
      case BYTES -> {
        expectString(p, f);
        out.tag(f.number, 2);
        if (f.idLength > 0) {
          writeHexId(p, f, out);
        } else {
          byte[] b = base64(p, f);
          out.varint(b.length);
          out.bytes(b, 0, b.length);
        }
      }
      case ENUM -> {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
          EnumValueDescriptor v = f.fd.getEnumType().findValueByName(p.getText());
          if (v == null) {
            if (!looksLikeInteger(p.getText())) {
              return; // an unknown enum name is ignored, like an unknown field
            }
            out.tag(f.number, 0);
            out.varint(readInteger(p, f));
            return;
          }
          out.tag(f.number, 0);
          out.varint(v.getNumber());
        } else {
          out.tag(f.number, 0);
          out.varint(readInteger(p, f));
        }
      }
      default -> {
        out.tag(f.number, f.wireType());
        writeScalar(p, f, out);
      }
    }
  }

  /** Writes the value of a numeric or bool field at the current token, without its tag. */
  private static void writeScalar(JsonParser p, FieldInfo f, WireOut out) throws IOException {
    switch (f.type) {
      case DOUBLE -> out.fixed64(Double.doubleToRawLongBits(readDouble(p, f)));
      case FLOAT -> out.fixed32(Float.floatToRawIntBits((float) readDouble(p, f)));
      case BOOL -> out.varint(readBool(p, f) ? 1 : 0);
      case ENUM -> {
        if (p.currentToken() == JsonToken.VALUE_STRING) {
          EnumValueDescriptor v = f.fd.getEnumType().findValueByName(p.getText());
          out.varint(v != null ? v.getNumber() : readInteger(p, f));
        } else {
          out.varint(readInteger(p, f));
        }
      }
      case STRING, BYTES, MESSAGE, GROUP -> throw new IllegalStateException("not a scalar: " + f.fd.getFullName());
      default -> writeIntegerValue(f, readInteger(p, f), out);
    }
  }

  private static void writeInteger(FieldInfo f, int number, long v, WireOut out) {
    out.tag(number, f.wireType());
    writeIntegerValue(f, v, out);
  }

  private static void writeIntegerValue(FieldInfo f, long v, WireOut out) {
    switch (f.type) {
      case INT32, INT64, UINT32, UINT64, ENUM -> out.varint(v);
      case SINT32 -> out.varint((((int) v << 1) ^ ((int) v >> 31)) & 0xFFFFFFFFL);
      case SINT64 -> out.varint((v << 1) ^ (v >> 63));
      case FIXED32, SFIXED32 -> out.fixed32((int) v);
      case FIXED64, SFIXED64 -> out.fixed64(v);
      default -> throw new IllegalStateException("not an integer: " + f.fd.getFullName());
    }
  }

  private static void expectString(JsonParser p, FieldInfo f) {
    if (p.currentToken() != JsonToken.VALUE_STRING) {
      throw invalid(p, "expected a string for '" + f.fd.getJsonName() + "', found " + describe(p));
    }
  }

  private static void writeHexId(JsonParser p, FieldInfo f, WireOut out) throws IOException {
    char[] c = p.getTextCharacters();
    int off = p.getTextOffset();
    int len = p.getTextLength();
    if (len == 0) {
      out.varint(0);
      return;
    }
    if (len != f.idLength * 2) {
      throw invalid(p, "\"" + p.getText() + "\" is not a valid " + idName(f) + ": expected " + f.idLength * 2
          + " hex digits, found " + len + " characters");
    }
    out.varint(f.idLength);
    out.ensure(f.idLength);
    for (int i = 0; i < len; i += 2) {
      int hi = Character.digit(c[off + i], 16);
      int lo = Character.digit(c[off + i + 1], 16);
      if (hi < 0 || lo < 0) {
        throw invalid(p, "\"" + p.getText() + "\" is not a valid " + idName(f) + ": '"
            + (hi < 0 ? c[off + i] : c[off + i + 1]) + "' is not a hex digit");
      }
      out.buf[out.pos++] = (byte) (hi << 4 | lo);
    }
  }

  private static String idName(FieldInfo f) {
    return switch (f.fd.getName()) {
      case "trace_id" -> "trace id";
      case "parent_span_id" -> "parent span id";
      default -> "span id";
    };
  }

  private static byte[] base64(JsonParser p, FieldInfo f) throws IOException {
    String s = p.getText();
    try {
      boolean url = s.indexOf('-') >= 0 || s.indexOf('_') >= 0;
      return (url ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(s);
    } catch (IllegalArgumentException e) {
      throw invalid(p, "\"" + abbreviate(s) + "\" is not valid base64 for bytes field '" + f.fd.getJsonName()
          + "': " + e.getMessage());
    }
  }

  private static boolean readBool(JsonParser p, FieldInfo f) throws IOException {
    switch (p.currentToken()) {
      case VALUE_TRUE:
        return true;
      case VALUE_FALSE:
        return false;
      case VALUE_STRING:
        if (p.getText().equals("true")) {
          return true;
        }
        if (p.getText().equals("false")) {
          return false;
        }
        break;
      default:
        break;
    }
    throw invalid(p, "expected true or false for '" + f.fd.getJsonName() + "', found " + describe(p));
  }

  private static double readDouble(JsonParser p, FieldInfo f) throws IOException {
    switch (p.currentToken()) {
      case VALUE_NUMBER_INT:
      case VALUE_NUMBER_FLOAT:
        try {
          return p.getDoubleValue();
        } catch (NumberFormatException e) {
          throw invalid(p, abbreviate(p.getText()) + " is not a number for '" + f.fd.getJsonName() + "'");
        }
      case VALUE_STRING: {
        String s = p.getText();
        switch (s) {
          case "NaN":
            return Double.NaN;
          case "Infinity":
            return Double.POSITIVE_INFINITY;
          case "-Infinity":
            return Double.NEGATIVE_INFINITY;
          default:
            try {
              if (!s.isEmpty() && s.strip().equals(s) && isPlainNumber(s)) {
                return Double.parseDouble(s);
              }
            } catch (NumberFormatException e) {
              // reported below
            }
            throw invalid(p, "\"" + abbreviate(s) + "\" is not a number for '" + f.fd.getJsonName() + "'");
        }
      }
      default:
        throw invalid(p, "expected a number for '" + f.fd.getJsonName() + "', found " + describe(p));
    }
  }

  private static boolean isPlainNumber(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (!(c >= '0' && c <= '9') && c != '-' && c != '+' && c != '.' && c != 'e' && c != 'E') {
        return false;
      }
    }
    return true;
  }

  /** Reads an integer (number or decimal string) for field {@code f}, checked against its type's range. */
  private static long readInteger(JsonParser p, FieldInfo f) throws IOException {
    switch (p.currentToken()) {
      case VALUE_NUMBER_INT: {
        JsonParser.NumberType nt = p.getNumberType();
        if (nt == JsonParser.NumberType.INT || nt == JsonParser.NumberType.LONG) {
          return checkRange(p, f, p.getLongValue());
        }
        return checkRange(p, f, p.getBigIntegerValue());
      }
      case VALUE_NUMBER_FLOAT: {
        BigDecimal d;
        try {
          d = p.getDecimalValue();
        } catch (NumberFormatException e) { // an exponent beyond what a BigDecimal holds
          throw outOfRange(p, f, abbreviate(p.getText()));
        }
        return checkRange(p, f, exactInteger(p, f, d, p.getText()));
      }
      case VALUE_STRING:
        return integerFromString(p, f, p.getText());
      default:
        throw invalid(p, "expected an integer for '" + f.fd.getJsonName() + "', found " + describe(p));
    }
  }

  private static long integerFromString(JsonParser p, FieldInfo f, String s) {
    int n = s.length();
    if (n > 0 && n <= 18) {
      int i = s.charAt(0) == '-' ? 1 : 0;
      long v = 0;
      boolean plain = i < n;
      for (int k = i; k < n; k++) {
        char c = s.charAt(k);
        if (c < '0' || c > '9') {
          plain = false;
          break;
        }
        v = v * 10 + (c - '0');
      }
      if (plain) {
        return checkRange(p, f, i == 1 ? -v : v);
      }
    }
    BigDecimal d;
    try {
      if (n == 0 || !s.strip().equals(s) || !isPlainNumber(s)) {
        throw new NumberFormatException();
      }
      d = new BigDecimal(s);
    } catch (NumberFormatException | ArithmeticException e) {
      throw invalid(p, "\"" + abbreviate(s) + "\" is not an integer, as '" + f.fd.getJsonName() + "' requires");
    }
    return checkRange(p, f, exactInteger(p, f, d, "\"" + s + "\""));
  }

  /**
   * The integer value of {@code d}, refused when it has a fraction or more digits than any
   * integer field holds. Checked before converting: a literal such as {@code 1e999999999} would
   * otherwise make a BigInteger of a billion digits (minutes of CPU and gigabytes of memory).
   */
  private static BigInteger exactInteger(JsonParser p, FieldInfo f, BigDecimal d, String text) {
    if (d.signum() == 0) {
      return BigInteger.ZERO;
    }
    BigDecimal stripped = d.stripTrailingZeros();
    if (stripped.scale() > 0) {
      throw invalid(p, abbreviate(text) + " is not an integer, as '" + f.fd.getJsonName() + "' requires");
    }
    if ((long) stripped.precision() - stripped.scale() > 20) { // 2^64 has 20 digits
      throw outOfRange(p, f, abbreviate(text));
    }
    return stripped.toBigIntegerExact();
  }

  private static boolean looksLikeInteger(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = s.charAt(0) == '-' ? 1 : 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static long checkRange(JsonParser p, FieldInfo f, long v) {
    boolean ok = switch (f.type) {
      case INT32, SINT32, SFIXED32, ENUM -> v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
      case UINT32, FIXED32 -> v >= 0 && v <= 0xFFFFFFFFL;
      case UINT64, FIXED64 -> v >= 0;
      default -> true;
    };
    if (!ok) {
      throw outOfRange(p, f, BigInteger.valueOf(v));
    }
    return v;
  }

  private static long checkRange(JsonParser p, FieldInfo f, BigInteger v) {
    boolean unsigned64 = f.type == FieldDescriptor.Type.UINT64 || f.type == FieldDescriptor.Type.FIXED64;
    if (unsigned64 && v.signum() >= 0 && v.compareTo(TWO_POW_64) < 0) {
      return v.longValue();
    }
    if (v.bitLength() < 64) {
      return checkRange(p, f, v.longValue());
    }
    throw outOfRange(p, f, v);
  }

  private static PermanentException outOfRange(JsonParser p, FieldInfo f, Object v) {
    return invalid(p, v + " is out of range for '" + f.fd.getJsonName() + "' ("
        + f.type.name().toLowerCase(java.util.Locale.ROOT) + ")");
  }

  // ---------------------------------------------------------------------------------------------
  // Errors
  // ---------------------------------------------------------------------------------------------

  private static PermanentException invalid(JsonParser p, String what) {
    JsonStreamContext ctx = p.getParsingContext();
    JsonToken t = p.currentToken();
    if ((t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY) && ctx.getParent() != null) {
      ctx = ctx.getParent(); // report the field that holds the object or array, not its inside
    }
    return new PermanentException("Invalid OTLP/JSON" + where(ctx, p.currentTokenLocation()) + ": " + what);
  }

  private static PermanentException malformed(JsonProcessingException e) {
    String where = "";
    if (e.getProcessor() instanceof JsonParser p) {
      where = where(p.getParsingContext(), e.getLocation());
    } else if (e.getLocation() != null) {
      where = where(null, e.getLocation());
    }
    return new PermanentException("Malformed JSON" + where + ": " + e.getOriginalMessage(), e);
  }

  private static String where(JsonStreamContext ctx, JsonLocation loc) {
    StringBuilder sb = new StringBuilder();
    String path = ctx == null ? "" : path(ctx);
    if (!path.isEmpty()) {
      sb.append(" at ").append(path);
    }
    if (loc != null && loc.getLineNr() > 0) {
      sb.append(" (line ").append(loc.getLineNr()).append(", column ").append(loc.getColumnNr()).append(')');
    }
    return sb.toString();
  }

  /** {@code resourceSpans[0].scopeSpans[1].spans[3].traceId} for the parser's position. */
  private static String path(JsonStreamContext ctx) {
    Deque<JsonStreamContext> chain = new ArrayDeque<>();
    for (JsonStreamContext c = ctx; c != null && !c.inRoot(); c = c.getParent()) {
      chain.push(c);
    }
    StringBuilder sb = new StringBuilder();
    for (JsonStreamContext c : chain) {
      if (c.inArray()) {
        if (c.getCurrentIndex() >= 0) {
          sb.append('[').append(c.getCurrentIndex()).append(']');
        }
      } else if (c.getCurrentName() != null) {
        if (sb.length() > 0) {
          sb.append('.');
        }
        sb.append(c.getCurrentName());
      }
    }
    return sb.toString();
  }

  private static String describe(JsonParser p) {
    JsonToken t = p.currentToken();
    if (t == null) {
      return "the end of the document";
    }
    try {
      return switch (t) {
        case START_OBJECT -> "an object";
        case START_ARRAY -> "an array";
        case END_OBJECT -> "'}'";
        case END_ARRAY -> "']'";
        case FIELD_NAME -> "field \"" + p.currentName() + "\"";
        case VALUE_STRING -> "string \"" + abbreviate(p.getText()) + "\"";
        case VALUE_NUMBER_INT, VALUE_NUMBER_FLOAT -> "number " + p.getText();
        case VALUE_TRUE -> "true";
        case VALUE_FALSE -> "false";
        case VALUE_NULL -> "null";
        default -> t.toString();
      };
    } catch (IOException e) {
      return t.toString();
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 64 ? s : s.substring(0, 61) + "...";
  }

  /** Growable protobuf wire output. Nested lengths are written as fixed 5-byte varints. */
  private static final class WireOut {
    byte[] buf;
    int pos;

    WireOut(int capacity) {
      buf = new byte[capacity];
    }

    void ensure(long n) {
      if (buf.length - pos < n) {
        long want = Math.max((long) buf.length * 2, pos + n);
        if (want > MAX_BYTES_FOR_DECODE) {
          if (pos + n > MAX_BYTES_FOR_DECODE) {
            throw new PermanentException("Invalid OTLP/JSON: the decoded message would exceed 2 GiB");
          }
          want = MAX_BYTES_FOR_DECODE;
        }
        buf = java.util.Arrays.copyOf(buf, (int) want);
      }
    }

    void tag(int number, int wireType) {
      varint(((long) number << 3) | wireType);
    }

    void varint(long v) {
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[pos++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[pos++] = (byte) v;
    }

    void fixed32(int v) {
      ensure(4);
      buf[pos++] = (byte) v;
      buf[pos++] = (byte) (v >>> 8);
      buf[pos++] = (byte) (v >>> 16);
      buf[pos++] = (byte) (v >>> 24);
    }

    void fixed64(long v) {
      fixed32((int) v);
      fixed32((int) (v >>> 32));
    }

    void bytes(byte[] b, int off, int len) {
      ensure(len);
      System.arraycopy(b, off, buf, pos, len);
      pos += len;
    }

    /** Reserves room for a length; returns where it goes. */
    int beginLength() {
      ensure(5);
      int mark = pos;
      pos += 5;
      return mark;
    }

    /** Writes the length of what followed {@link #beginLength()} as a 5-byte varint. */
    void endLength(int mark) {
      int len = pos - mark - 5;
      buf[mark] = (byte) (len | 0x80);
      buf[mark + 1] = (byte) ((len >>> 7) | 0x80);
      buf[mark + 2] = (byte) ((len >>> 14) | 0x80);
      buf[mark + 3] = (byte) ((len >>> 21) | 0x80);
      buf[mark + 4] = (byte) (len >>> 28);
    }

    /** Writes a length-delimited UTF-8 string from UTF-16 chars; unpaired surrogates become '?'. */
    void utf8Field(char[] c, int off, int len) {
      int mark = beginLength();
      ensure(3L * len);
      byte[] b = buf;
      int p = pos;
      int end = off + len;
      for (int i = off; i < end; i++) {
        char ch = c[i];
        if (ch < 0x80) {
          b[p++] = (byte) ch;
        } else if (ch < 0x800) {
          b[p++] = (byte) (0xC0 | (ch >>> 6));
          b[p++] = (byte) (0x80 | (ch & 0x3F));
        } else if (Character.isSurrogate(ch)) {
          if (Character.isHighSurrogate(ch) && i + 1 < end && Character.isLowSurrogate(c[i + 1])) {
            int cp = Character.toCodePoint(ch, c[++i]);
            b[p++] = (byte) (0xF0 | (cp >>> 18));
            b[p++] = (byte) (0x80 | ((cp >>> 12) & 0x3F));
            b[p++] = (byte) (0x80 | ((cp >>> 6) & 0x3F));
            b[p++] = (byte) (0x80 | (cp & 0x3F));
          } else {
            b[p++] = (byte) '?';
          }
        } else {
          b[p++] = (byte) (0xE0 | (ch >>> 12));
          b[p++] = (byte) (0x80 | ((ch >>> 6) & 0x3F));
          b[p++] = (byte) (0x80 | (ch & 0x3F));
        }
      }
      pos = p;
      endLength(mark);
    }
  }
}
