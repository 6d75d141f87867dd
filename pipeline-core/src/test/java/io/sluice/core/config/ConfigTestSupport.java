package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** Finding test configs, and where things are written in them. */
final class ConfigTestSupport {
  private ConfigTestSupport() {}

  static Path resource(String name) {
    URL url = ConfigTestSupport.class.getResource("/config/" + name);
    assertThat(url).as("test resource config/%s", name).isNotNull();
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The 1-based line of the first line of {@code file} containing {@code needle}. */
  static int lineOf(Path file, String needle) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).contains(needle)) {
        return i + 1;
      }
    }
    throw new AssertionError("\"" + needle + "\" is not in " + file);
  }

  /** The 1-based column where {@code needle} starts on its line. */
  static int columnOf(Path file, String needle) {
    try {
      for (String line : Files.readAllLines(file)) {
        int at = line.indexOf(needle);
        if (at >= 0) {
          return at + 1;
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    throw new AssertionError("\"" + needle + "\" is not in " + file);
  }

  static ConfigLoader loader() {
    return new ConfigLoader(FakeComponents.factories(), Map.of());
  }

  static ConfigLoader loader(Map<String, String> env) {
    return new ConfigLoader(FakeComponents.factories(), env);
  }

  static ConfigException loadFails(Path... files) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().load(List.of(files)));
    assertThat(e).as("loading %s should fail", List.of(files)).isNotNull();
    return e;
  }

  /** The one error whose path is {@code path}. */
  static ConfigError errorAt(ConfigException e, String path) {
    List<ConfigError> matching = e.errors().stream().filter(err -> err.path().equals(path)).toList();
    assertThat(matching).as("errors at %s in:\n%s", path, e.getMessage()).hasSize(1);
    return matching.get(0);
  }
}
