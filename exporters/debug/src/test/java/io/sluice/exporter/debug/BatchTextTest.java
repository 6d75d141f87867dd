package io.sluice.exporter.debug;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

class BatchTextTest {
  private static final Envelope ENVELOPE = Envelope.of(ComponentId.of("test"));

  private static String details(Batch b) {
    StringBuilder sb = new StringBuilder(BatchText.summary(b));
    BatchText.appendDetails(b, sb);
    return sb.toString();
  }

  @Test
  void detailsExponentialHistogramBucketsAndSummaryQuantiles() {
    Metric exp = Metric.newBuilder().setName("sizes").setExponentialHistogram(ExponentialHistogram.newBuilder()
        .addDataPoints(ExponentialHistogramDataPoint.newBuilder().setScale(0).setCount(4).setZeroCount(1)
            .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(0)
                .addBucketCounts(1).addBucketCounts(2))))
        .build();
    Metric summary = Metric.newBuilder().setName("rtt").setSummary(Summary.newBuilder()
        .addDataPoints(SummaryDataPoint.newBuilder().setCount(10).setSum(4.5).setFlags(1)
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(0.4))))
        .build();
    Batch b = Batch.metrics(List.of(ResourceMetrics.newBuilder().addScopeMetrics(ScopeMetrics.newBuilder()
        .addMetrics(exp).addMetrics(summary).addMetrics(Metric.newBuilder().setName("nothing"))).build()), ENVELOPE);

    String text = details(b);

    assertThat(text).startsWith("Metrics: 1 resource metrics, 3 metrics, 2 data points").contains(
        "Type       : ExponentialHistogram", "Scale         : 0", "Zero count    : 1",
        "Bucket (1.0, 2.0]: 1", "Bucket (2.0, 4.0]: 2",
        "Type       : Summary", "Quantile 0.5: 0.4", "Flags     : 1 (no recorded value)",
        "Type       : Empty", "(no data)");
  }

  @Test
  void detailsLinksNestedValuesAndUnknownEnumNumbers() {
    byte[] trace = HexFormat.of().parseHex("0102030405060708090a0b0c0d0e0f10");
    Span span = Span.newBuilder().setName("s").setKindValue(42).setFlags(0x301)
        .addAttributes(KeyValue.newBuilder().setKey("nested").setValue(AnyValue.newBuilder()
            .setKvlistValue(KeyValueList.newBuilder().addValues(KeyValue.newBuilder().setKey("list")
                .setValue(AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
                    .addValues(AnyValue.newBuilder().setStringValue("a\"b"))
                    .addValues(AnyValue.newBuilder().setIntValue(7))))))))
        .addAttributes(KeyValue.newBuilder().setKey("raw")
            .setValue(AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[] {1, 2}))))
        .addLinks(Span.Link.newBuilder().setTraceId(ByteString.copyFrom(trace))
            .setSpanId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})).setTraceState("k=v"))
        .setDroppedLinksCount(3)
        .build();
    Batch b = Batch.traces(List.of(ResourceSpans.newBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().addSpans(span)).build()), ENVELOPE);

    String text = details(b);

    assertThat(text).contains("Kind           : 42", "Flags          : 0x00000301",
        "-> nested: Map({\"list\":[\"a\\\"b\",7]})", "-> raw: Bytes(AQI=)",
        "Link #0", "Trace ID   : 0102030405060708090a0b0c0d0e0f10", "ID         : 0102030405060708",
        "Trace state: k=v", "Dropped links: 3");
  }
}
