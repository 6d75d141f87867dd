package io.sluice.connector.spanmetrics;

import static io.sluice.connector.spanmetrics.SpanFixtures.MS;
import static io.sluice.connector.spanmetrics.SpanFixtures.attr;
import static io.sluice.connector.spanmetrics.SpanFixtures.counts;
import static io.sluice.connector.spanmetrics.SpanFixtures.dims;
import static io.sluice.connector.spanmetrics.SpanFixtures.exponentialPoints;
import static io.sluice.connector.spanmetrics.SpanFixtures.histogramPoints;
import static io.sluice.connector.spanmetrics.SpanFixtures.map;
import static io.sluice.connector.spanmetrics.SpanFixtures.metric;
import static io.sluice.connector.spanmetrics.SpanFixtures.metricNames;
import static io.sluice.connector.spanmetrics.SpanFixtures.resource;
import static io.sluice.connector.spanmetrics.SpanFixtures.resourceOf;
import static io.sluice.connector.spanmetrics.SpanFixtures.resourceSpans;
import static io.sluice.connector.spanmetrics.SpanFixtures.server;
import static io.sluice.connector.spanmetrics.SpanFixtures.service;
import static io.sluice.connector.spanmetrics.SpanFixtures.span;
import static io.sluice.connector.spanmetrics.SpanFixtures.sumPoints;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Exemplar;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Span.SpanKind;
import io.opentelemetry.proto.trace.v1.Status.StatusCode;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Host;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The connector on a real Vert.x with two event loops (two shards), a capturing consumer as its
 * metrics pipeline and a clock the test moves; flushes are asked for, except where the timer is
 * the behaviour.
 */
class SpanMetricsConnectorTest {
  private static final long T0 = 1_700_000_000_000_000_000L;
  private static final String CALLS = "traces.span.metrics.calls";
  private static final String DURATION = "traces.span.metrics.duration";
  private static final String EVENTS = "traces.span.metrics.events";

  private TestVertx tv;
  private final CapturingConsumer sink = new CapturingConsumer();
  private final AtomicLong clock = new AtomicLong(T0);
  private final SelfMetrics selfMetrics = new SelfMetrics();
  private SpanMetricsConnector connector;

