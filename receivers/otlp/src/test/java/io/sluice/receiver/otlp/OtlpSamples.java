package io.sluice.receiver.otlp;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
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
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;

/**
 * OTLP/JSON requests written by hand the way the OTLP specification describes the encoding
 * (hex ids, 64-bit integers as strings, enums as integers, lowerCamelCase, an unknown field here
 * and there), each with the protobuf message it must decode to.
 */
final class OtlpSamples {
  private OtlpSamples() {}

  static final String TRACE_ID = "5b8efff798038103d269b633813fc60c";
  static final String SPAN_ID = "eee19b7ec3c1b174";
  static final String PARENT_ID = "eee19b7ec3c1b173";

  static final String TRACES_JSON = """
      {
        "resourceSpans": [{
          "resource": {
            "attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}],
            "droppedAttributesCount": 1
          },
          "scopeSpans": [{
            "scope": {"name": "my.library", "version": "1.0.0",
                      "attributes": [{"key": "scope.attr", "value": {"stringValue": "s"}}]},
            "spans": [{
              "traceId": "5B8EFFF798038103D269B633813FC60C",
              "spanId": "EEE19B7EC3C1B174",
              "parentSpanId": "eee19b7ec3c1b173",
              "traceState": "vendor=value",
              "name": "GET /api/items",
              "kind": 2,
              "startTimeUnixNano": "1544712660000000000",
              "endTimeUnixNano": "1544712661000000000",
              "flags": 257,
              "attributes": [
                {"key": "str", "value": {"stringValue": "x"}},
                {"key": "int", "value": {"intValue": "-42"}},
                {"key": "intAsNumber", "value": {"intValue": 7}},
                {"key": "dbl", "value": {"doubleValue": 1.5}},
                {"key": "bool", "value": {"boolValue": true}},
                {"key": "arr", "value": {"arrayValue": {"values": [{"stringValue": "a"}, {"intValue": "1"}]}}},
                {"key": "map", "value": {"kvlistValue": {"values": [{"key": "inner", "value": {"boolValue": false}}]}}},
                {"key": "bytes", "value": {"bytesValue": "AQID"}}
              ],
              "droppedAttributesCount": 2,
              "events": [{
                "timeUnixNano": "1544712660500000000",
                "name": "cache.miss",
                "attributes": [{"key": "cache.key", "value": {"stringValue": "item-1"}}],
                "droppedAttributesCount": 0
              }],
              "droppedEventsCount": 3,
              "links": [{
                "traceId": "0102030405060708090a0b0c0d0e0f10",
                "spanId": "1112131415161718",
                "traceState": "k=v",
                "attributes": [{"key": "link.attr", "value": {"intValue": "5"}}],
                "flags": 768
              }],
              "droppedLinksCount": 4,
              "status": {"code": 2, "message": "boom"},
              "someFutureField": {"nested": [1, 2, 3]}
            }, {
              "traceId": "5b8efff798038103d269b633813fc60c",
              "spanId": "eee19b7ec3c1b175",
              "name": "child",
              "kind": 3,
              "startTimeUnixNano": 1544712660100000000,
              "endTimeUnixNano": "1544712660200000000"
            }],
            "schemaUrl": "https://opentelemetry.io/schemas/1.24.0"
          }],
          "schemaUrl": "https://opentelemetry.io/schemas/1.24.0"
        }]
      }
      """;

