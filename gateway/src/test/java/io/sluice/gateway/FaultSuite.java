package io.sluice.gateway;

import io.sluice.core.testkit.ledger.FaultTable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * The summary table of the fault-injection cases (FaultInjectionIT, OverloadIT) of one test run:
 * rows kept in a file of this JVM under {@code target/fault-injection/}, printed after each test
 * class with every row so far (so the last class prints them all) and written to
 * {@code target/fault-injection/summary.md}; with {@code -Dsluice.faults.results=FILE} (the
 * benchmark script, perf-tests/run-faults.sh) also to that file.
 */
final class FaultSuite {
  private static final Path DIR = Path.of("target", "fault-injection").toAbsolutePath();
  private static final FaultTable TABLE = new FaultTable(DIR.resolve("rows-" + ProcessHandle.current().pid()
      + ".tsv"));

  private FaultSuite() {}

  static FaultTable table() {
    return TABLE;
  }

  /** Prints the table so far and writes it to the summary file(s). */
  static synchronized void printSummary(String after) {
    if (TABLE.rows().isEmpty()) {
      return;
    }
    String md = "Fault injection: numbered spans (source ID and sequence in their ids) through the packaged gateway"
        + " (bin/sluice); lost = acknowledged and never delivered.\n\n" + TABLE.markdown();
    System.out.println("Fault-injection summary (after " + after + "):\n" + md);
    write(DIR.resolve("summary.md"), md);
    String results = System.getProperty("sluice.faults.results");
    if (results != null && !results.isBlank()) {
      write(Path.of(results), "# Fault injection, " + Instant.now().truncatedTo(ChronoUnit.SECONDS) + ", "
          + Runtime.getRuntime().availableProcessors() + " cores\n\n" + md);
    }
  }

  private static void write(Path file, String text) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, text);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
