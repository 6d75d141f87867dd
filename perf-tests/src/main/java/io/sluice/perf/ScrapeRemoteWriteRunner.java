package io.sluice.perf;

import static io.sluice.perf.Reports.say;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * The scrape → remote-write benchmark: Sluice (prometheus receiver → batch →
 * prometheusremotewrite) against the Prometheus agent, scraping the same simulated targets and
 * writing to the same counting sink, one after the other.
 *
 * <p>This JVM holds the target simulator ({@link TargetSimulator}: N Vert.x servers on loopback,
 * one port per target) and the remote-write sink ({@link RemoteWriteSink}); each scraper runs as
 * its own process, so that {@code /proc} gives its CPU time and memory alone. For each scraper:
 * wait until every target has been scraped once, warm up, then over the measured window: samples
 * delivered to the sink per second, the scraper's CPU-seconds per million samples, and its peak
 * RSS; then the check that every sample scraped in the window arrived (by timestamp, after a
 * drain). Last, with both scrapers gone, the receiver's text parser alone against the ceiling of
 * reading the same bytes ({@link ParseLimit}).
 *
 * <p>Settings are system properties ({@code -Dbench.targets=100}, see {@link Settings}); figures go
 * to stdout and to a Markdown file in {@code bench.results}.
 */
public final class ScrapeRemoteWriteRunner {
  /** Sluice should handle at least this many times the agent's samples per CPU-second. */
  private static final double AIM_CPU_RATIO = 2.0;
  /** Series Prometheus (and Sluice) add per target and scrape: up and four scrape_* series. */
  static final int REPORT_SERIES = 5;
  private static final Pattern PLACEHOLDER = Pattern.compile("\\$\\{(BENCH_[A-Z_]+)}");

  private ScrapeRemoteWriteRunner() {}

  /** What one run is told to do, from system properties. */
  record Settings(
      Path home,
      Path jar,
      List<String> gatewayJvmOptions,
      String prometheus,
      List<Scraper> scrapers,
      int targets,
      int series,
      Duration interval,
      Duration warmup,
      Duration duration,
      Duration readyTimeout,
      Duration parserWarmup,
      Duration parserDuration,
      int parserRenders,
      boolean gzip,
      Path sluiceConfig,
      Path agentConfig,
      Path results,
      String label) {

    static Settings fromProperties() {
      Path home = Path.of(System.getProperty("bench.home", ".")).toAbsolutePath().normalize();
      return new Settings(
          home,
          home.resolve(System.getProperty("bench.jar", "gateway/target/sluice.jar")),
          List.of(System.getProperty("bench.gatewayJvmOptions", "-Xmx1g").trim().split("\\s+")),
          System.getProperty("bench.prometheus", "prometheus"),
          Arrays.stream(System.getProperty("bench.scrapers", "sluice,agent").split(","))
              .filter(s -> !s.isBlank()).map(Scraper::fromKey).distinct().toList(),
          Integer.getInteger("bench.targets", 100),
          Integer.getInteger("bench.series", 2000),
          Durations.property("bench.interval", "5s"),
          Durations.property("bench.warmup", "300s"),
          Durations.property("bench.duration", "60s"),
          Durations.property("bench.readyTimeout", "60s"),
          Durations.property("bench.parserWarmup", "5s"),
          Durations.property("bench.parserDuration", "10s"),
          Integer.getInteger("bench.parserRenders", 2),
          Boolean.parseBoolean(System.getProperty("bench.gzip", "false")),
          home.resolve(System.getProperty("bench.sluiceConfig", "perf-tests/config/scrape-remote-write-sluice.yaml")),
          home.resolve(System.getProperty("bench.agentConfig", "perf-tests/config/scrape-remote-write-agent.yml")),
          home.resolve(System.getProperty("bench.results", "perf-tests/results")),
          System.getProperty("bench.label", ""));
    }

    /** Samples each scrape of one target yields at the sink: its lines plus the report series. */
    int samplesPerScrape() {
      return series + REPORT_SERIES;
    }

    /** Samples per second the scrapers are offered. */
    double offeredPerSecond() {
      return (double) targets * samplesPerScrape() / (interval.toMillis() / 1000.0);
    }

    Duration scrapeTimeout() {
      return interval.compareTo(Duration.ofSeconds(10)) < 0 ? interval : Duration.ofSeconds(10);
    }
  }

  /** A point in time during the measured window. */
  private record Snapshot(long nanos, long epochMillis, RemoteWriteSink.Snapshot sink, long earlyScrapes,
      long scraperTicks, long runnerTicks) {
    long delivered() {
      return sink.samples();
    }
  }

  /** Everything measured for one scraper. */
  record Run(
      Scraper who,
      String command,
      Path config,
      Path log,
      double startSeconds,
      double seconds,
      long delivered,
      long scraperTicks,
      long runnerTicks,
      Map<String, Long> threadGroups,
      long scrapesInWindow,
      long earlyInWindow,
      long upZeroInWindow,
      long staleInWindow,
      long expectedInWindow,
      long scrapesDeliveredInWindow,
      long expectedFromDelivered,
      long deliveredInWindow,
      double drainSeconds,
      long peakRss,
      long rssAtEnd,
      Map<String, Double> selfMetrics,
      RemoteWriteSink.Snapshot beforeStop,
      RemoteWriteSink.Snapshot afterStop,
      long scrapesTotal,
      long earlyTotal,
      long bodyBytes,
      int exitCode,
      Reports.LogLines logProblems,
      Reports.LogLines logProblemsAfterStop) {

    double samplesPerSecond() {
      return delivered / seconds;
    }

    double cpuSeconds() {
      return ProcStats.ticksToSeconds(scraperTicks);
    }

    double cores() {
      return cpuSeconds() / seconds;
    }

    double runnerCores() {
      return ProcStats.ticksToSeconds(runnerTicks) / seconds;
    }

    double cpuSecondsPerMillion() {
      return cpuSeconds() / delivered * 1e6;
    }

    double samplesPerCpuSecond() {
      return delivered / cpuSeconds();
    }

    /**
     * "all", or how the samples timestamped in the window differ from what was scraped in it: by
     * whole scrapes counted on the other side of a window edge (the targets count a scrape when its
     * request arrives, the sink by the scrape's start), or by samples lost or duplicated.
     */
    String completeness() {
      if (deliveredInWindow == expectedInWindow && scrapesDeliveredInWindow == scrapesInWindow) {
        return "all";
      }
      if (deliveredInWindow == expectedFromDelivered) {
        return String.format(Locale.ROOT, "whole scrapes, %+d at the window's edges", scrapesDeliveredInWindow
            - scrapesInWindow);
      }
      return String.format(Locale.ROOT, "MISMATCH: %+,d samples", deliveredInWindow - expectedFromDelivered);
    }
  }

