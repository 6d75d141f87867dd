package io.sluice.processor.attributes;

import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Processor;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AttributesProcessorTest {
  private static TestVertx testVertx;
  private final SelfMetrics selfMetrics = new SelfMetrics();
  private final CapturingConsumer next = new CapturingConsumer();

  @BeforeAll
  static void startVertx() {
    testVertx = TestVertx.create(1);
  }

  @AfterAll
  static void stopVertx() {
    testVertx.close();
  }

  private Processor processor(String yaml, Signal signal) throws Exception {
    AttributesProcessorFactory f = new AttributesProcessorFactory();
    AttributesProcessorConfig c = ConfigLoader.bindComponent(f, yaml);
    Processor p = f.create(TestContexts.processorContext(testVertx.vertx(), "attributes", signal.configName(),
        selfMetrics), c, signal, next);
    p.start();
    return p;
  }

  private Batch send(Processor p, Batch in) {
    Future<Void> ack = p.consume(in);
    assertThat(ack.succeeded()).as("acknowledged at once").isTrue();
    assertThat(next.batches()).isNotEmpty();
    return next.batches().get(next.batches().size() - 1);
  }

  private static AnyValue value(List<KeyValue> attrs, String key) {
    return attrs.stream().filter(kv -> kv.getKey().equals(key)).map(KeyValue::getValue).findFirst().orElse(null);
  }

  private static String str(List<KeyValue> attrs, String key) {
    AnyValue v = value(attrs, key);
    return v == null ? null : v.getStringValue();
  }

  private static final String ACTIONS = """
      actions:
        - key: environment
          value: production
          action: insert
        - key: http.route
          action: hash
      """;

  // ---- each signal ----

  @Test
  void changesSpanAttributesAndKeepsEverythingElse() throws Exception {
    Processor p = processor(ACTIONS, Signal.TRACES);
    Batch in = TestData.traces(10, 1);
    Batch out = send(p, in);
    assertThat(out.itemCount()).isEqualTo(10);
    List<Span> before = in.resourceSpans().get(0).getScopeSpans(0).getSpansList();
    List<Span> after = out.resourceSpans().get(0).getScopeSpans(0).getSpansList();
    for (int i = 0; i < after.size(); i++) {
      assertThat(str(after.get(i).getAttributesList(), "environment")).isEqualTo("production");
      assertThat(value(after.get(i).getAttributesList(), "http.route"))
          .isEqualTo(Values.hash(Values.string("/api/items/{id}")));
      assertThat(after.get(i).toBuilder().clearAttributes().build())
          .isEqualTo(before.get(i).toBuilder().clearAttributes().build());
    }
    assertThat(out.resourceSpans().get(0).getResource()).isSameAs(in.resourceSpans().get(0).getResource());
    assertThat(out.envelope()).isSameAs(in.envelope());
  }

  @Test
  void changesLogRecordAttributes() throws Exception {
    Processor p = processor(ACTIONS, Signal.LOGS);
    Batch out = send(p, TestData.logs(5, 1));
    List<LogRecord> records = out.resourceLogs().get(0).getScopeLogs(0).getLogRecordsList();
    assertThat(records).hasSize(5).allSatisfy(r -> {
      assertThat(str(r.getAttributesList(), "environment")).isEqualTo("production");
      assertThat(str(r.getAttributesList(), "http.route")).hasSize(64);
    });
  }

  @Test
  void changesTheAttributesOfEveryKindOfMetricDataPoint() throws Exception {
    Processor p = processor("""
        actions:
          - key: environment
            value: production
            action: insert
          - key: route
            action: delete
        """, Signal.METRICS);
    ResourceMetrics rm = TestData.resourceMetrics("checkout", 2, 1);
    rm = rm.toBuilder().setScopeMetrics(0, rm.getScopeMetrics(0).toBuilder()
        .addMetrics(Metric.newBuilder().setName("exp").setExponentialHistogram(ExponentialHistogram.newBuilder()
            .addDataPoints(ExponentialHistogramDataPoint.newBuilder().addAttributes(attr("route", "/x")).setCount(1))))
        .addMetrics(Metric.newBuilder().setName("summary").setSummary(Summary.newBuilder()
            .addDataPoints(SummaryDataPoint.newBuilder().addAttributes(attr("route", "/x")).setCount(1)))))
        .build();
    Batch out = send(p, Batch.metrics(List.of(rm), Envelope.of(ComponentId.of("test"))));
    List<List<KeyValue>> pointAttrs = new ArrayList<>();
    for (Metric m : out.resourceMetrics().get(0).getScopeMetrics(0).getMetricsList()) {
      switch (m.getDataCase()) {
        case SUM -> m.getSum().getDataPointsList().forEach(dp -> pointAttrs.add(dp.getAttributesList()));
        case GAUGE -> m.getGauge().getDataPointsList().forEach(dp -> pointAttrs.add(dp.getAttributesList()));
        case HISTOGRAM -> m.getHistogram().getDataPointsList().forEach(dp -> pointAttrs.add(dp.getAttributesList()));
        case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsList()
            .forEach(dp -> pointAttrs.add(dp.getAttributesList()));
        case SUMMARY -> m.getSummary().getDataPointsList().forEach(dp -> pointAttrs.add(dp.getAttributesList()));
        default -> throw new AssertionError(m);
      }
    }
    assertThat(pointAttrs).hasSize(8).allSatisfy(a -> {
      assertThat(str(a, "environment")).isEqualTo("production");
      assertThat(value(a, "route")).isNull();
    });
    assertThat(out.itemCount()).isEqualTo(8);
  }

  @Test
  void passesAnUnchangedBatchOnAsTheSameObjects() throws Exception {
    Processor p = processor("""
        actions:
          - key: not.there
            value: x
            action: update
        """, Signal.TRACES);
    Batch in = TestData.traces(4, 2);
    assertThat(send(p, in)).isSameAs(in);
  }

  @Test
  void rebuildsOnlyTheMessagesThatChange() throws Exception {
    Processor p = processor("""
        include:
          match_type: strict
          services: [checkout]
        actions:
          - key: environment
            value: production
            action: insert
        """, Signal.TRACES);
    ResourceSpans checkout = TestData.resourceSpans("checkout", 3, 1);
    ResourceSpans payment = TestData.resourceSpans("payment", 3, 2);
    Batch out = send(p, Batch.traces(List.of(payment, checkout), Envelope.of(ComponentId.of("test"))));
    assertThat(out.resourceSpans().get(0)).isSameAs(payment);
    assertThat(out.resourceSpans().get(1)).isNotSameAs(checkout);
    assertThat(out.resourceSpans().get(1).getScopeSpans(0).getSpansList())
        .allSatisfy(s -> assertThat(str(s.getAttributesList(), "environment")).isEqualTo("production"));
  }

  @Test
  void countsIncomingAndOutgoingItemsAndForwardsTheNextAcknowledgement() throws Exception {
    Processor p = processor(ACTIONS, Signal.LOGS);
    next.failWith(new RetryableException("down"));
    Future<Void> ack = p.consume(TestData.logs(7, 1));
    assertThat(ack.failed()).isTrue();
    assertThat(ack.cause()).isInstanceOf(RetryableException.class);
    assertThat(SelfMetricsReader.counter(selfMetrics, "sluice_processor_incoming_items", "component_id",
        "attributes", "signal", "logs")).isEqualTo(7);
    assertThat(SelfMetricsReader.counter(selfMetrics, "sluice_processor_outgoing_items", "component_id",
        "attributes", "signal", "logs")).isEqualTo(7);
  }

  @Test
  void fromContextTakesTheBatchsRequestMetadata() throws Exception {
    Processor p = processor("""
        actions:
          - key: tenant
            from_context: metadata.x-scope-orgid
            action: upsert
        """, Signal.LOGS);
    Batch in = Batch.logs(List.of(TestData.resourceLogs("a", 2, 1)),
        new Envelope(ComponentId.of("test"), 0, "", Map.of("X-Scope-OrgID", "acme")));
    Batch out = send(p, in);
    assertThat(out.resourceLogs().get(0).getScopeLogs(0).getLogRecordsList())
        .allSatisfy(r -> assertThat(str(r.getAttributesList(), "tenant")).isEqualTo("acme"));
  }

  // ---- include / exclude on spans ----

  private static ResourceSpans spans(String service, String scopeName, Span... spans) {
    return ResourceSpans.newBuilder().setResource(TestData.resource(service))
        .addScopeSpans(ScopeSpans.newBuilder().setScope(InstrumentationScope.newBuilder().setName(scopeName)
            .setVersion("1.2.0")).addAllSpans(List.of(spans)))
        .build();
  }

  private static Span span(String name, Span.SpanKind kind, KeyValue... attrs) {
    return Span.newBuilder().setName(name).setKind(kind).addAllAttributes(List.of(attrs)).build();
  }

  /** For each span of the batch in order: whether the processor marked it. */
  private List<Boolean> marked(String match, List<ResourceSpans> in) throws Exception {
    next.clear();
    Processor p = processor(match + """
        actions:
          - key: marked
            value: true
            action: insert
        """, Signal.TRACES);
    Batch out = send(p, Batch.traces(in, Envelope.of(ComponentId.of("test"))));
    List<Boolean> marks = new ArrayList<>();
    out.resourceSpans().forEach(rs -> rs.getScopeSpansList().forEach(ss -> ss.getSpansList()
        .forEach(s -> marks.add(value(s.getAttributesList(), "marked") != null))));
    return marks;
  }

  private final List<ResourceSpans> traffic = List.of(
      spans("checkout", "io.sluice.http",
          span("GET /cart", Span.SpanKind.SPAN_KIND_SERVER, attr("http.route", "/cart"), attr("http.status", 200)),
          span("SELECT cart", Span.SpanKind.SPAN_KIND_CLIENT, attr("db.system", "postgresql"))),
      spans("payment", "io.sluice.http",
          span("POST /pay", Span.SpanKind.SPAN_KIND_SERVER, attr("http.route", "/pay"), attr("http.status", 500))),
      spans("checkout-v2", "other.lib",
          span("GET /cart", Span.SpanKind.SPAN_KIND_SERVER, attr("http.route", "/cart"))));

  @Test
  void includeByServiceStrictAndRegexp() throws Exception {
    assertThat(marked("""
        include:
          match_type: strict
          services: [checkout]
        """, traffic)).containsExactly(true, true, false, false);
    assertThat(marked("""
        include:
          match_type: regexp
          services: ["^check"]
        """, traffic)).containsExactly(true, true, false, true);
  }

  @Test
  void includeBySpanNameAndKind() throws Exception {
    assertThat(marked("""
        include:
          match_type: strict
          span_names: ["GET /cart", "POST /pay"]
          span_kinds: [server]
        """, traffic)).containsExactly(true, false, true, true);
    assertThat(marked("""
        include:
          match_type: regexp
          span_names: ["^(GET|SELECT) "]
          span_kinds: ["CLIENT$"]
        """, traffic)).containsExactly(false, true, false, false);
  }

  @Test
  void includeBySpanAttributesNeedsEveryAttributeToMatch() throws Exception {
    assertThat(marked("""
        include:
          match_type: strict
          attributes:
            - key: http.route
              value: /cart
            - key: http.status
              value: 200
        """, traffic)).containsExactly(true, false, false, false);
    assertThat(marked("""
        include:
          match_type: strict
          attributes:
            - key: http.status
              value: "200"
        """, traffic)).as("strict compares types too").containsExactly(false, false, false, false);
    assertThat(marked("""
        include:
          match_type: regexp
          attributes:
            - key: http.status
              value: ^5
        """, traffic)).containsExactly(false, false, true, false);
    assertThat(marked("""
        include:
          match_type: strict
          attributes:
            - key: db.system
        """, traffic)).as("a key alone only has to be present").containsExactly(false, true, false, false);
  }

  @Test
  void excludeLeavesMatchingSpansAlone() throws Exception {
    assertThat(marked("""
        exclude:
          match_type: strict
          services: [checkout]
          span_kinds: [SPAN_KIND_CLIENT]
        """, traffic)).containsExactly(true, false, true, true);
    assertThat(marked("""
        exclude:
          match_type: regexp
          span_names: ["^GET"]
        """, traffic)).containsExactly(false, true, true, false);
  }

  @Test
  void includeAndExcludeTogether() throws Exception {
    assertThat(marked("""
        include:
          match_type: regexp
          services: [checkout]
        exclude:
          match_type: strict
          attributes:
            - key: db.system
              value: postgresql
        """, traffic)).containsExactly(true, false, false, true);
  }

  @Test
  void includeByResourceAttributesAndLibraries() throws Exception {
    assertThat(marked("""
        include:
          match_type: strict
          resources:
            - key: service.instance.id
              value: payment-1
        """, traffic)).containsExactly(false, false, true, false);
    assertThat(marked("""
        include:
          match_type: strict
          libraries:
            - name: io.sluice.http
              version: 1.2.0
        """, traffic)).containsExactly(true, true, true, false);
    assertThat(marked("""
        include:
          match_type: regexp
          libraries:
            - name: ^other
              version: ^2\\.
        """, traffic)).containsExactly(false, false, false, false);
  }

  @Test
  void propertiesOfOtherSignalsAreIgnored() throws Exception {
    assertThat(marked("""
        include:
          match_type: strict
          metric_names: [nothing.matches.this]
          log_bodies: [nor this]
        """, traffic)).containsExactly(true, true, true, true);
  }

  // ---- include / exclude on logs ----

  private List<Boolean> markedLogs(String match) throws Exception {
    next.clear();
    Processor p = processor(match + """
        actions:
          - key: marked
            value: 1
            action: insert
        """, Signal.LOGS);
    ResourceLogs rl = ResourceLogs.newBuilder().setResource(TestData.resource("checkout"))
        .addScopeLogs(ScopeLogs.newBuilder().setScope(TestData.scope())
            .addLogRecords(log("user alice logged in", "INFO", attr("component", "auth")))
            .addLogRecords(log("disk full", "ERROR", attr("component", "storage")))
            .addLogRecords(log("cache miss", "DEBUG"))
            .addLogRecords(LogRecord.newBuilder().setBody(AnyValue.newBuilder().setStringValue("no severity"))))
        .build();
    Batch out = send(p, Batch.logs(List.of(rl), Envelope.of(ComponentId.of("test"))));
    return out.resourceLogs().get(0).getScopeLogs(0).getLogRecordsList().stream()
        .map(r -> value(r.getAttributesList(), "marked") != null).toList();
  }

  private static LogRecord log(String body, String severity, KeyValue... attrs) {
    SeverityNumber number = switch (severity) {
      case "INFO" -> SeverityNumber.SEVERITY_NUMBER_INFO;
      case "ERROR" -> SeverityNumber.SEVERITY_NUMBER_ERROR;
      default -> SeverityNumber.SEVERITY_NUMBER_DEBUG;
    };
    return LogRecord.newBuilder().setBody(AnyValue.newBuilder().setStringValue(body)).setSeverityText(severity)
        .setSeverityNumber(number).addAllAttributes(List.of(attrs)).build();
  }

  @Test
  void logsMatchBodiesSeverityTextsAndAttributes() throws Exception {
    assertThat(markedLogs("""
        include:
          match_type: regexp
          log_bodies: ["logged in$", "^disk"]
        """)).containsExactly(true, true, false, false);
    assertThat(markedLogs("""
        include:
          match_type: strict
          log_severity_texts: [ERROR, DEBUG]
        """)).containsExactly(false, true, true, false);
    assertThat(markedLogs("""
        exclude:
          match_type: strict
          attributes:
            - key: component
              value: auth
        """)).containsExactly(false, true, true, true);
    assertThat(markedLogs("""
        include:
          match_type: strict
          libraries:
            - name: io.sluice.test
        exclude:
          match_type: regexp
          log_severity_texts: ["^DEB"]
        """)).containsExactly(true, true, false, true);
  }

  @Test
  void logsMatchAMinimumSeverityNumber() throws Exception {
    assertThat(markedLogs("""
        include:
          match_type: strict
          log_severity_number:
            min: INFO
        """)).containsExactly(true, true, false, false);
    assertThat(markedLogs("""
        include:
          match_type: strict
          log_severity_number:
            min: 17
            match_undefined: true
        """)).containsExactly(false, true, false, true);
  }

  // ---- include / exclude on metrics ----

  /** Per data point of TestData's metrics with 2 points each: the metric name and whether it was marked. */
  private List<String> markedPoints(String match) throws Exception {
    next.clear();
    Processor p = processor(match + """
        actions:
          - key: marked
            value: 1.5
            action: insert
        """, Signal.METRICS);
    Batch out = send(p, TestData.metrics(2, 1));
    List<String> marks = new ArrayList<>();
    for (Metric m : out.resourceMetrics().get(0).getScopeMetrics(0).getMetricsList()) {
      List<List<KeyValue>> attrs = new ArrayList<>();
      switch (m.getDataCase()) {
        case SUM -> m.getSum().getDataPointsList().forEach(dp -> attrs.add(dp.getAttributesList()));
        case GAUGE -> m.getGauge().getDataPointsList().forEach(dp -> attrs.add(dp.getAttributesList()));
        case HISTOGRAM -> m.getHistogram().getDataPointsList().forEach(dp -> attrs.add(dp.getAttributesList()));
        default -> throw new AssertionError(m);
      }
      for (List<KeyValue> a : attrs) {
        AnyValue v = value(a, "marked");
        if (v != null) {
          assertThat(v.getDoubleValue()).isEqualTo(1.5);
          marks.add(m.getName() + "=" + (str(a, "route") != null ? str(a, "route") : str(a, "pool")));
        }
      }
    }
    return marks;
  }

  @Test
  void metricsMatchNamesAndPointAttributes() throws Exception {
    assertThat(markedPoints("""
        include:
          match_type: strict
          metric_names: [pool.utilization]
        """)).containsExactly("pool.utilization=p0", "pool.utilization=p1");
    assertThat(markedPoints("""
        include:
          match_type: regexp
          metric_names: ["^http\\\\."]
        exclude:
          match_type: strict
          attributes:
            - key: route
              value: /r0
        """)).containsExactly("http.server.requests=/r1", "http.server.duration=/r1");
    assertThat(markedPoints("""
        exclude:
          match_type: regexp
          metric_names: [duration]
          resources:
            - key: service.name
              value: ^check
        """)).containsExactly("http.server.requests=/r0", "http.server.requests=/r1", "pool.utilization=p0",
        "pool.utilization=p1");
  }

  @Test
  void servicesAreIgnoredForMetrics() throws Exception {
    assertThat(markedPoints("""
        include:
          match_type: strict
          services: [someone-else]
          metric_names: [pool.utilization]
        """)).containsExactly("pool.utilization=p0", "pool.utilization=p1");
  }
}
