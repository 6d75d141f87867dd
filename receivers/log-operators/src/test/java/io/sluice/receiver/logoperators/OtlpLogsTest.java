package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class OtlpLogsTest {

  @Test
  void aParsedEntryBecomesAnOtlpRecord() {
    Ops ops = Ops.of("""
        - type: json_parser
          parse_ints: true
          timestamp:
            parse_from: attributes.ts
            layout_type: epoch
            layout: ms
          severity:
            parse_from: attributes.level
          trace:
            trace_id:
              parse_from: attributes.tid
        - type: move
          from: attributes.host
          to: resource["host.name"]
        """);
    LogEntry e = ops.one(new LogEntry("{\"ts\":1700000000123,\"level\":\"warn\",\"host\":\"h1\",\"n\":2,\"f\":0.5,"
        + "\"tags\":[\"a\"],\"ctx\":{\"k\":true},\"tid\":\"4bf92f3577b34da6a3ce929d0e0e4736\"}")
        .observedTimestamp(5));
    LogRecord r = OtlpLogs.toLogRecord(e);
    assertThat(r.getTimeUnixNano()).isEqualTo(1700000000123_000_000L);
    assertThat(r.getObservedTimeUnixNano()).isEqualTo(5);
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_WARN);
    assertThat(r.getSeverityText()).isEqualTo("warn");
    assertThat(r.getBody().getStringValue()).startsWith("{\"ts\"");
    assertThat(r.getTraceId().size()).isEqualTo(16);
    Map<String, AnyValue> attrs = new java.util.HashMap<>();
    r.getAttributesList().forEach(kv -> attrs.put(kv.getKey(), kv.getValue()));
    assertThat(attrs.get("n").getIntValue()).isEqualTo(2);
    assertThat(attrs.get("f").getDoubleValue()).isEqualTo(0.5);
    assertThat(attrs.get("tags").getArrayValue().getValues(0).getStringValue()).isEqualTo("a");
    assertThat(attrs.get("ctx").getKvlistValue().getValues(0).getValue().getBoolValue()).isTrue();
    assertThat(attrs).doesNotContainKey("host");
    assertThat(OtlpLogs.toResource(e).getAttributes(0).getKey()).isEqualTo("host.name");
  }

  @Test
  void aMapBodyIsAKeyValueList() {
    AnyValue v = OtlpLogs.anyValue(Map.of("a", List.of(1L, 2.5, "x")));
    assertThat(v.getKvlistValue().getValues(0).getValue().getArrayValue().getValuesCount()).isEqualTo(3);
  }
}
