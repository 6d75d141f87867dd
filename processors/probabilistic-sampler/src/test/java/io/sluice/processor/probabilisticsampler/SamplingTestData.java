package io.sluice.processor.probabilisticsampler;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Fixed spans and log records for sampling tests, the same for a given seed: random trace IDs,
 * a few zero ones, tracestates with and without an {@code ot} entry (thresholds, randomness,
 * unknown keys, other vendors, some that do not parse), {@code sampling.priority} of every type,
 * and for logs the attributes the logs modes read. Each item has a unique span ID (spans) or
 * {@code seq} attribute (log records) to find it by.
 */
final class SamplingTestData {
  private SamplingTestData() {}

  static final String[] TRACE_STATES = {
    "congo=t61rcWkgMzE",
    "ot=th:8",
    "ot=th:c;foo:bar",
    "rojo=00f067aa0ba902b7, ot=th:4;x:y",
    "ot=foo:1,vendor@tenant=v",
    "ot=th:",
    "Bad=1",
    "ot=th:8,ot=th:e",
    "ot=th:0",
  };

  /** {@code spans} spans in 3 resources of 2 scopes each. */
  static ExportTraceServiceRequest traces(int spans, long seed) {
    Random r = new Random(seed);
    ExportTraceServiceRequest.Builder req = ExportTraceServiceRequest.newBuilder();
    int perScope = (spans + 5) / 6;
    int made = 0;
    for (int res = 0; res < 3; res++) {
      ResourceSpans.Builder rs = ResourceSpans.newBuilder().setResource(resource("svc-" + res))
          .setSchemaUrl("https://opentelemetry.io/schemas/1.27.0");
      for (int sc = 0; sc < 2; sc++) {
        ScopeSpans.Builder ss = ScopeSpans.newBuilder().setScope(scope(sc));
        for (int i = 0; i < perScope && made < spans; i++, made++) {
          ss.addSpans(span(r, made));
        }
        rs.addScopeSpans(ss);
      }
      req.addResourceSpans(rs);
    }
    return req.build();
  }

  private static Span span(Random r, int n) {
    Span.Builder s = Span.newBuilder()
        .setTraceId(ByteString.copyFrom(n % 97 == 13 ? new byte[16] : bytes(r, 16)))
        .setSpanId(ByteString.copyFrom(spanId(n)))
        .setName("op-" + (n % 7))
        .setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano(1_700_000_000_000_000_000L + n)
        .setEndTimeUnixNano(1_700_000_000_000_500_000L + n)
        .addAttributes(attr("http.route", "/items/" + (n % 11)));
    int ts = r.nextInt(40);
    if (ts < TRACE_STATES.length) {
      s.setTraceState(TRACE_STATES[ts]);
    } else if (ts < TRACE_STATES.length + 3) {
      s.setTraceState("ot=rv:" + HexFormat.of().formatHex(bytes(r, 7)) + ",congo=x");
    }
    switch (r.nextInt(60)) {
      case 0 -> s.addAttributes(KeyValue.newBuilder().setKey("sampling.priority")
          .setValue(AnyValue.newBuilder().setIntValue(0)));
      case 1 -> s.addAttributes(KeyValue.newBuilder().setKey("sampling.priority")
          .setValue(AnyValue.newBuilder().setIntValue(1)));
      case 2 -> s.addAttributes(attr("sampling.priority", "0"));
      case 3 -> s.addAttributes(attr("sampling.priority", "2.5"));
      case 4 -> s.addAttributes(KeyValue.newBuilder().setKey("sampling.priority")
          .setValue(AnyValue.newBuilder().setDoubleValue(0.5)));
      case 5 -> s.addAttributes(attr("sampling.priority", "high"));
      default -> { }
    }
    return s.build();
  }

  /** {@code records} log records in 2 resources of 2 scopes each. */
  static ExportLogsServiceRequest logs(int records, long seed) {
    Random r = new Random(seed);
    ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
    int perScope = (records + 3) / 4;
    int made = 0;
    for (int res = 0; res < 2; res++) {
      ResourceLogs.Builder rl = ResourceLogs.newBuilder().setResource(resource("logs-" + res));
      for (int sc = 0; sc < 2; sc++) {
        ScopeLogs.Builder sl = ScopeLogs.newBuilder().setScope(scope(sc));
        for (int i = 0; i < perScope && made < records; i++, made++) {
          sl.addLogRecords(logRecord(r, made));
        }
        rl.addScopeLogs(sl);
      }
      req.addResourceLogs(rl);
    }
    return req.build();
  }

