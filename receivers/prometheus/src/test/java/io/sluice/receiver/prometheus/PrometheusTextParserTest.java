package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PrometheusTextParserTest {

  static List<MetricFamily> parse(String text) throws ParseException {
    return ExpositionFormat.PROMETHEUS_TEXT.parse(text.getBytes(StandardCharsets.UTF_8));
  }

  static MetricFamily only(String text) throws ParseException {
    List<MetricFamily> families = parse(text);
    assertThat(families).hasSize(1);
    return families.get(0);
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
  void parsesCounterWithHelpTypeLabelsAndTimestamp() throws Exception {
    MetricFamily f = only("""
        # HELP http_requests_total The total number of HTTP requests.
        # TYPE http_requests_total counter
        http_requests_total{method="post",code="200"} 1027 1395066363000
        http_requests_total{method="post",code="400"}    3 1395066363000
        """);
    assertThat(f.name()).isEqualTo("http_requests_total");
    assertThat(f.type()).isEqualTo(MetricType.COUNTER);
    assertThat(f.help()).isEqualTo("The total number of HTTP requests.");
    assertThat(f.unit()).isNull();
    assertThat(f.samples()).hasSize(2);
    Sample s = f.samples().get(0);
    assertThat(s.name()).isEqualTo("http_requests_total");
    assertThat(s.labels()).isEqualTo(Labels.of("code", "200", "method", "post"));
    assertThat(s.labels().name(0)).isEqualTo("code");
    assertThat(s.value()).isEqualTo(1027.0);
    assertThat(s.timestampMs()).isEqualTo(1395066363000L);
    assertThat(f.samples().get(1).value()).isEqualTo(3.0);
  }

  @Test
  void ignoresCommentsAndEmptyLines() throws Exception {
    List<MetricFamily> families = parse("""
        # Escaping in label values:
        #
        # HELPER is not a keyword
        #HELP a no space after the hash is still HELP

        a 1

        """);
    assertThat(families).hasSize(1);
    assertThat(families.get(0).help()).isEqualTo("no space after the hash is still HELP");
    assertThat(families.get(0).samples()).hasSize(1);
  }

  @Test
  void unescapesOnlyBackslashAndNewlineInHelp() throws Exception {
    MetricFamily f = only("# HELP a back\\\\slash new\\nline \\\"quote\\\" other\\t\na 1\n");
    assertThat(f.help()).isEqualTo("back\\slash new\nline \\\"quote\\\" other\\t");
  }

  @Test
  void unescapesLabelValues() throws Exception {
    Sample s = only("a{v=\"q\\\"b\\\\n\\nx\"} 1\n").samples().get(0);
    assertThat(s.labels().get("v")).isEqualTo("q\"b\\n\nx");
  }

  @Test
  void samplesWithoutTypeAreUntyped() throws Exception {
    List<MetricFamily> families = parse("""
        # TYPE b untyped
        b 2
        a{x="1"} 1
        a{x="2"} 1
        """);
    assertThat(families).extracting(MetricFamily::name).containsExactly("b", "a");
    assertThat(families).extracting(MetricFamily::type)
        .containsExactly(MetricType.UNKNOWN, MetricType.UNKNOWN);
    assertThat(families.get(1).samples()).hasSize(2);
  }

  @Test
  void rejectsTypeAfterTheSamples() {
    ParseException e = failure("a 1\n# TYPE a gauge\n");
    assertThat(e.line()).isEqualTo(2);
    assertThat(e).hasMessage("line 2: TYPE for 'a' after its samples; it must come first");
  }

  @Test
  void rejectsASecondTypeOrHelpLine() {
    assertThat(failure("# TYPE a gauge\n# TYPE a gauge\n"))
        .hasMessage("line 2: second TYPE line for 'a'");
    assertThat(failure("# HELP a x\n# HELP a y\n"))
        .hasMessage("line 2: second HELP line for 'a'");
  }

  @Test
  void rejectsUnknownTypes() {
    assertThat(failure("# TYPE a stateset\n")).hasMessageStartingWith(
        "line 1: unknown metric type 'stateset' for 'a'");
  }

  @Test
  void readsQuotedUtf8MetricAndLabelNames() throws Exception {
    MetricFamily f = only("""
        # TYPE "my.metric" gauge
        {"my.metric", "label.name"="v", plain="p"} 3
        """);
    assertThat(f.name()).isEqualTo("my.metric");
    assertThat(f.type()).isEqualTo(MetricType.GAUGE);
    Sample s = f.samples().get(0);
    assertThat(s.name()).isEqualTo("my.metric");
    assertThat(s.labels()).isEqualTo(Labels.of("label.name", "v", "plain", "p"));
    assertThat(s.value()).isEqualTo(3.0);
  }

  @Test
  void acceptsTrailingCommasAndBlanksInLabelSets() throws Exception {
    MetricFamily f = only("a{ x = \"1\" ,\ty=\"2\", } 1\na{} 2\n");
    assertThat(f.samples().get(0).labels()).isEqualTo(Labels.of("x", "1", "y", "2"));
    assertThat(f.samples().get(1).labels()).isEqualTo(Labels.EMPTY);
  }

  @Test
  void acceptsWhitespaceVariants() throws Exception {
    MetricFamily f = only("  \t# TYPE  a\tgauge  \n\t a \t{l=\"v\"}\t 1.5 \t 123 \t\n");
    assertThat(f.type()).isEqualTo(MetricType.GAUGE);
    Sample s = f.samples().get(0);
    assertThat(s.value()).isEqualTo(1.5);
    assertThat(s.timestampMs()).isEqualTo(123L);
  }

  @Test
  void acceptsAMissingFinalNewlineAndCrlf() throws Exception {
    assertThat(only("a 1").samples().get(0).value()).isEqualTo(1.0);
    List<MetricFamily> crlf = parse("# TYPE a gauge\r\na 1 5\r\nb 2\r\n");
    assertThat(crlf).hasSize(2);
    assertThat(crlf.get(0).type()).isEqualTo(MetricType.GAUGE);
    assertThat(crlf.get(0).samples().get(0).timestampMs()).isEqualTo(5L);
    assertThat(crlf.get(1).samples().get(0).value()).isEqualTo(2.0);
  }

  @Test
  void parsesTimestampsAsIntegerMilliseconds() throws Exception {
    List<Sample> samples = only("a{i=\"1\"} 1 -5\na{i=\"2\"} 1 9223372036854775807\na{i=\"3\"} 1\n")
        .samples();
    assertThat(samples.get(0).timestampMs()).isEqualTo(-5L);
    assertThat(samples.get(1).timestampMs()).isEqualTo(Long.MAX_VALUE);
    assertThat(samples.get(2).hasTimestamp()).isFalse();
    assertThat(failure("a 1 1.5\n"))
        .hasMessageStartingWith("line 1: invalid timestamp of 'a': '1.5'");
    assertThat(failure("a 1 99999999999999999999\n"))
        .hasMessageStartingWith("line 1: timestamp of 'a' is out of range");
  }

  @Test
  void parsesNanAndInfinities() throws Exception {
    List<Sample> samples = only("""
        a{v="1"} NaN
        a{v="2"} +Inf
        a{v="3"} -Inf
        a{v="4"} Inf
        a{v="5"} inf
        a{v="6"} -infinity
        a{v="7"} nan
        """).samples();
    assertThat(Double.doubleToRawLongBits(samples.get(0).value()))
        .isEqualTo(Double.doubleToRawLongBits(Double.NaN));
    assertThat(samples.get(1).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(samples.get(2).value()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(samples.get(3).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(samples.get(4).value()).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(samples.get(5).value()).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(samples.get(6).value()).isNaN();
  }

  @ParameterizedTest
  @ValueSource(strings = {"0", "-0", "1", "0.1", "0.3", "1.5e-7", "123456789012345", "1234567890123456789",
      "9007199254740993", "3.141592653589793", "2.2250738585072014E-308", "1e308", "1.7976931348623157e308",
      "4.9e-324", "0000012.50", ".5", "5.", "1E+22", "1e23", "123.456e-10", "0x1p-3", "0X1.8P1",
      "0.000000000000000000000000001"})
  void parsesNumbersExactlyLikeDoubleParseDouble(String text) throws Exception {
    double expected = Double.parseDouble(text);
    double actual = only("a " + text + "\n").samples().get(0).value();
    assertThat(Double.doubleToRawLongBits(actual)).as(text)
        .isEqualTo(Double.doubleToRawLongBits(expected));
  }

  @ParameterizedTest
  @ValueSource(strings = {"1d", "1f", "1_000", "1e", "--1", "+NaN", "0x1", "1.2.3", "abc", "0x1p3d", "."})
  void rejectsMalformedNumbers(String text) {
    assertThat(failure("a " + text + "\n")).hasMessageStartingWith("line 1: ");
  }

  @Test
  void groupsHistogramLinesIntoTheirFamily() throws Exception {
    MetricFamily f = only("""
        # HELP rpc_duration_seconds A histogram.
        # TYPE rpc_duration_seconds histogram
        rpc_duration_seconds_bucket{le="0.05"} 24054
        rpc_duration_seconds_bucket{le="0.1"} 33444
        rpc_duration_seconds_bucket{le="+Inf"} 144320
        rpc_duration_seconds_sum 53423
        rpc_duration_seconds_count 144320
        """);
    assertThat(f.type()).isEqualTo(MetricType.HISTOGRAM);
    assertThat(f.samples()).extracting(Sample::name).containsExactly(
        "rpc_duration_seconds_bucket", "rpc_duration_seconds_bucket", "rpc_duration_seconds_bucket",
        "rpc_duration_seconds_sum", "rpc_duration_seconds_count");
    assertThat(f.samples().get(2).labels().get("le")).isEqualTo("+Inf");
  }

  @Test
  void groupsSummaryLinesIntoTheirFamily() throws Exception {
    List<MetricFamily> families = parse("""
        # TYPE rpc summary
        rpc{quantile="0.5"} 4773
        rpc{quantile="0.99"} 76656
        rpc_sum 1.7560473e+07
        rpc_count 2693
        # TYPE other gauge
        other 1
        """);
    assertThat(families).hasSize(2);
    MetricFamily f = families.get(0);
    assertThat(f.type()).isEqualTo(MetricType.SUMMARY);
    assertThat(f.samples()).hasSize(4);
    assertThat(f.samples().get(2).value()).isEqualTo(1.7560473e7);
    assertThat(families.get(1).samples()).hasSize(1);
  }

  @Test
  void acceptsTotalSamplesOfACounterTypedWithoutTheSuffix() throws Exception {
    MetricFamily f = only("# TYPE jobs counter\njobs_total{q=\"a\"} 4\n");
    assertThat(f.name()).isEqualTo("jobs");
    assertThat(f.samples()).extracting(Sample::name).containsExactly("jobs_total");
  }

  @Test
  void keepsDeclaredFamiliesWithoutSamples() throws Exception {
    MetricFamily f = only("# HELP a help only\n# TYPE a counter\n");
    assertThat(f.samples()).isEmpty();
    assertThat(f.type()).isEqualTo(MetricType.COUNTER);
  }

  @Test
  void reportsTheLineAndWhatWasFound() {
    ParseException e = failure("""
        # TYPE http_requests_total counter
        http_requests_total{code="200"} 1

        http_requests_total{code="500"}} 2
        """);
    assertThat(e.line()).isEqualTo(4);
    assertThat(e).hasMessage(
        "line 4: expected a value after the labels of 'http_requests_total', found '}'");
  }

  @Test
  void reportsSyntaxErrorsWithLineNumbers() {
    assertThat(failure("a 1\nb{x=\"1} 2\n"))
        .hasMessage("line 2: unterminated value of label 'x': missing closing '\"'");
    assertThat(failure("a{x=1} 2\n"))
        .hasMessage("line 1: expected '\"' to open the value of label 'x', found '1'");
    assertThat(failure("a{x=\"1\" y=\"2\"} 2\n"))
        .hasMessage("line 1: expected ',' or '}' after the value of label 'x', found 'y'");
    assertThat(failure("a{x=\"1\",x=\"2\"} 2\n")).hasMessage("line 1: label 'x' appears twice");
    assertThat(failure("a\n")).hasMessage("line 1: expected a value after 'a', found the end of the line");
    assertThat(failure("1a 1\n")).hasMessage("line 1: expected a metric name, found '1'");
    assertThat(failure("a 1 2 3\n"))
        .hasMessage("line 1: unexpected text after the timestamp of 'a': '3'");
    assertThat(failure("a 1 # {x=\"y\"} 1\n")).hasMessageStartingWith("line 1: invalid timestamp");
    assertThat(failure("a 1x\n")).hasMessage("line 1: invalid value of 'a': '1x'");
  }

  @Test
  void rejectsInvalidUtf8InLabelValues() throws Exception {
    byte[] bad = {'a', '{', 'x', '=', '"', (byte) 0xc3, '"', '}', ' ', '1', '\n'};
    assertThatThrownBy(() -> ExpositionFormat.PROMETHEUS_TEXT.parse(bad))
        .hasMessage("line 1: invalid UTF-8 in the value of label 'x'");
    Sample ok = only("a{x=\"é☃\"} 1\n").samples().get(0);
    assertThat(ok.labels().get("x")).isEqualTo("é☃");
  }

  @Test
  void parsesFromAnOffset() throws Exception {
    byte[] bytes = "xxxa 1\nb 2\nyyy".getBytes(StandardCharsets.UTF_8);
    List<MetricFamily> families = ExpositionFormat.PROMETHEUS_TEXT.parse(bytes, 3, 8);
    assertThat(families).extracting(MetricFamily::name).containsExactly("a", "b");
  }
}
