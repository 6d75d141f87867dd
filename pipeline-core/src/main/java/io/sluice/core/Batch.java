package io.sluice.core;

import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.sluice.core.otlp.EncodedResources;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One batch of telemetry on its way through a pipeline: a list of {@code ResourceSpans},
 * {@code ResourceMetrics} or {@code ResourceLogs}, with its {@link Envelope}.
 *
 * <p>The OTLP messages are immutable, so a batch can be handed to several consumers at once
 * (fan-out) without a copy; a processor that changes data builds new messages and a new batch.
 * The acknowledgement of a batch is the future its {@link Consumer#consume} returned.
 *
 * <p>A batch holds its resources in one of two forms and makes the other on demand, once:
 * decoded OTLP messages, or {@link EncodedResources} — the bytes they arrived in, never parsed.
 * A receiver that takes protobuf hands on the encoded form; a component that reads fields calls
 * {@link #resources()} and the batch parses then; an exporter that speaks OTLP calls
 * {@link #encoded()} and, for a batch nobody parsed, writes the bytes it received. Which form a
 * batch started with is {@link #isEncoded()}.
 */
public final class Batch {
  private final Signal signal;
  private final Envelope envelope;
  private final boolean encodedFirst;
  // Each made from the other at most once; a race only makes it twice, with equal results.
  private volatile List<?> resources;
  private volatile EncodedResources encoded;
  private int itemCount = -1;

  private Batch(Signal signal, List<?> resources, Envelope envelope) {
    this.signal = Objects.requireNonNull(signal, "signal");
    this.resources = Objects.requireNonNull(resources, "resources");
    this.envelope = Objects.requireNonNull(envelope, "envelope");
    this.encodedFirst = false;
  }

  private Batch(EncodedResources encoded, Envelope envelope) {
    this.signal = encoded.signal();
    this.encoded = encoded;
    this.envelope = Objects.requireNonNull(envelope, "envelope");
    this.encodedFirst = true;
    this.itemCount = encoded.itemCount();
  }

  /** A batch of resources still encoded as they arrived; parsed only if a component reads them. */
  public static Batch encoded(EncodedResources resources, Envelope envelope) {
    return new Batch(resources, envelope);
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

  /**
   * The resource messages, untyped: {@code ResourceSpans}, {@code ResourceMetrics} or
   * {@code ResourceLogs}. An encoded batch is parsed on the first call.
   *
   * @throws PermanentException when an encoded batch holds a message that does not parse
   */
  public List<?> resources() {
    List<?> r = resources;
    if (r == null) {
      r = encoded.decode();
      resources = r;
    }
    return r;
  }

  /** True when the batch was made from encoded resources (parsed or not since). */
  public boolean isEncoded() {
    return encodedFirst;
  }

  /**
   * The resources encoded: the bytes they arrived in for an encoded batch, else each message
   * encoded on the first call.
   */
  public EncodedResources encoded() {
    EncodedResources e = encoded;
    if (e == null) {
      e = EncodedResources.encode(signal, resources);
      encoded = e;
    }
    return e;
  }

  @SuppressWarnings("unchecked")
  public List<ResourceSpans> resourceSpans() {
    expect(Signal.TRACES);
    return (List<ResourceSpans>) resources();
  }

  @SuppressWarnings("unchecked")
  public List<ResourceMetrics> resourceMetrics() {
    expect(Signal.METRICS);
    return (List<ResourceMetrics>) resources();
  }

  @SuppressWarnings("unchecked")
  public List<ResourceLogs> resourceLogs() {
    expect(Signal.LOGS);
    return (List<ResourceLogs>) resources();
  }

  /**
   * One batch holding the resources of several of the same signal, in order: encoded if every
   * part is, else decoded (parsing the encoded parts).
   */
  public static Batch join(Signal signal, List<Batch> parts, Envelope envelope) {
    if (parts.size() == 1 && parts.get(0).envelope == envelope) {
      return parts.get(0);
    }
    boolean allEncoded = true;
    for (int i = 0, n = parts.size(); i < n && allEncoded; i++) {
      allEncoded = parts.get(i).encodedFirst;
    }
    if (allEncoded) {
      List<EncodedResources> encodedParts = new ArrayList<>(parts.size());
      for (Batch b : parts) {
        b.expect(signal);
        encodedParts.add(b.encoded);
      }
      return new Batch(EncodedResources.concat(signal, encodedParts), envelope);
    }
    List<Object> all = new ArrayList<>();
    for (Batch b : parts) {
      b.expect(signal);
      all.addAll(b.resources());
    }
    return new Batch(signal, all, envelope);
  }

  /** A batch of the same signal and envelope holding other resources. */
  public Batch withResources(List<?> newResources) {
    return new Batch(signal, newResources, envelope);
  }

  /** A batch of the same signal and envelope holding other encoded resources. */
  public Batch withEncoded(EncodedResources newResources) {
    if (newResources.signal() != signal) {
      throw new IllegalArgumentException("cannot put " + newResources.signal() + " in a " + signal + " batch");
    }
    return new Batch(newResources, envelope);
  }

  /**
   * The size of the batch's resources encoded, in bytes: known for an encoded batch, measured
   * (once per message, protobuf remembers it) for a decoded one.
   */
  public long sizeBytes() {
    if (encodedFirst) {
      return encoded.requestBytes();
    }
    long n = 0;
    for (Object r : resources) {
      n += ((com.google.protobuf.MessageLite) r).getSerializedSize();
    }
    return n;
  }

  /** Spans, metric data points or log records in the batch; counted once, then remembered. */
  public int itemCount() {
    int n = itemCount;
    if (n < 0) {
      n = countItems(signal, resources());
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
    int n = encodedFirst ? encoded.size() : resources.size();
    return "Batch{" + signal + (encodedFirst ? ", encoded, " : ", ") + n + " resources, " + itemCount() + " "
        + signal.itemName() + ", from " + envelope.source() + "}";
  }
}
