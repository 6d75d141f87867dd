package io.sluice.perf;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.exporter.jaeger.JaegerEncoderProbe;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * What the {@code jaeger} exporter's translation costs, on one thread with no network, over the
 * same requests the pass-through benchmark's load generator sends ({@link TraceRequests}: whole
 * traces of an instrumented service, about twenty attributes on server spans). Loops over the
 * same requests:
 *
 * <ol>
 *   <li><b>translate (encoded)</b>: the exporter's work for a batch an OTLP receiver handed on:
 *       the request's resources found in its bytes, translated from the bytes and encoded as a
 *       Jaeger {@code PostSpansRequest}; everything but the call;</li>
 *   <li><b>translate (parsed)</b>: the exporter's work for a batch a processor rewrote: the parsed
 *       resources (parsed before the loop) encoded as OTLP, then translated;</li>
 *   <li><b>parse</b>: the OTLP request parsed into the generated classes: what translating from
 *       objects would add to an encoded batch;</li>
 *   <li><b>OTLP decode + encode</b>: parsed and written back as OTLP, the floor of a Java OTLP
 *       pass-through ({@link DecodeEncodeLimit}), for scale.</li>
 * </ol>
 *
 * <p>Figures are the looping thread's CPU time per million spans and the spans one core does per
 * second; also the size of the Jaeger request against the OTLP request's, which the exporter's
 * {@code max_request_size} (counted in OTLP bytes) relies on. Settings: {@code bench.spans} spans
 * per request (default 512), {@code bench.requests} distinct requests (64), {@code bench.warmup}
 * (10s) and {@code bench.duration} (20s) per loop, {@code bench.results} and {@code bench.label}.
 */
public final class JaegerTranslationRunner {
  private JaegerTranslationRunner() {}

