package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigErrorTest {
  @Test
  void printsFileLineColumnPathAndMessage() {
    assertThat(new ConfigError("a.yaml", 3, 5, "exporters.otlp.endpoint", "required"))
        .hasToString("a.yaml:3:5: exporters.otlp.endpoint: required");
    assertThat(new ConfigError("a.yaml", 0, 0, "", "config file not found")).hasToString("a.yaml: config file not found");
  }

  @Test
  void exceptionMessageListsEveryErrorOnItsOwnLine() {
    ConfigException e = new ConfigException(List.of(
        new ConfigError("a.yaml", 1, 1, "recievers", "unknown section"),
        new ConfigError("a.yaml", 4, 7, "exporters.debug.verbosity", "expected one of basic, normal, detailed")));

    assertThat(e.getMessage()).isEqualTo("a.yaml:1:1: recievers: unknown section\n"
        + "a.yaml:4:7: exporters.debug.verbosity: expected one of basic, normal, detailed");
    assertThat(e.errors()).hasSize(2);
    assertThatThrownBy(() -> new ConfigException(List.of())).isInstanceOf(IllegalArgumentException.class);
  }
}
