package io.sluice.translation.prometheus.otlp;

import static io.sluice.translation.prometheus.otlp.OtlpToPrometheusTest.attr;
import static io.sluice.translation.prometheus.otlp.OtlpToPrometheusTest.gauge;
import static io.sluice.translation.prometheus.otlp.OtlpToPrometheusTest.point;
import static io.sluice.translation.prometheus.otlp.OtlpToPrometheusTest.resource;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The translator keeps scraped series' label sets from batch to batch, and never mixes them up. */
class ScrapedLabelCacheTest {
  private static final long T0 = 1_700_000_000_000_000_000L;
  private static final long T1 = T0 + 5_000_000_000L;

  private final KeyValue get = attr("method", "GET");
  private final KeyValue post = attr("method", "POST");
  private final KeyValue code = attr("code", "200");

  private static ResourceMetrics scraped(String instance, Metric... metrics) {
    return batch(instance, OtlpToPrometheus.SCRAPE_SCOPE_NAME, metrics);
  }

  private static ResourceMetrics batch(String instance, String scope, Metric... metrics) {
    Resource r = resource(attr("service.name", "api"), attr("service.instance.id", instance));
    return ResourceMetrics.newBuilder().setResource(r)
        .addScopeMetrics(ScopeMetrics.newBuilder().setScope(InstrumentationScope.newBuilder().setName(scope))
            .addAllMetrics(List.of(metrics)))
        .build();
  }