  public static void main(String[] args) throws Exception {
    int spans = Integer.getInteger("bench.spans", 512);
    int count = Integer.getInteger("bench.requests", 64);
    Duration warmup = Durations.property("bench.warmup", "10s");
    Duration duration = Durations.property("bench.duration", "20s");
    Path home = Path.of(System.getProperty("bench.home", ".")).toAbsolutePath().normalize();
    Path results = home.resolve(System.getProperty("bench.results", "perf-tests/results"));
    String label = System.getProperty("bench.label", "");
    String load = Files.readString(Path.of("/proc/loadavg")).trim();
    LocalDateTime startedAt = LocalDateTime.now();

    TraceRequests pool = TraceRequests.build(count, spans, 42);
    Reports.say("Jaeger translation: %d requests of %d spans (%.1f attributes per span, %d bytes per request on"
        + " average); load average %s", count, spans, pool.attributesPerSpan(), pool.totalBytes() / count, load);

    long jaegerBytes = 0;
    JaegerEncoderProbe probe = new JaegerEncoderProbe();
    Map<byte[], List<ResourceSpans>> parsed = new IdentityHashMap<>();
    for (int i = 0; i < pool.size(); i++) {
      byte[] fromBytes = probe.encode(pool.get(i));
      List<ResourceSpans> resources = ExportTraceServiceRequest.parseFrom(pool.get(i)).getResourceSpansList();
      if (!Arrays.equals(fromBytes, probe.encode(resources))) {
        throw new IllegalStateException("request " + i + " translates differently from its bytes and its objects");
      }
      parsed.put(pool.get(i), resources);
      jaegerBytes += fromBytes.length;
    }
    double sizeRatio = (double) jaegerBytes / pool.totalBytes();

    Loop encoded = measure(pool, warmup, duration, r -> probe.encode(r).length);
    Loop decoded = measure(pool, warmup, duration, r -> probe.encode(parsed.get(r)).length);
    Loop parse = measure(pool, warmup, duration, r -> ExportTraceServiceRequest.parseFrom(r).getSerializedSize());
    DecodeEncodeLimit.Result floor = DecodeEncodeLimit.run(pool, warmup, duration);

    Map<String, String> table = new LinkedHashMap<>();
    table.put("translate an encoded batch (bytes → Jaeger)", encoded.describe());
    table.put("translate a parsed batch (objects → OTLP bytes → Jaeger)", decoded.describe());
    table.put("parse alone (OTLP bytes → objects)", parse.describe());
    table.put("OTLP decode + encode (pass-through floor)", String.format(Locale.ROOT,
        "%.2f CPU-s per million spans (%,.0f spans per CPU-second)", floor.threadCpuSecondsPerMillionSpans(),
        1e6 / floor.threadCpuSecondsPerMillionSpans()));
    table.put("Jaeger request bytes / OTLP request bytes", String.format(Locale.ROOT, "%.3f", sizeRatio));
    Reports.sayTable(table);

    StringBuilder md = new StringBuilder();
    md.append("# Jaeger translation, ").append(startedAt.toLocalDate())
        .append(label.isEmpty() ? "" : " (" + label + ")").append("\n\n")
        .append("One thread, no network: ").append(count).append(" OTLP requests of ").append(spans)
        .append(" spans from `TraceRequests` (").append(String.format(Locale.ROOT, "%.1f", pool.attributesPerSpan()))
        .append(" attributes per span), each loop ").append(Durations.format(duration)).append(" after ")
        .append(Durations.format(warmup)).append(" of warm-up. CPU time is the looping thread's.\n\n");
    Reports.markdownTable(md, table, "loop", "result");
    double loadAtStart = Reports.oneMinuteLoad(load);
    if (loadAtStart > 1) {
      md.append(String.format(Locale.ROOT, "%nNOTE: the machine was busy (1-minute load %.2f on %d CPUs at the start):"
          + " the figures are this thread's CPU time, which other processes inflate less than they do wall time,"
          + " but caches and frequency are shared; compare with runs on a quiet machine.%n", loadAtStart,
          Runtime.getRuntime().availableProcessors()));
    }
    md.append(Reports.machineMarkdown(home, Path.of(ProcessHandle.current().info().command().orElse("java")), load));
    md.append("\nRunner JVM options: `").append(Reports.runnerJvmOptions()).append("`\n");
    Files.createDirectories(results);
    Path file = Reports.resultsFile(results, "jaeger-translation", startedAt.toLocalDate(), label);
    Files.writeString(file, md.toString());
    Reports.say("Results: %s", home.relativize(file.toAbsolutePath()));
  }

  /** One request's work; returns something derived from its output. */
  private interface Work {
    int run(byte[] request) throws IOException;
  }

  private record Loop(long spans, long cpuNanos, long wallNanos) {
    double cpuSecondsPerMillion() {
      return cpuNanos / 1e9 / spans * 1e6;
    }

    String describe() {
      return String.format(Locale.ROOT, "%.2f CPU-s per million spans (%,.0f spans per CPU-second)",
          cpuSecondsPerMillion(), spans / (cpuNanos / 1e9));
    }
  }

  private static Loop measure(TraceRequests pool, Duration warmup, Duration duration, Work work) throws IOException {
    long sink = loop(pool, warmup.toNanos(), work)[1];
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long cpu0 = threads.getCurrentThreadCpuTime();
    long t0 = System.nanoTime();
    long[] r = loop(pool, duration.toNanos(), work);
    long wall = System.nanoTime() - t0;
    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
    if (r[1] + sink == 42) {
      Reports.say("(checksum %d)", r[1]);
    }
    return new Loop(r[0] * pool.spansPerRequest(), cpu, wall);
  }

  /** Runs {@code work} over the pool for {@code nanos}; returns {requests done, checksum}. */
  private static long[] loop(TraceRequests pool, long nanos, Work work) throws IOException {
    long end = System.nanoTime() + nanos;
    long done = 0;
    long sum = 0;
    do {
      sum = sum * 31 + work.run(pool.get(done));
      done++;
    } while (System.nanoTime() - end < 0);
    return new long[] {done, sum};
  }
}
