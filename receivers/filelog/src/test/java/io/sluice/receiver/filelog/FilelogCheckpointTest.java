package io.sluice.receiver.filelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.storage.StorageClient;
import io.sluice.core.storage.StorageExtension;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.extension.filestorage.FileStorageExtensionFactory;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Checkpoints through a file_storage extension: written only after acknowledgement, resumed after a restart. */
class FilelogCheckpointTest {
  @TempDir Path dir;
  @TempDir Path storageDir;
  private final Harness h = new Harness();

  @BeforeEach
  void setUp() throws Exception {
    addStorage(h);
  }

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private void addStorage(Harness harness) throws Exception {
    addStorage(harness, storageDir);
  }

  /** Starts a file_storage extension keeping its files in {@code storageDir} and adds it to {@code harness}. */
  static void addStorage(Harness harness, Path storageDir) throws Exception {
    FileStorageExtensionFactory f = new FileStorageExtensionFactory();
    var config = io.sluice.core.config.ConfigLoader.bindComponent(f, "directory: " + storageDir);
    StorageExtension ext = (StorageExtension) f.create(harness.context(ComponentKind.EXTENSION, "file_storage"),
        config);
    Harness.await(ext.start());
    harness.extensions.put(ComponentId.parse("file_storage"), ext);
  }

  private String yaml() {
    return "include: [\"" + dir + "/*.log\"]\nstart_at: beginning\npoll_interval: 20ms\nstorage: file_storage\n"
        + "retry_on_failure: {enabled: true, initial_interval: 20ms, max_interval: 50ms, max_elapsed_time: 0s}";
  }

  /** The checkpointed offset of the one file there is, or -1 when none was written. */
  private long checkpointedOffset(Harness harness) throws Exception {
    StorageExtension ext = (StorageExtension) harness.extensions.get(ComponentId.parse("file_storage"));
    StorageClient c = Harness.await(ext.client(ComponentKind.RECEIVER, ComponentId.parse("filelog"), Signal.LOGS));
    List<StorageClient.Entry> entries = Harness.await(c.range("file/", "file0", 0));
    return entries.isEmpty() ? -1 : FileState.fromCheckpoint(0, entries.get(0).value()).offset;
  }

