package io.sluice.connector.spanmetrics;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.sluice.connector.spanmetrics.SpanMetricsConnectorConfig.Dimension;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** The config of one connector, turned into what aggregation reads per span. */
final class Settings {
  /** A dimension: the attribute looked up and the value used when it is missing (null: left out). */
  record Dim(String name, AnyValue defaultValue) {}

  final boolean serviceName;
  final boolean spanName;
  final boolean spanKind;
  final boolean statusCode;
  /** The common dimensions followed by the calls metric's own. */
  final Dim[] callsDims;
  /** The common dimensions followed by the duration metric's own. */
  final Dim[] durationDims;
  /** The common dimensions followed by the events metric's (event attributes). */
  final Dim[] eventDims;
  /** True when calls and duration series share their keys (neither has dimensions of its own). */
  final boolean sameCallsAndDurationKeys;
  final Set<String> includeScopes;
  final boolean samplingMethod;

  final boolean histogramEnabled;
  final boolean exponential;
  final int exponentialMaxSize;
  final double[] explicitBounds;
  /** The same bounds, as the list a histogram point takes. */
  final List<Double> explicitBoundsList;
  /** Nanoseconds per unit of duration: 1e6 for ms, 1e9 for s. */
  final double unitNanos;
  final String unit;

  final boolean delta;
  final AggregationTemporality temporality;
  final long expirationNanos;
  final boolean exemplarsEnabled;
  final int maxExemplars;
  final boolean eventsEnabled;
  final int cardinalityLimit;
  final Set<String> resourceKeyAttributes;

  final String callsName;
  final String durationName;
  final String eventsName;

  Settings(SpanMetricsConnectorConfig c) {
    List<String> excluded = c.excludeDimensions();
    serviceName = !excluded.contains("service.name");
    spanName = !excluded.contains("span.name");
    spanKind = !excluded.contains("span.kind");
    statusCode = !excluded.contains("status.code");
    callsDims = concat(c.dimensions(), c.callsDimensions());
    durationDims = concat(c.dimensions(), c.histogram().dimensions());
    eventDims = concat(c.dimensions(), c.events().dimensions());
    sameCallsAndDurationKeys = c.callsDimensions().isEmpty() && c.histogram().dimensions().isEmpty();
    includeScopes = Set.copyOf(new HashSet<>(c.includeInstrumentationScope()));
    samplingMethod = c.enableMetricsSamplingMethod();

    histogramEnabled = !c.histogram().disable();
    exponential = c.exponentialHistogram();
    exponentialMaxSize = c.exponentialMaxSize();
    explicitBounds = c.explicitBounds();
    List<Double> bounds = new java.util.ArrayList<>(explicitBounds.length);
    for (double b : explicitBounds) {
      bounds.add(b);
    }
    explicitBoundsList = List.copyOf(bounds);
    unitNanos = c.histogram().seconds() ? 1e9 : 1e6;
    unit = c.histogram().seconds() ? "s" : "ms";

    delta = c.delta();
    temporality = delta ? AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
        : AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
    expirationNanos = c.metricsExpiration().toNanos();
    exemplarsEnabled = c.exemplars().enabled();
    maxExemplars = Math.max(0, c.exemplars().maxPerDataPoint());
    eventsEnabled = c.events().enabled();
    cardinalityLimit = c.aggregationCardinalityLimit();
    resourceKeyAttributes = Set.copyOf(new HashSet<>(c.resourceMetricsKeyAttributes()));

    callsName = name(c.namespace(), "calls");
    durationName = name(c.namespace(), "duration");
    eventsName = name(c.namespace(), "events");
  }

  private static String name(String namespace, String metric) {
    return namespace.isEmpty() ? metric : namespace + "." + metric;
  }

  private static Dim[] concat(List<Dimension> a, List<Dimension> b) {
    Dim[] out = new Dim[a.size() + b.size()];
    int i = 0;
    for (Dimension d : a) {
      out[i++] = dim(d);
    }
    for (Dimension d : b) {
      out[i++] = dim(d);
    }
    return out;
  }

  private static Dim dim(Dimension d) {
    return new Dim(d.name(),
        d.defaultValue() == null ? null : AnyValue.newBuilder().setStringValue(d.defaultValue()).build());
  }
}
