package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.prometheus.metrics.config.ExporterProperties;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.core.metrics.Summary;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Unit;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.PrometheusServer;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Sluice in place of Prometheus' own scraping: a Sluice gateway scrapes a target served by the
 * official Prometheus Java client and Prometheus' own {@code /metrics} every second and
 * remote-writes into Prometheus A; Prometheus B scrapes the same Java-client target itself. What A
 * holds must be what the targets served, and the same series B holds; a stopped target's series
 * must end in A (stale markers), with {@code up} 0.
 */
class PrometheusParityIT {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEADLINE = Duration.ofSeconds(15);
  /** What Prometheus 2.x sends as {@code Accept} when it scrapes. */
  private static final String PROMETHEUS_ACCEPT = "application/openmetrics-text;version=1.0.0,"
      + "application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
  /** The series a scraper writes per target besides what the target served. */
  private static final Set<String> SYNTHETIC = Set.of("up", "scrape_duration_seconds", "scrape_samples_scraped",
      "scrape_samples_post_metric_relabeling", "scrape_series_added");
  /** A label value that needs every escape of the text formats, and a non-ASCII letter. */
  private static final String AWKWARD = "quote \" backslash \\ newline \n é";

  private static final String GATEWAY = """
      receivers:
        prometheus:
          config:
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: java-target
                static_configs:
                  - targets: ["127.0.0.1:${env:TARGET}"]
              - job_name: prometheus
                static_configs:
                  - targets: ["127.0.0.1:${env:PROM_A}"]
              - job_name: staleness
                static_configs:
                  - targets: ["127.0.0.1:${env:DOOMED}"]
      exporters:
        prometheusremotewrite:
          endpoint: ${env:REMOTE_WRITE}
      service:
        telemetry:
          metrics:
            address: 127.0.0.1:${env:METRICS}
        pipelines:
          metrics:
            receivers: [prometheus]
            exporters: [prometheusremotewrite]
      """;

  private static HTTPServer target;
  private static HTTPServer doomed;
  private static PrometheusServer promA;
  private static PrometheusServer promB;
  private static Vertx vertx;
  private static final List<String> blockedLoops = new CopyOnWriteArrayList<>();
  private static Gateway gateway;
  private static Path dir;

  @BeforeAll
  static void start() throws Exception {
    target = javaTarget(parityRegistry());
    doomed = javaTarget(doomedRegistry());
    promA = PrometheusServer.start();
    // B scrapes the Java-client target itself, under the same job name Sluice uses.
    promB = PrometheusServer.startWithConfig("""
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
        scrape_configs:
          - job_name: java-target
            static_configs:
              - targets: ["127.0.0.1:%d"]
          - job_name: staleness
            static_configs:
              - targets: ["127.0.0.1:%d"]
        """.formatted(target.getPort(), doomed.getPort()), List.of());
    dir = Files.createTempDirectory("sluice-parity-");
    Path file = GatewayFixtures.writeConfig(dir, "gateway.yaml", GATEWAY);
    vertx = GatewayFixtures.lenientVertx(blockedLoops);
    gateway = GatewayFixtures.start(vertx, file, Map.of(
        "TARGET", Integer.toString(target.getPort()),
        "PROM_A", Integer.toString(promA.port()),
        "DOOMED", Integer.toString(doomed.getPort()),
        "REMOTE_WRITE", promA.remoteWriteUrl(),
        "METRICS", Integer.toString(Ports.freePort())));
  }

