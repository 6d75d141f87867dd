package io.sluice.exporter.otlp;

import io.sluice.core.ConfigProblem;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.tls.TlsClientSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The gRPC client keys an exporter config shares with the Collector's gRPC clients
 * ({@code endpoint}, {@code tls}, {@code compression}, {@code headers}, {@code timeout},
 * {@code balancer_name}, {@code keepalive}, {@code wait_for_ready}, the buffer sizes and
 * {@code auth}), their checks, and what {@link GrpcClientChannel} builds a channel from. The
 * {@code otlp} and {@code jaeger} exporters' config records implement it with their components.
 */
public interface GrpcClientSettings {
  /** The message encodings a client may send with. */
  Set<String> COMPRESSIONS = Set.of("gzip", "zstd", "snappy", "none", "");

  String endpoint();

  TlsClientSettings tls();

  String compression();

  Map<String, String> headers();

  Duration timeout();

  String balancerName();

  OtlpExporterConfig.Keepalive keepalive();

  boolean waitForReady();

  int readBufferSize();

  int writeBufferSize();

  /** The authenticator extension whose headers go with every call; null without one. */
  AuthSettings auth();

  /** The gRPC message encoding of requests, or null when they go uncompressed. */
  default String grpcEncoding() {
    String c = compression();
    return c.isEmpty() || c.equals("none") ? null : c;
  }

  /** Keys accepted for the Collector's sake that do nothing in Sluice. */
  static List<ConfigProblem> warnings(GrpcClientSettings s) {
    List<ConfigProblem> out = new ArrayList<>();
    if (s.readBufferSize() > 0) {
      out.add(new ConfigProblem("read_buffer_size", "Sluice's gRPC transport sizes its buffers itself"));
    }
    if (s.writeBufferSize() > 0) {
      out.add(new ConfigProblem("write_buffer_size", "Sluice's gRPC transport sizes its buffers itself"));
    }
    return out;
  }

  /**
   * Every problem of the gRPC client keys.
   *
   * @param what what the endpoint receives, for messages ("OTLP over gRPC")
   * @param example an endpoint to suggest, {@code host:port} with the protocol's usual port
   */
  static List<ConfigProblem> validate(GrpcClientSettings s, String what, String example) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (s.endpoint().isEmpty()) {
      problems.add(new ConfigProblem("endpoint", "is required: where to send " + what + ", such as \""
          + example + "\""));
    } else {
      try {
        GrpcEndpoint.parse(s.endpoint(), Integer.parseInt(example.substring(example.lastIndexOf(':') + 1)));
      } catch (IllegalArgumentException e) {
        problems.add(new ConfigProblem("endpoint", e.getMessage()));
      }
    }
    if (!COMPRESSIONS.contains(s.compression())) {
      problems.add(new ConfigProblem("compression", "\"" + s.compression()
          + "\" is not supported; use \"gzip\", \"zstd\", \"snappy\" or \"none\""));
    }
    if (s.keepalive().time().isNegative()) {
      problems.add(new ConfigProblem("keepalive.time", "must be a duration such as \"30s\" (0 sends no pings)"));
    }
    if (s.keepalive().timeout().isZero() || s.keepalive().timeout().isNegative()) {
      problems.add(new ConfigProblem("keepalive.timeout", "must be a positive duration such as \"10s\""));
    }
    if (s.readBufferSize() < 0) {
      problems.add(new ConfigProblem("read_buffer_size", s.readBufferSize() + " is negative; give a size in bytes"));
    }
    if (s.writeBufferSize() < 0) {
      problems.add(new ConfigProblem("write_buffer_size", s.writeBufferSize()
          + " is negative; give a size in bytes"));
    }
    if (s.auth() != null) {
      problems.addAll(s.auth().validate("auth"));
    }
    if (s.timeout() == null || s.timeout().isNegative()) {
      problems.add(new ConfigProblem("timeout", "must be a duration such as \"5s\" (0 means no limit)"));
    }
    if (!s.balancerName().equals("pick_first") && !s.balancerName().equals("round_robin")) {
      problems.add(new ConfigProblem("balancer_name", "\"" + s.balancerName()
          + "\" is not supported; use \"pick_first\" or \"round_robin\""));
    }
    problems.addAll(s.tls().validate("tls"));
    problems.addAll(validateHeaders(s.headers()));
    return problems;
  }

  /** Header names gRPC metadata can carry as text. */
  Pattern HEADER_NAME = Pattern.compile("[A-Za-z0-9_.\\-]+");

  private static List<ConfigProblem> validateHeaders(Map<String, String> headers) {
    List<ConfigProblem> problems = new ArrayList<>();
    for (Map.Entry<String, String> h : headers.entrySet()) {
      String name = h.getKey();
      if (name == null || !HEADER_NAME.matcher(name).matches()) {
        problems.add(new ConfigProblem("headers", "\"" + name + "\" is not a valid gRPC metadata name: use"
            + " letters, digits, '-', '_' and '.'"));
      } else if (name.toLowerCase(Locale.ROOT).endsWith("-bin")) {
        problems.add(new ConfigProblem("headers." + name, "binary metadata (names ending in \"-bin\") cannot be"
            + " configured; use a text header"));
      } else if (h.getValue() == null) {
        problems.add(new ConfigProblem("headers." + name, "has no value"));
      }
    }
    return problems;
  }
}
