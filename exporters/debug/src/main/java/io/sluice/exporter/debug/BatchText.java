package io.sluice.exporter.debug;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.EntityRef;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.sluice.core.Batch;
import io.sluice.core.otlp.AnyValues;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Locale;

/**
 * Renders a batch as readable text at the three verbosities of the {@code debug} exporter:
 * a one-line summary with counts; one line per span, metric or log record; or every field of
 * every message, indented by nesting. The text is for people: its layout may change.
 */
final class BatchText {
  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private BatchText() {}

  // ---------------------------------------------------------------------------------------------
  // basic
  // ---------------------------------------------------------------------------------------------

  /**
   * "Traces: 3 resource spans, 512 spans" and the like. Spans and log records are counted without
   * parsing a batch that is still encoded; the number of metrics needs the metrics parsed.
   */
  static String summary(Batch batch) {
    return switch (batch.signal()) {
      case TRACES -> "Traces: " + resourceCount(batch) + " resource spans, " + batch.itemCount() + " spans";
      case METRICS -> {
        int metrics = 0;
        for (ResourceMetrics rm : batch.resourceMetrics()) {
          for (ScopeMetrics sm : rm.getScopeMetricsList()) {
            metrics += sm.getMetricsCount();
          }
        }
        yield "Metrics: " + batch.resources().size() + " resource metrics, " + metrics + " metrics, "
            + batch.itemCount() + " data points";
      }
      case LOGS -> "Logs: " + resourceCount(batch) + " resource logs, " + batch.itemCount() + " log records";
    };
  }

  private static int resourceCount(Batch batch) {
    return batch.isEncoded() ? batch.encoded().size() : batch.resources().size();
  }

  // ---------------------------------------------------------------------------------------------
  // normal: one line per item
  // ---------------------------------------------------------------------------------------------