  private static Metric histogram(long t, double le1Count, KeyValue... attrs) {
    return Metric.newBuilder().setName("latency_seconds").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
        .addDataPoints(HistogramDataPoint.newBuilder().setTimeUnixNano(t).setCount(10).setSum(2.5)
            .addAllExplicitBounds(List.of(0.1, 1.0)).addAllBucketCounts(List.of((long) le1Count, 2L, 3L))
            .addAllAttributes(List.of(attrs))))
        .build();
  }

  private static Metric summary(long t, KeyValue... attrs) {
    return Metric.newBuilder().setName("rpc_seconds").setSummary(Summary.newBuilder()
        .addDataPoints(SummaryDataPoint.newBuilder().setTimeUnixNano(t).setCount(4).setSum(1.5)
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(0.2))
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99).setValue(0.9))
            .addAllAttributes(List.of(attrs))))
        .build();
  }

  private static Map<String, PromSeries> byText(PromWriteData d) {
    Map<String, PromSeries> out = new LinkedHashMap<>();
    for (PromSeries s : d.series()) {
      out.put(text(s), s);
    }
    return out;
  }

  private static String text(PromSeries s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.labelCount(); i++) {
      sb.append(i == 0 ? "" : ",").append(s.labelName(i)).append('=').append(s.labelValue(i));
    }
    return sb.toString();
  }

  @Test
  void aScrapedSeriesGetsTheSameLabelSetEveryBatchWithTheRightLabels() {
    OtlpToPrometheus t = new OtlpToPrometheus(TranslationOptions.defaults());
    Map<String, PromSeries> first = byText(t.translate(List.of(scraped("h:1",
        gauge("temp", "", point(T0, 1, get, code), point(T0, 2, post, code)),
        histogram(T0, 1, get), summary(T0, post)))));
    Map<String, PromSeries> second = byText(t.translate(List.of(scraped("h:1",
        gauge("temp", "", point(T1, 3, get, code), point(T1, 4, post, code)),
        histogram(T1, 1, get), summary(T1, post)))));

    assertThat(second.keySet()).containsExactlyElementsOf(first.keySet());
    assertThat(first.keySet()).contains(
        "__name__=temp,code=200,instance=h:1,job=api,method=GET",
        "__name__=temp,code=200,instance=h:1,job=api,method=POST",
        "__name__=latency_seconds_bucket,instance=h:1,job=api,le=0.1,method=GET",
        "__name__=latency_seconds_bucket,instance=h:1,job=api,le=1,method=GET",
        "__name__=latency_seconds_bucket,instance=h:1,job=api,le=+Inf,method=GET",
        "__name__=latency_seconds_sum,instance=h:1,job=api,method=GET",
        "__name__=latency_seconds_count,instance=h:1,job=api,method=GET",
        "__name__=rpc_seconds,instance=h:1,job=api,method=POST,quantile=0.5",
        "__name__=rpc_seconds,instance=h:1,job=api,method=POST,quantile=0.99",
        "__name__=rpc_seconds_sum,instance=h:1,job=api,method=POST",
        "__name__=rpc_seconds_count,instance=h:1,job=api,method=POST");
    assertThat(first).hasSize(11);
    for (Map.Entry<String, PromSeries> e : first.entrySet()) {
      PromSeries again = second.get(e.getKey());
      assertThat(again.labels()).as(e.getKey()).isSameAs(e.getValue().labels());
      assertThat(again.timestampMs(0)).isEqualTo(T1 / 1_000_000);
    }
    assertThat(second.get("__name__=temp,code=200,instance=h:1,job=api,method=POST").value(0)).isEqualTo(4.0);
  }

  @Test
  void theSameAttributeObjectsUnderAnotherTargetGetThatTargetsLabels() {
    OtlpToPrometheus t = new OtlpToPrometheus(TranslationOptions.defaults());
    PromWriteData d = t.translate(List.of(
        scraped("h:1", gauge("temp", "", point(T0, 1, get))),
        scraped("h:2", gauge("temp", "", point(T0, 2, get)))));
    PromWriteData again = t.translate(List.of(
        scraped("h:2", gauge("temp", "", point(T1, 4, get))),
        scraped("h:1", gauge("temp", "", point(T1, 3, get)))));

    assertThat(byText(d).keySet()).containsExactly(
        "__name__=temp,instance=h:1,job=api,method=GET", "__name__=temp,instance=h:2,job=api,method=GET");
    Map<String, PromSeries> second = byText(again);
    assertThat(second.get("__name__=temp,instance=h:1,job=api,method=GET").value(0)).isEqualTo(3.0);
    assertThat(second.get("__name__=temp,instance=h:2,job=api,method=GET").value(0)).isEqualTo(4.0);
  }

  @Test
  void equalAttributesInNewObjectsGiveEqualLabels() {
    OtlpToPrometheus t = new OtlpToPrometheus(TranslationOptions.defaults());
    PromSeries first = t.translate(List.of(scraped("h:1", gauge("temp", "", point(T0, 1, get))))).series().get(0);
    PromSeries second = t.translate(List.of(scraped("h:1",
        gauge("temp", "", point(T1, 2, attr("method", "GET")))))).series().get(0);
    PromSeries other = t.translate(List.of(scraped("h:1",
        gauge("temp", "", point(T1, 2, attr("method", "PUT")))))).series().get(0);

    assertThat(second.labels()).isEqualTo(first.labels());
    assertThat(text(other)).isEqualTo("__name__=temp,instance=h:1,job=api,method=PUT");
  }

  @Test
  void seriesNotFromAScrapeAreNotKept() {
    OtlpToPrometheus t = new OtlpToPrometheus(TranslationOptions.defaults());
    PromSeries first = t.translate(List.of(batch("h:1", "my.library", gauge("temp", "", point(T0, 1, get)))))
        .series().get(0);
    PromSeries second = t.translate(List.of(batch("h:1", "my.library", gauge("temp", "", point(T1, 1, get)))))
        .series().get(0);

    assertThat(second.labels()).isEqualTo(first.labels()).isNotSameAs(first.labels());
  }

  @Test
  void twoPointsOfOneSeriesInABatchAreOneSeriesWithBothSamples() {
    OtlpToPrometheus t = new OtlpToPrometheus(TranslationOptions.defaults());
    t.translate(List.of(scraped("h:1", gauge("temp", "", point(T0, 1, get)))));
    // the second point comes in new attribute objects: found by content, not by identity
    PromWriteData d = t.translate(List.of(
        scraped("h:1", gauge("temp", "", point(T0, 1, get))),
        scraped("h:1", gauge("temp", "", point(T1, 2, attr("method", "GET"))))));

    assertThat(d.series()).hasSize(1);
    assertThat(d.series().get(0).sampleCount()).isEqualTo(2);
  }

  @Test
  void changedBucketSpellingsChangeTheBucketLabels() {
    OtlpToPrometheus t = new OtlpToPrometheus(TranslationOptions.defaults());
    t.translate(List.of(scraped("h:1", histogram(T0, 1, get))));
    Metric spelled = histogram(T1, 1, get).toBuilder()
        .addMetadata(KeyValue.newBuilder().setKey(OtlpToPrometheus.LE_SPELLINGS_KEY)
            .setValue(io.opentelemetry.proto.common.v1.AnyValue.newBuilder()
                .setArrayValue(io.opentelemetry.proto.common.v1.ArrayValue.newBuilder()
                    .addValues(io.opentelemetry.proto.common.v1.AnyValue.newBuilder().setStringValue("1.0")))))
        .build();
    List<String> les = new ArrayList<>();
    for (PromSeries s : t.translate(List.of(scraped("h:1", spelled))).series()) {
      if (s.label("le") != null) {
        les.add(s.label("le"));
      }
    }

    assertThat(les).containsExactly("0.1", "1.0", "+Inf");
  }

  @Test
  void entriesUnusedForAWholePeriodAreDropped() {
    ScrapedLabelCache cache = new ScrapedLabelCache();
    List<KeyValue> kept = List.of(get);
    List<KeyValue> gone = List.of(post);
    ScrapedLabelCache.Context c = cache.context("api", "h:1", new String[0], new String[0]);
    cache.add(c, "temp", kept, new PromLabels(new String[] {"__name__", "temp"}));
    cache.add(c, "temp", gone, new PromLabels(new String[] {"__name__", "temp"}));

    cache.advance();
    c = cache.context("api", "h:1", new String[0], new String[0]);
    assertThat(cache.find(c, "temp", kept)).isNotNull();
    cache.advance();

    assertThat(cache.size()).isEqualTo(1);
    assertThat(cache.find(c, "temp", List.of(get))).isNotNull();
    assertThat(cache.find(c, "temp", List.of(post))).isNull();
    assertThat(cache.find(c, "temp", List.of(attr("method", "GET")))).isNull();
  }
}
