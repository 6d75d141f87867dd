package io.sluice.receiver.prometheus;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Byte-level scanning shared by the text 0.0.4 and OpenMetrics parsers. A parser works line by
 * line on the body array without copying it; strings are made only for names, label values and
 * HELP texts.
 */
abstract class ExpositionParser {
  private static final double[] POW10 = {
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22
  };

  final byte[] b;
  final int start;
  final int end;
  /** Current read position within the current line. */
  int pos;
  /** 1-based number of the current line. */
  int line;
  int lineStart;
  /** Index of the current line's '\n' (or of the body's end). */
  int lineEnd;

  private String[] labelNames = new String[16];
  private String[] labelValues = new String[16];
  private byte[] scratch = new byte[128];

  /** Decodes names and unescaped label values. */
  final StringCache strings;
  /** The series parts of sample lines seen before (kept with the strings). */
  final SeriesCache series;

  ExpositionParser(byte[] body, int offset, int length, StringCache strings) {
    this.strings = strings != null ? strings : new StringCache(1024);
    this.series = this.strings.series();
    if (offset < 0 || length < 0 || offset + length > body.length) {
      throw new IndexOutOfBoundsException("offset " + offset + ", length " + length);
    }
    this.b = body;
    this.start = offset;
    this.end = offset + length;
    this.pos = offset;
  }

  abstract List<MetricFamily> parse() throws ParseException;

  /** Moves to the next line (pos must be at its start); returns false at the end of the body. */
  final boolean nextLine() {
    if (pos >= end) {
      return false;
    }
    line++;
    lineStart = pos;
    int i = pos;
    while (i < end && b[i] != '\n') {
      i++;
    }
    lineEnd = i;
    return true;
  }

  final ParseException error(String problem) {
    return new ParseException(line, problem);
  }

  /** The byte at pos, or -1 at the end of the line. */
  final int peek() {
    return pos < lineEnd ? b[pos] & 0xff : -1;
  }

  /** Describes what is at pos, for error messages. */
  final String found() {
    return found(pos);
  }

  final String found(int p) {
    if (p >= lineEnd) {
      return "the end of the line";
    }
    int c = b[p] & 0xff;
    if (c >= 0x20 && c < 0x7f) {
      return "'" + (char) c + "'";
    }
    if (c >= 0x80) {
      int n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : 2;
      return "'" + new String(b, p, Math.min(n, lineEnd - p), StandardCharsets.UTF_8) + "'";
    }
    return String.format("byte 0x%02x", c);
  }

  /** Consumes {@code c}, or fails with "expected {prefix}{subject}{suffix}, found ...". */
  final void expect(char c, String prefix, String subject, String suffix) throws ParseException {
    if (peek() != c) {
      throw error("expected " + prefix + subject + suffix + ", found " + found());
    }
    pos++;
  }

  static boolean isNameStart(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
  }

  static boolean isNameChar(int c) {
    return isNameStart(c) || (c >= '0' && c <= '9');
  }

  static boolean isLabelNameStart(int c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
  }

  static boolean isLabelNameChar(int c) {
    return isLabelNameStart(c) || (c >= '0' && c <= '9');
  }

  final String ascii(int from, int to) {
    return new String(b, from, to - from, StandardCharsets.ISO_8859_1);
  }

  /** A name (ASCII by construction), through the cache. */
  final String name(int from, int to) {
    return strings.get(b, from, to);
  }

  /** Reads a metric name {@code [a-zA-Z_:][a-zA-Z0-9_:]*} at pos, or returns null. */
  final String metricName() {
    int s = pos;
    if (!isNameStart(peek())) {
      return null;
    }
    pos++;
    while (pos < lineEnd && isNameChar(b[pos])) {
      pos++;
    }
    return name(s, pos);
  }

  /** Reads a label name {@code [a-zA-Z_][a-zA-Z0-9_]*} at pos, or returns null. */
  final String labelName() {
    int s = pos;
    if (!isLabelNameStart(peek())) {
      return null;
    }
    pos++;
    while (pos < lineEnd && isLabelNameChar(b[pos])) {
      pos++;
    }
    return name(s, pos);
  }

  /**
   * Reads a double-quoted string at pos (which must be at the opening quote). Escapes {@code \\},
   * {@code \"} and {@code \n} are decoded; any other backslash is kept as written.
   */
  final String quoted(String what) throws ParseException {
    return quoted(what, "");
  }

