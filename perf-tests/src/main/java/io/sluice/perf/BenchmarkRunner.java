package io.sluice.perf;

import static io.sluice.perf.Reports.say;

import java.io.IOException;
import java.lang.management.ManagementFactory;
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
import java.util.stream.Collectors;
import org.HdrHistogram.Histogram;

/**
 * The OTLP traces pass-through benchmark: {@code otlp} receiver (gRPC) → {@code batch} →
 * {@code otlp} exporter (gRPC) to a counting sink, with the gateway in its own JVM and the load
 * generator and sink in this one (so that they share a clock for end-to-end latency).
 *
 * <ol>
 *   <li>Maximum throughput: a closed loop of outstanding calls; after a warm-up, spans delivered
 *       to the sink per second and the gateway's CPU time per million spans, from {@code /proc}.
 *   <li>Latency: an open loop at a fraction (50%) of that maximum; p50/p99/max of the time from
 *       each request's intended send time to its arrival at the sink, in an HdrHistogram.
 *   <li>Peak RSS of the gateway ({@code VmHWM}).
 *   <li>The limit: this JVM decoding and re-encoding the same request bytes in a loop, with the
 *       gateway stopped; CPU time per million spans, and the ratio limit / pipeline.
 * </ol>
 *
 * <p>Settings are system properties ({@code -Dbench.duration=30s}, see {@link Settings}); figures go
 * to stdout and to a Markdown file in {@code bench.results}. Everything listens on 127.0.0.1.
 */
public final class BenchmarkRunner {
  private static final double AIM_RATIO = 0.5;

  private BenchmarkRunner() {}

  /** What one run is told to do, from system properties. */
  record Settings(
      Path home,
      Path config,
      Path jar,
      List<String> gatewayJvmOptions,
      Duration warmup,
      Duration duration,
      double latencyFraction,
      Duration latencySettle,
      Duration latencyDuration,
      Duration limitWarmup,
      Duration limitDuration,
      int concurrency,
      int connections,
      int poolSize,
      int spansPerRequest,
      Path results,
      String label) {

    static Settings fromProperties() {
      Path home = Path.of(System.getProperty("bench.home", ".")).toAbsolutePath().normalize();
      return new Settings(
          home,
          home.resolve(System.getProperty("bench.config", "perf-tests/config/otlp-passthrough.yaml")),
          home.resolve(System.getProperty("bench.jar", "gateway/target/sluice.jar")),
          List.of(System.getProperty("bench.gatewayJvmOptions", "-Xmx1g").trim().split("\\s+")),
          Durations.property("bench.warmup", "15s"),
          Durations.property("bench.duration", "30s"),
          Double.parseDouble(System.getProperty("bench.latencyFraction", "0.5")),
          Durations.property("bench.latencySettle", "5s"),
          Durations.property("bench.latencyDuration", "30s"),
          Durations.property("bench.limitWarmup", "5s"),
          Durations.property("bench.limitDuration", "10s"),
          Integer.getInteger("bench.concurrency", 32),
          Integer.getInteger("bench.connections", 4),
          Integer.getInteger("bench.pool", 32),
          Integer.getInteger("bench.spans", 512),
          home.resolve(System.getProperty("bench.results", "perf-tests/results")),
          System.getProperty("bench.label", ""));
    }
  }

  /** A point in time during a phase: what had been delivered, accepted and burnt by then. */
  private record Snapshot(long nanos, long delivered, long accepted, long gatewayTicks, long runnerTicks) {}

  /** The figures of one phase, between two snapshots. */
  private record Phase(double seconds, long delivered, long accepted, long gatewayTicks, long runnerTicks) {
    static Phase between(Snapshot a, Snapshot b) {
      return new Phase((b.nanos - a.nanos) / 1e9, b.delivered - a.delivered, b.accepted - a.accepted,
          b.gatewayTicks - a.gatewayTicks, b.runnerTicks - a.runnerTicks);
    }

