package io.sluice.exporter.prometheus;

import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestCertificates;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.tls.TlsServerSettings;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import io.vertx.core.Future;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class PrometheusExporterTest {
  static final long T0_NANOS = 1_700_000_000_000_000_000L;
  private static final String OM_ACCEPT = "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
      + "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=0.0.4;q=0.3,*/*;q=0.2";

  private final TestVertx tv = TestVertx.create();
  private final HttpClient http = HttpClient.newHttpClient();
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final SelfMetrics selfMetrics = new SelfMetrics();
  private final List<PrometheusExporter> exporters = new ArrayList<>();
  private int port;

  @AfterEach
  void tearDown() throws Exception {
    for (PrometheusExporter e : exporters) {
      await(e.shutdown());
    }
    tv.close();
    assertThat(tv.blockedThreads()).isEmpty();
  }

  @Test
  void exposesCountersGaugesHistogramsAndSummariesInTheTextFormat() throws Exception {
    PrometheusExporter e = start(config(Map.of(), "", false, false));
    await(e.consume(batch(allTypes(T0_NANOS, 42))));

    HttpResponse<byte[]> r = scrape(null, null);
    String page = new String(r.body(), StandardCharsets.UTF_8);

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    String base = "instance=\"svc-1\",job=\"svc\",otel_scope_name=\"io.sluice.test\",otel_scope_version=\"1.0.0\"";
    assertThat(page)
        .contains("# TYPE http_requests_total counter\n# HELP http_requests_total Requests \\\\ served\\nper \"method\"\n")
        .contains("http_requests_total{instance=\"svc-1\",job=\"svc\",method=\"GET\",otel_scope_name=\"io.sluice.test\","
            + "otel_scope_version=\"1.0.0\",path=\"/a\\\"b\\\\c\\nd\"} 42\n")
        .contains("# TYPE queue_size gauge\n")
        .contains("queue_size{" + base + "} 7.5\n")
        .contains("# TYPE http_server_duration_milliseconds histogram\n")
        .contains("http_server_duration_milliseconds_bucket{" + withLe("10") + "} 1\n"
            + "http_server_duration_milliseconds_bucket{" + withLe("100") + "} 3\n"
            + "http_server_duration_milliseconds_bucket{" + withLe("+Inf") + "} 6\n"
            + "http_server_duration_milliseconds_sum{" + base + "} 500\n"
            + "http_server_duration_milliseconds_count{" + base + "} 6\n")
        .contains("# TYPE rpc_latency_seconds summary\n")
        .contains("rpc_latency_seconds{" + base + ",quantile=\"0.5\"} 0.2\n"
            + "rpc_latency_seconds{" + base + ",quantile=\"0.99\"} 1.25\n"
            + "rpc_latency_seconds_sum{" + base + "} 3.5\n"
            + "rpc_latency_seconds_count{" + base + "} 10\n")
        .contains("target_info{host_name=\"test-host\",instance=\"svc-1\",job=\"svc\"} 1\n")
        .doesNotContain("# EOF");
    // no timestamps unless asked for
    assertThat(page.lines().filter(l -> !l.startsWith("#")))
        .allSatisfy(l -> assertThat(l.substring(l.lastIndexOf('}') + 1).trim()).doesNotContain(" "));
  }

  @Test
  void keepsOnlyTheLatestValueOfEachSeries() throws Exception {
    PrometheusExporter e = start(config(Map.of(), "", false, false));
    await(e.consume(batch(allTypes(T0_NANOS, 42))));
    await(e.consume(batch(allTypes(T0_NANOS + 1_000_000_000L, 50))));

    String page = text(scrape(null, null));

    assertThat(page).contains(",path=\"/a\\\"b\\\\c\\nd\"} 50\n").doesNotContain("} 42\n");
    assertThat(page.lines().filter(l -> l.startsWith("http_requests_total"))).hasSize(1);
    assertThat(SelfMetricsReader.counter(selfMetrics, "sluice_exporter_sent_items", "component_id", "prometheus",
        "signal", "metrics")).isEqualTo(2.0 * batch(allTypes(T0_NANOS, 1)).itemCount());
  }

  @Test
  void appliesNamespaceConstLabelsAndTimestamps() throws Exception {
    PrometheusExporter e = start(config(Map.of("region", "eu"), "sluice", true, false));
    await(e.consume(batch(gauge("queue.size", T0_NANOS, 7.5, 0))));

    String page = text(scrape(null, null));

    assertThat(page).contains("# TYPE sluice_queue_size gauge\n")
        .contains("sluice_queue_size{instance=\"svc-1\",job=\"svc\",otel_scope_name=\"io.sluice.test\","
            + "otel_scope_version=\"1.0.0\",region=\"eu\"} 7.5 1700000000000\n");
  }

  @Test
  void copiesResourceAttributesWhenConversionIsOnAndDropsSuffixesWhenOff() throws Exception {
    port = Ports.freePort();
    PrometheusExporter e = start(new PrometheusExporterConfig("127.0.0.1:" + port, "", Map.of(), false,
        Duration.ofMinutes(5), new PrometheusExporterConfig.ResourceToTelemetryConversion(true), false, false));
    await(e.consume(batch(allTypes(T0_NANOS, 42))));

    String page = text(scrape(null, null));

    assertThat(page).contains("queue_size{host_name=\"test-host\",instance=\"svc-1\",job=\"svc\",")
        .contains("# TYPE http_requests counter\n")
        .contains("# TYPE http_server_duration histogram\n")
        .doesNotContain("http_requests_total");
  }

  @Test
  void servesOpenMetricsWhenEnabledAndAskedFor() throws Exception {
    PrometheusExporter e = start(config(Map.of(), "", true, true));
    await(e.consume(batch(allTypes(T0_NANOS + 123_000_000L, 42))));

    HttpResponse<byte[]> om = scrape(OM_ACCEPT, null);
    String page = text(om);

    assertThat(om.headers().firstValue("Content-Type"))
        .hasValue("application/openmetrics-text; version=1.0.0; charset=utf-8");
    assertThat(page).endsWith("# EOF\n")
        .contains("# TYPE http_requests counter\n# HELP http_requests Requests \\\\ served\\nper \\\"method\\\"\n")
        .contains("http_requests_total{")
        .contains("} 42 1700000000.123\n")
        .contains("# TYPE http_server_duration_milliseconds histogram\n"
            + "# UNIT http_server_duration_milliseconds milliseconds\n");
    assertThat(page.indexOf("# EOF")).isEqualTo(page.length() - "# EOF\n".length());

    HttpResponse<byte[]> plain = scrape("text/plain;version=0.0.4", null);
    assertThat(plain.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(text(plain)).doesNotContain("# EOF").contains("} 42 1700000000123\n");
  }

  @Test
  void servesTheTextFormatToOpenMetricsScrapersWhenOpenMetricsIsOff() throws Exception {
    PrometheusExporter e = start(config(Map.of(), "", false, false));
    await(e.consume(batch(allTypes(T0_NANOS, 42))));

    HttpResponse<byte[]> r = scrape(OM_ACCEPT, null);

    assertThat(r.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    assertThat(text(r)).doesNotContain("# EOF").contains("# TYPE http_requests_total counter");
  }

  @Test
  void gzipsThePageWhenTheScraperAcceptsIt() throws Exception {
    PrometheusExporter e = start(config(Map.of(), "", false, false));
    await(e.consume(batch(allTypes(T0_NANOS, 42))));

    HttpResponse<byte[]> r = scrape(null, "gzip");

    assertThat(r.headers().firstValue("Content-Encoding")).hasValue("gzip");
    String page;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(r.body()))) {
      page = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    assertThat(page).isEqualTo(text(scrape(null, null)));
  }

  @Test
  void removesSeriesNotUpdatedForTheExpiration() throws Exception {
    PrometheusExporter e = start(config(Map.of(), "", false, false));
    await(e.consume(batch(gauge("old.gauge", T0_NANOS, 1, 0))));
    clock.addAndGet(Duration.ofMinutes(3).toMillis());
    await(e.consume(batch(gauge("new.gauge", T0_NANOS, 2, 0))));
    clock.addAndGet(Duration.ofMinutes(3).toMillis());

    String page = text(scrape(null, null));

    assertThat(page).contains("new_gauge{").doesNotContain("old_gauge");
    assertThat(await(e.seriesCount())).isEqualTo(2); // new_gauge and target_info
  }

  @Test
  void aStaleMarkerRemovesTheSeriesInsteadOfExposingNaN() throws Exception {
    PrometheusExporter e = start(config(Map.of(), "", false, false));
    await(e.consume(batch(gauge("queue.size", T0_NANOS, 7.5, 0))));
    assertThat(text(scrape(null, null))).contains("queue_size{");

    await(e.consume(batch(gauge("queue.size", T0_NANOS + 1_000_000_000L, 0, 1))));

    String page = text(scrape(null, null));
    assertThat(page).doesNotContain("queue_size").doesNotContain("NaN");
  }

  @Test
  void aStaleHistogramRemovesAllItsSeries() throws Exception {
    PrometheusExporter e = start(config(Map.of(), "", false, false));
    await(e.consume(batch(histogram(T0_NANOS, 0))));
    assertThat(text(scrape(null, null))).contains("http_server_duration_milliseconds_bucket");

    await(e.consume(batch(histogram(T0_NANOS + 1_000_000_000L, 1))));

    assertThat(text(scrape(null, null))).doesNotContain("http_server_duration_milliseconds");
  }

  @Test
  void answers404OffTheMetricsPath() throws Exception {
    start(config(Map.of(), "", false, false));

    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/other"))
        .build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(404);
  }

  @Test
  void thePageParsesWithPromtool() throws Exception {
    Path promtool = Path.of("/usr/bin/promtool");
    Assumptions.assumeTrue(Files.isExecutable(promtool), "promtool is not installed");
    PrometheusExporter e = start(config(Map.of("region", "eu"), "", true, false));
    await(e.consume(batch(allTypes(T0_NANOS, 42))));
    byte[] page = scrape(null, null).body();

    Process p = new ProcessBuilder(promtool.toString(), "check", "metrics").redirectErrorStream(true).start();
    try (var in = p.getOutputStream()) {
      in.write(page);
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(20, TimeUnit.SECONDS)).isTrue();

    assertThat(out).doesNotContainIgnoringCase("error");
    assertThat(p.exitValue()).as(out).isIn(0, 3); // 3: lint warnings only
  }

  // ---- helpers

  @Test
  void servesMetricsOverTlsWhenConfigured(@TempDir Path dir) throws Exception {
    TestCertificates certs = TestCertificates.newCa(dir, "test-ca");
    TestCertificates.Issued server = certs.server("server");
    PrometheusExporterConfig c = config(Map.of(), "", false, false);
    PrometheusExporter e = start(new PrometheusExporterConfig(c.endpoint(), "", Map.of(), false, c.metricExpiration(),
        c.resourceToTelemetryConversion(), false, true,
        TlsServerSettings.ofFiles(server.certFile().toString(), server.keyFile().toString())));
    await(e.consume(batch(gauge("queue.size", T0_NANOS, 7.5, 0))));

    HttpClient https = HttpClient.newBuilder().sslContext(certs.clientContext(null)).build();
    HttpResponse<String> r = https.send(HttpRequest.newBuilder(URI.create("https://localhost:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).contains("queue_size{");
  }

  private PrometheusExporterConfig config(Map<String, String> constLabels, String namespace, boolean timestamps,
      boolean openMetrics) {
    port = Ports.freePort();
    return new PrometheusExporterConfig("127.0.0.1:" + port, namespace, constLabels, timestamps,
        Duration.ofMinutes(5), new PrometheusExporterConfig.ResourceToTelemetryConversion(false), openMetrics, true);
  }

  private PrometheusExporter start(PrometheusExporterConfig config) throws Exception {
    PrometheusExporter e = new PrometheusExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
        "prometheus", selfMetrics), config, clock::get);
    exporters.add(e);
    await(e.start());
    return e;
  }

  private HttpResponse<byte[]> scrape(String accept, String encoding) throws IOException, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
        .timeout(Duration.ofSeconds(5));
    if (accept != null) {
      b.header("Accept", accept);
    }
    if (encoding != null) {
      b.header("Accept-Encoding", encoding);
    }
    HttpResponse<byte[]> r = http.send(b.build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(r.statusCode()).isEqualTo(200);
    return r;
  }

  /** The common labels with {@code le} in its sorted place. */
  private static String withLe(String le) {
    return "instance=\"svc-1\",job=\"svc\",le=\"" + le + "\",otel_scope_name=\"io.sluice.test\","
        + "otel_scope_version=\"1.0.0\"";
  }

  private static String text(HttpResponse<byte[]> r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  private static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static Batch batch(Metric... metrics) {
    ResourceMetrics rm = ResourceMetrics.newBuilder().setResource(TestData.resource("svc"))
        .addScopeMetrics(ScopeMetrics.newBuilder().setScope(TestData.scope()).addAllMetrics(List.of(metrics)))
        .build();
    return Batch.metrics(List.of(rm), Envelope.of(ComponentId.of("otlp")));
  }

  static Metric[] allTypes(long tNanos, double counterValue) {
    return new Metric[] {counter(tNanos, counterValue), gauge("queue.size", tNanos, 7.5, 0)[0],
        histogram(tNanos, 0)[0], summary(tNanos)};
  }

  private static Metric counter(long tNanos, double value) {
    KeyValue method = attr("method", "GET");
    KeyValue path = attr("path", "/a\"b\\c\nd");
    return Metric.newBuilder().setName("http.requests").setUnit("1")
        .setDescription("Requests \\ served\nper \"method\"")
        .setSum(Sum.newBuilder().setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(NumberDataPoint.newBuilder().addAttributes(method).addAttributes(path)
                .setStartTimeUnixNano(tNanos - 60_000_000_000L).setTimeUnixNano(tNanos).setAsDouble(value)))
        .build();
  }

  private static Metric[] gauge(String name, long tNanos, double value, int flags) {
    return new Metric[] {Metric.newBuilder().setName(name).setUnit("{items}")
        .setGauge(Gauge.newBuilder().addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(tNanos)
            .setAsDouble(value).setFlags(flags)))
        .build()};
  }

  private static Metric[] histogram(long tNanos, int flags) {
    return new Metric[] {Metric.newBuilder().setName("http.server.duration").setUnit("ms")
        .setDescription("Request duration")
        .setHistogram(Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addDataPoints(HistogramDataPoint.newBuilder().setStartTimeUnixNano(tNanos - 60_000_000_000L)
                .setTimeUnixNano(tNanos).setCount(6).setSum(500).addExplicitBounds(10).addExplicitBounds(100)
                .addBucketCounts(1).addBucketCounts(2).addBucketCounts(3).setFlags(flags)))
        .build()};
  }

  private static Metric summary(long tNanos) {
    return Metric.newBuilder().setName("rpc.latency").setUnit("s")
        .setSummary(Summary.newBuilder().addDataPoints(SummaryDataPoint.newBuilder()
            .setStartTimeUnixNano(tNanos - 60_000_000_000L).setTimeUnixNano(tNanos).setCount(10).setSum(3.5)
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(0.2))
            .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.99).setValue(1.25))))
        .build();
  }
}
