package io.sluice.core.tls;

import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.ConfigProblem;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TlsClientSettingsTest {

  @TempDir
  Path dir;

  private String pem(String name) throws Exception {
    return Files.writeString(dir.resolve(name), "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n")
        .toString();
  }

  @Test
  void defaultsAreTheCollectorsAndValidate() {
    TlsClientSettings d = TlsClientSettings.defaults();

    assertThat(d).isEqualTo(new TlsClientSettings(false, false, null, null, null));
    assertThat(d.hasCaFile()).isFalse();
    assertThat(d.hasClientCertificate()).isFalse();
    assertThat(d.validate("tls")).isEmpty();
  }

  @Test
  void acceptsReadableFiles() throws Exception {
    TlsClientSettings s = new TlsClientSettings(false, false, pem("ca.pem"), pem("client.pem"), pem("client.key"));

    assertThat(s.validate("tls")).isEmpty();
    assertThat(s.hasCaFile()).isTrue();
    assertThat(s.hasClientCertificate()).isTrue();
  }

  @Test
  void certFileAndKeyFileGoTogether() throws Exception {
    TlsClientSettings certOnly = new TlsClientSettings(false, false, "", pem("client.pem"), "");
    TlsClientSettings keyOnly = new TlsClientSettings(false, false, "", "", pem("client.key"));

    assertThat(certOnly.validate("tls")).containsExactly(new ConfigProblem("tls.key_file",
        "tls.cert_file and tls.key_file go together: set both for mutual TLS, or neither"));
    assertThat(keyOnly.validate("auth.tls")).extracting(ConfigProblem::path).containsExactly("auth.tls.cert_file");
    assertThat(certOnly.hasClientCertificate()).isFalse();
  }

  @Test
  void reportsEveryFileThatIsMissingOrNotAFileWithItsPath() throws Exception {
    String missing = dir.resolve("nope.pem").toString();
    TlsClientSettings s = new TlsClientSettings(true, false, missing, dir.toString(), "relative/key.pem");

    assertThat(s.validate("tls")).extracting(ConfigProblem::path)
        .containsExactly("tls.ca_file", "tls.cert_file", "tls.key_file");
    assertThat(s.validate("tls")).extracting(ConfigProblem::message).containsExactly(
        "\"" + missing + "\" does not exist; expected a PEM file",
        "\"" + dir + "\" is not a file; expected a PEM file",
        "\"relative/key.pem\" (relative to the working directory " + Path.of("").toAbsolutePath()
            + ") does not exist; expected a PEM file");
  }
}
