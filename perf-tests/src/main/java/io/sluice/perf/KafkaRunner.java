package io.sluice.perf;

import static io.sluice.perf.Reports.say;

import io.sluice.testkit.kafka.KafkaBroker;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;

/**
 * The Kafka benchmark: two tiers around a real broker (KRaft, started by the kafka testkit on
 * loopback). The ingest tier takes OTLP/gRPC and writes to Kafka ({@code kafka-ingest.yaml}); the
 * processing tier reads the topic as a consumer group and writes OTLP/gRPC to the counting sink
 * ({@code kafka-process.yaml}). Both tiers run at once, so one load measures both: spans per
 * CPU-second of each tier's process, Sluice against the OpenTelemetry Collector on the same config
 * files, and against Sluice's OTLP pass-through ({@code otlp → otlp}) in the same run.
 *
 * <p>Per level (fixed open-loop rates, then a closed loop at the most the ingest tier takes):
 * spans/s taken by the ingest tier, spans/s delivered by the processing tier, each tier's CPU per
 * span and spans per CPU-second, peak RSS. Each peer writes to a topic of its own, read by a
 * consumer group of its own.
 */
public final class KafkaRunner {
  private KafkaRunner() {}

  record Settings(Path home, Path jar, Path script, List<String> sluiceJavaOpts, Path collector,
      List<BenchmarkRunner.Peer> peers, Path ingestConfig, Path processConfig, Path passConfig, List<Double> rates,
      boolean max, int partitions, Duration warmup, double warmupRate, Duration settle, Duration duration,
      Duration drainTimeout, int concurrency, int connections, int poolSize, int spansPerRequest, Path results,
      String label) {

    static Settings fromProperties() throws BenchmarkFailed {
      Path home = Path.of(System.getProperty("bench.home", ".")).toAbsolutePath().normalize();
      String javaOpts = System.getProperty("bench.sluiceJavaOpts", "").trim();
      String collector = System.getProperty("bench.collector", "").trim();
      List<Double> rates = new ArrayList<>();
      for (String r : System.getProperty("bench.rates", "10000,50000").split(",")) {
        if (!r.isBlank()) {
          rates.add(Double.parseDouble(r.trim().replace("_", "")));
        }
      }
      return new Settings(home,
          home.resolve(System.getProperty("bench.jar", "gateway/target/sluice.jar")),
          home.resolve(System.getProperty("bench.sluiceScript", "bin/sluice")),
          javaOpts.isEmpty() ? List.of() : List.of(javaOpts.split("\\s+")),
          collector.isEmpty() ? null : home.resolve(collector),
          BenchmarkRunner.Settings.peers(System.getProperty("bench.peers", "sluice,collector")),
          home.resolve(System.getProperty("bench.ingestConfig", "perf-tests/config/kafka-ingest.yaml")),
          home.resolve(System.getProperty("bench.processConfig", "perf-tests/config/kafka-process.yaml")),
          home.resolve(System.getProperty("bench.passConfig", "perf-tests/config/tail-sampling-passthrough.yaml")),
          rates,
          Boolean.parseBoolean(System.getProperty("bench.max", "true")),
          Integer.getInteger("bench.partitions", 8),
          Durations.property("bench.warmup", "15s"),
          Double.parseDouble(System.getProperty("bench.warmupRate", "10000")),
          Durations.property("bench.settle", "5s"),
          Durations.property("bench.duration", "30s"),
          Durations.property("bench.drainTimeout", "60s"),
          Integer.getInteger("bench.concurrency", 32),
          Integer.getInteger("bench.connections", 4),
          Integer.getInteger("bench.pool", 32),
          Integer.getInteger("bench.spans", 512),
          home.resolve(System.getProperty("bench.results", "perf-tests/results")),
          System.getProperty("bench.label", ""));
    }
  }

  /** Which gateway in which role. */
  enum Run {
    SLUICE_PASS("Sluice, OTLP pass-through", BenchmarkRunner.Peer.SLUICE, false),
    SLUICE_KAFKA("Sluice, OTLP → Kafka → OTLP", BenchmarkRunner.Peer.SLUICE, true),
    COLLECTOR_KAFKA("Collector, OTLP → Kafka → OTLP", BenchmarkRunner.Peer.COLLECTOR, true);

    final String title;
    final BenchmarkRunner.Peer peer;
    final boolean kafka;

    Run(String title, BenchmarkRunner.Peer peer, boolean kafka) {
      this.title = title;
      this.peer = peer;
      this.kafka = kafka;
    }
  }