    double spansPerSecond() {
      return delivered / seconds;
    }

    double gatewayCpuSecondsPerMillionSpans() {
      return ProcStats.ticksToSeconds(gatewayTicks) / delivered * 1e6;
    }

    double gatewayCores() {
      return ProcStats.ticksToSeconds(gatewayTicks) / seconds;
    }

    double runnerCores() {
      return ProcStats.ticksToSeconds(runnerTicks) / seconds;
    }
  }

  public static void main(String[] args) throws Exception {
    Settings s = Settings.fromProperties();
    BenchmarkFailed.exitWith(() -> run(s));
  }

  private static int run(Settings s) throws Exception {
    if (!Files.isRegularFile(s.jar())) {
      throw new BenchmarkFailed(s.jar() + " is missing; build it with: mvn -B -q package -DskipTests");
    }
    if (!Files.isRegularFile(s.config())) {
      throw new BenchmarkFailed(s.config() + " is missing");
    }
    ZonedDateTime startedAt = ZonedDateTime.now();
    String loadAtStart = Files.readString(Path.of("/proc/loadavg")).trim();
    Path java = Path.of(ProcessHandle.current().info().command().orElse("java"));
    long self = ProcessHandle.current().pid();
    List<String> notes = new ArrayList<>();

    say("OTLP traces pass-through benchmark%s", s.label().isEmpty() ? "" : " (" + s.label() + ")");
    say("  load average at start: %s", loadAtStart);
    TraceRequests pool = TraceRequests.build(s.poolSize(), s.spansPerRequest(), 42);
    double bytesPerSpan = (double) pool.totalBytes() / pool.size() / pool.spansPerRequest();
    say("  request pool: %d requests x %d spans, %,.0f bytes per request, %.0f bytes and %.1f attributes per span",
        pool.size(), pool.spansPerRequest(), (double) pool.totalBytes() / pool.size(), bytesPerSpan,
        pool.attributesPerSpan());

    int otlpPort = Reports.freePort();
    int metricsPort = Reports.freePort();
    Phase max;
    Map<String, Long> maxByThreads;
    Phase atRate;
    double targetRate;
    Histogram latency;
    long expectedStamps;
    long peakRss;
    Map<String, Double> selfMetrics;
    long totalAccepted;
    long totalDelivered;
    long failedCalls;
    String failures;
    long invalid;
    long validated;
    String firstProblem;
    int gatewayExit;
    Path log = s.home().resolve("perf-tests/target/bench/gateway-"
        + startedAt.format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".log");

    try (TraceSink sink = TraceSink.start()) {
      Map<String, String> env = Map.of(
          "BENCH_OTLP_PORT", Integer.toString(otlpPort),
          "BENCH_SINK_PORT", Integer.toString(sink.port()),
          "BENCH_METRICS_PORT", Integer.toString(metricsPort));
      say("  gateway: %s %s -jar %s --config %s (log: %s)", java, String.join(" ", s.gatewayJvmOptions()),
          s.home().relativize(s.jar()), s.home().relativize(s.config()), s.home().relativize(log));
      ServerProcess gateway = ServerProcess.startGateway(java, s.gatewayJvmOptions(), s.jar(), s.config(), env, log);
      try (gateway; LoadGenerator gen = new LoadGenerator("127.0.0.1", otlpPort, pool, s.connections())) {
        if (!gen.awaitReady(Duration.ofSeconds(60)) || !gateway.isAlive()) {
          throw new BenchmarkFailed("the gateway did not answer on 127.0.0.1:" + otlpPort + " within 60 s"
              + (gateway.isAlive() ? "" : " (it exited)") + "; the end of its log:\n" + gateway.logTail(40));
        }
        say("  gateway pid %d answers on 127.0.0.1:%d; sink on 127.0.0.1:%d", gateway.pid(), otlpPort, sink.port());

        // 1. Maximum throughput.
        say("");
        say("[1/4] maximum throughput: %d calls outstanding over %d connections; warm-up %s, then %s",
            s.concurrency(), s.connections(), Durations.format(s.warmup()), Durations.format(s.duration()));
        gen.startMax(s.concurrency());
        gateway.sleepWhileAlive(s.warmup());
        Map<Long, ProcStats.ThreadTicks> threadsBefore = gateway.threadTicks();
        Snapshot a = snapshot(sink, gen, gateway, self);
        gateway.sleepWhileAlive(s.duration());
        Snapshot b = snapshot(sink, gen, gateway, self);
        maxByThreads = ProcStats.ticksByGroup(threadsBefore, gateway.threadTicks());
        max = Phase.between(a, b);
        drain(gen, sink, gateway);
        say("      %,.0f spans/s delivered, %.3f gateway CPU-s per million spans (gateway %.2f cores, runner %.2f"
            + " cores)", max.spansPerSecond(), max.gatewayCpuSecondsPerMillionSpans(), max.gatewayCores(),
            max.runnerCores());
        say("      gateway CPU by threads: %s", describeGroups(maxByThreads, max));
        if (max.delivered() <= 0) {
          throw new BenchmarkFailed("no span reached the sink during the maximum-throughput phase; failures: "
              + gen.failureSummary() + "; the end of the gateway's log:\n" + gateway.logTail(40));
        }

        // 2. Latency at a fraction of the maximum.
        targetRate = max.spansPerSecond() * s.latencyFraction();
        say("[2/4] latency at %.0f%% of the maximum: %,.0f spans/s (%,.1f requests/s); settle %s, then %s",
            s.latencyFraction() * 100, targetRate, targetRate / pool.spansPerRequest(),
            Durations.format(s.latencySettle()), Durations.format(s.latencyDuration()));
        long base = System.nanoTime();
        gen.startRate(targetRate, base);
        gateway.sleepWhileAlive(s.latencySettle());
        Snapshot c = snapshot(sink, gen, gateway, self);
        sink.startRecording(base, c.nanos() - base);
        gateway.sleepWhileAlive(s.latencyDuration());
        Snapshot d = snapshot(sink, gen, gateway, self);
        sink.endRecordingWindow(d.nanos() - base);
        atRate = Phase.between(c, d);
        drain(gen, sink, gateway);
        latency = sink.stopRecording();
        long interval = Math.max(1, Math.round(1e9 * pool.spansPerRequest() / targetRate));
        expectedStamps = countDue(c.nanos() - base, d.nanos() - base, interval);
        say("      p50 %.1f ms, p99 %.1f ms, max %.1f ms over %,d requests; %,.0f spans/s delivered",
            ms(latency.getValueAtPercentile(50)), ms(latency.getValueAtPercentile(99)), ms(latency.getMaxValue()),
            latency.getTotalCount(), atRate.spansPerSecond());

        // 3. Peak memory and the gateway's own counts, then stop it.
        peakRss = gateway.peakRssBytes();
        selfMetrics = Reports.metrics(metricsPort, name -> name.contains("_items_total"));
        totalAccepted = gen.acceptedSpans();
        totalDelivered = sink.spans();
        failedCalls = gen.failedRequests();
        failures = gen.failureSummary();
        invalid = sink.invalidRequests();
        validated = sink.validatedRequests();
        firstProblem = sink.firstProblem();
        say("[3/4] peak RSS of the gateway: %.0f MiB; stopping it", peakRss / 1048576.0);
        gen.disconnect();
        gatewayExit = gateway.stop(Duration.ofSeconds(30));
      }
    }

    // 4. The limit, with the gateway gone and this JVM otherwise idle.
    say("[4/4] limit: decode + re-encode of the same requests on one thread, no network; warm-up %s, then %s",
        Durations.format(s.limitWarmup()), Durations.format(s.limitDuration()));
    System.gc();
    DecodeEncodeLimit.Result limit = DecodeEncodeLimit.run(pool, s.limitWarmup(), s.limitDuration());
    double pipelineCost = max.gatewayCpuSecondsPerMillionSpans();
    double limitCost = limit.processCpuSecondsPerMillionSpans();
    double ratio = limitCost / pipelineCost;
    say("      %.3f CPU-s per million spans (process; thread alone %.3f), %,.0f spans/s on one core",
        limitCost, limit.threadCpuSecondsPerMillionSpans(), limit.spansPerSecond());

    // Checks that make the figures trustworthy, or say why not.
    if (failedCalls > 0) {
      notes.add(String.format(Locale.ROOT, "The gateway refused or failed %,d calls (%s).", failedCalls, failures));
    }
    if (totalDelivered != totalAccepted) {
      notes.add(String.format(Locale.ROOT, "The sink received %,d spans but the gateway accepted %,d.",
          totalDelivered, totalAccepted));
    }
    if (invalid > 0) {
      notes.add("The sink received invalid requests: " + firstProblem);
    }
    if (latency.getTotalCount() != expectedStamps) {
      notes.add(String.format(Locale.ROOT, "%,d requests were due in the latency window but %,d reached the sink.",
          expectedStamps, latency.getTotalCount()));
    }
    if (atRate.spansPerSecond() < targetRate * 0.95) {
      notes.add(String.format(Locale.ROOT, "The latency phase delivered %,.0f spans/s, below its target %,.0f.",
          atRate.spansPerSecond(), targetRate));
    }
    if (gatewayExit != 0 && gatewayExit != 143) { // 143: the JVM's exit status after SIGTERM
      notes.add("The gateway exited with code " + gatewayExit + " when stopped (-1: it had to be killed).");
    }
    double loadNow = Double.parseDouble(loadAtStart.split(" ")[0]);
    if (loadNow >= 0.6) {
      notes.add("The 1-minute load average was " + loadNow + " at the start: something else was using the CPUs.");
    }

    // The report.
    Map<String, String> table = new LinkedHashMap<>();
    table.put("Throughput at maximum (spans delivered to the sink)", String.format(Locale.ROOT, "%,.0f spans/s",
        max.spansPerSecond()));
    table.put("Gateway CPU at maximum", String.format(Locale.ROOT, "%.3f CPU-s per million spans (%.2f cores busy)",
        pipelineCost, max.gatewayCores()));
    table.put(String.format(Locale.ROOT, "Latency at %.0f%% of maximum (%,.0f spans/s), p50",
        s.latencyFraction() * 100, targetRate), String.format(Locale.ROOT, "%.1f ms",
        ms(latency.getValueAtPercentile(50))));
    table.put("Latency, p99", String.format(Locale.ROOT, "%.1f ms", ms(latency.getValueAtPercentile(99))));
    table.put("Latency, max", String.format(Locale.ROOT, "%.1f ms", ms(latency.getMaxValue())));
    table.put(String.format(Locale.ROOT, "Gateway CPU at %.0f%% of maximum", s.latencyFraction() * 100),
        String.format(Locale.ROOT, "%.3f CPU-s per million spans (%.2f cores busy)",
            atRate.gatewayCpuSecondsPerMillionSpans(), atRate.gatewayCores()));
    table.put("Gateway peak RSS (VmHWM)", String.format(Locale.ROOT, "%.0f MiB", peakRss / 1048576.0));
    table.put("Limit: decode + re-encode, same JVM options, no network", String.format(Locale.ROOT,
        "%.3f CPU-s per million spans (%,.0f spans/s on one core)", limitCost, limit.spansPerSecond()));
    table.put("Ratio limit / pipeline (CPU per span; 1.0 = gateway costs no more than decode + encode)",
        String.format(Locale.ROOT, "%.2f (aim: at least %.1f, %s)", ratio, AIM_RATIO,
            ratio >= AIM_RATIO ? "met" : "NOT met"));

    say("");
    say("Results (compression: none on both hops; batch send_batch_size/timeout as in the config below)");
    Reports.sayTable(table);
    for (String n : notes) {
      say("  NOTE: %s", n);
    }

    Map<String, String> details = new LinkedHashMap<>();
    details.put("Spans accepted / delivered, whole run", String.format(Locale.ROOT, "%,d / %,d", totalAccepted,
        totalDelivered));
    details.put("Failed or refused calls", String.format(Locale.ROOT, "%,d%s", failedCalls,
        failedCalls > 0 ? " (" + failures + ")" : ""));
    details.put("Sink requests decoded in full to check them", String.format(Locale.ROOT, "%,d, %,d invalid",
        validated, invalid));
    details.put("Gateway CPU at maximum by threads", describeGroups(maxByThreads, max));
    details.put("Runner CPU at maximum (load generator + sink)", String.format(Locale.ROOT, "%.2f cores",
        max.runnerCores()));
    details.put("Latency: requests recorded / due in the window", String.format(Locale.ROOT, "%,d / %,d",
        latency.getTotalCount(), expectedStamps));
    details.put("Latency: mean, p90, p99.9", String.format(Locale.ROOT, "%.1f ms, %.1f ms, %.1f ms",
        latency.getMean() / 1e6, ms(latency.getValueAtPercentile(90)), ms(latency.getValueAtPercentile(99.9))));
    details.put("Limit: thread CPU alone (no GC, no JIT)", String.format(Locale.ROOT, "%.3f CPU-s per million spans",
        limit.threadCpuSecondsPerMillionSpans()));
    for (Map.Entry<String, Double> m : selfMetrics.entrySet()) {
      details.put("Gateway self-metric " + m.getKey(), String.format(Locale.ROOT, "%,.0f", m.getValue()));
    }

    String markdown = markdown(s, startedAt, loadAtStart, java, pool, bytesPerSpan, table, details, notes);
    Files.createDirectories(s.results());
    Path file = Reports.resultsFile(s.results(), "otlp-passthrough", startedAt.toLocalDate());
    Files.writeString(file, markdown, StandardCharsets.UTF_8);
    say("");
    say("Written to %s", s.home().relativize(file));
    return 0;
  }

