package io.sluice.receiver.prometheus;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * A small direct-mapped cache from byte slices to Strings, so that the names and label values that
 * repeat on every line (and on every scrape of a target, when the cache is kept per target) are
 * decoded once. A slot holds the last string that hashed to it; collisions simply replace it.
 * Not thread-safe: one cache per parser or per target.
 */
final class StringCache {
  /** Longer slices are decoded without caching. */
  static final int MAX_LENGTH = 96;

  private final byte[][] keys;
  private final String[] values;
  private final int mask;

  /** @param slots rounded up to a power of two */
  StringCache(int slots) {
    int size = Integer.highestOneBit(Math.max(16, slots - 1) << 1);
    keys = new byte[size][];
    values = new String[size];
    mask = size - 1;
  }

  /** The string of the UTF-8 bytes {@code [from, to)} of {@code b}. */
  String get(byte[] b, int from, int to) {
    int length = to - from;
    if (length > MAX_LENGTH) {
      return new String(b, from, length, StandardCharsets.UTF_8);
    }
    int h = length;
    for (int i = from; i < to; i++) {
      h = 31 * h + b[i];
    }
    int slot = (h ^ (h >>> 15)) & mask;
    byte[] key = keys[slot];
    if (key != null && key.length == length && Arrays.equals(key, 0, length, b, from, to)) {
      return values[slot];
    }
    String value = new String(b, from, length, StandardCharsets.UTF_8);
    keys[slot] = Arrays.copyOfRange(b, from, to);
    values[slot] = value;
    return value;
  }
}
