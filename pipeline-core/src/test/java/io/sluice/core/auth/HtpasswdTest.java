package io.sluice.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.commons.codec.digest.Md5Crypt;
import org.apache.commons.codec.digest.Sha2Crypt;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class HtpasswdTest {
  private static Htpasswd of(String text) {
    return Htpasswd.parse(List.of(Map.entry("inline", text)));
  }

  private static String hash(String scheme, String password) throws Exception {
    byte[] pw = password.getBytes(StandardCharsets.UTF_8);
    return switch (scheme) {
      case "bcrypt-2y" -> OpenBSDBCrypt.generate("2y", password.toCharArray(), new byte[16], 4);
      case "bcrypt-2a" -> OpenBSDBCrypt.generate("2a", password.toCharArray(), "saltsaltsaltsalt".getBytes(), 5);
      case "bcrypt-2b" -> OpenBSDBCrypt.generate("2b", password.toCharArray(), new byte[16], 4);
      case "apr1" -> Md5Crypt.apr1Crypt(pw);
      case "md5crypt" -> Md5Crypt.md5Crypt(pw);
      case "sha256crypt" -> Sha2Crypt.sha256Crypt(pw);
      case "sha512crypt" -> Sha2Crypt.sha512Crypt(pw);
      case "sha" -> "{SHA}" + Base64.getEncoder().encodeToString(MessageDigest.getInstance("SHA-1").digest(pw));
      case "ssha" -> {
        byte[] salt = {1, 2, 3, 4};
        MessageDigest md = MessageDigest.getInstance("SHA-1");
        md.update(pw);
        md.update(salt);
        byte[] d = md.digest();
        byte[] all = new byte[d.length + salt.length];
        System.arraycopy(d, 0, all, 0, d.length);
        System.arraycopy(salt, 0, all, d.length, salt.length);
        yield "{SSHA}" + Base64.getEncoder().encodeToString(all);
      }
      case "plain" -> password;
      default -> throw new IllegalArgumentException(scheme);
    };
  }

  @ParameterizedTest
  @ValueSource(strings = {"bcrypt-2y", "bcrypt-2a", "bcrypt-2b", "apr1", "md5crypt", "sha256crypt", "sha512crypt",
      "sha", "ssha", "plain"})
  void everySchemeGoHtpasswdAcceptsMatchesTheRightPasswordOnly(String scheme) throws Exception {
    Htpasswd h = of("# users\n\nalice:" + hash(scheme, "s3cr:t pass") + "\n");

    assertThat(h.matches("alice", "s3cr:t pass")).isTrue();
    assertThat(h.matches("alice", "s3cr:t pas")).isFalse();
    assertThat(h.matches("bob", "s3cr:t pass")).isFalse();
  }

  @Test
  void knownVectorsFromHtpasswd() {
    // htpasswd -nbs user password
    assertThat(of("user:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=").matches("user", "password")).isTrue();
    // htpasswd -nbm user password, salt "K7bGqoN6"
    assertThat(of("user:" + Md5Crypt.apr1Crypt("password", "K7bGqoN6")).schemeOf("user"))
        .isEqualTo(Htpasswd.Scheme.APR1);
  }

  @Test
  void slowSchemesAreMarkedForAWorker() throws Exception {
    Htpasswd h = of("a:" + hash("bcrypt-2y", "x") + "\nb:" + hash("sha", "x") + "\nc:x");

    assertThat(h.schemeOf("a").slow).isTrue();
    assertThat(h.schemeOf("b").slow).isFalse();
    assertThat(h.schemeOf("c")).isEqualTo(Htpasswd.Scheme.PLAIN);
    assertThat(h.schemeOf("d")).isNull();
  }

  @Test
  void laterSourcesOverrideEarlierOnesPerUser() {
    Htpasswd h = Htpasswd.parse(List.of(Map.entry("file", "alice:old\nbob:b"), Map.entry("inline", "alice:new")));

    assertThat(h.matches("alice", "new")).isTrue();
    assertThat(h.matches("alice", "old")).isFalse();
    assertThat(h.matches("bob", "b")).isTrue();
    assertThat(h.size()).isEqualTo(2);
  }

  @Test
  void aMalformedLineIsNamedWithoutItsContent() {
    assertThatThrownBy(() -> of("alice:x\nno-colon-secret\n")).hasMessage("inline line 2 is not \"user:hash\"");
  }

  @Test
  void aMalformedHashMatchesNothing() {
    assertThat(of("alice:$2y$99$broken").matches("alice", "$2y$99$broken")).isFalse();
  }
}
