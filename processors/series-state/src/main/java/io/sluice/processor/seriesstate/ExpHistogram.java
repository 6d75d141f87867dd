package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import java.util.List;

/**
 * A mutable base-2 exponential histogram that points of any scale can be merged into.
 *
 * <p>At scale {@code s} the base is {@code 2^(2^-s)} and bucket {@code i} holds the values whose
 * magnitude is in {@code (base^i, base^(i+1)]}; positive and negative values have buckets of their
 * own, and values whose magnitude is at most the zero threshold are in the zero count. Lowering
 * the scale by one merges each pair of neighbouring buckets: bucket {@code i} at scale {@code s}
 * becomes bucket {@code i >> 1} at scale {@code s - 1} (floor division, negative indices too), so
 * a merge is exact: it happens at the lower of the two scales, lowered further while the buckets
 * of either sign would span more than {@code maxSize} indices.
 *
 * <p>When the zero thresholds differ, the larger one is kept and the buckets of the other whose
 * upper bound is at most that threshold move into the zero count; a bucket that straddles the
 * threshold stays a bucket.
 */
public final class ExpHistogram {
  public static final int MAX_SCALE = 20;
  public static final int MIN_SCALE = -10;
  private static final long[] NONE = new long[0];

  private int scale = MAX_SCALE;
  private double zeroThreshold;
  private long zeroCount;
  private final Buckets positive = new Buckets();
  private final Buckets negative = new Buckets();
  private long count;
  private double sum;
  private boolean sumKnown = true;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private boolean minKnown = true;
  private boolean maxKnown = true;
  private boolean empty = true;

  /** An empty histogram: merging into it takes the scale of what comes. */
  public ExpHistogram() {}

  /** The histogram of one point. */
  public static ExpHistogram of(ExponentialHistogramDataPoint p) {
    ExpHistogram h = new ExpHistogram();
    h.scale = p.getScale();
    h.zeroThreshold = p.getZeroThreshold();
    h.zeroCount = p.getZeroCount();
    h.positive.set(p.getPositive().getOffset(), p.getPositive().getBucketCountsList());
    h.negative.set(p.getNegative().getOffset(), p.getNegative().getBucketCountsList());
    h.count = p.getCount();
    h.sumKnown = p.hasSum();
    h.sum = p.hasSum() ? p.getSum() : 0;
    if (p.getCount() > 0) {
      h.minKnown = p.hasMin();
      h.maxKnown = p.hasMax();
      h.min = p.hasMin() ? p.getMin() : Double.POSITIVE_INFINITY;
      h.max = p.hasMax() ? p.getMax() : Double.NEGATIVE_INFINITY;
    }
    h.empty = false;
    return h;
  }

  public ExpHistogram copy() {
    ExpHistogram h = new ExpHistogram();
    h.scale = scale;
    h.zeroThreshold = zeroThreshold;
    h.zeroCount = zeroCount;
    h.positive.offset = positive.offset;
    h.positive.counts = positive.counts.clone();
    h.negative.offset = negative.offset;
    h.negative.counts = negative.counts.clone();
    h.count = count;
    h.sum = sum;
    h.sumKnown = sumKnown;
    h.min = min;
    h.max = max;
    h.minKnown = minKnown;
    h.maxKnown = maxKnown;
    h.empty = empty;
    return h;
  }

  public boolean isEmpty() {
    return empty;
  }

  public int scale() {
    return scale;
  }

  public double zeroThreshold() {
    return zeroThreshold;
  }

  public long zeroCount() {
    return zeroCount;
  }

  public long count() {
    return count;
  }

  /** The first positive bucket index; meaningless when there are none. */
  public int positiveOffset() {
    return positive.offset;
  }

  /** The positive bucket counts from {@link #positiveOffset()} on (a copy). */
  public long[] positiveCounts() {
    return positive.counts.clone();
  }

  public int negativeOffset() {
    return negative.offset;
  }

  public long[] negativeCounts() {
    return negative.counts.clone();
  }

  /** Lowers the scale to {@code target} (no change when it is not lower). */
  public void downscaleTo(int target) {
    int by = scale - target;
    if (by <= 0) {
      return;
    }
    positive.downscale(by);
    negative.downscale(by);
    scale = target;
  }

  /** Merges a point in; see the class comment for how scales and zero thresholds meet. */
  public void merge(ExponentialHistogramDataPoint p, int maxSize) {
    merge(of(p), maxSize);
  }

