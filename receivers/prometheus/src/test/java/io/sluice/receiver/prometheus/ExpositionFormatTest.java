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
    assertThat(ExpositionFormat.ACCEPT_HEADER).startsWith(
        "application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,");
    assertThat(ExpositionFormat.ACCEPT_HEADER).contains("text/plain;version=0.0.4;q=0.3")
        .endsWith("*/*;q=0.2");
  }
}
