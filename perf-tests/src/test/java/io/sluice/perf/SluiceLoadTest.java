package io.sluice.perf;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.testkit.kafka.KafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sluice-load run} for a few seconds: through a real gateway process to the harness's
 * counting sink, which drops one batch it acknowledged; logs and metrics through the gateway's Loki
 * and remote write exporters to the sink's endpoints for those; spans through its Kafka exporter,
 * read back from the topic, with a record lost; and straight to its own sink over OTLP/HTTP, for the HTML report.
 */
class SluiceLoadTest {
  @TempDir Path dir;

  @Test
  void theReportNamesTheStreamAndNumbersOfABatchTheBackendLost() throws Exception {
    int otlp = Reports.freePort();
    int sink = Reports.freePort();
    // No batch processor: each request reaches the sink as it was sent, so the dropped batch is one
    // request of one stream.
    Path config = gatewayConfig(otlp, """
        exporters:
          otlp:
            endpoint: 127.0.0.1:%d
            tls:
              insecure: true
        """.formatted(sink), """
        traces:
          receivers: [otlp]
          exporters: [otlp]
        """);
    Run run;
    try (ServerProcess gateway = startGateway(config)) {
      run = run("run", "--endpoint", "127.0.0.1:" + otlp, "--rate", "2000", "--duration", "3s",
          "--batch", "50", "--streams", "3", "--sink", Integer.toString(sink), "--sink-drop", "7",
          "--drain", "20s", "--report", dir.resolve("report").toString());
      assertThat(run.code).as("exit code; stderr:%n%s%ngateway log:%n%s", run.err, gateway.logTail(30)).isZero();
    }
    String md = Files.readString(dir.resolve("report").resolve("report.md"));
    assertThat(run.out).as("the report is printed too").isEqualTo(md);
    // What the sink threw away, by its own separate account ...
    Matcher dropped = Pattern.compile("threw away stream (\\d+): (\\d+)\\.\\.(\\d+)\\.").matcher(md);
    assertThat(dropped.find()).as("the report says what the sink dropped:%n%s", md).isTrue();
    int stream = Integer.parseInt(dropped.group(1));
    int first = Integer.parseInt(dropped.group(2));
    int last = Integer.parseInt(dropped.group(3));
    assertThat(last - first + 1).as("one batch of 50 spans").isEqualTo(50);
    assertThat(first % 50).as("a batch starts at a multiple of the batch size").isZero();
    // ... is exactly what the ledger reports lost: acknowledged by the gateway, never delivered.
    assertThat(md).as(md)
        .contains("- LOST: stream " + stream + ", items " + first + ".." + last + " (50 spans)\n")
        .containsOnlyOnce("- LOST:")
        .contains("In all: 50 lost, 0 duplicated,")
        .contains("| Refused | 0 |");
    assertThat(Files.size(dir.resolve("report").resolve("latency.hlog"))).isPositive();
  }

  @Test
  void logsThroughLokiAndMetricsThroughRemoteWriteAreCountedByTheirIds() throws Exception {
    int otlp = Reports.freePort();
    int sink = Reports.freePort();
    Path config = gatewayConfig(otlp, """
        processors:
          batch:
        exporters:
          loki:
            endpoint: http://127.0.0.1:%d/loki/api/v1/push
          prometheusremotewrite:
            endpoint: http://127.0.0.1:%d/api/v1/write
        """.formatted(sink, sink), """
        logs:
          receivers: [otlp]
          processors: [batch]
          exporters: [loki]
        metrics:
          receivers: [otlp]
          processors: [batch]
          exporters: [prometheusremotewrite]
        """);
    try (ServerProcess gateway = startGateway(config)) {
      for (String signal : List.of("logs", "metrics")) {
        Run run = run("run", "--endpoint", "127.0.0.1:" + otlp, "--signal", signal, "--rate", "1000",
            "--duration", "2s", "--batch", "20", "--sink-http", Integer.toString(sink), "--drain", "20s",
            "--report", dir.resolve("report-" + signal).toString());
        assertThat(run.code).as("%s: exit code; stderr:%n%s%ngateway log:%n%s", signal, run.err,
            gateway.logTail(30)).isZero();
        Matcher acknowledged = Pattern.compile("\\| Acknowledged \\| ([0-9,]+) \\|").matcher(run.out);
        assertThat(acknowledged.find()).as(run.out).isTrue();
        assertThat(Integer.parseInt(acknowledged.group(1).replace(",", ""))).as("%s acknowledged", signal)
            .isGreaterThan(500);
        assertThat(run.out).as(run.out)
            .contains("In all: 0 lost, 0 duplicated,")
            .doesNotContain("- LOST:");
        if (signal.equals("logs")) {
          // (remote write adds a target_info sample per resource, which has no number)
          assertThat(run.out).as(run.out).doesNotContain("without this run's numbers");
        }
      }
    }
  }

  @Test
  void spansThroughTheKafkaExporterAreReadFromTheTopicAndALostRecordIsNamed() throws Exception {
    String bootstrap = KafkaBroker.shared().bootstrap();
    int otlp = Reports.freePort();
    Path config = kafkaConfig(otlp, bootstrap, "load_spans");
    Run run;
    try (ServerProcess gateway = startGateway(config)) {
      run = run("run", "--endpoint", "127.0.0.1:" + otlp, "--rate", "1000", "--duration", "2s", "--batch", "20",
          "--sink-kafka", bootstrap, "--sink-topic", "load_spans", "--sink-drop", "3", "--drain", "30s",
          "--report", dir.resolve("report").toString());
      assertThat(run.code).as("exit code; stderr:%n%s%ngateway log:%n%s", run.err, gateway.logTail(30)).isZero();
    }
    Matcher dropped = Pattern.compile("threw away stream (\\d+): (\\d+\\.\\.\\d+)\\.").matcher(run.out);
    assertThat(dropped.find()).as("the report says which record the sink dropped:%n%s", run.out).isTrue();
    assertThat(run.out).as(run.out)
        .contains("- LOST: stream " + dropped.group(1) + ", items " + dropped.group(2) + " (20 spans)\n")
        .containsOnlyOnce("- LOST:")
        .contains("In all: 20 lost, 0 duplicated,")
        .doesNotContain("without this run's numbers");
  }

