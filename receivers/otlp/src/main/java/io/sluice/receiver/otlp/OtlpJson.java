package io.sluice.receiver.otlp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Map;

/**
 * The OTLP/JSON encoding: proto3 JSON with the OTLP differences. Trace and span ids
 * ({@code traceId}, {@code spanId}, {@code parentSpanId}) are hex strings instead of base64;
 * enums are written as integers; 64-bit integers are written as strings and read from strings
 * or numbers; keys are lowerCamelCase; unknown fields are ignored.
 *
 * <p>Decoding rewrites the hex ids to base64 in one streaming pass and hands the result to
 * protobuf's JSON parser; encoding does the reverse. Self-contained so that exporters can use it
 * too.
 */
final class OtlpJson {
  private OtlpJson() {}

  /** Id fields and the byte length they must have when not empty. */
  private static final Map<String, Integer> ID_FIELDS = Map.of(
      "traceId", 16, "spanId", 8, "parentSpanId", 8,
      // snake_case is not OTLP/JSON, but protobuf's parser accepts it, so ids written that way are hex too
      "trace_id", 16, "span_id", 8, "parent_span_id", 8);

  private static final JsonFactory JSON = JsonFactory.builder()
      .streamReadConstraints(StreamReadConstraints.builder()
          .maxStringLength(Integer.MAX_VALUE)
          .maxNestingDepth(200)
          .build())
      .build();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser().ignoringUnknownFields();
  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace().printingEnumsAsInts();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  public static ExportTraceServiceRequest decodeTraces(byte[] json) throws InvalidProtocolBufferException {
    return decodeTraces(json, 0, json.length);
  }

  public static ExportTraceServiceRequest decodeTraces(byte[] json, int offset, int length)
      throws InvalidProtocolBufferException {
    return merge(json, offset, length, ExportTraceServiceRequest.newBuilder()).build();
  }

  public static ExportMetricsServiceRequest decodeMetrics(byte[] json) throws InvalidProtocolBufferException {
    return decodeMetrics(json, 0, json.length);
  }

  public static ExportMetricsServiceRequest decodeMetrics(byte[] json, int offset, int length)
      throws InvalidProtocolBufferException {
    return merge(json, offset, length, ExportMetricsServiceRequest.newBuilder()).build();
  }

  public static ExportLogsServiceRequest decodeLogs(byte[] json) throws InvalidProtocolBufferException {
    return decodeLogs(json, 0, json.length);
  }

  public static ExportLogsServiceRequest decodeLogs(byte[] json, int offset, int length)
      throws InvalidProtocolBufferException {
    return merge(json, offset, length, ExportLogsServiceRequest.newBuilder()).build();
  }

  /**
   * Merges OTLP/JSON into any OTLP message builder.
   *
   * @throws InvalidProtocolBufferException when the text is not valid JSON, does not fit the
   *     message, or has an id that is not hex of the right length
   */
  public static <B extends Message.Builder> B merge(byte[] json, int offset, int length, B builder)
      throws InvalidProtocolBufferException {
    String protoJson;
    try {
      protoJson = rewriteIds(json, offset, length, true);
    } catch (IdException e) {
      throw new InvalidProtocolBufferException(e.getMessage());
    } catch (IOException e) {
      InvalidProtocolBufferException ipbe = new InvalidProtocolBufferException("invalid JSON: "
          + e.getMessage().replace('\n', ' '));
      ipbe.initCause(e);
      throw ipbe;
    }
    try {
      PARSER.merge(protoJson, builder);
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (RuntimeException e) {
      // protobuf's parser reports some shape errors (an array where an object belongs) unchecked
      InvalidProtocolBufferException ipbe = new InvalidProtocolBufferException("invalid OTLP/JSON: " + e.getMessage());
      ipbe.initCause(e);
      throw ipbe;
    }
    return builder;
  }

  /** The OTLP/JSON text of a message, as UTF-8. */
  public static byte[] encode(MessageOrBuilder message) {
    String protoJson;
    try {
      protoJson = PRINTER.print(message);
    } catch (InvalidProtocolBufferException e) {
      // only for Any fields whose types are unknown, which OTLP messages do not have
      throw new IllegalArgumentException("cannot print " + message.getDescriptorForType().getFullName(), e);
    }
    byte[] utf8 = protoJson.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    try {
      return rewriteIds(utf8, 0, utf8.length, false).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("rewriting ids in our own JSON failed", e);
    }
  }

  /** The OTLP/JSON text of a message. */
  public static String encodeToString(MessageOrBuilder message) {
    return new String(encode(message), java.nio.charset.StandardCharsets.UTF_8);
  }

  /**
   * Copies JSON token by token, turning the values of the id fields from hex to base64
   * ({@code toBase64}) or from base64 to hex.
   */
  private static String rewriteIds(byte[] json, int offset, int length, boolean toBase64) throws IOException {
    StringWriter out = new StringWriter(length + 16);
    try (JsonParser p = JSON.createParser(json, offset, length);
        JsonGenerator g = JSON.createGenerator(out)) {
      Integer idLength = null;
      String idName = null;
      JsonToken t;
      boolean rootDone = false;
      while ((t = p.nextToken()) != null) {
        if (rootDone) {
          throw new IOException("unexpected content after the end of the JSON value at " + location(p));
        }
        if (t == JsonToken.FIELD_NAME) {
          idName = p.currentName();
          idLength = ID_FIELDS.get(idName);
          g.writeFieldName(idName);
          continue;
        }
        if (idLength != null && t == JsonToken.VALUE_STRING) {
          String v = p.getText();
          g.writeString(toBase64 ? hexToBase64(idName, v, idLength) : base64ToHex(v));
        } else {
          g.copyCurrentEventExact(p);
        }
        idLength = null;
        rootDone = p.getParsingContext().inRoot();
      }
    }
    return out.toString();
  }

  private static String location(JsonParser p) {
    return "line " + p.currentLocation().getLineNr() + ", column " + p.currentLocation().getColumnNr();
  }

  private static String hexToBase64(String field, String hex, int bytes) throws IdException {
    if (hex.isEmpty()) {
      return "";
    }
    if (hex.length() != bytes * 2) {
      throw new IdException("\"" + field + "\" must be " + (bytes * 2) + " hex digits (" + bytes + " bytes), got "
          + hex.length() + " characters: \"" + abbreviate(hex) + "\"");
    }
    byte[] out = new byte[bytes];
    for (int i = 0; i < bytes; i++) {
      int hi = Character.digit(hex.charAt(2 * i), 16);
      int lo = Character.digit(hex.charAt(2 * i + 1), 16);
      if (hi < 0 || lo < 0) {
        throw new IdException("\"" + field + "\" is not hex: \"" + abbreviate(hex) + "\"");
      }
      out[i] = (byte) ((hi << 4) | lo);
    }
    return Base64.getEncoder().encodeToString(out);
  }

  private static String base64ToHex(String base64) {
    byte[] b = Base64.getDecoder().decode(base64);
    char[] out = new char[b.length * 2];
    for (int i = 0; i < b.length; i++) {
      out[2 * i] = HEX[(b[i] >> 4) & 0xf];
      out[2 * i + 1] = HEX[b[i] & 0xf];
    }
    return new String(out);
  }

  private static String abbreviate(String s) {
    return s.length() <= 40 ? s : s.substring(0, 40) + "...";
  }

  /** An id that is not hex of the right length. */
  private static final class IdException extends IOException {
    IdException(String message) {
      super(message);
    }
  }

}
