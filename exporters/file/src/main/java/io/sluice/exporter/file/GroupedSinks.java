package io.sluice.exporter.file;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Batch;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files of {@code group_by}: one {@link FileSink} per value of the resource attribute, the
 * value taking the place of the {@code *} in {@code path}. At most {@code max_open_files} stay
 * open; the least recently written is closed past that and continued when written again. Like
 * {@link FileSink}, every method blocks and runs on the exporter's worker, one at a time.
 */
final class GroupedSinks {
  private static final Logger LOG = LoggerFactory.getLogger(GroupedSinks.class);

  private final String id;
  private final FileExporterConfig config;
  private final Clock clock;
  private final String attribute;
  private final String prefix;
  private final String suffix;
  private final int maxOpen;
  /** Open sinks by attribute value, least recently written first. */
  private final LinkedHashMap<String, FileSink> open = new LinkedHashMap<>(16, 0.75f, true);

  GroupedSinks(String id, FileExporterConfig config, Clock clock) {
    this.id = id;
    this.config = config;
    this.clock = clock;
    this.attribute = config.groupBy().resourceAttribute();
    this.maxOpen = config.groupBy().maxOpenFiles();
    String path = config.path();
    int star = path.indexOf('*');
    String rawPrefix = path.substring(0, star);
    String absolute = Path.of(rawPrefix.isEmpty() ? "." : rawPrefix).toAbsolutePath().normalize().toString();
    this.prefix = rawPrefix.endsWith("/") && !absolute.endsWith("/") ? absolute + "/" : absolute;
    this.suffix = path.substring(star + 1);
  }

  /** The path pattern, for logs. */
  String describe() {
    return prefix + "*" + suffix;
  }

  /**
   * Writes each resource of {@code batch} to the file its attribute names, one record per file.
   *
   * @return how many resources had no string value for the attribute and were not written
   */
  int write(Batch batch) throws IOException {
    Map<String, List<Object>> groups = new LinkedHashMap<>();
    int skipped = 0;
    for (Object r : batch.resources()) {
      String value = attributeOf(resourceOf(r));
      if (value == null) {
        skipped++;
      } else {
        groups.computeIfAbsent(value, k -> new ArrayList<>()).add(r);
      }
    }
    for (Map.Entry<String, List<Object>> g : groups.entrySet()) {
      sink(g.getKey()).write(Batch.of(batch.signal(), g.getValue(), batch.envelope()));
    }
    return skipped;
  }

  private FileSink sink(String value) throws IOException {
    FileSink sink = open.get(value);
    if (sink != null) {
      return sink;
    }
    sink = new FileSink(id, config, file(value), clock);
    sink.open();
    open.put(value, sink);
    if (open.size() > maxOpen) {
      Iterator<FileSink> eldest = open.values().iterator();
      FileSink closing = eldest.next();
      eldest.remove();
      try {
        closing.close();
      } catch (IOException e) {
        LOG.warn("Exporter '{}' could not close '{}': {}", id, closing.path(), e.toString());
      }
    }
    return sink;
  }

  /** The file for an attribute value, kept under the pattern's prefix whatever the value holds. */
  Path file(String value) {
    Path candidate = Path.of(prefix + value + suffix).normalize();
    if (candidate.toString().startsWith(prefix)) {
      return candidate;
    }
    String inside = Path.of("/", value + suffix).normalize().toString().substring(1);
    return Path.of(prefix).resolve(inside).normalize();
  }

  void sync() throws IOException {
    for (FileSink sink : open.values()) {
      sink.sync();
    }
  }

  void close() throws IOException {
    IOException first = null;
    for (FileSink sink : open.values()) {
      try {
        sink.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    open.clear();
    if (first != null) {
      throw first;
    }
  }

  private String attributeOf(Resource resource) {
    for (KeyValue kv : resource.getAttributesList()) {
      if (kv.getKey().equals(attribute)) {
        AnyValue v = kv.getValue();
        return v.getValueCase() == AnyValue.ValueCase.STRING_VALUE ? v.getStringValue() : null;
      }
    }
    return null;
  }

  private static Resource resourceOf(Object r) {
    if (r instanceof ResourceSpans s) {
      return s.getResource();
    } else if (r instanceof ResourceMetrics m) {
      return m.getResource();
    }
    return ((ResourceLogs) r).getResource();
  }
}
