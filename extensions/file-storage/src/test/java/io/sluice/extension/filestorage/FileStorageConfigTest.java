package io.sluice.extension.filestorage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FileStorageConfigTest {
  private final FileStorageExtensionFactory factory = new FileStorageExtensionFactory();

  @Test
  void defaultsValidate() {
    assertThat(factory.defaultConfig().validate()).isEmpty();
    assertThat(factory.type()).isEqualTo("file_storage");
  }

  @Test
  void bindsTheCollectorsKeys() throws Exception {
    FileStorageConfig c = ConfigLoader.bindComponent(factory, """
        directory: /var/lib/otelcol/storage
        timeout: 2s
        fsync: true
        create_directory: true
        directory_permissions: "0700"
        recreate: false
        compaction:
          directory: /tmp
          on_start: true
          on_rebound: true
          max_transaction_size: 1000
          rebound_needed_threshold_mib: 50
          rebound_trigger_threshold_mib: 5
          check_interval: 10s
          cleanup_on_start: true
        """);

    assertThat(c.directory()).isEqualTo("/var/lib/otelcol/storage");
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(2));
    assertThat(c.fsync()).isTrue();
    assertThat(c.createDirectory()).isTrue();
    assertThat(c.compaction().onStart()).isTrue();
    assertThat(c.compaction().checkInterval()).isEqualTo(Duration.ofSeconds(10));
  }

  @Test
  void wrongValuesNameTheirKeyPath() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "directory: \"\""))
        .isInstanceOf(ConfigException.class).hasMessageContaining("extensions.file_storage.directory");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "directory_permissions: \"999\""))
        .isInstanceOf(ConfigException.class).hasMessageContaining("extensions.file_storage.directory_permissions");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "compaction:\n  check_interval: 0s"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("extensions.file_storage.compaction.check_interval");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory,
        "compaction:\n  on_rebound: true\n  rebound_trigger_threshold_mib: 500"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("extensions.file_storage.compaction.rebound_trigger_threshold_mib");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "compaction:\n  on_shrink: true"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("on_shrink");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "fsync: sometimes"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("extensions.file_storage.fsync");
  }
}