  @BeforeAll
  static void warmUp() throws Exception {
    // Loads Vert.x, protobuf and the connector's classes once outside the strict blocked-loop check.
    io.vertx.core.Vertx vertx = io.vertx.core.Vertx.vertx();
    try {
      ComponentContext ctx = new ComponentContext(ComponentId.parse("spanmetrics/warmup"), ComponentKind.CONNECTOR,
          "", vertx, new SelfMetrics(), Host.ALWAYS_READY);
      SpanMetricsConnector c = new SpanMetricsConnector(ctx, new SpanMetricsConnectorFactory().defaultConfig(),
          b -> Future.succeededFuture());
      c.start();
      c.consume(Batch.traces(List.of(resourceSpans(service("warmup"), server("x", MS))),
          Envelope.of(ComponentId.parse("test")))).await(30, TimeUnit.SECONDS);
      c.shutdown().await(30, TimeUnit.SECONDS);
    } finally {
      vertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  @AfterEach
  void stop() throws Exception {
    if (connector != null) {
      connector.shutdown().await(10, TimeUnit.SECONDS);
    }
    if (tv != null) {
      tv.close();
    }
  }

  private SpanMetricsConnector start(String yaml) throws Exception {
    SpanMetricsConnectorConfig config = ConfigLoader.bindComponent(new SpanMetricsConnectorFactory(), yaml);
    tv = TestVertx.create(2);
    ComponentContext ctx = new ComponentContext(ComponentId.parse("spanmetrics"), ComponentKind.CONNECTOR, "",
        tv.vertx(), selfMetrics, Host.ALWAYS_READY);
    connector = new SpanMetricsConnector(ctx, config, sink, clock::get);
    assertThat(connector.shardCount()).isEqualTo(2);
    connector.start().await(10, TimeUnit.SECONDS);
    return connector;
  }

  private void send(ResourceSpans... resources) throws Exception {
    connector.consume(Batch.traces(List.of(resources), Envelope.of(ComponentId.parse("otlp"))))
        .await(10, TimeUnit.SECONDS);
  }

  /** Flushes every shard; the resource metrics sent by this flush. */
  private List<ResourceMetrics> flush() throws Exception {
    sink.clear();
    connector.flushNow().await(10, TimeUnit.SECONDS);
    List<ResourceMetrics> out = new ArrayList<>();
    for (Batch b : sink.batches()) {
      out.addAll(b.resourceMetrics());
    }
    return out;
  }

  private double counter(String name, String... labels) {
    return SelfMetricsReader.counter(selfMetrics, name, labels);
  }

  // ---- counts, sums and buckets -------------------------------------------------------------

  @Test
  void countsCallsAndExplicitBucketsExactlyAsTheCollectorDefinesThem() throws Exception {
    start("");
    send(resourceSpans(resource(attr("service.name", "checkout"), attr("host.name", "h1")),
        server("GET /a", 1 * MS), server("GET /a", 2 * MS), server("GET /a", 2 * MS + MS / 2),
        server("GET /a", 15_000 * MS), server("GET /a", 20_000 * MS),
        span("GET /a", SpanKind.SPAN_KIND_SERVER, StatusCode.STATUS_CODE_ERROR, 3 * MS),
        span("db", SpanKind.SPAN_KIND_CLIENT, StatusCode.STATUS_CODE_OK, 0),
        span("db", SpanKind.SPAN_KIND_CLIENT, StatusCode.STATUS_CODE_OK, 5 * MS).setEndTimeUnixNano(1)));
    clock.set(T0 + 60_000 * MS);
    List<ResourceMetrics> first = flush();

    ResourceMetrics rm = resourceOf(first, "checkout");
    assertThat(SpanFixtures.attrs(rm.getResource().getAttributesList()))
        .isEqualTo(map("service.name", "checkout", "host.name", "h1"));
    assertThat(metricNames(rm)).containsExactly(CALLS, DURATION);

    Metric calls = metric(rm, CALLS);
    assertThat(calls.getUnit()).isEmpty();
    assertThat(calls.getSum().getIsMonotonic()).isTrue();
    assertThat(calls.getSum().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    // A new cumulative series is first sent as 0 (as the Collector does, so that a backend sees
    // the first increase), then with its count.
    assertThat(counts(calls)).containsOnlyKeys(dims("checkout", "GET /a", "SERVER", "UNSET"),
        dims("checkout", "GET /a", "SERVER", "ERROR"), dims("checkout", "db", "CLIENT", "OK"))
        .allSatisfy((k, v) -> assertThat(v).isZero());
    for (NumberDataPoint p : calls.getSum().getDataPointsList()) {
      assertThat(p.getStartTimeUnixNano()).isEqualTo(T0);
      assertThat(p.getTimeUnixNano()).isEqualTo(T0 + 60_000 * MS);
    }

    Metric duration = metric(rm, DURATION);
    assertThat(duration.getUnit()).isEqualTo("ms");
    assertThat(duration.getHistogram().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    Map<Map<String, String>, HistogramDataPoint> h = histogramPoints(duration);
    HistogramDataPoint ok = h.get(dims("checkout", "GET /a", "SERVER", "UNSET"));
    assertThat(ok.getExplicitBoundsList()).containsExactly(2.0, 4.0, 6.0, 8.0, 10.0, 50.0, 100.0, 200.0, 400.0,
        800.0, 1000.0, 1400.0, 2000.0, 5000.0, 10000.0, 15000.0);
    // 1 and 2 ms in (-inf, 2]; 2.5 in (2, 4]; 15 s in (10 s, 15 s]; 20 s above the last bound.
    assertThat(ok.getBucketCountsList()).containsExactly(2L, 1L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L, 0L,
        1L, 1L);
    assertThat(ok.getCount()).isEqualTo(5);
    assertThat(ok.getSum()).isEqualTo(1 + 2 + 2.5 + 15_000 + 20_000);
    assertThat(ok.hasMin()).isFalse();
    assertThat(ok.getStartTimeUnixNano()).isEqualTo(T0);
    HistogramDataPoint error = h.get(dims("checkout", "GET /a", "SERVER", "ERROR"));
    assertThat(error.getBucketCountsList().get(1)).isEqualTo(1);
    assertThat(error.getCount()).isEqualTo(1);
    assertThat(error.getSum()).isEqualTo(3.0);
    // A span of no length and one that ends before it starts both last 0.
    HistogramDataPoint db = h.get(dims("checkout", "db", "CLIENT", "OK"));
    assertThat(db.getBucketCountsList().get(0)).isEqualTo(2);
    assertThat(db.getSum()).isZero();

    clock.set(T0 + 120_000 * MS);
    List<ResourceMetrics> second = flush();
    Metric calls2 = metric(resourceOf(second, "checkout"), CALLS);
    assertThat(counts(calls2)).isEqualTo(Map.of(
        dims("checkout", "GET /a", "SERVER", "UNSET"), 5L,
        dims("checkout", "GET /a", "SERVER", "ERROR"), 1L,
        dims("checkout", "db", "CLIENT", "OK"), 2L));
    assertThat(calls2.getSum().getDataPoints(0).getStartTimeUnixNano()).isEqualTo(T0);
    assertThat(calls2.getSum().getDataPoints(0).getTimeUnixNano()).isEqualTo(T0 + 120_000 * MS);
  }

  @Test
  void exponentialHistogramsReduceTheirScaleToFitMaxSize() throws Exception {
    start("""
        histogram:
          exponential:
            max_size: 4
        """);
    send(resourceSpans(service("api"), server("op", 0), server("op", 1 * MS), server("op", 2 * MS),
        server("op", 4 * MS), server("op", 8 * MS), server("op", 16 * MS)));
    Metric duration = metric(resourceOf(flush(), "api"), DURATION);
    assertThat(duration.getUnit()).isEqualTo("ms");
    ExponentialHistogramDataPoint p = exponentialPoints(duration).get(dims("api", "op", "SERVER", "UNSET"));
    // Worked out in ExponentialHistogramAccumulatorTest: 1, 2, 4, 8, 16 at max_size 4 end at
    // scale -1 (base 4) with buckets {1} {2, 4} {8, 16} from index -1; the 0 is a zero count.
    assertThat(p.getScale()).isEqualTo(-1);
    assertThat(p.getPositive().getOffset()).isEqualTo(-1);
    assertThat(p.getPositive().getBucketCountsList()).containsExactly(1L, 2L, 2L);
    assertThat(p.getZeroCount()).isEqualTo(1);
    assertThat(p.getCount()).isEqualTo(6);
    assertThat(p.getSum()).isEqualTo(31.0);
    assertThat(p.getMin()).isEqualTo(0.0);
    assertThat(p.getMax()).isEqualTo(16.0);
    assertThat(p.getNegative().getBucketCountsCount()).isZero();
  }

  @Test
  void secondsAreTheUnitWhenAskedForAndTheDefaultBucketsFollow() throws Exception {
    start("histogram:\n  unit: s\n");
    send(resourceSpans(service("api"), server("op", 1500 * MS), server("op", 3 * MS)));
    Metric duration = metric(resourceOf(flush(), "api"), DURATION);
    assertThat(duration.getUnit()).isEqualTo("s");
    HistogramDataPoint p = histogramPoints(duration).get(dims("api", "op", "SERVER", "UNSET"));
    assertThat(p.getExplicitBoundsList()).startsWith(0.002, 0.004).endsWith(15.0);
    assertThat(p.getSum()).isEqualTo(1.5 + 0.003);
    // 0.003 s in (0.002, 0.004]; 1.5 s in (1.4, 2].
    assertThat(p.getBucketCounts(1)).isEqualTo(1);
    assertThat(p.getBucketCounts(12)).isEqualTo(1);
  }

  // ---- temporality ---------------------------------------------------------------------------

  @Test
  void cumulativePointsKeepTheirStartAndGrowOverSeveralFlushes() throws Exception {
    start("");
    send(resourceSpans(service("api"), server("op", 5 * MS), server("op", 5 * MS)));
    clock.set(T0 + 10_000 * MS);
    flush();
    clock.set(T0 + 20_000 * MS);
    send(resourceSpans(service("api"), server("op", 50 * MS)));
    clock.set(T0 + 30_000 * MS);
    List<ResourceMetrics> second = flush();
    clock.set(T0 + 40_000 * MS);
    List<ResourceMetrics> third = flush();

    Map<String, String> op = dims("api", "op", "SERVER", "UNSET");
    for (List<ResourceMetrics> f : List.of(second, third)) {
      NumberDataPoint calls = sumPoints(metric(resourceOf(f, "api"), CALLS)).get(op);
      assertThat(calls.getAsInt()).isEqualTo(3);
      assertThat(calls.getStartTimeUnixNano()).isEqualTo(T0);
      HistogramDataPoint d = histogramPoints(metric(resourceOf(f, "api"), DURATION)).get(op);
      assertThat(d.getCount()).isEqualTo(3);
      assertThat(d.getSum()).isEqualTo(60.0);
      assertThat(d.getBucketCounts(2)).isEqualTo(2); // 5 ms in (4, 6]
      assertThat(d.getBucketCounts(5)).isEqualTo(1); // 50 ms in (10, 50]
      assertThat(d.getStartTimeUnixNano()).isEqualTo(T0);
    }
    assertThat(sumPoints(metric(resourceOf(third, "api"), CALLS)).get(op).getTimeUnixNano())
        .isEqualTo(T0 + 40_000 * MS);
  }

  @Test
  void deltaPointsHoldOneIntervalEachAndStartWhereTheLastPointOfTheirSeriesEnded() throws Exception {
    start("aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA\n");
    Map<String, String> op = dims("api", "op", "SERVER", "UNSET");

    clock.set(T0 + 1_000 * MS);
    send(resourceSpans(service("api"), server("op", 5 * MS), server("op", 5 * MS)));
    clock.set(T0 + 10_000 * MS);
    List<ResourceMetrics> first = flush();
    NumberDataPoint c1 = sumPoints(metric(resourceOf(first, "api"), CALLS)).get(op);
    assertThat(metric(resourceOf(first, "api"), CALLS).getSum().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
    // No leading 0 for delta: the first point has the interval's count; it starts with its first span.
    assertThat(c1.getAsInt()).isEqualTo(2);
    assertThat(c1.getStartTimeUnixNano()).isEqualTo(T0 + 1_000 * MS);
    assertThat(c1.getTimeUnixNano()).isEqualTo(T0 + 10_000 * MS);

    clock.set(T0 + 15_000 * MS);
    send(resourceSpans(service("api"), server("op", 50 * MS)));
    clock.set(T0 + 20_000 * MS);
    List<ResourceMetrics> second = flush();
    NumberDataPoint c2 = sumPoints(metric(resourceOf(second, "api"), CALLS)).get(op);
    assertThat(c2.getAsInt()).isEqualTo(1);
    assertThat(c2.getStartTimeUnixNano()).isEqualTo(T0 + 10_000 * MS);
    HistogramDataPoint d2 = histogramPoints(metric(resourceOf(second, "api"), DURATION)).get(op);
    assertThat(d2.getCount()).isEqualTo(1);
    assertThat(d2.getSum()).isEqualTo(50.0);
    assertThat(d2.getBucketCounts(5)).isEqualTo(1);
    assertThat(d2.getBucketCounts(2)).isZero();
    assertThat(d2.getStartTimeUnixNano()).isEqualTo(T0 + 10_000 * MS);

    // An interval without spans sends nothing.
    clock.set(T0 + 30_000 * MS);
    assertThat(flush()).isEmpty();

    // The next point starts where the series' last point ended, so no span falls in a gap.
    clock.set(T0 + 35_000 * MS);
    send(resourceSpans(service("api"), server("op", 5 * MS)));
    clock.set(T0 + 40_000 * MS);
    NumberDataPoint c4 = sumPoints(metric(resourceOf(flush(), "api"), CALLS)).get(op);
    assertThat(c4.getAsInt()).isEqualTo(1);
    assertThat(c4.getStartTimeUnixNano()).isEqualTo(T0 + 20_000 * MS);
  }

  // ---- dimensions ----------------------------------------------------------------------------

  @Test
  void dimensionsComeFromTheSpanThenTheResourceThenTheirDefaultElseAreLeftOut() throws Exception {
    start("""
        dimensions:
          - name: http.method
            default: GET
          - name: http.status_code
          - name: region
        calls_dimensions:
          - name: http.url
            default: /ping
        histogram:
          dimensions:
            - name: url.scheme
              default: https
        """);
    send(resourceSpans(resource(attr("service.name", "api"), attr("region", "eu"), attr("http.method", "PUT")),
        server("op", 5 * MS, attr("http.method", "POST"), attr("http.status_code", 200)),
        server("op", 5 * MS),
        server("op", 5 * MS, attr("region", "us"))));
    ResourceMetrics rm = resourceOf(flush(), "api");

    Map<String, String> base = dims("api", "op", "SERVER", "UNSET");
    Map<String, String> post = new java.util.LinkedHashMap<>(base);
    post.putAll(map("http.method", "POST", "http.status_code", "200", "region", "eu"));
    Map<String, String> fromResource = new java.util.LinkedHashMap<>(base);
    fromResource.putAll(map("http.method", "PUT", "region", "eu"));
    Map<String, String> spanRegion = new java.util.LinkedHashMap<>(base);
    spanRegion.putAll(map("http.method", "PUT", "region", "us"));

    Map<Map<String, String>, NumberDataPoint> calls = sumPoints(metric(rm, CALLS));
    assertThat(calls).containsOnlyKeys(with(post, "http.url", "/ping"), with(fromResource, "http.url", "/ping"),
        with(spanRegion, "http.url", "/ping"));
    // Types are kept: the status code is an int attribute.
    NumberDataPoint p = calls.get(with(post, "http.url", "/ping"));
    assertThat(p.getAttributesList()).filteredOn(kv -> kv.getKey().equals("http.status_code"))
        .singleElement().satisfies(kv -> assertThat(kv.getValue().getIntValue()).isEqualTo(200));
    // The Collector's order: the four default dimensions first, then the configured ones.
    assertThat(p.getAttributesList()).extracting(kv -> kv.getKey()).containsExactly("service.name", "span.name",
        "span.kind", "status.code", "http.method", "http.status_code", "region", "http.url");

    assertThat(histogramPoints(metric(rm, DURATION))).containsOnlyKeys(with(post, "url.scheme", "https"),
        with(fromResource, "url.scheme", "https"), with(spanRegion, "url.scheme", "https"));
  }

  @Test
  void aDefaultDoesNotMakeTwoSpansOneSeriesWithAMissingOne() throws Exception {
    start("""
        dimensions:
          - name: a
          - name: b
        """);
    // a="x" without b, and b="x" without a: different series.
    send(resourceSpans(service("api"), server("op", MS, attr("a", "x")), server("op", MS, attr("b", "x"))));
    Map<Map<String, String>, Long> calls = counts(metric(resourceOf(flush(), "api"), CALLS));
    assertThat(calls).hasSize(2);
  }

  @Test
  void excludedDefaultDimensionsAreLeftOutAndTheirSeriesMerge() throws Exception {
    start("exclude_dimensions: ['status.code', span.kind]\n");
    send(resourceSpans(service("api"), server("op", MS),
        span("op", SpanKind.SPAN_KIND_CLIENT, StatusCode.STATUS_CODE_ERROR, MS)));
    flush();
    Map<Map<String, String>, Long> calls = counts(metric(resourceOf(flush(), "api"), CALLS));
    assertThat(calls).isEqualTo(Map.of(map("service.name", "api", "span.name", "op"), 2L));
  }

  @Test
  void instrumentationScopesThatAreListedBecomeDimensions() throws Exception {
    start("include_instrumentation_scope: [express]\n");
    InstrumentationScope express = InstrumentationScope.newBuilder().setName("express").setVersion("4.1").build();
    InstrumentationScope other = InstrumentationScope.newBuilder().setName("other").setVersion("1").build();
    send(resourceSpans(service("api"), express, server("op", MS)), resourceSpans(service("api"), other,
        server("op", MS)));
    assertThat(histogramPoints(metric(resourceOf(flush(), "api"), DURATION))).containsOnlyKeys(
        with(dims("api", "op", "SERVER", "UNSET"), "span.instrumentation.scope.name", "express",
            "span.instrumentation.scope.version", "4.1"),
        dims("api", "op", "SERVER", "UNSET"));
  }

  // ---- events --------------------------------------------------------------------------------

  @Test
  void eventsAreCountedByTheirAttributesWhenEnabled() throws Exception {
    start("""
        dimensions:
          - name: tier
        events:
          enabled: true
          dimensions:
            - name: exception.type
        """);
    Span.Event io = Span.Event.newBuilder().setName("exception").addAttributes(attr("exception.type", "IOError"))
        .addAttributes(attr("tier", "event")).build();
    Span.Event bare = Span.Event.newBuilder().setName("log").build();
    send(resourceSpans(resource(attr("service.name", "api"), attr("tier", "resource")),
        server("op", MS).addEvents(io).addEvents(io).addEvents(bare),
        server("op", MS, attr("tier", "span")).addEvents(io)));
    ResourceMetrics rm = resourceOf(flush(), "api");
    assertThat(metricNames(rm)).containsExactly(CALLS, DURATION, EVENTS);
    Metric events = metric(rm, EVENTS);
    assertThat(events.getSum().getIsMonotonic()).isTrue();
    flush();
    // The span's attributes come first, then the event's, then the resource's.
    assertThat(counts(metric(resourceOf(flush(), "api"), EVENTS))).isEqualTo(Map.of(
        dims("api", "op", "SERVER", "UNSET", "tier", "event", "exception.type", "IOError"), 2L,
        dims("api", "op", "SERVER", "UNSET", "tier", "resource"), 1L,
        dims("api", "op", "SERVER", "UNSET", "tier", "span", "exception.type", "IOError"), 1L));
  }

  @Test
  void noEventsMetricWhenEventsAreOffAndNoDurationWhenTheHistogramIsDisabled() throws Exception {
    start("histogram:\n  disable: true\nnamespace: \"\"\n");
    send(resourceSpans(service("api"), server("op", MS).addEvents(Span.Event.newBuilder().setName("e"))));
    assertThat(metricNames(resourceOf(flush(), "api"))).containsExactly("calls");
  }

  // ---- cardinality, expiry, resources --------------------------------------------------------

  @Test
  void seriesPastTheCardinalityLimitGoToOneOverflowSeries() throws Exception {
    start("aggregation_cardinality_limit: 2\n");
    send(resourceSpans(service("api"), server("a", MS), server("b", MS), server("c", MS), server("d", 70 * MS),
        server("a", MS), server("c", MS)));
    flush();
    ResourceMetrics rm = resourceOf(flush(), "api");
    Map<String, String> overflow = map("otel.metric.overflow", "true");
    assertThat(counts(metric(rm, CALLS))).isEqualTo(Map.of(
        dims("api", "a", "SERVER", "UNSET"), 2L,
        dims("api", "b", "SERVER", "UNSET"), 1L,
        overflow, 3L));
    NumberDataPoint o = sumPoints(metric(rm, CALLS)).get(overflow);
    assertThat(o.getAttributesList()).singleElement()
        .satisfies(kv -> assertThat(kv.getValue().getBoolValue()).isTrue());
    HistogramDataPoint oh = histogramPoints(metric(rm, DURATION)).get(overflow);
    assertThat(oh.getCount()).isEqualTo(3);
    assertThat(oh.getSum()).isEqualTo(72.0);
    assertThat(counter("sluice_connector_spanmetrics_overflow_items_total", "component_id", "spanmetrics",
        "metric", "calls")).isEqualTo(3);
    assertThat(counter("sluice_connector_spanmetrics_overflow_items_total", "component_id", "spanmetrics",
        "metric", "duration")).isEqualTo(3);
    // The limit is per resource.
    send(resourceSpans(service("web"), server("x", MS), server("y", MS)));
    assertThat(counts(metric(resourceOf(flush(), "web"), CALLS))).hasSize(2);
  }

  @Test
  void seriesIdleForMetricsExpirationAreSentOnceMoreThenDisappear() throws Exception {
    start("metrics_expiration: 5m\n");
    send(resourceSpans(service("api"), server("old", MS), server("kept", MS)));
    clock.set(T0 + Duration.ofMinutes(4).toNanos());
    send(resourceSpans(service("api"), server("kept", MS)));
    clock.set(T0 + Duration.ofMinutes(5).toNanos());
    // Five minutes without a span for "old": this flush still carries it, then it is gone.
    assertThat(counts(metric(resourceOf(flush(), "api"), CALLS))).containsOnlyKeys(
        dims("api", "old", "SERVER", "UNSET"), dims("api", "kept", "SERVER", "UNSET"));
    clock.set(T0 + Duration.ofMinutes(6).toNanos());
    assertThat(counts(metric(resourceOf(flush(), "api"), CALLS))).containsOnlyKeys(
        dims("api", "kept", "SERVER", "UNSET"));
    assertThat(counter("sluice_connector_spanmetrics_expired_series_total", "component_id", "spanmetrics"))
        .isEqualTo(2); // its calls and duration series
    // A span for it again starts a new series: a new start time and a count from 0.
    clock.set(T0 + Duration.ofMinutes(7).toNanos());
    send(resourceSpans(service("api"), server("old", MS)));
    flush();
    clock.set(T0 + Duration.ofMinutes(8).toNanos());
    NumberDataPoint again = sumPoints(metric(resourceOf(flush(), "api"), CALLS))
        .get(dims("api", "old", "SERVER", "UNSET"));
    assertThat(again.getAsInt()).isEqualTo(1);
    assertThat(again.getStartTimeUnixNano()).isEqualTo(T0 + Duration.ofMinutes(7).toNanos());
    // When every series of a resource expired, the resource is gone too.
    clock.set(T0 + Duration.ofMinutes(20).toNanos());
    flush();
    assertThat(flush()).isEmpty();
    assertThat(connector.seriesCount().await(10, TimeUnit.SECONDS)).isZero();
  }

  @Test
  void resourcesAreKeptApartByTheirAttributesOrByTheKeyAttributesWhenListed() throws Exception {
    start("resource_metrics_key_attributes: [service.name]\n");
    send(resourceSpans(resource(attr("service.name", "api"), attr("process.pid", 1)), server("op", MS)),
        resourceSpans(resource(attr("service.name", "api"), attr("process.pid", 2)), server("op", MS)),
        resourceSpans(resource(attr("service.name", "web"), attr("process.pid", 3)), server("op", MS)));
    flush();
    List<ResourceMetrics> all = flush();
    assertThat(all).hasSize(2);
    ResourceMetrics api = resourceOf(all, "api");
    // The first resource's attributes; the spans of both counted together.
    assertThat(SpanFixtures.attrs(api.getResource().getAttributesList()))
        .isEqualTo(map("service.name", "api", "process.pid", "1"));
    assertThat(counts(metric(api, CALLS))).isEqualTo(Map.of(dims("api", "op", "SERVER", "UNSET"), 2L));
  }

  @Test
  void withoutKeyAttributesEveryDifferentResourceIsItsOwn() throws Exception {
    start("");
    send(resourceSpans(resource(attr("service.name", "api"), attr("process.pid", 1)), server("op", MS)),
        resourceSpans(resource(attr("process.pid", 2), attr("service.name", "api")), server("op", MS)),
        resourceSpans(resource(attr("service.name", "api"), attr("process.pid", 2)), server("op", MS)));
    // Attribute order does not matter; values do.
    assertThat(flush()).hasSize(2);
  }

  @Test
  void spansOfAResourceWithoutServiceNameAreSkippedAndCounted() throws Exception {
    start("");
    send(resourceSpans(resource(attr("host.name", "h")), server("op", MS), server("op", MS)));
    assertThat(flush()).isEmpty();
    assertThat(counter("sluice_connector_spanmetrics_skipped_spans_total", "component_id", "spanmetrics",
        "reason", "no_service_name")).isEqualTo(2);
  }

  @Test
  void theLeastRecentlyUsedResourcePastTheCacheSizeIsSentOnceMoreThenForgotten() throws Exception {
    // Two shards share 2 resources: one each.
    start("resource_metrics_cache_size: 2\n");
    List<String> services = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      services.add("svc-" + i);
      send(resourceSpans(service("svc-" + i), server("op", MS)));
    }
    assertThat(flush()).hasSize(12);
    assertThat(flush()).hasSize(2);
  }

  // ---- exemplars and adjusted counts ---------------------------------------------------------

  @Test
  void exemplarsCarryTheFirstSpansOfAnIntervalUpToTheLimit() throws Exception {
    start("""
        exemplars:
          enabled: true
          max_per_data_point: 2
        """);
    Span.Builder s1 = server("op", 3 * MS);
    Span.Builder s2 = server("op", 7 * MS);
    Span.Builder s3 = server("op", 9 * MS);
    Span.Builder noTrace = server("op", 1 * MS).setTraceId(ByteString.copyFrom(new byte[16]));
    send(resourceSpans(service("api"), noTrace, s1, s2, s3));
    clock.set(T0 + 60_000 * MS);
    ResourceMetrics rm = resourceOf(flush(), "api");
    Map<String, String> op = dims("api", "op", "SERVER", "UNSET");
    for (List<Exemplar> exemplars : List.of(sumPoints(metric(rm, CALLS)).get(op).getExemplarsList(),
        histogramPoints(metric(rm, DURATION)).get(op).getExemplarsList())) {
      assertThat(exemplars).extracting(Exemplar::getSpanId).containsExactly(s1.getSpanId(), s2.getSpanId());
      assertThat(exemplars).extracting(Exemplar::getTraceId).containsExactly(s1.getTraceId(), s2.getTraceId());
      assertThat(exemplars).extracting(Exemplar::getAsDouble).containsExactly(3.0, 7.0);
      assertThat(exemplars).extracting(Exemplar::getTimeUnixNano).containsOnly(T0 + 60_000 * MS);
    }
    // Exemplars belong to one interval.
    ResourceMetrics next = resourceOf(flush(), "api");
    assertThat(sumPoints(metric(next, CALLS)).get(op).getExemplarsList()).isEmpty();
    assertThat(histogramPoints(metric(next, DURATION)).get(op).getExemplarsList()).isEmpty();
  }

  @Test
  void aSampledSpanCountsAsTheSpansItStandsFor() throws Exception {
    start("enable_metrics_sampling_method: true\n");
    send(resourceSpans(service("api"), server("op", 5 * MS).setTraceState("ot=th:c"), server("op", 5 * MS)));
    ResourceMetrics rm = resourceOf(flush(), "api");
    Map<Map<String, String>, HistogramDataPoint> h = histogramPoints(metric(rm, DURATION));
    // th:c keeps 1 span in 4: it counts 4.
    HistogramDataPoint sampled = h.get(dims("api", "op", "SERVER", "UNSET", "sampling.method", "extrapolated"));
    assertThat(sampled.getCount()).isEqualTo(4);
    assertThat(sampled.getSum()).isEqualTo(20.0);
    assertThat(sampled.getBucketCounts(2)).isEqualTo(4);
    assertThat(h.get(dims("api", "op", "SERVER", "UNSET", "sampling.method", "counted")).getCount()).isEqualTo(1);
    assertThat(counts(metric(resourceOf(flush(), "api"), CALLS))).containsValues(4L, 1L);
  }

  // ---- flushing: refusals, timers, shutdown --------------------------------------------------

  @Test
  void aRefusedDeltaFlushIsMergedIntoTheNextOne() throws Exception {
    start("aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA\n");
    Map<String, String> op = dims("api", "op", "SERVER", "UNSET");
    send(resourceSpans(service("api"), server("op", 5 * MS), server("op", 5 * MS)));
    sink.failWith(new RetryableException("queue full"));
    clock.set(T0 + 10_000 * MS);
    assertThat(flush()).hasSize(1);
    assertThat(counter("sluice_connector_spanmetrics_flush_failed_points_total", "component_id", "spanmetrics",
        "reason", "retryable")).isEqualTo(2);

    sink.succeed();
    send(resourceSpans(service("api"), server("op", 50 * MS)));
    clock.set(T0 + 20_000 * MS);
    ResourceMetrics rm = resourceOf(flush(), "api");
    NumberDataPoint calls = sumPoints(metric(rm, CALLS)).get(op);
    assertThat(calls.getAsInt()).isEqualTo(3);
    // The point covers both intervals: it starts where the refused one did.
    assertThat(calls.getStartTimeUnixNano()).isEqualTo(T0);
    HistogramDataPoint d = histogramPoints(metric(rm, DURATION)).get(op);
    assertThat(d.getCount()).isEqualTo(3);
    assertThat(d.getBucketCounts(2)).isEqualTo(2);
    assertThat(d.getBucketCounts(5)).isEqualTo(1);

    // A permanent refusal loses the interval, counted.
    send(resourceSpans(service("api"), server("op", 5 * MS)));
    sink.failWith(new PermanentException("bad"));
    clock.set(T0 + 30_000 * MS);
    flush();
    assertThat(counter("sluice_connector_spanmetrics_flush_failed_points_total", "component_id", "spanmetrics",
        "reason", "permanent")).isEqualTo(2);
    sink.succeed();
    clock.set(T0 + 40_000 * MS);
    assertThat(flush()).isEmpty();
  }

  @Test
  void aRefusedCumulativeFlushIsCountedAndTheNextCarriesTheTotals() throws Exception {
    start("");
    Map<String, String> op = dims("api", "op", "SERVER", "UNSET");
    send(resourceSpans(service("api"), server("op", 5 * MS)));
    flush();
    send(resourceSpans(service("api"), server("op", 5 * MS)));
    sink.failWith(new RetryableException("down"));
    flush();
    assertThat(counter("sluice_connector_spanmetrics_flush_failed_points_total", "component_id", "spanmetrics",
        "reason", "retryable")).isEqualTo(2);
    sink.succeed();
    assertThat(counts(metric(resourceOf(flush(), "api"), CALLS)).get(op)).isEqualTo(2);
  }

  @Test
  void theTimerFlushesEveryIntervalAndWaitsForTheFlushInFlight() throws Exception {
    start("metrics_flush_interval: 100ms\n");
    send(resourceSpans(service("api"), server("op", MS)));
    await("flushes by the timer").atMost(Duration.ofSeconds(10)).until(() -> sink.batches().size() >= 2);

    // A metrics pipeline that does not answer: one flush per shard is outstanding, later ticks skip.
    List<Promise<Void>> held = new java.util.concurrent.CopyOnWriteArrayList<>();
    sink.answerWith(b -> {
      Promise<Void> p = Promise.promise();
      held.add(p);
      return p.future();
    });
    await("a held flush").atMost(Duration.ofSeconds(10)).until(() -> held.size() == 1);
    double skippedBefore = counter("sluice_connector_spanmetrics_skipped_flushes_total", "component_id",
        "spanmetrics");
    await("ticks skipped while it is held").atMost(Duration.ofSeconds(10)).until(() -> counter(
        "sluice_connector_spanmetrics_skipped_flushes_total", "component_id", "spanmetrics") >= skippedBefore + 3);
    assertThat(held).as("no second flush while one is outstanding").hasSize(1);
    held.get(0).complete();
    await("flushing again once it is answered").atMost(Duration.ofSeconds(10)).until(() -> held.size() >= 2);
    held.forEach(Promise::tryComplete);
    sink.succeed();
  }

  @Test
  void shutdownFlushesWhatItHoldsThenRefusesSpans() throws Exception {
    start("aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA\n");
    send(resourceSpans(service("api"), server("op", MS)), resourceSpans(service("web"), server("op", MS)));
    connector.shutdown().await(10, TimeUnit.SECONDS);
    List<ResourceMetrics> out = new ArrayList<>();
    sink.batches().forEach(b -> out.addAll(b.resourceMetrics()));
    assertThat(out).hasSize(2);
    assertThat(counts(metric(resourceOf(out, "api"), CALLS)).values()).containsExactly(1L);
    Future<Void> late = connector.consume(Batch.traces(List.of(resourceSpans(service("api"), server("op", MS))),
        Envelope.of(ComponentId.parse("otlp"))));
    assertThat(late.failed()).isTrue();
    assertThat(late.cause()).isInstanceOf(RetryableException.class);
    assertThat(connector.shutdown().await(10, TimeUnit.SECONDS)).as("a second shutdown").isNull();
  }

  @Test
  void shutdownWithoutStartIsSafe() throws Exception {
    SpanMetricsConnectorConfig config = new SpanMetricsConnectorFactory().defaultConfig();
    tv = TestVertx.create(2);
    ComponentContext ctx = new ComponentContext(ComponentId.parse("spanmetrics"), ComponentKind.CONNECTOR, "",
        tv.vertx(), selfMetrics, Host.ALWAYS_READY);
    SpanMetricsConnector c = new SpanMetricsConnector(ctx, config, sink, clock::get);
    c.shutdown().await(10, TimeUnit.SECONDS);
    c.shutdown().await(10, TimeUnit.SECONDS);
    assertThat(sink.batches()).isEmpty();
  }

  // ---- threads -------------------------------------------------------------------------------

  @Test
  void aFlushLargerThanOneStepIsBuiltAcrossLoopTasksAndSentWhole() throws Exception {
    start("");
    int names = 3 * SpanMetricsConnector.FLUSH_STEP_POINTS;
    List<ResourceSpans> resources = new ArrayList<>();
    for (int r = 0; r < 6; r++) {
      Span.Builder[] spans = new Span.Builder[names / 6];
      for (int i = 0; i < spans.length; i++) {
        spans[i] = server("op-" + i, MS);
      }
      resources.add(resourceSpans(service("svc-" + r), spans));
    }
    send(resources.toArray(new ResourceSpans[0]));
    flush();
    List<ResourceMetrics> out = flush();
    assertThat(sink.batches()).as("one batch per shard").hasSize(2);
    assertThat(out).hasSize(6);
    assertThat(sink.batches().stream().mapToInt(Batch::itemCount).sum()).isEqualTo(2 * names);
    for (ResourceMetrics rm : out) {
      assertThat(counts(metric(rm, CALLS))).hasSize(names / 6).allSatisfy((k, v) -> assertThat(v).isEqualTo(1));
    }
  }


  @Test
  void spansFromManyThreadsAreCountedExactlyOnTheirShards() throws Exception {
    start("");
    int threads = 4;
    int batches = 250;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<java.util.concurrent.Future<?>> running = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        running.add(pool.submit(() -> {
          for (int i = 0; i < batches; i++) {
            List<ResourceSpans> rs = new ArrayList<>();
            for (int s = 0; s < 8; s++) {
              rs.add(resourceSpans(service("svc-" + s), server("op-" + (i % 3), (i % 20) * MS)));
            }
            connector.consume(Batch.traces(rs, Envelope.of(ComponentId.parse("otlp"))))
                .await(10, TimeUnit.SECONDS);
          }
          return null;
        }));
      }
      for (var f : running) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    flush();
    List<ResourceMetrics> out = flush();
    assertThat(out).hasSize(8);
    assertThat(sink.batches()).as("one batch per shard").hasSize(2);
    long total = 0;
    for (ResourceMetrics rm : out) {
      for (long n : counts(metric(rm, CALLS)).values()) {
        total += n;
      }
      long histogramTotal = 0;
      for (HistogramDataPoint p : histogramPoints(metric(rm, DURATION)).values()) {
        histogramTotal += p.getCount();
        assertThat(p.getBucketCountsList().stream().mapToLong(Long::longValue).sum()).isEqualTo(p.getCount());
      }
      assertThat(histogramTotal).isEqualTo((long) threads * batches);
    }
    assertThat(total).isEqualTo(8L * threads * batches);
  }

  private static Map<String, String> with(Map<String, String> base, String... kv) {
    Map<String, String> m = new java.util.LinkedHashMap<>(base);
    m.putAll(map(kv));
    return m;
  }
}
