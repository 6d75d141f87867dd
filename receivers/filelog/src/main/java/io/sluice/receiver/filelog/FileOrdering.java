package io.sluice.receiver.filelog;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.sluice.core.ConfigProblem;
import io.sluice.receiver.filelog.FilelogReceiverConfig.OrderingCriteria;
import io.sluice.receiver.filelog.FilelogReceiverConfig.SortBy;
import io.sluice.receiver.logoperators.LogEntry;
import io.sluice.receiver.logoperators.OperatorConfigException;
import io.sluice.receiver.logoperators.OperatorPipeline;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * {@code ordering_criteria}: of the files the globs matched, the ones to read. {@code regex} is
 * matched against each path and its named groups are the values {@code sort_by} sorts on; a file
 * whose path it does not match, or whose value does not parse as the sort's type, is not read.
 * After the sorts, the first {@code top_n} files are read (per group with {@code group_by}).
 */
final class FileOrdering {
  private static final List<String> SORT_TYPES = List.of("numeric", "alphabetical", "timestamp", "mtime");

  private final Pattern regex;
  private final Pattern groupBy;
  private final int topN;
  private final List<Sort> sorts = new ArrayList<>();

  /** One file, the named groups of its path, and its value for each sort. */
  private record Item(Path path, Map<String, String> keys, Object[] values) {}

  /** One sort: how a file's value is found (null: the file is not read) and compared. */
  private record Sort(String key, Function<Item, Object> value, boolean ascending) {}

  FileOrdering(OrderingCriteria c, Clock clock) {
    this.regex = c.regex().isEmpty() ? null : Pattern.compile(c.regex());
    this.groupBy = c.groupBy().isEmpty() ? null : Pattern.compile(c.groupBy());
    this.topN = c.topN() == 0 ? 1 : c.topN();
    for (SortBy s : c.sortBy()) {
      String key = s.regexKey();
      switch (s.sortType()) {
        case "numeric" -> sorts.add(new Sort(key, item -> numeric(item.keys().get(key)), s.ascending()));
        case "alphabetical" -> sorts.add(new Sort(key, item -> item.keys().get(key), s.ascending()));
        case "timestamp" -> {
          OperatorPipeline parser = timeParser(s, clock);
          sorts.add(new Sort(key, item -> timestamp(parser, item.keys().get(key)), s.ascending()));
        }
        case "mtime" -> {
          long maxMillis = s.maxTime().toMillis();
          sorts.add(new Sort("", item -> mtime(item.path(), maxMillis, clock), false));
        }
        default -> throw new IllegalArgumentException("sort_type \"" + s.sortType() + "\"");
      }
    }
  }

  /** True when the criteria change anything: without {@code sort_by} every matched file is read. */
  static boolean active(OrderingCriteria c) {
    return c != null && !c.sortBy().isEmpty();
  }

  /** What is wrong with {@code ordering_criteria}, with key paths under it. */
  static List<ConfigProblem> validate(OrderingCriteria c) {
    String at = "ordering_criteria.";
    List<ConfigProblem> problems = new ArrayList<>();
    if (c.topN() < 0) {
      problems.add(new ConfigProblem(at + "top_n", c.topN() + " is negative; give how many files to read"
          + " (default 1)"));
    }
    Pattern regex = compile(at + "regex", c.regex(), problems);
    compile(at + "group_by", c.groupBy(), problems);
    for (int i = 0; i < c.sortBy().size(); i++) {
      SortBy s = c.sortBy().get(i);
      String p = at + "sort_by[" + i + "].";
      if (s == null) {
        problems.add(new ConfigProblem(at + "sort_by[" + i + "]", "is empty; give sort_type and regex_key"));
        continue;
      }
      if (!SORT_TYPES.contains(s.sortType())) {
        problems.add(new ConfigProblem(p + "sort_type", (s.sortType().isEmpty() ? "is required"
            : "\"" + s.sortType() + "\" is not a sort type") + "; use one of " + SORT_TYPES));
        continue;
      }
      if (s.sortType().equals("mtime")) {
        if (s.maxTime().isNegative()) {
          problems.add(new ConfigProblem(p + "max_time", "must be a duration such as \"24h\", or 0 for no limit"));
        }
        continue;
      }
      if (c.regex().isEmpty()) {
        problems.add(new ConfigProblem(at + "regex", "is required with sort_type " + s.sortType()
            + ": a regular expression on the file path with named groups, such as"
            + " '(?P<rotation>\\d+)\\.log$'"));
      }
      if (s.regexKey().isEmpty()) {
        problems.add(new ConfigProblem(p + "regex_key", "is required: the named group of regex to sort on"));
      } else if (regex != null && !regex.namedGroups().containsKey(s.regexKey())) {
        problems.add(new ConfigProblem(p + "regex_key", "\"" + s.regexKey() + "\" is no named group of"
            + " ordering_criteria.regex; it has " + regex.namedGroups().keySet()));
      }
      if (s.sortType().equals("timestamp")) {
        if (s.layout().isEmpty()) {
          problems.add(new ConfigProblem(p + "layout", "is required with sort_type timestamp: the strptime layout"
              + " of the group, such as \"%Y%m%d%H\""));
        } else {
          for (ConfigProblem op : OperatorPipeline.validate(List.of(timeParserConfig(s)), "x")) {
            String key = op.path().replaceFirst("^x\\[0\\]\\.?", "");
            problems.add(new ConfigProblem(p + (key.isEmpty() ? "layout" : key), op.message()));
          }
        }
      }
    }
    return problems;
  }

