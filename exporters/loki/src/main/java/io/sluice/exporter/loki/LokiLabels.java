package io.sluice.exporter.loki;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.otlp.AnyValues;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Decides, for one resource and then for each of its records, what Loki gets: the stream's labels
 * (a sorted map, rendered as a selector), the tenant, the line and the structured metadata. See
 * {@link LokiExporterConfig} for the rules. Not thread-safe: one per exporter context.
 */
final class LokiLabels {
  static final String HINT_RESOURCE_LABELS = "loki.resource.labels";
  static final String HINT_ATTRIBUTE_LABELS = "loki.attribute.labels";
  static final String HINT_FORMAT = "loki.format";
  static final String HINT_TENANT = "loki.tenant";
  static final String OVERFLOW_LABEL = "sluice_overflow";

  /** One name and value of structured metadata. */
  record Pair(String name, String value) {
  }

  /** What one record becomes: its stream's labels, its tenant, its line and metadata, its time. */
  record Entry(Stream stream, String tenant, long timeNanos, String line, List<Pair> metadata) {
  }

  /** A stream's labels, sorted, and the selector they make. */
  record Stream(TreeMap<String, String> labels, String selector) {
    Stream(TreeMap<String, String> labels) {
      this(labels, LokiLabels.selector(labels));
    }
  }

  /** Names made valid, remembered: the same attribute names come again and again. */
  private final Map<String, String> sanitized = new HashMap<>();

  private final LokiExporterConfig config;

  LokiLabels(LokiExporterConfig config) {
    this.config = config;
  }

  /** What a resource contributes to every record under it; computed once per resource. */
  final class ResourceView {
    final Resource resource;
    final String tenant;
    /** Labels from the resource: defaults (job, instance, exporter) and listed attributes. */
    final TreeMap<String, String> labels = new TreeMap<>();
    /** Resource attribute names made labels, so not metadata. */
    final Set<String> labelled = new HashSet<>();
    /** Record attribute name → label name, from the config and the resource's hints. */
    final Map<String, String> attributeLabels;
    final String format;
    /** Resource attributes that are not labels, as structured metadata (raw format). */
    private final List<Pair> resourceMetadata = new ArrayList<>();
    /** The stream of a record that adds no attribute label, by its level. */
    private final Map<String, Stream> byLevel = new HashMap<>(4);

    ResourceView(Resource resource) {
      this.resource = resource;
      Map<String, AnyValue> attrs = new HashMap<>();
      for (KeyValue kv : resource.getAttributesList()) {
        attrs.put(kv.getKey(), kv.getValue());
      }
      LokiExporterConfig.DefaultLabelsEnabled d = config.defaultLabelsEnabled();
      if (d.exporter()) {
        labels.put("exporter", "OTLP");
      }
      if (d.job()) {
        String name = text(attrs.get("service.name"));
        String ns = text(attrs.get("service.namespace"));
        if (!name.isEmpty()) {
          labels.put("job", ns.isEmpty() ? name : ns + "/" + name);
        }
      }
      if (d.instance()) {
        String inst = text(attrs.get("service.instance.id"));
        if (!inst.isEmpty()) {
          labels.put("instance", inst);
        }
      }
      Map<String, String> resourceLabels = new HashMap<>(config.labels().resource());
      for (String a : hintList(attrs.get(HINT_RESOURCE_LABELS))) {
        resourceLabels.putIfAbsent(a, "");
      }
      for (Map.Entry<String, String> e : resourceLabels.entrySet()) {
        AnyValue v = attrs.get(e.getKey());
        if (v != null) {
          labels.put(labelName(e.getKey(), e.getValue()), text(v));
          labelled.add(e.getKey());
        }
      }
      Map<String, String> al = new HashMap<>(config.labels().attributes());
      for (String a : hintList(attrs.get(HINT_ATTRIBUTE_LABELS))) {
        al.putIfAbsent(a, "");
      }
      attributeLabels = al;
      String f = text(attrs.get(HINT_FORMAT));
      format = LokiExporterConfig.FORMATS.contains(f) ? f : config.format();
      String tenantAttr = text(attrs.get(HINT_TENANT));
      String t = tenantAttr.isEmpty() ? "" : text(attrs.get(tenantAttr));
      tenant = t.isEmpty() ? config.tenant() : t;
      for (KeyValue kv : resource.getAttributesList()) {
        if (!labelled.contains(kv.getKey()) && !isHint(kv.getKey())) {
          resourceMetadata.add(new Pair(sanitizeCached(kv.getKey()), text(kv.getValue())));
        }
      }
    }

