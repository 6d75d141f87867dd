package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.core.ComponentKind;
import io.sluice.core.Receiver;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.receiver.prometheus.ScrapedPoints.Point;
import ch.qos.logback.classic.Level;
import io.vertx.core.MultiMap;
import io.sluice.receiver.prometheus.PrometheusReceiverConfig.ScrapeConfig;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpClient;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.buffer.Buffer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.zip.GZIPOutputStream;
import java.nio.file.Path;
import java.net.HttpURLConnection;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrometheusReceiverTest {
  static final String TEXT = "text/plain; version=0.0.4; charset=utf-8";
  static final String OPENMETRICS = "application/openmetrics-text; version=1.0.0; charset=utf-8";
  static final Duration WAIT = Duration.ofSeconds(10);

  private final PrometheusReceiverFactory factory = new PrometheusReceiverFactory();
  private final CapturingConsumer consumer = new CapturingConsumer();
  private TestVertx tv;
  private Vertx vertx;
  private Receiver receiver;
  private final List<FakeTarget> targets = new CopyOnWriteArrayList<>();

  /** A scrape target whose answer the test changes as it goes. */
  final class FakeTarget {
    final int port = Ports.freePort();
    final List<MultiMap> requests = new CopyOnWriteArrayList<>();
    final List<String> paths = new CopyOnWriteArrayList<>();
    volatile String body = "";
    volatile String contentType = TEXT;
    volatile int status = 200;
    volatile boolean hang;
    /** When set, the body is sent gzip-compressed with Content-Encoding: gzip. */
    volatile boolean gzip;
    HttpServer server;

    FakeTarget start() throws Exception {
      server = vertx.createHttpServer(new HttpServerOptions())
          .requestHandler(req -> {
            requests.add(req.headers());
            paths.add(req.uri());
            if (hang) {
              return;
            }
            if (gzip) {
              req.response().setStatusCode(status).putHeader("Content-Type", contentType)
                  .putHeader("Content-Encoding", "gzip").end(Buffer.buffer(gzip(body)));
              return;
            }
            req.response().setStatusCode(status).putHeader("Content-Type", contentType).end(body);
          });
      server.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
      return this;
    }

    void stop() throws Exception {
      server.close().await(10, TimeUnit.SECONDS);
    }

    String address() {
      return "127.0.0.1:" + port;
    }
  }

  static byte[] gzip(String text) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try (GZIPOutputStream z = new GZIPOutputStream(out)) {
        z.write(text.getBytes(StandardCharsets.UTF_8));
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    vertx = tv.vertx();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (receiver != null) {
      receiver.shutdown().await(10, TimeUnit.SECONDS);
    }
    tv.close();
  }

  private FakeTarget target(String body) throws Exception {
    FakeTarget t = new FakeTarget();
    t.body = body;
    targets.add(t);
    return t.start();
  }

  private Receiver start(String yaml) throws Exception {
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory, yaml);
    receiver = factory.create(TestContexts.context(vertx, ComponentKind.RECEIVER, "prometheus"), config,
        Map.of(Signal.METRICS, consumer));
    receiver.start().await(10, TimeUnit.SECONDS);
    return receiver;
  }

  private static String job(String name, String... targets) {
    return """
          - job_name: %s
            scrape_interval: 200ms
            static_configs:
              - targets: [%s]
        """.formatted(name, String.join(", ", targets));
  }

  private ScrapedPoints points() {
    return ScrapedPoints.of(consumer);
  }

  private void awaitUp(int scrapes) {
    await().atMost(WAIT).until(() -> points().up().stream().filter(v -> v == 1.0).count() >= scrapes);
  }

  @Test
  void scrapesMetricsServedByThePrometheusJavaClient() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    Counter requests = Counter.builder().name("http_requests_total").help("Requests served.")
        .labelNames("path").register(registry);
    requests.labelValues("/a").inc(3);
    Gauge temperature = Gauge.builder().name("room_temperature").help("Temperature.")
        .labelNames("room").register(registry);
    temperature.labelValues("kitchen").set(21.5);
    Histogram latency = Histogram.builder().name("request_latency_seconds").help("Latency.")
        .classicOnly().classicUpperBounds(0.1, 1.0).register(registry);
    latency.observe(0.05);
    latency.observe(0.5);
    latency.observe(2);
    Summary rpc = Summary.builder().name("rpc_duration_seconds").help("RPC time.")
        .quantile(0.5, 0.01).register(registry);
    rpc.observe(1);
    rpc.observe(2);
    rpc.observe(3);
    int port = Ports.freePort();
    try (HTTPServer server = HTTPServer.builder().hostname("127.0.0.1").port(port).registry(registry)
        .buildAndStart()) {
      // one request first, so that the client library's classes are loaded before the receiver scrapes
      HttpURLConnection warm = (HttpURLConnection) URI.create("http://127.0.0.1:" + port + "/metrics").toURL()
          .openConnection();
      assertThat(warm.getResponseCode()).isEqualTo(200);
      warm.getInputStream().readAllBytes();
      warm.disconnect();
      start("""
          config:
            scrape_configs:
              - job_name: app
                scrape_interval: 300ms
                static_configs:
                  - targets: ["127.0.0.1:%d"]
                    labels: { team: a }
          """.formatted(port));
      awaitUp(2);
      ScrapedPoints p = points();
      String instance = "127.0.0.1:" + port;

      Point counter = p.lastFresh("http_requests_total");
      assertThat(counter.kind()).isEqualTo("counter");
      assertThat(counter.job()).isEqualTo("app");
      assertThat(counter.instance()).isEqualTo(instance);
      assertThat(counter.attrs()).isEqualTo(Map.of("path", "/a", "team", "a"));
      assertThat(counter.value()).isEqualTo(3.0);
      assertThat(counter.metric().getDescription()).isEqualTo("Requests served.");

      Point gauge = p.lastFresh("room_temperature");
      assertThat(gauge.kind()).isEqualTo("gauge");
      assertThat(gauge.attrs()).isEqualTo(Map.of("room", "kitchen", "team", "a"));
      assertThat(gauge.value()).isEqualTo(21.5);

      Point histogram = p.lastFresh("request_latency_seconds");
      assertThat(histogram.kind()).isEqualTo("histogram");
      HistogramDataPoint h = histogram.metric().getHistogram().getDataPoints(0);
      assertThat(h.getCount()).isEqualTo(3);
      assertThat(h.getSum()).isCloseTo(2.55, within(1e-9));
      assertThat(h.getExplicitBoundsList()).containsExactly(0.1, 1.0);
      assertThat(h.getBucketCountsList()).containsExactly(1L, 1L, 1L);

      Point summary = p.lastFresh("rpc_duration_seconds");
      assertThat(summary.kind()).isEqualTo("summary");
      assertThat(summary.value()).isEqualTo(3.0);
      assertThat(summary.metric().getSummary().getDataPoints(0).getSum()).isEqualTo(6.0);
      assertThat(summary.metric().getSummary().getDataPoints(0).getQuantileValuesList())
          .anySatisfy(q -> assertThat(q.getQuantile()).isEqualTo(0.5));

      Point up = p.last("up");
      assertThat(up.job()).isEqualTo("app");
      assertThat(up.instance()).isEqualTo(instance);
      assertThat(up.attrs()).isEqualTo(Map.of("team", "a"));
      assertThat(up.kind()).isEqualTo("gauge");
      List<Point> scraped = p.named("scrape_samples_scraped");
      List<Point> post = p.named("scrape_samples_post_metric_relabeling");
      List<Point> added = p.named("scrape_series_added");
      assertThat(scraped.get(0).value()).isGreaterThanOrEqualTo(10.0);
      assertThat(post.get(0).value()).isEqualTo(scraped.get(0).value());
      assertThat(added.get(0).value()).isEqualTo(scraped.get(0).value());
      assertThat(added.get(1).value()).isZero();
      assertThat(p.lastFresh("scrape_duration_seconds").value()).isGreaterThan(0.0).isLessThanOrEqualTo(0.3);
      assertThat(p.all()).noneMatch(Point::stale);
    }
  }

  @Test
  void choosesTheParserByContentTypeAndSendsPrometheusHeaders() throws Exception {
    FakeTarget om = target("# TYPE m gauge\nm 1 1700000000.5\n# EOF\n");
    om.contentType = OPENMETRICS;
    FakeTarget text = target("# TYPE m gauge\nm 2 1700000000500\n");
    start("config:\n  scrape_configs:\n" + job("om", "\"" + om.address() + "\"")
        + job("text", "\"" + text.address() + "\""));
    awaitUp(4);
    ScrapedPoints p = points();
    List<Point> ms = p.named("m");
    assertThat(ms).filteredOn(x -> x.job().equals("om")).isNotEmpty()
        .allSatisfy(x -> assertThat(x.value()).isEqualTo(1.0));
    assertThat(ms).filteredOn(x -> x.job().equals("text")).isNotEmpty()
        .allSatisfy(x -> assertThat(x.value()).isEqualTo(2.0));
    assertThat(ms).allSatisfy(x -> assertThat(x.timeNanos()).isEqualTo(1_700_000_000_500_000_000L));

    MultiMap headers = text.requests.get(0);
    assertThat(headers.get("Accept")).isEqualTo(ExpositionFormat.ACCEPT_HEADER);
    assertThat(headers.get("Accept-Encoding")).contains("gzip");
    assertThat(headers.get("X-Prometheus-Scrape-Timeout-Seconds")).isEqualTo("0.2");
    assertThat(headers.get("User-Agent")).isNotBlank();
  }

  @Test
  void sendsWhatTheJobAsksForAndReadsUntypedBodiesAsItsFallbackProtocol(@TempDir Path dir) throws Exception {
    Path token = Files.writeString(dir.resolve("token"), "s3cret\n");
    Path tenant = Files.writeString(dir.resolve("tenant"), "from-file\n");
    FakeTarget t = target("# TYPE m gauge\nm 1 1700000000.5\n# EOF\n");
    t.contentType = "application/octet-stream";
    try (LogCapture logs = LogCapture.of(PrometheusReceiverFactory.class)) {
      start("""
          config:
            scrape_configs:
              - job_name: asks
                scrape_interval: 200ms
                scrape_protocols: [PrometheusText1.0.0, PrometheusProto, OpenMetricsText1.0.0]
                fallback_scrape_protocol: OpenMetricsText1.0.0
                enable_compression: false
                metric_name_escaping_scheme: underscores
                extra_scrape_metrics: true
                bearer_token_file: %s
                http_headers:
                  X-Tenant: {values: [a], secrets: [b], files: ["%s"]}
                static_configs: [ { targets: ["%s"] } ]
          """.formatted(token, tenant, t.address()));
      assertThat(logs.at(Level.WARN)).containsExactly("Receiver 'prometheus': 'config.scrape_configs[0]"
          + ".scrape_protocols' has no effect in Sluice: Sluice cannot read the PrometheusProto format; it is left"
          + " out of the Accept header and the text formats are asked for");
    }
    awaitUp(1);
    MultiMap headers = t.requests.get(0);
    assertThat(headers.get("Accept")).isEqualTo("text/plain;version=1.0.0;escaping=underscores;q=0.7,"
        + "application/openmetrics-text;version=1.0.0;escaping=underscores;q=0.6,*/*;q=0.5");
    assertThat(headers.get("Accept-Encoding")).isEqualTo("identity");
    assertThat(headers.get("Authorization")).isEqualTo("Bearer s3cret");
    assertThat(headers.getAll("X-Tenant")).containsExactly("a", "b", "from-file");
    // no Content-Type Sluice knows: read as OpenMetrics, whose timestamps are in seconds
    Point m = points().lastFresh("m");
    assertThat(m.value()).isEqualTo(1.0);
    assertThat(m.timeNanos()).isEqualTo(1_700_000_000_500_000_000L);
    assertThat(points().named("scrape_timeout_seconds")).isNotEmpty();
  }

  @Test
  void aSeriesThatVanishesGetsAStaleMarker() throws Exception {
    FakeTarget t = target("# TYPE a counter\na_total 1\n# TYPE b gauge\nb{x=\"1\"} 2\nstamped 3 1700000000000\n");
    start("config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
    awaitUp(1);
    t.body = "# TYPE a counter\na_total 5\n";
    await().atMost(WAIT).until(() -> !points().staleOf("b").isEmpty());
    awaitUp(points().up().size() + 2);
    ScrapedPoints p = points();
    assertThat(p.staleOf("b")).hasSize(1).allSatisfy(s -> {
      assertThat(s.attrs()).isEqualTo(Map.of("x", "1"));
      assertThat(Double.doubleToRawLongBits(s.value())).isEqualTo(ScrapeToOtlp.STALE_NAN_BITS);
    });
    assertThat(p.staleOf("a_total")).isEmpty();
    assertThat(p.lastFresh("a_total").value()).isEqualTo(5.0);
    // as in Prometheus, a series that brings its own timestamps is not marked stale
    assertThat(p.named("stamped")).isNotEmpty();
    assertThat(p.staleOf("stamped")).isEmpty();
  }

  @Test
  void withTrackTimestampsStalenessATimestampedSeriesThatVanishesGetsAStaleMarker() throws Exception {
    FakeTarget t = target("# TYPE a counter\na_total 1\nstamped 3 1700000000000\n");
    start("""
        config:
          scrape_configs:
            - job_name: j
              scrape_interval: 200ms
              track_timestamps_staleness: true
              static_configs: [ { targets: ["%s"] } ]
        """.formatted(t.address()));
    await().atMost(WAIT).until(() -> !points().named("stamped").isEmpty());
    t.body = "# TYPE a counter\na_total 5\n";
    await().atMost(WAIT).until(() -> !points().staleOf("stamped").isEmpty());
    assertThat(points().staleOf("a_total")).isEmpty();
  }

  @Test
  void aSeriesThatVanishesAfterUnchangedScrapesGetsAStaleMarkerAndCountsAsAddedWhenItReturns() throws Exception {
    String both = "# TYPE a counter\na_total 1\n# TYPE b gauge\nb{x=\"1\"} 2\n";
    FakeTarget t = target(both);
    start("config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
    // several scrapes of the same series: from the second on, the parser finds them unchanged
    awaitUp(3);
    assertThat(points().named("scrape_series_added").subList(1, 3))
        .allSatisfy(x -> assertThat(x.value()).isZero());
    t.body = "# TYPE a counter\na_total 5\n";
    await().atMost(WAIT).until(() -> !points().staleOf("b").isEmpty());
    int gone = points().up().size();
    awaitUp(gone + 2);
    assertThat(points().staleOf("b")).hasSize(1);
    t.body = both;
    // the scrape that finds b again counts it as added, and b is fresh again
    await().atMost(WAIT).until(() -> {
      List<Point> added = points().named("scrape_series_added");
      return added.subList(gone, added.size()).stream().anyMatch(x -> x.value() == 1.0);
    });
    assertThat(points().lastFresh("b").value()).isEqualTo(2.0);
    assertThat(points().staleOf("b")).hasSize(1);
    assertThat(points().staleOf("a_total")).isEmpty();
  }

  @Test
  void aTargetThatGoesDownReportsUpZeroAndMarksItsSeriesStale() throws Exception {
    FakeTarget t = target("# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
        + "g 7\n");
    start("config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
    awaitUp(1);
    t.stop();
    await().atMost(WAIT).until(() -> points().up().contains(0.0));
    ScrapedPoints p = points();
    assertThat(p.staleOf("g")).hasSize(1);
    assertThat(p.staleOf("h")).hasSize(1);
    assertThat(p.lastFresh("scrape_samples_scraped").value()).isZero();
    // later failed scrapes report up = 0 again but mark nothing twice
    await().atMost(WAIT).until(() -> points().up().stream().filter(v -> v == 0.0).count() >= 3);
    assertThat(points().staleOf("g")).hasSize(1);
  }

  @Test
  void anErrorStatusOrABodyThatDoesNotParseFailsTheScrapeButNotTheReceiver() throws Exception {
    FakeTarget t = target("g 1\n");
    start("config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
    awaitUp(1);
    t.status = 503;
    await().atMost(WAIT).until(() -> points().up().contains(0.0));
    assertThat(points().staleOf("g")).hasSize(1);
    t.status = 200;
    int before = points().up().size();
    await().atMost(WAIT).until(() -> points().up().subList(before, points().up().size()).contains(1.0));
    t.body = "g{ 1\n";
    int again = points().up().size();
    await().atMost(WAIT).until(() -> points().up().subList(again, points().up().size()).contains(0.0));
    t.body = "g 2\n";
    await().atMost(WAIT).until(() -> points().lastFresh("g").value() == 2.0);
  }

  @Test
  void appliesRelabelConfigsToTargetsAndMetricRelabelConfigsToSamples() throws Exception {
    FakeTarget t = target("keep_me{secret=\"x\",a=\"1\"} 1\ndrop_me 2\nold_name 3\n");
    start("""
        config:
          scrape_configs:
            - job_name: j
              scrape_interval: 200ms
              static_configs:
                - targets: ["%s", "127.0.0.1:1"]
              relabel_configs:
                - source_labels: [__address__]
                  regex: "127.0.0.1:1"
                  action: drop
                - source_labels: [__address__]
                  regex: "(.*):(.*)"
                  target_label: port
                  replacement: "$2"
                - target_label: instance
                  replacement: renamed
              metric_relabel_configs:
                - source_labels: [__name__]
                  regex: drop_me
                  action: drop
                - regex: secret
                  action: labeldrop
                - source_labels: [__name__]
                  regex: old_name
                  target_label: __name__
                  replacement: new_name
        """.formatted(t.address()));
    awaitUp(2);
    ScrapedPoints p = points();
    String port = Integer.toString(t.port);
    assertThat(p.named("up")).allSatisfy(u -> {
      assertThat(u.instance()).isEqualTo("renamed");
      assertThat(u.attrs()).isEqualTo(Map.of("port", port));
    });
    assertThat(p.lastFresh("keep_me").attrs()).isEqualTo(Map.of("a", "1", "port", port));
    assertThat(p.named("drop_me")).isEmpty();
    assertThat(p.named("old_name")).isEmpty();
    assertThat(p.lastFresh("new_name").value()).isEqualTo(3.0);
    assertThat(p.lastFresh("scrape_samples_scraped").value()).isEqualTo(3.0);
    assertThat(p.lastFresh("scrape_samples_post_metric_relabeling").value()).isEqualTo(2.0);
  }

  @Test
  void honorLabelsDecidesWhoseLabelsWinOnAClash() throws Exception {
    FakeTarget t = target("m{job=\"other\",team=\"mine\"} 1 1700000000000\n");
    start("""
        config:
          scrape_configs:
            - job_name: exported
              scrape_interval: 200ms
              static_configs: [ { targets: ["%1$s"], labels: { team: theirs } } ]
            - job_name: honored
              scrape_interval: 200ms
              honor_labels: true
              honor_timestamps: false
              static_configs: [ { targets: ["%1$s"], labels: { team: theirs } } ]
        """.formatted(t.address()));
    awaitUp(4);
    List<Point> ms = points().named("m");
    Point exported = ms.stream().filter(x -> x.job().equals("exported")).findFirst().orElseThrow();
    assertThat(exported.attrs()).isEqualTo(Map.of("exported_job", "other", "exported_team", "mine", "team", "theirs"));
    assertThat(exported.timeNanos()).isEqualTo(1_700_000_000_000_000_000L);
    Point honored = ms.stream().filter(x -> x.job().equals("honored")).findFirst().orElseThrow();
    assertThat(honored.attrs()).isEqualTo(Map.of("job", "other", "team", "mine"));
    assertThat(honored.timeNanos()).isNotEqualTo(1_700_000_000_000_000_000L);
  }

  @Test
  void exceedingSampleLimitOrBodySizeLimitFailsTheScrape() throws Exception {
    FakeTarget t = target("a 1\nb 2\nc 3\n");
    start("""
        config:
          scrape_configs:
            - job_name: samples
              scrape_interval: 200ms
              sample_limit: 2
              static_configs: [ { targets: ["%1$s"] } ]
            - job_name: body
              scrape_interval: 200ms
              body_size_limit: 5B
              static_configs: [ { targets: ["%1$s"] } ]
        """.formatted(t.address()));
    await().atMost(WAIT).until(() -> points().named("up").stream().map(Point::job).distinct().count() == 2);
    ScrapedPoints p = points();
    assertThat(p.up()).containsOnly(0.0);
    assertThat(p.named("a")).isEmpty();
  }

  @Test
  void aJobWithMoreTargetsThanItsTargetLimitReportsThemDownWithoutScraping() throws Exception {
    FakeTarget a = target("a 1\n");
    FakeTarget b = target("b 2\n");
    try (LogCapture logs = LogCapture.of(PrometheusReceiver.class)) {
      start("""
          config:
            global: {target_limit: 1}
            scrape_configs:
              - job_name: over
                scrape_interval: 200ms
                static_configs: [ { targets: ["%1$s", "%2$s"] } ]
              - job_name: within
                scrape_interval: 200ms
                target_limit: 2
                static_configs: [ { targets: ["%1$s", "%2$s"] } ]
          """.formatted(a.address(), b.address()));
      await().atMost(WAIT).until(() -> points().named("up").stream().filter(u -> u.job().equals("over"))
          .map(Point::instance).distinct().count() == 2 && !points().named("a").isEmpty());
      assertThat(points().named("up")).filteredOn(u -> u.job().equals("over"))
          .allSatisfy(u -> assertThat(u.value()).isZero());
      assertThat(points().named("a")).extracting(Point::job).containsOnly("within");
      assertThat(logs.at(Level.WARN)).contains("Receiver 'prometheus': job 'over' has 2 targets, more than its"
          + " target_limit 1; they are not scraped and report up 0");
    }
  }

  @Test
  void scrapesTheJobsOfScrapeConfigFiles(@TempDir Path dir) throws Exception {
    FakeTarget t = target("inc 1\n");
    Files.writeString(dir.resolve("jobs.yml"), """
        scrape_configs:
          - job_name: included
            scrape_interval: 200ms
            convert_classic_histograms_to_nhcb: true
            static_configs: [ { targets: ["%s"] } ]
        """.formatted(t.address()));
    try (LogCapture logs = LogCapture.of(PrometheusReceiver.class)) {
      start("""
          config:
            scrape_config_files: ["%s/*.yml"]
          """.formatted(dir));
      await().atMost(WAIT).until(() -> !points().named("inc").isEmpty());
      assertThat(points().lastFresh("inc").job()).isEqualTo("included");
      assertThat(logs.at(Level.WARN)).contains("Receiver 'prometheus': 'job 'included' of scrape_config_files"
          + ".convert_classic_histograms_to_nhcb' has no effect in Sluice: classic histograms stay classic (OTLP"
          + " explicit-bucket histograms, which carry the same buckets)");
    }
  }

  @Test
  void scrapesThroughTheProxyOfProxyUrl() throws Exception {
    // the fake target stands in for an HTTP proxy: it is sent the whole target URL
    FakeTarget proxy = target("via_proxy 1\n");
    start("""
        config:
          scrape_configs:
            - job_name: proxied
              scrape_interval: 200ms
              proxy_url: http://user:pw@%s
              static_configs: [ { targets: ["metrics.example.invalid:9100"] } ]
        """.formatted(proxy.address()));
    await().atMost(WAIT).until(() -> !points().named("via_proxy").isEmpty());
    assertThat(proxy.paths.get(0)).isEqualTo("http://metrics.example.invalid:9100/metrics");
    assertThat(proxy.requests.get(0).get("Proxy-Authorization")).isEqualTo("Basic dXNlcjpwdw==");
    assertThat(points().lastFresh("via_proxy").instance()).isEqualTo("metrics.example.invalid:9100");
  }

  @Test
  void proxyFromEnvironmentTakesHttpProxyAndNoProxy() throws Exception {
    FakeTarget proxy = target("via_env_proxy 1\n");
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory, """
        config:
          scrape_configs:
            - job_name: env
              proxy_from_environment: true
        """);
    ScrapeConfig sc = config.config().scrapeConfigs().get(0);
    ClientSetup setup = ClientSetup.load(vertx, "config.scrape_configs[0]", sc, false,
        Map.of("http_proxy", proxy.address(), "NO_PROXY", "direct.example.invalid"));
    HttpClient client = setup.createClient(vertx, "env-proxy-test", 1);
    try {
      String body = client.request(setup.request("http://metrics.example.invalid:9100/metrics"))
          .compose(req -> req.send().compose(HttpClientResponse::body)).await(10, TimeUnit.SECONDS).toString();
      assertThat(body).isEqualTo("via_env_proxy 1\n");
      assertThat(proxy.paths).containsExactly("http://metrics.example.invalid:9100/metrics");
      // a host of NO_PROXY is connected to directly, so its name has to resolve: it does not
      assertThatThrownBy(() -> client.request(setup.request("http://direct.example.invalid:9100/metrics"))
          .compose(req -> req.send()).await(10, TimeUnit.SECONDS)).hasMessageContaining("direct.example.invalid");
      assertThat(proxy.paths).hasSize(1);
    } finally {
      client.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void oauth2FetchesATokenWithTheClientCredentialsGrantAndScrapesWithIt(@TempDir Path dir) throws Exception {
    FakeTarget tokens = target("{\"access_token\": \"tok-1\", \"token_type\": \"Bearer\", \"expires_in\": 3600}");
    tokens.contentType = "application/json";
    FakeTarget t = target("secured 1\n");
    Path secret = Files.writeString(dir.resolve("secret"), "s3cret\n");
    start("""
        config:
          scrape_configs:
            - job_name: oauth
              scrape_interval: 200ms
              oauth2:
                client_id: sluice
                client_secret_file: %s
                scopes: [metrics.read]
                token_url: http://%s/oauth2/token
              static_configs: [ { targets: ["%s"] } ]
        """.formatted(secret, tokens.address(), t.address()));
    await().atMost(WAIT).until(() -> t.requests.stream().anyMatch(h -> "Bearer tok-1".equals(h.get("Authorization"))));
    assertThat(tokens.paths).first().isEqualTo("/oauth2/token");
    assertThat(tokens.requests.get(0).get("Authorization"))
        .isEqualTo("Basic " + java.util.Base64.getEncoder().encodeToString("sluice:s3cret".getBytes()));
    assertThat(tokens.requests.get(0).get("Content-Type")).isEqualTo("application/x-www-form-urlencoded");
    // one token serves every scrape until most of its hour is gone
    awaitUp(3);
    assertThat(tokens.requests).hasSize(1);
  }

  @Test
  void labelNamesOrValuesLongerThanTheLimitsFailTheScrape() throws Exception {
    FakeTarget t = target("a{short=\"v\"} 1\nb{k=\"a-long-value\"} 2\n");
    try (LogCapture logs = LogCapture.of(ScrapeLoop.class)) {
      start("""
          config:
            global: {label_value_length_limit: 5}
            scrape_configs:
              - job_name: values
                scrape_interval: 200ms
                static_configs: [ { targets: ["%1$s"] } ]
              - job_name: names
                scrape_interval: 200ms
                label_name_length_limit: 4
                label_value_length_limit: 100
                static_configs: [ { targets: ["%1$s"] } ]
              - job_name: roomy
                scrape_interval: 200ms
                label_value_length_limit: 100
                static_configs: [ { targets: ["%1$s"] } ]
          """.formatted(t.address()));
      await().atMost(WAIT).until(() -> !points().named("a").isEmpty()
          && logs.at(Level.WARN).stream().anyMatch(w -> w.contains("job 'values': label_value_length_limit exceeded:"
              + " the value of label \"k\" of series b is 12 bytes long; label_value_length_limit is 5"))
          && logs.at(Level.WARN).stream().anyMatch(w -> w.contains("job 'names': label_name_length_limit exceeded:"
              + " label name \"__name__\" of series a is 8 bytes long; label_name_length_limit is 4")));
      ScrapedPoints p = points();
      assertThat(p.named("up")).filteredOn(u -> !u.job().equals("roomy")).allSatisfy(u -> assertThat(u.value())
          .isZero());
      assertThat(p.named("a")).extracting(Point::job).containsOnly("roomy");
    }
  }

  @Test
  void shutdownMarksEverySeriesOfEveryTargetStale() throws Exception {
    FakeTarget t = target("g{k=\"v\"} 1\n");
    start("config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
    awaitUp(1);
    receiver.shutdown().await(10, TimeUnit.SECONDS);
    ScrapedPoints p = points();
    assertThat(p.staleOf("g")).hasSize(1);
    assertThat(p.staleOf("up")).hasSize(1);
    assertThat(p.staleOf("scrape_duration_seconds")).hasSize(1);
    int batches = consumer.batches().size();
    receiver.shutdown().await(10, TimeUnit.SECONDS);
    assertThat(consumer.batches()).hasSize(batches);
  }

  @Test
  void aReplacementTakesOverAnUnchangedJobWithoutStaleMarkersAndMarksWhatVanishedMeanwhile() throws Exception {
    FakeTarget t = target("g{k=\"v\"} 1\nb 2\n");
    FakeTarget other = target("o 1\n");
    Receiver old = start("config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
    awaitUp(1);
    t.body = "g{k=\"v\"} 1\n"; // b goes away around the reload

    // The new config adds a job; job j is the same, so the new receiver takes it over.
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory, "config:\n  scrape_configs:\n"
        + job("j", "\"" + t.address() + "\"") + job("k", "\"" + other.address() + "\""));
    Receiver next = factory.create(TestContexts.context(vertx, ComponentKind.RECEIVER, "prometheus"), config,
        Map.of(Signal.METRICS, consumer));
    try {
      next.start().await(10, TimeUnit.SECONDS);
      ((io.sluice.core.StateHandover) next).takeOverFrom(old).await(10, TimeUnit.SECONDS);
      old.shutdown().await(10, TimeUnit.SECONDS);
      int before = points().named("g").size();
      await().atMost(WAIT).until(() -> points().named("g").size() >= before + 3 && !points().named("o").isEmpty());

      ScrapedPoints p = points();
      assertThat(p.staleOf("g")).as("stale markers for a series of the job handed over").isEmpty();
      assertThat(p.staleOf("up")).as("stale markers for up").isEmpty();
      assertThat(p.staleOf("b")).as("the series that vanished around the reload").hasSize(1);
    } finally {
      receiver = next; // shut down after the test
    }
  }

  @Test
  void shutdownGivesUpWaitingForAConsumerThatNeverAcknowledgesTheStaleMarkers() throws Exception {
    try (LogCapture logs = LogCapture.of(PrometheusReceiver.class)) {
      FakeTarget t = target("g 1\n");
      start("config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
      awaitUp(1);
      consumer.answerWith(b -> Promise.<Void>promise().future());
      long startNanos = System.nanoTime();
      receiver.shutdown().await(10, TimeUnit.SECONDS);
      long tookMs = (System.nanoTime() - startNanos) / 1_000_000;
      // the job's scrape timeout is 200ms, so shutdown waits the least time, 1 s
      assertThat(tookMs).isGreaterThanOrEqualTo(PrometheusReceiver.MIN_FINAL_ACK_WAIT.toMillis() - 50)
          .isLessThan(8_000);
      assertThat(points().staleOf("g")).hasSize(1);
      assertThat(logs.at(Level.WARN)).anySatisfy(w -> assertThat(w).contains("'prometheus'")
          .contains("stopped waiting after 1s").contains("final stale markers"));
    }
  }

  @Test
  void theWarmUpRunsTheFirstScrapeStepsWithoutErrors() {
    // start() swallows warm-up errors (they only cost speed), so check here that it really runs
    assertThatCode(() -> PrometheusReceiver.warmUp(true))
        .doesNotThrowAnyException();
  }

  @Test
  void shutdownWorksWithoutStartAndStartsAgainAfterShutdown() throws Exception {
    FakeTarget t = target("g 1\n");
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory,
        "config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
    receiver = factory.create(TestContexts.context(vertx, ComponentKind.RECEIVER, "prometheus"), config,
        Map.of(Signal.METRICS, consumer));
    receiver.shutdown().await(10, TimeUnit.SECONDS);
    receiver.shutdown().await(10, TimeUnit.SECONDS);
    receiver.start().await(10, TimeUnit.SECONDS);
    awaitUp(1);
    receiver.shutdown().await(10, TimeUnit.SECONDS);
    consumer.clear();
    receiver.start().await(10, TimeUnit.SECONDS);
    awaitUp(1);
  }

  @Test
  void aScrapeThatTakesLongerThanTheTimeoutFails() throws Exception {
    FakeTarget t = target("g 1\n");
    start("""
        config:
          scrape_configs:
            - job_name: j
              scrape_interval: 300ms
              scrape_timeout: 100ms
              static_configs: [ { targets: ["%s"] } ]
        """.formatted(t.address()));
    awaitUp(1);
    t.hang = true;
    await().atMost(WAIT).until(() -> points().up().contains(0.0));
    assertThat(points().staleOf("g")).hasSize(1);
    assertThat(t.requests.get(0).get("X-Prometheus-Scrape-Timeout-Seconds")).isEqualTo("0.1");
    t.hang = false;
    int before = points().up().size();
    await().atMost(WAIT).until(() -> points().up().subList(before, points().up().size()).contains(1.0));
  }

  @Test
  void followsTargetFilesAndMarksRemovedTargetsStale(@TempDir Path dir) throws Exception {
    FakeTarget a = target("ga 1\n");
    FakeTarget b = target("gb 2\n");
    Files.writeString(dir.resolve("main.json"), """
        [ { "targets": ["%s"], "labels": { "env": "prod" } } ]
        """.formatted(a.address()));
    Path extra = dir.resolve("extra.yml");
    Files.writeString(extra, """
        - targets: ["%s"]
          labels:
            env: dev
        """.formatted(b.address()));
    start("""
        config:
          scrape_configs:
            - job_name: files
              scrape_interval: 200ms
              file_sd_configs:
                - files: ["%s"]
                  refresh_interval: 200ms
                - files: ["%s"]
                  refresh_interval: 200ms
              relabel_configs:
                - source_labels: [__meta_filepath]
                  regex: ".*/(.*)"
                  target_label: file
        """.formatted(dir.resolve("*.json"), extra));
    await().atMost(WAIT).until(() -> points().named("up").stream().map(Point::instance).distinct().count() == 2);
    assertThat(points().lastFresh("ga").attrs()).isEqualTo(Map.of("env", "prod", "file", "main.json"));
    assertThat(points().lastFresh("gb").attrs()).isEqualTo(Map.of("env", "dev", "file", "extra.yml"));

    Files.delete(extra);
    await().atMost(WAIT).until(() -> !points().staleOf("gb").isEmpty());
    ScrapedPoints p = points();
    assertThat(p.staleOf("up")).singleElement().satisfies(u -> assertThat(u.instance()).isEqualTo(b.address()));
    int before = p.named("ga").size();
    await().atMost(WAIT).until(() -> points().named("ga").size() > before + 1);
    assertThat(points().staleOf("ga")).isEmpty();
  }

  @Test
  void readsGzippedBodiesAndParsesLargeOnesOffTheEventLoop() throws Exception {
    StringBuilder big = new StringBuilder("# TYPE series gauge\n");
    int n = 20_000;
    for (int i = 0; i < n; i++) {
      big.append("series{id=\"").append(i).append("\",padding=\"").append("x".repeat(8)).append("\"} ").append(i)
          .append('\n');
    }
    assertThat(big.length()).isGreaterThan(ScrapeLoop.PARSE_ON_LOOP_MAX_BYTES);
    FakeTarget large = target(big.toString());
    FakeTarget zipped = target("# TYPE z counter\nz_total 42\n");
    zipped.gzip = true;
    start("""
        config:
          global:
            external_labels: { region: eu }
          scrape_configs:
        """ + job("large", "\"" + large.address() + "\"") + job("zipped", "\"" + zipped.address() + "\""));
    await().atMost(WAIT).until(() -> points().named("up").stream().filter(u -> u.value() == 1.0)
        .map(Point::job).distinct().count() == 2);
    ScrapedPoints p = points();
    Point z = p.lastFresh("z_total");
    assertThat(z.value()).isEqualTo(42.0);
    assertThat(z.attrs()).isEqualTo(Map.of("region", "eu"));
    assertThat(p.named("series")).hasSizeGreaterThanOrEqualTo(n);
    assertThat(p.named("scrape_samples_scraped")).filteredOn(x -> x.job().equals("large"))
        .allSatisfy(x -> assertThat(x.value()).isEqualTo((double) n));
  }

  @Test
  void reportsTheExtraScrapeSeriesWhenAsked() throws Exception {
    FakeTarget t = target("a 1\n");
    start("""
        report_extra_scrape_metrics: true
        config:
          scrape_configs:
            - job_name: j
              scrape_interval: 200ms
              sample_limit: 10
              static_configs: [ { targets: ["%s"] } ]
        """.formatted(t.address()));
    awaitUp(1);
    ScrapedPoints p = points();
    assertThat(p.lastFresh("scrape_timeout_seconds").value()).isEqualTo(0.2);
    assertThat(p.lastFresh("scrape_sample_limit").value()).isEqualTo(10.0);
    assertThat(p.lastFresh("scrape_body_size_bytes").value()).isEqualTo(4.0);
    receiver.shutdown().await(10, TimeUnit.SECONDS);
    assertThat(points().staleOf("scrape_body_size_bytes")).hasSize(1);
  }

  @Test
  void exceedingLabelLimitFailsTheScrape() throws Exception {
    FakeTarget t = target("small{a=\"1\"} 1\n");
    start("""
        config:
          scrape_configs:
            - job_name: j
              scrape_interval: 200ms
              label_limit: 4
              static_configs: [ { targets: ["%s"] } ]
        """.formatted(t.address()));
    awaitUp(1);
    t.body = "big{a=\"1\",b=\"2\"} 1\n";
    await().atMost(WAIT).until(() -> points().up().contains(0.0));
    assertThat(points().named("big")).isEmpty();
    assertThat(points().staleOf("small")).hasSize(1);
  }

  @Test
  void countsAcceptedAndRefusedPointsInSelfMetrics() throws Exception {
    FakeTarget t = target("a 1\nb 2\n");
    SelfMetrics selfMetrics = new SelfMetrics();
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory,
        "config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\""));
    receiver = factory.create(TestContexts.context(vertx, ComponentKind.RECEIVER, "prometheus/self", selfMetrics),
        config, Map.of(Signal.METRICS, consumer));
    receiver.start().await(10, TimeUnit.SECONDS);
    // two samples and five report series per scrape
    await().atMost(WAIT).until(() -> SelfMetricsReader.counter(selfMetrics, "sluice_receiver_accepted_items",
        "component_id", "prometheus/self", "signal", "metrics", "transport", "scrape") >= 7);
    consumer.failWith(new RetryableException("queue full"));
    await().atMost(WAIT).until(() -> SelfMetricsReader.counter(selfMetrics, "sluice_receiver_refused_items",
        "component_id", "prometheus/self", "signal", "metrics") >= 7);
    consumer.succeed();
  }

  @Test
  void reportsEachTargetsHealthAndLastErrorInSelfMetrics() throws Exception {
    FakeTarget t = target("a 1\n");
    String closed = "127.0.0.1:" + Ports.freePort();
    SelfMetrics selfMetrics = new SelfMetrics();
    PrometheusReceiverConfig config = ConfigLoader.bindComponent(factory,
        "config:\n  scrape_configs:\n" + job("j", "\"" + t.address() + "\"", "\"" + closed + "\""));
    receiver = factory.create(TestContexts.context(vertx, ComponentKind.RECEIVER, "prometheus/self", selfMetrics),
        config, Map.of(Signal.METRICS, consumer));
    long before = System.currentTimeMillis() / 1000;
    receiver.start().await(10, TimeUnit.SECONDS);
    String[] up = {"component_id", "prometheus/self", "job", "j", "instance", t.address()};
    String[] down = {"component_id", "prometheus/self", "job", "j", "instance", closed};
    await().atMost(WAIT).until(() -> targetGauge(selfMetrics, "sluice_receiver_scrape_target_up", up) == 1.0
        && targetGauge(selfMetrics, "sluice_receiver_scrape_target_up", down) == 0.0);
    assertThat(SelfMetricsReader.gauge(selfMetrics, "sluice_receiver_scrape_target_last_scrape_timestamp_seconds",
        up)).isGreaterThanOrEqualTo(before);
    assertThat(SelfMetricsReader.gauge(selfMetrics, "sluice_receiver_scrape_target_last_error_timestamp_seconds",
        down)).isGreaterThanOrEqualTo(before);
    String error = selfMetrics.registry().scrape().stream()
        .filter(m -> m.getMetadata().getName().equals("sluice_receiver_scrape_target_last_error_timestamp_seconds"))
        .flatMap(m -> m.getDataPoints().stream())
        .map(dp -> dp.getLabels().get("instance") + " " + dp.getLabels().get("error"))
        .reduce("", String::concat);
    assertThat(error).as("one last error, of the closed port").startsWith(closed + " ").containsIgnoringCase("refused");

    // a target that goes down keeps its health and error current; one that goes away has no series left
    t.stop();
    await().atMost(WAIT).until(() -> targetGauge(selfMetrics, "sluice_receiver_scrape_target_up", up) == 0.0);
    receiver.shutdown().await(10, TimeUnit.SECONDS);
    receiver = null;
    assertThat(selfMetrics.registry().scrape().stream()
        .filter(m -> m.getMetadata().getName().startsWith("sluice_receiver_scrape_target_"))
        .mapToInt(m -> m.getDataPoints().size()).sum()).isZero();
  }

  /** The gauge's value, or NaN while it has no such series (before the target's first scrape ended). */
  private static double targetGauge(SelfMetrics metrics, String name, String... labels) {
    try {
      return SelfMetricsReader.gauge(metrics, name, labels);
    } catch (AssertionError notYet) {
      return Double.NaN;
    }
  }

  @Test
  void sendsBasicAuthBearerTokensAndQueryParams() throws Exception {
    FakeTarget basic = target("basic 1\n");
    FakeTarget bearer = target("bearer 1\n");
    start("""
        config:
          scrape_configs:
            - job_name: basic
              scrape_interval: 200ms
              metrics_path: /probe
              params: { module: [http_2xx], target: ["a b"] }
              basic_auth: { username: scraper, password: s3cret }
              static_configs: [ { targets: ["%s"] } ]
            - job_name: bearer
              scrape_interval: 200ms
              authorization: { credentials: tok }
              static_configs: [ { targets: ["%s"] } ]
        """.formatted(basic.address(), bearer.address()));
    await().atMost(WAIT).until(() -> points().lastFresh("basic") != null && points().lastFresh("bearer") != null);
    assertThat(basic.requests.get(0).get("Authorization")).isEqualTo("Basic "
        + java.util.Base64.getEncoder().encodeToString("scraper:s3cret".getBytes(StandardCharsets.UTF_8)));
    assertThat(basic.paths.get(0)).isEqualTo("/probe?module=http_2xx&target=a+b");
    assertThat(bearer.requests.get(0).get("Authorization")).isEqualTo("Bearer tok");
  }
}
