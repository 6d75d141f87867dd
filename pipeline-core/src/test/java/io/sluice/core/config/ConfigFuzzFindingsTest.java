package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Configs the config fuzz targets found, each the minimal form of one finding. */
class ConfigFuzzFindingsTest {
  private static ConfigError onlyError(String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> new ConfigLoader(Factories.of(), Map.of()).loadYaml("f.yaml", yaml));
    assertThat(e).as("a ConfigException").isNotNull();
    assertThat(e.errors()).hasSize(1);
    return e.errors().get(0);
  }

  /** Found by config-yaml: a control character was "invalid YAML" with no line to look at. */
  @Test
  void aControlCharacterIsReportedWithItsLineAndColumn() {
    ConfigError e = onlyError("receivers:\n  otlp:\n    endpoint: a\u0007b\n");
    assertThat(e.line()).isEqualTo(3);
    assertThat(e.column()).isEqualTo(16);
    assertThat(e.message()).isEqualTo("invalid YAML: the character U+0007 is not allowed in a YAML file; remove it,"
        + " or write it as an escape such as \\x07 in a double-quoted string");
    assertThat(e.toString()).startsWith("f.yaml:3:16: invalid YAML");

    assertThat(onlyError("\u0007").line()).isEqualTo(1);
    ConfigError afterEmoji = onlyError("a: \"\ud83d\ude00\"\r\nb: \u0000");
    assertThat(afterEmoji.line()).isEqualTo(2);
    assertThat(afterEmoji.column()).isEqualTo(4);
  }

  /** Found by reviewing what the config fuzz targets reach: SnakeYAML's limits came without a location. */
  @Test
  void yamlLimitsAreReportedWhereReadingStopped() {
    StringBuilder aliases = new StringBuilder("a: &x [1]\nb:\n");
    for (int i = 0; i < 60; i++) {
      aliases.append("  - *x\n");
    }
    ConfigError tooMany = onlyError(aliases.toString());
    assertThat(tooMany.message()).contains("aliases");
    assertThat(tooMany.line()).isBetween(2, 63);

    ConfigError tooDeep = onlyError("a: " + "[".repeat(200) + "]".repeat(200) + "\n");
    assertThat(tooDeep.message()).containsIgnoringCase("nesting");
    assertThat(tooDeep.line()).isEqualTo(1);
    assertThat(tooDeep.column()).isGreaterThan(1);
  }
}
