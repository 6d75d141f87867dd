package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.sluice.translation.prometheus.otlp.OtlpToPrometheus;
import io.sluice.translation.prometheus.otlp.PromSeries;
import io.sluice.translation.prometheus.otlp.PromWriteData;
import io.sluice.translation.prometheus.otlp.TranslationOptions;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ScrapeToOtlpTest {
  private static final long SCRAPE_MS = 1_700_000_000_000L;
  private static final ScrapeToOtlp.Target TARGET =
      new ScrapeToOtlp.Target("node", "host-1:9100", "http");

  static ResourceMetrics convertOpenMetrics(String text) throws ParseException {
    return ScrapeToOtlp.convert(
        ExpositionFormat.OPENMETRICS_TEXT.parse(text.getBytes(StandardCharsets.UTF_8)), TARGET,
        SCRAPE_MS);
  }

  static ResourceMetrics convertText(String text) throws ParseException {
    return ScrapeToOtlp.convert(
        ExpositionFormat.PROMETHEUS_TEXT.parse(text.getBytes(StandardCharsets.UTF_8)), TARGET,
        SCRAPE_MS);
  }

  static List<Metric> metrics(ResourceMetrics rm) {
    assertThat(rm.getScopeMetricsCount()).isEqualTo(1);
    assertThat(rm.getScopeMetrics(0).getScope().getName()).isEqualTo(ScrapeToOtlp.SCOPE_NAME);
    return rm.getScopeMetrics(0).getMetricsList();
  }

  static Map<String, String> attributes(List<KeyValue> kvs) {
    Map<String, String> map = new LinkedHashMap<>();
    for (KeyValue kv : kvs) {
      map.put(kv.getKey(), kv.getValue().getStringValue());
    }
    return map;
  }

  static String type(Metric m) {
    return attributes(m.getMetadataList()).get(ScrapeToOtlp.TYPE_METADATA_KEY);
  }

  @Test
  void mapsJobAndInstanceToTheResource() throws Exception {
    ResourceMetrics rm = convertText("a 1\n");
    assertThat(attributes(rm.getResource().getAttributesList())).containsExactly(
        Map.entry("service.name", "node"), Map.entry("service.instance.id", "host-1:9100"),
        Map.entry("server.address", "host-1"), Map.entry("server.port", "9100"),
        Map.entry("url.scheme", "http"));
  }

  @Test
  void convertsCounterToMonotonicCumulativeSumWithStartTimeAndExemplar() throws Exception {
    List<Metric> metrics = metrics(convertOpenMetrics("""
        # TYPE rpc_seconds counter
        # UNIT rpc_seconds seconds
        # HELP rpc_seconds Time spent.
        rpc_seconds_total{m="get"} 17 # {trace_id="0102030405060708090a0b0c0d0e0f10",span_id="1112131415161718",x="y"} 0.5 1.5
        rpc_seconds_created{m="get"} 1600000000.25
        # EOF
        """));
    assertThat(metrics).hasSize(1);
    Metric m = metrics.get(0);
    assertThat(m.getName()).isEqualTo("rpc_seconds_total");
    assertThat(m.getUnit()).isEqualTo("s");
    assertThat(m.getDescription()).isEqualTo("Time spent.");
    assertThat(type(m)).isEqualTo("counter");
    assertThat(m.getSum().getIsMonotonic()).isTrue();
    assertThat(m.getSum().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    NumberDataPoint p = m.getSum().getDataPoints(0);
    assertThat(p.getAsDouble()).isEqualTo(17.0);
    assertThat(attributes(p.getAttributesList())).containsExactly(Map.entry("m", "get"));
    assertThat(p.getTimeUnixNano()).isEqualTo(SCRAPE_MS * 1_000_000L);
    assertThat(p.getStartTimeUnixNano()).isEqualTo(1_600_000_000_250L * 1_000_000L);
    var ex = p.getExemplars(0);
    assertThat(ex.getAsDouble()).isEqualTo(0.5);
    assertThat(ex.getTimeUnixNano()).isEqualTo(1_500_000_000L);
    assertThat(ex.getTraceId().toByteArray()).startsWith(1, 2, 3).hasSize(16);
    assertThat(ex.getSpanId().toByteArray()).startsWith(0x11, 0x12).hasSize(8);
    assertThat(attributes(ex.getFilteredAttributesList())).containsExactly(Map.entry("x", "y"));
  }

  @Test
  void convertsGaugesUnknownInfoAndStateset() throws Exception {
    List<Metric> metrics = metrics(convertOpenMetrics("""
        # TYPE g gauge
        g 1.5 10
        u 2
        # TYPE build info
        build_info{version="1"} 1
        # TYPE st stateset
        st{st="on"} 1
        st{st="off"} 0
        # EOF
        """));
    assertThat(metrics).extracting(Metric::getName).containsExactly("g", "u", "build_info", "st");
    assertThat(metrics).extracting(ScrapeToOtlpTest::type)
        .containsExactly("gauge", "unknown", "info", "stateset");
    assertThat(metrics.get(0).hasGauge()).isTrue();
    assertThat(metrics.get(0).getGauge().getDataPoints(0).getTimeUnixNano())
        .isEqualTo(10_000_000_000L);
    assertThat(metrics.get(1).hasGauge()).isTrue();
    assertThat(metrics.get(2).getSum().getIsMonotonic()).isFalse();
    assertThat(metrics.get(3).getSum().getIsMonotonic()).isFalse();
    assertThat(metrics.get(3).getSum().getDataPointsCount()).isEqualTo(2);
  }

  @Test
  void decumulatesHistogramBuckets() throws Exception {
    List<Metric> metrics = metrics(convertText("""
        # HELP lat A histogram.
        # TYPE lat histogram
        lat_bucket{path="/",le="0.1"} 2
        lat_bucket{path="/",le="0.5"} 5
        lat_bucket{path="/",le="+Inf"} 6
        lat_sum{path="/"} 2.5
        lat_count{path="/"} 6
        lat_bucket{path="/x",le="0.1"} 0
        lat_bucket{path="/x",le="0.5"} 0
        lat_bucket{path="/x",le="+Inf"} 0
        lat_count{path="/x"} 0
        """));
    Metric m = metrics.get(0);
    assertThat(m.getName()).isEqualTo("lat");
    assertThat(type(m)).isEqualTo("histogram");
    assertThat(m.getHistogram().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    assertThat(m.getHistogram().getDataPointsCount()).isEqualTo(2);
    HistogramDataPoint p = m.getHistogram().getDataPoints(0);
    assertThat(attributes(p.getAttributesList())).containsExactly(Map.entry("path", "/"));
    assertThat(p.getExplicitBoundsList()).containsExactly(0.1, 0.5);
    assertThat(p.getBucketCountsList()).containsExactly(2L, 3L, 1L);
    assertThat(p.getCount()).isEqualTo(6L);
    assertThat(p.getSum()).isEqualTo(2.5);
    HistogramDataPoint noSum = m.getHistogram().getDataPoints(1);
    assertThat(noSum.hasSum()).isFalse();
    assertThat(noSum.getBucketCountsList()).containsExactly(0L, 0L, 0L);
  }

  @Test
  void dropsHistogramAndSummaryPointsWithoutCountAndGaugeHistograms() throws Exception {
    List<Metric> metrics = metrics(convertOpenMetrics("""
        # TYPE h histogram
        h_bucket{le="+Inf"} 1
        # TYPE gh gaugehistogram
        gh_bucket{le="+Inf"} 1
        gh_gcount 1
        gh_gsum 1
        # TYPE s summary
        s{quantile="0.5"} 1
        # EOF
        """));
    assertThat(metrics).isEmpty();
  }

  @Test
  void convertsSummaries() throws Exception {
    List<Metric> metrics = metrics(convertOpenMetrics("""
        # TYPE s summary
        s{quantile="0.5"} 4
        s{quantile="0.9"} 7
        s_count 10
        s_created 100
        # EOF
        """));
    Metric m = metrics.get(0);
    assertThat(m.getName()).isEqualTo("s");
    assertThat(type(m)).isEqualTo("summary");
    SummaryDataPoint p = m.getSummary().getDataPoints(0);
    assertThat(p.getCount()).isEqualTo(10L);
    assertThat(p.getSum()).isEqualTo(0.0);
    assertThat(p.getStartTimeUnixNano()).isEqualTo(100_000_000_000L);
    assertThat(p.getQuantileValuesList()).extracting(q -> q.getQuantile() + "=" + q.getValue())
        .containsExactly("0.5=4.0", "0.9=7.0");
  }

  /** Name and labels of every series, with its first value, as remote write would send them. */
  private static Map<String, Double> throughTranslation(ResourceMetrics rm) {
    PromWriteData d = new OtlpToPrometheus(TranslationOptions.defaults()).translate(List.of(rm));
    Map<String, Double> out = new java.util.TreeMap<>();
    for (PromSeries s : d.series()) {
      StringBuilder key = new StringBuilder(s.metricName()).append('{');
      for (int i = 0; i < s.labelCount(); i++) {
        if (!s.labelName(i).equals("__name__") && !s.labelName(i).equals("job")
            && !s.labelName(i).equals("instance")) {
          key.append(s.labelName(i)).append('=').append(s.labelValue(i)).append(',');
        }
      }
      out.put(key.append('}').toString(), s.value(0));
    }
    return out;
  }

  /**
   * The series Prometheus 2.42 stores for this exposition (checked against a real server): the
   * {@code _created} samples as series of their own, and {@code le}/{@code quantile} values as
   * the target spelled them.
   */
  @Test
  void aScrapeTranslatedBackGivesTheSeriesPrometheusStoresForIt() throws Exception {
    ResourceMetrics rm = convertOpenMetrics("""
        # TYPE foo counter
        foo_total{a="x"} 17.0
        foo_created{a="x"} 1700000000.123
        # TYPE lat histogram
        lat_bucket{le="0.1"} 1
        lat_bucket{le="1.0"} 2
        lat_bucket{le="1e+09"} 2
        lat_bucket{le="+Inf"} 3
        lat_count 3
        lat_sum 2.5
        lat_created 1700000000.0
        # TYPE q summary
        q{quantile="0.50"} 1
        q{quantile="0.9"} 1.5
        q_count 2
        q_sum 3
        q_created 1699999999.987654
        # EOF
        """);

    assertThat(throughTranslation(rm)).containsExactlyInAnyOrderEntriesOf(Map.ofEntries(
        Map.entry("foo_total{a=x,}", 17.0), Map.entry("foo_created{a=x,}", 1700000000.123),
        Map.entry("lat_bucket{le=0.1,}", 1.0), Map.entry("lat_bucket{le=1.0,}", 2.0),
        Map.entry("lat_bucket{le=1e+09,}", 2.0), Map.entry("lat_bucket{le=+Inf,}", 3.0),
        Map.entry("lat_count{}", 3.0), Map.entry("lat_sum{}", 2.5), Map.entry("lat_created{}", 1700000000.0),
        Map.entry("q{quantile=0.50,}", 1.0), Map.entry("q{quantile=0.9,}", 1.5), Map.entry("q_count{}", 2.0),
        Map.entry("q_sum{}", 3.0), Map.entry("q_created{}", 1699999999.987654)));
  }

  @Test
  void createdSamplesThatGoStaleMakeTheirPointsCarryAStartTime() {
    double stale = Double.longBitsToDouble(ScrapeToOtlp.STALE_NAN_BITS);
    MetricFamily counter = new MetricFamily("c", MetricType.COUNTER);
    counter.add(new Sample("c_total", Labels.EMPTY, stale, Sample.NO_TIMESTAMP, null));
    counter.add(new Sample("c_created", Labels.EMPTY, stale, Sample.NO_TIMESTAMP, null));
    ResourceMetrics rm = ScrapeToOtlp.convert(List.of(counter), TARGET, SCRAPE_MS);

    NumberDataPoint p = metrics(rm).get(0).getSum().getDataPoints(0);
    assertThat(p.getFlags()).isEqualTo(1);
    assertThat(p.getStartTimeUnixNano()).isEqualTo(ScrapeToOtlp.STALE_CREATED_NANOS);
    Map<String, Double> series = throughTranslation(rm);
    assertThat(series).containsOnlyKeys("c_total{}", "c_created{}");
    assertThat(Double.doubleToRawLongBits(series.get("c_created{}"))).isEqualTo(ScrapeToOtlp.STALE_NAN_BITS);
  }

  @Test
  void aStaleHistogramOrSummaryStalesEverySeriesOfIt() {
    double stale = Double.longBitsToDouble(ScrapeToOtlp.STALE_NAN_BITS);
    MetricFamily hist = new MetricFamily("h", MetricType.HISTOGRAM);
    for (String le : List.of("0.1", "1.0", "+Inf")) {
      hist.add(new Sample("h_bucket", Labels.of("le", le), stale, Sample.NO_TIMESTAMP, null));
    }
    hist.add(new Sample("h_count", Labels.EMPTY, stale, Sample.NO_TIMESTAMP, null));
    hist.add(new Sample("h_sum", Labels.EMPTY, stale, Sample.NO_TIMESTAMP, null));
    MetricFamily summary = new MetricFamily("s", MetricType.SUMMARY);
    summary.add(new Sample("s", Labels.of("quantile", "0.50"), stale, Sample.NO_TIMESTAMP, null));
    summary.add(new Sample("s", Labels.of("quantile", "0.9"), stale, Sample.NO_TIMESTAMP, null));
    summary.add(new Sample("s_count", Labels.EMPTY, stale, Sample.NO_TIMESTAMP, null));
    summary.add(new Sample("s_sum", Labels.EMPTY, stale, Sample.NO_TIMESTAMP, null));

    Map<String, Double> series = throughTranslation(ScrapeToOtlp.convert(List.of(hist, summary), TARGET, SCRAPE_MS));

    assertThat(series).containsOnlyKeys("h_bucket{le=0.1,}", "h_bucket{le=1.0,}", "h_bucket{le=+Inf,}",
        "h_count{}", "h_sum{}", "s{quantile=0.50,}", "s{quantile=0.9,}", "s_count{}", "s_sum{}");
    assertThat(series.values()).allSatisfy(v -> assertThat(Double.doubleToRawLongBits(v))
        .isEqualTo(ScrapeToOtlp.STALE_NAN_BITS));
  }

  @Test
  void marksStaleSamplesAsNoRecordedValue() {
    double stale = Double.longBitsToDouble(ScrapeToOtlp.STALE_NAN_BITS);
    MetricFamily gauge = new MetricFamily("g", MetricType.GAUGE);
    gauge.add(new Sample("g", Labels.EMPTY, stale, Sample.NO_TIMESTAMP, null));
    gauge.add(new Sample("g", Labels.of("a", "b"), Double.NaN, Sample.NO_TIMESTAMP, null));
    MetricFamily hist = new MetricFamily("h", MetricType.HISTOGRAM);
    hist.add(new Sample("h_bucket", Labels.of("le", "+Inf"), stale, Sample.NO_TIMESTAMP, null));
    hist.add(new Sample("h_count", Labels.EMPTY, stale, Sample.NO_TIMESTAMP, null));
    List<Metric> metrics = metrics(ScrapeToOtlp.convert(List.of(gauge, hist), TARGET, SCRAPE_MS));
    NumberDataPoint stalePoint = metrics.get(0).getGauge().getDataPoints(0);
    assertThat(stalePoint.getFlags()).isEqualTo(1);
    assertThat(Double.doubleToRawLongBits(stalePoint.getAsDouble()))
        .isEqualTo(ScrapeToOtlp.STALE_NAN_BITS);
    assertThat(metrics.get(0).getGauge().getDataPoints(1).getFlags()).isZero();
    assertThat(metrics.get(1).getHistogram().getDataPoints(0).getFlags()).isEqualTo(1);
  }

  @Test
  void mergesTargetInfoIntoTheResource() throws Exception {
    ResourceMetrics rm = convertOpenMetrics("""
        # TYPE target info
        target_info{env="prod",job="ignored"} 1
        # TYPE g gauge
        g 1
        # EOF
        """);
    assertThat(attributes(rm.getResource().getAttributesList()))
        .containsEntry("env", "prod").containsEntry("service.name", "node");
    assertThat(metrics(rm)).extracting(Metric::getName).containsExactly("g");
  }

  @Test
  void movesOtelScopeLabelsToTheScope() throws Exception {
    ResourceMetrics rm = convertText("""
        # TYPE c counter
        c_total{otel_scope_name="lib",otel_scope_version="1.2",k="v"} 3
        c_total{k="w"} 4
        """);
    assertThat(rm.getScopeMetricsCount()).isEqualTo(2);
    var lib = rm.getScopeMetrics(0);
    assertThat(lib.getScope().getName()).isEqualTo("lib");
    assertThat(lib.getScope().getVersion()).isEqualTo("1.2");
    NumberDataPoint p = lib.getMetrics(0).getSum().getDataPoints(0);
    assertThat(attributes(p.getAttributesList())).containsExactly(Map.entry("k", "v"));
    var receiver = rm.getScopeMetrics(1);
    assertThat(receiver.getScope().getName()).isEqualTo(ScrapeToOtlp.SCOPE_NAME);
    assertThat(receiver.getMetrics(0).getName()).isEqualTo("c_total");
    assertThat(receiver.getMetrics(0).getSum().getDataPoints(0).getAsDouble()).isEqualTo(4.0);
  }

  @Test
  void mapsUnitWordsToUcum() {
    assertThat(ScrapeToOtlp.ucumUnit("seconds")).isEqualTo("s");
    assertThat(ScrapeToOtlp.ucumUnit("bytes")).isEqualTo("By");
    assertThat(ScrapeToOtlp.ucumUnit("bytes_per_second")).isEqualTo("By/s");
    assertThat(ScrapeToOtlp.ucumUnit("widgets")).isEqualTo("widgets");
    assertThat(ScrapeToOtlp.ucumUnit(null)).isNull();
  }
}
