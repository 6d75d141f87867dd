package io.sluice.exporter.debug;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import org.junit.jupiter.api.Test;

class DebugExporterConfigTest {
  private final DebugExporterFactory factory = new DebugExporterFactory();

  @Test
  void bindsTheCollectorsExampleSection() throws Exception {
    DebugExporterConfig c = ConfigLoader.bindComponent(factory,
        "verbosity: detailed\nsampling_initial: 5\nsampling_thereafter: 200\n");

    assertThat(c.verbosity()).isEqualTo(DebugExporterConfig.Verbosity.DETAILED);
    assertThat(c.samplingInitial()).isEqualTo(5);
    assertThat(c.samplingThereafter()).isEqualTo(200);
    assertThat(c.useInternalLogger()).isTrue();
    assertThat(c.sendingQueue().enabled()).isFalse();
  }

  @Test
  void anEmptySectionGivesTheDefaults() throws Exception {
    assertThat(ConfigLoader.bindComponent(factory, "")).isEqualTo(DebugExporterConfig.defaults());
  }

  @Test
  void enablingTheQueueKeepsOneConsumer() throws Exception {
    DebugExporterConfig c = ConfigLoader.bindComponent(factory,
        "use_internal_logger: false\nsending_queue:\n  enabled: true\n");

    assertThat(c.useInternalLogger()).isFalse();
    assertThat(c.sendingQueue().enabled()).isTrue();
    assertThat(c.sendingQueue().numConsumers()).isEqualTo(1);
    assertThat(c.sendingQueue().queueSize()).isEqualTo(1000);
  }

  @Test
  void rejectsUnknownKeysBadVerbosityAndNegativeSampling() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "loglevel: debug"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("loglevel");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "verbosity: chatty"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.debug.verbosity");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "sampling_thereafter: -1"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.debug.sampling_thereafter");
  }

  @Test
  void outputPathsNeedTheInternalLoggerOff() throws Exception {
    DebugExporterConfig c = ConfigLoader.bindComponent(factory, """
        use_internal_logger: false
        output_paths: [stdout, /var/log/sluice/debug.log]
        """);
    assertThat(c.outputs()).containsExactly("stdout", "/var/log/sluice/debug.log");
    assertThat(ConfigLoader.bindComponent(factory, "use_internal_logger: false").outputs()).containsExactly("stdout");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, "output_paths: [stderr]"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.debug.output_paths")
        .hasMessageContaining("use_internal_logger: false");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(factory, """
        use_internal_logger: false
        output_paths: [""]
        """))
        .isInstanceOf(ConfigException.class).hasMessageContaining("exporters.debug.output_paths[0]");
  }
}
