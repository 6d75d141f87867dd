package io.sluice.core.otlp;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;

/**
 * OTLP attribute values as strings, the way the OpenTelemetry data model turns them into text
 * (and so the way the Prometheus translation turns them into label values): strings as they are,
 * integers in decimal, booleans as {@code true}/{@code false}, doubles in their shortest plain
 * decimal form ({@code 10000000000}, {@code 0.1}, {@code NaN}, {@code +Inf}), bytes in base64,
 * arrays and maps as JSON with map keys sorted. Processors that match on values and exporters
 * that write them use this one form, so a rule sees what ends up at the backend.
 */
public final class AnyValues {
  private AnyValues() {}

  /** The string form of {@code v}; "" for an empty value. */
  public static String asString(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> v.getBoolValue() ? "true" : "false";
      case INT_VALUE -> Long.toString(v.getIntValue());
      case DOUBLE_VALUE -> formatDouble(v.getDoubleValue());
      case BYTES_VALUE -> Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
      case ARRAY_VALUE, KVLIST_VALUE -> {
        StringBuilder sb = new StringBuilder();
        json(v, sb);
        yield sb.toString();
      }
      // A string-table index only means something inside a profiles dictionary.
      case STRING_VALUE_STRINDEX, VALUE_NOT_SET -> "";
    };
  }

  /** The shortest plain decimal form of {@code d}; {@code NaN}, {@code +Inf}, {@code -Inf}. */
  public static String formatDouble(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    } else if (Double.isInfinite(d)) {
      return d > 0 ? "+Inf" : "-Inf";
    } else if (d == 0) {
      return "0";
    }
    return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
  }

  private static void json(AnyValue v, StringBuilder sb) {
    switch (v.getValueCase()) {
      case STRING_VALUE -> jsonString(v.getStringValue(), sb);
      case BOOL_VALUE, INT_VALUE -> sb.append(asString(v));
      case DOUBLE_VALUE -> {
        double d = v.getDoubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          jsonString(formatDouble(d), sb);
        } else {
          sb.append(formatDouble(d));
        }
      }
      case BYTES_VALUE -> jsonString(asString(v), sb);
      case ARRAY_VALUE -> {
        sb.append('[');
        List<AnyValue> values = v.getArrayValue().getValuesList();
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          json(values.get(i), sb);
        }
        sb.append(']');
      }
      case KVLIST_VALUE -> {
        List<KeyValue> kvs = new ArrayList<>(v.getKvlistValue().getValuesList());
        kvs.sort(Comparator.comparing(KeyValue::getKey));
        sb.append('{');
        for (int i = 0; i < kvs.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          jsonString(kvs.get(i).getKey(), sb);
          sb.append(':');
          json(kvs.get(i).getValue(), sb);
        }
        sb.append('}');
      }
      case STRING_VALUE_STRINDEX, VALUE_NOT_SET -> sb.append("null");
    }
  }

  /** Appends {@code s} as a JSON string literal, quoted and escaped. */
  public static void jsonString(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
