package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Prometheus's own config test files as a conformance suite: each {@code config/testdata/*.good.yml}
 * of the Prometheus module must load as the {@code prometheus} receiver's {@code config:}, and each
 * {@code *.bad.yml} must be refused for the reason Prometheus gives (the fragment of Sluice's
 * message listed in {@code prometheus-bad-configs.tsv}). Files that need a service discovery Sluice
 * does not have, or whose error lies in a section that has no effect in Sluice, are skipped by name
 * with the reason.
 *
 * <p>The Prometheus module comes from the Go module proxy; {@code bin/test} downloads it and passes
 * its directory as {@code -Dsluice.prometheus.dir}.
 */
class PrometheusConfigConformanceTest {
  static final String MODULE = "github.com/prometheus/prometheus@v0.316.0";
  private static final Pattern DISCOVERY = Pattern.compile("(?m)^\\s*-?\\s*(\\w+)_sd_configs\\s*:");
  private static final PrometheusReceiverFactory FACTORY = new PrometheusReceiverFactory();
  private static final Map<String, List<String>> OUTCOMES = new ConcurrentHashMap<>();

  /**
   * What Prometheus says about a bad file, and what Sluice must say; {@code otherReason} when
   * Sluice refuses the file for a reason of its own (the fragment is then Sluice's reason).
   */
  record Expected(String fragment, String skipReason, String prometheusMessage, boolean otherReason) {}

  static Path testdata() {
    String dir = System.getProperty("sluice.prometheus.dir", "");
    return dir.isBlank() ? null : Path.of(dir, "config", "testdata");
  }

  @TestFactory
  Stream<DynamicTest> prometheusConfigTestFiles() throws IOException {
    Path dir = testdata();
    if (dir == null || !Files.isDirectory(dir)) {
      String reason = "Prometheus's config test files not found" + (dir == null ? "" : " at " + dir) + ". Run"
          + " `go mod download -json " + MODULE + "` and pass the \"Dir\" it prints as -Dsluice.prometheus.dir=DIR"
          + " (bin/test does both)";
      return Stream.of(DynamicTest.dynamicTest("Prometheus config testdata missing", () -> fail(reason)));
    }
    Map<String, Expected> expected = expectedErrors();
    List<Path> files;
    try (Stream<Path> list = Files.list(dir)) {
      files = list.filter(p -> p.getFileName().toString().matches(".*\\.(good|bad)\\.yml")).sorted().toList();
    }
    assertThat(files).as("config test files in %s", dir).hasSizeGreaterThan(150);
    List<DynamicTest> tests = new ArrayList<>();
    for (Path file : files) {
      String name = file.getFileName().toString();
      tests.add(DynamicTest.dynamicTest(name, () -> run(dir, file, expected.get(name))));
    }
    return tests.stream();
  }

  private static void run(Path dir, Path file, Expected expected) throws IOException {
    String name = file.getFileName().toString();
    String text = Files.readString(file, StandardCharsets.UTF_8);
    List<String> discoveries = otherDiscoveries(text + included(dir, text));
    if (!discoveries.isEmpty()) {
      skip(name, "needs " + String.join(", ", discoveries) + " service discovery, which Sluice does not have");
    }
    boolean good = name.endsWith(".good.yml");
    if (!good && expected == null) {
      fail(name + " has no row in prometheus-bad-configs.tsv; add why Prometheus refuses it (config_test.go)");
    }
    if (!good && expected.skipReason() != null) {
      skip(name, expected.skipReason());
    }
    List<String> errors = load(dir, text);
    if (good) {
      assertThat(errors).as("%s loads in Prometheus, so it must load in Sluice", name).isEmpty();
      record("loaded", name);
    } else {
      assertThat(errors).as("%s must be refused, as Prometheus refuses it (%s)", name, expected.prometheusMessage())
          .isNotEmpty();
      assertThat(errors).as("%s must be refused for %s: %s", name,
          expected.otherReason() ? "the reason listed" : "Prometheus's reason", expected.prometheusMessage())
          .anySatisfy(e -> assertThat(e).contains(expected.fragment()));
      record(expected.otherReason() ? "refused for another reason" : "refused for Prometheus's reason", name);
    }
  }

