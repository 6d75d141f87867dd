package io.sluice.receiver.filelog;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code acquire_fs_lock}: a file another process holds an exclusive lock on is not read until
 * the lock is gone. The other process is a second JVM locking the file the way a Java or
 * {@code fcntl}/{@code lockf} writer does.
 */
class FilelogLockTest {
  @TempDir Path dir;
  private final Harness h = new Harness();
  private Process holder;

  @AfterEach
  void tearDown() throws Exception {
    if (holder != null) {
      holder.destroyForcibly().waitFor();
    }
    h.close();
  }

  /** Run in the second JVM: locks the file given exclusively, says so, and holds the lock until stdin ends. */
  public static final class LockHolder {
    public static void main(String[] args) throws Exception {
      try (FileChannel ch = FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, StandardOpenOption.WRITE);
          var lock = ch.lock()) {
        System.out.println("locked");
        System.out.flush();
        while (System.in.read() >= 0) {
          // hold the lock until the test closes our stdin
        }
      }
    }
  }

  private void lockInAnotherProcess(Path file) throws Exception {
    String java = ProcessHandle.current().info().command()
        .orElseThrow(() -> new AssertionError("the path of this JVM's java binary is not known"));
    holder = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), LockHolder.class.getName(),
        file.toString()).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
    assertThat(out.readLine()).as("the lock holder's answer").isEqualTo("locked");
  }

  /** Waits until {@code r} polled {@code n} more times: the locked file was looked at and left. */
  private void awaitMorePolls(FilelogReceiver r, int n) throws Exception {
    long start = polls(r);
    Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> polls(r) >= start + n);
  }

  private long polls(FilelogReceiver r) throws Exception {
    return h.tv.vertx().executeBlocking(() -> r.tailerForTest().polls()).toCompletionStage().toCompletableFuture()
        .get();
  }

  @Test
  void aFileLockedByAnotherProcessIsReadOnceTheLockIsReleased() throws Exception {
    Path log = dir.resolve("app.log");
    FilelogRotationTest.append(log, List.of("written under a lock", "second"));
    lockInAnotherProcess(log);
    FilelogRotationTest.append(dir.resolve("free.log"), List.of("unlocked file"));
    FilelogReceiver r = h.start(Harness.yaml(dir, "*.log", "acquire_fs_lock: true"));

    h.awaitExactly(List.of("unlocked file"));
    awaitMorePolls(r, 5);
    assertThat(h.lines()).as("nothing of the locked file while it is locked").containsExactly("unlocked file");

    holder.getOutputStream().close();
    assertThat(holder.waitFor()).isZero();
    h.awaitExactly(List.of("unlocked file", "written under a lock", "second"));
  }

  @Test
  void aLockedCompressedFileIsReadOnceTheLockIsReleased() throws Exception {
    Path gz = dir.resolve("old.log.gz");
    try (java.io.OutputStream out = new java.util.zip.GZIPOutputStream(java.nio.file.Files.newOutputStream(gz))) {
      out.write("zipped under a lock\n".getBytes(StandardCharsets.UTF_8));
    }
    lockInAnotherProcess(gz);
    FilelogReceiver r = h.start(Harness.yaml(dir, "*.log.gz", "acquire_fs_lock: true"));
    awaitMorePolls(r, 5);
    assertThat(h.delivered).as("nothing of the locked file while it is locked").isEmpty();

    holder.getOutputStream().close();
    assertThat(holder.waitFor()).isZero();
    h.awaitExactly(List.of("zipped under a lock"));
  }

  @Test
  void withoutAcquireFsLockALockedFileIsReadAnyway() throws Exception {
    Path log = dir.resolve("app.log");
    FilelogRotationTest.append(log, List.of("read despite the lock"));
    lockInAnotherProcess(log);
    h.start(Harness.yaml(dir, "*.log"));
    h.awaitExactly(List.of("read despite the lock"));
  }
}
