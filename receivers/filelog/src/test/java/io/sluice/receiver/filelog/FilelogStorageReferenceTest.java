package io.sluice.receiver.filelog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.config.FakeComponents;
import io.sluice.extension.filestorage.FileStorageExtensionFactory;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The loader refuses a {@code storage} that names no running extension, at its file, line and path. */
class FilelogStorageReferenceTest {
  private final ConfigLoader loader = new ConfigLoader(Factories.of(new FilelogReceiverFactory(),
      new FileStorageExtensionFactory(), new FakeComponents.DebugExporterFactory()), Map.of());

  private static String config(String storage, String serviceExtensions) {
    return """
        receivers:
          filelog:
            include: [/var/log/*.log]
            storage: %s
        exporters:
          debug:
        extensions:
          file_storage:
            directory: /tmp
        service:
          extensions: %s
          pipelines:
            logs: {receivers: [filelog], exporters: [debug]}
        """.formatted(storage, serviceExtensions);
  }

  @Test
  void loadsWhenTheStorageIsListed() throws Exception {
    assertThat(loader.loadYaml("gw.yaml", config("file_storage", "[file_storage]")).serviceExtensions())
        .hasSize(1);
  }

  @Test
  void aStorageDefinedButNotListedIsAnErrorAtItsLine() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> loader.loadYaml("gw.yaml", config("file_storage", "[]")));

    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.line()).isEqualTo(4);
      assertThat(err.path()).isEqualTo("receivers.filelog.storage");
      assertThat(err.message()).contains("\"file_storage\" is not listed in service.extensions");
    });
  }

  @Test
  void anUndefinedStorageIsAnErrorWithASuggestion() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> loader.loadYaml("gw.yaml", config("file_storag", "[file_storage]")));

    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.path()).isEqualTo("receivers.filelog.storage");
      assertThat(err.message()).contains("A storage extension must be defined").contains("did you mean \"file_storage\"");
    });
  }
}
