package io.sluice.core.health;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Extension;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HealthCheckExtensionTest {
  private final TestVertx tv = TestVertx.create();
  private final HttpClient client = HttpClient.newHttpClient();
  private final SelfMetrics metrics = new SelfMetrics();
  private Extension health;

  @AfterEach
  void tearDown() throws Exception {
    if (health != null) {
      health.shutdown().await(5, TimeUnit.SECONDS);
    }
    tv.close();
  }

  private int start(String yaml) throws Exception {
    int port = Ports.freePort();
    HealthCheckExtensionFactory f = new HealthCheckExtensionFactory();
    HealthCheckConfig c = ConfigLoader.bindComponent(f, "endpoint: 127.0.0.1:" + port + "\n" + yaml);
    health = f.create(TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, "health_check", metrics), c);
    health.start().await(5, TimeUnit.SECONDS);
    return port;
  }

  private HttpResponse<String> get(int port, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersWithTheConfiguredBodiesOnTheConfiguredPath() throws Exception {
    int port = start("""
        path: /health/status
        response_body:
          healthy: I'm OK
          unhealthy: I'm dead
        """);

    HttpResponse<String> r = get(port, "/health/status");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("I'm OK");
    assertThat(get(port, "/").statusCode()).isEqualTo(404);
  }

  @Test
  void exporterFailuresPastTheThresholdInAnIntervalMakeItUnhealthyUntilAQuietInterval() throws Exception {
    int port = start("""
        check_collector_pipeline:
          enabled: true
          interval: 200ms
          exporter_failure_threshold: 5
        response_body:
          healthy: ok
          unhealthy: exporters failing
        """);
    SelfMetrics.ExporterMetrics exporter = metrics.exporter(ComponentId.parse("otlp/out"));

    exporter.sendFailed(Signal.TRACES, 3); // under the threshold
    Awaitility.await().during(Duration.ofMillis(450)).atMost(Duration.ofSeconds(5))
        .until(() -> get(port, "/").statusCode() == 200);
    exporter.sendFailed(Signal.TRACES, 50);

    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> get(port, "/").statusCode() == 503);
    assertThat(get(port, "/healthz").body()).isEqualTo("exporters failing");
    Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> get(port, "/").statusCode() == 200);
  }

  @Test
  void aPipelineCheckWithoutAPositiveIntervalIsAConfigError() {
    HealthCheckConfig c = new HealthCheckConfig("127.0.0.1:13133", "/", null, null,
        new HealthCheckConfig.PipelineCheck(true, Duration.ZERO, 0));
    assertThat(c.validate()).extracting(io.sluice.core.ConfigProblem::path).containsExactlyInAnyOrder(
        "check_collector_pipeline.interval", "check_collector_pipeline.exporter_failure_threshold");
  }
}