  public static void main(String[] args) throws Exception {
    Settings s = Settings.fromProperties();
    BenchmarkFailed.exitWith(() -> run(s));
  }

  private static int run(Settings s) throws Exception {
    if (s.scrapers().contains(Scraper.SLUICE) && !Files.isRegularFile(s.jar())) {
      throw new BenchmarkFailed(s.jar() + " is missing; build it with: mvn -B -q package -DskipTests");
    }
    if (s.scrapers().contains(Scraper.AGENT)) {
      String version = Reports.command(s.home(), s.prometheus(), "--version");
      if (!version.startsWith("prometheus, version")) {
        throw new BenchmarkFailed("cannot run " + s.prometheus() + " --version (" + version + "); install Prometheus"
            + " (apt-get install -y prometheus), point -Dbench.prometheus at it, or run only Sluice with"
            + " -Dbench.scrapers=sluice");
      }
    }
    ZonedDateTime startedAt = ZonedDateTime.now();
    String loadAtStart = Files.readString(Path.of("/proc/loadavg")).trim();
    Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
    String stamp = startedAt.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
    Path runDir = s.home().resolve("perf-tests/target/bench/scrape-" + stamp);
    Files.createDirectories(runDir);
    List<String> notes = new ArrayList<>();

    say("Scrape -> remote-write benchmark%s", s.label().isEmpty() ? "" : " (" + s.label() + ")");
    say("  load average at start: %s", loadAtStart);
    say("  %d targets x %,d series every %s (+%d report series per target): %,.0f samples/s offered; bodies %s",
        s.targets(), s.series(), Durations.format(s.interval()), REPORT_SERIES, s.offeredPerSecond(),
        s.gzip() ? "gzip-compressed" : "uncompressed");

    Map<Scraper, Run> runs = new EnumMap<>(Scraper.class);
    long strangers;
    int bodyBytes;
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try (TargetSimulator sim = TargetSimulator.start(vertx, s.targets(), s.series(), s.gzip(),
        s.interval().toMillis() / 2);
        RemoteWriteSink sink = RemoteWriteSink.start(vertx)) {
      bodyBytes = SimulatedTarget.build(s.series(), 1).renderCopy().length;
      say("  %d targets on 127.0.0.1:%s..., %,d bytes per body; remote-write sink on 127.0.0.1:%d",
          sim.targets(), sim.addresses().get(0).substring("127.0.0.1:".length()), bodyBytes, sink.port());
      int step = 1;
      int steps = s.scrapers().size() + 1;
      for (Scraper who : s.scrapers()) {
        say("");
        say("[%d/%d] %s: warm-up %s after every target was scraped once, then %s measured", step++, steps,
            who.title(), Durations.format(s.warmup()), Durations.format(s.duration()));
        Run r = runScraper(s, who, sim, sink, java, runDir);
        runs.put(who, r);
        say("      %,.0f samples/s delivered, %.3f CPU-s per million samples (%.2f cores; runner %.2f cores),"
            + " peak RSS %.0f MiB", r.samplesPerSecond(), r.cpuSecondsPerMillion(), r.cores(), r.runnerCores(),
            mib(r.peakRss()));
        say("      samples scraped in the window %,d (%,d scrapes x %,d), delivered %,d (%,d scrapes by `up`): %s",
            r.expectedInWindow(), r.scrapesInWindow(), s.samplesPerScrape(), r.deliveredInWindow(),
            r.scrapesDeliveredInWindow(), r.completeness());
        if (!r.threadGroups().isEmpty()) {
          say("      CPU by threads: %s", ProcStats.describeGroups(r.threadGroups(), r.delivered(), "samples"));
        }
      }
      strangers = sim.strangerScrapes();
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }

    // The parser alone, with both scrapers gone and this JVM otherwise idle.
    say("");
    say("[%d/%d] parser: text 0.0.4 bodies of %,d lines, %d renders of each of %d targets, on one thread;"
        + " warm-up %s, then %s, for each of: read every byte, parse, parse + convert to OTLP",
        s.scrapers().size() + 1, s.scrapers().size() + 1, s.series(), s.parserRenders(), s.targets(),
        Durations.format(s.parserWarmup()), Durations.format(s.parserDuration()));
    ParseLimit.Results parser = ParseLimit.run(s.targets(), s.series(), s.parserRenders(), s.parserWarmup(),
        s.parserDuration());
    say("      per CPU-second of the thread: read every byte %,.0f MB; parse %,.0f MB, %,.0f samples (%.0f ns per"
        + " sample) = %.3f of reading; parse + convert %,.0f samples", parser.scan().bytesPerSecond() / 1e6,
        parser.parse().bytesPerSecond() / 1e6, parser.parse().samplesPerSecond(),
        parser.parse().threadNanosPerSample(), parser.parseOverScan(), parser.parseAndConvert().samplesPerSecond());

    // Checks.
    for (Run r : runs.values()) {
      checks(s, r, notes);
    }
    if (strangers > 0) {
      notes.add(strangers + " scrapes came from something other than the two scrapers.");
    }
    if (runs.containsKey(Scraper.SLUICE) && runs.containsKey(Scraper.AGENT)) {
      compareSeries(runs.get(Scraper.SLUICE), runs.get(Scraper.AGENT), notes);
    }
    double onCpu = Math.min(parser.scan().onCpu(), Math.min(parser.parse().onCpu(), parser.parseAndConvert().onCpu()));
    if (onCpu < 0.9) {
      notes.add(String.format(Locale.ROOT, "A parser loop was on a CPU only %.0f%% of its time: the machine was"
          + " busy (figures are per CPU-second of the thread, but caches were shared).", onCpu * 100));
    }
    if (Reports.oneMinuteLoad(loadAtStart) >= 0.6) {
      notes.add("The 1-minute load average was " + Reports.oneMinuteLoad(loadAtStart)
          + " at the start: something else was using the CPUs.");
    }

    // The report.
    Map<String, List<String>> table = summary(s, runs, parser);
    say("");
    say("Results (%d targets x %,d series every %s)", s.targets(), s.series(), Durations.format(s.interval()));
    printColumns(table, runs.keySet());
    for (String n : notes) {
      say("  NOTE: %s", n);
    }
    String markdown = markdown(s, startedAt, loadAtStart, java, runs, parser, table, notes, bodyBytes);
    Files.createDirectories(s.results());
    Path file = Reports.resultsFile(s.results(), "scrape-remote-write", startedAt.toLocalDate());
    Files.writeString(file, markdown, StandardCharsets.UTF_8);
    say("");
    say("Written to %s (logs and configs of the run: %s)", s.home().relativize(file), s.home().relativize(runDir));
    return 0;
  }

