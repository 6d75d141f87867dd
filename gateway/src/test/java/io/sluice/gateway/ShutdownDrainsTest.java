package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestVertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shutting a gateway down while a client keeps sending: everything the gateway acknowledged
 * reaches the backend, even what was still waiting in the batch processor and in the exporter's
 * queue, and the gateway takes nothing more.
 */
class ShutdownDrainsTest {
  private static final String CONFIG = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:RECEIVER_PORT}
      processors:
        batch:
          timeout: 1s
          send_batch_size: 60
      exporters:
        otlp:
          endpoint: 127.0.0.1:${env:BACKEND_PORT}
          tls:
            insecure: true
          timeout: 5s
          sending_queue:
            enabled: true
            num_consumers: 2
            queue_size: 20
          retry_on_failure:
            enabled: true
            initial_interval: 100ms
            max_interval: 1s
      service:
        telemetry:
          metrics:
            level: none
        pipelines:
          traces:
            receivers: [otlp]
            processors: [batch]
            exporters: [otlp]
      """;

  @TempDir Path dir;

  private SlowTraceBackend backend;
  private TestVertx vertx;
  private TraceSender sender;

  @AfterEach
  void cleanUp() throws Exception {
    if (sender != null) {
      sender.close();
    }
    if (vertx != null) {
      vertx.close();
    }
    if (backend != null) {
      backend.close();
    }
  }

  @Test
  void shutdownDeliversEverythingAcknowledgedAndThenRefusesNewRequests() throws Exception {
    backend = SlowTraceBackend.start(Ports.freePort(), 50);
    int receiverPort = Ports.freePort();
    Path config = GatewayFixtures.writeConfig(dir, "sluice.yaml", CONFIG);
    vertx = TestVertx.create();
    Gateway gateway = GatewayFixtures.start(vertx.vertx(), config,
        Map.of("RECEIVER_PORT", String.valueOf(receiverPort), "BACKEND_PORT", String.valueOf(backend.port())));

    sender = TraceSender.to(receiverPort, "drain-test").start();
    await("the gateway acknowledges requests").atMost(Duration.ofSeconds(10)).untilAsserted(() ->
        assertThat(sender.requestsAcked()).as("requests acknowledged (failures: %s)", sender.failures())
            .isGreaterThanOrEqualTo(40));

    long began = System.nanoTime();
    gateway.shutdown(Duration.ofSeconds(20));
    Duration took = Duration.ofNanos(System.nanoTime() - began);
    sender.stop();

    Set<String> acked = sender.acked();
    Set<String> delivered = backend.spanIds();
    assertThat(acked).as("span ids acknowledged to the client").hasSizeGreaterThanOrEqualTo(40 * TraceSender.SPANS_PER_REQUEST);
    Set<String> lost = new HashSet<>(acked);
    lost.removeAll(delivered);
    assertThat(lost).as("acknowledged spans that never reached the backend (of %d acknowledged, %d delivered)",
        acked.size(), delivered.size()).isEmpty();
    assertThat(took).as("shutdown finished well within its deadline").isLessThan(Duration.ofSeconds(15));
    assertThat(gateway.ready()).isFalse();

    // While it shut down and after, the gateway only ever told the client to retry.
    assertThat(sender.failures().keySet()).as("failure codes seen by the client")
        .isSubsetOf(Status.Code.UNAVAILABLE);
    // After shutdown nothing listens any more.
    assertThat(sender.sendOnce().getCode()).as("a request after shutdown").isEqualTo(Status.Code.UNAVAILABLE);
    assertThat(sender.acked()).as("nothing acknowledged after shutdown").isEqualTo(acked);
  }

  /**
   * An OTLP/gRPC trace backend (grpc-java's Netty server on loopback) that records the span ids
   * it receives and answers each request only after a delay, like a busy collector.
   */
  static final class SlowTraceBackend implements AutoCloseable {
    private final Server server;
    private final ScheduledExecutorService delays;
    private final Set<String> spanIds = ConcurrentHashMap.newKeySet();
    private final AtomicLong requests = new AtomicLong();

    private SlowTraceBackend(int port, long delayMillis) throws IOException {
      delays = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "slow-backend");
        t.setDaemon(true);
        return t;
      });
      server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
          .addService(new TraceServiceGrpc.TraceServiceImplBase() {
            @Override
            public void export(ExportTraceServiceRequest request,
                StreamObserver<ExportTraceServiceResponse> responses) {
              requests.incrementAndGet();
              OtlpFlat.spans(request).forEach(s -> spanIds.add(s.spanIdHex()));
              delays.schedule(() -> {
                responses.onNext(ExportTraceServiceResponse.getDefaultInstance());
                responses.onCompleted();
              }, delayMillis, TimeUnit.MILLISECONDS);
            }
          })
          .build()
          .start();
    }

    static SlowTraceBackend start(int port, long delayMillis) throws IOException {
      return new SlowTraceBackend(port, delayMillis);
    }

    int port() {
      return server.getPort();
    }

    Set<String> spanIds() {
      return Set.copyOf(spanIds);
    }

    long requests() {
      return requests.get();
    }

    @Override
    public void close() {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        delays.shutdownNow();
      }
    }
  }
}
