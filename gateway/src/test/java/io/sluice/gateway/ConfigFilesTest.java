package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.sluice.core.service.ServiceGraph;
import io.sluice.core.telemetry.SelfMetrics;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every ready configuration in the repository's {@code config/} directory loads, validates and
 * builds with this build's components, with none of the environment variables it references set
 * (their defaults apply).
 */
class ConfigFilesTest {
  /** {@code -Dsluice.config.dir}, else {@code ../config} from the gateway module. */
  static Path configDir() {
    String dir = System.getProperty("sluice.config.dir");
    return (dir == null || dir.isBlank() ? Path.of("..", "config") : Path.of(dir)).toAbsolutePath().normalize();
  }

  static List<Path> yamlFiles() throws IOException {
    Path dir = configDir();
    if (!Files.isDirectory(dir)) {
      fail("The config directory " + dir + " does not exist; set -Dsluice.config.dir to the repository's config/");
    }
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().endsWith(".yaml") && Files.isRegularFile(p))
          .sorted().toList();
    }
  }

  @Test
  void theConfigDirectoryHasConfigs() throws IOException {
    assertThat(yamlFiles()).as("*.yaml files in " + configDir()).isNotEmpty();
    assertThat(yamlFiles()).as("the default config").contains(configDir().resolve("sluice.yaml"));
  }

  @TestFactory
  Stream<DynamicTest> everyConfigLoadsValidatesAndBuildsWithItsEnvironmentUnset() throws IOException {
    List<Path> files = yamlFiles();
    assertThat(files).as("*.yaml files in " + configDir()).isNotEmpty();
    return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
      LoadedConfig config;
      try {
        config = Configs.load(List.of(file), Map.of());
      } catch (Configs.InvalidConfigException e) {
        throw new AssertionError(file + " does not load:\n" + e.getMessage(), e);
      }
      assertThat(config.definition().pipelines()).as("pipelines of " + file).isNotEmpty();
      assertThat(config.files()).containsExactly(file);
      // Every component can be built from its config (nothing is started, so no port is bound).
      // Nothing runs on the event loops here but the shutdown of what never started, so a plain
      // Vert.x: this is often the first test of the JVM, and its cold first log lines can exceed
      // TestVertx's strict blocked-loop limit without telling anything about the gateway.
      Vertx vertx = Vertx.vertx();
      try {
        ServiceGraph graph = ServiceGraph.build(vertx, new SelfMetrics(), config.definition());
        assertThat(graph.ready()).isFalse();
        graph.shutdown().await(Duration.ofSeconds(10).toMillis(), TimeUnit.MILLISECONDS);
      } finally {
        vertx.close().await(10, TimeUnit.SECONDS);
      }
    }));
  }
}
