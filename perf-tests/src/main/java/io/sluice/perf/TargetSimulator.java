package io.sluice.perf;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scrape targets on loopback: one Vert.x HTTP server per target, each on its own port, answering
 * {@code GET /metrics} with a fresh {@link SimulatedTarget} body in Prometheus text 0.0.4
 * (whatever the Accept header asks for, as a text-only exporter does). Counts the scrapes of each
 * {@link Scraper}, told apart by User-Agent, in all and within a time window.
 */
final class TargetSimulator implements AutoCloseable {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  /** What one scraper fetched. */
  static final class Counts {
    private final LongAdder scrapes = new LongAdder();
    private final LongAdder bytes = new LongAdder();
    private final LongAdder inWindow = new LongAdder();
    private final LongAdder early = new LongAdder();
    private final AtomicInteger targetsSeen = new AtomicInteger();
    private volatile long windowFrom = Long.MAX_VALUE;
    private volatile long windowTo = Long.MAX_VALUE;

    long scrapes() {
      return scrapes.sum();
    }

    long bytes() {
      return bytes.sum();
    }

    /**
     * Scrapes that came sooner than {@code earlyMillis} after the previous scrape of the same
     * target: bunched scrapes, such as a scraper catching up after a stall.
     */
    long earlyScrapes() {
      return early.sum();
    }

    /** Targets scraped at least once. */
    int targetsSeen() {
      return targetsSeen.get();
    }

    /** Scrapes whose request arrived within the window. */
    long scrapesInWindow() {
      return inWindow.sum();
    }

    /** Counts scrapes arriving from {@code fromMillis} (epoch ms) on, until {@link #closeWindow}. */
    void openWindow(long fromMillis) {
      inWindow.reset();
      windowTo = Long.MAX_VALUE;
      windowFrom = fromMillis;
    }

    /** Scrapes arriving at or after {@code toMillis} are not counted in the window. */
    void closeWindow(long toMillis) {
      windowTo = toMillis;
    }

    private void count(long nowMillis, int length, boolean first, boolean soon) {
      scrapes.increment();
      if (soon) {
        early.increment();
      }
      bytes.add(length);
      if (nowMillis >= windowFrom && nowMillis < windowTo) {
        inWindow.increment();
      }
      if (first) {
        targetsSeen.incrementAndGet();
      }
    }
  }

  /** One target's state, touched only on its server's event loop. */
  private static final class Target {
    final SimulatedTarget body;
    final boolean[] seenBy = new boolean[Scraper.values().length];
    final long[] lastBy = new long[Scraper.values().length];

    Target(SimulatedTarget body) {
      this.body = body;
    }
  }

  private final List<HttpServer> servers;
  private final List<Integer> ports;
  private final int series;
  private final Map<Scraper, Counts> counts;
  private final LongAdder strangers;
  private final long earlyMillis;

  private TargetSimulator(List<HttpServer> servers, List<Integer> ports, int series, Map<Scraper, Counts> counts,
      LongAdder strangers, long earlyMillis) {
    this.servers = servers;
    this.earlyMillis = earlyMillis;
    this.ports = ports;
    this.series = series;
    this.counts = counts;
    this.strangers = strangers;
  }

  /**
   * Starts {@code targets} servers on free loopback ports, each serving {@code series} sample
   * lines; with {@code gzip}, bodies are compressed for scrapers that accept it. A scrape sooner
   * than {@code earlyMillis} after the previous one of its target counts as early.
   */
  static TargetSimulator start(Vertx vertx, int targets, int series, boolean gzip, long earlyMillis)
      throws Exception {
    Map<Scraper, Counts> counts = new EnumMap<>(Scraper.class);
    for (Scraper s : Scraper.values()) {
      counts.put(s, new Counts());
    }
    LongAdder strangers = new LongAdder();
    List<Future<HttpServer>> listening = new ArrayList<>();
    for (int i = 0; i < targets; i++) {
      Target target = new Target(SimulatedTarget.build(series, i + 1));
      HttpServer server = vertx.createHttpServer(new HttpServerOptions().setCompressionSupported(gzip)
          .setCompressionLevel(1));
      server.requestHandler(req -> serve(req, target, counts, strangers, earlyMillis));
      listening.add(server.listen(0, "127.0.0.1"));
    }
    List<HttpServer> servers = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    for (Future<HttpServer> f : listening) {
      HttpServer s = f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      servers.add(s);
      ports.add(s.actualPort());
    }
    return new TargetSimulator(servers, ports, series, counts, strangers, earlyMillis);
  }

  private static void serve(HttpServerRequest req, Target target, Map<Scraper, Counts> counts, LongAdder strangers,
      long earlyMillis) {
    if (!req.path().equals("/metrics")) {
      req.response().setStatusCode(404).end();
      return;
    }
    long now = System.currentTimeMillis();
    int length = target.body.render();
    Buffer body = Buffer.buffer(length).appendBytes(target.body.body(), 0, length);
    req.response().putHeader("Content-Type", CONTENT_TYPE).end(body);
    Scraper who = Scraper.fromUserAgent(req.getHeader("User-Agent"));
    if (who == null) {
      strangers.increment();
      return;
    }
    int w = who.ordinal();
    boolean first = !target.seenBy[w];
    boolean soon = !first && now - target.lastBy[w] < earlyMillis;
    target.seenBy[w] = true;
    target.lastBy[w] = now;
    counts.get(who).count(now, length, first, soon);
  }

  /** The targets' addresses, {@code 127.0.0.1:port}, in order. */
  List<String> addresses() {
    return ports.stream().map(p -> "127.0.0.1:" + p).toList();
  }

  int targets() {
    return ports.size();
  }

  /** Sample lines in every body. */
  int series() {
    return series;
  }

  /** A scrape sooner than this after the previous one of its target counts as early. */
  long earlyMillis() {
    return earlyMillis;
  }

  Counts counts(Scraper who) {
    return counts.get(who);
  }

  /** Scrapes by a User-Agent that is neither scraper's. */
  long strangerScrapes() {
    return strangers.sum();
  }

  @Override
  public void close() {
    for (HttpServer s : servers) {
      s.close();
    }
  }
}
