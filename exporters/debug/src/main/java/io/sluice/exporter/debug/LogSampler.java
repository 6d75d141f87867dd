package io.sluice.exporter.debug;

import io.sluice.core.Signal;
import java.util.function.LongSupplier;

/**
 * Decides which batches are written, per signal, the way the Collector's debug exporter samples
 * its log lines: in each one-second window the first {@code initial} batches are written, and
 * after them every {@code thereafter}-th one (none when it is 0). Used on one context only.
 */
final class LogSampler {
  private static final long WINDOW_NANOS = 1_000_000_000L;

  private final int initial;
  private final int thereafter;
  private final LongSupplier nanoClock;
  private final long[] windowEnd = new long[Signal.values().length];
  private final long[] seen = new long[Signal.values().length];
  private final boolean[] started = new boolean[Signal.values().length];

  LogSampler(int initial, int thereafter, LongSupplier nanoClock) {
    this.initial = initial;
    this.thereafter = thereafter;
    this.nanoClock = nanoClock;
  }

  /** True when this batch of {@code signal} should be written; counts it either way. */
  boolean allow(Signal signal) {
    int i = signal.ordinal();
    long now = nanoClock.getAsLong();
    if (!started[i] || now - windowEnd[i] >= 0) {
      started[i] = true;
      windowEnd[i] = now + WINDOW_NANOS;
      seen[i] = 0;
    }
    long n = ++seen[i];
    if (n <= initial) {
      return true;
    }
    return thereafter > 0 && (n - initial) % thereafter == 0;
  }
}
