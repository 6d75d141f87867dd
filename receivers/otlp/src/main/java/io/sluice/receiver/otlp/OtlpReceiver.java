package io.sluice.receiver.otlp;

import io.netty.channel.EventLoopGroup;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.Consumer;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.auth.AuthenticationException;
import io.sluice.core.auth.ServerAuthenticator;
import io.sluice.core.telemetry.SelfMetrics.ReceiverMetrics;
import io.sluice.core.tls.ServerTls;
import io.sluice.core.tls.TlsServerSettings;
import io.sluice.core.util.HostPort;
import io.sluice.core.util.RateLimitedLog;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Protocols;
import io.vertx.core.AsyncResult;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.net.SocketAddress;
import io.vertx.core.streams.ReadStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * The OTLP receiver: an OTLP/gRPC listener and an OTLP/HTTP listener, each made of one Vert.x
 * HTTP server per event loop on the same port (Vert.x spreads the connections over them), so a
 * request is decoded and handed on by the loop it arrived on.
 *
 * <p>Lifecycle state lives on the receiver's own context; request handling touches only the
 * request's context, the immutable config and a few atomic counters.
 */
final class OtlpReceiver implements Receiver {
  private static final Logger log = LoggerFactory.getLogger(OtlpReceiver.class);

  /** How long shutdown lets requests in flight finish before it closes their connections. */
  static final long SHUTDOWN_GRACE_MS = 5_000;
  /** Bodies at least this large (as sent) are decompressed and decoded on a worker thread. */
  static final int OFFLOAD_PLAIN_BYTES = 1024 * 1024;
  /** The least that {@link #reserveBytes} lets be in flight, however small the heap. */
  static final long MIN_IN_FLIGHT_BYTES = 16L << 20;
  /** What a client refused for bytes in flight is told to wait. */
  static final Duration IN_FLIGHT_RETRY_AFTER = Duration.ofSeconds(1);
  /** Compressed bodies can expand a thousandfold, so they go to a worker from this size on. */
  static final int OFFLOAD_COMPRESSED_BYTES = 32 * 1024;

  private enum State { STOPPED, STARTING, RUNNING, STOPPING }

