package io.sluice.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import io.sluice.core.testkit.TestData;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class EncodedResourcesTest {

  /** Three resources, the second with two scopes and one scope without spans. */
  private static ExportTraceServiceRequest traces() {
    ResourceSpans a = TestData.resourceSpans("checkout", 7, 1);
    ResourceSpans b = TestData.resourceSpans("cart", 5, 2).toBuilder()
        .addScopeSpans(ScopeSpans.newBuilder().setScope(TestData.scope().toBuilder().setName("other")))
        .addScopeSpans(TestData.resourceSpans("cart", 4, 3).getScopeSpans(0).toBuilder()
            .setSchemaUrl("https://opentelemetry.io/schemas/1.26.0"))
        .setSchemaUrl("https://opentelemetry.io/schemas/1.25.0")
        .build();
    ResourceSpans c = TestData.resourceSpans("payment", 3, 4);
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(a).addResourceSpans(b).addResourceSpans(c).build();
  }

  private static ExportMetricsServiceRequest metrics() {
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(TestData.resourceMetrics("checkout", 4, 1))
        .addResourceMetrics(TestData.resourceMetrics("cart", 2, 2))
        .build();
  }

  private static ExportLogsServiceRequest logs() {
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(TestData.resourceLogs("checkout", 6, 1))
        .addResourceLogs(TestData.resourceLogs("cart", 3, 2))
        .build();
  }

  private static EncodedResources scan(Signal signal, Message request) throws InvalidProtocolBufferException {
    byte[] bytes = request.toByteArray();
    // Offset into a larger array, as a slice of a received buffer would be.
    byte[] padded = new byte[bytes.length + 10];
    System.arraycopy(bytes, 0, padded, 3, bytes.length);
    return EncodedResources.scanRequest(signal, padded, 3, bytes.length);
  }

  @Test
  void groupsResourceMessagesByTheirResourceInOrderOfFirstAppearance() throws Exception {
    ResourceSpans a1 = TestData.resourceSpans("a", 2, 1);
    ResourceSpans b = TestData.resourceSpans("b", 3, 2);
    ResourceSpans a2 = TestData.resourceSpans("a", 4, 3);
    ResourceSpans none = ResourceSpans.newBuilder().addScopeSpans(a1.getScopeSpans(0)).build();
    EncodedResources all = scan(Signal.TRACES, ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(a1).addResourceSpans(b).addResourceSpans(none).addResourceSpans(a2).build());

    List<EncodedResources> groups = all.groupByResource();

    assertThat(groups).hasSize(3);
    assertThat(groups.get(0).decode()).isEqualTo(List.of(a1, a2));
    assertThat(groups.get(0).itemCount()).isEqualTo(6);
    assertThat(groups.get(1).decode()).isEqualTo(List.of(b));
    assertThat(groups.get(2).decode()).isEqualTo(List.of(none));
  }

  @Test
  void resourcesThatAllShareOneResourceAreOneGroup() throws Exception {
    EncodedResources all = scan(Signal.LOGS, ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(TestData.resourceLogs("a", 2, 1)).addResourceLogs(TestData.resourceLogs("a", 3, 2))
        .build());

    assertThat(all.groupByResource()).containsExactly(all);
  }

  @Test
  void countsItemsOfEverySignalWithoutParsing() throws Exception {
    assertThat(scan(Signal.TRACES, traces()).itemCount())
        .isEqualTo(Batch.countItems(Signal.TRACES, traces().getResourceSpansList())).isEqualTo(19);
    assertThat(scan(Signal.METRICS, metrics()).itemCount())
        .isEqualTo(Batch.countItems(Signal.METRICS, metrics().getResourceMetricsList())).isEqualTo(18);
    assertThat(scan(Signal.LOGS, logs()).itemCount())
        .isEqualTo(Batch.countItems(Signal.LOGS, logs().getResourceLogsList())).isEqualTo(9);
  }

  @Test
  void writesBackTheRequestItReadByteForByte() throws Exception {
    for (Message request : List.of(traces(), metrics(), logs())) {
      Signal signal = request instanceof ExportTraceServiceRequest ? Signal.TRACES
          : request instanceof ExportMetricsServiceRequest ? Signal.METRICS : Signal.LOGS;
      EncodedResources e = scan(signal, request);
      assertThat(e.toRequestBytes()).isEqualTo(request.toByteArray());
      assertThat(e.requestBytes()).isEqualTo(request.getSerializedSize());
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      e.writeRequestTo(out);
      assertThat(out.toByteArray()).isEqualTo(request.toByteArray());
    }
  }

  @Test
  void decodesToTheSameMessages() throws Exception {
    assertThat(scan(Signal.TRACES, traces()).decode()).isEqualTo(traces().getResourceSpansList());
    assertThat(scan(Signal.METRICS, metrics()).decode()).isEqualTo(metrics().getResourceMetricsList());
    assertThat(scan(Signal.LOGS, logs()).decode()).isEqualTo(logs().getResourceLogsList());
  }

  @Test
  void encodingDecodedMessagesGivesTheSameBytes() {
    EncodedResources e = EncodedResources.encode(Signal.TRACES, traces().getResourceSpansList());
    assertThat(e.toRequestBytes()).isEqualTo(traces().toByteArray());
    assertThat(e.itemCount()).isEqualTo(19);
  }

  @Test
  void skipsUnknownFieldsOfTheRequest() throws Exception {
    byte[] known = traces().toByteArray();
    // field 7, varint 5; field 9, length-delimited "xy"
    byte[] extra = {0x38, 0x05, 0x4A, 0x02, 'x', 'y'};
    byte[] both = Arrays.copyOf(known, known.length + extra.length);
    System.arraycopy(extra, 0, both, known.length, extra.length);
    EncodedResources e = EncodedResources.scanRequest(Signal.TRACES, both, 0, both.length);
    assertThat(e.itemCount()).isEqualTo(19);
    assertThat(e.toRequestBytes()).isEqualTo(known);
  }

  @Test
  void cutsTracesAtEverySpanKeepingResourceAndScope() throws Exception {
    EncodedResources all = scan(Signal.TRACES, traces());
    List<String> expected = spans(traces().getResourceSpansList());
    for (int n = 0; n <= all.itemCount(); n++) {
      EncodedResources.Parts p = all.cut(n);
      assertThat(p.head().itemCount()).isEqualTo(n);
      assertThat(p.tail().itemCount()).isEqualTo(all.itemCount() - n);
      List<String> joined = new ArrayList<>(spans(cast(p.head().decode())));
      joined.addAll(spans(cast(p.tail().decode())));
      assertThat(joined).as("cut at %d", n).isEqualTo(expected);
      assertThat(p.head().itemCount() + p.tail().itemCount()).isEqualTo(all.itemCount());
    }
  }

  @Test
  void cutsMetricsAtEveryDataPointKeepingTheMetricDescriptor() throws Exception {
    EncodedResources all = scan(Signal.METRICS, metrics());
    List<String> expected = points(metrics().getResourceMetricsList());
    for (int n = 0; n <= all.itemCount(); n++) {
      EncodedResources.Parts p = all.cut(n);
      List<String> joined = new ArrayList<>(points(cast(p.head().decode())));
      joined.addAll(points(cast(p.tail().decode())));
      assertThat(joined).as("cut at %d", n).isEqualTo(expected);
      assertThat(Batch.countItems(Signal.METRICS, p.head().decode())).isEqualTo(n);
    }
  }

  @Test
  void cutsLogs() throws Exception {
    EncodedResources all = scan(Signal.LOGS, logs());
    List<String> expected = records(logs().getResourceLogsList());
    for (int n = 0; n <= all.itemCount(); n++) {
      EncodedResources.Parts p = all.cut(n);
      List<String> joined = new ArrayList<>(records(cast(p.head().decode())));
      joined.addAll(records(cast(p.tail().decode())));
      assertThat(joined).isEqualTo(expected);
    }
  }

  @Test
  void splitsBySizeUnderTheLimitKeepingEveryItemInOrder() throws Exception {
    ExportTraceServiceRequest big = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(TestData.resourceSpans("a", 300, 1))
        .addResourceSpans(TestData.resourceSpans("b", 20, 2))
        .addResourceSpans(TestData.resourceSpans("c", 500, 3))
        .build();
    EncodedResources all = scan(Signal.TRACES, big);
    for (long max : new long[] {all.requestBytes(), 100_000, 20_000, 3_000}) {
      List<EncodedResources> parts = all.splitBySize(max);
      List<String> joined = new ArrayList<>();
      int items = 0;
      for (EncodedResources p : parts) {
        assertThat(p.requestBytes()).as("limit %d", max).isLessThanOrEqualTo(max);
        joined.addAll(spans(cast(p.decode())));
        items += p.itemCount();
      }
      assertThat(items).isEqualTo(820);
      assertThat(joined).isEqualTo(spans(big.getResourceSpansList()));
      if (max < all.requestBytes()) {
        assertThat(parts).hasSizeGreaterThan(1);
      }
    }
  }

  @Test
  void anItemLargerThanTheLimitGoesAlone() throws Exception {
    EncodedResources all = scan(Signal.TRACES, traces());
    List<EncodedResources> parts = all.splitBySize(50);
    assertThat(parts).hasSize(19).allSatisfy(p -> assertThat(p.itemCount()).isEqualTo(1));
  }

  @Test
  void refusesMalformedFraming() {
    byte[] ok = traces().toByteArray();
    assertThatThrownBy(() -> EncodedResources.scanRequest(Signal.TRACES, ok, 0, ok.length - 3))
        .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("past the end");
    byte[] group = {0x0B}; // field 1, wire type 3
    assertThatThrownBy(() -> EncodedResources.scanRequest(Signal.TRACES, group, 0, 1))
        .isInstanceOf(InvalidProtocolBufferException.class).hasMessageContaining("wire type 3");
    // A resource whose scope claims more bytes than the resource has.
    byte[] lying = {0x0A, 0x03, 0x12, 0x09, 0x00};
    assertThatThrownBy(() -> EncodedResources.scanRequest(Signal.TRACES, lying, 0, lying.length))
        .isInstanceOf(InvalidProtocolBufferException.class);
    byte[] endless = {0x0A, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF};
    assertThatThrownBy(() -> EncodedResources.scanRequest(Signal.TRACES, endless, 0, endless.length))
        .isInstanceOf(InvalidProtocolBufferException.class);
  }

  @Test
  void aMessageThatFramesButDoesNotParseFailsPermanentlyWhenRead() throws Exception {
    // A span whose name (field 5) is not UTF-8: the framing is fine, the parser refuses it.
    byte[] span = {0x2A, 0x02, (byte) 0xC3, 0x28};
    // resource{scope_spans{spans{bad}}}
    byte[] scope = concat(new byte[] {0x12, (byte) span.length}, span);
    byte[] resource = concat(new byte[] {0x12, (byte) scope.length}, scope);
    byte[] request = concat(new byte[] {0x0A, (byte) resource.length}, resource);
    EncodedResources e = EncodedResources.scanRequest(Signal.TRACES, request, 0, request.length);
    assertThat(e.itemCount()).isEqualTo(1);
    assertThatThrownBy(e::decode).isInstanceOf(PermanentException.class).hasMessageContaining("ResourceSpans");
  }

  @Test
  void concatenatesInOrder() throws Exception {
    EncodedResources a = scan(Signal.TRACES, traces());
    EncodedResources b = scan(Signal.TRACES, ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(TestData.resourceSpans("z", 2, 9)).build());
    EncodedResources both = EncodedResources.concat(Signal.TRACES, List.of(a, b));
    assertThat(both.itemCount()).isEqualTo(21);
    assertThat(both.size()).isEqualTo(4);
    assertThat(both.requestBytes()).isEqualTo(a.requestBytes() + b.requestBytes());
    assertThat(cast(both.decode()).get(3)).isEqualTo(TestData.resourceSpans("z", 2, 9));
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> cast(List<?> l) {
    return (List<T>) l;
  }

  /** Every span with its resource and scope, as comparable strings. */
  private static List<String> spans(List<ResourceSpans> rs) {
    List<String> out = new ArrayList<>();
    for (ResourceSpans r : rs) {
      for (ScopeSpans ss : r.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          out.add(r.getResource() + "|" + r.getSchemaUrl() + "|" + ss.getScope() + "|" + ss.getSchemaUrl() + "|"
              + ByteString.copyFrom(s.toByteArray()).toStringUtf8().hashCode() + "|" + s);
        }
      }
    }
    return out;
  }

  private static List<String> points(List<ResourceMetrics> rs) {
    List<String> out = new ArrayList<>();
    for (ResourceMetrics r : rs) {
      for (ScopeMetrics sm : r.getScopeMetricsList()) {
        for (Metric m : sm.getMetricsList()) {
          String desc = m.getName() + "/" + m.getUnit() + "/" + m.getDescription() + "/" + m.getDataCase();
          List<?> pts = switch (m.getDataCase()) {
            case GAUGE -> m.getGauge().getDataPointsList();
            case SUM -> m.getSum().getDataPointsList();
            case HISTOGRAM -> m.getHistogram().getDataPointsList();
            default -> List.of();
          };
          String extra = m.hasSum() ? m.getSum().getAggregationTemporality() + "/" + m.getSum().getIsMonotonic()
              : m.hasHistogram() ? String.valueOf(m.getHistogram().getAggregationTemporality()) : "";
          for (Object p : pts) {
            out.add(r.getResource() + "|" + sm.getScope() + "|" + desc + "|" + extra + "|" + p);
          }
        }
      }
    }
    return out;
  }

  private static List<String> records(List<ResourceLogs> rs) {
    List<String> out = new ArrayList<>();
    for (ResourceLogs r : rs) {
      for (ScopeLogs sl : r.getScopeLogsList()) {
        sl.getLogRecordsList().forEach(l -> out.add(r.getResource() + "|" + sl.getScope() + "|" + l));
      }
    }
    return out;
  }
}
