package io.sluice.translation.prometheus.otlp;

import static io.sluice.translation.prometheus.otlp.PrometheusNaming.Kind.COUNTER;
import static io.sluice.translation.prometheus.otlp.PrometheusNaming.Kind.GAUGE;
import static io.sluice.translation.prometheus.otlp.PrometheusNaming.Kind.HISTOGRAM;
import static io.sluice.translation.prometheus.otlp.PrometheusNaming.metricName;
import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PrometheusNamingTest {

  @Test
  void appendsTheUnitOfAMillisecondHistogram() {
    assertThat(metricName("http.server.duration", "ms", HISTOGRAM, "", true))
        .isEqualTo("http_server_duration_milliseconds");
  }

  @Test
  void writesPerUnitsAsPerWords() {
    assertThat(metricName("network.io", "By/s", GAUGE, "", true)).isEqualTo("network_io_bytes_per_second");
    assertThat(metricName("events", "1/h", GAUGE, "", true)).isEqualTo("events_per_hour");
    assertThat(metricName("x", "{packets}/s", GAUGE, "", true)).isEqualTo("x_per_second");
  }

  @Test
  void addsTotalToMonotonicCountersOnce() {
    assertThat(metricName("requests", "1", COUNTER, "", true)).isEqualTo("requests_total");
    assertThat(metricName("requests.total", "", COUNTER, "", true)).isEqualTo("requests_total");
    assertThat(metricName("total.requests", "{request}", COUNTER, "", true)).isEqualTo("requests_total");
  }

  @Test
  void addsRatioToGaugesWithUnitOne() {
    assertThat(metricName("cpu.utilization", "1", GAUGE, "", true)).isEqualTo("cpu_utilization_ratio");
    assertThat(metricName("disk.ratio.used", "1", GAUGE, "", true)).isEqualTo("disk_used_ratio");
  }

  @Test
  void skipsAUnitTheNameAlreadyHasAndSanitisesUnknownUnits() {
    assertThat(metricName("process.runtime.seconds", "s", GAUGE, "", true)).isEqualTo("process_runtime_seconds");
    assertThat(metricName("temp", "Cel", GAUGE, "", true)).isEqualTo("temp_celsius");
    assertThat(metricName("mem", "MiBy", GAUGE, "", true)).isEqualTo("mem_mebibytes");
    assertThat(metricName("foo", "m3.x", GAUGE, "", true)).isEqualTo("foo_m3_x");
  }

  @Test
  void tokenisesKeepsColonsAndCollapsesRuns() {
    assertThat(metricName("a..b--c:d", "", GAUGE, "", true)).isEqualTo("a_b_c:d");
    assertThat(metricName("__weird__", "", GAUGE, "", true)).isEqualTo("weird");
  }

  @Test
  void prefixesNamespaceAndGuardsLeadingDigit() {
    assertThat(metricName("requests", "", COUNTER, "app", true)).isEqualTo("app_requests_total");
    assertThat(metricName("2xx.responses", "", GAUGE, "", true)).isEqualTo("_2xx_responses");
  }

  @Test
  void leavesSuffixesOutWhenTurnedOff() {
    assertThat(metricName("requests", "1", COUNTER, "", false)).isEqualTo("requests");
    assertThat(metricName("http.server.duration", "ms", HISTOGRAM, "ns", false)).isEqualTo("ns_http_server_duration");
  }

  @Test
  void unitNameIsThePrometheusWord() {
    assertThat(PrometheusNaming.unitName("ms")).isEqualTo("milliseconds");
    assertThat(PrometheusNaming.unitName("By/s")).isEqualTo("bytes_per_second");
    assertThat(PrometheusNaming.unitName("1")).isEmpty();
  }

  @Test
  void sanitisesLabelNames() {
    assertThat(PrometheusNaming.labelName("http.method")).isEqualTo("http_method");
    assertThat(PrometheusNaming.labelName("a..b")).isEqualTo("a_b");
    assertThat(PrometheusNaming.labelName("0day")).isEqualTo("key_0day");
    assertThat(PrometheusNaming.labelName("__meta.x")).isEqualTo("__meta_x");
    assertThat(PrometheusNaming.labelName("plain_name")).isEqualTo("plain_name");
  }

  @Test
  void formatsBoundsWithoutExponents() {
    assertThat(PrometheusNaming.formatFloat(0.005)).isEqualTo("0.005");
    assertThat(PrometheusNaming.formatFloat(100)).isEqualTo("100");
    assertThat(PrometheusNaming.formatFloat(1e-7)).isEqualTo("0.0000001");
    assertThat(PrometheusNaming.formatFloat(Double.POSITIVE_INFINITY)).isEqualTo("+Inf");
  }
}
