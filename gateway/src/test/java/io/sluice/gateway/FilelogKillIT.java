package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.sluice.core.testkit.Ports;
import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged gateway tailing a large file into a file exporter, killed with SIGKILL in the
 * middle of it and started again: every line is written out, and no more than one batch of the
 * filelog receiver (8,192 lines) twice, because offsets are checkpointed in file_storage only once
 * the exporter has written the lines.
 */
class FilelogKillIT {
  private static final Pattern LINE = Pattern.compile("kill-line-(\\d+)\\b");
  private static final int LINES = 300_000;
  /** The most lines the filelog receiver puts in one batch (its Tailer.MAX_BATCH_ENTRIES). */
  private static final int BATCH = 8192;

  @TempDir Path dir;
  private Process process;

  @AfterEach
  void stop() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }

  private Path jar() {
    String prop = System.getProperty("sluice.jar");
    Path jar = (prop == null || prop.isBlank() ? Path.of("target", "sluice.jar") : Path.of(prop)).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      fail(jar + " is missing: this test runs the packaged gateway; build it with"
          + " `mvn -B -pl gateway -am package -DskipTests`");
    }
    return jar;
  }

  private String config(Path logs, Path out, int health, int metrics) {
    return config(logs, """
          file:
            path: %s
            append: true
            sending_queue: {enabled: false}
        """.formatted(out), "file", health, metrics);
  }

  /** A gateway tailing {@code logs} into the exporter {@code exporter}, defined by {@code exporters}. */
  private String config(Path logs, String exporters, String exporter, int health, int metrics) {
    return """
        receivers:
          filelog:
            include: ["%s/*.log"]
            start_at: beginning
            poll_interval: 50ms
            storage: file_storage
            retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 0s}
        exporters:
        %s
        extensions:
          file_storage:
            directory: %s
            create_directory: true
          health_check:
            endpoint: 127.0.0.1:%d
        service:
          extensions: [file_storage, health_check]
          telemetry:
            metrics:
              address: 127.0.0.1:%d
          pipelines:
            logs:
              receivers: [filelog]
              exporters: [%s]
        """.formatted(logs, exporters.stripTrailing(), dir.resolve("storage"), health, metrics, exporter);
  }

  private Process start(Path config, int health, Path log) throws IOException {
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
        "-XX:+UseSerialGC", "-jar", jar().toString(), "--config", config.toString())
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    await("the gateway is healthy").atMost(Duration.ofSeconds(30)).until(() -> {
      if (!p.isAlive()) {
        fail("The gateway exited with " + p.exitValue() + ":\n" + Files.readString(log));
      }
      return GatewayFixtures.statusOf(health, "/") == 200;
    });
    return p;
  }

  /** How often each line number was written to {@code out}, from its complete lines. */
  private static Map<Integer, Integer> written(Path out) {
    Map<Integer, Integer> counts = new HashMap<>();
    for (byte[] line : GatewayFixtures.completeLines(out)) {
      Matcher m = LINE.matcher(new String(line, StandardCharsets.UTF_8));
      while (m.find()) {
        counts.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
      }
    }
    return counts;
  }

  private static int total(Map<Integer, Integer> counts) {
    return counts.values().stream().mapToInt(Integer::intValue).sum();
  }

  private Path writeBigLog(int lines) throws IOException {
    Path logs = Files.createDirectories(dir.resolve("logs"));
    try (BufferedWriter w = Files.newBufferedWriter(logs.resolve("big.log"))) {
      for (int i = 0; i < lines; i++) {
        w.write("2026-12-07T10:00:00Z INFO request served kill-line-" + i + " status=200 bytes=5120\n");
      }
    }
    return logs;
  }

  @Test
  void killedMidFileEveryLineArrivesAndAtMostOneBatchTwice() throws Exception {
    Path logs = writeBigLog(LINES);
    Path out = dir.resolve("out.jsonl");
    int health = Ports.freePort();
    Path config = GatewayFixtures.writeConfig(dir, "sluice.yaml", config(logs, out, health, Ports.freePort()));

    process = start(config, health, dir.resolve("first.log"));
    await("some lines written").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
        .until(() -> total(written(out)) >= 20_000);
    process.destroyForcibly(); // SIGKILL
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
    int atKill = total(written(out));
    assertThat(atKill).as("lines out when killed: the kill must land mid-file").isLessThan(LINES);

    process = start(config, health, dir.resolve("second.log"));
    await("every line written").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .until(() -> written(out).size() == LINES);
    Map<Integer, Integer> counts = written(out);
    int twice = total(counts) - LINES;
    System.out.printf("FilelogKillIT: %d of %d lines out at the kill, %d written twice after the restart%n",
        atKill, LINES, twice);
    assertThat(twice).as("lines written twice: at most the batch in flight").isBetween(0, BATCH);
    assertThat(Files.readString(dir.resolve("second.log"))).contains("resumes 1 files from their checkpoints")
        .doesNotContain("ERROR");
    List<Integer> missing = java.util.stream.IntStream.range(0, LINES).filter(i -> !counts.containsKey(i)).boxed()
        .limit(5).toList();
    assertThat(missing).isEmpty();
  }

  @Test
  void killedWhileTheBackendIsDownNothingIsCheckpointedAndEverythingArrivesLater() throws Exception {
    int lines = 20_000;
    Path logs = writeBigLog(lines);
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    // Nothing listens on the exporter's port: it retries its first batch for ever, and the receiver
    // waits for that batch's acknowledgement without reading on.
    Path down = GatewayFixtures.writeConfig(dir, "down.yaml", config(logs, """
          otlphttp:
            endpoint: http://127.0.0.1:%d
            sending_queue: {enabled: false}
            retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 0s}
        """.formatted(Ports.freePort()), "otlphttp", health, metrics));
    process = start(down, health, dir.resolve("down.log"));
    await("the exporter retries its first batch").atMost(Duration.ofSeconds(30)).until(() ->
        GatewayFixtures.scrape(metrics).entrySet().stream().anyMatch(e ->
            e.getKey().startsWith("sluice_exporter_retried_requests_total") && e.getValue() >= 3));
    process.destroyForcibly();
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();

    Path out = dir.resolve("out.jsonl");
    process = start(GatewayFixtures.writeConfig(dir, "up.yaml", config(logs, out, health, metrics)), health,
        dir.resolve("up.log"));
    await("every line written").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> written(out).size() == lines);
    assertThat(total(written(out))).as("lines written").isEqualTo(lines);
  }

  @Test
  void aCorruptStoreFileIsMovedAsideAndCountedAndTheGatewayStarts() throws Exception {
    Path logs = writeBigLog(100);
    Path storage = Files.createDirectories(dir.resolve("storage"));
    byte[] garbage = new byte[8192];
    new java.util.Random(1).nextBytes(garbage);
    Files.write(storage.resolve("receiver_filelog_logs.mvstore"), garbage);
    Path out = dir.resolve("out.jsonl");
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    Path log = dir.resolve("gateway.log");

    process = start(GatewayFixtures.writeConfig(dir, "sluice.yaml", config(logs, out, health, metrics)), health, log);

    await("every line written").atMost(Duration.ofSeconds(30)).until(() -> written(out).size() == 100);
    assertThat(GatewayFixtures.scrape(metrics))
        .containsEntry("sluice_extension_storage_corrupt_files_total{component_id=\"file_storage\"}", 1.0);
    assertThat(Files.readString(log)).contains("receiver_filelog_logs.mvstore\" is corrupt");
    try (var files = Files.list(storage)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.startsWith("receiver_filelog_logs.mvstore.corrupt-"));
    }
  }

  /** The loki exporter pushing to {@code url}, acknowledging a batch only once Loki took it. */
  private static String loki(String url) {
    return """
          loki:
            endpoint: %s
            sending_queue: {enabled: false}
            retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 0s}
        """.formatted(url);
  }

  /** How often each line number is stored in VictoriaLogs. */
  private static Map<Integer, Integer> stored(io.sluice.core.testkit.VictoriaLogsServer vl) {
    Map<Integer, Integer> counts = new HashMap<>();
    for (Map<String, String> row : vl.query("*", "0")) {
      Matcher m = LINE.matcher(row.getOrDefault("_msg", ""));
      if (m.find()) {
        counts.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
      }
    }
    return counts;
  }

  @Test
  void intoLokiKilledMidFileAndAgainWhileLokiIsDownEveryLineArrives() throws Exception {
    int lines = 60_000;
    Path logs = writeBigLog(lines);
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    try (io.sluice.core.testkit.VictoriaLogsServer vl = io.sluice.core.testkit.VictoriaLogsServer.start()) {
      Path up = GatewayFixtures.writeConfig(dir, "up.yaml", config(logs, loki(vl.lokiPushUrl()), "loki", health,
          metrics));
      process = start(up, health, dir.resolve("first.log"));
      await("some lines in Loki").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> total(stored(vl)) >= 5_000);
      process.destroyForcibly(); // SIGKILL mid-file
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
      int atFirstKill = total(stored(vl));
      assertThat(atFirstKill).as("lines in Loki at the first kill: it must land mid-file").isLessThan(lines);

      // Loki unreachable: the exporter retries, the receiver reads no further, and is killed again.
      Path down = GatewayFixtures.writeConfig(dir, "down.yaml", config(logs, loki("http://127.0.0.1:"
          + Ports.freePort() + "/loki/api/v1/push"), "loki", health, metrics));
      process = start(down, health, dir.resolve("down.log"));
      await("the exporter retries").atMost(Duration.ofSeconds(30)).until(() ->
          GatewayFixtures.scrape(metrics).entrySet().stream().anyMatch(e ->
              e.getKey().startsWith("sluice_exporter_retried_requests_total") && e.getValue() >= 3));
      process.destroyForcibly();
      assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();

      process = start(up, health, dir.resolve("second.log"));
      await("every line in Loki").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500))
          .until(() -> stored(vl).size() == lines);
      Map<Integer, Integer> counts = stored(vl);
      int twice = total(counts) - lines;
      System.out.printf("FilelogKillIT (loki): %d of %d lines in Loki at the first kill, %d stored twice%n",
          atFirstKill, lines, twice);
      assertThat(twice).as("lines stored twice: at most the batch in flight at each kill").isBetween(0, 2 * BATCH);
      assertThat(Files.readString(dir.resolve("second.log"))).doesNotContain("ERROR");
    }
  }
}
