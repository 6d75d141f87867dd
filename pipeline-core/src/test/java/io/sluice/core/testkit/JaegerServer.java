package io.sluice.core.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A real Jaeger (the all-in-one {@code jaeger} binary, v2, built from the Go module proxy by
 * {@code bin/build-test-servers}) with in-memory storage, started as a local process with every
 * listener on a free loopback port, for integration tests of the {@code api_v2} gRPC collector
 * API:
 *
 * <pre>
 * try (JaegerServer jaeger = JaegerServer.start()) {
 *   // export to jaeger.collectorEndpoint(), then
 *   JsonNode trace = jaeger.trace("0af7651916cd43dd8448eb211c80319c");
 * }
 * </pre>
 *
 * <p>It runs the built-in all-in-one configuration with {@code --set} overrides: only the
 * {@code jaeger} receiver in the pipeline and only the storage, query and health extensions, its
 * own metrics off (they would take 8888, as Sluice's do), and every port moved. The binary is
 * looked up where the build script caches it ({@code pipeline-core/src/test/servers/jaeger} pins
 * the version); when it is not there the test fails, saying to run the script. It never skips.
 */
public final class JaegerServer implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration READY_DEADLINE = Duration.ofSeconds(60);
  private static final String MODULE = "pipeline-core/src/test/servers/jaeger";

  private final Path dir;
  private final int grpcPort;
  private final int queryPort;
  private final int healthPort;
  private final Process process;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private JaegerServer(Path dir, int grpcPort, int queryPort, int healthPort, Process process) {
    this.dir = dir;
    this.grpcPort = grpcPort;
    this.queryPort = queryPort;
    this.healthPort = healthPort;
    this.process = process;
  }

  /** Starts Jaeger and waits until its health check answers 200 and its gRPC collector port accepts connections. */
  public static JaegerServer start() throws IOException, InterruptedException {
    Path binary = GoServers.binary("jaeger", MODULE, "Jaeger", "about 9 min on 2 cores");
    Path dir = Files.createTempDirectory("sluice-jaeger");
    int grpc = Ports.freePort();
    int query = Ports.freePort();
    int health = Ports.freePort();
    List<String> cmd = new ArrayList<>(List.of(binary.toString(),
        "--set", "service.pipelines.traces.receivers=[jaeger]",
        "--set", "service.extensions=[jaeger_storage,jaeger_query,healthcheckv2]",
        "--set", "service.telemetry.metrics.level=none"));
    Map<String, Integer> endpoints = Map.of(
        "receivers.jaeger.protocols.grpc.endpoint", grpc,
        "receivers.jaeger.protocols.thrift_http.endpoint", Ports.freePort(),
        "receivers.jaeger.protocols.thrift_binary.endpoint", Ports.freeUdpPort(),
        "receivers.jaeger.protocols.thrift_compact.endpoint", Ports.freeUdpPort(),
        "extensions.jaeger_query.http.endpoint", query,
        "extensions.jaeger_query.grpc.endpoint", Ports.freePort(),
        "extensions.healthcheckv2.http.endpoint", health,
        "extensions.healthcheckv2.grpc.endpoint", Ports.freePort());
    endpoints.forEach((key, port) -> {
      cmd.add("--set");
      cmd.add(key + "=127.0.0.1:" + port);
    });
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("jaeger.log").toFile()));
    pb.environment().put("JAEGER_LISTEN_HOST", "127.0.0.1");
    JaegerServer server = new JaegerServer(dir, grpc, query, health, pb.start());
    try {
      server.awaitReady();
    } catch (RuntimeException | IOException | InterruptedException e) {
      server.close();
      throw e;
    }
    return server;
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("Jaeger exited with status " + process.exitValue()
            + " before it was ready; its log:\n" + log());
      }
      if (healthy() && accepts(grpcPort)) {
        return;
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("Jaeger was not ready within " + READY_DEADLINE.toSeconds()
            + " s (collector port " + grpcPort + ", health port " + healthPort + "); its log:\n" + log());
      }
      process.waitFor(50, TimeUnit.MILLISECONDS);
    }
  }

  private boolean healthy() throws InterruptedException {
    try {
      return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort + "/status"))
          .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding()).statusCode() == 200;
    } catch (IOException e) {
      return false;
    }
  }

  private static boolean accepts(int port) {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** Where the {@code api_v2} gRPC collector listens: {@code 127.0.0.1:port}, plaintext. */
  public String collectorEndpoint() {
    return "127.0.0.1:" + grpcPort;
  }

  /** The query service's HTTP base URL. */
  public String queryUrl() {
    return "http://127.0.0.1:" + queryPort;
  }

  /**
   * One trace from the query API ({@code GET /api/traces/{id}}): the trace object (its
   * {@code traceID}, {@code spans} and {@code processes}), or null while Jaeger does not know it.
   */
  public JsonNode trace(String traceIdHex) {
    JsonNode body = get("/api/traces/" + traceIdHex, true);
    if (body == null) {
      return null;
    }
    JsonNode data = body.path("data");
    return data.isArray() && data.size() == 1 ? data.get(0) : null;
  }

  /** The services Jaeger has spans of ({@code GET /api/services}). */
  public List<String> services() {
    List<String> out = new ArrayList<>();
    get("/api/services", false).path("data").forEach(n -> out.add(n.asText()));
    return out;
  }

  private JsonNode get(String path, boolean notFoundIsNull) {
    try {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(queryUrl() + path))
          .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() == 404 && notFoundIsNull) {
        return null;
      }
      if (r.statusCode() != 200) {
        throw new IllegalStateException("GET " + path + " answered HTTP " + r.statusCode() + ": " + r.body());
      }
      return JSON.readTree(r.body());
    } catch (IOException e) {
      throw new UncheckedIOException("GET " + path + " failed", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  /** What the server logged so far. */
  public String log() {
    return GoServers.log(dir.resolve("jaeger.log"));
  }

  @Override
  public void close() {
    GoServers.stop(process, dir);
  }
}
