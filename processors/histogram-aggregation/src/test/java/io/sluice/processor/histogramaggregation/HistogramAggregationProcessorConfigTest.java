package io.sluice.processor.histogramaggregation;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ConfigProblem;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigLoader;
import io.sluice.processor.seriesstate.GaugeMode;
import io.sluice.processor.seriesstate.TestMetrics;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class HistogramAggregationProcessorConfigTest {
  private final HistogramAggregationProcessorFactory factory = new HistogramAggregationProcessorFactory();

  @Test
  void defaultsNeedKeepOrDropAttributesAndNothingElse() {
    HistogramAggregationProcessorConfig d = factory.defaultConfig();
    assertThat(d.interval()).isEqualTo(Duration.ofSeconds(60));
    assertThat(d.seriesTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(d.gaugeAggregation()).isEqualTo(GaugeMode.LAST);
    assertThat(d.quantiles()).isEmpty();
    assertThat(d.exponentialMaxSize()).isEqualTo(160);
    assertThat(d.validate()).extracting(ConfigProblem::path).containsExactly("keep_attributes");
  }

  @Test
  void bindsEveryKeyOverTheDefaults() throws Exception {
    HistogramAggregationProcessorConfig c = ConfigLoader.bindComponent(factory, """
        keep_attributes: [http.route, http.request.method]
        interval: 30s
        series_ttl: 10m
        gauge_aggregation: max
        quantiles: [0.5, 0.9, 0.95, 0.99]
        exponential_max_size: 80
        """);
    assertThat(c.keeps()).isTrue();
    assertThat(c.attributeKeys()).containsExactlyInAnyOrder("http.route", "http.request.method");
    assertThat(c.interval()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.seriesTtl()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.gaugeAggregation()).isEqualTo(GaugeMode.MAX);
    assertThat(c.quantiles()).containsExactly(0.5, 0.9, 0.95, 0.99);
    assertThat(c.exponentialMaxSize()).isEqualTo(80);
    HistogramAggregationProcessorConfig drop = ConfigLoader.bindComponent(factory, "drop_attributes: [pod]");
    assertThat(drop.keeps()).isFalse();
    assertThat(drop.attributeKeys()).containsExactly("pod");
  }

  @Test
  void reportsEveryProblemWithItsKey() {
    HistogramAggregationProcessorConfig bad = new HistogramAggregationProcessorConfig(List.of("a", "a", ""),
        List.of("b"), Duration.ZERO, Duration.ofSeconds(-1), null, java.util.Arrays.asList(0.5, 1.5, 0.5, null), 1);
    assertThat(bad.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("drop_attributes",
        "keep_attributes.1", "keep_attributes.2", "interval", "series_ttl", "gauge_aggregation", "quantiles.1",
        "quantiles.2", "quantiles.3", "exponential_max_size");
    HistogramAggregationProcessorConfig shortTtl = new HistogramAggregationProcessorConfig(List.of(), null,
        Duration.ofSeconds(60), Duration.ofSeconds(30), GaugeMode.LAST, List.of(), 160);
    assertThat(shortTtl.validate()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("series_ttl");
      assertThat(p.message()).contains("\"30s\"").contains("interval").contains("\"5m0s\"");
    });
  }

  @Test
  void aWrongValueNamesFileLineAndKey() {
    List<ConfigError> errors = TestMetrics.configErrors("histogram_aggregation", """
        keep_attributes: [http.route]
        gauge_aggregation: median
        """);
    assertThat(errors).singleElement().satisfies(e -> {
      assertThat(e.file()).isEqualTo("gateway.yaml");
      assertThat(e.line()).isEqualTo(4);
      assertThat(e.path()).isEqualTo("processors.histogram_aggregation.gauge_aggregation");
      assertThat(e.message()).contains("median");
    });
  }

  @Test
  void anInvalidSettingNamesFileLineAndKey() {
    List<ConfigError> errors = TestMetrics.configErrors("histogram_aggregation", """
        keep_attributes: [http.route]
        drop_attributes: [pod]
        quantiles: [0.5, 95]
        """);
    assertThat(errors).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.histogram_aggregation.drop_attributes", "processors.histogram_aggregation.quantiles.1");
    ConfigError q = errors.stream().filter(x -> x.path().endsWith("quantiles.1")).findFirst().orElseThrow();
    assertThat(q.file()).isEqualTo("gateway.yaml");
    assertThat(q.line()).isEqualTo(5);
    assertThat(q.message()).contains("95").contains("between 0 and 1");
    ConfigError both = errors.stream().filter(x -> x.path().endsWith("drop_attributes")).findFirst().orElseThrow();
    assertThat(both.line()).isEqualTo(4);
    assertThat(both.message()).contains("keep_attributes");
  }

  @Test
  void factoryIsFoundByServiceLoaderForMetricsOnly() {
    List<ProcessorFactory<?>> found = ServiceLoader.load(ProcessorFactory.class).stream()
        .<ProcessorFactory<?>>map(ServiceLoader.Provider::get).filter(f -> f.type().equals("histogram_aggregation"))
        .toList();
    assertThat(found).hasSize(1).allMatch(f -> f instanceof HistogramAggregationProcessorFactory);
    assertThat(found.get(0).signals()).containsExactly(Signal.METRICS);
  }
}
