package io.sluice.translation.prometheus.otlp;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * One Prometheus series as an encoder writes it: its labels sorted by name ({@code __name__}
 * included, no empty names or values), its samples oldest first, and its exemplars.
 *
 * <p>Built by {@link OtlpToPrometheus} and read-only afterwards.
 */
public final class PromSeries {
  private final PromLabels labels;
  // copied from the label set when the series is made (and the label set is in the CPU's cache)
  private final int hash;
  private Object encoding;
  private double[] values = new double[1];
  private long[] timestamps = new long[1];
  /** Start timestamps (ms, 0 = unset); null while no sample has one. */
  private long[] starts;
  private int size;
  private boolean sorted = true;
  private List<PromExemplar> exemplars;
  private List<PromHistogram> histograms;
  private PromMetadata metadata;

  PromSeries(PromLabels labels) {
    this.labels = labels;
    this.hash = labels.hashCode();
    this.encoding = labels.encoding();
  }

  /** The label set; the same object for the same scraped series batch after batch. */
  public PromLabels labels() {
    return labels;
  }

  /**
   * What an encoder made of the labels (their encoded bytes), kept with the label set so that a
   * label set that comes back batch after batch is encoded once; null until an encoder sets it.
   * An encoder should only store something derived from the labels alone, and check the type it
   * finds. The translation never reads it.
   */
  public Object labelEncoding() {
    return encoding;
  }

  /** Sets {@link #labelEncoding()}, for this series and its label set. */
  public void labelEncoding(Object value) {
    encoding = value;
    labels.encoding(value);
  }

  /** TYPE, HELP and UNIT of the family the series belongs to; null when unknown. */
  public PromMetadata metadata() {
    return metadata;
  }

  void metadata(PromMetadata md) {
    if (metadata == null) {
      metadata = md;
    }
  }

  /** How many labels the series has. */
  public int labelCount() {
    return labels.count();
  }

  public String labelName(int i) {
    return labels.name(i);
  }

  public String labelValue(int i) {
    return labels.value(i);
  }

  /** The value of a label, or null when the series has none by that name. */
  public String label(String name) {
    String[] l = labels.array();
    for (int i = 0; i < l.length; i += 2) {
      if (l[i].equals(name)) {
        return l[i + 1];
      }
    }
    return null;
  }

  /** The {@code __name__} label. */
  public String metricName() {
    return label("__name__");
  }

  public int sampleCount() {
    return size;
  }

  public double value(int i) {
    return values[i];
  }

  /** Milliseconds since the epoch. */
  public long timestampMs(int i) {
    return timestamps[i];
  }

  /**
   * The start (creation) time of sample i in milliseconds, for counters, histograms and
   * summaries whose OTLP point had one no later than the sample; 0 when unset.
   */
  public long startTimestampMs(int i) {
    return starts == null ? 0 : starts[i];
  }

  /** Native histogram samples, oldest first; a series has these or float samples, never both. */
  public List<PromHistogram> histograms() {
    return histograms == null ? List.of() : histograms;
  }

  void addHistogram(PromHistogram h) {
    if (histograms == null) {
      histograms = new ArrayList<>(1);
    }
    histograms.add(h);
  }

  public List<PromExemplar> exemplars() {
    return exemplars == null ? List.of() : exemplars;
  }

  void add(long timestampMs, double value) {
    add(timestampMs, value, 0);
  }

  void add(long timestampMs, double value, long startMs) {
    if (size == values.length) {
      values = Arrays.copyOf(values, size * 2);
      timestamps = Arrays.copyOf(timestamps, size * 2);
      if (starts != null) {
        starts = Arrays.copyOf(starts, size * 2);
      }
    }
    if (startMs != 0 && starts == null) {
      starts = new long[values.length];
    }
    if (starts != null) {
      starts[size] = startMs;
    }
    if (size > 0 && timestamps[size - 1] > timestampMs) {
      sorted = false;
    }
    values[size] = value;
    timestamps[size] = timestampMs;
    size++;
  }

  void addExemplar(PromExemplar e) {
    if (exemplars == null) {
      exemplars = new ArrayList<>(2);
    }
    exemplars.add(e);
  }

  /** Puts the samples in timestamp order (stable: equal timestamps keep their arrival order). */
  void sortSamples() {
    if (histograms != null && histograms.size() > 1) {
      histograms.sort(java.util.Comparator.comparingLong(PromHistogram::timestampMs));
    }
    if (sorted) {
      return;
    }
    Integer[] order = new Integer[size];
    for (int i = 0; i < size; i++) {
      order[i] = i;
    }
    long[] ts = timestamps;
    Arrays.sort(order, (a, b) -> Long.compare(ts[a], ts[b]));
    double[] v = new double[size];
    long[] t = new long[size];
    long[] st = starts == null ? null : new long[size];
    for (int i = 0; i < size; i++) {
      v[i] = values[order[i]];
      t[i] = timestamps[order[i]];
      if (st != null) {
        st[i] = starts[order[i]];
      }
    }
    values = v;
    timestamps = t;
    starts = st;
    sorted = true;
  }

  String[] labelArray() {
    return labels.array();
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PromSeries s && s.hash == hash && s.labels.equals(labels);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    String[] l = labels.array();
    for (int i = 0; i < l.length; i += 2) {
      sb.append(i == 0 ? "" : ", ").append(l[i]).append("=\"").append(l[i + 1]).append('"');
    }
    sb.append("} ").append(size).append(" samples");
    return sb.toString();
  }
}
