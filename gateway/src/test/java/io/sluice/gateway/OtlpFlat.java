package io.sluice.gateway;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.otlp.OtlpJson;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * OTLP data taken apart item by item, each item with the resource and scope it came under, so
 * that what a gateway delivered can be compared with what was sent however the gateway
 * regrouped it into batches.
 */
final class OtlpFlat {
  private OtlpFlat() {}

  /** Where an item sits: its resource and scope, with their schema URLs. */
  record Origin(Resource resource, String resourceSchemaUrl, InstrumentationScope scope, String scopeSchemaUrl) {}

  record FlatSpan(Origin origin, Span span) {
    String spanIdHex() {
      return hex(span.getSpanId());
    }
  }

  /** One data point of a metric: {@code metric} holds the metric's description with only that point. */
  record FlatPoint(Origin origin, Metric metric) {}

  record FlatLog(Origin origin, LogRecord log) {}

  static String hex(ByteString bytes) {
    return HexFormat.of().formatHex(bytes.toByteArray());
  }

  static List<FlatSpan> spans(ExportTraceServiceRequest req) {
    return spans(req.getResourceSpansList());
  }

  static List<FlatSpan> spans(List<ResourceSpans> all) {
    List<FlatSpan> out = new ArrayList<>();
    for (ResourceSpans rs : all) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        Origin o = new Origin(rs.getResource(), rs.getSchemaUrl(), ss.getScope(), ss.getSchemaUrl());
        for (Span s : ss.getSpansList()) {
          out.add(new FlatSpan(o, s));
        }
      }
    }
    return out;
  }

  static List<FlatPoint> points(ExportMetricsServiceRequest req) {
    return points(req.getResourceMetricsList());
  }

  static List<FlatPoint> points(List<ResourceMetrics> all) {
    List<FlatPoint> out = new ArrayList<>();
    for (ResourceMetrics rm : all) {
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        Origin o = new Origin(rm.getResource(), rm.getSchemaUrl(), sm.getScope(), sm.getSchemaUrl());
        for (Metric m : sm.getMetricsList()) {
          switch (m.getDataCase()) {
            case GAUGE -> m.getGauge().getDataPointsList().forEach(p -> out.add(new FlatPoint(o,
                m.toBuilder().setGauge(m.getGauge().toBuilder().clearDataPoints().addDataPoints(p)).build())));
            case SUM -> m.getSum().getDataPointsList().forEach(p -> out.add(new FlatPoint(o,
                m.toBuilder().setSum(m.getSum().toBuilder().clearDataPoints().addDataPoints(p)).build())));
            case HISTOGRAM -> m.getHistogram().getDataPointsList().forEach(p -> out.add(new FlatPoint(o,
                m.toBuilder().setHistogram(m.getHistogram().toBuilder().clearDataPoints().addDataPoints(p)).build())));
            case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsList().forEach(p -> out.add(
                new FlatPoint(o, m.toBuilder().setExponentialHistogram(
                    m.getExponentialHistogram().toBuilder().clearDataPoints().addDataPoints(p)).build())));
            case SUMMARY -> m.getSummary().getDataPointsList().forEach(p -> out.add(new FlatPoint(o,
                m.toBuilder().setSummary(m.getSummary().toBuilder().clearDataPoints().addDataPoints(p)).build())));
            default -> out.add(new FlatPoint(o, m));
          }
        }
      }
    }
    return out;
  }

  static List<FlatLog> logs(ExportLogsServiceRequest req) {
    return logs(req.getResourceLogsList());
  }

  static List<FlatLog> logs(List<ResourceLogs> all) {
    List<FlatLog> out = new ArrayList<>();
    for (ResourceLogs rl : all) {
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        Origin o = new Origin(rl.getResource(), rl.getSchemaUrl(), sl.getScope(), sl.getSchemaUrl());
        for (LogRecord r : sl.getLogRecordsList()) {
          out.add(new FlatLog(o, r));
        }
      }
    }
    return out;
  }

  /** Every span in a file of OTLP/JSON lines (the file exporter's json format). */
  static List<FlatSpan> spansInFile(Path file) {
    List<FlatSpan> out = new ArrayList<>();
    for (byte[] line : GatewayFixtures.completeLines(file)) {
      out.addAll(spans(OtlpJson.decodeTraces(line)));
    }
    return out;
  }

  static List<FlatPoint> pointsInFile(Path file) {
    List<FlatPoint> out = new ArrayList<>();
    for (byte[] line : GatewayFixtures.completeLines(file)) {
      out.addAll(points(OtlpJson.decodeMetrics(line)));
    }
    return out;
  }

  static List<FlatLog> logsInFile(Path file) {
    List<FlatLog> out = new ArrayList<>();
    for (byte[] line : GatewayFixtures.completeLines(file)) {
      out.addAll(logs(OtlpJson.decodeLogs(line)));
    }
    return out;
  }

  /** The hex span ids of every span in a file of OTLP/JSON lines. */
  static Set<String> spanIdsInFile(Path file) {
    Set<String> ids = new HashSet<>();
    for (FlatSpan s : spansInFile(file)) {
      ids.add(s.spanIdHex());
    }
    return ids;
  }

  /** The string value of resource attribute {@code key}, or "" when absent. */
  static String resourceAttr(Resource r, String key) {
    for (KeyValue kv : r.getAttributesList()) {
      if (kv.getKey().equals(key)) {
        AnyValue v = kv.getValue();
        return v.hasStringValue() ? v.getStringValue() : v.toString();
      }
    }
    return "";
  }
}
