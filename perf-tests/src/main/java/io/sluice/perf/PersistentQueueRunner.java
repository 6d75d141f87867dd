package io.sluice.perf;

import static io.sluice.perf.Reports.say;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Extension;
import io.sluice.core.Host;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.ExporterHelper;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RequestSender;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.extension.filestorage.FileStorageConfig;
import io.sluice.extension.filestorage.FileStorageExtensionFactory;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * What an exporter's persistent sending queue ({@code sending_queue.storage} in a
 * {@code file_storage} extension) costs, against the queue in memory: the exporter helper with a
 * backend that takes every request at once, fed with the OTLP trace requests of the pass-through
 * benchmark (512 spans, about 420 KB each) by a closed loop of {@code bench.outstanding} batches
 * waiting for their acknowledgement, in this JVM (no network: the queue is all there is to
 * measure).
 *
 * <p>Per scenario ({@code memory}; {@code disk}, file_storage with {@code fsync: false};
 * {@code disk-fsync}, with {@code fsync: true}):
 *
 * <ol>
 *   <li><b>through</b>: the backend up, batches go in as fast as they are acknowledged (written)
 *       and out as fast as the queue reads them; items/s acknowledged and delivered in the window,
 *       CPU of this process per million items;
 *   <li><b>fill</b>: the backend down, {@code bench.backlog} batches go in (written, acknowledged,
 *       held); items/s acknowledged, and the store file's size then;
 *   <li><b>drain</b>: the queue stopped and started again (for the disk scenarios: it reads the
 *       backlog back from disk), the backend up; items/s from the start until every item is
 *       delivered.
 * </ol>
 */
public final class PersistentQueueRunner {
  private static final ComponentId EXPORTER = ComponentId.parse("otlp/bench");
  private static final ComponentId STORAGE = ComponentId.parse("file_storage/bench");

  private final Duration warmup = Durations.property("bench.warmup", "5s");
  private final Duration duration = Durations.property("bench.duration", "20s");
  private final int outstanding = Integer.getInteger("bench.outstanding", 32);
  private final int consumers = Integer.getInteger("bench.consumers", 10);
  private final int backlog = Integer.getInteger("bench.backlog", 400);
  private final int spans = Integer.getInteger("bench.spans", 512);
  private final Path home = Path.of(System.getProperty("bench.home", ".")).toAbsolutePath();
  private final Path workDir = home.resolve("perf-tests/target/bench/persistent-queue");
  private final TraceRequests requests = TraceRequests.build(32, spans, 7);

  public static void main(String[] args) throws Exception {
    new PersistentQueueRunner().run(List.of(System.getProperty("bench.scenarios", "memory,disk,disk-fsync")
        .split(",")));
    System.exit(0);
  }

  private record Result(String scenario, double throughAcked, double throughDelivered, double cpuPerMillion,
      long storeAfterThrough, double fill, long storeBytes, double drain, String cpuByThreadGroup) {}

  private void run(List<String> scenarios) throws Exception {
    String load = Files.readString(Path.of("/proc/loadavg")).trim();
    say("Persistent sending queue: %d spans per batch (%.0f KB), %d outstanding, %d consumers; warm-up %s,"
            + " window %s, backlog %d batches; load average %s", spans, requests.totalBytes() / 1024.0
            / requests.size(), outstanding, consumers, Durations.format(warmup), Durations.format(duration), backlog,
        load);
    List<Result> results = new ArrayList<>();
    for (String s : scenarios) {
      results.add(scenario(s.trim()));
    }
    StringBuilder md = new StringBuilder("# Persistent sending queue: items/s with and without disk\n\n");
    md.append(String.format(Locale.ROOT, "Batches of %d spans (%.0f KB of OTLP), %d awaiting acknowledgement at"
            + " once, %d consumers, a backend that takes every request at once; warm-up %s, window %s; backlog %d"
            + " batches for fill and drain. Run with `perf-tests/run-persistent-queue.sh`.%n%n", spans,
        requests.totalBytes() / 1024.0 / requests.size(), outstanding, consumers, Durations.format(warmup),
        Durations.format(duration), backlog));
    md.append("| scenario | through: acknowledged spans/s | delivered spans/s | CPU-s per million spans"
        + " | store file after through | fill (backend down) spans/s | store file after fill"
        + " | drain after restart spans/s |\n|---|---|---|---|---|---|---|---|\n");
    for (Result r : results) {
      md.append(String.format(Locale.ROOT, "| %s | %,.0f | %,.0f | %.2f | %s | %,.0f | %s | %,.0f |%n", r.scenario(),
          r.throughAcked(), r.throughDelivered(), r.cpuPerMillion(), mib(r.storeAfterThrough()), r.fill(),
          mib(r.storeBytes()), r.drain()));
    }
    md.append("\nCPU in the through window by thread group (the feeder, which parses each request as a receiver"
        + " would, runs on the runner's main thread: \"other threads\"; the file_storage worker is among the"
        + " workers):\n\n");
    for (Result r : results) {
      md.append("- ").append(r.scenario()).append(": ").append(r.cpuByThreadGroup()).append('\n');
    }
    md.append(Reports.machineMarkdown(home, Path.of(System.getProperty("java.home"), "bin", "java"), load));
    md.append("\nRunner JVM options: `").append(Reports.runnerJvmOptions()).append("`\n");
    Path dir = Path.of(System.getProperty("bench.results", home.resolve("perf-tests/results").toString()));
    Files.createDirectories(dir);
    Path file = Reports.resultsFile(dir, "persistent-queue", LocalDate.now(), System.getProperty("bench.label", ""));
    Files.writeString(file, md.toString());
    say("%s", md);
    say("Written to %s", file);
  }

