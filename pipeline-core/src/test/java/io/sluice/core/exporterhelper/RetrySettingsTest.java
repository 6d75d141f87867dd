package io.sluice.core.exporterhelper;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetrySettingsTest {

  @Test
  void delaysGrowByTheMultiplierUpToTheMaximumSpreadByTheRandomizationFactor() {
    RetrySettings r = new RetrySettings(true, Duration.ofMillis(100), 0.5, 2, Duration.ofSeconds(1),
        Duration.ofMinutes(1));
    for (int i = 0; i < 200; i++) {
      assertThat(r.delayMillis(0)).isBetween(50L, 151L);
      assertThat(r.delayMillis(2)).isBetween(200L, 601L);
      assertThat(r.delayMillis(10)).isBetween(500L, 1501L);
    }
    RetrySettings exact = new RetrySettings(true, Duration.ofMillis(100), 0, 1.5, Duration.ofSeconds(30),
        Duration.ZERO);
    assertThat(exact.delayMillis(0)).isEqualTo(100);
    assertThat(exact.delayMillis(1)).isEqualTo(150);
  }
}
