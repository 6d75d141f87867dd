package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestVertx;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Gateway#reload}: what SIGHUP does, in process. */
class GatewayReloadTest {
  private static final String CONFIG = """
      receivers:
        otlp:
          protocols:
            grpc:
              endpoint: 127.0.0.1:${env:GRPC}
            http:
              endpoint: 127.0.0.1:${env:HTTP}
      processors:
        batch:
          timeout: 50ms
      exporters:
        file:
          path: ${env:OUT}
      extensions:
        health_check:
          endpoint: 127.0.0.1:${env:HEALTH}
      service:
        extensions: [health_check]
        telemetry:
          metrics:
            address: 127.0.0.1:${env:METRICS}
        pipelines:
          traces:
            receivers: [otlp]
            processors: [batch]
            exporters: [file]
      """;

  @TempDir Path dir;

  private TestVertx vertx;
  private Gateway gateway;
  private TraceSender sender;
  private Path config;
  private final Map<String, String> env = new java.util.HashMap<>();

  @BeforeEach
  void start() throws Exception {
    env.put("GRPC", String.valueOf(Ports.freePort()));
    env.put("HTTP", String.valueOf(Ports.freePort()));
    env.put("HEALTH", String.valueOf(Ports.freePort()));
    env.put("METRICS", String.valueOf(Ports.freePort()));
    env.put("OUT", dir.resolve("first.jsonl").toString());
    config = GatewayFixtures.writeConfig(dir, "sluice.yaml", CONFIG);
    vertx = TestVertx.create();
    gateway = GatewayFixtures.start(vertx.vertx(), config, env);
  }

  @AfterEach
  void stop() throws Exception {
    if (sender != null) {
      sender.close();
    }
    if (gateway != null) {
      gateway.shutdown(Duration.ofSeconds(10));
    }
    if (vertx != null) {
      vertx.close();
    }
  }

  private LoadedConfig load() throws Configs.InvalidConfigException {
    return Configs.load(List.of(config), Map.copyOf(env));
  }

  private int health() {
    return Integer.parseInt(env.get("HEALTH"));
  }

  @Test
  void reloadSwitchesToTheNewConfigWithoutLosingAcknowledgedData() throws Exception {
    sender = TraceSender.to(Integer.parseInt(env.get("GRPC")), "reload-test").start();
    await().atMost(Duration.ofSeconds(10)).until(() -> sender.requestsAcked() >= 30);

    env.put("OUT", dir.resolve("second.jsonl").toString());
    gateway.reload(load(), Duration.ofSeconds(20));
    long afterReload = sender.requestsAcked();
    assertThat(gateway.ready()).isTrue();
    assertThat(GatewayFixtures.statusOf(health(), "/")).isEqualTo(200);
    await("acknowledged by the new pipelines").atMost(Duration.ofSeconds(10))
        .until(() -> sender.requestsAcked() >= afterReload + 30);
    sender.stop();
    gateway.shutdown(Duration.ofSeconds(10));

    Set<String> first = OtlpFlat.spanIdsInFile(dir.resolve("first.jsonl"));
    Set<String> second = OtlpFlat.spanIdsInFile(dir.resolve("second.jsonl"));
    assertThat(second).as("spans written by the new config").isNotEmpty();
    Set<String> lost = new HashSet<>(sender.acked());
    lost.removeAll(first);
    lost.removeAll(second);
    assertThat(lost).as("acknowledged spans in neither file").isEmpty();
  }

  @Test
  void reloadsOfAnUnchangedConfigKeepEveryComponentAndPortServing() throws Exception {
    // A client with a kept-alive connection to the health endpoint: a SIGHUP with an unchanged
    // config keeps every component running, so the ports stay open and nothing restarts.
    for (int i = 0; i < 50; i++) {
      assertThat(GatewayFixtures.statusOf(health(), "/")).as("health before reload %d", i).isEqualTo(200);
      var summary = gateway.reload(load(), Duration.ofSeconds(20));
      assertThat(summary.started()).isEmpty();
      assertThat(summary.replaced()).isEmpty();
      assertThat(summary.stopped()).isEmpty();
      assertThat(summary.kept()).hasSize(4);
      assertThat(gateway.ready()).isTrue();
    }
    assertThat(GatewayFixtures.statusOf(health(), "/")).isEqualTo(200);
    assertThat(GatewayFixtures.scrape(gateway.metricsPort())).isNotEmpty();
  }

  @Test
  void aConfigThatCannotStartIsRolledBackToTheRunningOne() throws Exception {
    Path notADirectory = Files.writeString(dir.resolve("plain-file"), "x");
    env.put("OUT", notADirectory.resolve("out.jsonl").toString());
    LoadedConfig broken = load();
    assertThatThrownBy(() -> gateway.reload(broken, Duration.ofSeconds(20))).hasMessageContaining("file");

    assertThat(gateway.ready()).as("the previous config runs again").isTrue();
    assertThat(GatewayFixtures.statusOf(health(), "/")).isEqualTo(200);
    sender = TraceSender.to(Integer.parseInt(env.get("GRPC")), "rollback-test");
    assertThat(sender.sendOnce().isOk()).isTrue();
    await("the previous config's file gets the data").atMost(Duration.ofSeconds(10))
        .until(() -> OtlpFlat.spanIdsInFile(dir.resolve("first.jsonl")).containsAll(sender.acked()));
  }
}