  /** As {@link #quoted(String)}; the error message names {@code what + subject + "'"}. */
  final String quoted(String what, String subject) throws ParseException {
    pos++;
    int s = pos;
    boolean escaped = false;
    boolean nonAscii = false;
    while (true) {
      if (pos >= lineEnd) {
        throw error("unterminated " + what + (subject.isEmpty() ? "" : subject + "'")
            + ": missing closing '\"'");
      }
      byte c = b[pos];
      if (c == '"') {
        break;
      }
      if (c == '\\') {
        escaped = true;
        pos++;
      } else if (c < 0) {
        nonAscii = true;
      }
      pos++;
    }
    int e = pos;
    if (nonAscii) {
      requireUtf8(s, e, what + (subject.isEmpty() ? "" : subject + "'"));
    }
    pos++;
    return escaped ? unescape(s, e, true) : strings.get(b, s, e);
  }

  /** Fails unless {@code [s, e)} is well-formed UTF-8 (a Java String would hide bad bytes). */
  final void requireUtf8(int s, int e, String what) throws ParseException {
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b, s, e - s));
    } catch (CharacterCodingException ex) {
      throw error("invalid UTF-8 in the " + what);
    }
  }

  /** Decodes {@code \\}, {@code \n} and (if {@code quotes}) {@code \"}; keeps other backslashes. */
  final String unescape(int s, int e, boolean quotes) {
    if (scratch.length < e - s) {
      scratch = new byte[Math.max(e - s, scratch.length * 2)];
    }
    int n = 0;
    for (int i = s; i < e; i++) {
      byte c = b[i];
      if (c == '\\' && i + 1 < e) {
        byte d = b[i + 1];
        if (d == '\\' || d == 'n' || (quotes && d == '"')) {
          scratch[n++] = d == 'n' ? (byte) '\n' : d;
          i++;
          continue;
        }
      }
      scratch[n++] = c;
    }
    return new String(scratch, 0, n, StandardCharsets.UTF_8);
  }

  /** Collects one label pair; the caller builds the set with {@link #labels(int)}. */
  final void putLabel(int index, String name, String value) {
    if (index == labelNames.length) {
      labelNames = java.util.Arrays.copyOf(labelNames, index * 2);
      labelValues = java.util.Arrays.copyOf(labelValues, index * 2);
    }
    labelNames[index] = name;
    labelValues[index] = value;
  }

  /** The sorted set of the first {@code count} collected pairs; duplicate names are an error. */
  final Labels labels(int count) throws ParseException {
    Labels labels = Labels.sortedCopy(labelNames, labelValues, count);
    String dup = labels.duplicateName();
    if (dup != null) {
      throw error("label '" + dup + "' appears twice");
    }
    return labels;
  }

  /**
   * Parses the number in {@code [s, e)}: plain decimals take an exact fast path, everything else
   * goes through {@link Double#parseDouble} after checking the syntax. NaN and infinities
   * ({@code Inf}, {@code Infinity}, any case, signed except NaN) are accepted when
   * {@code allowSpecial}; hexadecimal floats only when {@code allowHex}. Returns
   * {@link Double#NaN} with {@link #numberError} set when invalid (check it).
   */
  final double number(int s, int e, boolean allowSpecial, boolean allowHex) {
    numberError = false;
    int i = s;
    if (i >= e) {
      numberError = true;
      return Double.NaN;
    }
    boolean negative = false;
    if (b[i] == '-' || b[i] == '+') {
      negative = b[i] == '-';
      i++;
    }
    long mantissa = 0;
    int digits = 0;
    int fraction = 0;
    boolean anyDigit = false;
    boolean dot = false;
    boolean slow = false;
    for (; i < e; i++) {
      int c = b[i];
      if (c >= '0' && c <= '9') {
        anyDigit = true;
        if (mantissa == 0 && c == '0') {
          if (dot) {
            fraction++;
          }
        } else if (digits < 15) {
          mantissa = mantissa * 10 + (c - '0');
          digits++;
          if (dot) {
            fraction++;
          }
        } else {
          slow = true;
        }
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
    }
    if (anyDigit && !slow) {
      int exponent = 0;
      boolean ok = true;
      if (i < e) {
        if (b[i] != 'e' && b[i] != 'E') {
          ok = false;
        } else {
          i++;
          boolean expNegative = false;
          if (i < e && (b[i] == '-' || b[i] == '+')) {
            expNegative = b[i] == '-';
            i++;
          }
          if (i == e) {
            numberError = true;
            return Double.NaN;
          }
          for (; i < e; i++) {
            int c = b[i];
            if (c < '0' || c > '9') {
              numberError = true;
              return Double.NaN;
            }
            if (exponent < 10_000) {
              exponent = exponent * 10 + (c - '0');
            }
          }
          if (expNegative) {
            exponent = -exponent;
          }
        }
      }
      if (ok) {
        int p = exponent - fraction;
        double v;
        if (mantissa == 0) {
          v = 0.0;
        } else if (p >= 0 && p <= 22) {
          v = mantissa * POW10[p];
        } else if (p < 0 && p >= -22) {
          v = mantissa / POW10[-p];
        } else {
          return slowNumber(s, e, allowSpecial, allowHex);
        }
        return negative ? -v : v;
      }
    }
    return slowNumber(s, e, allowSpecial, allowHex);
  }

  /** Set by {@link #number} when the text was not a number. */
  boolean numberError;

  private double slowNumber(int s, int e, boolean allowSpecial, boolean allowHex) {
    int i = s;
    boolean signed = b[i] == '-' || b[i] == '+';
    boolean negative = b[i] == '-';
    if (signed) {
      i++;
    }
    if (allowSpecial) {
      if (!signed && equalsIgnoreCase(i, e, "nan")) {
        return Double.NaN;
      }
      if (equalsIgnoreCase(i, e, "inf") || equalsIgnoreCase(i, e, "infinity")) {
        return negative ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      }
    }
    if (allowHex && e - i > 2 && b[i] == '0' && (b[i + 1] == 'x' || b[i + 1] == 'X')) {
      for (int k = i + 2; k < e; k++) {
        int c = b[k];
        boolean hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
        if (!hex && c != '.' && c != 'p' && c != 'P' && c != '+' && c != '-') {
          numberError = true;
          return Double.NaN;
        }
      }
      int last = b[e - 1];
      if (last < '0' || last > '9') { // Java would take a trailing d/f as a type suffix
        numberError = true;
        return Double.NaN;
      }
      return parseJava(s, e);
    }
    // strict decimal: (\d+\.?\d*|\.\d+)([eE][+-]?\d+)?
    int digitsBefore = 0;
    while (i < e && b[i] >= '0' && b[i] <= '9') {
      i++;
      digitsBefore++;
    }
    int digitsAfter = 0;
    if (i < e && b[i] == '.') {
      i++;
      while (i < e && b[i] >= '0' && b[i] <= '9') {
        i++;
        digitsAfter++;
      }
    }
    if (digitsBefore + digitsAfter == 0) {
      numberError = true;
      return Double.NaN;
    }
    if (i < e && (b[i] == 'e' || b[i] == 'E')) {
      i++;
      if (i < e && (b[i] == '-' || b[i] == '+')) {
        i++;
      }
      int expDigits = 0;
      while (i < e && b[i] >= '0' && b[i] <= '9') {
        i++;
        expDigits++;
      }
      if (expDigits == 0) {
        numberError = true;
        return Double.NaN;
      }
    }
    if (i != e) {
      numberError = true;
      return Double.NaN;
    }
    return parseJava(s, e);
  }

  private double parseJava(int s, int e) {
    try {
      return Double.parseDouble(ascii(s, e));
    } catch (NumberFormatException ex) {
      numberError = true;
      return Double.NaN;
    }
  }

  private boolean equalsIgnoreCase(int s, int e, String word) {
    if (e - s != word.length()) {
      return false;
    }
    for (int k = 0; k < word.length(); k++) {
      int c = b[s + k];
      if (c >= 'A' && c <= 'Z') {
        c += 'a' - 'A';
      }
      if (c != word.charAt(k)) {
        return false;
      }
    }
    return true;
  }

  /** Parses a label value such as {@code le} or {@code quantile} as a float; NaN when invalid. */
  static double labelNumber(String text) {
    if (text.equals("+Inf")) {
      return Double.POSITIVE_INFINITY;
    }
    if (text.equals("-Inf")) {
      return Double.NEGATIVE_INFINITY;
    }
    int i = 0;
    int n = text.length();
    if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
      i++;
    }
    int digits = 0;
    boolean dot = false;
    for (; i < n; i++) {
      char c = text.charAt(i);
      if (c >= '0' && c <= '9') {
        digits++;
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
    }
    if (digits == 0) {
      return Double.NaN;
    }
    if (i < n && (text.charAt(i) == 'e' || text.charAt(i) == 'E')) {
      i++;
      if (i < n && (text.charAt(i) == '+' || text.charAt(i) == '-')) {
        i++;
      }
      int expDigits = 0;
      while (i < n && text.charAt(i) >= '0' && text.charAt(i) <= '9') {
        i++;
        expDigits++;
      }
      if (expDigits == 0) {
        return Double.NaN;
      }
    }
    if (i != n) {
      return Double.NaN;
    }
    return Double.parseDouble(text);
  }
}
