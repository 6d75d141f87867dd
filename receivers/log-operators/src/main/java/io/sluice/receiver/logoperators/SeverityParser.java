package io.sluice.receiver.logoperators;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Sets an entry's severity from a field: the {@code severity} block of a parser and the {@code
 * severity_parser} operator. A {@code mapping} from level aliases ({@code error}, {@code warn2},
 * ...) to values, lists of values, {@code {min, max}} ranges and the HTTP specials {@code 2xx} to
 * {@code 5xx}, over a preset: {@code default} (every alias and severity number maps to its level,
 * and warning, err), {@code otel}/{@code aliases} (the same without warning and err) or {@code
 * none}. Values match in any case. The severity text is the value as found, or the
 * level's short name with {@code overwrite_text: true}. A value that maps to nothing leaves
 * severity number 0 and keeps the text.
 */
final class SeverityParser implements EntryStep {
  static final List<String> KEYS = List.of("parse_from", "preset", "mapping", "overwrite_text");

  /** Aliases to OTLP severity numbers: trace=1 ... fatal4=24. */
  static final Map<String, Integer> LEVELS = new LinkedHashMap<>();
  private static final String[] SHORT_NAMES = new String[25];

  static {
    String[] names = {"trace", "debug", "info", "warn", "error", "fatal"};
    for (int i = 0; i < names.length; i++) {
      for (int k = 1; k <= 4; k++) {
        int number = i * 4 + k;
        String alias = k == 1 ? names[i] : names[i] + k;
        LEVELS.put(alias, number);
        SHORT_NAMES[number] = alias.toUpperCase(Locale.ROOT);
      }
    }
  }

  private record Range(long min, long max, int severity) {}

  private final Field from;
  private final Map<String, Integer> exact;
  private final Range[] ranges;
  private final boolean overwriteText;

  private SeverityParser(Field from, Map<String, Integer> exact, List<Range> ranges, boolean overwriteText) {
    this.from = from;
    this.exact = exact;
    this.ranges = ranges.toArray(new Range[0]);
    this.overwriteText = overwriteText;
  }

  static SeverityParser read(Conf c) {
    int before = c.problemCount();
    Field from = c.requiredField("parse_from");
    String preset = c.string("preset", "default");
    boolean overwrite = c.bool("overwrite_text", false);
    Map<String, Integer> exact = new HashMap<>();
    List<Range> ranges = new ArrayList<>();
    switch (preset) {
      case "default", "otel", "aliases" -> {
        LEVELS.forEach((alias, n) -> {
          exact.put(alias, n);
          exact.put(Integer.toString(n), n);
        });
        if (preset.equals("default")) {
          for (int k = 1; k <= 4; k++) {
            String suffix = k == 1 ? "" : Integer.toString(k);
            exact.put("warning" + suffix, 12 + k);
            exact.put("err" + suffix, 16 + k);
          }
        }
      }
      case "none" -> { }
      default -> c.problem("preset", "\"" + preset + "\" is not a preset; valid: default, otel, aliases, none");
    }
    Object mapping = c.raw("mapping");
    if (mapping != null && !(mapping instanceof Map)) {
      c.problem("mapping", "expected a map of severity levels to values, got " + Conf.describe(mapping));
    } else if (mapping instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> me : m.entrySet()) {
        String alias = String.valueOf(me.getKey());
        String path = "mapping." + alias;
        Integer level = LEVELS.get(alias.toLowerCase(Locale.ROOT));
        if (level == null && alias.matches("[1-9]|1[0-9]|2[0-4]")) {
          level = Integer.valueOf(alias); // the Collector takes severity numbers as aliases too
        }
        if (level == null) {
          c.problem(path, "\"" + alias + "\" is not a severity level; valid: " + String.join(", ", LEVELS.keySet()));
          continue;
        }
        Object v = me.getValue();
        List<?> values = v instanceof List<?> l ? l : List.of(v == null ? "" : v);
        for (int i = 0; i < values.size(); i++) {
          addValue(c, v instanceof List ? path + "[" + i + "]" : path, values.get(i), level, exact, ranges);
        }
      }
    }
    return c.problemCount() == before ? new SeverityParser(from, exact, ranges, overwrite) : null;
  }

  private static void addValue(Conf c, String path, Object v, int level, Map<String, Integer> exact,
      List<Range> ranges) {
    if (v instanceof Map<?, ?> m) {
      Object min = m.get("min");
      Object max = m.get("max");
      boolean onlyMinMax = m.keySet().stream().allMatch(k -> k.equals("min") || k.equals("max"));
      if (!(min instanceof Integer || min instanceof Long) || !(max instanceof Integer || max instanceof Long)
          || !onlyMinMax) {
        c.problem(path, "a range must be {min: <integer>, max: <integer>}, got " + m);
        return;
      }
      long lo = ((Number) min).longValue();
      long hi = ((Number) max).longValue();
      ranges.add(new Range(Math.min(lo, hi), Math.max(lo, hi), level));
    } else if (v instanceof String s && s.matches("[2-5]xx")) {
      long base = (s.charAt(0) - '0') * 100L;
      ranges.add(new Range(base, base + 99, level));
    } else if (v instanceof String || v instanceof Integer || v instanceof Long || v instanceof Boolean) {
      exact.put(String.valueOf(v).toLowerCase(Locale.ROOT), level);
    } else {
      c.problem(path, "expected a value, a list of values, a {min, max} range or 2xx..5xx, got " + Conf.describe(v));
    }
  }

  @Override
  public void apply(LogEntry e) throws EntryException {
    Object v = from.get(e);
    if (v == null) {
      throw new EntryException("the entry has no " + from + " to parse a severity from");
    }
    String text;
    if (v instanceof String s) {
      text = s;
    } else if (v instanceof Long || v instanceof Integer || v instanceof Boolean) {
      text = v.toString();
    } else if (v instanceof Double d && d == Math.rint(d) && !Double.isInfinite(d)) {
      text = Long.toString(d.longValue()); // JSON numbers arrive as doubles
    } else {
      throw new EntryException("the severity in " + from + " is a " + Expr.typeName(v) + ", not a string or number");
    }
    int severity = find(text);
    e.severityNumber(severity);
    e.severityText(overwriteText && severity > 0 ? SHORT_NAMES[severity] : text);
  }

  private int find(String text) {
    Integer n = exact.get(text);
    if (n == null) {
      n = exact.get(text.toLowerCase(Locale.ROOT));
    }
    if (n != null) {
      return n;
    }
    if (ranges.length > 0) {
      try {
        long value = Long.parseLong(text);
        for (Range r : ranges) {
          if (value >= r.min && value <= r.max) {
            return r.severity;
          }
        }
      } catch (NumberFormatException ignored) {
        // not a number: no range applies
      }
    }
    return 0;
  }
}