  /** Merges another histogram in (it is not changed). */
  public void merge(ExpHistogram o, int maxSize) {
    if (o.empty) {
      return;
    }
    int target = Math.min(scale, o.scale);
    while (target > MIN_SCALE
        && !(fits(positive, scale, o.positive, o.scale, target, maxSize)
            && fits(negative, scale, o.negative, o.scale, target, maxSize))) {
      target--;
    }
    downscaleTo(target);
    Buckets op = o.positive.copy();
    Buckets on = o.negative.copy();
    op.downscale(o.scale - target);
    on.downscale(o.scale - target);
    double zt = Math.max(zeroThreshold, o.zeroThreshold);
    if (zt > zeroThreshold) {
      zeroCount += positive.takeAtOrBelow(target, zt) + negative.takeAtOrBelow(target, zt);
      zeroThreshold = zt;
    }
    long otherZero = o.zeroCount;
    if (zt > o.zeroThreshold) {
      otherZero += op.takeAtOrBelow(target, zt) + on.takeAtOrBelow(target, zt);
    }
    positive.addAll(op);
    negative.addAll(on);
    zeroCount += otherZero;
    count += o.count;
    sumKnown &= o.sumKnown;
    sum += o.sum;
    if (o.count > 0) {
      minKnown &= o.minKnown;
      maxKnown &= o.maxKnown;
      min = Math.min(min, o.min);
      max = Math.max(max, o.max);
    }
    empty = false;
  }

  /**
   * What {@code newer} holds beyond {@code older} (a later and an earlier cumulative point of one
   * series), at the lower of their scales; null when some count went down, which means the series
   * restarted. The result has no min or max.
   */
  public static ExpHistogram increase(ExpHistogram newer, ExpHistogram older) {
    ExpHistogram a = newer.copy();
    ExpHistogram b = older.copy();
    int target = Math.min(a.scale, b.scale);
    a.downscaleTo(target);
    b.downscaleTo(target);
    double zt = Math.max(a.zeroThreshold, b.zeroThreshold);
    if (zt > a.zeroThreshold) {
      a.zeroCount += a.positive.takeAtOrBelow(target, zt) + a.negative.takeAtOrBelow(target, zt);
      a.zeroThreshold = zt;
    }
    if (zt > b.zeroThreshold) {
      b.zeroCount += b.positive.takeAtOrBelow(target, zt) + b.negative.takeAtOrBelow(target, zt);
    }
    if (a.count < b.count || a.zeroCount < b.zeroCount
        || !a.positive.subtract(b.positive) || !a.negative.subtract(b.negative)) {
      return null;
    }
    a.zeroCount -= b.zeroCount;
    a.count -= b.count;
    a.sum -= b.sum;
    a.sumKnown &= b.sumKnown;
    a.minKnown = false;
    a.maxKnown = false;
    return a;
  }

  private static boolean fits(Buckets a, int scaleA, Buckets b, int scaleB, int target, int maxSize) {
    if (a.isEmpty() && b.isEmpty()) {
      return true;
    }
    int lo = Integer.MAX_VALUE;
    int hi = Integer.MIN_VALUE;
    if (!a.isEmpty()) {
      lo = a.lo() >> (scaleA - target);
      hi = a.hi() >> (scaleA - target);
    }
    if (!b.isEmpty()) {
      lo = Math.min(lo, b.lo() >> (scaleB - target));
      hi = Math.max(hi, b.hi() >> (scaleB - target));
    }
    return (long) hi - lo + 1 <= maxSize;
  }

  /** Writes the histogram's fields (not attributes or times) into a point. */
  public void writeTo(ExponentialHistogramDataPoint.Builder b) {
    b.setScale(empty ? 0 : scale).setZeroThreshold(zeroThreshold).setZeroCount(zeroCount).setCount(count);
    if (!positive.isEmpty()) {
      ExponentialHistogramDataPoint.Buckets.Builder pb = b.getPositiveBuilder().setOffset(positive.offset);
      for (long c : positive.counts) {
        pb.addBucketCounts(c);
      }
    }
    if (!negative.isEmpty()) {
      ExponentialHistogramDataPoint.Buckets.Builder nb = b.getNegativeBuilder().setOffset(negative.offset);
      for (long c : negative.counts) {
        nb.addBucketCounts(c);
      }
    }
    if (sumKnown) {
      b.setSum(sum);
    }
    if (count > 0 && minKnown && min != Double.POSITIVE_INFINITY) {
      b.setMin(min);
    }
    if (count > 0 && maxKnown && max != Double.NEGATIVE_INFINITY) {
      b.setMax(max);
    }
  }

