package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import io.sluice.core.auth.AuthSettings;
import io.sluice.core.auth.BasicAuthExtensionFactory;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The loader's check that every {@code auth.authenticator} of a running component is in service.extensions. */
class AuthenticatorCheckTest {
  private final ConfigLoader loader = new ConfigLoader(Factories.of(new FakeComponents.OtlpReceiverFactory(),
      new AuthedExporterFactory(), new BasicAuthExtensionFactory()), Map.of());

  private static String config(String serviceExtensions, String authenticator) {
    return """
        receivers:
          otlp:
        exporters:
          authed:
            endpoint: http://example:1234
            auth:
              authenticator: %s
          authed/unused:
            auth:
              authenticator: basicauth/elsewhere
        extensions:
          basicauth/client:
            client_auth: {username: u, password: p}
        service:
          extensions: %s
          pipelines:
            traces: {receivers: [otlp], exporters: [authed]}
        """.formatted(authenticator, serviceExtensions);
  }

  @Test
  void loadsWhenTheAuthenticatorIsListedInServiceExtensions() throws Exception {
    ServiceConfig c = loader.loadYaml("gw.yaml", config("[basicauth/client]", "basicauth/client"));
    assertThat(c.serviceExtensions()).containsExactly(ComponentId.parse("basicauth/client"));
  }

  @Test
  void anAuthenticatorDefinedButNotInServiceExtensionsIsAnErrorAtItsLine() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> loader.loadYaml("gw.yaml", config("[]", "basicauth/client")));

    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.file()).isEqualTo("gw.yaml");
      assertThat(err.line()).isEqualTo(7);
      assertThat(err.path()).isEqualTo("exporters.authed.auth.authenticator");
      assertThat(err.message()).contains("\"basicauth/client\" is not listed in service.extensions");
    });
  }

  @Test
  void anAuthenticatorNotDefinedIsAnErrorWithASuggestion() {
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> loader.loadYaml("gw.yaml", config("[basicauth/client]", "basicauth/clent")));

    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.path()).isEqualTo("exporters.authed.auth.authenticator");
      assertThat(err.message()).contains("\"basicauth/clent\" is not defined").contains("basicauth/client");
    });
  }

  /** An exporter with the Collector's {@code auth} section. */
  record AuthedConfig(String endpoint, AuthSettings auth) implements ComponentConfig {
    @Override
    public List<ConfigProblem> validate() {
      return auth == null ? List.of() : auth.validate("auth");
    }
  }

  static final class AuthedExporterFactory implements ExporterFactory<AuthedConfig> {
    @Override
    public String type() {
      return "authed";
    }

    @Override
    public Class<AuthedConfig> configClass() {
      return AuthedConfig.class;
    }

    @Override
    public AuthedConfig defaultConfig() {
      return new AuthedConfig("", null);
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.allOf(Signal.class);
    }

    @Override
    public Exporter create(ComponentContext ctx, AuthedConfig config) {
      throw new UnsupportedOperationException();
    }
  }
}
