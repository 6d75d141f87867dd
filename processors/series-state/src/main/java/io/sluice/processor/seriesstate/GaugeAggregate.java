package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import java.util.List;

/** Gauges: the latest value of each live input, combined by {@link GaugeMode}. */
final class GaugeAggregate extends Aggregate {
  private static final double STALE_NAN = Double.longBitsToDouble(0x7ff0000000000002L);

  private final GaugeMode mode;

  GaugeAggregate(MetricKind kind, GaugeMode mode, long nowNanos) {
    super(kind, false, nowNanos);
    this.mode = mode;
  }

  @Override
  Outcome merge(Object inputKey, Object point, long nowNanos) {
    NumberDataPoint p = (NumberDataPoint) point;
    Input in = inputs.get(inputKey);
    if (in != null && in.latest != null && p.getTimeUnixNano() < ((NumberDataPoint) in.latest).getTimeUnixNano()) {
      return Outcome.OUT_OF_ORDER;
    }
    input(inputKey, nowNanos).latest = p;
    return Outcome.MERGED;
  }

  @Override
  void retired(Input in) {
    // a gauge's value goes with its input
  }

  @Override
  public boolean hasValue() {
    return !inputs.isEmpty();
  }

  @Override
  void write(Metric.Builder metric, List<KeyValue> attributes, long startNanos, long timeNanos) {
    NumberDataPoint last = null;
    NumberDataPoint pick = null;
    double total = 0;
    int n = 0;
    for (Input in : inputs.values()) {
      NumberDataPoint p = (NumberDataPoint) in.latest;
      double v = SumAggregate.value(p);
      total += v;
      n++;
      // inputs are in update order, so ties on time go to the one received last
      if (last == null || p.getTimeUnixNano() >= last.getTimeUnixNano()) {
        last = p;
      }
      if (pick == null || (mode == GaugeMode.MIN && v < SumAggregate.value(pick))
          || (mode == GaugeMode.MAX && v > SumAggregate.value(pick))) {
        pick = p;
      }
    }
    if (last == null) {
      return;
    }
    NumberDataPoint.Builder b = NumberDataPoint.newBuilder().addAllAttributes(attributes).setTimeUnixNano(timeNanos);
    switch (mode) {
      case LAST -> copyValue(last, b);
      case MIN, MAX -> copyValue(pick, b);
      case MEAN -> b.setAsDouble(total / n);
    }
    metric.getGaugeBuilder().addDataPoints(b);
  }

  private static void copyValue(NumberDataPoint from, NumberDataPoint.Builder to) {
    if (from.getValueCase() == NumberDataPoint.ValueCase.AS_DOUBLE) {
      to.setAsDouble(from.getAsDouble());
    } else {
      to.setAsInt(from.getAsInt());
    }
  }

  @Override
  void resetRetired() {
    // nothing accumulates
  }

  @Override
  public void writeStale(Metric.Builder metric, List<KeyValue> attributes, long timeNanos) {
    metric.getGaugeBuilder().addDataPoints(NumberDataPoint.newBuilder().addAllAttributes(attributes)
        .setTimeUnixNano(timeNanos).setAsDouble(STALE_NAN).setFlags(NO_RECORDED_VALUE));
  }
}
