package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged gateway started as an operator starts it, through {@code bin/sluice} with a memory
 * budget ({@code SLUICE_MEMORY}) and nothing that overrides the launcher's JVM options, as a
 * process of its own with its output in a log file; and the signals an operator sends it.
 */
final class GatewayProcess implements AutoCloseable {
  private final Process process;
  private final Path log;

  private GatewayProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
  }

  /** What to start: the config, where, under what budget, with which extra arguments. */
  record Launch(Path dir, Path config, int healthPort, String logName, String memory, List<String> prefix,
      List<String> args) {
    Launch(Path dir, Path config, int healthPort, String logName) {
      this(dir, config, healthPort, logName, "256m", List.of(), List.of());
    }

    Launch memory(String budget) {
      return new Launch(dir, config, healthPort, logName, budget, prefix, args);
    }

    /** A command the launcher is run under, such as {@code bash -c "ulimit ... && exec \"$0\" \"$@\""}. */
    Launch prefix(String... command) {
      return new Launch(dir, config, healthPort, logName, memory, List.of(command), args);
    }

    Launch args(String... more) {
      return new Launch(dir, config, healthPort, logName, memory, prefix, List.of(more));
    }
  }

  /** Starts {@code bin/sluice --config CONFIG} and waits until its health endpoint answers 200. */
  static GatewayProcess start(Launch launch) throws IOException {
    Path jar = GatewayFixtures.packagedJar();
    Path log = launch.dir().resolve(launch.logName());
    List<String> cmd = new ArrayList<>(launch.prefix());
    cmd.add(GatewayFixtures.launcher(jar).toString());
    cmd.add("--config");
    cmd.add(launch.config().toString());
    cmd.addAll(launch.args());
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(launch.dir().toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    GatewayFixtures.launcherEnv(pb.environment(), jar, launch.memory());
    GatewayProcess gw = new GatewayProcess(pb.start(), log);
    await("the gateway's health endpoint answers 200").atMost(Duration.ofSeconds(60)).until(() -> {
      if (!gw.process.isAlive()) {
        fail("The gateway exited with " + gw.process.exitValue() + " while starting:\n" + gw.output());
      }
      return GatewayFixtures.statusOf(launch.healthPort(), "/") == 200;
    });
    return gw;
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  /** Everything the gateway logged so far. */
  String output() {
    try {
      return Files.readString(log, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** SIGKILL (bin/sluice execs java, so the process is the JVM), and waits for it to end. */
  void kill9() throws InterruptedException {
    process.destroyForcibly();
    assertThat(process.waitFor(10, TimeUnit.SECONDS)).as("the gateway ended after SIGKILL").isTrue();
  }

  /** SIGTERM, and waits up to {@code atMost} for it to exit; its exit code. */
  int terminate(Duration atMost) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(atMost.toMillis(), TimeUnit.MILLISECONDS)) {
      fail("The gateway did not exit within " + atMost + " of SIGTERM:\n" + output());
    }
    return process.exitValue();
  }

  /** SIGHUP: the gateway reloads its config. */
  void hangUp() throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-HUP", Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor(10, TimeUnit.SECONDS)).as("kill -HUP finished").isTrue();
    assertThat(kill.exitValue()).as("kill -HUP %d", process.pid()).isZero();
  }

  /** Kills the gateway if it still runs (for clean-up after a failed test). */
  @Override
  public void close() throws InterruptedException {
    if (process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
  }
}
