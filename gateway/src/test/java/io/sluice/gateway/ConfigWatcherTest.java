package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --watch-config}: which file events reload, and how often. */
class ConfigWatcherTest {
  @TempDir Path dir;

  @Test
  void aBurstOfEditsIsOneReloadAndOtherFilesOrUnchangedContentsAreNone() throws Exception {
    Path config = GatewayFixtures.writeConfig(dir, "sluice.yaml", "a: 1\n");
    AtomicInteger reloads = new AtomicInteger();
    try (ConfigWatcher w = ConfigWatcher.start(List.of(config), reloads::incrementAndGet)) {
      // Several writes in quick succession, as an editor's save may do: one reload after they settle.
      for (int i = 2; i <= 5; i++) {
        GatewayFixtures.writeConfig(dir, "sluice.yaml", "a: " + i + "\n");
      }
      await("one reload after the burst").atMost(Duration.ofSeconds(10)).until(() -> reloads.get() == 1);

      // A log written beside the config, and a rewrite with the same contents: no reload.
      Path log = dir.resolve("gateway.log");
      Duration quiet = ConfigWatcher.DEBOUNCE.multipliedBy(3);
      GatewayFixtures.writeConfig(dir, "sluice.yaml", "a: 5\n");
      await().during(quiet).atMost(quiet.plusSeconds(5)).until(() -> {
        Files.writeString(log, "line\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        return reloads.get() == 1;
      });

      // The log keeps being written while the config changes: the change still reloads.
      GatewayFixtures.writeConfig(dir, "sluice.yaml", "a: 6\n");
      await("a reload while another file is busy").atMost(Duration.ofSeconds(10)).until(() -> {
        Files.writeString(log, "busy\n", StandardOpenOption.APPEND);
        return reloads.get() == 2;
      });
    }
  }
}
