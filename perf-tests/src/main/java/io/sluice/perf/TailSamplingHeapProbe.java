package io.sluice.perf;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Host;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The heap the {@code tail_sampling} processor itself holds per trace in flight, beyond the
 * encoded bytes of the spans: in this JVM, with no receiver or exporter around it (whose buffer
 * pools blur the figure in a gateway), it takes the benchmark's interleaved requests with a
 * decision wait of an hour, so every trace stays held; then heap in use after a full GC, less the
 * same before, less the span bytes the processor reports, per trace held.
 */
final class TailSamplingHeapProbe {
  private TailSamplingHeapProbe() {}

  /** What the probe found. */
  record Result(long traces, long spanBytes, long heapBytes, int requests) {
    double beyondPer10k() {
      return (heapBytes - spanBytes) / (double) traces * 10_000;
    }

    double spanBytesPerTrace() {
      return spanBytes / (double) traces;
    }
  }

  /** Takes {@code requests} interleaved requests (each trace's spans {@code step} requests apart). */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static Result run(TraceRequests pool, int requests, long step) throws Exception {
    Vertx vertx = Vertx.vertx();
    SelfMetrics metrics = new SelfMetrics();
    try {
      ProcessorFactory factory = Factories.load().processor("tail_sampling");
      Object config = ConfigLoader.bindComponent(factory, """
          decision_wait: 1h
          acknowledge: on_receipt
          num_traces: 10000000
          max_bytes: 17179869184
          policies: [{name: all, type: always_sample}]
          """);
      ComponentContext ctx = new ComponentContext(ComponentId.parse("tail_sampling"), ComponentKind.PROCESSOR,
          "traces", vertx, metrics, Host.ALWAYS_READY);
      Processor p = factory.create(ctx, (io.sluice.core.ComponentConfig) config, Signal.TRACES,
          b -> Future.succeededFuture());
      p.start().await(10, TimeUnit.SECONDS);
      long before = heapAfterGc();
      for (int i = 0; i < requests; i++) {
        byte[] b = pool.retraced(i, step, 0xC0FFEEL);
        Batch batch = Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, b, 0, b.length),
            Envelope.of(ComponentId.parse("otlp")));
        p.consume(batch).await(30, TimeUnit.SECONDS);
      }
      long after = heapAfterGc();
      // The gauges are published by the decision timer; wait for a tick that saw every trace.
      long traces = 0;
      long spanBytes = 0;
      for (int i = 0; i < 100 && traces == 0; i++) {
        Thread.sleep(50);
        Map<String, Double> m = gauges(metrics);
        traces = m.getOrDefault("sluice_processor_tail_sampling_sampling_traces_on_memory", 0.0).longValue();
        spanBytes = m.getOrDefault("sluice_processor_tail_sampling_bytes_on_memory", 0.0).longValue();
      }
      Result r = new Result(traces, spanBytes, after - before, requests);
      p.shutdown().await(60, TimeUnit.SECONDS);
      return r;
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static Map<String, Double> gauges(SelfMetrics metrics) {
    Map<String, Double> m = new HashMap<>();
    for (MetricSnapshot s : metrics.registry().scrape()) {
      for (DataPointSnapshot dp : s.getDataPoints()) {
        if (dp instanceof GaugeDataPointSnapshot g) {
          m.merge(s.getMetadata().getName(), g.getValue(), Double::sum);
        }
      }
    }
    return m;
  }

  private static long heapAfterGc() throws InterruptedException {
    MemoryMXBean mem = ManagementFactory.getMemoryMXBean();
    for (int i = 0; i < 3; i++) {
      System.gc();
      Thread.sleep(100);
    }
    return mem.getHeapMemoryUsage().getUsed();
  }

  /** {@code TailSamplingHeapProbe [requests] [step]}: prints the figure. */
  public static void main(String[] args) throws Exception {
    int requests = args.length > 0 ? Integer.parseInt(args[0]) : 2000;
    long step = args.length > 1 ? Long.parseLong(args[1]) : 10;
    TraceRequests pool = TraceRequests.build(32, 520, 42, true);
    Result r = run(pool, requests, step);
    System.out.printf(Locale.ROOT, "%,d traces held, %.0f span bytes each; heap beyond the spans' bytes: %.2f MiB"
        + " per 10,000 traces (%,d bytes per trace)%n", r.traces(), r.spanBytesPerTrace(),
        r.beyondPer10k() / 1048576, (long) (r.beyondPer10k() / 10_000));
  }
}
