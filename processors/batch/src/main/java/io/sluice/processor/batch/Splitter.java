package io.sluice.processor.batch;

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
 * Cuts a list of resource messages in two at an item boundary. Whole resources, scopes and
 * metrics are passed by reference; only the one that straddles the cut is rebuilt into two
 * messages that keep its resource, scope and metric descriptor (name, unit, type, temporality).
 */
final class Splitter {
  private Splitter() {}

  /** The first {@code n} items and the rest, each as a list of resource messages. */
  record Parts(List<Object> head, List<Object> tail) {}

  /**
   * Cuts off the first {@code n} items. Resources without items that come before the cut go
   * with the head, those after it with the tail.
   */
  static Parts cut(Signal signal, List<?> resources, int n) {
    List<Object> head = new ArrayList<>();
    List<Object> tail = new ArrayList<>();
    int left = n;
    int i = 0;
    for (; i < resources.size() && left > 0; i++) {
      Object r = resources.get(i);
      int count = items(signal, r);
      if (count <= left) {
        head.add(r);
        left -= count;
      } else {
        switch (signal) {
          case TRACES -> cutSpans((ResourceSpans) r, left, head, tail);
          case METRICS -> cutMetrics((ResourceMetrics) r, left, head, tail);
          case LOGS -> cutLogs((ResourceLogs) r, left, head, tail);
        }
        left = 0;
      }
    }
    for (; i < resources.size(); i++) {
      tail.add(resources.get(i));
    }
    return new Parts(head, tail);
  }

  /** Items in one resource message. */
  static int items(Signal signal, Object resource) {
    int n = 0;
    switch (signal) {
      case TRACES -> {
        for (ScopeSpans ss : ((ResourceSpans) resource).getScopeSpansList()) {
          n += ss.getSpansCount();
        }
      }
      case METRICS -> {
        for (ScopeMetrics sm : ((ResourceMetrics) resource).getScopeMetricsList()) {
          for (Metric m : sm.getMetricsList()) {
            n += Batch.dataPointCount(m);
          }
        }
      }
      case LOGS -> {
        for (ScopeLogs sl : ((ResourceLogs) resource).getScopeLogsList()) {
          n += sl.getLogRecordsCount();
        }
      }
    }
    return n;
  }

  private static void cutSpans(ResourceSpans rs, int n, List<Object> head, List<Object> tail) {
    ResourceSpans.Builder h = rs.toBuilder().clearScopeSpans();
    ResourceSpans.Builder t = rs.toBuilder().clearScopeSpans();
    int left = n;
    for (ScopeSpans ss : rs.getScopeSpansList()) {
      int count = ss.getSpansCount();
      if (left == 0) {
        t.addScopeSpans(ss);
      } else if (count <= left) {
        h.addScopeSpans(ss);
        left -= count;
      } else {
        List<Span> spans = ss.getSpansList();
        h.addScopeSpans(ss.toBuilder().clearSpans().addAllSpans(spans.subList(0, left)));
        t.addScopeSpans(ss.toBuilder().clearSpans().addAllSpans(spans.subList(left, count)));
        left = 0;
      }
    }
    head.add(h.build());
    tail.add(t.build());
  }

  private static void cutLogs(ResourceLogs rl, int n, List<Object> head, List<Object> tail) {
    ResourceLogs.Builder h = rl.toBuilder().clearScopeLogs();
    ResourceLogs.Builder t = rl.toBuilder().clearScopeLogs();
    int left = n;
    for (ScopeLogs sl : rl.getScopeLogsList()) {
      int count = sl.getLogRecordsCount();
      if (left == 0) {
        t.addScopeLogs(sl);
      } else if (count <= left) {
        h.addScopeLogs(sl);
        left -= count;
      } else {
        List<LogRecord> records = sl.getLogRecordsList();
        h.addScopeLogs(sl.toBuilder().clearLogRecords().addAllLogRecords(records.subList(0, left)));
        t.addScopeLogs(sl.toBuilder().clearLogRecords().addAllLogRecords(records.subList(left, count)));
        left = 0;
      }
    }
    head.add(h.build());
    tail.add(t.build());
  }

  private static void cutMetrics(ResourceMetrics rm, int n, List<Object> head, List<Object> tail) {
    ResourceMetrics.Builder h = rm.toBuilder().clearScopeMetrics();
    ResourceMetrics.Builder t = rm.toBuilder().clearScopeMetrics();
    int left = n;
    for (ScopeMetrics sm : rm.getScopeMetricsList()) {
      if (left == 0) {
        t.addScopeMetrics(sm);
        continue;
      }
      int count = 0;
      for (Metric m : sm.getMetricsList()) {
        count += Batch.dataPointCount(m);
      }
      if (count <= left) {
        h.addScopeMetrics(sm);
        left -= count;
        continue;
      }
      ScopeMetrics.Builder sh = sm.toBuilder().clearMetrics();
      ScopeMetrics.Builder st = sm.toBuilder().clearMetrics();
      for (Metric m : sm.getMetricsList()) {
        int points = Batch.dataPointCount(m);
        if (left == 0) {
          st.addMetrics(m);
        } else if (points <= left) {
          sh.addMetrics(m);
          left -= points;
        } else {
          sh.addMetrics(metricPoints(m, 0, left));
          st.addMetrics(metricPoints(m, left, points));
          left = 0;
        }
      }
      h.addScopeMetrics(sh);
      t.addScopeMetrics(st);
    }
    head.add(h.build());
    tail.add(t.build());
  }

  /** The same metric (name, unit, type, temporality, metadata) holding data points [from, to). */
  private static Metric metricPoints(Metric m, int from, int to) {
    Metric.Builder b = m.toBuilder();
    switch (m.getDataCase()) {
      case GAUGE -> b.setGauge(m.getGauge().toBuilder().clearDataPoints()
          .addAllDataPoints(m.getGauge().getDataPointsList().subList(from, to)));
      case SUM -> b.setSum(m.getSum().toBuilder().clearDataPoints()
          .addAllDataPoints(m.getSum().getDataPointsList().subList(from, to)));
      case HISTOGRAM -> b.setHistogram(m.getHistogram().toBuilder().clearDataPoints()
          .addAllDataPoints(m.getHistogram().getDataPointsList().subList(from, to)));
      case EXPONENTIAL_HISTOGRAM -> b.setExponentialHistogram(m.getExponentialHistogram().toBuilder()
          .clearDataPoints().addAllDataPoints(m.getExponentialHistogram().getDataPointsList().subList(from, to)));
      case SUMMARY -> b.setSummary(m.getSummary().toBuilder().clearDataPoints()
          .addAllDataPoints(m.getSummary().getDataPointsList().subList(from, to)));
      case DATA_NOT_SET -> {
        // No points: never straddles a cut.
      }
    }
    return b.build();
  }
}
