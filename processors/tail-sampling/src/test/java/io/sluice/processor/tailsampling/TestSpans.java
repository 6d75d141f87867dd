package io.sluice.processor.tailsampling;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.Signal;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Builds spans, batches and held traces for the tests. */
final class TestSpans {
  private TestSpans() {}

  static final long T0 = 1_700_000_000_000_000_000L;

  static byte[] traceId(long n) {
    return ByteBuffer.allocate(16).putLong(0x0102030405060708L ^ n * 0x9E3779B97F4A7C15L).putLong(n).array();
  }

  static String hex(byte[] id) {
    return java.util.HexFormat.of().formatHex(id);
  }

  static KeyValue attr(String k, Object v) {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v instanceof String s) {
      b.setStringValue(s);
    } else if (v instanceof Long l) {
      b.setIntValue(l);
    } else if (v instanceof Integer i) {
      b.setIntValue(i);
    } else if (v instanceof Double d) {
      b.setDoubleValue(d);
    } else if (v instanceof Boolean bo) {
      b.setBoolValue(bo);
    }
    return KeyValue.newBuilder().setKey(k).setValue(b).build();
  }

  /** A span of trace {@code trace}, number {@code n} in it (n 0 is the root), lasting {@code ms}. */
  static Span.Builder span(long trace, int n, long startMs, long ms) {
    Span.Builder s = Span.newBuilder()
        .setTraceId(ByteString.copyFrom(traceId(trace)))
        .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putInt((int) trace).putInt(n + 1).array()))
        .setName("op-" + n)
        .setKind(Span.SpanKind.SPAN_KIND_INTERNAL)
        .setStartTimeUnixNano(T0 + startMs * 1_000_000)
        .setEndTimeUnixNano(T0 + (startMs + ms) * 1_000_000);
    if (n > 0) {
      s.setParentSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putInt((int) trace).putInt(1).array()));
    }
    return s;
  }

  static Span error(Span.Builder s) {
    return s.setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR)).build();
  }

  static ResourceSpans resource(Map<String, Object> resourceAttrs, Span... spans) {
    Resource.Builder r = Resource.newBuilder();
    resourceAttrs.forEach((k, v) -> r.addAttributes(attr(k, v)));
    return ResourceSpans.newBuilder().setResource(r)
        .addScopeSpans(ScopeSpans.newBuilder().setScope(InstrumentationScope.newBuilder().setName("test").setVersion("1"))
            .addAllSpans(List.of(spans)))
        .build();
  }

  static ResourceSpans resource(Span... spans) {
    return resource(Map.of("service.name", "checkout"), spans);
  }

  /** An encoded batch, as the OTLP receiver hands on. */
  static Batch batch(ResourceSpans... resources) {
    return Batch.encoded(EncodedResources.encode(Signal.TRACES, List.of(resources)),
        Envelope.of(ComponentId.parse("otlp")));
  }

  /** A decoded batch. */
  static Batch decoded(ResourceSpans... resources) {
    return Batch.traces(List.of(resources), Envelope.of(ComponentId.parse("otlp")));
  }

  /**
   * The trace held for the spans of {@code resources} (all of one trace), as a shard builds it:
   * summary and one run per span.
   */
  static Trace trace(ResourceSpans... resources) {
    byte[] req = ExportTraceServiceRequest.newBuilder().addAllResourceSpans(List.of(resources)).build().toByteArray();
    Scan scan = Scan.read(req, "", 0, 1, 8);
    Trace t = new Trace(scan.idHi[0], scan.idLo[0], 0);
    List<ScopeRef> scopes = new ArrayList<>();
    for (int sc = 0; sc < scan.scopes; sc++) {
      int r = scan.scopeResource[sc];
      ResourceRef res = new ResourceRef("", scan.resourceHeaders[r], scan.resourceOff[r], scan.resourceLen[r]);
      scopes.add(new ScopeRef(res, scan.scopeHeaders[sc], scan.scopeOff[sc], scan.scopeLen[sc]));
    }
    for (int i = 0; i < scan.spans; i++) {
      byte[] run = new byte[Wire.lenFieldSize(scan.spanLen[i])];
      int p = Wire.writeLenHeader(run, 0, 2, scan.spanLen[i]);
      System.arraycopy(scan.data, scan.spanOff[i], run, p, scan.spanLen[i]);
      t.addRun(scopes.get(scan.spanScope[i]), run, 1);
      t.spans++;
      t.bytes += run.length;
      t.minStart = Math.min(t.minStart, scan.start[i]);
      t.maxEnd = Math.max(t.maxEnd, scan.end[i]);
      t.statusBits |= 1 << (scan.bits[i] & Scan.STATUS_MASK);
      t.sampledFlag |= (scan.bits[i] & Scan.SAMPLED_FLAG) != 0;
      t.rootSeen |= (scan.bits[i] & Scan.ROOT) != 0;
    }
    return t;
  }

  /** Every span that came out of the captured batches, decoded. */
  static List<Span> spansOf(List<Batch> batches) {
    List<Span> out = new ArrayList<>();
    for (Batch b : batches) {
      for (ResourceSpans rs : b.resourceSpans()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          out.addAll(ss.getSpansList());
        }
      }
    }
    return out;
  }
}
