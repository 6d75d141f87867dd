package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import java.util.List;

/** Exponential histograms, merged at the lowest scale of their inputs (see {@link ExpHistogram}). */
final class ExponentialAggregate extends Aggregate {
  private final int maxSize;
  private final boolean deltaIn;
  private ExpHistogram retired = new ExpHistogram();
  private ExpHistogram increase;

  ExponentialAggregate(MetricKind kind, int maxSize, boolean trackIncrease, boolean deltaOut, long nowNanos) {
    super(kind, deltaOut, nowNanos);
    this.maxSize = maxSize;
    this.deltaIn = kind.delta();
    this.increase = trackIncrease ? new ExpHistogram() : null;
  }

  @Override
  Outcome merge(Object inputKey, Object point, long nowNanos) {
    ExponentialHistogramDataPoint p = (ExponentialHistogramDataPoint) point;
    if (deltaIn) {
      input(inputKey, nowNanos);
      retired.merge(p, maxSize);
      if (increase != null) {
        increase.merge(p, maxSize);
      }
      return Outcome.MERGED;
    }
    Input in = inputs.get(inputKey);
    ExponentialHistogramDataPoint prev = in == null ? null : (ExponentialHistogramDataPoint) in.latest;
    if (prev != null && p.getTimeUnixNano() < prev.getTimeUnixNano()) {
      return Outcome.OUT_OF_ORDER;
    }
    if (prev == null) {
      if (increase != null && startedInInterval(p.getStartTimeUnixNano())) {
        increase.merge(p, maxSize);
      }
    } else if (p.getCount() < prev.getCount()
        || restarted(prev.getStartTimeUnixNano(), p.getStartTimeUnixNano())) {
      retired.merge(prev, maxSize);
      if (increase != null) {
        increase.merge(p, maxSize);
      }
    } else if (increase != null) {
      ExpHistogram now = ExpHistogram.of(p);
      ExpHistogram grown = ExpHistogram.increase(now, ExpHistogram.of(prev));
      increase.merge(grown != null ? grown : now, maxSize);
    }
    input(inputKey, nowNanos).latest = p;
    return Outcome.MERGED;
  }

  @Override
  void retired(Input in) {
    if (in.latest != null) {
      retired.merge((ExponentialHistogramDataPoint) in.latest, maxSize);
    }
  }

  @Override
  public boolean hasValue() {
    return !retired.isEmpty() || !inputs.isEmpty();
  }

  /** Everything held now: what stopped inputs left and the latest point of each live one. */
  ExpHistogram snapshot() {
    ExpHistogram h = retired.copy();
    for (Input in : inputs.values()) {
      if (in.latest != null) {
        h.merge((ExponentialHistogramDataPoint) in.latest, maxSize);
      }
    }
    return h;
  }

  boolean tracksIncrease() {
    return increase != null;
  }

  /** What was observed since the last call (for quantiles over an interval), then forgets it. */
  ExpHistogram takeIncrease(long nowNanos) {
    ExpHistogram out = increase;
    increase = new ExpHistogram();
    increaseSinceNanos = nowNanos;
    return out;
  }

  @Override
  void write(Metric.Builder metric, List<KeyValue> attributes, long startNanos, long timeNanos) {
    ExponentialHistogramDataPoint.Builder b = ExponentialHistogramDataPoint.newBuilder().addAllAttributes(attributes)
        .setStartTimeUnixNano(startNanos).setTimeUnixNano(timeNanos);
    snapshot().writeTo(b);
    metric.getExponentialHistogramBuilder().addDataPoints(b);
  }

  @Override
  void resetRetired() {
    retired = new ExpHistogram();
  }

  @Override
  public void writeStale(Metric.Builder metric, List<KeyValue> attributes, long timeNanos) {
    metric.getExponentialHistogramBuilder().addDataPoints(ExponentialHistogramDataPoint.newBuilder()
        .addAllAttributes(attributes).setStartTimeUnixNano(startNanos()).setTimeUnixNano(timeNanos)
        .setScale(retired.isEmpty() ? 0 : retired.scale()).setFlags(NO_RECORDED_VALUE));
  }
}
