package io.sluice.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.util.JsonFormat;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.LogsData;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.MetricsData;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.sluice.core.PermanentException;
import io.sluice.core.testkit.TestData;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class OtlpJsonTest {

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static ByteString hex(String h) {
    return ByteString.copyFrom(HexFormat.of().parseHex(h));
  }

  // ---------------------------------------------------------------------------------------------
  // The shapes of the OTLP/JSON examples
  // ---------------------------------------------------------------------------------------------

  @Test
  void decodesTraceDocumentWithUpperCaseHexIdsAndNumericTimestamps() {
    String json = """
        {
          "resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "cart"}}]},
            "scopeSpans": [{
              "scope": {"name": "cart.lib", "version": "2.1.0"},
              "spans": [{
                "traceId": "5B8EFFF798038103D269B633813FC60C",
                "spanId": "EEE19B7EC3C1B174",
                "parentSpanId": "eee19b7ec3c1b173",
                "name": "checkout",
                "startTimeUnixNano": 1544712660000000000,
                "endTimeUnixNano": "1544712661000000000",
                "kind": 2,
                "flags": 257,
                "attributes": [{"key": "retries", "value": {"intValue": 3}}],
                "events": [{"timeUnixNano": "1544712660500000000", "name": "paid"}],
                "links": [{"traceId": "0102030405060708090A0B0C0D0E0F10", "spanId": "0102030405060708"}],
                "status": {"code": 2, "message": "card declined"}
              }]
            }]
          }]
        }
        """;

    ExportTraceServiceRequest req = OtlpJson.decodeTraces(utf8(json));

    ResourceSpans rs = req.getResourceSpans(0);
    assertThat(rs.getResource().getAttributes(0).getValue().getStringValue()).isEqualTo("cart");
    assertThat(rs.getScopeSpans(0).getScope().getVersion()).isEqualTo("2.1.0");
    Span span = rs.getScopeSpans(0).getSpans(0);
    assertThat(span.getTraceId()).isEqualTo(hex("5b8efff798038103d269b633813fc60c"));
    assertThat(span.getSpanId()).isEqualTo(hex("eee19b7ec3c1b174"));
    assertThat(span.getParentSpanId()).isEqualTo(hex("eee19b7ec3c1b173"));
    assertThat(span.getStartTimeUnixNano()).isEqualTo(1544712660000000000L);
    assertThat(span.getEndTimeUnixNano()).isEqualTo(1544712661000000000L);
    assertThat(span.getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_SERVER);
    assertThat(span.getFlags()).isEqualTo(257);
    assertThat(span.getAttributes(0).getValue().getIntValue()).isEqualTo(3);
    assertThat(span.getEvents(0).getTimeUnixNano()).isEqualTo(1544712660500000000L);
    assertThat(span.getLinks(0).getTraceId()).isEqualTo(hex("0102030405060708090a0b0c0d0e0f10"));
    assertThat(span.getStatus().getCode()).isEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_ERROR);
    assertThat(span.getStatus().getMessage()).isEqualTo("card declined");
  }

  @Test
  void decodesMetricsDocumentWithEveryPointShape() {
    String json = """
        {"resourceMetrics": [{"scopeMetrics": [{"metrics": [
          {"name": "requests", "unit": "1", "sum": {"aggregationTemporality": 1, "isMonotonic": true,
             "dataPoints": [{"asDouble": 5, "startTimeUnixNano": 1544712660300000000,
                             "timeUnixNano": "1544712660300000000"}]}},
          {"name": "queue", "gauge": {"dataPoints": [{"asInt": "-7", "timeUnixNano": 1}]}},
          {"name": "latency", "histogram": {"aggregationTemporality": 2, "dataPoints": [
             {"count": 3, "sum": 3, "bucketCounts": [1, "1", 1], "explicitBounds": [1, 2.5], "min": 1, "max": 1,
              "exemplars": [{"asDouble": 0.7, "traceId": "5B8EFFF798038103D269B633813FC60C",
                             "spanId": "EEE19B7EC3C1B174", "timeUnixNano": "12"}]}]}},
          {"name": "sizes", "exponentialHistogram": {"aggregationTemporality": 1, "dataPoints": [
             {"count": "4", "scale": -2, "zeroCount": 1, "positive": {"offset": -3, "bucketCounts": ["1", "2"]},
              "negative": {"offset": 1, "bucketCounts": [0]}, "zeroThreshold": 0.001}]}},
          {"name": "rtt", "summary": {"dataPoints": [
             {"count": 10, "sum": 4.5, "quantileValues": [{"quantile": 0.5, "value": 0.4}, {"quantile": 1, "value": 0.9}]}]}}
        ]}]}]}
        """;

    ExportMetricsServiceRequest req = OtlpJson.decodeMetrics(utf8(json));

    List<Metric> metrics = req.getResourceMetrics(0).getScopeMetrics(0).getMetricsList();
    assertThat(metrics).extracting(Metric::getName).containsExactly("requests", "queue", "latency", "sizes", "rtt");
    Metric requests = metrics.get(0);
    assertThat(requests.getSum().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
    assertThat(requests.getSum().getIsMonotonic()).isTrue();
    assertThat(requests.getSum().getDataPoints(0).getAsDouble()).isEqualTo(5.0);
    assertThat(requests.getSum().getDataPoints(0).getStartTimeUnixNano()).isEqualTo(1544712660300000000L);
    assertThat(metrics.get(1).getGauge().getDataPoints(0).getAsInt()).isEqualTo(-7);
    HistogramDataPoint h = metrics.get(2).getHistogram().getDataPoints(0);
    assertThat(h.getCount()).isEqualTo(3);
    assertThat(h.hasSum()).isTrue();
    assertThat(h.getBucketCountsList()).containsExactly(1L, 1L, 1L);
    assertThat(h.getExplicitBoundsList()).containsExactly(1.0, 2.5);
    assertThat(h.getExemplars(0).getTraceId()).isEqualTo(hex("5b8efff798038103d269b633813fc60c"));
    assertThat(h.getExemplars(0).getSpanId()).isEqualTo(hex("eee19b7ec3c1b174"));
    ExponentialHistogramDataPoint e = metrics.get(3).getExponentialHistogram().getDataPoints(0);
    assertThat(e.getScale()).isEqualTo(-2);
    assertThat(e.getPositive().getOffset()).isEqualTo(-3);
    assertThat(e.getPositive().getBucketCountsList()).containsExactly(1L, 2L);
    assertThat(e.getNegative().getBucketCountsList()).containsExactly(0L);
    assertThat(e.getZeroThreshold()).isEqualTo(0.001);
    SummaryDataPoint s = metrics.get(4).getSummary().getDataPoints(0);
    assertThat(s.getQuantileValuesList()).extracting(SummaryDataPoint.ValueAtQuantile::getValue).containsExactly(0.4, 0.9);
  }

  @Test
  void decodesLogsDocumentWithEveryAttributeValueKind() {
    String json = """
        {"resourceLogs": [{"resource": {}, "scopeLogs": [{"scope": {"name": "app"}, "logRecords": [{
          "timeUnixNano": 1544712660300000000, "observedTimeUnixNano": "1544712660300000001",
          "severityNumber": 10, "severityText": "Information",
          "traceId": "5B8EFFF798038103D269B633813FC60C", "spanId": "EEE19B7EC3C1B174",
          "body": {"stringValue": "Example log record"},
          "eventName": "app.started",
          "attributes": [
            {"key": "s", "value": {"stringValue": "some string"}},
            {"key": "b", "value": {"boolValue": true}},
            {"key": "i", "value": {"intValue": 10}},
            {"key": "d", "value": {"doubleValue": 637.704}},
            {"key": "raw", "value": {"bytesValue": "AAEC/w=="}},
            {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "many"}, {"intValue": "2"}]}}},
            {"key": "map", "value": {"kvlistValue": {"values": [{"key": "k", "value": {"stringValue": "v"}}]}}}
          ]}]}]}]}
        """;

    ExportLogsServiceRequest req = OtlpJson.decodeLogs(utf8(json));

    LogRecord r = req.getResourceLogs(0).getScopeLogs(0).getLogRecords(0);
    assertThat(r.getTimeUnixNano()).isEqualTo(1544712660300000000L);
    assertThat(r.getObservedTimeUnixNano()).isEqualTo(1544712660300000001L);
    assertThat(r.getSeverityNumber()).isEqualTo(SeverityNumber.SEVERITY_NUMBER_INFO2);
    assertThat(r.getTraceId()).isEqualTo(hex("5b8efff798038103d269b633813fc60c"));
    assertThat(r.getBody().getStringValue()).isEqualTo("Example log record");
    assertThat(r.getEventName()).isEqualTo("app.started");
    List<KeyValue> a = r.getAttributesList();
    assertThat(a.get(0).getValue().getStringValue()).isEqualTo("some string");
    assertThat(a.get(1).getValue().getBoolValue()).isTrue();
    assertThat(a.get(2).getValue().getIntValue()).isEqualTo(10);
    assertThat(a.get(3).getValue().getDoubleValue()).isEqualTo(637.704);
    assertThat(a.get(4).getValue().getBytesValue().toByteArray()).containsExactly(0, 1, 2, 0xFF);
    assertThat(a.get(5).getValue().getArrayValue().getValues(1).getIntValue()).isEqualTo(2);
    assertThat(a.get(6).getValue().getKvlistValue().getValues(0).getValue().getStringValue()).isEqualTo("v");
  }

  // ---------------------------------------------------------------------------------------------
  // Round trips of realistic data
  // ---------------------------------------------------------------------------------------------

  @Test
  void roundTripsRealisticTraces() {
    ExportTraceServiceRequest req = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(TestData.resourceSpans("checkout", 200, 1))
        .addResourceSpans(TestData.resourceSpans("payments", 50, 2))
        .build();

    byte[] json = OtlpJson.encode(req);

    assertThat(OtlpJson.decodeTraces(json)).isEqualTo(req);
  }

  @Test
  void encodesWireBytesAsItEncodesTheParsedMessage() {
    ExportTraceServiceRequest req = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(TestData.resourceSpans("checkout", 20, 1))
        .build();

    assertThat(new String(OtlpJson.encode(io.opentelemetry.proto.trace.v1.TracesData.getDescriptor(),
        req.toByteArray()), java.nio.charset.StandardCharsets.UTF_8)).isEqualTo(OtlpJson.encodeToString(req));
  }

  @Test
  void roundTripsRealisticMetrics() {
    ExportMetricsServiceRequest req = ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(TestData.resourceMetrics("checkout", 40, 3))
        .build();

    assertThat(OtlpJson.decodeMetrics(OtlpJson.encode(req))).isEqualTo(req);
  }

  @Test
  void roundTripsRealisticLogs() {
    ExportLogsServiceRequest req = ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(TestData.resourceLogs("checkout", 300, 4))
        .build();

    assertThat(OtlpJson.decodeLogs(OtlpJson.encode(req))).isEqualTo(req);
  }

  @Test
  void roundTripsDataMessagesThroughTheGenericDecoder() {
    TracesData traces = TracesData.newBuilder().addResourceSpans(TestData.resourceSpans("a", 10, 5)).build();
    MetricsData metrics = MetricsData.newBuilder().addResourceMetrics(TestData.resourceMetrics("a", 3, 5)).build();
    LogsData logs = LogsData.newBuilder().addResourceLogs(TestData.resourceLogs("a", 10, 5)).build();

    TracesData t = OtlpJson.decode(OtlpJson.encode(traces), TracesData.newBuilder());
    MetricsData m = OtlpJson.decode(OtlpJson.encodeToString(metrics), MetricsData.newBuilder());
    LogsData l = OtlpJson.decode(OtlpJson.encode(logs), LogsData.newBuilder());

    assertThat(t).isEqualTo(traces);
    assertThat(m).isEqualTo(metrics);
    assertThat(l).isEqualTo(logs);
  }

  @Test
  void decodesARangeOfABuffer() {
    ExportLogsServiceRequest req = ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(TestData.resourceLogs("checkout", 3, 8)).build();
    byte[] json = OtlpJson.encode(req);
    byte[] padded = new byte[json.length + 10];
    System.arraycopy(json, 0, padded, 4, json.length);
    padded[json.length + 4] = '{'; // garbage after the range is not read

    assertThat(OtlpJson.decodeLogs(padded, 4, json.length)).isEqualTo(req);
  }

  @Test
  void roundTripsEdgeValuesOfEveryNumericKind() {
    MetricsData data = MetricsData.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .addScopeMetrics(ScopeMetrics.newBuilder()
            .addMetrics(Metric.newBuilder().setName("g").setGauge(Gauge.newBuilder()
                .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(Double.NaN).setTimeUnixNano(-1L))
                .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(Double.POSITIVE_INFINITY).setFlags(-1))
                .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(Double.NEGATIVE_INFINITY))
                .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(-0.0))
                .addDataPoints(NumberDataPoint.newBuilder().setAsDouble(4.9e-324))
                .addDataPoints(NumberDataPoint.newBuilder().setAsInt(Long.MIN_VALUE)
                    .addExemplars(Exemplar.newBuilder().setAsInt(Long.MAX_VALUE)))
                .addDataPoints(NumberDataPoint.newBuilder().setAsInt(0))))
            .addMetrics(Metric.newBuilder().setName("e").setExponentialHistogram(ExponentialHistogram.newBuilder()
                .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setScale(Integer.MIN_VALUE)
                    .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(Integer.MAX_VALUE)
                        .addBucketCounts(-1L).addBucketCounts(0))
                    .setNegative(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(-1))
                    .setSum(0).setMin(0).setMax(0))))))
        .build();

    String json = OtlpJson.encodeToString(data);

    assertThat(json).contains("\"asDouble\":\"NaN\"", "\"asDouble\":\"Infinity\"", "\"asDouble\":\"-Infinity\"",
        "\"timeUnixNano\":\"18446744073709551615\"", "\"flags\":4294967295",
        "\"asInt\":\"-9223372036854775808\"", "\"asInt\":\"9223372036854775807\"", "\"asInt\":\"0\"",
        "\"scale\":-2147483648", "\"offset\":2147483647", "\"offset\":-1",
        "\"bucketCounts\":[\"18446744073709551615\",\"0\"]", "\"sum\":0.0");
    assertThat(OtlpJson.<MetricsData>decode(json, MetricsData.newBuilder())).isEqualTo(data);
  }

  @Test
  void agreesWithProtobufJsonFormatWhereOtlpJsonIsStandardProto3Json() throws Exception {
    // Metrics from TestData carry no ids, so OTLP/JSON and standard proto3 JSON coincide.
    MetricsData data = MetricsData.newBuilder()
        .addResourceMetrics(TestData.resourceMetrics("checkout", 5, 9))
        .build();

    String ours = OtlpJson.encodeToString(data);
    String theirs = JsonFormat.printer().printingEnumsAsInts().omittingInsignificantWhitespace().print(data);

    MetricsData.Builder parsedByJsonFormat = MetricsData.newBuilder();
    JsonFormat.parser().merge(ours, parsedByJsonFormat);
    assertThat(parsedByJsonFormat.build()).isEqualTo(data);
    assertThat(OtlpJson.<MetricsData>decode(theirs, MetricsData.newBuilder())).isEqualTo(data);
  }

  // ---------------------------------------------------------------------------------------------
  // The OTLP/JSON output rules
  // ---------------------------------------------------------------------------------------------

  @Test
  void writesIdsAsLowerCaseHexAndOtherBytesAsBase64() {
    Span span = Span.newBuilder()
        .setTraceId(hex("5B8EFFF798038103D269B633813FC60C"))
        .setSpanId(hex("EEE19B7EC3C1B174"))
        .setParentSpanId(hex("00000000000000FF"))
        .addLinks(Span.Link.newBuilder().setTraceId(hex("0102030405060708090a0b0c0d0e0f10"))
            .setSpanId(hex("a1a2a3a4a5a6a7a8")))
        .addAttributes(KeyValue.newBuilder().setKey("raw")
            .setValue(AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[] {0, 1, 2, -1}))))
        .build();
    TracesData data = TracesData.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build();

    String json = OtlpJson.encodeToString(data);

    assertThat(json).contains(
        "\"traceId\":\"5b8efff798038103d269b633813fc60c\"",
        "\"spanId\":\"eee19b7ec3c1b174\"",
        "\"parentSpanId\":\"00000000000000ff\"",
        "\"links\":[{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"a1a2a3a4a5a6a7a8\"}]",
        "\"bytesValue\":\"AAEC/w==\"");
  }

  @Test
  void writesIdsOfLogRecordsAndExemplarsAsHex() {
    LogsData logs = LogsData.newBuilder().addResourceLogs(TestData.resourceLogs("svc", 1, 7)).build();
    LogRecord r = logs.getResourceLogs(0).getScopeLogs(0).getLogRecords(0);
    MetricsData metrics = MetricsData.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder().setName("h")
            .setHistogram(Histogram.newBuilder().addDataPoints(HistogramDataPoint.newBuilder()
                .addExemplars(Exemplar.newBuilder().setTraceId(r.getTraceId()).setSpanId(r.getSpanId())
                    .setAsDouble(1.5))))))).build();
    HexFormat h = HexFormat.of();

    assertThat(OtlpJson.encodeToString(logs))
        .contains("\"traceId\":\"" + h.formatHex(r.getTraceId().toByteArray()) + "\"")
        .contains("\"spanId\":\"" + h.formatHex(r.getSpanId().toByteArray()) + "\"");
    assertThat(OtlpJson.encodeToString(metrics))
        .contains("\"traceId\":\"" + h.formatHex(r.getTraceId().toByteArray()) + "\"")
        .contains("\"spanId\":\"" + h.formatHex(r.getSpanId().toByteArray()) + "\"");
  }

  @Test
  void writesSixtyFourBitIntegersAsDecimalStrings() {
    String json = OtlpJson.encodeToString(TracesData.newBuilder()
        .addResourceSpans(TestData.resourceSpans("svc", 1, 0)).build());
    Span span = TestData.resourceSpans("svc", 1, 0).getScopeSpans(0).getSpans(0);

    assertThat(json)
        .contains("\"startTimeUnixNano\":\"" + span.getStartTimeUnixNano() + "\"")
        .contains("\"endTimeUnixNano\":\"" + span.getEndTimeUnixNano() + "\"")
        .contains("\"intValue\":\"500\"");
    String metrics = OtlpJson.encodeToString(MetricsData.newBuilder()
        .addResourceMetrics(TestData.resourceMetrics("svc", 1, 0)).build());
    assertThat(metrics).contains("\"asInt\":\"100\"", "\"count\":\"6\"", "\"bucketCounts\":[\"2\",\"3\",\"1\"]");
  }

  @Test
  void writesEnumsAsIntegersAndKeysInLowerCamelCase() {
    Span span = Span.newBuilder().setName("s").setKind(Span.SpanKind.SPAN_KIND_CLIENT).setDroppedAttributesCount(2)
        .setStatus(io.opentelemetry.proto.trace.v1.Status.newBuilder()
            .setCode(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_OK))
        .build();
    String traces = OtlpJson.encodeToString(TracesData.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span))).build());
    String logs = OtlpJson.encodeToString(LogsData.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
        .addScopeLogs(ScopeLogs.newBuilder().addLogRecords(LogRecord.newBuilder()
            .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_WARN)))).build());

    assertThat(traces).isEqualTo("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"s\",\"kind\":3,"
        + "\"droppedAttributesCount\":2,\"status\":{\"code\":1}}]}]}]}");
    assertThat(logs).contains("\"severityNumber\":13").doesNotContain("_");
  }

  @Test
  void omitsDefaultValuesButKeepsFieldsThatAreExplicitlyPresent() {
    HistogramDataPoint p = HistogramDataPoint.newBuilder().setSum(0).setCount(0).build();
    String json = OtlpJson.encodeToString(MetricsData.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(Metric.newBuilder()
            .setHistogram(Histogram.newBuilder().addDataPoints(p))))).build());

    assertThat(json).isEqualTo(
        "{\"resourceMetrics\":[{\"scopeMetrics\":[{\"metrics\":[{\"histogram\":{\"dataPoints\":[{\"sum\":0.0}]}}]}]}]}");
  }

  @Test
  void encodesResponsesAndEmptyMessages() {
    ExportTraceServiceResponse partial = ExportTraceServiceResponse.newBuilder()
        .setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(3).setErrorMessage("too old"))
        .build();

    assertThat(OtlpJson.encodeToString(partial))
        .isEqualTo("{\"partialSuccess\":{\"rejectedSpans\":\"3\",\"errorMessage\":\"too old\"}}");
    assertThat(OtlpJson.encodeToString(ExportTraceServiceResponse.getDefaultInstance())).isEqualTo("{}");
    assertThat(OtlpJson.<ExportTraceServiceResponse>decode("{}", ExportTraceServiceResponse.newBuilder()))
        .isEqualTo(ExportTraceServiceResponse.getDefaultInstance());
    assertThat(OtlpJson.<ExportTraceServiceResponse>decode("{\"partialSuccess\":{\"rejectedSpans\":3}}", ExportTraceServiceResponse.newBuilder()))
        .isEqualTo(ExportTraceServiceResponse.newBuilder()
            .setPartialSuccess(ExportTracePartialSuccess.newBuilder().setRejectedSpans(3)).build());
  }

  @Test
  void escapesStringsAndKeepsUnicode() {
    String tricky = "quote \" backslash \\ newline \n tab \t nul \u0000 é 中 😀";
    LogsData data = LogsData.newBuilder().addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(ScopeLogs
        .newBuilder().addLogRecords(LogRecord.newBuilder().setBody(AnyValue.newBuilder().setStringValue(tricky)))))
        .build();

    String json = OtlpJson.encodeToString(data);

    assertThat(json).doesNotContain("\n").contains("é 中 😀");
    assertThat(OtlpJson.<LogsData>decode(json, LogsData.newBuilder())).isEqualTo(data);
  }

  @Test
  void writeToStreamsTheSameBytesAsEncode() throws Exception {
    TracesData data = TracesData.newBuilder().addResourceSpans(TestData.resourceSpans("svc", 20, 3)).build();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write('x');

    OtlpJson.writeTo(data, out);

    byte[] expected = OtlpJson.encode(data);
    assertThat(out.size()).isEqualTo(expected.length + 1);
    assertThat(new String(out.toByteArray(), 1, expected.length, StandardCharsets.UTF_8))
        .isEqualTo(new String(expected, StandardCharsets.UTF_8));
  }

  // ---------------------------------------------------------------------------------------------
  // What the decoder accepts
  // ---------------------------------------------------------------------------------------------

  @Test
  void acceptsNumbersAndStringsForAllIntegerKinds() {
    String json = """
        {"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"gauge":{"dataPoints":[
          {"timeUnixNano": 18446744073709551615, "asInt": -5, "flags": "7"},
          {"timeUnixNano": "18446744073709551615", "asInt": "-5", "flags": 7},
          {"timeUnixNano": 1.5e9, "asInt": "1e3", "flags": 7.0}
        ]}}]}]}]}
        """;

    List<NumberDataPoint> points = OtlpJson.<MetricsData>decode(json, MetricsData.newBuilder())
        .getResourceMetrics(0).getScopeMetrics(0).getMetrics(0).getGauge().getDataPointsList();

    assertThat(points.get(0).getTimeUnixNano()).isEqualTo(-1L);
    assertThat(points.get(0).getAsInt()).isEqualTo(-5);
    assertThat(points.get(0).getFlags()).isEqualTo(7);
    assertThat(points.get(1)).isEqualTo(points.get(0));
    assertThat(points.get(2).getTimeUnixNano()).isEqualTo(1_500_000_000L);
    assertThat(points.get(2).getAsInt()).isEqualTo(1000);
  }

  @Test
  void acceptsEnumNamesAndUnknownEnumNumbers() {
    String json = """
        {"resourceSpans":[{"scopeSpans":[{"spans":[
          {"kind": "SPAN_KIND_CONSUMER", "status": {"code": "STATUS_CODE_OK"}},
          {"kind": 42},
          {"kind": "NO_SUCH_KIND", "name": "kept"}
        ]}]}]}
        """;

    List<Span> spans = OtlpJson.decodeTraces(utf8(json)).getResourceSpans(0).getScopeSpans(0).getSpansList();

    assertThat(spans.get(0).getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_CONSUMER);
    assertThat(spans.get(0).getStatus().getCode())
        .isEqualTo(io.opentelemetry.proto.trace.v1.Status.StatusCode.STATUS_CODE_OK);
    assertThat(spans.get(1).getKindValue()).isEqualTo(42);
    assertThat(spans.get(2).getKind()).isEqualTo(Span.SpanKind.SPAN_KIND_UNSPECIFIED);
    assertThat(spans.get(2).getName()).isEqualTo("kept");
  }

  @Test
  void ignoresUnknownFieldsAtEveryLevel() {
    String json = """
        {"futureTopLevel": {"a": [1, 2, {"b": null}]},
         "resourceSpans":[{"resource": {"attributes": [], "entityRefs2": "x"},
           "scopeSpans":[{"spans":[{"name": "s", "newField": [[]], "links": [{"unknown": true}]}]}]}],
         "trailingUnknown": 1.5}
        """;

    ExportTraceServiceRequest req = OtlpJson.decodeTraces(utf8(json));

    Span span = req.getResourceSpans(0).getScopeSpans(0).getSpans(0);
    assertThat(span.getName()).isEqualTo("s");
    assertThat(span.getLinksCount()).isEqualTo(1);
    assertThat(req.getResourceSpans(0).getResource().getAttributesCount()).isZero();
  }

  @Test
  void acceptsProtoFieldNamesNullsAndEmptyIds() {
    String json = """
        {"resource_spans":[{"scope_spans":[{"spans":[
          {"trace_id": "5b8efff798038103d269b633813fc60c", "span_id": "", "name": null, "parentSpanId": null,
           "start_time_unix_nano": "5", "attributes": null}
        ]}]}]}
        """;

    Span span = OtlpJson.decodeTraces(utf8(json)).getResourceSpans(0).getScopeSpans(0).getSpans(0);

    assertThat(span.getTraceId()).isEqualTo(hex("5b8efff798038103d269b633813fc60c"));
    assertThat(span.getSpanId()).isEqualTo(ByteString.EMPTY);
    assertThat(span.getName()).isEmpty();
    assertThat(span.getStartTimeUnixNano()).isEqualTo(5);
  }

  @Test
  void acceptsUrlSafeAndUnpaddedBase64() {
    String json = """
        {"resourceLogs":[{"scopeLogs":[{"logRecords":[
          {"body": {"bytesValue": "-_8"}},
          {"body": {"bytesValue": "+/8="}}
        ]}]}]}
        """;

    List<LogRecord> records = OtlpJson.decodeLogs(utf8(json)).getResourceLogs(0).getScopeLogs(0).getLogRecordsList();

    assertThat(records.get(0).getBody().getBytesValue().toByteArray()).containsExactly(0xFB, 0xFF);
    assertThat(records.get(1).getBody().getBytesValue().toByteArray()).containsExactly(0xFB, 0xFF);
  }

  // ---------------------------------------------------------------------------------------------
  // Decoding errors
  // ---------------------------------------------------------------------------------------------

  @Test
  void rejectsMalformedJsonWithItsLocation() {
    String json = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":\"a\",}]}]}]}";

    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8(json)))
        .isInstanceOf(PermanentException.class)
        .hasMessageStartingWith("Malformed JSON at resourceSpans[0].scopeSpans[0].spans[0]")
        .hasMessageContaining("(line 1, column 56): Unexpected character ('}'");
  }

  @Test
  void rejectsTruncatedJson() {
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":[{")))
        .isInstanceOf(PermanentException.class)
        .hasMessageStartingWith("Malformed JSON")
        .hasMessageContaining("end-of-input");
  }

  @Test
  void rejectsABadHexIdNamingTheFieldAndValue() {
    String json = """
        {"resourceSpans":[{"scopeSpans":[{"spans":[
          {"traceId": "5b8efff798038103d269b633813fc60c", "spanId": "eee19b7ec3c1b174"},
          {"traceId": "5b8efff798038103d269b633813fc6zz"}
        ]}]}]}
        """;

    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8(json)))
        .isInstanceOf(PermanentException.class)
        .hasMessage("Invalid OTLP/JSON at resourceSpans[0].scopeSpans[0].spans[1].traceId (line 3, column 15):"
            + " \"5b8efff798038103d269b633813fc6zz\" is not a valid trace id: 'z' is not a hex digit");
  }

  @Test
  void rejectsIdsOfTheWrongLengthAndBase64Ids() {
    String shortSpanId = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"spanId\":\"eee19b\"}]}]}]}";
    String base64TraceId = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"W47/95gDgQPSabYzgT/GDA==\"}]}]}]}";

    assertThatThrownBy(() -> OtlpJson.decodeLogs(utf8(shortSpanId)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("resourceLogs[0].scopeLogs[0].logRecords[0].spanId")
        .hasMessageContaining("\"eee19b\" is not a valid span id: expected 16 hex digits, found 6 characters");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8(base64TraceId)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("is not a valid trace id: expected 32 hex digits");
  }

  @Test
  void rejectsValuesOfTheWrongTypeSayingWhatWasExpected() {
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"name\":5}]}]}]}")))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("at resourceSpans[0].scopeSpans[0].spans[0].name")
        .hasMessageContaining("expected a string for 'name', found number 5");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":{}}")))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("at resourceSpans")
        .hasMessageContaining("expected an array for repeated field 'resourceSpans', found an object");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":[{\"resource\":[]}]}")))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("at resourceSpans[0].resource")
        .hasMessageContaining("expected an object (Resource), found an array");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{\"resourceSpans\":[null]}")))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("null is not allowed");
  }

  @Test
  void rejectsIntegersThatAreNotIntegersOrOutOfRange() {
    String notANumber = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"soon\"}]}]}]}";
    String fraction = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":1.5}]}]}]}";
    String negativeUnsigned = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"-1\"}]}]}]}";
    String tooBigInt32 = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"droppedAttributesCount\":4294967296}]}]}]}";
    String tooBigInt64 = "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"startTimeUnixNano\":\"18446744073709551616\"}]}]}]}";

    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8(notANumber)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("\"soon\" is not an integer, as 'startTimeUnixNano' requires");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8(fraction)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("1.5 is not an integer");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8(negativeUnsigned)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("-1 is out of range for 'startTimeUnixNano' (fixed64)");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8(tooBigInt32)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("4294967296 is out of range for 'droppedAttributesCount' (uint32)");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8(tooBigInt64)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("out of range");
  }

  @Test
  void rejectsDocumentsThatAreNotASingleObject() {
    assertThatThrownBy(() -> OtlpJson.decodeTraces(new byte[0]))
        .isInstanceOf(PermanentException.class).hasMessageContaining("the document is empty");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("[]")))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("expected a JSON object (ExportTraceServiceRequest), found an array");
    assertThatThrownBy(() -> OtlpJson.decodeTraces(utf8("{} {}")))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("after the end of the top-level object");
  }

  @Test
  void rejectsBadBase64AndBadDoubles() {
    String badBase64 = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"bytesValue\":\"%%%\"}}]}]}]}";
    String badDouble = "{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":{\"doubleValue\":\"lots\"}}]}]}]}";

    assertThatThrownBy(() -> OtlpJson.decodeLogs(utf8(badBase64)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("resourceLogs[0].scopeLogs[0].logRecords[0].body.bytesValue")
        .hasMessageContaining("is not valid base64");
    assertThatThrownBy(() -> OtlpJson.decodeLogs(utf8(badDouble)))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("\"lots\" is not a number for 'doubleValue'");
  }

  @Test
  void rejectsAbsurdlyDeepNestingWithoutOverflowingTheStack() {
    // 400 levels pass Jackson's nesting limit; 60 levels pass it but not protobuf's message depth limit.
    assertThatThrownBy(() -> OtlpJson.decodeLogs(utf8(nestedBody(400))))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("nesting depth");
    assertThatThrownBy(() -> OtlpJson.decodeLogs(utf8(nestedBody(60))))
        .isInstanceOf(PermanentException.class)
        .hasMessageContaining("levels of nesting");
  }

  private static String nestedBody(int depth) {
    StringBuilder json = new StringBuilder("{\"resourceLogs\":[{\"scopeLogs\":[{\"logRecords\":[{\"body\":");
    for (int i = 0; i < depth; i++) {
      json.append("{\"arrayValue\":{\"values\":[");
    }
    json.append("{\"stringValue\":\"leaf\"}");
    for (int i = 0; i < depth; i++) {
      json.append("]}}");
    }
    return json.append("}]}]}]}").toString();
  }

  @Test
  void decodesModeratelyNestedValues() {
    AnyValue v = AnyValue.newBuilder().setStringValue("leaf").build();
    for (int i = 0; i < 20; i++) {
      v = i % 2 == 0
          ? AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(v)).build()
          : AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
              .addValues(KeyValue.newBuilder().setKey("k" + i).setValue(v))).build();
    }
    LogsData data = LogsData.newBuilder().addResourceLogs(ResourceLogs.newBuilder().addScopeLogs(ScopeLogs.newBuilder()
        .addLogRecords(LogRecord.newBuilder().setBody(v)))).build();

    assertThat(OtlpJson.<LogsData>decode(OtlpJson.encode(data), LogsData.newBuilder())).isEqualTo(data);
  }

  @Test
  void summaryAndExponentialHistogramRoundTrip() {
    MetricsData data = MetricsData.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .addScopeMetrics(ScopeMetrics.newBuilder()
            .addMetrics(Metric.newBuilder().setName("s").setSummary(Summary.newBuilder()
                .addDataPoints(SummaryDataPoint.newBuilder().setCount(4).setSum(2.5).setTimeUnixNano(9)
                    .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99).setValue(1.2)))))
            .addMetrics(Metric.newBuilder().setName("e").setExponentialHistogram(ExponentialHistogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setScale(3).setCount(7).setZeroCount(1)
                    .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(-4)
                        .addBucketCounts(3).addBucketCounts(3)))))))
        .build();

    assertThat(OtlpJson.<MetricsData>decode(OtlpJson.encode(data), MetricsData.newBuilder())).isEqualTo(data);
  }
}
