package io.sluice.processor.seriesstate;

import java.time.Instant;

/** The time OTLP points carry: nanoseconds since the Unix epoch. */
public final class WallClock {
  private WallClock() {}

  public static long epochNanos() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }
}
