package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.sluice.core.service.ServiceGraph.ReloadSummary;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestCertificates;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Gateway#reload} applies a config by difference: what did not change keeps running with
 * its state while load runs across the reload, and a changed listener hands its port over.
 */
class ReloadByDifferenceTest {
  private static final String TRACES = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:GRPC}
              max_recv_msg_size_mib: ${env:RECV_MIB}
            http:
              endpoint: 127.0.0.1:${env:HTTP}
      processors:
        batch:
          timeout: ${env:BATCH}
      exporters:
        file:
          path: ${env:OUT}
      service:
        telemetry:
          metrics:
            level: none
        pipelines:
          traces:
            receivers: [otlp]
            processors: [batch]
            exporters: [file]
      """;

  private static final String TAIL_SAMPLING = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:GRPC}
      processors:
        tail_sampling:
          decision_wait: 3s
          policies:
            - name: everything
              type: always_sample
      exporters:
        file:
          path: ${env:OUT}
      service:
        telemetry:
          metrics:
            level: none
        pipelines:
          traces:
            receivers: [otlp]
            processors: [tail_sampling]
            exporters: [file]
      """;

  /**
   * The prometheus receiver scrapes the gateway's own metrics endpoint (a real target) as two
   * jobs; the tests change the exporter, or the interval of job "other".
   */
  private static final String TWO_JOBS = """
      receivers:
        prometheus:
          config:
            global:
              scrape_interval: 250ms
              scrape_timeout: 200ms
            scrape_configs:
              - job_name: self
                static_configs:
                  - targets: ["127.0.0.1:${env:METRICS}"]
              - job_name: other
                scrape_interval: ${env:INTERVAL}
                static_configs:
                  - targets: ["127.0.0.1:${env:METRICS}"]
      exporters:
        file:
          path: ${env:OUT}
      service:
        telemetry:
          metrics:
            address: 127.0.0.1:${env:METRICS}
        pipelines:
          metrics:
            receivers: [prometheus]
            exporters: [file]
      """;

  private static final String FILELOG = """
      receivers:
        filelog:
          include: ["${env:LOGS}/*.log"]
          start_at: beginning
          poll_interval: 50ms
      exporters:
        file:
          path: ${env:OUT}
      service:
        telemetry:
          metrics:
            level: none
        pipelines:
          logs:
            receivers: [filelog]
            exporters: [file]
      """;

  @TempDir Path dir;

  /** Event loops blocked for over a second (the cold scrape client's first request takes 200+ ms on a busy machine). */
  private final List<String> blocked = new CopyOnWriteArrayList<>();
  private Vertx vertx;
  private Gateway gateway;
  private TraceSender sender;
  private Path config;
  private final Map<String, String> env = new HashMap<>();

  @BeforeEach
  void ports() {
    env.put("GRPC", String.valueOf(Ports.freePort()));
    env.put("HTTP", String.valueOf(Ports.freePort()));
    env.put("METRICS", String.valueOf(Ports.freePort()));
    env.put("RECV_MIB", "4");
    env.put("BATCH", "50ms");
    env.put("INTERVAL", "250ms");
    env.put("OUT", file("first").toString());
  }

  @AfterEach
  void stop() throws Exception {
    if (sender != null) {
      sender.close();
    }
    if (gateway != null) {
      gateway.shutdown(Duration.ofSeconds(10));
    }
    if (vertx != null) {
      vertx.close().await(10, TimeUnit.SECONDS);
    }
    assertThat(blocked).as("event loops blocked for more than a second").isEmpty();
  }

  private Path file(String name) {
    return dir.resolve(name + ".jsonl");
  }

  private void start(String yaml) throws Exception {
    config = GatewayFixtures.writeConfig(dir, "sluice.yaml", yaml);
    gateway = GatewayFixtures.start(vertx(), config, env);
  }

  private ReloadSummary reload() throws Exception {
    return gateway.reload(Configs.load(List.of(config), Map.copyOf(env)), Duration.ofSeconds(30));
  }

  private Set<String> lost() {
    Set<String> lost = new HashSet<>(sender.acked());
    lost.removeAll(OtlpFlat.spanIdsInFile(file("first")));
    lost.removeAll(OtlpFlat.spanIdsInFile(file("second")));
    return lost;
  }

  @Test
  void anUnchangedReceiverKeepsAcceptingWhileItsProcessorAndExporterAreReplaced() throws Exception {
    start(TRACES);
    sender = TraceSender.to(Integer.parseInt(env.get("GRPC")), "unchanged-receiver").start();
    await().atMost(Duration.ofSeconds(20)).until(() -> sender.requestsAcked() >= 50);

    env.put("OUT", file("second").toString());
    env.put("BATCH", "80ms");
    ReloadSummary summary = reload();
    long afterReload = sender.requestsAcked();
    await("acknowledged through the new exporter").atMost(Duration.ofSeconds(20))
        .until(() -> sender.requestsAcked() >= afterReload + 50);
    sender.stop();
    gateway.shutdown(Duration.ofSeconds(10));

    assertThat(summary.kept()).containsExactly("receiver 'otlp'");
    assertThat(summary.replaced()).containsExactlyInAnyOrder("exporter 'file'", "processor 'batch' of pipeline 'traces'");
    assertThat(sender.failures()).as("requests refused or failed across the reload").isEmpty();
    assertThat(OtlpFlat.spanIdsInFile(file("second"))).as("spans through the new exporter").isNotEmpty();
    assertThat(lost()).as("acknowledged spans in neither file").isEmpty();
  }

  @Test
  void aChangedReceiverHandsItsPortOverWithoutRefusingAConnection() throws Exception {
    start(TRACES);
    int grpc = Integer.parseInt(env.get("GRPC"));
    int http = Integer.parseInt(env.get("HTTP"));
    sender = TraceSender.to(grpc, "changed-receiver").start();
    await().atMost(Duration.ofSeconds(20)).until(() -> sender.requestsAcked() >= 50);
    AtomicBoolean connecting = new AtomicBoolean(true);
    AtomicLong connected = new AtomicLong();
    AtomicLong refused = new AtomicLong();
    Thread connector = new Thread(() -> {
      while (connecting.get()) {
        for (int port : new int[] {grpc, http}) {
          try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            connected.incrementAndGet();
          } catch (IOException e) { // refused, reset or timed out
            refused.incrementAndGet();
          }
        }
      }
    }, "reload-connector");
    connector.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> connected.get() >= 100);

    env.put("RECV_MIB", "8");
    ReloadSummary summary;
    try {
      summary = reload();
      long during = connected.get();
      await("connections after the reload").atMost(Duration.ofSeconds(10)).until(() -> connected.get() >= during + 100);
    } finally {
      connecting.set(false);
      connector.join(10_000);
    }
    long afterReload = sender.requestsAcked();
    await("acknowledged by the new receiver").atMost(Duration.ofSeconds(20))
        .until(() -> sender.requestsAcked() >= afterReload + 50);
    sender.stop();
    gateway.shutdown(Duration.ofSeconds(10));

    assertThat(summary.replaced()).containsExactly("receiver 'otlp'");
    assertThat(summary.kept()).containsExactlyInAnyOrder("exporter 'file'", "processor 'batch' of pipeline 'traces'");
    assertThat(refused.get()).as("connections refused (of %d made) while the receiver was replaced", connected.get())
        .isZero();
    // Requests that reach the old receiver on its old connections once it has begun to drain are
    // refused as retryable (the client sends them again, to the new one); nothing else fails.
    assertThat(sender.failures().keySet()).as("how requests failed while the receiver was replaced")
        .isSubsetOf(io.grpc.Status.Code.UNAVAILABLE);
    assertThat(lost()).as("acknowledged spans lost").isEmpty();
  }

  @Test
  void aReceiverThatTurnsTlsOnRestartsInPlaceAndServesTls() throws Exception {
    start(TRACES);
    int grpc = Integer.parseInt(env.get("GRPC"));
    sender = TraceSender.to(grpc, "tls-change");
    assertThat(sender.sendOnce().isOk()).as("plain gRPC before the reload").isTrue();

    // Not beside its old form: a TLS server that joined the plain server's socket would not
    // serve TLS. It stops first and starts again on the same port, with TLS.
    TestCertificates certs = TestCertificates.newCa(dir, "ca");
    TestCertificates.Issued server = certs.server("localhost");
    GatewayFixtures.writeConfig(dir, "sluice.yaml", TRACES.replace("max_recv_msg_size_mib: ${env:RECV_MIB}",
        "max_recv_msg_size_mib: ${env:RECV_MIB}\n        tls: {cert_file: " + server.certFile() + ", key_file: "
            + server.keyFile() + "}"));
    ReloadSummary summary = reload();

    assertThat(summary.replaced()).containsExactly("receiver 'otlp'");
    byte[] ca = certs.ca().certPem().getBytes(StandardCharsets.US_ASCII);
    assertThat(SecureReceiverTest.export(OtlpGrpcSpanExporter.builder().setEndpoint("https://localhost:" + grpc)
        .setTrustedCertificates(ca).build())).as("the SDK over TLS after the reload").isTrue();
    assertThat(sender.sendOnce().isOk()).as("plain gRPC after the reload").isFalse();
  }

  @Test
  void anExporterWithAPersistentQueueRestartsInPlaceOnItsFilesWithoutLosingData() throws Exception {
    // The sink: a second gateway that writes what it receives to a file.
    int sinkPort = Ports.freePort();
    Path sinkConfig = GatewayFixtures.writeConfig(dir, "sink.yaml", """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:%d
        exporters:
          file:
            path: %s
        service:
          telemetry:
            metrics:
              level: none
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [file]
        """.formatted(sinkPort, file("sink")));
    Gateway sink = GatewayFixtures.start(vertx(), sinkConfig, Map.of());
    try {
      env.put("SINK", String.valueOf(sinkPort));
      env.put("QUEUE", dir.resolve("queue").toString());
      env.put("TIMEOUT", "10s");
      start("""
          receivers:
            otlp:
              protocols:
                grpc:
                  endpoint: 127.0.0.1:${env:GRPC}
          exporters:
            otlp:
              endpoint: 127.0.0.1:${env:SINK}
              tls: {insecure: true}
              timeout: ${env:TIMEOUT}
              sending_queue: {storage: file_storage}
          extensions:
            file_storage:
              directory: ${env:QUEUE}
              create_directory: true
          service:
            extensions: [file_storage]
            telemetry:
              metrics:
                level: none
            pipelines:
              traces:
                receivers: [otlp]
                exporters: [otlp]
          """);
      sender = TraceSender.to(Integer.parseInt(env.get("GRPC")), "persistent-queue").start();
      await().atMost(Duration.ofSeconds(20)).until(() -> sender.requestsAcked() >= 50);

      env.put("TIMEOUT", "11s");
      ReloadSummary summary = reload();
      assertThat(summary.replaced()).containsExactly("exporter 'otlp'");
      long afterReload = sender.requestsAcked();
      await("acknowledged through the exporter's new form").atMost(Duration.ofSeconds(20))
          .until(() -> sender.requestsAcked() >= afterReload + 50);
      sender.stop();
      Set<String> acked = sender.acked();
      await("everything acknowledged reaches the sink").atMost(Duration.ofSeconds(30))
          .until(() -> OtlpFlat.spanIdsInFile(file("sink")).containsAll(acked));
    } finally {
      sink.shutdown(Duration.ofSeconds(10));
    }
  }

  /** The Vert.x of the gateway under test, made before it when a test needs it earlier. */
  private Vertx vertx() {
    if (vertx == null) {
      vertx = GatewayFixtures.lenientVertx(blocked);
    }
    return vertx;
  }

  @Test
  void tailSamplingStateSurvivesAReloadThatDoesNotTouchIt() throws Exception {
    start(TAIL_SAMPLING);
    sender = TraceSender.to(Integer.parseInt(env.get("GRPC")), "tail-sampling");
    assertThat(sender.sendOnce().isOk()).as("a trace sent before the reload").isTrue();
    Set<String> beforeReload = sender.acked();

    env.put("OUT", file("second").toString());
    ReloadSummary summary = reload();
    assertThat(summary.kept()).contains("processor 'tail_sampling' of pipeline 'traces'", "receiver 'otlp'");
    assertThat(summary.replaced()).containsExactly("exporter 'file'");

    // The trace waits out decision_wait in the kept processor, then goes to the new exporter. Had
    // the processor been replaced, its shutdown would have decided the trace into the old file.
    await("the trace decided after the reload").atMost(Duration.ofSeconds(20))
        .until(() -> OtlpFlat.spanIdsInFile(file("second")).containsAll(beforeReload));
    assertThat(OtlpFlat.spanIdsInFile(file("first"))).as("spans written by the replaced exporter").isEmpty();
  }

  @Test
  void anUnchangedFileTailerKeepsItsOffsetsAcrossAReload() throws Exception {
    Path logs = Files.createDirectories(dir.resolve("logs"));
    Path log = logs.resolve("app.log");
    env.put("LOGS", logs.toString());
    Files.writeString(log, lines(0, 50));
    start(FILELOG);
    await("lines before the reload").atMost(Duration.ofSeconds(20))
        .until(() -> bodies(file("first")).size() == 50);

    env.put("OUT", file("second").toString());
    ReloadSummary summary = reload();
    assertThat(summary.kept()).containsExactly("receiver 'filelog'");
    Files.writeString(log, lines(50, 100), StandardOpenOption.APPEND);
    await("lines after the reload").atMost(Duration.ofSeconds(20))
        .until(() -> bodies(file("second")).size() >= 50);

    // Kept, the tailer reads on from its offset: a restarted one (start_at: beginning, no storage)
    // would read the file again from its first line.
    assertThat(bodies(file("second"))).as("lines read after the reload").isEqualTo(
        lines(50, 100).lines().toList());
    assertThat(bodies(file("first"))).isEqualTo(lines(0, 50).lines().toList());
  }

  private static String lines(int from, int to) {
    StringBuilder b = new StringBuilder();
    for (int i = from; i < to; i++) {
      b.append("line ").append(i).append('\n');
    }
    return b.toString();
  }

  private static List<String> bodies(Path file) {
    return OtlpFlat.logsInFile(file).stream().map(l -> l.log().getBody().getStringValue()).toList();
  }

  @Test
  void aScrapeJobUntouchedByTheReloadWritesNoStaleMarkers() throws Exception {
    start(TWO_JOBS);
    await("scraped before the reload").atMost(Duration.ofSeconds(20))
        .until(() -> !OtlpFlat.pointsInFile(file("first")).isEmpty());

    env.put("OUT", file("second").toString());
    ReloadSummary summary = reload();
    assertThat(summary.kept()).containsExactly("receiver 'prometheus'");
    await("scraped into the new exporter").atMost(Duration.ofSeconds(20))
        .until(() -> points(file("second"), "self") > 0 && points(file("second"), "other") > 0);
    // The next test shows the same count finding the markers that a changed job leaves.
    assertThat(staleMarkers(file("first")) + staleMarkers(file("second")))
        .as("points marked stale by a reload that kept the scrape jobs").isZero();
  }

  @Test
  void aChangedPrometheusReceiverHandsItsUntouchedJobOverWithoutStaleMarkers() throws Exception {
    start(TWO_JOBS);
    await("both jobs scraped").atMost(Duration.ofSeconds(20)).until(() ->
        staleMarkers(file("first"), "self") == 0 && points(file("first"), "self") > 0
            && points(file("first"), "other") > 0);

    env.put("INTERVAL", "300ms");
    ReloadSummary summary = reload();
    assertThat(summary.replaced()).containsExactly("receiver 'prometheus'");
    assertThat(summary.kept()).containsExactly("exporter 'file'");
    long before = points(file("first"), "self");
    await("job self scraped by the new receiver").atMost(Duration.ofSeconds(20))
        .until(() -> points(file("first"), "self") > before + 10);

    // The changed job was stopped with the old receiver, which marks its series stale: the same
    // check finds markers there, and none for the job the reload did not touch.
    await("stale markers of the changed job").atMost(Duration.ofSeconds(20))
        .until(() -> staleMarkers(file("first"), "other") > 0);
    assertThat(staleMarkers(file("first"), "self")).as("points of job 'self' marked stale").isZero();
  }

  private static long points(Path file, String job) {
    return OtlpFlat.pointsInFile(file).stream().filter(p -> job.equals(job(p))).count();
  }

  private static long staleMarkers(Path file, String job) {
    return OtlpFlat.pointsInFile(file).stream().filter(p -> job.equals(job(p)) && isStale(p.metric())).count();
  }

  private static String job(OtlpFlat.FlatPoint p) {
    return OtlpFlat.resourceAttr(p.origin().resource(), "service.name");
  }

  /** Points with the no-recorded-value flag: how a scrape's staleness markers travel as OTLP. */
  private static long staleMarkers(Path file) {
    return OtlpFlat.pointsInFile(file).stream().filter(p -> isStale(p.metric())).count();
  }

  private static boolean isStale(Metric m) {
    return switch (m.getDataCase()) {
      case GAUGE -> m.getGauge().getDataPointsList().stream().anyMatch(p -> (p.getFlags() & 1) != 0);
      case SUM -> m.getSum().getDataPointsList().stream().anyMatch(p -> (p.getFlags() & 1) != 0);
      case HISTOGRAM -> m.getHistogram().getDataPointsList().stream().anyMatch(p -> (p.getFlags() & 1) != 0);
      case SUMMARY -> m.getSummary().getDataPointsList().stream().anyMatch(p -> (p.getFlags() & 1) != 0);
      default -> false;
    };
  }
}
