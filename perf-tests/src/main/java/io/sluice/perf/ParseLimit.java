package io.sluice.perf;

import io.sluice.receiver.prometheus.TextParserProbe;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The prometheus receiver's text parser alone, on one thread with no network, over the bodies the
 * target simulator serves, against the ceiling of merely reading the same bytes: a loop that
 * touches every byte (sums them and counts the line ends). Also the parser followed by the
 * conversion to OTLP, the rest of what a scrape costs before the pipeline.
 *
 * <p>Each loop goes over the bodies of every target in turn (a few renders of each, so values
 * differ as between scrapes), with one string cache per target as the scrape loop keeps it. The
 * rest of the process must be idle meanwhile.
 */
final class ParseLimit {
  /**
   * One loop's figures.
   *
   * @param bodies bodies gone through in the measured interval
   * @param bytes their bytes
   * @param samples their sample lines
   * @param threadCpuNanos CPU time of the looping thread
   * @param processCpuTicks CPU time of the whole process (GC and JIT included)
   * @param wallNanos length of the measured interval
   * @param checksum derived from the work, so that it cannot be optimised away
   */
  record Result(long bodies, long bytes, long samples, long threadCpuNanos, long processCpuTicks, long wallNanos,
      long checksum) {
    /** Samples per CPU-second of the looping thread (on an idle machine, per second on one core). */
    double samplesPerSecond() {
      return samples / (threadCpuNanos / 1e9);
    }

    /** Bytes per CPU-second of the looping thread. */
    double bytesPerSecond() {
      return bytes / (threadCpuNanos / 1e9);
    }

    /** Fraction of the measured interval the thread was on a CPU (below 1: the machine was busy). */
    double onCpu() {
      return (double) threadCpuNanos / wallNanos;
    }

    double processCpuSecondsPerMillionSamples() {
      return ProcStats.ticksToSeconds(processCpuTicks) / samples * 1e6;
    }

    double threadNanosPerSample() {
      return (double) threadCpuNanos / samples;
    }
  }

  /** The three loops' results. */
  record Results(Result scan, Result parse, Result parseAndConvert, int bodyCount, long bodyBytes, int seriesPerBody) {
    /** Parser throughput as a fraction of the read-the-bytes ceiling (bytes per CPU-second). */
    double parseOverScan() {
      return parse.bytesPerSecond() / scan.bytesPerSecond();
    }
  }

  private interface Work {
    /** Handles body {@code i} (of target {@code target}); returns a number folded into the checksum. */
    long apply(int target, byte[] body) throws Exception;
  }

  private ParseLimit() {}

  /**
   * Renders {@code renders} bodies of each of {@code targets} targets of {@code series} lines, then
   * runs each loop for {@code warmup} and measures it for {@code duration}.
   */
  static Results run(int targets, int series, int renders, Duration warmup, Duration duration) throws Exception {
    List<byte[]> bodies = new ArrayList<>();
    List<Integer> owners = new ArrayList<>();
    long totalBytes = 0;
    for (int t = 0; t < targets; t++) {
      SimulatedTarget target = SimulatedTarget.build(series, t + 1);
      for (int r = 0; r < renders; r++) {
        byte[] body = target.renderCopy();
        bodies.add(body);
        owners.add(t);
        totalBytes += body.length;
      }
    }
    // go target by target, as scrapes of different targets interleave
    byte[][] order = new byte[bodies.size()][];
    int[] owner = new int[bodies.size()];
    for (int i = 0, k = 0; i < renders; i++) {
      for (int t = 0; t < targets; t++, k++) {
        order[k] = bodies.get(t * renders + i);
        owner[k] = owners.get(t * renders + i);
      }
    }

    Work scan = (target, body) -> {
      long sum = 0;
      long lines = 0;
      for (byte b : body) {
        sum += b;
        if (b == '\n') {
          lines++;
        }
      }
      return sum + lines;
    };
    TextParserProbe parser = new TextParserProbe(targets);
    Work parse = (target, body) -> parser.parse(target, body, body.length);
    TextParserProbe converter = new TextParserProbe(targets);
    long now = System.currentTimeMillis();
    Work parseAndConvert = (target, body) -> converter.parseAndConvert(target, body, body.length, now);

    // the parser must see every sample line, or the comparison means nothing
    int parsed = parser.parse(owner[0], order[0], order[0].length);
    if (parsed != series) {
      throw new IllegalStateException("the parser found " + parsed + " samples in a body of " + series + " lines");
    }
    Result scanned = measure(scan, order, owner, series, warmup, duration);
    Result parsedResult = measure(parse, order, owner, series, warmup, duration);
    Result converted = measure(parseAndConvert, order, owner, series, warmup, duration);
    return new Results(scanned, parsedResult, converted, order.length, totalBytes, series);
  }

  private static Result measure(Work work, byte[][] bodies, int[] owner, int series, Duration warmup,
      Duration duration) throws Exception {
    long[] warm = loop(work, bodies, owner, warmup.toNanos(), 0);
    System.gc();
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long pid = ProcessHandle.current().pid();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long ticks0 = cpuTicks(pid);
    long t0 = System.nanoTime();
    long[] r = loop(work, bodies, owner, duration.toNanos(), warm[2]);
    long wall = System.nanoTime() - t0;
    long ticks = cpuTicks(pid) - ticks0;
    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
    return new Result(r[0], r[1], r[0] * series, cpu, ticks, wall, r[2]);
  }

  private static long cpuTicks(long pid) throws IOException {
    return ProcStats.cpuTicks(pid);
  }

  /** Runs {@code work} over the bodies in turn for {@code nanos}; returns {bodies, bytes, checksum}. */
  private static long[] loop(Work work, byte[][] bodies, int[] owner, long nanos, long checksum) throws Exception {
    long end = System.nanoTime() + nanos;
    long done = 0;
    long bytes = 0;
    long sum = checksum;
    int i = 0;
    do {
      byte[] body = bodies[i];
      sum = sum * 31 + work.apply(owner[i], body);
      bytes += body.length;
      done++;
      if (++i == bodies.length) {
        i = 0;
      }
    } while (System.nanoTime() - end < 0);
    return new long[] {done, bytes, sum};
  }
}
