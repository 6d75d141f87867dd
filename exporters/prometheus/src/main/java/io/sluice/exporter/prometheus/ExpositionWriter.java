package io.sluice.exporter.prometheus;

import io.sluice.exporter.prometheus.SeriesStore.Entry;
import io.sluice.translation.prometheus.otlp.PromMetadata;
import io.sluice.translation.prometheus.otlp.PromMetricType;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Writes stored series as a Prometheus text 0.0.4 or OpenMetrics 1.0 page: series grouped by
 * metric family under their {@code # HELP}/{@code # TYPE} lines, each histogram or summary point's
 * lines together ({@code le}/{@code quantile} ascending, then {@code _sum}, {@code _count}).
 */
final class ExpositionWriter {
  static final String TEXT_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  static final String OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

  private ExpositionWriter() {}

  /** One family: its name as written on TYPE lines, its metadata and its series. */
  private record Family(String name, PromMetricType type, String help, String unit, List<Entry> series) {}

  static byte[] write(List<Entry> entries, boolean openMetrics, boolean timestamps) {
    Map<String, Family> families = new TreeMap<>();
    for (Entry e : entries) {
      PromMetadata md = e.metadata();
      PromMetricType type = md == null ? PromMetricType.UNKNOWN : md.type();
      String name = md == null ? e.name() : md.familyName();
      if (openMetrics && type == PromMetricType.COUNTER && name.endsWith("_total")) {
        name = name.substring(0, name.length() - "_total".length());
      }
      String help = md == null ? "" : md.help();
      String unit = md == null ? "" : md.unit();
      families.computeIfAbsent(name, n -> new Family(n, type, help, unit, new ArrayList<>())).series().add(e);
    }
    StringBuilder sb = new StringBuilder(Math.max(256, entries.size() * 64));
    for (Family f : families.values()) {
      writeFamily(sb, f, openMetrics, timestamps);
    }
    if (openMetrics) {
      sb.append("# EOF\n");
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void writeFamily(StringBuilder sb, Family f, boolean om, boolean timestamps) {
    String type = typeWord(f.type(), om);
    sb.append("# TYPE ").append(f.name()).append(' ').append(type).append('\n');
    if (om && !f.unit().isEmpty() && f.name().endsWith("_" + f.unit())) {
      sb.append("# UNIT ").append(f.name()).append(' ').append(f.unit()).append('\n');
    }
    if (!f.help().isEmpty()) {
      sb.append("# HELP ").append(f.name()).append(' ');
      escape(sb, f.help(), om);
      sb.append('\n');
    }
    List<Entry> series = f.series();
    series.sort(order(f.name()));
    boolean counter = "counter".equals(type);
    for (Entry e : series) {
      String name = e.name();
      if (om && counter) {
        if (Double.isNaN(e.value()) || e.value() < 0) {
          continue;
        }
        if (!name.endsWith("_total")) {
          name = name + "_total";
        }
      }
      sb.append(name);
      String[] labels = e.labels();
      boolean first = true;
      for (int i = 0; i < labels.length; i += 2) {
        if (labels[i].equals("__name__")) {
          continue;
        }
        sb.append(first ? '{' : ',').append(labels[i]).append("=\"");
        escape(sb, labels[i + 1], true);
        sb.append('"');
        first = false;
      }
      if (!first) {
        sb.append('}');
      }
      sb.append(' ');
      formatValue(sb, e.value());
      if (timestamps) {
        sb.append(' ');
        if (om) {
          long ms = e.timestampMs();
          sb.append(Math.floorDiv(ms, 1000)).append('.');
          String frac = Long.toString(Math.floorMod(ms, 1000));
          sb.append("000", 0, 3 - frac.length()).append(frac);
        } else {
          sb.append(e.timestampMs());
        }
      }
      sb.append('\n');
    }
  }

  private static String typeWord(PromMetricType type, boolean om) {
    return switch (type) {
      case COUNTER -> "counter";
      case HISTOGRAM -> "histogram";
      case SUMMARY -> "summary";
      case UNKNOWN -> om ? "unknown" : "untyped";
      // info, stateset and gauge histograms have no shape both formats share: expose as gauges
      case GAUGE, GAUGEHISTOGRAM, INFO, STATESET -> "gauge";
    };
  }

  /**
   * Orders a family's series so each point's lines stay together: by the labels other than
   * {@code __name__}, {@code le} and {@code quantile}, then buckets and quantiles (bound
   * ascending) before {@code _sum}, then {@code _count}.
   */
  private static Comparator<Entry> order(String family) {
    return Comparator.comparing((Entry e) -> baseLabels(e.labels()))
        .thenComparingInt(e -> suffixRank(e.name(), family))
        .thenComparingDouble(e -> bound(e.labels()));
  }

  private static String baseLabels(String[] labels) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < labels.length; i += 2) {
      String n = labels[i];
      if (!n.equals("__name__") && !n.equals("le") && !n.equals("quantile")) {
        sb.append(n).append('\u0000').append(labels[i + 1]).append('\u0001');
      }
    }
    return sb.toString();
  }

  private static int suffixRank(String name, String family) {
    if (name.length() > family.length() && name.startsWith(family)) {
      String suffix = name.substring(family.length());
      if (suffix.equals("_sum")) {
        return 1;
      }
      if (suffix.equals("_count")) {
        return 2;
      }
    }
    return 0;
  }

  private static double bound(String[] labels) {
    for (int i = 0; i < labels.length; i += 2) {
      if (labels[i].equals("le") || labels[i].equals("quantile")) {
        String v = labels[i + 1];
        try {
          return v.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(v);
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 0;
  }

  /** Escapes a label value or HELP text: backslash and newline always, the double quote when asked. */
  static void escape(StringBuilder sb, String s, boolean quote) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '"' -> sb.append(quote ? "\\\"" : "\"");
        default -> sb.append(c);
      }
    }
  }

  /** A float as both formats read it: NaN, +Inf, -Inf, integers without a fraction. */
  static void formatValue(StringBuilder sb, double v) {
    if (Double.isNaN(v)) {
      sb.append("NaN");
    } else if (v == Double.POSITIVE_INFINITY) {
      sb.append("+Inf");
    } else if (v == Double.NEGATIVE_INFINITY) {
      sb.append("-Inf");
    } else if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      sb.append((long) v);
    } else {
      sb.append(v);
    }
  }
}
