package io.sluice.processor.memorylimiter;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongSupplier;

/**
 * Forces garbage collections on behalf of memory limiters, one at a time and not more often than
 * each caller allows. A collection is process-wide, so every memory limiter in the JVM (one per
 * pipeline) shares {@link #JVM}: a collection one of them forced counts for all.
 *
 * <p>{@link #collect()} blocks for as long as the collection takes: call it on a worker thread.
 */
final class GcTrigger {
  static final GcTrigger JVM = new GcTrigger(System::gc, System::nanoTime);

  private final Runnable gc;
  private final LongSupplier nanoClock;
  private final AtomicBoolean running = new AtomicBoolean();
  private volatile boolean ranBefore;
  private volatile long lastStartNanos;

  GcTrigger(Runnable gc, LongSupplier nanoClock) {
    this.gc = gc;
    this.nanoClock = nanoClock;
  }

  /**
   * Claims the right to collect now: true when no collection is running and the last one began
   * at least {@code minIntervalNanos} ago. A true answer must be followed by {@link #collect()}.
   */
  boolean tryBegin(long minIntervalNanos) {
    if (ranBefore && nanoClock.getAsLong() - lastStartNanos < minIntervalNanos) {
      return false;
    }
    if (!running.compareAndSet(false, true)) {
      return false;
    }
    lastStartNanos = nanoClock.getAsLong();
    ranBefore = true;
    return true;
  }

  /** Runs the collection claimed by {@link #tryBegin}; blocking. */
  void collect() {
    try {
      gc.run();
    } finally {
      running.set(false);
    }
  }
}
