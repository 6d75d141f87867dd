package io.sluice.perf;

import io.sluice.exporter.prometheus.AcceptProbe;
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
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;

/**
 * Scrape targets on loopback: one Vert.x HTTP server per target, each on its own port, answering
 * {@code GET /metrics} with a fresh {@link SimulatedTarget} body in Prometheus text 0.0.4
 * (whatever the Accept header asks for, as a text-only exporter does; or, started with
 * {@code negotiate}, in OpenMetrics text 1.0.0 when the Accept header asks for that). Counts the scrapes of each
 * {@link Scraper}, told apart by User-Agent, in all and within a time window, and every scraper's
 * scrapes by its User-Agent's product name.
 *
 * <p>With a churn share, each {@link #churn()} replaces that share of every target's series by new
 * ones ({@link SimulatedTarget#churn}); a target applies it on its event loop before it answers
 * its next scrape.
 */
final class TargetSimulator implements AutoCloseable {
  static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
  static final String OPENMETRICS_CONTENT_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8";

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

  /** Distinct User-Agents counted apart; later ones count under {@link #OTHER_AGENTS}. */
  private static final int MAX_AGENTS = 32;
  static final String OTHER_AGENTS = "(others)";

  /** One target's state, touched only on its server's event loop. */
  private static final class Target {
    final SimulatedTarget body;
    /** Churns applied to the body. */
    long churns;
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
  private final Farm farm;

  /** What the farm as a whole served, and its churn. */
  private static final class Farm {
    final double churnShare;
    final boolean negotiate;
    final AtomicLong churns = new AtomicLong();
    final LongAdder churned = new LongAdder();
    final LongAdder samples = new LongAdder();
    final LongAdder scrapes = new LongAdder();
    final LongAdder openMetricsScrapes = new LongAdder();
    final LongAdder bytes = new LongAdder();
    final Map<String, LongAdder> byAgent = new ConcurrentHashMap<>();

    Farm(double churnShare, boolean negotiate) {
      this.churnShare = churnShare;
      this.negotiate = negotiate;
    }

    void count(String userAgent, int length, int lines) {
      scrapes.increment();
      bytes.add(length);
      samples.add(lines);
      String agent = agentName(userAgent);
      LongAdder n = byAgent.get(agent);
      if (n == null) {
        n = byAgent.size() < MAX_AGENTS ? byAgent.computeIfAbsent(agent, a -> new LongAdder())
            : byAgent.computeIfAbsent(OTHER_AGENTS, a -> new LongAdder());
      }
      n.increment();
    }
  }

  private TargetSimulator(List<HttpServer> servers, List<Integer> ports, int series, Map<Scraper, Counts> counts,
      LongAdder strangers, long earlyMillis, Farm farm) {
    this.servers = servers;
    this.farm = farm;
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
    return start(vertx, targets, series, gzip, earlyMillis, 0, 0, false);
  }

  /**
   * As {@link #start(Vertx, int, int, boolean, long)}, target {@code i} (from 0) on port
   * {@code portBase + i} (with {@code portBase} 0: free ports), each {@link #churn()} replacing
   * {@code churnShare} (0 to 1) of every target's series; with {@code negotiate}, OpenMetrics
   * text for scrapers whose Accept header asks for it.
   */
  static TargetSimulator start(Vertx vertx, int targets, int series, boolean gzip, long earlyMillis, int portBase,
      double churnShare, boolean negotiate) throws Exception {
    if (!(churnShare >= 0 && churnShare <= 1)) {
      throw new IllegalArgumentException("churn share " + churnShare + " is not between 0 and 1");
    }
    if (portBase > 0 && portBase + targets - 1 > 65535) {
      throw new IllegalArgumentException("ports " + portBase + " to " + (portBase + targets - 1)
          + " run past 65535; give a lower port base or fewer targets");
    }
    Farm farm = new Farm(churnShare, negotiate);
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
      server.requestHandler(req -> serve(req, target, counts, strangers, earlyMillis, farm));
      listening.add(server.listen(portBase == 0 ? 0 : portBase + i, "127.0.0.1"));
    }
    List<HttpServer> servers = new ArrayList<>();
    List<Integer> ports = new ArrayList<>();
    Exception failed = null;
    for (int i = 0; i < listening.size(); i++) {
      try {
        HttpServer s = listening.get(i).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        servers.add(s);
        ports.add(s.actualPort());
      } catch (ExecutionException e) {
        if (failed == null) {
          failed = new IllegalStateException("cannot listen on 127.0.0.1:" + (portBase == 0 ? 0 : portBase + i)
              + ": " + e.getCause().getMessage(), e.getCause());
        }
      }
    }
    if (failed != null) {
      servers.forEach(HttpServer::close);
      throw failed;
    }
    return new TargetSimulator(servers, ports, series, counts, strangers, earlyMillis, farm);
  }

