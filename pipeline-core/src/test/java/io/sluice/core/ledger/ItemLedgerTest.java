package io.sluice.core.ledger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import org.junit.jupiter.api.Test;

class ItemLedgerTest {
  @Test
  void numbersItemsPerStreamFromZero() {
    ItemLedger ledger = new ItemLedger();
    assertThat(ledger.reserve(1, 10)).isZero();
    assertThat(ledger.reserve(2, 5)).isZero();
    assertThat(ledger.reserve(1, 10)).isEqualTo(10);
    assertThat(ledger.counts(1).sent()).isEqualTo(20);
    assertThat(ledger.counts().sent()).isEqualTo(25);
    assertThat(ledger.sources()).containsExactly(1, 2);
  }

  @Test
  void everythingAcknowledgedAndDeliveredOnceInOrderIsClean() {
    ItemLedger ledger = new ItemLedger();
    int first = ledger.reserve(1, 100);
    ledger.acknowledged(1, first, 100);
    for (int i = 0; i < 100; i++) {
      ledger.received(1, i);
    }
    ItemLedger.Counts c = ledger.counts(1);
    assertThat(c.acknowledged()).isEqualTo(100);
    assertThat(c.delivered()).isEqualTo(100);
    assertThat(c.received()).isEqualTo(100);
    assertThat(c.lost()).isZero();
    assertThat(c.duplicated()).isZero();
    assertThat(c.reordered()).isZero();
    assertThat(c.unanswered()).isZero();
  }

  @Test
  void countsLostOnlyAmongAcknowledgedItems() {
    ItemLedger ledger = new ItemLedger();
    ledger.reserve(1, 30);
    ledger.acknowledged(1, 0, 10);
    ledger.refused(1, 10, 10, "RESOURCE_EXHAUSTED");
    // 20..29: no answer yet.
    for (int i = 0; i < 10; i++) {
      if (i != 3 && i != 7) {
        ledger.received(1, i);
      }
    }
    ItemLedger.Counts c = ledger.counts(1);
    assertThat(c.lost()).isEqualTo(2);
    assertThat(ledger.lost(1, 10)).containsExactly(3, 7);
    assertThat(ledger.lost(1, 1)).containsExactly(3);
    assertThat(c.refused()).isEqualTo(10);
    assertThat(c.refused("RESOURCE_EXHAUSTED")).isEqualTo(10);
    assertThat(c.refused("UNAVAILABLE")).isZero();
    assertThat(c.unanswered()).isEqualTo(10);
  }

  @Test
  void aRefusedItemThatArrivesAnywayIsDeliveredUnacknowledgedNotLost() {
    ItemLedger ledger = new ItemLedger();
    ledger.reserve(4, 5);
    ledger.refused(4, 0, 5, "UNAVAILABLE");
    ledger.received(4, 2);
    ItemLedger.Counts c = ledger.counts(4);
    assertThat(c.lost()).isZero();
    assertThat(c.deliveredUnacknowledged()).isEqualTo(1);
    assertThat(c.delivered()).isEqualTo(1);
  }

  @Test
  void countsEveryExtraCopyAsADuplicateAndNotAsReordered() {
    ItemLedger ledger = new ItemLedger();
    ledger.reserve(1, 5);
    ledger.acknowledged(1, 0, 5);
    for (int i : new int[] {0, 1, 2, 1, 2, 2, 3, 4}) {
      ledger.received(1, i);
    }
    ItemLedger.Counts c = ledger.counts(1);
    assertThat(c.received()).isEqualTo(8);
    assertThat(c.delivered()).isEqualTo(5);
    assertThat(c.duplicated()).isEqualTo(3);
    assertThat(c.reordered()).isZero();
  }

  @Test
  void countsAnItemArrivingAfterAHigherNumberOfItsStreamAsReordered() {
    ItemLedger ledger = new ItemLedger();
    ledger.reserve(1, 6);
    ledger.reserve(2, 2);
    // Stream 1: 3 4 5 overtake 0 1 2; stream 2 interleaved with it is in order.
    for (int i : new int[] {3, 4, 5, 0, 1, 2}) {
      ledger.received(1, i);
      if (i < 2) {
        ledger.received(2, i);
      }
    }
    assertThat(ledger.counts(1).reordered()).isEqualTo(3);
    assertThat(ledger.counts(2).reordered()).isZero();
    assertThat(ledger.counts().reordered()).isEqualTo(3);
  }

