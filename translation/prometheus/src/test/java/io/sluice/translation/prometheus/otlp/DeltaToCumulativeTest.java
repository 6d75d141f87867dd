package io.sluice.translation.prometheus.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class DeltaToCumulativeTest {
  private static final long S = 1_000_000_000L;
  private static final long T0 = 1_700_000_000_000_000_000L;
  private static final long T0_MS = 1_700_000_000_000L;

  private final AtomicLong clock = new AtomicLong(1_000 * S);
  private DeltaToCumulative deltas = new DeltaToCumulative(Duration.ofMinutes(5), 100, clock::get);
  private OtlpToPrometheus translator = new OtlpToPrometheus(TranslationOptions.defaults(), deltas);

  private static KeyValue attr(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  private static NumberDataPoint delta(long start, long time, long value, String route) {
    return NumberDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(time).setAsInt(value)
        .addAttributes(attr("route", route)).build();
  }

  private static Metric deltaSum(NumberDataPoint... points) {
    return Metric.newBuilder().setName("requests").setUnit("1").setSum(Sum.newBuilder().setIsMonotonic(true)
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
        .addAllDataPoints(List.of(points))).build();
  }

  private static HistogramDataPoint hpoint(long start, long time, double sum, long... buckets) {
    HistogramDataPoint.Builder b = HistogramDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(time)
        .setSum(sum).addExplicitBounds(0.1).addExplicitBounds(1);
    long count = 0;
    for (long c : buckets) {
      b.addBucketCounts(c);
      count += c;
    }
    return b.setCount(count).build();
  }

  private static Metric deltaHistogram(HistogramDataPoint... points) {
    return Metric.newBuilder().setName("latency").setUnit("s").setHistogram(Histogram.newBuilder()
        .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
        .addAllDataPoints(List.of(points))).build();
  }

  private PromWriteData translate(Metric... metrics) {
    ResourceMetrics rm = ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(attr("service.name", "api")))
        .addScopeMetrics(ScopeMetrics.newBuilder().addAllMetrics(List.of(metrics))).build();
    return translator.translate(List.of(rm));
  }

  private static List<PromSeries> named(PromWriteData d, String name, String route) {
    List<PromSeries> out = new ArrayList<>();
    for (PromSeries s : d.series()) {
      if (name.equals(s.metricName()) && (route == null || route.equals(s.label("route")))) {
        out.add(s);
      }
    }
    return out;
  }

  private static List<String> samples(PromSeries s) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < s.sampleCount(); i++) {
      out.add((s.timestampMs(i) - T0_MS) + "ms=" + s.value(i) + "@" + (s.startTimestampMs(i) - T0_MS));
    }
    return out;
  }

  @Test
  void deltaSumsBecomeTheRunningCounterWithTheFirstStartTime() {
    PromWriteData first = translate(deltaSum(delta(T0, T0 + 10 * S, 3, "/a"), delta(T0 + 10 * S, T0 + 20 * S, 4, "/a")));
    PromWriteData second = translate(deltaSum(delta(T0 + 20 * S, T0 + 30 * S, 5, "/a"),
        delta(T0 + 25 * S, T0 + 30 * S, 1, "/b")));

    assertThat(samples(named(first, "requests_total", "/a").get(0)))
        .containsExactly("10000ms=3.0@0", "20000ms=7.0@0");
    assertThat(samples(named(second, "requests_total", "/a").get(0))).containsExactly("30000ms=12.0@0");
    assertThat(samples(named(second, "requests_total", "/b").get(0)))
        .as("another series has its own total and start").containsExactly("30000ms=1.0@25000");
    assertThat(first.metadata()).extracting(PromMetadata::type).containsExactly(PromMetricType.COUNTER);
    assertThat(first.droppedPoints()).isEmpty();
    assertThat(deltas.streams()).isEqualTo(2);
  }

  @Test
  void refusesAPointNoLaterThanTheLastOfItsSeries() {
    translate(deltaSum(delta(T0, T0 + 10 * S, 3, "/a")));
    PromWriteData again = translate(deltaSum(delta(T0, T0 + 10 * S, 3, "/a"), delta(T0 + 10 * S, T0 + 20 * S, 2, "/a")));

    assertThat(samples(named(again, "requests_total", "/a").get(0))).containsExactly("20000ms=5.0@0");
    assertThat(again.droppedPoints()).containsEntry(DeltaToCumulative.DROP_OUT_OF_ORDER, 1L);
  }

  @Test
  void deltaHistogramsAddUpBucketByBucket() {
    PromWriteData first = translate(deltaHistogram(hpoint(T0, T0 + 10 * S, 0.5, 1, 2, 0)));
    PromWriteData second = translate(deltaHistogram(hpoint(T0 + 10 * S, T0 + 20 * S, 4.5, 0, 1, 3)));

    assertThat(samples(named(first, "latency_seconds_count", null).get(0))).containsExactly("10000ms=3.0@0");
    List<String> buckets = new ArrayList<>();
    for (PromSeries s : named(second, "latency_seconds_bucket", null)) {
      buckets.add(s.label("le") + ":" + samples(s).get(0));
    }
    assertThat(buckets).containsExactlyInAnyOrder("0.1:20000ms=1.0@0", "1:20000ms=4.0@0", "+Inf:20000ms=7.0@0");
    assertThat(samples(named(second, "latency_seconds_count", null).get(0))).containsExactly("20000ms=7.0@0");
    assertThat(samples(named(second, "latency_seconds_sum", null).get(0))).containsExactly("20000ms=5.0@0");
    assertThat(second.metadata()).extracting(PromMetadata::type).containsExactly(PromMetricType.HISTOGRAM);
  }

  @Test
  void aHistogramWhoseBoundsChangeStartsOver() {
    translate(deltaHistogram(hpoint(T0, T0 + 10 * S, 0.5, 1, 2, 0)));
    HistogramDataPoint other = HistogramDataPoint.newBuilder().setStartTimeUnixNano(T0 + 10 * S)
        .setTimeUnixNano(T0 + 20 * S).setSum(2).setCount(2).addExplicitBounds(5).addBucketCounts(2).addBucketCounts(0)
        .build();
    PromWriteData d = translate(deltaHistogram(other));

    assertThat(samples(named(d, "latency_seconds_count", null).get(0))).containsExactly("20000ms=2.0@10000");
    assertThat(named(d, "latency_seconds_bucket", null)).extracting(s -> s.label("le")).containsExactly("5", "+Inf");
  }

  @Test
  void aSeriesIdleLongerThanMaxStaleStartsOverWithANewStartTime() {
    translate(deltaSum(delta(T0, T0 + 10 * S, 3, "/a")));
    clock.addAndGet(Duration.ofMinutes(5).plusSeconds(1).toNanos());
    PromWriteData later = translate(deltaSum(delta(T0 + 400 * S, T0 + 410 * S, 2, "/a")));

    assertThat(samples(named(later, "requests_total", "/a").get(0))).containsExactly("410000ms=2.0@400000");
    assertThat(deltas.expiredStreams()).isEqualTo(1);
    assertThat(deltas.streams()).isEqualTo(1);
  }

  @Test
  void idleSeriesAreForgottenEvenWhenTheyNeverComeBack() {
    translate(deltaSum(delta(T0, T0 + 10 * S, 3, "/a"), delta(T0, T0 + 10 * S, 3, "/b")));
    clock.addAndGet(Duration.ofMinutes(3).toNanos());
    translate(deltaSum(delta(T0 + 10 * S, T0 + 20 * S, 1, "/b")));
    clock.addAndGet(Duration.ofMinutes(3).toNanos());
    translate(deltaSum());

    assertThat(deltas.streams()).as("/a expired, /b was seen 3 minutes ago").isEqualTo(1);
    assertThat(deltas.expiredStreams()).isEqualTo(1);
  }

  @Test
  void overMaxStreamsPointsOfNewSeriesAreDroppedAndCounted() {
    deltas = new DeltaToCumulative(Duration.ofMinutes(5), 2, clock::get);
    translator = new OtlpToPrometheus(TranslationOptions.defaults(), deltas);

    PromWriteData d = translate(deltaSum(delta(T0, T0 + 10 * S, 1, "/a"), delta(T0, T0 + 10 * S, 1, "/b"),
        delta(T0, T0 + 10 * S, 1, "/c")));
    assertThat(named(d, "requests_total", null)).extracting(s -> s.label("route")).containsExactly("/a", "/b");
    assertThat(d.droppedPoints()).containsEntry(DeltaToCumulative.DROP_STREAM_LIMIT, 1L);

    PromWriteData known = translate(deltaSum(delta(T0 + 10 * S, T0 + 20 * S, 1, "/a")));
    assertThat(samples(named(known, "requests_total", "/a").get(0))).as("tracked series go on")
        .containsExactly("20000ms=2.0@0");

    clock.addAndGet(Duration.ofMinutes(6).toNanos());
    PromWriteData afterExpiry = translate(deltaSum(delta(T0 + 20 * S, T0 + 30 * S, 1, "/c")));
    assertThat(named(afterExpiry, "requests_total", "/c")).hasSize(1);
    assertThat(afterExpiry.droppedPoints()).isEmpty();
  }

  @Test
  void withoutStateDeltasAreStillDropped() {
    translator = new OtlpToPrometheus(TranslationOptions.defaults());
    PromWriteData d = translate(deltaSum(delta(T0, T0 + 10 * S, 3, "/a")));
    assertThat(d.series()).filteredOn(s -> s.metricName().equals("requests_total")).isEmpty();
    assertThat(d.droppedPoints()).containsEntry(OtlpToPrometheus.DROP_DELTA_SUM, 1L);
  }

  @Test
  void rejectsNonsenseLimits() {
    assertThatThrownBy(() -> new DeltaToCumulative(Duration.ZERO, 1, clock::get))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new DeltaToCumulative(Duration.ofMinutes(1), 0, clock::get))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
