package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status.StatusCode;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.sluice.core.testkit.Ports;
import io.sluice.testkit.kafka.KafkaBroker;
import io.sluice.translation.kafka.KafkaTestClients;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two tiers of packaged gateways around a real Kafka broker (KRaft, from the kafka testkit): an
 * ingest gateway takes OTLP and writes spans to a topic of {@value #PARTITIONS} partitions keyed by
 * trace ID; two processing gateways in one consumer group read it, tail-sample with a deterministic
 * policy set (an error status, or a trace of {@value #SLOW_MS} ms against a threshold of 500 ms)
 * and export what they keep over OTLP, each to a backend of its own, so the test sees which node
 * decided which trace.
 *
 * <p>Every trace has {@value #SPANS_PER_TRACE} spans, sent in as many requests, each request
 * holding one span of many traces: only the keying by trace ID brings a trace's spans together on
 * one node. What decides a trace is on its first span (the error status, the slow root), so a
 * trace is decided alike whether its other spans arrived before the decision or after it, and
 * what one node keeps of an input is known without running one: the kept spans of the input.
 *
 * <p>The cases: the two nodes together keep exactly that, each trace on one node; one node killed
 * with SIGKILL mid-run, with and without tail sampling (what its committed offsets guarantee);
 * and a processing gateway whose backend refuses for a while (the receiver pauses, commits
 * nothing, and resumes with nothing lost).
 */
class TwoTierKafkaIT {
  private static final int PARTITIONS = 4;
  private static final int SPANS_PER_TRACE = 4;
  private static final int SLOW_MS = 800;
  private static final Duration WAIT = Duration.ofSeconds(120);
  private static final HexFormat HEX = HexFormat.of();

  private static KafkaBroker broker;
  private static Path jar;
  private static Path launcher;

  @TempDir Path dir;
  private final List<Process> gateways = new ArrayList<>();
  private final List<Server> sinks = new ArrayList<>();
  private ManagedChannel channel;

  @BeforeAll
  static void startTheBrokerAndFindTheGateway() {
    jar = GatewayFixtures.packagedJar();
    launcher = GatewayFixtures.launcher(jar);
    broker = KafkaBroker.shared();
  }

  @AfterEach
  void stopEverything() throws Exception {
    if (channel != null) {
      channel.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    for (Process p : gateways) {
      if (p.isAlive()) {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          p.waitFor(10, TimeUnit.SECONDS);
        }
      }
    }
    for (Server s : sinks) {
      s.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  // ---- the test traces ----

  /** Trace {@code n}'s ID: 16 bytes spread over the ID space, so keying spreads traces over the partitions. */
  static ByteString traceId(int n) {
    long h = n * 0x9E3779B97F4A7C15L;
    return ByteString.copyFrom(ByteBuffer.allocate(16).putLong(h ^ 0x5DEECE66DL).putLong(Long.reverse(h) + n).array());
  }

  static String hex(ByteString b) {
    return HEX.formatHex(b.toByteArray());
  }

  /** Trace {@code n} is kept by the policies: every tenth has an error, every tenth (another) is slow. */
  static boolean kept(int n) {
    return n % 10 == 0 || n % 10 == 3;
  }

  /** Span {@code j} of trace {@code n}; span 0 is the root and carries what decides the trace. */
  static Span span(int n, int j, long startNanos) {
    long duration = j == 0 && n % 10 == 3 ? SLOW_MS * 1_000_000L : 5_000_000L - j * 1_000_000L;
    Span.Builder s = Span.newBuilder().setTraceId(traceId(n))
        .setSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putInt(n).putInt(j + 1).array()))
        .setName("op-" + j).setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setStartTimeUnixNano(startNanos).setEndTimeUnixNano(startNanos + duration);
    if (j > 0) {
      s.setParentSpanId(ByteString.copyFrom(ByteBuffer.allocate(8).putInt(n).putInt(1).array()));
    }
    if (j == 0 && n % 10 == 0) {
      s.setStatus(io.opentelemetry.proto.trace.v1.Status.newBuilder().setCode(StatusCode.STATUS_CODE_ERROR));
    }
    return s.build();
  }

  /** The spans of traces {@code [from, to)} that the policies keep, as "traceId/spanId". */
  static Set<String> keptSpans(int from, int to) {
    Set<String> out = new HashSet<>();
    for (int n = from; n < to; n++) {
      if (kept(n)) {
        for (int j = 0; j < SPANS_PER_TRACE; j++) {
          Span s = span(n, j, 0);
          out.add(hex(s.getTraceId()) + "/" + hex(s.getSpanId()));
        }
      }
    }
    return out;
  }

  /**
   * Sends traces {@code [from, to)}: {@value #SPANS_PER_TRACE} requests, request {@code j} holding
   * span {@code j} of each; fails the test if the ingest gateway refuses one.
   */
  void sendTraces(TraceServiceGrpc.TraceServiceBlockingStub client, int from, int to) {
    long start = System.currentTimeMillis() * 1_000_000L;
    for (int j = 0; j < SPANS_PER_TRACE; j++) {
      ScopeSpans.Builder ss = ScopeSpans.newBuilder();
      for (int n = from; n < to; n++) {
        ss.addSpans(span(n, j, start));
      }
      client.withDeadlineAfter(30, TimeUnit.SECONDS).export(ExportTraceServiceRequest.newBuilder()
          .addResourceSpans(ResourceSpans.newBuilder().setResource(Resource.newBuilder().addAttributes(
              KeyValue.newBuilder().setKey("service.name").setValue(AnyValue.newBuilder().setStringValue("shop"))))
              .addScopeSpans(ss))
          .build());
    }
  }

  TraceServiceGrpc.TraceServiceBlockingStub client(int port) {
    channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
    return TraceServiceGrpc.newBlockingStub(channel);
  }

  // ---- the backends ----

  /** An OTLP/gRPC backend that counts every span it takes, by "traceId/spanId", and refuses while told to. */
  final class Sink {
    final int port = Ports.freePort();
    final Map<String, AtomicInteger> spans = new ConcurrentHashMap<>();
    final AtomicBoolean refusing = new AtomicBoolean();
    final AtomicLong refused = new AtomicLong();

    Sink() throws IOException {
      sinks.add(NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
          .addService(new TraceServiceGrpc.TraceServiceImplBase() {
            @Override
            public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> out) {
              if (refusing.get()) {
                refused.incrementAndGet();
                out.onError(Status.UNAVAILABLE.withDescription("the backend is down").asRuntimeException());
                return;
              }
              for (ResourceSpans rs : request.getResourceSpansList()) {
                for (ScopeSpans ss : rs.getScopeSpansList()) {
                  for (Span s : ss.getSpansList()) {
                    spans.computeIfAbsent(hex(s.getTraceId()) + "/" + hex(s.getSpanId()), k -> new AtomicInteger())
                        .incrementAndGet();
                  }
                }
              }
              out.onNext(ExportTraceServiceResponse.getDefaultInstance());
              out.onCompleted();
            }
          }).build().start());
    }

    Set<String> traces() {
      Set<String> t = new HashSet<>();
      spans.keySet().forEach(k -> t.add(k.substring(0, k.indexOf('/'))));
      return t;
    }

    long duplicates() {
      return spans.values().stream().mapToLong(c -> c.get() - 1).sum();
    }
  }

  // ---- the gateways ----

  /** A packaged gateway started through bin/sluice, and its ports. */
  record Gateway(Process process, int health, int metrics, Path log) {}

  Gateway start(String name, String yaml) throws IOException {
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    // The configs below say PIPELINES where the service section begins; it gets the health check and metrics ports.
    Path config = GatewayFixtures.writeConfig(dir, name + ".yaml", yaml.replace("PIPELINES\n", """
        extensions:
          health_check:
            endpoint: 127.0.0.1:%d
        service:
          extensions: [health_check]
          telemetry:
            metrics:
              address: 127.0.0.1:%d
          pipelines:
        """.formatted(health, metrics)));
    Path log = dir.resolve(name + ".log");
    ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--config", config.toString())
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    GatewayFixtures.launcherEnv(pb.environment(), jar, "256m");
    Process p = pb.start();
    gateways.add(p);
    await("gateway " + name + " healthy").atMost(WAIT).until(() -> {
      if (!p.isAlive()) {
        fail("Gateway " + name + " exited with " + p.exitValue() + ":\n" + Files.readString(log));
      }
      return GatewayFixtures.statusOf(health, "/") == 200;
    });
    return new Gateway(p, health, metrics, log);
  }

  /** The ingest tier: OTLP in, Kafka out, keyed by trace ID; a client's request is answered once Kafka has it. */
  Gateway ingest(int grpc, String topic) throws IOException {
    return start("ingest", """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:%d
        exporters:
          kafka:
            brokers: [%s]
            client_id: sluice-ingest
            traces: {topic: %s}
            encoding: otlp_proto
            partition_traces_by_id: true
            producer: {required_acks: -1, linger: 1ms}
            sending_queue: {enabled: false}
        PIPELINES
            traces:
              receivers: [otlp]
              exporters: [kafka]
        """.formatted(grpc, broker.bootstrap(), topic));
  }

  /**
   * The processing tier: Kafka in, tail sampling ({@code decisionWait} null: none), OTLP out to
   * {@code sink} (no sending queue: a batch is acknowledged once the backend has it).
   */
  Gateway processing(String name, String topic, String group, Duration decisionWait, Sink sink) throws IOException {
    String sampling = decisionWait == null ? "" : """
        processors:
          tail_sampling:
            decision_wait: %dms
            num_traces: 100000
            policies:
              - name: errors
                type: status_code
                status_code: {status_codes: [ERROR]}
              - name: slow
                type: latency
                latency: {threshold_ms: 500}
        """.formatted(decisionWait.toMillis());
    return start(name, """
        receivers:
          kafka:
            brokers: [%s]
            client_id: sluice-process-%s
            group_id: %s
            initial_offset: earliest
            session_timeout: 6s
            heartbeat_interval: 1s
            autocommit: {interval: 200ms}
            traces: {topic: %s}
            encoding: otlp_proto
        """.formatted(broker.bootstrap(), name, group, topic) + sampling + """
        exporters:
          otlp:
            endpoint: 127.0.0.1:%d
            tls: {insecure: true}
            sending_queue: {enabled: false}
            retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 30s}
        PIPELINES
            traces:
              receivers: [kafka]
              processors: [%s]
              exporters: [otlp]
        """.formatted(sink.port, decisionWait == null ? "" : "tail_sampling"));
  }

  // ---- the consumer group ----

  static Admin admin() {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
    return Admin.create(p);
  }

  /** Partitions of the group's members, by client ID. */
  static Map<String, Set<Integer>> assignment(String group) throws Exception {
    try (Admin admin = admin()) {
      ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).describedGroups().get(group)
          .get(30, TimeUnit.SECONDS);
      Map<String, Set<Integer>> out = new HashMap<>();
      for (MemberDescription m : d.members()) {
        Set<Integer> parts = new HashSet<>();
        m.assignment().topicPartitions().forEach(tp -> parts.add(tp.partition()));
        out.merge(m.clientId(), parts, (x, y) -> {
          x.addAll(y);
          return x;
        });
      }
      return out;
    }
  }

  /** The member whose client ID names processing gateway {@code name}. */
  static Set<Integer> partitionsOf(Map<String, Set<Integer>> assignment, String name) {
    Set<Integer> out = new HashSet<>();
    assignment.forEach((client, parts) -> {
      if (client.contains("sluice-process-" + name)) {
        out.addAll(parts);
      }
    });
    return out;
  }

  static boolean spreadOverBoth(String group) throws Exception {
    Map<String, Set<Integer>> a = assignment(group);
    return partitionsOf(a, "a").size() == PARTITIONS / 2 && partitionsOf(a, "b").size() == PARTITIONS / 2;
  }

  /** Where each trace's spans are in the topic: trace ID → partition → offsets. */
  static Map<String, Map<Integer, List<Long>>> tracesInTopic(String topic) {
    long total = KafkaTestClients.endOffsets(broker.bootstrap(), topic).values().stream().mapToLong(Long::longValue)
        .sum();
    List<ConsumerRecord<byte[], byte[]>> records = KafkaTestClients.readAll(broker.bootstrap(), topic, (int) total,
        WAIT);
    assertThat(records).as("records read back from %s", topic).hasSize((int) total);
    Map<String, Map<Integer, List<Long>>> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : records) {
      TracesData data;
      try {
        data = TracesData.parseFrom(r.value());
      } catch (IOException e) {
        throw new AssertionError("a record of " + topic + " is not otlp_proto", e);
      }
      data.getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss -> ss.getSpansList().forEach(s ->
          out.computeIfAbsent(hex(s.getTraceId()), k -> new HashMap<>())
              .computeIfAbsent(r.partition(), k -> new ArrayList<>()).add(r.offset()))));
    }
    return out;
  }

  /** Where each span is in the topic: "traceId/spanId" → its partition and offset. */
  static Map<String, long[]> spansInTopic(String topic) {
    long total = KafkaTestClients.endOffsets(broker.bootstrap(), topic).values().stream().mapToLong(Long::longValue)
        .sum();
    Map<String, long[]> out = new HashMap<>();
    for (ConsumerRecord<byte[], byte[]> r : KafkaTestClients.readAll(broker.bootstrap(), topic, (int) total, WAIT)) {
      try {
        TracesData.parseFrom(r.value()).getResourceSpansList().forEach(rs -> rs.getScopeSpansList().forEach(ss ->
            ss.getSpansList().forEach(sp -> out.put(hex(sp.getTraceId()) + "/" + hex(sp.getSpanId()),
                new long[] {r.partition(), r.offset()}))));
      } catch (IOException e) {
        throw new AssertionError("a record of " + topic + " is not otlp_proto", e);
      }
    }
    return out;
  }

  /** True when the group committed every record of the topic (a partition without records needs no commit). */
  static boolean allCommitted(String group, String topic) {
    Map<Integer, Long> committed = KafkaTestClients.committed(broker.bootstrap(), group, topic);
    return KafkaTestClients.endOffsets(broker.bootstrap(), topic).entrySet().stream()
        .allMatch(e -> e.getValue() == 0 || e.getValue().equals(committed.get(e.getKey())));
  }

  static long sum(Map<String, Double> samples, String name) {
    return (long) GatewayFixtures.sum(samples, name);
  }

  // ---- the tests ----

  @Test
  void eachTraceIsDecidedOnOneNodeAndTheTwoNodesTogetherKeepWhatOneWould() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("tiers");
    String group = KafkaTestClients.uniqueTopic("process");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, PARTITIONS);
    Sink sinkA = new Sink();
    Sink sinkB = new Sink();
    processing("a", topic, group, Duration.ofSeconds(2), sinkA);
    processing("b", topic, group, Duration.ofSeconds(2), sinkB);
    await("both processing gateways hold two partitions").atMost(WAIT).until(() -> spreadOverBoth(group));
    int grpc = Ports.freePort();
    ingest(grpc, topic);
    TraceServiceGrpc.TraceServiceBlockingStub client = client(grpc);

    int traces = 1000;
    for (int from = 0; from < traces; from += 50) {
      sendTraces(client, from, from + 50);
    }
    Set<String> want = keptSpans(0, traces);
    await("every kept span at a backend").atMost(WAIT).until(() -> {
      Set<String> all = new HashSet<>(sinkA.spans.keySet());
      all.addAll(sinkB.spans.keySet());
      return all.containsAll(want);
    });
    await("every record committed").atMost(WAIT).until(() -> allCommitted(group, topic));

    Map<String, Map<Integer, List<Long>>> inTopic = tracesInTopic(topic);
    assertThat(inTopic).hasSize(traces);
    assertThat(inTopic.values()).as("every trace's spans on one partition").allSatisfy(p -> assertThat(p).hasSize(1));
    Set<String> both = new HashSet<>(sinkA.traces());
    both.retainAll(sinkB.traces());
    Set<String> all = new HashSet<>(sinkA.spans.keySet());
    all.addAll(sinkB.spans.keySet());
    System.out.printf("TwoTierKafkaIT: %d traces of %d spans in, %d spans kept: node a %d traces, node b %d traces,"
            + " on both %d, spans twice %d%n", traces, SPANS_PER_TRACE, want.size(), sinkA.traces().size(),
        sinkB.traces().size(), both.size(), sinkA.duplicates() + sinkB.duplicates());
    assertThat(both).as("traces decided on both nodes").isEmpty();
    assertThat(all).as("the kept spans of both nodes, against what the policies keep of the input").isEqualTo(want);
    assertThat(sinkA.duplicates() + sinkB.duplicates()).as("spans exported twice").isZero();
    assertThat(sinkA.traces()).as("traces node a kept").isNotEmpty();
    assertThat(sinkB.traces()).as("traces node b kept").isNotEmpty();
  }

  /**
   * What a run with a processing gateway killed mid-run left: node b's committed offsets a while
   * before the kill ({@code s}) and at it ({@code k}), its partitions, the traces sent and where
   * their spans are in the topic, and both backends.
   */
  record KillRun(String topic, Map<Integer, Long> s, Map<Integer, Long> k, Set<Integer> partitionsOfB, int traces,
      long refusedByIngest, Map<String, Map<Integer, List<Long>>> inTopic, Sink sinkA, Sink sinkB) {
    /** Spans of each trace at either backend (a span twice counts once). */
    Map<String, Integer> spansOut() {
      Set<String> outSpans = new HashSet<>(sinkA.spans.keySet());
      outSpans.addAll(sinkB.spans.keySet());
      Map<String, Integer> out = new HashMap<>();
      outSpans.forEach(x -> out.merge(x.substring(0, x.indexOf('/')), 1, Integer::sum));
      return out;
    }

    /** Of {@code traces}, those with fewer spans at the backends than in Kafka. */
    Set<String> incomplete(Set<String> traces) {
      Map<String, Integer> out = spansOut();
      Set<String> missing = new HashSet<>();
      for (String t : traces) {
        if (out.getOrDefault(t, 0) != inTopic.get(t).values().iterator().next().size()) {
          missing.add(t);
        }
      }
      return missing;
    }

    long duplicates() {
      return sinkA.duplicates() + sinkB.duplicates();
    }
  }

  /**
   * Two processing gateways in one group (with tail sampling when {@code decisionWait} is not
   * null); traces flow through the ingest gateway; once node b exported some, its committed offsets
   * are read (S), it works on for decision_wait and 4 s more, and is killed with SIGKILL (bin/sluice
   * execs the JVM); its committed offsets are read again (K). Node a takes its partitions over after
   * the session timeout and reads them from K. Traces go on until 400 more were sent, then the run
   * waits until node a committed every record.
   */
  KillRun killNodeBMidRun(String name, Duration decisionWait) throws Exception {
    String topic = KafkaTestClients.uniqueTopic("tiers-" + name);
    String group = KafkaTestClients.uniqueTopic("process-" + name);
    KafkaTestClients.createTopic(broker.bootstrap(), topic, PARTITIONS);
    Sink sinkA = new Sink();
    Sink sinkB = new Sink();
    processing("a", topic, group, decisionWait, sinkA);
    Gateway b = processing("b", topic, group, decisionWait, sinkB);
    await("both processing gateways hold two partitions").atMost(WAIT).until(() -> spreadOverBoth(group));
    int grpc = Ports.freePort();
    ingest(grpc, topic);
    TraceServiceGrpc.TraceServiceBlockingStub client = client(grpc);

    // 20 traces (80 spans) every 50 ms from a thread of its own, until told to stop.
    AtomicInteger sent = new AtomicInteger();
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong refusedByIngest = new AtomicLong();
    Thread sender = new Thread(() -> {
      long next = System.nanoTime();
      while (!stop.get()) {
        int from = sent.get();
        try {
          sendTraces(client, from, from + 20);
        } catch (RuntimeException e) {
          refusedByIngest.incrementAndGet();
        }
        sent.addAndGet(20);
        next += TimeUnit.MILLISECONDS.toNanos(50);
        LockSupport.parkNanos(next - System.nanoTime());
      }
    }, "two-tier-sender");
    sender.setDaemon(true);
    sender.start();
    try {
      await("node b exported traces").atMost(WAIT).until(() -> sinkB.traces().size() >= 20);
      Map<Integer, Long> s = KafkaTestClients.committed(broker.bootstrap(), group, topic);
      int sentAtS = sent.get();
      long settle = (decisionWait == null ? Duration.ZERO : decisionWait).plusSeconds(4).toNanos();
      long sAt = System.nanoTime();
      await("node b keeps working for decision_wait and 4 s after S").atMost(WAIT)
          .until(() -> System.nanoTime() - sAt >= settle && sent.get() > sentAtS);
      Set<Integer> partitionsOfB = partitionsOf(assignment(group), "b");
      b.process().destroyForcibly();
      assertThat(b.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
      Map<Integer, Long> k = KafkaTestClients.committed(broker.bootstrap(), group, topic);
      int sentAtKill = sent.get();
      await("node a took over every partition").atMost(WAIT)
          .until(() -> partitionsOf(assignment(group), "a").size() == PARTITIONS);
      await("traces sent after the rebalance").atMost(WAIT).until(() -> sent.get() >= sentAtKill + 400);
      stop.set(true);
      sender.join(TimeUnit.SECONDS.toMillis(60));
      await("node a committed every record").atMost(WAIT).until(() -> allCommitted(group, topic));
      Map<String, Map<Integer, List<Long>>> inTopic = tracesInTopic(topic);
      assertThat(inTopic.values()).as("every trace's spans on one partition").allSatisfy(p -> assertThat(p).hasSize(1));
      return new KillRun(topic, s, k, partitionsOfB, sent.get(), refusedByIngest.get(), inTopic, sinkA, sinkB);
    } finally {
      stop.set(true);
    }
  }

  /**
   * Node b of the tail-sampling tier is killed mid-run. Must arrive whole: every kept trace of node
   * a's partitions, every one node b had acknowledged at least decision_wait and 4 s before it died
   * (decided and exported by then), and every one from b's last committed offsets on (read again by
   * node a; a duplicate is allowed and counted).
   *
   * <p>And nothing node b committed is lost, those of its last seconds included: {@code tail_sampling}
   * acknowledges a batch only once every trace it brought spans of is decided and the kept spans
   * were taken by the exporter (its default, {@code acknowledge: auto}, waits so for the kafka
   * receiver's batches), and the receiver commits only
   * the acknowledged prefix of each partition, so every kept span below node b's committed offsets
   * at the kill reached its backend. The spans of such a trace past those offsets are read again by
   * node a, which decides them without the root span that kept the trace (tail sampling's state is
   * not handed over on a rebalance): they are not asserted, and are printed.
   */
  @Test
  void aTailSamplingGatewayKilledMidRunLosesNothingItHadDecidedAndItsUncommittedRecordsGoToTheOther()
      throws Exception {
    KillRun run = killNodeBMidRun("kill", Duration.ofSeconds(1));
    Map<String, long[]> spanAt = spansInTopic(run.topic());

    Set<String> mustArrive = new HashSet<>();
    Set<String> atRisk = new HashSet<>();
    Set<String> keptTraces = new HashSet<>();
    Set<String> notKeptTraces = new HashSet<>();
    for (int n = 0; n < run.traces(); n++) {
      String id = hex(traceId(n));
      Map<Integer, List<Long>> where = run.inTopic().get(id);
      if (where == null) {
        continue; // refused by the ingest gateway: never acknowledged to the client
      }
      (kept(n) ? keptTraces : notKeptTraces).add(id);
      if (!kept(n)) {
        continue;
      }
      int p = where.keySet().iterator().next();
      long min = where.get(p).stream().mapToLong(Long::longValue).min().orElseThrow();
      long max = where.get(p).stream().mapToLong(Long::longValue).max().orElseThrow();
      boolean decidedByB = max < run.s().getOrDefault(p, 0L);
      boolean redelivered = min >= run.k().getOrDefault(p, 0L);
      if (!run.partitionsOfB().contains(p) || decidedByB || redelivered) {
        mustArrive.add(id);
      } else {
        atRisk.add(id);
      }
    }
    // Of the traces node b acknowledged after S: the spans below its committed offsets at the kill.
    Set<String> committedAtRisk = new HashSet<>();
    Set<String> pastKAtRisk = new HashSet<>();
    spanAt.forEach((span, at) -> {
      if (atRisk.contains(span.substring(0, span.indexOf('/')))) {
        (at[1] < run.k().getOrDefault((int) at[0], 0L) ? committedAtRisk : pastKAtRisk).add(span);
      }
    });
    await("every kept trace that must arrive at a backend").atMost(WAIT)
        .until(() -> run.incomplete(mustArrive).isEmpty());
    Set<String> outSpans = new HashSet<>(run.sinkA().spans.keySet());
    outSpans.addAll(run.sinkB().spans.keySet());
    Set<String> lostCommitted = new HashSet<>(committedAtRisk);
    lostCommitted.removeAll(outSpans);
    Set<String> pastKOut = new HashSet<>(pastKAtRisk);
    pastKOut.retainAll(outSpans);
    Set<String> out = run.spansOut().keySet();
    Set<String> notKeptOut = new HashSet<>(notKeptTraces);
    notKeptOut.retainAll(out);
    System.out.printf("TwoTierKafkaIT (kill -9, tail sampling): %d traces sent (%d refused requests at the ingest"
            + " gateway), %d kept by the policies; node b held partitions %s, committed %s a while before the kill"
            + " and %s at it; %d kept traces must arrive, all did; %d kept traces node b read between the two: %d"
            + " of their spans committed by it, %d lost; %d past its commit, read again by node a, %d of them"
            + " exported; spans exported twice: %d; node a %d traces, node b %d%n", run.traces(), run.refusedByIngest(),
        keptTraces.size(), run.partitionsOfB(), run.s(), run.k(), mustArrive.size(), atRisk.size(),
        committedAtRisk.size(), lostCommitted.size(), pastKAtRisk.size(), pastKOut.size(), run.duplicates(),
        run.sinkA().traces().size(), run.sinkB().traces().size());
    assertThat(committedAtRisk).as("kept spans node b committed in its last seconds").isNotEmpty();
    assertThat(lostCommitted).as("kept spans node b committed before it was killed, missing at the backends")
        .isEmpty();
    assertThat(notKeptOut).as("traces the policies do not keep, exported").isEmpty();
    assertThat(run.sinkB().traces()).as("traces node b exported before it was killed").isNotEmpty();
  }

  /**
   * Node b of a tier without tail sampling ({@code kafka → otlp}, no sending queue, so the
   * receiver's records are acknowledged once the backend has them) is killed mid-run: every trace
   * in the topic arrives whole, those node b committed before it died included; what it had read
   * past its last commit arrives again through node a (counted).
   */
  @Test
  void aGatewayKilledMidRunLosesNothingItCommittedAndItsUncommittedRecordsGoToTheOther() throws Exception {
    KillRun run = killNodeBMidRun("kill-plain", null);

    Set<String> all = run.inTopic().keySet();
    Set<String> committedByB = new HashSet<>();
    run.inTopic().forEach((trace, where) -> where.forEach((p, offsets) -> {
      if (run.partitionsOfB().contains(p) && offsets.stream().allMatch(o -> o < run.k().getOrDefault(p, 0L))) {
        committedByB.add(trace);
      }
    }));
    await("every trace at a backend").atMost(WAIT).until(() -> run.incomplete(all).isEmpty());
    System.out.printf("TwoTierKafkaIT (kill -9, no tail sampling): %d traces sent (%d refused requests at the"
            + " ingest gateway), %d in Kafka; node b held partitions %s and had committed %s at the kill (%d traces);"
            + " all arrived; spans exported twice: %d; node a %d traces, node b %d%n", run.traces(),
        run.refusedByIngest(), all.size(), run.partitionsOfB(), run.k(), committedByB.size(), run.duplicates(),
        run.sinkA().traces().size(), run.sinkB().traces().size());
    assertThat(committedByB).as("traces node b committed before it was killed").isNotEmpty();
    assertThat(run.sinkB().traces()).as("traces node b exported").containsAll(committedByB);
  }

  /** One otlp_proto message per trace of {@code [from, to)}, each with its first two spans. */
  static List<byte[]> messages(int from, int to) {
    List<byte[]> out = new ArrayList<>();
    for (int n = from; n < to; n++) {
      out.add(TracesData.newBuilder().addResourceSpans(ResourceSpans.newBuilder().addScopeSpans(
          ScopeSpans.newBuilder().addSpans(span(n, 0, 1_000_000_000L)).addSpans(span(n, 1, 1_000_000_000L))))
          .build().toByteArray());
    }
    return out;
  }

  @Test
  void whileTheBackendRefusesTheReceiverPausesCommitsNothingAndResumesWithNothingLost() throws Exception {
    String topic = KafkaTestClients.uniqueTopic("tiers-bp");
    String group = KafkaTestClients.uniqueTopic("process-bp");
    KafkaTestClients.createTopic(broker.bootstrap(), topic, 2);
    Sink sink = new Sink();
    sink.refusing.set(true);
    Gateway g = start("bp", """
        receivers:
          kafka:
            brokers: [%s]
            group_id: %s
            initial_offset: earliest
            autocommit: {interval: 200ms}
            error_backoff: {enabled: true, initial_interval: 100ms, max_interval: 500ms}
            traces: {topic: %s}
        exporters:
          otlp:
            endpoint: 127.0.0.1:%d
            tls: {insecure: true}
            sending_queue: {enabled: false}
            retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 200ms, max_elapsed_time: 1s}
        PIPELINES
            traces:
              receivers: [kafka]
              exporters: [otlp]
        """.formatted(broker.bootstrap(), group, topic, sink.port));

    KafkaTestClients.produce(broker.bootstrap(), topic, messages(0, 40));

    await("the exporter fails and the receiver pauses").atMost(WAIT).until(() -> sink.refused.get() >= 5
        && sum(GatewayFixtures.scrape(g.metrics()), "sluice_receiver_kafka_partition_paused") >= 1);
    KafkaTestClients.produce(broker.bootstrap(), topic, messages(40, 60));
    // The exporter keeps failing for many commit intervals: no offset is committed meanwhile.
    long refusedBefore = sink.refused.get();
    await("the exporter fails for a while longer").atMost(WAIT).until(() -> sink.refused.get() >= refusedBefore + 10);
    assertThat(KafkaTestClients.committed(broker.bootstrap(), group, topic)).as("offsets committed while the"
        + " exporter fails").isEmpty();
    Map<String, Double> whileDown = GatewayFixtures.scrape(g.metrics());
    assertThat(sum(whileDown, "sluice_receiver_accepted_items_total")).as("spans the pipeline acknowledged").isZero();
    assertThat(sink.spans).isEmpty();

    sink.refusing.set(false);
    Set<String> want = new HashSet<>();
    for (int n = 0; n < 60; n++) {
      for (int j = 0; j < 2; j++) {
        Span s = span(n, j, 0);
        want.add(hex(s.getTraceId()) + "/" + hex(s.getSpanId()));
      }
    }
    await("every span at the backend").atMost(WAIT).until(() -> sink.spans.keySet().containsAll(want));
    await("every record committed").atMost(WAIT).until(() -> allCommitted(group, topic));
    await("no partition paused").atMost(WAIT)
        .until(() -> sum(GatewayFixtures.scrape(g.metrics()), "sluice_receiver_kafka_partition_paused") == 0);
    System.out.printf("TwoTierKafkaIT (backpressure): the backend refused %d requests; paused partitions while it"
            + " did: %d; %d spans arrived, %d twice%n", sink.refused.get(),
        sum(whileDown, "sluice_receiver_kafka_partition_paused"), sink.spans.size(), sink.duplicates());
    assertThat(sink.spans.keySet()).isEqualTo(want);
    assertThat(sink.duplicates()).as("spans the backend took twice").isZero();
  }
}
