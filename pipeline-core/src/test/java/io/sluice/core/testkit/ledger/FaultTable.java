package io.sluice.core.testkit.ledger;

import io.sluice.core.ledger.ItemLedger;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The summary of fault-injection cases: one row per case (sent, acknowledged, refused, delivered,
 * lost, duplicated, reordered, and what the case did), kept in a file so that cases of several
 * test classes end in one table, and rendered as Markdown.
 */
public final class FaultTable {
  private static final String HEADER = "| case | sent | acknowledged | refused | delivered | lost | duplicated"
      + " | reordered | notes |\n|---|---:|---:|---:|---:|---:|---:|---:|---|\n";

  private final Path file;

  /** The table kept in {@code file} (created with its folder when the first row is added). */
  public FaultTable(Path file) {
    this.file = file;
  }

  public Path file() {
    return file;
  }

  /** One case's row; a negative count is one the case does not measure. */
  public record Row(String name, long sent, long acknowledged, long refused, long delivered, long lost,
      long duplicated, long reordered, String notes) {
    public static Row of(String name, ItemLedger.Counts c, String notes) {
      return new Row(name, c.sent(), c.acknowledged(), c.refused(), c.delivered(), c.lost(), c.duplicated(),
          c.reordered(), notes);
    }

    String line() {
      return String.join("\t", clean(name), Long.toString(sent), Long.toString(acknowledged), Long.toString(refused),
          Long.toString(delivered), Long.toString(lost), Long.toString(duplicated), Long.toString(reordered),
          clean(notes));
    }

    static Row parse(String line) {
      String[] f = line.split("\t", -1);
      if (f.length != 9) {
        throw new IllegalArgumentException("not a row of a fault table (9 tab-separated fields): " + line);
      }
      return new Row(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]), Long.parseLong(f[4]),
          Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]), f[8]);
    }

    private static String clean(String s) {
      // A field of the file is one line without tabs; a Markdown cell has no pipe.
      return s == null ? "" : s.replaceAll("[\\t\\r\\n]", " ").replace('|', '/').replaceAll(" {2,}", " ").trim();
    }

    String markdown() {
      return "| " + name + " | " + cell(sent) + " | " + cell(acknowledged) + " | " + cell(refused) + " | "
          + cell(delivered) + " | " + cell(lost) + " | " + cell(duplicated) + " | " + cell(reordered) + " | " + notes
          + " |\n";
    }

    /** A count, or a dash for one the case does not measure (negative). */
    private static String cell(long n) {
      return n < 0 ? "-" : Long.toString(n);
    }
  }

  /** Adds a row (appended to the file, so rows of earlier cases stay). */
  public synchronized void add(Row row) {
    try {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, row.line() + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The rows so far, in the order they were added. */
  public synchronized List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    if (!Files.exists(file)) {
      return rows;
    }
    try {
      for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          rows.add(Row.parse(line));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return rows;
  }

  /** The rows as a Markdown table. */
  public String markdown() {
    StringBuilder sb = new StringBuilder(HEADER);
    rows().forEach(r -> sb.append(r.markdown()));
    return sb.toString();
  }
}
