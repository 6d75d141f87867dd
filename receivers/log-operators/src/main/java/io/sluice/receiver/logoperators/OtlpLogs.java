package io.sluice.receiver.logoperators;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.resource.v1.Resource;
import java.util.List;
import java.util.Map;

/**
 * Turns a processed {@link LogEntry} into OTLP, the gateway's currency: the record with body,
 * attributes, timestamps, severity and trace context, and the resource from the entry's resource
 * map. Strings, booleans, whole numbers (int), other numbers (double), bytes, lists and maps map
 * to the matching {@code AnyValue}; null to an empty one.
 */
public final class OtlpLogs {
  private OtlpLogs() {}

  /** The log record of an entry (the resource and scope go in the enclosing messages). */
  public static LogRecord toLogRecord(LogEntry e) {
    LogRecord.Builder b = LogRecord.newBuilder()
        .setTimeUnixNano(e.timestamp())
        .setObservedTimeUnixNano(e.observedTimestamp())
        .setSeverityNumberValue(e.severityNumber());
    if (e.severityText() != null) {
      b.setSeverityText(e.severityText());
    }
    if (e.body() != null) {
      b.setBody(anyValue(e.body()));
    }
    if (e.hasAttributes()) {
      for (Map.Entry<String, Object> a : e.attributes().entrySet()) {
        b.addAttributes(keyValue(a.getKey(), a.getValue()));
      }
    }
    if (e.traceId() != null) {
      b.setTraceId(ByteString.copyFrom(e.traceId()));
    }
    if (e.spanId() != null) {
      b.setSpanId(ByteString.copyFrom(e.spanId()));
    }
    if (e.traceFlags() != 0) {
      b.setFlags(e.traceFlags() & 0xff);
    }
    return b.build();
  }

  /** The resource of an entry (empty when it has none). */
  public static Resource toResource(LogEntry e) {
    Resource.Builder r = Resource.newBuilder();
    if (e.hasResource()) {
      for (Map.Entry<String, Object> a : e.resource().entrySet()) {
        r.addAttributes(keyValue(a.getKey(), a.getValue()));
      }
    }
    return r.build();
  }

  public static KeyValue keyValue(String key, Object value) {
    return KeyValue.newBuilder().setKey(key).setValue(anyValue(value)).build();
  }

  public static AnyValue anyValue(Object v) {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v instanceof String s) {
      b.setStringValue(s);
    } else if (v instanceof Boolean x) {
      b.setBoolValue(x);
    } else if (v instanceof Long || v instanceof Integer || v instanceof Short || v instanceof Byte) {
      b.setIntValue(((Number) v).longValue());
    } else if (v instanceof Number n) {
      b.setDoubleValue(n.doubleValue());
    } else if (v instanceof byte[] bytes) {
      b.setBytesValue(ByteString.copyFrom(bytes));
    } else if (v instanceof List<?> l) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      for (Object o : l) {
        a.addValues(anyValue(o));
      }
      b.setArrayValue(a);
    } else if (v instanceof Map<?, ?> m) {
      KeyValueList.Builder kv = KeyValueList.newBuilder();
      for (Map.Entry<?, ?> x : m.entrySet()) {
        kv.addValues(keyValue(String.valueOf(x.getKey()), x.getValue()));
      }
      b.setKvlistValue(kv);
    } else if (v != null) {
      b.setStringValue(v.toString());
    }
    return b.build();
  }
}
