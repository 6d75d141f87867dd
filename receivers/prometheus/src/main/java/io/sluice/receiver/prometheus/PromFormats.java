package io.sluice.receiver.prometheus;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.deser.std.StdScalarDeserializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Values written the way a Prometheus config writes them: durations ({@code 1m30s}, {@code 1d},
 * {@code 2w}, {@code 1y}; whole numbers only, units from the largest to the smallest), byte sizes
 * ({@code 512KB}, {@code 1.5MiB}; a unit is required), and the scrape protocols of
 * {@code scrape_protocols} with the Content-Types they stand for.
 */
final class PromFormats {
  private PromFormats() {}

  private static final String[] DURATION_UNITS = {"y", "w", "d", "h", "m", "s", "ms"};
  private static final long[] DURATION_MILLIS = {365L * 86_400_000, 7L * 86_400_000, 86_400_000, 3_600_000, 60_000,
      1000, 1};

  /**
   * A Prometheus duration: {@code 0}, or whole numbers each followed by one of {@code y w d h m s ms},
   * in that order.
   *
   * @throws IllegalArgumentException saying why, as Prometheus words it
   */
  static Duration parseDuration(String text) {
    if (text == null || text.isEmpty()) {
      throw new IllegalArgumentException("empty duration string");
    }
    if (text.equals("0")) {
      return Duration.ZERO;
    }
    String invalid = "not a valid duration string: \"" + text + "\"";
    long millis = 0;
    int lastUnit = -1;
    int i = 0;
    while (i < text.length()) {
      int start = i;
      while (i < text.length() && Character.isDigit(text.charAt(i)) && text.charAt(i) < 128) {
        i++;
      }
      if (i == start) {
        throw new IllegalArgumentException(invalid);
      }
      String digits = text.substring(start, i);
      int unitStart = i;
      while (i < text.length() && !Character.isDigit(text.charAt(i))) {
        i++;
      }
      if (i == unitStart) {
        throw new IllegalArgumentException(invalid);
      }
      String unit = text.substring(unitStart, i);
      int u = List.of(DURATION_UNITS).indexOf(unit);
      if (u < 0) {
        throw new IllegalArgumentException("unknown unit \"" + unit + "\" in duration \"" + text
            + "\"; use y, w, d, h, m, s or ms");
      }
      if (u <= lastUnit) {
        throw new IllegalArgumentException(invalid + " (units go from the largest to the smallest, each once)");
      }
      lastUnit = u;
      try {
        millis = Math.addExact(millis, Math.multiplyExact(Long.parseLong(digits), DURATION_MILLIS[u]));
        Duration.ofMillis(millis).toNanos(); // Go's durations stop at about 292 years
      } catch (ArithmeticException | NumberFormatException e) {
        throw new IllegalArgumentException("duration out of range: \"" + text + "\"");
      }
    }
    return Duration.ofMillis(millis);
  }

  /** A duration as Prometheus writes it: {@code 1m30s}, {@code 1d}, {@code 0s}. */
  static String formatDuration(Duration d) {
    long ms = d == null ? 0 : d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    StringBuilder sb = new StringBuilder();
    for (int u = 0; u < DURATION_UNITS.length; u++) {
      // like Prometheus, years and weeks only when they divide the whole
      boolean exactOnly = u < 2;
      if (ms >= DURATION_MILLIS[u] && (!exactOnly || ms % DURATION_MILLIS[u] == 0)) {
        sb.append(ms / DURATION_MILLIS[u]).append(DURATION_UNITS[u]);
        ms %= DURATION_MILLIS[u];
      }
    }
    return sb.toString();
  }

  private static final Map<String, Long> SIZE_UNITS = sizeUnits();

  private static Map<String, Long> sizeUnits() {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("B", 1L);
    // As in Prometheus (base-2 sizes), KB and KiB are both 1024; kB is not a unit.
    String[] prefixes = {"K", "M", "G", "T", "P", "E"};
    long factor = 1;
    for (String prefix : prefixes) {
      factor *= 1024;
      m.put(prefix + "B", factor);
      m.put(prefix + "iB", factor);
    }
    return m;
  }

