package io.sluice.perf;

import static io.sluice.perf.Reports.say;

import io.sluice.perf.BenchmarkRunner.Peer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;

/**
 * The logs benchmark: tail → parse → Loki. Sluice's {@code filelog} receiver reads access-log files
 * from their beginning, parses every line ({@code regex_parser} with its {@code timestamp} and
 * {@code severity}), batches, and its {@code loki} exporter pushes to a counting Loki sink in this
 * JVM. The same receiver config runs in the OpenTelemetry Collector, which has no Loki exporter: it
 * sends through {@code otlphttp} to the sink's OTLP/HTTP side. A second scenario, {@code otlphttp},
 * runs both gateways with {@code otlphttp}: the same exporter on both sides, so the difference is
 * the receiver and its parsing.
 *
 * <p>Input, written before any gateway starts, one appender thread per file at full speed: a
 * warm-up set ({@code bench.warmupLines} over {@code bench.files} files) in the watched directory,
 * and the measured set ({@code bench.lines} over {@code bench.files} files) beside it. For each
 * gateway: start it (Sluice through {@code bin/sluice}, its default JVM options), wait until the
 * sink has every warm-up line, then move the measured files into the watched directory (a rename:
 * each file appears whole) and time until the sink has counted every measured line. Over that
 * window: the gateway's CPU time (utime + stime of every thread, from {@code /proc}), its peak RSS
 * ({@code VmHWM}, reset before the window), the runner's CPU and the rest of the machine's. The
 * sink sums a hash of every line it gets; equal to the files' sum means every line arrived once.
 *
 * <p>Then the limit: the measured files read and split into lines by a bare loop on one thread of
 * this JVM ({@link LineSplitLimit}). Ratios: Sluice / limit in lines/s (aim at least 1/3) and
 * Sluice / Collector in lines per CPU-second (aim at least 1.5).
 */
public final class LogsLokiRunner {
  private static final double AIM_LIMIT_RATIO = 1.0 / 3;
  private static final double AIM_COLLECTOR_RATIO = 1.5;
  /** Above this many cores of other processes in a window, the figures are marked noisy. */
  private static final double NOISY_OTHER_CORES = 0.15;
  /** Below this many cores over the window, a gateway that had lines waiting was held up by something else than CPU. */
  private static final double NOT_CPU_BOUND_CORES = 0.5;

  private LogsLokiRunner() {}

  record Settings(Path home, Path jar, Path script, List<String> sluiceJavaOpts, Path collector, List<Peer> peers,
      List<String> scenarios, int files, long lines, long warmupLines, Duration startTimeout, Duration timeout,
      int limitPasses, boolean keepFiles, Path extraConfig, Path results, String label) {

    static final List<String> SCENARIOS = List.of("loki", "otlphttp");

    static Settings fromProperties() throws BenchmarkFailed {
      Path home = Path.of(System.getProperty("bench.home", ".")).toAbsolutePath().normalize();
      String javaOpts = System.getProperty("bench.sluiceJavaOpts", "").trim();
      String collector = System.getProperty("bench.collector", "").trim();
      List<Peer> peers = BenchmarkRunner.Settings.peers(System.getProperty("bench.peers", "sluice,collector"));
      String sc = System.getProperty("bench.scenarios", "all").trim();
      List<String> scenarios = sc.equals("all") ? SCENARIOS : list(sc);
      for (String n : scenarios) {
        if (!SCENARIOS.contains(n)) {
          throw new BenchmarkFailed("-Dbench.scenarios: unknown scenario \"" + n + "\"; use all or some of "
              + String.join(", ", SCENARIOS));
        }
      }
      int files = Integer.getInteger("bench.files", 10);
      long lines = Long.parseLong(System.getProperty("bench.lines", "600000").replace("_", ""));
      long warmup = Long.parseLong(System.getProperty("bench.warmupLines", "200000").replace("_", ""));
      if (files < 1 || lines < files || warmup < files) {
        throw new BenchmarkFailed("-Dbench.files must be at least 1, and -Dbench.lines and -Dbench.warmupLines at"
            + " least one line per file");
      }
      return new Settings(home,
          home.resolve(System.getProperty("bench.jar", "gateway/target/sluice.jar")),
          home.resolve(System.getProperty("bench.sluiceScript", "bin/sluice")),
          javaOpts.isEmpty() ? List.of() : List.of(javaOpts.split("\\s+")),
          collector.isEmpty() ? null : home.resolve(collector),
          peers, scenarios, files, lines, warmup,
          Durations.property("bench.startTimeout", "120s"),
          Durations.property("bench.timeout", "600s"),
          Integer.getInteger("bench.limitPasses", 3),
          Boolean.getBoolean("bench.keepFiles"),
          System.getProperty("bench.extraConfig", "").isBlank() ? null
              : home.resolve(System.getProperty("bench.extraConfig").trim()),
          home.resolve(System.getProperty("bench.results", "perf-tests/results")),
          System.getProperty("bench.label", ""));
    }

    private static List<String> list(String csv) {
      return Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }
  }

