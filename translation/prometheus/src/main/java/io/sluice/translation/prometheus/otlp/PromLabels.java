package io.sluice.translation.prometheus.otlp;

import java.util.Arrays;

/**
 * The label set of a series, sorted by name ({@code __name__} included), with its hash. The
 * translator keeps the label sets of scraped series from batch to batch, so the same object (and
 * whatever an encoder derived from it, see {@link PromSeries#labelEncoding()}) comes back every scrape.
 */
public final class PromLabels {
  private final String[] labels;
  private final int hash;
  private volatile Object encoding;
  /**
   * Kept by the translator from batch to batch (then {@link #batch} and {@link #place} are used):
   * no other kept label set of its context has the same labels.
   */
  boolean kept;
  /** The label cache's period in which it was last used. */
  int epoch;
  /** The label cache's entry that made it; null for derived label sets. */
  Object owner;
  /** The translator's batch in which this label set last got a series, and that series' place in it. */
  int batch;
  int place;

  PromLabels(String[] labels) {
    this.labels = labels;
    this.hash = Arrays.hashCode(labels);
  }

  int count() {
    return labels.length >> 1;
  }

  String name(int i) {
    return labels[i << 1];
  }

  String value(int i) {
    return labels[(i << 1) + 1];
  }

  String[] array() {
    return labels;
  }

  /** What an encoder made of these labels; see {@link PromSeries#labelEncoding()}. */
  Object encoding() {
    return encoding;
  }

  void encoding(Object encoding) {
    this.encoding = encoding;
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    return o == this || o instanceof PromLabels l && l.hash == hash && Arrays.equals(l.labels, labels);
  }
}
