package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.PrometheusServer;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code cardinality_limit} between a real scrape and a real Prometheus: a target served by the
 * official Prometheus Java client grows its series past the cap while a Sluice gateway scrapes it
 * every second and remote-writes into Prometheus. Prometheus must hold the series that came first
 * and one overflow series per metric carrying the sum of the rest; the gateway's self-metrics count
 * the folded series; a series that vanishes from the target ends in Prometheus (stale marker) and
 * frees its slot for a new one.
 */
class CardinalityLimitIT {
  private static final Duration DEADLINE = Duration.ofSeconds(20);
  private static final String GATEWAY = """
      receivers:
        prometheus:
          config:
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: growing
                static_configs:
                  - targets: ["127.0.0.1:${env:TARGET}"]
      processors:
        cardinality_limit:
          max_series_per_metric: 4
          max_series: 1000
          series_ttl: 5m
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
            processors: [cardinality_limit]
            exporters: [prometheusremotewrite]
      """;

  private HTTPServer target;
  private PrometheusServer prometheus;
  private Vertx vertx;
  private Gateway gateway;
  private Path dir;
  private int metricsPort;
  private final List<String> blockedLoops = new CopyOnWriteArrayList<>();
  private Counter requests;
  private Histogram latency;

  @BeforeEach
  void start() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    requests = Counter.builder().name("cl_requests_total").help("Requests by path").labelNames("path")
        .withoutExemplars().register(registry);
    latency = Histogram.builder().name("cl_latency_seconds").help("Latency by path").labelNames("path")
        .classicOnly().classicUpperBounds(0.1, 1.0).withoutExemplars().register(registry);
    for (int i = 0; i < 4; i++) {
      grow(i);
    }
    target = HTTPServer.builder().hostname("127.0.0.1").port(0).registry(registry).buildAndStart();
    prometheus = PrometheusServer.start();
    dir = Files.createTempDirectory("sluice-cardinality-");
    metricsPort = Ports.freePort();
    vertx = GatewayFixtures.lenientVertx(blockedLoops);
    gateway = GatewayFixtures.start(vertx, GatewayFixtures.writeConfig(dir, "gateway.yaml", GATEWAY), Map.of(
        "TARGET", Integer.toString(target.getPort()),
        "REMOTE_WRITE", prometheus.remoteWriteUrl(),
        "METRICS", Integer.toString(metricsPort)));
  }

  /** Series {@code /i} of both metrics: the counter at 10 * (i + 1), one observation of 0.5 * i. */
  private void grow(int i) {
    requests.labelValues("/" + i).inc(10 * (i + 1));
    latency.labelValues("/" + i).observe(0.5 * i);
  }

  @AfterEach
  void stop() throws Exception {
    if (gateway != null) {
      gateway.shutdown(Duration.ofSeconds(10));
    }
    if (vertx != null) {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    if (target != null) {
      target.close();
    }
    if (prometheus != null) {
      prometheus.close();
    }
    if (dir != null) {
      dir.resolve("gateway.yaml").toFile().delete();
      dir.toFile().delete();
    }
    // A gateway beside a Prometheus server on a shared 2-core machine: see GatewayFixtures.lenientVertx.
    assertThat(blockedLoops).as("event loops blocked for more than a second").isEmpty();
  }

  /** Prometheus' current samples of {@code selector}: the path (or "overflow") → value. */
  private Map<String, Double> byPath(String selector) {
    Map<String, Double> out = new TreeMap<>();
    for (PrometheusServer.Sample s : prometheus.query(selector)) {
      String key = "true".equals(s.labels().get("otel_metric_overflow")) ? "overflow" : s.labels().get("path");
      assertThat(out.put(key, s.value())).as("one series for %s in %s", key, s.labels()).isNull();
    }
    return out;
  }

  private double selfMetric(String series) throws Exception {
    Map<String, Double> samples = GatewayFixtures.scrape(metricsPort);
    Double v = samples.get(series);
    assertThat(v).as("self-metric %s among %s", series, samples.keySet()).isNotNull();
    return v;
  }

  @Test
  void prometheusHoldsTheCappedSeriesAndOneOverflowSeriesPerMetric() throws Exception {
    await().atMost(DEADLINE).untilAsserted(() -> assertThat(byPath("cl_requests_total"))
        .isEqualTo(Map.of("/0", 10.0, "/1", 20.0, "/2", 30.0, "/3", 40.0)));

    // the target grows past the cap of 4 series per metric
    for (int i = 4; i < 7; i++) {
      grow(i);
    }
    await().atMost(DEADLINE).untilAsserted(() -> {
      assertThat(byPath("cl_requests_total")).as("the first four, and the sum of /4, /5 and /6")
          .isEqualTo(Map.of("/0", 10.0, "/1", 20.0, "/2", 30.0, "/3", 40.0, "overflow", 50.0 + 60 + 70));
      // /4, /5, /6 observed 2.0, 2.5, 3.0: all three above le 1
      assertThat(prometheus.query("cl_latency_seconds_bucket{otel_metric_overflow=\"true\"}")
          .stream().collect(Collectors.toMap(s -> s.labels().get("le"), PrometheusServer.Sample::value)))
          .isEqualTo(Map.of("0.1", 0.0, "1.0", 0.0, "+Inf", 3.0));
      assertThat(prometheus.query("cl_latency_seconds_sum{otel_metric_overflow=\"true\"}"))
          .singleElement().satisfies(s -> assertThat(s.value()).isEqualTo(7.5));
      assertThat(byPath("cl_latency_seconds_count").keySet()).containsExactlyInAnyOrder("/0", "/1", "/2", "/3",
          "overflow");
    });
    assertThat(prometheus.query("{path=~\"/[456]\"}")).as("no folded series reached Prometheus").isEmpty();
    assertThat(selfMetric("sluice_processor_cardinality_limit_folded_series"
        + "{component_id=\"cardinality_limit\",pipeline=\"metrics\"}")).isEqualTo(6);
    assertThat(selfMetric("sluice_processor_cardinality_limit_series_folded_total"
        + "{component_id=\"cardinality_limit\",pipeline=\"metrics\",reason=\"max_series_per_metric\"}"))
        .isEqualTo(6);

    // /0 vanishes from the target: its series ends in Prometheus, and a new series takes its slot
    // (the folded ones stay folded while they keep coming)
    requests.remove("/0");
    latency.remove("/0");
    await().atMost(DEADLINE).untilAsserted(() -> assertThat(byPath("cl_requests_total").keySet())
        .containsExactlyInAnyOrder("/1", "/2", "/3", "overflow"));
    requests.labelValues("/7").inc(80);
    latency.labelValues("/7").observe(0.05);
    await().atMost(DEADLINE).untilAsserted(() -> {
      assertThat(byPath("cl_requests_total"))
          .isEqualTo(Map.of("/1", 20.0, "/2", 30.0, "/3", 40.0, "/7", 80.0, "overflow", 180.0));
      assertThat(byPath("cl_latency_seconds_count").keySet()).isEqualTo(Set.of("/1", "/2", "/3", "/7", "overflow"));
    });
  }
}
