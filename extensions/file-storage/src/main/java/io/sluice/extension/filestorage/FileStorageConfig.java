package io.sluice.extension.filestorage;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Config of the {@code file_storage} extension, with the Collector's keys and defaults. Each
 * component that names the extension gets its own store file in {@code directory}, an H2 MVStore
 * named {@code <kind>_<type>[_<name>][_<signal>].mvstore}.
 *
 * @param directory where the store files are kept; must exist unless {@code create_directory}
 * @param timeout how long opening a store waits for another process's lock on its file
 * @param fsync true to force every committed write to the device before it is reported done
 *     (survives power loss); false leaves it in the operating system's page cache, which survives
 *     the gateway being killed ({@code kill -9}) but not the machine losing power
 * @param createDirectory create {@code directory} (and its parents) at start when missing
 * @param directoryPermissions octal permissions for a directory created, such as {@code "0750"}
 * @param recreate move the existing store files aside at start and begin empty
 * @param compaction when the store files are compacted
 */
public record FileStorageConfig(
    String directory,
    Duration timeout,
    boolean fsync,
    boolean createDirectory,
    String directoryPermissions,
    boolean recreate,
    Compaction compaction) implements ComponentConfig {

  /** Where the Collector keeps its files, with Sluice's name. */
  public static final String DEFAULT_DIRECTORY = "/var/lib/sluice/file_storage";

  /**
   * {@code compaction}. A compaction copies every entry into a new file beside the store file,
   * forces it to disk and renames it over the store file, so a crash in the middle leaves the old
   * file whole; the copy ({@code <name>.compacting}) must be in the same directory for the rename to
   * be atomic, so {@code directory} is accepted but not used. A copy left by a crash is removed
   * whenever a store file is opened, whatever {@code cleanup_on_start} says.
   *
   * @param directory where the Collector puts its temporary copy; accepted, unused (see above)
   * @param onStart compact each store file when it is opened
   * @param onRebound compact a store file once it is at least {@code rebound_needed_threshold_mib}
   *     large while its keys and values take at most {@code rebound_trigger_threshold_mib}
   * @param maxTransactionSize how many entries the copy commits at a time
   * @param reboundNeededThresholdMib the file size in MiB from which on-rebound compaction applies
   * @param reboundTriggerThresholdMib the live data in MiB at or under which it compacts
   * @param checkInterval how often on-rebound compaction looks at the files
   * @param cleanupOnStart accepted for the Collector's configs; leftovers are always removed
   */
  public record Compaction(
      String directory,
      boolean onStart,
      boolean onRebound,
      long maxTransactionSize,
      long reboundNeededThresholdMib,
      long reboundTriggerThresholdMib,
      Duration checkInterval,
      boolean cleanupOnStart) {

    static Compaction defaults() {
      return new Compaction(DEFAULT_DIRECTORY, false, false, 65536, 100, 10, Duration.ofSeconds(5), false);
    }

    List<ConfigProblem> validate() {
      List<ConfigProblem> problems = new ArrayList<>();
      if (maxTransactionSize < 0) {
        problems.add(new ConfigProblem("compaction.max_transaction_size", maxTransactionSize
            + " is negative; give a number of items, such as 65536"));
      }
      if (reboundNeededThresholdMib < 0) {
        problems.add(new ConfigProblem("compaction.rebound_needed_threshold_mib", reboundNeededThresholdMib
            + " is negative; give a size in MiB, such as 100"));
      }
      if (reboundTriggerThresholdMib < 0) {
        problems.add(new ConfigProblem("compaction.rebound_trigger_threshold_mib", reboundTriggerThresholdMib
            + " is negative; give a size in MiB, such as 10"));
      }
      if (onRebound && reboundTriggerThresholdMib > reboundNeededThresholdMib) {
        problems.add(new ConfigProblem("compaction.rebound_trigger_threshold_mib", reboundTriggerThresholdMib
            + " is more than rebound_needed_threshold_mib (" + reboundNeededThresholdMib
            + "); the live data that triggers compaction must be below the size that arms it"));
      }
      if (checkInterval == null || checkInterval.isNegative() || checkInterval.isZero()) {
        problems.add(new ConfigProblem("compaction.check_interval", "must be a positive duration such as \"5s\""));
      }
      return problems;
    }
  }

  /** The Collector's defaults. */
  public static FileStorageConfig defaults() {
    return new FileStorageConfig(DEFAULT_DIRECTORY, Duration.ofSeconds(1), false, false, "0750", false,
        Compaction.defaults());
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (directory == null || directory.isBlank()) {
      problems.add(new ConfigProblem("directory", "is empty; give the directory for the store files, such as \""
          + DEFAULT_DIRECTORY + "\""));
    }
    if (timeout == null || timeout.isNegative()) {
      problems.add(new ConfigProblem("timeout", "must be a duration such as \"1s\" (how long to wait for a locked file)"));
    }
    if (directoryPermissions == null || !directoryPermissions.matches("0?[0-7]{3}")) {
      problems.add(new ConfigProblem("directory_permissions", "\"" + directoryPermissions
          + "\" is not an octal permission such as \"0750\""));
    }
    if (compaction == null) {
      problems.add(new ConfigProblem("compaction", "is empty; leave the key out for the defaults"));
    } else {
      problems.addAll(compaction.validate());
    }
    return problems;
  }
}
