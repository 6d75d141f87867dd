package io.sluice.core.config;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Duration;

/**
 * Durations written the way Go (and so the Collector's config) writes them: a sequence of
 * decimal numbers with units, such as {@code 5s}, {@code 200ms}, {@code 1m30s}, {@code 1.5h}
 * or {@code 500us}. Units are {@code ns}, {@code us} (or {@code µs}), {@code ms}, {@code s},
 * {@code m} and {@code h}; a lone {@code 0} needs no unit. Prometheus' longer units are taken
 * too, since scrape configs copied from Prometheus use them: {@code d} (24h), {@code w} (7d) and
 * {@code y} (365d), as in {@code 1d12h}.
 */
public final class GoDurations {
  private static final BigInteger MAX_NANOS = BigInteger.valueOf(Long.MAX_VALUE);
  private static final String UNITS = "ns, us, ms, s, m, h, d, w or y";

  private GoDurations() {}

  /**
   * Parses a Go duration.
   *
   * @throws IllegalArgumentException saying what is wrong with {@code text}
   */
  public static Duration parse(String text) {
    String s = text == null ? "" : text.trim();
    if (s.isEmpty()) {
      throw new IllegalArgumentException("empty duration");
    }
    int i = 0;
    boolean negative = false;
    if (s.charAt(0) == '-' || s.charAt(0) == '+') {
      negative = s.charAt(0) == '-';
      i++;
    }
    if (s.substring(i).equals("0")) {
      return Duration.ZERO;
    }
    if (i == s.length()) {
      throw new IllegalArgumentException("no number after the sign");
    }
    BigDecimal total = BigDecimal.ZERO;
    while (i < s.length()) {
      int numStart = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      String number = s.substring(numStart, i);
      if (number.isEmpty() || number.equals(".") || number.indexOf('.') != number.lastIndexOf('.')) {
        throw new IllegalArgumentException(number.isEmpty()
            ? "expected a number at \"" + s.substring(numStart) + "\""
            : "\"" + number + "\" is not a number");
      }
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      String unit = s.substring(unitStart, i);
      if (unit.isEmpty()) {
        throw new IllegalArgumentException("missing unit after \"" + number + "\"; use " + UNITS);
      }
      long unitNanos = unitNanos(unit);
      total = total.add(new BigDecimal(number.startsWith(".") ? "0" + number : number)
          .multiply(BigDecimal.valueOf(unitNanos)));
    }
    BigInteger nanos = total.toBigInteger();
    if (nanos.compareTo(MAX_NANOS) > 0) {
      throw new IllegalArgumentException("too long: the longest duration is about 292 years");
    }
    long n = nanos.longValue();
    return Duration.ofNanos(negative ? -n : n);
  }

  private static long unitNanos(String unit) {
    return switch (unit) {
      case "ns" -> 1L;
      case "us", "µs", "μs" -> 1_000L;
      case "ms" -> 1_000_000L;
      case "s" -> 1_000_000_000L;
      case "m" -> 60_000_000_000L;
      case "h" -> 3_600_000_000_000L;
      case "d" -> 86_400_000_000_000L;
      case "w" -> 7 * 86_400_000_000_000L;
      case "y" -> 365 * 86_400_000_000_000L;
      default -> throw new IllegalArgumentException("unknown unit \"" + unit + "\"; use " + UNITS);
    };
  }

  /**
   * Formats a duration as Go does: {@code 0s}, {@code 200ms}, {@code 1.5s}, {@code 1m30s},
   * {@code 2h0m0s}, {@code 500µs}.
   */
  public static String format(Duration d) {
    if (d.isZero()) {
      return "0s";
    }
    boolean negative = d.isNegative();
    Duration abs = d.abs();
    StringBuilder sb = new StringBuilder(negative ? "-" : "");
    long seconds = abs.getSeconds();
    int nanos = abs.getNano();
    if (seconds == 0) {
      if (nanos < 1_000) {
        return sb.append(nanos).append("ns").toString();
      } else if (nanos < 1_000_000) {
        return sb.append(fraction(nanos, 1_000)).append("µs").toString();
      }
      return sb.append(fraction(nanos, 1_000_000)).append("ms").toString();
    }
    long hours = seconds / 3600;
    long minutes = (seconds % 3600) / 60;
    long secs = seconds % 60;
    if (hours > 0) {
      sb.append(hours).append('h');
    }
    if (hours > 0 || minutes > 0) {
      sb.append(minutes).append('m');
    }
    sb.append(fraction(secs * 1_000_000_000L + nanos, 1_000_000_000L)).append('s');
    return sb.toString();
  }

  /** {@code value / unit} in decimal, without trailing zeros: 1500/1000 is "1.5". */
  private static String fraction(long value, long unit) {
    long whole = value / unit;
    long rest = value % unit;
    if (rest == 0) {
      return Long.toString(whole);
    }
    String digits = Long.toString(unit + rest).substring(1);
    int end = digits.length();
    while (digits.charAt(end - 1) == '0') {
      end--;
    }
    return whole + "." + digits.substring(0, end);
  }
}
