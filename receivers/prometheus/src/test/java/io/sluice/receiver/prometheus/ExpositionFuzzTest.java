package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Info;
import io.prometheus.metrics.core.metrics.StateSet;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.sluice.core.testkit.fuzz.Fuzz;
import io.sluice.core.testkit.fuzz.FuzzGuard;
import io.sluice.core.testkit.fuzz.Mutator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Fuzzing of the scrape parsers (text 0.0.4 and OpenMetrics) and of the conversion of what they
 * accept to OTLP, which every scrape body goes through. Seeds: the shared OpenMetrics parser
 * conformance data (read in place from {@code -Dsluice.shared.dir}), the bodies the Prometheus
 * Java client writes in both formats, and this module's fixtures; plus bodies generated line by
 * line from the grammar with odd names, escapes, values, timestamps and exemplars.
 *
 * <p>Invariants: nothing but {@link ParseException} (its message starting with the line number)
 * escapes the parser; what it accepts converts to OTLP without an exception; no body hangs or
 * makes the parser allocate more than a multiple of its size.
 */
class ExpositionFuzzTest {
  private static final ScrapeToOtlp.Target TARGET = new ScrapeToOtlp.Target("job", "host:9100", "http");

  static final List<String> DICTIONARY = List.of("# TYPE ", "# HELP ", "# UNIT ", "# EOF\n", "# EOF", " counter",
      " gauge", " histogram", " summary", " stateset", " info", " gaugehistogram", " unknown", "_total", "_bucket",
      "_count", "_sum", "_created", "_info", "{le=\"+Inf\"}", "{quantile=\"0.5\"}", " # {trace_id=\"abc\"} 1 1.5",
      " # {} 1", "NaN", "+Inf", "-Inf", "1e309", "-0", "0x1p3", "1_000", "\\\"", "\\n", "\\", "\n", "\n\n", " ",
      "\t", "=", ",", "\"", "{", "}", "{\"quoted.name\"}", "\r\n", "\u0000", "\u00fc", "9223372036854775808");

  /** The shared OpenMetrics parser conformance cases: each case's {@code metrics} file. */
  static Path sharedCases() {
    return OpenMetricsConformanceTest.casesDir();
  }

