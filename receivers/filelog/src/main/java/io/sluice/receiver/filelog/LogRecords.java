package io.sluice.receiver.filelog;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.resource.v1.Resource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Turns the entries of one poll into OTLP: file attributes, the operators, one resource per distinct resource. */
final class LogRecords {
  static final String FILE_NAME = "log.file.name";
  static final String FILE_PATH = "log.file.path";
  static final String FILE_NAME_RESOLVED = "log.file.name_resolved";
  static final String FILE_PATH_RESOLVED = "log.file.path_resolved";
  static final String FILE_OWNER_NAME = "log.file.owner.name";
  static final String FILE_OWNER_GROUP_NAME = "log.file.owner.group.name";
  static final String FILE_RECORD_NUMBER = "log.file.record_number";

  private final FilelogReceiverConfig config;
  private final LogEntryPipeline pipeline;
  private final Map<String, Object> configResource;

  LogRecords(FilelogReceiverConfig config, LogEntryPipeline pipeline) {
    this.config = config;
    this.pipeline = pipeline;
    this.configResource = Map.copyOf(config.resource());
  }

  Builder builder(long observedNanos) {
    return new Builder(observedNanos);
  }

  /** Collects one batch; not thread-safe. */
  final class Builder {
    private final long observedNanos;
    private final Map<Map<String, Object>, List<LogRecord>> byResource = new LinkedHashMap<>();
    private final Map<FileState, Map<String, Object>> fileAttributes = new HashMap<>();
    private final Map<FileState, List<KeyValue>> fileKeyValues = new HashMap<>();
    private int entries;
    private long bytes;

    private Builder(long observedNanos) {
      this.observedNanos = observedNanos;
    }

    boolean full() {
      return entries >= Tailer.MAX_BATCH_ENTRIES || bytes >= Tailer.MAX_BATCH_BYTES;
    }

    int entries() {
      return entries;
    }

    /** Adds one entry; answers whether the batch has room for more. */
    boolean add(FileState file, Object body) {
      bytes += body instanceof String s ? s.length() : ((byte[]) body).length;
      long recordNumber = ++file.recordNumber;
      if (pipeline == LogEntryPipeline.PASS_THROUGH) {
        // Without operators every record of a file has the same attributes: encode them once a batch.
        entries++;
        LogRecord.Builder r = LogRecord.newBuilder()
            .setObservedTimeUnixNano(observedNanos)
            .setBody(anyValue(body))
            .addAllAttributes(fileKeyValues.computeIfAbsent(file, this::keyValues));
        if (config.includeFileRecordNumber()) {
          r.addAttributes(KeyValue.newBuilder().setKey(FILE_RECORD_NUMBER).setValue(anyValue(recordNumber)));
        }
        byResource.computeIfAbsent(configResource, k -> new ArrayList<>()).add(r.build());
        return !full();
      }
      Map<String, Object> attributes = new LinkedHashMap<>(config.attributes());
      attributes.putAll(fileAttributes.computeIfAbsent(file, this::fileAttributes));
      if (config.includeFileRecordNumber()) {
        attributes.put(FILE_RECORD_NUMBER, recordNumber);
      }
      Map<String, Object> resource = new LinkedHashMap<>(config.resource());
      pipeline.process(LogEntry.read(body, attributes, resource, observedNanos), this::append);
      return !full();
    }

    /** Adds what the operators held back and now let go. */
    void flushOperators() {
      if (pipeline != LogEntryPipeline.PASS_THROUGH) {
        pipeline.flushExpired(this::append);
      }
    }

    private List<KeyValue> keyValues(FileState file) {
      Map<String, Object> attributes = new LinkedHashMap<>(config.attributes());
      attributes.putAll(fileAttributes.computeIfAbsent(file, this::fileAttributes));
      List<KeyValue> out = new ArrayList<>(attributes.size());
      attributes.forEach((k, v) -> out.add(KeyValue.newBuilder().setKey(k).setValue(anyValue(v)).build()));
      return out;
    }

