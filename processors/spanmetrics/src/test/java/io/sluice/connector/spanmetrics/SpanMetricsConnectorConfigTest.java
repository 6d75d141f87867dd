package io.sluice.connector.spanmetrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.connector.spanmetrics.SpanMetricsConnectorConfig.Dimension;
import io.sluice.core.Batch;
import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ConfigProblem;
import io.sluice.core.ConnectorFactory;
import io.sluice.core.Consumer;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Receiver;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.config.ServiceConfig;
import io.sluice.core.service.ServiceGraph;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.TestData;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SpanMetricsConnectorConfigTest {
  private static final SpanMetricsConnectorFactory FACTORY = new SpanMetricsConnectorFactory();

  @Test
  void defaultsAreTheCollectorsAndValidate() {
    SpanMetricsConnectorConfig d = FACTORY.defaultConfig();
    assertThat(d.aggregationTemporality()).isEqualTo("AGGREGATION_TEMPORALITY_CUMULATIVE");
    assertThat(d.metricsFlushInterval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(d.metricsExpiration()).isZero();
    assertThat(d.namespace()).isEqualTo("traces.span.metrics");
    assertThat(d.histogram().unit()).isEqualTo("ms");
    assertThat(d.histogram().disable()).isFalse();
    assertThat(d.exponentialHistogram()).isFalse();
    assertThat(d.explicitBounds()).containsExactly(2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000,
        10_000, 15_000);
    assertThat(d.exemplars().enabled()).isFalse();
    assertThat(d.exemplars().maxPerDataPoint()).isEqualTo(5);
    assertThat(d.resourceMetricsCacheSize()).isEqualTo(1000);
    assertThat(d.timestampCacheSize()).isEqualTo(1000);
    assertThat(d.aggregationCardinalityLimit()).isZero();
    assertThat(d.events().enabled()).isFalse();
    assertThat(d.validate()).isEmpty();
    assertThat(d.warnings()).isEmpty();
  }

  @Test
  void theCollectorsReadmeExampleLoadsUnchangedAndWiresATracesToMetricsPipeline() throws Exception {
    String yaml = resource("collector-readme-example.yaml");
    ServiceConfig config = loader().loadYaml("collector-readme-example.yaml", yaml);

    SpanMetricsConnectorConfig c = (SpanMetricsConnectorConfig) config.connectors()
        .get(ComponentId.parse("spanmetrics")).config();
    assertThat(c.histogram().dimensions()).containsExactly(new Dimension("url.scheme", "https"));
    assertThat(c.histogram().explicit().buckets()).containsExactly(Duration.ofNanos(100_000), Duration.ofMillis(1),
        Duration.ofMillis(2), Duration.ofMillis(6), Duration.ofMillis(10), Duration.ofMillis(100),
        Duration.ofMillis(250));
    assertThat(c.explicitBounds()).containsExactly(0.1, 1, 2, 6, 10, 100, 250);
    assertThat(c.dimensions()).containsExactly(new Dimension("http.method", "GET"), Dimension.of("http.status_code"));
    assertThat(c.callsDimensions()).containsExactly(new Dimension("http.url", "/ping"));
    assertThat(c.exemplars().enabled()).isTrue();
    assertThat(c.excludeDimensions()).containsExactly("status.code");
    assertThat(c.delta()).isFalse();
    assertThat(c.metricsFlushInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(c.metricsExpiration()).isEqualTo(Duration.ofMinutes(5));
    assertThat(c.events().enabled()).isTrue();
    assertThat(c.events().dimensions()).containsExactly(Dimension.of("exception.type"),
        Dimension.of("exception.message"));
    assertThat(c.resourceMetricsKeyAttributes()).containsExactly("service.name", "telemetry.sdk.language",
        "telemetry.sdk.name");
    assertThat(c.includeInstrumentationScope()).containsExactly("express");
    assertThat(c.warnings()).isEmpty();

    // The graph builds the connector between the two pipelines: spans into the traces pipeline's
    // entry come out of the metrics pipeline's exporter. A plain Vert.x: this may be the JVM's first
    // use of it, whose class loading the strict blocked-loop check would count; the connector's
    // own tests run under that check.
    Vertx vertx = Vertx.vertx(new VertxOptions().setEventLoopPoolSize(2));
    try {
      ServiceGraph graph = ServiceGraph.build(vertx, new SelfMetrics(), config);
      graph.start().await(10, TimeUnit.SECONDS);
      graph.pipelineEntry("traces").consume(TestData.traces(3, 1)).await(10, TimeUnit.SECONDS);
      graph.shutdown().await(10, TimeUnit.SECONDS);
      List<Batch> out = NopExporter.CONSUMED;
      assertThat(out).as("metrics the connector flushed at shutdown").isNotEmpty();
      assertThat(out).allMatch(b -> b.signal() == Signal.METRICS);
      assertThat(out.stream().flatMap(b -> b.resourceMetrics().stream())
          .flatMap(rm -> rm.getScopeMetricsList().stream()).flatMap(sm -> sm.getMetricsList().stream())
          .map(m -> m.getName()).distinct()).contains("traces.span.metrics.calls", "traces.span.metrics.duration");
    } finally {
      NopExporter.CONSUMED.clear();
      vertx.close().await(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void bindsOverTheDefaultsAndAcceptsExponentialBuckets() throws Exception {
    SpanMetricsConnectorConfig c = ConfigLoader.bindComponent(FACTORY, """
        histogram:
          unit: s
          exponential:
            max_size: 10
        aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA
        metric_timestamp_cache_size: 123
        namespace: ""
        """);
    assertThat(c.exponentialHistogram()).isTrue();
    assertThat(c.exponentialMaxSize()).isEqualTo(10);
    assertThat(c.histogram().seconds()).isTrue();
    assertThat(c.delta()).isTrue();
    assertThat(c.timestampCacheSize()).isEqualTo(123);
    assertThat(c.namespace()).isEmpty();
    assertThat(c.metricsFlushInterval()).isEqualTo(Duration.ofSeconds(60));

    // An empty "explicit:" (or "exponential:") is the default, as in the Collector.
    SpanMetricsConnectorConfig empty = ConfigLoader.bindComponent(FACTORY, "histogram:\n  explicit:\n");
    assertThat(empty.exponentialHistogram()).isFalse();
    assertThat(empty.explicitBounds()).hasSize(16);
    SpanMetricsConnectorConfig seconds = ConfigLoader.bindComponent(FACTORY, "histogram:\n  unit: S\n");
    assertThat(seconds.explicitBounds()).startsWith(0.002, 0.004).endsWith(15.0);
    assertThat(ConfigLoader.bindComponent(FACTORY, "histogram:\n  exponential: {}\n").exponentialMaxSize())
        .isEqualTo(160);
  }

  @Test
  void reportsEveryProblemWithItsPathAndWhatWouldBeValid() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(FACTORY, """
        histogram:
          unit: h
          explicit:
            buckets: [10ms, 5ms]
          exponential:
            max_size: 1
        dimensions:
          - name: span.kind
          - name: http.method
          - name: http.method
        aggregation_temporality: DELTA
        metrics_flush_interval: 0s
        metrics_expiration: -20s
        aggregation_cardinality_limit: -1
        events:
          enabled: true
        resource_metrics_cache_size: 0
        """));
    assertThat(e).isNotNull();
    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "connectors.spanmetrics.histogram.unit",
        "connectors.spanmetrics.histogram",
        "connectors.spanmetrics.histogram.explicit.buckets.1",
        "connectors.spanmetrics.histogram.exponential.max_size",
        "connectors.spanmetrics.dimensions.0.name",
        "connectors.spanmetrics.dimensions.2.name",
        "connectors.spanmetrics.aggregation_temporality",
        "connectors.spanmetrics.metrics_flush_interval",
        "connectors.spanmetrics.metrics_expiration",
        "connectors.spanmetrics.aggregation_cardinality_limit",
        "connectors.spanmetrics.events.dimensions",
        "connectors.spanmetrics.resource_metrics_cache_size");
    assertThat(message(e, "histogram.unit")).contains("\"h\"").contains("\"ms\"").contains("\"s\"");
    assertThat(message(e, "histogram")).contains("either explicit or exponential");
    assertThat(message(e, "aggregation_temporality"))
        .contains("did you mean \"AGGREGATION_TEMPORALITY_DELTA\"?");
    assertThat(message(e, "dimensions.0.name")).contains("\"span.kind\" is a default dimension");
    assertThat(message(e, "dimensions.2.name")).contains("listed twice");
    assertThat(message(e, "histogram.explicit.buckets.1")).contains("\"5ms\"").contains("increasing order");
    assertThat(message(e, "metrics_expiration")).contains("\"-20s\"");
    // Each error carries the line it is on.
    assertThat(e.errors()).allMatch(err -> err.line() > 0);
  }

  @Test
  void unknownKeysInNestedSectionsAreErrorsWithTheirPath() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(FACTORY, """
        dimensions:
          - name: http.method
            defualt: GET
        exemplars:
          enable: true
        """));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("connectors.spanmetrics.dimensions[0].defualt")
        .contains("connectors.spanmetrics.exemplars.enable");
  }

  @Test
  void deltaNeedsAPositiveTimestampCache() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(FACTORY,
        "aggregation_temporality: AGGREGATION_TEMPORALITY_DELTA\nmetric_timestamp_cache_size: 0\n"));
    assertThat(e).isNotNull();
    assertThat(e.errors()).extracting(ConfigError::path)
        .containsExactly("connectors.spanmetrics.metric_timestamp_cache_size");
  }

  @Test
  void keysWithoutEffectAreAcceptedWithAWarning() throws Exception {
    SpanMetricsConnectorConfig c = ConfigLoader.bindComponent(FACTORY,
        "dimensions_cache_size: 500\nadd_resource_attributes: true\nenable_metrics_sampling_method: true\n");
    assertThat(c.warnings()).extracting(ConfigProblem::path)
        .containsExactlyInAnyOrder("dimensions_cache_size", "add_resource_attributes");
    assertThat(c.enableMetricsSamplingMethod()).isTrue();
  }

  @Test
  void factoryIsFoundByServiceLoaderAsASpanmetricsConnectorFromTracesToMetrics() {
    List<ConnectorFactory<?>> found = ServiceLoader.load(ConnectorFactory.class).stream()
        .<ConnectorFactory<?>>map(ServiceLoader.Provider::get).filter(f -> f.type().equals("spanmetrics")).toList();
    assertThat(found).hasSize(1).allMatch(f -> f instanceof SpanMetricsConnectorFactory);
    ConnectorFactory<?> f = found.get(0);
    assertThat(f.supports(Signal.TRACES, Signal.METRICS)).isTrue();
    assertThat(f.supports(Signal.TRACES, Signal.LOGS)).isFalse();
    assertThat(f.supports(Signal.METRICS, Signal.METRICS)).isFalse();
    assertThat(f.signals()).containsExactly(Signal.TRACES);
  }

  @Test
  void aPipelinePairTheConnectorCannotServeIsAConfigError() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("bad.yaml", """
        receivers:
          nop:
        exporters:
          nop:
        connectors:
          spanmetrics:
        service:
          pipelines:
            traces:
              receivers: [nop]
              exporters: [spanmetrics]
            logs:
              receivers: [spanmetrics]
              exporters: [nop]
        """));
    assertThat(e).isNotNull();
    assertThat(e.getMessage()).contains("spanmetrics").contains("logs");
  }

  private static String message(ConfigException e, String path) {
    return e.errors().stream().filter(err -> err.path().equals("connectors.spanmetrics." + path)).findFirst()
        .orElseThrow(() -> new AssertionError("no error at " + path + " in:\n" + e.getMessage())).message();
  }

  private static ConfigLoader loader() {
    return new ConfigLoader(Factories.of(new NopReceiverFactory(), new NopExporterFactory(), FACTORY), Map.of());
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = SpanMetricsConnectorConfigTest.class.getResourceAsStream("/" + name)) {
      assertThat(in).as("test resource %s", name).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** A config with no keys, for the nop components. */
  public record NoConfig() implements ComponentConfig {}

  /** What the Collector's {@code nop} components' factories share: the type and no keys. */
  abstract static class NopFactory {
    public String type() {
      return "nop";
    }

    public Class<NoConfig> configClass() {
      return NoConfig.class;
    }

    public NoConfig defaultConfig() {
      return new NoConfig();
    }

    public Set<Signal> signals() {
      return EnumSet.allOf(Signal.class);
    }
  }

  /** The Collector's {@code nop} receiver: takes nothing in. */
  static final class NopReceiverFactory extends NopFactory implements ReceiverFactory<NoConfig> {
    @Override
    public Receiver create(ComponentContext ctx, NoConfig config, Map<Signal, Consumer> next) {
      return new Receiver() {
        @Override
        public Future<Void> start() {
          return Future.succeededFuture();
        }

        @Override
        public Future<Void> shutdown() {
          return Future.succeededFuture();
        }
      };
    }
  }

  /** The Collector's {@code nop} exporter, which here also remembers what it was given. */
  static final class NopExporterFactory extends NopFactory implements ExporterFactory<NoConfig> {
    @Override
    public Exporter create(ComponentContext ctx, NoConfig config) {
      return new NopExporter();
    }
  }

  static final class NopExporter implements Exporter {
    static final List<Batch> CONSUMED = new CopyOnWriteArrayList<>();

    @Override
    public Future<Void> consume(Batch batch) {
      CONSUMED.add(batch);
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> start() {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> shutdown() {
      return Future.succeededFuture();
    }
  }
}
