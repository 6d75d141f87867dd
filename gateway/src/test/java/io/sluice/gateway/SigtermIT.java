package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import io.sluice.core.testkit.Ports;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged gateway ({@code gateway/target/sluice.jar}) run as a process of its own, as an
 * operator runs it: SIGTERM drains everything acknowledged before the process exits, SIGHUP
 * applies a changed config without losing data, and {@code validate} reports a bad config.
 */
class SigtermIT {
  private static Path jar;

  @TempDir Path dir;

  private final List<Process> processes = new ArrayList<>();
  private TraceSender sender;

  @BeforeAll
  static void findTheJar() {
    String prop = System.getProperty("sluice.jar");
    jar = (prop == null || prop.isBlank() ? Path.of("target", "sluice.jar") : Path.of(prop)).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      fail(jar + " is missing: these tests run the packaged gateway. Build it first with"
          + " `mvn -B -pl gateway -am package -DskipTests` (or run `mvn verify`, which packages before the"
          + " integration tests).");
    }
  }

  @AfterEach
  void stopEverything() throws Exception {
    if (sender != null) {
      sender.close();
    }
    for (Process p : processes) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(10, TimeUnit.SECONDS);
      }
    }
  }

  /** A running gateway process and its log. */
  record Running(Process process, Path log) {
    String output() {
      try {
        return Files.readString(log, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "(no log: " + e + ")";
      }
    }
  }

  private static String config(int grpcPort, int healthPort, int metricsPort, Path out) {
    return """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:%d
        processors:
          batch:
            timeout: 200ms
        exporters:
          file:
            path: %s
        extensions:
          health_check:
            endpoint: 127.0.0.1:%d
        service:
          extensions: [health_check]
          telemetry:
            metrics:
              address: 127.0.0.1:%d
          pipelines:
            traces:
              receivers: [otlp]
              processors: [batch]
              exporters: [file]
        """.formatted(grpcPort, out, healthPort, metricsPort);
  }

  private static List<String> java(String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    cmd.add("-XX:+UseSerialGC");
    cmd.add("-XX:TieredStopAtLevel=1"); // starts faster; these runs are short
    cmd.add("-jar");
    cmd.add(jar.toString());
    cmd.addAll(List.of(args));
    return cmd;
  }

  /** Starts the jar on {@code config} and waits until its health endpoint answers 200. */
  private Running startGateway(Path config, int healthPort, String... extraArgs) throws IOException {
    Path log = dir.resolve("gateway-" + processes.size() + ".log");
    List<String> args = new ArrayList<>(List.of("--config", config.toString(), "--shutdown-timeout", "20s"));
    args.addAll(List.of(extraArgs));
    Process p = new ProcessBuilder(java(args.toArray(String[]::new)))
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    processes.add(p);
    Running r = new Running(p, log);
    await("the gateway's health endpoint answers 200").atMost(Duration.ofSeconds(30)).until(() -> {
      if (!p.isAlive()) {
        fail("The gateway exited with " + p.exitValue() + " while starting:\n" + r.output());
      }
      return GatewayFixtures.statusOf(healthPort, "/") == 200;
    });
    return r;
  }

  /** Sends SIGTERM and waits for the process to end; the exit code. */
  private static int terminate(Running r) throws InterruptedException {
    r.process().destroy(); // SIGTERM on Linux
    if (!r.process().waitFor(30, TimeUnit.SECONDS)) {
      fail("The gateway did not exit within 30 s of SIGTERM:\n" + r.output());
    }
    return r.process().exitValue();
  }

  @Test
  void sigtermDrainsEverythingAcknowledgedBeforeExiting() throws Exception {
    int grpc = Ports.freePort();
    int health = Ports.freePort();
    Path out = dir.resolve("data").resolve("telemetry.jsonl");
    Path config = GatewayFixtures.writeConfig(dir, "sluice.yaml", config(grpc, health, Ports.freePort(), out));
    Running gw = startGateway(config, health);

    sender = TraceSender.to(grpc, "sigterm-test").start();
    await("the gateway acknowledges requests").atMost(Duration.ofSeconds(20)).untilAsserted(() ->
        assertThat(sender.requestsAcked()).as("requests acknowledged (failures %s)", sender.failures())
            .isGreaterThanOrEqualTo(100));

    int exit = terminate(gw);
    sender.stop();

    // A graceful stop is a success: systemd and container runtimes must not record a failure.
    assertThat(exit).as("exit code after SIGTERM; log:\n%s", gw.output()).isZero();
    assertThat(gw.output()).contains("Sluice stopped").doesNotContain("ERROR");
    Set<String> acked = sender.acked();
    Set<String> written = OtlpFlat.spanIdsInFile(out);
    Set<String> lost = new HashSet<>(acked);
    lost.removeAll(written);
    assertThat(acked).hasSizeGreaterThanOrEqualTo(100 * TraceSender.SPANS_PER_REQUEST);
    assertThat(lost).as("acknowledged spans missing from the file (of %d acknowledged, %d written)",
        acked.size(), written.size()).isEmpty();
    assertThat(sender.sendOnce().getCode()).as("a request after exit").isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
  }

  @Test
  void sighupAppliesAChangedConfigWithoutLosingAcknowledgedData() throws Exception {
    int grpc = Ports.freePort();
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    Path first = dir.resolve("first.jsonl");
    Path second = dir.resolve("second.jsonl");
    Path config = GatewayFixtures.writeConfig(dir, "sluice.yaml", config(grpc, health, metrics, first));
    Running gw = startGateway(config, health);

    sender = TraceSender.to(grpc, "sighup-test").start();
    await("the gateway acknowledges requests").atMost(Duration.ofSeconds(20))
        .until(() -> sender.requestsAcked() >= 50);

    GatewayFixtures.writeConfig(dir, "sluice.yaml", config(grpc, health, metrics, second));
    Set<String> ackedBeforeReload = sender.acked();
    long requestsBeforeReload = sender.requestsAcked();
    Process kill = new ProcessBuilder("kill", "-HUP", String.valueOf(gw.process().pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(kill.exitValue()).as("kill -HUP").isZero();

    await("spans written to the file of the new config").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(gw.process().isAlive()).as("gateway alive after SIGHUP; log:\n%s", gw.output()).isTrue();
      assertThat(OtlpFlat.spanIdsInFile(second)).isNotEmpty();
    });
    await("the gateway acknowledges requests again").atMost(Duration.ofSeconds(20))
        .until(() -> sender.requestsAcked() >= requestsBeforeReload + 50);

    int exit = terminate(gw);
    sender.stop();
    assertThat(exit).as("exit code; log:\n%s", gw.output()).isIn(0, 143);
    assertThat(gw.output()).contains("Applied the new config");

    Set<String> inFirst = OtlpFlat.spanIdsInFile(first);
    Set<String> inSecond = OtlpFlat.spanIdsInFile(second);
    // The old pipelines drained into the old file before the new ones started.
    assertThat(inFirst).as("spans acknowledged before SIGHUP, in the first file").containsAll(ackedBeforeReload);
    Set<String> lost = new HashSet<>(sender.acked());
    lost.removeAll(inFirst);
    lost.removeAll(inSecond);
    assertThat(lost).as("acknowledged spans in neither file").isEmpty();
    assertThat(inSecond).as("the new file has only spans the old one does not").doesNotContainAnyElementsOf(inFirst);
  }

  @Test
  void watchConfigAppliesAnEditedFileAndKeepsTheRunningConfigWhenTheEditIsInvalid() throws Exception {
    int grpc = Ports.freePort();
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    Path first = dir.resolve("first.jsonl");
    Path second = dir.resolve("second.jsonl");
    Path config = GatewayFixtures.writeConfig(dir, "sluice.yaml", config(grpc, health, metrics, first));
    Running gw = startGateway(config, health, "--watch-config");
    await("the watcher started").atMost(Duration.ofSeconds(20))
        .until(() -> gw.output().contains("for changes; a change reloads the config"));
    sender = TraceSender.to(grpc, "watch-test").start();
    await("the gateway acknowledges requests").atMost(Duration.ofSeconds(20))
        .until(() -> sender.requestsAcked() >= 50);

    // An invalid edit: reported, and the running config carries on.
    GatewayFixtures.writeConfig(dir, "sluice.yaml", config(grpc, health, metrics, first)
        .replace("timeout: 200ms", "timeout: 200ms\n    send_batch_sise: 10"));
    await("the invalid edit reported").atMost(Duration.ofSeconds(20))
        .until(() -> gw.output().contains("the config is not valid, keeping the running one"));
    assertThat(gw.output()).contains("send_batch_sise");
    long beforeValidEdit = sender.requestsAcked();
    await("requests acknowledged after the invalid edit").atMost(Duration.ofSeconds(20))
        .until(() -> sender.requestsAcked() >= beforeValidEdit + 50);
    assertThat(OtlpFlat.spanIdsInFile(second)).isEmpty();

    // A valid edit: applied by difference, the receiver kept.
    GatewayFixtures.writeConfig(dir, "sluice.yaml", config(grpc, health, metrics, second));
    await("spans written to the file of the edited config").atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
      assertThat(gw.process().isAlive()).as("gateway alive; log:\n%s", gw.output()).isTrue();
      assertThat(OtlpFlat.spanIdsInFile(second)).isNotEmpty();
    });
    assertThat(gw.output()).contains("Applied the new config").contains("kept 3 (")
        .contains("receiver 'otlp'").contains("replaced 1 (exporter 'file')");

    sender.stop();
    assertThat(sender.failures()).as("requests refused across both edits").isEmpty();
    int exit = terminate(gw);
    assertThat(exit).as("exit code; log:\n%s", gw.output()).isZero();
    Set<String> lost = new HashSet<>(sender.acked());
    lost.removeAll(OtlpFlat.spanIdsInFile(first));
    lost.removeAll(OtlpFlat.spanIdsInFile(second));
    assertThat(lost).as("acknowledged spans in neither file").isEmpty();
  }

  @Test
  void validateWithABadConfigExits2AndNamesTheFileLineAndKey() throws Exception {
    Path bad = GatewayFixtures.writeConfig(dir, "bad.yaml", """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:4317
        exporters:
          file:
            path: ./out.jsonl
            flush_intervall: 1s
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [file]
        """);
    Path stdout = dir.resolve("validate.out");
    Path stderr = dir.resolve("validate.err");
    Process p = new ProcessBuilder(java("validate", "--config", bad.toString()))
        .directory(dir.toFile())
        .redirectOutput(stdout.toFile())
        .redirectError(stderr.toFile())
        .start();
    processes.add(p);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("validate finished").isTrue();
    String err = Files.readString(stderr);
    assertThat(p.exitValue()).as("exit code; stderr:\n%s", err).isEqualTo(2);
    assertThat(err).contains(bad + ":9:").contains("exporters.file.flush_intervall").contains("flush_interval");

    Path good = GatewayFixtures.writeConfig(dir, "good.yaml", config(Ports.freePort(), Ports.freePort(),
        Ports.freePort(), dir.resolve("x.jsonl")));
    Process ok = new ProcessBuilder(java("validate", "--config", good.toString()))
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(stdout.toFile()).start();
    processes.add(ok);
    assertThat(ok.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(ok.exitValue()).as("exit code; output:\n%s", Files.readString(stdout)).isZero();
  }
}
