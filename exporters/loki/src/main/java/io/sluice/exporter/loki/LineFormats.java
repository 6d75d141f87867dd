package io.sluice.exporter.loki;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.otlp.AnyValues;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.util.Base64;
import java.util.Set;

/**
 * The {@code json} and {@code logfmt} lines, as the Collector's Loki exporter writes them.
 *
 * <p>{@code json}: {@code {"body":…,"traceid":…,"spanid":…,"severity":…,"attributes":{…},"resources":{…}}},
 * keys with nothing to say left out. {@code logfmt}: {@code msg=… traceID=… spanID=… severity=…}
 * then {@code attribute_<name>=…} and {@code resource_<name>=…}, values quoted when they hold
 * spaces, quotes or '='.
 */
final class LineFormats {
  private static final JsonFactory JSON = new JsonFactory();
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private LineFormats() {}

  static String hex(byte[] b) {
    char[] c = new char[b.length * 2];
    for (int i = 0; i < b.length; i++) {
      c[2 * i] = HEX[(b[i] >> 4) & 0xf];
      c[2 * i + 1] = HEX[b[i] & 0xf];
    }
    return new String(c);
  }

  /** The line of a record in {@code format} ({@code json} or {@code logfmt}), leaving out attributes made labels. */
  static String line(String format, LogRecord r, Resource resource, Set<String> labelledAttrs,
      Set<String> labelledResource) {
    return format.equals("logfmt") ? logfmt(r, resource, labelledAttrs, labelledResource)
        : jsonLine(r, resource, labelledAttrs, labelledResource);
  }

  private static String jsonLine(LogRecord r, Resource resource, Set<String> labelledAttrs,
      Set<String> labelledResource) {
    StringWriter w = new StringWriter(128);
    try (JsonGenerator g = JSON.createGenerator(w)) {
      g.writeStartObject();
      if (r.hasBody()) {
        g.writeFieldName("body");
        write(g, r.getBody());
      }
      if (!r.getTraceId().isEmpty()) {
        g.writeStringField("traceid", hex(r.getTraceId().toByteArray()));
      }
      if (!r.getSpanId().isEmpty()) {
        g.writeStringField("spanid", hex(r.getSpanId().toByteArray()));
      }
      if (!r.getSeverityText().isEmpty()) {
        g.writeStringField("severity", r.getSeverityText());
      }
      writeAttributes(g, "attributes", r.getAttributesList(), labelledAttrs);
      writeAttributes(g, "resources", resource.getAttributesList(), labelledResource);
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return w.toString();
  }

  private static void writeAttributes(JsonGenerator g, String field, java.util.List<KeyValue> attrs,
      Set<String> skip) throws IOException {
    boolean open = false;
    for (KeyValue kv : attrs) {
      if (skip.contains(kv.getKey()) || LokiLabels.isHint(kv.getKey())) {
        continue;
      }
      if (!open) {
        g.writeObjectFieldStart(field);
        open = true;
      }
      g.writeFieldName(kv.getKey());
      write(g, kv.getValue());
    }
    if (open) {
      g.writeEndObject();
    }
  }

  private static String logfmt(LogRecord r, Resource resource, Set<String> labelledAttrs,
      Set<String> labelledResource) {
    StringBuilder sb = new StringBuilder(128);
    if (r.hasBody()) {
      pair(sb, "msg", LokiLabels.text(r.getBody()));
    }
    if (!r.getTraceId().isEmpty()) {
      pair(sb, "traceID", hex(r.getTraceId().toByteArray()));
    }
    if (!r.getSpanId().isEmpty()) {
      pair(sb, "spanID", hex(r.getSpanId().toByteArray()));
    }
    if (!r.getSeverityText().isEmpty()) {
      pair(sb, "severity", r.getSeverityText());
    }
    for (KeyValue kv : r.getAttributesList()) {
      if (!labelledAttrs.contains(kv.getKey()) && !LokiLabels.isHint(kv.getKey())) {
        pair(sb, "attribute_" + kv.getKey(), LokiLabels.text(kv.getValue()));
      }
    }
    for (KeyValue kv : resource.getAttributesList()) {
      if (!labelledResource.contains(kv.getKey()) && !LokiLabels.isHint(kv.getKey())) {
        pair(sb, "resource_" + kv.getKey(), LokiLabels.text(kv.getValue()));
      }
    }
    return sb.toString();
  }

  private static void pair(StringBuilder sb, String key, String value) {
    if (!sb.isEmpty()) {
      sb.append(' ');
    }
    sb.append(key).append('=');
    boolean quote = value.isEmpty();
    for (int i = 0; i < value.length() && !quote; i++) {
      char c = value.charAt(i);
      quote = c <= ' ' || c == '"' || c == '=' || c == '\\';
    }
    if (!quote) {
      sb.append(value);
      return;
    }
    AnyValues.jsonString(value, sb); // quoted and escaped as logfmt readers unquote it
  }

  private static void write(JsonGenerator g, AnyValue v) throws IOException {
    switch (v.getValueCase()) {
      case STRING_VALUE -> g.writeString(v.getStringValue());
      case BOOL_VALUE -> g.writeBoolean(v.getBoolValue());
      case INT_VALUE -> g.writeNumber(v.getIntValue());
      case DOUBLE_VALUE -> g.writeNumber(v.getDoubleValue());
      case BYTES_VALUE -> g.writeString(Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray()));
      case ARRAY_VALUE -> {
        g.writeStartArray();
        for (AnyValue x : v.getArrayValue().getValuesList()) {
          write(g, x);
        }
        g.writeEndArray();
      }
      case KVLIST_VALUE -> {
        g.writeStartObject();
        for (KeyValue kv : v.getKvlistValue().getValuesList()) {
          g.writeFieldName(kv.getKey());
          write(g, kv.getValue());
        }
        g.writeEndObject();
      }
      default -> g.writeNull();
    }
  }
}
