package io.sluice.core;

import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import java.util.List;
import java.util.Objects;

/**
 * One batch of telemetry on its way through a pipeline: a list of {@code ResourceSpans},
 * {@code ResourceMetrics} or {@code ResourceLogs}, with its {@link Envelope}.
 *
 * <p>The OTLP messages are immutable, so a batch can be handed to several consumers at once
 * (fan-out) without a copy; a processor that changes data builds new messages and a new batch.
 * The acknowledgement of a batch is the future its {@link Consumer#consume} returned.
 */
public final class Batch {
  private final Signal signal;
  private final List<?> resources;
  private final Envelope envelope;
  private int itemCount = -1;

  private Batch(Signal signal, List<?> resources, Envelope envelope) {
    this.signal = Objects.requireNonNull(signal, "signal");
    this.resources = Objects.requireNonNull(resources, "resources");
    this.envelope = Objects.requireNonNull(envelope, "envelope");
  }

  public static Batch traces(List<ResourceSpans> resourceSpans, Envelope envelope) {
    return new Batch(Signal.TRACES, resourceSpans, envelope);
  }

  public static Batch metrics(List<ResourceMetrics> resourceMetrics, Envelope envelope) {
    return new Batch(Signal.METRICS, resourceMetrics, envelope);
  }

  public static Batch logs(List<ResourceLogs> resourceLogs, Envelope envelope) {
    return new Batch(Signal.LOGS, resourceLogs, envelope);
  }

  /** A batch of the given signal; {@code resources} must hold that signal's resource messages. */
  public static Batch of(Signal signal, List<?> resources, Envelope envelope) {
    return new Batch(signal, resources, envelope);
  }

  public Signal signal() {
    return signal;
  }

  public Envelope envelope() {
    return envelope;
  }

  /** The resource messages, untyped: {@code ResourceSpans}, {@code ResourceMetrics} or {@code ResourceLogs}. */
  public List<?> resources() {
    return resources;
  }

  @SuppressWarnings("unchecked")
  public List<ResourceSpans> resourceSpans() {
    expect(Signal.TRACES);
    return (List<ResourceSpans>) resources;
  }

  @SuppressWarnings("unchecked")
  public List<ResourceMetrics> resourceMetrics() {
    expect(Signal.METRICS);
    return (List<ResourceMetrics>) resources;
  }

  @SuppressWarnings("unchecked")
  public List<ResourceLogs> resourceLogs() {
    expect(Signal.LOGS);
    return (List<ResourceLogs>) resources;
  }

  /** A batch of the same signal and envelope holding other resources. */
  public Batch withResources(List<?> newResources) {
    return new Batch(signal, newResources, envelope);
  }

  /** Spans, metric data points or log records in the batch; counted once, then remembered. */
  public int itemCount() {
    int n = itemCount;
    if (n < 0) {
      n = countItems(signal, resources);
      itemCount = n;
    }
    return n;
  }

  public boolean isEmpty() {
    return itemCount() == 0;
  }

  /** Counts the items (spans, data points, log records) in a list of resource messages. */
  public static int countItems(Signal signal, List<?> resources) {
    int n = 0;
    switch (signal) {
      case TRACES -> {
        for (Object o : resources) {
          for (ScopeSpans ss : ((ResourceSpans) o).getScopeSpansList()) {
            n += ss.getSpansCount();
          }
        }
      }
      case METRICS -> {
        for (Object o : resources) {
          for (ScopeMetrics sm : ((ResourceMetrics) o).getScopeMetricsList()) {
            for (Metric m : sm.getMetricsList()) {
              n += dataPointCount(m);
            }
          }
        }
      }
      case LOGS -> {
        for (Object o : resources) {
          for (ScopeLogs sl : ((ResourceLogs) o).getScopeLogsList()) {
            n += sl.getLogRecordsCount();
          }
        }
      }
    }
    return n;
  }

  /** The number of data points in one metric, whatever its type; 0 for a metric with no data. */
  public static int dataPointCount(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> m.getGauge().getDataPointsCount();
      case SUM -> m.getSum().getDataPointsCount();
      case HISTOGRAM -> m.getHistogram().getDataPointsCount();
      case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsCount();
      case SUMMARY -> m.getSummary().getDataPointsCount();
      case DATA_NOT_SET -> 0;
    };
  }

  private void expect(Signal wanted) {
    if (signal != wanted) {
      throw new IllegalStateException("this batch holds " + signal + ", not " + wanted);
    }
  }

  @Override
  public String toString() {
    return "Batch{" + signal + ", " + resources.size() + " resources, " + itemCount() + " " + signal.itemName()
        + ", from " + envelope.source() + "}";
  }
}
