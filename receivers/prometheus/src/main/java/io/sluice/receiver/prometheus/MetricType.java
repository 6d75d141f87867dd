package io.sluice.receiver.prometheus;

/** Metric family types of both text formats; {@link #UNKNOWN} is 0.0.4's {@code untyped}. */
enum MetricType {
  COUNTER("counter"),
  GAUGE("gauge"),
  HISTOGRAM("histogram"),
  GAUGEHISTOGRAM("gaugehistogram"),
  SUMMARY("summary"),
  INFO("info"),
  STATESET("stateset"),
  UNKNOWN("unknown");

  private final String openMetricsName;

  MetricType(String openMetricsName) {
    this.openMetricsName = openMetricsName;
  }

  /** The type word as OpenMetrics writes it ({@code unknown} for untyped). */
  String openMetricsName() {
    return openMetricsName;
  }
}
