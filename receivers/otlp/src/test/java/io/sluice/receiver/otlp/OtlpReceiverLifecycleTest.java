package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.sluice.core.ComponentKind;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Grpc;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Http;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Protocols;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The contract every component keeps: start, shutdown, restart, and what happens around them. */
class OtlpReceiverLifecycleTest {
  private final OtlpReceiverFactory factory = new OtlpReceiverFactory();

  private static OtlpReceiverConfig config(int grpcPort, int httpPort) {
    return new OtlpReceiverConfig(new Protocols(
        new Grpc("127.0.0.1:" + grpcPort, null, null, null),
        new Http("127.0.0.1:" + httpPort, null, null, null, null, null, null)));
  }

  private Receiver receiver(TestVertx tv, OtlpReceiverConfig config, CapturingConsumer traces) {
    return factory.create(TestContexts.context(tv.vertx(), ComponentKind.RECEIVER, "otlp"), config,
        Map.of(Signal.TRACES, traces));
  }

  private static boolean portFree(int port) {
    try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
      return s.isBound();
    } catch (IOException e) {
      return false;
    }
  }

  private static HttpResponse<byte[]> post(HttpClient client, int port, byte[] body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/traces"))
        .header("Content-Type", "application/x-protobuf")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  private static byte[] traces(int spans) {
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(TestData.resourceSpans("svc", spans, 1))
        .build().toByteArray();
  }

  @Test
  void defaultConfigValidates() {
    assertThat(factory.defaultConfig().validate()).isEmpty();
    assertThat(factory.type()).isEqualTo("otlp");
    assertThat(factory.signals()).containsExactlyInAnyOrder(Signal.TRACES, Signal.METRICS, Signal.LOGS);
  }

  @Test
  void shutdownWorksWithoutStartAndTwice() {
    try (TestVertx tv = TestVertx.create()) {
      Receiver r = receiver(tv, config(Ports.freePort(), Ports.freePort()), new CapturingConsumer());
      assertThat(r.shutdown().await(5, TimeUnit.SECONDS)).isNull();
      assertThat(r.shutdown().await(5, TimeUnit.SECONDS)).isNull();
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void startShutdownStartReusesThePorts() throws Exception {
    int grpcPort = Ports.freePort();
    int httpPort = Ports.freePort();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (TestVertx tv = TestVertx.create()) {
      CapturingConsumer traces = new CapturingConsumer();
      Receiver r = receiver(tv, config(grpcPort, httpPort), traces);
      r.start().await(10, TimeUnit.SECONDS);
      r.start().await(10, TimeUnit.SECONDS); // a second start is a no-op
      assertThat(post(client, httpPort, traces(1)).statusCode()).isEqualTo(200);
      r.shutdown().await(10, TimeUnit.SECONDS);
      r.shutdown().await(10, TimeUnit.SECONDS);
      assertThat(portFree(grpcPort)).isTrue();
      assertThat(portFree(httpPort)).isTrue();

      r.start().await(10, TimeUnit.SECONDS);
      assertThat(post(client, httpPort, traces(2)).statusCode()).isEqualTo(200);
      ManagedChannel ch = OtlpGrpcTest.channel(grpcPort);
      try {
        TraceServiceGrpc.newBlockingStub(ch).export(ExportTraceServiceRequest.parseFrom(traces(3)));
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
      r.shutdown().await(10, TimeUnit.SECONDS);

      Receiver again = receiver(tv, config(grpcPort, httpPort), traces);
      again.start().await(10, TimeUnit.SECONDS);
      assertThat(post(client, httpPort, traces(4)).statusCode()).isEqualTo(200);
      again.shutdown().await(10, TimeUnit.SECONDS);
      assertThat(traces.itemCount(Signal.TRACES)).isEqualTo(1 + 2 + 3 + 4);
    }
  }

  @Test
  void startFailsNamingTheEndpointWhenThePortIsTakenAndReleasesTheOtherPort() throws Exception {
    int httpPort = Ports.freePort();
    try (TestVertx tv = TestVertx.create();
        ServerSocket taken = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Receiver r = receiver(tv, config(taken.getLocalPort(), httpPort), new CapturingConsumer());
      assertThatThrownBy(() -> r.start().await(10, TimeUnit.SECONDS))
          .hasMessageContaining("127.0.0.1:" + taken.getLocalPort())
          .hasMessageContaining("OTLP/gRPC")
          .hasMessageContaining("otlp");
      await().atMost(Duration.ofSeconds(5)).until(() -> portFree(httpPort));
      r.shutdown().await(5, TimeUnit.SECONDS);
    }
  }

  @Test
  void shutdownLetsRequestsInFlightFinishAndStopsListening() throws Exception {
    int grpcPort = Ports.freePort();
    int httpPort = Ports.freePort();
    HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    try (TestVertx tv = TestVertx.create()) {
      AtomicReference<Promise<Void>> pending = new AtomicReference<>();
      CapturingConsumer traces = new CapturingConsumer().answerWith(b -> {
        Promise<Void> p = Promise.promise();
        pending.set(p);
        return p.future();
      });
      Receiver r = receiver(tv, config(grpcPort, httpPort), traces);
      r.start().await(10, TimeUnit.SECONDS);

      CompletableFuture<HttpResponse<byte[]>> inFlight = client.sendAsync(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + httpPort + "/v1/traces"))
              .header("Content-Type", "application/x-protobuf")
              .POST(HttpRequest.BodyPublishers.ofByteArray(traces(5))).build(),
          HttpResponse.BodyHandlers.ofByteArray());
      ManagedChannel ch = OtlpGrpcTest.channel(grpcPort);
      AtomicReference<Promise<Void>> grpcPending = new AtomicReference<>();
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> pending.get() != null);
        Promise<Void> httpPromise = pending.getAndSet(null);
        var grpcCall = TraceServiceGrpc.newFutureStub(ch).export(ExportTraceServiceRequest.parseFrom(traces(6)));
        await().atMost(Duration.ofSeconds(10)).until(() -> pending.get() != null);
        grpcPending.set(pending.get());

        Future<Void> stopping = r.shutdown();
        await().atMost(Duration.ofSeconds(5)).until(() -> portFree(httpPort) && portFree(grpcPort));
        assertThat(stopping.isComplete()).as("shutdown waits for answers still owed").isFalse();
        assertThat(inFlight.isDone()).isFalse();

        httpPromise.complete();
        grpcPending.get().complete();
        assertThat(inFlight.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(grpcCall.get(10, TimeUnit.SECONDS)).isEqualTo(ExportTraceServiceResponse.getDefaultInstance());
        stopping.await(10, TimeUnit.SECONDS);
        assertThat(traces.itemCount(Signal.TRACES)).isEqualTo(11);
      } finally {
        ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      }
    }
  }
}