  private static Pattern compile(String key, String regex, List<ConfigProblem> problems) {
    if (regex.isEmpty()) {
      return null;
    }
    try {
      return Pattern.compile(regex);
    } catch (PatternSyntaxException e) {
      problems.add(new ConfigProblem(key, "\"" + regex + "\" is not a valid regular expression (RE2 syntax): "
          + e.getMessage()));
      return null;
    }
  }

  /** The files to read, of the matched {@code paths}. */
  List<Path> select(List<Path> paths) {
    Map<String, List<Item>> groups = new LinkedHashMap<>();
    for (Path path : paths) {
      String text = path.toString();
      Map<String, String> keys = new HashMap<>();
      if (regex != null) {
        Matcher m = regex.matcher(text);
        if (!m.find()) {
          continue;
        }
        for (String name : regex.namedGroups().keySet()) {
          keys.put(name, m.group(name));
        }
      }
      Item item = new Item(path, keys, new Object[sorts.size()]);
      boolean parses = true;
      for (int i = 0; i < sorts.size() && parses; i++) {
        item.values()[i] = sorts.get(i).value().apply(item);
        parses = item.values()[i] != null;
      }
      if (parses) {
        groups.computeIfAbsent(group(text), g -> new ArrayList<>()).add(item);
      }
    }
    List<Path> out = new ArrayList<>();
    for (List<Item> group : groups.values()) {
      for (int s = 0; s < sorts.size(); s++) {
        int at = s;
        @SuppressWarnings({"unchecked", "rawtypes"})
        Comparator<Item> byValue = Comparator.comparing(i -> (Comparable) i.values()[at]);
        group.sort(sorts.get(s).ascending() ? byValue : byValue.reversed());
      }
      group.stream().limit(topN).forEach(i -> out.add(i.path()));
    }
    return out;
  }

  private String group(String path) {
    if (groupBy == null) {
      return "";
    }
    Matcher m = groupBy.matcher(path);
    if (!m.find()) {
      return "\0none";
    }
    return m.groupCount() > 0 && m.group(1) != null ? m.group(1) : m.group();
  }

  private static Long numeric(String s) {
    try {
      return s == null ? null : Long.parseLong(s);
    } catch (NumberFormatException e) {
      return null;
    }
  }

  private static Long mtime(Path path, long maxMillis, Clock clock) {
    try {
      long modified = Files.getLastModifiedTime(path).toMillis();
      if (maxMillis > 0 && clock.millis() - modified >= maxMillis) {
        return null;
      }
      return modified;
    } catch (IOException e) {
      return null;
    }
  }

  private static Map<String, Object> timeParserConfig(SortBy s) {
    Map<String, Object> op = new LinkedHashMap<>();
    op.put("type", "time_parser");
    op.put("parse_from", "body");
    op.put("layout_type", "strptime");
    op.put("layout", s.layout());
    op.put("location", s.location().isEmpty() ? "UTC" : s.location());
    op.put("on_error", "send_quiet");
    return op;
  }

  private static OperatorPipeline timeParser(SortBy s, Clock clock) {
    try {
      return OperatorPipeline.build(List.of(timeParserConfig(s)), "ordering_criteria",
          new OperatorPipeline.Options(clock, (id, message, quiet, dropped) -> { }));
    } catch (OperatorConfigException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** The instant of {@code text} in nanoseconds, or null when it does not parse. */
  private static Long timestamp(OperatorPipeline parser, String text) {
    if (text == null) {
      return null;
    }
    List<LogEntry> out = parser.process(new LogEntry(text));
    if (out.isEmpty() || out.get(0).timestamp() == 0) {
      return null;
    }
    return out.get(0).timestamp();
  }
}
