package io.sluice.core.util;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.event.Level;

/**
 * Logs a repeating problem once, then at most once per interval with a summary of how often it
 * happened in between: "Exporter 'otlp' dropped 120 batches in the last 60 s".
 */
public final class RateLimitedLog {
  private final Logger log;
  private final Level level;
  private final long intervalNanos;
  private final AtomicLong windowStart = new AtomicLong(Long.MIN_VALUE);
  private final AtomicLong suppressed = new AtomicLong();

  public RateLimitedLog(Logger log, Level level, long interval, TimeUnit unit) {
    this.log = log;
    this.level = level;
    this.intervalNanos = unit.toNanos(interval);
  }

  /**
   * Logs {@code message} (SLF4J format) now if the interval has passed, adding how many times it
   * was suppressed since; otherwise counts it.
   */
  public void log(String message, Object... args) {
    long now = System.nanoTime();
    long start = windowStart.get();
    if (start != Long.MIN_VALUE && now - start < intervalNanos) {
      suppressed.incrementAndGet();
      return;
    }
    if (!windowStart.compareAndSet(start, now)) {
      suppressed.incrementAndGet();
      return;
    }
    long n = suppressed.getAndSet(0);
    String text = n == 0 ? message
        : message + " (and " + n + " more like it in the last " + TimeUnit.NANOSECONDS.toSeconds(intervalNanos) + " s)";
    log.atLevel(level).log(text, args);
  }
}
