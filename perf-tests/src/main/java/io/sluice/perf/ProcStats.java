package io.sluice.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** CPU time and memory of a process, from Linux's {@code /proc}. */
final class ProcStats {
  private static final long CLOCK_TICKS = clockTicks();

  private ProcStats() {}

  /** Clock ticks per second ({@code getconf CLK_TCK}), the unit of the CPU times in /proc. */
  static long clockTicksPerSecond() {
    return CLOCK_TICKS;
  }

  /** utime + stime of process {@code pid}, in clock ticks: every thread's CPU time, GC and JIT included. */
  static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"), StandardCharsets.US_ASCII);
    // The command name (field 2) is in parentheses and may contain spaces: count from the last ')'.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
    // After the name: state is field 3, so utime (field 14) and stime (field 15) are f[11] and f[12].
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** One thread's name ({@code comm}, at most 15 characters) and CPU time in clock ticks. */
  record ThreadTicks(String name, long ticks) {}

  /** utime + stime of every live thread of process {@code pid}, by thread id. */
  static Map<Long, ThreadTicks> threadTicks(long pid) throws IOException {
    Map<Long, ThreadTicks> out = new HashMap<>();
    try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
      for (Path task : (Iterable<Path>) tasks::iterator) {
        try {
          String stat = Files.readString(task.resolve("stat"), StandardCharsets.US_ASCII);
          String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
          String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" +");
          out.put(Long.parseLong(task.getFileName().toString()),
              new ThreadTicks(name, Long.parseLong(f[11]) + Long.parseLong(f[12])));
        } catch (IOException e) {
          // the thread ended while being read
        }
      }
    }
    return out;
  }

  /**
   * CPU ticks spent between two {@link #threadTicks} snapshots, summed by thread group (garbage
   * collector, JIT compiler, Vert.x event loops, ...). Threads that ended in between are missing.
   */
  static Map<String, Long> ticksByGroup(Map<Long, ThreadTicks> before, Map<Long, ThreadTicks> after) {
    Map<String, Long> groups = new TreeMap<>();
    for (Map.Entry<Long, ThreadTicks> e : after.entrySet()) {
      ThreadTicks b = before.get(e.getKey());
      long spent = e.getValue().ticks() - (b == null ? 0 : b.ticks());
      groups.merge(group(e.getValue().name()), spent, Long::sum);
    }
    return groups;
  }

  private static String group(String thread) {
    if (thread.startsWith("GC Thread") || thread.startsWith("G1 ") || thread.equals("VM Thread")
        || thread.startsWith("ZGC") || thread.startsWith("Shenandoah")) {
      return "garbage collector and VM thread";
    }
    if (thread.startsWith("C1 Compiler") || thread.startsWith("C2 Compiler")) {
      return "JIT compiler";
    }
    if (thread.startsWith("vert.x-eventloo")) {
      return "Vert.x event loops";
    }
    if (thread.startsWith("vert.x-worker") || thread.startsWith("vert.x-internal") || thread.startsWith("sluice")) {
      return "Vert.x and Sluice workers";
    }
    return "other threads";
  }

  /**
   * "garbage collector 45% (10.800), ..." from ticks by thread group: each group's share, and in
   * brackets its CPU-seconds per million {@code items} (named {@code itemName}, plural).
   */
  static String describeGroups(Map<String, Long> groups, long items, String itemName) {
    long total = groups.values().stream().mapToLong(Long::longValue).sum();
    if (total <= 0 || items <= 0) {
      return "none measured";
    }
    return groups.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(e -> String.format(java.util.Locale.ROOT, "%s %.0f%% (%.3f)", e.getKey(), 100.0 * e.getValue() / total,
            ticksToSeconds(e.getValue()) / items * 1e6))
        .collect(java.util.stream.Collectors.joining(", ")) + " [CPU-s per million " + itemName + " in brackets]";
  }

  static double ticksToSeconds(long ticks) {
    return (double) ticks / CLOCK_TICKS;
  }

  /** A {@code kB} field of {@code /proc/<pid>/status}, such as {@code VmHWM}, in kilobytes. */
  static long statusKiloBytes(long pid, String field) throws IOException {
    for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"), StandardCharsets.US_ASCII)) {
      if (line.startsWith(field + ":")) {
        return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
      }
    }
    throw new IOException("/proc/" + pid + "/status has no " + field);
  }

  private static long clockTicks() {
    try {
      Process p = new ProcessBuilder("getconf", "CLK_TCK").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.US_ASCII).trim();
      if (p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0) {
        return Long.parseLong(out);
      }
    } catch (IOException | NumberFormatException e) {
      // fall through to the Linux default
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return 100;
  }
}
