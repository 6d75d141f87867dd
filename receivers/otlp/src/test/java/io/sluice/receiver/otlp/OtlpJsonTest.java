package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.sluice.core.testkit.TestData;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class OtlpJsonTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void tracesWrittenPerSpecEqualTheirProtobufTwin() throws Exception {
    ExportTraceServiceRequest decoded = OtlpJson.decodeTraces(utf8(OtlpSamples.TRACES_JSON));
    assertThat(decoded).isEqualTo(OtlpSamples.tracesProto());
  }

  @Test
  void metricsWrittenPerSpecEqualTheirProtobufTwin() throws Exception {
    ExportMetricsServiceRequest decoded = OtlpJson.decodeMetrics(utf8(OtlpSamples.METRICS_JSON));
    assertThat(decoded).isEqualTo(OtlpSamples.metricsProto());
  }

  @Test
  void logsWrittenPerSpecEqualTheirProtobufTwin() throws Exception {
    ExportLogsServiceRequest decoded = OtlpJson.decodeLogs(utf8(OtlpSamples.LOGS_JSON));
    assertThat(decoded).isEqualTo(OtlpSamples.logsProto());
  }

  @Test
  void encodingWritesHexIdsIntEnumsAndStringInt64sAndDecodesBack() throws Exception {
    ExportTraceServiceRequest req = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(TestData.resourceSpans("checkout", 10, 7)).build();
    String json = OtlpJson.encodeToString(req);
    String traceIdHex = hex(req.getResourceSpans(0).getScopeSpans(0).getSpans(0).getTraceId().toByteArray());
    assertThat(json).contains("\"traceId\":\"" + traceIdHex + "\"")
        .contains("\"kind\":2")
        .contains("\"startTimeUnixNano\":\"")
        .doesNotContain("SPAN_KIND");
    assertThat(OtlpJson.decodeTraces(utf8(json))).isEqualTo(req);
    assertThat(OtlpJson.decodeMetrics(OtlpJson.encode(ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(TestData.resourceMetrics("checkout", 3, 1)).build())))
        .isEqualTo(ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(TestData.resourceMetrics("checkout", 3, 1)).build());
    ExportLogsServiceRequest logs = ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(TestData.resourceLogs("checkout", 4, 3)).build();
    assertThat(OtlpJson.decodeLogs(OtlpJson.encode(logs))).isEqualTo(logs);
  }

  @Test
  void hexIdsAreCaseInsensitiveAndInt64sMayBeNumbers() throws Exception {
    String json = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"5B8EFFF798038103D269B633813FC60C\","
        + "\"spanId\":\"EEE19B7EC3C1B174\",\"startTimeUnixNano\":1544712660000000000,\"kind\":3}]}]}]}";
    ExportTraceServiceRequest req = OtlpJson.decodeTraces(utf8(json));
    var span = req.getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertThat(hex(span.getTraceId().toByteArray())).isEqualTo("5b8efff798038103d269b633813fc60c");
    assertThat(hex(span.getSpanId().toByteArray())).isEqualTo("eee19b7ec3c1b174");
    assertThat(span.getStartTimeUnixNano()).isEqualTo(1544712660000000000L);
    assertThat(span.getKindValue()).isEqualTo(3);
  }

  @Test
  void partialSuccessResponseIsWrittenInCamelCase() {
    String json = OtlpJson.encodeToString(ExportTraceServiceResponse.newBuilder()
        .setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(3).setErrorMessage("too old"))
        .build());
    assertThat(json).isEqualTo("{\"partialSuccess\":{\"rejectedSpans\":\"3\",\"errorMessage\":\"too old\"}}");
    assertThat(OtlpJson.encodeToString(ExportTraceServiceResponse.getDefaultInstance())).isEqualTo("{}");
  }

  @Test
  void badInputIsRejectedWithAReason() {
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":"
        + "[{\"traceId\":\"5b8efff798038103d269b633813fc6\"}]}]}]}")))
        .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("traceId").hasMessageContaining("32");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":"
        + "[{\"spanId\":\"zzzzzzzzzzzzzzzz\"}]}]}]}")))
        .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("not hex");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":[")))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{} {}")))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("[1,2]")))
        .isInstanceOf(InvalidProtocolBufferException.class);
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":{\"x\":1}}")))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void unknownFieldsAreIgnored() throws Exception {
    assertThat(OtlpJson.decodeLogs(utf8("{\"futureField\":{\"a\":[1,2,{\"b\":null}]},\"resourceLogs\":[]}")))
        .isEqualTo(ExportLogsServiceRequest.getDefaultInstance());
  }

  static String hex(byte[] b) {
    StringBuilder sb = new StringBuilder();
    for (byte x : b) {
      sb.append(String.format("%02x", x));
    }
    return sb.toString();
  }
}
