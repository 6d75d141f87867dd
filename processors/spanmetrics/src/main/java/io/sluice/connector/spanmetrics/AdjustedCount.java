package io.sluice.connector.spanmetrics;

import java.util.SplittableRandom;

/**
 * How many spans one sampled span stands for, from the sampling threshold in its W3C tracestate
 * (OpenTelemetry's consistent probability sampling): a span kept with threshold {@code th} was
 * kept with probability {@code (2^56 - T) / 2^56}, where {@code T} is {@code th}'s hex digits
 * padded with zeros to 14, so it counts as {@code 2^56 / (2^56 - T)} spans. A fraction is rounded
 * up or down at random, with the probability that keeps the expected count exact. A span with no
 * threshold, or a tracestate that does not parse, counts as 1 and is not "adjusted".
 *
 * <p>Not thread-safe: one per owner (it keeps the random source and the last tracestate parsed,
 * since the spans of one trace share theirs).
 */
final class AdjustedCount {
  static final long MAX_ADJUSTED_COUNT = 1L << 56;
  private static final int MAX_TRACESTATE_MEMBERS = 32;

  private final SplittableRandom random;
  private String lastTraceState = "";
  private long lastNumerator;
  private long lastDenominator;
  private boolean lastAdjusted;

  AdjustedCount(long seed) {
    this.random = new SplittableRandom(seed);
  }

  /** The count of a span with this tracestate; {@link #adjusted()} tells whether a threshold set it. */
  long count(String traceState) {
    if (traceState.isEmpty()) {
      lastAdjusted = false;
      return 1;
    }
    if (!traceState.equals(lastTraceState)) {
      lastTraceState = traceState;
      long threshold = threshold(traceState);
      if (threshold < 0) {
        lastDenominator = 0;
      } else {
        lastNumerator = MAX_ADJUSTED_COUNT;
        lastDenominator = MAX_ADJUSTED_COUNT - threshold;
      }
    }
    if (lastDenominator == 0) {
      lastAdjusted = false;
      return 1;
    }
    lastAdjusted = true;
    long quotient = lastNumerator / lastDenominator;
    long remainder = lastNumerator % lastDenominator;
    if (remainder != 0 && random.nextLong(lastDenominator) < remainder) {
      quotient++;
    }
    return quotient;
  }

  /** Whether the last {@link #count} came from a sampling threshold. */
  boolean adjusted() {
    return lastAdjusted;
  }

  /**
   * The 56-bit threshold of the {@code th} field of the tracestate's {@code ot} member; -1 when
   * there is none or the tracestate or its {@code ot} value is malformed.
   */
  static long threshold(String traceState) {
    String ot = null;
    int members = 0;
    int start = 0;
    while (start <= traceState.length()) {
      int comma = traceState.indexOf(',', start);
      int end = comma < 0 ? traceState.length() : comma;
      String member = traceState.substring(start, end).strip();
      if (!member.isEmpty()) {
        if (++members > MAX_TRACESTATE_MEMBERS) {
          return -1;
        }
        int eq = member.indexOf('=');
        if (eq <= 0 || eq == member.length() - 1) {
          return -1;
        }
        if (member.startsWith("ot=")) {
          if (ot != null) {
            return -1; // a key may appear once
          }
          ot = member.substring(3);
        }
      }
      if (comma < 0) {
        break;
      }
      start = comma + 1;
    }
    if (ot == null) {
      return -1;
    }
    long threshold = -1;
    for (String field : ot.split(";", -1)) {
      int colon = field.indexOf(':');
      if (colon <= 0 || !validKey(field, colon) || !validValue(field, colon + 1)) {
        return -1;
      }
      String key = field.substring(0, colon);
      String value = field.substring(colon + 1);
      if (key.equals("th")) {
        if (value.isEmpty() || value.length() > 14 || !hex(value)) {
          return -1;
        }
        threshold = Long.parseLong(value, 16) << (4 * (14 - value.length()));
      } else if (key.equals("rv") && (value.length() != 14 || !hex(value))) {
        return -1;
      }
    }
    return threshold;
  }

  private static boolean validKey(String field, int end) {
    char first = field.charAt(0);
    if (first < 'a' || first > 'z') {
      return false;
    }
    for (int i = 1; i < end; i++) {
      char c = field.charAt(i);
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }

  private static boolean validValue(String field, int from) {
    for (int i = from; i < field.length(); i++) {
      char c = field.charAt(i);
      if (!(Character.isLetterOrDigit(c) && c < 128) && c != '.' && c != '_' && c != '-') {
        return false;
      }
    }
    return true;
  }

  private static boolean hex(String s) {
    for (int i = 0; i < s.length(); i++) {
      if (Character.digit(s.charAt(i), 16) < 0) {
        return false;
      }
    }
    return true;
  }
}
