package io.sluice.processor.probabilisticsampler;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import java.util.ArrayList;
import java.util.List;

/**
 * Samples resources held as OTLP objects (a batch some component parsed before): the same
 * decisions as {@link EncodedSampling}, read from the messages' fields. Messages that keep all
 * their items unchanged are passed on as they are; others are rebuilt with the kept items, a kept
 * item rebuilt only when its tracestate or sampling attributes change.
 *
 * <p>One instance samples one batch, on one thread.
 */
final class DecodedSampling {
  private static final String PRIORITY_KEY = "sampling.priority";
  private static final String THRESHOLD_KEY = "sampling.threshold";
  private static final String RANDOMNESS_KEY = "sampling.randomness";

  private final Sampler sampler;
  private final String sourceKey;
  private final String priorityKey;
  private final TraceStateEditor editor = new TraceStateEditor();
  private final Sampler.LogRecordInputs inputs = new Sampler.LogRecordInputs();
  private final Sampler.LogRecordEdit edit = new Sampler.LogRecordEdit();
  private final byte[] traceId = new byte[16];
  private byte[] scratch = new byte[64];
  private int kept;
  private boolean changed;

  DecodedSampling(Sampler sampler, String sourceAttribute, String priorityAttribute) {
    this.sampler = sampler;
    this.sourceKey = sourceAttribute;
    this.priorityKey = priorityAttribute;
  }

  /** Items kept by the last call. */
  int kept() {
    return kept;
  }

