package io.sluice.exporter.prometheus;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.sluice.core.ComponentKind;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.PrometheusServer;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * A real Prometheus scrapes two exporters, one serving OpenMetrics and one the text format, and
 * its queries return the values the pipeline delivered.
 */
class PrometheusScrapeIT {
  private final HttpClient http = HttpClient.newHttpClient();

  @Test
  void prometheusScrapesBothFormatsAndQueriesReturnTheValues() throws Exception {
    try (TestVertx tv = TestVertx.create();
        PrometheusServer prom = PrometheusServer.start(List.of("--web.enable-lifecycle"))) {
      int omPort = Ports.freePort();
      int textPort = Ports.freePort();
      PrometheusExporter om = exporter(tv, omPort, true);
      PrometheusExporter text = exporter(tv, textPort, false);
      try {
        get(om.start());
        get(text.start());
        get(om.consume(PrometheusExporterTest.batch(PrometheusExporterTest.allTypes(
            PrometheusExporterTest.T0_NANOS, 42))));
        get(text.consume(PrometheusExporterTest.batch(PrometheusExporterTest.allTypes(
            PrometheusExporterTest.T0_NANOS, 43))));

        scrapeBoth(prom, omPort, textPort);

        for (Map.Entry<String, Double> job : Map.of("om", 42.0, "text", 43.0).entrySet()) {
          String sel = "{job=\"" + job.getKey() + "\",exported_job=\"svc\"}";
          await().atMost(Duration.ofSeconds(30)).untilAsserted(() ->
              assertThat(prom.query("http_requests_total" + sel)).singleElement()
                  .satisfies(s -> assertThat(s.value()).isEqualTo(job.getValue())));
          assertThat(prom.query("queue_size" + sel)).singleElement()
              .satisfies(s -> assertThat(s.value()).isEqualTo(7.5));
          assertThat(prom.query("http_server_duration_milliseconds_count" + sel)).singleElement()
              .satisfies(s -> assertThat(s.value()).isEqualTo(6.0));
          assertThat(prom.query("http_server_duration_milliseconds_sum" + sel)).singleElement()
              .satisfies(s -> assertThat(s.value()).isEqualTo(500.0));
          assertThat(prom.query("http_server_duration_milliseconds_bucket" + sel))
              .extracting(PrometheusServer.Sample::value).containsExactlyInAnyOrder(1.0, 3.0, 6.0);
          assertThat(prom.query("rpc_latency_seconds" + sel.replace("}", ",quantile=\"0.99\"}"))).singleElement()
              .satisfies(s -> assertThat(s.value()).isEqualTo(1.25));
          assertThat(prom.query("up{job=\"" + job.getKey() + "\"}")).singleElement()
              .satisfies(s -> assertThat(s.value()).isEqualTo(1.0));
        }
      } finally {
        get(om.shutdown());
        get(text.shutdown());
      }
    }
  }

  private static PrometheusExporter exporter(TestVertx tv, int port, boolean openMetrics) {
    PrometheusExporterConfig c = new PrometheusExporterConfig("127.0.0.1:" + port, "", Map.of(), false,
        Duration.ofMinutes(5), new PrometheusExporterConfig.ResourceToTelemetryConversion(false), openMetrics, true);
    return new PrometheusExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
        "prometheus/" + (openMetrics ? "om" : "text")), c, System::currentTimeMillis);
  }

  /**
   * Points the running Prometheus at the exporters: its config file (found through the flags
   * API) is rewritten with two scrape jobs and reloaded through the lifecycle API.
   */
  private void scrapeBoth(PrometheusServer prom, int omPort, int textPort) throws Exception {
    HttpResponse<String> flags = http.send(HttpRequest.newBuilder(URI.create(prom.baseUrl()
        + "/api/v1/status/flags")).build(), HttpResponse.BodyHandlers.ofString());
    String configFile = new ObjectMapper().readTree(flags.body()).path("data").path("config.file").asText();
    assertThat(configFile).isNotEmpty();
    Files.writeString(Path.of(configFile), """
        global:
          scrape_interval: 1s
          scrape_timeout: 1s
        scrape_configs:
          - job_name: om
            static_configs:
              - targets: ["127.0.0.1:%d"]
          - job_name: text
            static_configs:
              - targets: ["127.0.0.1:%d"]
        """.formatted(omPort, textPort));
    HttpResponse<String> reload = http.send(HttpRequest.newBuilder(URI.create(prom.baseUrl() + "/-/reload"))
        .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(reload.statusCode()).as(reload.body()).isEqualTo(200);
  }

  private static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