  /** The upper bound of the magnitudes bucket {@code index} holds at {@code scale}: base^(index+1). */
  public static double upperBound(int index, int scale) {
    return Math.pow(2.0, Math.scalb((double) index + 1, -scale));
  }

  /** The (exclusive) lower bound of the magnitudes bucket {@code index} holds: base^index. */
  public static double lowerBound(int index, int scale) {
    return Math.pow(2.0, Math.scalb((double) index, -scale));
  }

  @Override
  public String toString() {
    return "ExpHistogram{scale " + scale + ", zero " + zeroCount + " (<= " + zeroThreshold + "), positive "
        + positive + ", negative " + negative + ", count " + count + "}";
  }

  /** Dense counts of consecutive bucket indices from {@code offset}, without zeros at either end. */
  private static final class Buckets {
    int offset;
    long[] counts = NONE;

    boolean isEmpty() {
      return counts.length == 0;
    }

    int lo() {
      return offset;
    }

    int hi() {
      return offset + counts.length - 1;
    }

    Buckets copy() {
      Buckets b = new Buckets();
      b.offset = offset;
      b.counts = counts.clone();
      return b;
    }

    void set(int from, List<Long> list) {
      offset = from;
      long[] c = new long[list.size()];
      for (int i = 0; i < c.length; i++) {
        c[i] = list.get(i);
      }
      counts = c;
      trim();
    }

    void downscale(int by) {
      if (by <= 0 || isEmpty()) {
        return;
      }
      int newLo = lo() >> by;
      int newHi = hi() >> by;
      long[] out = new long[newHi - newLo + 1];
      for (int i = 0; i < counts.length; i++) {
        out[((offset + i) >> by) - newLo] += counts[i];
      }
      offset = newLo;
      counts = out;
    }

    void addAll(Buckets o) {
      if (o.isEmpty()) {
        return;
      }
      if (isEmpty()) {
        offset = o.offset;
        counts = o.counts.clone();
        return;
      }
      int lo = Math.min(lo(), o.lo());
      int hi = Math.max(hi(), o.hi());
      if (lo != offset || hi != hi()) {
        long[] out = new long[hi - lo + 1];
        System.arraycopy(counts, 0, out, offset - lo, counts.length);
        counts = out;
        offset = lo;
      }
      for (int i = 0; i < o.counts.length; i++) {
        counts[o.offset + i - offset] += o.counts[i];
      }
    }

    /** Subtracts {@code o} bucket by bucket; false (and unchanged) when a count would go negative. */
    boolean subtract(Buckets o) {
      for (int i = 0; i < o.counts.length; i++) {
        if (o.counts[i] == 0) {
          continue;
        }
        int at = o.offset + i - offset;
        if (isEmpty() || at < 0 || at >= counts.length || counts[at] < o.counts[i]) {
          return false;
        }
      }
      for (int i = 0; i < o.counts.length; i++) {
        if (o.counts[i] != 0) {
          counts[o.offset + i - offset] -= o.counts[i];
        }
      }
      trim();
      return true;
    }

    /** Removes and returns the counts of the buckets whose upper bound is at most {@code threshold}. */
    long takeAtOrBelow(int scale, double threshold) {
      long taken = 0;
      for (int i = 0; i < counts.length && upperBound(offset + i, scale) <= threshold; i++) {
        taken += counts[i];
        counts[i] = 0;
      }
      if (taken > 0) {
        trim();
      }
      return taken;
    }

    void trim() {
      int from = 0;
      int to = counts.length;
      while (from < to && counts[from] == 0) {
        from++;
      }
      while (to > from && counts[to - 1] == 0) {
        to--;
      }
      if (from == to) {
        counts = NONE;
        offset = 0;
      } else if (from > 0 || to < counts.length) {
        long[] out = new long[to - from];
        System.arraycopy(counts, from, out, 0, out.length);
        counts = out;
        offset += from;
      }
    }

    @Override
    public String toString() {
      return isEmpty() ? "[]" : "offset " + offset + " " + java.util.Arrays.toString(counts);
    }
  }
}
