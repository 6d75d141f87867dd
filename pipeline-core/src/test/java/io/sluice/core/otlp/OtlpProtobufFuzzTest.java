package io.sluice.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.Batch;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.fuzz.Fuzz;
import io.sluice.core.testkit.fuzz.FuzzGuard;
import io.sluice.core.testkit.fuzz.Mutator;
import io.sluice.core.testkit.fuzz.SdkPayloads;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Mutation fuzzing of the binary OTLP scanner ({@link EncodedResources#scanRequest}, which every
 * protobuf request over HTTP and gRPC goes through) and of what runs later on the bytes it
 * accepted: cutting ({@code batch}, the exporters' size limit) and decoding (a processor that
 * reads fields). Seeds are the OpenTelemetry SDK's own serialized requests and the test kit's.
 *
 * <p>Invariants: the scanner throws nothing but {@link InvalidProtocolBufferException}; a request
 * it accepts can be cut anywhere into halves that scan again to the same items, split by size
 * without losing items, and decodes either to the items it counted or to a
 * {@link PermanentException}; no input hangs or makes it allocate more than a small multiple of
 * its size.
 */
class OtlpProtobufFuzzTest {

  static List<byte[]> seeds(Signal signal) {
    List<byte[]> seeds = new ArrayList<>(SdkPayloads.protobuf(signal));
    Message m = switch (signal) {
      case TRACES -> ExportTraceServiceRequest.newBuilder().addResourceSpans(TestData.resourceSpans("a", 3, 1))
          .addResourceSpans(TestData.resourceSpans("b", 2, 2)).build();
      case METRICS -> ExportMetricsServiceRequest.newBuilder()
          .addResourceMetrics(TestData.resourceMetrics("a", 2, 1)).build();
      case LOGS -> ExportLogsServiceRequest.newBuilder().addResourceLogs(TestData.resourceLogs("a", 4, 1)).build();
    };
    seeds.add(m.toByteArray());
    return seeds;
  }

  @ParameterizedTest
  @EnumSource(Signal.class)
  void scannerAcceptsOrRejectsMutatedRequestsAndWhatItAcceptsCutsAndDecodes(Signal signal) {
    Random cuts = new Random(1);
    try (FuzzGuard guard = FuzzGuard.of("otlp-protobuf-" + signal.configName(), InvalidProtocolBufferException.class);
        FuzzGuard later = FuzzGuard.of("otlp-protobuf-" + signal.configName() + "-accepted")) {
      Fuzz.run(guard, Fuzz.tries(60_000), Mutator.of(seeds(signal), 6), input -> {
        FuzzGuard.Outcome<EncodedResources> o = guard.run(input,
            () -> EncodedResources.scanRequest(signal, input, 0, input.length));
        if (!o.accepted()) {
          assertThat(o.rejected()).hasMessageStartingWith("malformed protobuf: ");
          return;
        }
        EncodedResources scanned = o.value();
        int cutAt = cuts.nextInt(scanned.itemCount() + 1);
        FuzzGuard.Outcome<Void> after = later.run(input, () -> {
          checkCut(signal, scanned, cutAt);
          checkDecode(signal, scanned, later);
          return null;
        });
        if (!after.accepted()) {
          AssertionError e = later.failure("accepted by the scanner, then " + after.rejected(), input);
          e.initCause(after.rejected());
          throw e;
        }
      });
    }
  }

  private static void checkCut(Signal signal, EncodedResources scanned, int n) throws Exception {
    EncodedResources.Parts parts = scanned.cut(n);
    assertThat(parts.head().itemCount()).as("head of a cut at %d", n).isEqualTo(n);
    assertThat(parts.tail().itemCount()).isEqualTo(scanned.itemCount() - n);
    for (EncodedResources part : List.of(parts.head(), parts.tail())) {
      byte[] again = part.toRequestBytes();
      assertThat(EncodedResources.scanRequest(signal, again, 0, again.length).itemCount())
          .as("a half rescanned").isEqualTo(part.itemCount());
    }
    long max = Math.max(64, scanned.requestBytes() / 3);
    int total = 0;
    for (EncodedResources piece : scanned.splitBySize(max)) {
      total += piece.itemCount();
    }
    assertThat(total).as("items after splitting by size").isEqualTo(scanned.itemCount());
  }

  private static void checkDecode(Signal signal, EncodedResources scanned, FuzzGuard guard) {
    List<?> decoded;
    try {
      decoded = scanned.decode();
    } catch (PermanentException e) {
      guard.count("refused by the decoder: " + e.getCause().getMessage().replaceAll("[0-9]+", "N"));
      return;
    }
    if (Batch.countItems(signal, decoded) != scanned.itemCount()) {
      guard.count("decoded item count differs");
    }
  }

  @ParameterizedTest
  @EnumSource(Signal.class)
  void everyGeneratedRequestScansToTheItemsItHoldsAndWritesBackUnchanged(Signal signal) {
    try (FuzzGuard guard = FuzzGuard.of("otlp-protobuf-generated-" + signal.configName())) {
      Fuzz.run(guard, Fuzz.tries(3_000), r -> {
        long seed = r.nextLong();
        int size = r.nextInt(30);
        Message request = switch (signal) {
          case TRACES -> ExportTraceServiceRequest.newBuilder()
              .addResourceSpans(TestData.resourceSpans("s" + r.nextInt(9), size, seed))
              .addResourceSpans(TestData.resourceSpans("t", r.nextInt(3), seed)).build();
          case METRICS -> ExportMetricsServiceRequest.newBuilder()
              .addResourceMetrics(TestData.resourceMetrics("s", size, seed)).build();
          case LOGS -> ExportLogsServiceRequest.newBuilder().addResourceLogs(TestData.resourceLogs("s", size, seed))
              .build();
        };
        return request.toByteArray();
      }, bytes -> {
        FuzzGuard.Outcome<EncodedResources> o = guard.run(bytes,
            () -> EncodedResources.scanRequest(signal, bytes, 0, bytes.length));
        assertThat(o.accepted()).as("scanned").isTrue();
        EncodedResources scanned = o.value();
        assertThat(scanned.itemCount()).isEqualTo(Batch.countItems(signal, scanned.decode()));
        assertThat(scanned.toRequestBytes()).isEqualTo(bytes);
      });
    }
  }
}
