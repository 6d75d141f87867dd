package io.sluice.core.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Extension;
import io.sluice.core.Host;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthExtensionsTest {
  private final TestVertx tv = TestVertx.create();

  @TempDir
  Path dir;

  @AfterEach
  void tearDown() {
    tv.close();
  }

  private static final BasicAuthExtensionFactory BASIC = new BasicAuthExtensionFactory();
  private static final BearerTokenAuthExtensionFactory BEARER = new BearerTokenAuthExtensionFactory();

  // ---------------------------------------------------------------- basicauth

  @Test
  void basicAuthFactoriesAreFoundUnderTheCollectorsTypeNames() {
    Factories f = Factories.load();
    assertThat(f.extension("basicauth")).isInstanceOf(BasicAuthExtensionFactory.class);
    assertThat(f.extension("bearertokenauth")).isInstanceOf(BearerTokenAuthExtensionFactory.class);
  }

  @Test
  void basicAuthSendsBase64OfUserColonPassword() throws Exception {
    BasicAuthConfig c = ConfigLoader.bindComponent(BASIC, "client_auth:\n  username: alice\n  password: s3cr:t\n");
    HttpClientAuth auth = started(BASIC.create(context("basicauth"), c));

    String expected = "Basic " + Base64.getEncoder().encodeToString("alice:s3cr:t".getBytes(StandardCharsets.UTF_8));
    assertThat(auth.headers()).containsExactly(Map.entry("Authorization", expected));
  }

  @Test
  void basicAuthWithoutClientAuthIsAnErrorAtClientAuth() {
    assertThat(BASIC.defaultConfig().validate()).extracting(ConfigProblem::path).containsExactly("client_auth");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(BASIC, ""));
    assertThat(e.errors()).extracting(err -> err.path()).containsExactly("extensions.basicauth.client_auth");
  }

  @Test
  void basicAuthRejectsAnEmptyUserOrAColonInIt() {
    assertThat(new BasicAuthConfig(new BasicAuthConfig.ClientAuth("", "p")).validate())
        .extracting(ConfigProblem::path).containsExactly("client_auth.username");
    assertThat(new BasicAuthConfig(new BasicAuthConfig.ClientAuth("a:b", "p")).validate())
        .singleElement().satisfies(p -> {
          assertThat(p.path()).isEqualTo("client_auth.username");
          assertThat(p.message()).contains("':'");
        });
    assertThat(new BasicAuthConfig(new BasicAuthConfig.ClientAuth("a", "p\nq")).validate())
        .extracting(ConfigProblem::path).containsExactly("client_auth.password");
  }

  @Test
  void basicAuthUnknownKeyIsAnErrorWithItsPath() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ConfigLoader.bindComponent(BASIC, "client_auth:\n  username: a\n  pasword: b\n"));
    assertThat(e.errors()).extracting(err -> err.path()).containsExactly("extensions.basicauth.client_auth.pasword");
  }

  @Test
  void passwordsAndTokensAreNotInTheConfigsText() {
    BasicAuthConfig b = new BasicAuthConfig(new BasicAuthConfig.ClientAuth("alice", "hunter2"));
    BearerTokenAuthConfig t = new BearerTokenAuthConfig(null, "tok-123", null, null);
    assertThat(b.toString()).contains("alice").doesNotContain("hunter2");
    assertThat(t.toString()).doesNotContain("tok-123");
  }

  // ---------------------------------------------------------------- bearertokenauth

  @Test
  void bearerTokenDefaultsToTheBearerSchemeInAuthorization() throws Exception {
    BearerTokenAuthConfig c = ConfigLoader.bindComponent(BEARER, "token: abc.def\n");
    assertThat(c.scheme()).isEqualTo("Bearer");
    assertThat(c.header()).isEqualTo("Authorization");
    assertThat(c.filename()).isEmpty();

    HttpClientAuth auth = started(BEARER.create(context("bearertokenauth"), c));
    assertThat(auth.headers()).containsExactly(Map.entry("Authorization", "Bearer abc.def"));
  }

  @Test
  void bearerTokenTakesAnotherHeaderAndSchemeOrNoScheme() throws Exception {
    BearerTokenAuthConfig custom = ConfigLoader.bindComponent(BEARER, "token: t1\nscheme: Token\nheader: X-Auth\n");
    assertThat(this.<HttpClientAuth>started(BEARER.create(context("bearertokenauth/a"), custom)).headers())
        .containsExactly(Map.entry("X-Auth", "Token t1"));

    BearerTokenAuthConfig bare = ConfigLoader.bindComponent(BEARER, "token: t2\nscheme: \"\"\n");
    assertThat(this.<HttpClientAuth>started(BEARER.create(context("bearertokenauth/b"), bare)).headers())
        .containsExactly(Map.entry("Authorization", "t2"));
  }

  @Test
  void bearerTokenIsReadFromFilenameAtStart() throws Exception {
    Path file = dir.resolve("token");
    Files.writeString(file, "from-file\n");
    BearerTokenAuthConfig c = ConfigLoader.bindComponent(BEARER, "filename: " + file + "\n");
    Extension ext = BEARER.create(context("bearertokenauth"), c);
    HttpClientAuth auth = (HttpClientAuth) ext;
    assertThat(catchThrowableOfType(IllegalStateException.class, auth::headers)).hasMessageContaining("not started");

    started(ext);
    assertThat(auth.headers()).containsExactly(Map.entry("Authorization", "Bearer from-file"));
  }

  @Test
  void bearerTokenFileThatCannotBeReadFailsStartNamingIt() {
    Path missing = dir.resolve("nope");
    Extension ext = BEARER.create(context("bearertokenauth"),
        new BearerTokenAuthConfig(null, null, missing.toString(), null));
    Throwable t = catchThrowableOfType(Exception.class, () -> ext.start().await(10, TimeUnit.SECONDS));
    assertThat(t).hasMessageContaining(missing.toString()).hasMessageContaining("bearertokenauth");
  }

  @Test
  void bearerTokenNeedsExactlyOneOfTokenAndFilename() {
    assertThat(BEARER.defaultConfig().validate()).extracting(ConfigProblem::path).containsExactly("token");
    assertThat(new BearerTokenAuthConfig(null, "t", "/f", null).validate())
        .extracting(ConfigProblem::path).containsExactly("filename");
    assertThat(new BearerTokenAuthConfig(null, "t", null, "Bad Header").validate())
        .extracting(ConfigProblem::path).containsExactly("header");
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(BEARER, ""));
    assertThat(e.errors()).extracting(err -> err.path()).containsExactly("extensions.bearertokenauth.token");
  }

  // ---------------------------------------------------------------- auth settings

  @Test
  void authSettingsResolveAStartedAuthenticatorFromTheHost() throws Exception {
    Extension ext = started(BASIC.create(context("basicauth/x"),
        new BasicAuthConfig(new BasicAuthConfig.ClientAuth("u", "p"))));
    Host host = TestContexts.hostWith(Map.of(ComponentId.parse("basicauth/x"), ext));
    ComponentContext exporter = new ComponentContext(ComponentId.parse("otlphttp"), ComponentKind.EXPORTER, "",
        tv.vertx(), new SelfMetrics(), host);

    assertThat(new AuthSettings("basicauth/x").resolve(exporter, "auth")).isSameAs(ext);
    IllegalStateException missing = catchThrowableOfType(IllegalStateException.class,
        () -> new AuthSettings("basicauth/y").resolve(exporter, "auth"));
    assertThat(missing).hasMessageStartingWith("auth.authenticator:").hasMessageContaining("basicauth/y")
        .hasMessageContaining("service.extensions");
  }

  @Test
  void authSettingsNeedAnAuthenticatorId() {
    assertThat(new AuthSettings(null).validate("auth")).extracting(ConfigProblem::path)
        .containsExactly("auth.authenticator");
    assertThat(new AuthSettings("bad/").validate("auth")).extracting(ConfigProblem::path)
        .containsExactly("auth.authenticator");
    assertThat(new AuthSettings("basicauth/client").validate("auth")).isEmpty();
  }

  private ComponentContext context(String id) {
    return TestContexts.context(tv.vertx(), ComponentKind.EXTENSION, id);
  }

  @SuppressWarnings("unchecked")
  private <T> T started(Extension e) throws Exception {
    e.start().await(10, TimeUnit.SECONDS);
    return (T) e;
  }
}
