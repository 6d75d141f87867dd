package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class GoDurationsTest {
  @Test
  void parsesGoDurations() {
    assertThat(GoDurations.parse("5s")).isEqualTo(Duration.ofSeconds(5));
    assertThat(GoDurations.parse("200ms")).isEqualTo(Duration.ofMillis(200));
    assertThat(GoDurations.parse("1m30s")).isEqualTo(Duration.ofSeconds(90));
    assertThat(GoDurations.parse("1h")).isEqualTo(Duration.ofHours(1));
    assertThat(GoDurations.parse("500us")).isEqualTo(Duration.ofNanos(500_000));
    assertThat(GoDurations.parse("500µs")).isEqualTo(Duration.ofNanos(500_000));
    assertThat(GoDurations.parse("10ns")).isEqualTo(Duration.ofNanos(10));
    assertThat(GoDurations.parse("0s")).isZero();
    assertThat(GoDurations.parse("0")).isZero();
    assertThat(GoDurations.parse("1d")).as("Prometheus' day").isEqualTo(Duration.ofHours(24));
    assertThat(GoDurations.parse("1d12h")).isEqualTo(Duration.ofHours(36));
    assertThat(GoDurations.parse("2w")).isEqualTo(Duration.ofDays(14));
    assertThat(GoDurations.parse("1y")).isEqualTo(Duration.ofDays(365));
    assertThat(GoDurations.parse("1.5h")).isEqualTo(Duration.ofMinutes(90));
    assertThat(GoDurations.parse(".5s")).isEqualTo(Duration.ofMillis(500));
    assertThat(GoDurations.parse("-2s")).isEqualTo(Duration.ofSeconds(-2));
    assertThat(GoDurations.parse("1h2m3s4ms5us6ns")).isEqualTo(
        Duration.ofHours(1).plusMinutes(2).plusSeconds(3).plusMillis(4).plusNanos(5_006));
  }

  @Test
  void rejectsWhatGoRejects() {
    assertThatThrownBy(() -> GoDurations.parse("")).hasMessage("empty duration");
    assertThatThrownBy(() -> GoDurations.parse("5")).hasMessageContaining("missing unit after \"5\"");
    assertThatThrownBy(() -> GoDurations.parse("5 s")).hasMessageContaining("unknown unit \" s\"");
    assertThatThrownBy(() -> GoDurations.parse("1x")).hasMessageContaining("unknown unit \"x\"; use ns, us, ms, s, m, h, d, w or y");
    assertThatThrownBy(() -> GoDurations.parse("s")).hasMessageContaining("expected a number");
    assertThatThrownBy(() -> GoDurations.parse("1.2.3s")).hasMessageContaining("is not a number");
    assertThatThrownBy(() -> GoDurations.parse("3000000h")).hasMessageContaining("too long");
  }

  @Test
  void formatsAsGoDoes() {
    assertThat(GoDurations.format(Duration.ZERO)).isEqualTo("0s");
    assertThat(GoDurations.format(Duration.ofMillis(200))).isEqualTo("200ms");
    assertThat(GoDurations.format(Duration.ofMillis(1500))).isEqualTo("1.5s");
    assertThat(GoDurations.format(Duration.ofSeconds(90))).isEqualTo("1m30s");
    assertThat(GoDurations.format(Duration.ofHours(2))).isEqualTo("2h0m0s");
    assertThat(GoDurations.format(Duration.ofNanos(1500))).isEqualTo("1.5µs");
    assertThat(GoDurations.format(Duration.ofNanos(7))).isEqualTo("7ns");
    assertThat(GoDurations.format(Duration.ofSeconds(-5))).isEqualTo("-5s");
  }

  @Test
  void formatAndParseRoundTrip() {
    for (Duration d : new Duration[] {Duration.ofNanos(1), Duration.ofNanos(123_456_789), Duration.ofMinutes(61),
        Duration.ofMillis(86_400_001), Duration.ofSeconds(3, 1)}) {
      assertThat(GoDurations.parse(GoDurations.format(d))).as(GoDurations.format(d)).isEqualTo(d);
    }
  }
}
