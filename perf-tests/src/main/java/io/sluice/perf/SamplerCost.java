package io.sluice.perf;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Host;
import io.sluice.core.Processor;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.processor.probabilisticsampler.ProbabilisticSamplerProcessorConfig;
import io.sluice.processor.probabilisticsampler.ProbabilisticSamplerProcessorFactory;
import io.vertx.core.Future;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.LongUnaryOperator;

/**
 * What the {@code probabilistic_sampler} processor costs per span, on one thread with no network,
 * over the load generator's requests (8-span traces, about 20 attributes on server spans): CPU
 * time and bytes allocated per span for a batch that arrived encoded (decided in its bytes, as
 * the OTLP receiver hands it on) and for the same batch parsed first, next to parsing alone, the
 * floor of any processor that reads objects. The encoded cases include scanning the request's
 * framing, which the OTLP receiver does for every request anyway (measured on its own too). The
 * processor's output is the batch the next component gets; writing it out is the exporter's work
 * and not counted.
 *
 * <pre>
 * mvn -B -q -pl perf-tests -am package -DskipTests
 * java -cp "perf-tests/target/classes:$(cat perf-tests/target/classpath.txt)" io.sluice.perf.SamplerCost [seconds]
 * </pre>
 */
public final class SamplerCost {
  private SamplerCost() {}

  public static void main(String[] args) throws Exception {
    int seconds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
    TraceRequests pool = TraceRequests.build(64, 512, 7);
    List<byte[]> requests = new ArrayList<>();
    for (int i = 0; i < pool.size(); i++) {
      requests.add(pool.get(i));
    }
    int spans = pool.spansPerRequest();
    System.out.printf(Locale.ROOT, "%d requests of %d spans, %d s per case after %d s of warm-up%n%n",
        requests.size(), spans, seconds, seconds);
    System.out.printf(Locale.ROOT, "| case | CPU ns per span | bytes allocated per span | kept |%n|---|---:|---:|---:|%n");
    measure("parse the request into objects (no sampling)", requests, spans, seconds, i -> {
      ExportTraceServiceRequest r = parse(requests.get((int) i));
      return r.getResourceSpansCount();
    });
    measure("scan the request's framing (the OTLP receiver's share, in every encoded case)", requests, spans, seconds,
        i -> scan(requests.get((int) i)).itemCount());
    for (String settings : new String[] {"sampling_percentage: 10", "mode: proportional\nsampling_percentage: 10"}) {
      Processor p = processor(settings);
      String name = settings.replace('\n', ' ');
      measure(name + ", encoded batch", requests, spans, seconds, i -> {
        byte[] b = requests.get((int) i);
        Batch batch = Batch.encoded(scan(b), Envelope.of(ComponentId.parse("otlp")));
        return consume(p, batch);
      });
      measure(name + ", parsed batch (parse included)", requests, spans, seconds, i -> {
        ExportTraceServiceRequest r = parse(requests.get((int) i));
        return consume(p, Batch.traces(r.getResourceSpansList(), Envelope.of(ComponentId.parse("otlp"))));
      });
    }
  }

  private static long kept;

  private static long consume(Processor p, Batch batch) {
    Future<Void> f = p.consume(batch);
    if (!f.succeeded()) {
      throw new IllegalStateException(f.cause());
    }
    return kept;
  }

  private static Processor processor(String settings) throws Exception {
    ProbabilisticSamplerProcessorFactory f = new ProbabilisticSamplerProcessorFactory();
    ProbabilisticSamplerProcessorConfig c = ConfigLoader.bindComponent(f, settings);
    ComponentContext ctx = new ComponentContext(ComponentId.parse("probabilistic_sampler"), ComponentKind.PROCESSOR,
        "traces", null, new SelfMetrics(), Host.ALWAYS_READY);
    return f.create(ctx, c, Signal.TRACES, batch -> {
      kept += batch.itemCount();
      return Future.succeededFuture();
    });
  }

  private static void measure(String name, List<byte[]> requests, int spans, int seconds, LongUnaryOperator work) {
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long sink = loop(requests, seconds * 1_000_000_000L, work);
    kept = 0;
    long cpu0 = threads.getCurrentThreadCpuTime();
    long alloc0 = threads.getCurrentThreadAllocatedBytes();
    long t0 = System.nanoTime();
    long done = 0;
    long end = t0 + seconds * 1_000_000_000L;
    do {
      sink += work.applyAsLong(done % requests.size());
      done++;
    } while (System.nanoTime() - end < 0);
    long cpu = threads.getCurrentThreadCpuTime() - cpu0;
    long alloc = threads.getCurrentThreadAllocatedBytes() - alloc0;
    long total = done * spans;
    System.out.printf(Locale.ROOT, "| %s | %.0f | %.0f | %s |%n", name, (double) cpu / total, (double) alloc / total,
        kept == 0 ? "-" : String.format(Locale.ROOT, "%.1f%%", 100.0 * kept / total));
    if (sink == 42) {
      System.out.println();
    }
  }

  private static long loop(List<byte[]> requests, long nanos, LongUnaryOperator work) {
    long end = System.nanoTime() + nanos;
    long sum = 0;
    long i = 0;
    do {
      sum += work.applyAsLong(i++ % requests.size());
    } while (System.nanoTime() - end < 0);
    return sum;
  }

  private static ExportTraceServiceRequest parse(byte[] b) {
    try {
      return ExportTraceServiceRequest.parseFrom(b);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static EncodedResources scan(byte[] b) {
    try {
      return EncodedResources.scanRequest(Signal.TRACES, b, 0, b.length);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
