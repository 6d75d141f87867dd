package io.sluice.receiver.prometheus;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * The series a target serves, by the bytes of their sample lines' series part (metric name and
 * label set, {@code http_requests_total{code="200",method="GET"}}): a target writes the same
 * bytes scrape after scrape, so the parser finds the name and the {@link Labels} it made last
 * time instead of reading the label set again. The same objects then come back every scrape,
 * and what keys on them later (staleness, attributes) compares them by identity and finds their
 * hash computed.
 *
 * <p>Two ways to find a series. First by position: the last body is kept with where each of its
 * lines' series part lay, and a line is compared with the line at the same place last time (one
 * contiguous comparison, the usual case: a target writes its series in the same order every
 * time). Then, when that fails (a series came or went above it), by the bytes' hash in an
 * open-addressing table of copied keys, which starts over when it holds {@link #MAX_ENTRIES}.
 *
 * <p>When every line matched its place and no sample had a timestamp, the body served exactly
 * the series of the one before it ({@link #unchanged()}): the scrape loop then skips its
 * staleness bookkeeping. Not thread-safe: one per target, used by one scrape at a time.
 */
final class SeriesCache {
  static final int MAX_ENTRIES = 1 << 16;
  /** Longer series parts are not kept. */
  static final int MAX_KEY_LENGTH = 1024;

  private static final VarHandle LONGS = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private byte[][] keys;
  private int[] hashes;
  private String[] names;
  private Labels[] labels;
  private int mask;
  private int size;

  // The lines of the last completely parsed body (non-empty lines, in order): where each line's
  // compared part lies in it, and the name and labels of sample lines (null for comments).
  private Lines last = new Lines();
  private Lines next = new Lines();
  private byte[] lastBody;
  private byte[] body;
  /** Whether every line so far matched the line at its place in the last body. */
  private boolean same;
  private boolean unchanged;
  private int lastId;
  private int ids;

  /** Line records of one body. */
  private static final class Lines {
    int[] starts = new int[64];
    int[] ends = new int[64];
    String[] names = new String[64];
    Labels[] labels = new Labels[64];
    int count;
    boolean timestamps;

    void add(int start, int end, String name, Labels set) {
      if (count == starts.length) {
        int n = count * 2;
        starts = Arrays.copyOf(starts, n);
        ends = Arrays.copyOf(ends, n);
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

  SeriesCache() {
    allocate(64);
  }

  private void allocate(int slots) {
    keys = new byte[slots][];
    hashes = new int[slots];
    names = new String[slots];
    labels = new Labels[slots];
    mask = slots - 1;
    size = 0;
  }

  /** Starts recording the lines of a body (the array is kept: do not change it). */
  void begin(byte[] b) {
    body = b;
    next.clear();
    same = true;
    unchanged = false;
  }

  /**
   * Where the series part of the sample line at {@code pos} ends, when it is the same as that
   * of the line at its place in the last body; else -1. Then {@link #placedName()} and
   * {@link #placedLabels()} are what it parsed to.
   */
  int matchPlace(byte[] b, int pos, int lineEnd) {
    int k = next.count;
    Lines l = last;
    if (k >= l.count || l.names[k] == null || l.starts[k] < 0) {
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
    return end;
  }

  String placedName() {
    return last.names[next.count];
  }

  Labels placedLabels() {
    return last.labels[next.count];
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

  /** The hash {@link #find} and {@link #put} take for the key {@code [from, to)}. */
  static int hash(byte[] b, int from, int to) {
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

  /** The slot of the key {@code [from, to)} with that hash, or -1; read it with {@link #name} and {@link #labels}. */
  int find(byte[] b, int from, int to, int hash) {
    int length = to - from;
    int m = mask;
    for (int i = hash & m; ; i = (i + 1) & m) {
      byte[] k = keys[i];
      if (k == null) {
        return -1;
      }
      if (hashes[i] == hash && k.length == length && Arrays.equals(k, 0, length, b, from, to)) {
        return i;
      }
    }
  }

  String name(int slot) {
    return names[slot];
  }

  Labels labels(int slot) {
    return labels[slot];
  }

  /** Remembers what the key {@code [from, to)} (not in the table) parsed to. */
  void put(byte[] b, int from, int to, int hash, String name, Labels set) {
    if (to - from > MAX_KEY_LENGTH) {
      return;
    }
    if (size >= MAX_ENTRIES) {
      allocate(64);
    } else if (2 * (size + 1) > keys.length) {
      grow();
    }
    int i = hash & mask;
    while (keys[i] != null) {
      i = (i + 1) & mask;
    }
    keys[i] = Arrays.copyOfRange(b, from, to);
    hashes[i] = hash;
    names[i] = name;
    labels[i] = set;
    size++;
  }

  /** How many series it holds; for tests. */
  int size() {
    return size;
  }

  private void grow() {
    byte[][] oldKeys = keys;
    int[] oldHashes = hashes;
    String[] oldNames = names;
    Labels[] oldLabels = labels;
    int n = size;
    allocate(oldKeys.length * 2);
    for (int j = 0; j < oldKeys.length; j++) {
      if (oldKeys[j] != null) {
        int i = oldHashes[j] & mask;
        while (keys[i] != null) {
          i = (i + 1) & mask;
        }
        keys[i] = oldKeys[j];
        hashes[i] = oldHashes[j];
        names[i] = oldNames[j];
        labels[i] = oldLabels[j];
      }
    }
    size = n;
  }
}
