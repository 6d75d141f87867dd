package io.sluice.connector.spanmetrics;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;

/**
 * Counts values into an OTLP base-2 exponential histogram of at most {@code maxSize} buckets per
 * sign, at the finest scale that fits them (bucket indexes: {@link Base2Exponential}).
 *
 * <p>It starts at scale {@link Base2Exponential#MAX_SCALE}. A value whose bucket would stretch the
 * populated range of its sign to {@code maxSize} buckets or more lowers the scale by the least
 * number of steps {@code c} for which {@code (high >> c) - (low >> c) < maxSize}, where
 * {@code low..high} is that range with the new index in it. Lowering the scale by {@code c} merges
 * every {@code 2^c} neighbouring buckets into one: bucket {@code i} becomes bucket
 * {@code i >> c}, for both signs. Zero counts in {@code zero_count} (zero threshold 0); the sum,
 * minimum and maximum are exact. A histogram of zeros only reports scale 0.
 *
 * <p>Not thread-safe: one owner.
 */
final class ExponentialHistogramAccumulator {
  private final int maxSize;
  private int scale = Base2Exponential.MAX_SCALE;
  private long count;
  private long zeroCount;
  private double sum;
  private double min;
  private double max;
  private final Buckets positive = new Buckets();
  private final Buckets negative = new Buckets();

  ExponentialHistogramAccumulator(int maxSize) {
    if (maxSize < 2) {
      throw new IllegalArgumentException("maxSize " + maxSize + " is below 2");
    }
    this.maxSize = maxSize;
  }

  /** Counts {@code value} {@code n} times; a non-finite value is ignored. */
  void record(double value, long n) {
    if (n <= 0 || !Double.isFinite(value)) {
      return;
    }
    if (count == 0) {
      min = value;
      max = value;
    } else {
      min = Math.min(min, value);
      max = Math.max(max, value);
    }
    count += n;
    if (value == 0) {
      zeroCount += n;
      return;
    }
    sum += value * n;
    Buckets b = value > 0 ? positive : negative;
    double magnitude = Math.abs(value);
    int index = Base2Exponential.index(magnitude, scale);
    if (!b.fits(index, maxSize)) {
      downscale(scaleChange(Math.min(b.low, index), Math.max(b.high, index)));
      index = Base2Exponential.index(magnitude, scale);
    }
    b.add(index, n);
  }

  /** Adds everything {@code other} counted (same {@code maxSize}), at a scale that fits both. */
  void merge(ExponentialHistogramAccumulator other) {
    if (other.count == 0) {
      return;
    }
    if (count == 0) {
      min = other.min;
      max = other.max;
    } else {
      min = Math.min(min, other.min);
      max = Math.max(max, other.max);
    }
    count += other.count;
    zeroCount += other.zeroCount;
    sum += other.sum;
    int target = Math.min(scale, other.scale);
    target -= Math.max(changeToFit(positive, other.positive, other.scale, target),
        changeToFit(negative, other.negative, other.scale, target));
    downscale(scale - target);
    positive.addAll(other.positive, other.scale - target);
    negative.addAll(other.negative, other.scale - target);
  }

  /** How far below {@code target} the scale must go for both ranges of one sign to fit together. */
  private int changeToFit(Buckets mine, Buckets theirs, int theirScale, int target) {
    if (theirs.isEmpty()) {
      return 0;
    }
    int low = theirs.low >> (theirScale - target);
    int high = theirs.high >> (theirScale - target);
    if (!mine.isEmpty()) {
      low = Math.min(low, mine.low >> (scale - target));
      high = Math.max(high, mine.high >> (scale - target));
    }
    return scaleChange(low, high);
  }

  /** The least {@code c} for which {@code low..high} shifted right by {@code c} spans under maxSize buckets. */
  private int scaleChange(int low, int high) {
    int c = 0;
    while ((high >> c) - (low >> c) >= maxSize) {
      c++;
    }
    return c;
  }

