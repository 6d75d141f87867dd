package io.sluice.translation.prometheus.otlp;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How Sluice names OTLP metrics and attributes in Prometheus: the
 * {@code UnderscoreEscapingWithSuffixes} strategy (or, with suffixes off,
 * {@code UnderscoreEscapingWithoutSuffixes}).
 *
 * <p>All methods are pure functions of their arguments and safe from any thread.
 */
public final class PrometheusNaming {
  /** What a metric becomes on the Prometheus side; decides the {@code _total} and {@code _ratio} suffixes. */
  public enum Kind { GAUGE, COUNTER, HISTOGRAM, SUMMARY }

  private static final Map<String, String> MAIN_UNITS = Map.ofEntries(
      Map.entry("d", "days"), Map.entry("h", "hours"), Map.entry("min", "minutes"), Map.entry("s", "seconds"),
      Map.entry("ms", "milliseconds"), Map.entry("us", "microseconds"), Map.entry("ns", "nanoseconds"),
      Map.entry("By", "bytes"), Map.entry("KiBy", "kibibytes"), Map.entry("MiBy", "mebibytes"),
      Map.entry("GiBy", "gibibytes"), Map.entry("TiBy", "tibibytes"), Map.entry("KBy", "kilobytes"),
      Map.entry("MBy", "megabytes"), Map.entry("GBy", "gigabytes"), Map.entry("TBy", "terabytes"),
      Map.entry("m", "meters"), Map.entry("V", "volts"), Map.entry("A", "amperes"), Map.entry("J", "joules"),
      Map.entry("W", "watts"), Map.entry("g", "grams"), Map.entry("Cel", "celsius"), Map.entry("Hz", "hertz"),
      Map.entry("%", "percent"));

  private static final Map<String, String> PER_UNITS = Map.of(
      "s", "second", "m", "minute", "h", "hour", "d", "day", "w", "week", "mo", "month", "y", "year");

  private PrometheusNaming() {
  }

  /**
   * The Prometheus name of an OTLP metric.
   *
   * @param name the OTLP metric name
   * @param unit the OTLP (UCUM) unit, may be empty
   * @param kind what the metric becomes
   * @param namespace prepended with {@code _} when not empty
   * @param addSuffixes whether unit, {@code _total} and {@code _ratio} suffixes are added
   */
  public static String metricName(String name, String unit, Kind kind, String namespace, boolean addSuffixes) {
    List<String> tokens = tokenize(name, false);
    if (addSuffixes) {
      String u = unit == null ? "" : unit.trim();
      String[] words = unitWords(u);
      if (!words[0].isEmpty() && !tokens.contains(words[0])) {
        tokens.add(words[0]);
      }
      if (!words[1].isEmpty() && !tokens.contains(words[1])) {
        tokens.add("per");
        tokens.add(words[1]);
      }
      if (kind == Kind.COUNTER) {
        tokens.removeIf("total"::equals);
        tokens.add("total");
      }
      if (kind == Kind.GAUGE && u.equals("1")) {
        tokens.removeIf("ratio"::equals);
        tokens.add("ratio");
      }
    }
    if (namespace != null && !namespace.isEmpty()) {
      tokens.addAll(0, tokenize(namespace, false));
    }
    String joined = String.join("_", tokens);
    if (!joined.isEmpty() && Character.isDigit(joined.charAt(0))) {
      joined = "_" + joined;
    }
    return joined;
  }

  /**
   * The Prometheus words of a unit: {@code [main, per]}, each empty when absent. {@code "ms"} →
   * {@code ["milliseconds", ""]}, {@code "By/s"} → {@code ["bytes", "second"]}, {@code "1"} and
   * annotations such as {@code "{request}"} → nothing.
   */
  static String[] unitWords(String unit) {
    if (unit == null || unit.isEmpty()) {
      return new String[] {"", ""};
    }
    int slash = unit.indexOf('/');
    String main = slash < 0 ? unit : unit.substring(0, slash);
    String per = slash < 0 ? "" : unit.substring(slash + 1);
    String mainWord = "";
    main = main.trim();
    if (!main.isEmpty() && !main.equals("1") && main.indexOf('{') < 0 && main.indexOf('}') < 0) {
      mainWord = cleanUnit(MAIN_UNITS.getOrDefault(main, main));
    }
    String perWord = "";
    per = per.trim();
    if (!per.isEmpty() && per.indexOf('{') < 0 && per.indexOf('}') < 0) {
      perWord = cleanUnit(PER_UNITS.getOrDefault(per, per));
    }
    return new String[] {mainWord, perWord};
  }

