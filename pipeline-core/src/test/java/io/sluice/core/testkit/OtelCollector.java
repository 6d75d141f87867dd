package io.sluice.core.testkit;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.TimeUnit;

/**
 * The OpenTelemetry Collector distribution of {@code perf-tests/peers/otelcol}, run as a local
 * process with a config given as text, for tests that compare Sluice with it. The config gets a
 * {@code health_check} extension on a free port, and the Collector counts as started when that
 * answers.
 *
 * <p>The binary is {@code -Dsluice.otelcol.binary} (bin/test passes what
 * {@code perf-tests/peers/build-otelcol.sh} printed), else where that script caches it. When it is
 * not there the test fails, saying how to build it; it never skips.
 */
public final class OtelCollector implements AutoCloseable {
  private static final Duration READY_DEADLINE = Duration.ofSeconds(60);

  private final Process process;
  private final Path dir;
  private final int healthPort;
  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private OtelCollector(Process process, Path dir, int healthPort) {
    this.process = process;
    this.dir = dir;
    this.healthPort = healthPort;
  }

  /**
   * Starts the Collector with {@code config}, which must not have an {@code extensions} section
   * or a {@code service.extensions} key: those are added for the health check.
   */
  public static OtelCollector start(String config) throws IOException, InterruptedException {
    Path binary = binary();
    Path dir = Files.createTempDirectory("sluice-otelcol");
    int health = Ports.freePort();
    String full = config + "extensions:\n  health_check:\n    endpoint: 127.0.0.1:" + health + "\n";
    full = full.replace("\nservice:\n", "\nservice:\n  extensions: [health_check]\n");
    Path file = dir.resolve("config.yaml");
    Files.writeString(file, full);
    Process p = new ProcessBuilder(binary.toString(), "--config", file.toString())
        .redirectErrorStream(true)
        .redirectOutput(dir.resolve("otelcol.log").toFile())
        .start();
    OtelCollector c = new OtelCollector(p, dir, health);
    try {
      c.awaitReady();
    } catch (RuntimeException | IOException | InterruptedException e) {
      c.close();
      throw e;
    }
    return c;
  }

  /** The binary to run: {@code -Dsluice.otelcol.binary}, else the one build-otelcol.sh caches for these sources. */
  public static Path binary() throws IOException {
    String given = System.getProperty("sluice.otelcol.binary", "");
    if (!given.isBlank()) {
      Path p = Path.of(given);
      if (!Files.isExecutable(p)) {
        throw new IllegalStateException("-Dsluice.otelcol.binary=" + given + " is not an executable file; build the"
            + " Collector with perf-tests/peers/build-otelcol.sh, which prints its path as its last line");
      }
      return p;
    }
    Path repo = repoDir();
    Path sources = repo.resolve("perf-tests/peers/otelcol");
    String hash;
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      for (String f : new String[] {"main.go", "go.mod", "go.sum"}) {
        sha.update(Files.readAllBytes(sources.resolve(f)));
      }
      hash = HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    String cache = System.getenv("SLUICE_PEERS_CACHE");
    Path dir = cache == null || cache.isBlank()
        ? Path.of(System.getProperty("user.home"), ".cache", "sluice", "peers") : Path.of(cache);
    Path binary = dir.resolve("otelcol-" + hash);
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("The OpenTelemetry Collector is not built: " + binary + " is missing. Run "
          + repo.resolve("perf-tests/peers/build-otelcol.sh") + " (it builds it from the Go module proxy, 10-18"
          + " minutes the first time; bin/build-test-servers and bin/test run it too), or pass"
          + " -Dsluice.otelcol.binary=PATH");
    }
    return binary;
  }

  /** {@code -Dsluice.repo.dir}, else the nearest directory above holding perf-tests/peers/build-otelcol.sh. */
  private static Path repoDir() {
    String prop = System.getProperty("sluice.repo.dir", "");
    if (!prop.isBlank()) {
      return Path.of(prop).toAbsolutePath().normalize();
    }
    Path p = Path.of("").toAbsolutePath();
    while (p != null && !Files.isRegularFile(p.resolve("perf-tests/peers/build-otelcol.sh"))) {
      p = p.getParent();
    }
    if (p == null) {
      throw new IllegalStateException("Cannot find the repository (with perf-tests/peers/build-otelcol.sh) above "
          + Path.of("").toAbsolutePath() + "; set -Dsluice.repo.dir or -Dsluice.otelcol.binary");
    }
    return p;
  }

  private void awaitReady() throws IOException, InterruptedException {
    long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
    HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + healthPort + "/"))
        .timeout(Duration.ofSeconds(2)).build();
    while (true) {
      if (!process.isAlive()) {
        throw new IllegalStateException("The Collector exited with status " + process.exitValue()
            + " before it was ready; its log:\n" + log());
      }
      try {
        if (http.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          return;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("The Collector was not ready within " + READY_DEADLINE.toSeconds()
            + " s; its log:\n" + log());
      }
      process.waitFor(100, TimeUnit.MILLISECONDS);
    }
  }

  /** What the Collector logged so far. */
  public String log() {
    try {
      return Files.readString(dir.resolve("otelcol.log"));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(15, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try (var files = Files.walk(dir)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
    } catch (IOException e) {
      // a temporary directory left behind
    }
  }
}
