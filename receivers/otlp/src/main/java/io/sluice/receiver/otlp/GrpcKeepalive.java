package io.sluice.receiver.otlp;

import io.sluice.core.ComponentId;
import io.sluice.receiver.otlp.OtlpReceiverConfig.EnforcementPolicy;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Keepalive;
import io.sluice.receiver.otlp.OtlpReceiverConfig.ServerParameters;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpConnection;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gRPC keepalive on one HTTP/2 connection, as grpc-go does it: a connection older than
 * {@code max_connection_age} (±10 %) is sent GOAWAY and given {@code max_connection_age_grace}
 * for its calls; every {@code time} the server pings and closes the connection when no answer
 * comes within {@code timeout}; a client that pings more often than {@code min_time} gets
 * GOAWAY {@code ENHANCE_YOUR_CALM} "too_many_pings" at its third such ping.
 * {@code max_connection_idle} is the server's idle timeout (see {@link GrpcHandler}). Runs on the
 * connection's event loop.
 */
final class GrpcKeepalive implements Handler<HttpConnection> {
  private static final Logger log = LoggerFactory.getLogger(GrpcKeepalive.class);
  static final long ENHANCE_YOUR_CALM = 0xB;
  /** Pings too soon that a client gets away with, as in grpc-go. */
  static final int MAX_PING_STRIKES = 2;
  /** Grace when max_connection_age_grace is left at 0, which grpc-go takes as "forever". */
  static final Duration UNBOUNDED_GRACE = Duration.ofDays(1);

  private final Vertx vertx;
  private final ComponentId id;
  private final ServerParameters server;
  private final EnforcementPolicy policy;

  private GrpcKeepalive(Vertx vertx, ComponentId id, ServerParameters server, EnforcementPolicy policy) {
    this.vertx = vertx;
    this.id = id;
    this.server = server;
    this.policy = policy;
  }

  /** The handler for these settings, or null when they ask for nothing per connection. */
  static GrpcKeepalive of(Vertx vertx, ComponentId id, Keepalive keepalive) {
    if (keepalive == null) {
      return null;
    }
    ServerParameters sp = keepalive.serverParameters();
    boolean perConnection = sp != null && (!sp.maxConnectionAge().isZero() || !sp.time().isZero());
    if (!perConnection && keepalive.enforcementPolicy() == null) {
      return null;
    }
    return new GrpcKeepalive(vertx, id, sp, keepalive.enforcementPolicy());
  }

  @Override
  public void handle(HttpConnection conn) {
    long ageTimer = -1;
    long pingTimer = -1;
    if (server != null && !server.maxConnectionAge().isZero()) {
      long age = server.maxConnectionAge().toMillis();
      long jittered = Math.max(1, age + (long) (age * 0.1 * (ThreadLocalRandom.current().nextDouble() * 2 - 1)));
      Duration grace = server.maxConnectionAgeGrace().isZero() ? UNBOUNDED_GRACE : server.maxConnectionAgeGrace();
      ageTimer = vertx.setTimer(jittered, t -> conn.shutdown(grace.toMillis(), TimeUnit.MILLISECONDS));
    }
    if (server != null && !server.time().isZero()) {
      long timeoutMs = Math.max(1, server.timeout().toMillis());
      pingTimer = vertx.setPeriodic(Math.max(1, server.time().toMillis()), t ->
          conn.ping(Buffer.buffer(new byte[8])).timeout(timeoutMs, TimeUnit.MILLISECONDS).onFailure(err -> {
            log.debug("Receiver '{}': a client did not answer a keepalive ping within {} ms; closing its"
                + " connection", id, timeoutMs);
            conn.close();
          }));
    }
    if (policy != null) {
      conn.pingHandler(new PingPolicy(conn));
    }
    long age = ageTimer;
    long ping = pingTimer;
    conn.closeHandler(v -> {
      vertx.cancelTimer(age);
      vertx.cancelTimer(ping);
    });
  }

  /** Counts a client's pings that come sooner than min_time after the previous one. */
  private final class PingPolicy implements Handler<Buffer> {
    private final HttpConnection conn;
    private long lastPing = System.nanoTime() - policy.minTime().toNanos();
    private int strikes;

    PingPolicy(HttpConnection conn) {
      this.conn = conn;
    }

    @Override
    public void handle(Buffer data) {
      long now = System.nanoTime();
      if (now - lastPing < policy.minTime().toNanos() && ++strikes > MAX_PING_STRIKES) {
        log.debug("Receiver '{}': a client pings more often than min_time {}; sending GOAWAY too_many_pings", id,
            policy.minTime());
        conn.goAway(ENHANCE_YOUR_CALM, -1, Buffer.buffer("too_many_pings"));
        conn.close();
      }
      lastPing = now;
    }
  }
}
