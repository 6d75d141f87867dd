package io.sluice.translation.prometheus.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class NativeHistogramTest {
  private static final long T0 = 1_700_000_000_000_000_000L;
  private static final long T0_MS = 1_700_000_000_000L;

  private static ExponentialHistogramDataPoint.Buckets buckets(int offset, long... counts) {
    ExponentialHistogramDataPoint.Buckets.Builder b = ExponentialHistogramDataPoint.Buckets.newBuilder()
        .setOffset(offset);
    for (long c : counts) {
      b.addBucketCounts(c);
    }
    return b.build();
  }

  private static Metric expHistogram(AggregationTemporality t, ExponentialHistogramDataPoint... points) {
    return Metric.newBuilder().setName("latency").setUnit("s").setExponentialHistogram(ExponentialHistogram
        .newBuilder().setAggregationTemporality(t).addAllDataPoints(List.of(points))).build();
  }

  private static PromWriteData translate(boolean nativeHistograms, Metric m) {
    ResourceMetrics rm = ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(KeyValue.newBuilder().setKey("service.name")
            .setValue(AnyValue.newBuilder().setStringValue("api"))))
        .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(m)).build();
    return new OtlpToPrometheus(TranslationOptions.defaults(), null, nativeHistograms).translate(List.of(rm));
  }

  private static PromHistogram only(PromWriteData d) {
    List<PromSeries> s = d.series().stream().filter(x -> x.metricName().equals("latency_seconds")).toList();
    assertThat(s).hasSize(1);
    assertThat(s.get(0).sampleCount()).as("histograms, never float samples").isZero();
    assertThat(s.get(0).histograms()).hasSize(1);
    return s.get(0).histograms().get(0);
  }

  /** Absolute counts by native bucket index, from spans and deltas. */
  private static Map<Integer, Long> expand(int[] spans, long[] deltas) {
    Map<Integer, Long> out = new TreeMap<>();
    int index = 0;
    int d = 0;
    long count = 0;
    for (int i = 0; i < spans.length; i += 2) {
      index += spans[i];
      for (int j = 0; j < spans[i + 1]; j++) {
        count += deltas[d++];
        out.put(index++, count);
      }
    }
    assertThat(d).isEqualTo(deltas.length);
    return out;
  }

  @Test
  void bucketsShiftByOneAndEmptyOnesSplitTheSpans() {
    PromWriteData d = translate(true, expHistogram(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0).setStartTimeUnixNano(T0 - 60_000_000_000L)
            .setScale(3).setCount(11).setSum(42.5).setZeroCount(2)
            .setPositive(buckets(2, 5, 0, 0, 0, 2, 1)).setNegative(buckets(-1, 1)).build()));

    PromHistogram h = only(d);
    assertThat(h.schema()).isEqualTo(3);
    assertThat(h.count()).isEqualTo(11);
    assertThat(h.sum()).isEqualTo(42.5);
    assertThat(h.zeroCount()).isEqualTo(2);
    assertThat(h.zeroThreshold()).as("the default when OTLP gives none").isEqualTo(1e-128);
    assertThat(h.positiveSpans()).containsExactly(3, 1, 3, 2);
    assertThat(h.positiveDeltas()).containsExactly(5, -3, -1);
    assertThat(expand(h.positiveSpans(), h.positiveDeltas())).containsExactly(Map.entry(3, 5L), Map.entry(7, 2L),
        Map.entry(8, 1L));
    assertThat(expand(h.negativeSpans(), h.negativeDeltas())).containsExactly(Map.entry(0, 1L));
    assertThat(h.timestampMs()).isEqualTo(T0_MS);
    assertThat(h.startTimestampMs()).isEqualTo(T0_MS - 60_000);
    assertThat(d.metadata()).extracting(PromMetadata::type).containsExactly(PromMetricType.HISTOGRAM);
  }

  @Test
  void scalesAbove8AreMergedDownTo8() {
    // Scale 10 to 8: four buckets become one. OTLP indexes -3..3 fall in 8-scale buckets -1 and 0,
    // native indexes 0 and 1.
    PromWriteData d = translate(true, expHistogram(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0).setScale(10).setCount(10).setSum(1)
            .setZeroThreshold(1e-9).setPositive(buckets(-3, 1, 2, 0, 0, 0, 3, 4)).build()));

    PromHistogram h = only(d);
    assertThat(h.schema()).isEqualTo(8);
    assertThat(h.zeroThreshold()).isEqualTo(1e-9);
    assertThat(expand(h.positiveSpans(), h.positiveDeltas())).containsExactly(Map.entry(0, 3L), Map.entry(1, 7L));
  }

  @Test
  void dropsWhatNoNativeHistogramHolds() {
    PromWriteData tooCoarse = translate(true, expHistogram(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0).setScale(-5).setCount(1).setSum(1)
            .setPositive(buckets(0, 1)).build()));
    PromWriteData noSum = translate(true, expHistogram(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0).setScale(0).setCount(1)
            .setPositive(buckets(0, 1)).build()));
    PromWriteData delta = translate(true, expHistogram(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA,
        ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0).setScale(0).setCount(1).setSum(1).build()));
    PromWriteData off = translate(false, expHistogram(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0).setScale(0).setCount(1).setSum(1).build()));

    for (PromWriteData d : List.of(tooCoarse, noSum, delta)) {
      assertThat(d.histogramCount()).isZero();
      assertThat(d.droppedPoints()).containsEntry(OtlpToPrometheus.DROP_EXPONENTIAL_HISTOGRAM_UNSUPPORTED, 1L);
    }
    assertThat(off.histogramCount()).isZero();
    assertThat(off.droppedPoints()).containsEntry(OtlpToPrometheus.DROP_EXPONENTIAL_HISTOGRAM, 1L);
  }

  @Test
  void noRecordedValueBecomesTheStaleMarker() {
    PromHistogram h = only(translate(true, expHistogram(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE,
        ExponentialHistogramDataPoint.newBuilder().setTimeUnixNano(T0).setScale(0).setFlags(1).build())));

    assertThat(Double.doubleToRawLongBits(h.sum())).isEqualTo(OtlpToPrometheus.STALE_NAN_BITS);
    assertThat(h.count()).isZero();
    assertThat(h.isStale()).isTrue();
  }
}
