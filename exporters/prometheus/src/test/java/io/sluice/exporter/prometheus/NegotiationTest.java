package io.sluice.exporter.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NegotiationTest {
  @Test
  void picksOpenMetricsFromPrometheusDefaultAcceptHeader() {
    assertThat(Negotiation.prefersOpenMetrics("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
        + "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,"
        + "text/plain;version=0.0.4;q=0.3,*/*;q=0.2")).isTrue();
  }

  @Test
  void picksTheTextFormatWhenItWeighsMoreOrNothingIsAsked() {
    assertThat(Negotiation.prefersOpenMetrics(null)).isFalse();
    assertThat(Negotiation.prefersOpenMetrics("*/*")).isFalse();
    assertThat(Negotiation.prefersOpenMetrics("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5"))
        .isFalse();
    assertThat(Negotiation.prefersOpenMetrics("application/openmetrics-text;version=2.0.0")).isFalse();
    assertThat(Negotiation.prefersOpenMetrics("application/openmetrics-text;q=0")).isFalse();
  }

  @Test
  void gzipOnlyWhenAcceptedWithAWeight() {
    assertThat(Negotiation.acceptsGzip("gzip")).isTrue();
    assertThat(Negotiation.acceptsGzip("identity, gzip;q=0.5")).isTrue();
    assertThat(Negotiation.acceptsGzip("gzip;q=0")).isFalse();
    assertThat(Negotiation.acceptsGzip("identity")).isFalse();
    assertThat(Negotiation.acceptsGzip(null)).isFalse();
  }
}
