package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.DataPointFlags;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One series made of the points of several input series (each named by an input key the caller
 * chooses): their sum, merged histogram or combined gauge. Not thread-safe: one owner.
 *
 * <p><b>How inputs combine.</b> Delta points are added as they come. Of a cumulative input only
 * its latest point counts, so that the merged value is always the sum of the inputs' latest
 * values (what Prometheus' {@code sum by} gives). When a monotonic input restarts (its total or
 * count drops, or its start time changes) or stops (a stale point, or idle past the expiry), the
 * value it had reached is kept in the merged total, which therefore never goes down. A
 * non-monotonic sum's input that stops takes its value with it, as does a gauge's.
 *
 * <p>Gauges combine the latest value of each live input by {@link GaugeMode}. Histograms merge
 * bucket by bucket (explicit buckets only where the bounds allow it exactly, see
 * {@link #create}); exponential histograms merge as {@link ExpHistogram} does. Summaries keep
 * their count and sum; their quantiles cannot be merged and are left out. Exemplars are dropped.
 *
 * <p>A point with the {@code NO_RECORDED_VALUE} flag (a Prometheus stale marker) stops its input.
 * A point older than its input's latest is refused ({@link Outcome#OUT_OF_ORDER}).
 */
public abstract class Aggregate {
  /** What became of one point. */
  public enum Outcome {
    /** It counts in the aggregate now. */
    MERGED,
    /** It was a stale marker: its input stopped. */
    STALE,
    /** It is older than its input's latest point; ignored. */
    OUT_OF_ORDER,
    /** It cannot be merged here: explicit bounds that do not fit, or malformed buckets. */
    INCOMPATIBLE
  }

  /**
   * Settings of the aggregates one processor makes.
   *
   * @param gaugeMode how gauges combine
   * @param exponentialMaxSize the most buckets of one sign a merged exponential histogram keeps
   * @param trackIncrease keep, for histograms, what was observed since the last
   *     {@code takeIncrease} (for quantiles over an interval)
   */
  public record Options(GaugeMode gaugeMode, int exponentialMaxSize, boolean trackIncrease) {}

  static final int NO_RECORDED_VALUE = DataPointFlags.DATA_POINT_FLAGS_NO_RECORDED_VALUE_MASK_VALUE;

  private final MetricKind kind;
  private final boolean deltaOut;
  private long startNanos;
  private long lastUpdateNanos;
  /** Since when {@code increase} counts: the last time it was taken. */
  long increaseSinceNanos;
  /** Per input series, least recently updated first. */
  final LinkedHashMap<Object, Input> inputs = new LinkedHashMap<>(8, 0.75f, true);

  /** What is kept of one input series. */
  static final class Input {
    long seenNanos;
    /** The latest cumulative point, or null for delta inputs. */
    Object latest;
    /** For explicit histograms: how the latest point's buckets map onto the aggregate's. */
    int[] mapping;
  }

  Aggregate(MetricKind kind, boolean deltaOut, long nowNanos) {
    this.kind = kind;
    this.deltaOut = deltaOut;
    this.increaseSinceNanos = nowNanos;
  }

  /**
   * A new aggregate for points of {@code kind}, shaped by its first point (an explicit
   * histogram's bounds come from it); null when that point cannot start one (malformed buckets).
   *
   * <p>An explicit histogram point merges when the aggregate's bounds are all among its own: then
   * every one of its buckets lies inside one of the aggregate's and is added there, exactly (finer
   * buckets re-bucketed into coarser). Otherwise it is {@link Outcome#INCOMPATIBLE}.
   *
   * @param deltaOut write what came since the last write and then forget it (for delta inputs
   *     that must stay delta); otherwise the total since the start is written every time
   */
  public static Aggregate create(MetricKind kind, Object firstPoint, Options options, boolean deltaOut,
      long nowNanos) {
    return switch (kind) {
      case GAUGE -> new GaugeAggregate(kind, options.gaugeMode(), nowNanos);
      case SUM, MONOTONIC_SUM, DELTA_SUM, DELTA_MONOTONIC_SUM -> new SumAggregate(kind, deltaOut, nowNanos);
      case HISTOGRAM, DELTA_HISTOGRAM -> HistogramAggregate.create(kind, (HistogramDataPoint) firstPoint,
          options.trackIncrease(), deltaOut, nowNanos);
      case EXPONENTIAL_HISTOGRAM, DELTA_EXPONENTIAL_HISTOGRAM -> new ExponentialAggregate(kind,
          options.exponentialMaxSize(), options.trackIncrease(), deltaOut, nowNanos);
      case SUMMARY -> new SummaryAggregate(kind, deltaOut, nowNanos);
    };
  }

  /** The kind of points this aggregate takes. */
  public final MetricKind kind() {
    return kind;
  }

  /** Whether writes are deltas (else totals since {@link #startNanos()}). */
  public final boolean deltaOut() {
    return deltaOut;
  }

  /** Merges one point of input {@code inputKey}, received at {@code nowNanos}. */
  public final Outcome accept(Object inputKey, Object point, long nowNanos) {
    if ((flags(point) & NO_RECORDED_VALUE) != 0) {
      retire(inputKey);
      return Outcome.STALE;
    }
    Outcome o = merge(inputKey, point, nowNanos);
    if (o == Outcome.MERGED) {
      lastUpdateNanos = nowNanos;
      if (startNanos == 0) {
        long start = startOf(point);
        startNanos = start != 0 ? start : timeOf(point);
      }
    }
    return o;
  }

  abstract Outcome merge(Object inputKey, Object point, long nowNanos);

  /** The input's latest point, or a new input (null) that it becomes. */
  final Input input(Object key, long nowNanos) {
    Input in = inputs.get(key);
    if (in == null) {
      in = new Input();
      inputs.put(key, in);
    }
    in.seenNanos = nowNanos;
    return in;
  }

  /** Stops an input: its contribution is kept or dropped as the class comment says. */
  public final void retire(Object inputKey) {
    Input in = inputs.remove(inputKey);
    if (in != null) {
      retired(in);
    }
  }

  /** An input was removed; keep what it contributed if the kind keeps it. */
  abstract void retired(Input in);

  /** Stops the inputs not updated since {@code cutoffNanos}; returns how many. */
  public final int expireInputs(long cutoffNanos) {
    int n = 0;
    for (Iterator<Map.Entry<Object, Input>> it = inputs.entrySet().iterator(); it.hasNext(); ) {
      Input in = it.next().getValue();
      if (in.seenNanos - cutoffNanos >= 0) {
        break; // least recently updated first: the rest are newer
      }
      it.remove();
      retired(in);
      n++;
    }
    return n;
  }

  /** Input series seen and not stopped. */
  public final int inputCount() {
    return inputs.size();
  }

  public final boolean hasInput(Object inputKey) {
    return inputs.containsKey(inputKey);
  }

  /** When a point was last merged (the clock of {@link #accept}), 0 if never. */
  public final long lastUpdateNanos() {
    return lastUpdateNanos;
  }

  /** The start time of what is written: the first point's start (or time), then each delta write's time. */
  public final long startNanos() {
    return startNanos;
  }

  /** Whether there is a value to write: a gauge needs a live input; the others need any point. */
  public abstract boolean hasValue();

  /**
   * Adds the current value as one point to {@code metric} (made with {@link MetricKind#newMetric}
   * for this kind, cumulative unless {@link #deltaOut}), with these attributes and time.
   */
  public final void writeTo(Metric.Builder metric, List<KeyValue> attributes, long timeNanos) {
    write(metric, attributes, startNanos, Math.max(timeNanos, startNanos));
    if (deltaOut) {
      resetRetired();
      startNanos = timeNanos;
    }
  }

  abstract void write(Metric.Builder metric, List<KeyValue> attributes, long startNanos, long timeNanos);

  /** Forgets what was added since the last delta write. */
  abstract void resetRetired();

  /**
   * The quantiles {@code qs} of what a histogram observed since the previous call (or since it
   * was made), estimated by {@link Quantiles}, and starts a new interval; NaN where there is no
   * estimate (nothing observed). Null for kinds without buckets, or without
   * {@link Options#trackIncrease}.
   *
   * <p>What an interval observed: delta points whole; of a cumulative input, how much its buckets
   * grew since its previous point (all of a point after a restart), and its first point only if
   * the input started within the interval (else it is the baseline of the next point).
   */
  public final double[] takeQuantiles(double[] qs, long nowNanos) {
    double[] out = new double[qs.length];
    if (this instanceof HistogramAggregate h && h.tracksIncrease()) {
      long[] increase = h.takeIncrease(nowNanos);
      double[] bounds = h.bounds();
      for (int i = 0; i < qs.length; i++) {
        out[i] = Quantiles.explicit(bounds, increase, qs[i]);
      }
      return out;
    }
    if (this instanceof ExponentialAggregate e && e.tracksIncrease()) {
      ExpHistogram increase = e.takeIncrease(nowNanos);
      for (int i = 0; i < qs.length; i++) {
        out[i] = Quantiles.exponential(increase, qs[i]);
      }
      return out;
    }
    return null;
  }

  /** Adds a stale marker (a point flagged {@code NO_RECORDED_VALUE}) for this series. */
  public abstract void writeStale(Metric.Builder metric, List<KeyValue> attributes, long timeNanos);

  static int flags(Object point) {
    if (point instanceof NumberDataPoint p) {
      return p.getFlags();
    } else if (point instanceof HistogramDataPoint p) {
      return p.getFlags();
    } else if (point instanceof ExponentialHistogramDataPoint p) {
      return p.getFlags();
    } else if (point instanceof SummaryDataPoint p) {
      return p.getFlags();
    }
    throw new IllegalArgumentException("not a metric data point: " + point.getClass().getName());
  }

  static long startOf(Object point) {
    if (point instanceof NumberDataPoint p) {
      return p.getStartTimeUnixNano();
    } else if (point instanceof HistogramDataPoint p) {
      return p.getStartTimeUnixNano();
    } else if (point instanceof ExponentialHistogramDataPoint p) {
      return p.getStartTimeUnixNano();
    }
    return ((SummaryDataPoint) point).getStartTimeUnixNano();
  }

  static long timeOf(Object point) {
    if (point instanceof NumberDataPoint p) {
      return p.getTimeUnixNano();
    } else if (point instanceof HistogramDataPoint p) {
      return p.getTimeUnixNano();
    } else if (point instanceof ExponentialHistogramDataPoint p) {
      return p.getTimeUnixNano();
    }
    return ((SummaryDataPoint) point).getTimeUnixNano();
  }

  /** Both start times known and different: the input restarted. */
  static boolean restarted(long previousStart, long start) {
    return previousStart != 0 && start != 0 && previousStart != start;
  }

  /** A cumulative input's first point counts as new observations when it started in the interval. */
  final boolean startedInInterval(long start) {
    return start != 0 && start - increaseSinceNanos >= 0;
  }
}
