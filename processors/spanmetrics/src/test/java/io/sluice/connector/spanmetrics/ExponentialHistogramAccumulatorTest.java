package io.sluice.connector.spanmetrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import org.junit.jupiter.api.Test;

/**
 * Bucket indexes and scale reduction against cases worked out by hand from the data model's
 * definition: at scale s the base is 2^(2^-s) and bucket i holds (base^i, base^(i+1)].
 */
class ExponentialHistogramAccumulatorTest {

  @Test
  void indexesFollowTheDefinitionAtPositiveZeroAndNegativeScales() {
    // 3 lies in (2, 4] at scale 0 (base 2): bucket 1.
    assertThat(Base2Exponential.index(3, 0)).isEqualTo(1);
    // Scale 1, base 2^(1/2): 2^(3/2) = 2.83 < 3 <= 2^(4/2) = 4: bucket 3.
    assertThat(Base2Exponential.index(3, 1)).isEqualTo(3);
    // Scale 2, base 2^(1/4): 2^(6/4) = 2.83 < 3 <= 2^(7/4) = 3.36: bucket 6.
    assertThat(Base2Exponential.index(3, 2)).isEqualTo(6);
    // Scale 20: floor(2^20 * log2(3)) = floor(1048576 * 1.5849625007...) = floor(1661953.24) = 1661953.
    assertThat(Base2Exponential.index(3, 20)).isEqualTo(1_661_953);
    // Scale -1, base 4: (1, 4]: bucket 0. Scale -2, base 16: (1, 16]: bucket 0.
    assertThat(Base2Exponential.index(3, -1)).isZero();
    assertThat(Base2Exponential.index(3, -2)).isZero();
    // 10 at scale 3, base 2^(1/8): floor(8 * 3.3219) = 26, since 2^(26/8) = 9.51 < 10 <= 2^(27/8) = 10.37.
    assertThat(Base2Exponential.index(10, 3)).isEqualTo(26);
  }

  @Test
  void exactPowersOfTwoAreTheUpperBoundOfTheirBucket() {
    // 1 = 2^0 closes bucket -1 at every scale: (base^-1, 1].
    for (int scale = Base2Exponential.MIN_SCALE; scale <= Base2Exponential.MAX_SCALE; scale++) {
      assertThat(Base2Exponential.index(1, scale)).as("index of 1 at scale %d", scale).isEqualTo(-1);
    }
    // 2 = 2^1: scale 0 bucket 0 = (1, 2]; scale 3 bucket 7 = (2^(7/8), 2]; scale 20 bucket 2^20 - 1.
    assertThat(Base2Exponential.index(2, 0)).isZero();
    assertThat(Base2Exponential.index(2, 3)).isEqualTo(7);
    assertThat(Base2Exponential.index(2, 20)).isEqualTo((1 << 20) - 1);
    // 0.5 = 2^-1: scale 0 bucket -2 = (0.25, 0.5]; scale 3 bucket -9.
    assertThat(Base2Exponential.index(0.5, 0)).isEqualTo(-2);
    assertThat(Base2Exponential.index(0.5, 3)).isEqualTo(-9);
    // 16 = 2^4 at scale -1 (base 4): (4, 16] is bucket 1; at scale -2 (base 16): (1, 16] is bucket 0.
    assertThat(Base2Exponential.index(16, -1)).isEqualTo(1);
    assertThat(Base2Exponential.index(16, -2)).isZero();
  }

  @Test
  void extremeValuesStayInsideTheIndexRange() {
    assertThat(Base2Exponential.index(Double.MAX_VALUE, 20)).isEqualTo((1024 << 20) - 1);
    assertThat(Base2Exponential.index(Double.MIN_VALUE, 20)).isEqualTo((-1022 << 20) - 1);
    assertThat(Base2Exponential.index(Double.MIN_VALUE, 0)).isEqualTo(-1023);
    assertThat(Base2Exponential.index(Double.MIN_VALUE, -1)).isEqualTo(-512);
  }

