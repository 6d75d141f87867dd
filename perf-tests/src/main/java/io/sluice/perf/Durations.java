package io.sluice.perf;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Durations written as the configs write them: {@code 500ms}, {@code 15s}, {@code 2m}. */
final class Durations {
  private static final Pattern FORMAT = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m)");

  private Durations() {}

  static Duration parse(String text, String what) {
    Matcher m = FORMAT.matcher(text.trim().toLowerCase(Locale.ROOT));
    if (!m.matches()) {
      throw new IllegalArgumentException(what + ": \"" + text + "\" is not a duration; write it as 500ms, 15s or 2m");
    }
    double v = Double.parseDouble(m.group(1));
    double millis = switch (m.group(2)) {
      case "ms" -> v;
      case "s" -> v * 1000;
      default -> v * 60_000;
    };
    return Duration.ofMillis(Math.round(millis));
  }

  /** A system property holding a duration, or {@code fallback}. */
  static Duration property(String name, String fallback) {
    return parse(System.getProperty(name, fallback), "-D" + name);
  }

  static String format(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + " s" : ms + " ms";
  }
}
