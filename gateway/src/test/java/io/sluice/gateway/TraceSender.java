package io.sluice.gateway;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.testkit.TestData;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An OTLP/gRPC client (grpc-java) that sends trace requests to a gateway continuously from its
 * own thread, keeping up to {@link #IN_FLIGHT} requests in flight (a gateway acknowledges a request
 * only once its batch has gone on, so one request at a time would be slow), each with spans of
 * ids never used before. It remembers the span ids of every request the gateway acknowledged
 * with OK: what was acknowledged must never be lost.
 */
final class TraceSender implements AutoCloseable {
  static final int SPANS_PER_REQUEST = 3;
  static final int IN_FLIGHT = 32;

  private final ManagedChannel channel;
  private final TraceServiceGrpc.TraceServiceStub async;
  private final TraceServiceGrpc.TraceServiceBlockingStub blocking;
  private final String service;
  /** Span ids are this random base plus a sequence number: unique within and across runs. */
  private final long idBase = ThreadLocalRandom.current().nextLong() & 0x7fff_ffff_0000_0000L;
  private final AtomicLong sequence = new AtomicLong();
  private final Set<String> acked = ConcurrentHashMap.newKeySet();
  private final Map<Status.Code, AtomicLong> failures = new ConcurrentHashMap<>();
  private final AtomicLong requestsAcked = new AtomicLong();
  private final Semaphore slots = new Semaphore(IN_FLIGHT);
  private final CountDownLatch stopping = new CountDownLatch(1);
  private volatile long pauseUntilNanos;
  private volatile Thread thread;

  private TraceSender(int port, String service) {
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    this.async = TraceServiceGrpc.newStub(channel);
    this.blocking = TraceServiceGrpc.newBlockingStub(channel);
    this.service = service;
  }

  /** A sender to the OTLP/gRPC receiver on loopback {@code port}; call {@link #start()} to send continuously. */
  static TraceSender to(int port, String service) {
    return new TraceSender(port, service);
  }

  /** Starts sending on a thread of its own until {@link #stop()}. */
  TraceSender start() {
    Thread t = new Thread(this::loop, "trace-sender-" + service);
    t.setDaemon(true);
    thread = t;
    t.start();
    return this;
  }

  private void loop() {
    try {
      while (stopping.getCount() > 0) {
        long pause = pauseUntilNanos - System.nanoTime();
        if (pause > 0) {
          // Paces retries against a gateway that is down; a stop ends the wait at once.
          stopping.await(pause, TimeUnit.NANOSECONDS);
          continue;
        }
        if (!slots.tryAcquire(20, TimeUnit.MILLISECONDS)) {
          continue;
        }
        sendAsync();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void sendAsync() {
    List<String> ids = new ArrayList<>(SPANS_PER_REQUEST);
    ExportTraceServiceRequest req = request(ids);
    async.withDeadlineAfter(10, TimeUnit.SECONDS).export(req, new StreamObserver<>() {
      @Override
      public void onNext(ExportTraceServiceResponse value) {}

      @Override
      public void onError(Throwable t) {
        failed(Status.fromThrowable(t));
        pauseUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        slots.release();
      }

      @Override
      public void onCompleted() {
        acked.addAll(ids);
        requestsAcked.incrementAndGet();
        slots.release();
      }
    });
  }

  private void failed(Status status) {
    failures.computeIfAbsent(status.getCode(), k -> new AtomicLong()).incrementAndGet();
  }

  /** Sends one request with new span ids and waits for the answer; records its ids when acknowledged. */
  Status sendOnce() {
    List<String> ids = new ArrayList<>(SPANS_PER_REQUEST);
    ExportTraceServiceRequest req = request(ids);
    try {
      blocking.withDeadlineAfter(10, TimeUnit.SECONDS).export(req);
      acked.addAll(ids);
      requestsAcked.incrementAndGet();
      return Status.OK;
    } catch (StatusRuntimeException e) {
      failed(e.getStatus());
      return e.getStatus();
    }
  }

  private ExportTraceServiceRequest request(List<String> ids) {
    byte[] traceId = new byte[16];
    ThreadLocalRandom.current().nextBytes(traceId);
    long now = System.currentTimeMillis() * 1_000_000L;
    ScopeSpans.Builder scope = ScopeSpans.newBuilder().setScope(TestData.scope());
    for (int i = 0; i < SPANS_PER_REQUEST; i++) {
      long seq = sequence.incrementAndGet();
      byte[] spanId = ByteBuffer.allocate(8).putLong(idBase + seq).array();
      ids.add(HexFormat.of().formatHex(spanId));
      scope.addSpans(Span.newBuilder()
          .setTraceId(ByteString.copyFrom(traceId))
          .setSpanId(ByteString.copyFrom(spanId))
          .setName("sender " + service)
          .setKind(Span.SpanKind.SPAN_KIND_CLIENT)
          .setStartTimeUnixNano(now)
          .setEndTimeUnixNano(now + 1_000_000)
          .addAttributes(TestData.attr("seq", seq)));
    }
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().setResource(TestData.resource(service)).addScopeSpans(scope))
        .build();
  }

  /** The span ids of every acknowledged request so far. */
  Set<String> acked() {
    return Set.copyOf(acked);
  }

  int ackedCount() {
    return acked.size();
  }

  long requestsAcked() {
    return requestsAcked.get();
  }

  /** Failed requests so far by gRPC status code. */
  Map<Status.Code, Long> failures() {
    Map<Status.Code, Long> out = new EnumMap<>(Status.Code.class);
    failures.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  /** Stops sending and waits until every request in flight has its answer. */
  void stop() throws InterruptedException {
    stopping.countDown();
    Thread t = thread;
    if (t != null) {
      t.join(TimeUnit.SECONDS.toMillis(5));
      if (t.isAlive()) {
        throw new AssertionError("the sender thread did not stop within 5 s");
      }
    }
    if (!slots.tryAcquire(IN_FLIGHT, 15, TimeUnit.SECONDS)) {
      throw new AssertionError((IN_FLIGHT - slots.availablePermits()) + " requests still unanswered 15 s after"
          + " the sender stopped (acknowledged so far: " + requestsAcked.get() + ", failed: " + failures() + ")");
    }
    slots.release(IN_FLIGHT);
  }

  @Override
  public void close() {
    try {
      stop();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      channel.shutdownNow();
      try {
        channel.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
