package io.sluice.processor.attributes;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.sluice.core.otlp.AnyValues;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
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

  /** The lower-case hex SHA-256 of the value's string form, as a string value. */
  static AnyValue hash(AnyValue v) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return string(HEX.formatHex(sha.digest(AnyValues.asString(v).getBytes(StandardCharsets.UTF_8))));
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
        b.setStringValue(AnyValues.asString(v));
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
}
