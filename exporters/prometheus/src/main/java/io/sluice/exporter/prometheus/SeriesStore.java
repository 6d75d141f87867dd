package io.sluice.exporter.prometheus;

import io.sluice.translation.prometheus.otlp.OtlpToPrometheus;
import io.sluice.translation.prometheus.otlp.PromMetadata;
import io.sluice.translation.prometheus.otlp.PromSeries;
import io.sluice.translation.prometheus.otlp.PromWriteData;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * The latest sample of every series, keyed by its labels. Not thread-safe: the exporter touches
 * it only on its own context.
 */
final class SeriesStore {
  /** One exposed series: labels sorted by name ({@code __name__} included), its latest value. */
  record Entry(String[] labels, String name, double value, long timestampMs, PromMetadata metadata,
      long updatedMs) {}

  private record Key(String[] labels, int hash) {
    static Key of(String[] labels) {
      return new Key(labels, Arrays.hashCode(labels));
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Key k && k.hash == hash && Arrays.equals(k.labels, labels);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }

  private final Map<Key, Entry> series = new HashMap<>();
  private final long expirationMs;

  SeriesStore(long expirationMs) {
    this.expirationMs = expirationMs;
  }

  /** Keeps the newest sample of each translated series; a stale marker removes its series. */
  void update(PromWriteData data, long nowMs) {
    for (PromSeries s : data.series()) {
      int n = s.sampleCount();
      if (n == 0) {
        continue;
      }
      String[] labels = new String[s.labelCount() * 2];
      for (int i = 0; i < s.labelCount(); i++) {
        labels[2 * i] = s.labelName(i);
        labels[2 * i + 1] = s.labelValue(i);
      }
      Key key = Key.of(labels);
      double value = s.value(n - 1);
      if (Double.doubleToRawLongBits(value) == OtlpToPrometheus.STALE_NAN_BITS) {
        series.remove(key);
        continue;
      }
      long ts = s.timestampMs(n - 1);
      Entry old = series.get(key);
      if (old != null && old.timestampMs() > ts) {
        continue;
      }
      series.put(key, new Entry(labels, s.metricName(), value, ts, s.metadata(), nowMs));
    }
  }

  /** Removes the series not updated for longer than the expiration; returns how many. */
  int expire(long nowMs) {
    int removed = 0;
    for (Iterator<Entry> it = series.values().iterator(); it.hasNext(); ) {
      if (nowMs - it.next().updatedMs() > expirationMs) {
        it.remove();
        removed++;
      }
    }
    return removed;
  }

  int size() {
    return series.size();
  }

  List<Entry> snapshot() {
    return new ArrayList<>(series.values());
  }
}