    private Map<String, Object> fileAttributes(FileState file) {
      Map<String, Object> m = new LinkedHashMap<>();
      if (file.header != null) {
        m.putAll(file.header);
      }
      if (config.includeFileName()) {
        m.put(FILE_NAME, file.path.getFileName().toString());
      }
      if (config.includeFilePath()) {
        m.put(FILE_PATH, file.path.toString());
      }
      if (config.includeFileNameResolved() || config.includeFilePathResolved()) {
        try {
          java.nio.file.Path real = file.path.toRealPath();
          if (config.includeFileNameResolved()) {
            m.put(FILE_NAME_RESOLVED, real.getFileName().toString());
          }
          if (config.includeFilePathResolved()) {
            m.put(FILE_PATH_RESOLVED, real.toString());
          }
        } catch (IOException e) {
          // Gone since it was matched: the resolved names are left out.
        }
      }
      if (config.includeFileOwnerName() || config.includeFileOwnerGroupName()) {
        try {
          java.nio.file.attribute.PosixFileAttributes posix = java.nio.file.Files.readAttributes(file.path,
              java.nio.file.attribute.PosixFileAttributes.class);
          if (config.includeFileOwnerName()) {
            m.put(FILE_OWNER_NAME, posix.owner().getName());
          }
          if (config.includeFileOwnerGroupName()) {
            m.put(FILE_OWNER_GROUP_NAME, posix.group().getName());
          }
        } catch (IOException | UnsupportedOperationException e) {
          // Gone, or a file system without owners: the owner attributes are left out.
        }
      }
      return m;
    }

    private void append(LogEntry e) {
      entries++;
      LogRecord.Builder r = LogRecord.newBuilder()
          .setObservedTimeUnixNano(e.observedTimestampNanos())
          .setTimeUnixNano(e.timestampNanos())
          .setBody(anyValue(e.body()))
          .setSeverityNumberValue(e.severityNumber())
          .setSeverityText(e.severityText())
          .setFlags(e.traceFlags());
      e.attributes().forEach((k, v) -> r.addAttributes(KeyValue.newBuilder().setKey(k).setValue(anyValue(v))));
      if (e.traceId() != null) {
        r.setTraceId(ByteString.copyFrom(e.traceId()));
      }
      if (e.spanId() != null) {
        r.setSpanId(ByteString.copyFrom(e.spanId()));
      }
      byResource.computeIfAbsent(e.resource(), k -> new ArrayList<>()).add(r.build());
    }

    List<ResourceLogs> resources() {
      List<ResourceLogs> out = new ArrayList<>(byResource.size());
      byResource.forEach((resource, logs) -> {
        Resource.Builder rb = Resource.newBuilder();
        resource.forEach((k, v) -> rb.addAttributes(KeyValue.newBuilder().setKey(k).setValue(anyValue(v))));
        out.add(ResourceLogs.newBuilder().setResource(rb)
            .addScopeLogs(ScopeLogs.newBuilder().addAllLogRecords(logs)).build());
      });
      return out;
    }
  }

  static AnyValue anyValue(Object v) {
    AnyValue.Builder b = AnyValue.newBuilder();
    if (v == null) {
      return b.build();
    } else if (v instanceof String s) {
      b.setStringValue(s);
    } else if (v instanceof Boolean bool) {
      b.setBoolValue(bool);
    } else if (v instanceof Double || v instanceof Float) {
      b.setDoubleValue(((Number) v).doubleValue());
    } else if (v instanceof Number n) {
      b.setIntValue(n.longValue());
    } else if (v instanceof byte[] bytes) {
      b.setBytesValue(ByteString.copyFrom(bytes));
    } else if (v instanceof Map<?, ?> m) {
      KeyValueList.Builder kv = KeyValueList.newBuilder();
      m.forEach((k, x) -> kv.addValues(KeyValue.newBuilder().setKey(String.valueOf(k)).setValue(anyValue(x))));
      b.setKvlistValue(kv);
    } else if (v instanceof List<?> l) {
      ArrayValue.Builder a = ArrayValue.newBuilder();
      l.forEach(x -> a.addValues(anyValue(x)));
      b.setArrayValue(a);
    } else {
      b.setStringValue(String.valueOf(v));
    }
    return b.build();
  }
}
