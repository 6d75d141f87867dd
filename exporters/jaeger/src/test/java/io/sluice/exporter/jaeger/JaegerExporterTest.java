package io.sluice.exporter.jaeger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.jaegertracing.api_v2.Model;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestCertificates;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.exporter.otlp.OtlpExporterConfig.Keepalive;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exporter against a gRPC server that serves {@code PostSpans} and reads requests with the
 * published Jaeger model classes: what arrives per call, headers, TLS, and how each answer is
 * acted on (retried or not, counted).
 */
class JaegerExporterTest {
  private static final String ID = "jaeger/test";

  private TestVertx tv;
  private SelfMetrics metrics;
  private int port;
  private TestJaegerCollector server;
  private final List<Exporter> exporters = new ArrayList<>();

  /**
   * Sends one batch through an exporter on a Vert.x without the strict blocked-loop check, so that
   * loading the OTLP descriptors, the translation's and gRPC's classes the first time does not
   * count against whichever test runs first.
   */
  @BeforeAll
  static synchronized void warmUp() throws Exception {
    if (warm) {
      return;
    }
    Batch b = TestData.traces(50, 99);
    assertThat(JaegerExporter.byProcess(b, 1024)).isNotEmpty();
    int port = Ports.freePort();
    Vertx vertx = Vertx.vertx();
    try (TestJaegerCollector collector = TestJaegerCollector.start(port)) {
      JaegerExporterConfig c = JaegerExporterConfig.defaults().withEndpoint("http://127.0.0.1:" + port);
      Exporter e = new JaegerExporterFactory().create(TestContexts.context(vertx, ComponentKind.EXPORTER, "warm-up"),
          c);
      e.start().await(30, TimeUnit.SECONDS);
      e.consume(b).await(30, TimeUnit.SECONDS);
      await().atMost(Duration.ofSeconds(30)).until(() -> collector.acceptedSpans().size() == 50);
      e.shutdown().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
    warm = true;
  }

  private static boolean warm;

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    metrics = new SelfMetrics();
    port = Ports.freePort();
  }

  @AfterEach
  void tearDown() throws Exception {
    if (server != null) {
      server.release();
    }
    for (Exporter e : exporters) {
      e.shutdown().await(10, TimeUnit.SECONDS);
    }
    if (server != null) {
      server.close();
    }
    tv.close();
  }

  private static RetrySettings fastRetry() {
    return new RetrySettings(true, Duration.ofMillis(20), 0, 1.5, Duration.ofMillis(200), Duration.ofSeconds(30));
  }

  private JaegerExporterConfig config(QueueSettings queue, long maxRequestSize, Map<String, String> headers,
      String compression) {
    return new JaegerExporterConfig("127.0.0.1:" + port, new TlsClientSettings(true, false, "", "", ""),
        compression, headers, Duration.ofSeconds(5), "pick_first", queue, fastRetry(), maxRequestSize,
        Keepalive.off(), false, 0, 0, null);
  }

  private JaegerExporterConfig config() {
    return config(new QueueSettings(true, 2, 100), JaegerExporterConfig.DEFAULT_MAX_REQUEST_SIZE, Map.of(), "none");
  }