  /** One level: what the ingest tier took, what reached the sink, and each tier's CPU and peak RSS. */
  record Level(double rate, double seconds, long accepted, long delivered, long ingestTicks, long processTicks,
      long ingestPeakRss, long processPeakRss, long failedCalls) {
    boolean isMax() {
      return rate == 0;
    }

    String title() {
      return isMax() ? "max (closed loop)" : String.format(Locale.ROOT, "%,.0f spans/s", rate);
    }

    double acceptedPerSecond() {
      return accepted / seconds;
    }

    double deliveredPerSecond() {
      return delivered / seconds;
    }

    static double perCpuSecond(long spans, long ticks) {
      double cpu = ProcStats.ticksToSeconds(ticks);
      return cpu > 0 ? spans / cpu : Double.NaN;
    }

    double ingestPerCpuSecond() {
      return perCpuSecond(accepted, ingestTicks);
    }

    double processPerCpuSecond() {
      return processTicks < 0 ? Double.NaN : perCpuSecond(delivered, processTicks);
    }
  }

  record GatewayRun(Run run, List<String> commands, List<Level> levels, List<String> logs) {
    Level level(double rate) {
      return levels.stream().filter(l -> l.rate() == rate).findFirst().orElse(null);
    }
  }

  public static void main(String[] args) throws Exception {
    BenchmarkFailed.exitWith(() -> run(Settings.fromProperties()));
  }

  private static int run(Settings s) throws Exception {
    BenchmarkRunner.checkPeers(s.peers(), s.jar(), s.script(), s.collector(), "run-kafka.sh");
    for (Path c : List.of(s.ingestConfig(), s.processConfig(), s.passConfig())) {
      if (!Files.isRegularFile(c)) {
        throw new BenchmarkFailed(c + " is missing");
      }
    }
    ZonedDateTime startedAt = ZonedDateTime.now();
    String loadAtStart = Files.readString(Path.of("/proc/loadavg")).trim();
    Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
    List<String> notes = new ArrayList<>();
    say("Kafka benchmark%s", s.label().isEmpty() ? "" : " (" + s.label() + ")");
    say("  load average at start: %s", loadAtStart);
    TraceRequests pool = TraceRequests.build(s.poolSize(), s.spansPerRequest(), 42);
    String stamp = startedAt.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    List<Run> order = new ArrayList<>();
    if (s.peers().contains(BenchmarkRunner.Peer.SLUICE)) {
      order.add(Run.SLUICE_PASS);
      order.add(Run.SLUICE_KAFKA);
    }
    if (s.peers().contains(BenchmarkRunner.Peer.COLLECTOR)) {
      order.add(Run.COLLECTOR_KAFKA);
    }
    Map<Run, GatewayRun> runs = new LinkedHashMap<>();
    say("  starting a Kafka broker (KRaft, loopback)");
    try (KafkaBroker broker = KafkaBroker.start(KafkaBroker.Options.plain().withPartitions(s.partitions()));
        TraceSink sink = TraceSink.start()) {
      say("  broker on %s; sink on 127.0.0.1:%d", broker.bootstrap(), sink.port());
      for (Run r : order) {
        runs.put(r, runGateways(s, r, broker, sink, pool, java, stamp, notes));
      }
    }
    double loadNow = Reports.oneMinuteLoad(loadAtStart);
    if (loadNow >= 0.6) {
      notes.add("The 1-minute load average was " + loadNow + " at the start: something else was using the CPUs,"
          + " so these figures are not final.");
    }
    String summary = summary(s, runs, notes);
    say("");
    System.out.print(summary);
    String md = "# Kafka between tiers: Sluice and the OpenTelemetry Collector" + (s.label().isEmpty() ? ""
        : " (" + s.label() + ")") + "\n\nRun of " + startedAt.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + ".\n\n"
        + summary + how(s) + Reports.machineMarkdown(s.home(), java, loadAtStart) + configs(s);
    Files.createDirectories(s.results());
    Path file = Reports.resultsFile(s.results(), "kafka", startedAt.toLocalDate(), s.label());
    Files.writeString(file, md, StandardCharsets.UTF_8);
    say("");
    say("Written to %s", s.home().relativize(file));
    return 0;
  }

  // ---- one peer ------------------------------------------------------------------------------

  private static ServerProcess start(Settings s, Run r, Path config, Path java, Map<String, String> env, Path log)
      throws IOException {
    if (r.peer == BenchmarkRunner.Peer.COLLECTOR) {
      say("  start: %s --config %s (log: %s)", s.collector(), s.home().relativize(config), s.home().relativize(log));
      return ServerProcess.start("Collector", List.of(s.collector().toString(), "--config", config.toString()), env,
          log);
    }
    say("  start: %s --config %s (log: %s)", s.home().relativize(s.script()), s.home().relativize(config),
        s.home().relativize(log));
    return ServerProcess.startViaScript(s.script(), java, s.jar(), s.sluiceJavaOpts(), config, env, log);
  }

