package io.sluice.receiver.prometheus;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentFactory;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.FileSdConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpClientKeys;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpHeader;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.HttpSdConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.PromConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.TlsConfig;
import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prometheus' {@code scrape_config_files}: files, named by paths whose last element may be a glob,
 * that each hold a {@code scrape_configs:} list. Their jobs are checked as those of the main
 * config (with its global settings), and job names must be unique across all of them. Relative
 * patterns are taken from the working directory, and relative paths inside an included file from
 * that file's directory, as Prometheus does. Reading is blocking: done when the config is
 * loaded and when the receiver starts, on a worker.
 */
final class ScrapeConfigFiles {
  private ScrapeConfigFiles() {}

  /** What an included file holds. */
  record Included(List<ScrapeConfig> scrapeConfigs) implements ComponentConfig {
    Included {
      scrapeConfigs = PrometheusReceiverConfig.keepNulls(scrapeConfigs);
    }
  }

  /**
   * A job of an included file with its relative file paths (file_sd files, TLS, token, password
   * and header files) taken from the file's own directory, as Prometheus takes them.
   */
  static ScrapeConfig relativeTo(Path dir, ScrapeConfig sc) {
    if (sc == null) {
      return null;
    }
    List<FileSdConfig> fileSds = new ArrayList<>();
    for (FileSdConfig fs : sc.fileSdConfigs()) {
      fileSds.add(fs == null ? null : new FileSdConfig(fs.files().stream().map(f -> join(dir, f)).toList(),
          fs.refreshInterval()));
    }
    List<HttpSdConfig> httpSds = new ArrayList<>();
    for (HttpSdConfig hs : sc.httpSdConfigs()) {
      httpSds.add(hs == null ? null : clientFilesRelativeTo(dir, hs));
    }
    ScrapeConfig out = clientFilesRelativeTo(dir, sc);
    return Records.with(out, Map.of("fileSdConfigs", fileSds, "httpSdConfigs", httpSds));
  }

  private static <R extends Record & HttpClientKeys> R clientFilesRelativeTo(Path dir, R keys) {
    Map<String, Object> changes = new HashMap<>();
    changes.put("bearerTokenFile", join(dir, keys.bearerTokenFile()));
    if (keys.tlsConfig() != null) {
      TlsConfig t = keys.tlsConfig();
      changes.put("tlsConfig", Records.with(t, Map.of("caFile", join(dir, t.caFile()), "certFile",
          join(dir, t.certFile()), "keyFile", join(dir, t.keyFile()))));
    }
    if (keys.authorization() != null) {
      changes.put("authorization", Records.with(keys.authorization(), Map.of("credentialsFile",
          join(dir, keys.authorization().credentialsFile()))));
    }
    if (keys.basicAuth() != null) {
      changes.put("basicAuth", Records.with(keys.basicAuth(), Map.of("usernameFile",
          join(dir, keys.basicAuth().usernameFile()), "passwordFile", join(dir, keys.basicAuth().passwordFile()))));
    }
    Map<String, HttpHeader> headers = new LinkedHashMap<>();
    keys.httpHeaders().forEach((name, h) -> headers.put(name, h == null ? null
        : new HttpHeader(h.values(), h.secrets(), h.files().stream().map(f -> join(dir, f)).toList())));
    changes.put("httpHeaders", headers);
    return Records.with(keys, changes);
  }

  /** A path as written when absolute or empty, else joined to {@code dir}. */
  private static String join(Path dir, String path) {
    if (path == null || path.isEmpty() || Path.of(path).isAbsolute()) {
      return path;
    }
    return dir.resolve(path).toString();
  }

  /** Binds an included file's text as the loader binds a section: unknown keys and wrong types are errors. */
  private static final class IncludedFactory implements ComponentFactory<Included> {
    @Override
    public String type() {
      return "prometheus";
    }

    @Override
    public ComponentKind kind() {
      return ComponentKind.RECEIVER;
    }

    @Override
    public Class<Included> configClass() {
      return Included.class;
    }

    @Override
    public Included defaultConfig() {
      return new Included(null);
    }

