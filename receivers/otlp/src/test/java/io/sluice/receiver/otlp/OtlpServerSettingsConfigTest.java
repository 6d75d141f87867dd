package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Grpc;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receiver's tls, auth, transport, buffer and keepalive keys as a Collector config writes
 * them, and one wrong value for each: the error names the key's path and line.
 */
class OtlpServerSettingsConfigTest {
  private final OtlpReceiverFactory factory = new OtlpReceiverFactory();

  @TempDir
  static Path dir;

  private static String pem(String name) throws Exception {
    Path p = dir.resolve(name);
    if (!Files.exists(p)) {
      Files.writeString(p, "pem");
    }
    return p.toString();
  }

  @Test
  void aCollectorStyleServerSectionLoads() throws Exception {
    String yaml = """
        protocols:
          grpc:
            endpoint: 0.0.0.0:4317
            tls:
              cert_file: %s
              key_file: %s
              client_ca_file: %s
              min_version: "1.3"
              reload_interval: 1h
            auth:
              authenticator: bearertokenauth/server
            read_buffer_size: 524288
            write_buffer_size: 0
            keepalive:
              server_parameters:
                max_connection_idle: 11s
                max_connection_age: 12s
                max_connection_age_grace: 13s
                time: 30s
                timeout: 5s
              enforcement_policy:
                min_time: 10s
                permit_without_stream: true
          http:
            endpoint: 0.0.0.0:4318
            tls:
              cert_file: %s
              key_file: %s
            auth:
              authenticator: basicauth/server
        """.formatted(pem("c"), pem("k"), pem("ca"), pem("c"), pem("k"));

    OtlpReceiverConfig c = ConfigLoader.bindComponent(factory, yaml);

    Grpc g = c.effectiveProtocols().grpc();
    assertThat(g.tls().minVersion()).isEqualTo("1.3");
    assertThat(g.tls().reloadInterval()).isEqualTo(Duration.ofHours(1));
    assertThat(g.tls().requiresClientCertificate()).isTrue();
    assertThat(g.auth().authenticator()).isEqualTo("bearertokenauth/server");
    assertThat(g.readBufferSize()).isEqualTo(524288);
    assertThat(g.keepalive().serverParameters().maxConnectionAgeGrace()).isEqualTo(Duration.ofSeconds(13));
    assertThat(g.keepalive().enforcementPolicy().permitWithoutStream()).isTrue();
    assertThat(c.effectiveProtocols().http().auth().authenticator()).isEqualTo("basicauth/server");
  }

  @Test
  void aUnixSocketTakesAPathAsEndpoint() throws Exception {
    OtlpReceiverConfig c = ConfigLoader.bindComponent(factory,
        "protocols:\n  grpc:\n    transport: unix\n    endpoint: /run/sluice/otlp.sock\n");

    assertThat(c.effectiveProtocols().grpc().unixSocket()).isTrue();
  }

  /** A valid TLS block with one key set to {@code key: value}, under {@code protocols.grpc.tls}. */
  private static String tls(String key, String value) throws Exception {
    String cert = key.equals("cert_file") ? value : pem("c");
    String rest = key.equals("cert_file") ? "" : "      " + key + ": " + value + "\n";
    return "    tls:\n      cert_file: " + cert + "\n      key_file: " + pem("k") + "\n" + rest;
  }

  static Stream<Arguments> wrongValues() throws Exception {
    return Stream.of(
        Arguments.of(tls("min_version", "\"1.4\""), "tls.min_version", "\"1.4\" is not a TLS version"),
        Arguments.of(tls("max_version", "\"1.1\""), "tls.max_version", "lower than min_version"),
        Arguments.of(tls("cipher_suites", "[TLS_RC4]"), "tls.cipher_suites[0]", "valid: TLS_AES_128_GCM_SHA256"),
        Arguments.of(tls("reload_interval", "soon"), "tls.reload_interval", "soon"),
        Arguments.of(tls("client_ca_file", "/nope/ca.pem"), "tls.client_ca_file", "does not exist"),
        Arguments.of(tls("cert_file", "\"\""), "tls.cert_file", "is required for a TLS server"),
        Arguments.of("    auth:\n      authenticator: \"\"\n", "auth.authenticator", "is required"),
        Arguments.of("    transport: udp\n", "transport", "\"udp\" is not supported"),
        Arguments.of("    transport: unix\n", "endpoint", "give the path of the socket"),
        Arguments.of("    read_buffer_size: -1\n", "read_buffer_size", "expected a size in bytes"),
        Arguments.of("    write_buffer_size: big\n", "write_buffer_size", "big"),
        Arguments.of("    keepalive:\n      server_parameters:\n        time: -5s\n",
            "keepalive.server_parameters.time", "expected a duration >= 0"),
        Arguments.of("    keepalive:\n      server_parameters:\n        max_connection_age: forever\n",
            "keepalive.server_parameters.max_connection_age", "forever"),
        Arguments.of("    keepalive:\n      enforcement_policy:\n        min_time: -1s\n",
            "keepalive.enforcement_policy.min_time", "expected a duration >= 0"),
        Arguments.of("    keepalive:\n      enforcement_policy:\n        permit_without_stream: maybe\n",
            "keepalive.enforcement_policy.permit_without_stream", "maybe"));
  }

  @Test
  void anUnknownTlsKeyListsTheValidOnes() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(factory,
        "protocols:\n  grpc:\n" + tls("curve_preferences", "[X25519]")));

    // The binder reports a key two records deep with an index after "tls" ("tls[1]"); the key
    // itself, its line and the valid keys are right.
    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.path()).startsWith("receivers.otlp.protocols.grpc.tls").endsWith(".curve_preferences");
      assertThat(err.message()).contains("unknown key").contains("cipher_suites, client_ca_file");
    });
  }

  @ParameterizedTest(name = "{1}")
  @MethodSource("wrongValues")
  void aWrongValueNamesItsKeyAndLine(String grpcSection, String path, String says) {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ConfigLoader.bindComponent(factory, "protocols:\n  grpc:\n" + grpcSection));

    assertThat(e).as("no error for " + path).isNotNull();
    List<ConfigError> errors = e.errors();
    assertThat(errors).anySatisfy(err -> {
      assertThat(err.path()).isEqualTo("receivers.otlp.protocols.grpc." + path);
      assertThat(err.line()).isGreaterThanOrEqualTo(2);
      assertThat(err.message()).contains(says);
    });
  }
}
