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
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestData;
import io.sluice.core.testkit.VictoriaLogsServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The packaged gateway, started through {@code bin/sluice}, with persistent sending queues
 * ({@code sending_queue.storage: file_storage}) on an {@code otlp} exporter and a {@code loki}
 * exporter (which serialises requests per stream). Numbered spans and log records are sent
 * without pause; the gateway is killed with SIGKILL twice: once while both backends are down
 * (everything acknowledged is only on disk), and once while it is draining into them. After the
 * last start every acknowledged item must be at its backend, and an item may arrive twice only
 * if it was in flight at a kill. A second case runs the gateway out of disk room and back. The
 * numbers of each run are printed.
 */
class PersistentQueueKillIT {
  private static final int ITEMS_PER_REQUEST = 50;
  private static final int STREAMS = 5;
  private static final int CONSUMERS = 4;
  /** Items acknowledged while the backends are down before the first kill, per signal. */
  private static final int ACKED_WHILE_DOWN = 10_000;
  private static final Pattern LOG_NUMBER = Pattern.compile("pq-log-(\\d+)");

  private static Path jar;
  private static Path launcher;

  @TempDir Path dir;
  private Process gateway;
  private NumberedSender sender;
  private Server otlpSink;
  private VictoriaLogsServer loki;
  private final Map<Integer, AtomicInteger> spansAtSink = new ConcurrentHashMap<>();

  @BeforeAll
  static void findTheJarAndTheLauncher() {
    jar = GatewayFixtures.packagedJar();
    launcher = GatewayFixtures.launcher(jar);
  }

  @AfterEach
  void stopEverything() throws Exception {
    if (sender != null) {
      sender.close();
    }
    if (gateway != null && gateway.isAlive()) {
      gateway.destroyForcibly();
      gateway.waitFor(10, TimeUnit.SECONDS);
    }
    if (otlpSink != null) {
      otlpSink.shutdownNow().awaitTermination(10, TimeUnit.SECONDS);
    }
    if (loki != null) {
      loki.close();
    }
  }

  private String config(int grpc, int otlpBackend, String lokiUrl, int health, int metrics) {
    return config(grpc, otlpBackend, lokiUrl, health, metrics, false);
  }

  private String config(int grpc, int otlpBackend, String lokiUrl, int health, int metrics, boolean fsync) {
    return """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:%d
        exporters:
          otlp:
            endpoint: 127.0.0.1:%d
            tls: {insecure: true}
            timeout: 5s
            sending_queue:
              storage: file_storage
              num_consumers: %d
              sizer: items
              queue_size: 1000000
            retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 0s}
          loki:
            endpoint: %s
            sending_queue:
              storage: file_storage
              num_consumers: %d
              queue_size: 100000
            retry_on_failure: {enabled: true, initial_interval: 100ms, max_interval: 500ms, max_elapsed_time: 0s}
        extensions:
          file_storage:
            directory: %s
            create_directory: true
            fsync: %s
          health_check:
            endpoint: 127.0.0.1:%d
        service:
          extensions: [file_storage, health_check]
          telemetry:
            metrics:
              address: 127.0.0.1:%d
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [otlp]
            logs:
              receivers: [otlp]
              exporters: [loki]
        """.formatted(grpc, otlpBackend, CONSUMERS, lokiUrl, CONSUMERS, dir.resolve("queue"), fsync, health, metrics);
  }

  private Process start(Path config, int health, String logName) throws IOException {
    return start(config, health, logName, 0);
  }

  /**
   * Starts the gateway through bin/sluice; with {@code fileSizeLimitKiB} above 0 under that soft
   * limit on the size of any file it writes ({@code ulimit -S -f}), so that its store files run out
   * of room as on a full disk: the write fails with an IOException ("File too large") in MVStore as
   * it does with "No space left on device", and it needs no root or small filesystem to set up.
   * {@link #freeRoom} lifts the limit again.
   */
  private Process start(Path config, int health, String logName, int fileSizeLimitKiB) throws IOException {
    Path log = dir.resolve(logName);
    List<String> cmd = fileSizeLimitKiB <= 0 ? List.of(launcher.toString(), "--config", config.toString())
        : List.of("bash", "-c", "ulimit -S -f " + fileSizeLimitKiB + " && exec \"$0\" \"$@\"", launcher.toString(),
            "--config", config.toString());
    ProcessBuilder pb = new ProcessBuilder(cmd)
        .directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
    GatewayFixtures.launcherEnv(pb.environment(), jar, "384m");
    Process p = pb.start();
    await("the gateway is healthy").atMost(Duration.ofSeconds(60)).until(() -> {
      if (!p.isAlive()) {
        fail("The gateway exited with " + p.exitValue() + ":\n" + Files.readString(log));
      }
      return GatewayFixtures.statusOf(health, "/") == 200;
    });
    return p;
  }

