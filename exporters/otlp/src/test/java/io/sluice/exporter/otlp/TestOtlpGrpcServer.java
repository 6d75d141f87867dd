package io.sluice.exporter.otlp;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;

/**
 * A real OTLP/gRPC server on loopback (grpc-java's Netty server and the generated services) that
 * records what it accepts and answers as a test tells it to.
 */
final class TestOtlpGrpcServer implements AutoCloseable {
  /** How the server answers one call. */
  record Outcome(Kind kind, StatusRuntimeException error) {
    enum Kind { OK, PARTIAL, FAIL, HOLD }

    static Outcome ok() {
      return new Outcome(Kind.OK, null);
    }

    /** OK with a partial_success that rejects 2 items. */
    static Outcome partial() {
      return new Outcome(Kind.PARTIAL, null);
    }

    static Outcome fail(StatusRuntimeException e) {
      return new Outcome(Kind.FAIL, e);
    }

    /** Keep the call open until {@link #release()}, then answer OK. */
    static Outcome hold() {
      return new Outcome(Kind.HOLD, null);
    }
  }

  final List<ExportTraceServiceRequest> traces = new CopyOnWriteArrayList<>();
  final List<ExportMetricsServiceRequest> metrics = new CopyOnWriteArrayList<>();
  final List<ExportLogsServiceRequest> logs = new CopyOnWriteArrayList<>();
  /** The request headers of every call, in arrival order. */
  final List<Metadata> headers = new CopyOnWriteArrayList<>();
  /** System.nanoTime() when each call arrived. */
  final List<Long> arrivals = new CopyOnWriteArrayList<>();
  private final AtomicInteger calls = new AtomicInteger();
  private final List<Runnable> held = new ArrayList<>();
  private volatile IntFunction<Outcome> behaviour = n -> Outcome.ok();
  private final Server server;

  private TestOtlpGrpcServer(Server server) {
    this.server = server;
  }

  static TestOtlpGrpcServer start(int port) {
    return start(port, false);
  }

  /** Starts on 127.0.0.1:{@code port}, with the test certificate when {@code tls}. */
  static TestOtlpGrpcServer start(int port, boolean tls) {
    TestOtlpGrpcServer[] self = new TestOtlpGrpcServer[1];
    Services services = new Services(() -> self[0]);
    NettyServerBuilder b = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(services.traces)
        .addService(services.metrics)
        .addService(services.logs)
        .intercept(new HeaderRecorder(() -> self[0]))
        .decompressorRegistry(decompressors());
    try {
      if (tls) {
        b.sslContext(GrpcSslContexts.forServer(resource("tls/server.pem"), resource("tls/server.key")).build());
      }
      self[0] = new TestOtlpGrpcServer(b.build().start());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return self[0];
  }

  /**
   * gzip, plus zstd and gRPC's framed snappy read with the compression libraries' own streams, so
   * the exporter's encoding is checked independently of its compressor code.
   */
  private static io.grpc.DecompressorRegistry decompressors() {
    return io.grpc.DecompressorRegistry.getDefaultInstance()
        .with(new io.grpc.Decompressor() {
          @Override
          public String getMessageEncoding() {
            return "zstd";
          }

          @Override
          public java.io.InputStream decompress(java.io.InputStream is) throws IOException {
            return new com.github.luben.zstd.ZstdInputStream(is);
          }
        }, true)
        .with(new io.grpc.Decompressor() {
          @Override
          public String getMessageEncoding() {
            return "snappy";
          }

          @Override
          public java.io.InputStream decompress(java.io.InputStream is) throws IOException {
            return new org.xerial.snappy.SnappyFramedInputStream(is);
          }
        }, true);
  }

  static File resource(String name) {
    try {
      return new File(TestOtlpGrpcServer.class.getClassLoader().getResource(name).toURI());
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** From now on call number n (1-based, counting every call) is answered by {@code behaviour}. */
  void behave(IntFunction<Outcome> behaviour) {
    this.behaviour = behaviour;
  }

  int calls() {
    return calls.get();
  }

  synchronized int heldCalls() {
    return held.size();
  }

  /** Answers every held call OK. */
  void release() {
    List<Runnable> toRun;
    synchronized (this) {
      toRun = new ArrayList<>(held);
      held.clear();
    }
    toRun.forEach(Runnable::run);
  }

  private <R> void handle(Runnable record, StreamObserver<R> obs, R ok, R partial) {
    Outcome o = behaviour.apply(calls.incrementAndGet());
    switch (o.kind()) {
      case OK -> {
        record.run();
        obs.onNext(ok);
        obs.onCompleted();
      }
      case PARTIAL -> {
        record.run();
        obs.onNext(partial);
        obs.onCompleted();
      }
      case FAIL -> obs.onError(o.error());
      case HOLD -> {
        synchronized (this) {
          held.add(() -> {
            record.run();
            obs.onNext(ok);
            obs.onCompleted();
          });
        }
      }
    }
  }

  @Override
  public void close() {
    release();
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static final class Services {
    final TraceServiceGrpc.TraceServiceImplBase traces;
    final MetricsServiceGrpc.MetricsServiceImplBase metrics;
    final LogsServiceGrpc.LogsServiceImplBase logs;

    Services(java.util.function.Supplier<TestOtlpGrpcServer> server) {
      traces = new TraceServiceGrpc.TraceServiceImplBase() {
        @Override
        public void export(ExportTraceServiceRequest req, StreamObserver<ExportTraceServiceResponse> obs) {
          server.get().handle(() -> server.get().traces.add(req), obs, ExportTraceServiceResponse.getDefaultInstance(),
              ExportTraceServiceResponse.newBuilder().setPartialSuccess(ExportTracePartialSuccess.newBuilder()
                  .setRejectedSpans(2).setErrorMessage("2 spans had no name")).build());
        }
      };
      metrics = new MetricsServiceGrpc.MetricsServiceImplBase() {
        @Override
        public void export(ExportMetricsServiceRequest req, StreamObserver<ExportMetricsServiceResponse> obs) {
          server.get().handle(() -> server.get().metrics.add(req), obs,
              ExportMetricsServiceResponse.getDefaultInstance(),
              ExportMetricsServiceResponse.newBuilder().setPartialSuccess(ExportMetricsPartialSuccess.newBuilder()
                  .setRejectedDataPoints(2).setErrorMessage("2 points were stale")).build());
        }
      };
      logs = new LogsServiceGrpc.LogsServiceImplBase() {
        @Override
        public void export(ExportLogsServiceRequest req, StreamObserver<ExportLogsServiceResponse> obs) {
          server.get().handle(() -> server.get().logs.add(req), obs, ExportLogsServiceResponse.getDefaultInstance(),
              ExportLogsServiceResponse.newBuilder().setPartialSuccess(ExportLogsPartialSuccess.newBuilder()
                  .setRejectedLogRecords(2).setErrorMessage("2 records too large")).build());
        }
      };
    }
  }

  /** Records every call's headers (grpc-encoding, user metadata) before the service sees it. */
  private static final class HeaderRecorder implements ServerInterceptor {
    private final java.util.function.Supplier<TestOtlpGrpcServer> server;

    HeaderRecorder(java.util.function.Supplier<TestOtlpGrpcServer> server) {
      this.server = server;
    }

    @Override
    public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata md,
        ServerCallHandler<Q, A> next) {
      Metadata copy = new Metadata();
      copy.merge(md);
      server.get().headers.add(copy);
      server.get().arrivals.add(System.nanoTime());
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(next.startCall(call, md)) {};
    }
  }
}
