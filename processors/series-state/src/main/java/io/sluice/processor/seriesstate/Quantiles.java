package io.sluice.processor.seriesstate;

/**
 * Quantiles estimated from histogram buckets the way Prometheus' {@code histogram_quantile}
 * estimates them: find the bucket that holds the observation of rank {@code q * count}, and
 * interpolate linearly between the bucket's bounds, as if its observations were spread evenly.
 *
 * <p>Explicit buckets follow the rules for classic histograms: the lowest bucket's lower bound is
 * 0 when its upper bound is positive (and its upper bound is the answer when it is not); a rank in
 * the open-ended bucket above the highest bound gives that highest bound; without any bound, or
 * without observations, there is no estimate (NaN). Exponential buckets follow the rules for
 * native histograms: the zero bucket spans {@code [-threshold, threshold]}, from 0 when there are
 * only positive buckets, up to 0 when there are only negative ones.
 *
 * <p><b>Error bound.</b> For {@code 0 < q <= 1} the true quantile (the observation of rank
 * {@code ceil(q * count)}) lies in the same bucket as the rank the estimate interpolates in, so the
 * estimate is off by at most that bucket's width: {@code upper - lower} for an explicit bucket, and
 * for an exponential bucket {@code base^i * (base - 1)}, a relative error of at most
 * {@code base - 1 = 2^(2^-scale) - 1} (9.05 % at scale 3, 4.4 % at scale 4). Outside it: a rank in
 * the open-ended top bucket gives the highest bound, which is only a lower limit of the truth; and
 * the lowest explicit bucket assumes no observation below 0.
 */
public final class Quantiles {
  private Quantiles() {}

  /**
   * The {@code q}-quantile of explicit buckets: {@code counts[i]} observations in
   * {@code (bounds[i-1], bounds[i]]}, the last count above the last bound. NaN when it cannot be
   * estimated; -Inf for {@code q < 0}, +Inf for {@code q > 1}.
   */
  public static double explicit(double[] bounds, long[] counts, double q) {
    if (!(q >= 0 && q <= 1)) {
      return outside(q);
    }
    if (bounds.length == 0 || counts.length != bounds.length + 1) {
      return Double.NaN;
    }
    long total = 0;
    for (long c : counts) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    double rank = q * total;
    long below = 0;
    for (int b = 0; b < bounds.length; b++) {
      long cum = below + counts[b];
      if (cum >= rank) {
        if (b == 0 && bounds[0] <= 0) {
          return bounds[0];
        }
        double start = b == 0 ? 0 : bounds[b - 1];
        double end = bounds[b];
        if (counts[b] == 0) {
          return start;
        }
        return start + (end - start) * ((rank - below) / counts[b]);
      }
      below = cum;
    }
    // the rank is in the bucket above the highest bound
    return bounds[bounds.length - 1];
  }

  /** What a quantile outside [0, 1] is: NaN for NaN, -Inf below, +Inf above. */
  private static double outside(double q) {
    return Double.isNaN(q) ? Double.NaN : q < 0 ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
  }

  /** The width of the explicit bucket that holds {@code value}: the error bound at that value. */
  public static double explicitBucketWidth(double[] bounds, double value) {
    for (int b = 0; b < bounds.length; b++) {
      if (value <= bounds[b]) {
        return bounds[b] - (b == 0 ? Math.min(0, bounds[0]) : bounds[b - 1]);
      }
    }
    return Double.POSITIVE_INFINITY;
  }

  /** The {@code q}-quantile of an exponential histogram; NaN when it has no observations. */
  public static double exponential(ExpHistogram h, double q) {
    if (!(q >= 0 && q <= 1)) {
      return outside(q);
    }
    long[] neg = h.negativeCounts();
    long[] pos = h.positiveCounts();
    int negOffset = h.negativeOffset();
    int posOffset = h.positiveOffset();
    int scale = h.scale();
    long total = h.zeroCount();
    for (long c : neg) {
      total += c;
    }
    for (long c : pos) {
      total += c;
    }
    if (total == 0) {
      return Double.NaN;
    }
    double rank = q * total;
    long below = 0;
    // negative values, from the most negative: highest index first
    for (int i = neg.length - 1; i >= 0; i--) {
      if (neg[i] == 0) {
        continue;
      }
      if (below + neg[i] >= rank) {
        double lower = -ExpHistogram.upperBound(negOffset + i, scale);
        double upper = -ExpHistogram.lowerBound(negOffset + i, scale);
        return lower + (upper - lower) * ((rank - below) / neg[i]);
      }
      below += neg[i];
    }
    if (h.zeroCount() > 0) {
      if (below + h.zeroCount() >= rank) {
        double lower = -h.zeroThreshold();
        double upper = h.zeroThreshold();
        if (neg.length == 0 && pos.length > 0) {
          lower = 0;
        } else if (pos.length == 0 && neg.length > 0) {
          upper = 0;
        }
        return lower + (upper - lower) * ((rank - below) / h.zeroCount());
      }
      below += h.zeroCount();
    }
    for (int i = 0; i < pos.length; i++) {
      if (pos[i] == 0) {
        continue;
      }
      if (below + pos[i] >= rank) {
        double lower = ExpHistogram.lowerBound(posOffset + i, scale);
        double upper = ExpHistogram.upperBound(posOffset + i, scale);
        return lower + (upper - lower) * ((rank - below) / pos[i]);
      }
      below += pos[i];
    }
    // only reached through rounding: the top of the highest bucket
    return pos.length > 0 ? ExpHistogram.upperBound(posOffset + pos.length - 1, scale)
        : neg.length > 0 || h.zeroCount() > 0 ? 0 : Double.NaN;
  }
}