  // ---- one scraper ---------------------------------------------------------------------------------

  private static Run runScraper(Settings s, Scraper who, TargetSimulator sim, RemoteWriteSink sink, Path java,
      Path runDir) throws Exception {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("BENCH_INTERVAL", goDuration(s.interval()));
    values.put("BENCH_TIMEOUT", goDuration(s.scrapeTimeout()));
    values.put("BENCH_TARGETS", sim.addresses().stream().map(a -> "\"" + a + "\"")
        .collect(Collectors.joining(", ", "[", "]")));
    values.put("BENCH_REMOTE_WRITE_URL", sink.url(who));
    int port = Reports.freePort();
    values.put("BENCH_METRICS_PORT", Integer.toString(port));
    Path template = who == Scraper.SLUICE ? s.sluiceConfig() : s.agentConfig();
    Path config = runDir.resolve(who.key() + (who == Scraper.SLUICE ? ".yaml" : ".yml"));
    Files.writeString(config, expand(Files.readString(template), values, template), StandardCharsets.UTF_8);
    Path log = runDir.resolve(who.key() + ".log");
    Path data = runDir.resolve("agent-data");

    RemoteWriteSink.Stats stats = sink.stats(who);
    stats.probe(sim.addresses().get(0));
    TargetSimulator.Counts counts = sim.counts(who);
    long scrapesBefore = counts.scrapes();
    long earlyBefore = counts.earlyScrapes();
    long bytesBefore = counts.bytes();
    long self = ProcessHandle.current().pid();

    List<String> command;
    ServerProcess p;
    long t0 = System.nanoTime();
    if (who == Scraper.SLUICE) {
      command = new ArrayList<>(List.of(java.toString()));
      command.addAll(s.gatewayJvmOptions());
      command.addAll(List.of("-jar", s.jar().toString(), "--config", config.toString()));
      p = ServerProcess.startGateway(java, s.gatewayJvmOptions(), s.jar(), config, Map.of(), log);
    } else {
      command = List.of(s.prometheus(), "--enable-feature=agent", "--storage.agent.path=" + data,
          "--config.file=" + config, "--web.listen-address=127.0.0.1:" + port, "--storage.remote.flush-deadline=5s");
      p = ServerProcess.start("Prometheus agent", command, Map.of(), log);
    }
    String shown = String.join(" ", command).replace(s.home() + "/", "");
    say("      %s", shown);
    try (p) {
      long deadline = t0 + s.readyTimeout().toNanos();
      while (counts.targetsSeen() < sim.targets()) {
        if (System.nanoTime() - deadline > 0) {
          throw new BenchmarkFailed(who.title() + " scraped " + counts.targetsSeen() + " of " + sim.targets()
              + " targets within " + Durations.format(s.readyTimeout()) + "; the end of its log:\n" + p.logTail(40));
        }
        p.sleepWhileAlive(Duration.ofMillis(50));
      }
      double startSeconds = (System.nanoTime() - t0) / 1e9;
      say("      pid %d scraped every target %.1f s after start", p.pid(), startSeconds);

      p.sleepWhileAlive(s.warmup());
      Map<Long, ProcStats.ThreadTicks> threadsBefore = who == Scraper.SLUICE ? p.threadTicks() : Map.of();
      Snapshot a = snapshot(stats, counts, p, self);
      counts.openWindow(a.epochMillis());
      stats.window(a.epochMillis(), Long.MAX_VALUE);
      stats.recordDelay(true);
      p.sleepWhileAlive(s.duration());
      Snapshot b = snapshot(stats, counts, p, self);
      counts.closeWindow(b.epochMillis());
      stats.closeWindow(b.epochMillis());
      stats.recordDelay(false);
      Map<String, Long> groups = who == Scraper.SLUICE
          ? ProcStats.ticksByGroup(threadsBefore, p.threadTicks()) : Map.of();

      // Everything scraped in the window should reach the sink; the agent may hold samples up to its
      // batch_send_deadline (5 s).
      long expected = counts.scrapesInWindow() * s.samplesPerScrape();
      long drainStart = System.nanoTime();
      awaitWindow(stats, expected, p);
      double drainSeconds = (System.nanoTime() - drainStart) / 1e9;
      RemoteWriteSink.Snapshot drained = stats.snapshot();
      long inWindow = drained.windowSamples();
      long upOk = drained.windowUp() - drained.windowUpZero();
      long fromDelivered = upOk * s.samplesPerScrape() + drained.windowUpZero() * REPORT_SERIES;

      long peak = p.peakRssBytes();
      long rss = p.rssBytes();
      Map<String, Double> selfMetrics = who == Scraper.SLUICE
          ? Reports.metrics(port, n -> n.contains("_items_total") || n.startsWith("sluice_process_heap"))
          : Reports.metrics(port, n -> n.startsWith("prometheus_remote_storage_samples")
              || n.startsWith("prometheus_remote_storage_shards") || n.startsWith("prometheus_remote_storage_bytes")
              || n.equals("go_memstats_heap_inuse_bytes") || n.equals("go_memstats_sys_bytes")
              || n.equals("prometheus_target_scrapes_sample_out_of_order_total"));
      RemoteWriteSink.Snapshot beforeStop = stats.snapshot();
      long scrapes = counts.scrapes() - scrapesBefore;
      long early = counts.earlyScrapes() - earlyBefore;
      long bytes = counts.bytes() - bytesBefore;
      String[] markers = who == Scraper.SLUICE ? new String[] {" WARN ", " ERROR "}
          : new String[] {"level=warn", "level=error"};
      Reports.LogLines problems = Reports.logLines(log, 5, markers);
      say("      stopping it");
      int exit = p.stop(Duration.ofSeconds(30));
      // what it sends while stopping (staleness markers, the rest of its queue) arrives within a moment
      Thread.sleep(500);
      RemoteWriteSink.Snapshot afterStop = stats.snapshot();
      Reports.LogLines all = Reports.logLines(log, 5, markers);
      Reports.LogLines whileStopping = new Reports.LogLines(all.count() - problems.count(), List.of());
      return new Run(who, shown, config, log, startSeconds, (b.nanos() - a.nanos()) / 1e9,
          b.delivered() - a.delivered(), b.scraperTicks() - a.scraperTicks(), b.runnerTicks() - a.runnerTicks(),
          groups, counts.scrapesInWindow(), b.earlyScrapes() - a.earlyScrapes(),
          drained.windowUpZero(), b.sink().stale() - a.sink().stale(), expected, drained.windowUp(), fromDelivered,
          inWindow,
          drainSeconds, peak, rss, selfMetrics, beforeStop, afterStop, scrapes, early, bytes, exit, problems,
          whileStopping);
    } finally {
      deleteTree(data);
    }
  }

