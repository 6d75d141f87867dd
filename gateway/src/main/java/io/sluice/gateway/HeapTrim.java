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
 * generation at a full collection and the next one may be hours away. Every minute, when the old
 * generation holds more than {@value #TRIM_ABOVE_MIB} MiB, this asks for a full collection from a
 * thread of its own (never an event loop); with {@code -XX:MaxHeapFreeRatio} (bin/sluice) the
 * collector then returns what it no longer needs. The pause is that of one full collection of a
 * heap whose live data is small: tens of milliseconds, once a minute at most.
 */
final class HeapTrim {
  private static final Logger LOG = LoggerFactory.getLogger(HeapTrim.class);
  static final long TRIM_ABOVE_MIB = 64;
  private static final long PERIOD_SECONDS = 60;

  private HeapTrim() {}

  /** Starts the periodic check on a daemon thread; returns it so that a caller may stop it. */
  static ScheduledExecutorService start() {
    List<MemoryPoolMXBean> old = ManagementFactory.getMemoryPoolMXBeans().stream()
        .filter(p -> p.getType() == MemoryType.HEAP && !p.getName().contains("Eden")
            && !p.getName().contains("Survivor"))
        .toList();
    ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "sluice-heap-trim");
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(() -> trim(old), PERIOD_SECONDS, PERIOD_SECONDS, TimeUnit.SECONDS);
    return timer;
  }

  private static void trim(List<MemoryPoolMXBean> old) {
    long committed = 0;
    for (MemoryPoolMXBean p : old) {
      committed += p.getUsage().getCommitted();
    }
    if (committed <= TRIM_ABOVE_MIB << 20) {
      return;
    }
    long start = System.nanoTime();
    System.gc();
    long after = 0;
    for (MemoryPoolMXBean p : old) {
      after += p.getUsage().getCommitted();
    }
    LOG.debug("Heap trim: old generation {} MiB committed before a full collection, {} MiB after ({} ms)",
        committed >> 20, after >> 20, (System.nanoTime() - start) / 1_000_000);
  }
}
