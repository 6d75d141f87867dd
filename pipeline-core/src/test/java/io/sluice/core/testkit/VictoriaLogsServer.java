package io.sluice.core.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real VictoriaLogs server (built from the Go module proxy by {@code bin/build-test-servers})
 * started as a local process on a free loopback port with a temporary data directory, for
 * integration tests of the Loki push API:
 *
 * <pre>
 * try (VictoriaLogsServer vl = VictoriaLogsServer.start()) {
 *   // push to vl.lokiPushUrl(), then
 *   List&lt;Map&lt;String, String&gt;&gt; rows = vl.query("{job=\"api\"}", "0");
 * }
 * </pre>
 *
 * <p>The binary is looked up where the build script caches it, by the hash of the Go module that
 * pins its version ({@code pipeline-core/src/test/servers/victoria-logs}); when it is not there
 * the test fails, saying to run the script. It never skips.
 */
public final class VictoriaLogsServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration READY_DEADLINE = Duration.ofSeconds(30);
  private static final String MODULE = "pipeline-core/src/test/servers/victoria-logs";

  private final Path dir;
  private final int port;
  private final Process process;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private VictoriaLogsServer(Path dir, int port, Process process) {
    this.dir = dir;
    this.port = port;
    this.process = process;
  }

  /** Starts VictoriaLogs and waits until {@code /health} answers 200. */
  public static VictoriaLogsServer start() throws IOException, InterruptedException {
    Path binary = binary();
    Path dir = Files.createTempDirectory("sluice-victoria-logs");
    int port = Ports.freePort();
    Process p = new ProcessBuilder(binary.toString(), "-httpListenAddr=127.0.0.1:" + port,
        "-storageDataPath=" + dir.resolve("data"), "-retentionPeriod=1d", "-loggerLevel=WARN")
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("victoria-logs.log").toFile()))
        .start();
    VictoriaLogsServer server = new VictoriaLogsServer(dir, port, p);
    try {
      server.awaitReady();
    } catch (RuntimeException | IOException | InterruptedException e) {
      server.close();
      throw e;
    }
    return server;
  }

  /**
   * The binary {@code bin/build-test-servers} built for the version the repository pins now:
   * {@code ${SLUICE_SERVERS_CACHE:-~/.cache/sluice/servers}/victoria-logs-<hash>}.
   */
  static Path binary() throws IOException {
    return GoServers.binary("victoria-logs", MODULE, "VictoriaLogs", "about 30 s");
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("VictoriaLogs exited with status " + process.exitValue()
            + " before it was ready; its log:\n" + log());
      }
      try {
        HttpResponse<Void> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/health"))
            .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
        if (r.statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("VictoriaLogs was not ready within " + READY_DEADLINE.toSeconds()
            + " s on port " + port + "; its log:\n" + log());
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
    }
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** Where Loki clients push: {@code /insert/loki/api/v1/push}. */
  public String lokiPushUrl() {
    return baseUrl() + "/insert/loki/api/v1/push";
  }

  /** What the server logged so far. */
  public String log() {
    return GoServers.log(dir.resolve("victoria-logs.log"));
  }

  /**
   * Flushes what was ingested and runs a LogsQL query for one tenant (the {@code AccountID}
   * that VictoriaLogs takes from Loki's {@code X-Scope-OrgID}, "0" for none): every row as its
   * fields ({@code _msg}, {@code _time}, {@code _stream}, labels, structured metadata).
   */
  public List<Map<String, String>> query(String logsql, String accountId) {
    try {
      http.send(HttpRequest.newBuilder(URI.create(baseUrl() + "/internal/force_flush")).build(),
          HttpResponse.BodyHandlers.discarding());
      String q = URLEncoder.encode(logsql, StandardCharsets.UTF_8);
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(baseUrl()
          + "/select/logsql/query?query=" + q)).header("AccountID", accountId).timeout(Duration.ofSeconds(30))
          .build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200) {
        throw new IllegalStateException("LogsQL query '" + logsql + "' failed with HTTP " + r.statusCode() + ": "
            + r.body());
      }
      List<Map<String, String>> rows = new ArrayList<>();
      for (String line : r.body().split("\n")) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode n = JSON.readTree(line);
        Map<String, String> row = new LinkedHashMap<>();
        n.fields().forEachRemaining(f -> row.put(f.getKey(), f.getValue().asText()));
        rows.add(row);
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException("LogsQL query '" + logsql + "' failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  @Override
  public void close() {
    GoServers.stop(process, dir);
  }
}
