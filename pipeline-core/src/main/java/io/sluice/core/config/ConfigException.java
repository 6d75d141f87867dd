package io.sluice.core.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The config could not be loaded. Carries every problem found, not only the first; the message
 * lists them one per line as {@code FILE:LINE:COL: PATH: MESSAGE}.
 */
public class ConfigException extends Exception {
  private final List<ConfigError> errors;

  public ConfigException(List<ConfigError> errors) {
    super(errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n")));
    if (errors.isEmpty()) {
      throw new IllegalArgumentException("a ConfigException needs at least one error");
    }
    this.errors = List.copyOf(errors);
  }

  /** Every problem found, in file order, then by line and column. */
  public List<ConfigError> errors() {
    return errors;
  }
}
