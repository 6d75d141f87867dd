package io.sluice.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import org.junit.jupiter.api.Test;

class AnyValuesTest {
  private static AnyValue s(String v) {
    return AnyValue.newBuilder().setStringValue(v).build();
  }

  private static AnyValue d(double v) {
    return AnyValue.newBuilder().setDoubleValue(v).build();
  }

  @Test
  void scalarsReadAsThePrometheusTranslationWritesThem() {
    assertThat(AnyValues.asString(s("GET"))).isEqualTo("GET");
    assertThat(AnyValues.asString(AnyValue.newBuilder().setIntValue(-42).build())).isEqualTo("-42");
    assertThat(AnyValues.asString(AnyValue.newBuilder().setBoolValue(false).build())).isEqualTo("false");
    assertThat(AnyValues.asString(d(1.0))).isEqualTo("1");
    assertThat(AnyValues.asString(d(0.25))).isEqualTo("0.25");
    assertThat(AnyValues.asString(d(1e21))).isEqualTo("1000000000000000000000");
    assertThat(AnyValues.asString(d(1.5e-7))).isEqualTo("0.00000015");
    assertThat(AnyValues.asString(d(Double.NaN))).isEqualTo("NaN");
    assertThat(AnyValues.asString(d(Double.NEGATIVE_INFINITY))).isEqualTo("-Inf");
    assertThat(AnyValues.asString(AnyValue.newBuilder()
        .setBytesValue(ByteString.copyFrom(new byte[] {1, 2, (byte) 0xff})).build())).isEqualTo("AQL/");
    assertThat(AnyValues.asString(AnyValue.getDefaultInstance())).isEmpty();
  }

  @Test
  void arraysAndMapsReadAsJsonWithSortedKeys() {
    AnyValue array = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder().addValues(s("a\"b"))
        .addValues(AnyValue.newBuilder().setIntValue(2)).addValues(d(0.5))).build();
    assertThat(AnyValues.asString(array)).isEqualTo("[\"a\\\"b\",2,0.5]");
    AnyValue map = AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
        .addValues(KeyValue.newBuilder().setKey("z").setValue(s("1")))
        .addValues(KeyValue.newBuilder().setKey("a").setValue(array))).build();
    assertThat(AnyValues.asString(map)).isEqualTo("{\"a\":[\"a\\\"b\",2,0.5],\"z\":\"1\"}");
  }
}
