package io.sluice.core.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ConfigProblem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsServerSettingsTest {
  @TempDir
  Path dir;

  private String file(String name) throws Exception {
    return Files.writeString(dir.resolve(name), "pem").toString();
  }

  private static TlsServerSettings of(String cert, String key, String clientCa, Boolean caReload, String min,
      String max, List<String> suites, Duration reload) {
    return new TlsServerSettings(cert, null, key, null, clientCa, caReload, min, max, suites, reload, null, null,
        null);
  }

  private static List<String> paths(List<ConfigProblem> problems) {
    return problems.stream().map(ConfigProblem::path).toList();
  }

  @Test
  void defaultsAreTheCollectors() {
    TlsServerSettings s = TlsServerSettings.ofFiles("c", "k");

    assertThat(s.minVersion()).isEqualTo("1.2");
    assertThat(s.maxVersion()).isEmpty();
    assertThat(s.reloadInterval()).isZero();
    assertThat(s.requiresClientCertificate()).isFalse();
    assertThat(s.protocols()).containsExactly("TLSv1.2", "TLSv1.3");
    assertThat(s.jdkCipherSuites()).isEmpty();
  }

  @Test
  void readableFilesValidate() throws Exception {
    TlsServerSettings s = of(file("c"), file("k"), file("ca"), true, "1.3", "1.3",
        List.of("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305"), Duration.ofMinutes(5));

    assertThat(s.validate("tls")).isEmpty();
    assertThat(s.protocols()).containsExactly("TLSv1.3");
    assertThat(s.jdkCipherSuites()).startsWith("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")
        .contains("TLS_AES_128_GCM_SHA256");
  }

  @Test
  void certificateAndKeyAreRequired() {
    assertThat(paths(of(null, null, null, null, null, null, null, null).validate("protocols.grpc.tls")))
        .containsExactly("protocols.grpc.tls.cert_file", "protocols.grpc.tls.key_file");
  }

  @Test
  void fileAndPemOfTheSameThingAreRefused() throws Exception {
    TlsServerSettings s = new TlsServerSettings(file("c"), "pem", file("k"), "pem", null, null, null, null, null,
        null, null, null, null);

    assertThat(paths(s.validate("tls"))).containsExactly("tls.cert_pem", "tls.key_pem");
  }

  @Test
  void missingFilesAreNamed() {
    List<ConfigProblem> problems = of("/nope/c", "/nope/k", "/nope/ca", null, null, null, null, null)
        .validate("tls");

    assertThat(paths(problems)).containsExactly("tls.cert_file", "tls.key_file", "tls.client_ca_file");
    assertThat(problems.get(2).message()).contains("\"/nope/ca\"").contains("does not exist");
  }

  @Test
  void clientCaReloadNeedsAFile() throws Exception {
    assertThat(paths(of(file("c"), file("k"), null, true, null, null, null, null).validate("tls")))
        .containsExactly("tls.client_ca_file_reload");
  }

  @Test
  void versionsMustBeKnownAndInOrder() throws Exception {
    assertThat(of(file("c"), file("k"), null, null, "1.4", null, null, null).validate("tls"))
        .singleElement().satisfies(p -> {
          assertThat(p.path()).isEqualTo("tls.min_version");
          assertThat(p.message()).contains("\"1.4\"").contains("\"1.3\"");
        });
    assertThat(paths(of(file("c"), file("k"), null, null, "1.3", "TLSv1.2", null, null).validate("tls")))
        .containsExactly("tls.max_version");
    assertThat(of(file("c"), file("k"), null, null, "1.3", "1.2", null, null).validate("tls"))
        .singleElement().satisfies(p -> assertThat(p.message()).contains("lower than min_version"));
  }

  @Test
  void anUnknownCipherSuiteListsTheValidOnes() throws Exception {
    assertThat(of(file("c"), file("k"), null, null, null, null,
        List.of("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_RSA_WITH_RC4_128_SHA"), null).validate("tls"))
        .singleElement().satisfies(p -> {
          assertThat(p.path()).isEqualTo("tls.cipher_suites[1]");
          assertThat(p.message()).contains("\"TLS_RSA_WITH_RC4_128_SHA\" is not a supported cipher suite")
              .contains("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256");
        });
  }

  @Test
  void aNegativeReloadIntervalIsRefused() throws Exception {
    assertThat(paths(of(file("c"), file("k"), null, null, null, null, null, Duration.ofSeconds(-1))
        .validate("tls"))).containsExactly("tls.reload_interval");
  }

  @Test
  void theInlineKeyIsNeverPrinted() {
    TlsServerSettings s = new TlsServerSettings(null, "CERT", null, "SECRET-KEY", null, null, null, null, null,
        null, null, null, null);

    assertThat(s.toString()).doesNotContain("SECRET-KEY");
  }
}
