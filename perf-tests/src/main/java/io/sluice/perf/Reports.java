package io.sluice.perf;

import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/** What every benchmark runner prints and writes: console lines, the machine, result files. */
final class Reports {
  private Reports() {}

  static void say(String format, Object... args) {
    System.out.println(String.format(Locale.ROOT, format, args));
    System.out.flush();
  }

  /** Prints {@code table} as two aligned columns, indented. */
  static void sayTable(Map<String, String> table) {
    int width = table.keySet().stream().mapToInt(String::length).max().orElse(10);
    for (Map.Entry<String, String> e : table.entrySet()) {
      say("  %-" + width + "s  %s", e.getKey(), e.getValue());
    }
  }

  /** Appends {@code table} as a Markdown table with the given header cells. */
  static void markdownTable(StringBuilder md, Map<String, String> table, String keyHeader, String valueHeader) {
    md.append("| ").append(keyHeader).append(" | ").append(valueHeader).append(" |\n|---|---|\n");
    table.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  /** The 1-minute load average from {@code /proc/loadavg}'s line. */
  static double oneMinuteLoad(String loadavg) {
    return Double.parseDouble(loadavg.trim().split(" ")[0]);
  }

  /** {@code dir/<prefix>-<date>.md}, or {@code -2}, {@code -3}, ... when that exists. */
  static Path resultsFile(Path dir, String prefix, LocalDate date) {
    Path file = dir.resolve(prefix + "-" + date + ".md");
    for (int n = 2; Files.exists(file); n++) {
      file = dir.resolve(prefix + "-" + date + "-" + n + ".md");
    }
    return file;
  }

  /**
   * {@code dir/<prefix>-<date>[-<label>].md}, or with {@code -2}, {@code -3}, ... added when that
   * exists; the label's characters other than letters, digits, dots and dashes become dashes.
   */
  static Path resultsFile(Path dir, String prefix, LocalDate date, String label) {
    String clean = label.strip().replaceAll("[^A-Za-z0-9._-]+", "-");
    String name = prefix + "-" + date + (clean.isEmpty() ? "" : "-" + clean);
    Path file = dir.resolve(name + ".md");
    for (int n = 2; Files.exists(file); n++) {
      file = dir.resolve(name + "-" + n + ".md");
    }
    return file;
  }

  /** The "## Machine" section of a report: CPUs, memory, kernel, load, GC, commit, java -version. */
  static String machineMarkdown(Path home, Path java, String loadAtStart) {
    StringBuilder md = new StringBuilder();
    md.append("\n## Machine\n\n");
    md.append("- CPUs: ").append(Runtime.getRuntime().availableProcessors()).append(" (nproc), ")
        .append(cpuModel()).append('\n');
    md.append("- Memory: ").append(memTotal()).append('\n');
    md.append("- Kernel: ").append(System.getProperty("os.name")).append(' ').append(System.getProperty("os.version"))
        .append('\n');
    md.append("- Load average at start: ").append(loadAtStart).append('\n');
    md.append("- Garbage collector (runner's, same ergonomics as the gateway's): ")
        .append(ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
            .collect(Collectors.joining(", "))).append('\n');
    md.append("- Sluice commit: ").append(command(home, "git", "rev-parse", "--short", "HEAD")).append('\n');
    md.append("\n`").append(java).append(" -version`:\n\n```\n").append(command(home, java.toString(), "-version"))
        .append("\n```\n");
    return md.toString();
  }

  /** The runner's own {@code -X} JVM options, space-separated. */
  static String runnerJvmOptions() {
    return ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
        .filter(a -> a.startsWith("-X")).collect(Collectors.joining(" "));
  }

  static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
          .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown model");
    } catch (IOException e) {
      return "unknown model";
    }
  }

  static String memTotal() {
    try {
      return Files.readAllLines(Path.of("/proc/meminfo")).stream().filter(l -> l.startsWith("MemTotal"))
          .map(l -> String.format(Locale.ROOT, "%.1f GiB",
              Long.parseLong(l.replaceAll("[^0-9]", "")) / 1048576.0))
          .findFirst().orElse("unknown");
    } catch (IOException | NumberFormatException e) {
      return "unknown";
    }
  }

  /** The output of {@code command} run in {@code dir}, or "unknown". */
  static String command(Path dir, String... command) {
    try {
      Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      p.waitFor(10, TimeUnit.SECONDS);
      return out.isEmpty() ? "unknown" : out;
    } catch (IOException e) {
      return "unknown (" + e.getMessage() + ")";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "unknown";
    }
  }

  /**
   * Sums, by metric name, the samples of {@code http://127.0.0.1:<port>/metrics} (text format)
   * whose name {@code wanted} accepts; empty when the endpoint does not answer.
   */
  static Map<String, Double> metrics(int port, Predicate<String> wanted) {
    Map<String, Double> sums = new LinkedHashMap<>();
    try {
      HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      for (String line : response.body().split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        int brace = line.indexOf('{');
        int space = line.indexOf(' ');
        if (space < 0) {
          continue;
        }
        String name = line.substring(0, brace > 0 && brace < space ? brace : space);
        if (!wanted.test(name)) {
          continue;
        }
        // the value is the first token after the name and labels (a timestamp may follow)
        String rest = (brace > 0 && brace < space ? line.substring(line.lastIndexOf('}') + 1) : line.substring(space))
            .trim();
        String value = rest.split("\\s+")[0];
        sums.merge(name, Double.parseDouble(value), Double::sum);
      }
    } catch (IOException | RuntimeException e) {
      sums.clear();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return sums;
  }

  /** Lines of a log that contain any of {@code markers}: at most {@code keep} of them, and how many in all. */
  record LogLines(long count, List<String> first) {}

  static LogLines logLines(Path log, int keep, String... markers) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      List<String> hits = all.stream().filter(l -> {
        for (String m : markers) {
          if (l.contains(m)) {
            return true;
          }
        }
        return false;
      }).collect(Collectors.toList());
      return new LogLines(hits.size(), hits.subList(0, Math.min(keep, hits.size())));
    } catch (IOException e) {
      return new LogLines(0, List.of("(cannot read " + log + ": " + e.getMessage() + ")"));
    }
  }

  /** A "## Configs" section: each config file, relative to {@code home}, in a YAML block. */
  static String configsMarkdown(Path home, List<Path> configs) {
    StringBuilder md = new StringBuilder("\n## Configs\n");
    for (Path c : configs) {
      try {
        md.append("\n`").append(home.relativize(c)).append("`:\n\n```yaml\n").append(Files.readString(c))
            .append("```\n");
      } catch (IOException e) {
        md.append("\n(cannot read ").append(c).append(")\n");
      }
    }
    return md.toString();
  }

  /** A ratio with two decimals; "-" when it is not a number. */
  static String ratio(double r) {
    return Double.isNaN(r) || Double.isInfinite(r) ? "-" : String.format(Locale.ROOT, "%.2f", r);
  }

  /** Bytes in MiB; "-" when unknown (negative). */
  static String mib(long bytes) {
    return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
  }
}