  /** What one gateway with one exporter did with the measured files. */
  record Run(Peer peer, String exporter, List<String> command, long lines, long bytes, double seconds, long cpuTicks,
      long runnerTicks, long otherTicks, long peakRss, boolean rssReset, Map<String, Long> groups,
      LogSink.Counts counts, long expectedChecksum, long extraLines, Set<String> streams, Map<String, Double> selfMetrics, int exit, Path log,
      Reports.LogLines warnings, boolean complete) {

    String title() {
      return peer.title + " (" + exporter + ")";
    }

    /** Every measured line arrived, once: the count and the hash sum match the files', and nothing came after. */
    boolean exact() {
      return complete && counts.lines() == lines && counts.checksum() == expectedChecksum && extraLines == 0;
    }

    double linesPerSecond() {
      return counts.lines() / seconds;
    }

    double megabytesPerSecond() {
      // the file bytes, newlines included, in proportion to the lines that arrived
      return bytes * ((double) counts.lines() / lines) / seconds / 1e6;
    }

    double cpuSecondsPerMillionLines() {
      return counts.lines() == 0 ? Double.NaN : ProcStats.ticksToSeconds(cpuTicks) / counts.lines() * 1e6;
    }

    double linesPerCpuSecond() {
      return counts.lines() / ProcStats.ticksToSeconds(cpuTicks);
    }

    double cores() {
      return ProcStats.ticksToSeconds(cpuTicks) / seconds;
    }

    double runnerCores() {
      return ProcStats.ticksToSeconds(runnerTicks) / seconds;
    }

    double otherCores() {
      return ProcStats.ticksToSeconds(otherTicks) / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    BenchmarkFailed.exitWith(() -> run(Settings.fromProperties()));
  }

  private static int run(Settings s) throws Exception {
    BenchmarkRunner.checkPeers(s.peers(), s.jar(), s.script(), s.collector(), "run-logs-loki.sh");
    ZonedDateTime startedAt = ZonedDateTime.now();
    String loadAtStart = Files.readString(Path.of("/proc/loadavg")).trim();
    Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
    String stamp = startedAt.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path work = s.home().resolve("perf-tests/target/bench/logs-" + stamp);
    Path tail = work.resolve("tail");
    Path staging = work.resolve("staging");
    List<String> notes = new ArrayList<>();

    say("Logs benchmark, tail -> parse -> Loki: %s%s", s.peers().stream().map(p -> p.title)
        .collect(Collectors.joining(" and ")), s.label().isEmpty() ? "" : " (" + s.label() + ")");
    say("  load average at start: %s", loadAtStart);
    AccessLogFiles.Written warm = AccessLogFiles.write(tail, "warmup", s.files(), s.warmupLines() / s.files(), 1);
    AccessLogFiles.Written measured = AccessLogFiles.write(staging, "access", s.files(), s.lines() / s.files(), 2);
    say("  written: warm-up %,d lines (%s), measured %,d lines in %d files, %.1f MB, %.0f bytes a line with its"
        + " newline, by %d concurrent appenders in %.1f s (%.0f MB/s)", warm.lines(), Durations.format(
        Duration.ofMillis(Math.round(warm.seconds() * 1000))), measured.lines(), s.files(), measured.bytes() / 1e6,
        (double) measured.bytes() / measured.lines(), s.files(), measured.seconds(),
        measured.bytes() / 1e6 / measured.seconds());
    String collectorVersion = s.peers().contains(Peer.COLLECTOR)
        ? Reports.command(s.home(), s.collector().toString(), "--version") : "";

    Map<String, Run> runs = new LinkedHashMap<>(); // by peer key + exporter
    LineSplitLimit.Pass[] passes;
    try (LogSink sink = LogSink.start()) {
      say("  sink on 127.0.0.1:%d (%s, %s)", sink.port(), LogSink.LOKI_PATH, LogSink.OTLP_PATH);
      for (String scenario : s.scenarios()) {
        for (Peer peer : s.peers()) {
          String exporter = exporterOf(peer, scenario);
          String key = peer.key + "/" + exporter;
          if (!runs.containsKey(key)) {
            runs.put(key, runGateway(s, peer, exporter, sink, warm, measured, tail, staging, java, stamp, notes));
          }
        }
      }
      passes = limit(s, measured, notes);
    } finally {
      if (!s.keepFiles()) {
        ScrapeRemoteWriteRunner.deleteTree(work);
      } else {
        say("  files kept in %s", s.home().relativize(work));
      }
    }

    String loadAtEnd = Files.readString(Path.of("/proc/loadavg")).trim();
    String summary = summaryMarkdown(s, runs, passes, measured, notes);
    say("");
    System.out.print(summary);
    System.out.flush();

    String markdown = "# Logs: tail → parse → Loki, Sluice and the OpenTelemetry Collector"
        + (s.label().isEmpty() ? "" : " (" + s.label() + ")") + "\n\n"
        + "Run of " + startedAt.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + ". Load average at the start: `"
        + loadAtStart + "`; at the end: `" + loadAtEnd + "`.\n\n"
        + summary + detailsMarkdown(s, runs, passes) + howMarkdown(s, warm, measured, collectorVersion)
        + Reports.machineMarkdown(s.home(), java, loadAtStart) + configsMarkdown(s);
    Files.createDirectories(s.results());
    Path file = Reports.resultsFile(s.results(), "logs-loki", startedAt.toLocalDate(), s.label());
    Files.writeString(file, markdown, StandardCharsets.UTF_8);
    say("");
    say("Written to %s", s.home().relativize(file));
    return 0;
  }

  /** The Collector has no loki exporter: in the loki scenario it sends through otlphttp. */
  private static String exporterOf(Peer peer, String scenario) {
    return peer == Peer.COLLECTOR ? "otlphttp" : scenario;
  }

  // ---- one gateway ---------------------------------------------------------------------------------

  private static Run runGateway(Settings s, Peer peer, String exporter, LogSink sink, AccessLogFiles.Written warm,
      AccessLogFiles.Written measured, Path tail, Path staging, Path java, String stamp, List<String> notes)
      throws Exception {
    int metricsPort = Reports.freePort();
    Map<String, String> env = Map.of(
        "BENCH_LOG_DIR", tail.toString(),
        "BENCH_SINK_PORT", Integer.toString(sink.port()),
        "BENCH_METRICS_PORT", Integer.toString(metricsPort));
    List<Path> configs = configs(s, exporter);
    Path log = s.home().resolve("perf-tests/target/bench/logs-" + stamp + "-" + peer.key + "-" + exporter + ".log");
    String tag = "[" + peer.title + ", " + exporter + "] ";
    String configArgs = configs.stream().map(c -> "--config " + s.home().relativize(c)).collect(Collectors.joining(" "));

    say("");
    say("== %s with the %s exporter", peer.title, exporter);
    ServerProcess gateway;
    if (peer == Peer.SLUICE) {
      say("  start: %s%s %s (SLUICE_JAR=%s; log: %s)",
          s.sluiceJavaOpts().isEmpty() ? "" : "JAVA_OPTS='" + String.join(" ", s.sluiceJavaOpts()) + "' ",
          s.home().relativize(s.script()), configArgs, s.home().relativize(s.jar()), s.home().relativize(log));
      gateway = ServerProcess.startViaScript(s.script(), java, s.jar(), s.sluiceJavaOpts(), configs, env, log);
    } else {
      say("  start: %s %s (log: %s)", s.collector(), configArgs, s.home().relativize(log));
      List<String> command = new ArrayList<>(List.of(s.collector().toString()));
      for (Path c : configs) {
        command.add("--config");
        command.add(c.toString());
      }
      gateway = ServerProcess.start("Collector", command, env, log);
    }
    sink.takeStreams();
    LogSink.Counts base = sink.counts();
    List<String> commandLine;
    long startNanos = System.nanoTime();
    try (gateway) {
      // warm-up: the files already in the watched directory, read from their beginning
      awaitLines(sink, base, warm.lines(), s.startTimeout(), gateway, tag + "warm-up");
      if (peer == Peer.SLUICE && !gateway.followJava()) {
        notes.add(tag + "No java process found under bin/sluice: the script's process was measured.");
      }
      commandLine = gateway.commandLine();
      LogSink.Counts afterWarm = awaitQuiet(sink, Duration.ofSeconds(1));
      LogSink.Counts w = afterWarm.minus(base);
      say("  pid %d: warm-up of %,d lines delivered %.1f s after start: %s", gateway.pid(), w.lines(),
          (System.nanoTime() - startNanos) / 1e9, String.join(" ", commandLine));
      if (w.lines() != warm.lines() || w.checksum() != warm.checksum()) {
        notes.add(String.format(Locale.ROOT, "%sWarm-up: the sink got %,d lines for %,d written%s.", tag, w.lines(),
            warm.lines(), w.checksum() != warm.checksum() ? ", and their hash sum differs (lost or repeated lines)"
                : ""));
      }

      // the measured window: from the files' arrival in the watched directory to the sink's last line
      boolean reset = gateway.resetPeakRss();
      if (!reset) {
        notes.add(tag + "The peak RSS could not be reset (writing /proc/" + gateway.pid() + "/clear_refs failed):"
            + " it is the peak since start.");
      }
      sink.takeStreams();
      Map<Long, ProcStats.ThreadTicks> threads0 = peer == Peer.SLUICE ? gateway.threadTicks() : null;
      long machine0 = machineBusyTicks();
      long runner0 = ProcStats.cpuTicks(ProcessHandle.current().pid());
      long cpu0 = gateway.cpuTicks();
      long t0 = System.nanoTime();
      for (Path f : measured.files()) {
        Files.move(f, tail.resolve(f.getFileName()), StandardCopyOption.ATOMIC_MOVE);
      }
      boolean complete = awaitLinesOrTimeout(sink, afterWarm, measured.lines(), s.timeout(), gateway);
      long t1 = System.nanoTime();
      long cpu1 = gateway.cpuTicks();
      long runner1 = ProcStats.cpuTicks(ProcessHandle.current().pid());
      long machine1 = machineBusyTicks();
      Map<String, Long> groups = threads0 == null ? null : ProcStats.ticksByGroup(threads0, gateway.threadTicks());
      LogSink.Counts c = sink.counts().minus(afterWarm);
      long peak = gateway.peakRssBytes();
      Set<String> streams = new TreeSet<>(sink.takeStreams());
      LogSink.Counts later = awaitQuiet(sink, Duration.ofSeconds(1)).minus(afterWarm);
      Map<String, Double> selfMetrics = Reports.metrics(metricsPort, n -> n.endsWith("_total")
          && (n.contains("items") || n.contains("log_records")));
      int exit = gateway.stop(Duration.ofSeconds(30));
      for (Path f : measured.files()) {
        Files.move(tail.resolve(f.getFileName()), f, StandardCopyOption.ATOMIC_MOVE);
      }

      long gatewayTicks = cpu1 - cpu0;
      long runnerTicks = runner1 - runner0;
      Run run = new Run(peer, exporter, commandLine, measured.lines(), measured.bytes(), (t1 - t0) / 1e9,
          gatewayTicks, runnerTicks, Math.max(0, machine1 - machine0 - gatewayTicks - runnerTicks), peak, reset,
          groups, c, measured.checksum(), later.lines() - c.lines(), streams, selfMetrics, exit, log,
          Reports.logLines(log, 5, " WARN ", " ERROR ", "\twarn\t", "\terror\t"), complete);
      say("  %,d lines in %.2f s: %,.0f lines/s, %.1f MB/s, %.3f CPU-s per million lines (%,.0f lines per CPU-s,"
          + " %.2f cores), peak RSS %s; runner %.2f cores, other processes %.2f cores", c.lines(), run.seconds(),
          run.linesPerSecond(), run.megabytesPerSecond(), run.cpuSecondsPerMillionLines(), run.linesPerCpuSecond(),
          run.cores(), mib(peak), run.runnerCores(), run.otherCores());

      if (!complete) {
        notes.add(String.format(Locale.ROOT, "%sOnly %,d of %,d measured lines reached the sink within %s: the"
            + " figures are over that time and those lines.", tag, c.lines(), measured.lines(),
            Durations.format(s.timeout())));
      } else if (c.checksum() != measured.checksum() || c.lines() != measured.lines()) {
        notes.add(String.format(Locale.ROOT, "%sThe sink got %,d lines for %,d written, and their hash sum %s the"
            + " files': lines were lost, repeated or changed.", tag, c.lines(), measured.lines(),
            c.checksum() == measured.checksum() ? "equals" : "differs from"));
      }
      if (later.lines() != c.lines()) {
        notes.add(String.format(Locale.ROOT, "%s%,d more lines arrived after the window (repeats).", tag,
            later.lines() - c.lines()));
      }
      if (c.invalid() > 0) {
        notes.add(tag + "The sink could not decode " + c.invalid() + " requests: " + sink.firstProblem());
      }
      if (c.nonStringBodies() > 0) {
        notes.add(tag + c.nonStringBodies() + " records had no string body.");
      }
      if (complete && run.cores() < NOT_CPU_BOUND_CORES) {
        notes.add(String.format(Locale.ROOT, "%sThe gateway used %.2f cores of 2 while it read: its lines/s is not"
            + " set by CPU (it waited on something: a timer, an acknowledgement, the poll interval).", tag,
            run.cores()));
      }
      if (run.otherCores() > NOISY_OTHER_CORES) {
        notes.add(String.format(Locale.ROOT, "%sOther processes used %.2f cores during the window: the machine was"
            + " not quiet, and the figures are noisy.", tag, run.otherCores()));
      }
      if (exit != 0 && exit != 143) {
        notes.add(tag + "The gateway exited with code " + exit + " when stopped (-1: it had to be killed).");
      }
      return run;
    }
  }

  /** The receiver's config, the exporter's, and {@code bench.extraConfig} when set: loaded in that order. */
  private static List<Path> configs(Settings s, String exporter) {
    List<Path> out = new ArrayList<>(List.of(s.home().resolve("perf-tests/config/logs-filelog-receiver.yaml"),
        s.home().resolve("perf-tests/config/logs-exporter-" + exporter + ".yaml")));
    if (s.extraConfig() != null) {
      out.add(s.extraConfig());
    }
    return out;
  }

  /** Waits until the sink has {@code lines} lines more than {@code base}; fails the benchmark otherwise. */
  private static void awaitLines(LogSink sink, LogSink.Counts base, long lines, Duration timeout,
      ServerProcess gateway, String what) throws Exception {
    if (!awaitLinesOrTimeout(sink, base, lines, timeout, gateway)) {
      LogSink.Counts c = sink.counts().minus(base);
      throw new BenchmarkFailed(String.format(Locale.ROOT, "%s: %,d of %,d lines reached the sink within %s%s; the"
          + " end of the gateway's log:%n%s", what, c.lines(), lines, Durations.format(timeout),
          c.invalid() == 0 ? "" : " (" + c.invalid() + " requests the sink could not decode, the first: "
              + sink.firstProblem() + ")", gateway.logTail(40)));
    }
  }

  /** Polls every 5 ms; true when the sink has {@code lines} lines more than {@code base} in time. */
  private static boolean awaitLinesOrTimeout(LogSink sink, LogSink.Counts base, long lines, Duration timeout,
      ServerProcess gateway) throws Exception {
    long end = System.nanoTime() + timeout.toNanos();
    while (sink.counts().lines() - base.lines() < lines) {
      if (System.nanoTime() - end > 0) {
        return false;
      }
      gateway.sleepWhileAlive(Duration.ofMillis(5));
    }
    return true;
  }

  /** The sink's counts once no line arrived for {@code quiet}. */
  private static LogSink.Counts awaitQuiet(LogSink sink, Duration quiet) throws InterruptedException {
    LogSink.Counts last = sink.counts();
    while (true) {
      Thread.sleep(quiet.toMillis());
      LogSink.Counts now = sink.counts();
      if (now.lines() == last.lines()) {
        return now;
      }
      last = now;
    }
  }

  /** CPU ticks the whole machine spent busy so far (all of {@code /proc/stat}'s cpu line but idle and iowait). */
  private static long machineBusyTicks() throws IOException {
    String cpu = Files.readAllLines(Path.of("/proc/stat")).get(0);
    String[] f = cpu.trim().split("\\s+");
    long busy = 0;
    for (int i = 1; i < Math.min(f.length, 9); i++) { // user nice system idle iowait irq softirq steal
      if (i != 4 && i != 5) {
        busy += Long.parseLong(f[i]);
      }
    }
    return busy;
  }

  // ---- the limit -------------------------------------------------------------------------------------

  private static LineSplitLimit.Pass[] limit(Settings s, AccessLogFiles.Written measured, List<String> notes)
      throws Exception {
    List<Path> files = measured.files();
    say("");
    say("limit: the measured files read and split into lines by a bare loop on one thread (one pass to warm up,"
        + " then %d)", s.limitPasses());
    LineSplitLimit.Pass warmPass = LineSplitLimit.run(files);
    if (warmPass.checksum() != measured.checksum() || warmPass.lines() != measured.lines()) {
      notes.add("The limit's loop found other lines than were written (" + warmPass.lines() + ").");
    }
    LineSplitLimit.Pass[] passes = new LineSplitLimit.Pass[s.limitPasses()];
    for (int i = 0; i < passes.length; i++) {
      passes[i] = LineSplitLimit.run(files);
      say("  pass %d: %,.0f lines/s, %.0f MB/s, %.3f CPU-s per million lines (thread)", i + 1,
          passes[i].linesPerSecond(), passes[i].bytes() / 1e6 / passes[i].seconds(),
          passes[i].cpuSeconds() / passes[i].lines() * 1e6);
    }
    return passes;
  }

  /** The median pass by lines/s. */
  private static LineSplitLimit.Pass median(LineSplitLimit.Pass[] passes) {
    if (passes.length == 0) {
      return null;
    }
    LineSplitLimit.Pass[] sorted = passes.clone();
    Arrays.sort(sorted, Comparator.comparingDouble(LineSplitLimit.Pass::linesPerSecond));
    return sorted[sorted.length / 2];
  }

  // ---- the report ------------------------------------------------------------------------------------

  private static String summaryMarkdown(Settings s, Map<String, Run> runs, LineSplitLimit.Pass[] passes,
      AccessLogFiles.Written measured, List<String> notes) {
    StringBuilder md = new StringBuilder();
    md.append("## Results\n\n");
    md.append(String.format(Locale.ROOT, "%,d measured lines (%.1f MB) in %d files, pre-written; see \"How\".%n%n",
        measured.lines(), measured.bytes() / 1e6, s.files()));
    md.append("| Gateway (exporter) | lines/s | MB/s | CPU-s per million lines | lines per CPU-s | cores |"
        + " peak RSS | other processes, cores | complete |\n|---|---|---|---|---|---|---|---|---|\n");
    for (Run r : runs.values()) {
      md.append(String.format(Locale.ROOT, "| %s | %,.0f | %.1f | %.3f | %,.0f | %.2f | %s%s | %.2f | %s |%n",
          r.title(), r.linesPerSecond(), r.megabytesPerSecond(), r.cpuSecondsPerMillionLines(),
          r.linesPerCpuSecond(), r.cores(), mib(r.peakRss()), r.rssReset() ? "" : "*", r.otherCores(),
          r.exact() ? "yes" : "**no**"));
    }
    LineSplitLimit.Pass limit = median(passes);
    if (limit != null) {
      md.append(String.format(Locale.ROOT, "| limit: bare read + split, 1 thread (median of %d) | %,.0f | %.1f |"
          + " %.3f (thread) | %,.0f | 1 | | | |%n", passes.length, limit.linesPerSecond(),
          limit.bytes() / 1e6 / limit.seconds(), limit.cpuSeconds() / limit.lines() * 1e6,
          limit.lines() / limit.cpuSeconds()));
    }
    md.append("\n");
    md.append("| Scenario | Sluice / limit, lines/s (aim ≥ 0.333) | Sluice / Collector, lines per CPU-s (aim ≥ 1.5) |"
        + " Sluice / Collector, lines/s | Sluice / Collector, peak RSS |\n|---|---|---|---|---|\n");
    for (String sc : s.scenarios()) {
      Run sl = runs.get("sluice/" + exporterOf(Peer.SLUICE, sc));
      Run co = runs.get("collector/" + exporterOf(Peer.COLLECTOR, sc));
      if (sl == null) {
        continue;
      }
      String vsLimit = limit == null ? "–" : aim(sl.linesPerSecond() / limit.linesPerSecond(), AIM_LIMIT_RATIO);
      String vsCpu = co == null ? "–" : aim(sl.linesPerCpuSecond() / co.linesPerCpuSecond(), AIM_COLLECTOR_RATIO);
      String vsRate = co == null ? "–" : String.format(Locale.ROOT, "%.2f", sl.linesPerSecond() / co.linesPerSecond());
      String vsRss = co == null ? "–" : String.format(Locale.ROOT, "%.2f", (double) sl.peakRss() / co.peakRss());
      md.append(String.format(Locale.ROOT, "| %s: Sluice (%s) vs Collector (%s) | %s | %s | %s | %s |%n", sc,
          sl.exporter(), co == null ? "not run" : co.exporter(), vsLimit, vsCpu, vsRate, vsRss));
    }
    md.append("\nA ratio in **bold** misses its aim. `*`: the peak since start (VmHWM could not be reset).\n");
    md.append("\nNOTES:\n\n");
    if (notes.isEmpty()) {
      md.append("- none\n");
    }
    notes.forEach(n -> md.append("- ").append(n).append('\n'));
    return md.toString();
  }

  private static String aim(double ratio, double aim) {
    String v = String.format(Locale.ROOT, ratio < 0.1 ? "%.4f" : "%.2f", ratio);
    return ratio >= aim ? v : "**" + v + "**";
  }

  private static String detailsMarkdown(Settings s, Map<String, Run> runs, LineSplitLimit.Pass[] passes) {
    StringBuilder md = new StringBuilder("\n## Details\n");
    for (Run r : runs.values()) {
      md.append("\n### ").append(r.title()).append("\n\n");
      Map<String, String> t = new LinkedHashMap<>();
      t.put("Command measured", "`" + String.join(" ", r.command()) + "`");
      t.put("Window", String.format(Locale.ROOT, "%.2f s, from the files' move into the watched directory to the"
          + " sink's last line", r.seconds()));
      t.put("Lines at the sink", String.format(Locale.ROOT, "%,d of %,d (%,d more after the window); %,d requests,"
          + " %,.0f lines a request", r.counts().lines(), r.lines(), r.extraLines(), r.counts().requests(),
          (double) r.counts().lines() / Math.max(1, r.counts().requests())));
      t.put("Every line once", r.exact() ? "yes: the count and the sum of the lines' hashes match the files'"
          : "no (see NOTES)");
      t.put("Gateway CPU", String.format(Locale.ROOT, "%.2f CPU-s (%.2f cores)", ProcStats.ticksToSeconds(
          r.cpuTicks()), r.cores()));
      if (r.groups() != null) {
        t.put("Gateway CPU by thread group", ProcStats.describeGroups(r.groups(), r.counts().lines(), "lines"));
      }
      t.put("Runner CPU (sink, in the window)", String.format(Locale.ROOT, "%.2f cores", r.runnerCores()));
      t.put("Other processes' CPU in the window", String.format(Locale.ROOT, "%.2f cores (machine busy time less"
          + " the gateway's and the runner's)", r.otherCores()));
      t.put("Loki streams seen in the window", r.streams().isEmpty() ? "none (OTLP)" : r.streams().size() + ": `"
          + String.join("`, `", r.streams()) + "`");
      t.put("Self-metrics at the end", r.selfMetrics().isEmpty() ? "not read" : r.selfMetrics().entrySet().stream()
          .map(e -> String.format(Locale.ROOT, "%s %,.0f", e.getKey(), e.getValue()))
          .collect(Collectors.joining("; ")));
      t.put("Exit when stopped", Integer.toString(r.exit()));
      t.put("Log", "`" + s.home().relativize(r.log()) + "`; " + r.warnings().count() + " warning or error lines"
          + (r.warnings().first().isEmpty() ? "" : ", the first: `" + String.join("` / `", r.warnings().first())
              .replace("|", "\\|") + "`"));
      Reports.markdownTable(md, t, "", "");
    }
    md.append("\n### Limit passes\n\n");
    for (int i = 0; i < passes.length; i++) {
      LineSplitLimit.Pass p = passes[i];
      md.append(String.format(Locale.ROOT, "- pass %d: %,d lines, %.1f MB in %.3f s: %,.0f lines/s, %.0f MB/s,"
          + " %.3f CPU-s (thread)%n", i + 1, p.lines(), p.bytes() / 1e6, p.seconds(), p.linesPerSecond(),
          p.bytes() / 1e6 / p.seconds(), p.cpuSeconds()));
    }
    return md.toString();
  }

  private static String howMarkdown(Settings s, AccessLogFiles.Written warm, AccessLogFiles.Written measured,
      String collectorVersion) {
    return "\n## How\n\n"
        + String.format(Locale.ROOT, "- Input: %d access-log files (nginx combined format and the request time,"
            + " %.0f bytes a line with its newline), written before the gateways start by %d appender threads at"
            + " full speed, one per file: a warm-up set of %,d lines in the watched directory, and the measured set"
            + " of %,d lines beside it. Pre-written, not appended while the gateway reads: the same bytes for every"
            + " gateway and the limit, and a window that ends when the last line arrives.%n", s.files(),
            (double) measured.bytes() / measured.lines(), s.files(), warm.lines(), measured.lines())
        + "- Each gateway, one after the other (the machine has 2 cores): started on"
        + " `perf-tests/config/logs-filelog-receiver.yaml` then `logs-exporter-<exporter>.yaml` (both merge"
        + " `--config` files in order; Sluice through `bin/sluice` with its default JVM options); it reads the"
        + " warm-up files from their beginning (`start_at: beginning`); once the sink has them all, the measured"
        + " files are moved into the watched directory (renames: each appears whole, found at the next poll) and"
        + " the window runs until the sink has counted every measured line.\n"
        + "- CPU: utime + stime of the gateway's process from `/proc/<pid>/stat` over the window, every thread (GC"
        + " and JIT included). Peak RSS: `VmHWM`, reset before the window (`clear_refs`). Other processes: the"
        + " machine's busy time from `/proc/stat` less the gateway's and the runner's.\n"
        + "- Sink (in the runner's JVM, one Vert.x event loop): Loki push (snappy, protobuf `PushRequest`, answered"
        + " 204) and OTLP/HTTP logs (protobuf, gzip, answered 200), walked by field number; every line is hashed"
        + " and the hashes summed, compared with the written files' sum.\n"
        + "- The Collector has no `loki` exporter (removed from contrib): in the `loki` scenario it runs"
        + " `otlphttp` (protobuf, gzip) into the same sink. So that scenario compares the `filelog` receiver and"
        + " its parsing with each side's nearest exporter; `otlphttp` runs the same exporter on both sides.\n"
        + "- Limit: the measured files read (FileChannel, 256 KiB buffer) and split into lines, each line hashed, on"
        + " one thread of the runner's JVM, from the page cache, after the gateways.\n"
        + (collectorVersion.isEmpty() ? "" : "- Collector: `" + collectorVersion + "`\n");
  }

  private static String configsMarkdown(Settings s) {
    StringBuilder md = new StringBuilder("\n## Configs\n");
    for (String name : List.of("logs-filelog-receiver.yaml", "logs-exporter-loki.yaml", "logs-exporter-otlphttp.yaml")) {
      Path p = s.home().resolve("perf-tests/config/" + name);
      try {
        md.append("\n`perf-tests/config/").append(name).append("`:\n\n```yaml\n").append(Files.readString(p).strip())
            .append("\n```\n");
      } catch (IOException e) {
        md.append("\n(").append(p).append(": ").append(e.getMessage()).append(")\n");
      }
    }
    return md.toString();
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
  }
}