  private void kill() throws InterruptedException {
    gateway.destroyForcibly(); // SIGKILL
    assertThat(gateway.waitFor(10, TimeUnit.SECONDS)).isTrue();
  }

  private Server startOtlpSink(int port) throws IOException {
    return NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
        .addService(new TraceServiceGrpc.TraceServiceImplBase() {
          @Override
          public void export(ExportTraceServiceRequest request, StreamObserver<ExportTraceServiceResponse> out) {
            for (ResourceSpans rs : request.getResourceSpansList()) {
              for (ScopeSpans ss : rs.getScopeSpansList()) {
                for (Span s : ss.getSpansList()) {
                  int n = Integer.parseInt(s.getName().substring("pq-span-".length()));
                  spansAtSink.computeIfAbsent(n, k -> new AtomicInteger()).incrementAndGet();
                }
              }
            }
            out.onNext(ExportTraceServiceResponse.getDefaultInstance());
            out.onCompleted();
          }
        }).build().start();
  }

  /** How often each log record number is stored in VictoriaLogs. */
  private Map<Integer, Integer> logsAtSink() {
    Map<Integer, Integer> counts = new HashMap<>();
    for (Map<String, String> row : loki.query("*", "0")) {
      Matcher m = LOG_NUMBER.matcher(row.getOrDefault("_msg", ""));
      if (m.find()) {
        counts.merge(Integer.parseInt(m.group(1)), 1, Integer::sum);
      }
    }
    return counts;
  }

  private static long lost(Set<Integer> acked, Map<Integer, ? extends Number> atSink) {
    return acked.stream().filter(n -> !atSink.containsKey(n)).count();
  }

  private static long duplicated(Map<Integer, ? extends Number> atSink) {
    return atSink.values().stream().mapToLong(v -> v.longValue() - 1).sum();
  }

  private static Map<Integer, Integer> snapshot(Map<Integer, AtomicInteger> m) {
    Map<Integer, Integer> out = new HashMap<>();
    m.forEach((k, v) -> out.put(k, v.get()));
    return out;
  }

  @Test
  void killedWhileTheBackendsAreDownAndAgainWhileDrainingEveryAcknowledgedItemArrives() throws Exception {
    int grpc = Ports.freePort();
    int otlpPort = Ports.freePort();
    int downLoki = Ports.freePort(); // nothing listens here
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    Path down = GatewayFixtures.writeConfig(dir, "down.yaml", config(grpc, otlpPort, "http://127.0.0.1:" + downLoki
        + "/loki/api/v1/push", health, metrics));

    // 1. Both backends down: whatever the gateway acknowledges is only in its queues on disk.
    gateway = start(down, health, "first.log");
    sender = new NumberedSender(grpc);
    sender.start();
    await("items acknowledged while the backends are down").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> sender.ackedSpans.size() >= ACKED_WHILE_DOWN && sender.ackedLogs.size() >= ACKED_WHILE_DOWN);
    Map<String, Double> beforeKill = GatewayFixtures.scrape(metrics);
    kill();
    int spansAtFirstKill = sender.ackedSpans.size();
    int logsAtFirstKill = sender.ackedLogs.size();
    assertThat(sum(beforeKill, "sluice_exporter_sent_items_total")).as("items delivered before the first kill")
        .isZero();

    // 2. Backends up, the gateway started again: it resumes from disk and drains, and is killed mid-way.
    otlpSink = startOtlpSink(otlpPort);
    loki = VictoriaLogsServer.start();
    Path up = GatewayFixtures.writeConfig(dir, "up.yaml", config(grpc, otlpPort, loki.lokiPushUrl(), health,
        metrics));
    gateway = start(up, health, "second.log");
    await("part of the queue delivered").atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
        .until(() -> spansAtSink.size() >= spansAtFirstKill / 3);
    Map<String, Double> secondRun = GatewayFixtures.scrape(metrics);
    kill();
    int spansAtSecondKill = spansAtSink.size();

