package io.sluice.translation.prometheus.otlp;

/** Prometheus metric types, numbered as in remote write's {@code MetricMetadata.MetricType}. */
public enum PromMetricType {
  UNKNOWN(0), COUNTER(1), GAUGE(2), HISTOGRAM(3), GAUGEHISTOGRAM(4), SUMMARY(5), INFO(6), STATESET(7);

  private final int number;

  PromMetricType(int number) {
    this.number = number;
  }

  /** The protobuf enum number. */
  public int number() {
    return number;
  }
}