  private static void serve(HttpServerRequest req, Target target, Map<Scraper, Counts> counts, LongAdder strangers,
      long earlyMillis, Farm farm) {
    if (!req.path().equals("/metrics")) {
      req.response().setStatusCode(404).end();
      return;
    }
    long now = System.currentTimeMillis();
    for (long due = farm.churns.get(); target.churns < due; target.churns++) {
      farm.churned.add(target.body.churn(farm.churnShare));
    }
    boolean openMetrics = farm.negotiate && AcceptProbe.prefersOpenMetrics(req.getHeader("Accept"));
    int length = target.body.render(openMetrics);
    Buffer body = Buffer.buffer(length).appendBytes(target.body.body(), 0, length);
    req.response().putHeader("Content-Type", openMetrics ? OPENMETRICS_CONTENT_TYPE : CONTENT_TYPE).end(body);
    String userAgent = req.getHeader("User-Agent");
    farm.count(userAgent, length, target.body.series());
    if (openMetrics) {
      farm.openMetricsScrapes.increment();
    }
    Scraper who = Scraper.fromUserAgent(userAgent);
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

  /**
   * Replaces the churn share of every target's series by new ones, each target before it answers
   * its next scrape.
   */
  void churn() {
    farm.churns.incrementAndGet();
  }

  /** Churns so far ({@link #churn()} calls). */
  long churns() {
    return farm.churns.get();
  }

  /** Series replaced by new ones so far, over all targets. */
  long seriesChurned() {
    return farm.churned.sum();
  }

  /** Distinct series served so far: every target's first series and those churn brought. */
  long seriesServed() {
    return (long) targets() * series + seriesChurned();
  }

  /** Scrapes answered, by anyone. */
  long scrapes() {
    return farm.scrapes.sum();
  }

  /** Scrapes answered in OpenMetrics text. */
  long openMetricsScrapes() {
    return farm.openMetricsScrapes.sum();
  }

  /** Body bytes served (before compression), by anyone. */
  long bytes() {
    return farm.bytes.sum();
  }

  /** Sample lines served, by anyone. */
  long samples() {
    return farm.samples.sum();
  }

  /** Scrapes by User-Agent product name ({@code Prometheus}, {@code Sluice-Prometheus-Receiver}, ...). */
  Map<String, Long> scrapesByAgent() {
    Map<String, Long> out = new TreeMap<>();
    farm.byAgent.forEach((agent, n) -> out.put(agent, n.sum()));
    return out;
  }

  /** The product name of a User-Agent: what comes before the first '/' or space; {@code (none)} without one. */
  static String agentName(String userAgent) {
    if (userAgent == null || userAgent.isBlank()) {
      return "(none)";
    }
    String a = userAgent.strip();
    int end = a.length();
    for (int i = 0; i < a.length(); i++) {
      char c = a.charAt(i);
      if (c == '/' || c == ' ') {
        end = i;
        break;
      }
    }
    return a.substring(0, Math.min(end, 64));
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
