package io.sluice.translation.prometheus.otlp;

/**
 * One native (exponential) histogram sample as remote write 2.0 carries it: integer counts,
 * buckets as spans of consecutive indexes with the counts delta-encoded.
 *
 * <p>A bucket of index {@code k} at schema {@code s} covers {@code (base^(k-1), base^k]} with
 * {@code base = 2^(2^-s)}. Spans are {@code offset, length} pairs: the first offset is the first
 * bucket's index, later ones the gap after the previous span. Deltas are the first count, then
 * each count minus the one before.
 *
 * @param timestampMs the sample's time
 * @param startTimestampMs when the histogram started counting; 0 when unset
 * @param count how many observations, zero bucket included (0 for a stale marker)
 * @param sum their sum ({@link OtlpToPrometheus#STALE_NAN} for a stale marker)
 * @param schema -4..8
 * @param zeroThreshold the zero bucket's upper bound
 * @param zeroCount observations in the zero bucket
 * @param positiveSpans {@code offset, length} pairs
 * @param positiveDeltas delta-encoded counts
 * @param negativeSpans {@code offset, length} pairs, by absolute value
 * @param negativeDeltas delta-encoded counts
 */
public record PromHistogram(long timestampMs, long startTimestampMs, long count, double sum, int schema,
    double zeroThreshold, long zeroCount, int[] positiveSpans, long[] positiveDeltas, int[] negativeSpans,
    long[] negativeDeltas) {

  /** True for the stale marker (sum is the stale NaN). */
  public boolean isStale() {
    return Double.doubleToRawLongBits(sum) == OtlpToPrometheus.STALE_NAN_BITS;
  }
}
