package io.sluice.perf;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The gateway under test, running as its own JVM ({@code java <jvm options> -jar sluice.jar
 * --config FILE}) with its output in a log file. Reads the process's CPU time and peak resident
 * memory from {@code /proc}. {@link #close} stops it with SIGTERM, then kills it if it does not
 * stop in time; a JVM shutdown hook does the same if the runner exits early.
 */
final class GatewayProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final Thread killer;

  private GatewayProcess(Process process, Path log) {
    this.process = process;
    this.log = log;
    this.killer = new Thread(() -> {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }, "gateway-killer");
    Runtime.getRuntime().addShutdownHook(killer);
  }

  static GatewayProcess start(Path java, List<String> jvmOptions, Path jar, Path config, Map<String, String> env,
      Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toString());
    command.add("--config");
    command.add(config.toString());
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    pb.environment().putAll(env);
    return new GatewayProcess(pb.start(), log);
  }

  long pid() {
    return process.pid();
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  /** User plus system CPU time of the whole process so far, in clock ticks. */
  long cpuTicks() throws IOException {
    return ProcStats.cpuTicks(process.pid());
  }

  /** CPU ticks of each live thread of the gateway. */
  Map<Long, ProcStats.ThreadTicks> threadTicks() throws IOException {
    return ProcStats.threadTicks(process.pid());
  }

  /** Peak resident set size so far ({@code VmHWM}), in bytes. */
  long peakRssBytes() throws IOException {
    return ProcStats.statusKiloBytes(process.pid(), "VmHWM") * 1024;
  }

  /** The last {@code lines} lines of the gateway's output. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** SIGTERM, then SIGKILL after {@code grace}; returns the exit code (-1 when it had to be killed). */
  int stop(Duration grace) throws InterruptedException {
    if (!process.isAlive()) {
      return process.exitValue();
    }
    process.destroy();
    if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      return process.exitValue();
    }
    process.destroyForcibly();
    process.waitFor(10, TimeUnit.SECONDS);
    return -1;
  }

  @Override
  public void close() {
    try {
      stop(Duration.ofSeconds(30));
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Runtime.getRuntime().removeShutdownHook(killer);
    } catch (IllegalStateException e) {
      // already shutting down: the hook runs anyway and finds the process gone
    }
  }
}