  /**
   * Bytes of a Prometheus size such as {@code 10MB}, {@code 512KiB}, {@code 1.5GB} or
   * {@code 1GB512MB}; {@code 0} alone needs no unit.
   *
   * @throws IllegalArgumentException saying why
   */
  static long parseSize(String text) {
    String s = text == null ? "" : text;
    boolean negative = false;
    if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      negative = s.charAt(0) == '-';
      s = s.substring(1);
    }
    if (s.equals("0")) {
      return 0;
    }
    if (s.isEmpty()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a size");
    }
    BigDecimal total = BigDecimal.ZERO;
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      String number = s.substring(start, i);
      int unitStart = i;
      while (i < s.length() && !Character.isDigit(s.charAt(i)) && s.charAt(i) != '.') {
        i++;
      }
      String unit = s.substring(unitStart, i);
      if (number.isEmpty() || number.equals(".")) {
        throw new IllegalArgumentException("\"" + text + "\" is not a size");
      }
      Long factor = SIZE_UNITS.get(unit);
      if (factor == null) {
        throw new IllegalArgumentException("unknown unit \"" + unit + "\" in " + text + "; a size needs a unit: B, KB,"
            + " MB, GB, TB, PB, EB (powers of 1024, also written KiB, MiB, ...)");
      }
      try {
        total = total.add(new BigDecimal(number).multiply(BigDecimal.valueOf(factor)));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("\"" + text + "\" is not a size");
      }
    }
    if (total.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
      throw new IllegalArgumentException("\"" + text + "\" is too large a size");
    }
    long bytes = total.longValue();
    return negative ? -bytes : bytes;
  }

  /** The scrape protocols Prometheus names, with the media type each asks for. */
  static final Map<String, String> SCRAPE_PROTOCOLS = Map.of(
      "PrometheusProto", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
      "PrometheusText0.0.4", "text/plain;version=0.0.4",
      "PrometheusText1.0.0", "text/plain;version=1.0.0",
      "OpenMetricsText0.0.1", "application/openmetrics-text;version=0.0.1",
      "OpenMetricsText1.0.0", "application/openmetrics-text;version=1.0.0",
      "OpenMetricsText2.0.0", "application/openmetrics-text;version=2.0.0");

  /** Prometheus' default order, without native histograms. */
  static final List<String> DEFAULT_SCRAPE_PROTOCOLS = List.of("OpenMetricsText1.0.0", "OpenMetricsText0.0.1",
      "PrometheusText1.0.0", "PrometheusText0.0.4");

  /** The protocol Sluice has no parser for. */
  static final String PROTOBUF = "PrometheusProto";

  /** The supported names, sorted, for messages. */
  static String supportedProtocols() {
    return String.join(", ", new java.util.TreeSet<>(SCRAPE_PROTOCOLS.keySet()));
  }

  /**
   * The Accept header for these protocols in this order of preference, each with a lower
   * {@code q} than the one before and anything else last; the newer text formats carry the
   * name-escaping scheme. Protocols Sluice cannot parse are left out.
   */
  static String acceptHeader(List<String> protocols, String escapingScheme) {
    StringBuilder sb = new StringBuilder();
    int weight = SCRAPE_PROTOCOLS.size() + 1;
    for (String p : protocols) {
      String media = SCRAPE_PROTOCOLS.get(p);
      if (media == null || p.equals(PROTOBUF)) {
        continue;
      }
      sb.append(media);
      if (p.equals("PrometheusText1.0.0") || p.startsWith("OpenMetricsText1") || p.startsWith("OpenMetricsText2")) {
        sb.append(";escaping=").append(escapingScheme);
      }
      sb.append(";q=0.").append(weight--).append(',');
    }
    return sb.append("*/*;q=0.").append(weight).toString();
  }

  /** The format a protocol's bodies are parsed as, or null for one Sluice cannot parse. */
  static ExpositionFormat formatOf(String protocol) {
    if (protocol == null || protocol.isEmpty() || protocol.equals(PROTOBUF)) {
      return null;
    }
    return protocol.startsWith("OpenMetrics") ? ExpositionFormat.OPENMETRICS_TEXT : ExpositionFormat.PROMETHEUS_TEXT;
  }

  /**
   * Reads a Prometheus duration for a config key; a value that is not one is reported with the
   * key's file and line, and the section's other problems are still collected.
   */
  static final class DurationDeserializer extends StdScalarDeserializer<Duration> {
    private static final long serialVersionUID = 1L;

    DurationDeserializer() {
      super(Duration.class);
    }

    @Override
    public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
      JsonToken t = p.currentToken();
      if (t == JsonToken.VALUE_STRING || t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) {
        String text = p.getText();
        try {
          return parseDuration(text);
        } catch (IllegalArgumentException e) {
          return (Duration) ctxt.handleWeirdStringValue(Duration.class, text, e.getMessage()
              + " (Prometheus durations are whole numbers with units y, w, d, h, m, s, ms: 30s, 1m30s, 1d)");
        }
      }
      return (Duration) ctxt.handleUnexpectedToken(Duration.class, p);
    }
  }
}
