package io.sluice.processor.seriesstate;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Merges of exponential histograms against cases worked out by hand. At scale s, bucket i holds
 * (2^(i/2^s), 2^((i+1)/2^s)]; one scale down, buckets 2k and 2k+1 become bucket k.
 */
class ExpHistogramTest {
  static ExponentialHistogramDataPoint point(int scale, int offset, long... counts) {
    ExponentialHistogramDataPoint.Builder b = ExponentialHistogramDataPoint.newBuilder().setScale(scale);
    long total = 0;
    ExponentialHistogramDataPoint.Buckets.Builder pb = b.getPositiveBuilder().setOffset(offset);
    for (long c : counts) {
      pb.addBucketCounts(c);
      total += c;
    }
    return b.setCount(total).build();
  }

  @Test
  void mergesAtTheLowerScaleAddingPairsOfBuckets() {
    // scale 1: (1, 1.41] (1.41, 2] (2, 2.83] (2.83, 4] hold 1 each; at scale 0 that is (1,2]: 2 and (2,4]: 2.
    // The other point is at scale 0 already: (1,2]: 2, (2,4]: 3.
    ExpHistogram h = ExpHistogram.of(point(1, 0, 1, 1, 1, 1));
    h.merge(point(0, 0, 2, 3), 160);
    assertThat(h.scale()).isZero();
    assertThat(h.positiveOffset()).isZero();
    assertThat(h.positiveCounts()).containsExactly(4, 5);
    assertThat(h.count()).isEqualTo(9);
  }

  @Test
  void negativeIndicesDownscaleByFloorDivision() {
    // scale 2, buckets -3..0: (2^-.75, 2^-.5] (2^-.5, 2^-.25] (2^-.25, 1] (1, 2^.25] hold 1, 2, 3, 4.
    // Scale 0 has (0.5, 1] = bucket -1 for the first three and (1, 2] = bucket 0 for the last:
    // -3 >> 2 = -2 >> 2 = -1 >> 2 = -1, 0 >> 2 = 0.
    ExpHistogram h = new ExpHistogram();
    h.merge(point(2, -3, 1, 2, 3, 4), 160);
    h.merge(point(0, 0, 10), 160);
    assertThat(h.scale()).isZero();
    assertThat(h.positiveOffset()).isEqualTo(-1);
    assertThat(h.positiveCounts()).containsExactly(6, 14);
  }

  @Test
  void lowersTheScaleFurtherUntilTheBucketsFitMaxSize() {
    // Two points at scale 3 covering indices 0..7 and 8..15: 16 indices. At most 4 allowed:
    // scale 2 spans 0..7 (8), scale 1 spans 0..3 (4): each scale-1 bucket gathers 4 of the 16.
    ExpHistogram h = ExpHistogram.of(point(3, 0, 1, 1, 1, 1, 1, 1, 1, 1));
    h.merge(point(3, 8, 1, 1, 1, 1, 1, 1, 1, 1), 4);
    assertThat(h.scale()).isEqualTo(1);
    assertThat(h.positiveOffset()).isZero();
    assertThat(h.positiveCounts()).containsExactly(4, 4, 4, 4);
  }

  @Test
  void negativeBucketsMergeLikePositiveOnes() {
    ExponentialHistogramDataPoint a = ExponentialHistogramDataPoint.newBuilder().setScale(1).setCount(3)
        .setNegative(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(1).addBucketCounts(1)
            .addBucketCounts(2))
        .build();
    ExponentialHistogramDataPoint b = ExponentialHistogramDataPoint.newBuilder().setScale(0).setCount(5)
        .setNegative(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(0).addBucketCounts(5)).build();
    // scale 1 indices 1 and 2 are scale 0 indices 0 and 1: (1,2] gets 1+5, (2,4] gets 2
    ExpHistogram h = ExpHistogram.of(a);
    h.merge(b, 160);
    assertThat(h.negativeOffset()).isZero();
    assertThat(h.negativeCounts()).containsExactly(6, 2);
    assertThat(h.positiveCounts()).isEmpty();
  }