  private static void createTopic(String bootstrap, String topic, int partitions) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic(topic, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
  }

  private static GatewayRun runGateways(Settings s, Run r, KafkaBroker broker, TraceSink sink, TraceRequests pool,
      Path java, String stamp, List<String> notes) throws Exception {
    String name = r.name().toLowerCase(Locale.ROOT);
    String topic = "bench-" + stamp + "-" + name;
    int otlpPort = Reports.freePort();
    Map<String, String> env = new LinkedHashMap<>();
    env.put("BENCH_OTLP_PORT", Integer.toString(otlpPort));
    env.put("BENCH_SINK_PORT", Integer.toString(sink.port()));
    env.put("BENCH_KAFKA_BROKERS", broker.bootstrap());
    env.put("BENCH_KAFKA_TOPIC", topic);
    env.put("BENCH_KAFKA_GROUP", "bench-" + stamp + "-" + name);
    String tag = "[" + r.title + "] ";
    say("");
    say("== %s", r.title);
    List<String> logs = new ArrayList<>();
    List<String> commands = new ArrayList<>();
    ServerProcess process = null;
    if (r.kafka) {
      createTopic(broker.bootstrap(), topic, s.partitions());
      Map<String, String> penv = new LinkedHashMap<>(env);
      penv.put("BENCH_METRICS_PORT", Integer.toString(Reports.freePort()));
      Path plog = s.home().resolve("perf-tests/target/bench/kafka-" + stamp + "-" + name + "-process.log");
      process = start(s, r, s.processConfig(), java, penv, plog);
      logs.add(s.home().relativize(plog).toString());
    }
    Map<String, String> ienv = new LinkedHashMap<>(env);
    ienv.put("BENCH_METRICS_PORT", Integer.toString(Reports.freePort()));
    Path ilog = s.home().resolve("perf-tests/target/bench/kafka-" + stamp + "-" + name
        + (r.kafka ? "-ingest" : "") + ".log");
    ServerProcess ingest = start(s, r, r.kafka ? s.ingestConfig() : s.passConfig(), java, ienv, ilog);
    logs.add(0, s.home().relativize(ilog).toString());
    List<Level> levels = new ArrayList<>();
    try (ServerProcess p = process; ServerProcess i = ingest;
        LoadGenerator gen = new LoadGenerator("127.0.0.1", otlpPort, pool, s.connections())) {
      if (!gen.awaitReady(Duration.ofSeconds(60)) || !ingest.isAlive()) {
        throw new BenchmarkFailed(tag + "the gateway did not answer within 60 s; the end of its log:\n"
            + ingest.logTail(40));
      }
      if (r.peer == BenchmarkRunner.Peer.SLUICE) {
        ingest.followJava();
        if (process != null) {
          process.followJava();
        }
      }
      commands.add(String.join(" ", ingest.commandLine()));
      if (process != null) {
        commands.add(String.join(" ", process.commandLine()));
      }
      say("  warm-up: %,.0f spans/s, %s", s.warmupRate(), Durations.format(s.warmup()));
      gen.startRate(s.warmupRate(), -1);
      ingest.sleepWhileAlive(s.warmup());
      drain(gen, sink, ingest, process, s, tag + "after the warm-up", notes);
      List<Double> rates = new ArrayList<>(s.rates());
      if (s.max()) {
        rates.add(0.0);
      }
      for (double rate : rates) {
        Level level = level(s, rate, gen, sink, ingest, process, tag, notes);
        levels.add(level);
        say("  %-18s %,9.0f spans/s taken, %,9.0f delivered; spans per CPU-s: ingest %,8.0f%s; peak RSS %s%s",
            level.title(), level.acceptedPerSecond(), level.deliveredPerSecond(), level.ingestPerCpuSecond(),
            r.kafka ? String.format(Locale.ROOT, ", processing %,8.0f", level.processPerCpuSecond()) : "",
            mib(level.ingestPeakRss()), r.kafka ? " / " + mib(level.processPeakRss()) : "");
      }
      gen.disconnect();
      for (ServerProcess g : process == null ? List.of(ingest) : List.of(ingest, process)) {
        int exit = g.stop(Duration.ofSeconds(60));
        if (exit != 0 && exit != 143) {
          notes.add(tag + "a gateway exited with code " + exit + " when stopped (log " + g.log() + ").");
        }
      }
    }
    for (String log : logs) {
      Reports.LogLines warnings = Reports.logLines(s.home().resolve(log), 3, " WARN ", " ERROR ", "\twarn\t",
          "\terror\t");
      if (warnings.count() > 0) {
        notes.add(tag + warnings.count() + " warnings or errors in " + log + ", first: " + warnings.first());
      }
    }
    return new GatewayRun(r, commands, levels, logs);
  }

