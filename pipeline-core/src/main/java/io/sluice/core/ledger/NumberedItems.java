package io.sluice.core.ledger;

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
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Items (spans, log records, metric data points) that carry their stream and their number in
 * trace and span ids: the span id is the source ID (4 bytes, big-endian, at least 1 so that no span
 * id is zero) followed by the sequence number (4 bytes); the trace id is a run ID (8 bytes, random
 * per instance) followed by the span id of the trace's first item (its root).
 *
 * <p>Where the ids go, per signal, one mechanism for all three:
 *
 * <ul>
 *   <li>a span: its own trace and span id;
 *   <li>a log record: its {@code trace_id} and {@code span_id} (as a log written inside that span);
 *   <li>a metric data point: one exemplar with that trace and span id. Not an attribute: an
 *       attribute with a number would make every point a series of its own, which no real metric
 *       does, and would change what a gateway aggregates or a backend stores.
 * </ul>
 *
 * <p>In the ids rather than in attributes: every pipeline carries span and trace ids unchanged
 * (processors that rename, drop or hash attributes do not touch them, and the OTLP, Jaeger and
 * Kafka encodings all keep them), the items weigh what ordinary items weigh, and a sink reads the
 * number from two fixed-size fields. The run ID in the trace id lets a sink ignore items of another
 * run (a persistent queue left on disk, another test on the same backend); items sent one per
 * trace ({@link #request}) give every item a trace of its own, so samplers and trace-id
 * partitioners spread them as they spread real traffic.
 */
public final class NumberedItems {
  private final long runId;
  /** True for a receiver that counts numbered items of any run. */
  private final boolean anyRun;

  public NumberedItems() {
    this(ThreadLocalRandom.current().nextLong() | 1L);
  }

  public NumberedItems(long runId) {
    if (runId == 0) {
      throw new IllegalArgumentException("the run ID must not be 0 (a trace id of zeros is invalid)");
    }
    this.runId = runId;
    this.anyRun = false;
  }

  private NumberedItems(boolean anyRun) {
    this.runId = 1;
    this.anyRun = anyRun;
  }

  /**
   * A receiver that counts the numbered items of every run as one (for a sink that does not know
   * the sender's run ID: start it afresh for each run).
   */
  public static NumberedItems anyRun() {
    return new NumberedItems(true);
  }

  public long runId() {
    return runId;
  }

  /** The span id of item {@code seq} of stream {@code source}. */
  public static byte[] spanId(int source, int seq) {
    if (source < 1) {
      throw new IllegalArgumentException("a source ID is at least 1, got " + source);
    }
    return ByteBuffer.allocate(8).putInt(source).putInt(seq).array();
  }

  /** The trace id of a trace whose first item is item {@code seq} of stream {@code source}, in this run. */
  public byte[] traceId(int source, int seq) {
    return ByteBuffer.allocate(16).putLong(runId).putInt(source).putInt(seq).array();
  }

  /** The exemplar that numbers a metric data point as item {@code seq} of {@code source}. */
  public Exemplar exemplar(int source, int seq, long timeUnixNano, double value) {
    return Exemplar.newBuilder()
        .setTraceId(ByteString.copyFrom(traceId(source, seq)))
        .setSpanId(ByteString.copyFrom(spanId(source, seq)))
        .setTimeUnixNano(timeUnixNano)
        .setAsDouble(value)
        .build();
  }

  /**
   * A request with items {@code first .. first + count - 1} of stream {@code source}, each span a
   * trace of its own, under the resource {@code service.name = source-N}; each span has an
   * attribute of {@code payloadChars} characters (none when 0).
   */
  public ExportTraceServiceRequest request(int source, int first, int count, int payloadChars) {
    long now = System.currentTimeMillis() * 1_000_000L;
    String payload = "x".repeat(Math.max(0, payloadChars));
    ScopeSpans.Builder scope = ScopeSpans.newBuilder()
        .setScope(InstrumentationScope.newBuilder().setName("io.sluice.ledger").setVersion("1.0.0"));
    for (int seq = first; seq < first + count; seq++) {
      Span.Builder span = Span.newBuilder()
          .setTraceId(ByteString.copyFrom(traceId(source, seq)))
          .setSpanId(ByteString.copyFrom(spanId(source, seq)))
          .setName("numbered")
          .setKind(Span.SpanKind.SPAN_KIND_SERVER)
          .setStartTimeUnixNano(now)
          .setEndTimeUnixNano(now + 1_000_000);
      if (payloadChars > 0) {
        span.addAttributes(attr("payload", payload));
      }
      scope.addSpans(span);
    }
    Resource resource = Resource.newBuilder()
        .addAttributes(attr("service.name", "source-" + source))
        .addAttributes(attr("service.instance.id", "source-" + source + "-1"))
        .build();
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().setResource(resource).addScopeSpans(scope))
        .build();
  }

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  /**
   * Records every span of this run in {@code request} as received by {@code ledger}; spans of
   * other runs, or without numbered ids, are left out. The number of spans recorded.
   */
  public int receive(ExportTraceServiceRequest request, ItemLedger ledger) {
    int n = 0;
    for (ResourceSpans rs : request.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span span : ss.getSpansList()) {
          if (receive(span.getTraceId(), span.getSpanId(), ledger)) {
            n++;
          }
        }
      }
    }
    return n;
  }

  /** As {@link #receive(ExportTraceServiceRequest, ItemLedger)}, for the log records of {@code request}. */
  public int receive(ExportLogsServiceRequest request, ItemLedger ledger) {
    int n = 0;
    for (ResourceLogs rl : request.getResourceLogsList()) {
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        for (LogRecord log : sl.getLogRecordsList()) {
          if (receive(log.getTraceId(), log.getSpanId(), ledger)) {
            n++;
          }
        }
      }
    }
    return n;
  }

  /**
   * As {@link #receive(ExportTraceServiceRequest, ItemLedger)}, for the data points of
   * {@code request} (gauges, sums, histograms and exponential histograms) numbered by their first
   * exemplar of this run.
   */
  public int receive(ExportMetricsServiceRequest request, ItemLedger ledger) {
    int n = 0;
    for (ResourceMetrics rm : request.getResourceMetricsList()) {
      for (ScopeMetrics sm : rm.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          switch (m.getDataCase()) {
            case GAUGE -> n += m.getGauge().getDataPointsList().stream()
                .filter(p -> receive(p.getExemplarsList(), ledger)).count();
            case SUM -> n += m.getSum().getDataPointsList().stream()
                .filter(p -> receive(p.getExemplarsList(), ledger)).count();
            case HISTOGRAM -> n += m.getHistogram().getDataPointsList().stream()
                .filter(p -> receive(p.getExemplarsList(), ledger)).count();
            case EXPONENTIAL_HISTOGRAM -> n += m.getExponentialHistogram().getDataPointsList().stream()
                .filter(p -> receive(p.getExemplarsList(), ledger)).count();
            default -> { }
          }
        }
      }
    }
    return n;
  }

  private boolean receive(List<Exemplar> exemplars, ItemLedger ledger) {
    for (Exemplar e : exemplars) {
      if (receive(e.getTraceId(), e.getSpanId(), ledger)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Records the item with these ids when it belongs to this run (the run ID matches, the trace's
   * stream is the item's, and the item does not come before its trace's first item); whether it did.
   */
  public boolean receive(ByteString traceId, ByteString spanId, ItemLedger ledger) {
    if (traceId.size() != 16 || spanId.size() != 8) {
      return false;
    }
    ByteBuffer trace = traceId.asReadOnlyByteBuffer();
    if (anyRun ? trace.getLong(0) == 0 : trace.getLong(0) != runId) {
      return false;
    }
    ByteBuffer span = spanId.asReadOnlyByteBuffer();
    int source = span.getInt(0);
    int seq = span.getInt(4);
    if (source != trace.getInt(8) || seq < trace.getInt(12) || source < 1 || seq < 0) {
      return false;
    }
    ledger.received(source, seq);
    return true;
  }
}
