package io.sluice.processor.cardinalitylimit;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ConfigProblem;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigLoader;
import io.sluice.processor.seriesstate.TestMetrics;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class CardinalityLimitProcessorConfigTest {
  private final CardinalityLimitProcessorFactory factory = new CardinalityLimitProcessorFactory();

  @Test
  void defaultsValidate() {
    CardinalityLimitProcessorConfig d = factory.defaultConfig();
    assertThat(d.maxSeriesPerMetric()).isEqualTo(2000);
    assertThat(d.maxSeries()).isEqualTo(100_000);
    assertThat(d.seriesTtl()).isEqualTo(Duration.ofMinutes(5));
    assertThat(d.validate()).isEmpty();
  }

  @Test
  void bindsEveryKeyOverTheDefaults() throws Exception {
    CardinalityLimitProcessorConfig c = ConfigLoader.bindComponent(factory, """
        max_series_per_metric: 50
        max_series: 500
        series_ttl: 90s
        """);
    assertThat(c).isEqualTo(new CardinalityLimitProcessorConfig(50, 500, Duration.ofSeconds(90)));
    assertThat(ConfigLoader.bindComponent(factory, "max_series: 7").maxSeriesPerMetric()).isEqualTo(2000);
  }

  @Test
  void reportsEveryProblemWithItsKey() {
    assertThat(new CardinalityLimitProcessorConfig(0, -1, Duration.ZERO).validate()).extracting(ConfigProblem::path)
        .containsExactlyInAnyOrder("max_series_per_metric", "max_series", "series_ttl");
  }

  @Test
  void configFileErrorsNameFileLineAndKey() {
    List<ConfigError> errors = TestMetrics.configErrors("cardinality_limit", """
        max_series_per_metric: 0
        series_ttl: 5 minutes
        max_sereis: 10
        """);
    assertThat(errors).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.cardinality_limit.series_ttl", "processors.cardinality_limit.max_sereis");
    ConfigError unknown = errors.stream().filter(e -> e.path().endsWith("max_sereis")).findFirst().orElseThrow();
    assertThat(unknown.file()).isEqualTo("gateway.yaml");
    assertThat(unknown.line()).isEqualTo(5);
    assertThat(unknown.message()).contains("max_series");
    ConfigError ttl = errors.stream().filter(e -> e.path().endsWith("series_ttl")).findFirst().orElseThrow();
    assertThat(ttl.line()).isEqualTo(4);
    List<ConfigError> invalid = TestMetrics.configErrors("cardinality_limit", "max_series_per_metric: 0");
    assertThat(invalid).singleElement().satisfies(e -> {
      assertThat(e.path()).isEqualTo("processors.cardinality_limit.max_series_per_metric");
      assertThat(e.line()).isEqualTo(3);
      assertThat(e.message()).contains("at least 1");
    });
  }

  @Test
  void factoryIsFoundByServiceLoaderForMetricsOnly() {
    List<ProcessorFactory<?>> found = ServiceLoader.load(ProcessorFactory.class).stream()
        .<ProcessorFactory<?>>map(ServiceLoader.Provider::get).filter(f -> f.type().equals("cardinality_limit"))
        .toList();
    assertThat(found).hasSize(1).allMatch(f -> f instanceof CardinalityLimitProcessorFactory);
    assertThat(found.get(0).signals()).containsExactly(Signal.METRICS);
  }
}