  /** Appends one line per span, metric or log record, each starting with a newline. */
  static void appendItems(Batch batch, StringBuilder sb) {
    switch (batch.signal()) {
      case TRACES -> {
        for (ResourceSpans rs : batch.resourceSpans()) {
          for (ScopeSpans ss : rs.getScopeSpansList()) {
            for (Span s : ss.getSpansList()) {
              sb.append("\n  ");
              hex(sb, s.getTraceId()).append(' ');
              hex(sb, s.getSpanId()).append(' ').append(s.getName());
            }
          }
        }
      }
      case METRICS -> {
        for (ResourceMetrics rm : batch.resourceMetrics()) {
          for (ScopeMetrics sm : rm.getScopeMetricsList()) {
            for (Metric m : sm.getMetricsList()) {
              int points = Batch.dataPointCount(m);
              sb.append("\n  ").append(m.getName()).append(' ').append(metricType(m)).append(' ')
                  .append(points).append(points == 1 ? " data point" : " data points");
            }
          }
        }
      }
      case LOGS -> {
        for (ResourceLogs rl : batch.resourceLogs()) {
          for (ScopeLogs sl : rl.getScopeLogsList()) {
            for (LogRecord r : sl.getLogRecordsList()) {
              long t = r.getTimeUnixNano() != 0 ? r.getTimeUnixNano() : r.getObservedTimeUnixNano();
              sb.append("\n  ");
              time(sb, t).append(' ').append(severity(r)).append(' ');
              plain(sb, r.getBody(), false);
            }
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // detailed: every field
  // ---------------------------------------------------------------------------------------------

  /** Appends every field of every message, each line starting with a newline. */
  static void appendDetails(Batch batch, StringBuilder sb) {
    switch (batch.signal()) {
      case TRACES -> {
        List<ResourceSpans> list = batch.resourceSpans();
        for (int i = 0; i < list.size(); i++) {
          ResourceSpans rs = list.get(i);
          line(sb, 0, "ResourceSpans #" + i);
          resource(sb, 1, rs.getResource(), rs.getSchemaUrl());
          for (int j = 0; j < rs.getScopeSpansCount(); j++) {
            ScopeSpans ss = rs.getScopeSpans(j);
            line(sb, 1, "ScopeSpans #" + j);
            scope(sb, 2, ss.getScope(), ss.getSchemaUrl());
            for (int k = 0; k < ss.getSpansCount(); k++) {
              span(sb, 2, k, ss.getSpans(k));
            }
          }
        }
      }
      case METRICS -> {
        List<ResourceMetrics> list = batch.resourceMetrics();
        for (int i = 0; i < list.size(); i++) {
          ResourceMetrics rm = list.get(i);
          line(sb, 0, "ResourceMetrics #" + i);
          resource(sb, 1, rm.getResource(), rm.getSchemaUrl());
          for (int j = 0; j < rm.getScopeMetricsCount(); j++) {
            ScopeMetrics sm = rm.getScopeMetrics(j);
            line(sb, 1, "ScopeMetrics #" + j);
            scope(sb, 2, sm.getScope(), sm.getSchemaUrl());
            for (int k = 0; k < sm.getMetricsCount(); k++) {
              metric(sb, 2, k, sm.getMetrics(k));
            }
          }
        }
      }
      case LOGS -> {
        List<ResourceLogs> list = batch.resourceLogs();
        for (int i = 0; i < list.size(); i++) {
          ResourceLogs rl = list.get(i);
          line(sb, 0, "ResourceLogs #" + i);
          resource(sb, 1, rl.getResource(), rl.getSchemaUrl());
          for (int j = 0; j < rl.getScopeLogsCount(); j++) {
            ScopeLogs sl = rl.getScopeLogs(j);
            line(sb, 1, "ScopeLogs #" + j);
            scope(sb, 2, sl.getScope(), sl.getSchemaUrl());
            for (int k = 0; k < sl.getLogRecordsCount(); k++) {
              logRecord(sb, 2, k, sl.getLogRecords(k));
            }
          }
        }
      }
    }
  }

  private static void resource(StringBuilder sb, int depth, Resource r, String schemaUrl) {
    field(sb, depth, "Resource schema URL", schemaUrl);
    attributes(sb, depth, "Resource attributes", r.getAttributesList());
    if (r.getDroppedAttributesCount() != 0) {
      field(sb, depth, "Resource dropped attributes", r.getDroppedAttributesCount());
    }
    for (EntityRef e : r.getEntityRefsList()) {
      indent(sb, depth).append("Entity ").append(e.getType()).append(" id keys ").append(e.getIdKeysList())
          .append(" description keys ").append(e.getDescriptionKeysList());
      if (!e.getSchemaUrl().isEmpty()) {
        sb.append(" schema URL ").append(e.getSchemaUrl());
      }
    }
  }

  private static void scope(StringBuilder sb, int depth, InstrumentationScope s, String schemaUrl) {
    field(sb, depth, "Scope schema URL", schemaUrl);
    indent(sb, depth).append("Scope: ").append(s.getName());
    if (!s.getVersion().isEmpty()) {
      sb.append(' ').append(s.getVersion());
    }
    if (s.getAttributesCount() > 0) {
      attributes(sb, depth, "Scope attributes", s.getAttributesList());
    }
    if (s.getDroppedAttributesCount() != 0) {
      field(sb, depth, "Scope dropped attributes", s.getDroppedAttributesCount());
    }
  }

  private static void span(StringBuilder sb, int depth, int index, Span s) {
    line(sb, depth, "Span #" + index);
    int d = depth + 1;
    hex(indent(sb, d).append("Trace ID       : "), s.getTraceId());
    hex(indent(sb, d).append("Parent ID      : "), s.getParentSpanId());
    hex(indent(sb, d).append("ID             : "), s.getSpanId());
    indent(sb, d).append("Name           : ").append(s.getName());
    indent(sb, d).append("Kind           : ").append(enumName(s.getKind().name(), "SPAN_KIND_", s.getKindValue()));
    indent(sb, d).append("Trace state    : ").append(s.getTraceState());
    time(indent(sb, d).append("Start time     : "), s.getStartTimeUnixNano());
    time(indent(sb, d).append("End time       : "), s.getEndTimeUnixNano());
    if (s.getStartTimeUnixNano() != 0 && s.getEndTimeUnixNano() != 0) {
      long durationNanos = s.getEndTimeUnixNano() - s.getStartTimeUnixNano();
      indent(sb, d).append("Duration       : ").append(durationNanos / 1e6).append(" ms");
    }
    Status st = s.getStatus();
    indent(sb, d).append("Status code    : ").append(enumName(st.getCode().name(), "STATUS_CODE_", st.getCodeValue()));
    indent(sb, d).append("Status message : ").append(st.getMessage());
    flags(indent(sb, d).append("Flags          : "), s.getFlags());
    attributes(sb, d, "Attributes", s.getAttributesList());
    dropped(sb, d, "Dropped attributes", s.getDroppedAttributesCount());
    if (s.getEventsCount() > 0) {
      line(sb, d, "Events:");
      for (int i = 0; i < s.getEventsCount(); i++) {
        Span.Event e = s.getEvents(i);
        line(sb, d + 1, "Event #" + i);
        indent(sb, d + 2).append("Name: ").append(e.getName());
        time(indent(sb, d + 2).append("Time: "), e.getTimeUnixNano());
        attributes(sb, d + 2, "Attributes", e.getAttributesList());
        dropped(sb, d + 2, "Dropped attributes", e.getDroppedAttributesCount());
      }
    }
    dropped(sb, d, "Dropped events", s.getDroppedEventsCount());
    if (s.getLinksCount() > 0) {
      line(sb, d, "Links:");
      for (int i = 0; i < s.getLinksCount(); i++) {
        Span.Link l = s.getLinks(i);
        line(sb, d + 1, "Link #" + i);
        hex(indent(sb, d + 2).append("Trace ID   : "), l.getTraceId());
        hex(indent(sb, d + 2).append("ID         : "), l.getSpanId());
        indent(sb, d + 2).append("Trace state: ").append(l.getTraceState());
        flags(indent(sb, d + 2).append("Flags      : "), l.getFlags());
        attributes(sb, d + 2, "Attributes", l.getAttributesList());
        dropped(sb, d + 2, "Dropped attributes", l.getDroppedAttributesCount());
      }
    }
    dropped(sb, d, "Dropped links", s.getDroppedLinksCount());
  }

  private static void metric(StringBuilder sb, int depth, int index, Metric m) {
    line(sb, depth, "Metric #" + index);
    int d = depth + 1;
    indent(sb, d).append("Name       : ").append(m.getName());
    indent(sb, d).append("Description: ").append(m.getDescription());
    indent(sb, d).append("Unit       : ").append(m.getUnit());
    indent(sb, d).append("Type       : ").append(metricType(m));
    switch (m.getDataCase()) {
      case SUM -> {
        indent(sb, d).append("Monotonic  : ").append(m.getSum().getIsMonotonic());
        temporality(sb, d, m.getSum().getAggregationTemporality(), m.getSum().getAggregationTemporalityValue());
      }
      case HISTOGRAM -> temporality(sb, d, m.getHistogram().getAggregationTemporality(),
          m.getHistogram().getAggregationTemporalityValue());
      case EXPONENTIAL_HISTOGRAM -> temporality(sb, d, m.getExponentialHistogram().getAggregationTemporality(),
          m.getExponentialHistogram().getAggregationTemporalityValue());
      default -> {
        // gauges and summaries have no temporality
      }
    }
    if (m.getMetadataCount() > 0) {
      attributes(sb, d, "Metadata", m.getMetadataList());
    }
    switch (m.getDataCase()) {
      case GAUGE -> numberPoints(sb, d, m.getGauge().getDataPointsList());
      case SUM -> numberPoints(sb, d, m.getSum().getDataPointsList());
      case HISTOGRAM -> {
        List<HistogramDataPoint> points = m.getHistogram().getDataPointsList();
        for (int i = 0; i < points.size(); i++) {
          histogramPoint(sb, d, i, points.get(i));
        }
      }
      case EXPONENTIAL_HISTOGRAM -> {
        List<ExponentialHistogramDataPoint> points = m.getExponentialHistogram().getDataPointsList();
        for (int i = 0; i < points.size(); i++) {
          exponentialPoint(sb, d, i, points.get(i));
        }
      }
      case SUMMARY -> {
        List<SummaryDataPoint> points = m.getSummary().getDataPointsList();
        for (int i = 0; i < points.size(); i++) {
          summaryPoint(sb, d, i, points.get(i));
        }
      }
      case DATA_NOT_SET -> line(sb, d, "(no data)");
    }
  }

  private static void temporality(StringBuilder sb, int depth, AggregationTemporality t, int value) {
    indent(sb, depth).append("Temporality: ").append(enumName(t.name(), "AGGREGATION_TEMPORALITY_", value));
  }

  private static void numberPoints(StringBuilder sb, int depth, List<NumberDataPoint> points) {
    for (int i = 0; i < points.size(); i++) {
      NumberDataPoint p = points.get(i);
      line(sb, depth, "NumberDataPoint #" + i);
      int d = depth + 1;
      attributes(sb, d, "Attributes", p.getAttributesList());
      time(indent(sb, d).append("Start time: "), p.getStartTimeUnixNano());
      time(indent(sb, d).append("Time      : "), p.getTimeUnixNano());
      indent(sb, d).append("Value     : ");
      switch (p.getValueCase()) {
        case AS_INT -> sb.append(p.getAsInt()).append(" (int)");
        case AS_DOUBLE -> sb.append(p.getAsDouble()).append(" (double)");
        case VALUE_NOT_SET -> sb.append("(none)");
      }
      pointFlags(sb, d, p.getFlags());
      exemplars(sb, d, p.getExemplarsList());
    }
  }

  private static void histogramPoint(StringBuilder sb, int depth, int index, HistogramDataPoint p) {
    line(sb, depth, "HistogramDataPoint #" + index);
    int d = depth + 1;
    attributes(sb, d, "Attributes", p.getAttributesList());
    time(indent(sb, d).append("Start time: "), p.getStartTimeUnixNano());
    time(indent(sb, d).append("Time      : "), p.getTimeUnixNano());
    indent(sb, d).append("Count     : ").append(Long.toUnsignedString(p.getCount()));
    if (p.hasSum()) {
      indent(sb, d).append("Sum       : ").append(p.getSum());
    }
    if (p.hasMin()) {
      indent(sb, d).append("Min       : ").append(p.getMin());
    }
    if (p.hasMax()) {
      indent(sb, d).append("Max       : ").append(p.getMax());
    }
    if (p.getBucketCountsCount() > 0) {
      line(sb, d, "Buckets:");
      for (int i = 0; i < p.getBucketCountsCount(); i++) {
        String lower = i == 0 ? "-Inf" : String.valueOf(p.getExplicitBounds(i - 1));
        String upper = i < p.getExplicitBoundsCount() ? p.getExplicitBounds(i) + "]" : "+Inf)";
        indent(sb, d + 1).append('(').append(lower).append(", ").append(upper).append(": ")
            .append(Long.toUnsignedString(p.getBucketCounts(i)));
      }
    } else if (p.getExplicitBoundsCount() > 0) {
      indent(sb, d).append("Explicit bounds: ").append(p.getExplicitBoundsList());
    }
    pointFlags(sb, d, p.getFlags());
    exemplars(sb, d, p.getExemplarsList());
  }

  private static void exponentialPoint(StringBuilder sb, int depth, int index, ExponentialHistogramDataPoint p) {
    line(sb, depth, "ExponentialHistogramDataPoint #" + index);
    int d = depth + 1;
    attributes(sb, d, "Attributes", p.getAttributesList());
    time(indent(sb, d).append("Start time    : "), p.getStartTimeUnixNano());
    time(indent(sb, d).append("Time          : "), p.getTimeUnixNano());
    indent(sb, d).append("Count         : ").append(Long.toUnsignedString(p.getCount()));
    if (p.hasSum()) {
      indent(sb, d).append("Sum           : ").append(p.getSum());
    }
    if (p.hasMin()) {
      indent(sb, d).append("Min           : ").append(p.getMin());
    }
    if (p.hasMax()) {
      indent(sb, d).append("Max           : ").append(p.getMax());
    }
    indent(sb, d).append("Scale         : ").append(p.getScale());
    indent(sb, d).append("Zero count    : ").append(Long.toUnsignedString(p.getZeroCount()));
    indent(sb, d).append("Zero threshold: ").append(p.getZeroThreshold());
    double base = Math.pow(2, Math.pow(2, -p.getScale()));
    ExponentialHistogramDataPoint.Buckets neg = p.getNegative();
    for (int i = neg.getBucketCountsCount() - 1; i >= 0; i--) {
      int idx = neg.getOffset() + i;
      indent(sb, d).append("Bucket [").append(-Math.pow(base, idx + 1)).append(", ").append(-Math.pow(base, idx))
          .append("): ").append(Long.toUnsignedString(neg.getBucketCounts(i)));
    }
    ExponentialHistogramDataPoint.Buckets pos = p.getPositive();
    for (int i = 0; i < pos.getBucketCountsCount(); i++) {
      int idx = pos.getOffset() + i;
      indent(sb, d).append("Bucket (").append(Math.pow(base, idx)).append(", ").append(Math.pow(base, idx + 1))
          .append("]: ").append(Long.toUnsignedString(pos.getBucketCounts(i)));
    }
    pointFlags(sb, d, p.getFlags());
    exemplars(sb, d, p.getExemplarsList());
  }

  private static void summaryPoint(StringBuilder sb, int depth, int index, SummaryDataPoint p) {
    line(sb, depth, "SummaryDataPoint #" + index);
    int d = depth + 1;
    attributes(sb, d, "Attributes", p.getAttributesList());
    time(indent(sb, d).append("Start time: "), p.getStartTimeUnixNano());
    time(indent(sb, d).append("Time      : "), p.getTimeUnixNano());
    indent(sb, d).append("Count     : ").append(Long.toUnsignedString(p.getCount()));
    indent(sb, d).append("Sum       : ").append(p.getSum());
    for (SummaryDataPoint.ValueAtQuantile q : p.getQuantileValuesList()) {
      indent(sb, d).append("Quantile ").append(q.getQuantile()).append(": ").append(q.getValue());
    }
    pointFlags(sb, d, p.getFlags());
  }

  private static void exemplars(StringBuilder sb, int depth, List<Exemplar> exemplars) {
    if (exemplars.isEmpty()) {
      return;
    }
    line(sb, depth, "Exemplars:");
    for (int i = 0; i < exemplars.size(); i++) {
      Exemplar e = exemplars.get(i);
      line(sb, depth + 1, "Exemplar #" + i);
      int d = depth + 2;
      time(indent(sb, d).append("Time    : "), e.getTimeUnixNano());
      indent(sb, d).append("Value   : ");
      switch (e.getValueCase()) {
        case AS_INT -> sb.append(e.getAsInt()).append(" (int)");
        case AS_DOUBLE -> sb.append(e.getAsDouble()).append(" (double)");
        case VALUE_NOT_SET -> sb.append("(none)");
      }
      hex(indent(sb, d).append("Trace ID: "), e.getTraceId());
      hex(indent(sb, d).append("Span ID : "), e.getSpanId());
      attributes(sb, d, "Filtered attributes", e.getFilteredAttributesList());
    }
  }

  private static void pointFlags(StringBuilder sb, int depth, int flags) {
    if (flags != 0) {
      indent(sb, depth).append("Flags     : ").append(flags);
      if ((flags & 1) != 0) {
        sb.append(" (no recorded value)");
      }
    }
  }

  private static void logRecord(StringBuilder sb, int depth, int index, LogRecord r) {
    line(sb, depth, "LogRecord #" + index);
    int d = depth + 1;
    time(indent(sb, d).append("Observed time  : "), r.getObservedTimeUnixNano());
    time(indent(sb, d).append("Time           : "), r.getTimeUnixNano());
    indent(sb, d).append("Severity text  : ").append(r.getSeverityText());
    indent(sb, d).append("Severity number: ")
        .append(enumName(r.getSeverityNumber().name(), "SEVERITY_NUMBER_", r.getSeverityNumberValue()))
        .append(" (").append(r.getSeverityNumberValue()).append(')');
    if (!r.getEventName().isEmpty()) {
      indent(sb, d).append("Event name     : ").append(r.getEventName());
    }
    typed(indent(sb, d).append("Body           : "), r.getBody());
    attributes(sb, d, "Attributes", r.getAttributesList());
    hex(indent(sb, d).append("Trace ID       : "), r.getTraceId());
    hex(indent(sb, d).append("Span ID        : "), r.getSpanId());
    flags(indent(sb, d).append("Flags          : "), r.getFlags());
    dropped(sb, d, "Dropped attributes", r.getDroppedAttributesCount());
  }

  // ---------------------------------------------------------------------------------------------
  // Pieces
  // ---------------------------------------------------------------------------------------------

  static String metricType(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> "Gauge";
      case SUM -> "Sum";
      case HISTOGRAM -> "Histogram";
      case EXPONENTIAL_HISTOGRAM -> "ExponentialHistogram";
      case SUMMARY -> "Summary";
      case DATA_NOT_SET -> "Empty";
    };
  }

  private static String severity(LogRecord r) {
    if (!r.getSeverityText().isEmpty()) {
      return r.getSeverityText();
    }
    if (r.getSeverityNumberValue() == 0) {
      return "-";
    }
    return enumName(r.getSeverityNumber().name(), "SEVERITY_NUMBER_", r.getSeverityNumberValue());
  }

  /** SPAN_KIND_SERVER -> Server; a number the schema does not know -> its value. */
  private static String enumName(String name, String prefix, int value) {
    if (name.equals("UNRECOGNIZED")) {
      return String.valueOf(value);
    }
    String s = name.startsWith(prefix) ? name.substring(prefix.length()) : name;
    return s.charAt(0) + s.substring(1).toLowerCase(Locale.ROOT);
  }

  private static void attributes(StringBuilder sb, int depth, String title, List<KeyValue> attrs) {
    if (attrs.isEmpty()) {
      indent(sb, depth).append(title).append(": (none)");
      return;
    }
    indent(sb, depth).append(title).append(':');
    for (KeyValue kv : attrs) {
      typed(indent(sb, depth + 1).append("-> ").append(kv.getKey()).append(": "), kv.getValue());
    }
  }

  private static void dropped(StringBuilder sb, int depth, String title, int count) {
    if (count != 0) {
      indent(sb, depth).append(title).append(": ").append(Integer.toUnsignedString(count));
    }
  }

  private static void field(StringBuilder sb, int depth, String title, Object value) {
    indent(sb, depth).append(title).append(": ").append(value);
  }

  private static void line(StringBuilder sb, int depth, String text) {
    indent(sb, depth).append(text);
  }

  private static StringBuilder indent(StringBuilder sb, int depth) {
    sb.append('\n');
    for (int i = 0; i < depth; i++) {
      sb.append("  ");
    }
    return sb;
  }

  private static StringBuilder flags(StringBuilder sb, int flags) {
    return sb.append(String.format("0x%08x", flags));
  }

  private static StringBuilder hex(StringBuilder sb, ByteString b) {
    for (int i = 0; i < b.size(); i++) {
      int v = b.byteAt(i) & 0xFF;
      sb.append(HEX[v >>> 4]).append(HEX[v & 0xF]);
    }
    return sb;
  }

  /** Nanoseconds since the epoch as an ISO-8601 instant in UTC; 0 (unset) as "0". */
  private static StringBuilder time(StringBuilder sb, long unixNanos) {
    if (unixNanos == 0) {
      return sb.append('0');
    }
    long seconds = Long.divideUnsigned(unixNanos, 1_000_000_000L);
    long nanos = Long.remainderUnsigned(unixNanos, 1_000_000_000L);
    return sb.append(Instant.ofEpochSecond(seconds, nanos));
  }

  /** An attribute value with its type: Str(x), Int(3), Map({"k":"v"}). */
  private static void typed(StringBuilder sb, AnyValue v) {
    switch (v.getValueCase()) {
      case STRING_VALUE -> sb.append("Str(").append(v.getStringValue()).append(')');
      case BOOL_VALUE -> sb.append("Bool(").append(v.getBoolValue()).append(')');
      case INT_VALUE -> sb.append("Int(").append(v.getIntValue()).append(')');
      case DOUBLE_VALUE -> sb.append("Double(").append(v.getDoubleValue()).append(')');
      case BYTES_VALUE -> sb.append("Bytes(").append(Base64.getEncoder().encodeToString(v.getBytesValue()
          .toByteArray())).append(')');
      case ARRAY_VALUE -> plain(sb.append("Slice("), v, true).append(')');
      case KVLIST_VALUE -> plain(sb.append("Map("), v, true).append(')');
      case STRING_VALUE_STRINDEX -> sb.append("StrIndex(").append(v.getStringValueStrindex()).append(')');
      case VALUE_NOT_SET -> sb.append("Empty()");
    }
  }

  /** A value as text: strings as they are at the top, JSON-like inside arrays and maps. */
  private static StringBuilder plain(StringBuilder sb, AnyValue v, boolean quoteStrings) {
    switch (v.getValueCase()) {
      case STRING_VALUE -> {
        if (quoteStrings) {
          quote(sb, v.getStringValue());
        } else {
          sb.append(v.getStringValue());
        }
      }
      case BOOL_VALUE -> sb.append(v.getBoolValue());
      case INT_VALUE -> sb.append(v.getIntValue());
      case DOUBLE_VALUE -> sb.append(v.getDoubleValue());
      case BYTES_VALUE -> quote(sb, Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray()));
      case ARRAY_VALUE -> {
        sb.append('[');
        List<AnyValue> values = v.getArrayValue().getValuesList();
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          plain(sb, values.get(i), true);
        }
        sb.append(']');
      }
      case KVLIST_VALUE -> {
        sb.append('{');
        List<KeyValue> values = v.getKvlistValue().getValuesList();
        for (int i = 0; i < values.size(); i++) {
          if (i > 0) {
            sb.append(',');
          }
          quote(sb, values.get(i).getKey()).append(':');
          plain(sb, values.get(i).getValue(), true);
        }
        sb.append('}');
      }
      case STRING_VALUE_STRINDEX -> sb.append("strindex:").append(v.getStringValueStrindex());
      case VALUE_NOT_SET -> sb.append(quoteStrings ? "null" : "");
    }
    return sb;
  }

  private static StringBuilder quote(StringBuilder sb, String s) {
    AnyValues.jsonString(s, sb);
    return sb;
  }
}
