package io.sluice.exporter.prometheusremotewrite;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.sluice.core.testkit.TestData;
import io.sluice.translation.prometheus.otlp.OtlpToPrometheus;
import io.sluice.translation.prometheus.otlp.PromWriteData;
import io.sluice.translation.prometheus.otlp.TranslationOptions;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RemoteWrite1EncoderTest {
  private static PromWriteData translate(List<ResourceMetrics> rms) {
    return new OtlpToPrometheus(TranslationOptions.defaults()).translate(rms);
  }

  private static ResourceMetrics wideCharacters() {
    Metric m = Metric.newBuilder().setName("temperature").setGauge(Gauge.newBuilder()
        .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(1_700_000_000_000_000_000L).setAsDouble(1)
            .addAttributes(KeyValue.newBuilder().setKey("room")
                .setValue(AnyValue.newBuilder().setStringValue("Küche \u2603 \uD83D\uDE00 ".repeat(40))))))
        .build();
    return ResourceMetrics.newBuilder().addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(m)).build();
  }

  private static ResourceMetrics withExemplar() {
    Metric m = Metric.newBuilder().setName("latency").setGauge(Gauge.newBuilder()
        .addDataPoints(NumberDataPoint.newBuilder().setTimeUnixNano(1_700_000_000_000_000_000L).setAsDouble(2)
            .addExemplars(io.opentelemetry.proto.metrics.v1.Exemplar.newBuilder().setAsDouble(2.5)
                .setTimeUnixNano(1_700_000_000_000_000_000L)
                .addFilteredAttributes(KeyValue.newBuilder().setKey("user")
                    .setValue(AnyValue.newBuilder().setStringValue("zoë"))))))
        .build();
    return ResourceMetrics.newBuilder().addScopeMetrics(ScopeMetrics.newBuilder().addMetrics(m)).build();
  }

  @Test
  void theSeriesSizesAddUpToTheEncodedRequest() {
    List<PromWriteData> cases = new ArrayList<>();
    cases.add(translate(TestData.metrics(40, 3).resourceMetrics()));
    cases.add(translate(List.of(wideCharacters())));
    cases.add(translate(List.of(withExemplar())));
    for (PromWriteData d : cases) {
      RemoteWrite1Encoder encoder = new RemoteWrite1Encoder();
      long sizes = d.series().stream().mapToLong(encoder::framedSeriesSize).sum();
      assertThat(sizes).as("%d series", d.series().size()).isEqualTo(encoder.encode(d, false).length);
    }
  }

  @Test
  void dataBelowTheLimitIsNotSplitAndDataAboveItIs() {
    PromWriteData d = translate(TestData.metrics(40, 3).resourceMetrics());
    RemoteWrite1Encoder encoder = new RemoteWrite1Encoder();
    int encoded = encoder.encode(d, false).length;

    assertThat(encoder.split(d, encoded)).containsExactly(d);
    List<PromWriteData> parts = encoder.split(d, encoded / 3);
    assertThat(parts).hasSizeGreaterThan(2);
    assertThat(parts.stream().mapToInt(p -> p.series().size()).sum()).isEqualTo(d.series().size());
    for (PromWriteData p : parts) {
      assertThat(encoder.encode(p, false).length).isLessThanOrEqualTo(encoded / 3);
    }
  }
}
