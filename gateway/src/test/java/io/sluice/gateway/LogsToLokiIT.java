package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.testkit.VictoriaLogsServer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A gateway taking OTLP logs over HTTP, batching them and pushing them with the {@code loki}
 * exporter to a real VictoriaLogs (Loki's push API): every line comes back from a LogsQL query
 * with its stream labels and structured metadata.
 */
class LogsToLokiIT {
  private static final String CONFIG = """
      receivers:
        otlp:
          protocols:
            http:
              endpoint: 127.0.0.1:${env:OTLP_HTTP}
      processors:
        batch:
          timeout: 100ms
      exporters:
        loki:
          endpoint: ${env:LOKI}
          tenant: "12"
          default_labels_enabled:
            exporter: false
          labels:
            resource:
              deployment.environment: env
            attributes:
              http.route: ""
          sending_queue:
            num_consumers: 4
      service:
        telemetry:
          metrics:
            address: 127.0.0.1:${env:METRICS}
        pipelines:
          logs:
            receivers: [otlp]
            processors: [batch]
            exporters: [loki]
      """;

  @TempDir Path dir;

  @Test
  void otlpLogsReachLokiWithTheirLabelsAndMetadata() throws Exception {
    int http = Ports.freePort();
    try (VictoriaLogsServer vl = VictoriaLogsServer.start(); TestVertx tv = TestVertx.create()) {
      Path file = GatewayFixtures.writeConfig(dir, "logs-loki.yaml", CONFIG);
      Gateway gateway = GatewayFixtures.start(tv.vertx(), file, Map.of("OTLP_HTTP", Integer.toString(http),
          "LOKI", vl.lokiPushUrl(), "METRICS", Integer.toString(Ports.freePort())));
      String run = "run-" + System.nanoTime();
      long t0 = System.currentTimeMillis() * 1_000_000L - Duration.ofMinutes(1).toNanos();
      Set<String> sent = new HashSet<>();
      int requests = 20;
      int perRequest = 25;
      try {
        for (int q = 0; q < requests; q++) {
          ScopeLogs.Builder sl = ScopeLogs.newBuilder();
          for (int i = 0; i < perRequest; i++) {
            int n = q * perRequest + i;
            String line = run + " line " + n;
            sent.add(line);
            sl.addLogRecords(LogRecord.newBuilder().setTimeUnixNano(t0 + n)
                .setSeverityNumber(n % 3 == 0 ? SeverityNumber.SEVERITY_NUMBER_WARN : SeverityNumber.SEVERITY_NUMBER_INFO)
                .setBody(AnyValue.newBuilder().setStringValue(line))
                .addAttributes(kv("http.route", "/r" + (n % 2)))
                .addAttributes(kv("user.id", "u" + n)));
          }
          ExportLogsServiceRequest req = ExportLogsServiceRequest.newBuilder().addResourceLogs(ResourceLogs.newBuilder()
              .setResource(Resource.newBuilder().addAttributes(kv("service.name", "checkout"))
                  .addAttributes(kv("deployment.environment", "it")).addAttributes(kv("run", run)))
              .addScopeLogs(sl)).build();
          assertThat(GatewayFixtures.post(http, "/v1/logs", "application/x-protobuf", req.toByteArray())
              .statusCode()).isEqualTo(200);
        }
      } finally {
        gateway.shutdown(Duration.ofSeconds(30));
      }

      int total = requests * perRequest;
      List<Map<String, String>> rows = new ArrayList<>();
      Awaitility.await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() -> {
        rows.clear();
        rows.addAll(vl.query("{job=\"checkout\"} AND run:=\"" + run + "\"", "12"));
        return rows.size() >= total;
      });
      assertThat(rows).hasSize(total);
      Set<String> got = new HashSet<>();
      for (Map<String, String> r : rows) {
        got.add(r.get("_msg"));
        int n = Integer.parseInt(r.get("_msg").substring(r.get("_msg").lastIndexOf(' ') + 1));
        assertThat(r).containsEntry("job", "checkout").containsEntry("env", "it")
            .containsEntry("http_route", "/r" + (n % 2)).containsEntry("level", n % 3 == 0 ? "warn" : "info")
            .containsEntry("user_id", "u" + n).containsEntry("run", run).doesNotContainKey("exporter");
        Instant t = Instant.parse(r.get("_time"));
        assertThat(t.getEpochSecond() * 1_000_000_000L + t.getNano()).isEqualTo(t0 + n);
      }
      assertThat(got).isEqualTo(sent);
    }
  }

  private static KeyValue kv(String k, String v) {
    return KeyValue.newBuilder().setKey(k).setValue(AnyValue.newBuilder().setStringValue(v)).build();
  }
}
