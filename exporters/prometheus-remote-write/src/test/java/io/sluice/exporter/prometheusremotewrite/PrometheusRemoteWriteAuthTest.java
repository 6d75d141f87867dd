package io.sluice.exporter.prometheusremotewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Exporter;
import io.sluice.core.ExtensionFactory;
import io.sluice.core.auth.BasicAuthExtensionFactory;
import io.sluice.core.auth.BearerTokenAuthExtensionFactory;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.health.HealthCheckExtensionFactory;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code auth: {authenticator: ...}} with the basicauth and bearertokenauth extensions. */
class PrometheusRemoteWriteAuthTest {
  @RegisterExtension
  final ExporterFixture fx = new ExporterFixture("prometheusremotewrite/auth");

  @TempDir
  Path dir;

  private PrometheusRemoteWriteExporterConfig config(String authenticator) {
    return TestBatches.config(fx.port, null, 0, Duration.ofSeconds(5)).withAuthenticator(authenticator);
  }

  /** Starts an extension made by {@code factory} from {@code yaml} and offers it to the exporters as {@code id}. */
  private <C extends ComponentConfig> void addExtension(ExtensionFactory<C> factory,
      String id, String yaml) throws Exception {
    fx.addExtension(id, factory.create(TestContexts.context(fx.tv.vertx(), ComponentKind.EXTENSION, id),
        ConfigLoader.bindComponent(factory, yaml)));
  }

  private RemoteWriteSink.Received sendOne(Exporter e) throws Exception {
    e.consume(TestData.metrics(1, 0)).await(10, TimeUnit.SECONDS);
    await().atMost(Duration.ofSeconds(10)).until(() -> fx.sink.calls() >= 1);
    return fx.sink.received.get(0);
  }

  @Test
  void sendsBasicAuthFromTheNamedExtension() throws Exception {
    addExtension(new BasicAuthExtensionFactory(), "basicauth/client",
        "client_auth: {username: alice, password: \"p@ss:word\"}");

    RemoteWriteSink.Received r = sendOne(fx.start(config("basicauth/client")));

    assertThat(r.headers().get("Authorization")).isEqualTo("Basic "
        + Base64.getEncoder().encodeToString("alice:p@ss:word".getBytes(StandardCharsets.UTF_8)));
    assertThat(r.headers().get("Content-Type")).isEqualTo("application/x-protobuf");
  }

  @Test
  void sendsTheBearerTokenReadFromItsFile() throws Exception {
    Path token = dir.resolve("token");
    Files.writeString(token, "tok-42\n");
    addExtension(new BearerTokenAuthExtensionFactory(), "bearertokenauth", "filename: " + token);

    RemoteWriteSink.Received r = sendOne(fx.start(config("bearertokenauth")));

    assertThat(r.headers().get("Authorization")).isEqualTo("Bearer tok-42");
  }

  @Test
  void authHeadersDoNotReplaceTheRemoteWriteHeaders() throws Exception {
    addExtension(new BearerTokenAuthExtensionFactory(), "bearertokenauth/odd",
        "token: t\nheader: Content-Type\nscheme: \"\"");

    RemoteWriteSink.Received r = sendOne(fx.start(config("bearertokenauth/odd")));

    assertThat(r.headers().getAll("Content-Type")).containsExactly("application/x-protobuf");
  }

  @Test
  void startFailsNamingTheKeyWhenTheAuthenticatorIsNotAnExtensionOfTheService() {
    Throwable t = catchThrowable(() -> fx.start(config("basicauth/missing")));

    assertThat(t).hasMessageContaining("prometheusremotewrite/auth").hasMessageContaining("auth.authenticator")
        .hasMessageContaining("basicauth/missing").hasMessageContaining("service.extensions");
    assertThat(fx.sink.calls()).isZero();
  }

  @Test
  void startFailsWhenTheAuthenticatorDoesNotAuthenticateRequests() throws Exception {
    addExtension(new HealthCheckExtensionFactory(), "health_check",
        "endpoint: 127.0.0.1:" + Ports.freePort());

    Throwable t = catchThrowable(() -> fx.start(config("health_check")));

    assertThat(t).hasMessageContaining("auth.authenticator").hasMessageContaining("does not authenticate");
    assertThat(fx.extensions).containsKey(ComponentId.parse("health_check"));
  }

  @Test
  void authBindsFromTheCollectorsKeysAndNeedsAnAuthenticator() throws Exception {
    var factory = new PrometheusRemoteWriteExporterFactory();
    PrometheusRemoteWriteExporterConfig c = ConfigLoader.bindComponent(factory,
        "endpoint: http://prom:9090/api/v1/write\nauth:\n  authenticator: basicauth/client\n");
    assertThat(c.auth().authenticator()).isEqualTo("basicauth/client");
    assertThat(factory.defaultConfig().auth()).isNull();

    assertThat(c.withAuthenticator("").validate()).extracting(ConfigProblem::path)
        .containsExactly("auth.authenticator");
  }
}