  static List<byte[]> seeds(ExpositionFormat format) {
    List<byte[]> seeds = new ArrayList<>();
    Path dir = sharedCases();
    if (Files.isDirectory(dir)) {
      try (Stream<Path> cases = Files.list(dir)) {
        for (Path c : cases.sorted().toList()) {
          Path metrics = c.resolve("metrics");
          if (Files.isRegularFile(metrics)) {
            seeds.add(Files.readAllBytes(metrics));
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    } else {
      System.out.println("fuzz: the shared OpenMetrics corpus is not at " + dir.toAbsolutePath()
          + "; fuzzing from the other seeds only (set -Dsluice.shared.dir)");
    }
    seeds.add(clientBody(false));
    seeds.add(clientBody(true));
    seeds.add(("# HELP http_requests_total The total number of HTTP requests.\n"
        + "# TYPE http_requests_total counter\n"
        + "http_requests_total{method=\"post\",code=\"200\"} 1027 1395066363000\n"
        + "http_requests_total{method=\"post\",code=\"400\"}    3 1395066363000\n"
        + "msdos_file_access_time_seconds{path=\"C:\\\\DIR\\\\FILE.TXT\",error=\"Cannot find file:\\n\\\"FILE.TXT\\\"\"}"
        + " 1.458255915e9\n"
        + "metric_without_timestamp_and_labels 12.47\n"
        + "something_weird{problem=\"division by zero\"} +Inf -3982045\n"
        + "# TYPE http_request_duration_seconds histogram\n"
        + "http_request_duration_seconds_bucket{le=\"0.05\"} 24054\n"
        + "http_request_duration_seconds_bucket{le=\"+Inf\"} 144320\n"
        + "http_request_duration_seconds_sum 53423\n"
        + "http_request_duration_seconds_count 144320\n"
        + "# TYPE rpc_duration_seconds summary\n"
        + "rpc_duration_seconds{quantile=\"0.5\"} 4773\n"
        + "rpc_duration_seconds_sum 1.7560473e+07\n"
        + "rpc_duration_seconds_count 2693\n"
        + (format == ExpositionFormat.OPENMETRICS_TEXT ? "# EOF\n" : "")).getBytes(StandardCharsets.UTF_8));
    return seeds;
  }

  /** What the Prometheus Java client serves: every metric type, labels that need escaping, exemplars. */
  static byte[] clientBody(boolean openMetrics) {
    PrometheusRegistry registry = new PrometheusRegistry();
    Counter c = Counter.builder().name("requests").help("Requests \"served\"\nby path").labelNames("path", "code")
        .register(registry);
    c.labelValues("/a\\b", "200").inc(3);
    c.labelValues("/ü\n\"x\"", "500").inc();
    Gauge.builder().name("temperature_celsius").unit(io.prometheus.metrics.model.snapshots.Unit.CELSIUS)
        .help("t").register(registry).set(-3.5);
    Histogram h = Histogram.builder().name("latency_seconds").help("l").classicUpperBounds(0.1, 1, 10)
        .register(registry);
    h.observe(0.05);
    h.observe(7);
    Summary s = Summary.builder().name("sizes_bytes").help("s").quantile(0.5, 0.01).quantile(0.99, 0.001)
        .register(registry);
    s.observe(120);
    s.observe(4096);
    Info.builder().name("build_info").help("b").labelNames("version").register(registry).setLabelValues("1.2.3");
    StateSet st = StateSet.builder().name("feature").help("f").states("on", "off").register(registry);
    st.setTrue("on");
    MetricSnapshots snapshots = registry.scrape();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      if (openMetrics) {
        OpenMetricsTextFormatWriter.create().write(out, snapshots);
      } else {
        PrometheusTextFormatWriter.create().write(out, snapshots);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static void check(FuzzGuard guard, ExpositionFormat format, byte[] input) {
    FuzzGuard.Outcome<Object> o = guard.run(input, () -> {
      List<MetricFamily> families = format.parse(input);
      return ScrapeToOtlp.convert(families, TARGET, 1_700_000_000_000L);
    });
    if (!o.accepted()) {
      assertThat(o.rejected()).hasMessageMatching("(?s)line [0-9]+: .+");
    }
  }

  @ParameterizedTest
  @EnumSource(ExpositionFormat.class)
  void mutatedBodiesParseAndConvertOrAreRefusedWithTheLine(ExpositionFormat format) {
    try (FuzzGuard guard = FuzzGuard.of("prometheus-" + format.name().toLowerCase(java.util.Locale.ROOT),
        ParseException.class)) {
      Fuzz.run(guard, Fuzz.tries(60_000), Mutator.of(seeds(format), DICTIONARY, 4),
          input -> check(guard, format, input));
    }
  }

  @ParameterizedTest
  @EnumSource(ExpositionFormat.class)
  void generatedBodiesParseAndConvertOrAreRefusedWithTheLine(ExpositionFormat format) {
    boolean om = format == ExpositionFormat.OPENMETRICS_TEXT;
    try (FuzzGuard guard = FuzzGuard.of("prometheus-generated-" + format.name().toLowerCase(java.util.Locale.ROOT),
        ParseException.class)) {
      Fuzz.run(guard, Fuzz.tries(40_000), r -> body(r, om), input -> check(guard, format, input));
    }
  }

  /**
   * A target's string cache lives across its scrapes: a good body after a fuzzed one must come out
   * as it does on its own, as the scrape loop after a broken scrape relies on.
   */
  @ParameterizedTest
  @EnumSource(ExpositionFormat.class)
  void aGoodBodyAfterAFuzzedOneConvertsAsItDoesAlone(ExpositionFormat format) throws Exception {
    byte[] good = clientBody(format == ExpositionFormat.OPENMETRICS_TEXT);
    Object alone = ScrapeToOtlp.convert(format.parse(good), TARGET, 1_700_000_000_000L);
    StringCache strings = new StringCache(1024);
    try (FuzzGuard guard = FuzzGuard.of("prometheus-after-fuzzed-" + format.name().toLowerCase(java.util.Locale.ROOT),
        ParseException.class)) {
      Fuzz.run(guard, Fuzz.tries(10_000), Mutator.of(seeds(format), DICTIONARY, 4), input -> {
        guard.run(input, () -> {
          try {
            return format.parse(input, 0, input.length, strings);
          } finally {
            strings.endOfScrape();
          }
        });
        Object after;
        try {
          after = ScrapeToOtlp.convert(format.parse(good, 0, good.length, strings), TARGET, 1_700_000_000_000L);
        } finally {
          strings.endOfScrape();
        }
        if (!after.equals(alone)) {
          throw guard.failure("changed how the next good body converts", input);
        }
      });
    }
  }

  @Test
  void theSharedOpenMetricsCorpusIsThere() {
    Path dir = sharedCases();
    assumeTrue(Files.isDirectory(dir), "the shared OpenMetrics corpus is not at " + dir.toAbsolutePath()
        + "; the fuzz targets ran from the other seeds only (set -Dsluice.shared.dir)");
  }

  /** A body of families of random types, names, labels, values, timestamps and exemplars. */
  static byte[] body(Random r, boolean om) {
    StringBuilder sb = new StringBuilder();
    String[] types = {"counter", "gauge", "histogram", "summary", "untyped", "unknown", "info", "stateset",
        "gaugehistogram"};
    String[] suffixes = {"", "_total", "_bucket", "_count", "_sum", "_created", "_info", "_gcount", "_gsum"};
    int families = r.nextInt(6);
    for (int f = 0; f < families; f++) {
      String name = name(r);
      if (r.nextInt(3) > 0) {
        sb.append("# TYPE ").append(name).append(' ').append(types[r.nextInt(types.length)]).append('\n');
      }
      if (r.nextBoolean()) {
        sb.append("# HELP ").append(name).append(' ').append(r.nextBoolean() ? "help \\\\ \\n text" : "")
            .append('\n');
      }
      if (om && r.nextInt(4) == 0) {
        sb.append("# UNIT ").append(name).append(' ').append(r.nextBoolean() ? "seconds" : name(r)).append('\n');
      }
      int samples = r.nextInt(5);
      for (int s = 0; s < samples; s++) {
        sb.append(name).append(suffixes[r.nextInt(suffixes.length)]);
        if (r.nextInt(3) > 0) {
          sb.append('{');
          int labels = r.nextInt(4);
          for (int l = 0; l < labels; l++) {
            if (l > 0) {
              sb.append(',');
            }
            String label = r.nextInt(4) == 0 ? (r.nextBoolean() ? "le" : "quantile") : name(r).replace(':', '_');
            sb.append(label).append("=\"").append(labelValue(r)).append('"');
          }
          if (r.nextInt(10) == 0) {
            sb.append(',');
          }
          sb.append('}');
        }
        sb.append(' ').append(value(r));
        if (r.nextInt(3) == 0) {
          sb.append(' ').append(r.nextBoolean() ? Long.toString(r.nextLong() % 2_000_000_000_000L)
              : r.nextDouble() * 2e9 + "");
        }
        if (om && r.nextInt(6) == 0) {
          sb.append(" # {trace_id=\"").append(Long.toHexString(r.nextLong())).append("\"} ").append(value(r));
          if (r.nextBoolean()) {
            sb.append(' ').append(r.nextInt(2_000_000_000));
          }
        }
        sb.append(r.nextInt(30) == 0 ? "\r\n" : "\n");
      }
    }
    if (om && r.nextInt(8) > 0) {
      sb.append("# EOF").append(r.nextBoolean() ? "\n" : "");
    }
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String name(Random r) {
    String[] names = {"a", "x_total", "http_requests", "up", "_", ":", "ns:sub_metric", "a1", "temperature_celsius"};
    return names[r.nextInt(names.length)] + (r.nextInt(4) == 0 ? Integer.toString(r.nextInt(3)) : "");
  }

  private static String labelValue(Random r) {
    String[] values = {"", "0.5", "+Inf", "1", "1e3", "NaN", "ü", "a\\\"b", "\\\\", "\\n", "x".repeat(40), "-Inf",
        "0x1", " 1"};
    return values[r.nextInt(values.length)];
  }

  private static String value(Random r) {
    String[] values = {"0", "1", "-1", "1.5", "NaN", "+Inf", "-Inf", "Inf", "1e309", "1e-400", "0x1p-2", "1_0",
        "9007199254740993", "-0.0", ".5", "5.", "1E+2", "+3", "nan", "infinity", ""};
    return r.nextInt(3) == 0 ? Double.toString(r.nextGaussian() * 1e6) : values[r.nextInt(values.length)];
  }
}