  static ExportTraceServiceRequest tracesProto() {
    Span full = Span.newBuilder()
        .setTraceId(id(TRACE_ID))
        .setSpanId(id(SPAN_ID))
        .setParentSpanId(id(PARENT_ID))
        .setTraceState("vendor=value")
        .setName("GET /api/items")
        .setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano(1544712660000000000L)
        .setEndTimeUnixNano(1544712661000000000L)
        .setFlags(257)
        .addAttributes(kv("str", AnyValue.newBuilder().setStringValue("x")))
        .addAttributes(kv("int", AnyValue.newBuilder().setIntValue(-42)))
        .addAttributes(kv("intAsNumber", AnyValue.newBuilder().setIntValue(7)))
        .addAttributes(kv("dbl", AnyValue.newBuilder().setDoubleValue(1.5)))
        .addAttributes(kv("bool", AnyValue.newBuilder().setBoolValue(true)))
        .addAttributes(kv("arr", AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
            .addValues(AnyValue.newBuilder().setStringValue("a"))
            .addValues(AnyValue.newBuilder().setIntValue(1)))))
        .addAttributes(kv("map", AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
            .addValues(kv("inner", AnyValue.newBuilder().setBoolValue(false))))))
        .addAttributes(kv("bytes", AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[] {1, 2, 3}))))
        .setDroppedAttributesCount(2)
        .addEvents(Span.Event.newBuilder().setTimeUnixNano(1544712660500000000L).setName("cache.miss")
            .addAttributes(kv("cache.key", AnyValue.newBuilder().setStringValue("item-1"))))
        .setDroppedEventsCount(3)
        .addLinks(Span.Link.newBuilder().setTraceId(id("0102030405060708090a0b0c0d0e0f10"))
            .setSpanId(id("1112131415161718")).setTraceState("k=v")
            .addAttributes(kv("link.attr", AnyValue.newBuilder().setIntValue(5))).setFlags(768))
        .setDroppedLinksCount(4)
        .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("boom"))
        .build();
    Span child = Span.newBuilder()
        .setTraceId(id(TRACE_ID))
        .setSpanId(id("eee19b7ec3c1b175"))
        .setName("child")
        .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
        .setStartTimeUnixNano(1544712660100000000L)
        .setEndTimeUnixNano(1544712660200000000L)
        .build();
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(ResourceSpans.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name", AnyValue.newBuilder().setStringValue(
            "checkout"))).setDroppedAttributesCount(1))
        .addScopeSpans(ScopeSpans.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("my.library").setVersion("1.0.0")
                .addAttributes(kv("scope.attr", AnyValue.newBuilder().setStringValue("s"))))
            .addSpans(full)
            .addSpans(child)
            .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0"))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.24.0"))
        .build();
  }

  static final String METRICS_JSON = """
      {
        "resourceMetrics": [{
          "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
          "scopeMetrics": [{
            "scope": {"name": "my.meter"},
            "metrics": [
              {
                "name": "requests", "unit": "{request}", "description": "Requests served.",
                "sum": {
                  "aggregationTemporality": 2, "isMonotonic": true,
                  "dataPoints": [{
                    "attributes": [{"key": "route", "value": {"stringValue": "/a"}}],
                    "startTimeUnixNano": "1544712600000000000", "timeUnixNano": "1544712660000000000",
                    "asInt": "9007199254740993",
                    "exemplars": [{
                      "filteredAttributes": [{"key": "user", "value": {"stringValue": "u1"}}],
                      "timeUnixNano": "1544712659000000000", "asInt": "1",
                      "spanId": "EEE19B7EC3C1B174", "traceId": "5b8efff798038103d269b633813fc60c"
                    }]
                  }]
                }
              },
              {
                "name": "temperature", "unit": "Cel",
                "gauge": {"dataPoints": [
                  {"timeUnixNano": "1544712660000000000", "asDouble": 21.5},
                  {"timeUnixNano": "1544712660000000000", "asDouble": "NaN", "flags": 1},
                  {"timeUnixNano": "1544712660000000000", "asDouble": "-Infinity"}
                ]}
              },
              {
                "name": "latency", "unit": "s",
                "histogram": {
                  "aggregationTemporality": 1,
                  "dataPoints": [{
                    "startTimeUnixNano": "1544712600000000000", "timeUnixNano": "1544712660000000000",
                    "count": "6", "sum": 3.5, "bucketCounts": ["2", "3", "1"], "explicitBounds": [0.1, 1.0],
                    "min": 0.01, "max": 2.0
                  }]
                }
              },
              {
                "name": "latency.exp", "unit": "s",
                "exponentialHistogram": {
                  "aggregationTemporality": 2,
                  "dataPoints": [{
                    "timeUnixNano": "1544712660000000000", "count": "5", "sum": 10.0, "scale": -1,
                    "zeroCount": "1", "zeroThreshold": 0.001,
                    "positive": {"offset": -2, "bucketCounts": ["1", "2"]},
                    "negative": {"offset": 1, "bucketCounts": ["1"]}
                  }]
                }
              },
              {
                "name": "rpc.summary",
                "summary": {"dataPoints": [{
                  "timeUnixNano": "1544712660000000000", "count": "10", "sum": 55.0,
                  "quantileValues": [{"quantile": 0.5, "value": 5.0}, {"quantile": 0.99, "value": 9.9}]
                }]}
              }
            ]
          }]
        }]
      }
      """;

  static ExportMetricsServiceRequest metricsProto() {
    ScopeMetrics scope = ScopeMetrics.newBuilder()
        .setScope(InstrumentationScope.newBuilder().setName("my.meter"))
        .addMetrics(Metric.newBuilder().setName("requests").setUnit("{request}").setDescription("Requests served.")
            .setSum(Sum.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                .setIsMonotonic(true)
                .addDataPoints(NumberDataPoint.newBuilder()
                    .addAttributes(kv("route", AnyValue.newBuilder().setStringValue("/a")))
                    .setStartTimeUnixNano(1544712600000000000L).setTimeUnixNano(1544712660000000000L)
                    .setAsInt(9007199254740993L)
                    .addExemplars(Exemplar.newBuilder()
                        .addFilteredAttributes(kv("user", AnyValue.newBuilder().setStringValue("u1")))
                        .setTimeUnixNano(1544712659000000000L).setAsInt(1)
                        .setSpanId(id(SPAN_ID)).setTraceId(id(TRACE_ID))))))
        .addMetrics(Metric.newBuilder().setName("temperature").setUnit("Cel")
            .setGauge(Gauge.newBuilder()
                .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(1544712660000000000L).setAsDouble(21.5))
                .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(1544712660000000000L)
                    .setAsDouble(Double.NaN).setFlags(1))
                .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(1544712660000000000L)
                    .setAsDouble(Double.NEGATIVE_INFINITY))))
        .addMetrics(Metric.newBuilder().setName("latency").setUnit("s")
            .setHistogram(Histogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
                .addDataPoints(HistogramDataPoint.newBuilder()
                    .setStartTimeUnixNano(1544712600000000000L).setTimeUnixNano(1544712660000000000L)
                    .setCount(6).setSum(3.5).addBucketCounts(2).addBucketCounts(3).addBucketCounts(1)
                    .addExplicitBounds(0.1).addExplicitBounds(1.0).setMin(0.01).setMax(2.0))))
        .addMetrics(Metric.newBuilder().setName("latency.exp").setUnit("s")
            .setExponentialHistogram(ExponentialHistogram.newBuilder()
                .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
                .addDataPoints(ExponentialHistogramDataPoint.newBuilder()
                    .setTimeUnixNano(1544712660000000000L).setCount(5).setSum(10.0).setScale(-1)
                    .setZeroCount(1).setZeroThreshold(0.001)
                    .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(-2)
                        .addBucketCounts(1).addBucketCounts(2))
                    .setNegative(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(1)
                        .addBucketCounts(1)))))
        .addMetrics(Metric.newBuilder().setName("rpc.summary")
            .setSummary(Summary.newBuilder().addDataPoints(SummaryDataPoint.newBuilder()
                .setTimeUnixNano(1544712660000000000L).setCount(10).setSum(55.0)
                .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(5.0))
                .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99).setValue(9.9)))))
        .build();
    return ExportMetricsServiceRequest.newBuilder().addResourceMetrics(ResourceMetrics.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name",
            AnyValue.newBuilder().setStringValue("checkout"))))
        .addScopeMetrics(scope))
        .build();
  }

  static final String LOGS_JSON = """
      {
        "resourceLogs": [{
          "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
          "scopeLogs": [{
            "scope": {"name": "my.logger"},
            "logRecords": [{
              "timeUnixNano": "1544712660300000000",
              "observedTimeUnixNano": "1544712660300000001",
              "severityNumber": 10,
              "severityText": "Information",
              "eventName": "order.placed",
              "traceId": "5B8EFFF798038103D269B633813FC60C",
              "spanId": "EEE19B7EC3C1B174",
              "flags": 1,
              "body": {"kvlistValue": {"values": [{"key": "msg", "value": {"stringValue": "hello"}}]}},
              "attributes": [{"key": "count", "value": {"intValue": "3"}}],
              "droppedAttributesCount": 1
            }, {
              "observedTimeUnixNano": "1544712660400000000",
              "body": {"stringValue": "no trace"}
            }]
          }]
        }]
      }
      """;

  static ExportLogsServiceRequest logsProto() {
    return ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
        .setResource(Resource.newBuilder().addAttributes(kv("service.name",
            AnyValue.newBuilder().setStringValue("checkout"))))
        .addScopeLogs(ScopeLogs.newBuilder()
            .setScope(InstrumentationScope.newBuilder().setName("my.logger"))
            .addLogRecords(LogRecord.newBuilder()
                .setTimeUnixNano(1544712660300000000L)
                .setObservedTimeUnixNano(1544712660300000001L)
                .setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO2)
                .setSeverityText("Information")
                .setEventName("order.placed")
                .setTraceId(id(TRACE_ID))
                .setSpanId(id(SPAN_ID))
                .setFlags(1)
                .setBody(AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
                    .addValues(kv("msg", AnyValue.newBuilder().setStringValue("hello")))))
                .addAttributes(kv("count", AnyValue.newBuilder().setIntValue(3)))
                .setDroppedAttributesCount(1))
            .addLogRecords(LogRecord.newBuilder()
                .setObservedTimeUnixNano(1544712660400000000L)
                .setBody(AnyValue.newBuilder().setStringValue("no trace")))))
        .build();
  }

  static KeyValue kv(String key, AnyValue.Builder value) {
    return KeyValue.newBuilder().setKey(key).setValue(value).build();
  }

  static ByteString id(String hex) {
    byte[] b = new byte[hex.length() / 2];
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
    }
    return ByteString.copyFrom(b);
  }
}
