package io.sluice.processor.probabilisticsampler;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class HashSeedTest {
  private static final byte[] TRACE_ID = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

  @Test
  void hashIsFnv1aOverTheSeedsLittleEndianBytesThenTheKey() {
    // FNV-1a of four zero bytes, of four zero bytes and "foobar", and of "abcd".
    assertThat(HashSeed.hash(0, new byte[0], 0, 0)).isEqualTo(0x4b95f515);
    byte[] foobar = "foobar".getBytes(StandardCharsets.US_ASCII);
    assertThat(HashSeed.hash(0, foobar, 0, foobar.length)).isEqualTo(0xe2c86f18);
    // Seed 0x64636261 is the bytes 61 62 63 64 ("abcd") in little-endian order.
    assertThat(HashSeed.hash(0x64636261, new byte[0], 0, 0)).isEqualTo(0xce3479bd);
    assertThat(HashSeed.hash(42, TRACE_ID, 0, 16)).isEqualTo(0x75339e9f);
  }

  @Test
  void percentagesAreScaledInSinglePrecisionAndTruncated() {
    // 100 * 163.84f = 16383.9996... which rounds to the float 16384.0.
    assertThat(HashSeed.scaledRate(100)).isEqualTo(16384);
    assertThat(HashSeed.scaledRate(150)).isEqualTo(16384);
    // 50 * 163.84f = 8191.9998... rounds to 8192.0.
    assertThat(HashSeed.scaledRate(50)).isEqualTo(8192);
    assertThat(HashSeed.scaledRate(12.5f)).isEqualTo(2048);
    assertThat(HashSeed.scaledRate(10)).isEqualTo(1638);
    // 163.84f is 163.83999633..., truncated.
    assertThat(HashSeed.scaledRate(1)).isEqualTo(163);
    // 33.3f = 33.29999923...; times 163.84f = 5455.87...
    assertThat(HashSeed.scaledRate(33.3f)).isEqualTo(5455);
    assertThat(HashSeed.scaledRate(99.99f)).isEqualTo(16382);
    assertThat(HashSeed.scaledRate(0.1f)).isEqualTo(16);
    assertThat(HashSeed.scaledRate(0.01f)).isEqualTo(1);
    // 25/4096 % (exactly one bucket in real numbers): the product 0.99999997... rounds to 1.0f.
    assertThat(HashSeed.scaledRate(0.006103515625f)).isEqualTo(1);
    // Just below one bucket truncates to none.
    assertThat(HashSeed.scaledRate(0.0061f)).isZero();
    assertThat(HashSeed.scaledRate(0.006f)).isZero();
    assertThat(HashSeed.scaledRate(0)).isZero();
  }

  @Test
  void thresholdRejectsTheBucketsNotKept() {
    assertThat(HashSeed.threshold(16384)).isZero();
    assertThat(Thresholds.encodeThreshold(HashSeed.threshold(8192))).isEqualTo("8");
    // 10%: 16384 - 1638 = 14746 = 0x399a, shifted by 42 bits: 0xe6680000000000.
    assertThat(Thresholds.encodeThreshold(HashSeed.threshold(1638))).isEqualTo("e668");
    assertThat(HashSeed.threshold(1)).isEqualTo(16383L << 42);
  }

  @Test
  void randomnessMakesTheThresholdComparisonTheBucketComparison() {
    int hash = 0x75339e9f;
    // h14 = 0x1e9f = 7839; the top 14 bits are 0x1d4c, mixed into 0x1d4c ^ (0x1d4c << 10) = 0x752d4c:
    // (16383 - 7839) << 42 | 0x752d4c << 14 | 7839 = 0x85801d4b531e9f.
    long r = HashSeed.randomness(hash);
    assertThat(Thresholds.encodeRandomness(r)).isEqualTo("85801d4b531e9f");
    assertThat(r >>> 42).isEqualTo(16383 - 7839);
    assertThat(r & 0x3fff).isEqualTo(7839);
    // Kept when h14 < scaled: at 7840 buckets, not at 7839.
    assertThat(Thresholds.samples(HashSeed.threshold(7840), r)).isTrue();
    assertThat(Thresholds.samples(HashSeed.threshold(7839), r)).isFalse();
    for (int h14 = 0; h14 < 16384; h14 += 97) {
      long rh = HashSeed.randomness(0xabc00000 | h14);
      for (int scaled : new int[] {1, 163, 1638, 8192, 16383, 16384}) {
        assertThat(Thresholds.samples(HashSeed.threshold(scaled), rh)).as("h14 %d, scaled %d", h14, scaled)
            .isEqualTo(h14 < scaled);
      }
    }
  }
}
