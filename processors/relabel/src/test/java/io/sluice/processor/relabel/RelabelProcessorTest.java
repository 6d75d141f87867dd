package io.sluice.processor.relabel;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogram;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Histogram;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Rejections;
import io.sluice.core.Processor;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.otlp.AnyValues;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

class RelabelProcessorTest {
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

  // ---- data ----

  private static Resource resource(String namespace, String service, String instance) {
    Resource.Builder r = Resource.newBuilder();
    if (namespace != null) {
      r.addAttributes(attr("service.namespace", namespace));
    }
    if (service != null) {
      r.addAttributes(attr("service.name", service));
    }
    if (instance != null) {
      r.addAttributes(attr("service.instance.id", instance));
    }
    return r.addAttributes(attr("host.name", "h1")).build();
  }

  private static NumberDataPoint number(double v, KeyValue... attrs) {
    return NumberDataPoint.newBuilder().addAllAttributes(List.of(attrs)).setTimeUnixNano(1_000).setAsDouble(v)
        .build();
  }

  private static Metric gauge(String name, NumberDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit("1").setDescription("A gauge.")
        .setGauge(Gauge.newBuilder().addAllDataPoints(List.of(points))).build();
  }

  private static Metric counter(String name, NumberDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit("{request}").setDescription("A counter.")
        .setSum(Sum.newBuilder().setIsMonotonic(true)
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addAllDataPoints(List.of(points)))
        .build();
  }

  private static HistogramDataPoint histPoint(KeyValue... attrs) {
    return HistogramDataPoint.newBuilder().addAllAttributes(List.of(attrs)).setCount(3).setSum(1.5)
        .addExplicitBounds(1.0).addBucketCounts(2).addBucketCounts(1).build();
  }

