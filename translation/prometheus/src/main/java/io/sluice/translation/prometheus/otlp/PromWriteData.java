package io.sluice.translation.prometheus.otlp;

import java.util.List;
import java.util.Map;

/**
 * What one OTLP batch becomes: series, metadata of their families, and what was dropped.
 *
 * @param series every series, each with its samples oldest first
 * @param metadata one entry per metric family, in first-seen order
 * @param droppedPoints data points not translated, by reason ({@code delta_sum},
 *     {@code delta_histogram}, {@code exponential_histogram}, {@code type_conflict}, ...)
 */
public record PromWriteData(List<PromSeries> series, List<PromMetadata> metadata, Map<String, Long> droppedPoints) {

  /** How many samples all series hold together. */
  public long sampleCount() {
    long n = 0;
    for (PromSeries s : series) {
      n += s.sampleCount();
    }
    return n;
  }

  /** How many native histogram samples all series hold together. */
  public long histogramCount() {
    long n = 0;
    for (PromSeries s : series) {
      n += s.histograms().size();
    }
    return n;
  }

  /** How many data points were dropped, whatever the reason. */
  public long droppedPointCount() {
    long n = 0;
    for (long v : droppedPoints.values()) {
      n += v;
    }
    return n;
  }
}
