package io.sluice.receiver.filelog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.common.v1.KeyValue;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real files in a temporary directory, rotated the ways log rotation does it. */
class FilelogRotationTest {
  @TempDir Path dir;
  private final Harness h = new Harness();

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private String yaml(String include, String... more) {
    return "include: [\"" + dir + "/" + include + "\"]\nstart_at: beginning\npoll_interval: 20ms\n"
        + "force_flush_period: 100ms\n" + String.join("\n", more);
  }

  static List<String> lines(String prefix, int from, int to) {
    List<String> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(prefix + " line " + i);
    }
    return out;
  }

  static void append(Path file, List<String> lines) throws IOException {
    StringBuilder sb = new StringBuilder();
    lines.forEach(l -> sb.append(l).append('\n'));
    Files.writeString(file, sb, UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
  }

  private static List<String> concat(List<List<String>> parts) {
    return parts.stream().flatMap(List::stream).collect(Collectors.toList());
  }

  @Test
  void readsEveryLineWithTheFileNameAttribute() throws Exception {
    Path log = dir.resolve("app.log");
    append(log, lines("a", 0, 100));
    h.start(yaml("*.log", "include_file_path: true", "include_file_owner_name: true",
        "include_file_owner_group_name: true"));

    h.awaitExactly(lines("a", 0, 100));
    Map<String, String> attrs = h.delivered.get(0).getAttributesList().stream()
        .collect(Collectors.toMap(KeyValue::getKey, kv -> kv.getValue().getStringValue()));
    assertThat(attrs).containsEntry("log.file.name", "app.log").containsEntry("log.file.path", log.toString())
        .containsEntry("log.file.owner.name", Files.getOwner(log).getName())
        .containsKey("log.file.owner.group.name");
    assertThat(h.delivered.get(0).getObservedTimeUnixNano()).isPositive();
    assertThat(h.delivered.get(0).getTimeUnixNano()).isZero();
  }

  @Test
  void startAtEndSkipsWhatIsThereAtTheFirstPollButReadsNewFilesWhole() throws Exception {
    Path log = dir.resolve("app.log");
    append(log, lines("old", 0, 10));
    FilelogReceiver r = h.start("include: [\"" + dir + "/*.log\"]\npoll_interval: 20ms");
    await().atMost(Duration.ofSeconds(10)).until(() -> !r.tailerForTest().offsetsForTest().isEmpty());

    append(log, lines("new", 0, 10));
    append(dir.resolve("later.log"), lines("later", 0, 5));

    h.awaitExactly(concat(List.of(lines("new", 0, 10), lines("later", 0, 5))));
  }

  @Test
  void renameAndCreateFollowsTheRenamedFileToItsEndAndReadsTheNewOneFromItsStart() throws Exception {
    Path log = dir.resolve("app.log");
    append(log, lines("first", 0, 100));
    h.start(yaml("app.log"));
    h.awaitExactly(lines("first", 0, 100));

    append(log, lines("first", 100, 150));
    Files.move(log, dir.resolve("app.log.1"));
    append(dir.resolve("app.log.1"), lines("first", 150, 160)); // the writer still had it open
    append(log, lines("second", 0, 100));

    h.awaitExactly(concat(List.of(lines("first", 0, 160), lines("second", 0, 100))));
  }

  @Test
  void copytruncateReadsTheTruncatedFileAgainFromItsStart() throws Exception {
    Path log = dir.resolve("app.log");
    append(log, lines("before", 0, 50));
    h.start(yaml("app.log"));
    h.awaitExactly(lines("before", 0, 50));

    Files.copy(log, dir.resolve("app.log.1"));
    try (FileChannel ch = FileChannel.open(log, StandardOpenOption.WRITE)) {
      ch.truncate(0);
    }
    append(log, lines("after", 0, 30));

    h.awaitExactly(concat(List.of(lines("before", 0, 50), lines("after", 0, 30))));
  }

  @Test
  void aFileDeletedWhileOpenIsReadToItsEndAndTheRecreatedOneFromItsStart() throws Exception {
    Path log = dir.resolve("app.log");
    append(log, lines("gone", 0, 20));
    h.start(yaml("app.log"));
    h.awaitExactly(lines("gone", 0, 20));

    append(log, lines("gone", 20, 40));
    Files.delete(log);
    append(log, lines("fresh", 0, 20));

    h.awaitExactly(concat(List.of(lines("gone", 0, 40), lines("fresh", 0, 20))));
  }

  @Test
  void aBurstOfRotationsWithinOnePollLosesAndRepeatsNothing() throws Exception {
    Path log = dir.resolve("app.log");
    append(log, lines("gen0", 0, 10));
    h.start("include: [\"" + dir + "/app.log*\"]\nstart_at: beginning\npoll_interval: 1s\nforce_flush_period: 100ms");
    h.awaitExactly(lines("gen0", 0, 10));

    List<List<String>> expected = new ArrayList<>();
    expected.add(lines("gen0", 0, 10));
    for (int gen = 1; gen <= 5; gen++) {
      for (int k = 5; k >= 1; k--) {
        Path older = dir.resolve("app.log." + k);
        if (Files.exists(older)) {
          Files.move(older, dir.resolve("app.log." + (k + 1)), StandardCopyOption.REPLACE_EXISTING);
        }
      }
      Files.move(log, dir.resolve("app.log.1"));
      append(log, lines("gen" + gen, 0, 10));
      expected.add(lines("gen" + gen, 0, 10));
    }

    h.awaitExactly(concat(expected));
  }

  @Test
  void aFileGrowingWhileReadIsReadExactlyOnce() throws Exception {
    Path log = dir.resolve("app.log");
    h.start(yaml("app.log"));
    List<String> all = lines("grow", 0, 20_000);
    Thread writer = new Thread(() -> {
      try (OutputStream out = Files.newOutputStream(log, StandardOpenOption.CREATE, StandardOpenOption.APPEND)) {
        for (String l : all) {
          out.write((l + "\n").getBytes(UTF_8));
          out.flush();
        }
      } catch (IOException e) {
        throw new RuntimeException(e);
      }
    });
    writer.start();
    writer.join();

    h.awaitExactly(all);
  }

  @Test
  void aSymlinkSwappedToAnotherFileReadsBothOnce() throws Exception {
    Path a = dir.resolve("a.log.data");
    Path b = dir.resolve("b.log.data");
    Path link = dir.resolve("current.log");
    append(a, lines("a", 0, 20));
    Files.createSymbolicLink(link, a);
    h.start(yaml("current.log", "include_file_name_resolved: true"));
    h.awaitExactly(lines("a", 0, 20));

    append(b, lines("b", 0, 20));
    Path tmp = dir.resolve("current.tmp");
    Files.createSymbolicLink(tmp, b);
    Files.move(tmp, link, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    append(a, lines("a", 20, 25)); // written to the old target before it is let go

    h.awaitExactly(concat(List.of(lines("a", 0, 25), lines("b", 0, 20))));
    assertThat(h.delivered.get(h.delivered.size() - 1).getAttributesList())
        .anyMatch(kv -> kv.getKey().equals("log.file.name_resolved"));
  }

  @Test
  void aThousandFilesAreReadWithBoundedDescriptors() throws Exception {
    List<String> expected = new ArrayList<>();
    for (int f = 0; f < 1000; f++) {
      List<String> ls = lines("file" + f, 0, 10);
      append(dir.resolve("f" + f + ".log"), ls);
      expected.addAll(ls);
    }
    FilelogReceiver r = h.start(yaml("*.log", "max_concurrent_files: 64"));

    h.awaitExactly(expected);
    int most = h.tv.vertx().executeBlocking(() -> r.tailerForTest().mostOpenChannels()).toCompletionStage()
        .toCompletableFuture().get();
    assertThat(most).isLessThanOrEqualTo(64);
  }

  @Test
  void compressedFilesAreSkippedUnlessTheGlobNamesThem() throws Exception {
    append(dir.resolve("app.log"), lines("plain", 0, 5));
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(dir.resolve("old.log.gz")))) {
      for (String l : lines("zipped", 0, 5)) {
        out.write((l + "\n").getBytes(UTF_8));
      }
    }
    FilelogReceiver r = h.start(yaml("*.log*"));
    h.awaitExactly(lines("plain", 0, 5));
    h.stop(r);
    h.delivered.clear();

    h.start(yaml("*.log.gz"));
    h.awaitExactly(lines("zipped", 0, 5));
  }
}
