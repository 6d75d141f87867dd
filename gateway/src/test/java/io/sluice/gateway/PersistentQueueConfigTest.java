package io.sluice.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code sending_queue.storage} as {@code sluice validate} checks it with every component of the
 * build: it must name a storage extension that is defined and running, and options that cannot
 * work with a persistent queue are errors naming the file, line and key.
 */
class PersistentQueueConfigTest {
  @TempDir Path dir;

  private static String config(String otlpQueue, String extraExporter, String extensions, String listed) {
    return """
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:4317
        exporters:
          otlp:
            endpoint: backend:4317
            sending_queue:
        %s
          loki:
            endpoint: http://loki:3100/loki/api/v1/push
            sending_queue:
              storage: file_storage/queue
        %s
        extensions:
          health_check:
        %s
        service:
          extensions: [%s]
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [otlp]
            logs:
              receivers: [otlp]
              exporters: [loki]
        """.formatted(otlpQueue.indent(6).stripTrailing(), extraExporter.indent(2).stripTrailing(),
        extensions.indent(2).stripTrailing(), listed);
  }

  private static final String STORAGES = """
      file_storage/queue:
        directory: /var/lib/sluice/queue
      file_storage/offsets:
        directory: /var/lib/sluice/offsets
      """;

  private CliTest.Result validate(String yaml) {
    Path file = GatewayFixtures.writeConfig(dir, "sluice.yaml", yaml);
    return CliTest.run("validate", "--config", file.toString());
  }

  private Path file() {
    return dir.resolve("sluice.yaml");
  }

  @Test
  void aQueueInAStorageExtensionThatRunsIsValid() {
    CliTest.Result r = validate(config("storage: file_storage/queue\nsizer: items\nqueue_size: 100000", "",
        STORAGES, "file_storage/queue, health_check"));
    assertThat(r.exitCode()).as("exit code; stderr: %s", r.err()).isZero();
  }

  @Test
  void anUndefinedStorageIsAnErrorAtItsLineNamingTheStorageExtensionsDefined() {
    CliTest.Result r = validate(config("storage: file_storage/qeue", "", STORAGES,
        "file_storage/queue, health_check"));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains(file() + ":10:").contains("exporters.otlp.sending_queue.storage")
        .contains("\"file_storage/qeue\" is not defined").contains("did you mean \"file_storage/queue\"")
        .contains("file_storage/offsets");
  }

  @Test
  void aStorageNamingAnExtensionThatKeepsNoStateIsAnError() {
    CliTest.Result r = validate(config("storage: health_check", "", STORAGES, "file_storage/queue, health_check"));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains(file() + ":10:").contains("exporters.otlp.sending_queue.storage")
        .contains("\"health_check\" is a health_check extension, which keeps no state")
        .contains("storage extensions defined: file_storage/queue, file_storage/offsets");
  }

  @Test
  void aStorageNotListedInServiceExtensionsIsAnError() {
    CliTest.Result r = validate(config("storage: file_storage/offsets", "", STORAGES,
        "file_storage/queue, health_check"));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains(file() + ":10:").contains("exporters.otlp.sending_queue.storage")
        .contains("\"file_storage/offsets\" is not listed in service.extensions");
  }

  @Test
  void waitForResultWithAPersistentQueueIsAnErrorAsInTheCollector() {
    CliTest.Result r = validate(config("storage: file_storage/queue\nwait_for_result: true", "", STORAGES,
        "file_storage/queue, health_check"));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("exporters.otlp.sending_queue.wait_for_result")
        .contains("cannot be used with a persistent queue");
  }

  @Test
  void prometheusRemoteWriteRefusesAPersistentQueueItDoesNotHave() {
    CliTest.Result r = validate(config("storage: file_storage/queue", """
        prometheusremotewrite:
          endpoint: http://prometheus:9090/api/v1/write
          sending_queue:
            storage: file_storage/queue
        """, STORAGES, "file_storage/queue, health_check"));

    assertThat(r.exitCode()).isEqualTo(2);
    assertThat(r.err()).contains("exporters.prometheusremotewrite.sending_queue.storage")
        .contains("keeps its shards' queues in memory only");
  }
}
