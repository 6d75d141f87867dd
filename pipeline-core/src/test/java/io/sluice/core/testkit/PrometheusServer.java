package io.sluice.core.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Prometheus server (Debian's {@code prometheus} package) started as a local process on a
 * free loopback port, with its remote-write receiver on, for integration tests:
 *
 * <pre>
 * try (PrometheusServer prom = PrometheusServer.start()) {
 *   // send to prom.remoteWriteUrl(), then
 *   List&lt;PrometheusServer.Sample&gt; r = prom.query("requests_total");
 * }
 * </pre>
 *
 * <p>{@link #stop()} and {@link #restart()} take it down and bring it back on the same port with
 * the same storage, to test what a sender does while Prometheus is gone.
 *
 * <p>Fails (never skips) when {@code prometheus} is not on the PATH, saying how to install it.
 * The process's output goes to {@code prometheus.log} in its temporary directory, quoted when
 * it does not become ready.
 */
public final class PrometheusServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration READY_DEADLINE = Duration.ofSeconds(30);

  /** One element of an instant-vector result: its labels, value and timestamp (ms). */
  public record Sample(Map<String, String> labels, double value, long timestampMs) {
  }

  private final List<String> command;
  private final Path dir;
  private final int port;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private volatile Process process;

  private PrometheusServer(List<String> command, Path dir, int port) {
    this.command = List.copyOf(command);
    this.dir = dir;
    this.port = port;
  }

  /** Starts Prometheus with an empty scrape config and waits until {@code /-/ready} answers 200. */
  public static PrometheusServer start() throws IOException, InterruptedException {
    return start(List.of());
  }

  /** Starts Prometheus with extra command-line flags (such as {@code --enable-feature=...}). */
  public static PrometheusServer start(List<String> extraFlags) throws IOException, InterruptedException {
    return startWithConfig("""
        global:
          scrape_interval: 15s
        scrape_configs: []
        """, extraFlags);
  }

  /**
   * Starts Prometheus with {@code configYaml} as its whole configuration file (for instance with
   * {@code scrape_configs} of its own) and extra command-line flags.
   */
  public static PrometheusServer startWithConfig(String configYaml, List<String> extraFlags)
      throws IOException, InterruptedException {
    String binary = findOnPath("prometheus");
    Path dir = Files.createTempDirectory("sluice-prometheus-");
    Path config = dir.resolve("prometheus.yml");
    Files.writeString(config, configYaml);
    Path data = Files.createDirectories(dir.resolve("data"));
    int port = Ports.freePort();
    List<String> cmd = new ArrayList<>(List.of(binary,
        "--config.file=" + config,
        "--storage.tsdb.path=" + data,
        "--web.listen-address=127.0.0.1:" + port,
        "--web.enable-remote-write-receiver",
        "--log.level=warn"));
    cmd.addAll(extraFlags);
    PrometheusServer server = new PrometheusServer(cmd, dir, port);
    try {
      server.launch();
    } catch (RuntimeException | IOException | InterruptedException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /** Runs the command, its output appended to the log, and waits until {@code /-/ready} answers 200. */
  private void launch() throws IOException, InterruptedException {
    process = new ProcessBuilder(command)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("prometheus.log").toFile()))
        .start();
    awaitReady();
  }

  private static String findOnPath(String name) {
    String path = System.getenv("PATH");
    if (path != null) {
      for (String d : path.split(File.pathSeparator)) {
        File f = new File(d, name);
        if (f.isFile() && f.canExecute()) {
          return f.getAbsolutePath();
        }
      }
    }
    throw new IllegalStateException(
        "Prometheus is not installed: run `apt-get install prometheus` (bin/test does this)");
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
    HttpRequest ready = HttpRequest.newBuilder(URI.create(baseUrl() + "/-/ready")).timeout(Duration.ofSeconds(2))
        .GET().build();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Prometheus exited with status " + process.exitValue()
            + " before it was ready; its log:\n" + log());
      }
      try {
        if (http.send(ready, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Prometheus was not ready within " + READY_DEADLINE.toSeconds()
            + " s on port " + port + "; its log:\n" + log());
      }
      // Polling a child process has no event to wait on; a short pause between probes.
      process.waitFor(50, TimeUnit.MILLISECONDS);
    }
  }

  /** The process output so far. */
  public String log() {
    try {
      return Files.readString(dir.resolve("prometheus.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  public int port() {
    return port;
  }

  /** {@code http://127.0.0.1:PORT}. */
  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** The remote-write receiver, {@code http://127.0.0.1:PORT/api/v1/write}. */
  public String remoteWriteUrl() {
    return baseUrl() + "/api/v1/write";
  }

  /**
   * Runs an instant query ({@code /api/v1/query}) at the server's current time and returns the
   * vector's elements; a scalar comes back as one sample without labels.
   */
  public List<Sample> query(String promql) {
    return query(promql, null);
  }

  /** An instant query evaluated at {@code timeSeconds} (Unix time), or now when null. */
  public List<Sample> query(String promql, Double timeSeconds) {
    String url = baseUrl() + "/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8)
        + (timeSeconds == null ? "" : "&time=" + timeSeconds);
    HttpRequest req = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build();
    JsonNode body;
    try {
      HttpResponse<String> resp = http.send(req, HttpResponse.BodyHandlers.ofString());
      body = JSON.readTree(resp.body());
      if (resp.statusCode() != 200 || !"success".equals(body.path("status").asText())) {
        throw new IllegalStateException("Prometheus query '" + promql + "' failed with HTTP " + resp.statusCode()
            + ": " + resp.body());
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Prometheus query '" + promql + "' failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while querying Prometheus", e);
    }
    JsonNode data = body.path("data");
    List<Sample> out = new ArrayList<>();
    String type = data.path("resultType").asText();
    if (type.equals("scalar")) {
      out.add(sample(Map.of(), data.path("result")));
      return out;
    }
    for (JsonNode r : data.path("result")) {
      Map<String, String> labels = new LinkedHashMap<>();
      r.path("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      out.add(sample(labels, r.path("value")));
    }
    return out;
  }

  private static Sample sample(Map<String, String> labels, JsonNode value) {
    long ts = Math.round(value.get(0).asDouble() * 1000);
    String v = value.get(1).asText();
    double d = switch (v) {
      case "+Inf" -> Double.POSITIVE_INFINITY;
      case "-Inf" -> Double.NEGATIVE_INFINITY;
      case "NaN" -> Double.NaN;
      default -> Double.parseDouble(v);
    };
    return new Sample(labels, d, ts);
  }

  /**
   * Stops the process (TERM, then KILL after 10 s), keeping its port and data directory for
   * {@link #restart()}; until then connections to the port are refused.
   */
  public void stop() {
    Process p = process;
    if (p == null) {
      return;
    }
    p.destroy();
    try {
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Starts the same command again (stopping the process first if it still runs), on the same
   * port with the same data, and waits until it is ready, which includes replaying its WAL.
   */
  public void restart() throws IOException, InterruptedException {
    stop();
    launch();
  }

  /** Stops the process (TERM, then KILL after 10 s) and deletes its directories. */
  @Override
  public void close() {
    stop();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temp dir left behind is harmless
    }
  }
}
