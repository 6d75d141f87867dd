package io.sluice.gateway;

import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.sluice.core.ledger.ItemLedger;
import io.sluice.core.ledger.NumberedItems;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Sends numbered spans ({@link NumberedItems}) to a gateway over OTLP/gRPC at a fixed rate of
 * requests, from several streams (source IDs {@code firstSource ..}), and writes what it sent and
 * how each request was answered into an {@link ItemLedger}: OK is acknowledged, any error status
 * (the gateway's refusal, or no answer within the deadline) is refused with the status as reason.
 *
 * <p>A stream has at most one request in flight, so its items leave in order and whatever
 * reorders them is the gateway's doing; a tick whose streams are all waiting is skipped (counted).
 * Refused items are not sent again.
 */
final class NumberedSender implements AutoCloseable {
  private static final Duration DEADLINE = Duration.ofSeconds(10);

  private final ManagedChannel channel;
  private final TraceServiceGrpc.TraceServiceStub stub;
  private final NumberedItems spans;
  private final ItemLedger ledger;
  private final int firstSource;
  private final AtomicBoolean[] busy;
  private final int itemsPerRequest;
  private final int payloadChars;
  private final long periodNanos;
  private final ScheduledExecutorService ticker;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final AtomicLong skipped = new AtomicLong();
  private int next;

  /**
   * @param requestsPerSecond requests per second over all streams
   */
  NumberedSender(int port, NumberedItems spans, ItemLedger ledger, int firstSource, int streams,
      int itemsPerRequest, int requestsPerSecond, int payloadChars) {
    this.channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    this.stub = TraceServiceGrpc.newStub(channel);
    this.spans = spans;
    this.ledger = ledger;
    this.firstSource = firstSource;
    this.busy = new AtomicBoolean[streams];
    for (int i = 0; i < streams; i++) {
      busy[i] = new AtomicBoolean();
    }
    this.itemsPerRequest = itemsPerRequest;
    this.payloadChars = payloadChars;
    this.periodNanos = TimeUnit.SECONDS.toNanos(1) / requestsPerSecond;
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "numbered-sender-" + port);
      t.setDaemon(true);
      return t;
    });
  }

  NumberedSender start() {
    ticker.scheduleAtFixedRate(this::tick, 0, periodNanos, TimeUnit.NANOSECONDS);
    return this;
  }

  /** Sends the next request of the next stream without one in flight. */
  private void tick() {
    for (int i = 0; i < busy.length; i++) {
      int s = next;
      next = (next + 1) % busy.length;
      if (busy[s].compareAndSet(false, true)) {
        send(s);
        return;
      }
    }
    skipped.incrementAndGet();
  }

  private void send(int slot) {
    int source = firstSource + slot;
    int first = ledger.reserve(source, itemsPerRequest);
    ExportTraceServiceRequest req = spans.request(source, first, itemsPerRequest, payloadChars);
    inFlight.incrementAndGet();
    stub.withDeadlineAfter(DEADLINE.toMillis(), TimeUnit.MILLISECONDS).export(req, new StreamObserver<>() {
      @Override
      public void onNext(ExportTraceServiceResponse value) {}

      @Override
      public void onError(Throwable t) {
        ledger.refused(source, first, itemsPerRequest, Status.fromThrowable(t).getCode().name());
        done();
      }

      @Override
      public void onCompleted() {
        ledger.acknowledged(source, first, itemsPerRequest);
        done();
      }

      private void done() {
        inFlight.decrementAndGet();
        busy[slot].set(false);
      }
    });
  }

  /** Ticks skipped because every stream had a request in flight: the gateway answered slower than the rate. */
  long skipped() {
    return skipped.get();
  }

  /** Stops sending and waits until every request in flight has its answer (bounded by their deadline). */
  void stop() throws InterruptedException {
    ticker.shutdown();
    if (!ticker.awaitTermination(5, TimeUnit.SECONDS)) {
      throw new AssertionError("the sender's ticker still runs 5 s after it was stopped");
    }
    await("every request of the sender answered").atMost(DEADLINE.plusSeconds(10))
        .pollInterval(Duration.ofMillis(20)).until(() -> inFlight.get() == 0);
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    channel.shutdownNow();
  }
}