  @Test
  void scaleDropsStepByStepAsTheRangeOutgrowsMaxSize() {
    ExponentialHistogramAccumulator h = new ExponentialHistogramAccumulator(4);
    // 1 alone: scale 20, bucket -1.
    h.record(1, 1);
    assertBuckets(h, 20, -1, 1);
    // 2 is bucket 2^20 - 1 at scale 20: range -1..1048575 needs c with (1048575 >> c) - (-1 >> c) < 4,
    // c = 19 (1 + 1 = 2; c = 18 gives 3 + 1 = 4): scale 1, where 1 is bucket -1 and 2 bucket 1.
    h.record(2, 1);
    assertBuckets(h, 1, -1, 1, 0, 1);
    // 4 is bucket 3 at scale 1: range -1..3 spans 5 buckets, c = 1: scale 0, buckets -1, 0, 1.
    h.record(4, 1);
    assertBuckets(h, 0, -1, 1, 1, 1);
    // 8 is bucket 2 at scale 0: range -1..2 is 4 buckets wide, span 3 < 4: no change.
    h.record(8, 1);
    assertBuckets(h, 0, -1, 1, 1, 1, 1);
    // 16 is bucket 3: span 4, c = 1: scale -1 (base 4) merges pairs: {1} {2, 4} {8, 16}.
    h.record(16, 1);
    assertBuckets(h, -1, -1, 1, 2, 2);
    assertThat(h.count()).isEqualTo(5);
    assertThat(h.sum()).isEqualTo(31.0);
    assertThat(h.min()).isEqualTo(1.0);
    assertThat(h.max()).isEqualTo(16.0);
    assertThat(h.zeroCount()).isZero();
  }

  @Test
  void durationsOverFourDecadesSettleAtScaleThreeWithTheDefaultMaxSize() {
    ExponentialHistogramAccumulator h = new ExponentialHistogramAccumulator(160);
    // 1 and 10: 10 is floor(2^s * 3.3219); the finest scale with 106 + 1 < 160 is 5.
    h.record(1, 1);
    h.record(10, 1);
    assertThat(h.scale()).isEqualTo(5);
    // 100 is floor(32 * 6.6439) = 212 at scale 5: scale 4 (106 + 1 < 160).
    h.record(100, 1);
    assertThat(h.scale()).isEqualTo(4);
    // 1000 is floor(16 * 9.9658) = 159 at scale 4, span 160: scale 3. 10000 is floor(8 * 13.2877) = 106.
    h.record(1000, 1);
    h.record(10000, 2);
    assertThat(h.scale()).isEqualTo(3);
    assertThat(h.positiveOffset()).isEqualTo(-1);
    long[] counts = h.positiveCounts();
    assertThat(counts).hasSize(108);
    // Buckets -1 (1), 26 (10), 53 (100), 79 (1000), 106 (10000, twice), as offsets from -1.
    long[] expected = new long[108];
    expected[0] = 1;
    expected[27] = 1;
    expected[54] = 1;
    expected[80] = 1;
    expected[107] = 2;
    assertThat(counts).containsExactly(expected);
    assertThat(h.count()).isEqualTo(6);
    assertThat(h.sum()).isEqualTo(21111.0);
  }

  @Test
  void zerosCountApartAndAHistogramOfZerosHasScaleZero() {
    ExponentialHistogramAccumulator h = new ExponentialHistogramAccumulator(160);
    h.record(0, 3);
    assertThat(h.scale()).isZero();
    assertThat(h.zeroCount()).isEqualTo(3);
    assertThat(h.positiveCounts()).isEmpty();
    h.record(0.25, 2);
    // 0.25 = 2^-2 alone: scale 20, bucket (-2 << 20) - 1.
    assertThat(h.scale()).isEqualTo(20);
    assertThat(h.positiveOffset()).isEqualTo((-2 << 20) - 1);
    assertThat(h.positiveCounts()).containsExactly(2);
    assertThat(h.count()).isEqualTo(5);
    assertThat(h.min()).isEqualTo(0.0);
    assertThat(h.max()).isEqualTo(0.25);
    assertThat(h.sum()).isEqualTo(0.5);
  }

