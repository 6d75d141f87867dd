package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Metric;

/**
 * What a metric's points are, as far as merging them goes: the point type, delta or cumulative,
 * and for sums whether they are monotonic. An unspecified temporality counts as cumulative.
 */
public enum MetricKind {
  GAUGE(false, false),
  SUM(false, false),
  MONOTONIC_SUM(false, true),
  DELTA_SUM(true, false),
  DELTA_MONOTONIC_SUM(true, true),
  HISTOGRAM(false, true),
  DELTA_HISTOGRAM(true, true),
  EXPONENTIAL_HISTOGRAM(false, true),
  DELTA_EXPONENTIAL_HISTOGRAM(true, true),
  SUMMARY(false, true);

  private final boolean delta;
  private final boolean monotonic;

  MetricKind(boolean delta, boolean monotonic) {
    this.delta = delta;
    this.monotonic = monotonic;
  }

  /** The kind of a metric's points; null for a metric without data. */
  public static MetricKind of(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> GAUGE;
      case SUM -> {
        boolean delta = isDelta(m.getSum().getAggregationTemporality());
        boolean mono = m.getSum().getIsMonotonic();
        yield delta ? (mono ? DELTA_MONOTONIC_SUM : DELTA_SUM) : (mono ? MONOTONIC_SUM : SUM);
      }
      case HISTOGRAM -> isDelta(m.getHistogram().getAggregationTemporality()) ? DELTA_HISTOGRAM : HISTOGRAM;
      case EXPONENTIAL_HISTOGRAM -> isDelta(m.getExponentialHistogram().getAggregationTemporality())
          ? DELTA_EXPONENTIAL_HISTOGRAM : EXPONENTIAL_HISTOGRAM;
      case SUMMARY -> SUMMARY;
      case DATA_NOT_SET -> null;
    };
  }

  private static boolean isDelta(AggregationTemporality t) {
    return t == AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA;
  }

  /** Points each count what happened since the previous one, not since a fixed start. */
  public boolean delta() {
    return delta;
  }

  /**
   * Totals only grow while their start stays the same: counters, histograms, summaries. A drop
   * means the source restarted.
   */
  public boolean monotonic() {
    return monotonic;
  }

  public boolean isSum() {
    return this == SUM || this == MONOTONIC_SUM || this == DELTA_SUM || this == DELTA_MONOTONIC_SUM;
  }

  public boolean isHistogram() {
    return this == HISTOGRAM || this == DELTA_HISTOGRAM;
  }

  public boolean isExponentialHistogram() {
    return this == EXPONENTIAL_HISTOGRAM || this == DELTA_EXPONENTIAL_HISTOGRAM;
  }

  /** The same kind with cumulative temporality. */
  public MetricKind cumulative() {
    return switch (this) {
      case DELTA_SUM -> SUM;
      case DELTA_MONOTONIC_SUM -> MONOTONIC_SUM;
      case DELTA_HISTOGRAM -> HISTOGRAM;
      case DELTA_EXPONENTIAL_HISTOGRAM -> EXPONENTIAL_HISTOGRAM;
      default -> this;
    };
  }

  /**
   * A metric of this kind with {@code descriptor}'s name, description, unit and metadata and no
   * points yet; points are added to its container ({@code getSumBuilder()} and so on).
   */
  public Metric.Builder newMetric(Metric descriptor) {
    Metric.Builder b = Metric.newBuilder().setName(descriptor.getName()).setDescription(descriptor.getDescription())
        .setUnit(descriptor.getUnit()).addAllMetadata(descriptor.getMetadataList());
    AggregationTemporality t = delta ? AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA
        : AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE;
    switch (this) {
      case GAUGE -> b.getGaugeBuilder();
      case SUM, MONOTONIC_SUM, DELTA_SUM, DELTA_MONOTONIC_SUM ->
          b.getSumBuilder().setAggregationTemporality(t).setIsMonotonic(monotonic);
      case HISTOGRAM, DELTA_HISTOGRAM -> b.getHistogramBuilder().setAggregationTemporality(t);
      case EXPONENTIAL_HISTOGRAM, DELTA_EXPONENTIAL_HISTOGRAM ->
          b.getExponentialHistogramBuilder().setAggregationTemporality(t);
      case SUMMARY -> b.getSummaryBuilder();
    }
    return b;
  }
}
