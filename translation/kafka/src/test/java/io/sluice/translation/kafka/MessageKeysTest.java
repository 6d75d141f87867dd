package io.sluice.translation.kafka;

import static io.sluice.core.testkit.TestData.attr;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.resource.v1.Resource;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class MessageKeysTest {

  @Test
  void aTraceKeyIsItsIdInLowerCaseHex() {
    byte[] id = HexFormat.of().parseHex("0AF7651916CD43DD8448EB211C80319C");
    assertThat(new String(MessageKeys.traceKey(ByteString.copyFrom(id)), StandardCharsets.US_ASCII))
        .isEqualTo("0af7651916cd43dd8448eb211c80319c");
  }

  @Test
  void aResourceKeyDependsOnItsAttributesNotTheirOrder() {
    Resource a = Resource.newBuilder().addAttributes(attr("service.name", "a")).addAttributes(attr("host", "h1"))
        .build();
    Resource sameReordered = Resource.newBuilder().addAttributes(attr("host", "h1"))
        .addAttributes(attr("service.name", "a")).build();
    Resource other = Resource.newBuilder().addAttributes(attr("service.name", "a")).addAttributes(attr("host", "h2"))
        .build();
    Resource typed = Resource.newBuilder().addAttributes(attr("service.name", "a")).addAttributes(attr("host", 1))
        .build();
    Resource typedAsString = Resource.newBuilder().addAttributes(attr("service.name", "a"))
        .addAttributes(attr("host", "1")).build();

    assertThat(MessageKeys.resourceKey(a)).isEqualTo(MessageKeys.resourceKey(sameReordered)).hasSize(32);
    assertThat(MessageKeys.resourceKey(a)).isNotEqualTo(MessageKeys.resourceKey(other));
    assertThat(MessageKeys.resourceKey(typed)).isNotEqualTo(MessageKeys.resourceKey(typedAsString));
  }
}
