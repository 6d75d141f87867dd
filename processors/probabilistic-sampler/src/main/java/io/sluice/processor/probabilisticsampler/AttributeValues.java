package io.sluice.processor.probabilisticsampler;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * How the sampler reads attribute values: a span's {@code sampling.priority}, and the bytes of a
 * log record attribute that {@code hash_seed} mode hashes. The bytes are those the Collector
 * hashes, so that both decide alike: a string's UTF-8, a byte array as it is, and other values as
 * the Collector turns them into text (decimal integers, {@code true}/{@code false}, doubles in the
 * form JavaScript prints numbers, arrays and maps as JSON with sorted keys).
 */
final class AttributeValues {
  private AttributeValues() {}

  /** The priority a span's {@code sampling.priority} gives: 0 drops, a positive number keeps, anything else defers. */
  static int spanPriority(double v) {
    if (v == 0) {
      return Sampler.PRIORITY_ZERO;
    }
    return v > 0 ? Sampler.PRIORITY_POSITIVE : Sampler.PRIORITY_NONE;
  }

  static int spanPriority(long v) {
    return v == 0 ? Sampler.PRIORITY_ZERO : v > 0 ? Sampler.PRIORITY_POSITIVE : Sampler.PRIORITY_NONE;
  }

  /** A string {@code sampling.priority}, read as a number when it is one. */
  static int spanPriority(String s) {
    return spanPriority(parseNumber(s));
  }

  static int spanPriority(AnyValue v) {
    return switch (v.getValueCase()) {
      case INT_VALUE -> spanPriority(v.getIntValue());
      case DOUBLE_VALUE -> spanPriority(v.getDoubleValue());
      case STRING_VALUE -> spanPriority(v.getStringValue());
      default -> Sampler.PRIORITY_NONE;
    };
  }

  /** A log record's {@code sampling_priority} percentage: its number, or NaN when it is not an int or a double. */
  static double percentage(AnyValue v) {
    return switch (v.getValueCase()) {
      case INT_VALUE -> (double) v.getIntValue();
      case DOUBLE_VALUE -> v.getDoubleValue();
      default -> Double.NaN;
    };
  }

  /**
   * A number in the syntax of Go's {@code strconv.ParseFloat}: decimal or hex with a {@code p}
   * exponent, an optional sign, {@code inf}, {@code infinity} and {@code nan} in any case, no
   * blanks, no type suffix. NaN when it is none, or too large for a double.
   */
  static double parseNumber(String s) {
    if (s.isEmpty()) {
      return Double.NaN;
    }
    String lower = s.toLowerCase(Locale.ROOT);
    String unsigned = lower.charAt(0) == '+' || lower.charAt(0) == '-' ? lower.substring(1) : lower;
    if (unsigned.equals("inf") || unsigned.equals("infinity")) {
      return lower.charAt(0) == '-' ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
    }
    char last = lower.charAt(lower.length() - 1);
    if (last == 'f' || last == 'd' || lower.indexOf('_') >= 0 || unsigned.startsWith("infinity")) {
      return Double.NaN;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) <= ' ') {
        return Double.NaN;
      }
    }
    try {
      double d = Double.parseDouble(s);
      return Double.isInfinite(d) ? Double.NaN : d;
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** The bytes {@code hash_seed} mode hashes for a log record attribute; empty for an empty value. */
  static byte[] hashBytes(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValueBytes().toByteArray();
      case BYTES_VALUE -> v.getBytesValue().toByteArray();
      default -> text(v).getBytes(StandardCharsets.UTF_8);
    };
  }

  /** A value as the Collector turns it into text; "" for an empty value. */
  static String text(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> v.getStringValue();
      case BOOL_VALUE -> Boolean.toString(v.getBoolValue());
      case INT_VALUE -> Long.toString(v.getIntValue());
      case DOUBLE_VALUE -> {
        double d = v.getDoubleValue();
        yield Double.isNaN(d) || Double.isInfinite(d) ? "json: unsupported value: " + goSpecial(d) : number(d);
      }
      case BYTES_VALUE -> Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
      case ARRAY_VALUE, KVLIST_VALUE -> {
        // The Collector's JSON of a value holding NaN or an infinity fails, leaving no text.
        StringBuilder sb = new StringBuilder();
        yield json(v, sb) ? sb.toString() : "";
      }
      default -> "";
    };
  }

  private static String goSpecial(double d) {
    return Double.isNaN(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf";
  }

  /**
   * A finite double as JavaScript prints it: plain decimal from 1e-6 to below 1e21, else
   * exponent form ({@code 1e+21}, {@code 1.5e-7}), shortest digits either way.
   */
  static String number(double d) {
    if (d == 0) {
      return (1 / d) < 0 ? "-0" : "0";
    }
    double abs = Math.abs(d);
    BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    if (abs >= 1e-6 && abs < 1e21) {
      return exact.toPlainString();
    }
    String digits = exact.unscaledValue().abs().toString();
    int exponent = digits.length() - 1 - exact.scale();
    StringBuilder sb = new StringBuilder();
    if (d < 0) {
      sb.append('-');
    }
    sb.append(digits.charAt(0));
    if (digits.length() > 1) {
      sb.append('.').append(digits, 1, digits.length());
    }
    return sb.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent)).toString();
  }

  /** Appends {@code v} as JSON; false when it holds NaN or an infinity, which JSON cannot carry. */
  private static boolean json(AnyValue v, StringBuilder sb) {
    switch (v.getValueCase()) {
      case STRING_VALUE -> jsonString(v.getStringValue(), sb);
      case BOOL_VALUE, INT_VALUE -> sb.append(text(v));
      case DOUBLE_VALUE -> {
        double d = v.getDoubleValue();
        if (Double.isNaN(d) || Double.isInfinite(d)) {
          return false;
        }
        sb.append(number(d));
      }
      case BYTES_VALUE -> jsonString(text(v), sb);
      case ARRAY_VALUE -> {
        sb.append('[');
        List<AnyValue> values = v.getArrayValue().getValuesList();
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          if (!json(values.get(i), sb)) {
            return false;
          }
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
          if (!json(kvs.get(i).getValue(), sb)) {
            return false;
          }
        }
        sb.append('}');
      }
      default -> sb.append("null");
    }
    return true;
  }

  /** A JSON string as Go writes it: HTML characters and line separators escaped too. */
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
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
            sb.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
