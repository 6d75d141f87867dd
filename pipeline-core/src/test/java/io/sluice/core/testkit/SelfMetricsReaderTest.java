package io.sluice.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ComponentId;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import org.junit.jupiter.api.Test;

class SelfMetricsReaderTest {
  private final SelfMetrics metrics = new SelfMetrics();

  @Test
  void readsCountersByNameAndLabelsSummingTheSeriesThatMatch() {
    SelfMetrics.ExporterMetrics otlp = metrics.exporter(ComponentId.parse("otlp"));
    otlp.sent(Signal.TRACES, 5);
    otlp.sent(Signal.LOGS, 2);
    metrics.exporter(ComponentId.parse("otlp/2")).sent(Signal.TRACES, 100);

    assertThat(SelfMetricsReader.counter(metrics, "sluice_exporter_sent_items", "component_id", "otlp",
        "signal", "traces")).isEqualTo(5);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_exporter_sent_items_total", "component_id", "otlp"))
        .isEqualTo(7);
    assertThat(SelfMetricsReader.counter(metrics, "sluice_exporter_sent_items", "component_id", "debug")).isZero();
  }

  @Test
  void readsHistogramObservationCounts() {
    SelfMetrics.ExporterMetrics otlp = metrics.exporter(ComponentId.parse("otlp"));
    otlp.requestDuration(Signal.TRACES, 1_000_000);
    otlp.requestDuration(Signal.TRACES, 3_000_000);

    assertThat(SelfMetricsReader.observations(metrics, "sluice_exporter_request_duration_seconds",
        "component_id", "otlp", "signal", "traces")).isEqualTo(2);
    assertThat(SelfMetricsReader.observations(metrics, "sluice_exporter_request_duration_seconds",
        "component_id", "otlp", "signal", "logs")).isZero();
  }

  @Test
  void readsGaugesAndInsistsOnOneSeries() {
    metrics.registerQueue(ComponentId.parse("otlp"), () -> 3, 10);
    metrics.registerQueue(ComponentId.parse("file"), () -> 0, 10);

    assertThat(SelfMetricsReader.gauge(metrics, "sluice_exporter_queue_size", "component_id", "otlp")).isEqualTo(3);
    assertThat(SelfMetricsReader.gauge(metrics, "sluice_exporter_queue_capacity", "component_id", "otlp"))
        .isEqualTo(10);
    assertThatThrownBy(() -> SelfMetricsReader.gauge(metrics, "sluice_exporter_queue_size"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("2 series");
  }

  @Test
  void failsOnANameNoMetricHasOrTheWrongKindOfMetric() {
    assertThatThrownBy(() -> SelfMetricsReader.counter(metrics, "sluice_exporter_sent_itemz"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("no self-metric is named \"sluice_exporter_sent_itemz\"");
    assertThatThrownBy(() -> SelfMetricsReader.gauge(metrics, "sluice_exporter_sent_items"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("GaugeSnapshot");
    assertThatThrownBy(() -> SelfMetricsReader.observations(metrics, "sluice_exporter_sent_items"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("not a HistogramSnapshot or SummarySnapshot");
  }
}