  @Test
  void refusesAnswersForItemsNeverSent() {
    ItemLedger ledger = new ItemLedger();
    ledger.reserve(1, 10);
    assertThatThrownBy(() -> ledger.acknowledged(1, 5, 10)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("items 5..14 of stream 1 were never reserved");
    assertThatThrownBy(() -> ledger.refused(2, 0, 1, "x")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> ledger.reserve(1, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void addsUpStreams() {
    ItemLedger ledger = new ItemLedger();
    ledger.reserve(1, 10);
    ledger.reserve(2, 10);
    ledger.acknowledged(1, 0, 10);
    ledger.acknowledged(2, 0, 5);
    ledger.refused(2, 5, 5, "UNAVAILABLE");
    ledger.received(1, 0);
    ledger.received(1, 0);
    ledger.received(2, 9);
    ItemLedger.Counts all = ledger.counts();
    assertThat(all.sent()).isEqualTo(20);
    assertThat(all.acknowledged()).isEqualTo(15);
    assertThat(all.refused("UNAVAILABLE")).isEqualTo(5);
    assertThat(all.delivered()).isEqualTo(2);
    assertThat(all.lost()).isEqualTo(9 + 5);
    assertThat(all.duplicated()).isEqualTo(1);
    assertThat(all.deliveredUnacknowledged()).isEqualTo(1);
    assertThat(ledger.counts(3)).isEqualTo(ItemLedger.Counts.ZERO);
  }

  @Test
  void numberedSpansCarryTheirStreamAndNumberThroughTheWire() throws Exception {
    NumberedItems spans = new NumberedItems(0x1234L);
    ItemLedger ledger = new ItemLedger();
    int first = ledger.reserve(7, 4);
    ExportTraceServiceRequest req = spans.request(7, first, 4, 16);
    ExportTraceServiceRequest back = ExportTraceServiceRequest.parseFrom(req.toByteArray());
    assertThat(spans.receive(back, ledger)).isEqualTo(4);
    assertThat(ledger.counts(7).delivered()).isEqualTo(4);
    assertThat(back.getResourceSpans(0).getScopeSpans(0).getSpans(2).getAttributes(0).getValue().getStringValue())
        .hasSize(16);

    // Spans of another run, and spans whose ids were rewritten, are not counted.
    assertThat(new NumberedItems(0x9999L).receive(back, ledger)).isZero();
    ByteString otherSpan = ByteString.copyFrom(NumberedItems.spanId(8, 1));
    assertThat(spans.receive(ByteString.copyFrom(spans.traceId(7, 1)), otherSpan, ledger)).isFalse();
    assertThat(spans.receive(ByteString.copyFrom(spans.traceId(7, 1)), ByteString.EMPTY, ledger)).isFalse();
    assertThat(ledger.counts(7).received()).isEqualTo(4);
    // A sink that does not know the run counts the items of any run.
    ItemLedger anyRun = new ItemLedger();
    assertThat(NumberedItems.anyRun().receive(back, anyRun)).isEqualTo(4);
    assertThat(anyRun.counts(7).delivered()).isEqualTo(4);
    assertThatThrownBy(() -> NumberedItems.spanId(0, 1)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new NumberedItems(0)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void namesLostItemsAndGapsAsRangesOfNumbers() {
    ItemLedger ledger = new ItemLedger();
    ledger.reserve(3, 20);
    ledger.acknowledged(3, 0, 20);
    for (int i = 0; i < 20; i++) {
      if (i != 4 && (i < 10 || i > 12) && i != 19) {
        ledger.received(3, i);
      }
    }
    assertThat(ledger.lostRanges(3, 10)).extracting(Object::toString).containsExactly("4", "10..12", "19");
    assertThat(ledger.lostRanges(3, 10).get(1).count()).isEqualTo(3);
    assertThat(ledger.lostRanges(3, 1)).hasSize(1);
    // The sink alone sees the holes below the highest number it received, not the lost tail.
    assertThat(ledger.gaps(3, 10)).extracting(Object::toString).containsExactly("4", "10..12");
    assertThat(ledger.gapCount(3)).isEqualTo(4);
    assertThat(ledger.gaps(9, 10)).isEmpty();
  }

  @Test
  void logRecordsAndDataPointsAreNumberedByTheSameIds() throws Exception {
    NumberedItems items = new NumberedItems(0x77L);
    ItemLedger ledger = new ItemLedger();
    io.opentelemetry.proto.logs.v1.LogRecord log = io.opentelemetry.proto.logs.v1.LogRecord.newBuilder()
        .setTraceId(ByteString.copyFrom(items.traceId(2, 5)))
        .setSpanId(ByteString.copyFrom(NumberedItems.spanId(2, 5)))
        .build();
    io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest logs =
        io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(io.opentelemetry.proto.logs.v1.ResourceLogs.newBuilder()
                .addScopeLogs(io.opentelemetry.proto.logs.v1.ScopeLogs.newBuilder().addLogRecords(log)
                    .addLogRecords(io.opentelemetry.proto.logs.v1.LogRecord.getDefaultInstance())))
            .build();
    assertThat(items.receive(logs, ledger)).isEqualTo(1);

    io.opentelemetry.proto.metrics.v1.NumberDataPoint point = io.opentelemetry.proto.metrics.v1.NumberDataPoint
        .newBuilder().setAsDouble(1).addExemplars(items.exemplar(2, 6, 1, 1.0)).build();
    io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest metrics =
        io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest.newBuilder()
            .addResourceMetrics(io.opentelemetry.proto.metrics.v1.ResourceMetrics.newBuilder()
                .addScopeMetrics(io.opentelemetry.proto.metrics.v1.ScopeMetrics.newBuilder()
                    .addMetrics(io.opentelemetry.proto.metrics.v1.Metric.newBuilder().setName("g")
                        .setGauge(io.opentelemetry.proto.metrics.v1.Gauge.newBuilder().addDataPoints(point)
                            .addDataPoints(point.toBuilder().clearExemplars())))))
            .build();
    assertThat(items.receive(metrics, ledger)).isEqualTo(1);
    assertThat(ledger.counts(2).delivered()).isEqualTo(2);
    assertThat(ledger.counts(2).reordered()).isZero();
    // An item before its trace's first item is not one of this run's.
    assertThat(items.receive(ByteString.copyFrom(items.traceId(2, 9)),
        ByteString.copyFrom(NumberedItems.spanId(2, 8)), ledger)).isFalse();
  }
}
