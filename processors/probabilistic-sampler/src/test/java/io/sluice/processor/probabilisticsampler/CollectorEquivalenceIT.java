package io.sluice.processor.probabilisticsampler;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.netty.NettyChannelBuilder;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Processor;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.OtelCollector;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestContexts;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The same spans and log records through the real OpenTelemetry Collector's
 * {@code probabilistic_sampler} and through Sluice's, with the same processor settings: what
 * each keeps, and every field of what it keeps (the tracestate it writes, the sampling
 * attributes), must be the same.
 *
 * <p>One Collector process runs one pipeline per scenario (OTLP receiver, the processor, an OTLP
 * exporter without queue or retries to a gRPC sink that files what it gets by scenario), so that
 * when the Collector answers a request its output has reached the sink. Sluice's processor gets
 * the request's bytes as its OTLP receiver would hand them on.
 *
 * <p>The few differences by design are checked as such: see {@link #asSluiceWritesIt}.
 */
class CollectorEquivalenceIT {
  record Scenario(String name, Signal signal, String settings, int seed) {
    boolean hashSeed() {
      return !settings.contains("mode: proportional") && !settings.contains("mode: equalizing");
    }

    @Override
    public String toString() {
      return name + " {" + settings.replace('\n', ',') + "}";
    }
  }

  static List<Scenario> scenarios() {
    return List.of(
        new Scenario("hash_10", Signal.TRACES, "sampling_percentage: 10", 1),
        new Scenario("hash_seed42_33_3", Signal.TRACES, "sampling_percentage: 33.3\nhash_seed: 42", 2),
        new Scenario("hash_seedmax_99_99", Signal.TRACES,
            "mode: hash_seed\nsampling_percentage: 99.99\nhash_seed: 4294967295", 3),
        new Scenario("hash_below_one_bucket", Signal.TRACES, "sampling_percentage: 0.0061\nhash_seed: 9", 4),
        new Scenario("proportional_25", Signal.TRACES, "mode: proportional\nsampling_percentage: 25", 5),
        new Scenario("proportional_3_precision_2", Signal.TRACES,
            "mode: proportional\nsampling_percentage: 3\nsampling_precision: 2", 6),
        new Scenario("equalizing_10_precision_6", Signal.TRACES,
            "mode: equalizing\nsampling_percentage: 10\nsampling_precision: 6", 7),
        new Scenario("logs_record_40", Signal.LOGS,
            "sampling_percentage: 40\nhash_seed: 3\nattribute_source: record\nfrom_attribute: log.id", 8),
        new Scenario("logs_trace_id_60", Signal.LOGS,
            "sampling_percentage: 60\nhash_seed: 5\nfrom_attribute: log.id\nsampling_priority: prio", 9),
        new Scenario("logs_proportional_25", Signal.LOGS,
            "mode: proportional\nsampling_percentage: 25\nsampling_priority: prio", 10));
  }

  private static final ByteString NO_TRACE_ID = ByteString.copyFrom(new byte[16]);
  private static final int SPANS = 3000;
  private static final int RECORDS = 2000;

  private static OtlpSink sink;
  private static OtelCollector collector;
  private static final Map<String, Integer> PORTS = new HashMap<>();

  @BeforeAll
  static void startCollector() throws Exception {
    sink = new OtlpSink();
    StringBuilder receivers = new StringBuilder("receivers:\n");
    StringBuilder processors = new StringBuilder("processors:\n");
    StringBuilder exporters = new StringBuilder("exporters:\n");
    StringBuilder pipelines = new StringBuilder();
    for (Scenario s : scenarios()) {
      int port = Ports.freePort();
      PORTS.put(s.name(), port);
      receivers.append("  otlp/").append(s.name()).append(":\n    protocols:\n      grpc:\n        endpoint: 127.0.0.1:")
          .append(port).append('\n');
      processors.append("  probabilistic_sampler/").append(s.name()).append(":\n")
          .append(s.settings().lines().map(l -> "    " + l + "\n").collect(Collectors.joining()));
      exporters.append("  otlp_grpc/").append(s.name()).append(":\n    endpoint: 127.0.0.1:").append(sink.port())
          .append("\n    tls:\n      insecure: true\n    headers:\n      ").append(OtlpSink.SCENARIO_HEADER)
          .append(": ").append(s.name())
          .append("\n    sending_queue:\n      enabled: false\n    retry_on_failure:\n      enabled: false\n");
      pipelines.append("    ").append(s.signal().configName()).append('/').append(s.name()).append(":\n")
          .append("      receivers: [otlp/").append(s.name()).append("]\n")
          .append("      processors: [probabilistic_sampler/").append(s.name()).append("]\n")
          .append("      exporters: [otlp_grpc/").append(s.name()).append("]\n");
    }
    String config = receivers + "" + processors + exporters + "service:\n  telemetry:\n    metrics:\n      level: none\n"
        + "    logs:\n      level: warn\n  pipelines:\n" + pipelines;
    collector = OtelCollector.start(config);
  }

  @AfterAll
  static void stopCollector() {
    if (collector != null) {
      collector.close();
    }
    if (sink != null) {
      sink.close();
    }
  }

  @ParameterizedTest
  @MethodSource("scenarios")
  void sluiceKeepsWhatTheCollectorKeepsAndWritesTheSame(Scenario s) throws Exception {
    ProbabilisticSamplerProcessorConfig config = ConfigLoader.bindComponent(
        new ProbabilisticSamplerProcessorFactory(), s.settings());
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", PORTS.get(s.name())).usePlaintext()
        .maxInboundMessageSize(64 << 20).build();
    try {
      if (s.signal() == Signal.TRACES) {
        ExportTraceServiceRequest req = SamplingTestData.traces(SPANS, s.seed());
        TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).export(req);
        List<ResourceSpans> fromCollector = sink.spans(s.name());
        List<ResourceSpans> fromSluice = sluice(config, Signal.TRACES, req.toByteArray()).resourceSpans();
        compareSpans(s, req, fromCollector, fromSluice);
      } else {
        ExportLogsServiceRequest req = SamplingTestData.logs(RECORDS, s.seed());
        LogsServiceGrpc.newBlockingStub(channel).withDeadlineAfter(60, TimeUnit.SECONDS).export(req);
        List<ResourceLogs> fromCollector = sink.logs(s.name());
        List<ResourceLogs> fromSluice = sluice(config, Signal.LOGS, req.toByteArray()).resourceLogs();
        Map<Long, String> collectorKept = SamplingTestData.samplingAttributes(fromCollector);
        assertThat(collectorKept.size()).as("records the Collector kept").isBetween(100, RECORDS - 100);
        assertThat(SamplingTestData.samplingAttributes(fromSluice)).as("kept records and their sampling attributes")
            .containsExactlyEntriesOf(collectorKept);
        assertThat(fromSluice).as("every field of every kept record").isEqualTo(fromCollector);
      }
    } finally {
      channel.shutdownNow();
    }
  }

  private void compareSpans(Scenario s, ExportTraceServiceRequest sent, List<ResourceSpans> fromCollector,
      List<ResourceSpans> fromSluice) {
    Map<String, String> collectorKept = SamplingTestData.traceStates(fromCollector);
    Map<String, String> sluiceKept = SamplingTestData.traceStates(fromSluice);
    if (s.name().equals("hash_below_one_bucket")) {
      assertThat(collectorKept.size()).as("only spans kept by sampling.priority").isBetween(1, 200);
    } else {
      assertThat(collectorKept.size()).as("spans the Collector kept").isBetween(50, SPANS - 10);
    }
    assertThat(sluiceKept.keySet()).as("kept spans").containsExactlyElementsOf(collectorKept.keySet());

    Map<ByteString, Span> original = spansById(sent.getResourceSpansList());
    int[] differences = new int[3];
    List<ResourceSpans> expected = new ArrayList<>();
    for (ResourceSpans rs : fromCollector) {
      ResourceSpans.Builder rb = rs.toBuilder().clearScopeSpans();
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        ScopeSpans.Builder sb = ss.toBuilder().clearSpans();
        for (Span span : ss.getSpansList()) {
          sb.addSpans(asSluiceWritesIt(s, span, original.get(span.getSpanId()), differences));
        }
        rb.addScopeSpans(sb);
      }
      expected.add(rb.build());
    }
    String what = "(" + differences[0] + " all-zero trace IDs, " + differences[1] + " made-up rv, " + differences[2]
        + " unreadable tracestates rewritten at 0%)";
    assertThat(sluiceKept).as("the tracestate of every kept span %s", what)
        .containsExactlyEntriesOf(SamplingTestData.traceStates(expected));
    Map<ByteString, Span> sluiceSpans = spansById(fromSluice);
    spansById(expected).forEach((id, span) -> assertThat(sluiceSpans.get(id))
        .as("every field of span %s %s", java.util.HexFormat.of().formatHex(id.toByteArray()), what)
        .isEqualTo(span));
    assertThat(fromSluice).as("resources and scopes as the Collector keeps them").isEqualTo(expected);
  }

  private static Map<ByteString, Span> spansById(List<ResourceSpans> resources) {
    Map<ByteString, Span> out = new HashMap<>();
    resources.forEach(rs -> rs.getScopeSpansList().forEach(ss -> ss.getSpansList()
        .forEach(span -> out.put(span.getSpanId(), span))));
    return out;
  }

  /**
   * A span as the Collector sent it on, changed where Sluice writes it otherwise by design, each
   * change counted in {@code differences}:
   * <ol>
   *   <li>The Collector writes an all-zero trace ID as none; Sluice passes on the bytes it got.
   *   <li>{@code hash_seed} mode: a span without a trace ID kept anyway (by priority) gets
   *       {@code rv:ffffffffffffff} from the Collector, a randomness it does not have; Sluice
   *       writes no {@code rv}.
   *   <li>At 0% a span kept by priority whose tracestate does not parse gets {@code ot=th:0} in
   *       place of it from the Collector (in its other modes the Collector leaves such a
   *       tracestate as it is); Sluice leaves it as it is in every mode.
   * </ol>
   */
  private static Span asSluiceWritesIt(Scenario s, Span span, Span sent, int[] differences) {
    Span.Builder b = span.toBuilder();
    // Not a difference: the Collector encodes an unset status as an empty message, Sluice passes
    // on the span without one, as it came; both read as UNSET.
    if (!sent.hasStatus() && span.getStatus().equals(Status.getDefaultInstance())) {
      b.clearStatus();
    }
    if (span.getTraceId().isEmpty() && sent.getTraceId().equals(NO_TRACE_ID)) {
      b.setTraceId(NO_TRACE_ID);
      differences[0]++;
      if (s.hashSeed() && span.getTraceState().startsWith("ot=rv:ffffffffffffff;")) {
        b.setTraceState("ot=" + span.getTraceState().substring(21));
        differences[1]++;
      }
    }
    if (s.name().equals("hash_below_one_bucket") && !sent.getTraceState().equals(span.getTraceState())
        && List.of("ot=th:", "Bad=1").contains(sent.getTraceState())) {
      b.setTraceState(sent.getTraceState());
      differences[2]++;
    }
    return b.build();
  }

  private static Batch sluice(ProbabilisticSamplerProcessorConfig config, Signal signal, byte[] request)
      throws Exception {
    CapturingConsumer out = new CapturingConsumer();
    Processor p = new ProbabilisticSamplerProcessorFactory().create(TestContexts.processorContext(null,
        "probabilistic_sampler", signal.configName(), new SelfMetrics()), config, signal, out);
    Batch in = Batch.encoded(EncodedResources.scanRequest(signal, request, 0, request.length),
        Envelope.of(ComponentId.parse("otlp")));
    assertThat(p.consume(in).succeeded()).isTrue();
    return out.batches().isEmpty() ? Batch.of(signal, List.of(), in.envelope()) : out.batches().get(0);
  }
}
