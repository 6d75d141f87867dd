package io.sluice.gateway;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.ledger.ItemLedger;
import io.sluice.core.ledger.NumberedItems;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * An OTLP/HTTP trace backend on loopback that fails as backends fail: it can be down (nothing
 * listens on its port), answer an error status (with {@code Retry-After} when asked), or answer
 * late. Every numbered span it takes (answers 2xx) goes to an {@link ItemLedger}. A request it
 * answers late is taken when it arrives, as a backend that stores first and answers slowly: a
 * client that gives up and sends it again makes a duplicate.
 */
final class FaultyBackend implements AutoCloseable {
  /** What the backend does with one request. */
  record Answer(int status, Integer retryAfterSeconds, long delayMillis) {
    static final Answer OK = new Answer(200, null, 0);

    static Answer status(int status) {
      return new Answer(status, null, 0);
    }

    static Answer retryAfter(int status, int seconds) {
      return new Answer(status, seconds, 0);
    }

    static Answer slow(long delayMillis) {
      return new Answer(200, null, delayMillis);
    }
  }

  /** Chooses the answer to a request from its number (from 1) and the sources of its spans. */
  interface Policy {
    Answer answer(long request, Set<Integer> sources);
  }

  private final Vertx vertx;
  private final int port;
  private final NumberedItems spans;
  private final ItemLedger ledger;
  private final AtomicLong requests = new AtomicLong();
  private final Map<Integer, LongAdder> byStatus = new ConcurrentHashMap<>();
  /** When each request (by its first span id) last got a 429. */
  private final Map<String, Long> answered429 = new ConcurrentHashMap<>();
  private final AtomicLong shortestWaitAfter429 = new AtomicLong(Long.MAX_VALUE);
  private volatile Policy policy = (n, sources) -> Answer.OK;
  private volatile HttpServer server;

  FaultyBackend(Vertx vertx, int port, NumberedItems spans, ItemLedger ledger) {
    this.vertx = vertx;
    this.port = port;
    this.spans = spans;
    this.ledger = ledger;
  }

  String endpoint() {
    return "http://127.0.0.1:" + port;
  }

  void policy(Policy p) {
    this.policy = p;
  }

  /** Starts listening (again). */
  synchronized FaultyBackend up() throws Exception {
    if (server == null) {
      server = vertx.createHttpServer(new HttpServerOptions().setDecompressionSupported(true))
          .requestHandler(this::handle)
          .listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    }
    return this;
  }

  /** Stops listening and closes every connection: clients find nothing on the port. */
  synchronized void down() throws Exception {
    if (server != null) {
      server.close().await(10, TimeUnit.SECONDS);
      server = null;
    }
  }

  private void handle(HttpServerRequest req) {
    req.body().onSuccess(body -> answer(req, body)).onFailure(err -> req.response().setStatusCode(500).end());
  }

  private void answer(HttpServerRequest req, Buffer body) {
    ExportTraceServiceRequest export;
    try {
      export = ExportTraceServiceRequest.parseFrom(body.getBytes());
    } catch (Exception e) {
      req.response().setStatusCode(400).end("not an ExportTraceServiceRequest: " + e.getMessage());
      return;
    }
    Answer a = policy.answer(requests.incrementAndGet(), sources(export));
    byStatus.computeIfAbsent(a.status(), k -> new LongAdder()).increment();
    String key = firstSpanId(export);
    Long refusedAt = answered429.remove(key);
    long now = System.nanoTime();
    if (refusedAt != null) {
      shortestWaitAfter429.accumulateAndGet(now - refusedAt, Math::min);
    }
    if (a.status() == 429) {
      answered429.put(key, now);
    }
    if (a.status() / 100 == 2) {
      spans.receive(export, ledger);
    }
    Runnable respond = () -> {
      if (a.retryAfterSeconds() != null) {
        req.response().putHeader("Retry-After", a.retryAfterSeconds().toString());
      }
      if (a.status() / 100 == 2) {
        req.response().setStatusCode(a.status()).putHeader("Content-Type", "application/x-protobuf")
            .end(Buffer.buffer(ExportTraceServiceResponse.getDefaultInstance().toByteArray()));
      } else {
        req.response().setStatusCode(a.status()).putHeader("Content-Type", "text/plain").end("refused by the test");
      }
    };
    if (a.delayMillis() > 0) {
      vertx.setTimer(a.delayMillis(), t -> respond.run());
    } else {
      respond.run();
    }
  }

  /** The source IDs of the numbered spans in a request (from their span ids). */
  private static Set<Integer> sources(ExportTraceServiceRequest export) {
    Set<Integer> out = new TreeSet<>();
    for (ResourceSpans rs : export.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          if (s.getSpanId().size() == 8) {
            out.add(ByteBuffer.wrap(s.getSpanId().toByteArray()).getInt(0));
          }
        }
      }
    }
    return out;
  }

  private static String firstSpanId(ExportTraceServiceRequest export) {
    for (ResourceSpans rs : export.getResourceSpansList()) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          return HexFormat.of().formatHex(s.getSpanId().toByteArray());
        }
      }
    }
    return "";
  }

  /**
   * The shortest time from a 429 answer to the same request's next arrival (by its first span
   * id), as the backend sees it: at least the wait the client made; null when no request answered
   * 429 came again.
   */
  Duration shortestWaitAfter429() {
    long n = shortestWaitAfter429.get();
    return n == Long.MAX_VALUE ? null : Duration.ofNanos(n);
  }

  /** Requests answered, by status. */
  Map<Integer, Long> byStatus() {
    Map<Integer, Long> out = new TreeMap<>();
    byStatus.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }

  @Override
  public void close() throws Exception {
    down();
  }
}