  private static Level level(Settings s, double rate, LoadGenerator gen, TraceSink sink, ServerProcess ingest,
      ServerProcess process, String tag, List<String> notes) throws Exception {
    ingest.resetPeakRss();
    if (process != null) {
      process.resetPeakRss();
    }
    if (rate == 0) {
      gen.startMax(s.concurrency());
    } else {
      gen.startRate(rate, -1);
    }
    ingest.sleepWhileAlive(s.settle());
    Counters a = Counters.read(gen, sink, ingest, process);
    ingest.sleepWhileAlive(s.duration());
    Counters b = Counters.read(gen, sink, ingest, process);
    double seconds = (b.nanos() - a.nanos()) / 1e9;
    long acc0 = a.accepted();
    long acc1 = b.accepted();
    long del0 = a.delivered();
    long del1 = b.delivered();
    long fail0 = a.failed();
    long fail1 = b.failed();
    if (rate > 0 && (acc1 - acc0) / seconds < rate * 0.95) {
      notes.add(String.format(Locale.ROOT, "%s%,.0f spans/s: took %,.0f spans/s, below the rate (%,d calls refused)",
          tag, rate, (acc1 - acc0) / seconds, fail1 - fail0));
    }
    String title = rate == 0 ? "max" : String.format(Locale.ROOT, "%,.0f spans/s", rate);
    drain(gen, sink, ingest, process, s, tag + "after " + title, notes);
    if (Math.abs((del1 - del0) - (acc1 - acc0)) > 0.05 * (acc1 - acc0)) {
      notes.add(String.format(Locale.ROOT, "%s%s: the sink got %,d spans in the window for %,d taken (what the"
          + " gateways hold grew or shrank)", tag, title, del1 - del0, acc1 - acc0));
    }
    return new Level(rate, seconds, acc1 - acc0, del1 - del0, b.ingestTicks() - a.ingestTicks(),
        process == null ? -1 : b.processTicks() - a.processTicks(),
        ingest.peakRssBytes(), process == null ? -1 : process.peakRssBytes(), fail1 - fail0);
  }

  /** What the load generator, the sink and both tiers' CPU counters said at one moment. */
  private record Counters(long nanos, long accepted, long delivered, long failed, long ingestTicks,
      long processTicks) {
    static Counters read(LoadGenerator gen, TraceSink sink, ServerProcess ingest, ServerProcess process)
        throws IOException {
      return new Counters(System.nanoTime(), gen.acceptedSpans(), sink.spans(), gen.failedRequests(),
          ingest.cpuTicks(), process == null ? 0 : process.cpuTicks());
    }
  }

  /** Stops the load and waits until the sink has been quiet for a while: everything through both tiers. */
  private static void drain(LoadGenerator gen, TraceSink sink, ServerProcess ingest, ServerProcess process,
      Settings s, String what, List<String> notes) throws Exception {
    if (!gen.stop(Duration.ofSeconds(65))) {
      throw new BenchmarkFailed(what + ": calls still outstanding 65 s after the load stopped; the end of the log:\n"
          + ingest.logTail(40));
    }
    long accepted = gen.acceptedSpans();
    sink.awaitQuiet(0, 3000, s.drainTimeout().toMillis());
    if (process != null && !process.isAlive()) {
      throw new BenchmarkFailed(what + ": the processing tier exited; the end of its log:\n" + process.logTail(40));
    }
    if (sink.spans() < accepted) {
      String lost = String.format(Locale.ROOT, "%s: the sink has %,d spans of %,d taken once it went quiet", what,
          sink.spans(), accepted);
      say("  %s", lost);
      notes.add(lost);
    }
  }

  // ---- report --------------------------------------------------------------------------------

