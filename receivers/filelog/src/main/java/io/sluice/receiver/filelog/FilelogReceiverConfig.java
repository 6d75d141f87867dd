package io.sluice.receiver.filelog;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.storage.StorageExtension;
import java.nio.file.FileSystems;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Config of the {@code filelog} receiver, with the Collector's keys and defaults.
 *
 * @param include globs of the files to read ({@code /var/log/**}{@code /*.log}); required
 * @param exclude globs of files not to read, even when included
 * @param excludeOlderThan files not modified for this long are not read; 0 reads them all
 * @param startAt {@code end} (default) or {@code beginning}: where files found at the first poll
 *     are read from when there is no checkpoint for them; files that appear later are always
 *     read from their start
 * @param pollInterval how often the include globs are matched and files checked for new data
 * @param maxConcurrentFiles the most files open at once
 * @param maxBatches the most groups of {@code max_concurrent_files / 2} files read in one poll
 *     when there are more files than that; 0 reads all
 * @param fingerprintSize how many first bytes of a file identify it ({@code 1kb})
 * @param maxLogSize longer entries are split into pieces of this size ({@code 1MiB})
 * @param initialBufferSize the Collector's first size of a file's read buffer ({@code 16KiB});
 *     checked, but Sluice reads every file through one buffer per receiver of
 *     {@code max_log_size} + 64 KiB, in chunks of 256 KiB, so it changes nothing
 * @param encoding {@code utf-8} (default), {@code utf-16le}, {@code utf-16be}, {@code ascii},
 *     {@code latin-1} and other single-byte or ASCII-compatible names, or {@code nop} (the body
 *     is the raw bytes)
 * @param includeFileName add {@code log.file.name}
 * @param includeFilePath add {@code log.file.path}
 * @param includeFileNameResolved add {@code log.file.name_resolved} (after symbolic links)
 * @param includeFilePathResolved add {@code log.file.path_resolved}
 * @param includeFileOwnerName add {@code log.file.owner.name}, the file owner's user name
 * @param includeFileOwnerGroupName add {@code log.file.owner.group.name}, the file's group
 * @param includeFileRecordNumber add {@code log.file.record_number}: 1 for a file's first record,
 *     counted per file and kept in its checkpoint across restarts
 * @param acquireFsLock hold a shared advisory lock ({@code flock}/{@code fcntl}) on a file while
 *     reading it; a file another process holds an exclusive lock on is skipped until that lock is gone
 * @param header read a file's first lines that match {@code header.pattern} as its header: they
 *     are not sent, and the attributes {@code header.metadata_operators} parse from them are added
 *     to every record of that file
 * @param orderingCriteria of the matched files, read only the first {@code top_n} after sorting
 *     by parts of their paths
 * @param deleteAfterRead delete each file once it was read to its end and acknowledged
 * @param storage the id of a storage extension keeping the files' checkpoints; none keeps them
 *     in memory only
 * @param forceFlushPeriod an entry with no end yet (no newline, or a multiline entry waiting for
 *     its next start) is sent once its file has not grown for this long
 * @param retryOnFailure how the receiver waits before sending a batch again that its pipeline
 *     refused with a retryable error; reading pauses meanwhile
 * @param attributes added to every record
 * @param resource added to the resource of every record
 * @param multiline how entries spanning several lines are put together
 * @param preserveLeadingWhitespaces keep white space at the start of entries
 * @param preserveTrailingWhitespaces keep white space at the end of entries
 * @param compression {@code ""} (gzip only for files named {@code *.gz}), {@code gzip} (every file)
 *     or {@code auto} (as {@code ""})
 * @param operators the Collector's operators, applied in order to every entry
 */
public record FilelogReceiverConfig(
    List<String> include,
    List<String> exclude,
    Duration excludeOlderThan,
    String startAt,
    Duration pollInterval,
    int maxConcurrentFiles,
    int maxBatches,
    String fingerprintSize,
    String maxLogSize,
    String initialBufferSize,
    String encoding,
    boolean includeFileName,
    boolean includeFilePath,
    boolean includeFileNameResolved,
    boolean includeFilePathResolved,
    boolean includeFileOwnerName,
    boolean includeFileOwnerGroupName,
    boolean includeFileRecordNumber,
    boolean acquireFsLock,
    Header header,
    OrderingCriteria orderingCriteria,
    boolean deleteAfterRead,
    String storage,
    Duration forceFlushPeriod,
    RetrySettings retryOnFailure,
    Map<String, String> attributes,
    Map<String, String> resource,
    Multiline multiline,
    boolean preserveLeadingWhitespaces,
    boolean preserveTrailingWhitespaces,
    String compression,
    List<Map<String, Object>> operators) implements ComponentConfig {

  public FilelogReceiverConfig {
    include = include == null ? List.of() : List.copyOf(include);
    exclude = exclude == null ? List.of() : List.copyOf(exclude);
    attributes = attributes == null ? Map.of() : Map.copyOf(attributes);
    resource = resource == null ? Map.of() : Map.copyOf(resource);
    operators = operators == null ? List.of() : List.copyOf(operators);
    storage = storage == null ? "" : storage.trim();
    encoding = encoding == null ? "" : encoding.trim();
    compression = compression == null ? "" : compression.trim();
    startAt = startAt == null ? "end" : startAt.trim();
  }

  /**
   * {@code multiline}: at most one of the patterns.
   *
   * @param lineStartPattern a regular expression (RE2 syntax, as in the Collector) matching the
   *     first line of each entry; lines that do not match belong to the entry before them
   * @param lineEndPattern a regular expression matching the last line of each entry
   * @param omitPattern leave the text the pattern matched out of the entry
   */
  public record Multiline(String lineStartPattern, String lineEndPattern, boolean omitPattern) {
    public Multiline {
      lineStartPattern = lineStartPattern == null ? "" : lineStartPattern;
      lineEndPattern = lineEndPattern == null ? "" : lineEndPattern;
    }
  }

  /**
   * {@code header}: a file's header, its first lines, parsed into attributes of all its records.
   *
   * @param pattern a regular expression (RE2) every header line matches; the first line that does
   *     not match is the file's first record
   * @param metadataOperators the operators each header line goes through (a body in, attributes
   *     out); of the Collector's operators, the parsers and the field operators
   *     ({@link HeaderReader#OPERATOR_TYPES})
   */
  public record Header(String pattern, List<Map<String, Object>> metadataOperators) {
    public Header {
      pattern = pattern == null ? "" : pattern;
      metadataOperators = metadataOperators == null ? List.of() : List.copyOf(metadataOperators);
    }
  }

  /**
   * {@code ordering_criteria}: which of the matched files are read.
   *
   * @param regex matched against each file's path; its named groups are what {@code sort_by}
   *     sorts on; files it does not match are not read
   * @param topN how many files are read after sorting (per group with {@code group_by}); 0 is 1
   * @param sortBy the sorts, applied one after another (a stable sort, so the last is the main
   *     order and the ones before break its ties)
   * @param groupBy a regular expression on the path: files with the same value of its first
   *     group (its whole match when it has none) are sorted and cut to {@code top_n} on their own;
   *     files it does not match form one group
   */
  public record OrderingCriteria(String regex, int topN, List<SortBy> sortBy, String groupBy) {
    public OrderingCriteria {
      regex = regex == null ? "" : regex;
      groupBy = groupBy == null ? "" : groupBy;
      sortBy = sortBy == null ? List.of() : List.copyOf(sortBy);
    }
  }

  /**
   * One sort of {@code ordering_criteria.sort_by}.
   *
   * @param sortType {@code numeric}, {@code alphabetical}, {@code timestamp} or {@code mtime}
   * @param regexKey the named group of {@code regex} sorted on (not for {@code mtime})
   * @param ascending smallest (earliest) first; the default is largest (latest) first
   * @param layout for {@code timestamp}: the strptime layout of the group's text ({@code %Y%m%d%H})
   * @param location for {@code timestamp}: the time zone of the text, UTC by default
   * @param maxTime for {@code mtime}: files not modified for this long are not read; 0 for no limit
   */
  public record SortBy(String sortType, String regexKey, boolean ascending, String layout, String location,
      Duration maxTime) {
    public SortBy {
      sortType = sortType == null ? "" : sortType.trim().toLowerCase(Locale.ROOT);
      regexKey = regexKey == null ? "" : regexKey;
      layout = layout == null ? "" : layout;
      location = location == null ? "" : location;
      maxTime = maxTime == null ? Duration.ZERO : maxTime;
    }
  }

  /** The Collector's defaults; {@code include} must still be given. */
  public static FilelogReceiverConfig defaults() {
    return new FilelogReceiverConfig(List.of(), List.of(), Duration.ZERO, "end", Duration.ofMillis(200), 1024, 0,
        "1kb", "1MiB", "16KiB", "utf-8", true, false, false, false, false, false, false, false, null, null, false, "", Duration.ofMillis(500),
        new RetrySettings(false, Duration.ofSeconds(1), 0.5, 1.5, Duration.ofSeconds(30), Duration.ofMinutes(5)),
        Map.of(), Map.of(), null, false, false, "", List.of());
  }

  /** {@code fingerprint_size} in bytes. */
  public int fingerprintBytes() {
    return (int) ByteSizes.parse(fingerprintSize);
  }

  /** {@code max_log_size} in bytes. */
  public int maxLogBytes() {
    return (int) ByteSizes.parse(maxLogSize);
  }

  /** True when reading starts at the beginning of files found at the first poll. */
  public boolean startAtBeginning() {
    return startAt.equalsIgnoreCase("beginning");
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (include.isEmpty()) {
      problems.add(new ConfigProblem("include", "is required: globs of the files to read, such as"
          + " [\"/var/log/app/*.log\"] (** matches any number of directories)"));
    }
    globs("include", include, problems);
    globs("exclude", exclude, problems);
    if (excludeOlderThan == null || excludeOlderThan.isNegative()) {
      problems.add(new ConfigProblem("exclude_older_than", "must be a duration such as \"24h\", or 0 for none"));
    }
    if (!startAt.equalsIgnoreCase("end") && !startAt.equalsIgnoreCase("beginning")) {
      problems.add(new ConfigProblem("start_at", "\"" + startAt + "\" is not valid; use \"end\" or \"beginning\""));
    }
    if (pollInterval == null || pollInterval.isNegative() || pollInterval.isZero()) {
      problems.add(new ConfigProblem("poll_interval", "must be a positive duration such as \"200ms\""));
    }
    if (maxConcurrentFiles < 1) {
      problems.add(new ConfigProblem("max_concurrent_files", maxConcurrentFiles
          + " is too small; give how many files may be open at once, at least 1 (default 1024)"));
    }
    if (maxBatches < 0) {
      problems.add(new ConfigProblem("max_batches", maxBatches + " is negative; give a count, or 0 for no limit"));
    }
    long fp = size("fingerprint_size", fingerprintSize, problems);
    if (fp >= 0 && fp < 16) {
      problems.add(new ConfigProblem("fingerprint_size", "\"" + fingerprintSize
          + "\" is too small to tell files apart; give at least 16 bytes (default \"1kb\")"));
    }
    long max = size("max_log_size", maxLogSize, problems);
    if (max >= 0 && (max < 2 || max > 256L << 20)) {
      problems.add(new ConfigProblem("max_log_size", "\"" + maxLogSize
          + "\" is out of range; give a size from 2 bytes to 256MiB (default \"1MiB\")"));
    }
    long initial = size("initial_buffer_size", initialBufferSize, problems);
    if (initial == 0) {
      problems.add(new ConfigProblem("initial_buffer_size", "must be a positive size such as \"16KiB\""));
    }
    try {
      Encodings.of(encoding);
    } catch (IllegalArgumentException e) {
      problems.add(new ConfigProblem("encoding", e.getMessage()));
    }
    if (deleteAfterRead && !startAtBeginning()) {
      problems.add(new ConfigProblem("delete_after_read", "needs start_at: beginning, or files would be deleted"
          + " with lines never read"));
    }
    problems.addAll(StorageExtension.validateId("storage", storage));
    if (forceFlushPeriod == null || forceFlushPeriod.isNegative()) {
      problems.add(new ConfigProblem("force_flush_period", "must be a duration such as \"500ms\", or 0 to never"
          + " send an entry before its end is seen"));
    }
    if (retryOnFailure == null) {
      problems.add(new ConfigProblem("retry_on_failure", "is empty; leave the key out for the defaults"));
    } else {
      problems.addAll(retryOnFailure.validate("retry_on_failure"));
    }
    if (multiline != null) {
      boolean start = !multiline.lineStartPattern().isEmpty();
      boolean end = !multiline.lineEndPattern().isEmpty();
      if (start && end) {
        problems.add(new ConfigProblem("multiline", "has both line_start_pattern and line_end_pattern; give one"));
      } else if (!start && !end) {
        problems.add(new ConfigProblem("multiline", "needs line_start_pattern or line_end_pattern"));
      }
      regex("multiline.line_start_pattern", multiline.lineStartPattern(), problems);
      regex("multiline.line_end_pattern", multiline.lineEndPattern(), problems);
    }
    String c = compression.toLowerCase(Locale.ROOT);
    if (!c.isEmpty() && !c.equals("gzip") && !c.equals("auto")) {
      problems.add(new ConfigProblem("compression", "\"" + compression
          + "\" is not supported; use \"gzip\", \"auto\", or leave it empty"));
    }
    problems.addAll(io.sluice.receiver.logoperators.OperatorPipeline.validate(operators, "operators"));
    if (header != null) {
      if (!startAtBeginning()) {
        problems.add(new ConfigProblem("header", "needs start_at: beginning: a file's header is read from its"
            + " first line"));
      }
      problems.addAll(HeaderReader.validate(header));
    }
    if (orderingCriteria != null) {
      problems.addAll(FileOrdering.validate(orderingCriteria));
    }
    return problems;
  }

  private static void globs(String key, List<String> globs, List<ConfigProblem> problems) {
    for (int i = 0; i < globs.size(); i++) {
      String g = globs.get(i);
      if (g == null || g.isBlank()) {
        problems.add(new ConfigProblem(key + "." + i, "is empty; give a glob such as \"/var/log/*.log\""));
        continue;
      }
      try {
        FileSystems.getDefault().getPathMatcher("glob:" + g);
      } catch (RuntimeException e) {
        problems.add(new ConfigProblem(key + "." + i, "\"" + g + "\" is not a valid glob: " + e.getMessage()));
      }
    }
  }

  private static long size(String key, String value, List<ConfigProblem> problems) {
    try {
      return ByteSizes.parse(value);
    } catch (IllegalArgumentException e) {
      problems.add(new ConfigProblem(key, e.getMessage()));
      return -1;
    }
  }

  private static void regex(String key, String regex, List<ConfigProblem> problems) {
    if (regex.isEmpty()) {
      return;
    }
    try {
      Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      problems.add(new ConfigProblem(key, "\"" + regex + "\" is not a valid regular expression (RE2 syntax): "
          + e.getMessage()));
    }
  }
}
