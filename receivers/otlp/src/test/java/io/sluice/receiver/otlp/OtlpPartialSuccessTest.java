package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import io.grpc.ManagedChannel;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.sluice.core.Signal;
import io.vertx.core.Future;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A pipeline that drops items on purpose makes the receiver answer with partial_success. */
class OtlpPartialSuccessTest {
  private static RunningReceiver r;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    r = RunningReceiver.start();
    channel = OtlpGrpcTest.channel(r.grpcPort);
  }

  @AfterAll
  static void stop() throws Exception {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    r.close();
  }

  @AfterEach
  void reset() {
    r.reset();
  }

  /** Every consumer drops {@code n} items of each batch, as a filter would. */
  private static void dropping(long n) {
    for (Signal s : Signal.values()) {
      r.consumer(s).answerWith(b -> {
        b.envelope().rejections().add(n, "dropped by filter \"drop-debug\"");
        return Future.succeededFuture();
      });
    }
  }

  @Test
  void grpcAnswersPartialSuccessWithTheCountAndReason() {
    dropping(2);

    ExportTraceServiceResponse traces = TraceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(OtlpSamples.tracesProto());
    ExportLogsServiceResponse logs = LogsServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(OtlpSamples.logsProto());

    assertThat(traces.getPartialSuccess().getRejectedSpans()).isEqualTo(2);
    assertThat(traces.getPartialSuccess().getErrorMessage()).isEqualTo("dropped by filter \"drop-debug\"");
    assertThat(logs.getPartialSuccess().getRejectedLogRecords()).isEqualTo(2);
  }

  @Test
  void httpAnswersPartialSuccessInProtobufAndJson() throws Exception {
    dropping(3);

    HttpResponse<byte[]> proto = r.post("/v1/metrics", "application/x-protobuf", null,
        OtlpSamples.metricsProto().toByteArray());
    HttpResponse<byte[]> json = r.post("/v1/traces", "application/json", null,
        OtlpSamples.TRACES_JSON.getBytes(StandardCharsets.UTF_8));

    assertThat(proto.statusCode()).isEqualTo(200);
    ExportMetricsServiceResponse metrics = ExportMetricsServiceResponse.parseFrom(proto.body());
    assertThat(metrics.getPartialSuccess().getRejectedDataPoints()).isEqualTo(3);
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(new String(json.body(), StandardCharsets.UTF_8)).contains("\"partialSuccess\"")
        .contains("\"rejectedSpans\":\"3\"").contains("drop-debug");
  }

  @Test
  void nothingDroppedIsAPlainSuccess() {
    ExportTraceServiceResponse traces = TraceServiceGrpc.newBlockingStub(channel)
        .withDeadlineAfter(10, TimeUnit.SECONDS).export(OtlpSamples.tracesProto());

    assertThat(traces.hasPartialSuccess()).isFalse();
  }
}
