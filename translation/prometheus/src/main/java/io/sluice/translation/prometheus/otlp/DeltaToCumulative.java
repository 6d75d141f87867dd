package io.sluice.translation.prometheus.otlp;

import java.time.Duration;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.LongSupplier;

/**
 * The running totals that turn delta monotonic sums and delta histograms into the cumulative
 * series remote write carries, with bounded state, after the Collector's
 * {@code deltatocumulative} processor: one entry per stream (its Prometheus labels) holding the
 * start time of its first point, the time of its last point and its totals.
 *
 * <p>A stream not seen for {@code maxStale} is forgotten; its next point starts a new cumulative
 * series (a counter reset, with a new start time). While {@code maxStreams} streams are tracked,
 * points of new streams are refused. A point no later than the last one of its stream is refused
 * (out of order or repeated). Histograms add up bucket by bucket; a point whose bounds differ
 * from the stream's starts it over.
 *
 * <p>Not thread-safe: {@link OtlpToPrometheus} calls it from the one thread it runs on.
 */
public final class DeltaToCumulative {
  /** A refusal: the point is not translated, and counted under this reason. */
  public static final String DROP_OUT_OF_ORDER = "delta_out_of_order";
  public static final String DROP_STREAM_LIMIT = "delta_stream_limit";

  private final long maxStaleNanos;
  private final int maxStreams;
  private final LongSupplier nanoClock;
  /** In order of last use, so the idle ones come first. */
  private final LinkedHashMap<Key, State> streams = new LinkedHashMap<>(64, 0.75f, true);
  private long expired;

  /**
   * @param maxStale how long a stream may go without a point before it is forgotten
   * @param maxStreams the most streams tracked at once
   * @param nanoClock a monotonic clock in nanoseconds ({@link System#nanoTime} in production)
   */
  public DeltaToCumulative(Duration maxStale, int maxStreams, LongSupplier nanoClock) {
    if (maxStale == null || maxStale.isNegative() || maxStale.isZero()) {
      throw new IllegalArgumentException("max_stale must be positive, got " + maxStale);
    }
    if (maxStreams < 1) {
      throw new IllegalArgumentException("max_streams must be at least 1, got " + maxStreams);
    }
    this.maxStaleNanos = maxStale.toNanos();
    this.maxStreams = maxStreams;
    this.nanoClock = nanoClock;
  }

  /** Streams tracked now. */
  public int streams() {
    return streams.size();
  }

  /** Streams forgotten for being idle longer than {@code max_stale}, since creation. */
  public long expiredStreams() {
    return expired;
  }

  /** Forgets the streams idle for longer than {@code max_stale}; called once per batch. */
  void expire() {
    long now = nanoClock.getAsLong();
    Iterator<State> it = streams.values().iterator();
    while (it.hasNext()) {
      State s = it.next();
      if (now - s.lastSeenNanos <= maxStaleNanos) {
        break; // the rest were used more recently
      }
      it.remove();
      expired++;
    }
  }

  /**
   * Adds a delta sum point to its stream.
   *
   * @return the stream after the point, or null when the point is refused ({@code reason[0]} says why)
   */
  State addSum(String[] labels, long startNanos, long timeNanos, double value, String[] reason) {
    State s = stream(new Key('c', labels), startNanos, timeNanos, null, reason);
    if (s == null) {
      return null;
    }
    s.value += value;
    return s;
  }

  /**
   * Adds a delta histogram point, bucket by bucket, to its stream.
   *
   * @return the stream after the point, or null when the point is refused ({@code reason[0]} says why)
   */
  State addHistogram(String[] labels, long startNanos, long timeNanos, List<Double> bounds, List<Long> buckets,
      long count, boolean hasSum, double sum, String[] reason) {
    State s = stream(new Key('h', labels), startNanos, timeNanos, bounds, reason);
    if (s == null) {
      return null;
    }
    if (s.buckets == null) {
      s.buckets = new long[buckets.size()];
    } else if (s.buckets.length < buckets.size()) {
      s.buckets = Arrays.copyOf(s.buckets, buckets.size());
    }
    for (int i = 0; i < buckets.size(); i++) {
      s.buckets[i] += buckets.get(i);
    }
    s.count += count;
    if (hasSum) {
      s.value += sum;
    } else {
      s.hasSum = false;
    }
    return s;
  }

  private State stream(Key key, long startNanos, long timeNanos, List<Double> bounds, String[] reason) {
    State s = streams.get(key);
    long now = nanoClock.getAsLong();
    if (s != null && now - s.lastSeenNanos > maxStaleNanos) {
      streams.remove(key);
      expired++;
      s = null;
    }
    if (s == null) {
      if (streams.size() >= maxStreams) {
        expire();
        if (streams.size() >= maxStreams) {
          reason[0] = DROP_STREAM_LIMIT;
          return null;
        }
      }
      s = new State(startNanos != 0 ? startNanos : timeNanos);
      s.bounds = bounds;
      streams.put(key, s);
    } else if (timeNanos <= s.lastTimeNanos) {
      reason[0] = DROP_OUT_OF_ORDER;
      return null;
    } else if (bounds != null && !bounds.equals(s.bounds)) {
      s.restart(startNanos != 0 ? startNanos : timeNanos);
      s.bounds = bounds;
      s.buckets = null;
    }
    s.lastTimeNanos = timeNanos;
    s.lastSeenNanos = now;
    return s;
  }

  private record Key(char kind, String[] labels) {
    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.kind == kind && Arrays.equals(k.labels, labels);
    }

    @Override
    public int hashCode() {
      return 31 * Arrays.hashCode(labels) + kind;
    }

    @Override
    public String toString() {
      return kind + Arrays.toString(labels);
    }
  }

  /** One stream's running totals. */
  static final class State {
    long startNanos;
    long lastTimeNanos = Long.MIN_VALUE;
    long lastSeenNanos;
    /** The sum's total, or the histogram's sum. */
    double value;
    long count;
    boolean hasSum = true;
    List<Double> bounds;
    long[] buckets;

    State(long startNanos) {
      this.startNanos = startNanos;
    }

    void restart(long newStartNanos) {
      startNanos = newStartNanos;
      value = 0;
      count = 0;
      hasSum = true;
      buckets = null;
    }
  }

  @Override
  public String toString() {
    return "DeltaToCumulative{streams=" + streams.size() + ", expired=" + expired + "}";
  }

}
