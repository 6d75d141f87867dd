package io.sluice.processor.attributes;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Attribute values: made from YAML values, written as strings, hashed and converted. */
final class Values {
  private static final HexFormat HEX = HexFormat.of();

  private Values() {}

  /** The attribute value of a YAML value as the config binder gives it (checked by validate()). */
  static AnyValue fromYaml(Object v) {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v instanceof String s) {
      b.setStringValue(s);
    } else if (v instanceof Boolean bool) {
      b.setBoolValue(bool);
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte
        || v instanceof BigInteger) {
      b.setIntValue(((Number) v).longValue());
    } else if (v instanceof Double || v instanceof Float || v instanceof BigDecimal) {
      b.setDoubleValue(((Number) v).doubleValue());
    } else if (v instanceof List<?> l) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      for (Object item : l) {
        a.addValues(fromYaml(item));
      }
      b.setArrayValue(a);
    } else if (v instanceof Map<?, ?> m) {
      KeyValueList.Builder kv = KeyValueList.newBuilder();
      for (Map.Entry<?, ?> e : m.entrySet()) {
        kv.addValues(KeyValue.newBuilder().setKey(String.valueOf(e.getKey()))
            .setValue(e.getValue() == null ? AnyValue.getDefaultInstance() : fromYaml(e.getValue())));
      }
      b.setKvlistValue(kv);
    } else if (v != null) {
      throw new IllegalArgumentException("unsupported attribute value " + v);
    }
    return b.build();
  }

  static AnyValue string(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  /**
   * The string form of a value: strings as they are, integers in decimal, doubles in their
   * shortest plain decimal form ({@code NaN}, {@code +Inf}, {@code -Inf}), booleans as
   * {@code true}/{@code false}, bytes in base64, arrays and maps as JSON; an empty value is "".
   */
  static String asString(AnyValue v) {
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
      case STRING_VALUE_STRINDEX, VALUE_NOT_SET -> "";
    };
  }

  static String formatDouble(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    } else if (Double.isInfinite(d)) {
      return d > 0 ? "+Inf" : "-Inf";
    } else if (d == 0) {
      return "0";
    }
    return BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
  }

  /** The lower-case hex SHA-256 of the value's string form, as a string value. */
  static AnyValue hash(AnyValue v) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return string(HEX.formatHex(sha.digest(asString(v).getBytes(StandardCharsets.UTF_8))));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is missing from this JVM", e);
    }
  }

  /**
   * {@code v} converted to {@code type} (int, double or string); null when it cannot be. A string
   * converts to a number when it is written as one, a double to an int by truncation, a boolean
   * to 1 or 0.
   */
  static AnyValue convert(AnyValue v, String type) {
    AnyValue.Builder b = AnyValue.newBuilder();
    switch (type) {
      case "int" -> {
        switch (v.getValueCase()) {
          case INT_VALUE -> {
            return v;
          }
          case DOUBLE_VALUE -> {
            double d = v.getDoubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
              return null;
            }
            b.setIntValue((long) d);
          }
          case BOOL_VALUE -> b.setIntValue(v.getBoolValue() ? 1 : 0);
          case STRING_VALUE -> {
            try {
              b.setIntValue(Long.parseLong(v.getStringValue()));
            } catch (NumberFormatException e) {
              return null;
            }
          }
          default -> {
            return null;
          }
        }
      }
      case "double" -> {
        switch (v.getValueCase()) {
          case DOUBLE_VALUE -> {
            return v;
          }
          case INT_VALUE -> b.setDoubleValue(v.getIntValue());
          case BOOL_VALUE -> b.setDoubleValue(v.getBoolValue() ? 1 : 0);
          case STRING_VALUE -> {
            Double d = parseDouble(v.getStringValue());
            if (d == null) {
              return null;
            }
            b.setDoubleValue(d);
          }
          default -> {
            return null;
          }
        }
      }
      case "string" -> {
        if (v.getValueCase() == AnyValue.ValueCase.STRING_VALUE) {
          return v;
        }
        b.setStringValue(asString(v));
      }
      default -> throw new IllegalArgumentException("unknown converted type " + type);
    }
    return b.build();
  }

  /** A decimal or scientific number, {@code NaN}, or an infinity ({@code Inf}, {@code +Infinity}); else null. */
  static Double parseDouble(String s) {
    String t = s.startsWith("+") || s.startsWith("-") ? s.substring(1) : s;
    if (t.equalsIgnoreCase("inf") || t.equalsIgnoreCase("infinity")) {
      return s.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    } else if (t.equalsIgnoreCase("nan")) {
      return Double.NaN;
    }
    if (t.isEmpty()) {
      return null;
    }
    // Only digits, one point and an exponent: Java would also take "1d", "0x1p3" and spaces.
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (!(c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-')) {
        return null;
      }
    }
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return null;
    }
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

  private static void jsonString(String s, StringBuilder sb) {
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
