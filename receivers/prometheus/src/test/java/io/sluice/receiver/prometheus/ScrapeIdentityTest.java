package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.translation.prometheus.otlp.OtlpToPrometheus;
import io.sluice.translation.prometheus.otlp.PromSeries;
import io.sluice.translation.prometheus.otlp.TranslationOptions;
import java.nio.charset.StandardCharsets;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A target's unchanged series come through parsing, conversion and translation as the same
 * objects scrape after scrape: what is kept with them (hashes, encoded label bytes) is reused.
 */
class ScrapeIdentityTest {
  private static byte[] body(int scrape) {
    StringBuilder sb = new StringBuilder();
    sb.append("# TYPE http_requests_total counter\n");
    for (String method : new String[] {"GET", "POST", "PUT"}) {
      for (int code = 200; code < 205; code++) {
        sb.append("http_requests_total{method=\"").append(method).append("\",code=\"").append(code)
            .append("\"} ").append(scrape * 10 + code).append('\n');
      }
    }
    sb.append("# TYPE temperature gauge\ntemperature ").append(scrape).append(".5\n");
    sb.append("# TYPE latency_seconds histogram\n");
    for (String le : new String[] {"0.1", "1", "+Inf"}) {
      sb.append("latency_seconds_bucket{path=\"/a\",le=\"").append(le).append("\"} ").append(scrape).append('\n');
    }
    sb.append("latency_seconds_sum{path=\"/a\"} ").append(scrape).append("\nlatency_seconds_count{path=\"/a\"} ")
        .append(scrape).append('\n');
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void unchangedSeriesKeepTheirLabelObjectsFromParserToTranslation() throws Exception {
    StringCache strings = new StringCache(64);
    AttributeCache attributes = new AttributeCache();
    OtlpToPrometheus translator = new OtlpToPrometheus(TranslationOptions.defaults());
    ScrapeToOtlp.Target target = new ScrapeToOtlp.Target("job", "host:1", "http");

    List<MetricFamily> first = ExpositionFormat.PROMETHEUS_TEXT.parse(body(1), 0, body(1).length, strings);
    List<PromSeries> firstSeries = translator.translate(List.of(
        ScrapeToOtlp.convert(first, target, 1000, attributes))).series();
    List<MetricFamily> second = ExpositionFormat.PROMETHEUS_TEXT.parse(body(2), 0, body(2).length, strings);
    List<PromSeries> secondSeries = translator.translate(List.of(
        ScrapeToOtlp.convert(second, target, 6000, attributes))).series();

    for (int f = 0; f < first.size(); f++) {
      for (int i = 0; i < first.get(f).samples().size(); i++) {
        assertThat(second.get(f).samples().get(i).labels()).isSameAs(first.get(f).samples().get(i).labels());
      }
    }
    assertThat(secondSeries).hasSize(firstSeries.size()).hasSize(15 + 1 + 5);
    Map<Object, Boolean> known = new IdentityHashMap<>();
    firstSeries.forEach(s -> known.put(s.labels(), true));
    for (PromSeries s : secondSeries) {
      assertThat(known).as("label set of %s", s).containsKey(s.labels());
    }
  }

  private static List<MetricFamily> parse(String body, StringCache strings) throws ParseException {
    byte[] b = body.getBytes(StandardCharsets.UTF_8);
    return ExpositionFormat.PROMETHEUS_TEXT.parse(b, 0, b.length, strings);
  }

  private static Labels labelsOf(List<MetricFamily> families, String name, String label, String value) {
    for (MetricFamily f : families) {
      for (Sample s : f.samples()) {
        if (s.name().equals(name) && value.equals(s.labels().get(label))) {
          return s.labels();
        }
      }
    }
    throw new AssertionError("no " + name + " with " + label + "=" + value);
  }

  @Test
  void aBodyWithTheSeriesAndCommentsOfTheOneBeforeIsUnchanged() throws Exception {
    StringCache strings = new StringCache(64);
    SeriesCache memory = strings.series();
    parse(new String(body(1), StandardCharsets.UTF_8), strings);
    assertThat(memory.unchanged()).isFalse();
    int first = memory.lastId();

    parse(new String(body(2), StandardCharsets.UTF_8), strings);

    assertThat(memory.unchanged()).isTrue();
    assertThat(memory.lastId()).isEqualTo(first + 1);
  }

  @Test
  void aNewSeriesMakesTheBodyChangedButTheOthersKeepTheirLabels() throws Exception {
    StringCache strings = new StringCache(64);
    String before = new String(body(1), StandardCharsets.UTF_8);
    List<MetricFamily> first = parse(before, strings);
    // a series above the others: every later line is one place further down
    List<MetricFamily> second = parse("# TYPE fresh gauge\nfresh{a=\"b\"} 1\n" + before, strings);

    assertThat(strings.series().unchanged()).isFalse();
    assertThat(labelsOf(second, "http_requests_total", "method", "PUT"))
        .isSameAs(labelsOf(first, "http_requests_total", "method", "PUT"));
    assertThat(labelsOf(second, "fresh", "a", "b").get("a")).isEqualTo("b");
  }

  @Test
  void timestampsAChangedCommentOrAMissingSeriesMakeTheBodyChanged() throws Exception {
    StringCache strings = new StringCache(64);
    SeriesCache memory = strings.series();
    parse("# HELP g A gauge.\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n", strings);
    parse("# HELP g A gauge.\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2 1700000000000\n", strings);
    assertThat(memory.unchanged()).as("with a timestamp").isFalse();
    parse("# HELP g A gauge.\n# TYPE g gauge\ng{a=\"1\"} 1\ng{a=\"2\"} 2\n", strings);
    assertThat(memory.unchanged()).as("after a body with a timestamp").isFalse();
    parse("# HELP g A gauge.\n# TYPE g gauge\ng{a=\"1\"} 3\ng{a=\"2\"} 4\n", strings);
    assertThat(memory.unchanged()).as("values alone changed").isTrue();
    parse("# HELP g Another text.\n# TYPE g gauge\ng{a=\"1\"} 3\ng{a=\"2\"} 4\n", strings);
    assertThat(memory.unchanged()).as("HELP changed").isFalse();
    parse("# HELP g Another text.\n# TYPE g gauge\ng{a=\"1\"} 3\n", strings);
    assertThat(memory.unchanged()).as("a series missing").isFalse();
    parse("# HELP g Another text.\n# TYPE g gauge\ng{a=\"1\"} 3\ng{a=\"3\"} 4\n", strings);
    assertThat(memory.unchanged()).as("a series replaced").isFalse();
  }

  @Test
  void aNameThatGrowsAtTheSamePlaceIsNotTakenForTheOldOne() throws Exception {
    StringCache strings = new StringCache(64);
    parse("up 1\nab 2\n", strings);
    List<MetricFamily> second = parse("up 1\nabc 2\n", strings);

    assertThat(strings.series().unchanged()).isFalse();
    assertThat(second).extracting(MetricFamily::name).containsExactly("up", "abc");
  }
}
