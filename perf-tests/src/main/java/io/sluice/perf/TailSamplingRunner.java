package io.sluice.perf;

import static io.sluice.perf.Reports.say;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The tail sampling benchmark: traces of 10 spans whose spans arrive interleaved over most of the
 * decision wait (as real traffic does) through {@code otlp → tail_sampling (latency + status_code +
 * probabilistic 10%) → otlp}, in Sluice and in the OpenTelemetry Collector on the same config
 * file, and the same load through Sluice without the processor ({@code otlp → otlp}), in one run.
 *
 * <p>Per load level (fixed open-loop rates, then the closed-loop maximum): spans/s the gateway
 * took, spans/s that reached the sink (the sampled share), CPU-seconds per million spans taken,
 * peak RSS; for Sluice with the processor also the decision latency (first span to decision, from
 * its self-metrics) and, at the fixed rates, the heap held per 10,000 traces in flight beyond the
 * spans' own bytes (heap after a full GC, less the idle heap after a full GC, less the encoded
 * span bytes the processor reports holding, per trace held). Ratios: Sluice / Collector of spans
 * per CPU-second and of peak RSS; tail sampling / pass-through of spans/s and CPU per span.
 *
 * <p>{@code -Dbench.soakMinutes=N} then runs Sluice with the processor for N minutes at half the
 * maximum measured (or {@code bench.soakRate}), forcing a full GC every minute and reading the heap
 * after it; it prints the samples and the least-squares slope.
 *
 * <p>The config files are {@code bench.tailConfig} and {@code bench.passConfig}; a config with a
 * {@code spanmetrics} connector on the same traces can be given as {@code bench.tailConfig} (see the
 * marked place in {@code perf-tests/config/tail-sampling.yaml}).
 */
public final class TailSamplingRunner {
  private static final long TRACE_SEED = 0x5EED_7A11L;

  private TailSamplingRunner() {}

  record Settings(Path home, Path jar, Path script, List<String> sluiceJavaOpts, Path collector,
      List<BenchmarkRunner.Peer> peers, Path tailConfig, Path passConfig, List<Double> rates, boolean max,
      Duration warmup, double warmupRate, Duration settle, Duration duration, Duration drainTimeout,
      Duration spread, int concurrency, int connections, int poolSize, int spansPerRequest, int soakMinutes,
      double soakRate, Path results, String label) {

    static Settings fromProperties() throws BenchmarkFailed {
      Path home = Path.of(System.getProperty("bench.home", ".")).toAbsolutePath().normalize();
      String javaOpts = System.getProperty("bench.sluiceJavaOpts", "").trim();
      String collector = System.getProperty("bench.collector", "").trim();
      List<Double> rates = new ArrayList<>();
      for (String r : System.getProperty("bench.rates", "20000,50000").split(",")) {
        if (!r.isBlank()) {
          rates.add(Double.parseDouble(r.trim().replace("_", "")));
        }
      }
      int spans = Integer.getInteger("bench.spans", 520);
      if (spans % 40 != 0) {
        throw new BenchmarkFailed("-Dbench.spans must be a multiple of 40 (traces of 10 spans, pool traces of 8),"
            + " got " + spans);
      }
      return new Settings(home,
          home.resolve(System.getProperty("bench.jar", "gateway/target/sluice.jar")),
          home.resolve(System.getProperty("bench.sluiceScript", "bin/sluice")),
          javaOpts.isEmpty() ? List.of() : List.of(javaOpts.split("\\s+")),
          collector.isEmpty() ? null : home.resolve(collector),
          BenchmarkRunner.Settings.peers(System.getProperty("bench.peers", "sluice,collector")),
          home.resolve(System.getProperty("bench.tailConfig", "perf-tests/config/tail-sampling.yaml")),
          home.resolve(System.getProperty("bench.passConfig", "perf-tests/config/tail-sampling-passthrough.yaml")),
          rates,
          Boolean.parseBoolean(System.getProperty("bench.max", "true")),
          Durations.property("bench.warmup", "15s"),
          Double.parseDouble(System.getProperty("bench.warmupRate", "20000")),
          Durations.property("bench.settle", "20s"),
          Durations.property("bench.duration", "30s"),
          Durations.property("bench.drainTimeout", "60s"),
          Durations.property("bench.spread", "8s"),
          Integer.getInteger("bench.concurrency", 32),
          Integer.getInteger("bench.connections", 4),
          Integer.getInteger("bench.pool", 32),
          spans,
          Integer.getInteger("bench.soakMinutes", 0),
          Double.parseDouble(System.getProperty("bench.soakRate", "0")),
          home.resolve(System.getProperty("bench.results", "perf-tests/results")),
          System.getProperty("bench.label", ""));
    }
  }

