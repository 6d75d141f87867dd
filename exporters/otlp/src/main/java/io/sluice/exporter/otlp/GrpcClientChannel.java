package io.sluice.exporter.otlp;

import com.google.protobuf.Any;
import com.google.rpc.RetryInfo;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptors;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.netty.GrpcSslContexts;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.MetadataUtils;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelOption;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.sluice.core.ComponentContext;
import io.sluice.core.auth.HttpClientAuth;
import io.sluice.core.tls.TlsClientSettings;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.io.File;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An exporter's gRPC channel, built from its {@link GrpcClientSettings} as the Collector's gRPC
 * clients build theirs: TLS unless turned off, the configured headers and the authenticator's on
 * every call, the message encoding, the balancer, keepalive pings and wait-for-ready. Shared by
 * the {@code otlp} and {@code jaeger} exporters.
 *
 * <p>The transport runs on Vert.x's own Netty event loops with a direct executor, so answers
 * arrive on a loop thread; exporters hand them to their context through promises bound to it.
 */
public final class GrpcClientChannel {
  private static final Logger LOG = LoggerFactory.getLogger(GrpcClientChannel.class);
  /** How much longer than the helper's timeout a call may live before gRPC cancels it itself. */
  private static final long DEADLINE_MARGIN_MS = 1000;
  private static final long SHUTDOWN_GRACE_MS = 5000;

  private final String id;
  private final String target;
  private final GrpcClientSettings config;
  private final Vertx vertx;
  private final ContextInternal context;
  private final ManagedChannel managed;
  private final ExecutorService offload;
  private final Channel channel;
  private final CallOptions options;

  private GrpcClientChannel(String id, String target, GrpcClientSettings config, Vertx vertx,
      ContextInternal context, ManagedChannel managed, ExecutorService offload, Channel channel) {
    this.id = id;
    this.target = target;
    this.config = config;
    this.vertx = vertx;
    this.context = context;
    this.managed = managed;
    this.offload = offload;
    this.channel = channel;
    CallOptions o = CallOptions.DEFAULT;
    if (config.waitForReady()) {
      o = o.withWaitForReady();
    }
    this.options = config.grpcEncoding() == null ? o : o.withCompression(config.grpcEncoding());
  }

  /**
   * An exporter's channel across its starts and shutdowns: opened by the exporter helper's start
   * and closed by its shutdown, both on the helper's context, where the sender reads it.
   */
  public static final class Owner {
    private final ComponentContext ctx;
    private final GrpcClientSettings config;
    private final String protocol;
    private ContextInternal context;
    private GrpcClientChannel channel;

    /** @param protocol what the exporter sends, for the log line ("OTLP over gRPC") */
    public Owner(ComponentContext ctx, GrpcClientSettings config, String protocol) {
      this.ctx = ctx;
      this.config = config;
      this.protocol = protocol;
    }

    /** The exporter helper's context, where the channel is opened, closed and used. */
    public void bind(Context helperContext) {
      context = (ContextInternal) helperContext;
    }

    /** The helper's context, for promises the sender completes there. */
    public ContextInternal context() {
      return context;
    }

    /** Opens the channel (on a worker: it reads key and CA files). */
    public Future<Void> open() {
      return GrpcClientChannel.open(ctx, context, config, protocol).map(opened -> {
        channel = opened;
        return null;
      });
    }

    /** Closes the channel once its calls are done, without blocking. */
    public Future<Void> close() {
      GrpcClientChannel ch = channel;
      channel = null;
      return ch == null ? Future.succeededFuture() : ch.close();
    }

    /** The open channel; null before the first start and after a shutdown. */
    public GrpcClientChannel channel() {
      return channel;
    }
  }

  /**
   * Builds the channel on a worker of {@code context}: reading key and CA files and the JVM's
   * trust store is blocking I/O, and so is loading grpc's classes the first time.
   *
   * @param protocol what the exporter sends, for the log line ("OTLP over gRPC")
   */
  public static Future<GrpcClientChannel> open(ComponentContext ctx, Context context, GrpcClientSettings config,
      String protocol) {
    String id = ctx.id().toString();
    GrpcEndpoint endpoint = GrpcEndpoint.parse(config.endpoint());
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
    ContextInternal ci = (ContextInternal) context;
    return ci.executeBlocking(() -> {
      ExecutorService offload = offloadExecutor(id);
      ManagedChannel managed;
      try {
        managed = build(ctx.vertx(), endpoint, config, plaintext ? null : sslContext(config.tls()), auth, offload);
      } catch (Exception | Error e) {
        offload.shutdown();
        throw e;
      }
      Metadata md = new Metadata();
      for (Map.Entry<String, String> h : config.headers().entrySet()) {
        md.put(Metadata.Key.of(h.getKey(), Metadata.ASCII_STRING_MARSHALLER), h.getValue());
      }
      Channel channel = md.keys().isEmpty() ? managed
          : ClientInterceptors.intercept(managed, MetadataUtils.newAttachHeadersInterceptor(md));
      return new GrpcClientChannel(id, endpoint.target(), config, ctx.vertx(), ci, managed, offload, channel);
    }).map(opened -> {
      LOG.info("Exporter '{}' sends {} to '{}' ({}, compression {}, balancer {})", id, protocol,
          opened.target, plaintext ? "plaintext" : "TLS",
          config.grpcEncoding() == null ? "none" : config.grpcEncoding(), config.balancerName());
      return opened;
    });
  }