  private static String mib(long bytes) {
    return bytes < 0 ? "-" : String.format(Locale.ROOT, "%.0f MiB", bytes / 1048576.0);
  }

  /** A backend that takes requests at once while up, and refuses them (retryably) while down. */
  private static final class Backend implements RequestSender {
    final AtomicBoolean up = new AtomicBoolean(true);
    final AtomicLong delivered = new AtomicLong();

    @Override
    public Future<Void> send(Batch batch) {
      if (!up.get()) {
        return Future.failedFuture(new RetryableException("backend down"));
      }
      batch.encoded(); // what an OTLP exporter writes into its request
      delivered.addAndGet(batch.itemCount());
      return Future.succeededFuture();
    }
  }

  private Result scenario(String name) throws Exception {
    boolean persistent = !name.equals("memory");
    boolean fsync = name.equals("disk-fsync");
    if (!List.of("memory", "disk", "disk-fsync").contains(name)) {
      throw new BenchmarkFailed("unknown scenario \"" + name + "\"; use memory, disk, disk-fsync");
    }
    Path dir = workDir.resolve(name);
    deleteTree(dir);
    Files.createDirectories(dir);
    Vertx vertx = Vertx.vertx();
    SelfMetrics metrics = new SelfMetrics();
    Extension storage = null;
    if (persistent) {
      FileStorageConfig d = FileStorageConfig.defaults();
      FileStorageConfig c = new FileStorageConfig(dir.toString(), d.timeout(), fsync, true, d.directoryPermissions(),
          false, d.compaction());
      storage = new FileStorageExtensionFactory().create(new ComponentContext(STORAGE, ComponentKind.EXTENSION, "",
          vertx, metrics, Host.ALWAYS_READY), c);
      storage.start().await(30, TimeUnit.SECONDS);
    }
    Extension ext = storage;
    Host host = new Host() {
      @Override
      public boolean ready() {
        return true;
      }

      @Override
      public Optional<Extension> extension(ComponentId id) {
        return Optional.ofNullable(id.equals(STORAGE) ? ext : null);
      }
    };
    ComponentContext ctx = new ComponentContext(EXPORTER, ComponentKind.EXPORTER, "", vertx, metrics, host);
    QueueSettings queue = new QueueSettings(true, consumers, 1_000_000, "requests", false, false, null,
        persistent ? STORAGE.toString() : null);
    RetrySettings retry = new RetrySettings(true, Duration.ofMillis(200), 0, 1.5, Duration.ofSeconds(1), Duration.ZERO);
    Backend backend = new Backend();
    say("== %s", name);
    try {
      ExporterHelper helper = ExporterHelper.builder(ctx, backend).queue(queue).retry(retry).build();
      helper.start().await(30, TimeUnit.SECONDS);

      // through
      Feeder warm = new Feeder(helper);
      warm.runFor(warmup);
      long pid = ProcessHandle.current().pid();
      long ackedBefore = warm.ackedItems.get();
      long deliveredBefore = backend.delivered.get();
      long cpuBefore = ProcStats.cpuTicks(pid);
      Map<Long, ProcStats.ThreadTicks> threadsBefore = ProcStats.threadTicks(pid);
      long t0 = System.nanoTime();
      warm.runFor(duration);
      double seconds = (System.nanoTime() - t0) / 1e9;
      double cpu = ProcStats.ticksToSeconds(ProcStats.cpuTicks(pid) - cpuBefore);
      Map<String, Long> groups = ProcStats.ticksByGroup(threadsBefore, ProcStats.threadTicks(pid));
      double acked = (warm.ackedItems.get() - ackedBefore) / seconds;
      long deliveredInWindow = backend.delivered.get() - deliveredBefore;
      double delivered = deliveredInWindow / seconds;
      warm.awaitAnswers();
      awaitDelivered(backend, warm.ackedItems.get(), Duration.ofSeconds(120));
      long storeAfterThrough = persistent ? storeSize(dir) : -1;
      String where = ProcStats.describeGroups(groups, deliveredInWindow, "spans");
      say("  through, CPU by thread group: %s", where);
      say("  through: %,.0f spans/s acknowledged, %,.0f delivered, %.2f CPU-s per million spans (%d refused)%s",
          acked, delivered, cpu / (deliveredInWindow / 1e6), warm.refused.get(),
          persistent ? ", store file " + mib(storeAfterThrough) : "");

      // fill
      backend.up.set(false);
      long deliveredAtFill = backend.delivered.get();
      Feeder fill = new Feeder(helper);
      long f0 = System.nanoTime();
      fill.runBatches(backlog);
      double fillSeconds = (System.nanoTime() - f0) / 1e9;
      double fillRate = fill.ackedItems.get() / fillSeconds;
      long storeBytes = persistent ? storeSize(dir) : -1;
      say("  fill: %,.0f spans/s acknowledged with the backend down (%d batches%s)", fillRate, backlog,
          persistent ? String.format(Locale.ROOT, ", store file %.0f MiB", storeBytes / 1048576.0) : "");

      // drain: a persistent queue stopped and started again reads its backlog from disk.
      long expected = fill.ackedItems.get() + deliveredAtFill;
      long d0;
      if (persistent) {
        helper.shutdown().await(60, TimeUnit.SECONDS);
        helper = ExporterHelper.builder(ctx, backend).queue(queue).retry(retry).build();
        backend.up.set(true);
        d0 = System.nanoTime();
        helper.start().await(120, TimeUnit.SECONDS);
      } else {
        d0 = System.nanoTime();
        backend.up.set(true);
      }
      awaitDelivered(backend, expected, Duration.ofSeconds(300));
      double drain = fill.ackedItems.get() / ((System.nanoTime() - d0) / 1e9);
      say("  drain: %,.0f spans/s%s", drain, persistent ? " (from the start, reading the backlog from disk)" : "");
      helper.shutdown().await(60, TimeUnit.SECONDS);
      return new Result(name, acked, delivered, cpu / (deliveredInWindow / 1e6), storeAfterThrough, fillRate,
          storeBytes, drain, where);
    } finally {
      if (storage != null) {
        storage.shutdown().await(60, TimeUnit.SECONDS);
      }
      vertx.close().await(30, TimeUnit.SECONDS);
      deleteTree(dir);
    }
  }