    // 3. Started once more: it finishes.
    gateway = start(up, health, "third.log");
    await("more items acknowledged after the last start").atMost(Duration.ofSeconds(60))
        .until(() -> sender.ackedSpans.size() >= spansAtFirstKill + 2_000
            && sender.ackedLogs.size() >= logsAtFirstKill + 2_000);
    sender.stop();
    Set<Integer> ackedSpans = Set.copyOf(sender.ackedSpans);
    Set<Integer> ackedLogs = Set.copyOf(sender.ackedLogs);
    await("every acknowledged span at the OTLP backend").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200)).until(() -> lost(ackedSpans, snapshot(spansAtSink)) == 0);
    await("every acknowledged log record in Loki").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(500)).until(() -> lost(ackedLogs, logsAtSink()) == 0);

    Map<Integer, Integer> spans = snapshot(spansAtSink);
    Map<Integer, Integer> logs = logsAtSink();
    Map<String, Double> end = GatewayFixtures.scrape(metrics);
    String third = Files.readString(dir.resolve("third.log"));
    System.out.printf("PersistentQueueKillIT: spans: sent %d, acknowledged %d, at the backend %d, lost %d, twice %d"
            + " (%d delivered before the second kill); log records: sent %d, acknowledged %d, in Loki %d, lost %d,"
            + " twice %d; client refusals %s; recovered at the second start %.0f items, at the third %.0f%n",
        sender.spansSent.get(), ackedSpans.size(), spans.size(), lost(ackedSpans, spans), duplicated(spans),
        spansAtSecondKill, sender.logsSent.get(), ackedLogs.size(), logs.size(), lost(ackedLogs, logs),
        duplicated(logs), sender.failures(), sum(secondRun, "sluice_exporter_queue_recovered_items_total"),
        sum(end, "sluice_exporter_queue_recovered_items_total"));

    for (String run : List.of("second.log", "third.log")) {
      Files.readAllLines(dir.resolve(run)).stream().filter(l -> l.contains("persistent queue") || l.contains("ERROR"))
          .forEach(l -> System.out.println("PersistentQueueKillIT: " + run + ": " + l));
    }
    assertThat(lost(ackedSpans, spans)).as("acknowledged spans lost").isZero();
    assertThat(lost(ackedLogs, logs)).as("acknowledged log records lost").isZero();
    assertThat(sum(secondRun, "sluice_exporter_queue_recovered_items_total"))
        .as("items the second start found on disk").isGreaterThanOrEqualTo(spansAtFirstKill + logsAtFirstKill);
    // Only what was in flight at the second kill may arrive twice: at most a request per consumer and
    // stream, and the records delivered whose removal was not committed yet (a few requests).
    long inFlightBound = 2L * (CONSUMERS + STREAMS) * ITEMS_PER_REQUEST;
    assertThat(duplicated(spans)).as("spans delivered twice").isLessThanOrEqualTo(inFlightBound);
    assertThat(duplicated(logs)).as("log records stored twice").isLessThanOrEqualTo(inFlightBound);
    assertThat(third).contains("resumes").doesNotContain("corrupt").doesNotContain("OutOfMemoryError");
    assertThat(sum(end, "sluice_exporter_send_failed_items_total")).as("items the exporters gave up on").isZero();
    assertThat(sum(end, "sluice_exporter_dropped_items_total")).as("items Loki refused").isZero();
  }

  /** Lifts the gateway's file size limit (bin/sluice execs java, so the pid is the JVM's), as freeing disk space. */
  private void freeRoom() throws Exception {
    Process p;
    try {
      p = new ProcessBuilder("prlimit", "--pid", Long.toString(gateway.pid()), "--fsize=unlimited:")
          .redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new AssertionError("prlimit (util-linux) is needed to lift the gateway's file size limit: install"
          + " util-linux", e);
    }
    String out = new String(p.getInputStream().readAllBytes());
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as("prlimit: %s", out).isZero();
  }

  @Test
  void aFullDiskRefusesBatchesWithAClearLogAndWritesAgainOnceThereIsRoom() throws Exception {
    int grpc = Ports.freePort();
    int otlpPort = Ports.freePort(); // the OTLP backend is down until the disk is full
    int health = Ports.freePort();
    int metrics = Ports.freePort();
    loki = VictoriaLogsServer.start();
    Path full = GatewayFixtures.writeConfig(dir, "full.yaml", config(grpc, otlpPort, loki.lokiPushUrl(), health,
        metrics, true));
    gateway = start(full, health, "full.log", 8 * 1024); // no file of the gateway's beyond 8 MiB
    sender = new NumberedSender(grpc);
    sender.start();

    await("the full store file refuses batches").atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200))
        .until(() -> sender.failures().getOrDefault(Status.Code.RESOURCE_EXHAUSTED, 0L) >= 20);
    assertThat(gateway.isAlive()).as("the gateway runs on with its disk full").isTrue();
    assertThat(GatewayFixtures.statusOf(health, "/")).isEqualTo(200);
    String log = Files.readString(dir.resolve("full.log"));
    assertThat(log).contains("Exporter 'otlp' could not write").contains("to its persistent queue in 'file_storage'")
        .contains("File too large").doesNotContain("OutOfMemoryError");
    Map<String, Double> whileFull = GatewayFixtures.scrape(metrics);
    assertThat(sum(whileFull, "sluice_exporter_enqueue_failed_items_total")).isPositive();
    int ackedWhileFull = sender.ackedSpans.size();

    // Room on the disk again (as an operator frees space) and the backend up: the gateway takes
    // spans again, and delivers everything it acknowledged.
    freeRoom();
    otlpSink = startOtlpSink(otlpPort);
    await("spans acknowledged again once the queue drained").atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(200)).until(() -> sender.ackedSpans.size() >= ackedWhileFull + 2_000);
    sender.stop();
    Set<Integer> acked = Set.copyOf(sender.ackedSpans);
    await("every acknowledged span at the backend").atMost(Duration.ofSeconds(90))
        .pollInterval(Duration.ofMillis(200)).until(() -> lost(acked, snapshot(spansAtSink)) == 0);
    Map<Integer, Integer> spans = snapshot(spansAtSink);
    System.out.printf("PersistentQueueKillIT (full disk): %d spans acknowledged before the store file was full, %d in"
            + " all, %d at the backend, lost %d, twice %d; client refusals %s; the gateway counted %.0f spans refused"
            + "%n", ackedWhileFull, acked.size(), spans.size(), lost(acked, spans), duplicated(spans), sender.failures(),
        sum(whileFull, "sluice_exporter_enqueue_failed_items_total"));
    assertThat(lost(acked, spans)).as("acknowledged spans lost").isZero();
    assertThat(gateway.isAlive()).isTrue();
  }

  private static double sum(Map<String, Double> samples, String name) {
    return GatewayFixtures.sum(samples, name);
  }

  /**
   * Sends numbered spans ("pq-span-N") and log records ("pq-log-N", over {@link #STREAMS} services,
   * so over as many Loki streams) over OTLP/gRPC from a thread of its own, a few requests in
   * flight, and remembers the numbers of every request the gateway acknowledged with OK.
   */
  static final class NumberedSender implements AutoCloseable {
    private static final int IN_FLIGHT = 8;
    final Set<Integer> ackedSpans = ConcurrentHashMap.newKeySet();
    final Set<Integer> ackedLogs = ConcurrentHashMap.newKeySet();
    final AtomicLong spansSent = new AtomicLong();
    final AtomicLong logsSent = new AtomicLong();
    private final Map<Status.Code, AtomicLong> failures = new ConcurrentHashMap<>();
    private final ManagedChannel channel;
    private final TraceServiceGrpc.TraceServiceStub traces;
    private final LogsServiceGrpc.LogsServiceStub logs;
    private final Semaphore slots = new Semaphore(IN_FLIGHT);
    private final CountDownLatch stopping = new CountDownLatch(1);
    private final AtomicInteger nextSpan = new AtomicInteger();
    private final AtomicInteger nextLog = new AtomicInteger();
    private volatile long pauseUntil;
    private Thread thread;

    NumberedSender(int port) {
      channel = NettyChannelBuilder.forAddress("127.0.0.1", port).usePlaintext().build();
      traces = TraceServiceGrpc.newStub(channel);
      logs = LogsServiceGrpc.newStub(channel);
    }

    void start() {
      thread = new Thread(this::loop, "numbered-sender");
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      try {
        boolean spansNext = true;
        while (stopping.getCount() > 0) {
          long pause = pauseUntil - System.nanoTime();
          if (pause > 0) {
            stopping.await(pause, TimeUnit.NANOSECONDS);
            continue;
          }
          if (!slots.tryAcquire(20, TimeUnit.MILLISECONDS)) {
            continue;
          }
          if (spansNext) {
            sendSpans();
          } else {
            sendLogs();
          }
          spansNext = !spansNext;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private void sendSpans() {
      int first = nextSpan.getAndAdd(ITEMS_PER_REQUEST);
      long now = System.currentTimeMillis() * 1_000_000L;
      ScopeSpans.Builder scope = ScopeSpans.newBuilder().setScope(TestData.scope());
      for (int n = first; n < first + ITEMS_PER_REQUEST; n++) {
        byte[] traceId = new byte[16];
        traceId[0] = 1;
        traceId[15] = (byte) (n >> 8);
        byte[] spanId = new byte[8];
        spanId[4] = (byte) (n >> 24);
        spanId[5] = (byte) (n >> 16);
        spanId[6] = (byte) (n >> 8);
        spanId[7] = (byte) n;
        scope.addSpans(Span.newBuilder().setTraceId(ByteString.copyFrom(traceId))
            .setSpanId(ByteString.copyFrom(spanId)).setName("pq-span-" + n)
            .setStartTimeUnixNano(now).setEndTimeUnixNano(now + 1000));
      }
      ExportTraceServiceRequest req = ExportTraceServiceRequest.newBuilder().addResourceSpans(
          ResourceSpans.newBuilder().setResource(TestData.resource("pq-client")).addScopeSpans(scope)).build();
      spansSent.addAndGet(ITEMS_PER_REQUEST);
      traces.withDeadlineAfter(10, TimeUnit.SECONDS).export(req, new Answer<>(() ->
          IntStream.range(first, first + ITEMS_PER_REQUEST).forEach(ackedSpans::add)));
    }

    private void sendLogs() {
      int first = nextLog.getAndAdd(ITEMS_PER_REQUEST);
      long now = System.currentTimeMillis() * 1_000_000L;
      ExportLogsServiceRequest.Builder req = ExportLogsServiceRequest.newBuilder();
      for (int s = 0; s < STREAMS; s++) {
        ScopeLogs.Builder scope = ScopeLogs.newBuilder().setScope(TestData.scope());
        for (int n = first + s; n < first + ITEMS_PER_REQUEST; n += STREAMS) {
          scope.addLogRecords(LogRecord.newBuilder().setTimeUnixNano(now + n).setSeverityText("INFO")
              .setBody(AnyValue.newBuilder().setStringValue("request served pq-log-" + n)));
        }
        req.addResourceLogs(ResourceLogs.newBuilder().setResource(TestData.resource("pq-service-" + s))
            .addScopeLogs(scope));
      }
      logsSent.addAndGet(ITEMS_PER_REQUEST);
      logs.withDeadlineAfter(10, TimeUnit.SECONDS).export(req.build(), new Answer<>(() ->
          IntStream.range(first, first + ITEMS_PER_REQUEST).forEach(ackedLogs::add)));
    }

    /** Counts the answer; on OK runs {@code acked}. */
    private final class Answer<T> implements StreamObserver<T> {
      private final Runnable acked;

      Answer(Runnable acked) {
        this.acked = acked;
      }

      @Override
      public void onNext(T value) {}

      @Override
      public void onError(Throwable t) {
        failures.computeIfAbsent(Status.fromThrowable(t).getCode(), k -> new AtomicLong()).incrementAndGet();
        pauseUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        slots.release();
      }

      @Override
      public void onCompleted() {
        acked.run();
        slots.release();
      }
    }

    Map<Status.Code, Long> failures() {
      Map<Status.Code, Long> out = new EnumMap<>(Status.Code.class);
      failures.forEach((k, v) -> out.put(k, v.get()));
      return out;
    }

    /** Stops sending and waits for the answers of the requests in flight. */
    void stop() throws InterruptedException {
      stopping.countDown();
      if (thread != null) {
        thread.join(5000);
      }
      if (!slots.tryAcquire(IN_FLIGHT, 20, TimeUnit.SECONDS)) {
        throw new AssertionError("requests still unanswered 20 s after the sender stopped");
      }
      slots.release(IN_FLIGHT);
    }

    @Override
    public void close() {
      stopping.countDown();
      channel.shutdownNow();
    }
  }
}