  @AfterAll
  static void stop() {
    if (gateway != null) {
      gateway.shutdown(Duration.ofSeconds(10));
    }
    if (vertx != null) {
      try {
        vertx.close().await(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        throw new AssertionError("Vert.x did not close in 30 s", e);
      }
    }
    for (AutoCloseable c : new AutoCloseable[] {promA, promB, target, doomed}) {
      try {
        if (c != null) {
          c.close();
        }
      } catch (Exception e) {
        // best effort
      }
    }
    if (dir != null) {
      dir.resolve("gateway.yaml").toFile().delete();
      dir.toFile().delete();
    }
  }

  @AfterEach
  void noEventLoopWasBlockedForASecond() {
    assertThat(blockedLoops).as("event loops blocked for more than a second").isEmpty();
  }

  /** Values set once and never changed, so what was scraped is what a query must return. */
  private static PrometheusRegistry parityRegistry() {
    PrometheusRegistry r = new PrometheusRegistry();
    Counter requests = Counter.builder().name("parity_requests_total").help("Requests served")
        .labelNames("method", "path").withoutExemplars().register(r);
    requests.labelValues("GET", "/a").inc(7);
    requests.labelValues("POST", AWKWARD).inc(3.5);
    Gauge temperature = Gauge.builder().name("parity_temperature_celsius").help("Room temperature")
        .labelNames("room").withoutExemplars().register(r);
    temperature.labelValues("kitchen").set(21.25);
    temperature.labelValues("cellar").set(-4);
    Histogram latency = Histogram.builder().name("parity_latency_seconds").help("Request latency")
        .unit(Unit.SECONDS).classicOnly().classicUpperBounds(0.1, 0.5, 1.0).withoutExemplars().register(r);
    for (double v : new double[] {0.05, 0.2, 0.3, 0.7, 2.0}) {
      latency.observe(v);
    }
    Summary payload = Summary.builder().name("parity_payload_bytes").help("Payload size")
        .quantile(0.5, 0.0).quantile(0.9, 0.0).maxAgeSeconds(3600).withoutExemplars().register(r);
    for (int i = 1; i <= 10; i++) {
      payload.observe(i * 100);
    }
    return r;
  }

  private static PrometheusRegistry doomedRegistry() {
    PrometheusRegistry r = new PrometheusRegistry();
    Counter c = Counter.builder().name("doomed_events_total").help("Events").labelNames("kind").register(r);
    c.labelValues("x").inc(2);
    Gauge g = Gauge.builder().name("doomed_level").help("Level").register(r);
    g.set(9);
    Histogram h = Histogram.builder().name("doomed_wait_seconds").help("Wait").classicOnly()
        .classicUpperBounds(0.5, 1.0).withoutExemplars().register(r);
    h.observe(0.7);
    Summary q = Summary.builder().name("doomed_size_bytes").help("Size").quantile(0.5, 0.0)
        .withoutExemplars().register(r);
    q.observe(10);
    return r;
  }

  /** A Java-client target that also serves {@code _created} samples (OpenMetrics). */
  private static HTTPServer javaTarget(PrometheusRegistry registry) throws IOException {
    PrometheusProperties withCreated = PrometheusProperties.builder()
        .exporterProperties(ExporterProperties.builder().includeCreatedTimestamps(true).build()).build();
    return HTTPServer.builder(withCreated).hostname("127.0.0.1").port(0).registry(registry).buildAndStart();
  }

  @Test
  void seriesWrittenBySluiceAreWhatTheJavaClientTargetServed() throws Exception {
    String instance = "127.0.0.1:" + target.getPort();
    Map<Map<String, String>, Double> served = withTarget(GatewayFixtures.parseExposition(fetch(target.getPort())), "java-target", instance);
    assertThat(served).as("the target serves samples").hasSizeGreaterThan(10);

    await().atMost(DEADLINE).untilAsserted(() -> {
      Map<Map<String, String>, Double> inA = vector(promA, "{job=\"java-target\"}");
      Map<Map<String, String>, Double> scraped = withoutSynthetic(inA);
      assertThat(scraped).as("series in Prometheus A from Sluice's scrape").isEqualTo(served);
      assertThat(namesOf(inA)).as("series names in A").containsAll(SYNTHETIC);
    });
    Map<Map<String, String>, Double> inA = vector(promA, "{job=\"java-target\"}");
    assertThat(inA.get(series("up", "java-target", instance))).isEqualTo(1.0);
    assertThat(inA.get(series("scrape_samples_scraped", "java-target", instance)))
        .isEqualTo((double) served.size());
    assertThat(inA.get(series("scrape_samples_post_metric_relabeling", "java-target", instance)))
        .isEqualTo((double) served.size());
    assertThat(inA.keySet()).as("the awkward label value survived the trip")
        .anySatisfy(labels -> assertThat(labels).containsEntry("path", AWKWARD));
  }

  @Test
  void seriesOfPrometheusOwnMetricsArriveWithValuesBetweenTwoScrapesOfIt() throws Exception {
    String instance = "127.0.0.1:" + promA.port();
    String before = fetch(promA.port());
    long afterFirstScrape = System.currentTimeMillis();
    Map<Map<String, String>, Double> first = withTarget(GatewayFixtures.parseExposition(before), "prometheus", instance);
    Set<String> monotonic = monotonicNames(before);

    // Wait until every series served then has a sample from a scrape that began after that fetch.
    Map<Map<String, String>, double[]> latest = new HashMap<>();
    await().atMost(DEADLINE).untilAsserted(() -> {
      latest.clear();
      latest.putAll(lastSamples(promA, "{job=\"prometheus\"}[10s]"));
      assertThat(latest.keySet()).as("series in A").containsAll(first.keySet());
      for (Map<String, String> s : first.keySet()) {
        assertThat((long) latest.get(s)[0]).as("newest sample of %s", s).isGreaterThan(afterFirstScrape);
      }
    });
    Map<Map<String, String>, Double> second = withTarget(GatewayFixtures.parseExposition(fetch(promA.port())), "prometheus", instance);

    Set<Map<String, String>> written = latest.keySet().stream()
        .filter(s -> !SYNTHETIC.contains(s.get("__name__"))).collect(Collectors.toSet());
    Set<Map<String, String>> servedEver = new HashSet<>(first.keySet());
    servedEver.addAll(second.keySet());
    assertThat(servedEver).as("every series in A was served by Prometheus' /metrics").containsAll(written);
    int compared = 0;
    for (Map<String, String> s : first.keySet()) {
      if (!monotonic.contains(s.get("__name__")) || !second.containsKey(s)) {
        continue;
      }
      double value = latest.get(s)[1];
      assertThat(value).as("%s lies between the values served before and after", s)
          .isBetween(first.get(s), second.get(s));
      compared++;
    }
    assertThat(compared).as("counters compared").isGreaterThan(20);
  }

  @Test
  void sluiceWritesTheSameSeriesAsPrometheusScrapingTheSameTarget() {
    await().atMost(DEADLINE).untilAsserted(() -> {
      Map<Map<String, String>, Double> fromSluice = vector(promA, "{job=\"java-target\"}");
      Map<Map<String, String>, Double> fromPrometheus = vector(promB, "{job=\"java-target\"}");
      assertThat(fromSluice.keySet()).as("series from Sluice (A) against Prometheus' own scrape (B)")
          .containsExactlyInAnyOrderElementsOf(fromPrometheus.keySet());
      assertThat(withoutSynthetic(fromSluice)).as("values of the target's series")
          .isEqualTo(withoutSynthetic(fromPrometheus));
      assertThat(namesOf(fromPrometheus)).as("the target's _created samples, stored as series by Prometheus")
          .contains("parity_requests_created", "parity_latency_seconds_created");
    });
  }

  /**
   * What Prometheus 2.x stores for a scraped histogram: the {@code le} text the target served
   * ({@code 1.0} from the Java client, {@code 1e+09} from client_golang), not a reformatted
   * number. Sluice's scrape keeps the spellings for the way back, so both give the same series.
   */
  @Test
  void bucketBoundsAreWrittenAsTheTargetSpelledThem() {
    await().atMost(DEADLINE).untilAsserted(() -> {
      Set<String> fromSluice = rawLabelValues(promA, "parity_latency_seconds_bucket{job=\"java-target\"}", "le");
      Set<String> fromPrometheus = rawLabelValues(promB, "parity_latency_seconds_bucket{job=\"java-target\"}", "le");
      assertThat(fromPrometheus).as("le values Prometheus stored").contains("1.0");
      assertThat(fromSluice).as("le values from Sluice").isEqualTo(fromPrometheus);
    });
  }

  @Test
  void bucketBoundsFromSluiceAreNumericallyThoseOfPrometheusOwnScrape() {
    await().atMost(DEADLINE).untilAsserted(() -> {
      Set<Double> fromSluice = rawLabelValues(promA, "parity_latency_seconds_bucket{job=\"java-target\"}", "le")
          .stream().map(GatewayFixtures::number).collect(Collectors.toSet());
      Set<Double> fromPrometheus = rawLabelValues(promB, "parity_latency_seconds_bucket{job=\"java-target\"}", "le")
          .stream().map(GatewayFixtures::number).collect(Collectors.toSet());
      assertThat(fromSluice).as("bucket bounds").isEqualTo(Set.of(0.1, 0.5, 1.0, Double.POSITIVE_INFINITY))
          .isEqualTo(fromPrometheus);
    });
  }

  private static Set<String> rawLabelValues(PrometheusServer prom, String promql, String label) {
    return prom.query(promql).stream().map(s -> s.labels().get(label)).collect(Collectors.toSet());
  }

  @Test
  void seriesOfAStoppedTargetEndWithStaleMarkersAndUpIsZero() throws Exception {
    String instance = "127.0.0.1:" + doomed.getPort();
    String selector = "{job=\"staleness\",__name__=~\"doomed_.*\"}";
    await().atMost(DEADLINE).untilAsserted(() -> {
      assertThat(namesOf(vector(promA, selector))).contains("doomed_events_total", "doomed_events_created",
          "doomed_level", "doomed_wait_seconds_bucket", "doomed_wait_seconds_sum", "doomed_size_bytes");
      assertThat(vector(promA, "up{job=\"staleness\"}")).containsValue(1.0);
    });
    double stoppedAt = System.currentTimeMillis() / 1000.0;
    doomed.stop();

    // Without stale markers the series would still answer for the 5 minutes of lookback.
    await().atMost(DEADLINE).untilAsserted(() -> {
      assertThat(vector(promA, selector)).as("target series after the target stopped").isEmpty();
      assertThat(vector(promA, "up{job=\"staleness\"}")).as("up")
          .isEqualTo(Map.of(series("up", "staleness", instance), 0.0));
      assertThat(vector(promA, "scrape_samples_scraped{job=\"staleness\"}")).as("scrape_samples_scraped")
          .containsValue(0.0);
    });
    assertThat(namesOf(vectorAt(promA, selector, stoppedAt))).as("the series existed before the stop")
        .contains("doomed_events_total", "doomed_level");

    // Prometheus B scraped the same target itself: after the stop both hold the same series, and
    // the per-scrape series of a failed scrape say the same.
    await().atMost(DEADLINE).untilAsserted(() -> {
      Map<Map<String, String>, Double> a = vector(promA, "{job=\"staleness\"}");
      Map<Map<String, String>, Double> b = vector(promB, "{job=\"staleness\"}");
      assertThat(a.keySet()).as("series of the stopped target, Sluice (A) against Prometheus (B)")
          .isEqualTo(b.keySet());
      for (String name : List.of("up", "scrape_samples_scraped", "scrape_samples_post_metric_relabeling",
          "scrape_series_added")) {
        Map<String, String> key = series(name, "staleness", instance);
        assertThat(a.get(key)).as(name).isEqualTo(b.get(key)).isEqualTo(0.0);
      }
    });
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private static Map<String, String> series(String name, String job, String instance) {
    Map<String, String> m = new TreeMap<>();
    m.put("__name__", name);
    m.put("job", job);
    m.put("instance", instance);
    return m;
  }

  private static Set<String> namesOf(Map<Map<String, String>, Double> v) {
    return v.keySet().stream().map(s -> s.get("__name__")).collect(Collectors.toSet());
  }

  private static Map<Map<String, String>, Double> withoutSynthetic(Map<Map<String, String>, Double> v) {
    Map<Map<String, String>, Double> out = new HashMap<>();
    v.forEach((k, val) -> {
      if (!SYNTHETIC.contains(k.get("__name__"))) {
        out.put(k, val);
      }
    });
    return out;
  }

  private static Map<Map<String, String>, Double> withTarget(Map<Map<String, String>, Double> samples, String job,
      String instance) {
    Map<Map<String, String>, Double> out = new HashMap<>();
    samples.forEach((k, v) -> {
      Map<String, String> m = new TreeMap<>(k);
      m.put("job", job);
      m.put("instance", instance);
      out.put(m, v);
    });
    return out;
  }

  /** GETs /metrics with the Accept header Prometheus sends, so the same format Prometheus reads. */
  private static String fetch(int port) throws IOException, InterruptedException {
    HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .header("Accept", PROMETHEUS_ACCEPT).timeout(Duration.ofSeconds(5)).GET().build();
    HttpResponse<String> res = GatewayFixtures.HTTP.send(req, HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as("GET /metrics on %d", port).isEqualTo(200);
    return res.body();
  }

  /** Names of the samples of counter families and of histograms' _bucket and _count: they never go down. */
  private static Set<String> monotonicNames(String exposition) {
    Set<String> out = new HashSet<>();
    for (String line : exposition.split("\n")) {
      if (line.startsWith("# TYPE ")) {
        String[] p = line.split(" ");
        switch (p[3]) {
          case "counter" -> {
            out.add(p[2]);
            out.add(p[2] + "_total");
          }
          case "histogram" -> {
            out.add(p[2] + "_bucket");
            out.add(p[2] + "_count");
          }
          default -> {
          }
        }
      }
    }
    return out;
  }

  private static Map<Map<String, String>, Double> vector(PrometheusServer prom, String promql) {
    return vectorAt(prom, promql, null);
  }

  private static Map<Map<String, String>, Double> vectorAt(PrometheusServer prom, String promql, Double time) {
    Map<Map<String, String>, Double> out = new HashMap<>();
    for (PrometheusServer.Sample s : prom.query(promql, time)) {
      out.put(new TreeMap<>(s.labels()), s.value());
    }
    return out;
  }

  /** For a range selector: every series' newest sample as {timestamp ms, value}. */
  private static Map<Map<String, String>, double[]> lastSamples(PrometheusServer prom, String rangeSelector)
      throws IOException, InterruptedException {
    String url = prom.baseUrl() + "/api/v1/query?query=" + URLEncoder.encode(rangeSelector, StandardCharsets.UTF_8);
    HttpResponse<String> res = GatewayFixtures.HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as("query %s: %s", rangeSelector, res.body()).isEqualTo(200);
    Map<Map<String, String>, double[]> out = new HashMap<>();
    for (JsonNode r : JSON.readTree(res.body()).path("data").path("result")) {
      Map<String, String> labels = new TreeMap<>();
      r.path("metric").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
      JsonNode values = r.path("values");
      JsonNode last = values.get(values.size() - 1);
      out.put(labels, new double[] {Math.round(last.get(0).asDouble() * 1000), GatewayFixtures.number(last.get(1).asText())});
    }
    return out;
  }
}
