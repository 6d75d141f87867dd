package io.sluice.exporter.loki;

import static io.sluice.core.testkit.TestData.attr;
import static io.sluice.exporter.loki.LokiExporterTest.batch;
import static io.sluice.exporter.loki.LokiExporterTest.record;
import static io.sluice.exporter.loki.LokiExporterTest.resource;
import static io.sluice.exporter.loki.LokiExporterTest.resourceLogs;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.sluice.core.ComponentKind;
import io.sluice.core.Exporter;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.testkit.VictoriaLogsServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The exporter against a real VictoriaLogs, which takes Loki's push API: every line pushed is
 * queried back with LogsQL, with its labels, its structured metadata and its time.
 */
class LokiExporterVictoriaLogsIT {
  private static VictoriaLogsServer vl;

  @BeforeAll
  static void startVictoriaLogs() throws Exception {
    LokiExporterTest.warmUpTheJvm();
    vl = VictoriaLogsServer.start();
  }

  @AfterAll
  static void stopVictoriaLogs() {
    if (vl != null) {
      vl.close();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"protobuf", "json"})
  void everyLinePushedIsQueriedBackWithItsLabelsMetadataAndTime(String encoding) throws Exception {
    String run = encoding + "-" + System.nanoTime();
    String tenant = encoding.equals("json") ? "7" : "";
    long t0 = System.currentTimeMillis() * 1_000_000L - Duration.ofMinutes(5).toNanos();
    int services = 3;
    int perBatch = 50;
    int batches = 8;
    try (TestVertx tv = TestVertx.create()) {
      LokiExporterConfig config = new LokiExporterConfig(vl.lokiPushUrl(), encoding, Map.of(), tenant, null,
          new LokiExporterConfig.Labels(Map.of("run.id", ""), Map.of()), "raw", 100, Duration.ofMinutes(30),
          Duration.ofSeconds(10), null, null, new QueueSettings(true, 4, 100), RetrySettings.defaults());
      Exporter e = new LokiExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
          "loki/vl"), config);
      e.start().await(30, TimeUnit.SECONDS);
      Set<String> sent = new HashSet<>();
      for (int b = 0; b < batches; b++) {
        List<ResourceLogs> rls = new ArrayList<>();
        for (int s = 0; s < services; s++) {
          LogRecord[] records = new LogRecord[perBatch];
          for (int i = 0; i < perBatch; i++) {
            int n = (b * services + s) * perBatch + i;
            String line = "GET /items/" + n + " 200 in " + (n % 97) + " ms";
            sent.add(line);
            // Every fourth record is an error: its own stream (level="error").
            records[i] = record(t0 + n * 1000L, n % 4 == 0 ? "ERROR" : "INFO", line, attr("request.n", n));
          }
          rls.add(resourceLogs(resource("svc-" + s, "shop", "", attr("run.id", run)), records));
        }
        e.consume(batch(rls.toArray(ResourceLogs[]::new))).await(30, TimeUnit.SECONDS);
      }
      e.shutdown().await(30, TimeUnit.SECONDS);

      int total = services * perBatch * batches;
      List<Map<String, String>> rows = new ArrayList<>();
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
        rows.clear();
        rows.addAll(vl.query("{run_id=\"" + run + "\"}", tenant.isEmpty() ? "0" : tenant));
        return rows.size() >= total;
      });

      assertThat(rows).hasSize(total);
      Set<String> got = new HashSet<>();
      for (Map<String, String> r : rows) {
        got.add(r.get("_msg"));
        int n = Integer.parseInt(r.get("request_n"));
        assertThat(r.get("_msg")).isEqualTo("GET /items/" + n + " 200 in " + (n % 97) + " ms");
        int service = n / perBatch % services;
        assertThat(r).containsEntry("exporter", "OTLP").containsEntry("job", "shop/svc-" + service)
            .containsEntry("run_id", run).containsEntry("level", n % 4 == 0 ? "error" : "info")
            .containsEntry("service_name", "svc-" + service).containsEntry("scope_name", "io.sluice.test")
            .containsEntry("trace_id", "0102030405060708090a0b0c0d0e0f10").containsEntry("span_id", "1112131415161718");
        assertThat(r.get("_stream")).contains("job=\"shop/svc-" + service + "\"").contains("run_id=\"" + run + "\"");
        long nanos = java.time.Instant.parse(r.get("_time")).getEpochSecond() * 1_000_000_000L
            + java.time.Instant.parse(r.get("_time")).getNano();
        assertThat(nanos).isEqualTo(t0 + n * 1000L);
      }
      assertThat(got).isEqualTo(sent);
      if (!tenant.isEmpty()) {
        assertThat(vl.query("{run_id=\"" + run + "\"}", "0")).as("nothing under the default tenant").isEmpty();
      }
    }
  }
}
