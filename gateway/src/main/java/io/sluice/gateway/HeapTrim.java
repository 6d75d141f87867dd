package io.sluice.gateway;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives memory back after a burst. Under load, batches that wait for their export outlive young
 * collections and are promoted to the old generation, which grows to hold them; once the load
 * falls, that memory stays resident, because the serial collector only shrinks the old
 * generation at a full collection and the next one may be hours away. Every
 * {@value #PERIOD_SECONDS} seconds, when the old generation has more than {@value #TRIM_ABOVE_MIB}
 * MiB committed, this asks for a full collection from a thread of its own (never an event loop);
 * with {@code -XX:MaxHeapFreeRatio} and {@code -XX:-ShrinkHeapInSteps} (bin/sluice) the collector
 * then returns at once what it no longer needs. When the data still held after that collection is
 * itself over the threshold (a deep sending queue, say), collecting again soon would return
 * little, so the checks pause for {@value #BACK_OFF_SECONDS} seconds. The pause is that of one
 * full collection of a heap whose live data is small: tens of milliseconds.
 */
final class HeapTrim {
  private static final Logger LOG = LoggerFactory.getLogger(HeapTrim.class);
  static final long TRIM_ABOVE_MIB = 64;
  private static final long PERIOD_SECONDS = 10;
  private static final long BACK_OFF_SECONDS = 60;

  private final List<MemoryPoolMXBean> old;
  /** No collection is asked for before this {@link System#nanoTime()}. */
  private long pausedUntil = System.nanoTime();

  private HeapTrim(List<MemoryPoolMXBean> old) {
    this.old = old;
  }

  /** Starts the periodic check on a daemon thread; returns it so that a caller may stop it. */
  static ScheduledExecutorService start() {
    HeapTrim trim = new HeapTrim(ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && !p.getName().contains("Eden")
            && !p.getName().contains("Survivor"))
        .toList());
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sluice-heap-trim");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(trim::check, PERIOD_SECONDS, PERIOD_SECONDS, TimeUnit.SECONDS);
    return timer;
  }

  private long committed() {
    long sum = 0;
    for (MemoryPoolMXBean p : old) {
      sum += p.getUsage().getCommitted();
    }
    return sum;
  }

  private long used() {
    long sum = 0;
    for (MemoryPoolMXBean p : old) {
      sum += p.getUsage().getUsed();
    }
    return sum;
  }

  private void check() {
    long before = committed();
    long start = System.nanoTime();
    if (before <= TRIM_ABOVE_MIB << 20 || start - pausedUntil < 0) {
      return;
    }
    System.gc();
    long live = used();
    long after = committed();
    if (live > TRIM_ABOVE_MIB << 20) {
      pausedUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(BACK_OFF_SECONDS);
    }
    LOG.debug("Heap trim: old generation {} MiB committed before a full collection, {} MiB after, {} MiB live"
        + " ({} ms)", before >> 20, after >> 20, live >> 20, (System.nanoTime() - start) / 1_000_000);
  }
}
