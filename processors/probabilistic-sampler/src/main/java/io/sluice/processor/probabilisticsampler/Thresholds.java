package io.sluice.processor.probabilisticsampler;

/**
 * The numbers of consistent probability sampling: 56-bit thresholds (T) and randomness values
 * (R), their tracestate encodings ({@code th} and {@code rv}), and the conversion of a sampling
 * probability into a threshold at a given precision.
 *
 * <p>A threshold is the count, out of 2^56, of randomness values that are not sampled: an item is
 * kept when {@code R >= T}. {@link #ALWAYS} (0) keeps everything, {@link #NEVER} (2^56) nothing;
 * the probability of a threshold is {@code (2^56 - T) / 2^56}. Both fit in a non-negative
 * {@code long}, so plain comparisons work.
 */
final class Thresholds {
  private Thresholds() {}

  /** 2^56: the number of randomness values, and the threshold that samples nothing. */
  static final long NEVER = 1L << 56;
  /** The threshold that samples everything; encoded as {@code th:0}. */
  static final long ALWAYS = 0;
  /** The largest randomness value, which every threshold below {@link #NEVER} samples. */
  static final long MAX_RANDOMNESS = NEVER - 1;
  /** Hex digits of a full threshold or randomness value. */
  static final int DIGITS = 14;
  /** The smallest probability a threshold can express, 2^-56. */
  static final double MIN_PROBABILITY = 0x1p-56;

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  /** True when the item with randomness {@code r} is kept at threshold {@code t}. */
  static boolean samples(long t, long r) {
    return t <= r;
  }

  /** The randomness of a trace ID: its low 56 bits, read big-endian from bytes 9 to 15. */
  static long traceIdRandomness(byte[] id, int off) {
    long r = 0;
    for (int i = 9; i < 16; i++) {
      r = (r << 8) | (id[off + i] & 0xFF);
    }
    return r;
  }

  /**
   * Parses a {@code th} value: 1 to 14 hex digits, the rest of the 14 taken as zeros
   * ({@code 8} is 0x80000000000000, 50%). Upper-case digits are read as well.
   *
   * @return the threshold, or -1 when the value is empty, longer than 14 digits or not hex
   */
  static long parseThreshold(byte[] b, int off, int len) {
    if (len < 1 || len > DIGITS) {
      return -1;
    }
    long v = hex(b, off, len);
    return v < 0 ? -1 : v << (4 * (DIGITS - len));
  }

  /**
   * Parses an {@code rv} value: exactly 14 hex digits.
   *
   * @return the randomness, or -1 when the value is not 14 hex digits
   */
  static long parseRandomness(byte[] b, int off, int len) {
    return len == DIGITS ? hex(b, off, len) : -1;
  }

  private static long hex(byte[] b, int off, int len) {
    long v = 0;
    for (int i = off, end = off + len; i < end; i++) {
      int d = Character.digit(b[i], 16);
      if (d < 0) {
        return -1;
      }
      v = (v << 4) | d;
    }
    return v;
  }

  /**
   * The {@code th} encoding of a threshold: {@code 0} for {@link #ALWAYS}, else its 14 lower-case
   * hex digits without the trailing zeros; empty for {@link #NEVER}, which has no encoding.
   */
  static String encodeThreshold(long t) {
    if (t == ALWAYS) {
      return "0";
    } else if (t >= NEVER || t < 0) {
      return "";
    }
    char[] digits = digits(t);
    int n = DIGITS;
    while (digits[n - 1] == '0') {
      n--;
    }
    return new String(digits, 0, n);
  }

  /** The {@code rv} encoding of a randomness value: exactly 14 lower-case hex digits. */
  static String encodeRandomness(long r) {
    return new String(digits(r));
  }

  private static char[] digits(long v) {
    char[] out = new char[DIGITS];
    for (int i = DIGITS - 1; i >= 0; i--) {
      out[i] = HEX[(int) (v & 0xF)];
      v >>>= 4;
    }
    return out;
  }

  /** The sampling probability of a threshold below {@link #NEVER}. */
  static double probability(long t) {
    return (double) (NEVER - t) / (double) NEVER;
  }

  /**
   * The threshold that samples with probability {@code p}, rounded to {@code precision} hex
   * digits (1 to 14). The precision is raised near 0% and 100%, by one digit for every leading
   * {@code 0} or {@code f} the exact threshold would have, so that small probabilities and small
   * complements keep their relative accuracy: 1% at precision 4 is {@code fd70a4}, not
   * {@code fd71}.
   *
   * @return the threshold, or -1 when {@code p} is outside [2^-56, 1]
   */
  static long fromProbability(double p, int precision) {
    if (!(p >= MIN_PROBABILITY && p <= 1)) {
      return -1;
    }
    if (p == 1) {
      return ALWAYS;
    }
    // The binary exponent e of x = m * 2^e with m in [0.5, 1): every 4 below zero is a leading
    // hex 0 of p (or f of the threshold when 1 - p is small) that costs no precision.
    int raiseForP = frexpExponent(p) / -4;
    int raiseForComplement = frexpExponent(1 - p) / -4;
    int digits = Math.min(DIGITS, Math.max(precision + raiseForP, precision + raiseForComplement));
    long t = NEVER - Math.round(p * 0x1p56);
    int shift = 4 * (DIGITS - digits);
    if (shift != 0) {
      t += 1L << (shift - 1);
      t >>>= shift;
      t <<= shift;
    }
    return t;
  }

  /** The exponent e with {@code x = m * 2^e}, m in [0.5, 1), of a positive normal double. */
  private static int frexpExponent(double x) {
    return Math.getExponent(x) + 1;
  }
}