  private static void skip(String name, String reason) {
    record("skipped: " + reason, name);
    Assumptions.abort(name + ": " + reason);
  }

  private static void record(String outcome, String name) {
    OUTCOMES.computeIfAbsent(outcome, k -> java.util.Collections.synchronizedList(new ArrayList<>())).add(name);
  }

  @AfterAll
  static void summary() {
    if (OUTCOMES.isEmpty()) {
      return;
    }
    StringBuilder sb = new StringBuilder("Prometheus config conformance (" + MODULE + " config/testdata):\n");
    new TreeMap<>(OUTCOMES).forEach((outcome, names) -> sb.append("  ").append(names.size()).append(' ')
        .append(outcome).append(": ").append(String.join(", ", names.stream().sorted().toList())).append('\n'));
    System.out.print(sb);
  }

  /** The text of the files a config's scrape_config_files name (relative to {@code dir}). */
  private static String included(Path dir, String text) throws IOException {
    StringBuilder sb = new StringBuilder();
    Matcher m = Pattern.compile("(?m)^scrape_config_files:\\s*\\n((?:\\s*-.*\\n?)+)").matcher(text);
    while (m.find()) {
      for (String line : m.group(1).split("\n")) {
        String entry = line.replaceFirst("\\s*-\\s*", "").trim();
        if (!entry.isEmpty()) {
          for (Path f : ScrapeConfigFiles.expand(dir.resolve(entry).toString())) {
            sb.append('\n').append(Files.readString(f, StandardCharsets.UTF_8));
          }
        }
      }
    }
    return sb.toString();
  }

  /** The service discoveries a file uses that Sluice does not have. */
  static List<String> otherDiscoveries(String text) {
    List<String> out = new ArrayList<>();
    Matcher m = DISCOVERY.matcher(text);
    while (m.find()) {
      if (PromConfigCheck.OTHER_DISCOVERIES.contains(m.group(1)) && !out.contains(m.group(1))) {
        out.add(m.group(1));
      }
    }
    return out;
  }

  /**
   * Loads a Prometheus config as the receiver's {@code config:}; the problems, as the loader
   * words them, or none. Relative {@code scrape_config_files} are taken from {@code dir}, as
   * Prometheus takes them from the config file's directory (Sluice takes them from its working
   * directory, as the Collector does).
   */
  static List<String> load(Path dir, String prometheusYaml) {
    StringBuilder yaml = new StringBuilder("config:\n");
    boolean inFiles = false;
    for (String line : prometheusYaml.split("\n", -1)) {
      if (line.startsWith("scrape_config_files:")) {
        inFiles = true;
      } else if (inFiles && line.matches("\\s*-\\s*\\S.*")) {
        String entry = line.replaceFirst("\\s*-\\s*", "").trim();
        line = "  - \"" + dir.resolve(entry) + "\"";
      } else if (!line.isBlank()) {
        inFiles = false;
      }
      yaml.append("    ").append(line).append('\n');
    }
    try {
      ConfigLoader.bindComponent(FACTORY, yaml.toString());
      return List.of();
    } catch (ConfigException e) {
      return e.errors().stream().map(ConfigError::toString).toList();
    }
  }

  /** The rows of prometheus-bad-configs.tsv by file. */
  static Map<String, Expected> expectedErrors() throws IOException {
    Map<String, Expected> out = new LinkedHashMap<>();
    try (InputStream in = PrometheusConfigConformanceTest.class.getResourceAsStream("prometheus-bad-configs.tsv")) {
      assertThat(in).as("prometheus-bad-configs.tsv on the test class path").isNotNull();
      for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
        if (line.isBlank() || line.startsWith("#")) {
          continue;
        }
        String[] cols = line.split("\t", -1);
        assertThat(cols).as("row %s", line).hasSize(3);
        boolean skip = cols[1].startsWith("skip: ");
        boolean other = cols[1].startsWith("other: ");
        String fragment = skip ? null : other ? cols[1].substring(7) : cols[1];
        out.put(cols[0], new Expected(fragment, skip ? cols[1].substring(6) : null, cols[2], other));
      }
    }
    return out;
  }
}
