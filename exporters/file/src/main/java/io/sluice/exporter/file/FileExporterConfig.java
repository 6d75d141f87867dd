package io.sluice.exporter.file;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Config of the {@code file} exporter, with the Collector's key names and defaults.
 *
 * <p>Every batch becomes one record in the file: with {@code format: json} one OTLP/JSON
 * document per line ({@code {"resourceSpans":[...]}}, the {@code TracesData} shape, and likewise
 * for metrics and logs); with {@code format: proto} a 4-byte big-endian length followed by the
 * {@code TracesData}/{@code MetricsData}/{@code LogsData} bytes. With {@code compression: zstd}
 * each record is compressed on its own and written as a 4-byte big-endian length followed by the
 * zstd frame, whatever the format, as the Collector does.
 *
 * @param path the file to write; required
 * @param format {@code json} (default) or {@code proto}
 * @param rotation size-based rotation; null (the key left out) turns rotation off. Rotation
 *     fields the user leaves out get their defaults. With rotation on, an existing file is
 *     continued at start rather than truncated, as with the Collector
 * @param flushInterval how often what was written is forced to disk (fsync); 0 means 1s
 * @param append true to continue an existing file, false (default) to truncate it at start
 * @param compression empty (default) or {@code zstd}
 * @param createDirectory create missing parent directories at start (default true)
 * @param directoryPermissions permissions of directories created, as an octal string such as
 *     {@code "0755"} (the process umask applies); empty for the default
 * @param sendingQueue the in-memory queue in front of the file; on, with one writer so batches
 *     keep their order
 * @param retryOnFailure retries of failed writes; off by default
 * @param groupBy one file per value of a resource attribute, the value taking the place of the
 *     {@code *} in {@code path}; off unless enabled
 * @param compressionParams the zstd level ({@code level}, 1 to 22; 3 when left out)
 */