  private static Metric histogram(String name, HistogramDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit("s")
        .setHistogram(Histogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE)
            .addAllDataPoints(List.of(points)))
        .build();
  }

  private static Metric summary(String name, SummaryDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit("s")
        .setSummary(Summary.newBuilder().addAllDataPoints(List.of(points))).build();
  }

  private static SummaryDataPoint summaryPoint(KeyValue... attrs) {
    return SummaryDataPoint.newBuilder().addAllAttributes(List.of(attrs)).setCount(4).setSum(2.0)
        .addQuantileValues(SummaryDataPoint.ValueAtQuantile.newBuilder().setQuantile(0.5).setValue(0.4)).build();
  }

  private static Metric expHistogram(String name, ExponentialHistogramDataPoint... points) {
    return Metric.newBuilder().setName(name).setUnit("s")
        .setExponentialHistogram(ExponentialHistogram.newBuilder()
            .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA)
            .addAllDataPoints(List.of(points)))
        .build();
  }

  private static ExponentialHistogramDataPoint expPoint(KeyValue... attrs) {
    return ExponentialHistogramDataPoint.newBuilder().addAllAttributes(List.of(attrs)).setScale(2).setCount(5)
        .setSum(9.0).build();
  }

  private static ResourceMetrics rm(Resource resource, Metric... metrics) {
    return ResourceMetrics.newBuilder().setResource(resource)
        .addScopeMetrics(ScopeMetrics.newBuilder().setScope(TestData.scope()).addAllMetrics(List.of(metrics)))
        .build();
  }

  private static Batch batch(ResourceMetrics... resources) {
    return Batch.metrics(List.of(resources), Envelope.of(ComponentId.parse("otlp")));
  }

  // ---- running ----

  private Processor processor(String yaml) throws Exception {
    RelabelProcessorFactory f = new RelabelProcessorFactory();
    RelabelProcessorConfig config = ConfigLoader.bindComponent(f, yaml);
    Processor p = f.create(TestContexts.processorContext(testVertx.vertx(), "relabel", "metrics", selfMetrics),
        config, Signal.METRICS, next);
    p.start().toCompletionStage().toCompletableFuture().get();
    return p;
  }

  /** Runs one batch through and returns what reached the next consumer (null: nothing did). */
  private Batch run(String yaml, Batch in) throws Exception {
    Processor p = processor(yaml);
    Future<Void> ack = p.consume(in);
    assertThat(ack.succeeded()).as("ack %s", ack.cause()).isTrue();
    p.shutdown();
    return next.batches().isEmpty() ? null : next.batches().get(next.batches().size() - 1);
  }

  private static List<Metric> metrics(Batch b) {
    List<Metric> out = new ArrayList<>();
    for (ResourceMetrics r : b.resourceMetrics()) {
      for (ScopeMetrics s : r.getScopeMetricsList()) {
        out.addAll(s.getMetricsList());
      }
    }
    return out;
  }

  private static Metric metric(Batch b, String name) {
    return metrics(b).stream().filter(m -> m.getName().equals(name)).findFirst()
        .orElseThrow(() -> new AssertionError("no metric " + name + " in " + metrics(b)));
  }

  private static Map<String, String> attrs(List<KeyValue> kvs) {
    Map<String, String> m = new LinkedHashMap<>();
    kvs.forEach(kv -> m.put(kv.getKey(), AnyValues.asString(kv.getValue())));
    return m;
  }

  private double dropped() {
    return SelfMetricsReader.counter(selfMetrics, "sluice_processor_dropped_items", "component_id", "relabel");
  }

  // ---- tests ----

  @Test
  void dropRemovesMatchingMetricsAndCountsTheirPoints() throws Exception {
    Batch in = Batch.metrics(List.of(TestData.resourceMetrics("checkout", 3, 1)), Envelope.of(ComponentId.parse("x")));
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: pool\\.utilization
            action: drop
        """, in);
    assertThat(metrics(out)).extracting(Metric::getName).containsExactly("http.server.requests",
        "http.server.duration");
    assertThat(metric(out, "http.server.requests")).isEqualTo(metrics(in).get(0));
    assertThat(out.itemCount()).isEqualTo(6);
    assertThat(dropped()).isEqualTo(3);
    assertThat(SelfMetricsReader.counter(selfMetrics, "sluice_processor_outgoing_items", "component_id", "relabel"))
        .isEqualTo(6);
  }

  @Test
  void droppedPointsAreTalliedForTheReceiversPartialSuccess() throws Exception {
    Rejections rejections = Rejections.counting();
    Batch in = Batch.metrics(List.of(TestData.resourceMetrics("checkout", 3, 1)),
        new Envelope(ComponentId.parse("otlp"), System.nanoTime(), "", Map.of(), rejections));
    run("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: pool\\.utilization
            action: drop
        """, in);

    assertThat(rejections.count()).isEqualTo(3);
    assertThat(rejections.message()).isEqualTo("dropped by the relabel rules of processor \"relabel\"");
  }

  @Test
  void keepFiltersPointsByAttributeAcrossTypes() throws Exception {
    Batch in = Batch.metrics(List.of(TestData.resourceMetrics("checkout", 4, 1)), Envelope.of(ComponentId.parse("x")));
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [route]
            regex: /r[02]
            action: keep
        """, in);
    // The gauge's points have no route: all dropped, so the metric is gone.
    assertThat(metrics(out)).extracting(Metric::getName).containsExactly("http.server.requests",
        "http.server.duration");
    assertThat(metric(out, "http.server.requests").getSum().getDataPointsList())
        .extracting(p -> attrs(p.getAttributesList()).get("route")).containsExactly("/r0", "/r2");
    assertThat(metric(out, "http.server.duration").getHistogram().getDataPointsList())
        .extracting(p -> attrs(p.getAttributesList()).get("route")).containsExactly("/r0", "/r2");
    assertThat(dropped()).isEqualTo(8);
  }

  @Test
  void nameIsTheOtlpNameUnchanged() throws Exception {
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: http\\.server\\.duration
            action: keep
        """, batch(TestData.resourceMetrics("checkout", 2, 1)));
    assertThat(metrics(out)).extracting(Metric::getName).containsExactly("http.server.duration");
  }

  @Test
  void replacingNameRenamesTheMetricKeepingItsShape() throws Exception {
    Batch in = batch(TestData.resourceMetrics("checkout", 2, 1));
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: 'http\\.server\\.(.*)'
            target_label: __name__
            replacement: http_$1
        """, in);
    assertThat(metrics(out)).extracting(Metric::getName).containsExactly("http_requests", "pool.utilization",
        "http_duration");
    Metric renamed = metric(out, "http_requests");
    Metric original = metric(in, "http.server.requests");
    assertThat(renamed.toBuilder().setName(original.getName()).build()).isEqualTo(original);
    assertThat(renamed.getSum().getDataPoints(0).getAttributesList()).extracting(KeyValue::getKey)
        .containsExactly("route");
  }

  @Test
  void renamingSomePointsMovesThemToANewMetricInTheSameScope() throws Exception {
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [__name__, code]
            regex: 'requests;5..'
            target_label: __name__
            replacement: requests_failed
        """, batch(rm(resource(null, "api", "api-1"),
        counter("requests", number(1, attr("code", "200")), number(2, attr("code", "503")),
            number(3, attr("code", "500"))))));
    assertThat(metrics(out)).extracting(Metric::getName).containsExactly("requests", "requests_failed");
    assertThat(metric(out, "requests").getSum().getDataPointsList()).extracting(NumberDataPoint::getAsDouble)
        .containsExactly(1.0);
    Metric failed = metric(out, "requests_failed");
    assertThat(failed.getSum().getDataPointsList()).extracting(NumberDataPoint::getAsDouble).containsExactly(2.0, 3.0);
    assertThat(failed.getSum().getIsMonotonic()).isTrue();
    assertThat(failed.getSum().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE);
    assertThat(failed.getUnit()).isEqualTo("{request}");
    assertThat(failed.getDescription()).isEqualTo("A counter.");
    assertThat(out.resourceMetrics().get(0).getScopeMetricsCount()).isEqualTo(1);
  }

  @Test
  void renamingIntoAnExistingMetricOfTheSameShapeMergesThePoints() throws Exception {
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: temp_(celsius|c)
            target_label: __name__
            replacement: temperature
        """, batch(rm(resource(null, "api", null),
        gauge("temperature", number(20, attr("room", "a"))),
        gauge("temp_c", number(21, attr("room", "b"))),
        gauge("temp_celsius", number(22, attr("room", "c"))))));
    assertThat(metrics(out)).extracting(Metric::getName).containsExactly("temperature");
    assertThat(metric(out, "temperature").getGauge().getDataPointsList()).extracting(NumberDataPoint::getAsDouble)
        .containsExactly(20.0, 21.0, 22.0);
  }

  @Test
  void jobAndInstanceComeFromTheResource() throws Exception {
    Batch in = batch(
        rm(resource("shop", "checkout", "c-1"), gauge("up", number(1))),
        rm(resource(null, "cart", "k-1"), gauge("up", number(1))),
        rm(resource(null, null, null), gauge("up", number(1))));
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [job, instance]
            regex: 'shop/checkout;c-1|cart;k-1'
            action: keep
          - source_labels: [job]
            target_label: svc
        """, in);
    assertThat(out.resourceMetrics()).hasSize(2);
    List<Map<String, String>> pointAttrs = metrics(out).stream()
        .map(m -> attrs(m.getGauge().getDataPoints(0).getAttributesList())).toList();
    // job is not copied onto the points, only the label made from it.
    assertThat(pointAttrs).containsExactly(Map.of("svc", "shop/checkout"), Map.of("svc", "cart"));
    assertThat(dropped()).isEqualTo(1);
  }

  @Test
  void changedJobAndInstanceAreWrittenAsPointAttributes() throws Exception {
    Batch out = run("""
        metric_relabel_configs:
          - target_label: job
            replacement: renamed
          - source_labels: [instance]
            regex: '(.*)-1'
            target_label: instance
            replacement: $1
        """, batch(rm(resource(null, "api", "api-1"), gauge("up", number(1, attr("zone", "eu"))))));
    assertThat(attrs(metric(out, "up").getGauge().getDataPoints(0).getAttributesList()))
        .containsExactly(Map.entry("zone", "eu"), Map.entry("instance", "api"), Map.entry("job", "renamed"));
  }

  @Test
  void labeldropAndLabelmapEditAttributesAndDoubleUnderscoreLabelsAreRemoved() throws Exception {
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [k8s.pod.name]
            target_label: __tmp_pod
          - action: labeldrop
            regex: 'k8s\\.pod\\.name|debug_.*'
          - action: labelmap
            regex: __tmp_(.*)
            replacement: pod
          - source_labels: [pod]
            target_label: __tmp_unused
        """, batch(rm(resource(null, "api", null), gauge("mem", number(5, attr("k8s.pod.name", "p-1"),
        attr("debug_id", "x"), attr("area", "heap"), attr("__internal", "y"))))));
    assertThat(attrs(metric(out, "mem").getGauge().getDataPoints(0).getAttributesList()))
        .containsExactly(Map.entry("area", "heap"), Map.entry("pod", "p-1"));
  }

  @Test
  void untouchedAttributesKeepTheirTypeAndChangedOnesBecomeStrings() throws Exception {
    NumberDataPoint p = number(1, attr("code", 200), attr("retries", 3),
        KeyValue.newBuilder().setKey("ok").setValue(AnyValue.newBuilder().setBoolValue(true)).build());
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [code]
            regex: '(\\d)..'
            target_label: code
            replacement: $${1}xx
          - source_labels: [ok, retries]
            target_label: shard
            modulus: 4
            action: hashmod
        """, batch(rm(resource(null, "api", null), gauge("calls", p))));
    List<KeyValue> kvs = metric(out, "calls").getGauge().getDataPoints(0).getAttributesList();
    assertThat(kvs.get(0)).isEqualTo(attr("code", "2xx"));
    assertThat(kvs.get(1)).isEqualTo(attr("retries", 3));
    assertThat(kvs.get(2)).isEqualTo(p.getAttributes(2));
    String shard = Long.toString(io.sluice.translation.prometheus.relabel.Relabeler.hashMod("true;3", 4));
    assertThat(kvs.get(3)).isEqualTo(attr("shard", shard));
    assertThat(kvs).hasSize(4);
  }

  @Test
  void histogramSummaryAndExponentialPointsAreRelabeled() throws Exception {
    Batch in = batch(rm(resource(null, "api", null),
        histogram("latency", histPoint(attr("route", "/a")), histPoint(attr("route", "/health"))),
        summary("gc_pause", summaryPoint(attr("gen", "young")), summaryPoint(attr("gen", "old"))),
        expHistogram("size", expPoint(attr("route", "/health")), expPoint(attr("route", "/b")))));
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [route]
            regex: /health
            action: drop
          - source_labels: [gen]
            regex: old
            target_label: gen
            replacement: tenured
        """, in);
    assertThat(metric(out, "latency").getHistogram().getDataPointsList()).singleElement()
        .satisfies(h -> {
          assertThat(attrs(h.getAttributesList())).containsExactly(Map.entry("route", "/a"));
          assertThat(h.getBucketCountsList()).containsExactly(2L, 1L);
        });
    assertThat(metric(out, "gc_pause").getSummary().getDataPointsList())
        .extracting(s -> attrs(s.getAttributesList()).get("gen")).containsExactly("young", "tenured");
    assertThat(metric(out, "gc_pause").getSummary().getDataPoints(1).getQuantileValues(0).getValue()).isEqualTo(0.4);
    assertThat(metric(out, "size").getExponentialHistogram().getDataPointsList()).singleElement()
        .satisfies(e -> assertThat(e.getScale()).isEqualTo(2));
    assertThat(metric(out, "size").getExponentialHistogram().getAggregationTemporality())
        .isEqualTo(AggregationTemporality.AGGREGATION_TEMPORALITY_DELTA);
    assertThat(dropped()).isEqualTo(2);
  }

  @Test
  void emptyScopesAndResourcesAreRemoved() throws Exception {
    ResourceMetrics twoScopes = rm(resource(null, "a", null), gauge("drop_me", number(1)))
        .toBuilder().addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(gauge("keep_me", number(2)))).build();
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: drop_.*
            action: drop
        """, batch(twoScopes, rm(resource(null, "b", null), gauge("drop_too", number(3)))));
    assertThat(out.resourceMetrics()).hasSize(1);
    assertThat(out.resourceMetrics().get(0).getScopeMetricsList()).singleElement()
        .satisfies(s -> assertThat(s.getMetricsList()).extracting(Metric::getName).containsExactly("keep_me"));
  }

  @Test
  void batchLeftEmptyIsAcknowledgedWithoutCallingNext() throws Exception {
    Batch out = run("""
        metric_relabel_configs:
          - action: drop
        """, batch(TestData.resourceMetrics("checkout", 2, 1)));
    assertThat(out).isNull();
    assertThat(dropped()).isEqualTo(6);
  }

  @Test
  void unchangedBatchIsPassedOnAsItIs() throws Exception {
    Batch in = batch(TestData.resourceMetrics("checkout", 2, 1));
    assertThat(run("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: nothing_matches
            action: drop
        """, in)).isSameAs(in);
    next.clear();
    assertThat(run("", in)).isSameAs(in);
  }

  @Test
  void nextConsumersFailureIsTheAcknowledgement() throws Exception {
    next.failWith(new RetryableException("queue full"));
    Processor p = processor("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: pool.*
            action: drop
        """);
    Future<Void> ack = p.consume(batch(TestData.resourceMetrics("checkout", 1, 1)));
    assertThat(ack.failed()).isTrue();
    assertThat(ack.cause()).isInstanceOf(RetryableException.class);
    assertThat(next.batches()).singleElement().satisfies(b -> assertThat(b.itemCount()).isEqualTo(2));
  }

  @Test
  void resourceJobWinsOverAPointAttributeNamedJob() throws Exception {
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [job]
            target_label: seen_job
        """, batch(rm(resource(null, "api", null), gauge("up", number(1, attr("job", "from-point"))))));
    assertThat(attrs(metric(out, "up").getGauge().getDataPoints(0).getAttributesList()))
        .containsExactly(Map.entry("job", "from-point"), Map.entry("seen_job", "api"));
  }

  @Test
  void deletingTheNameDropsThePoint() throws Exception {
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [zone]
            regex: us
            target_label: __name__
            replacement: ''
        """, batch(rm(resource(null, "api", null), gauge("up", number(1, attr("zone", "us")),
        number(2, attr("zone", "eu"))))));
    assertThat(metric(out, "up").getGauge().getDataPointsList()).extracting(NumberDataPoint::getAsDouble)
        .containsExactly(2.0);
    assertThat(dropped()).isEqualTo(1);
  }

  @Test
  void metricsWithoutPointsArePassedOnUntouched() throws Exception {
    Metric noData = Metric.newBuilder().setName("no_data").build();
    Metric noPoints = gauge("no_points");
    Batch out = run("""
        metric_relabel_configs:
          - source_labels: [__name__]
            regex: drop_me
            action: drop
        """, batch(rm(resource(null, "api", null), noData, gauge("drop_me", number(1)), noPoints,
        gauge("kept", number(2)))));
    assertThat(metrics(out)).containsExactly(noData, noPoints, gauge("kept", number(2)));
  }

  @Test
  void shutdownWorksWithoutStartTwiceAndAfterARestart() throws Exception {
    RelabelProcessorFactory f = new RelabelProcessorFactory();
    Processor p = f.create(TestContexts.processorContext(testVertx.vertx(), "relabel", "metrics", selfMetrics),
        f.defaultConfig(), Signal.METRICS, next);
    assertThat(p.shutdown().succeeded()).isTrue();
    assertThat(p.shutdown().succeeded()).isTrue();
    Processor q = processor("");
    assertThat(q.shutdown().succeeded()).isTrue();
    assertThat(q.start().succeeded()).isTrue();
    assertThat(q.shutdown().succeeded()).isTrue();
  }
}
