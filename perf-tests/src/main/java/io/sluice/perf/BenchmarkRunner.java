package io.sluice.perf;

import static io.sluice.perf.Reports.say;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * The OTLP traces pass-through benchmark: Sluice and the OpenTelemetry Collector, one after the
 * other, each started on the same config file, fed by the same load generator and exporting to the
 * same counting sink (both in this JVM, so that they share a clock for end-to-end latency).
 *
 * <p>Scenarios (each a config file {@code perf-tests/config/otlp-passthrough-<name>.yaml}):
 * {@code defaults} ({@code otlp} receiver → {@code batch} → {@code otlp} exporter, the exporter at
 * its defaults: gzip, sending queue), {@code compression-none} (the same, uncompressed) and
 * {@code no-batch} (without the batch processor, at 10,000 spans/s only).
 *
 * <p>For each scenario and gateway: start it, note its idle RSS, warm it up at a fixed rate,
 * note its idle RSS again, then run the load levels: fixed open-loop rates (1,000, 10,000, 50,000
 * spans/s by default) and the maximum (closed loop). At each level: the gateway's CPU time per
 * million spans delivered (from {@code /proc}, every thread), p50/p99 end-to-end latency
 * (HdrHistogram, from each request's intended send time), spans/s delivered and the peak RSS of
 * the level ({@code VmHWM}, reset before the level through {@code /proc/<pid>/clear_refs}).
 *
 * <p>Last, with every gateway stopped, the limit: this JVM decoding and re-encoding the same
 * request bytes in a loop; the ratio limit / Sluice's cost at its maximum.
 *
 * <p>Settings are system properties ({@code -Dbench.duration=30s}, see {@link Settings}); figures go
 * to stdout and to a Markdown file in {@code bench.results}. Everything listens on 127.0.0.1.
 */
public final class BenchmarkRunner {
  private static final double AIM_LIMIT_RATIO = 0.5;
  private static final double AIM_CPU_RATIO = 0.667;
  private static final double AIM_RSS_RATIO = 2.0;
  /** The fixed rate at which the RSS ratio has its aim. */
  private static final double RSS_AIM_RATE = 10_000;
  /** A fixed-rate level that delivers less than this fraction of its rate did not keep up. */
  private static final double KEPT_UP = 0.95;

  private BenchmarkRunner() {}

  /** A gateway under test. */
  enum Peer {
    SLUICE("sluice", "Sluice"),
    COLLECTOR("collector", "Collector");

    final String key;
    final String title;

    Peer(String key, String title) {
      this.key = key;
      this.title = title;
    }
  }

  /**
   * One config file and the load levels it runs at.
   *
   * @param rates the fixed open-loop rates, spans/s
   * @param max whether the closed-loop maximum is measured too
   */
  record Scenario(String name, String description, List<Double> rates, boolean max) {
    Path config(Path home) {
      return home.resolve("perf-tests/config/otlp-passthrough-" + name + ".yaml");
    }

    static final List<String> NAMES = List.of("defaults", "compression-none", "no-batch");

    static Scenario named(String name, List<Double> rates) {
      return switch (name) {
        case "defaults" -> new Scenario(name, "`otlp` receiver (gRPC) → `batch` (8192, 200ms) → `otlp` exporter"
            + " at its defaults (gzip, sending queue)", rates, true);
        case "compression-none" -> new Scenario(name, "the same with `compression: none` on the exporter", rates,
            true);
        case "no-batch" -> new Scenario(name, "`otlp` receiver → `otlp` exporter at its defaults, no `batch`"
            + " processor: the latency the gateway itself adds", List.of(10_000.0), false);
        default -> throw new IllegalArgumentException(name);
      };
    }
  }

  /** What one run is told to do, from system properties. */
  record Settings(
      Path home,
      Path jar,
      Path script,
      List<String> sluiceJavaOpts,
      Path collector,
      List<Peer> peers,
      List<Scenario> scenarios,
      Duration warmup,
      double warmupRate,
      Duration idleAfter,
      Duration settle,
      Duration duration,
      Duration drainTimeout,
      long rssLimitBytes,
      Duration limitWarmup,
      Duration limitDuration,
      int concurrency,
      int connections,
      int poolSize,
      int spansPerRequest,
      Path results,
      String label) {

    static Settings fromProperties() throws BenchmarkFailed {
      Path home = Path.of(System.getProperty("bench.home", ".")).toAbsolutePath().normalize();
      String javaOpts = System.getProperty("bench.sluiceJavaOpts", "").trim();
      String collector = System.getProperty("bench.collector", "").trim();
      List<Double> rates = new ArrayList<>();
      for (String r : list(System.getProperty("bench.rates", "1000,10000,50000"))) {
        rates.add(Double.parseDouble(r.replace("_", "")));
      }
      return new Settings(
          home,
          home.resolve(System.getProperty("bench.jar", "gateway/target/sluice.jar")),
          home.resolve(System.getProperty("bench.sluiceScript", "bin/sluice")),
          javaOpts.isEmpty() ? List.of() : List.of(javaOpts.split("\\s+")),
          collector.isEmpty() ? null : home.resolve(collector),
          peers(System.getProperty("bench.peers", "sluice,collector")),
          scenarios(System.getProperty("bench.scenarios", "all"), rates),
          Durations.property("bench.warmup", "15s"),
          Double.parseDouble(System.getProperty("bench.warmupRate", "50000")),
          // Idle is measured once a gateway has been idle this long: long enough for periodic
          // housekeeping (a collector's heap shrinking, a native heap trimmed) to have run once.
          Durations.property("bench.idleAfter", "10s"),
          Durations.property("bench.settle", "5s"),
          Durations.property("bench.duration", "30s"),
          Durations.property("bench.drainTimeout", "60s"),
          Long.getLong("bench.rssLimitMiB", 12 * 1024L) * 1024 * 1024,
          Durations.property("bench.limitWarmup", "5s"),
          Durations.property("bench.limitDuration", "10s"),
          Integer.getInteger("bench.concurrency", 32),
          Integer.getInteger("bench.connections", 4),
          Integer.getInteger("bench.pool", 32),
          Integer.getInteger("bench.spans", 512),
          home.resolve(System.getProperty("bench.results", "perf-tests/results")),
          System.getProperty("bench.label", ""));
    }

    private static List<String> list(String csv) {
      return Arrays.stream(csv.split(",")).map(String::trim).filter(x -> !x.isEmpty()).toList();
    }

    /** {@code bench.peers}: some of {@code sluice,collector} in order, or {@code both}. */
    static List<Peer> peers(String csv) throws BenchmarkFailed {
      if (csv.trim().equals("both")) {
        return List.of(Peer.SLUICE, Peer.COLLECTOR);
      }
      List<Peer> out = new ArrayList<>();
      for (String p : list(csv)) {
        out.add(Arrays.stream(Peer.values()).filter(x -> x.key.equals(p)).findFirst().orElseThrow(
            () -> new BenchmarkFailed("-Dbench.peers: unknown peer \"" + p + "\"; use sluice, collector or both")));
      }
      if (out.isEmpty()) {
        throw new BenchmarkFailed("-Dbench.peers names no gateway; use sluice, collector or both");
      }
      return out;
    }

    private static List<Scenario> scenarios(String csv, List<Double> rates) throws BenchmarkFailed {
      List<String> names = csv.trim().equals("all") ? Scenario.NAMES : list(csv);
      List<Scenario> out = new ArrayList<>();
      for (String n : names) {
        if (!Scenario.NAMES.contains(n)) {
          throw new BenchmarkFailed("-Dbench.scenarios: unknown scenario \"" + n + "\"; use all or some of "
              + String.join(", ", Scenario.NAMES));
        }
        out.add(Scenario.named(n, rates));
      }
      return out;
    }
  }

  /** A point in time during a level: what had been delivered, accepted and burnt by then. */
  private record Snapshot(long nanos, long delivered, long accepted, long failedCalls, long gatewayTicks,
      long runnerTicks) {}

  /** The figures of one measured window, between two snapshots. */
  private record Phase(double seconds, long delivered, long accepted, long failedCalls, long gatewayTicks,
      long runnerTicks) {
    static Phase between(Snapshot a, Snapshot b) {
      return new Phase((b.nanos - a.nanos) / 1e9, b.delivered - a.delivered, b.accepted - a.accepted,
          b.failedCalls - a.failedCalls, b.gatewayTicks - a.gatewayTicks, b.runnerTicks - a.runnerTicks);
    }

    double spansPerSecond() {
      return delivered / seconds;
    }

    double gatewayCpuSecondsPerMillionSpans() {
      return delivered == 0 ? Double.NaN : ProcStats.ticksToSeconds(gatewayTicks) / delivered * 1e6;
    }

    double gatewayCores() {
      return ProcStats.ticksToSeconds(gatewayTicks) / seconds;
    }

    double runnerCores() {
      return ProcStats.ticksToSeconds(runnerTicks) / seconds;
    }
  }

  /**
   * One load level of one gateway.
   *
   * @param rate the fixed rate in spans/s, or 0 for the closed-loop maximum
   * @param expectedStamps requests due in the window of a fixed rate (-1 for the maximum)
   * @param peakRssReset whether {@code VmHWM} was reset before the level (else it is the peak since start)
   * @param threadGroups Sluice's CPU ticks by thread group in the window, or null
   * @param cutShort the window ended early (the gateway's RSS passed {@code bench.rssLimitMiB})
   */
  private record Level(double rate, Phase phase, Histogram latency, long expectedStamps, long peakRss,
      boolean peakRssReset, Map<String, Long> threadGroups, boolean cutShort) {
    boolean isMax() {
      return rate == 0;
    }

    String title() {
      return isMax() ? "max (closed loop)" : String.format(Locale.ROOT, "%,.0f spans/s", rate);
    }
  }

  /** One gateway through one scenario. */
  private record GatewayRun(Peer peer, Scenario scenario, List<String> command, long idleRssStart,
      long idleRssWarm, List<Level> levels, long accepted, long delivered, long failedCalls, String failures,
      Map<String, Long> encodings, long validated, long invalid, String firstProblem,
      Map<String, Double> selfMetrics, int exit, Path log, Reports.LogLines warnings) {

    Level level(double rate) {
      return levels.stream().filter(l -> l.rate() == rate).findFirst().orElse(null);
    }
  }

  public static void main(String[] args) throws Exception {
    BenchmarkFailed.exitWith(() -> run(Settings.fromProperties()));
  }

  private static int run(Settings s) throws Exception {
    checkPeers(s.peers(), s.jar(), s.script(), s.collector(), "run-otlp-passthrough.sh");
    for (Scenario sc : s.scenarios()) {
      if (!Files.isRegularFile(sc.config(s.home()))) {
        throw new BenchmarkFailed(sc.config(s.home()) + " is missing");
      }
    }
    ZonedDateTime startedAt = ZonedDateTime.now();
    String loadAtStart = Files.readString(Path.of("/proc/loadavg")).trim();
    Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
    List<String> notes = new ArrayList<>();

    say("OTLP traces pass-through benchmark: %s%s",
        s.peers().stream().map(p -> p.title).collect(Collectors.joining(" and ")),
        s.label().isEmpty() ? "" : " (" + s.label() + ")");
    say("  load average at start: %s", loadAtStart);
    TraceRequests pool = TraceRequests.build(s.poolSize(), s.spansPerRequest(), 42);
    double bytesPerSpan = (double) pool.totalBytes() / pool.size() / pool.spansPerRequest();
    say("  request pool: %d requests x %d spans, %,.0f bytes per request, %.0f bytes and %.1f attributes per span",
        pool.size(), pool.spansPerRequest(), (double) pool.totalBytes() / pool.size(), bytesPerSpan,
        pool.attributesPerSpan());
    String collectorVersion = s.peers().contains(Peer.COLLECTOR)
        ? Reports.command(s.home(), s.collector().toString(), "--version") : "";

    List<GatewayRun> runs = new ArrayList<>();
    String stamp = startedAt.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    try (TraceSink sink = TraceSink.start()) {
      say("  sink on 127.0.0.1:%d", sink.port());
      for (Scenario sc : s.scenarios()) {
        for (Peer peer : s.peers()) {
          runs.add(runGateway(s, sc, peer, sink, pool, java, stamp, notes));
        }
      }
    }

    // The limit, with every gateway gone and this JVM otherwise idle; against Sluice at its maximum.
    GatewayRun limitAgainst = pickLimitRun(runs);
    DecodeEncodeLimit.Result limit = null;
    if (limitAgainst != null) {
      say("");
      say("limit: decode + re-encode of the same requests on one thread, no network; warm-up %s, then %s",
          Durations.format(s.limitWarmup()), Durations.format(s.limitDuration()));
      System.gc();
      limit = DecodeEncodeLimit.run(pool, s.limitWarmup(), s.limitDuration());
      say("      %.3f CPU-s per million spans (process; thread alone %.3f), %,.0f spans/s on one core",
          limit.processCpuSecondsPerMillionSpans(), limit.threadCpuSecondsPerMillionSpans(), limit.spansPerSecond());
      String sluiceX = limitAgainst.command().stream().filter(a -> a.startsWith("-X")).collect(Collectors.joining(" "));
      if (!sluiceX.equals(Reports.runnerJvmOptions())) {
        notes.add("The limit ran with other JVM options (" + Reports.runnerJvmOptions() + ") than Sluice ("
            + sluiceX + "); set BENCH_JVM_OPTS to compare like with like.");
      }
    }

    double loadNow = Reports.oneMinuteLoad(loadAtStart);
    if (loadNow >= 0.6) {
      notes.add("The 1-minute load average was " + loadNow + " at the start: something else was using the CPUs.");
    }

    String summary = summaryMarkdown(s, runs, limit, limitAgainst, notes);
    say("");
    System.out.print(summary);
    System.out.flush();

    String markdown = "# OTLP traces pass-through: Sluice and the OpenTelemetry Collector"
        + (s.label().isEmpty() ? "" : " (" + s.label() + ")") + "\n\n"
        + "Run of " + startedAt.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + ". Each gateway started on the"
        + " same config file, one after the other, with the same load generator and sink.\n\n"
        + summary + detailsMarkdown(s, runs, limit) + howMarkdown(s, pool, bytesPerSpan, collectorVersion)
        + Reports.machineMarkdown(s.home(), java, loadAtStart) + configsMarkdown(s);
    Files.createDirectories(s.results());
    Path file = Reports.resultsFile(s.results(), "otlp-passthrough", startedAt.toLocalDate(), s.label());
    Files.writeString(file, markdown, StandardCharsets.UTF_8);
    say("");
    say("Written to %s", s.home().relativize(file));
    return 0;
  }

  /** Fails unless what {@code peers} need is there: Sluice's jar and script, the Collector's binary. */
  static void checkPeers(List<Peer> peers, Path jar, Path script, Path collector, String runScript)
      throws BenchmarkFailed {
    if (peers.contains(Peer.SLUICE)) {
      if (!Files.isRegularFile(jar)) {
        throw new BenchmarkFailed(jar + " is missing; build it with: mvn -B -q package -DskipTests");
      }
      if (!Files.isExecutable(script)) {
        throw new BenchmarkFailed(script + " is missing or not executable");
      }
    }
    if (peers.contains(Peer.COLLECTOR) && (collector == null || !Files.isExecutable(collector))) {
      throw new BenchmarkFailed((collector == null ? "no Collector binary given" : collector + " is missing")
          + ". Build it with perf-tests/peers/build-otelcol.sh (10-18 minutes the first time, cached after that)"
          + " and pass -Dbench.collector=<the path it prints last>; " + runScript + " does both."
          + " To run Sluice alone: -Dbench.peers=sluice");
    }
  }

  // ---- one gateway through one scenario ----------------------------------------------------------

  private static GatewayRun runGateway(Settings s, Scenario sc, Peer peer, TraceSink sink, TraceRequests pool,
      Path java, String stamp, List<String> notes) throws Exception {
    int otlpPort = Reports.freePort();
    int metricsPort = Reports.freePort();
    Map<String, String> env = Map.of(
        "BENCH_OTLP_PORT", Integer.toString(otlpPort),
        "BENCH_SINK_PORT", Integer.toString(sink.port()),
        "BENCH_METRICS_PORT", Integer.toString(metricsPort));
    Path config = sc.config(s.home());
    Path log = s.home().resolve("perf-tests/target/bench/otlp-" + stamp + "-" + sc.name() + "-" + peer.key + ".log");
    String tag = "[" + sc.name() + ", " + peer.title + "] ";

    say("");
    say("== %s, scenario %s: %s", peer.title, sc.name(), sc.description().replace("`", ""));
    ServerProcess gateway;
    if (peer == Peer.SLUICE) {
      say("  start: %s%s --config %s (SLUICE_JAR=%s; log: %s)",
          s.sluiceJavaOpts().isEmpty() ? "" : "JAVA_OPTS='" + String.join(" ", s.sluiceJavaOpts()) + "' ",
          s.home().relativize(s.script()), s.home().relativize(config), s.home().relativize(s.jar()),
          s.home().relativize(log));
      gateway = ServerProcess.startViaScript(s.script(), java, s.jar(), s.sluiceJavaOpts(), config, env, log);
    } else {
      say("  start: %s --config %s (log: %s)", s.collector(), s.home().relativize(config), s.home().relativize(log));
      gateway = ServerProcess.start("Collector", List.of(s.collector().toString(), "--config", config.toString()),
          env, log);
    }

    long sinkSpans0 = sink.spans();
    Map<String, Long> encodings0 = sink.requestsByEncoding();
    long validated0 = sink.validatedRequests();
    long invalid0 = sink.invalidRequests();
    List<Level> levels = new ArrayList<>();
    List<String> command;
    long idleStart;
    long idleWarm;
    Map<String, Double> selfMetrics;
    long accepted;
    long failedCalls;
    String failures;
    int exit;
    try (gateway; LoadGenerator gen = new LoadGenerator("127.0.0.1", otlpPort, pool, s.connections())) {
      if (!gen.awaitReady(Duration.ofSeconds(60)) || !gateway.isAlive()) {
        throw new BenchmarkFailed(tag + "the gateway did not answer on 127.0.0.1:" + otlpPort + " within 60 s"
            + (gateway.isAlive() ? "" : " (it exited)") + "; the end of its log:\n" + gateway.logTail(40));
      }
      if (peer == Peer.SLUICE && !gateway.followJava()) {
        notes.add(tag + "No java process found under bin/sluice: the script's process was measured.");
      }
      command = gateway.commandLine();
      say("  pid %d answers on 127.0.0.1:%d: %s", gateway.pid(), otlpPort, String.join(" ", command));
      Thread.sleep(s.idleAfter().toMillis());
      idleStart = gateway.rssBytes();

      // At a fixed rate, not the closed loop: the code paths get compiled all the same, and a
      // gateway whose queue acknowledges on enqueue is not left holding a backlog (and the memory
      // it took) when the fixed-rate levels begin.
      say("  warm-up: %,.0f spans/s, %s", s.warmupRate(), Durations.format(s.warmup()));
      gen.startRate(s.warmupRate(), -1);
      if (watch(gateway, s.warmup(), s.rssLimitBytes())) {
        notes.add(tag + "The warm-up ended early: the gateway's RSS passed " + mib(s.rssLimitBytes()) + ".");
      }
      stopAndDrain(gen, sink, sinkSpans0, gateway, s, tag + "after the warm-up", notes);
      Thread.sleep(s.idleAfter().toMillis());
      idleWarm = gateway.rssBytes();
      say("  idle RSS: %s after start-up, %s after the warm-up", mib(idleStart), mib(idleWarm));

      List<Double> rates = new ArrayList<>(sc.rates());
      if (sc.max()) {
        rates.add(0.0);
      }
      for (double rate : rates) {
        Level level = runLevel(s, peer, rate, gen, sink, sinkSpans0, gateway, pool, tag, notes);
        levels.add(level);
        say("  %-18s %,9.0f spans/s delivered, %7.3f CPU-s per million spans (%.2f cores; runner %.2f),"
            + " p50 %.1f ms, p99 %.1f ms, peak RSS %s", level.title(), level.phase().spansPerSecond(),
            level.phase().gatewayCpuSecondsPerMillionSpans(), level.phase().gatewayCores(),
            level.phase().runnerCores(), ms(level.latency().getValueAtPercentile(50)),
            ms(level.latency().getValueAtPercentile(99)), mib(level.peakRss()));
      }

      selfMetrics = Reports.metrics(metricsPort, n -> n.endsWith("_total")
          && (n.contains("items") || n.contains("spans")));
      accepted = gen.acceptedSpans();
      failedCalls = gen.failedRequests();
      failures = gen.failureSummary();
      gen.disconnect();
      exit = gateway.stop(Duration.ofSeconds(30));
    }

    long delivered = sink.spans() - sinkSpans0;
    Map<String, Long> encodings = new LinkedHashMap<>();
    sink.requestsByEncoding().forEach((k, v) -> {
      long d = v - encodings0.getOrDefault(k, 0L);
      if (d > 0) {
        encodings.put(k, d);
      }
    });
    long invalid = sink.invalidRequests() - invalid0;
    Reports.LogLines warnings = Reports.logLines(log, 5, " WARN ", " ERROR ", "\twarn\t", "\terror\t");

    if (failedCalls > 0) {
      notes.add(String.format(Locale.ROOT, "%sThe gateway refused or failed %,d calls (%s).", tag, failedCalls,
          failures));
    }
    if (delivered != accepted) {
      notes.add(String.format(Locale.ROOT, "%sThe sink received %,d spans but the gateway accepted %,d (%+,d).",
          tag, delivered, accepted, delivered - accepted));
    }
    if (invalid > 0) {
      notes.add(tag + "The sink received invalid requests: " + sink.firstProblem());
    }
    boolean gzipExpected = !Files.readString(config).contains("compression: none");
    long gzip = encodings.getOrDefault("gzip", 0L);
    long total = encodings.values().stream().mapToLong(Long::longValue).sum();
    if (gzipExpected ? gzip != total : gzip > 0) {
      notes.add(tag + "Expected " + (gzipExpected ? "gzip-compressed" : "uncompressed") + " requests at the sink,"
          + " got " + encodings + ".");
    }
    if (exit != 0 && exit != 143) { // 143: a JVM's exit status after SIGTERM
      notes.add(tag + "The gateway exited with code " + exit + " when stopped (-1: it had to be killed).");
    }
    return new GatewayRun(peer, sc, command, idleStart, idleWarm, levels, accepted, delivered, failedCalls, failures,
        encodings, sink.validatedRequests() - validated0, invalid, sink.firstProblem(), selfMetrics, exit, log,
        warnings);
  }

  private static Level runLevel(Settings s, Peer peer, double rate, LoadGenerator gen, TraceSink sink,
      long sinkSpans0, ServerProcess gateway, TraceRequests pool, String tag, List<String> notes)
      throws Exception {
    boolean max = rate == 0;
    String what = max ? "max (closed loop)" : String.format(Locale.ROOT, "%,.0f spans/s", rate);
    boolean reset = gateway.resetPeakRss();
    if (!reset) {
      notes.add(tag + what + ": the peak RSS could not be reset (writing /proc/" + gateway.pid() + "/clear_refs"
          + " failed): it is the peak since start.");
    }
    long base = System.nanoTime();
    if (max) {
      gen.startMax(s.concurrency(), base);
    } else {
      gen.startRate(rate, base);
    }
    boolean cut = watch(gateway, s.settle(), s.rssLimitBytes());
    Map<Long, ProcStats.ThreadTicks> threadsBefore = peer == Peer.SLUICE ? gateway.threadTicks() : null;
    Snapshot a = snapshot(sink, sinkSpans0, gen, gateway);
    sink.startRecording(base, a.nanos() - base);
    if (!cut) {
      cut = watch(gateway, s.duration(), s.rssLimitBytes());
    }
    Snapshot b = snapshot(sink, sinkSpans0, gen, gateway);
    sink.endRecordingWindow(b.nanos() - base);
    if (!max && !gen.awaitSentUntil(b.nanos(), Duration.ofSeconds(5))) {
      notes.add(tag + what + ": 5 s after the window the load generator had still not sent every request due in it"
          + " (the gateway held " + LoadGenerator.MAX_OUTSTANDING_AT_RATE + " calls unanswered).");
    }
    Map<String, Long> groups = threadsBefore == null ? null
        : ProcStats.ticksByGroup(threadsBefore, gateway.threadTicks());
    Phase phase = Phase.between(a, b);
    stopAndDrain(gen, sink, sinkSpans0, gateway, s, tag + "after " + what, notes);
    Histogram latency = sink.stopRecording();
    long peak = gateway.peakRssBytes();
    long expected = -1;
    if (!max) {
      long interval = Math.max(1, Math.round(1e9 * pool.spansPerRequest() / rate));
      expected = countDue(a.nanos() - base, b.nanos() - base, interval);
    }

    if (cut) {
      notes.add(tag + what + ": the window ended early, after " + String.format(Locale.ROOT, "%.1f s",
          phase.seconds()) + ": the gateway's RSS passed " + mib(s.rssLimitBytes()) + " (-Dbench.rssLimitMiB).");
    }
    if (phase.delivered() == 0) {
      notes.add(tag + what + ": no span reached the sink in the window (" + gen.failureSummary() + ").");
    }
    if (!max && phase.spansPerSecond() < rate * KEPT_UP) {
      notes.add(String.format(Locale.ROOT, "%s%s: delivered %,.0f spans/s, below the rate: the gateway did not keep"
          + " up%s.", tag, what, phase.spansPerSecond(),
          phase.failedCalls() > 0 ? String.format(Locale.ROOT, " (%,d calls refused or failed)", phase.failedCalls())
              : ""));
    } else if (phase.failedCalls() > 0) {
      notes.add(String.format(Locale.ROOT, "%s%s: %,d calls refused or failed in the window.", tag, what,
          phase.failedCalls()));
    }
    if (!max && latency.getTotalCount() != expected) {
      notes.add(String.format(Locale.ROOT, "%s%s: %,d requests were due in the window, %,d reached the sink.", tag,
          what, expected, latency.getTotalCount()));
    }
    return new Level(rate, phase, latency, expected, peak, reset, groups, cut);
  }

  // ---- phases ------------------------------------------------------------------------------------

  private static Snapshot snapshot(TraceSink sink, long sinkSpans0, LoadGenerator gen, ServerProcess gateway)
      throws IOException {
    long nanos = System.nanoTime();
    return new Snapshot(nanos, sink.spans() - sinkSpans0, gen.acceptedSpans(), gen.failedRequests(),
        gateway.cpuTicks(), ProcStats.cpuTicks(ProcessHandle.current().pid()));
  }

  /**
   * Sleeps for {@code d} while the gateway runs; true when cut short because its RSS passed
   * {@code rssLimit} (a gateway whose queue fills faster than it empties would take the machine).
   */
  private static boolean watch(ServerProcess gateway, Duration d, long rssLimit) throws Exception {
    long end = System.nanoTime() + d.toNanos();
    while (end - System.nanoTime() > 0) {
      gateway.sleepWhileAlive(Duration.ofMillis(Math.min(200, Math.max(1, (end - System.nanoTime()) / 1_000_000))));
      if (gateway.rssBytes() > rssLimit) {
        return true;
      }
    }
    return false;
  }

  /**
   * Stops sending, waits for the calls still outstanding (each has a 60 s deadline), then until
   * everything the gateway accepted reached the sink or {@code bench.drainTimeout} passed (a NOTE
   * says how many spans were missing then).
   */
  private static void stopAndDrain(LoadGenerator gen, TraceSink sink, long sinkSpans0, ServerProcess gateway,
      Settings s, String what, List<String> notes) throws Exception {
    if (!gen.stop(Duration.ofSeconds(65))) {
      throw new BenchmarkFailed(what + ": " + gen.outstanding() + " calls to the gateway were still outstanding"
          + " 65 s after the load stopped; the end of its log:\n" + gateway.logTail(40));
    }
    long expected = sinkSpans0 + gen.acceptedSpans();
    long got = sink.awaitQuiet(expected, 3000, s.drainTimeout().toMillis());
    if (got < expected) {
      notes.add(String.format(Locale.ROOT, "%s: %,d spans accepted by the gateway had not reached the sink %s"
          + " after the load stopped (or stopped arriving for 3 s).", what, expected - got,
          Durations.format(s.drainTimeout())));
    }
  }

  private static GatewayRun pickLimitRun(List<GatewayRun> runs) {
    for (String name : List.of("compression-none", "defaults")) {
      for (GatewayRun r : runs) {
        if (r.peer() == Peer.SLUICE && r.scenario().name().equals(name) && r.level(0) != null
            && r.level(0).phase().delivered() > 0) {
          return r;
        }
      }
    }
    return null;
  }

  /** "garbage collector 45% (10.8 CPU-s per million spans), ..." from ticks by thread group. */
  private static String describeGroups(Map<String, Long> groups, Phase phase) {
    long total = groups.values().stream().mapToLong(Long::longValue).sum();
    if (total <= 0 || phase.delivered() <= 0) {
      return "none measured";
    }
    return groups.entrySet().stream()
        .sorted(Map.Entry.<String, Long>comparingByValue().reversed())
        .map(e -> String.format(Locale.ROOT, "%s %.0f%% (%.2f)", e.getKey(), 100.0 * e.getValue() / total,
            ProcStats.ticksToSeconds(e.getValue()) / phase.delivered() * 1e6))
        .collect(Collectors.joining(", ")) + " [CPU-s per million spans in brackets]";
  }

  /** Requests of the load generator's fixed schedule (one every {@code interval}) due in [from, to). */
  private static long countDue(long from, long to, long interval) {
    long start = LoadGenerator.SCHEDULE_DELAY_NANOS;
    long first = Math.max(0, ceilDiv(from - start, interval));
    long end = Math.max(0, ceilDiv(to - start, interval));
    return end - first;
  }

  private static long ceilDiv(long a, long b) {
    return -Math.floorDiv(-a, b);
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
  }

  // ---- the report --------------------------------------------------------------------------------

  private static GatewayRun find(List<GatewayRun> runs, Scenario sc, Peer peer) {
    return runs.stream().filter(r -> r.scenario().name().equals(sc.name()) && r.peer() == peer).findFirst()
        .orElse(null);
  }

  /** A cell from a level of a gateway's run, or a dash when that gateway did not run. */
  private static String cell(GatewayRun run, double rate, Function<Level, String> f) {
    Level l = run == null ? null : run.level(rate);
    return l == null ? "—" : f.apply(l);
  }

  /** Sluice / Collector of a figure, bold when it misses {@code aim} (NaN: no aim at this level). */
  private static String ratioCell(GatewayRun sluice, GatewayRun collector, double rate, Function<Level, Double> f,
      double aim) {
    Level a = sluice == null ? null : sluice.level(rate);
    Level b = collector == null ? null : collector.level(rate);
    if (a == null || b == null) {
      return "—";
    }
    double r = f.apply(a) / f.apply(b);
    if (Double.isNaN(r) || Double.isInfinite(r)) {
      return "—";
    }
    String v = String.format(Locale.ROOT, "%.2f", r);
    return !Double.isNaN(aim) && r > aim ? "**" + v + "**" : v;
  }

  private static String latencyCell(Level l) {
    String v = String.format(Locale.ROOT, "%.1f / %.1f", ms(l.latency().getValueAtPercentile(50)),
        ms(l.latency().getValueAtPercentile(99)));
    return l.latency().getTotalCount() == 0 ? "—" : v;
  }

  private static String deliveredCell(Level l) {
    String v = String.format(Locale.ROOT, "%,.0f", l.phase().spansPerSecond());
    return !l.isMax() && l.phase().spansPerSecond() < l.rate() * KEPT_UP ? v + " (NOTE)" : v;
  }

  private static String summaryMarkdown(Settings s, List<GatewayRun> runs, DecodeEncodeLimit.Result limit,
      GatewayRun limitAgainst, List<String> notes) {
    StringBuilder md = new StringBuilder();
    md.append(String.format(Locale.ROOT, "Ratios are Sluice / Collector. Aims: CPU ratio at most %.3f; peak RSS"
        + " ratio at most %.1f at %,.0f spans/s; a ratio in **bold** misses its aim. CPU is CPU-seconds per"
        + " million spans delivered (the gateway's process, every thread); latency is p50 / p99 in ms from each"
        + " request's intended send time to its arrival at the sink (the maximum: from its send time); peak RSS"
        + " is `VmHWM` during the level.%n%n", AIM_CPU_RATIO, AIM_RSS_RATIO, RSS_AIM_RATE));
    for (Scenario sc : s.scenarios()) {
      GatewayRun sl = find(runs, sc, Peer.SLUICE);
      GatewayRun co = find(runs, sc, Peer.COLLECTOR);
      md.append("## Scenario `").append(sc.name()).append("`\n\n").append(capitalize(sc.description()))
          .append(". Config: `").append(s.home().relativize(sc.config(s.home()))).append("`.\n\n");
      md.append("| Load | Sluice CPU | Collector CPU | CPU ratio | Sluice p50 / p99 | Collector p50 / p99"
          + " | Sluice peak RSS | Collector peak RSS | RSS ratio | Sluice spans/s | Collector spans/s |\n");
      md.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n");
      List<Double> rates = new ArrayList<>(sc.rates());
      if (sc.max()) {
        rates.add(0.0);
      }
      for (double rate : rates) {
        Level any = sl != null && sl.level(rate) != null ? sl.level(rate) : co == null ? null : co.level(rate);
        if (any == null) {
          continue;
        }
        Function<Level, String> cpu = l -> String.format(Locale.ROOT, "%.3f", l.phase()
            .gatewayCpuSecondsPerMillionSpans());
        Function<Level, String> rss = l -> mib(l.peakRss()) + (l.peakRssReset() ? "" : "*");
        md.append("| ").append(any.title())
            .append(" | ").append(cell(sl, rate, cpu))
            .append(" | ").append(cell(co, rate, cpu))
            .append(" | ").append(ratioCell(sl, co, rate, l -> l.phase().gatewayCpuSecondsPerMillionSpans(),
                AIM_CPU_RATIO))
            .append(" | ").append(cell(sl, rate, BenchmarkRunner::latencyCell))
            .append(" | ").append(cell(co, rate, BenchmarkRunner::latencyCell))
            .append(" | ").append(cell(sl, rate, rss))
            .append(" | ").append(cell(co, rate, rss))
            .append(" | ").append(ratioCell(sl, co, rate, l -> (double) l.peakRss(),
                rate == RSS_AIM_RATE ? AIM_RSS_RATIO : Double.NaN))
            .append(" | ").append(cell(sl, rate, BenchmarkRunner::deliveredCell))
            .append(" | ").append(cell(co, rate, BenchmarkRunner::deliveredCell))
            .append(" |\n");
      }
      md.append('\n');
    }

    md.append("## Idle RSS\n\n| Scenario | Sluice after start-up | Sluice after warm-up | Collector after start-up"
        + " | Collector after warm-up | Ratio after start-up | Ratio after warm-up |\n|---|--:|--:|--:|--:|--:|--:|\n");
    for (Scenario sc : s.scenarios()) {
      GatewayRun sl = find(runs, sc, Peer.SLUICE);
      GatewayRun co = find(runs, sc, Peer.COLLECTOR);
      md.append("| `").append(sc.name()).append("` | ")
          .append(sl == null ? "—" : mib(sl.idleRssStart())).append(" | ")
          .append(sl == null ? "—" : mib(sl.idleRssWarm())).append(" | ")
          .append(co == null ? "—" : mib(co.idleRssStart())).append(" | ")
          .append(co == null ? "—" : mib(co.idleRssWarm())).append(" | ")
          .append(sl == null || co == null ? "—" : String.format(Locale.ROOT, "%.2f",
              (double) sl.idleRssStart() / co.idleRssStart())).append(" | ")
          .append(sl == null || co == null ? "—" : String.format(Locale.ROOT, "%.2f",
              (double) sl.idleRssWarm() / co.idleRssWarm())).append(" |\n");
    }
    if (runs.stream().flatMap(r -> r.levels().stream()).anyMatch(l -> !l.peakRssReset())) {
      md.append("\n\\* `VmHWM` could not be reset before this level: the peak since the gateway started.\n");
    }

    if (limit != null) {
      double pipeline = limitAgainst.level(0).phase().gatewayCpuSecondsPerMillionSpans();
      double ratio = limit.processCpuSecondsPerMillionSpans() / pipeline;
      md.append("\n## Limit: decode + re-encode alone\n\n| Figure | Value |\n|---|---|\n");
      md.append(String.format(Locale.ROOT, "| Limit: decode + re-encode on one thread, no network (runner's JVM,"
          + " %s) | %.3f CPU-s per million spans (%,.0f spans/s on one core) |%n", Reports.runnerJvmOptions(),
          limit.processCpuSecondsPerMillionSpans(), limit.spansPerSecond()));
      md.append(String.format(Locale.ROOT, "| Sluice at its maximum, scenario `%s` | %.3f CPU-s per million spans"
          + " (%,.0f spans/s) |%n", limitAgainst.scenario().name(), pipeline,
          limitAgainst.level(0).phase().spansPerSecond()));
      md.append(String.format(Locale.ROOT, "| Ratio limit / pipeline (1.0 = the gateway costs no more than decode +"
          + " encode) | %.2f (aim: at least %.1f, %s) |%n", ratio, AIM_LIMIT_RATIO,
          ratio >= AIM_LIMIT_RATIO ? "met" : "NOT met"));
    }
    if (!notes.isEmpty()) {
      md.append("\n**Notes**\n\n");
      notes.forEach(n -> md.append("- NOTE: ").append(n).append('\n'));
    }
    md.append('\n');
    return md.toString();
  }

  private static String detailsMarkdown(Settings s, List<GatewayRun> runs, DecodeEncodeLimit.Result limit) {
    StringBuilder md = new StringBuilder("## Details\n");
    for (GatewayRun r : runs) {
      Map<String, String> t = new LinkedHashMap<>();
      t.put("Command (the measured process)", "`" + String.join(" ", r.command()) + "`");
      t.put("Spans accepted / delivered, whole run", String.format(Locale.ROOT, "%,d / %,d", r.accepted(),
          r.delivered()));
      t.put("Failed or refused calls", String.format(Locale.ROOT, "%,d%s", r.failedCalls(),
          r.failedCalls() > 0 ? " (" + r.failures() + ")" : ""));
      t.put("Requests at the sink by grpc-encoding", r.encodings().toString());
      t.put("Sink requests decoded in full to check them", String.format(Locale.ROOT, "%,d, %,d invalid",
          r.validated(), r.invalid()));
      for (Level l : r.levels()) {
        Phase p = l.phase();
        t.put(l.title(), String.format(Locale.ROOT, "%.1f s measured; %,d spans delivered, %,d accepted; gateway"
            + " %.2f cores, runner (load generator + sink) %.2f cores; latency mean %.1f ms, p90 %.1f ms, p99.9"
            + " %.1f ms, max %.1f ms over %,d requests%s", p.seconds(), p.delivered(), p.accepted(),
            p.gatewayCores(), p.runnerCores(), l.latency().getMean() / 1e6, ms(l.latency().getValueAtPercentile(90)),
            ms(l.latency().getValueAtPercentile(99.9)), ms(l.latency().getMaxValue()), l.latency().getTotalCount(),
            l.expectedStamps() >= 0 ? String.format(Locale.ROOT, " (%,d due)", l.expectedStamps()) : ""));
        if (l.threadGroups() != null) {
          t.put(l.title() + ", Sluice CPU by threads", describeGroups(l.threadGroups(), p));
        }
      }
      for (Map.Entry<String, Double> m : r.selfMetrics().entrySet()) {
        t.put("Self-metric " + m.getKey() + " (at the end)", String.format(Locale.ROOT, "%,.0f", m.getValue()));
      }
      t.put("Warnings and errors in its log", r.warnings().count() == 0 ? "none" : r.warnings().count() + ", first: "
          + r.warnings().first().stream().map(x -> "`" + shorten(x.strip(), 200).replace("|", "\\|") + "`")
          .collect(Collectors.joining("; ")));
      t.put("Exit code when stopped", Integer.toString(r.exit()));
      t.put("Log", "`" + s.home().relativize(r.log()) + "`");
      md.append("\n### ").append(r.peer().title).append(", `").append(r.scenario().name()).append("`\n\n");
      Reports.markdownTable(md, t, "Figure", "Value");
    }
    if (limit != null) {
      md.append(String.format(Locale.ROOT, "%nLimit, thread CPU alone (no GC, no JIT): %.3f CPU-s per million"
          + " spans.%n", limit.threadCpuSecondsPerMillionSpans()));
    }
    return md.toString();
  }

  private static String howMarkdown(Settings s, TraceRequests pool, double bytesPerSpan, String collectorVersion) {
    StringBuilder md = new StringBuilder("\n## How it was measured\n\n");
    md.append("- Sluice: `bin/sluice --config F` with `SLUICE_JAR=").append(s.home().relativize(s.jar()))
        .append("`").append(s.sluiceJavaOpts().isEmpty() ? ", so its JVM runs with bin/sluice's default options"
            : " and `JAVA_OPTS=" + String.join(" ", s.sluiceJavaOpts()) + "`")
        .append("; the java process it execs into is measured.");
    if (!collectorVersion.isEmpty()) {
      md.append(" Collector: `").append(s.collector().getFileName()).append(" --config F` (`")
          .append(collectorVersion.replace("\n", " ")).append("`, built by `perf-tests/peers/build-otelcol.sh`).");
    }
    md.append(" One after the other, never together; each gets free ports through `BENCH_OTLP_PORT`,"
        + " `BENCH_SINK_PORT`, `BENCH_METRICS_PORT`. Load generator and sink: the runner's JVM (")
        .append(Reports.runnerJvmOptions()).append("), so that both read one clock. All on 127.0.0.1.\n");
    md.append(String.format(Locale.ROOT, "- Requests: a pool of %d distinct `ExportTraceServiceRequest`s of %d spans"
        + " each (%,.0f bytes per request, %.0f bytes and %.1f attributes per span on average): one resource with"
        + " 28 SDK/host/k8s attributes, four instrumentation scopes, traces of 8 spans (HTTP server, 3 JDBC,"
        + " 2 HTTP client, 2 internal with events; one trace in 50 fails with an exception event), random trace"
        + " and span ids.%n", pool.size(), pool.spansPerRequest(), (double) pool.totalBytes() / pool.size(),
        bytesPerSpan, pool.attributesPerSpan()));
    md.append(String.format(Locale.ROOT, "- Per gateway and scenario: idle RSS (`VmRSS`) %s after it first answers;"
        + " warm-up %s in the closed loop; idle RSS again %s after everything reached the sink; then each level:"
        + " `VmHWM` reset (`echo 5 > /proc/<pid>/clear_refs`), settle %s, %s measured, stop and wait until the sink"
        + " has every accepted span (at most %s).%n", Durations.format(s.idleAfter()), Durations.format(s.warmup()),
        Durations.format(s.idleAfter()), Durations.format(s.settle()),
        Durations.format(s.duration()), Durations.format(s.drainTimeout())));
    md.append(String.format(Locale.ROOT, "- Fixed rates: an open loop, one request of %d spans every fixed interval;"
        + " each request carries its intended send time in the resource attribute `%s`, and the sink records"
        + " arrival minus intended time in an HdrHistogram (3 significant digits), which accounts for"
        + " coordinated omission. Maximum: %d calls outstanding over %d HTTP/2 connections, a new call as soon"
        + " as one is answered, each stamped with its send time. Spans/s count spans that reached the sink in"
        + " the window.%n", pool.spansPerRequest(), TraceRequests.STAMP_KEY, s.concurrency(), s.connections()));
    md.append(String.format(Locale.ROOT, "- CPU: utime + stime of the gateway's process from `/proc/<pid>/stat`"
        + " over the window (every thread: GC and JIT included, %d ticks per second), per span delivered; for"
        + " Sluice at the maximum also by thread group.%n", ProcStats.clockTicksPerSecond()));
    md.append(String.format(Locale.ROOT, "- Limit: after the gateways are stopped, the runner's JVM decodes each"
        + " pooled request with `ExportTraceServiceRequest.parseFrom(byte[])` and encodes it into a reused buffer"
        + " with `writeTo(CodedOutputStream)`, on one thread; warm-up %s, then %s measured; the process's CPU time"
        + " per span. Ratio = limit / Sluice's cost at its maximum (uncompressed scenario when it ran).%n",
        Durations.format(s.limitWarmup()), Durations.format(s.limitDuration())));
    return md.toString();
  }

  private static String configsMarkdown(Settings s) throws IOException {
    StringBuilder md = new StringBuilder("\n## Configs\n");
    for (Scenario sc : s.scenarios()) {
      md.append("\n`").append(s.home().relativize(sc.config(s.home()))).append("`:\n\n```yaml\n")
          .append(Files.readString(sc.config(s.home())).strip()).append("\n```\n");
    }
    return md.toString();
  }

  private static String shorten(String text, int max) {
    return text.length() <= max ? text : text.substring(0, max) + "…";
  }

  private static String capitalize(String text) {
    return text.isEmpty() ? text : Character.toUpperCase(text.charAt(0)) + text.substring(1);
  }
}
