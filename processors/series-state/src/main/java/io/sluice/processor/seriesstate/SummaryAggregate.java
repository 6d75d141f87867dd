package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.util.List;

/** Summaries: count and sum add up (cumulative inputs with their latest point); quantiles cannot merge. */
final class SummaryAggregate extends Aggregate {
  private long retiredCount;
  private double retiredSum;
  private boolean any;

  SummaryAggregate(MetricKind kind, boolean deltaOut, long nowNanos) {
    super(kind, deltaOut, nowNanos);
  }

  @Override
  Outcome merge(Object inputKey, Object point, long nowNanos) {
    SummaryDataPoint p = (SummaryDataPoint) point;
    Input in = inputs.get(inputKey);
    SummaryDataPoint prev = in == null ? null : (SummaryDataPoint) in.latest;
    if (prev != null) {
      if (p.getTimeUnixNano() < prev.getTimeUnixNano()) {
        return Outcome.OUT_OF_ORDER;
      }
      if (p.getCount() < prev.getCount() || restarted(prev.getStartTimeUnixNano(), p.getStartTimeUnixNano())) {
        retired(in);
      }
    }
    input(inputKey, nowNanos).latest = p;
    any = true;
    return Outcome.MERGED;
  }

  @Override
  void retired(Input in) {
    if (in.latest != null) {
      SummaryDataPoint p = (SummaryDataPoint) in.latest;
      retiredCount += p.getCount();
      retiredSum += p.getSum();
    }
  }

  @Override
  public boolean hasValue() {
    return any;
  }

  @Override
  void write(Metric.Builder metric, List<KeyValue> attributes, long startNanos, long timeNanos) {
    long count = retiredCount;
    double sum = retiredSum;
    for (Input in : inputs.values()) {
      SummaryDataPoint p = (SummaryDataPoint) in.latest;
      count += p.getCount();
      sum += p.getSum();
    }
    metric.getSummaryBuilder().addDataPoints(SummaryDataPoint.newBuilder().addAllAttributes(attributes)
        .setStartTimeUnixNano(startNanos).setTimeUnixNano(timeNanos).setCount(count).setSum(sum));
  }

  @Override
  void resetRetired() {
    retiredCount = 0;
    retiredSum = 0;
  }

  @Override
  public void writeStale(Metric.Builder metric, List<KeyValue> attributes, long timeNanos) {
    metric.getSummaryBuilder().addDataPoints(SummaryDataPoint.newBuilder().addAllAttributes(attributes)
        .setStartTimeUnixNano(startNanos()).setTimeUnixNano(timeNanos)
        .setSum(Double.longBitsToDouble(0x7ff0000000000002L)).setFlags(NO_RECORDED_VALUE));
  }
}
