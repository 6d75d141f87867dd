package io.sluice.extension.filestorage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Extension;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.ExporterHelper;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RequestSender;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.storage.StorageClient;
import io.sluice.core.storage.StorageExtension;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.IntStream;
import org.h2.mvstore.DataUtils;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The exporter helper's persistent sending queue ({@code sending_queue.storage}) over a real
 * {@code file_storage} extension: numbered spans go in, a scripted backend takes or refuses them,
 * and the test restarts the queue (cleanly, or by dropping the store file unclosed as a killed
 * process would) and damages its file to see what comes out.
 */
class PersistentSendingQueueTest {
  private static final ComponentId EXPORTER = ComponentId.parse("otlp/pq");
  private static final ComponentId STORAGE = ComponentId.parse("file_storage");
  private static final Duration WAIT = Duration.ofSeconds(20);
  private static final RetrySettings FAST_RETRY =
      new RetrySettings(true, Duration.ofMillis(10), 0, 1.5, Duration.ofMillis(50), Duration.ZERO);

  @TempDir Path dir;
  private TestVertx tv;
  private SelfMetrics metrics;
  private final List<ExporterHelper> helpers = new ArrayList<>();
  private final List<FileStorageExtension> extensions = new ArrayList<>();
  private ListAppender<ILoggingEvent> logs;

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    metrics = new SelfMetrics();
    logs = new ListAppender<>();
    logs.start();
    ((Logger) LoggerFactory.getLogger(ExporterHelper.class)).addAppender(logs);
  }

  @AfterEach
  void tearDown() throws Exception {
    ((Logger) LoggerFactory.getLogger(ExporterHelper.class)).detachAppender(logs);
    for (ExporterHelper h : helpers) {
      h.shutdown().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    }
    for (FileStorageExtension e : extensions) {
      get(e.shutdown());
    }
    tv.close();
  }

  // ---------------------------------------------------------------- helpers

  static <T> T get(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static Throwable failure(Future<?> f) throws Exception {
    try {
      f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      return e.getCause();
    }
    throw new AssertionError("expected a failure, the future succeeded");
  }

  private FileStorageExtension storage(boolean fsync) throws Exception {
    FileStorageConfig d = FileStorageConfig.defaults();
    FileStorageConfig c = new FileStorageConfig(dir.toString(), d.timeout(), fsync, false, d.directoryPermissions(),
        false, d.compaction());
    ComponentContext ctx = TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, STORAGE.toString(), metrics);
    FileStorageExtension e = new FileStorageExtension(ctx, c);
    extensions.add(e);
    get(e.start());
    return e;
  }

  private static QueueSettings queue(int consumers, int size, String sizer) {
    return new QueueSettings(true, consumers, size, sizer, false, false, null, STORAGE.toString());
  }

  private ExporterHelper.Builder builder(Extension storage, RequestSender sender) {
    ComponentContext ctx = new ComponentContext(EXPORTER, ComponentKind.EXPORTER, "", tv.vertx(), metrics,
        TestContexts.hostWith(Map.of(STORAGE, storage)));
    return ExporterHelper.builder(ctx, sender).retry(FAST_RETRY).timeout(Duration.ofSeconds(5));
  }

  private ExporterHelper started(ExporterHelper.Builder b) throws Exception {
    ExporterHelper h = b.build();
    helpers.add(h);
    get(h.start());
    return h;
  }

  private Path storeFile() {
    return dir.resolve("exporter_otlp_pq.mvstore");
  }

  /** A traces batch of spans named "n-&lt;first&gt;" on, in the resource of {@code key}, encoded as a receiver hands it on. */
  static Batch numbered(String key, int first, int count) {
    ScopeSpans.Builder scope = ScopeSpans.newBuilder();
    for (int i = first; i < first + count; i++) {
      byte[] spanId = new byte[8];
      spanId[7] = (byte) i;
      spanId[6] = (byte) (i >> 8);
      scope.addSpans(Span.newBuilder().setName("n-" + i).setTraceId(com.google.protobuf.ByteString.copyFrom(
          new byte[16])).setSpanId(com.google.protobuf.ByteString.copyFrom(spanId)));
    }
    ResourceSpans rs = ResourceSpans.newBuilder().setResource(Resource.newBuilder().addAttributes(
        KeyValue.newBuilder().setKey("key").setValue(AnyValue.newBuilder().setStringValue(key)))).addScopeSpans(scope)
        .build();
    byte[] bytes = ExportTraceServiceRequest.newBuilder().addResourceSpans(rs).build().toByteArray();
    try {
      return Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, bytes, 0, bytes.length),
          new Envelope(ComponentId.parse("otlp"), System.nanoTime(), "tenant-a", Map.of()));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The request key the tests serialise on: the resource's "key" attribute. */
  static Object keyOf(Batch b) {
    return b.resourceSpans().get(0).getResource().getAttributes(0).getValue().getStringValue();
  }

  /** One request per resource, as the loki exporter makes one per stream. */
  static List<Batch> perResource(Batch b) {
    List<Batch> out = new ArrayList<>();
    for (ResourceSpans rs : b.resourceSpans()) {
      out.add(Batch.traces(List.of(rs), b.envelope()));
    }
    return out;
  }

  /** A batch holding several numbered batches' resources. */
  static Batch joined(Batch... parts) {
    return Batch.join(Signal.TRACES, List.of(parts), parts[0].envelope());
  }

  private double counter(String name, String... labels) {
    return SelfMetricsReader.counter(metrics, name, labels);
  }

  private double gauge(String name) {
    return SelfMetricsReader.gauge(metrics, name, "component_id", EXPORTER.toString());
  }

  /** A backend that takes requests while up and refuses them retryably while down. */
  static final class Backend implements RequestSender {
    final AtomicBoolean up = new AtomicBoolean();
    /** Keys whose requests fail while up. */
    final java.util.Set<Object> failing = java.util.concurrent.ConcurrentHashMap.newKeySet();
    /** Span names in the order the backend took them. */
    final List<String> delivered = new CopyOnWriteArrayList<>();
    final AtomicInteger calls = new AtomicInteger();

    Backend(boolean up) {
      this.up.set(up);
    }

    @Override
    public Future<Void> send(Batch batch) {
      calls.incrementAndGet();
      if (!up.get()) {
        return Future.failedFuture(new RetryableException("backend down"));
      }
      for (ResourceSpans rs : batch.resourceSpans()) {
        Object key = rs.getResource().getAttributes(0).getValue().getStringValue();
        if (failing.contains(key)) {
          return Future.failedFuture(new RetryableException("key " + key + " refused"));
        }
      }
      for (ResourceSpans rs : batch.resourceSpans()) {
        for (ScopeSpans ss : rs.getScopeSpansList()) {
          for (Span s : ss.getSpansList()) {
            delivered.add(s.getName());
          }
        }
      }
      return Future.succeededFuture();
    }

    List<Integer> numbers() {
      return delivered.stream().map(n -> Integer.parseInt(n.substring(2))).toList();
    }
  }

  private static List<Integer> range(int from, int to) {
    return IntStream.range(from, to).boxed().toList();
  }

  // ---------------------------------------------------------------- ordering and acknowledgement

  @Test
  void acknowledgesOnceWrittenDeliversInOrderAndRemovesWhatWasDelivered() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend backend = new Backend(false);
    ExporterHelper h = started(builder(fs, backend).queue(queue(1, 1000, "requests")));

    for (int i = 0; i < 50; i++) {
      get(h.consume(numbered("a", i * 10, 10)));
    }

    assertThat(counter("sluice_exporter_queue_persisted_items_total", "component_id", "otlp/pq", "signal", "traces"))
        .isEqualTo(500);
    assertThat(Files.size(storeFile())).isPositive();
    backend.up.set(true);
    await().atMost(WAIT).until(() -> backend.delivered.size() == 500);
    assertThat(backend.numbers()).containsExactlyElementsOf(range(0, 500));
    await().atMost(WAIT).until(() -> gauge("sluice_exporter_queue_size") == 0);
    get(h.shutdown());

    // Every record was removed once delivered: a new start finds nothing to send again.
    Backend second = new Backend(true);
    started(builder(fs, second).queue(queue(1, 1000, "requests")));
    assertThat(counter("sluice_exporter_queue_recovered_items_total", "component_id", "otlp/pq", "signal", "traces"))
        .isZero();
    assertThat(second.calls.get()).isZero();
  }

  @Test
  void theAcknowledgementWaitsForTheCommitAndSurvivesAStoreNeverClosed() throws Exception {
    FileStorageExtension fs = storage(true);
    Backend backend = new Backend(false);
    ExporterHelper h = started(builder(fs, backend).queue(queue(2, 1000, "items")));
    for (int i = 0; i < 20; i++) {
      get(h.consume(numbered("a", i * 5, 5)));
    }

    // A killed process: the store file is dropped without its closing commit, and nothing else
    // of this gateway touches it again (its backend stays down, so no record is removed).
    crash(fs);

    FileStorageExtension again = storage(true);
    Backend after = new Backend(true);
    started(builder(again, after).queue(queue(2, 1000, "items")));

    await().atMost(WAIT).until(() -> after.delivered.size() >= 100);
    assertThat(after.numbers()).containsExactlyInAnyOrderElementsOf(range(0, 100));
    assertThat(counter("sluice_exporter_queue_recovered_items_total", "component_id", "otlp/pq", "signal", "traces"))
        .isEqualTo(100);
    assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage())
        .contains("resumes 20 requests (100 items"));
  }

  /** Drops the store files of {@code fs} unclosed, as a process killed with SIGKILL leaves them. */
  private void crash(FileStorageExtension fs) throws Exception {
    get(fs.worker().executeBlocking(() -> {
      for (String name : fs.openClientNames()) {
        fs.clientForTest(name).crashForTest();
      }
      return null;
    }));
    extensions.remove(fs);
  }

  @Test
  void aKeyBeingRetriedHoldsBackOnlyItsOwnRequestsWhichKeepTheirOrderAcrossARestart() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend backend = new Backend(true);
    backend.failing.add("slow");
    Function<Batch, List<Batch>> split = PersistentSendingQueueTest::perResource;
    ExporterHelper h = started(builder(fs, backend).queue(queue(4, 1000, "requests"))
        .requestSplitter(split).requestKey(PersistentSendingQueueTest::keyOf));

    for (int i = 0; i < 30; i++) {
      get(h.consume(joined(numbered("slow", 1000 + i, 1), numbered("fast", i, 1))));
    }
    await().atMost(WAIT).until(() -> backend.delivered.size() == 30);
    assertThat(backend.numbers()).as("the key not refused goes on, in order").containsExactlyElementsOf(range(0, 30));

    get(h.shutdown()); // the refused key's requests stay on disk
    FileStorageExtension second = fs;
    Backend after = new Backend(true);
    started(builder(second, after).queue(queue(4, 1000, "requests"))
        .requestSplitter(split).requestKey(PersistentSendingQueueTest::keyOf));
    await().atMost(WAIT).until(() -> after.delivered.size() == 30);
    assertThat(after.numbers()).as("the refused key's requests, in order, after the restart")
        .containsExactlyElementsOf(range(1000, 1030));
  }

  @Test
  void requestsOfManyKeysWaitOnDiskWhenTheKeysDoNotFitAndKeepTheirOrder() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend backend = new Backend(false);
    ExporterHelper h = started(builder(fs, backend).queue(queue(1, 1000, "requests"))
        .requestSplitter(PersistentSendingQueueTest::perResource).requestKey(PersistentSendingQueueTest::keyOf)
        .maxKeys(2));

    // Ten keys, at most two of them in memory at once: the rest are taken (and acknowledged)
    // all the same, and wait on disk.
    for (int i = 0; i < 40; i++) {
      get(h.consume(numbered("k" + (i % 10), i, 1)));
    }
    backend.up.set(true);

    await().atMost(WAIT).until(() -> backend.delivered.size() == 40);
    Map<String, List<Integer>> byKey = new LinkedHashMap<>();
    for (int n : backend.numbers()) {
      byKey.computeIfAbsent("k" + (n % 10), k -> new ArrayList<>()).add(n);
    }
    assertThat(byKey).hasSize(10);
    byKey.forEach((k, ns) -> assertThat(ns).as(k).isSorted().hasSize(4));
  }

  // ---------------------------------------------------------------- capacity

  @Test
  void aFullQueueRefusesWithResourceExhaustedAndNeverDrops() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend backend = new Backend(false);
    ExporterHelper h = started(builder(fs, backend).queue(queue(1, 100, "items")));

    get(h.consume(numbered("a", 0, 30))); // taken by the one consumer (retrying): not waiting
    await().atMost(WAIT).until(() -> backend.calls.get() > 0);
    for (int i = 1; i <= 3; i++) {
      get(h.consume(numbered("a", i * 30, 30))); // 90 items wait
    }
    Throwable refused = failure(h.consume(numbered("a", 120, 30)));

    assertThat(refused).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("sending queue is full");
    assertThat(counter("sluice_exporter_enqueue_failed_items_total", "component_id", "otlp/pq", "signal", "traces"))
        .isEqualTo(30);
    assertThat(gauge("sluice_exporter_queue_size")).isEqualTo(90);
    assertThat(gauge("sluice_exporter_queue_size_items")).isEqualTo(90);
    assertThat(gauge("sluice_exporter_queue_capacity_items")).isEqualTo(100);
    assertThat(gauge("sluice_exporter_queue_size_bytes")).isPositive();

    backend.up.set(true);
    await().atMost(WAIT).until(() -> backend.delivered.size() == 120);
    get(h.consume(numbered("a", 120, 30)));
    await().atMost(WAIT).until(() -> backend.delivered.size() == 150);
    assertThat(backend.numbers()).containsExactlyElementsOf(range(0, 150));
  }

  @Test
  void withBlockOnOverflowAFullQueueHoldsTheBatchUnacknowledgedUntilThereIsRoom() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend backend = new Backend(false);
    QueueSettings blocking = new QueueSettings(true, 1, 2, "requests", true, false, null, STORAGE.toString());
    ExporterHelper h = started(builder(fs, backend).queue(blocking));
    get(h.consume(numbered("a", 0, 10))); // in flight
    await().atMost(WAIT).until(() -> backend.calls.get() > 0);
    get(h.consume(numbered("a", 10, 10)));
    get(h.consume(numbered("a", 20, 10))); // the queue is full

    Future<Void> held = h.consume(numbered("a", 30, 10));
    // Not acknowledged (nor refused) while the queue is full.
    await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> !held.isComplete());

    backend.up.set(true);
    get(held);
    await().atMost(WAIT).until(() -> backend.delivered.size() == 40);
    assertThat(backend.numbers()).containsExactlyElementsOf(range(0, 40));
  }

  @Test
  void theQueueHoldsAtMostItsByteLimitOnDisk() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend backend = new Backend(false);
    long one = numbered("a", 0, 40).sizeBytes();
    ExporterHelper h = started(builder(fs, backend).queue(queue(1, 1000, "requests"))
        .maxQueuedBytes(one * 3 + one / 2));

    get(h.consume(numbered("a", 0, 40)));
    await().atMost(WAIT).until(() -> backend.calls.get() > 0);
    for (int i = 1; i <= 3; i++) {
      get(h.consume(numbered("a", i * 40, 40)));
    }
    Throwable refused = failure(h.consume(numbered("a", 160, 40)));

    assertThat(refused).isInstanceOf(ResourceExhaustedException.class).hasMessageContaining("bytes");
    assertThat(gauge("sluice_exporter_queue_capacity_bytes")).isEqualTo(one * 3 + one / 2);
  }

  // ---------------------------------------------------------------- recovery

  @Test
  void aRestartResumesInOrderAndAQueueLargerThanMemoryIsReadBackAsRoomFrees() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend down = new Backend(false);
    ExporterHelper h = started(builder(fs, down).queue(queue(1, 1000, "requests")));
    for (int i = 0; i < 60; i++) {
      get(h.consume(numbered("a", i * 10, 10)));
    }
    get(h.shutdown());

    // Started again with room in memory for about three of them at a time.
    long one = numbered("a", 0, 10).sizeBytes();
    Backend up = new Backend(true);
    ExporterHelper again = started(builder(fs, up).queue(queue(1, 1000, "requests")).maxQueuedBytes(one * 3));

    await().atMost(WAIT).until(() -> up.delivered.size() == 600);
    assertThat(up.numbers()).containsExactlyElementsOf(range(0, 600));
    assertThat(counter("sluice_exporter_queue_recovered_items_total", "component_id", "otlp/pq", "signal", "traces"))
        .isEqualTo(600);
    // Once read back and delivered, the queue takes new batches again, after the old ones.
    await().atMost(WAIT).until(() -> gauge("sluice_exporter_queue_size") == 0);
    get(again.consume(numbered("a", 600, 10)));
    await().atMost(WAIT).until(() -> up.delivered.size() == 610);
    assertThat(up.numbers()).containsExactlyElementsOf(range(0, 610));
  }

  @Test
  void batchesArrivingWhileOlderRecordsAreStillOnDiskGoAfterThem() throws Exception {
    FileStorageExtension fs = storage(false);
    // One key in memory at a time, and keys alternating: every other record waits on disk.
    Function<ExporterHelper.Builder, ExporterHelper.Builder> oneKey = b -> b.queue(queue(1, 1000, "requests"))
        .requestSplitter(PersistentSendingQueueTest::perResource).requestKey(PersistentSendingQueueTest::keyOf)
        .maxKeys(1);
    ExporterHelper h = started(oneKey.apply(builder(fs, new Backend(false))));
    for (int i = 0; i < 30; i++) {
      get(h.consume(numbered(i % 2 == 0 ? "a" : "b", i * 10, 10)));
    }
    get(h.shutdown());

    Backend slow = new Backend(false);
    ExporterHelper again = started(oneKey.apply(builder(fs, slow)));
    for (int i = 30; i < 36; i++) {
      get(again.consume(numbered(i % 2 == 0 ? "a" : "b", i * 10, 10)));
    }
    slow.up.set(true);

    await().atMost(WAIT).until(() -> slow.delivered.size() == 360);
    assertThat(slow.numbers()).containsExactlyElementsOf(range(0, 360));
  }

  @Test
  void withExporterSideBatchingMergedRequestsRemoveEveryRecordTheyHold() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend backend = new Backend(true);
    QueueSettings batching = new QueueSettings(true, 1, 10_000, "items", false, false,
        new QueueSettings.Batching(Duration.ofMillis(50), "items", 100L, 0L), STORAGE.toString());
    ExporterHelper h = started(builder(fs, backend).queue(batching));
    for (int i = 0; i < 25; i++) {
      get(h.consume(numbered("a", i * 10, 10)));
    }
    await().atMost(WAIT).until(() -> backend.delivered.size() == 250);
    assertThat(backend.calls.get()).as("requests sent: merged up to 100 items").isLessThan(25);
    get(h.shutdown());

    Backend after = new Backend(true);
    started(builder(fs, after).queue(batching));
    assertThat(after.calls.get()).isZero();
    assertThat(backend.numbers()).containsExactlyElementsOf(range(0, 250));
  }

  // ---------------------------------------------------------------- damage

  /** Writes {@code count} numbered batches with the backend down and stops; the store keeps them all. */
  private void fill(FileStorageExtension fs, int count) throws Exception {
    ExporterHelper h = started(builder(fs, new Backend(false)).queue(queue(1, 1000, "requests")));
    for (int i = 0; i < count; i++) {
      get(h.consume(numbered("a", i * 10, 10)));
    }
    get(h.shutdown());
  }

  /** The exporter's records, read with the storage API (the queue must not be running). */
  private Map<String, byte[]> records(FileStorageExtension fs) throws Exception {
    StorageClient c = get(fs.client(ComponentKind.EXPORTER, EXPORTER, null));
    Map<String, byte[]> out = new LinkedHashMap<>();
    for (StorageClient.Entry e : get(c.range(null, null, 0))) {
      out.put(e.key(), e.value());
    }
    get(c.close());
    return out;
  }

  private void overwrite(FileStorageExtension fs, String key, byte[] value) throws Exception {
    StorageClient c = get(fs.client(ComponentKind.EXPORTER, EXPORTER, null));
    get(c.set(key, value));
    get(c.close());
  }

  @Test
  void aCorruptRecordIsSkippedCountedLoggedAndRemovedAndTheRestIsDelivered() throws Exception {
    FileStorageExtension fs = storage(false);
    fill(fs, 10);
    Map<String, byte[]> records = records(fs);
    assertThat(records).hasSize(10);
    String third = new ArrayList<>(records.keySet()).get(3);
    byte[] damaged = records.get(third).clone();
    damaged[damaged.length / 2] ^= 0x40; // one bit flipped in the middle of the OTLP bytes
    overwrite(fs, third, damaged);

    Backend backend = new Backend(true);
    started(builder(fs, backend).queue(queue(1, 1000, "requests")));

    await().atMost(WAIT).until(() -> backend.delivered.size() == 90);
    List<Integer> expected = new ArrayList<>(range(0, 100));
    expected.removeAll(range(30, 40));
    assertThat(backend.numbers()).containsExactlyElementsOf(expected);
    assertThat(counter("sluice_exporter_queue_corrupt_records_total", "component_id", "otlp/pq")).isEqualTo(1);
    assertThat(logs.list).anySatisfy(e -> assertThat(e.getFormattedMessage()).contains("skipped the record \"" + third)
        .contains("checksum"));
    await().atMost(WAIT).until(() -> gauge("sluice_exporter_queue_size") == 0);
    assertThat(records(stopAll(fs))).as("records left after delivery, the corrupt one included").isEmpty();
  }

  /** Stops every queue so that the test may read the store. */
  private FileStorageExtension stopAll(FileStorageExtension fs) throws Exception {
    for (ExporterHelper h : helpers) {
      get(h.shutdown());
    }
    return fs;
  }

  @Test
  void aTornLastRecordIsSkippedAndEveryEarlierOneDelivered() throws Exception {
    FileStorageExtension fs = storage(false);
    fill(fs, 8);
    Map<String, byte[]> records = records(fs);
    String last = new ArrayList<>(records.keySet()).get(7);
    byte[] whole = records.get(last);
    overwrite(fs, last, java.util.Arrays.copyOf(whole, whole.length / 2)); // only its first half reached the disk

    Backend backend = new Backend(true);
    started(builder(fs, backend).queue(queue(1, 1000, "requests")));

    await().atMost(WAIT).until(() -> backend.delivered.size() == 70);
    assertThat(backend.numbers()).containsExactlyElementsOf(range(0, 70));
    assertThat(counter("sluice_exporter_queue_corrupt_records_total", "component_id", "otlp/pq")).isEqualTo(1);
  }

  @Test
  void aStoreFileTornInItsLastCommitStartsWithEveryEarlierRecord() throws Exception {
    FileStorageExtension fs = storage(true);
    fill(fs, 6);
    long before = Files.size(storeFile());
    ExporterHelper h = started(builder(fs, new Backend(false)).queue(queue(1, 1000, "requests")));
    get(h.consume(numbered("a", 60, 10)));
    get(h.shutdown());
    get(fs.shutdown());
    extensions.remove(fs);
    long size = Files.size(storeFile());
    try (FileChannel ch = FileChannel.open(storeFile(), StandardOpenOption.WRITE)) {
      ch.truncate(before + (size - before) / 2); // the last commit only half written
    }

    FileStorageExtension again = storage(true);
    Backend backend = new Backend(true);
    started(builder(again, backend).queue(queue(1, 1000, "requests")));

    await().atMost(WAIT).until(() -> backend.delivered.size() >= 60);
    // The last batch's commit may be lost whole (the file was torn in it), never in part.
    assertThat(backend.numbers()).startsWith(range(0, 60).toArray(Integer[]::new));
    assertThat(backend.delivered.size()).isIn(60, 70);
  }

  // ---------------------------------------------------------------- a full disk

  @Test
  void aFullDiskRefusesBatchesWithAClearLogAndTheQueueWritesAgainOnceThereIsRoom() throws Exception {
    FileStorageExtension fs = storage(false);
    FullDisk disk = new FullDisk(fs);
    Backend backend = new Backend(false);
    ExporterHelper h = started(builder(disk, backend).queue(queue(1, 1000, "requests")));
    get(h.consume(numbered("a", 0, 10)));

    disk.full.set(true);
    Throwable refused = failure(h.consume(numbered("a", 10, 10)));

    assertThat(refused).isInstanceOf(ResourceExhaustedException.class)
        .hasMessageContaining("could not write to its persistent queue").hasMessageContaining("No space left on device");
    assertThat(counter("sluice_exporter_enqueue_failed_items_total", "component_id", "otlp/pq", "signal", "traces"))
        .isEqualTo(10);
    assertThat(logs.list).anySatisfy(e -> {
      assertThat(e.getLevel().toString()).isEqualTo("ERROR");
      assertThat(e.getFormattedMessage()).contains("could not write 10 spans to its persistent queue in"
          + " 'file_storage'").contains("No space left on device");
    });

    disk.full.set(false);
    get(h.consume(numbered("a", 20, 10)));
    backend.up.set(true);
    await().atMost(WAIT).until(() -> backend.delivered.size() == 20);
    assertThat(backend.numbers()).containsExactlyElementsOf(java.util.stream.Stream.concat(range(0, 10).stream(),
        range(20, 30).stream()).toList());
  }

  @Test
  void aBatchIsAcknowledgedOnlyOnceItsWriteIsCommitted() throws Exception {
    FileStorageExtension fs = storage(true);
    FullDisk disk = new FullDisk(fs);
    Backend backend = new Backend(false);
    ExporterHelper h = started(builder(disk, backend).queue(queue(1, 1000, "requests")));

    disk.slow.set(true);
    Future<Void> ack = h.consume(numbered("a", 0, 10));
    await().during(Duration.ofMillis(200)).atMost(WAIT).until(() -> !ack.isComplete());
    assertThat(counter("sluice_exporter_queue_persisted_items_total", "component_id", "otlp/pq", "signal", "traces"))
        .isZero();

    disk.release();
    get(ack);
    assertThat(counter("sluice_exporter_queue_persisted_items_total", "component_id", "otlp/pq", "signal", "traces"))
        .isEqualTo(10);
  }

  /**
   * The file_storage extension whose writes fail, while {@link #full}, as MVStore's do on a full
   * disk: an {@code MVStoreException} caused by the {@code IOException} "No space left on device".
   * Only writes fail; reads and removals of what is there work.
   */
  static final class FullDisk implements StorageExtension {
    final AtomicBoolean full = new AtomicBoolean();
    /** While set, writes wait (before reaching the store) until it is cleared. */
    final AtomicBoolean slow = new AtomicBoolean();
    private final List<Runnable> held = new CopyOnWriteArrayList<>();
    private final FileStorageExtension real;

    FullDisk(FileStorageExtension real) {
      this.real = real;
    }

    @Override
    public Future<StorageClient> client(ComponentKind kind, ComponentId id, Signal signal) {
      return real.client(kind, id, signal).map(c -> new StorageClient() {
        @Override
        public Future<byte[]> get(String key) {
          return c.get(key);
        }

        @Override
        public Future<Void> set(String key, byte[] value) {
          return write(List.of(Write.set(key, value)));
        }

        @Override
        public Future<Void> delete(String key) {
          return c.delete(key);
        }

        @Override
        public Future<Void> write(List<Write> writes) {
          if (slow.get()) {
            // Goes on later on the caller's context, where the client answers, as it would now.
            io.vertx.core.internal.ContextInternal caller = io.vertx.core.internal.ContextInternal.current();
            io.vertx.core.Promise<Void> p = caller.promise();
            held.add(() -> caller.runOnContext(v -> c.write(writes).onComplete(p)));
            return p.future();
          }
          if (full.get() && writes.stream().anyMatch(w -> !w.isDelete())) {
            // As MVStore reports it: the IOException of the write is the last argument, its cause.
            return Future.failedFuture(DataUtils.newMVStoreException(DataUtils.ERROR_WRITING_FAILED,
                "Writing to {0} failed; length {1} at {2}", "exporter_otlp_pq.mvstore", 8192, 1970176,
                new IOException("No space left on device")));
          }
          return c.write(writes);
        }

        @Override
        public Future<List<Entry>> range(String from, String to, int limit) {
          return c.range(from, to, limit);
        }

        @Override
        public Future<String> lastKey() {
          return c.lastKey();
        }

        @Override
        public Future<Void> close() {
          return c.close();
        }
      });
    }

    /** Lets the writes that waited go on, in order. */
    void release() {
      slow.set(false);
      List<Runnable> all = List.copyOf(held);
      held.clear();
      all.forEach(Runnable::run);
    }

    @Override
    public Future<Void> start() {
      return Future.succeededFuture();
    }

    @Override
    public Future<Void> shutdown() {
      return Future.succeededFuture();
    }
  }

  // ---------------------------------------------------------------- lifecycle

  @Test
  void shutdownWhileTheBackendIsDownIsPromptAndLeavesEverythingForTheNextStart() throws Exception {
    FileStorageExtension fs = storage(false);
    Backend down = new Backend(false);
    ExporterHelper h = started(builder(fs, down).queue(queue(4, 1000, "requests")));
    for (int i = 0; i < 10; i++) {
      get(h.consume(numbered("a", i * 10, 10)));
    }
    await().atMost(WAIT).until(() -> down.calls.get() >= 8); // requests in flight and between attempts

    long t0 = System.nanoTime();
    get(h.shutdown());
    assertThat(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0)).as("shutdown ms").isLessThan(5_000);

    Backend up = new Backend(true);
    ExporterHelper again = started(builder(fs, up).queue(queue(4, 1000, "requests")));
    await().atMost(WAIT).until(() -> up.delivered.size() == 100);
    assertThat(up.numbers()).containsExactlyInAnyOrderElementsOf(range(0, 100));
    assertThat(again.queueSize()).isZero();
  }

  @Test
  void aStartFailsNamingTheKeyWhenTheStorageExtensionIsNotRunning() throws Exception {
    ComponentContext ctx = new ComponentContext(EXPORTER, ComponentKind.EXPORTER, "", tv.vertx(), metrics,
        TestContexts.hostWith(Map.of()));
    ExporterHelper h = ExporterHelper.builder(ctx, new Backend(true)).queue(queue(1, 10, "requests")).build();

    Throwable err = failure(h.start());

    assertThat(err).hasMessageContaining("exporters.otlp/pq.sending_queue.storage")
        .hasMessageContaining("\"file_storage\" is not running");
    get(h.shutdown());
  }

  @Test
  void recordsOfAllThreeSignalsComeBackAsTheyWere() throws Exception {
    FileStorageExtension fs = storage(false);
    List<Batch> sent = List.of(io.sluice.core.testkit.TestData.traces(3, 1), io.sluice.core.testkit.TestData.metrics(
        2, 2), io.sluice.core.testkit.TestData.logs(4, 3));
    ExporterHelper h = started(builder(fs, b -> Future.failedFuture(new RetryableException("down")))
        .queue(queue(1, 1000, "requests")));
    for (Batch b : sent) {
      get(h.consume(b));
    }
    get(h.shutdown());

    List<Batch> got = new CopyOnWriteArrayList<>();
    started(builder(fs, b -> {
      got.add(b);
      return Future.succeededFuture();
    }).queue(queue(1, 1000, "requests")));

    await().atMost(WAIT).until(() -> got.size() == 3);
    Map<Signal, List<?>> bySignal = new HashMap<>();
    for (Batch b : got) {
      bySignal.put(b.signal(), b.resources());
      assertThat(b.envelope().tenant()).isEqualTo("");
    }
    for (Batch b : sent) {
      assertThat(bySignal.get(b.signal())).as(b.signal().toString()).isEqualTo(b.resources());
    }
  }
}
