package io.sluice.core.util;

/**
 * A listen or connect address written {@code host:port}, as endpoints are in the Collector's
 * config ({@code localhost:4317}, {@code 0.0.0.0:8888}, {@code :4318}, {@code [::1]:4317}).
 */
public record HostPort(String host, int port) {
  /**
   * Parses {@code host:port}; an empty host means all interfaces.
   *
   * @throws IllegalArgumentException with a message quoting the value and saying what is expected
   */
  public static HostPort parse(String endpoint) {
    if (endpoint == null || endpoint.isBlank()) {
      throw new IllegalArgumentException("is empty; expected \"host:port\" such as \"localhost:4317\"");
    }
    String s = endpoint.trim();
    if (s.contains("://")) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has a scheme; a listen endpoint is \"host:port\""
          + " such as \"" + s.substring(s.indexOf("://") + 3) + "\"");
    }
    int colon = s.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has no port; expected \"host:port\" such as \""
          + s + ":4317\"");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(s.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has no valid port after the ':'; expected a number"
          + " from 0 to 65535");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("\"" + endpoint + "\": port " + port + " is out of range 0-65535");
    }
    return new HostPort(host.isEmpty() ? "0.0.0.0" : host, port);
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
