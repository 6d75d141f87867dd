package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.ByteString;
import io.grpc.CallOptions;
import io.grpc.ClientCall;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.StreamObserver;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.ledger.FaultTable;
import io.vertx.core.Vertx;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.awaitility.core.ConditionTimeoutException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The packaged gateway, started through {@code bin/sluice} with a 192 MiB memory budget exactly as
 * a user would run it, is flooded with large OTLP/gRPC trace requests while its backend is down
 * and its sending queue could hold far more than its heap. Its memory limiter must refuse data
 * (RESOURCE_EXHAUSTED / UNAVAILABLE) instead of letting the JVM run out of memory; once the
 * backend comes up, everything it acknowledged must arrive there and it must take data again.
 *
 * <p>The memory limiter is configured as in config/sluice.yaml (checked every second, refusing
 * above 80 - 20 = 60% of the heap). The numbers of a run (requests offered, acknowledged and
 * refused, peak heap in use, the process's peak RSS) are printed; the RSS is not asserted here.
 */
class OverloadIT {
  private static final int BUDGET_MIB = 192;
  private static final String MEMORY_BUDGET = BUDGET_MIB + "m";
  /** Spans per request; with {@link #PAYLOAD_CHARS} of attribute each, a request is about 400 KB. */
  private static final int SPANS_PER_REQUEST = 512;
  private static final int PAYLOAD_CHARS = 700;
  private static final int SENDER_THREADS = 4;
  private static final int IN_FLIGHT_PER_THREAD = 16;
  /** The flood offers at least this many times the gateway's whole heap. */
  private static final int OVERLOAD_FACTOR = 10;
  /** ... and keeps going for this long after the first refusal, with at least this many refusals. */
  private static final Duration REFUSING_AT_LEAST = Duration.ofSeconds(10);
  /** ... for this long with memory_limiter, the config users run (the fault-injection suite's 10x overload case). */
  private static final Duration REFUSING_WITH_LIMITER = Duration.ofSeconds(30);
  private static final long MIN_REFUSED_REQUESTS = 100;
  private static final Duration OVERLOAD_AT_MOST = Duration.ofSeconds(80);

  private static Path jar;
  private static Path launcher;

  @TempDir Path dir;

  private Process gateway;
  private Path gatewayLog;
  private Flood flood;
  private Vertx backendVertx;
  private Gateway backend;

  @BeforeAll
  static void findTheJarAndTheLauncher() {
    String prop = System.getProperty("sluice.jar");
    jar = (prop == null || prop.isBlank() ? Path.of("target", "sluice.jar") : Path.of(prop)).toAbsolutePath();
    if (!Files.isRegularFile(jar)) {
      fail(jar + " is missing: this test runs the packaged gateway. Build it first with"
          + " `mvn -B -pl gateway -am package -DskipTests` (or run `mvn verify`).");
    }
    // The jar is <repo>/gateway/target/sluice.jar, and the tests run in <repo>/gateway; bin/sluice
    // is found above either.
    launcher = findLauncher(jar.getParent());
    if (launcher == null) {
      launcher = findLauncher(Path.of(System.getProperty("user.dir")).toAbsolutePath());
    }
    if (launcher == null) {
      fail("bin/sluice not found above " + jar + " or " + System.getProperty("user.dir"));
    }
  }

  private static Path findLauncher(Path from) {
    for (Path d = from; d != null; d = d.getParent()) {
      Path candidate = d.resolve("bin").resolve("sluice");
      if (Files.isRegularFile(candidate) && Files.isExecutable(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  @AfterEach
  void stopEverything() throws Exception {
    if (flood != null) {
      flood.close();
    }
    if (gateway != null && gateway.isAlive()) {
      gateway.destroy();
      if (!gateway.waitFor(20, TimeUnit.SECONDS)) {
        gateway.destroyForcibly();
        gateway.waitFor(10, TimeUnit.SECONDS);
      }
    }
    if (backend != null) {
      backend.shutdown(Duration.ofSeconds(10));
    }
    if (backendVertx != null) {
      backendVertx.close().await(30, TimeUnit.SECONDS);
    }
  }

  private static String gatewayConfig(int grpc, int backendPort, int health, int metrics, boolean memoryLimiter) {
    String config = """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:%d
        processors:
          memory_limiter:
            check_interval: 1s
            limit_percentage: 80
            spike_limit_percentage: 20
          batch:
            send_batch_size: 8192
            timeout: 200ms
        exporters:
          otlp:
            endpoint: 127.0.0.1:%d
            tls:
              insecure: true
            compression: none
            timeout: 5s
            sending_queue:
              enabled: true
              num_consumers: 4
              queue_size: 100000
            retry_on_failure:
              enabled: true
              initial_interval: 100ms
              max_interval: 1s
              max_elapsed_time: 0s
        extensions:
          health_check:
            endpoint: 127.0.0.1:%d
        service:
          extensions: [health_check]
          telemetry:
            metrics:
              address: 127.0.0.1:%d
          pipelines:
            traces:
              receivers: [otlp]
              processors: [memory_limiter, batch]
              exporters: [otlp]
        """.formatted(grpc, backendPort, health, metrics);
    return memoryLimiter ? config : config.replace("[memory_limiter, batch]", "[batch]");
  }

  private static final String BACKEND_CONFIG = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:BACKEND_GRPC}
      exporters:
        file:
          path: ${env:OUT}
          format: json
      service:
        telemetry:
          metrics:
            address: 127.0.0.1:${env:BACKEND_METRICS}
        pipelines:
          traces:
            receivers: [otlp]
            exporters: [file]
      """;

  /** The environment bin/sluice gets: the memory budget and the jar, nothing that overrides the JVM options. */
  private static Map<String, String> launcherEnv(Map<String, String> env) {
    return GatewayFixtures.launcherEnv(env, jar, MEMORY_BUDGET);
  }

  /** What {@code bin/sluice jvm-options} prints for the budget. */
  private static String expectedJvmOptions() throws Exception {
    ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "jvm-options").redirectErrorStream(true);
    launcherEnv(pb.environment());
    Process p = pb.start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("bin/sluice jvm-options finished").isTrue();
    assertThat(p.exitValue()).as("bin/sluice jvm-options: %s", out).isZero();
    return out;
  }

  private String log() {
    try {
      return Files.readString(gatewayLog, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** The last {@code lines} lines of the gateway's log, for failure messages. */
  private String logTail(int lines) {
    String[] all = log().split("\n");
    return String.join("\n", List.of(all).subList(Math.max(0, all.length - lines), all.length));
  }

  private void assertGatewayAlive(String when) {
    if (!gateway.isAlive()) {
      fail("The gateway exited with " + gateway.exitValue() + " " + when + "; log:\n" + logTail(80));
    }
  }

  /** A value of the gateway's own /proc status, in bytes ({@code VmRSS}, {@code VmHWM}); -1 when unreadable. */
  private long procStatusBytes(String key) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", String.valueOf(gateway.pid()), "status"))) {
        if (line.startsWith(key + ":")) {
          return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** The sum of every series of {@code name} in a scrape. */
  private static double sum(Map<String, Double> samples, String name) {
    double total = 0;
    for (Map.Entry<String, Double> e : samples.entrySet()) {
      if (e.getKey().startsWith(name + "{")) {
        total += e.getValue();
      }
    }
    return total;
  }

  private static long mib(double bytes) {
    return (long) (bytes / (1024 * 1024));
  }

  /**
   * With {@code memory_limiter} as config/sluice.yaml has it, and without one: then the sending
   * queue's byte limit and the receiver's budget of bytes in flight are what refuse.
   */
  @ParameterizedTest(name = "memory_limiter in the pipeline: {0}")
  @ValueSource(booleans = {true, false})
  void underATenfoldOverloadTheGatewayRefusesInsteadOfRunningOutOfMemoryAndLosesNothingItAcknowledged(
      boolean memoryLimiter) throws Exception {
    int grpc = Ports.freePort();
    int backendPort = Ports.freePort(); // nothing listens here until the backend starts
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    Path config = GatewayFixtures.writeConfig(dir, "sluice.yaml", gatewayConfig(grpc, backendPort, health, metrics,
        memoryLimiter));

    // The gateway as a user starts it: bin/sluice with a memory budget, nothing else.
    String jvmOptions = expectedJvmOptions();
    gatewayLog = dir.resolve("gateway.log");
    ProcessBuilder pb = new ProcessBuilder(launcher.toString(), "--config", config.toString(),
        "--shutdown-timeout", "10s")
        .directory(dir.toFile())
        .redirectErrorStream(true)
        .redirectOutput(gatewayLog.toFile());
    launcherEnv(pb.environment());
    gateway = pb.start();
    await("the gateway's health endpoint answers 200").atMost(Duration.ofSeconds(30)).until(() -> {
      assertGatewayAlive("while starting");
      return GatewayFixtures.statusOf(health, "/") == 200;
    });
    // bin/sluice execs java, so the process is the JVM, and it runs with the budget's options.
    String cmdline = Files.readString(Path.of("/proc", String.valueOf(gateway.pid()), "cmdline"))
        .replace('\0', ' ');
    for (String option : jvmOptions.split("\\s+")) {
      assertThat(cmdline).as("the gateway's command line").contains(option);
    }
    double heapMax = GatewayFixtures.scrape(metrics).get("sluice_process_heap_max_bytes{}");
    assertThat(heapMax).as("the gateway's max heap: 3/4 of the %s budget", MEMORY_BUDGET)
        .isLessThanOrEqualTo(BUDGET_MIB / 4 * 3 * 1024.0 * 1024.0);

    // The flood: several connections, many large requests in flight each, as fast as the gateway answers.
    flood = new Flood(grpc, SENDER_THREADS, IN_FLIGHT_PER_THREAD);
    flood.start();
    long overloadStart = System.nanoTime();
    double[] peakHeapUsed = {0};
    int[] scrapesFailed = {0};
    long offerAtLeast = OVERLOAD_FACTOR * (long) heapMax;
    Duration refusingAtLeast = memoryLimiter ? REFUSING_WITH_LIMITER : REFUSING_AT_LEAST;
    try {
      await("the gateway refuses data under the flood").atMost(OVERLOAD_AT_MOST)
          .pollInterval(Duration.ofMillis(250)).until(() -> {
            assertGatewayAlive("under the flood");
            try {
              Map<String, Double> s = GatewayFixtures.scrape(metrics);
              peakHeapUsed[0] = Math.max(peakHeapUsed[0], s.getOrDefault("sluice_process_heap_used_bytes{}", 0.0));
            } catch (IOException | AssertionError e) {
              scrapesFailed[0]++; // a gateway busy collecting garbage may answer late; it must stay alive
            }
            long firstRefusal = flood.firstRefusalNanos.get();
            return flood.bytesSent.get() >= offerAtLeast
                && flood.refusedRequests() >= MIN_REFUSED_REQUESTS
                && firstRefusal != 0 && System.nanoTime() - firstRefusal >= refusingAtLeast.toNanos();
          });
    } catch (ConditionTimeoutException e) {
      // Checked one by one below, with the numbers.
    }
    flood.stop();
    long overloadMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - overloadStart);
    assertGatewayAlive("after the flood");

    long ackedRequests = flood.okRequests.get();
    String summary = String.format("flood of %d ms: %d requests (%d MiB, %d MiB of heap max) sent, %d acknowledged,"
            + " failures %s; peak heap in use %d MiB (of %d MiB), peak RSS %d MiB (budget %s), %d scrapes unanswered",
        overloadMillis, flood.requestsSent.get(), mib(flood.bytesSent.get()), mib(heapMax), ackedRequests,
        flood.failures(), mib(peakHeapUsed[0]), mib(heapMax), mib(procStatusBytes("VmHWM")), MEMORY_BUDGET,
        scrapesFailed[0]);
    System.out.println("OverloadIT: " + summary);

    assertThat(flood.bytesSent.get()).as("bytes offered (%s)", summary).isGreaterThanOrEqualTo(offerAtLeast);
    assertThat(flood.refusedRequests()).as("requests refused with RESOURCE_EXHAUSTED or UNAVAILABLE (%s)", summary)
        .isGreaterThanOrEqualTo(MIN_REFUSED_REQUESTS);
    assertThat(ackedRequests).as("requests acknowledged (%s)", summary).isPositive();
    assertThat(log()).as("the gateway's log").doesNotContain("OutOfMemoryError");
    await("the gateway answers health 200 after the flood").atMost(Duration.ofSeconds(20)).until(() -> {
      assertGatewayAlive("after the flood");
      return GatewayFixtures.statusOf(health, "/") == 200;
    });
    Map<String, Double> after = GatewayFixtures.scrape(metrics);
    System.out.printf("OverloadIT: the gateway counted %.0f items accepted, %.0f refused by its receiver, %.0f by its"
            + " memory limiter%n", sum(after, "sluice_receiver_accepted_items_total"),
        sum(after, "sluice_receiver_refused_items_total"), sum(after, "sluice_processor_refused_items_total"));
    // Every refusal the clients saw is counted: item by item when the request was read, as a
    // request when it was refused unread for want of room for its bytes; and so is every
    // acknowledgement.
    double refusedUnread = sum(after, "sluice_receiver_refused_requests_total");
    System.out.printf("OverloadIT: %.0f requests refused unread for want of room for their bytes%n", refusedUnread);
    assertThat(sum(after, "sluice_receiver_refused_items_total") + refusedUnread * SPANS_PER_REQUEST)
        .as("sluice_receiver_refused_items_total + sluice_receiver_refused_requests_total x %d (%s)",
            SPANS_PER_REQUEST, summary)
        .isGreaterThanOrEqualTo((double) flood.refusedRequests() * SPANS_PER_REQUEST);
    assertThat(sum(after, "sluice_receiver_accepted_items_total"))
        .as("sluice_receiver_accepted_items_total (%s)", summary)
        .isGreaterThanOrEqualTo((double) ackedRequests * SPANS_PER_REQUEST);
    // Two guards refuse under the flood: the memory limiter, on the heap in use, and the receiver,
    // on the bytes of requests it holds unacknowledged (a quarter of the heap). Which one refuses
    // first depends on how the flood and the collections interleave; at least one must have.
    if (memoryLimiter) {
      assertThat(sum(after, "sluice_processor_refused_items_total") + refusedUnread)
          .as("items the memory limiter refused plus requests the receiver refused unread (%s)", summary)
          .isGreaterThan(0);
    }

    // Recovery: the backend comes up; everything acknowledged must reach it.
    Path out = dir.resolve("backend").resolve("traces.jsonl");
    int backendMetrics = Ports.freePort();
    backendVertx = Vertx.vertx(); // the default checker: only the process under test is judged here
    backend = GatewayFixtures.start(backendVertx, GatewayFixtures.writeConfig(dir, "backend.yaml", BACKEND_CONFIG),
        Map.of("BACKEND_GRPC", String.valueOf(backendPort), "BACKEND_METRICS", String.valueOf(backendMetrics),
            "OUT", out.toString()));
    Set<String> acked = flood.ackedSpanIds();
    long recoveryStart = System.nanoTime();
    try {
      await("the backend wrote as many spans as were acknowledged").atMost(Duration.ofSeconds(60))
          .pollInterval(Duration.ofMillis(500)).until(() -> {
            assertGatewayAlive("while its queue drained");
            return sum(GatewayFixtures.scrape(backendMetrics), "sluice_exporter_sent_items_total") >= acked.size();
          });
    } catch (ConditionTimeoutException e) {
      // The comparison below names what is missing.
    }
    await("every acknowledged span in the backend's file").atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
          Set<String> lost = new HashSet<>(acked);
          lost.removeAll(OtlpFlat.spanIdsInFile(out));
          assertThat(lost).as("acknowledged spans missing from the backend (of %d acknowledged; gateway log:\n%s)",
              acked.size(), logTail(40)).isEmpty();
        });
    long drainMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - recoveryStart);

    // ... and once its queue drained, the gateway takes data again.
    await("the gateway's queue is empty").atMost(Duration.ofSeconds(30)).ignoreExceptionsInstanceOf(IOException.class)
        .until(() -> sum(GatewayFixtures.scrape(metrics), "sluice_exporter_queue_size") == 0);
    List<String> fresh = new ArrayList<>();
    await("a fresh request is acknowledged").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(500))
        .untilAsserted(() -> {
          fresh.clear();
          assertThat(flood.sendOnce(fresh)).as("a fresh request after the queue drained")
              .isEqualTo(Status.Code.OK);
        });
    await("the fresh request's spans in the backend's file").atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
            assertThat(OtlpFlat.spanIdsInFile(out)).containsAll(fresh));
    assertGatewayAlive("at the end");
    assertThat(log()).as("the gateway's log").doesNotContain("OutOfMemoryError");
    Map<String, Double> end = GatewayFixtures.scrape(metrics);
    System.out.printf("OverloadIT: %d acknowledged spans delivered in %d ms; gateway heap in use now %d MiB, peak"
            + " RSS %d MiB, exporter send failures %.0f%n", acked.size(), drainMillis,
        mib(end.get("sluice_process_heap_used_bytes{}")), mib(procStatusBytes("VmHWM")),
        sum(end, "sluice_exporter_send_failed_items_total"));

    // The fault-injection suite's row: items are spans; every span of the flood has an id of its own.
    List<String> delivered = OtlpFlat.spansInFile(out).stream().map(OtlpFlat.FlatSpan::spanIdHex).toList();
    long distinct = delivered.stream().distinct().count();
    Set<String> lost = new HashSet<>(flood.ackedSpanIds());
    lost.removeAll(delivered);
    long refusedSpans = flood.failures().values().stream().mapToLong(Long::longValue).sum() * SPANS_PER_REQUEST;
    FaultSuite.table().add(new FaultTable.Row("10x overload, memory_limiter " + (memoryLimiter ? "on" : "off")
        + " (OverloadIT)", flood.requestsSent.get() * SPANS_PER_REQUEST, flood.ackedSpanIds().size(), refusedSpans,
        distinct, lost.size(), delivered.size() - distinct, -1, String.format("%d s of flood, %d MiB offered to a"
            + " %d MiB heap, refusals %s (requests); peak heap in use %d MiB, no OutOfMemoryError, a fresh request"
            + " acknowledged after; reordering not measured (4 connections, 16 requests in flight each)",
        overloadMillis / 1000, mib(flood.bytesSent.get()), mib(heapMax), flood.failures(), mib(peakHeapUsed[0]))));
    assertThat(delivered.size() - distinct).as("spans delivered twice").isZero();
  }

  @AfterAll
  static void printTheSummary() {
    FaultSuite.printSummary("OverloadIT");
  }

  /**
   * OTLP/gRPC trace requests from several threads, each with a connection of its own and up to
   * {@code inFlight} requests in flight, each request {@link #SPANS_PER_REQUEST} spans with span
   * ids never used before. Remembers which requests were acknowledged with OK and counts the
   * refusals by status code.
   *
   * <p>A request is encoded once as a template; each send copies it and writes new span ids at
   * their offsets, so that the flood costs the machine little besides what the gateway does.
   */
  private static final class Flood implements AutoCloseable {
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
      @Override
      public InputStream stream(byte[] value) {
        return new ByteArrayInputStream(value);
      }

      @Override
      public byte[] parse(InputStream stream) {
        try {
          return stream.readAllBytes();
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    };
    /** TraceService/Export with the request as the bytes of an ExportTraceServiceRequest. */
    private static final MethodDescriptor<byte[], byte[]> EXPORT = MethodDescriptor.<byte[], byte[]>newBuilder()
        .setType(MethodDescriptor.MethodType.UNARY)
        .setFullMethodName(TraceServiceGrpc.getExportMethod().getFullMethodName())
        .setRequestMarshaller(BYTES)
        .setResponseMarshaller(BYTES)
        .build();

    private final int port;
    private final int inFlight;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final List<Semaphore> slots = new ArrayList<>();
    /** Span ids are this random base plus a sequence number: unique within and across runs. */
    private final long idBase = ThreadLocalRandom.current().nextLong() & 0x7fff_ffff_0000_0000L;
    private final AtomicLong sequence = new AtomicLong(1);
    private final byte[] template;
    /** Where in {@link #template} each span's 8-byte id is. */
    private final int[] spanIdOffsets = new int[SPANS_PER_REQUEST];
    /** The first sequence number of every acknowledged request. */
    private final Queue<Long> acked = new ConcurrentLinkedQueue<>();
    private final Map<Status.Code, AtomicLong> failures = new ConcurrentHashMap<>();
    final AtomicLong requestsSent = new AtomicLong();
    final AtomicLong bytesSent = new AtomicLong();
    final AtomicLong okRequests = new AtomicLong();
    final AtomicLong firstRefusalNanos = new AtomicLong();
    private volatile boolean stopping;

    Flood(int port, int threadCount, int inFlight) throws IOException {
      this.port = port;
      this.inFlight = inFlight;
      this.template = template(spanIdOffsets);
      // The template with new ids is the request it stands for.
      List<String> ids = new ArrayList<>();
      ExportTraceServiceRequest check = ExportTraceServiceRequest.parseFrom(request(42, ids));
      assertThat(OtlpFlat.spans(check).stream().map(OtlpFlat.FlatSpan::spanIdHex).toList()).isEqualTo(ids);
      for (int i = 0; i < threadCount; i++) {
        ManagedChannel channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
        channels.add(channel);
        Semaphore s = new Semaphore(inFlight);
        slots.add(s);
        Thread t = new Thread(() -> loop(channel, s), "overload-sender-" + i);
        t.setDaemon(true);
        threads.add(t);
      }
    }

    /** An encoded request of {@link #SPANS_PER_REQUEST} spans; fills in where each span id is. */
    private static byte[] template(int[] offsets) {
      StringBuilder payload = new StringBuilder(PAYLOAD_CHARS);
      ThreadLocalRandom r = ThreadLocalRandom.current();
      for (int i = 0; i < PAYLOAD_CHARS; i++) {
        payload.append((char) ('a' + r.nextInt(26)));
      }
      byte[] traceId = new byte[16];
      r.nextBytes(traceId);
      long now = System.currentTimeMillis() * 1_000_000L;
      byte[][] marks = new byte[SPANS_PER_REQUEST][8];
      ScopeSpans.Builder scope = ScopeSpans.newBuilder().setScope(TestData.scope());
      for (int i = 0; i < SPANS_PER_REQUEST; i++) {
        r.nextBytes(marks[i]);
        scope.addSpans(Span.newBuilder()
            .setTraceId(ByteString.copyFrom(traceId))
            .setSpanId(ByteString.copyFrom(marks[i]))
            .setName("overload")
            .setKind(Span.SpanKind.SPAN_KIND_SERVER)
            .setStartTimeUnixNano(now)
            .setEndTimeUnixNano(now + 1_000_000)
            .addAttributes(TestData.attr("payload", payload.toString())));
      }
      byte[] bytes = ExportTraceServiceRequest.newBuilder()
          .addResourceSpans(ResourceSpans.newBuilder().setResource(TestData.resource("overload")).addScopeSpans(scope))
          .build().toByteArray();
      // The spans are encoded in order, so each id is found after the one before it.
      int from = 0;
      for (int i = 0; i < SPANS_PER_REQUEST; i++) {
        offsets[i] = indexOf(bytes, marks[i], from);
        assertThat(offsets[i]).as("span id %d in the encoded template", i).isNotNegative();
        from = offsets[i] + 8;
      }
      return bytes;
    }

    private static int indexOf(byte[] haystack, byte[] needle, int from) {
      outer:
      for (int i = from; i <= haystack.length - needle.length; i++) {
        for (int j = 0; j < needle.length; j++) {
          if (haystack[i + j] != needle[j]) {
            continue outer;
          }
        }
        return i;
      }
      return -1;
    }

    /** The template with span ids {@code idBase + first ...}; their hex goes to {@code ids} when not null. */
    private byte[] request(long first, List<String> ids) {
      byte[] req = template.clone();
      ByteBuffer buf = ByteBuffer.wrap(req);
      for (int i = 0; i < SPANS_PER_REQUEST; i++) {
        buf.putLong(spanIdOffsets[i], idBase + first + i);
        if (ids != null) {
          ids.add(spanIdHex(idBase + first + i));
        }
      }
      return req;
    }

    void start() {
      threads.forEach(Thread::start);
    }

    private void loop(ManagedChannel channel, Semaphore s) {
      try {
        while (!stopping) {
          if (s.tryAcquire(50, TimeUnit.MILLISECONDS)) {
            send(channel, s);
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void send(ManagedChannel channel, Semaphore s) {
      long first = sequence.getAndAdd(SPANS_PER_REQUEST);
      byte[] req = request(first, null);
      requestsSent.incrementAndGet();
      bytesSent.addAndGet(req.length);
      ClientCall<byte[], byte[]> call = channel.newCall(EXPORT, CallOptions.DEFAULT.withDeadlineAfter(20, TimeUnit.SECONDS));
      ClientCalls.asyncUnaryCall(call, req, new StreamObserver<>() {
        @Override
        public void onNext(byte[] response) {}

        @Override
        public void onError(Throwable t) {
          failed(Status.fromThrowable(t).getCode());
          s.release();
        }

        @Override
        public void onCompleted() {
          acked.add(first);
          okRequests.incrementAndGet();
          s.release();
        }
      });
    }

    private void failed(Status.Code code) {
      failures.computeIfAbsent(code, k -> new AtomicLong()).incrementAndGet();
      if (code == Status.Code.RESOURCE_EXHAUSTED || code == Status.Code.UNAVAILABLE) {
        firstRefusalNanos.compareAndSet(0, System.nanoTime());
      }
    }

    long refusedRequests() {
      return count(Status.Code.RESOURCE_EXHAUSTED) + count(Status.Code.UNAVAILABLE);
    }

    private long count(Status.Code code) {
      AtomicLong n = failures.get(code);
      return n == null ? 0 : n.get();
    }

    Map<Status.Code, Long> failures() {
      Map<Status.Code, Long> out = new EnumMap<>(Status.Code.class);
      failures.forEach((k, v) -> out.put(k, v.get()));
      return out;
    }

    private static String spanIdHex(long id) {
      return HexFormat.of().formatHex(ByteBuffer.allocate(8).putLong(id).array());
    }

    /** Sends one request and waits for the answer; its span ids go to {@code ids}, and count as acknowledged on OK. */
    Status.Code sendOnce(List<String> ids) {
      long first = sequence.getAndAdd(SPANS_PER_REQUEST);
      byte[] req = request(first, ids);
      requestsSent.incrementAndGet();
      try {
        ClientCalls.blockingUnaryCall(channels.get(0), EXPORT,
            CallOptions.DEFAULT.withDeadlineAfter(10, TimeUnit.SECONDS), req);
        acked.add(first);
        okRequests.incrementAndGet();
        return Status.Code.OK;
      } catch (StatusRuntimeException e) {
        failed(e.getStatus().getCode());
        return e.getStatus().getCode();
      }
    }

    /** The span ids of every acknowledged request so far. */
    Set<String> ackedSpanIds() {
      Set<String> ids = new HashSet<>();
      for (long first : acked) {
        for (int i = 0; i < SPANS_PER_REQUEST; i++) {
          ids.add(spanIdHex(idBase + first + i));
        }
      }
      return ids;
    }

    /** Stops sending and waits until every request in flight has its answer. */
    void stop() throws InterruptedException {
      stopping = true;
      for (Thread t : threads) {
        t.join(TimeUnit.SECONDS.toMillis(5));
        assertThat(t.isAlive()).as("sender thread %s still running 5 s after the stop", t.getName()).isFalse();
      }
      for (Semaphore s : slots) {
        // The calls' own 20 s deadline bounds this.
        if (!s.tryAcquire(inFlight, 30, TimeUnit.SECONDS)) {
          fail((inFlight - s.availablePermits()) + " requests to port " + port
              + " unanswered 30 s after the flood stopped");
        }
        s.release(inFlight);
      }
    }

    @Override
    public void close() {
      stopping = true;
      for (ManagedChannel c : channels) {
        c.shutdownNow();
      }
      try {
        for (ManagedChannel c : channels) {
          c.awaitTermination(5, TimeUnit.SECONDS);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
