package io.sluice.processor.probabilisticsampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.PermanentException;
import io.sluice.core.Processor;
import io.sluice.core.Rejections;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.vertx.core.Future;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

class ProbabilisticSamplerProcessorTest {
  private final SelfMetrics metrics = new SelfMetrics();
  private final CapturingConsumer next = new CapturingConsumer();

  static List<ProbabilisticSamplerProcessorConfig> traceConfigs() {
    return List.of(
        config(33.3, 7, "", true),
        config(10, 0, "", false),
        config(100, 1, "", true),
        config(25, 0, "proportional", true),
        config(50, 0, "proportional", false),
        config(10, 0, "equalizing", true),
        config(30, 0, "equalizing", false),
        config(0, 0, "", false));
  }

  /** The bytes and the objects of the same batch come out the same, and as the sampler decides each span. */
  @ParameterizedTest
  @MethodSource("traceConfigs")
  void encodedAndParsedBatchesAreSampledAlikeAndAsEachSpanIsDecided(ProbabilisticSamplerProcessorConfig c) {
    ExportTraceServiceRequest req = SamplingTestData.traces(3000, 11);
    List<ResourceSpans> fromBytes = resourceSpans(run(c, Signal.TRACES, encodedTraces(req)));
    List<ResourceSpans> fromObjects = resourceSpans(run(c, Signal.TRACES,
        Batch.traces(req.getResourceSpansList(), envelope(Rejections.NONE))));
    assertThat(fromBytes).isEqualTo(fromObjects);

    // Each span on its own, through the sampler: the kept ones, with the tracestate it leaves.
    Sampler sampler = Sampler.of(c);
    TraceStateEditor editor = new TraceStateEditor();
    Map<String, String> expected = new LinkedHashMap<>();
    for (ResourceSpans rs : req.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          byte[] id = s.getTraceId().toByteArray();
          byte[] ts = s.getTraceStateBytes().toByteArray();
          int priority = s.getAttributesList().stream().filter(kv -> kv.getKey().equals("sampling.priority"))
              .map(kv -> AttributeValues.spanPriority(kv.getValue())).findFirst().orElse(Sampler.PRIORITY_NONE);
          int v = sampler.decideSpan(id, 0, id.length, ts, 0, ts.length, priority, editor);
          if (v != Sampler.DROP) {
            expected.put(HexFormat.of().formatHex(s.getSpanId().toByteArray()),
                v == Sampler.KEEP ? s.getTraceState() : new String(editor.write(), StandardCharsets.US_ASCII));
          }
        }
      }
    }
    assertThat(SamplingTestData.traceStates(fromBytes)).containsExactlyEntriesOf(expected);
    // Only the tracestate changes, and only scopes and resources left empty go.
    Map<ByteString, Span> originals = new HashMap<>();
    req.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> ss.getSpansList()
        .forEach(sp -> originals.put(sp.getSpanId(), sp))));
    for (ResourceSpans out : fromBytes) {
      ResourceSpans in = req.getResourceSpansList().stream()
          .filter(r -> r.getResource().equals(out.getResource())).findFirst().orElseThrow();
      assertThat(out.getSchemaUrl()).isEqualTo(in.getSchemaUrl());
      for (ScopeSpans ss : out.getScopeSpansList()) {
        assertThat(ss.getSpansList()).isNotEmpty();
        assertThat(in.getScopeSpansList()).extracting(ScopeSpans::getScope).contains(ss.getScope());
        for (Span sp : ss.getSpansList()) {
          Span before = originals.get(sp.getSpanId());
          assertThat(sp.toBuilder().setTraceState(before.getTraceState()).build()).isEqualTo(before);
        }
      }
    }
  }

  static List<ProbabilisticSamplerProcessorConfig> logConfigs() {
    return List.of(
        new ProbabilisticSamplerProcessorConfig(40, 3, "", 4, true, "record", "log.id", ""),
        new ProbabilisticSamplerProcessorConfig(40, 3, "", 4, false, "traceID", "log.id", "prio"),
        new ProbabilisticSamplerProcessorConfig(60, 0, "", 4, true, "traceID", "", ""),
        new ProbabilisticSamplerProcessorConfig(25, 0, "proportional", 4, true, "traceID", "", "prio"),
        new ProbabilisticSamplerProcessorConfig(25, 0, "equalizing", 6, false, "traceID", "", ""));
  }

  @ParameterizedTest
  @MethodSource("logConfigs")
  void encodedAndParsedLogBatchesAreSampledAlike(ProbabilisticSamplerProcessorConfig c) throws Exception {
    ExportLogsServiceRequest req = SamplingTestData.logs(2000, 5);
    byte[] bytes = req.toByteArray();
    Batch encoded = Batch.encoded(EncodedResources.scanRequest(Signal.LOGS, bytes, 0, bytes.length),
        envelope(Rejections.NONE));
    List<ResourceLogs> fromBytes = resourceLogs(run(c, Signal.LOGS, encoded));
    List<ResourceLogs> fromObjects = resourceLogs(run(c, Signal.LOGS,
        Batch.logs(req.getResourceLogsList(), envelope(Rejections.NONE))));
    assertThat(SamplingTestData.samplingAttributes(fromBytes))
        .containsExactlyEntriesOf(SamplingTestData.samplingAttributes(fromObjects));
    assertThat(fromBytes).isEqualTo(fromObjects);
    int kept = SamplingTestData.samplingAttributes(fromBytes).size();
    assertThat(kept).isBetween(200, 1900);
  }

  @Test
  void aLogRecordsSamplingAttributesAreReplacedWhereTheyAreOrAdded() {
    ProbabilisticSamplerProcessorConfig c = new ProbabilisticSamplerProcessorConfig(100, 0, "proportional", 4, true,
        "traceID", "", "");
    byte[] id = HexFormat.of().parseHex("5b8efff798038103d269b633813fc60c");
    LogRecord withThreshold = LogRecord.newBuilder().setTraceId(ByteString.copyFrom(id))
        .addAttributes(kv("a", "1")).addAttributes(kv("sampling.threshold", "0")).addAttributes(kv("b", "2")).build();
    LogRecord without = LogRecord.newBuilder().setTraceId(ByteString.copyFrom(id)).addAttributes(kv("a", "1"))
        .build();
    for (boolean asBytes : new boolean[] {true, false}) {
      List<ResourceLogs> out = resourceLogs(run(c, Signal.LOGS, logsBatch(asBytes, withThreshold, without)));
      List<LogRecord> records = out.get(0).getScopeLogs(0).getLogRecordsList();
      assertThat(records.get(0).getAttributesList()).containsExactly(kv("a", "1"), kv("sampling.threshold", "0"),
          kv("b", "2"));
      assertThat(records.get(1).getAttributesList()).containsExactly(kv("a", "1"), kv("sampling.threshold", "0"));
    }
  }

  @Test
  void droppedSpansAreCountedForThePartialSuccessAndInSelfMetrics() {
    ExportTraceServiceRequest req = SamplingTestData.traces(1000, 3);
    Rejections rejections = Rejections.counting();
    Batch in = Batch.encoded(scan(req), envelope(rejections));
    Processor p = processor(config(20, 9, "", true), Signal.TRACES);
    assertThat(p.consume(in).succeeded()).isTrue();
    int kept = next.itemCount(Signal.TRACES);
    assertThat(kept).isBetween(100, 300);
    assertThat(rejections.count()).isEqualTo(1000 - kept);
    assertThat(rejections.message()).isEqualTo("not sampled by the probabilistic_sampler processor"
        + " \"probabilistic_sampler/test\"");
    String metric = ProbabilisticSamplerProcessor.COUNT_METRIC;
    assertThat(SelfMetricsReader.counter(metrics, metric, "sampled", "true", "signal", "traces")).isEqualTo(kept);
    assertThat(SelfMetricsReader.counter(metrics, metric, "sampled", "false", "signal", "traces"))
        .isEqualTo(1000 - kept);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_dropped_items", "component_id",
        "probabilistic_sampler/test")).isEqualTo(1000 - kept);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_processor_outgoing_items", "component_id",
        "probabilistic_sampler/test")).isEqualTo(kept);
  }

  @Test
  void aBatchWithNothingKeptIsAcknowledgedWithoutGoingOn() {
    Processor p = processor(config(0, 0, "", true), Signal.TRACES);
    ExportTraceServiceRequest req = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(TestData.resourceSpans("svc", 50, 1)).build();
    Rejections rejections = Rejections.counting();
    Future<Void> f = p.consume(Batch.encoded(scan(req), envelope(rejections)));
    assertThat(f.succeeded()).isTrue();
    assertThat(next.batches()).isEmpty();
    assertThat(rejections.count()).isEqualTo(50);
  }

  @Test
  void aBatchKeptUnchangedIsPassedOnAsItIs() {
    // Fail-open hash_seed mode passes spans that already carry a threshold as they are.
    Span s = Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
        13, 14, 15, 16})).setSpanId(ByteString.copyFrom(new byte[8])).setTraceState("ot=th:8").build();
    ExportTraceServiceRequest req = ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(s).addSpans(s))).build();
    Batch encoded = Batch.encoded(scan(req), envelope(Rejections.NONE));
    Batch parsed = Batch.traces(req.getResourceSpansList(), envelope(Rejections.NONE));
    Processor p = processor(config(50, 0, "", false), Signal.TRACES);
    p.consume(encoded);
    p.consume(parsed);
    assertThat(next.batches()).hasSize(2);
    assertThat(next.batches().get(0)).isSameAs(encoded);
    assertThat(next.batches().get(1)).isSameAs(parsed);
  }

  @Test
  void unchangedSpansAreCopiedAsTheyWereEncodedEvenWithLongerLengthsThanNeeded() throws Exception {
    byte[] id = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    Span inUse = Span.newBuilder().setTraceId(ByteString.copyFrom(id)).setName("a").setTraceState("ot=th:8").build();
    Span plain = Span.newBuilder().setTraceId(ByteString.copyFrom(id)).setName("b").build();
    Span never = plain.toBuilder().setName("c").addAttributes(KeyValue.newBuilder().setKey("sampling.priority")
        .setValue(AnyValue.newBuilder().setIntValue(0))).build();
    // Each span's length written in two bytes (0x80 | n, 0x00), which parsers accept.
    byte[] scope = concat(padded(inUse), padded(plain), padded(never));
    byte[] resource = concat(new byte[] {0x12, (byte) scope.length}, scope);
    byte[] request = concat(new byte[] {0x0a, (byte) resource.length}, resource);
    Batch in = Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, request, 0, request.length),
        envelope(Rejections.NONE));
    List<ResourceSpans> out = resourceSpans(run(config(100, 0, "", false), Signal.TRACES, in));
    assertThat(out.get(0).getScopeSpans(0).getSpansList()).extracting(Span::getName, Span::getTraceState)
        .containsExactly(tuple("a", "ot=th:8"),
            tuple("b", "ot=rv:" + Thresholds.encodeRandomness(
                HashSeed.randomness(HashSeed.hash(0, id, 0, 16))) + ";th:0"));
  }

  private static byte[] padded(Span s) {
    byte[] b = s.toByteArray();
    return concat(new byte[] {0x12, (byte) (0x80 | b.length), 0x00}, b);
  }

  @Test
  void aMalformedAttributeFailsTheBatchAsBadData() {
    // A span whose attribute's value claims 100 bytes that are not there.
    byte[] attribute = {0x0a, 0x11, 's', 'a', 'm', 'p', 'l', 'i', 'n', 'g', '.', 'p', 'r', 'i', 'o', 'r', 'i', 't', 'y',
        0x12, 0x02, 0x0a, 0x64};
    Span s = Span.newBuilder().setTraceId(ByteString.copyFrom(new byte[16])).build();
    byte[] span = concat(s.toByteArray(), new byte[] {0x4a, (byte) attribute.length}, attribute);
    byte[] scope = concat(new byte[] {0x12, (byte) span.length}, span);
    byte[] resource = concat(new byte[] {0x12, (byte) scope.length}, scope);
    byte[] request = concat(new byte[] {0x0a, (byte) resource.length}, resource);
    Processor p = processor(config(50, 0, "", true), Signal.TRACES);
    Batch batch;
    try {
      batch = Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, request, 0, request.length),
          envelope(Rejections.NONE));
    } catch (Exception e) {
      throw new AssertionError("the request's framing down to the span is fine", e);
    }
    Future<Void> f = p.consume(batch);
    assertThat(f.failed()).isTrue();
    assertThat(f.cause()).isInstanceOf(PermanentException.class).hasMessageContaining("probabilistic_sampler/test");
    assertThat(next.batches()).isEmpty();
  }

  @Test
  void theFactoryMakesTracesAndLogsProcessorsOnly() {
    ProbabilisticSamplerProcessorFactory f = new ProbabilisticSamplerProcessorFactory();
    assertThat(f.type()).isEqualTo("probabilistic_sampler");
    assertThat(f.signals()).containsExactlyInAnyOrder(Signal.TRACES, Signal.LOGS);
    assertThatThrownBy(() -> f.create(TestContexts.processorContext(null, "probabilistic_sampler", "metrics",
        metrics), f.defaultConfig(), Signal.METRICS, next)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("traces and logs");
  }

  @Test
  void shutdownWorksWithoutStartAndTwice() {
    Processor p = processor(config(10, 0, "", true), Signal.TRACES);
    assertThat(p.shutdown().succeeded()).isTrue();
    assertThat(p.shutdown().succeeded()).isTrue();
    Processor q = processor(config(10, 0, "", true), Signal.LOGS);
    assertThat(q.start().succeeded()).isTrue();
    assertThat(q.shutdown().succeeded()).isTrue();
    assertThat(q.shutdown().succeeded()).isTrue();
  }

  // ---- helpers ----

  private Batch run(ProbabilisticSamplerProcessorConfig c, Signal signal, Batch in) {
    CapturingConsumer out = new CapturingConsumer();
    Processor p = new ProbabilisticSamplerProcessorFactory().create(
        TestContexts.processorContext(null, "probabilistic_sampler/test", signal.configName(), new SelfMetrics()), c,
        signal, out);
    Future<Void> f = p.consume(in);
    assertThat(f.succeeded()).as("consume: %s", f.cause()).isTrue();
    if (out.batches().isEmpty()) {
      return Batch.of(signal, List.of(), in.envelope());
    }
    assertThat(out.batches()).hasSize(1);
    return out.batches().get(0);
  }

  private Processor processor(ProbabilisticSamplerProcessorConfig c, Signal signal) {
    return new ProbabilisticSamplerProcessorFactory().create(
        TestContexts.processorContext(null, "probabilistic_sampler/test", signal.configName(), metrics), c, signal,
        next);
  }

  private static List<ResourceSpans> resourceSpans(Batch b) {
    return b.resourceSpans();
  }

  private static List<ResourceLogs> resourceLogs(Batch b) {
    return b.resourceLogs();
  }

  private static Batch encodedTraces(ExportTraceServiceRequest req) {
    return Batch.encoded(scan(req), envelope(Rejections.NONE));
  }

  private static EncodedResources scan(ExportTraceServiceRequest req) {
    byte[] bytes = req.toByteArray();
    try {
      return EncodedResources.scanRequest(Signal.TRACES, bytes, 0, bytes.length);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Batch logsBatch(boolean asBytes, LogRecord... records) {
    ExportLogsServiceRequest req = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
        .addScopeLogs(ScopeLogs.newBuilder().addAllLogRecords(List.of(records)))).build();
    if (!asBytes) {
      return Batch.logs(req.getResourceLogsList(), envelope(Rejections.NONE));
    }
    byte[] bytes = req.toByteArray();
    try {
      return Batch.encoded(EncodedResources.scanRequest(Signal.LOGS, bytes, 0, bytes.length), envelope(Rejections.NONE));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static Envelope envelope(Rejections r) {
    return new Envelope(ComponentId.parse("otlp"), System.nanoTime(), "", Map.of(), r);
  }

  private static ProbabilisticSamplerProcessorConfig config(double pct, long seed, String mode, boolean failClosed) {
    return new ProbabilisticSamplerProcessorConfig(pct, seed, mode, 4, failClosed, "traceID", "", "");
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }

  private static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int pos = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, pos, p.length);
      pos += p.length;
    }
    return out;
  }
}