  private static String summary(Settings s, Map<Run, GatewayRun> runs, List<String> notes) {
    StringBuilder md = new StringBuilder("## Results\n\n");
    List<Double> rates = new ArrayList<>(s.rates());
    if (s.max()) {
      rates.add(0.0);
    }
    md.append("| level | run | spans/s taken | spans/s delivered | ingest: spans per CPU-s | processing: spans per"
        + " CPU-s | peak RSS (ingest / processing) |\n|---|---|---|---|---|---|---|\n");
    for (double rate : rates) {
      for (GatewayRun g : runs.values()) {
        Level l = g.level(rate);
        if (l == null) {
          continue;
        }
        md.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %,.0f | %s | %s |\n", l.title(),
            g.run().title, l.acceptedPerSecond(), l.deliveredPerSecond(), l.ingestPerCpuSecond(),
            g.run().kafka ? String.format(Locale.ROOT, "%,.0f", l.processPerCpuSecond()) : "-",
            mib(l.ingestPeakRss()) + (g.run().kafka ? " / " + mib(l.processPeakRss()) : "")));
      }
    }
    md.append("\n### Ratios (spans per CPU-second)\n\n| level | ingest: Sluice / Collector | processing: Sluice /"
        + " Collector | ingest / pass-through (Sluice) | processing / pass-through (Sluice) |\n|---|---|---|---|---|\n");
    GatewayRun sk = runs.get(Run.SLUICE_KAFKA);
    GatewayRun ck = runs.get(Run.COLLECTOR_KAFKA);
    GatewayRun sp = runs.get(Run.SLUICE_PASS);
    for (double rate : rates) {
      Level a = sk == null ? null : sk.level(rate);
      Level c = ck == null ? null : ck.level(rate);
      Level p = sp == null ? null : sp.level(rate);
      md.append("| ").append(a != null ? a.title() : c != null ? c.title() : "").append(" | ")
          .append(a != null && c != null ? ratio(a.ingestPerCpuSecond() / c.ingestPerCpuSecond()) : "-")
          .append(" | ")
          .append(a != null && c != null ? ratio(a.processPerCpuSecond() / c.processPerCpuSecond()) : "-")
          .append(" | ")
          .append(a != null && p != null ? ratio(a.ingestPerCpuSecond() / p.ingestPerCpuSecond()) : "-")
          .append(" | ")
          .append(a != null && p != null ? ratio(a.processPerCpuSecond() / p.ingestPerCpuSecond()) : "-")
          .append(" |\n");
    }
    md.append("\nAt fixed rates every gateway takes the whole rate, so there the CPU figures speak, not spans/s. At"
        + " the maximum the load is a closed loop on the ingest tier; the processing tier reads what it wrote.\n");
    if (!notes.isEmpty()) {
      md.append("\n### Notes\n\n");
      notes.forEach(n -> md.append("- NOTE: ").append(n).append('\n'));
    }
    md.append("\n### Commands\n\n");
    for (GatewayRun g : runs.values()) {
      md.append("- ").append(g.run().title).append(": ");
      for (int i = 0; i < g.commands().size(); i++) {
        md.append(i == 0 ? "" : "; ").append('`').append(g.commands().get(i)).append("` (log ")
            .append(g.logs().get(i)).append(')');
      }
      md.append('\n');
    }
    return md.toString();
  }

  private static String how(Settings s) {
    return "\n## How\n\n"
        + "- A Kafka broker (KRaft, single node, from Maven Central's Kafka artifacts through the kafka testkit) on"
        + " loopback; each peer writes to a topic of its own of " + s.partitions() + " partitions and reads it as a"
        + " consumer group of its own.\n"
        + "- Load: " + s.spansPerRequest() + " spans per OTLP/gRPC request, " + s.connections() + " connections;"
        + " fixed rates " + s.rates() + (s.max() ? " spans/s, then a closed loop of " + s.concurrency() + " calls"
            : " spans/s") + ". Both tiers run at once.\n"
        + "- Each level: " + Durations.format(s.settle()) + " to settle, then " + Durations.format(s.duration())
        + " measured; afterwards the load stops and the sink is let go quiet before the next level.\n"
        + "- CPU: utime + stime of each tier's process (all threads) over the window; the ingest tier per span it"
        + " took, the processing tier per span it delivered to the sink. Peak RSS: VmHWM, reset before each level.\n"
        + "- Pass-through: Sluice with `otlp → otlp` (" + s.home().relativize(s.passConfig()) + ") under the same"
        + " load, for the cost of Kafka against a plain OTLP hop.\n"
        + "- Warm-up " + Durations.format(s.warmup()) + " at " + String.format(Locale.ROOT, "%,.0f", s.warmupRate())
        + " spans/s per peer.\n";
  }

  private static String configs(Settings s) {
    return Reports.configsMarkdown(s.home(), List.of(s.ingestConfig(), s.processConfig(), s.passConfig()));
  }

  private static String ratio(double r) {
    return Reports.ratio(r);
  }

  private static String mib(long bytes) {
    return Reports.mib(bytes);
  }
}