  @Test
  void negativeValuesHaveTheirOwnBucketsAtTheSharedScale() {
    ExponentialHistogramAccumulator h = new ExponentialHistogramAccumulator(4);
    h.record(-1, 1);
    h.record(-4, 1);
    // -1 and -4: magnitudes 1 (bucket -1) and 4 (bucket 2^21 - 1 at scale 20): scale 0 gives -1..1.
    assertThat(h.scale()).isZero();
    assertThat(h.negativeOffset()).isEqualTo(-1);
    assertThat(h.negativeCounts()).containsExactly(1, 0, 1);
    h.record(2, 1);
    assertThat(h.positiveOffset()).isZero();
    assertThat(h.positiveCounts()).containsExactly(1);
    assertThat(h.min()).isEqualTo(-4.0);
    assertThat(h.sum()).isEqualTo(-3.0);
  }

  @Test
  void mergingLowersTheScaleUntilBothRangesFit() {
    ExponentialHistogramAccumulator a = new ExponentialHistogramAccumulator(4);
    a.record(1, 1);
    a.record(2, 1); // scale 1: buckets -1 and 1
    ExponentialHistogramAccumulator b = new ExponentialHistogramAccumulator(4);
    b.record(16, 3); // scale 20: bucket (4 << 20) - 1
    a.merge(b);
    // At scale 1, 16 is bucket 7: -1..7 spans 9; c = 2 gives (7 >> 2) - (-1 >> 2) = 2: scale -1,
    // base 4, where 1 is bucket -1, 2 bucket 0 and 16 bucket 1.
    assertBuckets(a, -1, -1, 1, 1, 3);
    assertThat(a.count()).isEqualTo(5);
    assertThat(a.sum()).isEqualTo(51.0);
    assertThat(a.max()).isEqualTo(16.0);

    ExponentialHistogramAccumulator empty = new ExponentialHistogramAccumulator(4);
    empty.merge(a);
    assertBuckets(empty, -1, -1, 1, 1, 3);
    assertThat(empty.min()).isEqualTo(1.0);
  }

  @Test
  void writesAnOtlpPoint() {
    ExponentialHistogramAccumulator h = new ExponentialHistogramAccumulator(4);
    h.record(0, 1);
    h.record(1, 1);
    h.record(2, 1);
    ExponentialHistogramDataPoint.Builder dp = ExponentialHistogramDataPoint.newBuilder();
    h.writeTo(dp);
    ExponentialHistogramDataPoint p = dp.build();
    assertThat(p.getCount()).isEqualTo(3);
    assertThat(p.getZeroCount()).isEqualTo(1);
    assertThat(p.getScale()).isEqualTo(1);
    assertThat(p.getPositive().getOffset()).isEqualTo(-1);
    assertThat(p.getPositive().getBucketCountsList()).containsExactly(1L, 0L, 1L);
    assertThat(p.getNegative().getBucketCountsList()).isEmpty();
    assertThat(p.getSum()).isEqualTo(3.0);
    assertThat(p.getMin()).isEqualTo(0.0);
    assertThat(p.getMax()).isEqualTo(2.0);
  }

  @Test
  void aMaxSizeBelowTwoIsRefused() {
    assertThatThrownBy(() -> new ExponentialHistogramAccumulator(1)).isInstanceOf(IllegalArgumentException.class);
  }

  private static void assertBuckets(ExponentialHistogramAccumulator h, int scale, int offset, long... counts) {
    assertThat(h.scale()).as("scale").isEqualTo(scale);
    assertThat(h.positiveOffset()).as("offset").isEqualTo(offset);
    assertThat(h.positiveCounts()).as("bucket counts").containsExactly(counts);
  }
}