  @Test
  void aRestartResumesAtTheLastAcknowledgedOffsetWithAtMostOneBatchAgain() throws Exception {
    List<String> all = FilelogRotationTest.lines("r", 0, 5 * Tailer.MAX_BATCH_ENTRIES);
    FilelogRotationTest.append(dir.resolve("app.log"), all);
    AtomicInteger acked = new AtomicInteger();
    // Acknowledge two batches, then hold the third for ever, as a process killed mid-flight would.
    h.answer = b -> acked.incrementAndGet() <= 2 ? Future.succeededFuture() : Promise.<Void>promise().future();
    h.start(yaml());
    await().atMost(Duration.ofSeconds(20)).until(() -> h.attempts.size() == 3);
    int firstRun = h.delivered.size();
    assertThat(firstRun).isEqualTo(2 * Tailer.MAX_BATCH_ENTRIES);
    long offset = checkpointedOffset(h);
    assertThat(offset).isPositive().isLessThan(Files.size(dir.resolve("app.log")));
    List<String> before = h.lines();
    // Abandon the stuck receiver without its shutdown (no more polls happen while it waits).
    for (var e : h.extensions.values()) {
      Harness.await(e.shutdown());
    }

    Harness second = new Harness();
    try {
      addStorage(second);
      second.start(yaml());
      await().atMost(Duration.ofSeconds(30)).until(() -> second.delivered.size() >= all.size() - firstRun);
      await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5))
          .until(() -> second.delivered.size() == all.size() - firstRun);
      Set<String> union = new HashSet<>(before);
      union.addAll(second.lines());
      assertThat(union).hasSize(all.size());
      assertThat(before.size() + second.delivered.size() - all.size()).as("lines delivered twice")
          .isLessThanOrEqualTo(Tailer.MAX_BATCH_ENTRIES);
    } finally {
      second.close();
    }
  }

  @Test
  void whileThePipelineRefusesReadingPausesAndTheCheckpointStaysThenEverythingArrives() throws Exception {
    List<String> all = FilelogRotationTest.lines("bp", 0, 3 * Tailer.MAX_BATCH_ENTRIES);
    FilelogRotationTest.append(dir.resolve("app.log"), all);
    AtomicInteger calls = new AtomicInteger();
    java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean(true);
    h.answer = b -> {
      calls.incrementAndGet();
      return failing.get() ? Future.failedFuture(new RetryableException("exporter queue full"))
          : Future.succeededFuture();
    };
    h.start(yaml());

    await().atMost(Duration.ofSeconds(10)).until(() -> calls.get() >= 5);
    assertThat(h.delivered).isEmpty();
    // Only the first batch was read and it is sent again; the checkpoint is still the start of the file.
    assertThat(h.attempts).allMatch(b -> b == h.attempts.get(0));
    assertThat(h.attempts.get(0).itemCount()).isEqualTo(Tailer.MAX_BATCH_ENTRIES);
    assertThat(checkpointedOffset(h)).isIn(-1L, 0L);
    failing.set(false);

    h.awaitExactly(all);
    int refusedAttempts = (int) h.attempts.stream().filter(b -> b == h.attempts.get(0)).count() - 1;
    assertThat(SelfMetricsReader.counter(h.metrics, "sluice_receiver_refused_items", "component_id", "filelog"))
        .isEqualTo((double) refusedAttempts * Tailer.MAX_BATCH_ENTRIES);
    assertThat(SelfMetricsReader.counter(h.metrics, "sluice_receiver_accepted_items", "component_id", "filelog"))
        .isEqualTo(all.size());
    await().until(() -> checkpointedOffset(h) == Files.size(dir.resolve("app.log")));
  }

  /** The {@code log.file.record_number} of each delivered record, in delivery order. */
  static List<Long> recordNumbers(List<io.opentelemetry.proto.logs.v1.LogRecord> records) {
    return records.stream().map(r -> r.getAttributesList().stream()
        .filter(kv -> kv.getKey().equals("log.file.record_number")).findFirst()
        .orElseThrow(() -> new AssertionError("no log.file.record_number on " + r)).getValue().getIntValue())
        .toList();
  }

  @Test
  void recordNumbersCountOnAcrossARestartAndARotationAndStartAgainInANewFile() throws Exception {
    Path log = dir.resolve("app.log");
    FilelogRotationTest.append(log, FilelogRotationTest.lines("n", 0, 10));
    String yaml = yaml() + "\ninclude_file_record_number: true";
    FilelogReceiver r = h.start(yaml);
    h.awaitExactly(FilelogRotationTest.lines("n", 0, 10));
    assertThat(recordNumbers(h.delivered)).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L, 10L);
    h.stop(r);
    for (var e : h.extensions.values()) {
      Harness.await(e.shutdown());
    }
    h.extensions.clear();

    FilelogRotationTest.append(log, FilelogRotationTest.lines("n", 10, 13));
    Harness second = new Harness();
    try {
      addStorage(second);
      second.start(yaml);
      second.awaitExactly(FilelogRotationTest.lines("n", 10, 13));
      assertThat(recordNumbers(second.delivered)).as("counted on from the checkpoint").containsExactly(11L, 12L, 13L);

      // Rename and create: the renamed file is followed and counts on, the new one counts from 1.
      FilelogRotationTest.append(log, FilelogRotationTest.lines("n", 13, 15));
      Files.move(log, dir.resolve("app.log.1"));
      FilelogRotationTest.append(log, FilelogRotationTest.lines("fresh", 0, 2));
      second.awaitExactly(List.of("n line 10", "n line 11", "n line 12", "n line 13", "n line 14", "fresh line 0",
          "fresh line 1"));
      Map<String, Long> numbers = new java.util.HashMap<>();
      List<Long> all = recordNumbers(second.delivered);
      for (int i = 0; i < all.size(); i++) {
        numbers.put(second.delivered.get(i).getBody().getStringValue(), all.get(i));
      }
      assertThat(numbers).containsEntry("n line 13", 14L).containsEntry("n line 14", 15L)
          .containsEntry("fresh line 0", 1L).containsEntry("fresh line 1", 2L);
    } finally {
      second.close();
    }
  }

  @Test
  void deleteAfterReadDeletesPlainAndCompressedFilesOnlyOnceAcknowledgedThenDropsTheirCheckpoints()
      throws Exception {
    Path plain = dir.resolve("batch.log");
    FilelogRotationTest.append(plain, FilelogRotationTest.lines("plain", 0, 5));
    Path zipped = dir.resolve("old.log.gz");
    try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(zipped))) {
      for (String l : FilelogRotationTest.lines("zipped", 0, 5)) {
        out.write((l + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8));
      }
    }
    java.util.concurrent.atomic.AtomicBoolean failing = new java.util.concurrent.atomic.AtomicBoolean(true);
    h.answer = b -> failing.get() ? Future.failedFuture(new RetryableException("exporter down"))
        : Future.succeededFuture();
    h.start("include: [\"" + dir + "/*.log\", \"" + dir + "/*.log.gz\"]\nstart_at: beginning\n"
        + "poll_interval: 20ms\nstorage: file_storage\ndelete_after_read: true\n"
        + "retry_on_failure: {enabled: true, initial_interval: 20ms, max_interval: 50ms, max_elapsed_time: 0s}");

    await().atMost(Duration.ofSeconds(10)).until(() -> h.attempts.size() >= 5);
    assertThat(plain).as("not deleted while its lines are not acknowledged").exists();
    assertThat(zipped).as("not deleted while its lines are not acknowledged").exists();
    failing.set(false);

    List<String> all = new java.util.ArrayList<>(FilelogRotationTest.lines("plain", 0, 5));
    all.addAll(FilelogRotationTest.lines("zipped", 0, 5));
    h.awaitExactly(all);
    await().atMost(Duration.ofSeconds(10)).until(() -> !Files.exists(plain) && !Files.exists(zipped));
    StorageExtension ext = (StorageExtension) h.extensions.get(ComponentId.parse("file_storage"));
    StorageClient c = Harness.await(ext.client(ComponentKind.RECEIVER, ComponentId.parse("filelog"), Signal.LOGS));
    await().atMost(Duration.ofSeconds(10)).until(() -> Harness.await(c.range("file/", "file0", 0)).isEmpty());
  }

  @Test
  void aPermanentRefusalDropsTheBatchAndReadingGoesOn() throws Exception {
    FilelogRotationTest.append(dir.resolve("app.log"), FilelogRotationTest.lines("p", 0, 10));
    AtomicInteger calls = new AtomicInteger();
    h.answer = b -> calls.incrementAndGet() == 1
        ? Future.failedFuture(new io.sluice.core.PermanentException("bad data")) : Future.succeededFuture();
    h.start(yaml());
    await().until(() -> checkpointedOffset(h) == Files.size(dir.resolve("app.log")));

    FilelogRotationTest.append(dir.resolve("app.log"), FilelogRotationTest.lines("p", 10, 20));
    h.awaitExactly(FilelogRotationTest.lines("p", 10, 20));
  }

  @Test
  void aStorageIdThatIsNotRunningFailsTheStartNamingTheKey() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> h.start("include: [\"" + dir
        + "/*.log\"]\nstorage: file_storage/other")).hasMessageContaining("receivers.filelog.storage")
        .hasMessageContaining("file_storage/other");
  }
}