  private Exporter start(JaegerExporterConfig config) throws Exception {
    assertThat(config.validate()).isEmpty();
    Exporter e = new JaegerExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, ID,
        metrics), config);
    exporters.add(e);
    e.start().await(10, TimeUnit.SECONDS);
    return e;
  }

  private double counter(String name) {
    return SelfMetricsReader.counter(metrics, name, "component_id", ID, "signal", "traces");
  }

  private static Batch traces(ResourceSpans... resources) {
    return Batch.traces(List.of(resources), Envelope.of(ComponentId.of("test")));
  }

  /** The same resources as the bytes an OTLP receiver hands on, never parsed. */
  private static Batch encoded(ResourceSpans... resources) throws Exception {
    byte[] request = ExportTraceServiceRequest.newBuilder().addAllResourceSpans(List.of(resources)).build()
        .toByteArray();
    return Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, request, 0, request.length),
        Envelope.of(ComponentId.of("test")));
  }

  @Test
  void sendsEachProcessAsOneBatchInItsOwnCall() throws Exception {
    server = TestJaegerCollector.start(port);
    Exporter e = start(config());
    ResourceSpans checkout1 = TestData.resourceSpans("checkout", 3, 1);
    ResourceSpans cart = TestData.resourceSpans("cart", 2, 2);
    ResourceSpans checkout2 = TestData.resourceSpans("checkout", 4, 3);

    e.consume(traces(checkout1, cart, checkout2)).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.accepted.size() == 2);
    Model.Batch checkout = server.accepted.stream().filter(b -> b.getProcess().getServiceName().equals("checkout"))
        .findFirst().orElseThrow();
    Model.Batch cartBatch = server.accepted.stream().filter(b -> b.getProcess().getServiceName().equals("cart"))
        .findFirst().orElseThrow();
    assertThat(checkout.getSpansList()).extracting(Model.Span::getSpanId).containsExactlyElementsOf(
        List.of(checkout1, checkout2).stream().flatMap(rs -> rs.getScopeSpans(0).getSpansList().stream())
            .map(s -> s.getSpanId()).toList());
    assertThat(checkout.getSpansList()).allSatisfy(s -> assertThat(s.hasProcess()).isFalse());
    assertThat(cartBatch.getSpansList()).hasSize(2);
    assertThat(checkout.getProcess().getTagsList()).extracting(Model.KeyValue::getKey)
        .containsExactly("service.instance.id", "host.name");
    await().atMost(Duration.ofSeconds(5)).until(() -> counter("sluice_exporter_sent_items") == 9);
  }

  @Test
  void groupsEncodedBatchesByProcessWithoutChangingTheSpans() throws Exception {
    server = TestJaegerCollector.start(port);
    Exporter e = start(config());
    ResourceSpans a = TestData.resourceSpans("a", 5, 4);
    ResourceSpans b = TestData.resourceSpans("b", 6, 5);
    ResourceSpans a2 = TestData.resourceSpans("a", 7, 6);

    e.consume(encoded(a, b, a2)).await(5, TimeUnit.SECONDS);
    e.consume(traces(a, b, a2)).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.accepted.size() == 4);
    // The encoded and the decoded batch make the same two requests.
    List<Model.Batch> sorted = server.accepted.stream()
        .sorted(java.util.Comparator.comparing((Model.Batch x) -> x.getProcess().getServiceName())).toList();
    assertThat(sorted).extracting(x -> x.getProcess().getServiceName()).containsExactly("a", "a", "b", "b");
    assertThat(sorted.get(0)).isEqualTo(sorted.get(1));
    assertThat(sorted.get(2)).isEqualTo(sorted.get(3));
    assertThat(sorted.get(0).getSpansCount()).isEqualTo(12);
  }

  @Test
  void cutsAProcessWhoseSpansExceedMaxRequestSizeIntoSeveralCalls() throws Exception {
    server = TestJaegerCollector.start(port);
    Exporter e = start(config(new QueueSettings(true, 2, 100), 8 * 1024, Map.of(), "none"));
    Batch big = TestData.traces(200, 7);
    assertThat(big.sizeBytes()).isGreaterThan(3 * 8 * 1024);

    e.consume(big).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.acceptedSpans().size() == 200);
    assertThat(server.accepted.size()).isGreaterThanOrEqualTo(3);
    assertThat(server.accepted).allSatisfy(b -> assertThat(b.getProcess().getServiceName()).isEqualTo("checkout"));
    assertThat(server.acceptedSpans()).extracting(Model.Span::getSpanId).doesNotHaveDuplicates();
  }

  @Test
  void sendsConfiguredHeadersAndTheCompressionHeader() throws Exception {
    server = TestJaegerCollector.start(port);
    Exporter e = start(config(new QueueSettings(true, 2, 100), 0, Map.of("X-Tenant", "team-a"), "gzip"));

    e.consume(TestData.traces(4, 8)).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.accepted.size() == 1);
    Metadata h = server.calls.get(0).headers();
    assertThat(h.get(Metadata.Key.of("x-tenant", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("team-a");
    assertThat(h.get(Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("gzip");
    assertThat(h.get(Metadata.Key.of("user-agent", Metadata.ASCII_STRING_MARSHALLER))).startsWith("Sluice");
    assertThat(server.acceptedSpans()).hasSize(4);
  }

  @Test
  void retriesUnavailableAfterTheDelayTheServerAsksFor() throws Exception {
    server = TestJaegerCollector.start(port);
    server.behave(n -> n == 1 ? TestJaegerCollector.Outcome.fail(unavailableWithRetryInfo(400))
        : TestJaegerCollector.Outcome.ok());
    Exporter e = start(config());

    e.consume(TestData.traces(10, 9)).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.accepted.size() == 1);
    assertThat(server.calls).hasSize(2);
    long gap = server.calls.get(1).arrivedNanos() - server.calls.get(0).arrivedNanos();
    // The retry interval is 20 ms; only the server's RetryInfo makes the exporter wait this long.
    assertThat(Duration.ofNanos(gap)).isGreaterThanOrEqualTo(Duration.ofMillis(390));
    assertThat(server.calls.get(1).batch()).isEqualTo(server.calls.get(0).batch());
    await().atMost(Duration.ofSeconds(5)).until(() -> counter("sluice_exporter_sent_items") == 10);
    assertThat(counter("sluice_exporter_send_failed_items")).isZero();
  }

  @Test
  void retriesResourceExhaustedUntilTheCollectorTakesTheSpans() throws Exception {
    server = TestJaegerCollector.start(port);
    server.behave(n -> n <= 3 ? TestJaegerCollector.Outcome.fail(Status.RESOURCE_EXHAUSTED
        .withDescription("the collector's queue is full")) : TestJaegerCollector.Outcome.ok());
    Exporter e = start(config(QueueSettings.disabled(), 0, Map.of(), "none"));

    e.consume(TestData.traces(6, 10)).await(10, TimeUnit.SECONDS);

    assertThat(server.calls).hasSize(4);
    assertThat(server.acceptedSpans()).hasSize(6);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_exporter_retried_requests", "component_id", ID, "signal",
        "traces")).isEqualTo(3);
    assertThat(counter("sluice_exporter_send_failed_items")).isZero();
  }

  @Test
  void doesNotRetryInvalidArgumentAndCountsTheSpansAsFailed() throws Exception {
    server = TestJaegerCollector.start(port);
    server.behave(n -> TestJaegerCollector.Outcome.fail(Status.INVALID_ARGUMENT.withDescription("bad span")));
    Exporter e = start(config(QueueSettings.disabled(), 0, Map.of(), "none"));

    Future<Void> ack = e.consume(TestData.traces(8, 11));

    await().atMost(Duration.ofSeconds(10)).until(ack::isComplete);
    assertThat(ack.cause()).isInstanceOf(PermanentException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("INVALID_ARGUMENT")
        .hasMessageContaining("bad span");
    assertThat(server.calls).hasSize(1);
    assertThat(counter("sluice_exporter_send_failed_items")).isEqualTo(8);
    assertThat(counter("sluice_exporter_sent_items")).isZero();
  }

  @Test
  void aRequestOverTheServersMessageLimitIsNotRetried() throws Exception {
    server = TestJaegerCollector.start(port);
    server.behave(n -> TestJaegerCollector.Outcome.fail(Status.RESOURCE_EXHAUSTED
        .withDescription("grpc: received message larger than max (5000000 vs. 4194304)")));
    Exporter e = start(config(QueueSettings.disabled(), 0, Map.of(), "none"));

    Future<Void> ack = e.consume(TestData.traces(3, 12));

    await().atMost(Duration.ofSeconds(10)).until(ack::isComplete);
    assertThat(ack.cause()).isInstanceOf(PermanentException.class).hasMessageContaining("max_request_size");
    assertThat(server.calls).hasSize(1);
  }

  @Test
  void spansWithBadIdsAreLeftOutAndCountedAsDropped() throws Exception {
    server = TestJaegerCollector.start(port);
    Exporter e = start(config());
    ResourceSpans rs = TestData.resourceSpans("checkout", 4, 13);
    ResourceSpans broken = rs.toBuilder().setScopeSpans(0, rs.getScopeSpans(0).toBuilder()
        .setSpans(1, rs.getScopeSpans(0).getSpans(1).toBuilder().setTraceId(com.google.protobuf.ByteString
            .copyFrom(new byte[] {1, 2, 3})))).build();

    e.consume(traces(broken)).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.accepted.size() == 1);
    assertThat(server.acceptedSpans()).hasSize(3);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_exporter_dropped_items", "component_id", ID, "signal",
        "traces", "reason", "invalid_ids")).isEqualTo(1);
  }

  @Test
  void deliversWhatWasQueuedOnceACollectorThatWasDownComesUp() throws Exception {
    Exporter e = start(config());
    for (int i = 0; i < 3; i++) {
      e.consume(TestData.traces(4, 20 + i)).await(5, TimeUnit.SECONDS);
    }
    await().atMost(Duration.ofSeconds(10)).until(() ->
        SelfMetricsReader.observations(metrics, "sluice_exporter_request_duration_seconds",
            "component_id", ID, "signal", "traces") >= 3);
    assertThat(counter("sluice_exporter_sent_items")).isZero();

    server = TestJaegerCollector.start(port);

    await().atMost(Duration.ofSeconds(15)).until(() -> server.acceptedSpans().size() == 12);
    await().atMost(Duration.ofSeconds(5)).until(() -> counter("sluice_exporter_sent_items") == 12);
  }

  @Test
  void sendsOverTlsTrustingTheConfiguredCa(@TempDir Path dir) throws Exception {
    TestCertificates ca = TestCertificates.newCa(dir, "test-ca");
    TestCertificates.Issued cert = ca.server("collector");
    server = TestJaegerCollector.start(port, cert.certFile(), cert.keyFile());
    JaegerExporterConfig c = config();
    Exporter e = start(new JaegerExporterConfig("localhost:" + port, new TlsClientSettings(false, false,
        ca.ca().certFile().toString(), "", ""), "gzip", Map.of(), c.timeout(), "round_robin", c.sendingQueue(),
        c.retryOnFailure(), c.maxRequestSize(), c.keepalive(), false, 0, 0, null));

    e.consume(TestData.traces(5, 30)).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.acceptedSpans().size() == 5);
    assertThat(Files.exists(ca.ca().certFile())).isTrue();
  }

  @Test
  void shutdownSendsWhatIsQueuedFirst() throws Exception {
    server = TestJaegerCollector.start(port);
    server.behave(n -> n == 1 ? TestJaegerCollector.Outcome.hold() : TestJaegerCollector.Outcome.ok());
    Exporter e = start(config(new QueueSettings(true, 1, 10), 0, Map.of(), "none"));
    e.consume(TestData.traces(2, 40)).await(5, TimeUnit.SECONDS);
    e.consume(TestData.traces(3, 41)).await(5, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> server.heldCalls() == 1);

    Future<Void> shutdown = e.shutdown();

    assertThat(shutdown.isComplete()).isFalse();
    server.release();
    shutdown.await(10, TimeUnit.SECONDS);
    assertThat(server.acceptedSpans()).hasSize(5);
    Future<Void> late = e.consume(TestData.traces(1, 42));
    await().atMost(Duration.ofSeconds(5)).until(late::isComplete);
    assertThat(late.cause()).isInstanceOf(RetryableException.class);
  }

  @Test
  void shutdownWithoutStartAndTwiceCompletesAndItStartsAgain() throws Exception {
    server = TestJaegerCollector.start(port);
    Exporter e = new JaegerExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, ID,
        metrics), config());
    exporters.add(e);

    e.shutdown().await(5, TimeUnit.SECONDS);
    e.shutdown().await(5, TimeUnit.SECONDS);
    e.start().await(10, TimeUnit.SECONDS);
    e.shutdown().await(10, TimeUnit.SECONDS);
    e.start().await(10, TimeUnit.SECONDS);
    e.consume(TestData.traces(2, 43)).await(5, TimeUnit.SECONDS);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.acceptedSpans().size() == 2);
  }

  static io.grpc.StatusRuntimeException unavailableWithRetryInfo(long millis) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Code.UNAVAILABLE_VALUE)
        .setMessage("collector is restarting")
        .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
            .setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000)).build()))
        .build());
  }
}