  @Test
  void aLargerZeroThresholdTakesTheBucketsBelowIt() {
    // scale 0: bucket -2 is (0.25, 0.5], bucket -1 is (0.5, 1]. The other point's zero threshold
    // 0.5 swallows bucket -2 whole; bucket -1 reaches above it and stays.
    ExpHistogram h = ExpHistogram.of(point(0, -2, 5, 7));
    h.merge(ExponentialHistogramDataPoint.newBuilder().setScale(0).setZeroThreshold(0.5).setZeroCount(3).setCount(3)
        .build(), 160);
    assertThat(h.zeroThreshold()).isEqualTo(0.5);
    assertThat(h.zeroCount()).isEqualTo(8);
    assertThat(h.positiveOffset()).isEqualTo(-1);
    assertThat(h.positiveCounts()).containsExactly(7);
    assertThat(h.count()).isEqualTo(15);
  }

  @Test
  void sumMinAndMaxCombine() {
    ExpHistogram h = ExpHistogram.of(point(0, 0, 1).toBuilder().setSum(1.5).setMin(1.5).setMax(1.5).build());
    h.merge(point(0, 1, 1).toBuilder().setSum(3).setMin(3).setMax(3).build(), 160);
    ExponentialHistogramDataPoint.Builder out = ExponentialHistogramDataPoint.newBuilder();
    h.writeTo(out);
    assertThat(out.getSum()).isEqualTo(4.5);
    assertThat(out.getMin()).isEqualTo(1.5);
    assertThat(out.getMax()).isEqualTo(3);
    assertThat(out.getPositive().getBucketCountsList()).containsExactly(1L, 1L);
  }

  @Test
  void aPointWithoutSumLeavesTheMergedSumUnknown() {
    ExpHistogram h = ExpHistogram.of(point(0, 0, 1).toBuilder().setSum(2).build());
    h.merge(point(0, 0, 1), 160);
    ExponentialHistogramDataPoint.Builder out = ExponentialHistogramDataPoint.newBuilder();
    h.writeTo(out);
    assertThat(out.hasSum()).isFalse();
  }

  @Test
  void increaseIsTheDifferenceAtTheLowerScaleOrNullAfterARestart() {
    ExpHistogram older = ExpHistogram.of(point(1, 0, 1, 1, 0, 0));
    ExpHistogram newer = ExpHistogram.of(point(0, 0, 5, 2));
    // older at scale 0: [2, 0]; newer - older = [3, 2]
    ExpHistogram inc = ExpHistogram.increase(newer, older);
    assertThat(inc.scale()).isZero();
    assertThat(inc.positiveCounts()).containsExactly(3, 2);
    assertThat(inc.count()).isEqualTo(5);
    assertThat(ExpHistogram.increase(older, newer)).as("counts went down: a restart").isNull();
  }

  @Test
  void bucketBoundsFollowTheBase() {
    assertThat(ExpHistogram.upperBound(0, 0)).isEqualTo(2.0);
    assertThat(ExpHistogram.lowerBound(0, 0)).isEqualTo(1.0);
    assertThat(ExpHistogram.upperBound(-1, 0)).isEqualTo(1.0);
    assertThat(ExpHistogram.upperBound(1, 1)).isEqualTo(2.0);
    assertThat(ExpHistogram.upperBound(0, -1)).isEqualTo(4.0);
  }

  @Test
  void valuesLandInTheBucketTheirIndexNames() {
    // The index of v at scale s is ceil(log2(v) * 2^s) - 1: check it against the bounds for many values.
    List<Double> values = new ArrayList<>();
    for (double v = 0.001; v < 1e6; v *= 1.37) {
      values.add(v);
    }
    for (int scale = -2; scale <= 6; scale++) {
      for (double v : values) {
        int index = TestHistograms.index(v, scale);
        assertThat(v).as("value %s at scale %s in bucket %s", v, scale, index)
            .isGreaterThan(ExpHistogram.lowerBound(index, scale))
            .isLessThanOrEqualTo(ExpHistogram.upperBound(index, scale));
      }
    }
  }
}
