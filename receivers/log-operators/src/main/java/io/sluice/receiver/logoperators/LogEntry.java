package io.sluice.receiver.logoperators;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One log record while operators work on it, in the shape of the Collector's stanza entry: a
 * body (a string as read, or a map once parsed to it), attributes, resource, timestamps in epoch
 * nanoseconds, severity, trace context and scope name. Mutable and not thread-safe: an entry
 * belongs to the pipeline run that is processing it.
 *
 * <p>Values in the body, attributes and resource maps are {@code String}, {@code Long},
 * {@code Double}, {@code Boolean}, {@code byte[]}, {@code List<Object>}, {@code Map<String,
 * Object>} or null.
 */
public final class LogEntry {
  private Object body;
  private Map<String, Object> attributes;
  private Map<String, Object> resource;
  private long timestamp;
  private long observedTimestamp;
  private int severityNumber;
  private String severityText;
  private byte[] traceId;
  private byte[] spanId;
  private int traceFlags;
  private String scopeName;

  public LogEntry() {}

  public LogEntry(Object body) {
    this.body = body;
  }

  /** The body: a string as read, a map once a parser wrote to it, or null. */
  public Object body() {
    return body;
  }

  public LogEntry body(Object value) {
    this.body = value;
    return this;
  }

  /** The attributes, created empty on first use; changes write through. */
  public Map<String, Object> attributes() {
    if (attributes == null) {
      attributes = new LinkedHashMap<>();
    }
    return attributes;
  }

  /** True when an attribute map exists and has entries (no map is created to find out). */
  public boolean hasAttributes() {
    return attributes != null && !attributes.isEmpty();
  }

  /** Replaces the attribute map (the map is used as given, not copied). */
  public LogEntry attributes(Map<String, Object> map) {
    this.attributes = map;
    return this;
  }

  /** The resource attributes, created empty on first use; changes write through. */
  public Map<String, Object> resource() {
    if (resource == null) {
      resource = new LinkedHashMap<>();
    }
    return resource;
  }

  public boolean hasResource() {
    return resource != null && !resource.isEmpty();
  }

  /** Replaces the resource map (the map is used as given, not copied). */
  public LogEntry resource(Map<String, Object> map) {
    this.resource = map;
    return this;
  }

  /** When the event happened, in nanoseconds since the epoch; 0 when not known. */
  public long timestamp() {
    return timestamp;
  }

  public LogEntry timestamp(long epochNanos) {
    this.timestamp = epochNanos;
    return this;
  }

  /** When the event was read, in nanoseconds since the epoch; 0 when not set. */
  public long observedTimestamp() {
    return observedTimestamp;
  }

  public LogEntry observedTimestamp(long epochNanos) {
    this.observedTimestamp = epochNanos;
    return this;
  }

  /** The OTLP severity number, 1 (TRACE) to 24 (FATAL4); 0 when unspecified. */
  public int severityNumber() {
    return severityNumber;
  }

  public LogEntry severityNumber(int value) {
    this.severityNumber = value;
    return this;
  }

  /** The severity as written in the log, or null. */
  public String severityText() {
    return severityText;
  }

  public LogEntry severityText(String value) {
    this.severityText = value;
    return this;
  }

  /** The 16-byte trace id, or null. */
  public byte[] traceId() {
    return traceId;
  }

  public LogEntry traceId(byte[] value) {
    this.traceId = value;
    return this;
  }

  /** The 8-byte span id, or null. */
  public byte[] spanId() {
    return spanId;
  }

  public LogEntry spanId(byte[] value) {
    this.spanId = value;
    return this;
  }

  /** The W3C trace flags (the low 8 bits); 0 when not set. */
  public int traceFlags() {
    return traceFlags;
  }

  public LogEntry traceFlags(int value) {
    this.traceFlags = value;
    return this;
  }

  /** The instrumentation scope name, or null. */
  public String scopeName() {
    return scopeName;
  }

  public LogEntry scopeName(String value) {
    this.scopeName = value;
    return this;
  }

  /**
   * The value at a field path as the Collector writes it ({@code body.key}, {@code
   * attributes["dotted.key"]}, {@code resource.key}), or null when it is not there.
   *
   * @throws IllegalArgumentException when the path is not a field path
   */
  public Object get(String fieldPath) {
    return Field.parse(fieldPath).get(this);
  }

  /** A deep copy: maps and lists are copied, so changing one entry leaves the other alone. */
  public LogEntry copy() {
    LogEntry c = new LogEntry(deepCopy(body));
    if (attributes != null) {
      c.attributes = copyMap(attributes);
    }
    if (resource != null) {
      c.resource = copyMap(resource);
    }
    c.timestamp = timestamp;
    c.observedTimestamp = observedTimestamp;
    c.severityNumber = severityNumber;
    c.severityText = severityText;
    c.traceId = traceId;
    c.spanId = spanId;
    c.traceFlags = traceFlags;
    c.scopeName = scopeName;
    return c;
  }

  /** A copy of a value in which maps and lists are new; strings, numbers and the like are shared. */
  static Object deepCopy(Object value) {
    if (value instanceof Map<?, ?> m) {
      return copyMap(m);
    } else if (value instanceof List<?> l) {
      List<Object> out = new ArrayList<>(l.size());
      for (Object o : l) {
        out.add(deepCopy(o));
      }
      return out;
    }
    return value;
  }

  static Map<String, Object> copyMap(Map<?, ?> m) {
    Map<String, Object> out = new LinkedHashMap<>(Math.max(4, m.size() * 2));
    for (Map.Entry<?, ?> e : m.entrySet()) {
      out.put(String.valueOf(e.getKey()), deepCopy(e.getValue()));
    }
    return out;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("LogEntry{body=").append(body);
    if (hasAttributes()) {
      sb.append(", attributes=").append(attributes);
    }
    if (hasResource()) {
      sb.append(", resource=").append(resource);
    }
    if (timestamp != 0) {
      sb.append(", timestamp=").append(timestamp);
    }
    if (severityNumber != 0 || severityText != null) {
      sb.append(", severity=").append(severityNumber).append('/').append(severityText);
    }
    return sb.append('}').toString();
  }
}