  /** Which gateway on which config. */
  enum Run {
    SLUICE_PASS("Sluice, pass-through (no processor)"),
    SLUICE_TAIL("Sluice, tail_sampling"),
    COLLECTOR_TAIL("Collector, tail_sampling");

    final String title;

    Run(String title) {
      this.title = title;
    }
  }

  /** A histogram read from a /metrics page: cumulative bucket counts by upper bound, sum and count. */
  record Histo(TreeMap<Double, Double> buckets, double sum, double count) {
    Histo minus(Histo o) {
      TreeMap<Double, Double> b = new TreeMap<>();
      buckets.forEach((le, c) -> b.put(le, c - o.buckets.getOrDefault(le, 0.0)));
      return new Histo(b, sum - o.sum, count - o.count);
    }

    double mean() {
      return count > 0 ? sum / count : Double.NaN;
    }

    /** The upper bound of the bucket holding quantile {@code q}. */
    double quantile(double q) {
      if (count <= 0) {
        return Double.NaN;
      }
      for (Map.Entry<Double, Double> e : buckets.entrySet()) {
        if (e.getValue() >= q * count) {
          return e.getKey();
        }
      }
      return Double.POSITIVE_INFINITY;
    }
  }

  record Level(double rate, double seconds, long accepted, long delivered, long gatewayTicks, long peakRss,
      long failedCalls, Histo decisions, double heapBeyondPer10k, double tracesHeld, long step) {
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

    double cpuPerMillion() {
      return accepted == 0 ? Double.NaN : ProcStats.ticksToSeconds(gatewayTicks) / accepted * 1e6;
    }

    double spansPerCpuSecond() {
      double cpu = ProcStats.ticksToSeconds(gatewayTicks);
      return cpu > 0 ? accepted / cpu : Double.NaN;
    }
  }

  record GatewayRun(Run run, List<String> command, long idleRss, long idleHeap, List<Level> levels, String log) {
    Level level(double rate) {
      return levels.stream().filter(l -> l.rate() == rate).findFirst().orElse(null);
    }
  }

  public static void main(String[] args) throws Exception {
    BenchmarkFailed.exitWith(() -> run(Settings.fromProperties()));
  }