  private void downscale(int by) {
    if (by <= 0) {
      return;
    }
    positive.downscale(by);
    negative.downscale(by);
    scale -= by;
  }

  long count() {
    return count;
  }

  double sum() {
    return sum;
  }

  long zeroCount() {
    return zeroCount;
  }

  /** The scale of the buckets; 0 while only zeros were counted. */
  int scale() {
    return count == zeroCount ? 0 : scale;
  }

  double min() {
    return min;
  }

  double max() {
    return max;
  }

  /** The index of the first positive bucket; 0 when there is none. */
  int positiveOffset() {
    return positive.isEmpty() ? 0 : positive.low;
  }

  /** The positive buckets' counts from {@link #positiveOffset()} on. */
  long[] positiveCounts() {
    return positive.counts();
  }

  int negativeOffset() {
    return negative.isEmpty() ? 0 : negative.low;
  }

  long[] negativeCounts() {
    return negative.counts();
  }

  /** Writes count, sum, scale, zero count, buckets, min and max into {@code dp}. */
  void writeTo(ExponentialHistogramDataPoint.Builder dp) {
    dp.setCount(count).setSum(sum).setScale(scale()).setZeroCount(zeroCount);
    if (count > 0) {
      dp.setMin(min).setMax(max);
    }
    ExponentialHistogramDataPoint.Buckets.Builder pos = dp.getPositiveBuilder().setOffset(positiveOffset());
    for (long c : positiveCounts()) {
      pos.addBucketCounts(c);
    }
    ExponentialHistogramDataPoint.Buckets.Builder neg = dp.getNegativeBuilder().setOffset(negativeOffset());
    for (long c : negativeCounts()) {
      neg.addBucketCounts(c);
    }
  }

  /**
   * The buckets of one sign: {@code counts[i]} is bucket {@code base + i}; the populated range is
   * {@code low..high}, inside the array.
   */
  private static final class Buckets {
    private static final long[] NONE = new long[0];
    long[] counts = NONE;
    int base;
    int low;
    int high;

    boolean isEmpty() {
      return counts.length == 0;
    }

    /** True when {@code index} joins the range without it spanning maxSize buckets or more. */
    boolean fits(int index, int maxSize) {
      return isEmpty() || (long) Math.max(high, index) - Math.min(low, index) < maxSize;
    }

    void add(int index, long n) {
      if (isEmpty()) {
        counts = new long[4];
        base = index;
        low = index;
        high = index;
      } else if (index < base || index >= base + counts.length) {
        int newLow = Math.min(low, index);
        int newHigh = Math.max(high, index);
        int size = Math.max(counts.length * 2, newHigh - newLow + 1);
        long[] grown = new long[size];
        System.arraycopy(counts, low - base, grown, low - newLow, high - low + 1);
        counts = grown;
        base = newLow;
      }
      counts[index - base] += n;
      low = Math.min(low, index);
      high = Math.max(high, index);
    }

    /** Adds {@code other}'s buckets, each index shifted right by {@code shift} first. */
    void addAll(Buckets other, int shift) {
      if (other.isEmpty()) {
        return;
      }
      for (int i = other.low; i <= other.high; i++) {
        long c = other.counts[i - other.base];
        if (c != 0) {
          add(i >> shift, c);
        }
      }
    }

    /** Merges every {@code 2^by} neighbouring buckets into one: bucket i becomes i >> by. */
    void downscale(int by) {
      if (isEmpty()) {
        return;
      }
      int newLow = low >> by;
      int newHigh = high >> by;
      long[] merged = new long[Math.max(4, newHigh - newLow + 1)];
      for (int i = low; i <= high; i++) {
        merged[(i >> by) - newLow] += counts[i - base];
      }
      counts = merged;
      base = newLow;
      low = newLow;
      high = newHigh;
    }

    long[] counts() {
      if (isEmpty()) {
        return NONE;
      }
      long[] out = new long[high - low + 1];
      System.arraycopy(counts, low - base, out, 0, out.length);
      return out;
    }
  }
}
