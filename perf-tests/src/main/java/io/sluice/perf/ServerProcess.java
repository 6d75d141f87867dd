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
 * A server under test running as its own process (the gateway, {@code java <jvm options> -jar
 * sluice.jar --config FILE} or {@code bin/sluice --config FILE}, or any other command such as a
 * Prometheus agent or an OpenTelemetry Collector), with its output in a log file. Reads the
 * process's CPU time and peak resident memory from {@code /proc}. When the gateway is started
 * through {@code bin/sluice}, {@link #followJava} points the measurements at the JVM the script
 * runs (the script execs into it, so normally that is the same process).
 * {@link #close} stops it with SIGTERM, then kills it if it does not stop in time; a JVM shutdown
 * hook does the same if the runner exits early.
 */
final class ServerProcess implements AutoCloseable {
  private final Process process;
  private final Path log;
  private final String name;
  private final Thread killer;
  /** The process measured: the one started, or the JVM it turned out to run (see {@link #followJava}). */
  private volatile long measured;

  private ServerProcess(Process process, Path log, String name) {
    this.process = process;
    this.measured = process.pid();
    this.log = log;
    this.name = name;
    this.killer = new Thread(() -> {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }, name + "-killer");
    Runtime.getRuntime().addShutdownHook(killer);
  }

  /** Starts the gateway: {@code java <jvmOptions> -jar <jar> --config <config>}. */
  static ServerProcess startGateway(Path java, List<String> jvmOptions, Path jar, Path config,
      Map<String, String> env, Path log) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(java.toString());
    command.addAll(jvmOptions);
    command.add("-jar");
    command.add(jar.toString());
    command.add("--config");
    command.add(config.toString());
    return start("gateway", command, env, log);
  }

  /**
   * Starts the gateway the way users do: {@code <script> --config <config>} (the script being
   * {@code bin/sluice}) with {@code SLUICE_JAR} set to {@code jar} and {@code JAVA} to {@code java},
   * so the JVM gets the script's own default options. {@code JAVA_OPTS} is removed from the
   * environment, unless {@code javaOpts} is not empty: then it is set to them.
   */
  static ServerProcess startViaScript(Path script, Path java, Path jar, List<String> javaOpts, Path config,
      Map<String, String> env, Path log) throws IOException {
    return startViaScript(script, java, jar, javaOpts, List.of(config), env, log);
  }

  /** As {@link #startViaScript(Path, Path, Path, List, Path, Map, Path)}, with {@code --config} for each of {@code configs}, in order. */
  static ServerProcess startViaScript(Path script, Path java, Path jar, List<String> javaOpts, List<Path> configs,
      Map<String, String> env, Path log) throws IOException {
    Files.createDirectories(log.getParent());
    List<String> command = new ArrayList<>();
    command.add(script.toString());
    for (Path c : configs) {
      command.add("--config");
      command.add(c.toString());
    }
    ProcessBuilder pb = new ProcessBuilder(command)
        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    pb.environment().putAll(env);
    pb.environment().put("SLUICE_JAR", jar.toString());
    pb.environment().put("JAVA", java.toString());
    pb.environment().remove("JAVA_OPTS");
    if (!javaOpts.isEmpty()) {
      pb.environment().put("JAVA_OPTS", String.join(" ", javaOpts));
    }
    return new ServerProcess(pb.start(), log, "gateway");
  }

  /** Starts {@code command} with {@code env} added to this process's environment, stdout and stderr to {@code log}. */
  static ServerProcess start(String name, List<String> command, Map<String, String> env, Path log)
      throws IOException {
    Files.createDirectories(log.getParent());
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    pb.environment().putAll(env);
    return new ServerProcess(pb.start(), log, name);
  }

  /** The process measured (see {@link #followJava}). */
  long pid() {
    return measured;
  }

  /**
   * Points the measurements at the JVM: the started process itself once it has exec'd into
   * {@code java}, else its first descendant that runs {@code java}. Call it once the server
   * answers. Returns false (and measures the started process) when no JVM is found.
   */
  boolean followJava() {
    if (isJava(process.pid())) {
      measured = process.pid();
      return true;
    }
    return process.toHandle().descendants().filter(h -> isJava(h.pid())).findFirst().map(h -> {
      measured = h.pid();
      return true;
    }).orElse(false);
  }

  private static boolean isJava(long pid) {
    try {
      Path exe = Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "exe"));
      return exe.getFileName().toString().equals("java");
    } catch (IOException | UnsupportedOperationException e) {
      return false;
    }
  }

  /** The measured process's command line, from {@code /proc/<pid>/cmdline}. */
  List<String> commandLine() {
    try {
      String raw = Files.readString(Path.of("/proc", Long.toString(measured), "cmdline"), StandardCharsets.UTF_8);
      return List.of(raw.split("\u0000"));
    } catch (IOException e) {
      return List.of();
    }
  }

  /**
   * Resets the measured process's peak RSS ({@code VmHWM}) to its current RSS, by writing 5 to
   * {@code /proc/<pid>/clear_refs} (Linux, as root or the process's owner); false when that failed.
   */
  boolean resetPeakRss() {
    try {
      Files.writeString(Path.of("/proc", Long.toString(measured), "clear_refs"), "5");
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  boolean isAlive() {
    return process.isAlive();
  }

  Path log() {
    return log;
  }

  /** User plus system CPU time of the whole process so far, in clock ticks. */
  long cpuTicks() throws IOException {
    return ProcStats.cpuTicks(measured);
  }

  /** CPU ticks of each live thread of the process. */
  Map<Long, ProcStats.ThreadTicks> threadTicks() throws IOException {
    return ProcStats.threadTicks(measured);
  }

  /** Peak resident set size so far ({@code VmHWM}), in bytes. */
  long peakRssBytes() throws IOException {
    return ProcStats.statusKiloBytes(measured, "VmHWM") * 1024;
  }

  /** Resident set size now ({@code VmRSS}), in bytes. */
  long rssBytes() throws IOException {
    return ProcStats.statusKiloBytes(measured, "VmRSS") * 1024;
  }

  /** The last {@code lines} lines of the process's output. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(cannot read " + log + ": " + e.getMessage() + ")";
    }
  }

  /** Sleeps for {@code d}, failing the benchmark as soon as the process is found to have exited. */
  void sleepWhileAlive(Duration d) throws BenchmarkFailed, InterruptedException {
    long end = System.nanoTime() + d.toNanos();
    long left;
    while ((left = end - System.nanoTime()) > 0) {
      if (!process.isAlive()) {
        throw new BenchmarkFailed("the " + name + " exited during the run; the end of its log:\n" + logTail(40));
      }
      Thread.sleep(Math.max(1, Math.min(200, TimeUnit.NANOSECONDS.toMillis(left))));
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
