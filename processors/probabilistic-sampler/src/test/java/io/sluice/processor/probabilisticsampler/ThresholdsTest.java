package io.sluice.processor.probabilisticsampler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ThresholdsTest {
  @Test
  void decodesThresholdsByPaddingToFourteenDigits() {
    assertThat(th("0")).isZero();
    // 8 -> 0x80000000000000 = 2^55: half of the 2^56 values are below it, so 50%.
    assertThat(th("8")).isEqualTo(1L << 55);
    assertThat(Thresholds.probability(th("8"))).isEqualTo(0.5);
    // c -> 0xc0000000000000 = 3 * 2^54: 25% of the values are at or above it.
    assertThat(th("c")).isEqualTo(3L << 54);
    assertThat(Thresholds.probability(th("c"))).isEqualTo(0.25);
    // fd70a4 -> 0xfd70a400000000: (0x1000000 - 0xfd70a4) / 0x1000000 = 167772 / 16777216, about 1%.
    assertThat(th("fd70a4")).isEqualTo(0xfd70a4L << 32);
    assertThat(Thresholds.probability(th("fd70a4"))).isEqualTo(167772.0 / 16777216.0);
    assertThat(th("ffffffffffffff")).isEqualTo((1L << 56) - 1);
    // A trailing zero changes nothing; upper-case digits are read.
    assertThat(th("80")).isEqualTo(th("8"));
    assertThat(th("C")).isEqualTo(th("c"));
  }

  @Test
  void refusesEmptyLongAndNonHexThresholds() {
    assertThat(th("")).isEqualTo(-1);
    assertThat(th("123456789abcdef")).isEqualTo(-1);
    assertThat(th("g")).isEqualTo(-1);
    assertThat(th("8.")).isEqualTo(-1);
    assertThat(th("-8")).isEqualTo(-1);
  }

  @Test
  void encodesThresholdsWithoutTrailingZeros() {
    assertThat(Thresholds.encodeThreshold(0)).isEqualTo("0");
    assertThat(Thresholds.encodeThreshold(1L << 55)).isEqualTo("8");
    assertThat(Thresholds.encodeThreshold(3L << 54)).isEqualTo("c");
    assertThat(Thresholds.encodeThreshold(0xfd70a4L << 32)).isEqualTo("fd70a4");
    assertThat(Thresholds.encodeThreshold(1)).isEqualTo("00000000000001");
    assertThat(Thresholds.encodeThreshold(Thresholds.NEVER)).isEmpty();
  }

  @Test
  void randomnessIsExactlyFourteenHexDigits() {
    byte[] rv = "85801d4b531e9f".getBytes(StandardCharsets.US_ASCII);
    assertThat(Thresholds.parseRandomness(rv, 0, rv.length)).isEqualTo(0x85801d4b531e9fL);
    assertThat(Thresholds.encodeRandomness(0x85801d4b531e9fL)).isEqualTo("85801d4b531e9f");
    assertThat(Thresholds.encodeRandomness(0x1f)).isEqualTo("0000000000001f");
    byte[] shorter = "85801d4b531e9".getBytes(StandardCharsets.US_ASCII);
    assertThat(Thresholds.parseRandomness(shorter, 0, shorter.length)).isEqualTo(-1);
  }

  @Test
  void traceIdRandomnessIsTheLowFiftySixBits() {
    byte[] id = {(byte) 0xff, 1, 2, 3, 4, 5, 6, 7, (byte) 0xee, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
    // Bytes 9 to 15, big-endian: byte 8 (0xee) is left out.
    assertThat(Thresholds.traceIdRandomness(id, 0)).isEqualTo(0x11223344556677L);
  }

  @Test
  void probabilitiesBecomeThresholdsRoundedToThePrecision() {
    assertThat(Thresholds.fromProbability(1, 4)).isZero();
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.5, 4))).isEqualTo("8");
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.25, 4))).isEqualTo("c");
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.125, 4))).isEqualTo("e");
    // 1/3: T = 2^56 - round(2^56 / 3) = 0xaaaaaaaaaaaaab; 4 digits round the fifth (a) up.
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(1.0 / 3, 4))).isEqualTo("aaab");
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(1.0 / 3, 1))).isEqualTo("b");
    // 10%: 0xe6666666666666; the fifth digit (6) rounds down.
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.1, 4))).isEqualTo("e666");
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.1, 14))).isEqualTo("e6666666666666");
  }

  @Test
  void precisionIsRaisedNearZeroAndOneHundredPercent() {
    // 1% = 0.64 * 2^-6: one leading hex digit is free, so 5 digits: 0xfd70a3d70a3d71 -> fd70a.
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.01, 4))).isEqualTo("fd70a");
    // 0.1% = 0.512 * 2^-9: two more digits: 0xffbe76c8b43958 -> ffbe77.
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.001, 4))).isEqualTo("ffbe77");
    // 99.9%: the complement 0.001 earns the same two digits: 0x004189374bc6a8 -> 004189.
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.999, 4))).isEqualTo("004189");
    // 0.01% at precision 2: 0.8192 * 2^-13, three more digits: fff97.
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.0001, 2))).isEqualTo("fff97");
    // 99.99999% at precision 3: the complement 1e-7 is 0.8389 * 2^-23, five more digits.
    assertThat(Thresholds.encodeThreshold(Thresholds.fromProbability(0.9999999, 3))).isEqualTo("000001ad");
    // The smallest probability, 2^-56, is the largest threshold.
    assertThat(Thresholds.fromProbability(0x1p-56, 4)).isEqualTo((1L << 56) - 1);
  }

  @Test
  void probabilitiesOutsideTheRangeHaveNoThreshold() {
    assertThat(Thresholds.fromProbability(0x1p-57, 4)).isEqualTo(-1);
    assertThat(Thresholds.fromProbability(0, 4)).isEqualTo(-1);
    assertThat(Thresholds.fromProbability(1.0000001, 4)).isEqualTo(-1);
    assertThat(Thresholds.fromProbability(Double.NaN, 4)).isEqualTo(-1);
  }

  private static long th(String s) {
    byte[] b = s.getBytes(StandardCharsets.US_ASCII);
    return Thresholds.parseThreshold(b, 0, b.length);
  }
}
