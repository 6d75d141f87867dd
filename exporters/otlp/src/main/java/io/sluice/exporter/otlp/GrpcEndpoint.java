package io.sluice.exporter.otlp;

import java.util.Locale;

/**
 * An {@code otlp} exporter endpoint taken apart: the gRPC target ({@code host:port}) and what its
 * scheme, if any, says about TLS.
 *
 * @param target {@code host:port} for the channel
 * @param scheme {@code http}, {@code https}, or empty when the endpoint had none
 */
record GrpcEndpoint(String target, String scheme) {

  /**
   * Parses {@code host:port}, {@code http://host:port} or {@code https://host:port}.
   *
   * @throws IllegalArgumentException saying what is wrong, quoting the value
   */
  static GrpcEndpoint parse(String endpoint) {
    return parse(endpoint, 4317);
  }

  /** As {@link #parse(String)}, suggesting {@code defaultPort} (the protocol's usual port) in messages. */
  static GrpcEndpoint parse(String endpoint, int defaultPort) {
    String s = endpoint.trim();
    String scheme = "";
    String lower = s.toLowerCase(Locale.ROOT);
    if (lower.startsWith("http://")) {
      scheme = "http";
      s = s.substring("http://".length());
    } else if (lower.startsWith("https://")) {
      scheme = "https";
      s = s.substring("https://".length());
    } else if (s.contains("://")) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has an unsupported scheme; write \"host:port\","
          + " \"http://host:port\" (plaintext) or \"https://host:port\" (TLS)");
    }
    while (s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    if (s.contains("/")) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has a path; a gRPC endpoint is \"host:port\","
          + " the service path is fixed by the protocol");
    }
    int colon = s.lastIndexOf(':');
    String host = colon < 0 ? s : s.substring(0, colon);
    if (colon < 0 || host.isEmpty() || (host.contains(":") && !(host.startsWith("[") && host.endsWith("]")))) {
      throw new IllegalArgumentException("\"" + endpoint + "\" is not \"host:port\"; did you mean \""
          + (s.isEmpty() ? "localhost" : s) + ":" + defaultPort + "\"?");
    }
    String portText = s.substring(colon + 1);
    int port;
    try {
      port = Integer.parseInt(portText);
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("\"" + endpoint + "\" has port \"" + portText
          + "\"; a port is a number from 1 to 65535 (" + defaultPort + " is the usual one)");
    }
    return new GrpcEndpoint(s, scheme);
  }

  /** Plaintext when the scheme says http or {@code tls.insecure} is set; TLS otherwise. */
  boolean plaintext(boolean insecure) {
    return scheme.equals("http") || insecure;
  }
}
