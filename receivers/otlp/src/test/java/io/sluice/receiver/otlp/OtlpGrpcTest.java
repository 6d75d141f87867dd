package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.google.rpc.RetryInfo;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc.TraceServiceBlockingStub;
import io.sluice.core.Batch;
import io.sluice.core.PermanentException;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.testkit.TestData;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OtlpGrpcTest {
  private static RunningReceiver r;
  private static ManagedChannel channel;

  @BeforeAll
  static void start() {
    r = RunningReceiver.start(Signal.values(), g -> new OtlpReceiverConfig.Grpc(g.endpoint(), 1, null, true), h -> h);
    channel = channel(r.grpcPort);
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

  static ManagedChannel channel(int port) {
    return NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
  }

  private static TraceServiceBlockingStub traces() {
    return TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static ExportTraceServiceRequest tracesRequest(int spans, long seed) {
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(TestData.resourceSpans("checkout", spans, seed))
        .build();
  }

  @Test
  void serviceNamesAreTheOtlpOnes() {
    assertThat(TraceServiceGrpc.getExportMethod().getFullMethodName())
        .isEqualTo(GrpcHandler.TRACE_SERVICE + "/Export");
    assertThat(MetricsServiceGrpc.getExportMethod().getFullMethodName())
        .isEqualTo(GrpcHandler.METRICS_SERVICE + "/Export");
    assertThat(LogsServiceGrpc.getExportMethod().getFullMethodName())
        .isEqualTo(GrpcHandler.LOGS_SERVICE + "/Export");
  }

  @Test
  void exportsOfEverySignalArriveIntactPlainAndGzipped() {
    ExportTraceServiceRequest t = tracesRequest(25, 1);
    ExportTraceServiceResponse resp = traces().export(t);
    assertThat(resp.hasPartialSuccess()).isFalse();
    traces().withCompression("gzip").export(tracesRequest(10, 2));
    ExportMetricsServiceRequest m = ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(TestData.resourceMetrics("checkout", 4, 3)).build();
    MetricsServiceGrpc.newBlockingStub(channel).withCompression("gzip").export(m);
    ExportLogsServiceRequest l = ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(TestData.resourceLogs("checkout", 6, 4)).build();
    LogsServiceGrpc.newBlockingStub(channel).export(l);

    assertThat(r.consumer(Signal.TRACES).batches()).extracting(Batch::resources)
        .containsExactly(t.getResourceSpansList(), tracesRequest(10, 2).getResourceSpansList());
    assertThat(r.consumer(Signal.METRICS).batches()).singleElement().extracting(Batch::resources)
        .isEqualTo(m.getResourceMetricsList());
    assertThat(r.consumer(Signal.LOGS).batches()).singleElement().extracting(Batch::resources)
        .isEqualTo(l.getResourceLogsList());
    assertThat(r.count("sluice_receiver_accepted_items", Signal.TRACES, "grpc")).isGreaterThanOrEqualTo(35);
  }

  @Test
  void requestHeadersTravelAsMetadataWhenIncluded() {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER), "team-a");
    traces().withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers)).export(tracesRequest(1, 1));
    Batch b = r.consumer(Signal.TRACES).batches().get(0);
    assertThat(b.envelope().metadata()).containsEntry("x-tenant", "team-a").containsKey("content-type")
        .doesNotContainKey(":path");
    assertThat(b.envelope().source().toString()).isEqualTo("otlp/test");
  }

  @Test
  void emptyExportSucceedsWithoutReachingThePipeline() {
    assertThat(traces().export(ExportTraceServiceRequest.getDefaultInstance()).hasPartialSuccess()).isFalse();
    assertThat(r.consumer(Signal.TRACES).batches()).isEmpty();
  }

  @Test
  void pipelineVerdictsMapToGrpcCodesWithRetryInfo() {
    r.consumer(Signal.TRACES).failWith(new ResourceExhaustedException("memory limit reached", Duration.ofSeconds(4)));
    StatusRuntimeException exhausted = catchThrowableOfType(StatusRuntimeException.class,
        () -> traces().export(tracesRequest(3, 1)));
    assertThat(exhausted.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(exhausted.getStatus().getDescription()).contains("memory limit reached");
    assertThat(retryDelay(exhausted)).isEqualTo(Duration.ofSeconds(4));

    r.consumer(Signal.TRACES).failWith(new ResourceExhaustedException("memory limit reached", null));
    StatusRuntimeException exhaustedNoDelay = catchThrowableOfType(StatusRuntimeException.class,
        () -> traces().export(tracesRequest(3, 1)));
    assertThat(exhaustedNoDelay.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);

    r.consumer(Signal.TRACES).failWith(new RetryableException("queue full", Duration.ofMillis(1500), null));
    StatusRuntimeException unavailable = catchThrowableOfType(StatusRuntimeException.class,
        () -> traces().export(tracesRequest(3, 1)));
    assertThat(unavailable.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(retryDelay(unavailable)).isEqualTo(Duration.ofMillis(1500));

    r.consumer(Signal.TRACES).failWith(new RetryableException("backend down"));
    StatusRuntimeException plain = catchThrowableOfType(StatusRuntimeException.class,
        () -> traces().export(tracesRequest(3, 1)));
    assertThat(plain.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    com.google.rpc.Status noDetails = StatusProto.fromThrowable(plain);
    assertThat(noDetails == null ? 0 : noDetails.getDetailsCount()).as("no RetryInfo without a delay").isZero();

    r.consumer(Signal.TRACES).failWith(new PermanentException("bad spans"));
    StatusRuntimeException invalid = catchThrowableOfType(StatusRuntimeException.class,
        () -> traces().export(tracesRequest(3, 1)));
    assertThat(invalid.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
    assertThat(invalid.getStatus().getDescription()).isEqualTo("bad spans");

    r.consumer(Signal.TRACES).failWith(new IllegalArgumentException("surprise"));
    assertThat(catchThrowableOfType(StatusRuntimeException.class, () -> traces().export(tracesRequest(3, 1)))
        .getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);

    assertThat(r.count("sluice_receiver_refused_items", Signal.TRACES, "grpc")).isEqualTo(6 * 3);
    r.consumer(Signal.TRACES).succeed();
    traces().export(tracesRequest(3, 1));
  }

  private static Duration retryDelay(StatusRuntimeException e) {
    com.google.rpc.Status s = StatusProto.fromThrowable(e);
    assertThat(s).as("grpc-status-details-bin").isNotNull();
    assertThat(s.getCode()).isEqualTo(e.getStatus().getCode().value());
    try {
      com.google.protobuf.Duration d = s.getDetails(0).unpack(RetryInfo.class).getRetryDelay();
      return Duration.ofSeconds(d.getSeconds(), d.getNanos());
    } catch (com.google.protobuf.InvalidProtocolBufferException ex) {
      throw new AssertionError(ex);
    }
  }

  @Test
  void messagesOverTheSizeLimitAreRefusedBeforeAndAfterDecompression() {
    // max_recv_msg_size_mib is 1 here; a 2 MiB attribute value compresses to a few KiB
    ExportTraceServiceRequest big = ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(TestData.resourceSpans("checkout", 1, 1).toBuilder()
            .setResource(TestData.resource("checkout").toBuilder()
                .addAttributes(TestData.attr("padding", "a".repeat(2 * 1024 * 1024)))))
        .build();
    StatusRuntimeException raw = catchThrowableOfType(StatusRuntimeException.class, () -> traces().export(big));
    assertThat(raw.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);

    StatusRuntimeException bomb = catchThrowableOfType(StatusRuntimeException.class,
        () -> traces().withCompression("gzip").export(big));
    assertThat(bomb.getStatus().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
    assertThat(bomb.getStatus().getDescription()).contains("decompressed", "max_recv_msg_size_mib");

    assertThat(r.consumer(Signal.TRACES).batches()).isEmpty();
    traces().export(tracesRequest(2, 2));
    assertThat(r.consumer(Signal.TRACES).itemCount(Signal.TRACES)).isEqualTo(2);
  }

  @Test
  void signalWithoutPipelineIsUnimplemented() throws Exception {
    try (RunningReceiver only = RunningReceiver.start(new Signal[] {Signal.LOGS}, g -> g, h -> h)) {
      ManagedChannel ch = channel(only.grpcPort);
      try {
        assertThatThrownBy(() -> TraceServiceGrpc.newBlockingStub(ch).export(tracesRequest(1, 1)))
            .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
              assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED);
              assertThat(e.getStatus().getDescription()).contains("no traces pipeline");
            });
        LogsServiceGrpc.newBlockingStub(ch).export(ExportLogsServiceRequest.newBuilder()
            .addResourceLogs(TestData.resourceLogs("checkout", 2, 1)).build());
        assertThat(only.consumer(Signal.LOGS).itemCount(Signal.LOGS)).isEqualTo(2);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
