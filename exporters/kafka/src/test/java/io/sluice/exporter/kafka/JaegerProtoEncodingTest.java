package io.sluice.exporter.kafka;

import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.jaegertracing.api_v2.Model;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.TestData;
import io.sluice.translation.kafka.KafkaEncoding;
import io.sluice.translation.kafka.KafkaPayloads;
import io.sluice.translation.kafka.OtlpItems;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** {@code encoding: jaeger_proto}: one Jaeger Span message per span, keyed by trace ID, and back. */
class JaegerProtoEncodingTest {
  private static final KafkaEncoding JAEGER = KafkaEncoding.parse("jaeger_proto", Signal.TRACES, false);
  private final AtomicInteger invalid = new AtomicInteger();

  private MessagePlanner planner() throws Exception {
    KafkaExporterConfig c = ConfigLoader.bindComponent(new KafkaExporterFactory(),
        "traces: {topic: spans, encoding: jaeger_proto}");
    return new MessagePlanner(c, t -> 4, invalid::addAndGet);
  }

  private static List<Planned.Message> messages(List<Planned> plans) {
    List<Planned.Message> out = new ArrayList<>();
    plans.forEach(p -> out.addAll(p.messages));
    return out;
  }

  private static List<Object> decoded(List<Planned.Message> messages) {
    List<Batch> batches = new ArrayList<>();
    for (Planned.Message m : messages) {
      batches.add(KafkaPayloads.decode(Signal.TRACES, JAEGER, m.raw(), Envelope.of(ComponentId.of("in")), 0));
    }
    return OtlpItems.ofBatches(Signal.TRACES, batches);
  }

  @Test
  void everySpanIsAMessageOfItsOwnKeyedByItsTraceAndComesBackAsItWentIn() throws Exception {
    Batch batch = Batch.traces(List.of(TestData.resourceSpans("a", 24, 7), TestData.resourceSpans("b", 9, 8)),
        Envelope.of(ComponentId.of("t")));

    List<Planned> plans = planner().plan(batch);

    List<Planned.Message> messages = messages(plans);
    assertThat(messages).hasSize(33);
    Map<String, Integer> partitionOfTrace = new HashMap<>();
    for (Planned p : plans) {
      assertThat(p.topic).isEqualTo("spans");
      assertThat(p.keyed).isTrue();
      for (Planned.Message m : p.messages) {
        // Read with Jaeger's own generated classes: a Span carrying its process.
        Model.Span span = Model.Span.parseFrom(m.raw());
        String trace = HexFormat.of().formatHex(span.getTraceId().toByteArray());
        assertThat(new String(m.key(), StandardCharsets.US_ASCII)).isEqualTo(trace);
        assertThat(span.getProcess().getServiceName()).isIn("a", "b");
        assertThat(span.getProcess().getTagsList()).extracting(Model.KeyValue::getKey)
            .containsExactly("service.instance.id", "host.name");
        assertThat(partitionOfTrace.computeIfAbsent(trace, t -> p.partition)).as("partition of trace %s", trace)
            .isEqualTo(p.partition);
      }
    }
    assertThat(decoded(messages)).containsExactlyInAnyOrderElementsOf(OtlpItems.of(Signal.TRACES,
        batch.resources()));
    assertThat(invalid).hasValue(0);
  }

  @Test
  void linksStatusFlagsAndAResourceWithoutServiceNameFollowTheJaegerMapping() throws Exception {
    ByteString trace = ByteString.copyFrom(HexFormat.of().parseHex("000000000000000000000000000000ab"));
    ByteString other = ByteString.copyFrom(HexFormat.of().parseHex("0102030405060708090a0b0c0d0e0f10"));
    Span span = Span.newBuilder().setTraceId(trace).setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}))
        .setName("op").setKind(Span.SpanKind.SPAN_KIND_CLIENT).setFlags(0x301)
        .setTraceState("vendor=x").setStartTimeUnixNano(1_700_000_000_123_456_789L)
        .setEndTimeUnixNano(1_700_000_001_000_000_000L).setDroppedAttributesCount(3)
        .addAttributes(KeyValue.newBuilder().setKey("ratio").setValue(AnyValue.newBuilder().setDoubleValue(0.5)))
        .addAttributes(KeyValue.newBuilder().setKey("ok").setValue(AnyValue.newBuilder().setBoolValue(true)))
        .addAttributes(KeyValue.newBuilder().setKey("blob")
            .setValue(AnyValue.newBuilder().setBytesValue(ByteString.copyFromUtf8("xyz"))))
        .addLinks(Span.Link.newBuilder().setTraceId(other).setSpanId(ByteString.copyFrom(new byte[8])))
        .setStatus(io.opentelemetry.proto.trace.v1.Status.newBuilder()
            .setCode(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_OK).setMessage("fine"))
        .build();
    Span badIds = span.toBuilder().setSpanId(ByteString.copyFromUtf8("short")).build();
    ResourceSpans rs = ResourceSpans.newBuilder().setResource(Resource.newBuilder().addAttributes(attr("k", "v")))
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span).addSpans(badIds)).build();

    List<Planned.Message> messages = messages(planner().plan(Batch.traces(List.of(rs),
        Envelope.of(ComponentId.of("t")))));

    assertThat(invalid).as("spans jaeger_proto cannot carry").hasValue(1);
    assertThat(messages).singleElement().satisfies(m -> assertThat(new String(m.key(), StandardCharsets.US_ASCII))
        .as("Jaeger's key of a trace ID whose high half is zero").isEqualTo("00000000000000ab"));
    Model.Span jaeger = Model.Span.parseFrom(messages.get(0).raw());
    assertThat(jaeger.getProcess().getServiceName()).isEqualTo("OTLPResourceNoServiceName");
    assertThat(jaeger.getFlags()).isEqualTo(1);
    assertThat(jaeger.getReferencesList()).singleElement()
        .satisfies(r -> assertThat(r.getRefType()).isEqualTo(Model.SpanRefType.FOLLOWS_FROM));

    ResourceSpans back = (ResourceSpans) KafkaPayloads.decode(Signal.TRACES, JAEGER, messages.get(0).raw(),
        Envelope.of(ComponentId.of("in")), 0).resources().get(0);
    assertThat(back.getResource()).isEqualTo(rs.getResource());
    Span out = back.getScopeSpans(0).getSpans(0);
    // Only the W3C sampled flag travels; a link comes back saying what reference it was.
    Span want = span.toBuilder().setFlags(1).setLinks(0, span.getLinks(0).toBuilder().addAttributes(
        KeyValue.newBuilder().setKey("opentracing.ref_type").setValue(AnyValue.newBuilder()
            .setStringValue("follows_from")))).build();
    assertThat(out).isEqualTo(want);
  }
}
