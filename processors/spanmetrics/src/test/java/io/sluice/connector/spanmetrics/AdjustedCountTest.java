package io.sluice.connector.spanmetrics;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdjustedCountTest {
  @Test
  void thresholdsArePaddedToFourteenHexDigits() {
    assertThat(AdjustedCount.threshold("ot=th:8")).isEqualTo(1L << 55);
    assertThat(AdjustedCount.threshold("ot=th:c")).isEqualTo(3L << 54);
    assertThat(AdjustedCount.threshold("ot=th:0")).isZero();
    assertThat(AdjustedCount.threshold("ot=th:fffffffffffff")).isEqualTo(0xfffffffffffff0L);
    assertThat(AdjustedCount.threshold("vendor=x, ot=rv:0123456789abcd;th:8 ,other=y")).isEqualTo(1L << 55);
  }

  @Test
  void malformedOrMissingThresholdsAreNone() {
    assertThat(AdjustedCount.threshold("")).isEqualTo(-1);
    assertThat(AdjustedCount.threshold("vendor=x")).isEqualTo(-1);
    assertThat(AdjustedCount.threshold("ot=rv:0123456789abcd")).isEqualTo(-1);
    assertThat(AdjustedCount.threshold("ot=th:123456789abcdef")).as("15 digits").isEqualTo(-1);
    assertThat(AdjustedCount.threshold("ot=th:")).isEqualTo(-1);
    assertThat(AdjustedCount.threshold("ot=th:8g")).isEqualTo(-1);
    assertThat(AdjustedCount.threshold("ot=th:8;rv:12")).as("short rv").isEqualTo(-1);
    assertThat(AdjustedCount.threshold("ot=th:8,ot=th:4")).as("ot twice").isEqualTo(-1);
    assertThat(AdjustedCount.threshold("ot=Th:8")).as("uppercase key").isEqualTo(-1);
  }

  @Test
  void aSpanSampledAtOneInFourCountsFour() {
    AdjustedCount c = new AdjustedCount(1);
    assertThat(c.count("ot=th:c")).isEqualTo(4);
    assertThat(c.adjusted()).isTrue();
    assertThat(c.count("ot=th:8")).isEqualTo(2);
    assertThat(c.count("ot=th:0")).isEqualTo(1);
    assertThat(c.adjusted()).isTrue();
    assertThat(c.count("")).isEqualTo(1);
    assertThat(c.adjusted()).isFalse();
    assertThat(c.count("ot=th:zz")).isEqualTo(1);
    assertThat(c.adjusted()).isFalse();
  }

  @Test
  void fractionalCountsRoundAtRandomToTheRightMean() {
    // th:9999999999999a keeps 2^56 - 0x9999999999999a = 0x66666666666666 in 2^56, i.e. 0.4 of the
    // spans: each counts 2.5 on average, 2 or 3 with about even odds.
    AdjustedCount c = new AdjustedCount(42);
    long total = 0;
    long threes = 0;
    int spans = 30_000;
    for (int i = 0; i < spans; i++) {
      long n = c.count("ot=th:9999999999999a");
      assertThat(n).isBetween(2L, 3L);
      total += n;
      threes += n == 3 ? 1 : 0;
    }
    assertThat(threes).isBetween(14_000L, 16_000L);
    assertThat((double) total / spans).isCloseTo(2.5, org.assertj.core.data.Offset.offset(0.02));
  }
}
