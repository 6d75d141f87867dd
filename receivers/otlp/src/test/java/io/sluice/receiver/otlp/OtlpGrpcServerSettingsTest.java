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
import io.vertx.core.http.HttpConnectOptions;
import io.vertx.core.http.HttpVersion;
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

  /**
   * One Export over a Unix socket with curl (HTTP/2 with prior knowledge): the response headers
   * and trailers. curl is the client here because Vert.x's own HTTP/2 client left about half of
   * its first requests on a new connection unanswered in this setup, over TCP as well.
   */
  private String curlExport(Path socket) throws Exception {
    Path body = Files.write(dir.resolve("frame.bin"), grpcFrame().getBytes());
    Process p;
    try {
      p = new ProcessBuilder("curl", "-sS", "--http2-prior-knowledge", "--unix-socket", socket.toString(),
          "-H", "content-type: application/grpc", "-H", "te: trailers", "--data-binary", "@" + body,
          "-D", "-", "-o", "/dev/null", "--max-time", "20",
          "http://localhost/" + GrpcHandler.TRACE_SERVICE + "/Export").redirectErrorStream(true).start();
    } catch (java.io.IOException e) {
      throw new IllegalStateException("this test needs curl with HTTP/2: apt-get install -y curl", e);
    }
    String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("curl finished").isTrue();
    return out;
  }

  @Test
  void servesGrpcOnAUnixSocketAndRemovesItOnShutdown() throws Exception {
    Path socket = dir.resolve("otlp.sock");
    RunningReceiver r = RunningReceiver.start(Signal.values(), g -> g.onUnixSocket(socket.toString()), h -> h);
    try {
      assertThat(curlExport(socket)).contains("HTTP/2 200").contains("grpc-status: 0");
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

      // not awaited: once the server has sent GOAWAY and closed, a ping is never answered
      for (int i = 0; i < 4; i++) {
        conn.ping(Buffer.buffer(new byte[8]));
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
