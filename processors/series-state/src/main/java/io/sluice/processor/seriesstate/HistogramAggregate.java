package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import java.util.List;

/**
 * Explicit-bucket histograms. The bounds are the first point's; a later point merges when those
 * bounds are all among its own (its buckets are then each inside one of ours), else it is
 * incompatible.
 */
final class HistogramAggregate extends Aggregate {
  /** The mapping of a point whose bounds are exactly ours. */
  private static final int[] IDENTITY = new int[0];

  private final double[] bounds;
  private final boolean deltaIn;
  private final long[] retired;
  private long retiredCount;
  private double retiredSum;
  private boolean sumKnown = true;
  private double min = Double.POSITIVE_INFINITY;
  private double max = Double.NEGATIVE_INFINITY;
  private boolean minKnown = true;
  private boolean maxKnown = true;
  private boolean any;
  private final long[] increase;

  private HistogramAggregate(MetricKind kind, double[] bounds, boolean trackIncrease, boolean deltaOut,
      long nowNanos) {
    super(kind, deltaOut, nowNanos);
    this.bounds = bounds;
    this.deltaIn = kind.delta();
    this.retired = new long[bounds.length + 1];
    this.increase = trackIncrease ? new long[bounds.length + 1] : null;
  }

  static HistogramAggregate create(MetricKind kind, HistogramDataPoint first, boolean trackIncrease,
      boolean deltaOut, long nowNanos) {
    int n = first.getExplicitBoundsCount();
    double[] bounds = new double[n];
    for (int i = 0; i < n; i++) {
      bounds[i] = first.getExplicitBounds(i);
      if (Double.isNaN(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
        return null;
      }
    }
    if (first.getBucketCountsCount() != n + 1) {
      return null;
    }
    return new HistogramAggregate(kind, bounds, trackIncrease, deltaOut, nowNanos);
  }

  boolean tracksIncrease() {
    return increase != null;
  }

  double[] bounds() {
    return bounds.clone();
  }

  /**
   * How a point's buckets map onto ours: {@link #IDENTITY} for the same bounds, else the index of
   * our bucket for each of its buckets; null when some bound of ours is not among its bounds, or
   * the point is malformed.
   */
  int[] mapping(HistogramDataPoint p) {
    int n = p.getExplicitBoundsCount();
    if (p.getBucketCountsCount() != n + 1) {
      return null;
    }
    if (n == bounds.length) {
      boolean same = true;
      for (int i = 0; i < n && same; i++) {
        same = p.getExplicitBounds(i) == bounds[i];
      }
      if (same) {
        return IDENTITY;
      }
    }
    int[] map = new int[n + 1];
    int j = 0;
    double previous = Double.NEGATIVE_INFINITY;
    for (int i = 0; i < n; i++) {
      double b = p.getExplicitBounds(i);
      if (Double.isNaN(b) || b <= previous) {
        return null;
      }
      previous = b;
      if (j < bounds.length && bounds[j] < b) {
        return null; // our bound bounds[j] falls inside one of its buckets
      }
      map[i] = j;
      if (j < bounds.length && bounds[j] == b) {
        j++;
      }
    }
    if (j < bounds.length) {
      return null; // our highest bounds are above all of its bounds
    }
    map[n] = bounds.length;
    return map;
  }

  private static void addCounts(long[] into, HistogramDataPoint p, int[] map, long sign) {
    int n = p.getBucketCountsCount();
    if (map == IDENTITY) {
      for (int i = 0; i < n; i++) {
        into[i] += sign * p.getBucketCounts(i);
      }
    } else {
      for (int i = 0; i < n; i++) {
        into[map[i]] += sign * p.getBucketCounts(i);
      }
    }
  }

  @Override
  Outcome merge(Object inputKey, Object point, long nowNanos) {
    HistogramDataPoint p = (HistogramDataPoint) point;
    int[] map = mapping(p);
    if (map == null) {
      return Outcome.INCOMPATIBLE;
    }
    if (deltaIn) {
      input(inputKey, nowNanos);
      addRetired(p, map);
      if (increase != null) {
        addCounts(increase, p, map, 1);
      }
      return Outcome.MERGED;
    }
    Input in = inputs.get(inputKey);
    HistogramDataPoint prev = in == null ? null : (HistogramDataPoint) in.latest;
    if (prev != null && p.getTimeUnixNano() < prev.getTimeUnixNano()) {
      return Outcome.OUT_OF_ORDER;
    }
    if (prev == null) {
      if (increase != null && startedInInterval(p.getStartTimeUnixNano())) {
        addCounts(increase, p, map, 1);
      }
    } else if (p.getCount() < prev.getCount()
        || restarted(prev.getStartTimeUnixNano(), p.getStartTimeUnixNano())) {
      addRetired(prev, in.mapping);
      if (increase != null) {
        addCounts(increase, p, map, 1);
      }
    } else if (increase != null) {
      long[] diff = new long[bounds.length + 1];
      addCounts(diff, p, map, 1);
      addCounts(diff, prev, in.mapping, -1);
      for (int i = 0; i < diff.length; i++) {
        increase[i] += Math.max(0, diff[i]);
      }
    }
    in = input(inputKey, nowNanos);
    in.latest = p;
    in.mapping = map;
    any = true;
    return Outcome.MERGED;
  }

  private void addRetired(HistogramDataPoint p, int[] map) {
    any = true;
    addCounts(retired, p, map, 1);
    retiredCount += p.getCount();
    retiredSum += p.getSum();
    sumKnown &= p.hasSum();
    if (p.getCount() > 0) {
      minKnown &= p.hasMin();
      maxKnown &= p.hasMax();
      if (p.hasMin()) {
        min = Math.min(min, p.getMin());
      }
      if (p.hasMax()) {
        max = Math.max(max, p.getMax());
      }
    }
  }

  @Override
  void retired(Input in) {
    if (in.latest != null) {
      addRetired((HistogramDataPoint) in.latest, in.mapping);
    }
  }

  @Override
  public boolean hasValue() {
    return any;
  }

  /** The buckets observed since the last call (for quantiles over an interval), then forgets them. */
  long[] takeIncrease(long nowNanos) {
    long[] out = increase.clone();
    java.util.Arrays.fill(increase, 0);
    increaseSinceNanos = nowNanos;
    return out;
  }

  @Override
  void write(Metric.Builder metric, List<KeyValue> attributes, long startNanos, long timeNanos) {
    long[] buckets = retired.clone();
    long count = retiredCount;
    double sum = retiredSum;
    boolean hasSum = sumKnown;
    double lo = min;
    double hi = max;
    boolean loKnown = minKnown;
    boolean hiKnown = maxKnown;
    for (Input in : inputs.values()) {
      HistogramDataPoint p = (HistogramDataPoint) in.latest;
      if (p == null) {
        continue;
      }
      addCounts(buckets, p, in.mapping, 1);
      count += p.getCount();
      sum += p.getSum();
      hasSum &= p.hasSum();
      if (p.getCount() > 0) {
        loKnown &= p.hasMin();
        hiKnown &= p.hasMax();
        lo = p.hasMin() ? Math.min(lo, p.getMin()) : lo;
        hi = p.hasMax() ? Math.max(hi, p.getMax()) : hi;
      }
    }
    HistogramDataPoint.Builder b = HistogramDataPoint.newBuilder().addAllAttributes(attributes)
        .setStartTimeUnixNano(startNanos).setTimeUnixNano(timeNanos).setCount(count);
    for (double bound : bounds) {
      b.addExplicitBounds(bound);
    }
    for (long c : buckets) {
      b.addBucketCounts(c);
    }
    if (hasSum) {
      b.setSum(sum);
    }
    if (count > 0 && loKnown && lo != Double.POSITIVE_INFINITY) {
      b.setMin(lo);
    }
    if (count > 0 && hiKnown && hi != Double.NEGATIVE_INFINITY) {
      b.setMax(hi);
    }
    metric.getHistogramBuilder().addDataPoints(b);
  }

  @Override
  void resetRetired() {
    java.util.Arrays.fill(retired, 0);
    retiredCount = 0;
    retiredSum = 0;
    sumKnown = true;
    min = Double.POSITIVE_INFINITY;
    max = Double.NEGATIVE_INFINITY;
    minKnown = true;
    maxKnown = true;
  }

  @Override
  public void writeStale(Metric.Builder metric, List<KeyValue> attributes, long timeNanos) {
    HistogramDataPoint.Builder b = HistogramDataPoint.newBuilder().addAllAttributes(attributes)
        .setStartTimeUnixNano(startNanos()).setTimeUnixNano(timeNanos).setFlags(NO_RECORDED_VALUE);
    for (double bound : bounds) {
      b.addExplicitBounds(bound);
    }
    for (int i = 0; i <= bounds.length; i++) {
      b.addBucketCounts(0);
    }
    metric.getHistogramBuilder().addDataPoints(b);
  }
}
