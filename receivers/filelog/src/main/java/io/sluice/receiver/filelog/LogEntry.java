package io.sluice.receiver.filelog;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One log entry between a reader and the OTLP record made of it, as {@link LogEntryPipeline}s see
 * it. Values in {@code body}, {@code attributes} and {@code resource} are strings, numbers
 * ({@code Long}, {@code Double}), booleans, {@code byte[]}, lists and maps of those.
 *
 * @param body the entry: the line read (a string, or bytes with {@code encoding: nop}), or what
 *     operators made of it
 * @param attributes the record's attributes ({@code log.file.name}, the configured ones)
 * @param resource the resource's attributes
 * @param timestampNanos when the event happened, nanoseconds since the epoch; 0 when unknown
 * @param observedTimestampNanos when the entry was read
 * @param severityNumber OTLP's severity number, 0 when unset
 * @param severityText the severity as written, empty when unset
 * @param traceId 16 bytes, or null
 * @param spanId 8 bytes, or null
 * @param traceFlags W3C trace flags
 */
public record LogEntry(
    Object body,
    Map<String, Object> attributes,
    Map<String, Object> resource,
    long timestampNanos,
    long observedTimestampNanos,
    int severityNumber,
    String severityText,
    byte[] traceId,
    byte[] spanId,
    int traceFlags) {

  public LogEntry {
    attributes = attributes == null ? new LinkedHashMap<>() : attributes;
    resource = resource == null ? new LinkedHashMap<>() : resource;
    severityText = severityText == null ? "" : severityText;
  }

  /** An entry as a reader makes it: no timestamp, severity or trace context yet. */
  public static LogEntry read(Object body, Map<String, Object> attributes, Map<String, Object> resource,
      long observedTimestampNanos) {
    return new LogEntry(body, attributes, resource, 0, observedTimestampNanos, 0, "", null, null, 0);
  }
}
