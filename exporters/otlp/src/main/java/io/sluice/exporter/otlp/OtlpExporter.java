package io.sluice.exporter.otlp;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.auth.HttpClientAuth;
import io.sluice.core.exporterhelper.RequestSender;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.io.File;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Sends one batch as one OTLP/gRPC {@code Export} call and turns the answer into success, a
 * {@link RetryableException} or a {@link PermanentException}. Queueing, retries and the timeout
 * are the {@link io.sluice.core.exporterhelper.ExporterHelper}'s.
 *
 * <p>The channel's transport runs on Vert.x's own Netty event loops with a direct executor, so
 * answers arrive on a loop thread; they are handed to the exporter's context through promises
 * bound to it. Channel and stubs are built in {@link #start()} and touched only on that context.
 */
final class OtlpExporter implements RequestSender {
  private static final Logger LOG = LoggerFactory.getLogger(OtlpExporter.class);
  /** How much longer than the helper's timeout a call may live before gRPC cancels it itself. */
  private static final long DEADLINE_MARGIN_MS = 1000;
  private static final long SHUTDOWN_GRACE_MS = 5000;

  private final ComponentContext ctx;
  private final String id;
  private final OtlpExporterConfig config;
  private final GrpcEndpoint endpoint;
  private final Vertx vertx;
  private final RateLimitedLog rejectedLog;
  private final RateLimitedLog warningLog;
  private ContextInternal context;

  private ManagedChannel channel;
  private TraceServiceGrpc.TraceServiceStub traces;
  private MetricsServiceGrpc.MetricsServiceStub metrics;
  private LogsServiceGrpc.LogsServiceStub logs;

  OtlpExporter(ComponentContext ctx, OtlpExporterConfig config) {
    this.ctx = ctx;
    this.id = ctx.id().toString();
    this.config = config;
    this.endpoint = GrpcEndpoint.parse(config.endpoint());
    this.vertx = ctx.vertx();
    this.rejectedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
    this.warningLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  }

  /** The exporter helper's context: every call of this class runs there. */
  void bind(Context helperContext) {
    this.context = (ContextInternal) helperContext;
  }

  /**
   * Builds the channel on a worker: reading key and CA files and the JVM's trust store is
   * blocking I/O, and so is loading grpc's classes the first time.
   */
  Future<Void> start() {
    boolean plaintext = endpoint.plaintext(config.tls().insecure());
    HttpClientAuth auth;
    try {
      auth = config.auth() == null ? null : config.auth().resolve(ctx, "auth");
    } catch (IllegalStateException e) {
      return Future.failedFuture(new IllegalStateException("Exporter '" + id + "': " + e.getMessage(), e));
    }
    if (config.readBufferSize() > 0 || config.writeBufferSize() > 0) {
      LOG.warn("Exporter '{}': 'read_buffer_size' and 'write_buffer_size' have no effect in Sluice; its gRPC"
          + " transport sizes its buffers itself", id);
    }
    return context.executeBlocking(() -> openChannel(plaintext ? null : sslContext(), auth)).map(opened -> {
      channel = opened.channel();
      traces = opened.traces();
      metrics = opened.metrics();
      logs = opened.logs();
      LOG.info("Exporter '{}' sends OTLP over gRPC to '{}' ({}, compression {}, balancer {})", id,
          endpoint.target(), plaintext ? "plaintext" : "TLS",
          config.grpcEncoding() == null ? "none" : config.grpcEncoding(),
          config.balancerName());
      return null;
    });
  }

  private record Opened(ManagedChannel channel, TraceServiceGrpc.TraceServiceStub traces,
      MetricsServiceGrpc.MetricsServiceStub metrics, LogsServiceGrpc.LogsServiceStub logs) {}

  private SslContext sslContext() throws Exception {
    TlsClientSettings tls = config.tls();
    SslContextBuilder b = GrpcSslContexts.forClient();
    if (tls.insecureSkipVerify()) {
      b.trustManager(InsecureTrustManagerFactory.INSTANCE);
    } else if (tls.hasCaFile()) {
      b.trustManager(new File(tls.caFile()));
    }
    if (tls.hasClientCertificate()) {
      b.keyManager(new File(tls.certFile()), new File(tls.keyFile()));
    }
    return b.build();
  }

  private Opened openChannel(SslContext ssl, HttpClientAuth auth) {
    VertxInternal vx = (VertxInternal) vertx;
    // An explicit dns target: a bare "host:port" could otherwise be read as a URI whose scheme is the host.
    NettyChannelBuilder b = NettyChannelBuilder.forTarget("dns:///" + endpoint.target())
        .eventLoopGroup(vx.nettyEventLoopGroup())
        .channelFactory(vx.transport().channelFactory(false))
        .directExecutor()
        .compressorRegistry(GrpcCompressors.registry())
        .defaultLoadBalancingPolicy(config.balancerName())
        .userAgent("Sluice");
    OtlpExporterConfig.Keepalive keepalive = config.keepalive();
    if (keepalive.enabled()) {
      b.keepAliveTime(keepalive.time().toNanos(), TimeUnit.NANOSECONDS)
          .keepAliveTimeout(keepalive.timeout().toNanos(), TimeUnit.NANOSECONDS)
          .keepAliveWithoutCalls(keepalive.permitWithoutStream());
    }
    if (auth != null) {
      b.intercept(new AuthInterceptor(auth, config.auth().authenticator()));
    }
    if (ssl == null) {
      b.usePlaintext();
    } else {
      b.sslContext(ssl);
    }
    ManagedChannel ch = b.build();
    Metadata md = new Metadata();
    for (Map.Entry<String, String> h : config.headers().entrySet()) {
      md.put(Metadata.Key.of(h.getKey(), Metadata.ASCII_STRING_MARSHALLER), h.getValue());
    }
    return new Opened(ch, configure(TraceServiceGrpc.newStub(ch), md), configure(MetricsServiceGrpc.newStub(ch), md),
        configure(LogsServiceGrpc.newStub(ch), md));
  }

  private <S extends AbstractStub<S>> S configure(S stub, Metadata md) {
    S s = md.keys().isEmpty() ? stub : stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    if (config.waitForReady()) {
      s = s.withWaitForReady();
    }
    return config.grpcEncoding() == null ? s : s.withCompression(config.grpcEncoding());
  }

  /**
   * Closes the channel once everything queued was sent, waiting for it to terminate without
   * blocking: the wait is a timer on the exporter's context.
   */
  Future<Void> shutdown() {
    ManagedChannel ch = channel;
    channel = null;
    traces = null;
    metrics = null;
    logs = null;
    if (ch == null) {
      return Future.succeededFuture();
    }
    ch.shutdown();
    Promise<Void> done = context.promise();
    long forceAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_GRACE_MS);
    long giveUpAt = forceAt + TimeUnit.SECONDS.toNanos(1);
    boolean[] forced = {false};
    vertx.setPeriodic(10, 20, tid -> {
      long now = System.nanoTime();
      if (ch.isTerminated()) {
        vertx.cancelTimer(tid);
        LOG.info("Exporter '{}' closed its gRPC channel to '{}'", id, endpoint.target());
        done.tryComplete();
      } else if (now - giveUpAt > 0) {
        vertx.cancelTimer(tid);
        LOG.warn("Exporter '{}': the gRPC channel to '{}' did not terminate in time; leaving it", id,
            endpoint.target());
        done.tryComplete();
      } else if (now - forceAt > 0 && !forced[0]) {
        forced[0] = true;
        LOG.warn("Exporter '{}': calls to '{}' still open {} ms after shutdown; cancelling them", id,
            endpoint.target(), SHUTDOWN_GRACE_MS);
        ch.shutdownNow();
      }
    });
    return done.future();
  }

  @Override
  public Future<Void> send(Batch batch) {
    if (channel == null) {
      return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no open gRPC channel"));
    }
    Promise<Void> done = context.promise();
    EncodedResources req;
    try {
      req = batch.encoded();
    } catch (RuntimeException e) {
      return Future.failedFuture(new PermanentException("Exporter '" + id + "' could not encode " + batch.signal()
          + ": " + e.getMessage(), e));
    }
    switch (batch.signal()) {
      case TRACES -> {
        call(withDeadline(traces), TRACES_ENCODED, req, new Answer<ExportTraceServiceResponse>(batch.signal(), done) {
          @Override
          void partialSuccess(ExportTraceServiceResponse r) {
            if (r.hasPartialSuccess()) {
              reportPartial(batch.signal(), r.getPartialSuccess().getRejectedSpans(),
                  r.getPartialSuccess().getErrorMessage());
            }
          }
        });
      }
      case METRICS -> {
        call(withDeadline(metrics), METRICS_ENCODED, req, new Answer<ExportMetricsServiceResponse>(batch.signal(), done) {
          @Override
          void partialSuccess(ExportMetricsServiceResponse r) {
            if (r.hasPartialSuccess()) {
              reportPartial(batch.signal(), r.getPartialSuccess().getRejectedDataPoints(),
                  r.getPartialSuccess().getErrorMessage());
            }
          }
        });
      }
      case LOGS -> {
        call(withDeadline(logs), LOGS_ENCODED, req, new Answer<ExportLogsServiceResponse>(batch.signal(), done) {
          @Override
          void partialSuccess(ExportLogsServiceResponse r) {
            if (r.hasPartialSuccess()) {
              reportPartial(batch.signal(), r.getPartialSuccess().getRejectedLogRecords(),
                  r.getPartialSuccess().getErrorMessage());
            }
          }
        });
      }
    }
    return done.future();
  }

  private static final MethodDescriptor<EncodedResources, ExportTraceServiceResponse> TRACES_ENCODED =
      EncodedRequest.method(TraceServiceGrpc.getExportMethod());
  private static final MethodDescriptor<EncodedResources, ExportMetricsServiceResponse> METRICS_ENCODED =
      EncodedRequest.method(MetricsServiceGrpc.getExportMethod());
  private static final MethodDescriptor<EncodedResources, ExportLogsServiceResponse> LOGS_ENCODED =
      EncodedRequest.method(LogsServiceGrpc.getExportMethod());

  /** One unary call with the stub's channel (headers) and options (deadline), sending encoded bytes. */
  private static <R> void call(AbstractStub<?> stub, MethodDescriptor<EncodedResources, R> method,
      EncodedResources request, StreamObserver<R> answer) {
    ClientCalls.asyncUnaryCall(stub.getChannel().newCall(method, stub.getCallOptions()), request, answer);
  }

  /**
   * The helper bounds each request with its own timer; the gRPC deadline, a little later, only
   * makes sure a call the helper gave up on does not linger on the connection.
   */
  private <S extends AbstractStub<S>> S withDeadline(S stub) {
    Duration t = config.timeout();
    if (t == null || t.isZero()) {
      return stub;
    }
    return stub.withDeadlineAfter(t.toMillis() + DEADLINE_MARGIN_MS, TimeUnit.MILLISECONDS);
  }

  private void reportPartial(Signal signal, long rejected, String message) {
    if (rejected > 0) {
      rejectedLog.log("Exporter '{}': '{}' accepted the request only in part and rejected {} {}: {}", id,
          endpoint.target(), rejected, signal.itemName(), message.isEmpty() ? "(no reason given)" : message);
    } else if (!message.isEmpty()) {
      warningLog.log("Exporter '{}': '{}' accepted the {} with a warning: {}", id, endpoint.target(), signal,
          message);
    }
  }

  /** Completes the exporter's promise from the answer of one call; runs on a Netty event loop. */
  private abstract class Answer<R> implements StreamObserver<R> {
    private final Signal signal;
    private final Promise<Void> done;

    Answer(Signal signal, Promise<Void> done) {
      this.signal = signal;
      this.done = done;
    }

    abstract void partialSuccess(R response);

    @Override
    public void onNext(R response) {
      try {
        partialSuccess(response);
      } catch (RuntimeException e) {
        LOG.debug("Exporter '{}' could not read a partial success answer", id, e);
      }
    }

    @Override
    public void onError(Throwable t) {
      done.tryFail(failure(id, endpoint.target(), signal, t));
    }

    @Override
    public void onCompleted() {
      done.tryComplete();
    }
  }

  /**
   * Maps a failed call to the exception the helper acts on: the codes OTLP says to retry (and
   * {@code RESOURCE_EXHAUSTED} when the server sent a retry delay) are retryable, everything else
   * is permanent.
   */
  static RuntimeException failure(String id, String target, Signal signal, Throwable t) {
    Status status = Status.fromThrowable(t);
    Duration retryAfter = retryDelay(t);
    String message = "Exporter '" + id + "' could not send " + signal + " to '" + target + "': "
        + status.getCode() + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")");
    return switch (status.getCode()) {
      case CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS ->
          new RetryableException(message, retryAfter, t);
      case RESOURCE_EXHAUSTED -> retryAfter != null
          ? new RetryableException(message, retryAfter, t)
          : new PermanentException(message + "; the server sent no retry delay, so this is not retried", t);
      default -> new PermanentException(message, t);
    };
  }

  /** The {@code google.rpc.RetryInfo} delay in the call's {@code grpc-status-details-bin} trailer, or null. */
  static Duration retryDelay(Throwable t) {
    com.google.rpc.Status details;
    try {
      details = StatusProto.fromThrowable(t);
    } catch (RuntimeException e) {
      return null;
    }
    if (details == null) {
      return null;
    }
    for (Any any : details.getDetailsList()) {
      if (any.is(RetryInfo.class)) {
        try {
          com.google.protobuf.Duration d = any.unpack(RetryInfo.class).getRetryDelay();
          return Duration.ofSeconds(Math.max(0, d.getSeconds()), Math.max(0, d.getNanos()));
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
          return null;
        }
      }
    }
    return null;
  }
}
