package io.sluice.processor.seriesstate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class QuantilesTest {
  private static final double[] QS = {0.5, 0.9, 0.95, 0.99};
  /** Prometheus' default buckets. */
  private static final double[] DEFAULT_BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};

  @Test
  void interpolatesLinearlyInTheBucketThatHoldsTheRank() {
    // le 0: 6, le 0.5: 11, le 1: 14, +Inf: 19 (cumulative). The median is observation 9.5 of 19:
    // 3.5 of the 5 in (0, 0.5], so 0 + 0.5 * 3.5 / 5 = 0.35.
    double[] bounds = {0, 0.5, 1};
    long[] counts = {6, 5, 3, 5};
    assertThat(Quantiles.explicit(bounds, counts, 0.5)).isCloseTo(0.35, within(1e-12));
    // rank 1.9 is in the lowest bucket, whose bound is not positive: that bound is the answer
    assertThat(Quantiles.explicit(bounds, counts, 0.1)).isEqualTo(0);
    // rank 18.81 is above le 1: the highest finite bound is the answer
    assertThat(Quantiles.explicit(bounds, counts, 0.99)).isEqualTo(1);
  }

  @Test
  void theLowestBucketStartsAtZeroWhenItsBoundIsPositive() {
    // 10 observations in (0, 2]: the median is half way
    assertThat(Quantiles.explicit(new double[] {2, 4}, new long[] {10, 0, 0}, 0.5)).isEqualTo(1);
  }

  @Test
  void noEstimateWithoutObservationsOrBounds() {
    assertThat(Quantiles.explicit(new double[] {1}, new long[] {0, 0}, 0.5)).isNaN();
    assertThat(Quantiles.explicit(new double[0], new long[] {5}, 0.5)).isNaN();
    assertThat(Quantiles.explicit(new double[] {1}, new long[] {1, 1}, -0.1)).isEqualTo(Double.NEGATIVE_INFINITY);
    assertThat(Quantiles.explicit(new double[] {1}, new long[] {1, 1}, 1.1)).isEqualTo(Double.POSITIVE_INFINITY);
    assertThat(Quantiles.exponential(new ExpHistogram(), 0.5)).isNaN();
  }

  @Test
  void explicitEstimatesAreWithinTheWidthOfTheTrueQuantilesBucket() {
    double[] values = lognormal(100_000, 7, -1.5, 1.0);
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    long[] counts = new long[DEFAULT_BOUNDS.length + 1];
    for (double v : values) {
      int b = 0;
      while (b < DEFAULT_BOUNDS.length && v > DEFAULT_BOUNDS[b]) {
        b++;
      }
      counts[b]++;
    }
    for (double q : QS) {
      double truth = sorted[(int) Math.ceil(q * sorted.length) - 1];
      double estimate = Quantiles.explicit(DEFAULT_BOUNDS, counts, q);
      double bound = Quantiles.explicitBucketWidth(DEFAULT_BOUNDS, truth);
      assertThat(Math.abs(estimate - truth)).as("q %s: estimate %s, truth %s", q, estimate, truth)
          .isLessThanOrEqualTo(bound);
    }
  }

  @Test
  void exponentialEstimatesAreWithinTheRelativeBucketWidth() {
    double[] values = lognormal(100_000, 11, 3, 1.5);
    double[] sorted = values.clone();
    Arrays.sort(sorted);
    for (int scale : new int[] {0, 3, 6}) {
      ExpHistogram h = ExpHistogram.of(TestHistograms.exponential(scale, values));
      double relative = Math.pow(2, Math.scalb(1.0, -scale)) - 1;
      for (double q : QS) {
        double truth = sorted[(int) Math.ceil(q * sorted.length) - 1];
        double estimate = Quantiles.exponential(h, q);
        assertThat(Math.abs(estimate - truth)).as("scale %s q %s: estimate %s, truth %s", scale, q, estimate, truth)
            .isLessThanOrEqualTo(truth * relative);
      }
    }
  }

  @Test
  void theZeroBucketStartsAtZeroWhenThereAreOnlyPositiveBuckets() {
    ExpHistogram h = ExpHistogram.of(io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.newBuilder()
        .setScale(0).setZeroThreshold(0.5).setZeroCount(4).setCount(8)
        .setPositive(io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets.newBuilder()
            .setOffset(0).addBucketCounts(4))
        .build());
    // rank 2 of 8 is half way through the 4 in the zero bucket [0, 0.5]; rank 6 half way through (1, 2]
    assertThat(Quantiles.exponential(h, 0.25)).isEqualTo(0.25);
    assertThat(Quantiles.exponential(h, 0.75)).isEqualTo(1.5);
  }

  private static double[] lognormal(int n, long seed, double mu, double sigma) {
    Random r = new Random(seed);
    double[] out = new double[n];
    for (int i = 0; i < n; i++) {
      out[i] = Math.exp(mu + sigma * r.nextGaussian());
    }
    return out;
  }
}
