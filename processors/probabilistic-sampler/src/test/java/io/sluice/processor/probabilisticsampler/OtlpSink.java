package io.sluice.processor.probabilisticsampler;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * An OTLP/gRPC server on a free loopback port that keeps what it is sent, by the value of the
 * {@code x-scenario} header the sender's exporter adds (so that several pipelines can share one
 * sink). Decodes with the published OTLP classes.
 */
final class OtlpSink implements AutoCloseable {
  static final String SCENARIO_HEADER = "x-scenario";
  private static final Metadata.Key<String> SCENARIO = Metadata.Key.of(SCENARIO_HEADER,
      Metadata.ASCII_STRING_MARSHALLER);
  private static final Context.Key<String> SCENARIO_OF_CALL = Context.key("scenario");

  private final Map<String, List<ResourceSpans>> spans = new ConcurrentHashMap<>();
  private final Map<String, List<ResourceLogs>> logs = new ConcurrentHashMap<>();
  private final Server server;

  OtlpSink() throws IOException {
    ServerInterceptor scenario = new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
          ServerCallHandler<Q, R> next) {
        String s = headers.get(SCENARIO);
        return Contexts.interceptCall(Context.current().withValue(SCENARIO_OF_CALL, s == null ? "" : s), call,
            headers, next);
      }
    };
    TraceServiceGrpc.TraceServiceImplBase traces = new TraceServiceGrpc.TraceServiceImplBase() {
      @Override
      public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> response) {
        spans.computeIfAbsent(SCENARIO_OF_CALL.get(), k -> new CopyOnWriteArrayList<>())
            .addAll(request.getResourceSpansList());
        response.onNext(ExportTraceServiceResponse.getDefaultInstance());
        response.onCompleted();
      }
    };
    LogsServiceGrpc.LogsServiceImplBase logService = new LogsServiceGrpc.LogsServiceImplBase() {
      @Override
      public void export(ExportLogsServiceRequest request, StreamObserver<ExportLogsServiceResponse> response) {
        logs.computeIfAbsent(SCENARIO_OF_CALL.get(), k -> new CopyOnWriteArrayList<>())
            .addAll(request.getResourceLogsList());
        response.onNext(ExportLogsServiceResponse.getDefaultInstance());
        response.onCompleted();
      }
    };
    server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0))
        .maxInboundMessageSize(64 << 20)
        .addService(ServerInterceptors.intercept(traces, scenario))
        .addService(ServerInterceptors.intercept(logService, scenario))
        .build()
        .start();
  }

  int port() {
    return server.getPort();
  }

  /** The resource spans received for a scenario so far. */
  List<ResourceSpans> spans(String scenario) {
    return new ArrayList<>(spans.getOrDefault(scenario, List.of()));
  }

  List<ResourceLogs> logs(String scenario) {
    return new ArrayList<>(logs.getOrDefault(scenario, List.of()));
  }

  @Override
  public void close() {
    try {
      server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
