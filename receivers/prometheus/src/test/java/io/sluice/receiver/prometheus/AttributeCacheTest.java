package io.sluice.receiver.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.List;
import org.junit.jupiter.api.Test;

class AttributeCacheTest {
  @Test
  void equalLabelSetsFromLaterScrapesGetTheSameAttributes() {
    AttributeCache cache = new AttributeCache();
    Labels labels = Labels.of("method", "GET", "route", "/a");
    List<KeyValue> first = cache.of(labels);

    List<KeyValue> sameSet = cache.of(labels);
    List<KeyValue> again = cache.of(Labels.of("method", "GET", "route", "/a"));
    List<KeyValue> other = cache.of(Labels.of("method", "GET", "route", "/b"));

    assertThat(sameSet).as("kept with the label set").isSameAs(first);
    assertThat(again).hasSize(2);
    assertThat(again.get(0)).isSameAs(first.get(0));
    assertThat(again.get(1)).isSameAs(first.get(1));
    assertThat(first).extracting(KeyValue::getKey).containsExactly("method", "route");
    assertThat(first).extracting(kv -> kv.getValue().getStringValue()).containsExactly("GET", "/a");
    assertThat(other.get(0)).as("a label pair is one KeyValue").isSameAs(first.get(0));
    assertThat(other.get(1).getValue().getStringValue()).isEqualTo("/b");
  }

  @Test
  void startsOverPastItsLimitAndStillAnswersRight() {
    AttributeCache cache = new AttributeCache();
    for (int i = 0; i <= AttributeCache.LIMIT + 10; i++) {
      List<KeyValue> kvs = cache.of(Labels.of("id", Integer.toString(i)));
      assertThat(kvs.get(0).getValue().getStringValue()).isEqualTo(Integer.toString(i));
    }
    assertThat(cache.of(Labels.of("id", "7")).get(0).getValue().getStringValue()).isEqualTo("7");
  }
}
