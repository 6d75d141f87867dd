package io.sluice.exporter.loki;

import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Exporter;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.Awaitility;
import org.awaitility.core.ConditionFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class LokiExporterTest {
  private static final String ID = "loki/test";
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final long T0 = 1_760_000_000_000_000_000L;

  private TestVertx tv;
  private SelfMetrics metrics;
  private ComponentContext ctx;
  private LokiSink sink;
  private final List<Exporter> exporters = new ArrayList<>();

  /**
   * Pushes once, protobuf and JSON, on a Vert.x without the strict blocked-thread check, so that
   * loading the HTTP, snappy and JSON classes for the first time in this JVM does not count
   * against whichever test runs first.
   */
  @BeforeAll
  static void warmUpTheJvm() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (LokiSink s = LokiSink.start(vertx)) {
      for (String encoding : List.of("protobuf", "json")) {
        LokiExporterConfig c = new LokiExporterConfig(s.url(), encoding, Map.of(), "", null, null, "raw", 10,
            Duration.ofMinutes(1), Duration.ofSeconds(10), null, null, QueueSettings.disabled(),
            RetrySettings.disabled());
        Exporter e = new LokiExporterFactory().create(TestContexts.context(vertx, ComponentKind.EXPORTER,
            "loki/warmup"), c);
        e.start().await(30, TimeUnit.SECONDS);
        e.consume(batch(resourceLogs(resource("warm", "", ""), record(T0, "INFO", "up")))).await(30,
            TimeUnit.SECONDS);
        e.shutdown().await(30, TimeUnit.SECONDS);
      }
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @BeforeEach
  void setUp() throws Exception {
    tv = TestVertx.create();
    metrics = new SelfMetrics();
    ctx = TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, ID, metrics);
    sink = LokiSink.start(tv.vertx());
  }

  @AfterEach
  void tearDown() {
    for (Exporter e : exporters) {
      e.shutdown().await();
    }
    sink.close();
    tv.close();
  }

  // ---------------------------------------------------------------- what Loki gets

  @Test
  void pushesOneSnappyProtobufStreamPerLabelSetWithDefaultLabelsMetadataAndEntriesSortedByTime() {
    Exporter e = started(config());
    Resource res = resource("checkout", "shop", "checkout-7", attr("host.name", "h1"));
    LogRecord late = record(T0 + 300, "ERROR", "payment failed", attr("order.id", "o-1"));
    LogRecord early = record(T0 + 100, "ERROR", "card declined", attr("order.id", "o-2"));
    LogRecord info = record(T0 + 200, "INFO", "order placed", attr("order.id", "o-3"));

    await(e.consume(batch(resourceLogs(res, late, info, early))));

    awaitPushes(2);
    Map<String, LokiSink.Stream> byLevel = new java.util.HashMap<>();
    for (LokiSink.Received r : sink.pushes) {
      assertThat(r.contentType()).isEqualTo("application/x-protobuf");
      assertThat(r.tenant()).isNull();
      assertThat(r.userAgent()).startsWith("Sluice/");
      byLevel.put(r.stream().labels().get("level"), r.stream());
    }
    LokiSink.Stream errors = byLevel.get("error");
    assertThat(errors.labels()).containsExactly(Map.entry("exporter", "OTLP"), Map.entry("instance", "checkout-7"),
        Map.entry("job", "shop/checkout"), Map.entry("level", "error"));
    assertThat(errors.selector()).isEqualTo("{exporter=\"OTLP\", instance=\"checkout-7\", job=\"shop/checkout\","
        + " level=\"error\"}");
    assertThat(errors.entries()).extracting(LokiSink.Entry::line).containsExactly("card declined", "payment failed");
    assertThat(errors.entries()).extracting(LokiSink.Entry::timeNanos).containsExactly(T0 + 100, T0 + 300);
    LokiSink.Entry first = errors.entries().get(0);
    assertThat(first.metadata()).containsEntry("order_id", "o-2").containsEntry("severity_text", "ERROR")
        .containsEntry("scope_name", "io.sluice.test").containsEntry("host_name", "h1")
        .containsEntry("service_name", "checkout").containsEntry("trace_id", "0102030405060708090a0b0c0d0e0f10")
        .containsEntry("span_id", "1112131415161718");
    assertThat(byLevel.get("info").entries()).extracting(LokiSink.Entry::line).containsExactly("order placed");
    awaitCounter("sluice_exporter_sent_items", 3);
  }

  @Test
  void jsonEncodingCarriesTheSameStreamsWithStringTimestamps() {
    Exporter e = started(config().encoding("json"));

    await(e.consume(batch(resourceLogs(resource("api", "", "", attr("env", "prod")),
        record(T0 + 2, "WARN", "slow", attr("route", "/a")), record(T0 + 1, "WARN", "slower")))));

    awaitPushes(1);
    LokiSink.Received r = sink.pushes.get(0);
    assertThat(r.contentType()).isEqualTo("application/json");
    assertThat(r.stream().labels()).containsExactly(Map.entry("exporter", "OTLP"), Map.entry("job", "api"),
        Map.entry("level", "warn"));
    assertThat(r.stream().entries()).extracting(LokiSink.Entry::line).containsExactly("slower", "slow");
    assertThat(r.stream().entries().get(1).metadata()).containsEntry("route", "/a").containsEntry("env", "prod");
  }

  @Test
  void configuredAttributesBecomeSanitisedLabelsAndLeaveTheMetadata() {
    Exporter e = started(config().labels(new LokiExporterConfig.Labels(
        Map.of("k8s.namespace.name", "", "host.name", "node"), Map.of("http.status_code", "", "1st-try", "")))
        .defaultLabels(new LokiExporterConfig.DefaultLabelsEnabled(false, true, false, false)));

    await(e.consume(batch(resourceLogs(resource("api", "", "api-1", attr("k8s.namespace.name", "prod"),
        attr("host.name", "n1")), record(T0, "INFO", "hello", attr("http.status_code", 200),
        attr("1st-try", "yes"), attr("user", "u\"1"))))));

    awaitPushes(1);
    LokiSink.Stream s = sink.pushes.get(0).stream();
    assertThat(s.labels()).containsExactly(Map.entry("_1st_try", "yes"), Map.entry("http_status_code", "200"),
        Map.entry("job", "api"), Map.entry("k8s_namespace_name", "prod"), Map.entry("node", "n1"));
    assertThat(s.entries().get(0).metadata()).containsEntry("user", "u\"1")
        .containsEntry("service_instance_id", "api-1")
        .doesNotContainKeys("http_status_code", "k8s_namespace_name", "host_name", "_1st_try");
  }

  @Test
  void honoursTheCollectorsHintsForLabelsFormatAndTenant() {
    Exporter e = started(config().tenant("default-tenant"));
    Resource hinted = resource("api", "", "", attr("loki.resource.labels", "deployment.environment, team"),
        attr("loki.attribute.labels", "component"), attr("loki.format", "json"), attr("loki.tenant", "tenant.id"),
        attr("deployment.environment", "staging"), attr("team", "core"), attr("tenant.id", "acme"));
    LogRecord r1 = record(T0, "INFO", "started", attr("component", "db"), attr("pool", 5));
    LogRecord r2 = record(T0 + 1, "INFO", "k=v", attr("loki.format", "logfmt"), attr("component", "db"),
        attr("loki.attribute.labels", "shard"), attr("shard", "s1"));

    await(e.consume(batch(resourceLogs(hinted, r1, r2),
        resourceLogs(resource("web", "", ""), record(T0, "", "plain")))));

    awaitPushes(3);
    LokiSink.Received json = pushWithLabel("component", "db", "shard", null);
    assertThat(json.tenant()).isEqualTo("acme");
    assertThat(json.stream().labels()).containsEntry("deployment_environment", "staging").containsEntry("team", "core")
        .containsEntry("component", "db").doesNotContainKeys("loki_resource_labels", "tenant_id");
    String line = json.stream().entries().get(0).line();
    assertThat(line).startsWith("{\"body\":\"started\"").contains("\"attributes\":{\"pool\":5}")
        .contains("\"tenant.id\":\"acme\"").doesNotContain("loki.").doesNotContain("\"component\"");
    assertThat(json.stream().entries().get(0).metadata()).containsOnlyKeys("trace_id", "span_id");
    LokiSink.Received logfmt = pushWithLabel("component", "db", "shard", "s1");
    assertThat(logfmt.stream().entries().get(0).line()).startsWith("msg=\"k=v\" traceID=").doesNotContain("shard")
        .contains(" resource_tenant.id=acme").doesNotContain("resource_team");
    LokiSink.Received plain = pushWithLabel("job", "web", null, null);
    assertThat(plain.tenant()).isEqualTo("default-tenant");
    assertThat(plain.stream().labels()).doesNotContainKey("level");
  }

  @Test
  void recordsOverMaxStreamsGoToTheOverflowStreamWithTheirLabelsAsMetadata() {
    Exporter e = started(config().maxStreams(2));
    List<ResourceLogs> rls = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      rls.add(resourceLogs(resource("svc-" + i, "", ""), record(T0 + i, "INFO", "line " + i)));
    }

    await(e.consume(batch(rls.toArray(ResourceLogs[]::new))));
    await(e.consume(batch(resourceLogs(resource("svc-0", "", ""), record(T0 + 10, "INFO", "again")))));

    awaitPushes(4);
    assertThat(sink.acceptedLines("{sluice_overflow=\"true\"}")).containsExactly("line 2", "line 3");
    LokiSink.Stream overflow = sink.accepted().stream().filter(s -> s.labels().containsKey("sluice_overflow"))
        .findFirst().orElseThrow();
    assertThat(overflow.entries().get(0).metadata()).containsEntry("job", "svc-2").containsEntry("exporter", "OTLP");
    assertThat(sink.acceptedLines("{exporter=\"OTLP\", job=\"svc-0\", level=\"info\"}"))
        .containsExactly("line 0", "again");
    assertThat(SelfMetricsReader.counter(metrics, "sluice_exporter_loki_overflow_items", "component_id", ID))
        .isEqualTo(2);
  }

  @Test
  void streamsIdleLongerThanTheTimeoutMakeRoomForNewOnes() {
    AtomicLong clock = new AtomicLong();
    LokiExporterConfig c = config().maxStreams(1).streamIdle(Duration.ofMinutes(1)).build();
    LokiExporter sender = new LokiExporter(ctx, c, clock::get, () -> T0);
    Exporter e = track(LokiExporterFactory.create(ctx, sender, c));
    await(e.start());

    await(e.consume(batch(resourceLogs(resource("a", "", ""), record(T0, "INFO", "a1")))));
    clock.addAndGet(Duration.ofSeconds(59).toNanos());
    await(e.consume(batch(resourceLogs(resource("b", "", ""), record(T0, "INFO", "b1")))));
    clock.addAndGet(Duration.ofSeconds(61).toNanos());
    await(e.consume(batch(resourceLogs(resource("b", "", ""), record(T0, "INFO", "b2")))));

    awaitPushes(3);
    assertThat(sink.acceptedLines("{sluice_overflow=\"true\"}")).containsExactly("b1");
    assertThat(sink.acceptedLines("{exporter=\"OTLP\", job=\"b\", level=\"info\"}")).containsExactly("b2");
  }

  @Test
  void aRecordWithoutTimeTakesItsObservedTimeOrNow() {
    AtomicLong wall = new AtomicLong(T0 + 999);
    LokiExporterConfig c = config().build();
    Exporter e = track(LokiExporterFactory.create(ctx, new LokiExporter(ctx, c, System::nanoTime, wall::get), c));
    await(e.start());

    await(e.consume(batch(resourceLogs(resource("a", "", ""),
        LogRecord.newBuilder().setObservedTimeUnixNano(T0 + 5).setBody(str("observed")).build(),
        LogRecord.newBuilder().setBody(str("none")).build()))));

    awaitPushes(1);
    assertThat(sink.pushes.get(0).stream().entries()).extracting(LokiSink.Entry::timeNanos)
        .containsExactly(T0 + 5, T0 + 999);
  }

  // ---------------------------------------------------------------- answers

  @Test
  void oneStreamBeingRetriedDoesNotHoldUpTheOthersNorLetItsLaterEntriesOvertake() {
    // The slow stream fails until the fast one has all its entries in: were it held up, nothing would move.
    AtomicInteger fastAccepted = new AtomicInteger();
    sink.answer(streams -> {
      String job = streams.get(0).labels().get("job");
      if (job.equals("fast")) {
        fastAccepted.incrementAndGet();
        return LokiSink.Answer.OK;
      }
      return fastAccepted.get() < 3 ? new LokiSink.Answer(500, null, "ingester down") : LokiSink.Answer.OK;
    });
    Exporter e = started(config().retry(fastRetry()).queue(new QueueSettings(true, 4, 100)));

    for (int i = 0; i < 3; i++) {
      await(e.consume(batch(resourceLogs(resource("slow", "", ""), record(T0 + i, "INFO", "slow " + i)),
          resourceLogs(resource("fast", "", ""), record(T0 + i, "INFO", "fast " + i)))));
    }

    awaitCounter("sluice_exporter_sent_items", 6);
    String slow = "{exporter=\"OTLP\", job=\"slow\", level=\"info\"}";
    String fast = "{exporter=\"OTLP\", job=\"fast\", level=\"info\"}";
    assertThat(sink.acceptedLines(slow)).containsExactly("slow 0", "slow 1", "slow 2");
    assertThat(sink.acceptedLines(fast)).containsExactly("fast 0", "fast 1", "fast 2");
    // The slow stream's first entry was pushed again and again, and nothing of it went before it got in.
    List<String> slowAttempts = sink.pushes.stream().filter(p -> p.stream().selector().equals(slow))
        .map(p -> p.stream().entries().get(0).line()).toList();
    assertThat(slowAttempts.subList(slowAttempts.size() - 3, slowAttempts.size()))
        .containsExactly("slow 0", "slow 1", "slow 2");
    assertThat(slowAttempts.subList(0, slowAttempts.size() - 2)).hasSizeGreaterThan(1).containsOnly("slow 0");
    assertThat(SelfMetricsReader.counter(metrics, "sluice_exporter_retried_requests", "component_id", ID,
        "signal", "logs")).isPositive();
  }

  @Test
  void whileLokiAnswers503TheQueuePushesBackAndAfterwardsEveryEntryArrivesInOrder() {
    AtomicBoolean down = new AtomicBoolean(true);
    sink.answer(s -> down.get() ? new LokiSink.Answer(503, null, "ingesters unavailable") : LokiSink.Answer.OK);
    Exporter e = started(config().retry(fastRetry()).queue(new QueueSettings(true, 2, 6)));

    List<String> accepted = new ArrayList<>();
    int refused = 0;
    for (int i = 0; i < 20; i++) {
      Future<Void> ack = e.consume(batch(resourceLogs(resource("a", "", ""), record(T0 + i, "INFO", "a" + i)),
          resourceLogs(resource("b", "", ""), record(T0 + i, "INFO", "b" + i))));
      poll().atMost(WAIT).until(ack::isComplete);
      if (ack.succeeded()) {
        accepted.add("a" + i);
      } else {
        assertThat(ack.cause()).isInstanceOf(io.sluice.core.ResourceExhaustedException.class);
        refused++;
      }
    }
    assertThat(refused).as("batches refused while Loki is down").isPositive();
    down.set(false);

    awaitCounter("sluice_exporter_sent_items", 2.0 * accepted.size());
    assertThat(sink.acceptedLines("{exporter=\"OTLP\", job=\"a\", level=\"info\"}")).isEqualTo(accepted);
    assertThat(sink.acceptedLines("{exporter=\"OTLP\", job=\"b\", level=\"info\"}"))
        .isEqualTo(accepted.stream().map(l -> "b" + l.substring(1)).toList());
  }

  @Test
  void a429IsRetriedNoSoonerThanRetryAfter() {
    AtomicInteger n = new AtomicInteger();
    sink.answer(s -> n.getAndIncrement() == 0 ? new LokiSink.Answer(429, "1", "Ingestion rate limit exceeded")
        : LokiSink.Answer.OK);
    Exporter e = started(config().retry(fastRetry()));

    await(e.consume(batch(resourceLogs(resource("a", "", ""), record(T0, "INFO", "x")))));

    awaitPushes(2);
    assertThat(sink.pushes.get(1).atNanos() - sink.pushes.get(0).atNanos())
        .isGreaterThanOrEqualTo(Duration.ofMillis(950).toNanos());
    awaitCounter("sluice_exporter_sent_items", 1);
  }

  @Test
  void a400IsNotRetriedAndItsEntriesAreCountedAsDroppedWithTheReason() throws Exception {
    sink.answer(s -> s.get(0).labels().get("job").equals("old")
        ? new LokiSink.Answer(400, null, "entry for stream '{job=\"old\"}' has timestamp too old: 2020-01-01")
        : LokiSink.Answer.OK);
    Exporter e = started(config().retry(fastRetry()));

    await(e.consume(batch(resourceLogs(resource("old", "", ""), record(T0, "INFO", "x"), record(T0 + 1, "INFO", "y")),
        resourceLogs(resource("new", "", ""), record(T0, "INFO", "z")))));

    awaitCounter("sluice_exporter_sent_items", 1);
    awaitCounter("sluice_exporter_send_failed_items", 2);
    // Nothing more may come: a retry would arrive within 10 ms.
    Awaitility.await().during(Duration.ofMillis(100)).atMost(Duration.ofSeconds(5))
        .until(() -> sink.pushes.size() == 2);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_exporter_dropped_items", "component_id", ID,
        "signal", "logs", "reason", "too_old")).isEqualTo(2);
  }

  @Test
  void mapsLokis400MessagesToBoundedReasons() {
    assertThat(LokiExporter.reason("entry too far behind, entry timestamp is: x")).isEqualTo("out_of_order");
    assertThat(LokiExporter.reason("entry out of order")).isEqualTo("out_of_order");
    assertThat(LokiExporter.reason("has timestamp too new")).isEqualTo("too_far_in_future");
    assertThat(LokiExporter.reason("Max entry size '262144' bytes exceeded")).isEqualTo("line_too_long");
    assertThat(LokiExporter.reason("error parsing labels '{a=}'")).isEqualTo("invalid_labels");
    assertThat(LokiExporter.reason("something else")).isEqualTo("bad_request");
  }

  @Test
  void sendsHeadersAndTheConfiguredTenant() {
    Exporter e = started(config().tenant("team-a").headers(Map.of("Authorization", "Bearer t0k")));

    await(e.consume(batch(resourceLogs(resource("a", "", ""), record(T0, "INFO", "x")))));

    awaitPushes(1);
    assertThat(sink.pushes.get(0).tenant()).isEqualTo("team-a");
    assertThat(sink.pushes.get(0).authorization()).isEqualTo("Bearer t0k");
  }

  // ---------------------------------------------------------------- names

  @Test
  void sanitisesLabelNamesAndQuotesValuesAsLokiParsesThem() {
    assertThat(LokiLabels.sanitize("service.name")).isEqualTo("service_name");
    assertThat(LokiLabels.sanitize("9lives")).isEqualTo("_9lives");
    assertThat(LokiLabels.sanitize("ok_Name1")).isEqualTo("ok_Name1");
    assertThat(LokiLabels.sanitize("")).isEqualTo("_");
    Map<String, String> labels = new java.util.TreeMap<>(Map.of("a", "x\"y\\z\nw", "b", ""));
    assertThat(LokiSink.parseSelector(LokiLabels.selector(labels))).isEqualTo(labels);
  }

  // ---------------------------------------------------------------- helpers

  private ConfigBuilder config() {
    return new ConfigBuilder();
  }

  /** The defaults, a few fields at a time. */
  final class ConfigBuilder {
    private String encoding = "protobuf";
    private String tenant = "";
    private Map<String, String> headers = Map.of();
    private LokiExporterConfig.DefaultLabelsEnabled defaults = null;
    private LokiExporterConfig.Labels labels = null;
    private int maxStreams = 5000;
    private Duration idle = Duration.ofMinutes(30);
    private RetrySettings retry = RetrySettings.defaults();
    private QueueSettings queue = QueueSettings.defaults();

    ConfigBuilder encoding(String v) {
      encoding = v;
      return this;
    }

    ConfigBuilder tenant(String v) {
      tenant = v;
      return this;
    }

    ConfigBuilder headers(Map<String, String> v) {
      headers = v;
      return this;
    }

    ConfigBuilder defaultLabels(LokiExporterConfig.DefaultLabelsEnabled v) {
      defaults = v;
      return this;
    }

    ConfigBuilder labels(LokiExporterConfig.Labels v) {
      labels = v;
      return this;
    }

    ConfigBuilder maxStreams(int v) {
      maxStreams = v;
      return this;
    }

    ConfigBuilder streamIdle(Duration v) {
      idle = v;
      return this;
    }

    ConfigBuilder retry(RetrySettings v) {
      retry = v;
      return this;
    }

    ConfigBuilder queue(QueueSettings v) {
      queue = v;
      return this;
    }

    LokiExporterConfig build() {
      return new LokiExporterConfig(sink.url(), encoding, headers, tenant, defaults, labels, "raw", maxStreams, idle,
          Duration.ofSeconds(5), null, null, queue, retry);
    }
  }

  private Exporter started(ConfigBuilder c) {
    LokiExporterConfig config = c.build();
    assertThat(config.validate()).isEmpty();
    Exporter e = track(new LokiExporterFactory().create(ctx, config));
    await(e.start());
    return e;
  }

  private Exporter track(Exporter e) {
    exporters.add(e);
    return e;
  }

  static RetrySettings fastRetry() {
    return new RetrySettings(true, Duration.ofMillis(10), 0, 1.5, Duration.ofMillis(50), Duration.ofSeconds(20));
  }

  private LokiSink.Received pushWithLabel(String name, String value, String otherName, String otherValue) {
    return sink.pushes.stream().filter(p -> value.equals(p.stream().labels().get(name))
        && (otherName == null || java.util.Objects.equals(otherValue, p.stream().labels().get(otherName))))
        .findFirst().orElseThrow(() -> new AssertionError("no push with " + name + "=" + value + " in " + sink.pushes));
  }

  private void awaitPushes(int n) {
    poll().atMost(WAIT).until(() -> sink.pushes.size() >= n);
  }

  private void awaitCounter(String name, double value) {
    poll().atMost(WAIT).until(() -> SelfMetricsReader.counter(metrics, name, "component_id", ID, "signal", "logs")
        == value);
  }

  private static ConditionFactory poll() {
    return Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5));
  }

  private static <T> T await(Future<T> f) {
    poll().atMost(WAIT).until(f::isComplete);
    if (f.failed()) {
      throw new AssertionError("failed", f.cause());
    }
    return f.result();
  }

  static AnyValue str(String s) {
    return AnyValue.newBuilder().setStringValue(s).build();
  }

  static Resource resource(String service, String namespace, String instance, KeyValue... more) {
    Resource.Builder r = Resource.newBuilder().addAttributes(attr("service.name", service));
    if (!namespace.isEmpty()) {
      r.addAttributes(attr("service.namespace", namespace));
    }
    if (!instance.isEmpty()) {
      r.addAttributes(attr("service.instance.id", instance));
    }
    for (KeyValue kv : more) {
      r.addAttributes(kv);
    }
    return r.build();
  }

  static LogRecord record(long time, String severity, String body, KeyValue... attrs) {
    LogRecord.Builder b = LogRecord.newBuilder().setTimeUnixNano(time).setBody(str(body))
        .setTraceId(ByteString.copyFrom(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}))
        .setSpanId(ByteString.copyFrom(new byte[] {0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18}));
    if (!severity.isEmpty()) {
      b.setSeverityText(severity).setSeverityNumber(SeverityNumber.SEVERITY_NUMBER_INFO);
    }
    for (KeyValue kv : attrs) {
      b.addAttributes(kv);
    }
    return b.build();
  }

  static ResourceLogs resourceLogs(Resource r, LogRecord... records) {
    ScopeLogs.Builder sl = ScopeLogs.newBuilder().setScope(TestData.scope());
    for (LogRecord rec : records) {
      sl.addLogRecords(rec);
    }
    return ResourceLogs.newBuilder().setResource(r).addScopeLogs(sl).build();
  }

  static Batch batch(ResourceLogs... rls) {
    return Batch.logs(List.of(rls), Envelope.of(ComponentId.of("otlp")));
  }
}
