package io.sluice.perf;

import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Sends OTLP trace exports from a pool of pre-encoded requests, over several connections; or, made
 * with {@link #LoadGenerator(Target, int, int)}, any request bodies ({@link #useBodies}) of any
 * OTLP signal over gRPC or HTTP.
 *
 * <ul>
 *   <li>{@link #startMax}: a closed loop, a fixed number of calls outstanding at all times; each
 *       answer starts the next call. Measures the most the target accepts.
 *   <li>{@link #startRate}: an open loop at a fixed rate. Request {@code i} is due at
 *       {@code start + i * interval} and is stamped with that intended time before it is sent, so a
 *       request sent late because the sender or the target fell behind still counts its delay from
 *       when it should have gone out (no coordinated omission).
 * </ul>
 *
 * <p>A refused call (any status other than OK) is counted and its slot waits {@value #BACKOFF_MILLIS}
 * ms before the next one, so a refusing target is not hammered.
 *
 * <p>Also runnable on its own, against any OTLP/gRPC endpoint: {@code LoadGenerator --endpoint
 * 127.0.0.1:4317 --mode max --duration 30s}; see {@link #main}.
 */
final class LoadGenerator implements AutoCloseable {
  static final int BACKOFF_MILLIS = 50;
  /** Open-loop safety cap: beyond this many outstanding calls the sender waits (its stamps do not). */
  static final int MAX_OUTSTANDING_AT_RATE = 4096;
  /** How long after its stamp base a fixed-rate schedule starts. */
  static final long SCHEDULE_DELAY_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  private final TraceRequests pool;
  private final int itemsPerRequest;
  private final MethodDescriptor<byte[], byte[]> method;
  /** OTLP/HTTP: where requests are POSTed (null: gRPC). */
  private final URI httpUri;
  private final HttpClient http;
  private final ManagedChannel[] channels;
  private final ScheduledExecutorService backoff = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "loadgen-backoff");
    t.setDaemon(true);
    return t;
  });
  private final AtomicLong next = new AtomicLong();
  private final AtomicInteger outstanding = new AtomicInteger();
  private final LongAdder sentRequests = new LongAdder();
  private final LongAdder acceptedRequests = new LongAdder();
  private final LongAdder acceptedSpans = new LongAdder();
  private final LongAdder rejectedSpans = new LongAdder();
  private final LongAdder failedRequests = new LongAdder();
  private final ConcurrentHashMap<String, String> failures = new ConcurrentHashMap<>();
  private volatile boolean running;
  /** In the closed loop: -1 to send unstamped requests, else the base of the send-time stamps. */
  private volatile long maxStampBase = -1;
  /** At a fixed rate: the intended send time (a nanoTime) of the last request sent. */
  private volatile long lastIntended;
  private Thread rateThread;
  private volatile String notReady = "";
  /** Makes the body of request {@code index}; null sends the pool's requests (stamped when asked). */
  private volatile Bodies bodies;

  /** Answers, as they come: for accounts and latency. */
  private volatile Answers answers;

  /**
   * Where requests go: {@code method} over gRPC to {@code host:port}, or, when {@code httpUri} is
   * set, POSTed there as OTLP/HTTP protobuf.
   */
  record Target(String host, int port, MethodDescriptor<byte[], byte[]> method, URI httpUri) {}

  /** Told of every answer. */
  interface Answers {
    /**
     * Request {@code index}, due at {@code intendedNanos} (a nanoTime: its scheduled time at a
     * fixed rate, its send time in the closed loop), was answered: {@code failure} is null when it
     * was accepted (with {@code rejected} items refused in a partial success), else the reason.
     */
    void answered(long index, long intendedNanos, String failure, long rejected);
  }

  /** From now on every answer is told to {@code a} (null: to no one). */
  void onAnswers(Answers a) {
    this.answers = a;
  }

  /** Makes request bodies: request {@code index} stamped with {@code stamp} (-1: unstamped). */
  interface Bodies {
    byte[] body(long index, long stamp);
  }

  /** From now on the requests' bodies come from {@code b} (null: the pool's). */
  void useBodies(Bodies b) {
    this.bodies = b;
  }

  private byte[] body(long index, long stamp) {
    Bodies b = bodies;
    if (b != null) {
      return b.body(index, stamp);
    }
    if (pool == null) {
      throw new IllegalStateException("a load generator without a request pool sends only the bodies it is given");
    }
    return stamp < 0 ? pool.get(index) : pool.stamped(index, stamp);
  }

  LoadGenerator(String host, int port, TraceRequests pool, int connections) {
    this(new Target(host, port, RawExport.METHOD, null), pool, pool.spansPerRequest(), connections);
  }

  /** Sends to {@code target} requests of {@code itemsPerRequest} items, whose bodies {@link #useBodies} gives. */
  LoadGenerator(Target target, int itemsPerRequest, int connections) {
    this(target, null, itemsPerRequest, connections);
  }

  private LoadGenerator(Target target, TraceRequests pool, int itemsPerRequest, int connections) {
    this.pool = pool;
    this.itemsPerRequest = itemsPerRequest;
    this.method = target.method();
    this.httpUri = target.httpUri();
    this.http = httpUri == null ? null : HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
        .connectTimeout(Duration.ofSeconds(5)).build();
    String host = target.host();
    int port = target.port();
    this.channels = new ManagedChannel[httpUri == null ? connections : 0];
    for (int i = 0; i < channels.length; i++) {
      channels[i] = NettyChannelBuilder.forAddress(host, port)
          .usePlaintext()
          .directExecutor()
          .flowControlWindow(4 * 1024 * 1024)
          .maxInboundMessageSize(4 * 1024 * 1024)
          .build();
    }
  }

  /**
   * Sends empty exports until one succeeds or {@code deadline} passes; true when the target
   * answered OK.
   */
  boolean awaitReady(Duration deadline) throws InterruptedException {
    notReady = "no answer";
    long end = System.nanoTime() + deadline.toNanos();
    while (System.nanoTime() - end < 0) {
      if (httpUri != null) {
        try {
          HttpResponse<Void> r = http.send(post(new byte[0]).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding());
          if (r.statusCode() == 200) {
            return true;
          }
          notReady = "HTTP " + r.statusCode() + " to an empty export";
        } catch (IOException e) {
          notReady = e.toString();
        }
        Thread.sleep(200);
        continue;
      }
      try {
        ClientCalls.blockingUnaryCall(channels[0], method,
            CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS), new byte[0]);
        return true;
      } catch (StatusRuntimeException e) {
        notReady = e.getStatus().getCode() + (e.getStatus().getDescription() == null ? ""
            : ": " + e.getStatus().getDescription());
        Thread.sleep(200);
      }
    }
    return false;
  }

  /** Keeps {@code concurrency} calls outstanding until {@link #stop}. */
  void startMax(int concurrency) {
    startMax(concurrency, -1);
  }

  /**
   * As {@link #startMax(int)}, each request stamped with the time it is sent, in nanoseconds since
   * {@code stampBase} (a {@link System#nanoTime()} value; -1 sends unstamped requests). A closed
   * loop has no schedule, so the send time is the only intended time there is.
   */
  void startMax(int concurrency, long stampBase) {
    checkIdle();
    maxStampBase = stampBase;
    running = true;
    for (int i = 0; i < concurrency; i++) {
      sendNextInLoop();
    }
  }

  /**
   * Sends {@code spansPerSecond} spans a second (one request every {@code spansPerRequest /
   * spansPerSecond} seconds) until {@link #stop}; each request is stamped with its intended send
   * time in nanoseconds since {@code stampBase} (-1 sends unstamped requests).
   */
  void startRate(double spansPerSecond, long stampBase) {
    startRate(spansPerSecond, stampBase, (stampBase < 0 ? System.nanoTime() : stampBase) + SCHEDULE_DELAY_NANOS);
  }

  /** As {@link #startRate(double, long)}, with the first request due at {@code firstDue} (a nanoTime). */
  void startRate(double spansPerSecond, long stampBase, long firstDue) {
    checkIdle();
    if (spansPerSecond <= 0) {
      throw new IllegalArgumentException("rate must be positive, got " + spansPerSecond);
    }
    long interval = Math.max(1, Math.round(1e9 * itemsPerRequest / spansPerSecond));
    lastIntended = firstDue - interval;
    running = true;
    rateThread = new Thread(() -> sendAtRate(firstDue, interval, stampBase), "loadgen-rate");
    rateThread.setDaemon(true);
    rateThread.start();
  }

  /**
   * At a fixed rate: waits up to {@code patience} until every request due before {@code due} (a
   * nanoTime) has been sent; true when so. The sender falls behind its schedule when the target
   * holds {@value #MAX_OUTSTANDING_AT_RATE} calls unanswered.
   */
  boolean awaitSentUntil(long due, Duration patience) throws InterruptedException {
    long end = System.nanoTime() + patience.toNanos();
    while (running && lastIntended - due < 0 && System.nanoTime() - end < 0) {
      Thread.sleep(1);
    }
    return lastIntended - due >= 0 || !running;
  }

  /** Why {@link #awaitReady} gave up: the last answer or error. */
  String notReady() {
    return notReady;
  }

  /** Calls sent and not yet answered. */
  int outstanding() {
    return outstanding.get();
  }

  /** Stops sending and waits up to {@code drain} for the outstanding calls; true when none is left. */
  boolean stop(Duration drain) throws InterruptedException {
    running = false;
    if (rateThread != null) {
      rateThread.join(drain.toMillis());
      rateThread = null;
    }
    long end = System.nanoTime() + drain.toNanos();
    while (outstanding.get() > 0 && System.nanoTime() - end < 0) {
      Thread.sleep(10);
    }
    return outstanding.get() == 0;
  }

  long sentRequests() {
    return sentRequests.sum();
  }

  long acceptedRequests() {
    return acceptedRequests.sum();
  }

  /** Spans in requests answered OK, less those the answer reported as rejected. */
  long acceptedSpans() {
    return acceptedSpans.sum();
  }

  long rejectedSpans() {
    return rejectedSpans.sum();
  }

  long failedRequests() {
    return failedRequests.sum();
  }

  /** The failures seen, one example message per status code (or HTTP status, or error). */
  String failureSummary() {
    StringBuilder sb = new StringBuilder();
    failures.forEach((code, message) -> sb.append(sb.length() == 0 ? "" : "; ").append(code).append(": ")
        .append(message));
    return sb.toString();
  }

  // ---- sending -----------------------------------------------------------------------------------

  private void checkIdle() {
    if (running || outstanding.get() > 0) {
      throw new IllegalStateException("the load generator is still sending; stop it first");
    }
  }

  private void sendNextInLoop() {
    if (!running) {
      return;
    }
    long i = next.getAndIncrement();
    long base = maxStampBase;
    long sentAt = System.nanoTime();
    byte[] body = body(i, base < 0 ? -1 : Math.max(0, sentAt - base));
    send(i, sentAt, body, ok -> {
      if (ok) {
        sendNextInLoop();
      } else if (running) {
        backoff.schedule(this::sendNextInLoop, BACKOFF_MILLIS, TimeUnit.MILLISECONDS);
      }
    });
  }

  private void sendAtRate(long start, long intervalNanos, long stampBase) {
    for (long i = 0; running; i++) {
      long intended = start + i * intervalNanos;
      long wait;
      while ((wait = intended - System.nanoTime()) > 0 && running) {
        LockSupport.parkNanos(wait);
      }
      while (outstanding.get() >= MAX_OUTSTANDING_AT_RATE && running) {
        LockSupport.parkNanos(100_000);
      }
      if (!running) {
        return;
      }
      long index = next.getAndIncrement();
      send(index, intended, body(index, stampBase < 0 ? -1 : intended - stampBase), ok -> { });
      lastIntended = intended;
    }
  }

  private interface Done {
    void done(boolean ok);
  }

  private void send(long index, long intended, byte[] body, Done done) {
    outstanding.incrementAndGet();
    sentRequests.increment();
    if (httpUri != null) {
      sendHttp(index, intended, body, done);
      return;
    }
    ManagedChannel channel = channels[(int) Math.floorMod(index, (long) channels.length)];
    ClientCalls.asyncUnaryCall(
        channel.newCall(method, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS)),
        body,
        new StreamObserver<>() {
          private long rejected;

          @Override
          public void onNext(byte[] answer) {
            rejected = rejectedIn(answer);
          }

          @Override
          public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            failed(index, intended, status.getCode().name(), String.valueOf(status.getDescription()), done);
          }

          @Override
          public void onCompleted() {
            accepted(index, intended, rejected, done);
          }
        });
  }

  private void sendHttp(long index, long intended, byte[] body, Done done) {
    http.sendAsync(post(body).timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofByteArray())
        .whenComplete((res, error) -> {
          if (error != null) {
            failed(index, intended, error.getClass().getSimpleName(), String.valueOf(error.getMessage()), done);
          } else if (res.statusCode() == 200) {
            accepted(index, intended, rejectedIn(res.body()), done);
          } else {
            failed(index, intended, "HTTP " + res.statusCode(),
                new String(res.body(), StandardCharsets.UTF_8).strip(), done);
          }
        });
  }

  private HttpRequest.Builder post(byte[] body) {
    return HttpRequest.newBuilder(httpUri).header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
  }

  private void failed(long index, long intended, String reason, String message, Done done) {
    failedRequests.increment();
    failures.putIfAbsent(reason, message);
    Answers a = answers;
    if (a != null) {
      a.answered(index, intended, reason, 0);
    }
    outstanding.decrementAndGet();
    done.done(false);
  }

  private void accepted(long index, long intended, long rejected, Done done) {
    acceptedRequests.increment();
    acceptedSpans.add(itemsPerRequest - rejected);
    rejectedSpans.add(rejected);
    Answers a = answers;
    if (a != null) {
      a.answered(index, intended, null, rejected);
    }
    outstanding.decrementAndGet();
    done.done(true);
  }

  private static long rejectedIn(byte[] answer) {
    if (answer.length == 0) {
      return 0;
    }
    try {
      // The three signals' responses share a layout: partial_success (1) { rejected items (1) }.
      return ExportTraceServiceResponse.parseFrom(answer).getPartialSuccess().getRejectedSpans();
    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
      return 0;
    }
  }

  /** Stops sending and closes the connections; safe to call again. */
  void disconnect() {
    running = false;
    backoff.shutdownNow();
    for (ManagedChannel c : channels) {
      c.shutdownNow();
    }
    try {
      for (ManagedChannel c : channels) {
        c.awaitTermination(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    disconnect();
  }

  // ---- standalone use ----------------------------------------------------------------------------

  /**
   * {@code LoadGenerator --endpoint HOST:PORT [--mode max|rate] [--rate SPANS_PER_S] [--duration 30s]
   * [--concurrency 64] [--connections 4] [--pool 32] [--spans 512]}: sends to any OTLP/gRPC
   * endpoint (plaintext, uncompressed) and prints what it accepted, once a second and in total.
   */
  public static void main(String[] args) throws Exception {
    String endpoint = null;
    String mode = "max";
    double rate = 0;
    Duration duration = Duration.ofSeconds(30);
    int concurrency = 64;
    int connections = 4;
    int poolSize = 32;
    int spans = 512;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (a) {
        case "--endpoint" -> endpoint = v;
        case "--mode" -> mode = v;
        case "--rate" -> rate = Double.parseDouble(v);
        case "--duration" -> duration = Durations.parse(v, "--duration");
        case "--concurrency" -> concurrency = Integer.parseInt(v);
        case "--connections" -> connections = Integer.parseInt(v);
        case "--pool" -> poolSize = Integer.parseInt(v);
        case "--spans" -> spans = Integer.parseInt(v);
        default -> {
          System.err.println("unknown argument \"" + a + "\"; use --endpoint HOST:PORT [--mode max|rate]"
              + " [--rate SPANS_PER_S] [--duration 30s] [--concurrency 64] [--connections 4] [--pool 32]"
              + " [--spans 512]");
          System.exit(2);
        }
      }
      i++;
    }
    if (endpoint == null || !endpoint.contains(":")) {
      System.err.println("--endpoint HOST:PORT is required");
      System.exit(2);
    }
    if (mode.equals("rate") && rate <= 0) {
      System.err.println("--mode rate needs --rate SPANS_PER_SECOND");
      System.exit(2);
    }
    String host = endpoint.substring(0, endpoint.lastIndexOf(':'));
    int port = Integer.parseInt(endpoint.substring(endpoint.lastIndexOf(':') + 1));
    TraceRequests pool = TraceRequests.build(poolSize, spans, 42);
    System.out.printf(Locale.ROOT, "Pool: %d requests of %d spans, %.0f bytes per span, %.1f attributes per span%n",
        pool.size(), spans, (double) pool.totalBytes() / pool.size() / spans, pool.attributesPerSpan());
    try (LoadGenerator gen = new LoadGenerator(host, port, pool, connections)) {
      if (!gen.awaitReady(Duration.ofSeconds(30))) {
        System.err.println("No answer from " + endpoint + " within 30 s");
        System.exit(1);
      }
      long t0 = System.nanoTime();
      if (mode.equals("max")) {
        gen.startMax(concurrency);
      } else {
        gen.startRate(rate, t0);
      }
      long end = t0 + duration.toNanos();
      long last = 0;
      while (System.nanoTime() - end < 0) {
        Thread.sleep(Math.min(1000, Math.max(1, TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime()))));
        long now = gen.acceptedSpans();
        System.out.printf(Locale.ROOT, "%,d spans/s accepted%n", now - last);
        last = now;
      }
      gen.stop(Duration.ofSeconds(30));
      double secs = (System.nanoTime() - t0) / 1e9;
      System.out.printf(Locale.ROOT, "Accepted %,d spans in %.1f s: %,.0f spans/s; %d failed calls%s%n",
          gen.acceptedSpans(), secs, gen.acceptedSpans() / secs, gen.failedRequests(),
          gen.failedRequests() > 0 ? " (" + gen.failureSummary() + ")" : "");
    }
  }
}
