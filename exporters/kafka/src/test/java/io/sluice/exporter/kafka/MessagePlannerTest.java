package io.sluice.exporter.kafka;

import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.testkit.TestData;
import io.sluice.translation.kafka.KafkaPartitioner;
import io.sluice.translation.kafka.OtlpItems;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MessagePlannerTest {

  private static MessagePlanner planner(String yaml, Map<String, Integer> partitions) throws Exception {
    KafkaExporterConfig c = ConfigLoader.bindComponent(new KafkaExporterFactory(), yaml);
    return new MessagePlanner(c, t -> partitions.getOrDefault(t, -1));
  }

  private static List<Object> items(Signal s, List<Planned> plans) {
    List<Object> out = new ArrayList<>();
    for (Planned p : plans) {
      for (Planned.Message m : p.messages) {
        out.addAll(OtlpItems.of(s, m.content().decode()));
      }
    }
    return out;
  }

  @Test
  void aBatchWithoutKeysPassesThroughAsTheBytesItArrivedIn() throws Exception {
    MessagePlanner p = planner("", Map.of());
    Batch arrived = Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, TestData.traces(10, 1).encoded()
        .toRequestBytes(), 0, (int) TestData.traces(10, 1).encoded().requestBytes()), Envelope.of(ComponentId.of("t")));

    assertThat(p.passesThrough(arrived)).isTrue();
    Planned whole = p.whole(arrived);
    assertThat(whole.topic).isEqualTo("otlp_spans");
    assertThat(whole.keyed).isFalse();
    assertThat(whole.messages).singleElement().satisfies(m -> {
      assertThat(m.key()).isNull();
      assertThat(m.content()).isSameAs(arrived.encoded());
    });
  }

  @Test
  void tracesKeyedByIdGoOneMessagePerTraceOneRequestPerPartition() throws Exception {
    MessagePlanner p = planner("partition_traces_by_id: true", Map.of("otlp_spans", 4));
    Batch batch = Batch.traces(List.of(TestData.resourceSpans("a", 40, 1), TestData.resourceSpans("b", 24, 2)),
        Envelope.of(ComponentId.of("t")));
    Set<String> traces = batch.resourceSpans().stream().flatMap(rs -> rs.getScopeSpans(0).getSpansList().stream())
        .map(s -> HexFormat.of().formatHex(s.getTraceId().toByteArray())).collect(Collectors.toSet());

    assertThat(p.passesThrough(batch)).isFalse();
    List<Planned> plans = p.plan(batch);

    assertThat(plans).allSatisfy(r -> assertThat(r.keyed).isTrue());
    assertThat(plans).extracting(r -> r.partition).doesNotHaveDuplicates().allMatch(n -> n >= 0 && n < 4);
    List<String> keys = new ArrayList<>();
    for (Planned r : plans) {
      for (Planned.Message m : r.messages) {
        String key = new String(m.key(), StandardCharsets.US_ASCII);
        keys.add(key);
        assertThat(KafkaPartitioner.SARAMA_COMPAT.partition(m.key(), 4)).isEqualTo(r.partition);
        for (ResourceSpans rs : (List<ResourceSpans>) (List<?>) m.content().decode()) {
          for (Span s : rs.getScopeSpans(0).getSpansList()) {
            assertThat(HexFormat.of().formatHex(s.getTraceId().toByteArray())).isEqualTo(key);
          }
        }
      }
    }
    assertThat(keys).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(traces);
    assertThat(items(Signal.TRACES, plans)).containsExactlyInAnyOrderElementsOf(OtlpItems.of(Signal.TRACES,
        batch.resources()));
  }

  @Test
  void cuttingByTraceKeepsEveryResourceAndScopeFieldOfEachSpan() throws Exception {
    ResourceSpans a = TestData.resourceSpans("a", 16, 7);
    ResourceSpans twoScopes = a.toBuilder().setSchemaUrl("https://opentelemetry.io/schemas/1.24.0")
        .setResource(a.getResource().toBuilder().setDroppedAttributesCount(3))
        .addScopeSpans(a.getScopeSpans(0).toBuilder().setSchemaUrl("s2")
            .setScope(a.getScopeSpans(0).getScope().toBuilder().setName("other"))
            .addSpans(Span.newBuilder().setName("no trace id").setSpanId(com.google.protobuf.ByteString.copyFrom(
                new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))))
        .build();
    Batch batch = Batch.traces(List.of(twoScopes, TestData.resourceSpans("b", 9, 7)),
        Envelope.of(ComponentId.of("t")));

    List<TraceGrouper.Trace> traces = TraceGrouper.group(batch.encoded());

    List<Object> out = new ArrayList<>();
    for (TraceGrouper.Trace t : traces) {
      for (Object rs : t.content().decode()) {
        for (var ss : ((ResourceSpans) rs).getScopeSpansList()) {
          for (Span span : ss.getSpansList()) {
            assertThat(new String(t.key(), StandardCharsets.US_ASCII)).isEqualTo(HexFormat.of().formatHex(
                span.getTraceId().toByteArray()));
          }
        }
      }
      out.addAll(OtlpItems.of(Signal.TRACES, t.content().decode()));
    }
    assertThat(out).containsExactlyInAnyOrderElementsOf(OtlpItems.of(Signal.TRACES, batch.resources()));
    assertThat(traces).extracting(t -> new String(t.key(), StandardCharsets.US_ASCII)).contains("")
        .doesNotHaveDuplicates();
  }

  @Test
  void untilATopicsPartitionCountIsKnownItsKeyedMessagesGoInOneRequest() throws Exception {
    MessagePlanner p = planner("partition_traces_by_id: true", Map.of());
    List<Planned> plans = p.plan(TestData.traces(32, 3));
    assertThat(plans).singleElement().satisfies(r -> {
      assertThat(r.partition).isEqualTo(-1);
      assertThat(r.keyed).isTrue();
      assertThat(r.messages).hasSize(4);
    });
  }

  @Test
  void topicsComeFromMetadataThenAttributesThenConfig() throws Exception {
    MessagePlanner p = planner("""
        topic_from_attribute: kafka.topic
        logs: {topic: fallback, topic_from_metadata_key: topic, message_key_from_metadata_key: key}
        """, Map.of("from-meta", 2));
    ResourceLogs routed = TestData.resourceLogs("a", 2, 1).toBuilder().setResource(TestData.resource("a")
        .toBuilder().addAttributes(attr("kafka.topic", "from-attr"))).build();
    ResourceLogs plain = TestData.resourceLogs("b", 3, 2);

    List<Planned> byAttr = p.plan(Batch.logs(List.of(routed, plain), Envelope.of(ComponentId.of("t"))));
    assertThat(byAttr).extracting(r -> r.topic).containsExactly("from-attr", "fallback");
    assertThat(byAttr).allSatisfy(r -> assertThat(r.keyed).isFalse());

    Batch withMeta = Batch.logs(List.of(routed, plain), new Envelope(ComponentId.of("t"), 0, "",
        Map.of("topic", "from-meta", "key", "tenant-a")));
    List<Planned> byMeta = p.plan(withMeta);
    assertThat(byMeta).singleElement().satisfies(r -> {
      assertThat(r.topic).isEqualTo("from-meta");
      assertThat(r.partition).isEqualTo(KafkaPartitioner.SARAMA_COMPAT.partition("tenant-a".getBytes(
          StandardCharsets.UTF_8), 2));
      assertThat(r.messages).singleElement().extracting(m -> new String(m.key(), StandardCharsets.UTF_8))
          .isEqualTo("tenant-a");
    });
  }

  @Test
  void rawLogsAreOneMessagePerRecordCarryingItsBody() throws Exception {
    MessagePlanner p = planner("logs: {encoding: raw}\npartition_logs_by_trace_id: true", Map.of("otlp_logs", 3));
    Batch batch = TestData.logs(6, 4);

    List<Planned> plans = p.plan(batch);

    List<String> bodies = new ArrayList<>();
    plans.forEach(r -> r.messages.forEach(m -> {
      bodies.add(new String(m.raw(), StandardCharsets.UTF_8));
      assertThat(m.content().itemCount()).isEqualTo(1);
    }));
    assertThat(bodies).containsExactlyInAnyOrderElementsOf(batch.resourceLogs().get(0).getScopeLogs(0)
        .getLogRecordsList().stream().map(r -> r.getBody().getStringValue()).toList());
  }
}