  /** The unit as Prometheus metadata carries it: {@code "milliseconds"}, {@code "bytes_per_second"}. */
  public static String unitName(String unit) {
    String[] w = unitWords(unit == null ? "" : unit.trim());
    if (w[1].isEmpty()) {
      return w[0];
    }
    return w[0].isEmpty() ? "per_" + w[1] : w[0] + "_per_" + w[1];
  }

  private static String cleanUnit(String word) {
    return String.join("_", tokenize(word, true));
  }

  /** Splits on every character outside {@code [a-zA-Z0-9:]} ({@code [a-zA-Z0-9]} for units), dropping empty tokens. */
  private static List<String> tokenize(String s, boolean unit) {
    List<String> tokens = new ArrayList<>(4);
    int start = -1;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (!unit && c == ':');
      if (keep) {
        if (start < 0) {
          start = i;
        }
      } else if (start >= 0) {
        tokens.add(s.substring(start, i));
        start = -1;
      }
    }
    if (start >= 0) {
      tokens.add(start == 0 ? s : s.substring(start));
    }
    return tokens;
  }

  /**
   * The Prometheus name of an attribute key: characters outside {@code [a-zA-Z0-9_]} become
   * {@code _} and runs of {@code _} collapse to one, a leading digit gets {@code key_} in front,
   * and a key starting with {@code __} keeps that prefix. Empty for an empty key.
   */
  public static String labelName(String key) {
    if (key.isEmpty()) {
      return key;
    }
    if (isPlainLabelName(key)) {
      return key;
    }
    StringBuilder sb = new StringBuilder(key.length() + 4);
    int from = 0;
    if (key.startsWith("__")) {
      sb.append("__");
      from = 2;
    }
    for (int i = from; i < key.length(); i++) {
      char c = key.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      if (ok) {
        sb.append(c);
      } else if (sb.length() == 0 || sb.charAt(sb.length() - 1) != '_') {
        sb.append('_');
      }
    }
    if (sb.length() > 0 && Character.isDigit(sb.charAt(0))) {
      sb.insert(0, "key_");
    }
    return sb.toString();
  }

  /** True when the key is already a label name that {@link #labelName} would leave alone. */
  private static boolean isPlainLabelName(String key) {
    char first = key.charAt(0);
    if (first >= '0' && first <= '9') {
      return false;
    }
    boolean prevUnderscore = false;
    for (int i = 0; i < key.length(); i++) {
      char c = key.charAt(i);
      if (c == '_') {
        if (prevUnderscore && i != 1) {
          return false;
        }
        prevUnderscore = true;
      } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) {
        prevUnderscore = false;
      } else {
        return false;
      }
    }
    return true;
  }

  /**
   * A float as a Prometheus {@code le} or {@code quantile} value: {@code "+Inf"}, {@code "0.5"},
   * {@code "100"}, never an exponent.
   */
  public static String formatFloat(double v) {
    if (Double.isNaN(v)) {
      return "NaN";
    }
    if (Double.isInfinite(v)) {
      return v > 0 ? "+Inf" : "-Inf";
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return BigDecimal.valueOf(v).stripTrailingZeros().toPlainString();
  }

  /**
   * An {@code le} or {@code quantile} label value as a number, as Prometheus reads one: decimals,
   * exponents, {@code +Inf}/{@code Inf}/{@code -Inf} in any case; NaN for anything else.
   */
  public static double parseFloat(String text) {
    String t = text.trim();
    switch (t.toLowerCase(java.util.Locale.ROOT)) {
      case "+inf", "inf" -> {
        return Double.POSITIVE_INFINITY;
      }
      case "-inf" -> {
        return Double.NEGATIVE_INFINITY;
      }
      default -> {
      }
    }
    if (t.isEmpty() || !isNumberText(t)) {
      return Double.NaN;
    }
    try {
      return Double.parseDouble(t);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** Digits, sign, dot and exponent only: Java's parser also takes hex and type suffixes, Prometheus does not. */
  private static boolean isNumberText(String t) {
    for (int i = 0; i < t.length(); i++) {
      char c = t.charAt(i);
      if (!(c >= '0' && c <= '9') && c != '.' && c != '-' && c != '+' && c != 'e' && c != 'E') {
        return false;
      }
    }
    return true;
  }
}
