package io.sluice.core.testkit.ledger;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.testkit.TestData;
import java.nio.ByteBuffer;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Spans that carry their stream and their number in their ids: the span id is the source ID
 * (4 bytes, big-endian, at least 1 so that no span id is zero) followed by the sequence number
 * (4 bytes); the trace id is a run ID (8 bytes, random per instance) followed by the span id.
 *
 * <p>In the ids rather than in attributes: every pipeline carries span and trace ids unchanged
 * (processors that rename, drop or hash attributes do not touch them, and the OTLP, Jaeger and
 * Kafka encodings all keep them), the spans weigh what ordinary spans weigh (no extra attribute
 * to count against byte limits), and a sink reads the number from two fixed-size fields without
 * looking at attributes. The run ID in the trace id lets a sink ignore spans of another run (a
 * persistent queue left on disk, another test on the same backend), and gives every item a trace
 * of its own, so samplers and trace-id partitioners spread them as they spread real traffic.
 */
public final class NumberedSpans {
  private final long runId;

  public NumberedSpans() {
    this(ThreadLocalRandom.current().nextLong() | 1L);
  }

  public NumberedSpans(long runId) {
    if (runId == 0) {
      throw new IllegalArgumentException("the run ID must not be 0 (a trace id of zeros is invalid)");
    }
    this.runId = runId;
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

  /** The trace id of item {@code seq} of stream {@code source} in this run. */
  public byte[] traceId(int source, int seq) {
    return ByteBuffer.allocate(16).putLong(runId).putInt(source).putInt(seq).array();
  }

  /**
   * A request with items {@code first .. first + count - 1} of stream {@code source}, under the
   * resource {@code service.name = source-N}; each span has an attribute of {@code payloadChars}
   * characters (none when 0).
   */
  public ExportTraceServiceRequest request(int source, int first, int count, int payloadChars) {
    long now = System.currentTimeMillis() * 1_000_000L;
    String payload = "x".repeat(Math.max(0, payloadChars));
    ScopeSpans.Builder scope = ScopeSpans.newBuilder().setScope(TestData.scope());
    for (int seq = first; seq < first + count; seq++) {
      Span.Builder span = Span.newBuilder()
          .setTraceId(ByteString.copyFrom(traceId(source, seq)))
          .setSpanId(ByteString.copyFrom(spanId(source, seq)))
          .setName("numbered")
          .setKind(Span.SpanKind.SPAN_KIND_SERVER)
          .setStartTimeUnixNano(now)
          .setEndTimeUnixNano(now + 1_000_000);
      if (payloadChars > 0) {
        span.addAttributes(TestData.attr("payload", payload));
      }
      scope.addSpans(span);
    }
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().setResource(TestData.resource("source-" + source))
            .addScopeSpans(scope))
        .build();
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

  /** Records the item with these ids when it belongs to this run; whether it did. */
  public boolean receive(ByteString traceId, ByteString spanId, ItemLedger ledger) {
    if (traceId.size() != 16 || spanId.size() != 8) {
      return false;
    }
    ByteBuffer trace = traceId.asReadOnlyByteBuffer();
    if (trace.getLong(0) != runId) {
      return false;
    }
    ByteBuffer span = spanId.asReadOnlyByteBuffer();
    int source = span.getInt(0);
    int seq = span.getInt(4);
    if (source != trace.getInt(8) || seq != trace.getInt(12) || source < 1 || seq < 0) {
      return false;
    }
    ledger.received(source, seq);
    return true;
  }
}