  private static void awaitDelivered(Backend backend, long items, Duration timeout)
      throws InterruptedException, BenchmarkFailed {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (backend.delivered.get() < items) {
      if (System.nanoTime() > deadline) {
        throw new BenchmarkFailed(backend.delivered.get() + " of " + items + " spans delivered after "
            + timeout.toSeconds() + " s");
      }
      Thread.sleep(5);
    }
  }

  private static long storeSize(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.mapToLong(p -> p.toFile().length()).sum();
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path p : all.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  /** A closed loop: {@link #outstanding} batches awaiting their acknowledgement at any time. */
  private final class Feeder {
    final ExporterHelper helper;
    final Semaphore slots = new Semaphore(outstanding);
    final AtomicLong ackedItems = new AtomicLong();
    final AtomicLong refused = new AtomicLong();
    long next;

    Feeder(ExporterHelper helper) {
      this.helper = helper;
    }

    private Batch batch() {
      byte[] bytes = requests.get(next++);
      try {
        return Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, bytes, 0, bytes.length),
            new Envelope(ComponentId.parse("otlp"), System.nanoTime(), "", Map.of()));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    private void sendOne() throws InterruptedException {
      slots.acquire();
      Batch b = batch();
      int items = b.itemCount();
      helper.consume(b).onComplete(ar -> {
        if (ar.succeeded()) {
          ackedItems.addAndGet(items);
        } else {
          refused.incrementAndGet();
        }
        slots.release();
      });
    }

    void runFor(Duration d) throws InterruptedException {
      long end = System.nanoTime() + d.toNanos();
      while (System.nanoTime() < end) {
        sendOne();
      }
    }

    /** Sends {@code n} batches that are acknowledged (a refused one is sent again) and waits for the last answer. */
    void runBatches(int n) throws InterruptedException, BenchmarkFailed {
      long target = (long) n * spans;
      while (ackedItems.get() < target) {
        long inFlight = outstanding - slots.availablePermits();
        if (ackedItems.get() + inFlight * spans >= target) {
          Thread.sleep(1);
          continue;
        }
        sendOne();
      }
      awaitAnswers();
    }

    void awaitAnswers() throws InterruptedException, BenchmarkFailed {
      if (!slots.tryAcquire(outstanding, 120, TimeUnit.SECONDS)) {
        throw new BenchmarkFailed("batches unanswered 120 s after the feeder stopped");
      }
      slots.release(outstanding);
    }
  }
}
