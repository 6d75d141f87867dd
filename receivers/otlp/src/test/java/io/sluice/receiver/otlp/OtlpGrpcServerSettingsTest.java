package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.core.Signal;
import io.sluice.receiver.otlp.OtlpReceiverConfig.EnforcementPolicy;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Keepalive;
import io.sluice.receiver.otlp.OtlpReceiverConfig.ServerParameters;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.GoAway;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientConnection;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpVersion;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC listener's server settings: a Unix socket and keepalive, seen by an HTTP/2 client. */
class OtlpGrpcServerSettingsTest {
  @TempDir
  Path dir;

  private Vertx clientVertx;
  private HttpClientAgent client;

  @BeforeEach
  void client() {
    clientVertx = Vertx.vertx();
    client = clientVertx.createHttpClient(new HttpClientOptions().setProtocolVersion(HttpVersion.HTTP_2)
        .setHttp2ClearTextUpgrade(false));
  }

  @AfterEach
  void close() throws Exception {
    clientVertx.close().await(10, TimeUnit.SECONDS);
  }

  /** One OTLP trace Export as a gRPC frame: no compression, length, message. */
  private static Buffer grpcFrame() {
    byte[] msg = OtlpSamples.tracesProto().toByteArray();
    return Buffer.buffer().appendByte((byte) 0).appendInt(msg.length).appendBytes(msg);
  }

  private String export(HttpClientConnection conn) throws Exception {
    HttpClientResponse resp = conn.request(new RequestOptions().setMethod(HttpMethod.POST)
            .setURI("/" + GrpcHandler.TRACE_SERVICE + "/Export")
            .putHeader("content-type", "application/grpc").putHeader("te", "trailers"))
        .compose(req -> req.send(grpcFrame()))
        .await(10, TimeUnit.SECONDS);
    resp.body().await(10, TimeUnit.SECONDS);
    return resp.getTrailer("grpc-status");
  }

  @Test
  void servesGrpcOnAUnixSocketAndRemovesItOnShutdown() throws Exception {
    Path socket = dir.resolve("otlp.sock");
    RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.onUnixSocket(socket.toString()), h -> h);
    try {
      HttpClientConnection conn = client.connect(new HttpConnectOptions()
          .setServer(SocketAddress.domainSocketAddress(socket.toString())).setHost("localhost").setPort(4317))
          .await(10, TimeUnit.SECONDS);
      assertThat(export(conn)).isEqualTo("0");
      assertThat(r.consumer(Signal.TRACES).batches()).hasSize(1);
      assertThat(Files.exists(socket)).isTrue();
    } finally {
      r.close();
    }
    assertThat(Files.exists(socket)).isFalse();
  }

  private HttpClientConnection connect(int port) throws Exception {
    return client.connect(new HttpConnectOptions().setHost("127.0.0.1").setPort(port)).await(10, TimeUnit.SECONDS);
  }

  @Test
  void aConnectionOlderThanMaxConnectionAgeIsSentGoAway() throws Exception {
    Keepalive k = new Keepalive(new ServerParameters(null, Duration.ofMillis(300), Duration.ofSeconds(1), null, null),
        null);
    try (RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.withKeepalive(k), h -> h)) {
      HttpClientConnection conn = connect(r.grpcPort);
      AtomicReference<GoAway> goAway = new AtomicReference<>();
      conn.goAwayHandler(goAway::set);

      await().atMost(Duration.ofSeconds(10)).until(() -> goAway.get() != null);
      assertThat(goAway.get().getErrorCode()).isZero();
    }
  }

  @Test
  void theServerPingsEveryTime() throws Exception {
    Keepalive k = new Keepalive(new ServerParameters(null, null, null, Duration.ofMillis(200),
        Duration.ofSeconds(5)), null);
    try (RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.withKeepalive(k), h -> h)) {
      HttpClientConnection conn = connect(r.grpcPort);
      AtomicInteger pings = new AtomicInteger();
      conn.pingHandler(data -> pings.incrementAndGet());

      await().atMost(Duration.ofSeconds(10)).until(() -> pings.get() >= 2);
    }
  }

  @Test
  void aClientPingingMoreOftenThanMinTimeIsToldTooManyPings() throws Exception {
    Keepalive k = new Keepalive(null, new EnforcementPolicy(Duration.ofMinutes(1), null));
    try (RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.withKeepalive(k), h -> h)) {
      HttpClientConnection conn = connect(r.grpcPort);
      AtomicReference<GoAway> goAway = new AtomicReference<>();
      conn.goAwayHandler(goAway::set);

      for (int i = 0; i < 4 && goAway.get() == null; i++) {
        conn.ping(Buffer.buffer(new byte[8])).await(10, TimeUnit.SECONDS);
      }

      await().atMost(Duration.ofSeconds(10)).until(() -> goAway.get() != null);
      assertThat(goAway.get().getErrorCode()).isEqualTo(GrpcKeepalive.ENHANCE_YOUR_CALM);
      assertThat(goAway.get().getDebugData().toString()).isEqualTo("too_many_pings");
    }
  }

  @Test
  void maxConnectionIdleClosesAnIdleConnection() throws Exception {
    Keepalive k = new Keepalive(new ServerParameters(Duration.ofSeconds(1), null, null, null, null), null);
    try (RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.withKeepalive(k), h -> h)) {
      HttpClientConnection conn = connect(r.grpcPort);
      AtomicInteger closed = new AtomicInteger();
      conn.closeHandler(v -> closed.incrementAndGet());

      await().atMost(Duration.ofSeconds(10)).until(() -> closed.get() == 1);
    }
  }
}
