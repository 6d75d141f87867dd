package io.sluice.translation.prometheus.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpToPrometheusTest {
  private static final long T0 = 1_700_000_000_123_456_789L;
  private static final long T0_MS = 1_700_000_000_123L;

  static KeyValue attr(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  static Resource resource(KeyValue... attrs) {
    return Resource.newBuilder().addAllAttributes(List.of(attrs)).build();
  }

  static ResourceMetrics rm(Resource r, Metric... metrics) {
    return ResourceMetrics.newBuilder().setResource(r)
        .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics))).build();
  }

  static NumberDataPoint point(long t, double v, KeyValue... attrs) {
    return NumberDataPoint.newBuilder().setTimeUnixNano(t).setAsDouble(v).addAllAttributes(List.of(attrs)).build();
  }

  static Metric gauge(String name, String unit, NumberDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit(unit)
        .setGauge(Gauge.newBuilder().addAllDataPoints(List.of(points))).build();
  }

  static Metric sum(String name, String unit, boolean monotonic, AggregationTemporality t, NumberDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit(unit).setSum(Sum.newBuilder().setIsMonotonic(monotonic)
        .setAggregationTemporality(t).addAllDataPoints(List.of(points))).build();
  }

  private static PromWriteData translate(ResourceMetrics... rms) {
    return new OtlpToPrometheus(TranslationOptions.defaults()).translate(List.of(rms));
  }

  private static Map<String, String> labels(PromSeries s) {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < s.labelCount(); i++) {
      m.put(s.labelName(i), s.labelValue(i));
    }
    return m;
  }

  private static PromSeries only(PromWriteData d, String name) {
    List<PromSeries> found = named(d, name);
    assertThat(found).hasSize(1);
    return found.get(0);
  }

  private static List<PromSeries> named(PromWriteData d, String name) {
    List<PromSeries> out = new ArrayList<>();
    for (PromSeries s : d.series()) {
      if (name.equals(s.metricName())) {
        out.add(s);
      }
    }
    return out;
  }

  @Test
  void scrapedSeriesGoBackWithoutScopeLabelsOrTargetInfo() {
    ResourceMetrics scraped = ResourceMetrics.newBuilder()
        .setResource(resource(attr("service.name", "node"), attr("service.instance.id", "host:9100"),
            attr("server.address", "host"), attr("server.port", "9100"), attr("url.scheme", "http")))
        .addScopeMetrics(ScopeMetrics.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName(OtlpToPrometheus.SCRAPE_SCOPE_NAME))
            .addMetrics(gauge("node_load1", "", point(T0, 0.5, attr("cpu", "0")))))
        .build();

    PromWriteData d = translate(scraped);

    assertThat(labels(only(d, "node_load1")))
        .containsExactlyEntriesOf(Map.of("__name__", "node_load1", "cpu", "0", "instance", "host:9100", "job", "node")
            .entrySet().stream().sorted(Map.Entry.comparingByKey())
            .collect(LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll));
    assertThat(named(d, "target_info")).isEmpty();
  }

  @Test
  void cumulativeMonotonicSumBecomesACounterWithTotal() {
    PromWriteData d = translate(rm(resource(attr("service.name", "api")),
        sum("requests", "1", true, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
            point(T0, 42, attr("http.method", "GET")))));

    PromSeries s = only(d, "requests_total");
    assertThat(labels(s)).containsExactly(Map.entry("__name__", "requests_total"), Map.entry("http_method", "GET"),
        Map.entry("job", "api"));
    assertThat(s.sampleCount()).isEqualTo(1);
    assertThat(s.value(0)).isEqualTo(42.0);
    assertThat(s.timestampMs(0)).isEqualTo(T0_MS);
    assertThat(d.metadata()).containsExactly(new PromMetadata(PromMetricType.COUNTER, "requests_total", "", ""));
  }

  @Test
  void nonMonotonicSumAndUnitOneGaugeBecomeGauges() {
    PromWriteData d = translate(rm(resource(),
        sum("queue.size", "{item}", false, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE, point(T0, 3)),
        gauge("cpu.utilization", "1", point(T0, 0.25))));

    assertThat(only(d, "queue_size").value(0)).isEqualTo(3.0);
    assertThat(only(d, "cpu_utilization_ratio").value(0)).isEqualTo(0.25);
    assertThat(d.metadata()).extracting(PromMetadata::type).containsOnly(PromMetricType.GAUGE);
  }

  @Test
  void integerPointsAndBytesPerSecondGauge() {
    NumberDataPoint p = NumberDataPoint.newBuilder().setTimeUnixNano(T0).setAsInt(7).build();
    PromWriteData d = translate(rm(resource(), gauge("network.io", "By/s", p)));

    assertThat(only(d, "network_io_bytes_per_second").value(0)).isEqualTo(7.0);
    assertThat(d.metadata().get(0).unit()).isEqualTo("bytes_per_second");
  }

  @Test
  void cumulativeHistogramBecomesBucketsSumAndCount() {
    Metric h = Metric.newBuilder().setName("http.server.duration").setUnit("ms").setDescription("Server time")
        .setHistogram(Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T0).setCount(10).setSum(123.5)
                .addAllExplicitBounds(List.of(5.0, 10.5)).addAllBucketCounts(List.of(2L, 3L, 5L))
                .addAttributes(attr("route", "/a"))
                .addExemplars(Exemplar.newBuilder().setAsDouble(7).setTimeUnixNano(T0)
                    .setTraceId(ByteString.fromHex("0102030405060708090a0b0c0d0e0f10"))
                    .setSpanId(ByteString.fromHex("a1a2a3a4a5a6a7a8")))))
        .build();
    PromWriteData d = translate(rm(resource(attr("service.name", "web")), h));

    List<PromSeries> buckets = named(d, "http_server_duration_milliseconds_bucket");
    assertThat(buckets).extracting(s -> s.label("le")).containsExactly("5", "10.5", "+Inf");
    assertThat(buckets).extracting(s -> s.value(0)).containsExactly(2.0, 5.0, 10.0);
    assertThat(labels(buckets.get(0)).keySet()).containsExactly("__name__", "job", "le", "route");
    assertThat(only(d, "http_server_duration_milliseconds_sum").value(0)).isEqualTo(123.5);
    assertThat(only(d, "http_server_duration_milliseconds_count").value(0)).isEqualTo(10.0);
    assertThat(d.metadata()).containsExactly(new PromMetadata(PromMetricType.HISTOGRAM,
        "http_server_duration_milliseconds", "Server time", "milliseconds"));

    assertThat(buckets.get(0).metadata()).isEqualTo(d.metadata().get(0));
    assertThat(only(d, "http_server_duration_milliseconds_count").metadata().type())
        .isEqualTo(PromMetricType.HISTOGRAM);

    PromSeries withExemplar = buckets.get(1);
    assertThat(withExemplar.exemplars()).hasSize(1);
    PromExemplar e = withExemplar.exemplars().get(0);
    assertThat(e.labels()).containsExactly("span_id", "a1a2a3a4a5a6a7a8", "trace_id", "0102030405060708090a0b0c0d0e0f10");
    assertThat(e.value()).isEqualTo(7.0);
    assertThat(e.timestampMs()).isEqualTo(T0_MS);
    assertThat(buckets.get(0).exemplars()).isEmpty();
  }

  @Test
  void summaryBecomesQuantilesSumAndCount() {
    Metric m = Metric.newBuilder().setName("rpc.latency").setUnit("s").setSummary(Summary.newBuilder()
        .addDataPoints(SummaryDataPoint.newBuilder().setTimeUnixNano(T0).setCount(4).setSum(2.0)
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(0.4))
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99).setValue(0.9))))
        .build();
    PromWriteData d = translate(rm(resource(), m));

    List<PromSeries> q = named(d, "rpc_latency_seconds");
    assertThat(q).extracting(s -> s.label("quantile")).containsExactly("0.5", "0.99");
    assertThat(q).extracting(s -> s.value(0)).containsExactly(0.4, 0.9);
    assertThat(only(d, "rpc_latency_seconds_sum").value(0)).isEqualTo(2.0);
    assertThat(only(d, "rpc_latency_seconds_count").value(0)).isEqualTo(4.0);
    assertThat(d.metadata().get(0).type()).isEqualTo(PromMetricType.SUMMARY);
  }

  private static ResourceMetrics scraped(Metric... metrics) {
    return ResourceMetrics.newBuilder()
        .setResource(resource(attr("service.name", "app"), attr("service.instance.id", "host:8080")))
        .addScopeMetrics(ScopeMetrics.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName(OtlpToPrometheus.SCRAPE_SCOPE_NAME))
            .addAllMetrics(List.of(metrics)))
        .build();
  }

  private static KeyValue spellings(String key, String... texts) {
    ArrayValue.Builder a = ArrayValue.newBuilder();
    for (String t : texts) {
      a.addValues(AnyValue.newBuilder().setStringValue(t));
    }
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setArrayValue(a)).build();
  }

  @Test
  void bucketBoundsAndQuantilesKeepTheSpellingsTheMetadataCarries() {
    Metric h = Metric.newBuilder().setName("lat_seconds")
        .addMetadata(spellings(OtlpToPrometheus.LE_SPELLINGS_KEY, "1.0", "1e+09", "+inf"))
        .setHistogram(Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T0).setCount(3).setSum(1)
                .addAllExplicitBounds(List.of(0.5, 1.0, 1e9)).addAllBucketCounts(List.of(1L, 1L, 1L, 0L))))
        .build();
    Metric q = Metric.newBuilder().setName("rpc_seconds")
        .addMetadata(spellings(OtlpToPrometheus.QUANTILE_SPELLINGS_KEY, "0.50"))
        .setSummary(Summary.newBuilder().addDataPoints(SummaryDataPoint.newBuilder().setTimeUnixNano(T0)
            .setCount(4).setSum(2.0)
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(0.4))
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.9).setValue(0.8))))
        .build();
    Metric plain = Metric.newBuilder().setName("plain_seconds")
        .setHistogram(Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T0).setCount(1).setSum(1)
                .addAllExplicitBounds(List.of(1.0)).addAllBucketCounts(List.of(1L, 0L))))
        .build();

    PromWriteData d = translate(scraped(h, q, plain));

    assertThat(named(d, "lat_seconds_bucket")).extracting(s -> s.label("le"))
        .containsExactly("0.5", "1.0", "1e+09", "+inf");
    assertThat(named(d, "rpc_seconds")).extracting(s -> s.label("quantile")).containsExactly("0.50", "0.9");
    assertThat(named(d, "plain_seconds_bucket")).as("a metric without spellings after one with them")
        .extracting(s -> s.label("le")).containsExactly("1", "+Inf");
  }

  @Test
  void scrapedCountersHistogramsAndSummariesWithAStartTimeGetTheirCreatedSeries() {
    long start = 1_700_000_000_123_456_000L;
    NumberDataPoint counted = point(T0, 5, attr("k", "v")).toBuilder().setStartTimeUnixNano(start).build();
    Metric counter = sum("jobs_total", "", true, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        counted, point(T0, 7, attr("k", "w")));
    Metric h = Metric.newBuilder().setName("lat").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T0).setStartTimeUnixNano(start)
            .setCount(1).setSum(1).addExplicitBounds(1).addAllBucketCounts(List.of(1L, 0L)))
        .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T0 + 1_000_000_000L)
            .setStartTimeUnixNano(1).setFlags(1)))
        .build();
    Metric gauge = gauge("temp", "", point(T0, 1).toBuilder().setStartTimeUnixNano(start).build());

    PromWriteData d = new OtlpToPrometheus(new TranslationOptions("", false, false, true, true, Map.of()))
        .translate(List.of(scraped(counter, h, gauge)));

    PromSeries jobs = only(d, "jobs_created");
    assertThat(jobs.label("k")).isEqualTo("v");
    assertThat(jobs.value(0)).isEqualTo(1_700_000_000.123456);
    assertThat(jobs.timestampMs(0)).isEqualTo(T0_MS);
    assertThat(jobs.metadata().type()).isEqualTo(PromMetricType.COUNTER);
    PromSeries lat = only(d, "lat_created");
    assertThat(lat.value(0)).isEqualTo(1_700_000_000.123456);
    assertThat(Double.doubleToRawLongBits(lat.value(1))).as("the stale point's _created goes stale too")
        .isEqualTo(OtlpToPrometheus.STALE_NAN_BITS);
    assertThat(named(d, "temp_created")).as("gauges have no _created").isEmpty();
  }

  @Test
  void createdSeriesFollowTheOptions() {
    long start = T0 - 60_000_000_000L;
    Metric counter = sum("jobs", "", true, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        point(T0, 5).toBuilder().setStartTimeUnixNano(start).build());
    TranslationOptions base = new TranslationOptions("", true, false, false, true, Map.of());

    assertThat(named(new OtlpToPrometheus(base).translate(List.of(rm(resource(), counter))), "jobs_created"))
        .as("OTLP data by default").isEmpty();
    assertThat(named(new OtlpToPrometheus(base.withCreatedSeries(TranslationOptions.CreatedSeries.NONE))
        .translate(List.of(scraped(counter))), "jobs_created")).as("scraped data with NONE").isEmpty();
    PromSeries all = only(new OtlpToPrometheus(base.withCreatedSeries(TranslationOptions.CreatedSeries.ALL))
        .translate(List.of(rm(resource(), counter))), "jobs_created");
    assertThat(all.value(0)).isCloseTo(1_699_999_940.123456789, org.assertj.core.api.Assertions.within(1e-6));
  }

  @Test
  void noRecordedValueBecomesTheStaleMarker() {
    NumberDataPoint stale = NumberDataPoint.newBuilder().setTimeUnixNano(T0 + 1_000_000_000L).setFlags(1).build();
    Metric hist = Metric.newBuilder().setName("lat").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T0).setFlags(1).setSum(0)
            .addExplicitBounds(1).addAllBucketCounts(List.of(0L, 0L)))).build();
    PromWriteData d = translate(rm(resource(), gauge("temp", "", point(T0, 20), stale), hist));

    PromSeries s = only(d, "temp");
    assertThat(s.sampleCount()).isEqualTo(2);
    assertThat(s.value(0)).isEqualTo(20.0);
    assertThat(Double.doubleToRawLongBits(s.value(1))).isEqualTo(0x7ff0000000000002L);
    for (PromSeries h : d.series()) {
      if (h.metricName().startsWith("lat_")) {
        assertThat(Double.doubleToRawLongBits(h.value(0))).as(h.toString()).isEqualTo(0x7ff0000000000002L);
      }
    }
  }

  @Test
  void countersAndHistogramsKeepTheirStartTimeButGaugesDoNot() {
    NumberDataPoint counterPoint = NumberDataPoint.newBuilder().setTimeUnixNano(T0).setAsDouble(1)
        .setStartTimeUnixNano(T0 - 10_000_000_000L).build();
    NumberDataPoint startAfterSample = NumberDataPoint.newBuilder().setTimeUnixNano(T0 + 1_000_000).setAsDouble(2)
        .setStartTimeUnixNano(T0 + 5_000_000_000L).build();
    Metric hist = Metric.newBuilder().setName("h").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T0).setStartTimeUnixNano(T0 - 1_000_000)
            .setCount(1).setSum(1).addBucketCounts(1))).build();
    PromWriteData d = translate(rm(resource(),
        sum("c", "", true, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE, counterPoint, startAfterSample),
        gauge("g", "", NumberDataPoint.newBuilder().setTimeUnixNano(T0).setStartTimeUnixNano(T0 - 1).build()),
        hist));

    PromSeries c = only(d, "c_total");
    assertThat(c.startTimestampMs(0)).isEqualTo(T0_MS - 10_000);
    assertThat(c.startTimestampMs(1)).as("a start after the sample is left unset").isZero();
    assertThat(only(d, "g").startTimestampMs(0)).isZero();
    assertThat(only(d, "h_count").startTimestampMs(0)).isEqualTo(T0_MS - 1);
    assertThat(only(d, "h_bucket").startTimestampMs(0)).isEqualTo(T0_MS - 1);
  }

  @Test
  void samplesOfOneSeriesComeOutInTimestampOrder() {
    PromWriteData d = translate(rm(resource(), gauge("g", "", point(T0 + 2_000_000, 2), point(T0, 0),
        point(T0 + 1_000_000, 1))));

    PromSeries s = only(d, "g");
    assertThat(new long[] {s.timestampMs(0), s.timestampMs(1), s.timestampMs(2)})
        .containsExactly(T0_MS, T0_MS + 1, T0_MS + 2);
    assertThat(new double[] {s.value(0), s.value(1), s.value(2)}).containsExactly(0, 1, 2);
  }

  @Test
  void collidingLabelNamesJoinValuesInOriginalOrder() {
    PromWriteData d = translate(rm(resource(), gauge("g", "",
        point(T0, 1, attr("a.b", "first"), attr("a_b", "second"), attr("z", "last"), attr("empty", "")))));

    assertThat(labels(only(d, "g"))).containsExactly(Map.entry("__name__", "g"), Map.entry("a_b", "first;second"),
        Map.entry("z", "last"));
  }

  @Test
  void jobAndInstanceComeFromServiceAttributesAndTargetInfoCarriesTheRest() {
    Resource r = resource(attr("service.name", "checkout"), attr("service.namespace", "shop"),
        attr("service.instance.id", "pod-1"), attr("host.name", "node-7"), attr("k8s.pod.name", "p"));
    PromWriteData d = translate(rm(r, gauge("g", "", point(T0, 1))),
        rm(r, gauge("h", "", point(T0 + 5_000_000, 1))));

    assertThat(labels(only(d, "g"))).containsExactly(Map.entry("__name__", "g"), Map.entry("instance", "pod-1"),
        Map.entry("job", "shop/checkout"));
    PromSeries info = only(d, "target_info");
    assertThat(labels(info)).containsExactly(Map.entry("__name__", "target_info"), Map.entry("host_name", "node-7"),
        Map.entry("instance", "pod-1"), Map.entry("job", "shop/checkout"), Map.entry("k8s_pod_name", "p"));
    assertThat(info.sampleCount()).as("one target_info per job and instance").isEqualTo(1);
    assertThat(info.value(0)).isEqualTo(1.0);
    assertThat(info.timestampMs(0)).isEqualTo(T0_MS);
  }

  @Test
  void noTargetInfoWhenOnlyServiceAttributesOrTurnedOff() {
    PromWriteData onlyService = translate(rm(resource(attr("service.name", "a")), gauge("g", "", point(T0, 1))));
    assertThat(named(onlyService, "target_info")).isEmpty();

    TranslationOptions off = new TranslationOptions("", true, false, false, true, Map.of());
    PromWriteData d = new OtlpToPrometheus(off).translate(List.of(rm(resource(attr("host.name", "h")),
        gauge("g", "", point(T0, 1)))));
    assertThat(named(d, "target_info")).isEmpty();
  }

  @Test
  void resourceToTelemetryCopiesResourceAttributesAndExternalLabelsDoNotOverride() {
    TranslationOptions o = new TranslationOptions("ns", true, true, false, true,
        Map.of("cluster", "eu-1", "env", "prod"));
    PromWriteData d = new OtlpToPrometheus(o).translate(List.of(rm(resource(attr("host.name", "h1")),
        gauge("g", "", point(T0, 1, attr("env", "dev"))))));

    assertThat(labels(only(d, "ns_g"))).containsExactly(Map.entry("__name__", "ns_g"), Map.entry("cluster", "eu-1"),
        Map.entry("env", "dev"), Map.entry("host_name", "h1"));
  }

  @Test
  void resourceConstantLabelsCopyTheAttributesTheirPatternsSelect() {
    TranslationOptions o = new TranslationOptions("", true, false, false, false, Map.of(),
        TranslationOptions.CreatedSeries.SCRAPED, new TranslationOptions.ResourceLabelFilter(
            List.of("k8s.*", "deployment.environment"), List.of("k8s.pod.*")));
    PromWriteData d = new OtlpToPrometheus(o).translate(List.of(rm(resource(attr("k8s.namespace.name", "shop"),
        attr("k8s.pod.name", "web-1"), attr("deployment.environment", "prod"), attr("host.name", "h1")),
        gauge("g", "", point(T0, 1)))));

    assertThat(labels(only(d, "g"))).containsExactly(Map.entry("__name__", "g"),
        Map.entry("deployment_environment", "prod"), Map.entry("k8s_namespace_name", "shop"));
  }

  @Test
  void resourceLabelPatternsMatchWithStars() {
    assertThat(TranslationOptions.ResourceLabelFilter.glob("service.*", "service.name")).isTrue();
    assertThat(TranslationOptions.ResourceLabelFilter.glob("service.*", "service")).isFalse();
    assertThat(TranslationOptions.ResourceLabelFilter.glob("*.name", "k8s.pod.name")).isTrue();
    assertThat(TranslationOptions.ResourceLabelFilter.glob("a*b*c", "abc")).isTrue();
    assertThat(TranslationOptions.ResourceLabelFilter.glob("a*b*c", "acb")).isFalse();
    assertThat(TranslationOptions.ResourceLabelFilter.glob("ab*ba", "aba")).isFalse();
    assertThat(TranslationOptions.ResourceLabelFilter.glob("*", "")).isTrue();
    assertThat(TranslationOptions.ResourceLabelFilter.glob("host.name", "host.names")).isFalse();
  }

  @Test
  void scopeLabelsAreAdded() {
    ResourceMetrics r = ResourceMetrics.newBuilder().addScopeMetrics(ScopeMetrics.newBuilder()
        .setScope(InstrumentationScope.newBuilder().setName("io.lib").setVersion("1.2")
            .addAttributes(attr("team", "x")).addAttributes(attr("name", "dropped")))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.21.0")
        .addMetrics(gauge("g", "", point(T0, 1)))).build();
    PromWriteData d = translate(r);

    assertThat(labels(only(d, "g"))).containsExactly(Map.entry("__name__", "g"),
        Map.entry("otel_scope_name", "io.lib"), Map.entry("otel_scope_schema_url", "https://opentelemetry.io/schemas/1.21.0"),
        Map.entry("otel_scope_team", "x"), Map.entry("otel_scope_version", "1.2"));
  }

  @Test
  void deltaAndExponentialPointsAreDroppedAndCounted() {
    Metric delta = sum("d", "", true, AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA, point(T0, 1), point(T0, 2));
    Metric deltaHist = Metric.newBuilder().setName("dh").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
        .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(T0))).build();
    Metric exp = Metric.newBuilder().setName("e").setExponentialHistogram(ExponentialHistogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0))).build();
    PromWriteData d = translate(rm(resource(), delta, deltaHist, exp, gauge("kept", "", point(T0, 1))));

    assertThat(d.series()).extracting(PromSeries::metricName).containsExactly("kept");
    assertThat(d.droppedPoints()).containsExactlyInAnyOrderEntriesOf(Map.of(
        OtlpToPrometheus.DROP_DELTA_SUM, 2L, OtlpToPrometheus.DROP_DELTA_HISTOGRAM, 1L,
        OtlpToPrometheus.DROP_EXPONENTIAL_HISTOGRAM, 1L));
    assertThat(d.droppedPointCount()).isEqualTo(4);
  }

  @Test
  void aTypeConflictDropsTheLaterMetric() {
    PromWriteData d = translate(rm(resource(),
        gauge("x", "", point(T0, 1)),
        sum("x", "", false, AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE, point(T0 + 1_000_000, 2)),
        Metric.newBuilder().setName("x").setSummary(Summary.newBuilder()
            .addDataPoints(SummaryDataPoint.newBuilder().setTimeUnixNano(T0))).build()));

    assertThat(only(d, "x").sampleCount()).as("the gauge sum joins the gauge").isEqualTo(2);
    assertThat(d.droppedPoints()).containsEntry(OtlpToPrometheus.DROP_TYPE_CONFLICT, 1L);
  }

  @Test
  void labelsAreAlwaysSortedByName() {
    PromWriteData d = translate(rm(resource(attr("service.name", "s"), attr("service.instance.id", "i")),
        gauge("g", "", point(T0, 1, attr("zeta", "1"), attr("alpha", "2"), attr("__x", "3"), attr("Upper", "4")))));

    PromSeries s = only(d, "g");
    List<String> names = new ArrayList<>(labels(s).keySet());
    assertThat(names).isSorted().contains("__name__", "__x", "Upper", "alpha", "instance", "job", "zeta");
  }
}
