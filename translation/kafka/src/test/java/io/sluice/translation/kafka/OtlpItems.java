package io.sluice.translation.kafka;

import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.Signal;
import java.util.ArrayList;
import java.util.List;

/**
 * OTLP data as its items, each with everything it means: one message per span (in its resource and
 * scope), per data point (in its resource, scope and metric) and per log record. Two batches carry
 * the same telemetry when their items are equal as multisets, however they are grouped.
 */
public final class OtlpItems {
  private OtlpItems() {}

  /** The items of batches of one signal. */
  public static List<Object> ofBatches(Signal signal, List<Batch> batches) {
    List<Object> out = new ArrayList<>();
    for (Batch b : batches) {
      out.addAll(of(signal, b.resources()));
    }
    return out;
  }

  /** The items of resource messages of one signal. */
  public static List<Object> of(Signal signal, List<?> resources) {
    List<Object> out = new ArrayList<>();
    for (Object o : resources) {
      switch (signal) {
        case TRACES -> spans((ResourceSpans) o, out);
        case METRICS -> points((ResourceMetrics) o, out);
        case LOGS -> records((ResourceLogs) o, out);
      }
    }
    return out;
  }

  private static void spans(ResourceSpans rs, List<Object> out) {
    for (ScopeSpans ss : rs.getScopeSpansList()) {
      for (Span s : ss.getSpansList()) {
        out.add(rs.toBuilder().clearScopeSpans().addScopeSpans(ss.toBuilder().clearSpans().addSpans(s)).build());
      }
    }
  }

  private static void records(ResourceLogs rl, List<Object> out) {
    for (ScopeLogs sl : rl.getScopeLogsList()) {
      for (LogRecord r : sl.getLogRecordsList()) {
        out.add(rl.toBuilder().clearScopeLogs().addScopeLogs(sl.toBuilder().clearLogRecords().addLogRecords(r))
            .build());
      }
    }
  }

  private static void points(ResourceMetrics rm, List<Object> out) {
    for (ScopeMetrics sm : rm.getScopeMetricsList()) {
      for (Metric m : sm.getMetricsList()) {
        for (Metric one : onePointEach(m)) {
          out.add(rm.toBuilder().clearScopeMetrics().addScopeMetrics(sm.toBuilder().clearMetrics().addMetrics(one))
              .build());
        }
      }
    }
  }

  private static List<Metric> onePointEach(Metric m) {
    List<Metric> out = new ArrayList<>();
    switch (m.getDataCase()) {
      case GAUGE -> m.getGauge().getDataPointsList().forEach(p -> out.add(m.toBuilder()
          .setGauge(m.getGauge().toBuilder().clearDataPoints().addDataPoints(p)).build()));
      case SUM -> m.getSum().getDataPointsList().forEach(p -> out.add(m.toBuilder()
          .setSum(m.getSum().toBuilder().clearDataPoints().addDataPoints(p)).build()));
      case HISTOGRAM -> m.getHistogram().getDataPointsList().forEach(p -> out.add(m.toBuilder()
          .setHistogram(m.getHistogram().toBuilder().clearDataPoints().addDataPoints(p)).build()));
      case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsList().forEach(p -> out.add(
          m.toBuilder().setExponentialHistogram(m.getExponentialHistogram().toBuilder().clearDataPoints()
              .addDataPoints(p)).build()));
      case SUMMARY -> m.getSummary().getDataPointsList().forEach(p -> out.add(m.toBuilder()
          .setSummary(m.getSummary().toBuilder().clearDataPoints().addDataPoints(p)).build()));
      case DATA_NOT_SET -> out.add(m);
    }
    return out;
  }
}
