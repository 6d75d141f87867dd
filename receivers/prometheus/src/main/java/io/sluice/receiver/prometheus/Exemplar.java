package io.sluice.receiver.prometheus;

/** An OpenMetrics exemplar; {@code timestampMs} is {@link Sample#NO_TIMESTAMP} when absent. */
record Exemplar(Labels labels, double value, long timestampMs) {
  boolean hasTimestamp() {
    return timestampMs != Sample.NO_TIMESTAMP;
  }
}
