package io.sluice.receiver.filelog;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.FileVisitOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.TreeSet;

/**
 * Finds the files that {@code include} globs match and {@code exclude} globs do not. Globs are
 * Java's, with {@code **} crossing directories; as in the Collector, {@code dir/**}{@code /x}
 * also matches {@code dir/x}. Only the directories under a glob's fixed prefix are walked, and
 * no deeper than its segments reach unless it has {@code **}. A file ending in {@code .gz} is
 * left out unless the include glob that finds it names {@code .gz} itself.
 */
final class FileMatcher {
  private final List<Glob> include = new ArrayList<>();
  private final List<Glob> exclude = new ArrayList<>();

  private record Glob(String text, Path root, int maxDepth, List<PathMatcher> matchers) {
    boolean matches(Path p) {
      for (PathMatcher m : matchers) {
        if (m.matches(p)) {
          return true;
        }
      }
      return false;
    }

    boolean namesGzip() {
      return text.contains(".gz");
    }
  }

  FileMatcher(List<String> include, List<String> exclude) {
    include.forEach(g -> this.include.add(glob(g)));
    exclude.forEach(g -> this.exclude.add(glob(g)));
  }

  private static Glob glob(String pattern) {
    String abs = pattern.startsWith("/") ? pattern : Path.of("").toAbsolutePath() + "/" + pattern;
    String[] segments = abs.split("/");
    StringBuilder root = new StringBuilder();
    int i = 0;
    for (; i < segments.length - 1; i++) {
      if (hasMeta(segments[i])) {
        break;
      }
      if (!segments[i].isEmpty()) {
        root.append('/').append(segments[i]);
      }
    }
    int depth = segments.length - i;
    for (int j = i; j < segments.length; j++) {
      if (segments[j].contains("**")) {
        depth = Integer.MAX_VALUE;
      }
    }
    List<PathMatcher> matchers = new ArrayList<>();
    for (String variant : variants(abs)) {
      matchers.add(FileSystems.getDefault().getPathMatcher("glob:" + variant));
    }
    return new Glob(pattern, Path.of(root.length() == 0 ? "/" : root.toString()), depth, matchers);
  }

  private static boolean hasMeta(String segment) {
    for (char c : segment.toCharArray()) {
      if (c == '*' || c == '?' || c == '[' || c == '{' || c == '\\') {
        return true;
      }
    }
    return false;
  }

  /** The glob and, for every {@code /**}{@code /}, the glob with it as a plain {@code /} too. */
  private static List<String> variants(String glob) {
    List<String> out = new ArrayList<>();
    out.add(glob);
    int at = glob.indexOf("/**/");
    if (at >= 0) {
      for (String rest : variants(glob.substring(at + 3))) {
        out.add(glob.substring(0, at) + rest);
        out.add(glob.substring(0, at + 3) + rest);
      }
      out.remove(0);
    }
    return out;
  }

  /** The matching regular files (symbolic links to them included), sorted, each once. */
  List<Path> find() {
    TreeSet<Path> found = new TreeSet<>();
    for (Glob g : include) {
      if (!Files.isDirectory(g.root())) {
        continue;
      }
      try {
        Files.walkFileTree(g.root(), EnumSet.noneOf(FileVisitOption.class), g.maxDepth(), new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
            if (g.matches(file) && (!file.toString().endsWith(".gz") || g.namesGzip()) && !excluded(file)
                && (attrs.isRegularFile() || Files.isRegularFile(file))) {
              found.add(file);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) {
            return FileVisitResult.CONTINUE;
          }
        });
      } catch (IOException e) {
        // A directory that vanished mid-walk: the next poll sees what is there then.
      }
    }
    return new ArrayList<>(found);
  }

  private boolean excluded(Path file) {
    for (Glob g : exclude) {
      if (g.matches(file)) {
        return true;
      }
    }
    return false;
  }
}