  private static LogRecord logRecord(Random r, int n) {
    LogRecord.Builder l = LogRecord.newBuilder()
        .setTimeUnixNano(1_700_000_000_000_000_000L + n)
        .setSeverityNumberValue(9)
        .setBody(AnyValue.newBuilder().setStringValue("line " + n))
        .addAttributes(KeyValue.newBuilder().setKey("seq").setValue(AnyValue.newBuilder().setIntValue(n)));
    if (r.nextInt(3) > 0) {
      l.setTraceId(ByteString.copyFrom(bytes(r, 16))).setSpanId(ByteString.copyFrom(bytes(r, 8)));
    }
    switch (r.nextInt(10)) {
      case 0 -> { }
      case 1 -> l.addAttributes(KeyValue.newBuilder().setKey("log.id")
          .setValue(AnyValue.newBuilder().setIntValue(r.nextInt(1_000_000))));
      case 2 -> l.addAttributes(KeyValue.newBuilder().setKey("log.id")
          .setValue(AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(bytes(r, 6)))));
      case 3 -> l.addAttributes(KeyValue.newBuilder().setKey("log.id").setValue(AnyValue.newBuilder()
          .setArrayValue(ArrayValue.newBuilder().addValues(AnyValue.newBuilder().setStringValue("a<b"))
              .addValues(AnyValue.newBuilder().setBoolValue(true)))));
      default -> l.addAttributes(attr("log.id", "req-" + Long.toHexString(r.nextLong())));
    }
    switch (r.nextInt(30)) {
      case 0 -> l.addAttributes(attr("sampling.threshold", "8"));
      case 1 -> l.addAttributes(attr("sampling.randomness", HexFormat.of().formatHex(bytes(r, 7))));
      case 2 -> l.addAttributes(attr("sampling.threshold", "zz"));
      case 3 -> l.addAttributes(KeyValue.newBuilder().setKey("prio").setValue(AnyValue.newBuilder().setIntValue(100)));
      case 4 -> l.addAttributes(KeyValue.newBuilder().setKey("prio")
          .setValue(AnyValue.newBuilder().setDoubleValue(0.5)));
      default -> { }
    }
    return l.build();
  }

  static byte[] spanId(int n) {
    byte[] id = new byte[8];
    id[0] = 0x5f;
    for (int i = 7; i >= 4; i--) {
      id[i] = (byte) n;
      n >>>= 8;
    }
    return id;
  }

  /** The kept spans by span ID (hex), each with its tracestate. */
  static Map<String, String> traceStates(List<ResourceSpans> resources) {
    Map<String, String> out = new LinkedHashMap<>();
    for (ResourceSpans rs : resources) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          out.put(HexFormat.of().formatHex(s.getSpanId().toByteArray()), s.getTraceState());
        }
      }
    }
    return out;
  }

  /** The kept log records by {@code seq}, each with its sampling attributes ({@code th=...;rv=...}). */
  static Map<Long, String> samplingAttributes(List<ResourceLogs> resources) {
    Map<Long, String> out = new LinkedHashMap<>();
    for (ResourceLogs rl : resources) {
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        for (LogRecord l : sl.getLogRecordsList()) {
          Function<String, String> get = key -> l.getAttributesList().stream().filter(kv -> kv.getKey().equals(key))
              .map(kv -> kv.getValue().getStringValue()).findFirst().orElse("-");
          long seq = l.getAttributesList().stream().filter(kv -> kv.getKey().equals("seq"))
              .mapToLong(kv -> kv.getValue().getIntValue()).findFirst().orElseThrow();
          out.put(seq, "th=" + get.apply("sampling.threshold") + ";rv=" + get.apply("sampling.randomness"));
        }
      }
    }
    return out;
  }

  private static Resource resource(String service) {
    return Resource.newBuilder().addAttributes(attr("service.name", service)).build();
  }

  private static InstrumentationScope scope(int n) {
    return InstrumentationScope.newBuilder().setName("scope-" + n).setVersion("1." + n).build();
  }

  private static KeyValue attr(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }

  private static byte[] bytes(Random r, int n) {
    byte[] b = new byte[n];
    r.nextBytes(b);
    return b;
  }
}
