package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import java.util.TreeMap;

/** Builds histogram points from raw values, for tests that know the true distribution. */
final class TestHistograms {
  private TestHistograms() {}

  /** The bucket of a positive value at {@code scale}: the i with base^i < v <= base^(i+1). */
  static int index(double v, int scale) {
    int i = (int) Math.ceil(Math.scalb(Math.log(v) / Math.log(2), scale)) - 1;
    // correct the rare rounding error of the logarithm at bucket edges
    while (v <= ExpHistogram.lowerBound(i, scale)) {
      i--;
    }
    while (v > ExpHistogram.upperBound(i, scale)) {
      i++;
    }
    return i;
  }

  static HistogramDataPoint explicit(double[] bounds, double[] values) {
    long[] counts = new long[bounds.length + 1];
    double sum = 0;
    for (double v : values) {
      int b = 0;
      while (b < bounds.length && v > bounds[b]) {
        b++;
      }
      counts[b]++;
      sum += v;
    }
    HistogramDataPoint.Builder p = HistogramDataPoint.newBuilder().setCount(values.length).setSum(sum);
    for (double bound : bounds) {
      p.addExplicitBounds(bound);
    }
    for (long c : counts) {
      p.addBucketCounts(c);
    }
    return p.build();
  }

  static ExponentialHistogramDataPoint exponential(int scale, double[] values) {
    TreeMap<Integer, Long> buckets = new TreeMap<>();
    double sum = 0;
    for (double v : values) {
      buckets.merge(index(v, scale), 1L, Long::sum);
      sum += v;
    }
    ExponentialHistogramDataPoint.Builder p = ExponentialHistogramDataPoint.newBuilder().setScale(scale)
        .setCount(values.length).setSum(sum);
    if (!buckets.isEmpty()) {
      int lo = buckets.firstKey();
      ExponentialHistogramDataPoint.Buckets.Builder pb = p.getPositiveBuilder().setOffset(lo);
      for (int i = lo; i <= buckets.lastKey(); i++) {
        pb.addBucketCounts(buckets.getOrDefault(i, 0L));
      }
    }
    return p.build();
  }
}
