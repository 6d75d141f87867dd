package io.sluice.core.telemetry;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads figures about this process that the JVM does not report. */
public final class ProcessStats {
  private ProcessStats() {}

  /** Resident set size in bytes from {@code /proc/self/status}, or -1 where that is not available. */
  public static long residentBytes() {
    return readStatusKb("VmRSS:");
  }

  /** Peak resident set size in bytes ({@code VmHWM}), or -1 where that is not available. */
  public static long peakResidentBytes() {
    return readStatusKb("VmHWM:");
  }

  private static long readStatusKb(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(key)) {
          String[] parts = line.substring(key.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
