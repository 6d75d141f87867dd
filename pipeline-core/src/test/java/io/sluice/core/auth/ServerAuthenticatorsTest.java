package io.sluice.core.auth;

import static io.sluice.core.auth.AuthRefusals.refusal;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.sluice.core.ComponentKind;
import io.sluice.core.Extension;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.crypto.generators.OpenBSDBCrypt;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The server sides of basicauth and bearertokenauth. */
class ServerAuthenticatorsTest {
  private final TestVertx tv = TestVertx.create();

  @TempDir
  Path dir;

  @AfterEach
  void tearDown() {
    tv.close();
  }

  private ServerAuthenticator started(Extension e) throws Exception {
    e.start().await(10, TimeUnit.SECONDS);
    return (ServerAuthenticator) e;
  }

  private static MultiMap header(String name, String value) {
    return MultiMap.caseInsensitiveMultiMap().add(name, value);
  }

  private static MultiMap basic(String user, String password) {
    return header("authorization", "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
        .getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void basicAuthChecksHtpasswdFromFileAndInline() throws Exception {
    Path file = Files.writeString(dir.resolve("htpasswd"),
        "carol:" + OpenBSDBCrypt.generate("2y", "bcrypt-pw".toCharArray(), new byte[16], 4) + "\n");
    BasicAuthConfig c = ConfigLoader.bindComponent(new BasicAuthExtensionFactory(),
        "htpasswd:\n  file: " + file + "\n  inline: |\n    alice:wonder-land\n");
    ServerAuthenticator auth = started(new BasicAuthExtensionFactory().create(
        TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, "basicauth/server"), c));

    assertThat(auth.authenticate(basic("alice", "wonder-land")).await(10, TimeUnit.SECONDS))
        .containsEntry("username", "alice");
    assertThat(auth.authenticate(basic("carol", "bcrypt-pw")).await(10, TimeUnit.SECONDS))
        .containsEntry("username", "carol");
    // remembered: the second check does not hash again, and is answered at once
    assertThat(auth.authenticate(basic("carol", "bcrypt-pw")).isComplete()).isTrue();

    assertThat(refusal(auth.authenticate(basic("alice", "wrong-secret")))).isEqualTo(
        "the user name or password is not valid");
    assertThat(refusal(auth.authenticate(basic("carol", "wrong-secret")))).isEqualTo(
        "the user name or password is not valid");
    assertThat(refusal(auth.authenticate(MultiMap.caseInsensitiveMultiMap())))
        .isEqualTo("missing or empty authorization header");
    assertThat(refusal(auth.authenticate(header("Authorization", "Bearer abc")))).contains("not basic auth");
    assertThat(refusal(auth.authenticate(header("Authorization", "Basic !!!")))).contains("base64");
  }

  @Test
  void basicAuthWithoutHtpasswdIsNoServerAuthenticator() {
    BasicAuthExtension client = new BasicAuthExtension(TestContexts.context(tv.vertx(), ComponentKind.EXTENSION,
        "basicauth/client"), new BasicAuthConfig(new BasicAuthConfig.ClientAuth("u", "p")));
    assertThat(client.hasHtpasswd()).isFalse();
    assertThat(client.hasClientAuth()).isTrue();
  }

  @Test
  void bearerTokenAcceptsAnyOfItsTokensInTheSchemeOnly() throws Exception {
    BearerTokenAuthConfig c = ConfigLoader.bindComponent(new BearerTokenAuthExtensionFactory(),
        "tokens: [first-token, second-token]\n");
    ServerAuthenticator auth = started(new BearerTokenAuthExtensionFactory().create(
        TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, "bearertokenauth"), c));

    assertThat(refusal(auth.authenticate(header("Authorization", "Bearer first-token")))).isNull();
    assertThat(refusal(auth.authenticate(header("authorization", "Bearer second-token")))).isNull();
    assertThat(refusal(auth.authenticate(header("Authorization", "Bearer third-token"))))
        .isEqualTo("the token is not valid");
    assertThat(refusal(auth.authenticate(header("Authorization", "first-token"))))
        .isEqualTo("the Authorization header does not use the \"Bearer\" scheme");
    assertThat(refusal(auth.authenticate(MultiMap.caseInsensitiveMultiMap())))
        .isEqualTo("missing or empty Authorization header");
  }

  @Test
  void bearerTokenFileIsReadAgainWhenItChanges() throws Exception {
    Path file = Files.writeString(dir.resolve("token"), "old-token\n");
    BearerTokenAuthExtension ext = (BearerTokenAuthExtension) new BearerTokenAuthExtensionFactory().create(
        TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, "bearertokenauth"),
        new BearerTokenAuthConfig(null, null, file.toString(), "X-Token"));
    started(ext);
    assertThat(refusal(ext.authenticate(header("X-Token", "Bearer old-token")))).isNull();

    Files.writeString(dir.resolve("token.tmp"), "new-token\n");
    Files.move(dir.resolve("token.tmp"), file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);

    await().atMost(Duration.ofSeconds(10))
        .until(() -> refusal(ext.authenticate(header("X-Token", "Bearer new-token"))) == null);
    assertThat(refusal(ext.authenticate(header("X-Token", "Bearer old-token")))).isNotNull();
    assertThat(ext.headers()).containsExactly(Map.entry("X-Token", "Bearer new-token"));
    ext.shutdown().await(5, TimeUnit.SECONDS);
  }

  @Test
  void bearerTokenNeedsOneOfTokenTokensAndFilename() {
    assertThat(new BearerTokenAuthConfig(null, "a", null, null, java.util.List.of("b")).validate())
        .extracting(p -> p.path()).containsExactly("tokens");
    assertThat(new BearerTokenAuthConfig(null, null, null, null, java.util.List.of("b", " ")).validate())
        .extracting(p -> p.path()).containsExactly("tokens[1]");
  }

  @Test
  void basicAuthHtpasswdNeedsUsersAndAReadableFile() {
    assertThat(new BasicAuthConfig(null, new BasicAuthConfig.HtpasswdSettings(null, " ")).validate())
        .extracting(p -> p.path()).containsExactly("htpasswd");
    assertThat(new BasicAuthConfig(null, new BasicAuthConfig.HtpasswdSettings(dir.resolve("nope").toString(), null))
        .validate()).extracting(p -> p.path()).containsExactly("htpasswd.file");
    assertThat(new BasicAuthConfig(null, new BasicAuthConfig.HtpasswdSettings(null, "a:b")).toString())
        .doesNotContain("a:b");
  }
}
