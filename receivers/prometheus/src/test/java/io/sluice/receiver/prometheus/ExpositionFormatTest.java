package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ExpositionFormatTest {

  @Test
  void choosesOpenMetricsOnlyForTheOpenMetricsMediaType() {
    assertThat(ExpositionFormat.fromContentType(
        "application/openmetrics-text; version=1.0.0; charset=utf-8"))
        .isEqualTo(ExpositionFormat.OPENMETRICS_TEXT);
    assertThat(ExpositionFormat.fromContentType("Application/OpenMetrics-Text;version=0.0.1"))
        .isEqualTo(ExpositionFormat.OPENMETRICS_TEXT);
    assertThat(ExpositionFormat.fromContentType("text/plain; version=0.0.4; charset=utf-8"))
        .isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
    assertThat(ExpositionFormat.fromContentType(null)).isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
    assertThat(ExpositionFormat.fromContentType("")).isEqualTo(ExpositionFormat.PROMETHEUS_TEXT);
  }

  @Test
  void acceptHeaderPrefersOpenMetricsLikePrometheus() {
    // Prometheus 3 weighs from 0.7 down (it knows six protocols, OpenMetrics 2.0.0 included)
    assertThat(ExpositionFormat.ACCEPT_HEADER).startsWith(
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.7,");
    assertThat(ExpositionFormat.ACCEPT_HEADER).contains("text/plain;version=0.0.4;q=0.4")
        .endsWith("*/*;q=0.3");
  }
}
