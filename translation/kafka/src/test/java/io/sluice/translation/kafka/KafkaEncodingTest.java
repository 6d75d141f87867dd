package io.sluice.translation.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.Signal;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class KafkaEncodingTest {

  @Test
  void otlpEncodingsServeEverySignalOnBothSides() {
    for (Signal s : Signal.values()) {
      assertThat(KafkaEncoding.parse("otlp_proto", s, true).kind()).isEqualTo(KafkaEncoding.Kind.OTLP_PROTO);
      assertThat(KafkaEncoding.parse("OTLP_JSON", s, false).kind()).isEqualTo(KafkaEncoding.Kind.OTLP_JSON);
    }
  }

  @Test
  void logOnlyEncodingsAreRefusedForOtherSignalsSayingWhatFits() {
    assertThat(KafkaEncoding.parse("raw", Signal.LOGS, true).kind()).isEqualTo(KafkaEncoding.Kind.RAW);
    assertThatThrownBy(() -> KafkaEncoding.parse("raw", Signal.TRACES, true))
        .hasMessage("\"raw\" is not supported by Sluice's kafka exporter for traces; use one of otlp_proto,"
            + " otlp_json, jaeger_proto");
    assertThatThrownBy(() -> KafkaEncoding.parse("json", Signal.LOGS, true))
        .hasMessageContaining("not supported by Sluice's kafka exporter for logs; use one of otlp_proto, otlp_json,"
            + " raw");
  }

  @Test
  void textTakesACharsetOnTheReceiverSide() {
    assertThat(KafkaEncoding.parse("text", Signal.LOGS, false).charset()).isEqualTo(StandardCharsets.UTF_8);
    assertThat(KafkaEncoding.parse("text_iso-8859-1", Signal.LOGS, false).charset())
        .isEqualTo(StandardCharsets.ISO_8859_1);
    assertThatThrownBy(() -> KafkaEncoding.parse("text_klingon", Signal.LOGS, false))
        .hasMessageContaining("names the charset \"klingon\", which this JVM does not have");
  }

  @Test
  void jaegerProtoServesSpansOnBothSidesAndUnknownNamesSayWhatIsValid() {
    assertThat(KafkaEncoding.parse("jaeger_proto", Signal.TRACES, true).kind())
        .isEqualTo(KafkaEncoding.Kind.JAEGER_PROTO);
    assertThat(KafkaEncoding.parse("jaeger_proto", Signal.TRACES, false).isOtlp()).isFalse();
    assertThatThrownBy(() -> KafkaEncoding.parse("jaeger_proto", Signal.LOGS, false))
        .hasMessage("\"jaeger_proto\" encodes spans only; for logs use one of otlp_proto, otlp_json, raw, text,"
            + " text_<charset>, json");
    assertThatThrownBy(() -> KafkaEncoding.parse("otlp_protobuf", Signal.METRICS, false))
        .hasMessage("\"otlp_protobuf\" is not an encoding (encoding extensions are not supported); use one of"
            + " otlp_proto, otlp_json");
  }
}
