package io.sluice.receiver.prometheus;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The series of a target's last body, by the bytes of their sample lines' series part (metric
 * name and label set, {@code http_requests_total{code="200",method="GET"}}): a target writes the
 * same bytes scrape after scrape, so the parser finds the name and the {@link Labels} it made
 * last time instead of reading the label set again. The same objects then come back every
 * scrape, and what keys on them later (staleness, attributes, the translation to Prometheus
 * series) compares them by identity and finds what it worked out before.
 *
 * <p>The last body is kept with where each of its lines' series part lies. A line is first
 * compared with the line at its place last time (one contiguous comparison: a target writes its
 * series in the same order every time); when that fails, with the line of the same bytes found
 * by their hash in an index of the last body, made when first needed; a series not in the last
 * body is parsed. After a line is found elsewhere, the next lines are expected to follow it.
 *
 * <p>When every line matched its place and no sample had a timestamp, the body served exactly
 * the series of the one before it ({@link #unchanged()}): the scrape loop then skips its
 * staleness bookkeeping. Not thread-safe: one per target, used by one scrape at a time.
 */
final class SeriesCache {
  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  // The lines of the last completely parsed body (non-empty lines, in order): where each line's
  // compared part lies in it, and the name and labels of sample lines (null for comments).
  private Lines last = new Lines();
  private Lines next = new Lines();
  private byte[] lastBody;
  private byte[] body;
  /** The last body's sample lines by the hash of their series part: line index + 1, 0 for none; null until needed. */
  private int[] index;
  /** Where in the last body the line being read is expected, relative to its own place. */
  private int shift;
  /** Whether every line so far matched the line at its place in the last body. */
  private boolean same;
  private boolean unchanged;
  private int lastId;
  private int ids;

  /** Line records of one body. */
  private static final class Lines {
    int[] starts = new int[64];
    int[] ends = new int[64];
    int[] hashes = new int[64];
    String[] names = new String[64];
    Labels[] labels = new Labels[64];
    int count;
    boolean timestamps;

    void add(int start, int end, String name, Labels set) {
      if (count == starts.length) {
        int n = count * 2;
        starts = Arrays.copyOf(starts, n);
        ends = Arrays.copyOf(ends, n);
        hashes = Arrays.copyOf(hashes, n);
        names = Arrays.copyOf(names, n);
        labels = Arrays.copyOf(labels, n);
      }
      starts[count] = start;
      ends[count] = end;
      names[count] = name;
      labels[count] = set;
      count++;
    }

    void clear() {
      Arrays.fill(names, 0, count, null);
      Arrays.fill(labels, 0, count, null);
      count = 0;
      timestamps = false;
    }
  }

  /** Starts recording the lines of a body (the array is kept: do not change it). */
  void begin(byte[] b) {
    body = b;
    next.clear();
    index = null;
    shift = 0;
    same = true;
    unchanged = false;
  }

  /**
   * Where the series part of the sample line at {@code pos} ends, when it is the same as that
   * of the line expected in the last body; else -1. Then {@link #foundName()} and
   * {@link #foundLabels()} are what it parsed to.
   */
  int matchPlace(byte[] b, int pos, int lineEnd) {
    int k = next.count + shift;
    Lines l = last;
    if (k < 0 || k >= l.count || l.names[k] == null || l.starts[k] < 0) {
      return -1;
    }
    int s = l.starts[k];
    int e = l.ends[k];
    int end = pos + e - s;
    if (end > lineEnd || !Arrays.equals(lastBody, s, e, b, pos, end)) {
      return -1;
    }
    // a part without a label set ended with its name: the name must end there now too
    if (lastBody[e - 1] != '}' && end < lineEnd
        && (ExpositionParser.isNameChar(b[end]) || b[end] == '{')) {
      return -1;
    }
    found = k;
    return end;
  }

  /** The last body's line the last {@link #matchPlace} or {@link #find} found. */
  private int found;

  String foundName() {
    return last.names[found];
  }

  Labels foundLabels() {
    return last.labels[found];
  }

  /**
   * Whether the last body had a sample line whose series part is {@code [from, to)} of
   * {@code b}; then {@link #foundName()} and {@link #foundLabels()} are what it parsed to, and the
   * next lines are expected to follow it.
   */
  boolean find(byte[] b, int from, int to) {
    Lines l = last;
    if (l.count == 0) {
      return false;
    }
    if (index == null) {
      buildIndex();
    }
    int hash = hash(b, from, to);
    int mask = index.length - 1;
    int length = to - from;
    for (int i = hash & mask; ; i = (i + 1) & mask) {
      int j = index[i] - 1;
      if (j < 0) {
        return false;
      }
      if (l.hashes[j] == hash && l.ends[j] - l.starts[j] == length
          && Arrays.equals(lastBody, l.starts[j], l.ends[j], b, from, to)) {
        found = j;
        shift = j - next.count;
        return true;
      }
    }
  }

  private void buildIndex() {
    Lines l = last;
    int size = Integer.highestOneBit(Math.max(16, l.count) * 2 - 1) << 1;
    int[] table = new int[size];
    int mask = size - 1;
    for (int j = 0; j < l.count; j++) {
      if (l.names[j] == null || l.starts[j] < 0) {
        continue;
      }
      int h = hash(lastBody, l.starts[j], l.ends[j]);
      l.hashes[j] = h;
      int i = h & mask;
      while (table[i] != 0) {
        i = (i + 1) & mask;
      }
      table[i] = j + 1;
    }
    index = table;
  }

  /**
   * Records a sample line: its series part {@code [start, end)} (start -1 when it cannot be
   * compared next time), what it parsed to, and whether {@link #matchPlace} matched it.
   */
  void recordSample(int start, int end, String name, Labels set, boolean matched) {
    same &= matched;
    next.add(start, end, name, set);
  }

  /** Records a comment line {@code [start, end)}. */
  void recordComment(byte[] b, int start, int end) {
    int k = next.count;
    Lines l = last;
    if (same) {
      same = k < l.count && l.names[k] == null
          && Arrays.equals(lastBody, l.starts[k], l.ends[k], b, start, end);
    }
    next.add(start, end, null, null);
  }

  /** A sample of the body being recorded had a timestamp. */
  void sawTimestamp() {
    next.timestamps = true;
  }

  /** The body was parsed completely: it becomes the last body. */
  void finish() {
    unchanged = same && next.count == last.count && last.count > 0 && !next.timestamps && !last.timestamps;
    Lines t = last;
    last = next;
    next = t;
    lastBody = body;
    body = null;
    index = null;
    lastId = ++ids;
  }

  /**
   * Whether the body {@link #finish} took last had exactly the series, in the same order, and
   * the same comments as the body before it (whose id was {@code lastId() - 1}), none with a
   * timestamp.
   */
  boolean unchanged() {
    return unchanged;
  }

  /** The id of the body {@link #finish} took last; ids count up from 1. */
  int lastId() {
    return lastId;
  }

  private static int hash(byte[] b, int from, int to) {
    long h = to - from;
    int i = from;
    for (; i + 8 <= to; i += 8) {
      h = (h ^ (long) LONGS.get(b, i)) * 0x9E3779B97F4A7C15L;
      h ^= h >>> 29;
    }
    for (; i < to; i++) {
      h = (h ^ b[i]) * 0x9E3779B97F4A7C15L;
    }
    h ^= h >>> 32;
    return (int) h;
  }
}
