package io.sluice.translation.prometheus.otlp;

/**
 * One exemplar of a series.
 *
 * @param labels label names and values interleaved ({@code name0, value0, name1, ...}), sorted by
 *     name; {@code trace_id} and {@code span_id} in lowercase hex when the exemplar has them
 * @param value the exemplar's value
 * @param timestampMs milliseconds since the epoch
 */
public record PromExemplar(String[] labels, double value, long timestampMs) {
}
