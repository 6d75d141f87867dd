package io.sluice.exporter.prometheusremotewrite;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;

/**
 * The UTF-8 bytes of label names and values, kept between requests: the same names and most
 * values come back in every scrape, and measuring and encoding them is a large share of building
 * a request. Bounded: when it holds {@link #LIMIT} strings it starts over. Confined to the
 * exporter's context.
 */
final class Utf8Cache {
  static final int LIMIT = 1 << 20;

  private HashMap<String, byte[]> bytes = new HashMap<>(1 << 12);

  /** {@code s} in UTF-8; the array is shared, never change it. */
  byte[] of(String s) {
    byte[] b = bytes.get(s);
    if (b == null) {
      if (bytes.size() >= LIMIT) {
        bytes = new HashMap<>(1 << 12);
      }
      b = s.getBytes(StandardCharsets.UTF_8);
      bytes.put(s, b);
    }
    return b;
  }

  /** How many strings it holds now. */
  int size() {
    return bytes.size();
  }
}