  /** Plain daemon threads that bind listeners, off the event loops; idle ones go away. */
  private static final ExecutorService BINDER = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "sluice-otlp-binder");
    t.setDaemon(true);
    return t;
  });

  private final ComponentContext ctx;
  private final Vertx vertx;
  private final Protocols protocols;
  private final Map<Signal, Consumer> next;
  private final ContextInternal lifecycle;
  private final List<ContextInternal> loops = new ArrayList<>();
  private final GrpcHandler grpc;
  private final HttpHandler http;
  private final AtomicInteger inFlight = new AtomicInteger();
  /** Bytes of request bodies read and not answered yet; see {@link #reserveBytes}. */
  private final AtomicLong inFlightBytes = new AtomicLong();
  private final long maxInFlightBytes;
  private final RateLimitedLog unexpectedLog = new RateLimitedLog(log, Level.WARN, 60, TimeUnit.SECONDS);
  private volatile boolean accepting;
  private volatile WorkerExecutor worker;
  private volatile ServerAuthenticator grpcAuth;
  private volatile ServerAuthenticator httpAuth;

  // lifecycle state, touched only on the lifecycle context
  private State state = State.STOPPED;
  private Future<Void> transition = Future.succeededFuture();
  private final List<HttpServer> servers = new ArrayList<>();
  private final List<ServerTls> tlsInUse = new ArrayList<>();

  OtlpReceiver(ComponentContext ctx, OtlpReceiverConfig config, Map<Signal, Consumer> next) {
    this.ctx = ctx;
    this.vertx = ctx.vertx();
    this.protocols = config.effectiveProtocols();
    this.next = next.isEmpty() ? Map.of() : new EnumMap<>(next);
    VertxInternal vi = (VertxInternal) vertx;
    this.lifecycle = vi.createEventLoopContext();
    for (int i = 0, n = eventLoopCount(vi); i < n; i++) {
      loops.add(vi.createEventLoopContext());
    }
    this.maxInFlightBytes = Math.max(MIN_IN_FLIGHT_BYTES, Runtime.getRuntime().maxMemory() / 4);
    this.grpc = protocols.grpc() == null ? null
        : new GrpcHandler(this, protocols.grpc(), ctx.metrics().receiver(ctx.id(), "grpc"));
    this.http = protocols.http() == null ? null
        : new HttpHandler(this, protocols.http(), ctx.metrics().receiver(ctx.id(), "http"));
  }

  private static int eventLoopCount(VertxInternal vi) {
    EventLoopGroup group = vi.nettyEventLoopGroup();
    int n = 0;
    for (var ignored : group) {
      n++;
    }
    return Math.max(1, n);
  }

  ComponentId id() {
    return ctx.id();
  }

  Vertx vertx() {
    return vertx;
  }

  @Override
  public Future<Void> start() {
    return onLifecycle(this::doStart);
  }

  @Override
  public Future<Void> shutdown() {
    return onLifecycle(this::doShutdown);
  }

  /** Runs a lifecycle step on the lifecycle context once the previous step has settled. */
  private Future<Void> onLifecycle(Supplier<Future<Void>> step) {
    Promise<Void> result = Promise.promise();
    lifecycle.runOnContext(v -> {
      Future<Void> f = transition.transform(ignored -> step.get());
      transition = f.transform(ignored -> Future.succeededFuture());
      f.onComplete(result);
    });
    return result.future();
  }

  private Future<Void> doStart() {
    if (state == State.RUNNING) {
      return Future.succeededFuture();
    }
    state = State.STARTING;
    accepting = true;
    worker = vertx.createSharedWorkerExecutor("sluice-otlp-decode-" + ctx.id(), 2);
    List<Future<Void>> bound = new ArrayList<>();
    try {
      grpcAuth = authenticator(protocols.grpc() == null ? null : protocols.grpc().auth(), "protocols.grpc.auth");
      httpAuth = authenticator(protocols.http() == null ? null : protocols.http().auth(), "protocols.http.auth");
    } catch (IllegalStateException e) {
      state = State.STOPPED;
      accepting = false;
      return Future.failedFuture(new IllegalStateException("receiver '" + ctx.id() + "': " + e.getMessage(), e));
    }
    if (grpc != null) {
      bound.add(listen("OTLP/gRPC", protocols.grpc().endpoint(), protocols.grpc().unixSocket(),
          protocols.grpc().tls(), "protocols.grpc.tls", grpc::serverOptions, grpc::newRequestHandler,
          grpc.connectionHandler()));
    }
    if (http != null) {
      bound.add(listen("OTLP/HTTP", protocols.http().endpoint(), false, protocols.http().tls(), "protocols.http.tls",
          http::serverOptions, () -> http::handle, null));
    }
    return Future.join(bound).transform(ar -> {
      if (ar.succeeded()) {
        state = State.RUNNING;
        return Future.<Void>succeededFuture();
      }
      Throwable cause = firstFailure(bound);
      return closeEverything().transform(ignored -> {
        state = State.STOPPED;
        accepting = false;
        return Future.<Void>failedFuture(cause);
      });
    });
  }

  private ServerAuthenticator authenticator(AuthSettings auth, String prefix) {
    return auth == null ? null : auth.resolveServer(ctx, prefix);
  }

  /** Loads the listener's TLS material, when it has TLS, and binds it. */
  private Future<Void> listen(String what, String endpoint, boolean unix, TlsServerSettings tlsSettings,
      String tlsPath, Function<HostPort, HttpServerOptions> options, Supplier<Handler<HttpServerRequest>> handlers,
      Handler<HttpConnection> connections) {
    HostPort at = null;
    if (!unix) {
      try {
        at = OtlpReceiverConfig.listenAddress(endpoint);
      } catch (IllegalArgumentException e) {
        return Future.failedFuture(new IllegalStateException("receiver '" + ctx.id() + "' has an invalid endpoint: "
            + e.getMessage(), e));
      }
    }
    // A Unix socket is one file: one server on one loop listens on it.
    Listener listener = unix
        ? new Listener(what, SocketAddress.domainSocketAddress(endpoint), "unix:" + endpoint, loops.subList(0, 1))
        : new Listener(what, null, at.toString(), loops);
    HttpServerOptions base = options.apply(at);
    if (tlsSettings == null) {
      return bindAll(listener, base, handlers, connections);
    }
    return ServerTls.start(vertx, tlsSettings, "receiver '" + ctx.id() + "' (" + tlsPath + ")").compose(tls -> {
      tlsInUse.add(tls);
      return bindAll(listener.withTls(), tls.applyTo(base), handlers, connections);
    });
  }

  /**
   * Where servers listen.
   *
   * @param socket a Unix domain socket, or null to listen on the options' host and port
   */
  private record Listener(String what, SocketAddress socket, String shown, List<ContextInternal> loops) {
    Listener withTls() {
      return new Listener(what + " with TLS", socket, shown, loops);
    }
  }

  /**
   * Binds one server per event loop. The binding itself runs on a plain thread, not on the
   * loops: the first bind in a process loads much of Netty, and every bind takes a lock shared
   * by all servers, which would stall the loops. Each server is created while its loop's context
   * is dispatched on that thread, so it belongs to that loop and handles its requests there.
   */
  private Future<Void> bindAll(Listener listener, HttpServerOptions options,
      Supplier<Handler<HttpServerRequest>> handlers, Handler<HttpConnection> connections) {
    Promise<Void> result = lifecycle.promise();
    String what = listener.what();
    String at = listener.shown();
    BINDER.execute(() -> {
      OtlpCodec.warmUp();
      Throwable failure = null;
      for (ContextInternal loop : listener.loops()) {
        if (failure != null) {
          break;
        }
        try {
          List<Future<HttpServer>> listening = new ArrayList<>(1);
          loop.dispatch(() -> {
            HttpServer s = vertx.createHttpServer(options).requestHandler(handlers.get());
            if (connections != null) {
              s.connectionHandler(connections);
            }
            listening.add(listener.socket() == null ? s.listen() : s.listen(listener.socket()));
          });
          HttpServer server = listening.get(0).await();
          lifecycle.runOnContext(v -> servers.add(server));
        } catch (Throwable t) {
          failure = t;
        }
      }
      if (failure == null) {
        log.info("Receiver '{}' listening for {} on {} ({} event loops).", ctx.id(), what, at,
            listener.loops().size());
        result.complete();
      } else {
        boolean portTaken = failure instanceof java.net.BindException
            || String.valueOf(failure.getMessage()).contains("already in use");
        result.fail(new IllegalStateException("receiver '" + ctx.id() + "' cannot listen for " + what + " on "
            + at + ": " + describe(failure) + (portTaken ? "; another process is using the port: stop it or change"
            + " the endpoint" : ""), failure));
      }
    });
    return result.future();
  }

  private static String describe(Throwable t) {
    String m = t.getMessage();
    return m == null ? t.getClass().getSimpleName() : m;
  }

  private static Throwable firstFailure(List<Future<Void>> futures) {
    for (Future<Void> f : futures) {
      if (f.failed()) {
        return f.cause();
      }
    }
    return new IllegalStateException("unknown failure");
  }

  private Future<Void> doShutdown() {
    if (state == State.STOPPED) {
      return Future.succeededFuture();
    }
    state = State.STOPPING;
    accepting = false;
    int pending = inFlight.get();
    if (pending > 0) {
      log.info("Receiver '{}' stopping; waiting up to {} ms for {} requests in flight.", ctx.id(), SHUTDOWN_GRACE_MS,
          pending);
    }
    return closeEverything().transform(ar -> {
      state = State.STOPPED;
      int left = inFlight.get();
      if (left > 0) {
        log.warn("Receiver '{}' closed its connections with {} requests still unanswered; their clients will"
            + " retry them.", ctx.id(), left);
      }
      log.info("Receiver '{}' stopped.", ctx.id());
      return Future.<Void>succeededFuture();
    });
  }

  /** Stops the servers gracefully (bounded) and the decode worker; never fails. */
  private Future<Void> closeEverything() {
    List<Future<Void>> closes = new ArrayList<>();
    for (HttpServer s : servers) {
      closes.add(s.shutdown(SHUTDOWN_GRACE_MS, TimeUnit.MILLISECONDS).recover(err -> {
        log.warn("Receiver '{}' could not close a listener cleanly.", ctx.id(), err);
        return Future.succeededFuture();
      }));
    }
    servers.clear();
    tlsInUse.forEach(ServerTls::close);
    tlsInUse.clear();
    return Future.join(closes).transform(ar -> removeUnixSocket()).transform(ar -> {
      WorkerExecutor w = worker;
      worker = null;
      return w == null ? Future.<Void>succeededFuture() : w.close().recover(err -> Future.succeededFuture());
    });
  }

  /** A Unix socket's file outlives its server; removed so that the next start can bind again. Never fails. */
  private Future<Void> removeUnixSocket() {
    if (protocols.grpc() == null || !protocols.grpc().unixSocket()) {
      return Future.succeededFuture();
    }
    String path = protocols.grpc().endpoint();
    return vertx.fileSystem().exists(path)
        .compose(there -> there ? vertx.fileSystem().delete(path) : Future.<Void>succeededFuture())
        .recover(err -> {
          log.warn("Receiver '{}' could not remove its socket file '{}': {}", ctx.id(), path, err.toString());
          return Future.succeededFuture();
        });
  }

  // ---- shared by the protocol handlers ----

  /**
   * Lets a request on once its authenticator accepts it, or at once without one; the request's
   * stream is paused while a slow check runs so that nothing of it is missed.
   *
   * @param grpcSide which listener's authenticator checks it
   * @param admit called on {@code context} with what is known of the client
   * @param refuse called on {@code context} with why the request was refused (no credential in it)
   */
  void authenticate(boolean grpcSide, MultiMap headers, ReadStream<?> stream, Context context,
      Handler<Map<String, String>> admit, Handler<String> refuse) {
    ServerAuthenticator auth = grpcSide ? grpcAuth : httpAuth;
    if (auth == null) {
      admit.handle(Map.of());
      return;
    }
    Future<Map<String, String>> checked;
    try {
      checked = auth.authenticate(headers);
    } catch (RuntimeException e) {
      checked = Future.failedFuture(e);
    }
    if (checked.isComplete()) {
      settle(checked, admit, refuse);
      return;
    }
    stream.pause();
    Future<Map<String, String>> slow = checked;
    onContext(context, slow, ar -> {
      settle(slow, admit, refuse);
      stream.resume();
    });
  }

  private void settle(Future<Map<String, String>> checked, Handler<Map<String, String>> admit,
      Handler<String> refuse) {
    if (checked.succeeded()) {
      admit.handle(checked.result() == null ? Map.of() : checked.result());
      return;
    }
    Throwable why = checked.cause();
    String reason = why instanceof AuthenticationException ? why.getMessage()
        : "the authenticator failed (" + why.getClass().getSimpleName() + ")";
    if (!(why instanceof AuthenticationException)) {
      unexpectedLog.log("Receiver '{}': the authenticator failed; the request was refused", ctx.id(), why);
    }
    log.debug("Receiver '{}' refused a request as unauthenticated: {}", ctx.id(), reason);
    refuse.handle("unauthenticated: " + reason);
  }

  /** False once shutdown has begun: new requests are refused with a retryable answer. */
  boolean accepting() {
    return accepting;
  }

  Consumer consumer(Signal signal) {
    return next.get(signal);
  }

  void requestStarted() {
    inFlight.incrementAndGet();
  }

  void requestFinished() {
    inFlight.decrementAndGet();
  }

  /**
   * Takes {@code bytes} of request body into the receiver's budget of bytes in flight: a quarter
   * of the heap, shared by the receiver's requests from the moment their bodies are read until
   * they are answered (which, for a request the pipeline has not acknowledged yet, includes the
   * time it waits in {@code batch}). Over the budget a request is refused at once with a
   * retryable answer, so that a pipeline slower than its clients pushes back on them instead of
   * holding their requests until the heap is gone, with or without {@code memory_limiter}. A
   * single request is always let in when nothing else is in flight.
   *
   * @return false when the bytes do not fit; nothing was taken then
   */
  boolean reserveBytes(long bytes) {
    long now = inFlightBytes.addAndGet(bytes);
    if (now > maxInFlightBytes && now != bytes) {
      inFlightBytes.addAndGet(-bytes);
      return false;
    }
    return true;
  }

  void releaseBytes(long bytes) {
    inFlightBytes.addAndGet(-bytes);
  }

  /** Why a request that did not fit in {@link #reserveBytes} was refused. */
  String inFlightRefusal() {
    return "receiver '" + ctx.id() + "' holds " + (inFlightBytes.get() >> 20) + " MiB of requests that the pipeline"
        + " has not acknowledged yet, its limit (a quarter of the heap, " + (maxInFlightBytes >> 20)
        + " MiB); retry later";
  }

  /**
   * Runs a decode step inline when the body is small, else on the decode worker; the result
   * arrives on the calling context either way.
   */
  <T> Future<T> decode(int wireBytes, boolean compressed, Callable<T> step) {
    WorkerExecutor w = worker;
    boolean big = wireBytes >= (compressed ? OFFLOAD_COMPRESSED_BYTES : OFFLOAD_PLAIN_BYTES);
    if (big && w != null) {
      return w.executeBlocking(step, false);
    }
    try {
      return Future.succeededFuture(step.call());
    } catch (Throwable t) {
      return Future.failedFuture(t);
    }
  }

  /**
   * Hands a decoded batch to the pipeline of its signal and counts the outcome; an empty batch
   * succeeds at once without reaching the pipeline.
   */
  Future<Void> deliver(Batch batch, ReceiverMetrics metrics) {
    int items = batch.itemCount();
    if (items == 0) {
      return Future.succeededFuture();
    }
    Consumer c = next.get(batch.signal());
    Future<Void> f;
    try {
      f = c.consume(batch);
      if (f == null) {
        f = Future.failedFuture(new IllegalStateException("the pipeline's consumer returned no future"));
      }
    } catch (Throwable t) {
      f = Future.failedFuture(t);
    }
    Signal signal = batch.signal();
    return f.andThen(ar -> {
      if (ar.succeeded()) {
        metrics.accepted(signal, items);
      } else {
        metrics.refused(signal, items);
        if (log.isDebugEnabled()) {
          log.debug("Receiver '{}': the pipeline refused {} {}: {}", ctx.id(), items, signal.itemName(),
              ar.cause().toString());
        }
      }
    });
  }

  /** Calls {@code handler} with the outcome of {@code f} on {@code context}. */
  static <T> void onContext(Context context, Future<T> f, Handler<AsyncResult<T>> handler) {
    f.onComplete(ar -> {
      if (Vertx.currentContext() == context) {
        handler.handle(ar);
      } else {
        context.runOnContext(v -> handler.handle(ar));
      }
    });
  }

  /**
   * A pipeline failed with an error that is neither retryable nor permanent: logged at WARN, at
   * most once a minute with a count of the others.
   */
  void unexpectedFailure(Throwable t) {
    unexpectedLog.log("Receiver '{}': the pipeline failed unexpectedly; the client was told to retry", ctx.id(), t);
  }

  /** Requests being handled now; for tests and shutdown logging. */
  int inFlight() {
    return inFlight.get();
  }
}
