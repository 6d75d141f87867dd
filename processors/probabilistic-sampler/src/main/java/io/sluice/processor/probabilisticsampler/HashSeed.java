package io.sluice.processor.probabilisticsampler;

/**
 * The {@code hash_seed} mode's arithmetic, which makes the same decisions as the Collector's
 * processor for the same seed and keys: a 32-bit FNV-1a hash of the seed (4 bytes, little-endian)
 * followed by the key (a trace ID's 16 bytes, or an attribute's bytes), whose low 14 bits are
 * compared with the percentage scaled to 2^14 in single precision.
 *
 * <p>The decision is also expressed in consistent-sampling terms, so that kept items can carry it
 * in their tracestate: the threshold {@code (2^14 - scaled) << 42} and a 56-bit randomness whose
 * top 14 bits are {@code 2^14 - 1 - h14}, so that {@code R >= T} exactly when {@code h14 < scaled}.
 */
final class HashSeed {
  private HashSeed() {}

  private static final int FNV_OFFSET = 0x811C9DC5;
  private static final int FNV_PRIME = 0x01000193;
  private static final int BUCKETS = 1 << 14;
  private static final int BUCKET_MASK = BUCKETS - 1;
  /** 2^14 / 100 as a float, as the scaling has always been computed. */
  private static final float PERCENT_SCALE = BUCKETS / 100.0f;

  /** FNV-1a (32 bits) over the seed's four little-endian bytes, then {@code key[off, off + len)}. */
  static int hash(int seed, byte[] key, int off, int len) {
    int h = FNV_OFFSET;
    for (int i = 0; i < 4; i++) {
      h = (h ^ ((seed >>> (8 * i)) & 0xFF)) * FNV_PRIME;
    }
    for (int i = off, end = off + len; i < end; i++) {
      h = (h ^ (key[i] & 0xFF)) * FNV_PRIME;
    }
    return h;
  }

  /**
   * The percentage scaled to the 2^14 hash buckets: {@code pct * 163.84} computed in single
   * precision and truncated, with percentages over 100 taken as 100. An item is kept when the low
   * 14 bits of its hash are below this; 0 keeps nothing, 16384 everything.
   */
  static int scaledRate(float percent) {
    float pct = Math.min(percent, 100f);
    float scaled = pct * PERCENT_SCALE;
    return scaled <= 0 ? 0 : (int) scaled;
  }

  /** The threshold equal to keeping {@code scaledRate} of the 2^14 buckets. */
  static long threshold(int scaledRate) {
    return (long) (BUCKETS - scaledRate) << 42;
  }

  /**
   * The 56-bit randomness of a hash: from the top, 14 bits of {@code 2^14 - 1 - h14}, 28 bits
   * mixed from the hash's top 14 bits, and {@code h14} itself.
   */
  static long randomness(int hash) {
    long h14 = hash & BUCKET_MASK;
    long top14 = (hash >>> 18) & BUCKET_MASK;
    long mixed = top14 ^ (top14 << 10);
    return ((BUCKET_MASK - h14) << 42) | (mixed << 14) | h14;
  }
}