    /** The record as Loki gets it; {@code nowNanos} stands in for a record with no time at all. */
    Entry entry(String scopeName, LogRecord r, long nowNanos) {
      Map<String, String> recordLabels = attributeLabels;
      String format = this.format;
      for (KeyValue kv : r.getAttributesList()) {
        String k = kv.getKey();
        if (k.equals(HINT_ATTRIBUTE_LABELS)) {
          if (recordLabels == attributeLabels) {
            recordLabels = new HashMap<>(attributeLabels);
          }
          for (String a : hintList(kv.getValue())) {
            recordLabels.putIfAbsent(a, "");
          }
        } else if (k.equals(HINT_FORMAT)) {
          String f = text(kv.getValue());
          if (LokiExporterConfig.FORMATS.contains(f)) {
            format = f;
          }
        }
      }
      Set<String> labelledAttrs = Set.of();
      TreeMap<String, String> l = null;
      if (!recordLabels.isEmpty()) {
        for (KeyValue kv : r.getAttributesList()) {
          String label = recordLabels.get(kv.getKey());
          if (label != null) {
            if (l == null) {
              l = new TreeMap<>(labels);
              labelledAttrs = new HashSet<>();
            }
            l.put(labelName(kv.getKey(), label), text(kv.getValue()));
            labelledAttrs.add(kv.getKey());
          }
        }
      }
      String level = config.defaultLabelsEnabled().level() ? level(r) : "";
      Stream stream;
      if (l == null) {
        stream = byLevel.get(level);
        if (stream == null) {
          stream = new Stream(withLevel(new TreeMap<>(labels), level));
          byLevel.put(level, stream);
        }
      } else {
        stream = new Stream(withLevel(l, level));
      }
      long t = r.getTimeUnixNano() != 0 ? r.getTimeUnixNano()
          : r.getObservedTimeUnixNano() != 0 ? r.getObservedTimeUnixNano() : nowNanos;
      List<Pair> md = new ArrayList<>();
      String line;
      if (format.equals("raw")) {
        line = text(r.getBody());
        addIds(md, r);
        if (!r.getSeverityText().isEmpty()) {
          md.add(new Pair("severity_text", r.getSeverityText()));
        }
        if (!scopeName.isEmpty()) {
          md.add(new Pair("scope_name", scopeName));
        }
        for (KeyValue kv : r.getAttributesList()) {
          if (!labelledAttrs.contains(kv.getKey()) && !isHint(kv.getKey())) {
            md.add(new Pair(sanitizeCached(kv.getKey()), text(kv.getValue())));
          }
        }
        md.addAll(resourceMetadata);
      } else {
        line = LineFormats.line(format, r, resource, labelledAttrs, labelled);
        addIds(md, r);
      }
      return new Entry(stream, tenant, t, line, md);
    }
  }

  /** {@code labels} with {@code level} unless it is empty or set already; never empty (Loki refuses that). */
  private static TreeMap<String, String> withLevel(TreeMap<String, String> labels, String level) {
    if (!level.isEmpty()) {
      labels.putIfAbsent("level", level);
    }
    if (labels.isEmpty()) {
      labels.put("exporter", "OTLP");
    }
    return labels;
  }

  private String sanitizeCached(String name) {
    String s = sanitized.get(name);
    if (s == null) {
      if (sanitized.size() >= 10_000) {
        sanitized.clear(); // attribute names without end: remember only the latest
      }
      s = sanitize(name);
      sanitized.put(name, s);
    }
    return s;
  }

  private static void addIds(List<Pair> md, LogRecord r) {
    if (!r.getTraceId().isEmpty()) {
      md.add(new Pair("trace_id", LineFormats.hex(r.getTraceId().toByteArray())));
    }
    if (!r.getSpanId().isEmpty()) {
      md.add(new Pair("span_id", LineFormats.hex(r.getSpanId().toByteArray())));
    }
  }

  static boolean isHint(String key) {
    return key.equals(HINT_RESOURCE_LABELS) || key.equals(HINT_ATTRIBUTE_LABELS) || key.equals(HINT_FORMAT)
        || key.equals(HINT_TENANT);
  }

  /** {@code level}: the severity text in lower case, else the name of the severity number's range. */
  static String level(LogRecord r) {
    if (!r.getSeverityText().isEmpty()) {
      return r.getSeverityText().toLowerCase(Locale.ROOT);
    }
    int n = r.getSeverityNumberValue();
    if (n <= 0) {
      return "";
    }
    String[] names = {"trace", "debug", "info", "warn", "error", "fatal"};
    return names[Math.min(5, (n - 1) / 4)];
  }

  /** A hint's value: attribute names separated by commas. */
  private static List<String> hintList(AnyValue v) {
    if (v == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : text(v).split(",")) {
      String t = s.trim();
      if (!t.isEmpty()) {
        out.add(t);
      }
    }
    return out;
  }

  private static String labelName(String attribute, String configured) {
    return configured.isEmpty() ? sanitize(attribute) : configured;
  }

  /** An attribute value as text, in the one form Sluice writes values ({@link AnyValues}); "" for none. */
  static String text(AnyValue v) {
    return v == null ? "" : AnyValues.asString(v);
  }

  static boolean isValidName(String name) {
    if (name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /** A valid Loki label name: every other character becomes '_', a leading digit gets a '_' before it. */
  static String sanitize(String name) {
    if (isValidName(name)) {
      return name;
    }
    if (name.isEmpty()) {
      return "_";
    }
    StringBuilder sb = new StringBuilder(name.length() + 1);
    if (name.charAt(0) >= '0' && name.charAt(0) <= '9') {
      sb.append('_');
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
      sb.append(ok ? c : '_');
    }
    return sb.toString();
  }

  /** Labels as Loki's selector: {@code {a="x", b="y"}}, names sorted, values quoted. */
  static String selector(Map<String, String> labels) {
    StringBuilder sb = new StringBuilder(16 * labels.size() + 2).append('{');
    boolean first = true;
    for (Map.Entry<String, String> e : labels.entrySet()) {
      if (!first) {
        sb.append(", ");
      }
      first = false;
      sb.append(e.getKey()).append("=\"");
      String v = e.getValue();
      for (int i = 0; i < v.length(); i++) {
        char c = v.charAt(i);
        switch (c) {
          case '\\' -> sb.append("\\\\");
          case '"' -> sb.append("\\\"");
          case '\n' -> sb.append("\\n");
          default -> sb.append(c);
        }
      }
      sb.append('"');
    }
    return sb.append('}').toString();
  }
}