  /** The kept spans, or {@code resources} itself when every span is kept unchanged. */
  List<ResourceSpans> sampleSpans(List<ResourceSpans> resources) {
    kept = 0;
    changed = false;
    List<ResourceSpans> out = new ArrayList<>(resources.size());
    for (ResourceSpans rs : resources) {
      List<ScopeSpans> scopes = new ArrayList<>(rs.getScopeSpansCount());
      boolean rsChanged = false;
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        List<Span> spans = null;
        for (int i = 0; i < ss.getSpansCount(); i++) {
          Span span = ss.getSpans(i);
          Span result = sampleSpan(span);
          if (result != span && spans == null) {
            spans = new ArrayList<>(ss.getSpansList().subList(0, i));
          }
          if (result != null && spans != null) {
            spans.add(result);
          }
        }
        if (spans == null) {
          scopes.add(ss);
        } else {
          rsChanged = true;
          if (!spans.isEmpty()) {
            scopes.add(ss.toBuilder().clearSpans().addAllSpans(spans).build());
          }
        }
      }
      if (!rsChanged) {
        out.add(rs);
      } else if (!scopes.isEmpty()) {
        out.add(rs.toBuilder().clearScopeSpans().addAllScopeSpans(scopes).build());
      }
    }
    return changed ? out : resources;
  }

  /** The span as kept (itself when unchanged), or null when dropped. */
  private Span sampleSpan(Span span) {
    ByteString id = span.getTraceId();
    int idLength = id.size();
    if (idLength == 16) {
      id.copyTo(traceId, 0);
    }
    ByteString ts = span.getTraceStateBytes();
    int tsLength = ts.size();
    byte[] tsBytes = bytes(ts);
    int priority = Sampler.PRIORITY_NONE;
    for (KeyValue kv : span.getAttributesList()) {
      if (kv.getKey().equals(PRIORITY_KEY)) {
        priority = AttributeValues.spanPriority(kv.getValue());
        break;
      }
    }
    int verdict = sampler.decideSpan(traceId, 0, idLength, tsBytes, 0, tsLength, priority, editor);
    if (verdict == Sampler.DROP) {
      changed = true;
      return null;
    }
    kept++;
    if (verdict == Sampler.KEEP) {
      return span;
    }
    byte[] written = editor.write();
    if (ts.size() == written.length && java.util.Arrays.equals(tsBytes, 0, tsLength, written, 0, written.length)) {
      return span;
    }
    changed = true;
    return span.toBuilder().setTraceStateBytes(UnsafeByteOperations.unsafeWrap(written)).build();
  }

  /** The kept log records, or {@code resources} itself when every record is kept unchanged. */
  List<ResourceLogs> sampleLogs(List<ResourceLogs> resources) {
    kept = 0;
    changed = false;
    List<ResourceLogs> out = new ArrayList<>(resources.size());
    for (ResourceLogs rl : resources) {
      List<ScopeLogs> scopes = new ArrayList<>(rl.getScopeLogsCount());
      boolean rlChanged = false;
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        List<LogRecord> records = null;
        for (int i = 0; i < sl.getLogRecordsCount(); i++) {
          LogRecord record = sl.getLogRecords(i);
          LogRecord result = sampleLogRecord(record);
          if (result != record && records == null) {
            records = new ArrayList<>(sl.getLogRecordsList().subList(0, i));
          }
          if (result != null && records != null) {
            records.add(result);
          }
        }
        if (records == null) {
          scopes.add(sl);
        } else {
          rlChanged = true;
          if (!records.isEmpty()) {
            scopes.add(sl.toBuilder().clearLogRecords().addAllLogRecords(records).build());
          }
        }
      }
      if (!rlChanged) {
        out.add(rl);
      } else if (!scopes.isEmpty()) {
        out.add(rl.toBuilder().clearScopeLogs().addAllScopeLogs(scopes).build());
      }
    }
    return changed ? out : resources;
  }

  private LogRecord sampleLogRecord(LogRecord record) {
    Sampler.LogRecordInputs in = inputs;
    in.clear();
    ByteString id = record.getTraceId();
    if (id.size() == 16) {
      id.copyTo(traceId, 0);
    }
    in.traceId = traceId;
    in.traceIdOffset = 0;
    in.traceIdLength = id.size();
    AnyValue threshold = null;
    AnyValue randomness = null;
    AnyValue source = null;
    AnyValue priority = null;
    for (KeyValue kv : record.getAttributesList()) {
      String key = kv.getKey();
      if (threshold == null && key.equals(THRESHOLD_KEY)) {
        threshold = kv.getValue();
      }
      if (randomness == null && key.equals(RANDOMNESS_KEY)) {
        randomness = kv.getValue();
      }
      if (source == null && !sourceKey.isEmpty() && key.equals(sourceKey)) {
        source = kv.getValue();
      }
      if (priority == null && !priorityKey.isEmpty() && key.equals(priorityKey)) {
        priority = kv.getValue();
      }
    }
    if (threshold != null && threshold.hasStringValue()) {
      in.threshold = threshold.getStringValueBytes().toByteArray();
      in.thresholdLength = in.threshold.length;
    }
    if (randomness != null && randomness.hasStringValue()) {
      in.randomness = randomness.getStringValueBytes().toByteArray();
      in.randomnessLength = in.randomness.length;
    }
    if (source != null) {
      in.source = AttributeValues.hashBytes(source);
      in.sourceLength = in.source.length;
    }
    if (priority != null) {
      in.priorityPercent = AttributeValues.percentage(priority);
    }
    int verdict = sampler.decideLogRecord(in, edit);
    if (verdict == Sampler.DROP) {
      changed = true;
      return null;
    }
    kept++;
    if (verdict == Sampler.KEEP) {
      return record;
    }
    changed = true;
    LogRecord.Builder b = record.toBuilder();
    if (edit.newRandomness != null) {
      put(b, RANDOMNESS_KEY, edit.newRandomness);
    }
    if (edit.newThreshold != null) {
      put(b, THRESHOLD_KEY, edit.newThreshold);
    } else if (edit.removeThreshold) {
      int i = indexOf(b, THRESHOLD_KEY);
      if (i >= 0) {
        b.removeAttributes(i);
      }
    }
    return b.build();
  }

  /** Sets a string attribute where it is, or adds it after the others. */
  private static void put(LogRecord.Builder b, String key, String value) {
    KeyValue kv = KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
    int i = indexOf(b, key);
    if (i >= 0) {
      b.setAttributes(i, kv);
    } else {
      b.addAttributes(kv);
    }
  }

  private static int indexOf(LogRecord.Builder b, String key) {
    for (int i = 0; i < b.getAttributesCount(); i++) {
      if (b.getAttributes(i).getKey().equals(key)) {
        return i;
      }
    }
    return -1;
  }

  /** The bytes of {@code s} in a scratch array reused from span to span. */
  private byte[] bytes(ByteString s) {
    if (s.size() > scratch.length) {
      scratch = new byte[Math.max(s.size(), scratch.length * 2)];
    }
    s.copyTo(scratch, 0);
    return scratch;
  }
}