  @Test
  void theStandaloneSinkReadsTheKafkaTopicAndCountsEverySpanTheGatewayAcknowledged() throws Exception {
    String bootstrap = KafkaBroker.shared().bootstrap();
    int otlp = Reports.freePort();
    Path config = kafkaConfig(otlp, bootstrap, "sink_spans");
    long acknowledged;
    try (ServerProcess gateway = startGateway(config)) {
      Run run = run("run", "--endpoint", "127.0.0.1:" + otlp, "--rate", "1000", "--duration", "2s", "--batch", "20",
          "--report", dir.resolve("report").toString());
      assertThat(run.code).as("exit code; stderr:%n%s%ngateway log:%n%s", run.err, gateway.logTail(30)).isZero();
      Matcher m = Pattern.compile("\\| Acknowledged \\| ([0-9,]+) \\|").matcher(run.out);
      assertThat(m.find()).as(run.out).isTrue();
      acknowledged = Long.parseLong(m.group(1).replace(",", ""));
      assertThat(acknowledged).isGreaterThan(1000);
    }
    // The sink alone, as a user runs it beside a gateway fed by another sender: until it has them all.
    BackgroundCommand sink = new BackgroundCommand("sink", "--otlp", "0", "--host", "127.0.0.1", "--kafka",
        bootstrap, "--topic", "sink_spans", "--duration", "60s");
    Pattern delivered = Pattern.compile("delivered ([0-9,]+)");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    long seen = 0;
    while (seen < acknowledged) {
      assertThat(System.nanoTime() - deadline).as("the sink's progress:%n%s", sink.err()).isNegative();
      Thread.sleep(100);
      Matcher m = delivered.matcher(sink.err());
      while (m.find()) {
        seen = Long.parseLong(m.group(1).replace(",", ""));
      }
    }
    sink.interrupt();
    assertThat(sink.await(Duration.ofSeconds(20))).as("exit code, after stopping and reporting; stderr:%n%s",
        sink.err()).isZero();
    String report = sink.out();
    assertThat(sink.err()).contains("reading topic sink_spans at " + bootstrap);
    assertThat(report).as(report).startsWith("# sluice-load sink report")
        .contains(String.format(Locale.ROOT, "%,d items (0 without numbers)", acknowledged))
        .doesNotContain("MISSING");
  }

  @Test
  void theHtmlReportIsOneFileThatLoadsNothingFromElsewhere() throws Exception {
    int port = Reports.freePort();
    Run run = run("run", "--protocol", "http", "--endpoint", "127.0.0.1:" + port, "--signal", "logs",
        "--rate", "1000", "--duration", "2s", "--sink-http", Integer.toString(port), "--report",
        dir.resolve("report").toString());
    assertThat(run.code).as("exit code; stderr:%n%s", run.err).isZero();
    assertThat(run.err).as("a progress line a second").contains("log records/s accepted", "p99");
    assertThat(run.out).contains("In all: 0 lost, 0 duplicated,");

    String html = Files.readString(dir.resolve("report").resolve("report.html"));
    assertThat(html).contains("<html", "new uPlot(", LoadReport.uplot("uPlot.min.css"))
        .contains(LoadReport.uplot("uPlot.iife.min.js").substring(0, 200))
        .contains("\"items\":\"log records\"");
    // Nothing is fetched: no script, style sheet or image from a file or an address, no CSS import.
    assertThat(html).doesNotContainPattern("(?i)<script[^>]*\\bsrc\\s*=")
        .doesNotContainPattern("(?i)<link\\b")
        .doesNotContainPattern("(?i)<img\\b")
        .doesNotContainPattern("(?i)\\burl\\s*\\(")
        .doesNotContainPattern("(?i)@import")
        .doesNotContainPattern("(?i)\\bfetch\\s*\\(|XMLHttpRequest");
    // The only address in the page's code is in uPlot's licence comment; the summary names the target.
    String code = html.replaceAll("(?s)/\\*!.*?\\*/", "").replaceAll("(?s)<pre>.*?</pre>", "");
    assertThat(code).doesNotContain("://");
  }

  /**
   * A gateway config: the OTLP/gRPC receiver on {@code otlp}, self-metrics on a free port, the
   * top-level {@code components} (processors, exporters) and the {@code pipelines}.
   */
  private Path gatewayConfig(int otlp, String components, String pipelines) throws IOException {
    return TestGateway.config(dir, """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:%d
        %s""".formatted(otlp, components), pipelines);
  }

  /** A gateway config: OTLP/gRPC spans on {@code otlp} into {@code topic} through the kafka exporter. */
  private Path kafkaConfig(int otlp, String bootstrap, String topic) throws IOException {
    return gatewayConfig(otlp, """
        exporters:
          kafka:
            brokers: [%s]
            traces:
              topic: %s
        """.formatted(bootstrap, topic), """
        traces:
          receivers: [otlp]
          exporters: [kafka]
        """);
  }

  private ServerProcess startGateway(Path config) throws Exception {
    return TestGateway.start(dir, config);
  }

  private record Run(int code, String out, String err) {}

  private static Run run(String... args) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      code = SluiceLoad.run(args, o, e);
    }
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }
}
