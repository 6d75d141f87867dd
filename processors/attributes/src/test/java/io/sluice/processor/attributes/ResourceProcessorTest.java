package io.sluice.processor.attributes;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Processor;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ResourceProcessorTest {
  private static TestVertx testVertx;
  private final SelfMetrics selfMetrics = new SelfMetrics();
  private final CapturingConsumer next = new CapturingConsumer();

  private static final String CONFIG = """
      attributes:
        - key: deployment.environment
          value: production
          action: upsert
        - key: host.name
          action: delete
        - key: service.instance.id
          pattern: ^(?P<service_base>[a-z]+)-(?P<replica>\\d+)$
          action: extract
        - key: replica
          converted_type: int
          action: convert
        - key: service.name
          action: hash
      """;

  @BeforeAll
  static void startVertx() {
    testVertx = TestVertx.create(1);
  }

  @AfterAll
  static void stopVertx() {
    testVertx.close();
  }

  private Processor processor(String yaml, Signal signal) throws Exception {
    ResourceProcessorFactory f = new ResourceProcessorFactory();
    Processor p = f.create(TestContexts.processorContext(testVertx.vertx(), "resource/env", signal.configName(),
        selfMetrics), ConfigLoader.bindComponent(f, yaml), signal, next);
    p.start();
    return p;
  }

  private Batch send(Processor p, Batch in) {
    assertThat(p.consume(in).succeeded()).isTrue();
    return next.batches().get(next.batches().size() - 1);
  }

  private static Map<String, AnyValue> attrs(Resource r) {
    Map<String, AnyValue> m = new LinkedHashMap<>();
    for (KeyValue kv : r.getAttributesList()) {
      m.put(kv.getKey(), kv.getValue());
    }
    return m;
  }

  private static void assertChanged(Resource r) {
    Map<String, AnyValue> m = attrs(r);
    assertThat(m.keySet()).containsExactly("service.name", "service.instance.id", "deployment.environment",
        "service_base", "replica");
    assertThat(m.get("service.name")).isEqualTo(Values.hash(Values.string("checkout")));
    assertThat(m.get("deployment.environment").getStringValue()).isEqualTo("production");
    assertThat(m.get("service_base").getStringValue()).isEqualTo("checkout");
    assertThat(m.get("replica").getIntValue()).isEqualTo(1);
  }

  @Test
  void changesTheResourceOfSpans() throws Exception {
    Batch in = TestData.traces(5, 1);
    Batch out = send(processor(CONFIG, Signal.TRACES), in);
    assertChanged(out.resourceSpans().get(0).getResource());
    assertThat(out.resourceSpans().get(0).getScopeSpansList())
        .isSameAs(in.resourceSpans().get(0).getScopeSpansList());
  }

  @Test
  void changesTheResourceOfLogs() throws Exception {
    Batch in = TestData.logs(3, 1);
    Batch out = send(processor(CONFIG, Signal.LOGS), in);
    assertChanged(out.resourceLogs().get(0).getResource());
    assertThat(out.resourceLogs().get(0).getScopeLogs(0)).isSameAs(in.resourceLogs().get(0).getScopeLogs(0));
  }

  @Test
  void changesTheResourceOfMetrics() throws Exception {
    Batch in = TestData.metrics(2, 1);
    Batch out = send(processor(CONFIG, Signal.METRICS), in);
    assertChanged(out.resourceMetrics().get(0).getResource());
    assertThat(out.resourceMetrics().get(0).getScopeMetrics(0)).isSameAs(in.resourceMetrics().get(0).getScopeMetrics(0));
    assertThat(SelfMetricsReader.counter(selfMetrics, "sluice_processor_outgoing_items", "component_id",
        "resource/env", "signal", "metrics")).isEqualTo(6);
  }

  @Test
  void changesEveryResourceOfABatchAndLeavesUnchangedOnesAsTheyAre() throws Exception {
    Processor p = processor("""
        attributes:
          - key: cloud.region
            from_attribute: region
            action: insert
        """, Signal.LOGS);
    var withRegion = TestData.resourceLogs("a", 1, 1).toBuilder()
        .setResource(TestData.resource("a").toBuilder().addAttributes(TestData.attr("region", "eu-west-1")))
        .build();
    var without = TestData.resourceLogs("b", 1, 2);
    Batch out = send(p, Batch.logs(List.of(without, withRegion), Envelope.of(ComponentId.of("test"))));
    assertThat(out.resourceLogs().get(0)).isSameAs(without);
    assertThat(attrs(out.resourceLogs().get(1).getResource()).get("cloud.region").getStringValue())
        .isEqualTo("eu-west-1");
  }

  @Test
  void anUnchangedBatchIsPassedOnItself() throws Exception {
    Batch in = TestData.traces(2, 1);
    assertThat(send(processor("""
        attributes:
          - key: not.present
            action: delete
        """, Signal.TRACES), in)).isSameAs(in);
  }
}