    @Override
    public Set<Signal> signals() {
      return Set.of(Signal.METRICS);
    }
  }

  /** The files one pattern names, sorted; empty when none match. */
  static List<Path> expand(String pattern) throws IOException {
    Path path = Path.of(pattern);
    Path dir = path.getParent() == null ? Path.of(".") : path.getParent();
    String name = path.getFileName() == null ? "" : path.getFileName().toString();
    List<Path> out = new ArrayList<>();
    if (!name.contains("*") && !name.contains("?") && !name.contains("[")) {
      if (Files.isRegularFile(path)) {
        out.add(path);
      }
      return out;
    }
    if (!Files.isDirectory(dir)) {
      return out;
    }
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, name)) {
      for (Path f : files) {
        if (Files.isRegularFile(f)) {
          out.add(f);
        }
      }
    }
    out.sort(null);
    return out;
  }

  /** What is done with each included file once it is bound. */
  private interface Visitor {
    void visit(String key, Path file, Included included);
  }

  /**
   * Binds every included file, in order, and hands it to {@code visitor} with the key of its
   * {@code scrape_config_files} entry; a pattern or file that cannot be read or bound adds a
   * problem at that entry instead.
   */
  private static void eachFile(PromConfig config, List<ConfigProblem> problems, Visitor visitor) {
    for (int i = 0; i < config.scrapeConfigFiles().size(); i++) {
      String key = "config.scrape_config_files[" + i + "]";
      String pattern = config.scrapeConfigFiles().get(i);
      if (pattern == null) {
        continue;
      }
      List<Path> files;
      try {
        files = expand(pattern);
      } catch (IOException | InvalidPathException e) {
        problems.add(new ConfigProblem(key, "error retrieving scrape config files for \"" + pattern + "\": " + e));
        continue;
      }
      for (Path file : files) {
        Included included = bind(key, file, problems);
        if (included != null) {
          visitor.visit(key, file, included);
        }
      }
    }
  }

  /** The jobs of every included file, in order; files that cannot be read or bound add problems. */
  static List<ScrapeConfig> load(PromConfig config, List<ConfigProblem> problems) {
    List<ScrapeConfig> jobs = new ArrayList<>();
    eachFile(config, problems, (key, file, included) -> jobs.addAll(included.scrapeConfigs()));
    return jobs;
  }

  private static Included bind(String key, Path file, List<ConfigProblem> problems) {
    String text;
    try {
      text = Files.readString(file);
    } catch (IOException e) {
      problems.add(new ConfigProblem(key, "cannot read scrape config file \"" + file + "\": " + e));
      return null;
    }
    try {
      Included included = ConfigLoader.bindComponent(new IncludedFactory(), text);
      Path dir = file.toAbsolutePath().getParent();
      List<ScrapeConfig> jobs = new ArrayList<>();
      for (ScrapeConfig sc : included.scrapeConfigs()) {
        jobs.add(relativeTo(dir, sc));
      }
      return new Included(jobs);
    } catch (ConfigException e) {
      for (ConfigError err : e.errors()) {
        String path = err.path().startsWith("receivers.prometheus.") ? err.path().substring(21)
            : err.path().replace("receivers.prometheus", "");
        problems.add(new ConfigProblem(key, file + (err.line() > 0 ? ":" + err.line() + ":" + err.column() : "")
            + ": " + (path.isEmpty() ? "" : path + ": ") + err.message()));
      }
      return null;
    }
  }

  /**
   * Loads the included files and checks their jobs as those of the main config, each problem at
   * its file's entry, naming the file.
   */
  static void check(PromConfig config, Map<String, String> jobNames, List<ConfigProblem> problems) {
    eachFile(config, problems, (key, file, included) -> {
      List<ConfigProblem> jobProblems = new ArrayList<>();
      PromConfigCheck.checkJobs("scrape_configs", "\"" + file + "\"", included.scrapeConfigs(), config.global(),
          jobNames, jobProblems);
      for (ConfigProblem p : jobProblems) {
        problems.add(new ConfigProblem(key, file + ": " + p.path() + ": " + p.message()));
      }
    });
  }
}
