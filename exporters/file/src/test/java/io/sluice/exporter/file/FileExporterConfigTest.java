package io.sluice.exporter.file;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FileExporterConfigTest {
  private final FileExporterFactory factory = new FileExporterFactory();

  @Test
  void bindsACollectorSectionWithEveryKey() throws Exception {
    FileExporterConfig c = ConfigLoader.bindComponent(factory, """
        path: ./data/out.pb
        format: proto
        compression: zstd
        flush_interval: 5s
        append: true
        rotation:
          max_megabytes: 10
          max_days: 3
          max_backups: 4
          localtime: true
        """);

    assertThat(c.path()).isEqualTo("./data/out.pb");
    assertThat(c.format()).isEqualTo(FileExporterConfig.Format.PROTO);
    assertThat(c.zstd()).isTrue();
    assertThat(c.flushInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.append()).isTrue();
    assertThat(c.rotation()).isEqualTo(new FileExporterConfig.Rotation(10, 3, 4, true));
  }

  @Test
  void rotationIsOffWhenTheKeyIsAbsentAndFilledWithDefaultsWhenPresent() throws Exception {
    FileExporterConfig off = ConfigLoader.bindComponent(factory, "path: out.json");
    FileExporterConfig on = ConfigLoader.bindComponent(factory, "path: out.json\nrotation:\n  max_megabytes: 10\n");

    assertThat(off.rotation()).isNull();
    assertThat(off.format()).isEqualTo(FileExporterConfig.Format.JSON);
    assertThat(off.effectiveFlushInterval()).isEqualTo(Duration.ofSeconds(1));
    assertThat(on.rotation().maxMegabytes()).isEqualTo(10);
    assertThat(on.rotation().maxBackups()).isEqualTo(100);
    assertThat(on.rotation().maxDays()).isZero();
    assertThat(on.rotation().localtime()).isFalse();
  }

  @Test
  void aZeroFlushIntervalMeansOneSecond() throws Exception {
    FileExporterConfig c = ConfigLoader.bindComponent(factory, "path: out.json\nflush_interval: 0s");

    assertThat(c.effectiveFlushInterval()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void rejectsAMissingPathUnknownKeysAndUnsupportedValues() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "format: json"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.file.path");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "path: x\nrotation:\n  max_size: 3"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("max_size");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "path: x\nformat: yaml"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.file.format");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "path: x\ncompression: gzip"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("\"gzip\" is not supported");
  }

  @Test
  void bindsGroupByAndCompressionParams() throws Exception {
    FileExporterConfig c = ConfigLoader.bindComponent(factory, """
        path: /var/otlp/*/data.jsonl
        group_by:
          enabled: true
          resource_attribute: tenant
          max_open_files: 20
        compression: zstd
        compression_params:
          level: 9
        """);
    assertThat(c.groupBy()).isEqualTo(new FileExporterConfig.GroupBy(true, "tenant", 20));
    assertThat(c.zstdLevel()).isEqualTo(9);
    assertThat(ConfigLoader.bindComponent(factory, "path: x").groupBy().enabled()).isFalse();
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, """
        path: x.jsonl
        compression_params:
          level: 30
        """))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.file.compression_params.level")
        .hasMessageContaining("compression: zstd");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, """
        path: x.jsonl
        group_by:
          enabled: true
        """))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.file.path")
        .hasMessageContaining("exactly one '*'");
  }
}
