package io.sluice.processor.attributes;

import com.google.re2j.Pattern;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Signal;
import io.sluice.core.otlp.AnyValues;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One compiled {@code include} or {@code exclude} section for one signal: the properties that
 * apply to the signal, checked level by level (resource, scope, then the item). A property that
 * is not given always matches.
 */
final class ItemFilter {
  private final NameMatcher services;
  private final NameMatcher spanNames;
  private final NameMatcher spanKinds;
  private final NameMatcher logBodies;
  private final NameMatcher severityTexts;
  private final NameMatcher metricNames;
  private final int minSeverity;
  private final boolean matchUndefinedSeverity;
  private final List<AttributeMatcher> attributes;
  private final List<AttributeMatcher> resources;
  private final List<LibraryMatcher> libraries;
  private final List<String> ignored;

  private ItemFilter(MatchProperties p, Signal signal) {
    boolean re = p.isRegexp();
    List<String> ignoredProps = new ArrayList<>();
    boolean traces = signal == Signal.TRACES;
    boolean logs = signal == Signal.LOGS;
    boolean metrics = signal == Signal.METRICS;
    services = names(p.services(), re, traces, "services", ignoredProps, false);
    spanNames = names(p.spanNames(), re, traces, "span_names", ignoredProps, false);
    spanKinds = names(p.spanKinds(), re, traces, "span_kinds", ignoredProps, true);
    logBodies = names(p.logBodies(), re, logs, "log_bodies", ignoredProps, false);
    severityTexts = names(p.logSeverityTexts(), re, logs, "log_severity_texts", ignoredProps, false);
    if (p.logSeverityNumber() != null && !logs) {
      ignoredProps.add("log_severity_number");
    }
    boolean severity = p.logSeverityNumber() != null && logs;
    minSeverity = severity ? p.logSeverityNumber().minNumber() : 0;
    matchUndefinedSeverity = !severity || Boolean.TRUE.equals(p.logSeverityNumber().matchUndefined());
    metricNames = names(p.metricNames(), re, metrics, "metric_names", ignoredProps, false);
    attributes = p.attributes().stream().map(a -> new AttributeMatcher(a, re)).toList();
    resources = p.resources().stream().map(a -> new AttributeMatcher(a, re)).toList();
    libraries = p.libraries().stream().map(l -> new LibraryMatcher(l, re)).toList();
    ignored = List.copyOf(ignoredProps);
  }

  /** Compiles a validated section for one signal. */
  static ItemFilter compile(MatchProperties p, Signal signal) {
    return new ItemFilter(p, signal);
  }

  /** The properties given that do not apply to the signal and are ignored. */
  List<String> ignored() {
    return ignored;
  }

  boolean matchesResource(Resource r) {
    if (services != null) {
      AnyValue name = find(r.getAttributesList(), "service.name");
      if (!services.matches(name == null ? "" : AnyValues.asString(name))) {
        return false;
      }
    }
    return allMatch(resources, r.getAttributesList());
  }

  boolean matchesScope(InstrumentationScope s) {
    if (libraries.isEmpty()) {
      return true;
    }
    for (LibraryMatcher l : libraries) {
      if (l.matches(s)) {
        return true;
      }
    }
    return false;
  }

  boolean matchesSpan(Span s) {
    return (spanNames == null || spanNames.matches(s.getName()))
        && (spanKinds == null || spanKinds.matches(kindName(s.getKind())))
        && allMatch(attributes, s.getAttributesList());
  }

  boolean matchesLog(LogRecord r) {
    return (logBodies == null || logBodies.matches(AnyValues.asString(r.getBody())))
        && (severityTexts == null || severityTexts.matches(r.getSeverityText()))
        && (r.getSeverityNumberValue() == 0 ? matchUndefinedSeverity : r.getSeverityNumberValue() >= minSeverity)
        && allMatch(attributes, r.getAttributesList());
  }

  boolean matchesMetric(Metric m) {
    return metricNames == null || metricNames.matches(m.getName());
  }

  boolean matchesPointAttributes(List<KeyValue> attrs) {
    return allMatch(attributes, attrs);
  }

  private static String kindName(Span.SpanKind kind) {
    return kind == Span.SpanKind.UNRECOGNIZED ? "UNRECOGNIZED" : kind.name();
  }

  private static boolean allMatch(List<AttributeMatcher> matchers, List<KeyValue> attrs) {
    for (AttributeMatcher m : matchers) {
      if (!m.matches(attrs)) {
        return false;
      }
    }
    return true;
  }

  static AnyValue find(List<KeyValue> attrs, String key) {
    for (KeyValue kv : attrs) {
      if (kv.getKey().equals(key)) {
        return kv.getValue();
      }
    }
    return null;
  }

  private static NameMatcher names(List<String> names, boolean regexp, boolean applies, String property,
      List<String> ignored, boolean spanKinds) {
    if (names.isEmpty()) {
      return null;
    }
    if (!applies) {
      ignored.add(property);
      return null;
    }
    if (spanKinds && !regexp) {
      names = names.stream().map(ItemFilter::canonicalKind).toList();
    }
    return new NameMatcher(names, regexp);
  }

  /** {@code server}, {@code Server} and {@code SPAN_KIND_SERVER} all name the server kind. */
  private static String canonicalKind(String kind) {
    String upper = kind.trim().toUpperCase(Locale.ROOT);
    return upper.startsWith("SPAN_KIND_") ? upper : "SPAN_KIND_" + upper;
  }

  /** Strings matched exactly (a set) or by any of some regular expressions. */
  private static final class NameMatcher {
    private final Set<String> exact;
    private final List<Pattern> patterns;

    NameMatcher(List<String> names, boolean regexp) {
      this.exact = regexp ? null : new HashSet<>(names);
      this.patterns = regexp ? names.stream().map(Pattern::compile).toList() : null;
    }

    boolean matches(String s) {
      if (exact != null) {
        return exact.contains(s);
      }
      for (Pattern p : patterns) {
        if (p.matcher(s).find()) {
          return true;
        }
      }
      return false;
    }
  }

  private static final class AttributeMatcher {
    private final String key;
    private final AnyValue value;
    private final Pattern pattern;

    AttributeMatcher(MatchProperties.Attribute a, boolean regexp) {
      this.key = a.key();
      this.value = a.value() == null || regexp ? null : Values.fromYaml(a.value());
      this.pattern = a.value() != null && regexp ? Pattern.compile((String) a.value()) : null;
    }

    boolean matches(List<KeyValue> attrs) {
      AnyValue v = find(attrs, key);
      if (v == null) {
        return false;
      } else if (value != null) {
        return value.equals(v);
      } else if (pattern != null) {
        return pattern.matcher(AnyValues.asString(v)).find();
      }
      return true;
    }
  }

  private static final class LibraryMatcher {
    private final NameMatcher name;
    private final NameMatcher version;

    LibraryMatcher(MatchProperties.Library l, boolean regexp) {
      this.name = new NameMatcher(List.of(l.name()), regexp);
      this.version = l.version() == null ? null : new NameMatcher(List.of(l.version()), regexp);
    }

    boolean matches(InstrumentationScope s) {
      return name.matches(s.getName()) && (version == null || version.matches(s.getVersion()));
    }
  }
}
