package io.sluice.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.PermanentException;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Inputs the OTLP/JSON fuzz targets found, each the minimal form of one finding. */
class OtlpJsonFuzzFindingsTest {
  private static void refused(String json, String message) {
    assertThatThrownBy(() -> OtlpJson.decode(json, ExportTraceServiceRequest.newBuilder()))
        .isInstanceOf(PermanentException.class).hasMessageContaining(message);
  }

  /** Found by otlp-json-traces: {@code toBigIntegerExact} of 10^999999999 ran for minutes. */
  @Test
  @Timeout(10)
  void anIntegerFieldWithAHugeExponentIsRefusedAtOnce() {
    String json = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":1e999999999}]}]}]}";
    long started = System.nanoTime();
    refused(json, "1e999999999 is out of range for 'startTimeUnixNano' (fixed64)");
    refused(json.replace("1e999999999", "\"1e999999999\""), "is out of range for 'startTimeUnixNano'");
    refused(json.replace("1e999999999", "1e-999999999"), "1e-999999999 is not an integer");
    refused(json.replace("1e999999999", "\"-1e-999999999\""), "is not an integer");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
  }

  /** Found by otlp-json-metrics and otlp-json-logs: Jackson's NumberFormatException escaped. */
  @Test
  void anExponentBeyondWhatADecimalHoldsIsRefusedAsInvalid() {
    assertThatThrownBy(() -> OtlpJson.decode("{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"sum\":"
        + "{\"dataPoints\":[{\"asInt\":1e9999999992}]}}]}]}]}", ExportMetricsServiceRequest.newBuilder()))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("resourceMetrics[0].scopeMetrics[0].metrics[0].sum.dataPoints[0].asInt")
        .hasMessageContaining("1e9999999992 is out of range for 'asInt' (sfixed64)");
    // as a double the same literal is infinity, as Double.parseDouble reads it
    assertThat(OtlpJson.decodeLogs(("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":"
        + "[{\"body\":{\"doubleValue\":11e9999999993}}]}]}]}").getBytes(java.nio.charset.StandardCharsets.UTF_8))
        .getResourceLogs(0).getScopeLogs(0).getLogRecords(0).getBody().getDoubleValue())
        .isEqualTo(Double.POSITIVE_INFINITY);
  }

  @Test
  void integersWrittenWithExponentsWithinRangeStillDecode() {
    ExportTraceServiceRequest r = OtlpJson.decode("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":"
        + "[{\"startTimeUnixNano\":1.7e18,\"endTimeUnixNano\":\"17E17\",\"droppedAttributesCount\":2.0}]}]}]}",
        ExportTraceServiceRequest.newBuilder());
    assertThat(r.getResourceSpans(0).getScopeSpans(0).getSpans(0).getStartTimeUnixNano())
        .isEqualTo(1_700_000_000_000_000_000L);
    assertThat(r.getResourceSpans(0).getScopeSpans(0).getSpans(0).getEndTimeUnixNano())
        .isEqualTo(1_700_000_000_000_000_000L);
    assertThat(r.getResourceSpans(0).getScopeSpans(0).getSpans(0).getDroppedAttributesCount()).isEqualTo(2);
  }
}
