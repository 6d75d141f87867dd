package io.sluice.receiver.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentKind;
import io.sluice.core.Exporter;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.OtelCollector;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.TestVertx;
import io.sluice.exporter.kafka.KafkaExporterFactory;
import io.sluice.testkit.kafka.KafkaBroker;
import io.sluice.translation.kafka.KafkaTestClients;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code jaeger_proto} against the OpenTelemetry Collector (the distribution of
 * {@code perf-tests/peers/otelcol}) through a real broker, both ways: the Collector's kafka
 * receiver reads what Sluice's kafka exporter writes, and Sluice's kafka receiver reads what the
 * Collector's kafka exporter writes. The spans compared: IDs, parent, name, kind, times, status,
 * attributes and resource attributes.
 */
class CollectorJaegerProtoIT {
  private static final Duration WAIT = Duration.ofSeconds(90);

  private final TestVertx tv = TestVertx.create();
  private final List<AutoCloseable> closing = new ArrayList<>();
  private final List<ResourceSpans> atSink = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closing.size() - 1; i >= 0; i--) {
      closing.get(i).close();
    }
    tv.close();
  }

  /** What is compared of a span, with its resource's attributes, keyed by "traceId/spanId". */
  private static Map<String, String> summaries(List<ResourceSpans> resources) {
    Map<String, String> out = new HashMap<>();
    for (ResourceSpans rs : resources) {
      for (ScopeSpans ss : rs.getScopeSpansList()) {
        for (Span s : ss.getSpansList()) {
          List<String> attrs = new ArrayList<>();
          for (KeyValue kv : s.getAttributesList()) {
            attrs.add(kv.getKey() + "=" + kv.getValue());
          }
          attrs.sort(null);
          List<String> res = new ArrayList<>();
          rs.getResource().getAttributesList().forEach(kv -> res.add(kv.getKey() + "=" + kv.getValue()));
          res.sort(null);
          out.put(hex(s.getTraceId().toByteArray()) + "/" + hex(s.getSpanId().toByteArray()),
              String.join(" | ", hex(s.getParentSpanId().toByteArray()), s.getName(), s.getKind().name(),
                  Long.toString(s.getStartTimeUnixNano()), Long.toString(s.getEndTimeUnixNano()),
                  s.getStatus().getCode().name(), attrs.toString(), res.toString(),
                  Integer.toString(s.getEventsCount())));
        }
      }
    }
    return out;
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private Server sink(int port) throws Exception {
    Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> out) {
            synchronized (atSink) {
              atSink.addAll(request.getResourceSpansList());
            }
            out.onNext(ExportTraceServiceResponse.getDefaultInstance());
            out.onCompleted();
          }
        }).build().start();
    closing.add(() -> server.shutdownNow().awaitTermination(10, TimeUnit.SECONDS));
    return server;
  }

  private List<ResourceSpans> sinkSnapshot() {
    synchronized (atSink) {
      return new ArrayList<>(atSink);
    }
  }

  @Test
  void theCollectorReadsWhatSluiceWritesAndSluiceReadsWhatTheCollectorWrites() throws Exception {
    KafkaBroker broker = KafkaBroker.shared();
    String fromSluice = KafkaTestClients.uniqueTopic("jaeger-from-sluice");
    String fromCollector = KafkaTestClients.uniqueTopic("jaeger-from-collector");
    KafkaTestClients.createTopic(broker.bootstrap(), fromSluice, 3);
    KafkaTestClients.createTopic(broker.bootstrap(), fromCollector, 3);
    int sinkPort = Ports.freePort();
    int otlpPort = Ports.freePort();
    sink(sinkPort);
    OtelCollector collector = OtelCollector.start("""
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:%d
          kafka:
            brokers: [%s]
            group_id: %s
            initial_offset: earliest
            traces:
              topics: [%s]
              encoding: jaeger_proto
        exporters:
          otlp:
            endpoint: 127.0.0.1:%d
            tls:
              insecure: true
          kafka:
            brokers: [%s]
            traces:
              topic: %s
              encoding: jaeger_proto
        service:
          pipelines:
            traces/in:
              receivers: [kafka]
              exporters: [otlp]
            traces/out:
              receivers: [otlp]
              exporters: [kafka]
        """.formatted(otlpPort, broker.bootstrap(), KafkaTestClients.uniqueTopic("otelcol"), fromSluice, sinkPort,
        broker.bootstrap(), fromCollector));
    closing.add(collector);

    // Sluice → Kafka → the Collector.
    Exporter out = new KafkaExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
        "kafka/jaeger"), ConfigLoader.bindComponent(new KafkaExporterFactory(), "brokers: [" + broker.bootstrap()
        + "]\ntraces: {topic: " + fromSluice + ", encoding: jaeger_proto}\n"));
    out.start().await(60, TimeUnit.SECONDS);
    closing.add(() -> out.shutdown().await(60, TimeUnit.SECONDS));
    List<ResourceSpans> sent = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      Batch b = TestData.traces(16, 70 + i);
      out.consume(b).await(60, TimeUnit.SECONDS);
      b.resourceSpans().forEach(sent::add);
    }
    Map<String, String> want = summaries(sent);
    await("the Collector read every span Sluice wrote").atMost(WAIT)
        .until(() -> summaries(sinkSnapshot()).keySet().containsAll(want.keySet()));
    assertThat(summaries(sinkSnapshot())).as("spans as the Collector read them").isEqualTo(want);

    // The Collector → Kafka → Sluice.
    List<ResourceSpans> toCollector = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      toCollector.add(TestData.resourceSpans("from-collector", 16, 90 + i));
    }
    ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", otlpPort).usePlaintext().build();
    closing.add(() -> channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS));
    TraceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS)
        .export(ExportTraceServiceRequest.newBuilder().addAllResourceSpans(toCollector).build());
    CapturingConsumer captured = new CapturingConsumer();
    KafkaReceiverConfig rc = ConfigLoader.bindComponent(new KafkaReceiverFactory(), """
        brokers: [%s]
        group_id: %s
        initial_offset: earliest
        traces: {topics: [%s], encoding: jaeger_proto}
        """.formatted(broker.bootstrap(), KafkaTestClients.uniqueTopic("sluice"), fromCollector));
    var receiver = new KafkaReceiverFactory().create(TestContexts.context(tv.vertx(), ComponentKind.RECEIVER,
        "kafka/jaeger"), rc, Map.of(Signal.TRACES, captured));
    receiver.start().await(60, TimeUnit.SECONDS);
    closing.add(() -> receiver.shutdown().await(60, TimeUnit.SECONDS));
    Map<String, String> wantBack = summaries(toCollector);
    await("Sluice read every span the Collector wrote").atMost(WAIT)
        .until(() -> captured.itemCount(Signal.TRACES) >= wantBack.size());
    List<ResourceSpans> read = new ArrayList<>();
    captured.batches().forEach(b -> b.resourceSpans().forEach(read::add));
    assertThat(summaries(read)).as("spans as Sluice read them").isEqualTo(wantBack);
    // The Collector keys a span by its trace ID as Sluice does.
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readAll(broker.bootstrap(), fromCollector,
        wantBack.size(), WAIT)) {
      String key = new String(r.key(), StandardCharsets.US_ASCII);
      assertThat(wantBack.keySet()).anyMatch(k -> k.startsWith(key + "/"));
    }
  }
}