  // ---- phases ------------------------------------------------------------------------------------

  private static Snapshot snapshot(TraceSink sink, LoadGenerator gen, ServerProcess gateway, long self)
      throws IOException {
    long nanos = System.nanoTime();
    return new Snapshot(nanos, sink.spans(), gen.acceptedSpans(), gateway.cpuTicks(), ProcStats.cpuTicks(self));
  }

  /** Stops sending and waits until everything the gateway accepted reached the sink (or stopped arriving). */
  private static void drain(LoadGenerator gen, TraceSink sink, ServerProcess gateway) throws Exception {
    if (!gen.stop(Duration.ofSeconds(60))) {
      throw new BenchmarkFailed("calls to the gateway were still outstanding 60 s after the load stopped;"
          + " the end of its log:\n" + gateway.logTail(40));
    }
    sink.awaitQuiet(gen.acceptedSpans(), 2000, 30_000);
  }

  /** "garbage collector 45% (10.8 CPU-s per million spans), ..." from ticks by thread group. */
  private static String describeGroups(Map<String, Long> groups, Phase phase) {
    long total = groups.values().stream().mapToLong(Long::longValue).sum();
    if (total <= 0) {
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

  // ---- the Markdown report -----------------------------------------------------------------------

  private static String markdown(Settings s, ZonedDateTime startedAt, String loadAtStart, Path java,
      TraceRequests pool, double bytesPerSpan, Map<String, String> table, Map<String, String> details,
      List<String> notes) throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# OTLP traces pass-through").append(s.label().isEmpty() ? "" : " (" + s.label() + ")").append("\n\n");
    md.append("`otlp` receiver (gRPC) → `batch` → `otlp` exporter (gRPC) → counting sink; compression none on both"
        + " hops. Run of ").append(startedAt.format(DateTimeFormatter.ISO_OFFSET_DATE_TIME)).append(".\n\n");
    md.append("| Figure | Value |\n|---|---|\n");
    table.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));
    if (!notes.isEmpty()) {
      md.append("\n**Notes**\n\n");
      notes.forEach(n -> md.append("- ").append(n).append('\n'));
    }
    md.append("\n## Details\n\n| | |\n|---|---|\n");
    details.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v).append(" |\n"));

    md.append("\n## How it was measured\n\n");
    md.append("- Gateway: its own JVM, `java ").append(String.join(" ", s.gatewayJvmOptions()))
        .append(" -jar gateway/target/sluice.jar --config ").append(s.home().relativize(s.config()))
        .append("`. Load generator and sink: one other JVM (the runner, ")
        .append(String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments().stream()
            .filter(a -> a.startsWith("-X")).collect(Collectors.toList())))
        .append("), so that both read one clock. All on 127.0.0.1.\n");
    md.append(String.format(Locale.ROOT, "- Requests: a pool of %d distinct `ExportTraceServiceRequest`s of %d spans"
        + " each (%,.0f bytes per request, %.0f bytes and %.1f attributes per span on average): one resource with"
        + " 28 SDK/host/k8s attributes, four instrumentation scopes, traces of 8 spans (HTTP server, 3 JDBC,"
        + " 2 HTTP client, 2 internal with events; one trace in 50 fails with an exception event), random trace"
        + " and span ids.%n", pool.size(), pool.spansPerRequest(), (double) pool.totalBytes() / pool.size(),
        bytesPerSpan, pool.attributesPerSpan()));
    md.append(String.format(Locale.ROOT, "- Maximum: %d calls outstanding over %d HTTP/2 connections (a new call as"
        + " soon as one is answered); warm-up %s, then %s measured. Throughput counts spans that reached the"
        + " sink. Gateway CPU is utime + stime of its process from `/proc/<pid>/stat` (every thread: GC and JIT"
        + " included), %d ticks per second.%n", s.concurrency(), s.connections(), Durations.format(s.warmup()),
        Durations.format(s.duration()), ProcStats.clockTicksPerSecond()));
    md.append(String.format(Locale.ROOT, "- Latency: an open loop at %.0f%% of the measured maximum, one request"
        + " every fixed interval; each request carries its intended send time in the resource attribute `%s`,"
        + " and the sink records arrival minus intended time in an HdrHistogram (3 significant digits). Counting"
        + " from the intended time accounts for coordinated omission: a request that had to wait to be sent"
        + " still counts the wait. Settle %s, then %s measured; every request due in the window is counted,"
        + " however late it arrives.%n", s.latencyFraction() * 100, TraceRequests.STAMP_KEY,
        Durations.format(s.latencySettle()), Durations.format(s.latencyDuration())));
    md.append(String.format(Locale.ROOT, "- Limit: after the gateway is stopped, the runner's JVM (same JVM options)"
        + " decodes each pooled request with `ExportTraceServiceRequest.parseFrom(byte[])` and encodes it into a"
        + " reused buffer with `writeTo(CodedOutputStream)`, on one thread; warm-up %s, then %s measured. Its"
        + " cost is the process's CPU time (so GC and JIT count as they do for the gateway) per span. Ratio ="
        + " limit / pipeline.%n", Durations.format(s.limitWarmup()), Durations.format(s.limitDuration())));

    md.append(Reports.machineMarkdown(s.home(), java, loadAtStart));
    md.append("\n## Config\n\n`").append(s.home().relativize(s.config())).append("`:\n\n```yaml\n")
        .append(Files.readString(s.config()).strip()).append("\n```\n");
    return md.toString();
  }
}