  private static Snapshot snapshot(RemoteWriteSink.Stats stats, TargetSimulator.Counts counts, ServerProcess p,
      long self) throws IOException {
    long nanos = System.nanoTime();
    long millis = System.currentTimeMillis();
    return new Snapshot(nanos, millis, stats.snapshot(), counts.earlyScrapes(), p.cpuTicks(),
        ProcStats.cpuTicks(self));
  }

  /**
   * Waits until the samples timestamped in the window reach {@code expected} and stay put for a
   * second, or stop changing for 7 s (longer than the agent's 5 s batch deadline), or 60 s pass.
   */
  private static void awaitWindow(RemoteWriteSink.Stats stats, long expected, ServerProcess p) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    long last = stats.snapshot().windowSamples();
    long lastChange = System.nanoTime();
    while (System.nanoTime() - deadline < 0) {
      p.sleepWhileAlive(Duration.ofMillis(100));
      long now = stats.snapshot().windowSamples();
      if (now != last) {
        last = now;
        lastChange = System.nanoTime();
      }
      long quiet = System.nanoTime() - lastChange;
      if ((now >= expected && quiet >= TimeUnit.SECONDS.toNanos(1)) || quiet >= TimeUnit.SECONDS.toNanos(7)) {
        break;
      }
    }
  }

  /** Replaces the template's ${BENCH_*} placeholders; an unknown one is an error. */
  static String expand(String template, Map<String, String> values, Path file) throws BenchmarkFailed {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String v = values.get(m.group(1));
      if (v == null) {
        throw new BenchmarkFailed(file + " uses ${" + m.group(1) + "}, which the runner does not fill in; it knows "
            + values.keySet());
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  /** {@code 5s}, {@code 1500ms}: as both config formats write durations. */
  private static String goDuration(Duration d) {
    long ms = d.toMillis();
    return ms % 1000 == 0 ? (ms / 1000) + "s" : ms + "ms";
  }

  /** Deletes {@code dir} and everything under it, if it exists. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    }
  }

  // ---- checks --------------------------------------------------------------------------------------

  private static void checks(Settings s, Run r, List<String> notes) {
    String who = r.who().title();
    RemoteWriteSink.Snapshot before = r.beforeStop();
    RemoteWriteSink.Snapshot after = r.afterStop();
    if (r.deliveredInWindow() != r.expectedFromDelivered()) {
      notes.add(String.format(Locale.ROOT, "%s: the %,d scrapes timestamped in the window (by their `up` samples,"
          + " %,d failed) should have brought %,d samples; %,d arrived (%+,d): samples were lost or duplicated.",
          who, r.scrapesDeliveredInWindow(), r.upZeroInWindow(), r.expectedFromDelivered(), r.deliveredInWindow(),
          r.deliveredInWindow() - r.expectedFromDelivered()));
    }
    long edge = r.scrapesDeliveredInWindow() - r.scrapesInWindow();
    if (Math.abs(edge) > Math.max(3, r.scrapesInWindow() / 100)) {
      notes.add(String.format(Locale.ROOT, "%s: the targets served %,d scrapes in the window, the sink got %,d"
          + " (by `up` samples timestamped in it): %s.", who, r.scrapesInWindow(), r.scrapesDeliveredInWindow(),
          edge < 0 ? "scrapes were lost" : "more than the window's edges explain"));
    }
    double scrapedRate = (double) r.expectedInWindow() / r.seconds();
    if (Math.abs(r.samplesPerSecond() - scrapedRate) > 0.05 * scrapedRate) {
      notes.add(String.format(Locale.ROOT, "%s: %,.0f samples/s reached the sink in the window while %,.0f/s were"
          + " scraped in it: it was %s; a longer warm-up (-Dbench.warmup) gives steadier figures.", who,
          r.samplesPerSecond(), scrapedRate, r.samplesPerSecond() > scrapedRate
              ? "still delivering a backlog from before the window" : "falling behind"));
    }
    double nominal = s.targets() * r.seconds() / (s.interval().toMillis() / 1000.0);
    if (Math.abs(r.scrapesInWindow() - nominal) > 0.05 * nominal) {
      notes.add(String.format(Locale.ROOT, "%s: %,d scrapes in the window, where %,.0f targets x %.1f s / %s"
          + " makes %,.0f.", who, r.scrapesInWindow(), (double) s.targets(), r.seconds(),
          Durations.format(s.interval()), nominal));
    }
    if (r.earlyTotal() > 0) {
      notes.add(String.format(Locale.ROOT, "%s: %,d scrapes in the window and %,d in the whole run came less than"
          + " half an interval after the previous scrape of the same target (bunched scrapes, as when a scraper"
          + " catches up after a stall).", who, r.earlyInWindow(), r.earlyTotal()));
    }
    if (r.upZeroInWindow() > 0) {
      notes.add(String.format(Locale.ROOT, "%s: %,d scrapes in the window failed (up = 0); %,d in the whole run.",
          who, r.upZeroInWindow(), before.upZero()));
    }
    if (r.staleInWindow() > 0) {
      notes.add(String.format(Locale.ROOT, "%s: %,d staleness markers arrived in the window: series vanished or"
          + " scrapes failed.", who, r.staleInWindow()));
    }
    Long jit = r.threadGroups().get("JIT compiler");
    if (jit != null && jit > 0.15 * r.scraperTicks()) {
      notes.add(String.format(Locale.ROOT, "%s: the JIT compiler took %.0f%% of its CPU in the window: it was not"
          + " warmed up yet; a longer warm-up (-Dbench.warmup) gives steadier figures.", who,
          100.0 * jit / r.scraperTicks()));
    }
    if (after.stale() > before.stale()) {
      Set<String> unmarked = new TreeSet<>(after.probeSeries());
      unmarked.removeAll(after.probeStale());
      notes.add(String.format(Locale.ROOT, "%s sent %,d staleness markers while stopping (it had %,d series);"
          + " of the first target's %,d series, %,d got none (such as %s).", who, after.stale() - before.stale(),
          before.distinctSeries(), after.probeSeries().size(), unmarked.size(), first(unmarked, 3)));
    }
    if (after.invalid() > 0) {
      notes.add(String.format(Locale.ROOT, "%s: %,d invalid write requests (answered 400); the first: %s", who,
          after.invalid(), after.firstProblem()));
    }
    if (after.unsorted() > 0) {
      notes.add(String.format(Locale.ROOT, "%s: %,d series came with labels not sorted by name.", who,
          after.unsorted()));
    }
    long expectedSeries = (long) s.targets() * s.samplesPerScrape();
    if (before.distinctSeries() != expectedSeries) {
      notes.add(String.format(Locale.ROOT, "%s wrote %,d distinct series; the targets have %,d (%d x (%,d + %d)).",
          who, before.distinctSeries(), expectedSeries, s.targets(), s.series(), REPORT_SERIES));
    }
    if (before.histograms() > 0 || before.exemplars() > 0) {
      notes.add(String.format(Locale.ROOT, "%s sent %,d native histograms and %,d exemplars (none expected).", who,
          before.histograms(), before.exemplars()));
    }
    if (r.logProblems().count() > 0) {
      notes.add(String.format(Locale.ROOT, "%s logged %,d warnings or errors before it was stopped (%s); the"
          + " first: %s", who,
          r.logProblems().count(), r.log().getFileName(), r.logProblems().first().get(0)));
    }
    boolean cleanExit = r.exitCode() == 0 || (r.who() == Scraper.SLUICE && r.exitCode() == 143);
    if (!cleanExit) {
      notes.add(who + " exited with code " + r.exitCode() + " when stopped (-1: it had to be killed).");
    }
    if (r.runnerCores() > 0.5) {
      notes.add(String.format(Locale.ROOT, "The runner (targets and sink) used %.2f cores while %s was measured;"
          + " on 2 cores that competes with the scraper.", r.runnerCores(), who));
    }
  }

  /** Both scrapers scraped the same targets: the series of the first target should be the same. */
  private static void compareSeries(Run sluice, Run agent, List<String> notes) {
    Set<String> a = sluice.beforeStop().probeSeries();
    Set<String> b = agent.beforeStop().probeSeries();
    if (a.equals(b)) {
      return;
    }
    Set<String> onlySluice = new TreeSet<>(a);
    onlySluice.removeAll(b);
    Set<String> onlyAgent = new TreeSet<>(b);
    onlyAgent.removeAll(a);
    notes.add(String.format(Locale.ROOT, "The series of the first target differ: %,d only from Sluice (such as %s),"
        + " %,d only from the agent (such as %s).", onlySluice.size(), first(onlySluice, 3), onlyAgent.size(),
        first(onlyAgent, 3)));
  }

  private static String first(Set<String> set, int n) {
    return set.isEmpty() ? "none" : set.stream().limit(n).collect(Collectors.joining("; "));
  }

  // ---- the report ----------------------------------------------------------------------------------

  /** Rows of figures, one value per scraper in order (and for comparisons, one value only). */
  private static Map<String, List<String>> summary(Settings s, Map<Scraper, Run> runs, ParseLimit.Results parser) {
    Map<String, List<String>> t = new LinkedHashMap<>();
    row(t, runs, "Samples delivered to the sink (scraped)", r -> String.format(Locale.ROOT, "%,.0f /s (%,.0f /s)",
        r.samplesPerSecond(), r.expectedInWindow() / r.seconds()));
    row(t, runs, "CPU-seconds per million samples", r -> String.format(Locale.ROOT, "%.3f (%.2f cores busy)",
        r.cpuSecondsPerMillion(), r.cores()));
    row(t, runs, "Samples per CPU-second", r -> String.format(Locale.ROOT, "%,.0f", r.samplesPerCpuSecond()));
    row(t, runs, "Peak RSS (VmHWM)", r -> String.format(Locale.ROOT, "%.0f MiB", mib(r.peakRss())));
    row(t, runs, "Samples scraped in the window / delivered (by timestamp)", r -> String.format(Locale.ROOT,
        "%,d / %,d (%s)", r.expectedInWindow(), r.deliveredInWindow(), r.completeness()));
    row(t, runs, "Delay from scrape to sink, p50 / p99 / max", r -> {
      Histogram d = r.beforeStop().delay();
      return String.format(Locale.ROOT, "%,d / %,d / %,d ms", d.getValueAtPercentile(50),
          d.getValueAtPercentile(99), d.getMaxValue());
    });
    if (runs.containsKey(Scraper.SLUICE) && runs.containsKey(Scraper.AGENT)) {
      Run sl = runs.get(Scraper.SLUICE);
      Run ag = runs.get(Scraper.AGENT);
      double cpuRatio = sl.samplesPerCpuSecond() / ag.samplesPerCpuSecond();
      double memRatio = (double) sl.peakRss() / ag.peakRss();
      t.put("Sluice / agent, samples per CPU-second", List.of(String.format(Locale.ROOT,
          "%.2f (aim: at least %.1f, %s)", cpuRatio, AIM_CPU_RATIO, cpuRatio >= AIM_CPU_RATIO ? "met" : "NOT met")));
      t.put("Sluice / agent, peak RSS", List.of(String.format(Locale.ROOT, "%.2f (aim: below 1, %s)", memRatio,
          memRatio < 1 ? "met" : "NOT met")));
    }
    t.put("Parser: text 0.0.4 parsed per CPU-second, one thread", List.of(String.format(Locale.ROOT,
        "%,.0f samples, %,.0f MB (%.0f ns per sample)", parser.parse().samplesPerSecond(),
        parser.parse().bytesPerSecond() / 1e6, parser.parse().threadNanosPerSample())));
    t.put("Ceiling: reading every byte of the same bodies", List.of(String.format(Locale.ROOT,
        "%,.0f MB (%,.0f samples) per CPU-second", parser.scan().bytesPerSecond() / 1e6,
        parser.scan().samplesPerSecond())));
    t.put("Ratio parser / reading (bytes per CPU-second)", List.of(String.format(Locale.ROOT, "%.3f",
        parser.parseOverScan())));
    t.put("Parse + convert to OTLP per CPU-second, one thread", List.of(String.format(Locale.ROOT,
        "%,.0f samples (%.0f ns per sample)", parser.parseAndConvert().samplesPerSecond(),
        parser.parseAndConvert().threadNanosPerSample())));
    return t;
  }

  private static void row(Map<String, List<String>> t, Map<Scraper, Run> runs, String name,
      Function<Run, String> cell) {
    t.put(name, runs.values().stream().map(cell).toList());
  }

  private static void printColumns(Map<String, List<String>> table, Set<Scraper> scrapers) {
    int width = table.keySet().stream().mapToInt(String::length).max().orElse(10);
    int cell = table.values().stream().filter(v -> v.size() > 1).flatMap(List::stream).mapToInt(String::length)
        .max().orElse(20);
    StringBuilder head = new StringBuilder(String.format(Locale.ROOT, "  %-" + width + "s", ""));
    for (Scraper s : scrapers) {
      head.append("  ").append(String.format(Locale.ROOT, "%-" + cell + "s", s.title()));
    }
    say("%s", head.toString().stripTrailing());
    for (Map.Entry<String, List<String>> e : table.entrySet()) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "  %-" + width + "s", e.getKey()));
      for (String v : e.getValue()) {
        line.append("  ").append(e.getValue().size() > 1 ? String.format(Locale.ROOT, "%-" + cell + "s", v) : v);
      }
      say("%s", line.toString().stripTrailing());
    }
  }

  private static String markdown(Settings s, ZonedDateTime startedAt, String loadAtStart, Path java,
      Map<Scraper, Run> runs, ParseLimit.Results parser, Map<String, List<String>> table, List<String> notes,
      int bodyBytes) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Scrape → remote write: Sluice and the Prometheus agent")
        .append(s.label().isEmpty() ? "" : " (" + s.label() + ")").append("\n\n");
    md.append(String.format(Locale.ROOT, "%d targets × %,d series scraped every %s (%,.0f samples/s offered,"
        + " report series included), written with remote write 1.0 to a counting sink. Run of %s.%n%n",
        s.targets(), s.series(), Durations.format(s.interval()), s.offeredPerSecond(),
        startedAt.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)));
    md.append("| Figure |");
    runs.keySet().forEach(w -> md.append(' ').append(w.title()).append(" |"));
    md.append("\n|---|");
    runs.keySet().forEach(w -> md.append("---|"));
    md.append('\n');
    for (Map.Entry<String, List<String>> e : table.entrySet()) {
      md.append("| ").append(e.getKey()).append(" |");
      List<String> v = e.getValue();
      for (int i = 0; i < runs.size(); i++) {
        md.append(' ').append(v.size() > 1 || i == 0 ? v.get(Math.min(i, v.size() - 1)) : "").append(" |");
      }
      md.append('\n');
    }
    if (!notes.isEmpty()) {
      md.append("\n**Notes**\n\n");
      notes.forEach(n -> md.append("- ").append(n).append('\n'));
    }

    md.append("\n## Details\n\n");
    for (Run r : runs.values()) {
      Map<String, String> d = new LinkedHashMap<>();
      RemoteWriteSink.Snapshot b = r.beforeStop();
      RemoteWriteSink.Snapshot a = r.afterStop();
      d.put("Command", "`" + r.command() + "`");
      d.put("Every target scraped once after", String.format(Locale.ROOT, "%.1f s", r.startSeconds()));
      d.put("Measured window", String.format(Locale.ROOT, "%.1f s, %,d samples arrived; %,d scrapes served by the"
          + " targets, %,d delivered (`up` samples timestamped in it)", r.seconds(), r.delivered(),
          r.scrapesInWindow(), r.scrapesDeliveredInWindow()));
      d.put("CPU, measured window", String.format(Locale.ROOT, "%.2f CPU-s (runner: %.2f cores)", r.cpuSeconds(),
          r.runnerCores()));
      if (!r.threadGroups().isEmpty()) {
        d.put("CPU by threads", ProcStats.describeGroups(r.threadGroups(), r.delivered(), "samples"));
      }
      d.put("RSS at the end / peak", String.format(Locale.ROOT, "%.0f / %.0f MiB", mib(r.rssAtEnd()),
          mib(r.peakRss())));
      d.put("Wait for the window's samples after it closed", String.format(Locale.ROOT, "%.1f s", r.drainSeconds()));
      d.put("Whole run: scrapes, body bytes served", String.format(Locale.ROOT, "%,d, %,.0f MB", r.scrapesTotal(),
          r.bodyBytes() / 1e6));
      d.put("Whole run before stopping: requests, samples, series entries", String.format(Locale.ROOT,
          "%,d requests (%,.1f MB snappy, %,.1f MB raw), %,d samples, %,d series entries (%.0f samples per"
              + " request)", b.requests(), b.compressedBytes() / 1e6, b.rawBytes() / 1e6, b.samples(), b.series(),
          (double) b.samples() / Math.max(1, b.requests())));
      d.put("Distinct series; metadata entries", String.format(Locale.ROOT, "%,d; %,d", b.distinctSeries(),
          b.metadata()));
      d.put("Failed scrapes (up = 0): window; whole run", String.format(Locale.ROOT, "%,d; %,d",
          r.upZeroInWindow(), b.upZero()));
      d.put("Early scrapes (< half an interval after the previous one): window; whole run",
          String.format(Locale.ROOT, "%,d; %,d", r.earlyInWindow(), r.earlyTotal()));
      d.put("Staleness markers: window; before stop; after stop", String.format(Locale.ROOT, "%,d; %,d; %,d",
          r.staleInWindow(), b.stale(), a.stale()));
      if (a.stale() > b.stale()) {
        Set<String> unmarked = new TreeSet<>(a.probeSeries());
        unmarked.removeAll(a.probeStale());
        d.put("First target's series without a staleness marker at stop", unmarked.isEmpty() ? "none"
            : unmarked.size() + ": " + unmarked.stream().limit(40).map(x -> "`" + x + "`")
                .collect(Collectors.joining(", ")));
      }
      d.put("Samples sent while stopping", String.format(Locale.ROOT, "%,d", a.samples() - b.samples()));
      d.put("Invalid requests; unsorted label sets", String.format(Locale.ROOT, "%,d; %,d", a.invalid(),
          a.unsorted()));
      d.put("Delay from scrape to sink, p50 / p90 / p99 / max", String.format(Locale.ROOT,
          "%,d / %,d / %,d / %,d ms", b.delay().getValueAtPercentile(50), b.delay().getValueAtPercentile(90),
          b.delay().getValueAtPercentile(99), b.delay().getMaxValue()));
      d.put("Warnings and errors in its log before it was stopped", r.logProblems().count() == 0 ? "none"
          : r.logProblems().count() + ": " + String.join(" | ", r.logProblems().first()).replace("|", "\\|"));
      d.put("Warnings and errors while stopping", Long.toString(r.logProblemsAfterStop().count()));
      d.put("Exit code when stopped", Integer.toString(r.exitCode()));
      for (Map.Entry<String, Double> m : r.selfMetrics().entrySet()) {
        d.put("Self-metric " + m.getKey(), String.format(Locale.ROOT, "%,.0f", m.getValue()));
      }
      md.append("### ").append(r.who().title()).append("\n\n");
      Reports.markdownTable(md, d, "", "");
      md.append('\n');
    }
    md.append("### Parser\n\n");
    Map<String, String> p = new LinkedHashMap<>();
    p.put("Bodies", String.format(Locale.ROOT, "%,d (%d renders of %d targets), %,.1f MB, %,d sample lines each",
        parser.bodyCount(), s.parserRenders(), s.targets(), parser.bodyBytes() / 1e6, parser.seriesPerBody()));
    Map<String, ParseLimit.Result> loops = new LinkedHashMap<>();
    loops.put("Read every byte", parser.scan());
    loops.put("Parse", parser.parse());
    loops.put("Parse + convert to OTLP", parser.parseAndConvert());
    for (Map.Entry<String, ParseLimit.Result> e : loops.entrySet()) {
      ParseLimit.Result r = e.getValue();
      p.put(e.getKey(), String.format(Locale.ROOT, "%,.0f MB and %,.0f samples per CPU-second of the thread,"
              + " %.1f ns per sample; %.3f process CPU-s per million samples (GC and JIT included); thread on a CPU"
              + " %.0f%% of %.1f s", r.bytesPerSecond() / 1e6, r.samplesPerSecond(), r.threadNanosPerSample(),
          r.processCpuSecondsPerMillionSamples(), r.onCpu() * 100, r.wallNanos() / 1e9));
    }
    Reports.markdownTable(md, p, "", "");

    md.append("\n## How it was measured\n\n");
    md.append(String.format(Locale.ROOT, "- Targets: %d Vert.x HTTP servers in the runner's JVM (%s), one port each"
        + " on 127.0.0.1, answering `GET /metrics` with Prometheus text 0.0.4 (`%s`) whatever the Accept header"
        + " asks, %s. Each body has %,d sample lines (%,d bytes): about 60%% counters, 25%% gauges and 15%%"
        + " histogram lines (Go's default buckets) in families of an instrumented service (HTTP, gRPC, database,"
        + " Kafka, caches, JVM), with HELP and TYPE; counters and histograms grow and gauges wander on every scrape."
        + " The fixed text is laid out once and only the numbers are written per scrape. The runner also holds"
        + " the sink, so both scrapers face the same targets and sink; they run one after the other, never"
        + " together.%n", s.targets(), Reports.runnerJvmOptions(), TargetSimulator.CONTENT_TYPE,
        s.gzip() ? "gzip-compressed when the scraper accepts it" : "uncompressed", s.series(), bodyBytes));
    md.append(String.format(Locale.ROOT, "- Scrapes: every %s, timeout %s, one job `bench` with a static target"
        + " list. Each scrape of a target yields %,d samples at the sink: its lines plus `up` and the four"
        + " `scrape_*` series both scrapers add.%n", Durations.format(s.interval()),
        Durations.format(s.scrapeTimeout()), s.samplesPerScrape()));
    md.append("- Sink: remote write 1.0 on 127.0.0.1, one path per scraper, answering 204. It snappy-decompresses"
        + " each body and walks the `WriteRequest` by field number with protobuf's `CodedInputStream`, counting"
        + " samples (staleness markers apart), series, metadata, native histograms and exemplars; it hashes each"
        + " label set to count distinct series and checks the labels are sorted; it notes every sample's delay"
        + " (arrival minus timestamp) in the measured window.\n");
    md.append(String.format(Locale.ROOT, "- Per scraper: started, then timed once every target has been scraped"
        + " once; warm-up %s; measured window %s. Throughput: samples that arrived at the sink in the window."
        + " CPU: utime + stime of the scraper's process from `/proc/<pid>/stat` over the window (every thread),"
        + " %d ticks per second. Peak RSS: `VmHWM` from `/proc/<pid>/status` after the window. Completeness: the"
        + " scrapes the targets served in the window (by arrival time) × %,d against the samples whose"
        + " timestamps (the scrape's start) fall in the window, counted after waiting for them to arrive.%n",
        Durations.format(s.warmup()), Durations.format(s.duration()), ProcStats.clockTicksPerSecond(),
        s.samplesPerScrape()));
    md.append(String.format(Locale.ROOT, "- Parser: after both scrapers stopped, on one thread of the runner's JVM:"
        + " the prometheus receiver's text parser (`ExpositionFormat.PROMETHEUS_TEXT.parse` with one string cache"
        + " per target, as the scrape loop calls it), over %d renders of every target's body, target after"
        + " target; the ceiling is a loop that reads every byte of the same bodies (sums them, counts line ends)."
        + " Rates are per CPU-second of the looping thread. Warm-up %s, then %s measured, for each loop."
        + " The conversion to OTLP (`ScrapeToOtlp.convert`) is"
        + " measured with the parser, without target labels, relabeling, report series or staleness tracking.%n",
        s.parserRenders(), Durations.format(s.parserWarmup()), Durations.format(s.parserDuration())));
    md.append(Reports.machineMarkdown(s.home(), java, loadAtStart));
    if (runs.containsKey(Scraper.AGENT)) {
      md.append("\n`").append(s.prometheus()).append(" --version`:\n\n```\n")
          .append(Reports.command(s.home(), s.prometheus(), "--version")).append("\n```\n");
    }
    md.append("\n## Configs\n\n");
    for (Run r : runs.values()) {
      md.append('`').append(s.home().relativize(r.who() == Scraper.SLUICE ? s.sluiceConfig() : s.agentConfig()))
          .append("` as run (target list shortened):\n\n```yaml\n")
          .append(shortenTargets(Files.readString(r.config())).strip()).append("\n```\n\n");
    }
    return md.toString();
  }

  /** The config with its long target list cut to the first two addresses and a count. */
  private static String shortenTargets(String config) {
    Matcher m = Pattern.compile("targets: \\[([^\\]]*)]").matcher(config);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String[] items = m.group(1).split(",\\s*");
      String shown = items.length <= 3 ? m.group(0)
          : "targets: [" + items[0] + ", " + items[1] + ", ... " + items.length + " targets in all]";
      m.appendReplacement(out, Matcher.quoteReplacement(shown));
    }
    m.appendTail(out);
    return out.toString();
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }
}
