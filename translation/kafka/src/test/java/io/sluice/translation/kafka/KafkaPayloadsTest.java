package io.sluice.translation.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.LogsData;
import io.opentelemetry.proto.metrics.v1.MetricsData;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.testkit.TestData;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class KafkaPayloadsTest {
  private static final Envelope ENVELOPE = Envelope.of(ComponentId.of("kafka"));
  private static final KafkaEncoding JSON = KafkaEncoding.parse("otlp_json", Signal.TRACES, true);

  @Test
  void otlpProtoIsTheDataMessageOfEachSignal() throws Exception {
    Batch traces = TestData.traces(20, 1);
    Batch metrics = TestData.metrics(4, 2);
    Batch logs = TestData.logs(9, 3);

    assertThat(TracesData.parseFrom(KafkaPayloads.encode(Signal.TRACES, KafkaEncoding.OTLP_PROTO, traces.encoded()))
        .getResourceSpansList()).isEqualTo(traces.resourceSpans());
    assertThat(MetricsData.parseFrom(KafkaPayloads.encode(Signal.METRICS, KafkaEncoding.OTLP_PROTO,
        metrics.encoded())).getResourceMetricsList()).isEqualTo(metrics.resourceMetrics());
    assertThat(LogsData.parseFrom(KafkaPayloads.encode(Signal.LOGS, KafkaEncoding.OTLP_PROTO, logs.encoded()))
        .getResourceLogsList()).isEqualTo(logs.resourceLogs());
  }

  @Test
  void otlpJsonWritesHexIdsAndDecodesBackToTheSameData() throws Exception {
    Batch traces = TestData.traces(10, 4);
    byte[] json = KafkaPayloads.encode(Signal.TRACES, JSON, traces.encoded());

    JsonNode span = new ObjectMapper().readTree(json).get("resourceSpans").get(0).get("scopeSpans").get(0)
        .get("spans").get(0);
    assertThat(span.get("traceId").asText())
        .isEqualTo(HexFormat.of().formatHex(traces.resourceSpans().get(0).getScopeSpans(0).getSpans(0)
            .getTraceId().toByteArray()));
    assertThat(KafkaPayloads.decode(Signal.TRACES, JSON, json, ENVELOPE, 0).resourceSpans())
        .isEqualTo(traces.resourceSpans());
  }

  @Test
  void protoDecodesToAnEncodedBatchWithoutParsing() {
    Batch logs = TestData.logs(5, 5);
    Batch decoded = KafkaPayloads.decode(Signal.LOGS, KafkaEncoding.OTLP_PROTO,
        KafkaPayloads.encode(Signal.LOGS, KafkaEncoding.OTLP_PROTO, logs.encoded()), ENVELOPE, 0);
    assertThat(decoded.isEncoded()).isTrue();
    assertThat(decoded.itemCount()).isEqualTo(5);
    assertThat(decoded.resourceLogs()).isEqualTo(logs.resourceLogs());
  }

  @Test
  void aLargeBatchIsCutIntoValuesThatFitCarryingEveryItem() throws Exception {
    List<ResourceSpans> resources = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      resources.add(TestData.resourceSpans("svc-" + i, 300, i));
    }
    EncodedResources content = EncodedResources.encode(Signal.TRACES, resources);
    long max = 40_000;
    assertThat(content.requestBytes()).isGreaterThan(5 * max);

    for (KafkaEncoding enc : List.of(KafkaEncoding.OTLP_PROTO, JSON)) {
      List<byte[]> values = KafkaPayloads.encodeWithin(Signal.TRACES, enc, content, max);
      List<ResourceSpans> out = new ArrayList<>();
      for (byte[] v : values) {
        assertThat(v.length).as("a %s value", enc).isLessThanOrEqualTo((int) max);
        out.addAll(enc == JSON ? KafkaPayloads.decode(Signal.TRACES, enc, v, ENVELOPE, 0).resourceSpans()
            : TracesData.parseFrom(v).getResourceSpansList());
      }
      assertThat(values).hasSizeGreaterThan(5);
      assertThat(OtlpItems.of(Signal.TRACES, out)).containsExactlyInAnyOrderElementsOf(
          OtlpItems.of(Signal.TRACES, resources));
    }
  }

  @Test
  void aRawBodyIsItsBytesItsTextOrJson() {
    assertThat(KafkaPayloads.rawBody(AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[] {1, 2, -1}))
        .build())).containsExactly(1, 2, -1);
    assertThat(new String(KafkaPayloads.rawBody(AnyValue.newBuilder().setStringValue("héllo").build()),
        StandardCharsets.UTF_8)).isEqualTo("héllo");
    AnyValue map = AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
        .addValues(KeyValue.newBuilder().setKey("b").setValue(AnyValue.newBuilder().setIntValue(2)))
        .addValues(KeyValue.newBuilder().setKey("a").setValue(AnyValue.newBuilder().setStringValue("x")))).build();
    assertThat(new String(KafkaPayloads.rawBody(map), StandardCharsets.UTF_8)).isEqualTo("{\"a\":\"x\",\"b\":2}");
    assertThat(KafkaPayloads.rawBody(AnyValue.getDefaultInstance())).isEmpty();
  }

  @Test
  void rawTextAndJsonMessagesBecomeLogRecordBodies() {
    long now = 1_700_000_000_000_000_000L;
    LogRecord raw = only(KafkaPayloads.decode(Signal.LOGS, KafkaEncoding.parse("raw", Signal.LOGS, false),
        new byte[] {0, 1, 2}, ENVELOPE, now));
    assertThat(raw.getBody().getBytesValue().toByteArray()).containsExactly(0, 1, 2);
    assertThat(raw.getObservedTimeUnixNano()).isEqualTo(now);

    LogRecord text = only(KafkaPayloads.decode(Signal.LOGS, KafkaEncoding.parse("text_iso-8859-1", Signal.LOGS,
        false), new byte[] {(byte) 0xe9, 't', (byte) 0xe9}, ENVELOPE, now));
    assertThat(text.getBody().getStringValue()).isEqualTo("été");

    LogRecord json = only(KafkaPayloads.decode(Signal.LOGS, KafkaEncoding.parse("json", Signal.LOGS, false),
        "{\"msg\":\"hi\",\"n\":3,\"ok\":true,\"list\":[1.5,null]}".getBytes(StandardCharsets.UTF_8), ENVELOPE, now));
    KeyValueList kv = json.getBody().getKvlistValue();
    assertThat(kv.getValuesList()).extracting(KeyValue::getKey).containsExactly("msg", "n", "ok", "list");
    assertThat(kv.getValues(1).getValue().getIntValue()).isEqualTo(3);
    assertThat(kv.getValues(3).getValue().getArrayValue().getValues(0).getDoubleValue()).isEqualTo(1.5);
  }

  @Test
  void malformedMessagesArePermanentErrorsSayingWhatIsWrong() {
    assertThatThrownBy(() -> KafkaPayloads.decode(Signal.TRACES, KafkaEncoding.OTLP_PROTO,
        new byte[] {0x0a, 0x7f, 0x01}, ENVELOPE, 0))
        .isInstanceOf(PermanentException.class).hasMessageStartingWith("not an OTLP TracesData message:");
    assertThatThrownBy(() -> KafkaPayloads.decode(Signal.TRACES, JSON, "{\"resourceSpans\": [".getBytes(
        StandardCharsets.UTF_8), ENVELOPE, 0)).isInstanceOf(PermanentException.class);
    assertThatThrownBy(() -> KafkaPayloads.decode(Signal.LOGS, KafkaEncoding.parse("text", Signal.LOGS, false),
        new byte[] {(byte) 0xff, (byte) 0xfe, (byte) 0xc3}, ENVELOPE, 0))
        .isInstanceOf(PermanentException.class).hasMessageStartingWith("not text in UTF-8");
  }

  private static LogRecord only(Batch b) {
    assertThat(b.itemCount()).isEqualTo(1);
    return b.resourceLogs().get(0).getScopeLogs(0).getLogRecords(0);
  }
}
