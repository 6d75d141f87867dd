package io.sluice.connector.spanmetrics;

/**
 * The bucket index of a value in an OTLP base-2 exponential histogram, as the OpenTelemetry
 * metrics data model defines it.
 *
 * <p>At scale {@code s} the base is {@code 2^(2^-s)}, and bucket {@code i} holds the values in
 * {@code (base^i, base^(i+1)]}: upper bounds are inclusive, so every exact power of the base is the
 * last value of its bucket. Index computation:
 *
 * <ul>
 *   <li>Scale ≤ 0: from the value's binary exponent alone. With {@code e} the exponent of the
 *       double ({@code value = m * 2^e}, {@code 1 <= m < 2}), {@code i = (e - c) >> -s}, where
 *       {@code c} is 1 for an exact power of two (whose mantissa bits are all zero) and 0 otherwise;
 *       the arithmetic shift divides rounding towards negative infinity.
 *   <li>Scale &gt; 0: an exact power of two {@code 2^e} is {@code (e << s) - 1}; any other value is
 *       {@code floor(ln(value) * 2^s / ln 2)}, which equals the definition's
 *       {@code ceil(log_base(value)) - 1} because the logarithm of a value that is not an exact
 *       power of the base is not an integer. Near a bucket boundary the logarithm's last-bit
 *       rounding may put a value into the neighbouring bucket, which the data model allows.
 *   <li>Values below the smallest normal double ({@code 2^-1022}) map to the bucket that holds
 *       {@code 2^-1022}; values above the largest bucket's lower bound map to the last bucket.
 * </ul>
 *
 * Scales range from {@link #MIN_SCALE} to {@link #MAX_SCALE}, where every finite double still has
 * an index that fits an {@code int}.
 */
final class Base2Exponential {
  static final int MAX_SCALE = 20;
  static final int MIN_SCALE = -10;

  private static final int MANTISSA_BITS = 52;
  private static final long MANTISSA_MASK = (1L << MANTISSA_BITS) - 1;
  private static final int MIN_NORMAL_EXPONENT = Double.MIN_EXPONENT; // -1022
  private static final int MAX_NORMAL_EXPONENT = Double.MAX_EXPONENT; // 1023
  /** log2(e), the double nearest to 1 / ln 2. */
  private static final double LOG2_E = 1.4426950408889634;

  private Base2Exponential() {}

  /** The index of the bucket holding {@code value} (finite, above 0) at {@code scale}. */
  static int index(double value, int scale) {
    if (scale <= 0) {
      return indexByExponent(value, -scale);
    }
    if (value < Double.MIN_NORMAL) {
      return (MIN_NORMAL_EXPONENT << scale) - 1;
    }
    int exponent = Math.getExponent(value);
    if ((Double.doubleToRawLongBits(value) & MANTISSA_MASK) == 0) {
      return (exponent << scale) - 1;
    }
    int i = (int) Math.floor(Math.log(value) * Math.scalb(LOG2_E, scale));
    int max = ((MAX_NORMAL_EXPONENT + 1) << scale) - 1;
    return Math.min(i, max);
  }

  private static int indexByExponent(double value, int shift) {
    if (value < Double.MIN_NORMAL) {
      return (MIN_NORMAL_EXPONENT - 1) >> shift;
    }
    int exponent = Math.getExponent(value);
    int correction = (Double.doubleToRawLongBits(value) & MANTISSA_MASK) == 0 ? 1 : 0;
    return (exponent - correction) >> shift;
  }

  /** The lower bound of bucket {@code index} at {@code scale} (exclusive): {@code base^index}. */
  static double lowerBound(int index, int scale) {
    if (scale <= 0) {
      return Math.scalb(1.0, index << -scale);
    }
    return Math.exp(index * Math.scalb(Math.log(2), -scale));
  }
}
