package io.sluice.exporter.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.Batch;
import io.sluice.core.ComponentKind;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The keys the exporter gives the exporter helper: one per partition for keyed data, none otherwise. */
class KafkaExporterKeysTest {

  @Test
  void keyedRequestsAreSerialisedPerTopicAndPartitionAndOthersNot() throws Exception {
    try (TestVertx tv = TestVertx.create()) {
      KafkaExporter keyed = new KafkaExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "kafka"),
          ConfigLoader.bindComponent(new KafkaExporterFactory(), "partition_traces_by_id: true"));
      List<Batch> requests = keyed.split(TestData.traces(64, 1));
      // The partition count of the topic is not known before the first write: one request, keyed by the topic.
      assertThat(requests).singleElement().satisfies(r -> {
        assertThat(keyed.keyOf(r)).isEqualTo(new Planned.PartitionKey("otlp_spans", -1));
        assertThat(r.itemCount()).isEqualTo(64);
      });

      KafkaExporter plain = new KafkaExporter(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER, "kafka"),
          ConfigLoader.bindComponent(new KafkaExporterFactory(), ""));
      Batch batch = TestData.traces(64, 1);
      List<Batch> whole = plain.split(batch);
      assertThat(whole).singleElement().satisfies(r -> {
        assertThat(r).isNotSameAs(batch);
        assertThat(plain.keyOf(r)).isNull();
        assertThat(r.encoded()).isSameAs(batch.encoded());
      });
    }
  }
}
