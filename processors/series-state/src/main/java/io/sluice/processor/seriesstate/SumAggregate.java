package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import java.util.List;

/** Sums: delta points add up; cumulative inputs count with their latest value. */
final class SumAggregate extends Aggregate {
  private static final double STALE_NAN = Double.longBitsToDouble(0x7ff0000000000002L);

  private final boolean monotonic;
  private final boolean deltaIn;
  private long retiredLong;
  private double retiredDouble;
  private boolean isDouble;
  private boolean any;

  SumAggregate(MetricKind kind, boolean deltaOut, long nowNanos) {
    super(kind, deltaOut, nowNanos);
    this.monotonic = kind.monotonic();
    this.deltaIn = kind.delta();
  }

  @Override
  Outcome merge(Object inputKey, Object point, long nowNanos) {
    NumberDataPoint p = (NumberDataPoint) point;
    Input in = inputs.get(inputKey);
    if (deltaIn) {
      input(inputKey, nowNanos);
      add(p);
      return Outcome.MERGED;
    }
    if (in != null && in.latest != null) {
      NumberDataPoint prev = (NumberDataPoint) in.latest;
      if (p.getTimeUnixNano() < prev.getTimeUnixNano()) {
        return Outcome.OUT_OF_ORDER;
      }
      if (monotonic && (restarted(prev.getStartTimeUnixNano(), p.getStartTimeUnixNano()) || value(p) < value(prev))) {
        add(prev);
      }
    }
    input(inputKey, nowNanos).latest = p;
    any = true;
    isDouble |= p.getValueCase() == NumberDataPoint.ValueCase.AS_DOUBLE;
    return Outcome.MERGED;
  }

  private void add(NumberDataPoint p) {
    any = true;
    if (p.getValueCase() == NumberDataPoint.ValueCase.AS_DOUBLE) {
      retiredDouble += p.getAsDouble();
      isDouble = true;
    } else {
      retiredLong += p.getAsInt();
    }
  }

  static double value(NumberDataPoint p) {
    return p.getValueCase() == NumberDataPoint.ValueCase.AS_DOUBLE ? p.getAsDouble() : p.getAsInt();
  }

  @Override
  void retired(Input in) {
    if (monotonic && in.latest != null) {
      add((NumberDataPoint) in.latest);
    }
  }

  @Override
  public boolean hasValue() {
    return any;
  }

  @Override
  void write(Metric.Builder metric, List<KeyValue> attributes, long startNanos, long timeNanos) {
    long l = retiredLong;
    double d = retiredDouble;
    for (Input in : inputs.values()) {
      if (in.latest != null) {
        NumberDataPoint p = (NumberDataPoint) in.latest;
        if (p.getValueCase() == NumberDataPoint.ValueCase.AS_DOUBLE) {
          d += p.getAsDouble();
        } else {
          l += p.getAsInt();
        }
      }
    }
    NumberDataPoint.Builder b = NumberDataPoint.newBuilder().addAllAttributes(attributes)
        .setStartTimeUnixNano(startNanos).setTimeUnixNano(timeNanos);
    if (isDouble) {
      b.setAsDouble(d + l);
    } else {
      b.setAsInt(l);
    }
    metric.getSumBuilder().addDataPoints(b);
  }

  @Override
  void resetRetired() {
    retiredLong = 0;
    retiredDouble = 0;
  }

  @Override
  public void writeStale(Metric.Builder metric, List<KeyValue> attributes, long timeNanos) {
    metric.getSumBuilder().addDataPoints(NumberDataPoint.newBuilder().addAllAttributes(attributes)
        .setStartTimeUnixNano(startNanos()).setTimeUnixNano(timeNanos).setAsDouble(STALE_NAN)
        .setFlags(NO_RECORDED_VALUE));
  }
}
