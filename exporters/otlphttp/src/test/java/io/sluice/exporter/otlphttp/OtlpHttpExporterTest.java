package io.sluice.exporter.otlphttp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.sluice.core.Batch;
import io.sluice.core.ComponentKind;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.otlp.OtlpJson;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.tls.TlsClientSettings;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
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

class OtlpHttpExporterTest {
  private static final String ID = "otlphttp/test";

  private TestVertx tv;
  private SelfMetrics metrics;
  private int port;
  private TestOtlpHttpSink sink;
  private final List<Exporter> exporters = new ArrayList<>();

  /**
   * Runs one HTTPS export on a Vert.x without the strict blocked-thread check, so that loading
   * Vert.x's HTTP, DNS and TLS classes for the first time in this JVM does not count against
   * whichever test happens to run first.
   */
  @BeforeAll
  static void warmUpTheJvm() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      int p = Ports.freePort();
      TestOtlpHttpSink s = TestOtlpHttpSink.start(vertx, p, true);
      OtlpHttpExporterConfig c = new OtlpHttpExporterConfig("https://127.0.0.1:" + p, "", "", "", "proto", "gzip",
          Map.of(), Duration.ofSeconds(10), new TlsClientSettings(false, true, "", "", ""),
          QueueSettings.disabled(), RetrySettings.disabled());
      Exporter e = new OtlpHttpExporterFactory().create(TestContexts.context(vertx, ComponentKind.EXPORTER,
          "otlphttp/warmup"), c);
      e.start().await(30, TimeUnit.SECONDS);
      e.consume(TestData.traces(1, 0)).await(30, TimeUnit.SECONDS);
      e.shutdown().await(30, TimeUnit.SECONDS);
      s.close();
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    metrics = new SelfMetrics();
    port = Ports.freePort();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (Exporter e : exporters) {
      e.shutdown().await(10, TimeUnit.SECONDS);
    }
    if (sink != null) {
      sink.close();
    }
    tv.close();
  }

  private static RetrySettings fastRetry() {
    return new RetrySettings(true, Duration.ofMillis(20), 0, 1.5, Duration.ofMillis(200), Duration.ofSeconds(30));
  }

  private String base() {
    return "http://127.0.0.1:" + port;
  }

  /** A config for the sink: proto, no compression, a small queue and quick retries. */
  private OtlpHttpExporterConfig config() {
    return new OtlpHttpExporterConfig(base(), "", "", "", "proto", "none", Map.of(), Duration.ofSeconds(5),
        TlsClientSettings.defaults(), new QueueSettings(true, 2, 100), fastRetry());
  }

  private static OtlpHttpExporterConfig withCoding(OtlpHttpExporterConfig c, String encoding, String compression) {
    return new OtlpHttpExporterConfig(c.endpoint(), c.tracesEndpoint(), c.metricsEndpoint(), c.logsEndpoint(),
        encoding, compression, c.headers(), c.timeout(), c.tls(), c.sendingQueue(), c.retryOnFailure());
  }

  private static OtlpHttpExporterConfig withQueue(OtlpHttpExporterConfig c, QueueSettings queue) {
    return new OtlpHttpExporterConfig(c.endpoint(), c.tracesEndpoint(), c.metricsEndpoint(), c.logsEndpoint(),
        c.encoding(), c.compression(), c.headers(), c.timeout(), c.tls(), queue, c.retryOnFailure());
  }

  private Exporter start(OtlpHttpExporterConfig config) throws Exception {
    assertThat(config.validate()).isEmpty();
    Exporter e = new OtlpHttpExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, ID,
        metrics), config);
    exporters.add(e);
    e.start().await(10, TimeUnit.SECONDS);
    return e;
  }

  private void startSink() throws Exception {
    sink = TestOtlpHttpSink.start(tv.vertx(), port, false);
  }

  private static void consume(Exporter e, Batch b) throws Exception {
    e.consume(b).await(5, TimeUnit.SECONDS);
  }

  private double counter(String name, String signal) {
    return SelfMetricsReader.counter(metrics, name, "component_id", ID, "signal", signal);
  }

  private static byte[] rpcStatus(int code, String message) throws IOException {
    // google.rpc.Status{1 code, 2 message}, written by hand: the test sink has no rpc classes.
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(bytes);
    out.writeInt32(1, code);
    out.writeString(2, message);
    out.flush();
    return bytes.toByteArray();
  }

  @Test
  void deliversAllThreeSignalsAsProtobufToTheirV1Paths() throws Exception {
    startSink();
    Exporter e = start(config());
    Batch traces = TestData.traces(20, 1);
    Batch metricsBatch = TestData.metrics(4, 2);
    Batch logs = TestData.logs(12, 3);

    consume(e, traces);
    consume(e, metricsBatch);
    consume(e, logs);

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 3);
    for (TestOtlpHttpSink.Received r : sink.received) {
      assertThat(r.contentType()).isEqualTo("application/x-protobuf");
      assertThat(r.contentEncoding()).isNull();
      switch (r.path()) {
        case "/v1/traces" -> assertThat(r.traces().getResourceSpansList()).isEqualTo(traces.resourceSpans());
        case "/v1/metrics" -> assertThat(r.metrics().getResourceMetricsList())
            .isEqualTo(metricsBatch.resourceMetrics());
        case "/v1/logs" -> assertThat(r.logs().getResourceLogsList()).isEqualTo(logs.resourceLogs());
        default -> throw new AssertionError("unexpected path " + r.path());
      }
    }
    assertThat(sink.received).extracting(TestOtlpHttpSink.Received::path)
        .containsExactlyInAnyOrder("/v1/traces", "/v1/metrics", "/v1/logs");
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(20);
      assertThat(counter("sluice_exporter_sent_items", "logs")).isEqualTo(12);
      assertThat(counter("sluice_exporter_sent_items", "metrics")).isEqualTo(metricsBatch.itemCount());
    });
  }

  @ParameterizedTest
  @ValueSource(strings = {"gzip", "zstd", "snappy", "deflate"})
  void compressesTheBodyAsConfigured(String compression) throws Exception {
    startSink();
    Exporter e = start(withCoding(config(), "proto", compression));
    Batch traces = TestData.traces(100, 4);

    consume(e, traces);

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 1);
    TestOtlpHttpSink.Received r = sink.received.get(0);
    assertThat(r.contentEncoding()).isEqualTo(compression);
    assertThat(r.rawBody().length).isLessThan(r.body().length);
    assertThat(r.traces().getResourceSpansList()).isEqualTo(traces.resourceSpans());
  }

  @Test
  void sendsJsonWhenConfiguredAndReadsAJsonPartialSuccess() throws Exception {
    startSink();
    sink.behave(n -> TestOtlpHttpSink.Reply.ok().withBody("application/json", OtlpJson.encode(
        ExportLogsServiceResponse.newBuilder().setPartialSuccess(ExportLogsPartialSuccess.newBuilder()
            .setRejectedLogRecords(1).setErrorMessage("1 record too old")).build())));
    Exporter e = start(withQueue(withCoding(config(), "json", "gzip"), QueueSettings.disabled()));
    Batch logs = TestData.logs(6, 5);
    Batch traces = TestData.traces(6, 6);

    consume(e, logs);
    consume(e, traces);

    assertThat(sink.received).hasSize(2);
    TestOtlpHttpSink.Received r = sink.received.get(0);
    assertThat(r.contentType()).isEqualTo("application/json");
    assertThat(r.contentEncoding()).isEqualTo("gzip");
    assertThat(new String(r.body(), java.nio.charset.StandardCharsets.UTF_8)).contains("\"resourceLogs\"");
    assertThat(r.logs().getResourceLogsList()).isEqualTo(logs.resourceLogs());
    assertThat(sink.received.get(1).traces().getResourceSpansList()).isEqualTo(traces.resourceSpans());
    assertThat(counter("sluice_exporter_sent_items", "logs")).isEqualTo(6);
    assertThat(counter("sluice_exporter_send_failed_items", "logs")).isZero();
  }

  @Test
  void doesNotRetryAPartialSuccess() throws Exception {
    startSink();
    sink.behave(n -> TestOtlpHttpSink.Reply.ok().withBody("application/x-protobuf",
        ExportTraceServiceResponse.newBuilder().setPartialSuccess(ExportTracePartialSuccess.newBuilder()
            .setRejectedSpans(3).setErrorMessage("3 spans without a name")).build().toByteArray()));
    Exporter e = start(withQueue(config(), QueueSettings.disabled()));

    consume(e, TestData.traces(10, 7));

    assertThat(sink.calls()).isEqualTo(1);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isEqualTo(10);
  }

  @Test
  void retries503AfterRetryAfterThenDelivers() throws Exception {
    startSink();
    sink.behave(n -> n == 1 ? TestOtlpHttpSink.Reply.status(503).withHeader("Retry-After", "1")
        : TestOtlpHttpSink.Reply.ok());
    Exporter e = start(config());
    Batch metricsBatch = TestData.metrics(3, 8);

    consume(e, metricsBatch);

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 2);
    Duration gap = Duration.ofNanos(sink.received.get(1).arrivedNanos() - sink.received.get(0).arrivedNanos());
    // The retry interval is 20 ms; only Retry-After makes the exporter wait a second.
    assertThat(gap).isGreaterThanOrEqualTo(Duration.ofMillis(990));
    assertThat(sink.received.get(1).metrics().getResourceMetricsList()).isEqualTo(metricsBatch.resourceMetrics());
    await().atMost(Duration.ofSeconds(5)).until(() ->
        counter("sluice_exporter_sent_items", "metrics") == metricsBatch.itemCount());
  }

  @Test
  void retries429() throws Exception {
    startSink();
    sink.behave(n -> n <= 2 ? TestOtlpHttpSink.Reply.status(429) : TestOtlpHttpSink.Reply.ok());
    Exporter e = start(withQueue(config(), QueueSettings.disabled()));

    consume(e, TestData.logs(5, 9));

    assertThat(sink.calls()).isEqualTo(3);
    assertThat(counter("sluice_exporter_sent_items", "logs")).isEqualTo(5);
  }

  @Test
  void doesNotRetry400AndQuotesTheServersMessage() throws Exception {
    startSink();
    byte[] status = rpcStatus(3, "span 2 has an invalid trace id");
    sink.behave(n -> TestOtlpHttpSink.Reply.status(400).withBody("application/x-protobuf", status));
    Exporter e = start(withQueue(config(), QueueSettings.disabled()));

    Future<Void> ack = e.consume(TestData.traces(4, 10));

    await().atMost(Duration.ofSeconds(10)).until(ack::isComplete);
    assertThat(ack.cause()).isInstanceOf(PermanentException.class)
        .hasMessageContaining("400")
        .hasMessageContaining("span 2 has an invalid trace id")
        .hasMessageContaining(base() + "/v1/traces");
    assertThat(sink.calls()).isEqualTo(1);
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isEqualTo(4);
  }

  @Test
  void doesNotRetry500() throws Exception {
    startSink();
    sink.behave(n -> TestOtlpHttpSink.Reply.status(500).withBody("text/plain",
        "internal error".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    Exporter e = start(withQueue(config(), QueueSettings.disabled()));

    Future<Void> ack = e.consume(TestData.logs(2, 11));

    await().atMost(Duration.ofSeconds(10)).until(ack::isComplete);
    assertThat(ack.cause()).isInstanceOf(PermanentException.class).hasMessageContaining("500")
        .hasMessageContaining("internal error");
    assertThat(sink.calls()).isEqualTo(1);
  }

  @Test
  void sendsConfiguredHeadersWithEveryRequest() throws Exception {
    startSink();
    OtlpHttpExporterConfig c = config();
    Exporter e = start(new OtlpHttpExporterConfig(c.endpoint(), "", "", "", "proto", "gzip",
        Map.of("X-Scope-OrgID", "tenant-a", "Authorization", "Bearer t0k"), c.timeout(), c.tls(),
        c.sendingQueue(), c.retryOnFailure()));

    consume(e, TestData.traces(2, 12));
    consume(e, TestData.metrics(1, 13));

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 2);
    assertThat(sink.received).allSatisfy(r -> {
      assertThat(r.headers().get("x-scope-orgid")).isEqualTo("tenant-a");
      assertThat(r.headers().get("authorization")).isEqualTo("Bearer t0k");
      assertThat(r.headers().get("user-agent")).startsWith("Sluice");
    });
  }

  @Test
  void sendsTheBasicAuthExtensionsCredentialsWithEveryRequest() throws Exception {
    startSink();
    io.sluice.core.auth.BasicAuthExtensionFactory basic = new io.sluice.core.auth.BasicAuthExtensionFactory();
    io.sluice.core.Extension ext = basic.create(TestContexts.context(tv.vertx(), ComponentKind.EXTENSION,
        "basicauth/out"), io.sluice.core.config.ConfigLoader.bindComponent(basic, """
            client_auth:
              username: tenant
              password: s3cret
            """));
    ext.start().await(5, TimeUnit.SECONDS);
    OtlpHttpExporterConfig c = config();
    OtlpHttpExporterConfig withAuth = new OtlpHttpExporterConfig(c.endpoint(), "", "", "", "proto", "none",
        Map.of(), c.timeout(), c.tls(), c.sendingQueue(), c.retryOnFailure(),
        new io.sluice.core.auth.AuthSettings("basicauth/out"));
    Exporter e = new OtlpHttpExporterFactory().create(new io.sluice.core.ComponentContext(
        io.sluice.core.ComponentId.parse(ID), ComponentKind.EXPORTER, "", tv.vertx(), metrics,
        TestContexts.hostWith(Map.of(io.sluice.core.ComponentId.parse("basicauth/out"), ext))), withAuth);
    exporters.add(e);
    e.start().await(10, TimeUnit.SECONDS);

    consume(e, TestData.traces(2, 12));
    consume(e, TestData.logs(1, 13));

    String expected = "Basic " + java.util.Base64.getEncoder().encodeToString(
        "tenant:s3cret".getBytes(java.nio.charset.StandardCharsets.UTF_8));
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 2);
    assertThat(sink.received).allSatisfy(r -> assertThat(r.headers().get("authorization")).isEqualTo(expected));
  }

  @Test
  void usesPerSignalEndpointsVerbatimAndAppendsToABasePath() throws Exception {
    startSink();
    OtlpHttpExporterConfig c = config();
    Exporter e = start(new OtlpHttpExporterConfig(base() + "/otlp/", base() + "/custom/spans", "", "",
        "proto", "none", Map.of(), c.timeout(), c.tls(), c.sendingQueue(), c.retryOnFailure()));

    consume(e, TestData.traces(1, 14));
    consume(e, TestData.logs(1, 15));

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 2);
    assertThat(sink.received).extracting(TestOtlpHttpSink.Received::path)
        .containsExactlyInAnyOrder("/custom/spans", "/otlp/v1/logs");
  }

  @Test
  void retriesWhenTheServerIsDownAndDeliversOnceItIsUp() throws Exception {
    Exporter e = start(config());
    List<Batch> batches = TestData.tracesBatches(3, 2);
    for (Batch b : batches) {
      consume(e, b);
    }
    await().atMost(Duration.ofSeconds(10)).until(() ->
        SelfMetricsReader.observations(metrics, "sluice_exporter_request_duration_seconds",
            "component_id", ID, "signal", "traces") >= 4);
    assertThat(counter("sluice_exporter_sent_items", "traces")).isZero();

    startSink();

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 3);
    List<Object> sent = new ArrayList<>();
    for (TestOtlpHttpSink.Received r : sink.received) {
      sent.add(r.traces().getResourceSpansList());
    }
    assertThat(sent).containsExactlyInAnyOrderElementsOf(batches.stream().map(Batch::resourceSpans).toList());
    assertThat(counter("sluice_exporter_send_failed_items", "traces")).isZero();
  }

  @Test
  void sendsOverHttpsTrustingTheConfiguredCa() throws Exception {
    sink = TestOtlpHttpSink.start(tv.vertx(), port, true);
    OtlpHttpExporterConfig c = config();
    Exporter e = start(new OtlpHttpExporterConfig("https://127.0.0.1:" + port, "", "", "", "proto", "gzip",
        Map.of(), c.timeout(), new TlsClientSettings(false, false,
        TestOtlpHttpSink.resource("tls/ca.pem"), "", ""), c.sendingQueue(), c.retryOnFailure()));

    consume(e, TestData.logs(3, 16));

    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 1);
    assertThat(sink.received.get(0).logs().getResourceLogsList()).isEqualTo(TestData.logs(3, 16).resourceLogs());
  }

  @Test
  void shutdownSendsWhatIsQueued() throws Exception {
    startSink();
    sink.behave(n -> n == 1 ? TestOtlpHttpSink.Reply.status(503) : TestOtlpHttpSink.Reply.ok());
    Exporter e = start(withQueue(config(), new QueueSettings(true, 1, 10)));
    consume(e, TestData.logs(1, 17));
    consume(e, TestData.logs(2, 18));
    consume(e, TestData.logs(3, 19));

    e.shutdown().await(10, TimeUnit.SECONDS);

    assertThat(sink.received.stream().filter(r -> r.path().equals("/v1/logs")).count()).isEqualTo(4);
    assertThat(counter("sluice_exporter_sent_items", "logs")).isEqualTo(6);
  }

  @Test
  void shutdownWithoutStartAndTwiceCompletesAndStartWorksAgain() throws Exception {
    startSink();
    Exporter e = new OtlpHttpExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, ID,
        metrics), config());
    exporters.add(e);
    e.shutdown().await(5, TimeUnit.SECONDS);
    e.shutdown().await(5, TimeUnit.SECONDS);
    Future<Void> refused = e.consume(TestData.traces(1, 20));
    await().atMost(Duration.ofSeconds(5)).until(refused::isComplete);
    assertThat(refused.cause()).isInstanceOf(RetryableException.class);

    e.start().await(10, TimeUnit.SECONDS);
    consume(e, TestData.traces(1, 21));
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 1);
    e.shutdown().await(10, TimeUnit.SECONDS);
    e.start().await(10, TimeUnit.SECONDS);
    consume(e, TestData.traces(1, 22));
    await().atMost(Duration.ofSeconds(10)).until(() -> sink.received.size() == 2);
  }
}
