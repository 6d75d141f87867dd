package io.sluice.core.config;

/**
 * One problem found while loading the config.
 *
 * @param file the config file the problem is in, as it was given
 * @param line the 1-based line, or 0 when the problem concerns the file as a whole
 * @param column the 1-based column, or 0 when {@code line} is 0
 * @param path the full key path from the top of the config, dot-separated
 *     ({@code exporters.otlp/upstream.sending_queue.queue_size}); empty when there is none
 * @param message what is wrong and what would be valid, quoting the value
 */
public record ConfigError(String file, int line, int column, String path, String message) {
  public ConfigError {
    file = file == null ? "" : file;
    path = path == null ? "" : path;
    message = message == null ? "" : message;
  }

  /** {@code FILE:LINE:COL: PATH: MESSAGE}; the line and path parts are left out when unknown. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder(file);
    if (line > 0) {
      sb.append(':').append(line).append(':').append(column);
    }
    sb.append(": ");
    if (!path.isEmpty()) {
      sb.append(path).append(": ");
    }
    return sb.append(message).toString();
  }
}