  /**
   * The thread gRPC resolves names on, started here, on a worker: left to itself gRPC starts one
   * the first time a call needs a name resolved, on the event loop that made the call, and
   * starting a thread can take hundreds of milliseconds on a loaded machine.
   */
  private static ExecutorService offloadExecutor(String id) {
    ThreadPoolExecutor e = new ThreadPoolExecutor(1, 1, 0, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
      Thread t = new Thread(r, "sluice-grpc-offload-" + id);
      t.setDaemon(true);
      return t;
    });
    e.prestartAllCoreThreads();
    return e;
  }

  private static SslContext sslContext(TlsClientSettings tls) throws Exception {
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

  private static ManagedChannel build(Vertx vertx, GrpcEndpoint endpoint, GrpcClientSettings config, SslContext ssl,
      HttpClientAuth auth, ExecutorService offload) {
    VertxInternal vx = (VertxInternal) vertx;
    // An explicit dns target: a bare "host:port" could otherwise be read as a URI whose scheme is the host.
    NettyChannelBuilder b = NettyChannelBuilder.forTarget("dns:///" + endpoint.target())
        .eventLoopGroup(vx.nettyEventLoopGroup())
        .channelFactory(vx.transport().channelFactory(false))
        // Netty's default allocator, the one Vert.x's servers use, rather than the pool of its
        // own that gRPC makes otherwise: one set of pooled chunks for the whole gateway instead
        // of two. Measured at 10,000 spans/s pass-through: 12-13 MiB of direct memory instead of
        // 24-26 MiB, peak RSS 235 MiB instead of 270 MiB, no more CPU.
        .withOption(ChannelOption.ALLOCATOR, ByteBufAllocator.DEFAULT)
        .directExecutor()
        .offloadExecutor(offload)
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
    return b.build();
  }

  /** The {@code host:port} the channel connects to, for messages. */
  public String target() {
    return target;
  }

  /**
   * A new call of {@code method} with the configured headers, encoding and wait-for-ready. The
   * helper bounds each request with its own timer; the gRPC deadline, a little later, only makes
   * sure a call the helper gave up on does not linger on the connection.
   */
  public <Q, R> ClientCall<Q, R> newCall(MethodDescriptor<Q, R> method) {
    Duration t = config.timeout();
    CallOptions o = t == null || t.isZero() ? options
        : options.withDeadlineAfter(t.toMillis() + DEADLINE_MARGIN_MS, TimeUnit.MILLISECONDS);
    return channel.newCall(method, o);
  }

  /**
   * Closes the channel once its calls are done, waiting for it to terminate without blocking:
   * the wait is a timer on the exporter's context; calls still open after a grace period are
   * cancelled.
   */
  public Future<Void> close() {
    ManagedChannel ch = managed;
    ch.shutdown();
    Promise<Void> done = context.promise();
    long forceAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SHUTDOWN_GRACE_MS);
    long giveUpAt = forceAt + TimeUnit.SECONDS.toNanos(1);
    boolean[] forced = {false};
    vertx.setPeriodic(10, 20, tid -> {
      long now = System.nanoTime();
      if (ch.isTerminated()) {
        vertx.cancelTimer(tid);
        offload.shutdown();
        LOG.info("Exporter '{}' closed its gRPC channel to '{}'", id, target);
        done.tryComplete();
      } else if (now - giveUpAt > 0) {
        vertx.cancelTimer(tid);
        offload.shutdown();
        LOG.warn("Exporter '{}': the gRPC channel to '{}' did not terminate in time; leaving it", id, target);
        done.tryComplete();
      } else if (now - forceAt > 0 && !forced[0]) {
        forced[0] = true;
        LOG.warn("Exporter '{}': calls to '{}' still open {} ms after shutdown; cancelling them", id, target,
            SHUTDOWN_GRACE_MS);
        ch.shutdownNow();
      }
    });
    return done.future();
  }

  /** The {@code google.rpc.RetryInfo} delay in the call's {@code grpc-status-details-bin} trailer, or null. */
  public static Duration retryDelay(Throwable t) {
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
