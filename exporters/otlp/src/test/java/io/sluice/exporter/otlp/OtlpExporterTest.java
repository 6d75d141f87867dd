package io.sluice.exporter.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.RetryInfo;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.tls.TlsClientSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class OtlpExporterTest {
  private static final String ID = "otlp/test";
  private static final Metadata.Key<String> ENCODING =
      Metadata.Key.of("grpc-encoding", Metadata.ASCII_STRING_MARSHALLER);

  private TestVertx tv;
  private SelfMetrics metrics;
  private int port;
  private TestOtlpGrpcServer server;
  private final List<Exporter> exporters = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
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

  private OtlpExporterConfig config() {
    return new OtlpExporterConfig("127.0.0.1:" + port, new TlsClientSettings(true, false, "", "", ""),
        "none", Map.of(), Duration.ofSeconds(5), "pick_first", new QueueSettings(true, 2, 100), fastRetry());
  }

  private OtlpExporterConfig with(OtlpExporterConfig c, String compression, Map<String, String> headers,
      QueueSettings queue) {
    return new OtlpExporterConfig(c.endpoint(), c.tls(), compression, headers, c.timeout(), c.balancerName(), queue,
        c.retryOnFailure());
  }

  private Exporter start(OtlpExporterConfig config) throws Exception {
    assertThat(config.validate()).isEmpty();
    Exporter e = new OtlpExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, ID,
        metrics), config);
    exporters.add(e);
    e.start().await(10, TimeUnit.SECONDS);
    return e;
  }

  private static void consume(Exporter e, Batch b) throws Exception {
    e.consume(b).await(5, TimeUnit.SECONDS);
  }

  private double counter(String name, String signal) {
    return SelfMetricsReader.counter(metrics, name, "component_id", ID, "signal", signal);
  }

  @Test
  void deliversTracesMetricsAndLogsUnchanged() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    Exporter e = start(config());
    Batch traces = TestData.traces(20, 1);
    Batch metricsBatch = TestData.metrics(5, 2);
    Batch logs = TestData.logs(15, 3);

    consume(e, traces);
    consume(e, metricsBatch);
    consume(e, logs);

    await().atMost(Duration.ofSeconds(10)).until(() ->
        server.traces.size() == 1 && server.metrics.size() == 1 && server.logs.size() == 1);
    assertThat(server.traces.get(0).getResourceSpansList()).isEqualTo(traces.resourceSpans());
    assertThat(server.metrics.get(0).getResourceMetricsList()).isEqualTo(metricsBatch.resourceMetrics());
    assertThat(server.logs.get(0).getResourceLogsList()).isEqualTo(logs.resourceLogs());
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(20);
      assertThat(counter("sluice_exporter_sent_items", "logs")).isEqualTo(15);
      assertThat(counter("sluice_exporter_sent_items", "metrics")).isEqualTo(metricsBatch.itemCount());
    });
    assertThat(server.headers).allSatisfy(h -> assertThat(h.get(ENCODING)).isNull());
  }

  @Test
  void splitsABatchOverGrpcsDefaultMessageLimitIntoRequestsUnderIt() throws Exception {
    server = TestOtlpGrpcServer.start(port); // grpc-java's default: messages up to 4 MiB
    Exporter e = start(config());
    List<ResourceSpans> resources = List.of(TestData.resourceSpans("a", 7000, 1),
        TestData.resourceSpans("b", 300, 2), TestData.resourceSpans("c", 7000, 3));
    ExportTraceServiceRequest whole = ExportTraceServiceRequest.newBuilder().addAllResourceSpans(resources).build();
    assertThat(whole.getSerializedSize()).isGreaterThan(4 * 1024 * 1024);
    byte[] bytes = whole.toByteArray();
    Batch batch = Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, bytes, 0, bytes.length),
        Envelope.of(ComponentId.of("otlp")));

    consume(e, batch);

    await().atMost(Duration.ofSeconds(10)).until(() -> spans(server.traces).size() == 14_300);
    assertThat(server.traces).hasSizeGreaterThan(1).allSatisfy(r -> assertThat(r.getSerializedSize())
        .isLessThanOrEqualTo((int) OtlpExporterConfig.DEFAULT_MAX_REQUEST_SIZE));
    // Two consumers send the parts in parallel, so they may arrive in any order.
    assertThat(spans(server.traces)).containsExactlyInAnyOrderElementsOf(spans(List.of(whole)));
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
        assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(14_300));
  }

  @Test
  void splitsParsedBatchesByTheConfiguredMaxRequestSize() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    OtlpExporterConfig c = config();
    Exporter e = start(new OtlpExporterConfig(c.endpoint(), c.tls(), c.compression(), c.headers(), c.timeout(),
        c.balancerName(), c.sendingQueue(), c.retryOnFailure(), 20_000));
    Batch batch = TestData.traces(400, 7);

    consume(e, batch);

    await().atMost(Duration.ofSeconds(10)).until(() -> spans(server.traces).size() == 400);
    assertThat(server.traces).hasSizeGreaterThan(5)
        .allSatisfy(r -> assertThat(r.getSerializedSize()).isLessThanOrEqualTo(20_000));
    assertThat(spans(server.traces)).containsExactlyInAnyOrderElementsOf(spans(List.of(
        ExportTraceServiceRequest.newBuilder().addAllResourceSpans(batch.resourceSpans()).build())));
  }

  /** Every span received, with its resource, in order. */
  private static List<String> spans(List<ExportTraceServiceRequest> requests) {
    List<String> out = new ArrayList<>();
    for (ExportTraceServiceRequest r : requests) {
      for (ResourceSpans rs : r.getResourceSpansList()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span sp : ss.getSpansList()) {
            out.add(rs.getResource().hashCode() + "/" + ss.getScope().getName() + "/"
                + java.util.HexFormat.of().formatHex(sp.getSpanId().toByteArray())
                + "/" + sp.getName() + "/" + sp.getStartTimeUnixNano());
          }
        }
      }
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "zstd", "snappy"})
  void compressesWithTheConfiguredEncoding(String compression) throws Exception {
    server = TestOtlpGrpcServer.start(port);
    Exporter e = start(with(config(), compression, Map.of(), config().sendingQueue()));
    Batch traces = TestData.traces(50, 4);
    Batch metrics = TestData.metrics(20, 3);

    consume(e, traces);
    consume(e, metrics);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.traces.size() == 1 && server.metrics.size() == 1);
    assertThat(server.headers).allSatisfy(h -> assertThat(h.get(ENCODING)).isEqualTo(compression));
    assertThat(server.traces.get(0).getResourceSpansList()).isEqualTo(traces.resourceSpans());
    assertThat(server.metrics.get(0).getResourceMetricsList()).isEqualTo(metrics.resourceMetrics());
  }

  @Test
  void sendsTheAuthenticatorsHeadersOnEveryCall() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    OtlpExporterConfig c = config();
    OtlpExporterConfig withAuth = new OtlpExporterConfig(c.endpoint(), c.tls(), "none", Map.of(), c.timeout(),
        c.balancerName(), c.sendingQueue(), c.retryOnFailure(), c.maxRequestSize(), c.keepalive(), true, 0, 0,
        new io.sluice.core.auth.AuthSettings("bearertokenauth/out"));
    TokenAuth auth = new TokenAuth();
    Exporter e = new OtlpExporterFactory().create(new io.sluice.core.ComponentContext(
        io.sluice.core.ComponentId.parse(ID), ComponentKind.EXPORTER, "", tv.vertx(), metrics,
        TestContexts.hostWith(Map.of(io.sluice.core.ComponentId.parse("bearertokenauth/out"), auth))), withAuth);
    exporters.add(e);
    e.start().await(10, TimeUnit.SECONDS);

    consume(e, TestData.traces(3, 5));
    consume(e, TestData.logs(3, 6));

    await().atMost(Duration.ofSeconds(10)).until(() -> server.traces.size() == 1 && server.logs.size() == 1);
    assertThat(server.headers).extracting(h -> h.get(Metadata.Key.of("authorization",
        Metadata.ASCII_STRING_MARSHALLER))).containsExactlyInAnyOrder("Bearer t1", "Bearer t2");
  }

  /** An authenticator that hands out a new token each time it is asked. */
  private static final class TokenAuth implements io.sluice.core.Extension, io.sluice.core.auth.HttpClientAuth {
    private final java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public Map<String, String> headers() {
      return Map.of("Authorization", "Bearer t" + asked.incrementAndGet());
    }

    @Override
    public io.vertx.core.Future<Void> start() {
      return io.vertx.core.Future.succeededFuture();
    }

    @Override
    public io.vertx.core.Future<Void> shutdown() {
      return io.vertx.core.Future.succeededFuture();
    }
  }

  @Test
  void refusesToStartWhenTheAuthenticatorIsNotRunning() {
    OtlpExporterConfig c = config();
    OtlpExporterConfig withAuth = new OtlpExporterConfig(c.endpoint(), c.tls(), "none", Map.of(), c.timeout(),
        c.balancerName(), c.sendingQueue(), c.retryOnFailure(), c.maxRequestSize(), c.keepalive(), false, 0, 0,
        new io.sluice.core.auth.AuthSettings("basicauth/missing"));
    Exporter e = new OtlpExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, ID,
        metrics), withAuth);
    exporters.add(e);

    assertThatThrownBy(() -> e.start().await(10, TimeUnit.SECONDS))
        .hasMessageContaining("auth.authenticator")
        .hasMessageContaining("basicauth/missing");
  }

  @Test
  void sendsConfiguredHeadersAsMetadataOnEveryCall() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    Exporter e = start(with(config(), "gzip", Map.of("X-Scope-OrgID", "tenant-a", "authorization", "Bearer t0k"),
        config().sendingQueue()));

    consume(e, TestData.traces(3, 5));
    consume(e, TestData.logs(3, 6));

    await().atMost(Duration.ofSeconds(10)).until(() -> server.traces.size() == 1 && server.logs.size() == 1);
    assertThat(server.headers).hasSize(2).allSatisfy(h -> {
      assertThat(h.get(Metadata.Key.of("x-scope-orgid", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("tenant-a");
      assertThat(h.get(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER))).isEqualTo("Bearer t0k");
      assertThat(h.get(Metadata.Key.of("user-agent", Metadata.ASCII_STRING_MARSHALLER))).startsWith("Sluice");
    });
  }

  @Test
  void retriesUnavailableAfterTheDelayTheServerAsksFor() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    server.behave(n -> n == 1 ? TestOtlpGrpcServer.Outcome.fail(unavailableWithRetryInfo(400))
        : TestOtlpGrpcServer.Outcome.ok());
    Exporter e = start(config());
    Batch traces = TestData.traces(10, 7);

    consume(e, traces);

    await().atMost(Duration.ofSeconds(10)).until(() -> server.traces.size() == 1);
    assertThat(server.calls()).isEqualTo(2);
    long gapNanos = server.arrivals.get(1) - server.arrivals.get(0);
    // The retry interval is 20 ms; only the server's RetryInfo makes the exporter wait this long.
    assertThat(Duration.ofNanos(gapNanos)).isGreaterThanOrEqualTo(Duration.ofMillis(390));
    assertThat(server.traces.get(0).getResourceSpansList()).isEqualTo(traces.resourceSpans());
    await().atMost(Duration.ofSeconds(5)).until(() -> counter("sluice_exporter_sent_items", "traces") == 10);
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isZero();
  }

  @Test
  void doesNotRetryInvalidArgumentAndCountsItAsSendFailed() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    server.behave(n -> TestOtlpGrpcServer.Outcome.fail(
        Status.INVALID_ARGUMENT.withDescription("span 3 has no trace id").asRuntimeException()));
    Exporter e = start(with(config(), "none", Map.of(), QueueSettings.disabled()));

    Future<Void> ack = e.consume(TestData.traces(8, 8));

    await().atMost(Duration.ofSeconds(10)).until(ack::isComplete);
    assertThat(ack.failed()).isTrue();
    assertThat(ack.cause()).isInstanceOf(PermanentException.class)
        .hasMessageContaining("127.0.0.1:" + port)
        .hasMessageContaining("INVALID_ARGUMENT")
        .hasMessageContaining("span 3 has no trace id");
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isEqualTo(8);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isZero();
    assertThat(server.calls()).isEqualTo(1);
  }

  @Test
  void doesNotRetryAPartialSuccessAndCountsTheBatchAsSent() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    server.behave(n -> TestOtlpGrpcServer.Outcome.partial());
    Exporter e = start(with(config(), "none", Map.of(), QueueSettings.disabled()));

    e.consume(TestData.metrics(2, 9)).await(10, TimeUnit.SECONDS);

    assertThat(server.calls()).isEqualTo(1);
    assertThat(server.metrics).hasSize(1);
    assertThat(counter("sluice_exporter_send_failed_items", "metrics")).isZero();
  }

  @Test
  void deliversEverythingOnceAServerThatWasDownComesUp() throws Exception {
    Exporter e = start(config());
    List<Batch> batches = TestData.tracesBatches(3, 4);
    for (Batch b : batches) {
      consume(e, b);
    }
    // Attempts are being made and failing while nothing listens.
    await().atMost(Duration.ofSeconds(10)).until(() ->
        SelfMetricsReader.observations(metrics, "sluice_exporter_request_duration_seconds",
            "component_id", ID, "signal", "traces") >= 4);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isZero();

    server = TestOtlpGrpcServer.start(port);

    await().atMost(Duration.ofSeconds(15)).until(() -> server.traces.size() == 3);
    assertThat(server.traces.stream().map(r -> r.getResourceSpansList()).toList())
        .containsExactlyInAnyOrderElementsOf(batches.stream().map(Batch::resourceSpans).toList());
    await().atMost(Duration.ofSeconds(5)).until(() -> counter("sluice_exporter_sent_items", "traces") == 12);
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isZero();
  }

  @Test
  void refusesWithResourceExhaustedWhenTheQueueIsFull() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    server.behave(n -> TestOtlpGrpcServer.Outcome.hold());
    Exporter e = start(with(config(), "none", Map.of(), new QueueSettings(true, 1, 1)));

    consume(e, TestData.traces(1, 10));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.heldCalls() == 1);
    consume(e, TestData.traces(1, 11));
    Future<Void> third = e.consume(TestData.traces(1, 12));

    await().atMost(Duration.ofSeconds(5)).until(third::isComplete);
    assertThat(third.cause()).isInstanceOf(ResourceExhaustedException.class);
    assertThat(counter("sluice_exporter_enqueue_failed_items", "traces")).isEqualTo(1);

    server.behave(n -> TestOtlpGrpcServer.Outcome.ok());
    server.release();
    await().atMost(Duration.ofSeconds(10)).until(() -> server.traces.size() == 2);
  }

  @Test
  void shutdownSendsWhatIsQueuedBeforeClosingTheChannel() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    server.behave(n -> n == 1 ? TestOtlpGrpcServer.Outcome.hold() : TestOtlpGrpcServer.Outcome.ok());
    Exporter e = start(with(config(), "none", Map.of(), new QueueSettings(true, 1, 10)));
    consume(e, TestData.logs(2, 13));
    consume(e, TestData.logs(3, 14));
    consume(e, TestData.logs(4, 15));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.heldCalls() == 1);

    Future<Void> shutdown = e.shutdown();

    assertThat(shutdown.isComplete()).isFalse();
    server.release();
    shutdown.await(10, TimeUnit.SECONDS);
    assertThat(server.logs).hasSize(3);
    assertThat(counter("sluice_exporter_sent_items", "logs")).isEqualTo(9);
    Future<Void> late = e.consume(TestData.logs(1, 16));
    await().atMost(Duration.ofSeconds(5)).until(late::isComplete);
    assertThat(late.cause()).isInstanceOf(RetryableException.class);
  }

  @Test
  void shutdownWithoutStartAndTwiceCompletes() throws Exception {
    Exporter e = new OtlpExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, ID,
        metrics), config());

    e.shutdown().await(5, TimeUnit.SECONDS);
    e.shutdown().await(5, TimeUnit.SECONDS);

    Future<Void> late = e.consume(TestData.traces(1, 1));
    await().atMost(Duration.ofSeconds(5)).until(late::isComplete);
    assertThat(late.cause()).isInstanceOf(RetryableException.class);
  }

  @Test
  void startsAgainAfterShutdownAndSends() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    Exporter e = start(config());
    consume(e, TestData.traces(1, 17));
    await().atMost(Duration.ofSeconds(10)).until(() -> server.traces.size() == 1);
    e.shutdown().await(10, TimeUnit.SECONDS);

    e.start().await(10, TimeUnit.SECONDS);
    consume(e, TestData.traces(2, 18));

    await().atMost(Duration.ofSeconds(10)).until(() -> server.traces.size() == 2);
  }

  @Test
  void sendsOverTlsTrustingTheConfiguredCa() throws Exception {
    server = TestOtlpGrpcServer.start(port, true);
    OtlpExporterConfig c = config();
    Exporter e = start(new OtlpExporterConfig("localhost:" + port, new TlsClientSettings(false, false,
        TestOtlpGrpcServer.resource("tls/ca.pem").getPath(), "", ""), "gzip", Map.of(), c.timeout(),
        "round_robin", c.sendingQueue(), c.retryOnFailure()));

    consume(e, TestData.logs(4, 19));

    await().atMost(Duration.ofSeconds(10)).until(() -> server.logs.size() == 1);
  }

  @Test
  void sendsPlaintextToAnHttpSchemeEndpoint() throws Exception {
    server = TestOtlpGrpcServer.start(port);
    OtlpExporterConfig c = config();
    Exporter e = start(new OtlpExporterConfig("http://127.0.0.1:" + port, TlsClientSettings.defaults(),
        "gzip", Map.of(), c.timeout(), c.balancerName(), c.sendingQueue(), c.retryOnFailure()));

    consume(e, TestData.metrics(1, 20));

    await().atMost(Duration.ofSeconds(10)).until(() -> server.metrics.size() == 1);
  }

  static io.grpc.StatusRuntimeException unavailableWithRetryInfo(long millis) {
    return StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
        .setCode(Code.UNAVAILABLE_VALUE)
        .setMessage("over capacity")
        .addDetails(Any.pack(RetryInfo.newBuilder().setRetryDelay(com.google.protobuf.Duration.newBuilder()
            .setSeconds(millis / 1000).setNanos((int) (millis % 1000) * 1_000_000)).build()))
        .build());
  }
}
