package io.sluice.processor.attributes;

import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.Signal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@code attributes} processor's batch function for one signal: runs the actions over the
 * attributes of the spans, log records or metric data points that {@code include} matches and
 * {@code exclude} does not. Returns the batch's own resource list when nothing changed.
 */
final class AttributesTransform implements BatchTransform {
  private final Signal signal;
  private final AttributeActions actions;
  private final ItemFilter include;
  private final ItemFilter exclude;

  AttributesTransform(AttributesProcessorConfig config, Signal signal) {
    this.signal = signal;
    this.actions = AttributeActions.compile(config.actions());
    this.include = config.include() == null ? null : ItemFilter.compile(config.include(), signal);
    this.exclude = config.exclude() == null ? null : ItemFilter.compile(config.exclude(), signal);
  }

  /** The include/exclude properties given that do not apply to this signal, for a warning. */
  List<String> ignoredProperties() {
    List<String> out = new ArrayList<>();
    if (include != null) {
      include.ignored().forEach(p -> out.add("include." + p));
    }
    if (exclude != null) {
      exclude.ignored().forEach(p -> out.add("exclude." + p));
    }
    return out;
  }

  @Override
  public List<?> apply(Batch batch) {
    Map<String, String> md = batch.envelope().metadata();
    return switch (signal) {
      case TRACES -> Rebuild.map(batch.resourceSpans(), rs -> spans(rs, md));
      case LOGS -> Rebuild.map(batch.resourceLogs(), rl -> logs(rl, md));
      case METRICS -> Rebuild.map(batch.resourceMetrics(), rm -> metrics(rm, md));
    };
  }

  /** Where the include and exclude sections stand after the resource and scope levels. */
  private record Gate(boolean included, boolean excludedSoFar) {}

  private Gate resourceGate(Resource r) {
    boolean inc = include == null || include.matchesResource(r);
    boolean exc = exclude != null && exclude.matchesResource(r);
    return new Gate(inc, exc);
  }

  private Gate scopeGate(Gate g, InstrumentationScope scope) {
    boolean inc = g.included && (include == null || include.matchesScope(scope));
    boolean exc = g.excludedSoFar && exclude.matchesScope(scope);
    return new Gate(inc, exc);
  }

  private ResourceSpans spans(ResourceSpans rs, Map<String, String> md) {
    Gate rg = resourceGate(rs.getResource());
    if (!rg.included) {
      return rs;
    }
    List<ScopeSpans> in = rs.getScopeSpansList();
    List<ScopeSpans> out = Rebuild.map(in, ss -> {
      Gate g = scopeGate(rg, ss.getScope());
      if (!g.included) {
        return ss;
      }
      List<Span> spans = Rebuild.map(ss.getSpansList(), s -> {
        if (include != null && !include.matchesSpan(s) || g.excludedSoFar && exclude.matchesSpan(s)) {
          return s;
        }
        List<KeyValue> a = actions.apply(s.getAttributesList(), md);
        return a == s.getAttributesList() ? s : s.toBuilder().clearAttributes().addAllAttributes(a).build();
      });
      return spans == ss.getSpansList() ? ss : ss.toBuilder().clearSpans().addAllSpans(spans).build();
    });
    return out == in ? rs : rs.toBuilder().clearScopeSpans().addAllScopeSpans(out).build();
  }

  private ResourceLogs logs(ResourceLogs rl, Map<String, String> md) {
    Gate rg = resourceGate(rl.getResource());
    if (!rg.included) {
      return rl;
    }
    List<ScopeLogs> in = rl.getScopeLogsList();
    List<ScopeLogs> out = Rebuild.map(in, sl -> {
      Gate g = scopeGate(rg, sl.getScope());
      if (!g.included) {
        return sl;
      }
      List<LogRecord> records = Rebuild.map(sl.getLogRecordsList(), r -> {
        if (include != null && !include.matchesLog(r) || g.excludedSoFar && exclude.matchesLog(r)) {
          return r;
        }
        List<KeyValue> a = actions.apply(r.getAttributesList(), md);
        return a == r.getAttributesList() ? r : r.toBuilder().clearAttributes().addAllAttributes(a).build();
      });
      return records == sl.getLogRecordsList() ? sl : sl.toBuilder().clearLogRecords().addAllLogRecords(records)
          .build();
    });
    return out == in ? rl : rl.toBuilder().clearScopeLogs().addAllScopeLogs(out).build();
  }

  private ResourceMetrics metrics(ResourceMetrics rm, Map<String, String> md) {
    Gate rg = resourceGate(rm.getResource());
    if (!rg.included) {
      return rm;
    }
    List<ScopeMetrics> in = rm.getScopeMetricsList();
    List<ScopeMetrics> out = Rebuild.map(in, sm -> {
      Gate g = scopeGate(rg, sm.getScope());
      if (!g.included) {
        return sm;
      }
      List<Metric> metrics = Rebuild.map(sm.getMetricsList(), m -> {
        if (include != null && !include.matchesMetric(m)) {
          return m;
        }
        boolean excludedMetric = g.excludedSoFar && exclude.matchesMetric(m);
        return Rebuild.points(m, (metric, attrs) -> {
          if (include != null && !include.matchesPointAttributes(attrs)
              || excludedMetric && exclude.matchesPointAttributes(attrs)) {
            return attrs;
          }
          return actions.apply(attrs, md);
        });
      });
      return metrics == sm.getMetricsList() ? sm : sm.toBuilder().clearMetrics().addAllMetrics(metrics).build();
    });
    return out == in ? rm : rm.toBuilder().clearScopeMetrics().addAllScopeMetrics(out).build();
  }
}
