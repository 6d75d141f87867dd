package io.sluice.core.util;

/**
 * A listen or connect address written {@code host:port}, as endpoints are in the Collector's
 * config ({@code localhost:4317}, {@code 0.0.0.0:8888}, {@code :4318}, {@code [::1]:4317}).
 */
public record HostPort(String host, int port) {
  /**
   * Parses {@code host:port}; an empty host means all interfaces. An IPv6 host is written in
   * brackets ({@code [::1]:4317}); port 0 (any free port) is accepted.
   *
   * @throws IllegalArgumentException with a message quoting the value and saying what is expected
   */
  public static HostPort parse(String endpoint) {
    if (endpoint == null || endpoint.isBlank()) {
      throw new IllegalArgumentException("is empty; expected \"host:port\" such as \"localhost:4317\"");
    }
    String s = endpoint.trim();
    int scheme = s.indexOf("://");
    if (scheme >= 0) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has a scheme; a listen endpoint is \"host:port\","
          + " such as \"" + s.substring(scheme + 3) + "\"");
    }
    int colon = s.lastIndexOf(':');
    if (colon < 0 || (s.startsWith("[") && colon < s.indexOf(']'))) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has no port; expected \"host:port\" such as \""
          + s + ":4317\"");
    }
    String host = s.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    } else if (host.indexOf(':') >= 0) {
      throw new IllegalArgumentException("\"" + endpoint + "\": write an IPv6 host in brackets, such as"
          + " \"[::1]:4317\"");
    }
    if (host.chars().anyMatch(c -> Character.isWhitespace(c) || c == '/' || c == '[' || c == ']')) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has an invalid host \"" + host + "\"");
    }
    String portText = s.substring(colon + 1);
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has no valid port after the ':' (\"" + portText
          + "\"); expected a number from 0 to 65535");
    }
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("\"" + endpoint + "\": port " + port + " is out of range 0-65535");
    }
    return new HostPort(host.isEmpty() ? "0.0.0.0" : host, port);
  }

  /** True when the host stands for every interface ({@code 0.0.0.0} or {@code ::}). */
  public boolean anyInterface() {
    return host.equals("0.0.0.0") || host.equals("::");
  }

  @Override
  public String toString() {
    return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
  }
}
