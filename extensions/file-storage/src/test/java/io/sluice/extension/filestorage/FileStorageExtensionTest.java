package io.sluice.extension.filestorage;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Signal;
import io.sluice.core.storage.StorageClient;
import io.sluice.core.storage.StorageClient.Entry;
import io.sluice.core.storage.StorageClient.Write;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileStorageExtensionTest {
  private static final ComponentId FILELOG = ComponentId.parse("filelog/app");

  @TempDir Path dir;
  private TestVertx tv;
  private SelfMetrics metrics;
  private final List<FileStorageExtension> extensions = new ArrayList<>();

  @BeforeEach
  void setUp() {
    tv = TestVertx.create();
    metrics = new SelfMetrics();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (FileStorageExtension e : extensions) {
      await(e.shutdown());
    }
    tv.close();
  }

  private FileStorageExtension extension(FileStorageConfig config) throws Exception {
    ComponentContext ctx = TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, "file_storage", metrics);
    FileStorageExtension e = new FileStorageExtension(ctx, config);
    extensions.add(e);
    await(e.start());
    return e;
  }

  private FileStorageConfig config() {
    FileStorageConfig d = FileStorageConfig.defaults();
    return new FileStorageConfig(dir.toString(), d.timeout(), true, false, d.directoryPermissions(), false,
        d.compaction());
  }

  private StorageClient client(FileStorageExtension e) throws Exception {
    return await(e.client(ComponentKind.RECEIVER, FILELOG, Signal.LOGS));
  }

  static <T> T await(Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  private static List<String> keys(List<Entry> entries) {
    return entries.stream().map(Entry::key).toList();
  }

  @Test
  void setsGetsAndDeletesValues() throws Exception {
    StorageClient c = client(extension(config()));

    await(c.set("a", b("1")));
    assertThat(await(c.get("a"))).isEqualTo(b("1"));
    await(c.set("a", b("2")));
    assertThat(await(c.get("a"))).isEqualTo(b("2"));
    await(c.delete("a"));
    assertThat(await(c.get("a"))).isNull();
    await(c.delete("never-there"));
  }

  @Test
  void rangeReadsReturnKeysInOrderWithinBoundsAndLimit() throws Exception {
    StorageClient c = client(extension(config()));
    List<Write> writes = new ArrayList<>();
    for (int i : new int[] {5, 1, 9, 3, 7, 0, 2}) {
      writes.add(Write.set(String.format("q/%020d", i), b("v" + i)));
    }
    writes.add(Write.set("other", b("x")));
    await(c.write(writes));

    assertThat(keys(await(c.range("q/", "q0", 0)))).containsExactly(
        "q/00000000000000000000", "q/00000000000000000001", "q/00000000000000000002", "q/00000000000000000003",
        "q/00000000000000000005", "q/00000000000000000007", "q/00000000000000000009");
    assertThat(keys(await(c.range(String.format("q/%020d", 3), String.format("q/%020d", 9), 2))))
        .containsExactly("q/00000000000000000003", "q/00000000000000000005");
    assertThat(await(c.range(null, null, 0))).hasSize(8);
    assertThat(await(c.range("q/", "q0", 1)).get(0).value()).isEqualTo(b("v0"));
    assertThat(await(c.lastKey())).isEqualTo("q/00000000000000000009");
  }

  @Test
  void aBatchAppliesSetsAndDeletesTogether() throws Exception {
    StorageClient c = client(extension(config()));
    await(c.set("old", b("x")));

    await(c.write(List.of(Write.set("k1", b("1")), Write.delete("old"), Write.set("k2", b("2")))));

    assertThat(keys(await(c.range(null, null, 0)))).containsExactly("k1", "k2");
  }

  @Test
  void stateIsThereAfterCloseAndReopen() throws Exception {
    FileStorageExtension first = extension(config());
    StorageClient c = client(first);
    await(c.write(IntStream.range(0, 500).mapToObj(i -> Write.set(String.format("%05d", i), b("v" + i))).toList()));
    await(c.close());
    assertThatThrownBy(() -> await(c.get("00001"))).hasMessageContaining("is closed");
    await(first.shutdown());

    StorageClient again = client(extension(config()));
    List<Entry> all = await(again.range(null, null, 0));
    assertThat(all).hasSize(500);
    assertThat(all.get(499).value()).isEqualTo(b("v499"));
  }

  @Test
  void clientsOfDifferentComponentsAndSignalsUseSeparateFiles() throws Exception {
    FileStorageExtension e = extension(config());
    StorageClient logs = client(e);
    StorageClient other = await(e.client(ComponentKind.EXPORTER, ComponentId.parse("otlp"), null));
    await(logs.set("k", b("logs")));
    await(other.set("k", b("otlp")));

    assertThat(await(logs.get("k"))).isEqualTo(b("logs"));
    assertThat(await(other.get("k"))).isEqualTo(b("otlp"));
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .containsExactlyInAnyOrder("receiver_filelog_app_logs.mvstore", "exporter_otlp.mvstore");
    }
  }

  @Test
  void aGarbageFileIsMovedAsideCountedAndReplacedWithoutFailingTheStart() throws Exception {
    Path file = dir.resolve("receiver_filelog_app_logs.mvstore");
    byte[] garbage = new byte[64 * 1024];
    new java.util.Random(7).nextBytes(garbage);
    Files.write(file, garbage);

    StorageClient c = client(extension(config()));

    assertThat(await(c.range(null, null, 0))).isEmpty();
    await(c.set("k", b("v")));
    assertThat(await(c.get("k"))).isEqualTo(b("v"));
    assertThat(SelfMetricsReader.counter(metrics, "sluice_extension_storage_corrupt_files",
        "component_id", "file_storage")).isEqualTo(1);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()))
          .anyMatch(n -> n.startsWith("receiver_filelog_app_logs.mvstore.corrupt-"));
    }
  }

  @Test
  void aFileTornAtItsEndKeepsEveryEarlierBatchWhole() throws Exception {
    FileStorageExtension first = extension(config());
    StorageClient c = client(first);
    for (int batch = 0; batch < 5; batch++) {
      int n = batch;
      await(c.write(IntStream.range(0, 100).mapToObj(i -> Write.set("b" + n + "/" + String.format("%03d", i),
          b("value-" + n + "-" + i))).toList()));
    }
    long sizeBefore = Files.size(dir.resolve("receiver_filelog_app_logs.mvstore"));
    await(c.write(IntStream.range(0, 100).mapToObj(i -> Write.set("b5/" + String.format("%03d", i),
        b("x".repeat(200)))).toList()));
    await(first.shutdown());
    Path file = dir.resolve("receiver_filelog_app_logs.mvstore");
    // Tear the last write: cut the file in the middle of what the last batch added.
    long size = Files.size(file);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
      ch.truncate(sizeBefore + (size - sizeBefore) / 2);
    }

    StorageClient again = client(extension(config()));

    List<String> keys = keys(await(again.range(null, null, 0)));
    for (int batch = 0; batch < 5; batch++) {
      String prefix = "b" + batch + "/";
      assertThat(keys.stream().filter(k -> k.startsWith(prefix)).count()).as(prefix).isEqualTo(100L);
    }
    assertThat(keys.stream().filter(k -> k.startsWith("b5/")).count()).isIn(0L, 100L);
  }

  @Test
  void aWriteReportedDoneSurvivesTheStoreNeverBeingClosed() throws Exception {
    FileStorageExtension first = extension(config());
    StorageClient c = client(first);
    await(c.set("k", b("v")));
    // Simulate a killed process: drop the store without its closing commit.
    await(first.worker().executeBlocking(() -> {
      ((FileStorageClient) c).storeForTest().store.closeImmediately();
      return null;
    }));
    extensions.remove(first);

    assertThat(await(client(extension(config())).get("k"))).isEqualTo(b("v"));
  }

  @Test
  void aStoreThatAFailedWriteClosedIsOpenedAgainByTheNextCall() throws Exception {
    StorageClient c = client(extension(config()));
    await(c.set("before", b("1")));
    // MVStore closes a store whose write failed (a full disk); the client must not stay broken.
    await(((FileStorageClient) c).extensionForTest().worker().executeBlocking(() -> {
      ((FileStorageClient) c).storeForTest().store.closeImmediately();
      return null;
    }));

    await(c.set("after", b("2")));

    assertThat(await(c.get("before"))).isEqualTo(b("1"));
    assertThat(await(c.get("after"))).isEqualTo(b("2"));
  }

  @Test
  void aFileWrittenByAnEarlierBuildIsReadAndMovedToTheCurrentFormat() throws Exception {
    // Earlier builds kept the entries in the map "state" with MVStore's generic value type.
    org.h2.mvstore.MVStore old = new org.h2.mvstore.MVStore.Builder()
        .fileName(dir.resolve("receiver_filelog_app_logs.mvstore").toString()).autoCommitDisabled().open();
    org.h2.mvstore.MVMap<String, byte[]> state = old.openMap("state");
    state.put("a", b("1"));
    state.put("b", b("22"));
    old.commit();
    old.close();

    StorageClient c = client(extension(config()));

    assertThat(keys(await(c.range(null, null, 0)))).containsExactly("a", "b");
    assertThat(await(c.get("b"))).isEqualTo(b("22"));
    await(c.set("c", b("3")));
    assertThat(keys(await(c.range(null, null, 0)))).containsExactly("a", "b", "c");
  }

  @Test
  void startFailsNamingTheDirectoryWhenItIsMissingAndNotToBeCreated() {
    FileStorageConfig d = FileStorageConfig.defaults();
    Path missing = dir.resolve("missing/sub");
    FileStorageConfig c = new FileStorageConfig(missing.toString(), d.timeout(), false, false, "0750", false,
        d.compaction());

    assertThatThrownBy(() -> extension(c)).hasMessageContaining("extensions.file_storage.directory")
        .hasMessageContaining("create_directory: true");
  }

  @Test
  void createsTheDirectoryWithItsPermissionsWhenAsked() throws Exception {
    FileStorageConfig d = FileStorageConfig.defaults();
    Path missing = dir.resolve("missing/sub");
    FileStorageConfig c = new FileStorageConfig(missing.toString(), d.timeout(), false, true, "0750", false,
        new FileStorageConfig.Compaction(missing.toString(), true, true, 65536, 100, 10, Duration.ofMillis(50),
            false));

    StorageClient client = client(extension(c));
    await(client.set("k", b("v")));

    assertThat(Files.isDirectory(missing)).isTrue();
    assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(missing)))
        .isEqualTo("rwxr-x---");
  }

  @Test
  void recreateMovesTheOldFileAside() throws Exception {
    FileStorageExtension first = extension(config());
    await(client(first).set("k", b("v")));
    await(first.shutdown());
    FileStorageConfig d = config();
    FileStorageConfig recreate = new FileStorageConfig(d.directory(), d.timeout(), d.fsync(), false,
        d.directoryPermissions(), true, d.compaction());

    assertThat(await(client(extension(recreate)).get("k"))).isNull();
  }

  @Test
  void shutdownWorksWithoutStartAndTwice() throws Exception {
    ComponentContext ctx = TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, "file_storage", metrics);
    FileStorageExtension e = new FileStorageExtension(ctx, config());
    await(e.shutdown());
    await(e.shutdown());
    assertThatThrownBy(() -> await(e.client(ComponentKind.RECEIVER, FILELOG, Signal.LOGS)))
        .isInstanceOf(ExecutionException.class).hasMessageContaining("not running");
  }

  @Test
  void theFileNameSaysWhoseStateItIs() {
    assertThat(FileStorageExtension.fileName(ComponentKind.RECEIVER, ComponentId.parse("filelog"), Signal.LOGS))
        .isEqualTo("receiver_filelog_logs.mvstore");
    assertThat(FileStorageExtension.fileName(ComponentKind.EXPORTER, ComponentId.parse("otlp/a.b"), null))
        .isEqualTo("exporter_otlp_a.b.mvstore");
  }

  @Test
  void onReboundCompactsAFileThatGrewAndEmptiedAgain() throws Exception {
    FileStorageConfig d = config();
    FileStorageConfig c = new FileStorageConfig(d.directory(), d.timeout(), false, false, d.directoryPermissions(),
        false, new FileStorageConfig.Compaction(d.directory(), false, true, 65536, 1, 1, Duration.ofMillis(50), false));
    StorageClient client = client(extension(c));
    Path file = dir.resolve("receiver_filelog_app_logs.mvstore");
    byte[] big = new byte[100 * 1024];
    new java.util.Random(3).nextBytes(big);
    for (int i = 0; i < 40; i++) {
      await(client.set("k" + i, big));
    }
    long grown = Files.size(file);
    for (int i = 0; i < 40; i++) {
      await(client.delete("k" + i));
    }

    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(20))
        .until(() -> Files.size(file) < grown / 2);
  }

  @Test
  void compactionOnStartKeepsEveryEntryAndALeftoverCopyIsRemoved() throws Exception {
    FileStorageExtension first = extension(config());
    StorageClient c = client(first);
    await(c.write(IntStream.range(0, 300).mapToObj(i -> Write.set(String.format("%04d", i), b("v" + i))).toList()));
    await(c.write(IntStream.range(0, 200).mapToObj(i -> Write.delete(String.format("%04d", i))).toList()));
    await(first.shutdown());
    Path leftover = dir.resolve("receiver_filelog_app_logs.mvstore" + StoreFile.COMPACTING);
    Files.write(leftover, b("half a copy"));
    FileStorageConfig d = config();
    FileStorageConfig onStart = new FileStorageConfig(d.directory(), d.timeout(), true, false,
        d.directoryPermissions(), false, new FileStorageConfig.Compaction(d.directory(), true, false, 64, 100, 10,
            Duration.ofSeconds(5), false));

    List<Entry> all = await(client(extension(onStart)).range(null, null, 0));

    assertThat(keys(all)).hasSize(100).first().isEqualTo("0200");
    assertThat(Files.exists(leftover)).isFalse();
  }
}