  private static int run(Settings s) throws Exception {
    BenchmarkRunner.checkPeers(s.peers(), s.jar(), s.script(), s.collector(), "run-tail-sampling.sh");
    for (Path c : List.of(s.tailConfig(), s.passConfig())) {
      if (!Files.isRegularFile(c)) {
        throw new BenchmarkFailed(c + " is missing");
      }
    }
    ZonedDateTime startedAt = ZonedDateTime.now();
    String loadAtStart = Files.readString(Path.of("/proc/loadavg")).trim();
    Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
    List<String> notes = new ArrayList<>();
    say("Tail sampling benchmark%s", s.label().isEmpty() ? "" : " (" + s.label() + ")");
    say("  load average at start: %s", loadAtStart);
    TraceRequests pool = TraceRequests.build(s.poolSize(), s.spansPerRequest(), 42, true);
    say("  request pool: %d requests x %d spans (traces of %d spans, each spread over %s), %,.0f bytes per span",
        pool.size(), pool.spansPerRequest(), TraceRequests.RETRACED_SPANS_PER_TRACE, Durations.format(s.spread()),
        (double) pool.totalBytes() / pool.size() / pool.spansPerRequest());
    String stamp = startedAt.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));

    List<Run> order = new ArrayList<>();
    if (s.peers().contains(BenchmarkRunner.Peer.SLUICE)) {
      order.add(Run.SLUICE_PASS);
      order.add(Run.SLUICE_TAIL);
    }
    if (s.peers().contains(BenchmarkRunner.Peer.COLLECTOR)) {
      order.add(Run.COLLECTOR_TAIL);
    }
    Map<Run, GatewayRun> runs = new LinkedHashMap<>();
    List<String> soak = new ArrayList<>();
    try (TraceSink sink = TraceSink.start()) {
      say("  sink on 127.0.0.1:%d", sink.port());
      for (Run r : order) {
        runs.put(r, runGateway(s, r, sink, pool, java, stamp, notes));
      }
      if (s.soakMinutes() > 0 && s.peers().contains(BenchmarkRunner.Peer.SLUICE)) {
        Level max = runs.containsKey(Run.SLUICE_TAIL) ? runs.get(Run.SLUICE_TAIL).level(0) : null;
        double rate = s.soakRate() > 0 ? s.soakRate() : max != null ? max.acceptedPerSecond() / 2 : 20_000;
        soak = soak(s, sink, pool, java, stamp, rate, notes);
      }
    }
    // The processor's own heap per trace, in this JVM without receiver and exporter around it.
    TailSamplingHeapProbe.Result probe = null;
    if (s.peers().contains(BenchmarkRunner.Peer.SLUICE)) {
      say("");
      say("heap probe: the processor alone in this JVM, 2,000 interleaved requests held (decision_wait 1h)");
      probe = TailSamplingHeapProbe.run(pool, 2000, 10);
      say("  %,d traces held, %.0f span bytes each: %.2f MiB per 10,000 traces beyond the spans' bytes", probe.traces(),
          probe.spanBytesPerTrace(), probe.beyondPer10k() / 1048576);
    }
    double loadNow = Reports.oneMinuteLoad(loadAtStart);
    if (loadNow >= 0.6) {
      notes.add("The 1-minute load average was " + loadNow + " at the start: something else was using the CPUs,"
          + " so these figures are not final.");
    }
    String summary = summary(s, runs, notes, soak, probe);
    say("");
    System.out.print(summary);
    String md = "# Tail sampling: Sluice and the OpenTelemetry Collector" + (s.label().isEmpty() ? ""
        : " (" + s.label() + ")") + "\n\nRun of " + startedAt.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME) + ".\n\n"
        + summary + how(s) + Reports.machineMarkdown(s.home(), java, loadAtStart) + configs(s);
    Files.createDirectories(s.results());
    Path file = Reports.resultsFile(s.results(), "tail-sampling", startedAt.toLocalDate(), s.label());
    Files.writeString(file, md, StandardCharsets.UTF_8);
    say("");
    say("Written to %s", s.home().relativize(file));
    return 0;
  }

  // ---- one gateway ---------------------------------------------------------------------------

  private static ServerProcess start(Settings s, Run r, Path java, Map<String, String> env, Path log)
      throws IOException {
    Path config = r == Run.SLUICE_PASS ? s.passConfig() : s.tailConfig();
    if (r == Run.COLLECTOR_TAIL) {
      say("  start: %s --config %s (log: %s)", s.collector(), s.home().relativize(config), s.home().relativize(log));
      return ServerProcess.start("Collector", List.of(s.collector().toString(), "--config", config.toString()), env,
          log);
    }
    say("  start: %s --config %s (log: %s)", s.home().relativize(s.script()), s.home().relativize(config),
        s.home().relativize(log));
    return ServerProcess.startViaScript(s.script(), java, s.jar(), s.sluiceJavaOpts(), config, env, log);
  }

  private static GatewayRun runGateway(Settings s, Run r, TraceSink sink, TraceRequests pool, Path java,
      String stamp, List<String> notes) throws Exception {
    int otlpPort = Reports.freePort();
    int metricsPort = Reports.freePort();
    Map<String, String> env = Map.of("BENCH_OTLP_PORT", Integer.toString(otlpPort),
        "BENCH_SINK_PORT", Integer.toString(sink.port()), "BENCH_METRICS_PORT", Integer.toString(metricsPort));
    Path log = s.home().resolve("perf-tests/target/bench/tail-" + stamp + "-" + r.name().toLowerCase(Locale.ROOT)
        + ".log");
    String tag = "[" + r.title + "] ";
    say("");
    say("== %s", r.title);
    ServerProcess gateway = start(s, r, java, env, log);
    List<Level> levels = new ArrayList<>();
    List<String> command;
    long idleRss;
    long idleHeap = -1;
    try (gateway; LoadGenerator gen = new LoadGenerator("127.0.0.1", otlpPort, pool, s.connections())) {
      if (!gen.awaitReady(Duration.ofSeconds(60)) || !gateway.isAlive()) {
        throw new BenchmarkFailed(tag + "the gateway did not answer within 60 s; the end of its log:\n"
            + gateway.logTail(40));
      }
      boolean jvm = r != Run.COLLECTOR_TAIL && gateway.followJava();
      command = gateway.commandLine();
      say("  pid %d: %s", gateway.pid(), String.join(" ", command));
      Thread.sleep(1000);
      idleRss = gateway.rssBytes();
      if (jvm) {
        idleHeap = heapAfterGc(gateway.pid(), metricsPort);
      }
      say("  warm-up: %,.0f spans/s, %s", s.warmupRate(), Durations.format(s.warmup()));
      gen.useBodies(bodies(pool, s, s.warmupRate()));
      gen.startRate(s.warmupRate(), -1);
      gateway.sleepWhileAlive(s.warmup());
      drain(gen, sink, gateway, s, tag + "after the warm-up", notes);
      List<Double> rates = new ArrayList<>(s.rates());
      if (s.max()) {
        rates.add(0.0);
      }
      double lastRate = 0;
      for (double rate : rates) {
        double design = rate > 0 ? rate : Math.max(50_000, lastRate * 1.5);
        Level level = level(s, r, rate, design, gen, sink, gateway, pool, metricsPort, jvm, idleHeap, tag, notes);
        levels.add(level);
        lastRate = Math.max(lastRate, level.acceptedPerSecond());
        say("  %-18s %,9.0f spans/s taken, %,8.0f delivered, %7.3f CPU-s per million spans, peak RSS %s%s",
            level.title(), level.acceptedPerSecond(), level.deliveredPerSecond(), level.cpuPerMillion(),
            mib(level.peakRss()), decisionText(level));
      }
      gen.disconnect();
      int exit = gateway.stop(Duration.ofSeconds(60));
      if (exit != 0 && exit != 143) {
        notes.add(tag + "The gateway exited with code " + exit + " when stopped.");
      }
    }
    Reports.LogLines warnings = Reports.logLines(log, 3, " WARN ", " ERROR ", "\twarn\t", "\terror\t");
    if (warnings.count() > 0) {
      notes.add(tag + warnings.count() + " warnings or errors in its log, first: " + warnings.first());
    }
    return new GatewayRun(r, command, idleRss, idleHeap, levels, s.home().relativize(log).toString());
  }

  private static String decisionText(Level l) {
    if (l.decisions() == null || l.decisions().count() <= 0) {
      return "";
    }
    return String.format(Locale.ROOT, ", decision latency mean %.2f s (p99 <= %.1f s)%s", l.decisions().mean(),
        l.decisions().quantile(0.99), Double.isNaN(l.heapBeyondPer10k()) ? ""
            : String.format(Locale.ROOT, ", heap beyond the spans' bytes %.1f MiB per 10,000 traces (%,.0f held)",
                l.heapBeyondPer10k() / 1048576, l.tracesHeld()));
  }

  /** Requests whose traces interleave: step chosen so that a trace's 10 spans spread over {@code bench.spread}. */
  private static LoadGenerator.Bodies bodies(TraceRequests pool, Settings s, double designRate) {
    long step = step(pool, s, designRate);
    return (i, stamp) -> pool.retraced(i, step, TRACE_SEED);
  }

  private static long step(TraceRequests pool, Settings s, double rate) {
    double interval = pool.spansPerRequest() / rate;
    double gap = s.spread().toNanos() / 1e9 / (TraceRequests.RETRACED_SPANS_PER_TRACE - 1);
    return Math.max(1, Math.round(gap / interval));
  }

  private static Level level(Settings s, Run r, double rate, double designRate, LoadGenerator gen, TraceSink sink,
      ServerProcess gateway, TraceRequests pool, int metricsPort, boolean jvm, long idleHeap, String tag,
      List<String> notes) throws Exception {
    boolean tail = r == Run.SLUICE_TAIL;
    long step = step(pool, s, designRate);
    gen.useBodies(bodies(pool, s, designRate));
    gateway.resetPeakRss();
    if (rate == 0) {
      gen.startMax(s.concurrency(), -1);
    } else {
      gen.startRate(rate, -1);
    }
    gateway.sleepWhileAlive(s.settle());
    Histo h0 = tail ? histogram(metricsPort, "sluice_processor_tail_sampling_sampling_decision_latency_seconds") : null;
    long t0 = System.nanoTime();
    long acc0 = gen.acceptedSpans();
    long del0 = sink.spans();
    long cpu0 = gateway.cpuTicks();
    long fail0 = gen.failedRequests();
    gateway.sleepWhileAlive(s.duration());
    long t1 = System.nanoTime();
    long acc1 = gen.acceptedSpans();
    long del1 = sink.spans();
    long cpu1 = gateway.cpuTicks();
    long fail1 = gen.failedRequests();
    Histo h1 = tail ? histogram(metricsPort, "sluice_processor_tail_sampling_sampling_decision_latency_seconds") : null;
    double heapBeyond = Double.NaN;
    double traces = Double.NaN;
    if (tail && jvm && rate > 0 && idleHeap > 0) {
      // The load stops and its calls are answered (so no request is held in the receiver), then at
      // once, before the traces in flight are decided: a full GC, then the heap, the traces and the
      // span bytes held, read together.
      gen.stop(Duration.ofSeconds(65));
      long heap = heapAfterGc(gateway.pid(), metricsPort);
      Map<String, Double> m = Reports.metrics(metricsPort,
          n -> n.startsWith("sluice_processor_tail_sampling_sampling_traces_on_memory")
              || n.startsWith("sluice_processor_tail_sampling_bytes_on_memory"));
      traces = m.getOrDefault("sluice_processor_tail_sampling_sampling_traces_on_memory", Double.NaN);
      double spanBytes = m.getOrDefault("sluice_processor_tail_sampling_bytes_on_memory", Double.NaN);
      if (heap > 0 && traces > 0) {
        heapBeyond = (heap - idleHeap - spanBytes) / traces * 10_000;
      }
    }
    drain(gen, sink, gateway, s, tag + "after " + (rate == 0 ? "max" : rate + " spans/s"), notes);
    long peak = gateway.peakRssBytes();
    if (rate > 0 && (acc1 - acc0) / ((t1 - t0) / 1e9) < rate * 0.95) {
      notes.add(String.format(Locale.ROOT, "%s%,.0f spans/s: took %,.0f spans/s, below the rate (%,d calls refused)",
          tag, rate, (acc1 - acc0) / ((t1 - t0) / 1e9), fail1 - fail0));
    }
    return new Level(rate, (t1 - t0) / 1e9, acc1 - acc0, del1 - del0, cpu1 - cpu0, peak, fail1 - fail0,
        h0 == null || h1 == null ? null : h1.minus(h0), heapBeyond, traces, step);
  }

  /** Stops the load and waits until the sink has been quiet for a while: every held trace decided and out. */
  private static void drain(LoadGenerator gen, TraceSink sink, ServerProcess gateway, Settings s, String what,
      List<String> notes) throws Exception {
    if (!gen.stop(Duration.ofSeconds(65))) {
      throw new BenchmarkFailed(what + ": calls still outstanding 65 s after the load stopped; the end of the log:\n"
          + gateway.logTail(40));
    }
    long quiet = Math.max(3000, s.spread().toMillis() / 2);
    sink.awaitQuiet(0, quiet, s.drainTimeout().toMillis());
  }

  /** Forces a full GC in the JVM {@code pid} (jcmd), then reads its heap in use from its /metrics; -1 if either fails. */
  static long heapAfterGc(long pid, int metricsPort) {
    try {
      Process p = new ProcessBuilder("jcmd", Long.toString(pid), "GC.run").redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        return -1;
      }
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
    Double heap = Reports.metrics(metricsPort, n -> n.equals("sluice_process_heap_used_bytes"))
        .get("sluice_process_heap_used_bytes");
    return heap == null ? -1 : heap.longValue();
  }

  /** A histogram of a /metrics page, summed over its series; empty when it has none. */
  static Histo histogram(int port, String name) {
    TreeMap<Double, Double> buckets = new TreeMap<>();
    double sum = 0;
    double count = 0;
    try {
      HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
          URI.create("http://127.0.0.1:" + port + "/metrics")).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      for (String line : response.body().split("\n")) {
        if (!line.startsWith(name)) {
          continue;
        }
        String value = line.substring(line.lastIndexOf(' ') + 1);
        if (line.startsWith(name + "_bucket")) {
          int le = line.indexOf("le=\"");
          String bound = line.substring(le + 4, line.indexOf('"', le + 4));
          buckets.merge(bound.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(bound),
              Double.parseDouble(value), Double::sum);
        } else if (line.startsWith(name + "_sum")) {
          sum += Double.parseDouble(value);
        } else if (line.startsWith(name + "_count")) {
          count += Double.parseDouble(value);
        }
      }
    } catch (IOException | RuntimeException e) {
      return new Histo(new TreeMap<>(), 0, 0);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    return new Histo(buckets, sum, count);
  }

  // ---- soak ----------------------------------------------------------------------------------

  private static List<String> soak(Settings s, TraceSink sink, TraceRequests pool, Path java, String stamp,
      double rate, List<String> notes) throws Exception {
    int otlpPort = Reports.freePort();
    int metricsPort = Reports.freePort();
    Map<String, String> env = Map.of("BENCH_OTLP_PORT", Integer.toString(otlpPort),
        "BENCH_SINK_PORT", Integer.toString(sink.port()), "BENCH_METRICS_PORT", Integer.toString(metricsPort));
    Path log = s.home().resolve("perf-tests/target/bench/tail-" + stamp + "-soak.log");
    say("");
    say("== soak: Sluice, tail_sampling, %,.0f spans/s for %d minutes; heap after a full GC every minute", rate,
        s.soakMinutes());
    List<String> lines = new ArrayList<>();
    List<double[]> samples = new ArrayList<>();
    ServerProcess gateway = start(s, Run.SLUICE_TAIL, java, env, log);
    try (gateway; LoadGenerator gen = new LoadGenerator("127.0.0.1", otlpPort, pool, s.connections())) {
      if (!gen.awaitReady(Duration.ofSeconds(60)) || !gateway.followJava()) {
        throw new BenchmarkFailed("[soak] the gateway did not answer within 60 s; its log:\n" + gateway.logTail(40));
      }
      gen.useBodies(bodies(pool, s, rate));
      gen.startRate(rate, -1);
      long start = System.nanoTime();
      for (int minute = 1; minute <= s.soakMinutes(); minute++) {
        long due = start + TimeUnit.MINUTES.toNanos(minute);
        gateway.sleepWhileAlive(Duration.ofNanos(Math.max(0, due - System.nanoTime())));
        long heap = heapAfterGc(gateway.pid(), metricsPort);
        Map<String, Double> m = Reports.metrics(metricsPort,
            n -> n.equals("sluice_processor_tail_sampling_sampling_traces_on_memory")
                || n.equals("sluice_processor_tail_sampling_bytes_on_memory"));
        double traces = m.getOrDefault("sluice_processor_tail_sampling_sampling_traces_on_memory", Double.NaN);
        double spanBytes = m.getOrDefault("sluice_processor_tail_sampling_bytes_on_memory", 0.0);
        String line = String.format(Locale.ROOT, "minute %3d: heap after full GC %8.1f MiB, of which span bytes held"
            + " %6.1f MiB: %6.1f MiB beyond them; %,.0f traces held, RSS %s, %,d spans taken", minute,
            heap / 1048576.0, spanBytes / 1048576, (heap - spanBytes) / 1048576, traces, mib(gateway.rssBytes()),
            gen.acceptedSpans());
        say("  %s", line);
        lines.add(line);
        samples.add(new double[] {minute, heap / 1048576.0, (heap - spanBytes) / 1048576});
      }
      drain(gen, sink, gateway, s, "[soak]", notes);
      gen.disconnect();
      gateway.stop(Duration.ofSeconds(60));
    }
    // The slope without the first fifth of the minutes (at least the first): they include filling
    // decision_wait's worth of traces and the decision caches.
    int skip = Math.min(samples.size() - 2, Math.max(1, samples.size() / 5));
    List<double[]> fit = skip > 0 ? samples.subList(skip, samples.size()) : samples;
    for (int col = 1; col <= 2; col++) {
      List<double[]> xy = new ArrayList<>();
      for (double[] f : fit) {
        xy.add(new double[] {f[0], f[col]});
      }
      double[] slope = slope(xy);
      String result = String.format(Locale.ROOT, "slope of the heap after full GC%s: %+.3f MiB per minute (minutes"
          + " %d-%d, mean %.1f MiB): %+.2f%% of the mean per hour", col == 1 ? "" : " beyond the span bytes held",
          slope[0], (int) fit.get(0)[0], (int) fit.get(fit.size() - 1)[0], slope[1],
          slope[1] == 0 ? 0 : slope[0] * 60 / slope[1] * 100);
      say("  %s", result);
      lines.add(result);
    }
    return lines;
  }

  /** Least squares over (x, y): the slope and the mean of y. */
  static double[] slope(List<double[]> xy) {
    double n = xy.size();
    double sx = 0;
    double sy = 0;
    for (double[] p : xy) {
      sx += p[0];
      sy += p[1];
    }
    double mx = sx / n;
    double my = sy / n;
    double num = 0;
    double den = 0;
    for (double[] p : xy) {
      num += (p[0] - mx) * (p[1] - my);
      den += (p[0] - mx) * (p[0] - mx);
    }
    return new double[] {den == 0 ? 0 : num / den, my};
  }

  // ---- report --------------------------------------------------------------------------------

  private static String summary(Settings s, Map<Run, GatewayRun> runs, List<String> notes, List<String> soak,
      TailSamplingHeapProbe.Result probe) {
    StringBuilder md = new StringBuilder("## Results\n\n");
    List<Double> rates = new ArrayList<>(s.rates());
    if (s.max()) {
      rates.add(0.0);
    }
    md.append("| level | run | spans/s taken | spans/s delivered | CPU-s per million spans | spans per CPU-s"
        + " | peak RSS | decision latency (mean / p99 bucket) | heap beyond spans per 10,000 traces |\n")
        .append("|---|---|---|---|---|---|---|---|---|\n");
    for (double rate : rates) {
      for (GatewayRun g : runs.values()) {
        Level l = g.level(rate);
        if (l == null) {
          continue;
        }
        md.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %,.0f | %.3f | %,.0f | %s | %s | %s |\n",
            l.title(), g.run().title, l.acceptedPerSecond(), l.deliveredPerSecond(), l.cpuPerMillion(),
            l.spansPerCpuSecond(), mib(l.peakRss()), l.decisions() == null || l.decisions().count() <= 0 ? "-"
                : String.format(Locale.ROOT, "%.2f s / <= %.1f s", l.decisions().mean(), l.decisions().quantile(0.99)),
            Double.isNaN(l.heapBeyondPer10k()) ? "-" : String.format(Locale.ROOT, "%.1f MiB (%,.0f traces held)",
                l.heapBeyondPer10k() / 1048576, l.tracesHeld())));
      }
    }
    md.append("\n### Ratios\n\n| level | Sluice / Collector, spans per CPU-s | Sluice / Collector, peak RSS"
        + " | tail / pass-through (Sluice), spans/s taken | tail / pass-through (Sluice), CPU per span |\n")
        .append("|---|---|---|---|---|\n");
    GatewayRun tail = runs.get(Run.SLUICE_TAIL);
    GatewayRun pass = runs.get(Run.SLUICE_PASS);
    GatewayRun coll = runs.get(Run.COLLECTOR_TAIL);
    for (double rate : rates) {
      Level t = tail == null ? null : tail.level(rate);
      Level p = pass == null ? null : pass.level(rate);
      Level c = coll == null ? null : coll.level(rate);
      md.append("| ").append(t != null ? t.title() : c != null ? c.title() : "").append(" | ")
          .append(t != null && c != null ? ratio(t.spansPerCpuSecond() / c.spansPerCpuSecond()) : "-").append(" | ")
          .append(t != null && c != null ? ratio((double) t.peakRss() / c.peakRss()) : "-").append(" | ")
          .append(t != null && p != null ? ratio(t.acceptedPerSecond() / p.acceptedPerSecond()) : "-").append(" | ")
          .append(t != null && p != null ? ratio(t.cpuPerMillion() / p.cpuPerMillion()) : "-").append(" |\n");
    }
    md.append("\nAims (issue 11): tail sampling keeps at least half of the pass-through throughput (spans/s taken"
        + " at the maximum, ratio >= 0.5), at least 1.5x the Collector's spans per CPU-second, and no heap growth in"
        + " the soak. At fixed rates both gateways take the whole rate, so there the CPU ratios speak, not spans/s.\n");
    if (probe != null) {
      md.append(String.format(Locale.ROOT, "\nHeap the processor holds beyond the spans' bytes, measured alone in the"
          + " runner's JVM (no receiver or exporter buffers): **%.2f MiB per 10,000 traces in flight** (%,d bytes per"
          + " trace; %,d traces of %.0f span bytes held). The per-level column above is the whole gateway's heap and"
          + " includes its receiver's and exporter's buffers.\n", probe.beyondPer10k() / 1048576,
          (long) (probe.beyondPer10k() / 10_000), probe.traces(), probe.spanBytesPerTrace()));
    }
    md.append("\nIdle: ");
    for (GatewayRun g : runs.values()) {
      md.append(g.run().title).append(" RSS ").append(mib(g.idleRss()))
          .append(g.idleHeap() > 0 ? ", heap after full GC " + mib(g.idleHeap()) : "").append("; ");
    }
    md.append("\n");
    if (!soak.isEmpty()) {
      md.append("\n### Soak\n\n```\n");
      soak.forEach(l -> md.append(l).append('\n'));
      md.append("```\n");
    }
    if (!notes.isEmpty()) {
      md.append("\n### Notes\n\n");
      notes.forEach(n -> md.append("- NOTE: ").append(n).append('\n'));
    }
    md.append("\n### Commands\n\n");
    for (GatewayRun g : runs.values()) {
      md.append("- ").append(g.run().title).append(": `").append(String.join(" ", g.command())).append("` (log ")
          .append(g.log()).append(")\n");
    }
    return md.toString();
  }

  private static String how(Settings s) {
    return "\n## How\n\n"
        + "- Load: " + s.spansPerRequest() + " spans per OTLP/gRPC request, " + s.connections() + " connections;"
        + " traces of " + TraceRequests.RETRACED_SPANS_PER_TRACE + " spans whose spans arrive spread over "
        + Durations.format(s.spread()) + " (span k of a trace k x step requests after its first; step from the"
        + " level's rate, for the maximum from 1.5x the fastest fixed rate). Fixed rates " + s.rates()
        + (s.max() ? " spans/s, then a closed loop of " + s.concurrency() + " calls" : " spans/s") + ".\n"
        + "- Each level: " + Durations.format(s.settle()) + " to fill decision_wait's worth of traces, then "
        + Durations.format(s.duration()) + " measured; afterwards the load stops and the sink is let go quiet"
        + " (every held trace decided and delivered) before the next level.\n"
        + "- CPU: utime + stime of the gateway's process (all threads) over the window, per span the gateway took."
        + " Peak RSS: VmHWM, reset before each level.\n"
        + "- Decision latency: Sluice's `sluice_processor_tail_sampling_sampling_decision_latency_seconds` (first span"
        + " of a trace to its decision) over the window.\n"
        + "- Heap beyond spans: at the end of a fixed-rate window the load stops; once its calls are answered,"
        + " `jcmd <pid> GC.run`, then Sluice's heap in use,"
        + " less its heap in use after a full GC at idle, less `sluice_processor_tail_sampling_bytes_on_memory` (the"
        + " encoded span bytes held), per `sampling_traces_on_memory`, times 10,000.\n"
        + "- Warm-up " + Durations.format(s.warmup()) + " at " + String.format(Locale.ROOT, "%,.0f", s.warmupRate())
        + " spans/s per gateway.\n";
  }

  private static String configs(Settings s) {
    return Reports.configsMarkdown(s.home(), List.of(s.tailConfig(), s.passConfig()));
  }

  private static String ratio(double r) {
    return Reports.ratio(r);
  }

  private static String mib(long bytes) {
    return Reports.mib(bytes);
  }
}
