package io.sluice.receiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.otlp.trace.OtlpGrpcSpanExporter;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.sluice.core.Batch;
import io.sluice.core.ComponentKind;
import io.sluice.core.Exporter;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.exporter.kafka.KafkaExporterFactory;
import io.sluice.receiver.otlp.OtlpReceiverFactory;
import io.sluice.testkit.kafka.KafkaBroker;
import io.sluice.translation.kafka.KafkaTestClients;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The two tiers in one JVM, with the official OpenTelemetry SDK as the application: SDK → Sluice's
 * otlp receiver → kafka exporter (keyed by trace ID) → a real broker → kafka receiver → sink.
 */
class KafkaSdkIT {

  @Test
  void spansFromTheSdkComeOutOfKafkaWholeWithEachTraceOnOnePartition() throws Exception {
    // The first run in this JVM loads the SDK, gRPC, protobuf and Kafka client classes, slowly:
    // on a Vert.x without the strict blocked-thread check. The second is the test.
    Vertx warm = Vertx.vertx();
    try {
      twoTiers(warm, 2);
    } finally {
      warm.close().await(30, TimeUnit.SECONDS);
    }
    try (TestVertx tv = TestVertx.create()) {
      twoTiers(tv.vertx(), 30);
    }
  }

  private static void twoTiers(Vertx vertx, int traces) throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    String topic = KafkaTestClients.uniqueTopic("sdk-spans");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, 4);
    int port = Ports.freePort();
    Exporter out = new KafkaExporterFactory().create(TestContexts.context(vertx, ComponentKind.EXPORTER,
        "kafka"), ConfigLoader.bindComponent(new KafkaExporterFactory(), """
            brokers: [%s]
            traces: {topic: %s}
            partition_traces_by_id: true
            """.formatted(broker.bootstrap(), topic)));
    out.start().await(60, TimeUnit.SECONDS);
    Receiver otlp = new OtlpReceiverFactory().create(TestContexts.context(vertx, ComponentKind.RECEIVER,
        "otlp"), ConfigLoader.bindComponent(new OtlpReceiverFactory(), """
            protocols:
              grpc: {endpoint: 127.0.0.1:%d}
            """.formatted(port)), Map.of(Signal.TRACES, out));
    otlp.start().await(60, TimeUnit.SECONDS);
    CapturingConsumer sink = new CapturingConsumer();
    Receiver in = new KafkaReceiverFactory().create(TestContexts.context(vertx, ComponentKind.RECEIVER,
        "kafka"), ConfigLoader.bindComponent(new KafkaReceiverFactory(), """
            brokers: [%s]
            group_id: %s
            initial_offset: earliest
            traces: {topics: [%s]}
            """.formatted(broker.bootstrap(), KafkaTestClients.uniqueTopic("sdk"), topic)),
        Map.of(Signal.TRACES, sink));
    in.start().await(60, TimeUnit.SECONDS);

    Map<String, String> sentNames = new HashMap<>();
    SdkTracerProvider sdk = SdkTracerProvider.builder()
        .setResource(Resource.getDefault().merge(Resource.create(Attributes.of(
            AttributeKey.stringKey("service.name"), "checkout"))))
        .addSpanProcessor(BatchSpanProcessor.builder(OtlpGrpcSpanExporter.builder()
            .setEndpoint("http://127.0.0.1:" + port).build()).setScheduleDelay(Duration.ofMillis(100)).build())
        .build();
    Tracer tracer = sdk.get("io.sluice.test");
    for (int t = 0; t < traces; t++) {
      Span root = tracer.spanBuilder("order " + t).setAttribute("order.id", t).startSpan();
      try (Scope ignored = root.makeCurrent()) {
        for (int c = 0; c < 4; c++) {
          Span child = tracer.spanBuilder("step " + c).startSpan();
          sentNames.put(child.getSpanContext().getSpanId(), "step " + c);
          child.end();
        }
      }
      sentNames.put(root.getSpanContext().getSpanId(), "order " + t);
      root.end();
    }
    assertThat(sdk.forceFlush().join(30, TimeUnit.SECONDS).isSuccess()).isTrue();

    await().atMost(Duration.ofSeconds(60)).until(() -> sink.itemCount(Signal.TRACES) >= 5 * traces);
    Map<String, String> gotNames = new HashMap<>();
    Map<String, Set<String>> partitionsOfTrace = new HashMap<>();
    for (Batch b : sink.batches()) {
      String partition = b.envelope().metadata().get("kafka.partition");
      for (ResourceSpans rs : b.resourceSpans()) {
        assertThat(rs.getResource().getAttributesList()).anySatisfy(kv -> {
          assertThat(kv.getKey()).isEqualTo("service.name");
          assertThat(kv.getValue().getStringValue()).isEqualTo("checkout");
        });
        rs.getScopeSpansList().forEach(ss -> ss.getSpansList().forEach(s -> {
          gotNames.put(HexFormat.of().formatHex(s.getSpanId().toByteArray()), s.getName());
          partitionsOfTrace.computeIfAbsent(HexFormat.of().formatHex(s.getTraceId().toByteArray()),
              k -> new HashSet<>()).add(partition);
        }));
      }
    }
    assertThat(gotNames).isEqualTo(sentNames);
    assertThat(partitionsOfTrace).hasSize(traces);
    assertThat(partitionsOfTrace.values()).allSatisfy(p -> assertThat(p).hasSize(1));

    sdk.shutdown().join(10, TimeUnit.SECONDS);
    in.shutdown().await(60, TimeUnit.SECONDS);
    otlp.shutdown().await(60, TimeUnit.SECONDS);
    out.shutdown().await(60, TimeUnit.SECONDS);
  }
}
