package io.sluice.receiver.prometheus;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A direct-mapped cache from byte slices to Strings, so that the names and label values that
 * repeat on every line (and on every scrape of a target, when the cache is kept per target) are
 * decoded once, and are the same String objects from scrape to scrape: later maps and caches
 * then hash them once and compare them by identity. A string has two possible slots; when both
 * hold others, it replaces the second. A cache kept per target grows (see {@link #endOfScrape}) while
 * collisions keep replacing strings, up to {@link #MAX_SLOTS}.
 * Not thread-safe: one cache per parser or per target.
 */
final class StringCache {
  /** Longer slices are decoded without caching. */
  static final int MAX_LENGTH = 96;
  static final int MAX_SLOTS = 1 << 16;

  private final SeriesCache series = new SeriesCache();
  private byte[][] keys;
  private String[] values;
  private int mask;
  /** Strings replaced by a colliding one since the last {@link #endOfScrape}. */
  private int evictions;

  /** @param slots rounded up to a power of two */
  StringCache(int slots) {
    int size = Integer.highestOneBit(Math.max(16, slots - 1) << 1);
    keys = new byte[size][];
    values = new String[size];
    mask = size - 1;
  }

  /** The series a target's parser has seen, kept with its strings. */
  SeriesCache series() {
    return series;
  }

  /** Slots now; for tests. */
  int slots() {
    return keys.length;
  }

  /**
   * Called after each scrape: when more than one string in 32 slots was pushed out by another
   * one, the table doubles (keeping what it holds), so that a target's strings settle.
   */
  void endOfScrape() {
    if (evictions > keys.length / 32 && keys.length < MAX_SLOTS) {
      byte[][] oldKeys = keys;
      String[] oldValues = values;
      keys = new byte[oldKeys.length * 2][];
      values = new String[oldKeys.length * 2];
      mask = keys.length - 1;
      for (int i = 0; i < oldKeys.length; i++) {
        byte[] k = oldKeys[i];
        if (k != null) {
          int h = mix(hash(k, 0, k.length));
          int slot = keys[h & mask] == null ? h & mask : (h >>> 16 | h << 16) & mask;
          keys[slot] = k;
          values[slot] = oldValues[i];
        }
      }
    }
    evictions = 0;
  }

  private static int hash(byte[] b, int from, int to) {
    int h = to - from;
    for (int i = from; i < to; i++) {
      h = 31 * h + b[i];
    }
    return h;
  }

  private static int mix(int h) {
    h *= 0x9E3779B9;
    return h ^ (h >>> 15);
  }

  /** The string of the UTF-8 bytes {@code [from, to)} of {@code b}. */
  String get(byte[] b, int from, int to) {
    int length = to - from;
    if (length > MAX_LENGTH) {
      return new String(b, from, length, StandardCharsets.UTF_8);
    }
    int h = mix(hash(b, from, to));
    int slot = h & mask;
    byte[] key = keys[slot];
    if (key != null && key.length == length && Arrays.equals(key, 0, length, b, from, to)) {
      return values[slot];
    }
    // the second place a string may be (two ways: strings used together rarely push each other out)
    int other = (h >>> 16 | h << 16) & mask;
    byte[] otherKey = keys[other];
    if (otherKey != null && otherKey.length == length && Arrays.equals(otherKey, 0, length, b, from, to)) {
      return values[other];
    }
    if (key != null) {
      if (otherKey == null) {
        slot = other;
      } else {
        evictions++;
      }
    }
    String value = new String(b, from, length, StandardCharsets.UTF_8);
    keys[slot] = Arrays.copyOfRange(b, from, to);
    values[slot] = value;
    return value;
  }
}
