package io.sluice.receiver.prometheus;

/**
 * One exposition line: the full sample name (with suffix such as {@code _bucket}), its sorted labels,
 * the value as written (NaN bit patterns kept), an optional timestamp in milliseconds and an optional
 * exemplar.
 */
final class Sample {
  /** Marks an absent timestamp. */
  static final long NO_TIMESTAMP = Long.MIN_VALUE;

  private final String name;
  private final Labels labels;
  private final double value;
  private final long timestampMs;
  private final Exemplar exemplar;

  Sample(String name, Labels labels, double value, long timestampMs, Exemplar exemplar) {
    this.name = name;
    this.labels = labels;
    this.value = value;
    this.timestampMs = timestampMs;
    this.exemplar = exemplar;
  }

  String name() {
    return name;
  }

  Labels labels() {
    return labels;
  }

  double value() {
    return value;
  }

  boolean hasTimestamp() {
    return timestampMs != NO_TIMESTAMP;
  }

  long timestampMs() {
    return timestampMs;
  }

  /** The exemplar, or null. */
  Exemplar exemplar() {
    return exemplar;
  }

  @Override
  public String toString() {
    return name + labels + " " + value + (hasTimestamp() ? " @" + timestampMs : "")
        + (exemplar != null ? " # " + exemplar : "");
  }
}
