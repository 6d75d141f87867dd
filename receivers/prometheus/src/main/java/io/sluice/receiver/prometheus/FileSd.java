package io.sluice.receiver.prometheus;

import io.sluice.receiver.prometheus.Targets.Group;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.YAMLException;

/**
 * Prometheus' file-based service discovery: files (JSON or YAML; the last path element may hold
 * wildcards) that list target groups, {@code [{targets: [host:port, ...], labels: {...}}]}. Each
 * target gets the group's labels and {@code __meta_filepath}. Blocking: run on a worker.
 */
final class FileSd {
  static final String META_FILEPATH = "__meta_filepath";

  /** What was read: the groups, and a fingerprint of the files (names, sizes, times) to detect changes. */
  record Snapshot(List<Group> groups, String fingerprint, List<String> problems) {}

  private FileSd() {
  }

  /** The files the patterns name now, sorted. */
  static List<Path> expand(List<String> patterns) throws IOException {
    List<Path> out = new ArrayList<>();
    for (String pattern : patterns) {
      Path p = Path.of(pattern);
      String last = p.getFileName() == null ? "" : p.getFileName().toString();
      if (!last.contains("*") && !last.contains("?") && !last.contains("[")) {
        if (Files.isRegularFile(p)) {
          out.add(p);
        }
        continue;
      }
      Path dir = p.getParent() == null ? Path.of(".") : p.getParent();
      if (!Files.isDirectory(dir)) {
        continue;
      }
      PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + last);
      try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
        for (Path e : entries) {
          if (matcher.matches(e.getFileName()) && Files.isRegularFile(e)) {
            out.add(e);
          }
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** A fingerprint of the named files: changes when one is added, removed or rewritten. */
  static String fingerprint(List<String> patterns) throws IOException {
    StringBuilder sb = new StringBuilder();
    for (Path p : expand(patterns)) {
      try {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
        sb.append(p).append('|').append(a.size()).append('|').append(a.lastModifiedTime().toMillis()).append('\n');
      } catch (IOException e) {
        sb.append(p).append("|gone\n");
      }
    }
    return sb.toString();
  }

  /** Reads every file the patterns name; a file that does not parse is reported and skipped. */
  static Snapshot read(List<String> patterns) throws IOException {
    String fingerprint = fingerprint(patterns);
    List<Group> groups = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    for (Path p : expand(patterns)) {
      try {
        groups.addAll(parse(Files.readString(p), p.toString()));
      } catch (IOException | RuntimeException e) {
        problems.add("\"" + p + "\": " + e.getMessage());
      }
    }
    return new Snapshot(groups, fingerprint, problems);
  }

  /** The target groups in one file's text (JSON is read as YAML). */
  static List<Group> parse(String text, String path) {
    Object root;
    try {
      root = new Yaml(new SafeConstructor(new LoaderOptions())).load(text);
    } catch (YAMLException e) {
      throw e;
    } catch (RuntimeException e) {
      // SnakeYAML fails with a ClassCastException on some malformed tags, such as "!!binary []"
      throw new IllegalArgumentException("not a valid YAML or JSON list of target groups: " + e.getMessage(), e);
    }
    return Targets.groups(root, META_FILEPATH, path);
  }
}
