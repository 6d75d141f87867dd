package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class OpenMetricsParserTest {

  static List<MetricFamily> parse(String text) throws ParseException {
    return ExpositionFormat.OPENMETRICS_TEXT.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  static ParseException failure(String text) {
    try {
      parse(text);
    } catch (ParseException e) {
      return e;
    }
    throw new AssertionError("expected a ParseException for:\n" + text);
  }

  @Test
  void readsCounterWithUnitHelpCreatedAndExemplar() throws Exception {
    List<MetricFamily> families = parse("""
        # TYPE rpc_seconds counter
        # UNIT rpc_seconds seconds
        # HELP rpc_seconds Time \\"spent\\"\\nin RPCs.
        rpc_seconds_total{method="get"} 17.5 1520879607.789 # {trace_id="abc"} 0.67 1520879606.5
        rpc_seconds_created{method="get"} 1520430000.123
        # EOF
        """);
    assertThat(families).hasSize(1);
    MetricFamily f = families.get(0);
    assertThat(f.name()).isEqualTo("rpc_seconds");
    assertThat(f.type()).isEqualTo(MetricType.COUNTER);
    assertThat(f.unit()).isEqualTo("seconds");
    assertThat(f.help()).isEqualTo("Time \"spent\"\nin RPCs.");
    Sample total = f.samples().get(0);
    assertThat(total.name()).isEqualTo("rpc_seconds_total");
    assertThat(total.value()).isEqualTo(17.5);
    assertThat(total.timestampMs()).isEqualTo(1520879607789L);
    Exemplar ex = total.exemplar();
    assertThat(ex.labels()).isEqualTo(Labels.of("trace_id", "abc"));
    assertThat(ex.value()).isEqualTo(0.67);
    assertThat(ex.timestampMs()).isEqualTo(1520879606500L);
    Sample created = f.samples().get(1);
    assertThat(created.name()).isEqualTo("rpc_seconds_created");
    assertThat(created.value()).isEqualTo(1520430000.123);
    assertThat(created.hasTimestamp()).isFalse();
  }

  @Test
  void readsAllTypes() throws Exception {
    List<MetricFamily> families = parse("""
        # TYPE g gauge
        g 1
        # TYPE u unknown
        u 2
        # TYPE h histogram
        h_bucket{le="1"} 1
        h_bucket{le="+Inf"} 2
        h_count 2
        h_sum 1.5
        # TYPE gh gaugehistogram
        gh_bucket{le="+Inf"} 2
        gh_gcount 2
        gh_gsum 3
        # TYPE s summary
        s{quantile="0.5"} 4
        s_sum 9
        s_count 3
        # TYPE i info
        i_info{version="1.2"} 1
        # TYPE st stateset
        st{st="a"} 1
        st{st="b"} 0
        # EOF
        """);
    assertThat(families).extracting(MetricFamily::type).containsExactly(MetricType.GAUGE,
        MetricType.UNKNOWN, MetricType.HISTOGRAM, MetricType.GAUGEHISTOGRAM, MetricType.SUMMARY,
        MetricType.INFO, MetricType.STATESET);
    assertThat(families).extracting(f -> f.samples().size()).containsExactly(1, 1, 4, 3, 3, 1, 2);
  }

  @Test
  void acceptsSpecialValuesInAnyCaseAndLeadingZeros() throws Exception {
    List<Sample> samples = parse("""
        a{v="1"} nan
        a{v="2"} INF
        a{v="3"} -Infinity
        a{v="4"} +inf
        a{v="5"} 007.50
        # EOF""").get(0).samples();
    assertThat(samples.get(0).value()).isNaN();
    assertThat(samples.get(1).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(samples.get(2).value()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(samples.get(3).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(samples.get(4).value()).isEqualTo(7.5);
  }

  @Test
  void convertsNegativeAndFractionalSecondTimestamps() throws Exception {
    List<Sample> samples = parse("a 1 -1.5\na 2 0.0015\na 3 1e3\n# EOF\n").get(0).samples();
    assertThat(samples).extracting(Sample::timestampMs).containsExactly(-1500L, 1L, 1_000_000L);
  }

  @Test
  void treatsEmptyHelpAndUnitAsAbsent() throws Exception {
    MetricFamily f = parse("# HELP a \n# UNIT a \na 1\n# EOF\n").get(0);
    assertThat(f.help()).isNull();
    assertThat(f.unit()).isNull();
  }

  @Test
  void rejectsWhatTheFormatForbids() {
    assertThat(failure("a 1\n")).hasMessage(
        "line 1: the exposition does not end with '# EOF'");
    assertThat(failure("a 1\n\n# EOF\n")).hasMessage(
        "line 2: blank lines are not allowed in OpenMetrics");
    assertThat(failure("a 1\n# EOF\nb 1\n")).hasMessage("line 3: text after '# EOF'");
    assertThat(failure("a 1\r\n# EOF\n")).hasMessageStartingWith("line 1: invalid value of 'a'");
    assertThat(failure("# a comment\n# EOF\n")).hasMessageStartingWith(
        "line 1: expected '# TYPE', '# HELP', '# UNIT' or '# EOF'");
    assertThat(failure("a{b=\"1\",} 1\n# EOF\n")).hasMessage(
        "line 1: expected a label name, found '}'");
    assertThat(failure("a  1\n# EOF\n")).hasMessage(
        "line 1: expected the value of 'a', found ' '");
  }

  @Test
  void rejectsInterleavedFamiliesAndSeries() {
    assertThat(failure("a 1\nb 1\na 2\n# EOF\n")).hasMessage(
        "line 3: metric family 'a' appears a second time; the lines of a family must be together");
    assertThat(failure("a{x=\"1\"} 1\na{x=\"2\"} 1\na{x=\"1\"} 2 1\n# EOF\n"))
        .hasMessageStartingWith("line 3: the samples of 'a{x=\"1\"}' are not together");
  }

  @Test
  void rejectsCounterAndHistogramRuleViolations() {
    assertThat(failure("# TYPE a counter\na_total -1\n# EOF\n")).hasMessage(
        "line 2: 'a_total' must not be negative or NaN, found -1.0");
    assertThat(failure("# TYPE a counter\na 1\n# EOF\n")).hasMessage(
        "line 2: 'a' is not a sample name of counter 'a'; expected 'a_total' or 'a_created'");
    assertThat(failure("# TYPE a histogram\na_bucket{le=\"1\"} 1\na_count 1\na_sum 1\n# EOF\n"))
        .hasMessage("line 2: histogram 'a' has no le=\"+Inf\" bucket");
    assertThat(failure("# TYPE a histogram\na_bucket{le=\"+Inf\"} 2\na_count 1\na_sum 1\n# EOF\n"))
        .hasMessage("line 2: the count of histogram 'a' (1.0) differs from its +Inf bucket (2.0)");
    assertThat(failure("# TYPE a histogram\na_bucket{le=\"+Inf\"} 1.5\n# EOF\n"))
        .hasMessage("line 2: 'a_bucket{le=\"+Inf\"}' must be a whole number, found 1.5");
    assertThat(failure("# TYPE a gauge\na 1 # {x=\"y\"} 1\n# EOF\n"))
        .hasMessageStartingWith("line 2: exemplars are allowed only on counter");
  }

  @Test
  void rejectsUnitThatIsNotTheNameSuffix() {
    assertThat(failure("# UNIT a_bytes seconds\n# EOF\n")).hasMessage(
        "line 1: the name 'a_bytes' must end with '_seconds', its UNIT");
  }
}
