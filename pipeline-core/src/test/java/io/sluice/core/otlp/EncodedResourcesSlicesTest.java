package io.sluice.core.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Signal;
import io.sluice.core.testkit.TestData;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The slices an {@link EncodedResources} exposes, and one built from slices of its own. */
class EncodedResourcesSlicesTest {
  @Test
  void eachResourceIsASliceOfTheRequestWithItsItemCount() throws Exception {
    ResourceSpans a = TestData.resourceSpans("checkout", 7, 1);
    ResourceSpans b = TestData.resourceSpans("cart", 5, 2);
    byte[] request = ExportTraceServiceRequest.newBuilder().addResourceSpans(a).addResourceSpans(b).build()
        .toByteArray();
    EncodedResources r = EncodedResources.scanRequest(Signal.TRACES, request, 0, request.length);
    assertThat(r.array(0)).isSameAs(request);
    assertThat(ResourceSpans.parseFrom(Arrays.copyOfRange(r.array(1), r.offset(1), r.offset(1) + r.length(1))))
        .isEqualTo(b);
    assertThat(r.itemCount(0)).isEqualTo(7);
    assertThat(r.itemCount(1)).isEqualTo(5);
    assertThatThrownBy(() -> r.offset(2)).isInstanceOf(IndexOutOfBoundsException.class);

    // The second resource alone, and a message written elsewhere, as a new set.
    byte[] written = a.toByteArray();
    EncodedResources built = EncodedResources.builder(Signal.TRACES, 1)
        .add(r.array(1), r.offset(1), r.length(1), r.itemCount(1))
        .add(written, 0, written.length, 7)
        .build();
    assertThat(built.size()).isEqualTo(2);
    assertThat(built.itemCount()).isEqualTo(12);
    assertThat(ExportTraceServiceRequest.parseFrom(built.toRequestBytes()).getResourceSpansList())
        .containsExactly(b, a);
  }
}
