package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Writing configs, starting gateways, and reading what they expose: shared by the gateway's tests. */
final class GatewayFixtures {
  /** HTTP/1.1: the JDK client's default HTTP/2 upgrade leaves pooled connections that race with a server's GOAWAY. */
  static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();

  private GatewayFixtures() {}

  /** Writes {@code yaml} to {@code dir/name} atomically (a reader never sees half a file). */
  static Path writeConfig(Path dir, String name, String yaml) {
    try {
      Path tmp = Files.createTempFile(dir, name, ".tmp");
      Files.writeString(tmp, yaml);
      return Files.move(tmp, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Loads {@code file} with {@code env} and starts a gateway on {@code vertx}; fails the test if either fails. */
  static Gateway start(Vertx vertx, Path file, Map<String, String> env) throws Exception {
    LoadedConfig config = Configs.load(List.of(file), env);
    Gateway gateway = Gateway.create(vertx);
    gateway.start(config, Duration.ofSeconds(30));
    assertThat(gateway.ready()).as("gateway ready after start").isTrue();
    return gateway;
  }

  /**
   * Vert.x that adds to {@code blocked} every event loop blocked for more than a second
   * (TestVertx's limit is 200 ms), for tests that run real servers beside a cold gateway on a
   * shared 2-core machine. With the 200 ms limit, about one run in five of PrometheusParityIT
   * failed on one-time start-up work of the libraries, stretched by the load: Netty initialising
   * its buffer-allocation JFR event class on the first request (211-325 ms), the HTTP client's
   * first pooled connection. What a loop does per scrape stays far below a second.
   */
  static Vertx lenientVertx(List<String> blocked) {
    Vertx v = Vertx.vertx(new VertxOptions()
        .setBlockedThreadCheckInterval(100).setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
        .setMaxEventLoopExecuteTime(1).setMaxEventLoopExecuteTimeUnit(TimeUnit.SECONDS));
    ((VertxInternal) v).blockedThreadChecker().setThreadBlockedHandler(e -> blocked.add(
        "'" + e.thread().getName() + "' blocked for " + e.duration() / 1_000_000 + " ms"));
    return v;
  }

  /** GETs {@code http://127.0.0.1:port/path}; the status and body. */
  static HttpResponse<String> get(int port, String path) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).GET().build();
    return HTTP.send(req, HttpResponse.BodyHandlers.ofString());
  }

  /** The status of GET {@code path}, or -1 when nothing answers. */
  static int statusOf(int port, String path) {
    try {
      return get(port, path).statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  /** POSTs {@code body} with {@code contentType} to {@code http://127.0.0.1:port/path}. */
  static HttpResponse<byte[]> post(int port, String path, String contentType, byte[] body)
      throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10))
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofByteArray(body))
        .build();
    return HTTP.send(req, HttpResponse.BodyHandlers.ofByteArray());
  }

  /**
   * The complete lines of a file being written (a last line without its newline is still being
   * written and is left out); none when the file does not exist yet.
   */
  static List<byte[]> completeLines(Path file) {
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<byte[]> lines = new ArrayList<>();
    int start = 0;
    for (int i = 0; i < all.length; i++) {
      if (all[i] == '\n') {
        if (i > start) {
          byte[] line = new byte[i - start];
          System.arraycopy(all, start, line, 0, line.length);
          lines.add(line);
        }
        start = i + 1;
      }
    }
    return lines;
  }

  /**
   * Scrapes a Prometheus text endpoint: every sample keyed as {@code name{k="v",...}} with the
   * labels sorted by name, so that tests can look samples up by their labels.
   */
  static Map<String, Double> scrape(int port) throws IOException, InterruptedException {
    HttpResponse<String> res = get(port, "/metrics");
    assertThat(res.statusCode()).as("GET /metrics").isEqualTo(200);
    Map<String, Double> samples = new LinkedHashMap<>();
    parseExposition(res.body()).forEach((labels, value) -> {
      Map<String, String> rest = new java.util.TreeMap<>(labels);
      samples.put(series(rest.remove("__name__"), rest), value);
    });
    return samples;
  }

  /** The sum of every series of {@code name} in a {@link #scrape}. */
  static double sum(Map<String, Double> samples, String name) {
    double total = 0;
    for (Map.Entry<String, Double> e : samples.entrySet()) {
      if (e.getKey().startsWith(name + "{")) {
        total += e.getValue();
      }
    }
    return total;
  }

  /**
   * The packaged gateway, {@code -Dsluice.jar} or {@code target/sluice.jar}; fails the test saying
   * how to build it when it is missing.
   */
  static Path packagedJar() {
    String prop = System.getProperty("sluice.jar");
    Path jar = (prop == null || prop.isBlank() ? Path.of("target", "sluice.jar") : Path.of(prop)).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      org.assertj.core.api.Assertions.fail(jar + " is missing: this test runs the packaged gateway. Build it first"
          + " with `mvn -B -pl gateway -am package -DskipTests` (or run `mvn verify`).");
    }
    return jar;
  }

  /**
   * The environment bin/sluice gets to start the packaged gateway: the {@code jar}, a budget of
   * {@code memory}, this test JVM's java (so the gateway does not depend on java being on the
   * PATH), and nothing that overrides the JVM options. Changes and returns {@code env}.
   */
  static Map<String, String> launcherEnv(Map<String, String> env, Path jar, String memory) {
    env.remove("JAVA_OPTS");
    env.remove("JAVA_TOOL_OPTIONS");
    env.remove("JDK_JAVA_OPTIONS");
    env.put("SLUICE_MEMORY", memory);
    env.put("SLUICE_JAR", jar.toString());
    env.put("JAVA", Path.of(System.getProperty("java.home"), "bin", "java").toString());
    return env;
  }

  /** {@code bin/sluice} of the repository the jar was built in; fails the test when there is none. */
  static Path launcher(Path jar) {
    for (Path d = jar.getParent(); d != null; d = d.getParent()) {
      Path candidate = d.resolve("bin").resolve("sluice");
      if (Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return org.assertj.core.api.Assertions.fail("bin/sluice not found above " + jar);
  }

  /**
   * The samples of a text-format or OpenMetrics exposition, keyed by their labels with the name as
   * {@code __name__}; timestamps and exemplars are left out.
   */
  static Map<Map<String, String>, Double> parseExposition(String exposition) {
    Map<Map<String, String>, Double> out = new LinkedHashMap<>();
    for (String line : exposition.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      Map<String, String> labels = new java.util.TreeMap<>();
      int i = 0;
      while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
        i++;
      }
      labels.put("__name__", line.substring(0, i));
      if (line.charAt(i) == '{') {
        i++;
        while (line.charAt(i) != '}') {
          int eq = line.indexOf('=', i);
          String key = line.substring(i, eq).trim();
          StringBuilder value = new StringBuilder();
          int j = eq + 2;
          while (line.charAt(j) != '"') {
            char c = line.charAt(j);
            if (c == '\\') {
              char n = line.charAt(++j);
              value.append(n == 'n' ? '\n' : n);
            } else {
              value.append(c);
            }
            j++;
          }
          labels.put(key, value.toString());
          i = j + 1;
          if (line.charAt(i) == ',') {
            i++;
          }
        }
        i++;
      }
      String rest = line.substring(i).trim();
      String value = rest.split("\\s+")[0];
      out.put(labels, number(value));
    }
    return out;
  }

  /** A sample value as the text formats write it, {@code +Inf} and {@code NaN} included. */
  static double number(String v) {
    return switch (v) {
      case "+Inf", "Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(v);
    };
  }

  /** The key {@link #scrape} gives the sample {@code name} with {@code labels} (name, value, ...). */
  static String series(String name, String... labels) {
    Map<String, String> m = new java.util.TreeMap<>();
    for (int i = 0; i < labels.length; i += 2) {
      m.put(labels[i], labels[i + 1]);
    }
    return series(name, m);
  }

  private static String series(String name, Map<String, String> sortedLabels) {
    StringBuilder sb = new StringBuilder(name).append('{');
    sortedLabels.forEach((k, v) -> {
      if (sb.charAt(sb.length() - 1) != '{') {
        sb.append(',');
      }
      sb.append(k).append("=\"").append(v).append('"');
    });
    return sb.append('}').toString();
  }

  static String utf8(byte[] bytes) {
    return new String(bytes, StandardCharsets.UTF_8);
  }
}