public record FileExporterConfig(
    String path,
    Format format,
    Rotation rotation,
    Duration flushInterval,
    boolean append,
    String compression,
    boolean createDirectory,
    String directoryPermissions,
    QueueSettings sendingQueue,
    RetrySettings retryOnFailure,
    GroupBy groupBy,
    CompressionParams compressionParams)
    implements ComponentConfig {

  /** The zstd level when {@code compression_params.level} is left out. */
  static final int DEFAULT_ZSTD_LEVEL = 3;

  public FileExporterConfig {
    groupBy = groupBy == null ? GroupBy.off() : groupBy;
    compressionParams = compressionParams == null ? new CompressionParams(null) : compressionParams;
  }

  /** A config without group_by and with the default zstd level. */
  public FileExporterConfig(String path, Format format, Rotation rotation, Duration flushInterval, boolean append,
      String compression, boolean createDirectory, String directoryPermissions, QueueSettings sendingQueue,
      RetrySettings retryOnFailure) {
    this(path, format, rotation, flushInterval, append, compression, createDirectory, directoryPermissions,
        sendingQueue, retryOnFailure, null, null);
  }

  /**
   * {@code group_by}, as the Collector has it.
   *
   * @param enabled write one file per attribute value
   * @param resourceAttribute the resource attribute whose string value names the file; resources
   *     without it are not written
   * @param maxOpenFiles how many of those files are kept open; the least recently written is
   *     closed past it, and opened again (appending) when its turn comes
   */
  public record GroupBy(boolean enabled, String resourceAttribute, Integer maxOpenFiles) {
    public GroupBy {
      resourceAttribute = resourceAttribute == null ? "fileexporter.path_segment" : resourceAttribute;
      maxOpenFiles = maxOpenFiles == null ? 100 : maxOpenFiles;
    }

    static GroupBy off() {
      return new GroupBy(false, null, null);
    }
  }

  /** {@code compression_params}: the compression level. */
  public record CompressionParams(Integer level) {}

  /** The zstd level records are compressed at. */
  int zstdLevel() {
    return compressionParams.level() == null ? DEFAULT_ZSTD_LEVEL : compressionParams.level();
  }

  /** How each batch is encoded. */
  public enum Format {
    JSON,
    PROTO;

    @Override
    public String toString() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Size-based rotation, as the Collector does it: when a write would take the file past
   * {@code max_megabytes}, the file is renamed to {@code <name>-<timestamp>.<ext>} and a new one
   * started; backups beyond {@code max_backups} or older than {@code max_days} are deleted.
   *
   * @param maxMegabytes the size in MiB at which the file is rotated; 0 or absent means 100
   * @param maxDays backups older than this many days are deleted; 0 or absent keeps them
   * @param maxBackups how many backups are kept, the newest; absent means 100, 0 keeps all
   * @param localtime true to name backups with the local time rather than UTC
   */
  public record Rotation(Integer maxMegabytes, Integer maxDays, Integer maxBackups, Boolean localtime) {
    public Rotation {
      maxMegabytes = maxMegabytes == null ? 100 : maxMegabytes;
      maxDays = maxDays == null ? 0 : maxDays;
      maxBackups = maxBackups == null ? 100 : maxBackups;
      localtime = localtime != null && localtime;
    }

    /** Rotation with every default: 100 MiB files, 100 backups kept, no age limit, UTC names. */
    public static Rotation defaults() {
      return new Rotation(null, null, null, null);
    }

    /** The size in bytes at which the file is rotated. */
    public long maxBytes() {
      return (maxMegabytes == 0 ? 100L : maxMegabytes) * 1024 * 1024;
    }

    List<ConfigProblem> validate() {
      List<ConfigProblem> problems = new ArrayList<>();
      if (maxMegabytes < 0) {
        problems.add(new ConfigProblem("rotation.max_megabytes", maxMegabytes
            + " is negative; give the size in MiB at which the file is rotated (default 100)"));
      }
      if (maxDays < 0) {
        problems.add(new ConfigProblem("rotation.max_days", maxDays
            + " is negative; give how many days backups are kept, or 0 to keep them regardless of age"));
      }
      if (maxBackups < 0) {
        problems.add(new ConfigProblem("rotation.max_backups", maxBackups
            + " is negative; give how many backups are kept (default 100), or 0 to keep all"));
      }
      return problems;
    }
  }

  /** The defaults: JSON lines, no rotation, fsync every second, truncate at start, no compression. */
  public static FileExporterConfig defaults() {
    return new FileExporterConfig("", Format.JSON, null, Duration.ofSeconds(1), false, "", true, "",
        new QueueSettings(true, 1, 1000), RetrySettings.disabled());
  }

  /** True when records are zstd-compressed. */
  public boolean zstd() {
    return compression != null && compression.equals("zstd");
  }

  /** The fsync interval: {@code flush_interval}, or 1s when it is 0. */
  public Duration effectiveFlushInterval() {
    return flushInterval == null || flushInterval.isZero() ? Duration.ofSeconds(1) : flushInterval;
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (path == null || path.isBlank()) {
      problems.add(new ConfigProblem("path", "is required; give the file to write, such as \"./data/otlp.jsonl\""));
    }
    if (format == null) {
      problems.add(new ConfigProblem("format", "is empty; use json or proto"));
    }
    if (compression != null && !compression.isEmpty() && !compression.equals("zstd")) {
      problems.add(new ConfigProblem("compression", "\"" + compression
          + "\" is not supported; use \"zstd\", or leave it empty for none"));
    }
    if (compressionParams.level() != null) {
      if (!zstd()) {
        problems.add(new ConfigProblem("compression_params.level", "applies only with \"compression: zstd\""));
      } else if (compressionParams.level() < 1 || compressionParams.level() > 22) {
        problems.add(new ConfigProblem("compression_params.level", compressionParams.level()
            + " is not a zstd level; give 1 (fastest) to 22 (smallest), default " + DEFAULT_ZSTD_LEVEL));
      }
    }
    if (groupBy.enabled() && path != null && !path.isBlank()) {
      long stars = path.chars().filter(c -> c == '*').count();
      if (stars != 1) {
        problems.add(new ConfigProblem("path", "\"" + path + "\" must contain exactly one '*' with group_by"
            + " enabled: the attribute's value takes its place, as in \"/var/otlp/*/data.jsonl\""));
      } else if (path.startsWith("*")) {
        problems.add(new ConfigProblem("path", "\"" + path + "\" must not start with '*' with group_by enabled;"
            + " give the directory the files go under, as in \"/var/otlp/*.jsonl\""));
      }
    }
    if (groupBy.enabled() && groupBy.resourceAttribute().isBlank()) {
      problems.add(new ConfigProblem("group_by.resource_attribute", "is empty; name the resource attribute whose"
          + " value names the file (default \"fileexporter.path_segment\")"));
    }
    if (groupBy.maxOpenFiles() < 1) {
      problems.add(new ConfigProblem("group_by.max_open_files", groupBy.maxOpenFiles()
          + " is not a number of files; give at least 1 (default 100)"));
    }
    if (flushInterval != null && flushInterval.isNegative()) {
      problems.add(new ConfigProblem("flush_interval", "must not be negative; a usual value is \"1s\""));
    }
    if (rotation != null) {
      problems.addAll(rotation.validate());
    }
    if (directoryPermissions != null && !directoryPermissions.isEmpty()) {
      if (!directoryPermissions.matches("0?[0-7]{3}")) {
        problems.add(new ConfigProblem("directory_permissions", "\"" + directoryPermissions
            + "\" is not an octal permission such as \"0755\""));
      } else if (!createDirectory) {
        problems.add(new ConfigProblem("directory_permissions",
            "only applies when create_directory is true; remove it or set create_directory: true"));
      }
    }
    if (sendingQueue == null) {
      problems.add(new ConfigProblem("sending_queue", "is empty; leave the key out for the default queue"));
    } else {
      problems.addAll(sendingQueue.validate("sending_queue"));
    }
    if (retryOnFailure == null) {
      problems.add(new ConfigProblem("retry_on_failure", "is empty; leave the key out to keep retries off"));
    } else if (retryOnFailure.enabled()) {
      problems.addAll(retryOnFailure.validate("retry_on_failure"));
    }
    return problems;
  }
}
