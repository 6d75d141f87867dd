package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ConfigProblem;
import io.sluice.core.ReceiverFactory;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.util.HostPort;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Cors;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Grpc;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Http;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Protocols;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

/**
 * The config as the gateway's binder sees it: Jackson with snake_case names, unknown keys failing,
 * the user's tree merged over the defaults.
 */
class OtlpReceiverConfigTest {
  private final OtlpReceiverFactory factory = new OtlpReceiverFactory();

  /** Binds a user config (JSON is YAML too) over the defaults, as the config loader does. */
  private OtlpReceiverConfig bind(String userJson) throws Exception {
    return ConfigLoader.bindComponent(factory, userJson);
  }

  @Test
  void aProtocolKeyWithNoValueTurnsOnlyThatProtocolOn() throws Exception {
    OtlpReceiverConfig c = ConfigLoader.bindComponent(factory, "protocols:\n  grpc:\n");

    assertThat(c.effectiveProtocols().grpc()).isEqualTo(Grpc.defaults());
    assertThat(c.effectiveProtocols().http()).isNull();
  }

  @Test
  void errorsInsideAProtocolNameTheirKeyPathAndLine() {
    String yaml = "protocols:\n  grpc:\n    endpoint: localhost:4317\n    bogus_key: 1\n  http:\n"
        + "    max_request_body_size: lots\n";

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(factory, yaml));

    assertThat(e.errors()).anySatisfy(err -> {
      assertThat(err.path()).isEqualTo("receivers.otlp.protocols.grpc.bogus_key");
      assertThat(err.line()).isEqualTo(4);
    });
    assertThat(e.errors()).anySatisfy(err -> {
      assertThat(err.path()).isEqualTo("receivers.otlp.protocols.http.max_request_body_size");
      assertThat(err.line()).isEqualTo(6);
      assertThat(err.message()).contains("lots");
    });
  }

  @Test
  void defaultsValidateAndServeBothProtocolsOnTheCollectorPorts() {
    OtlpReceiverConfig c = factory.defaultConfig();
    assertThat(c.validate()).isEmpty();
    Protocols p = c.effectiveProtocols();
    assertThat(p.grpc().endpoint()).isEqualTo("localhost:4317");
    assertThat(p.grpc().maxRecvMsgSizeMib()).isEqualTo(4);
    assertThat(p.grpc().maxConcurrentStreams()).isZero();
    assertThat(p.grpc().includeMetadata()).isFalse();
    assertThat(p.http().endpoint()).isEqualTo("localhost:4318");
    assertThat(p.http().tracesUrlPath()).isEqualTo("/v1/traces");
    assertThat(p.http().metricsUrlPath()).isEqualTo("/v1/metrics");
    assertThat(p.http().logsUrlPath()).isEqualTo("/v1/logs");
    assertThat(p.http().maxRequestBodySize()).isEqualTo(20L * 1024 * 1024);
    assertThat(p.http().cors()).isNull();
  }

  @Test
  void factoryIsFoundByServiceLoader() {
    assertThat(ServiceLoader.load(ReceiverFactory.class).stream().map(ServiceLoader.Provider::get)
        .filter(f -> f.type().equals("otlp")).findFirst()).get().isInstanceOf(OtlpReceiverFactory.class);
  }

  @Test
  void emptyUserConfigServesBothProtocols() throws Exception {
    OtlpReceiverConfig c = bind("{}");
    assertThat(c.validate()).isEmpty();
    assertThat(c.effectiveProtocols().grpc()).isEqualTo(Grpc.defaults());
    assertThat(c.effectiveProtocols().http()).isEqualTo(Http.defaults());
  }

  @Test
  void protocolKeyWithoutValueTurnsOnlyThatProtocolOnWithDefaults() throws Exception {
    OtlpReceiverConfig c = bind("{\"protocols\": {\"grpc\": null}}");
    assertThat(c.validate()).isEmpty();
    assertThat(c.effectiveProtocols().grpc()).isEqualTo(Grpc.defaults());
    assertThat(c.effectiveProtocols().http()).isNull();
  }

  @Test
  void partlyGivenProtocolKeepsDefaultsForTheRest() throws Exception {
    OtlpReceiverConfig c = bind("{\"protocols\": {\"http\": {\"endpoint\": \"0.0.0.0:9999\","
        + " \"traces_url_path\": \"custom/traces\", \"include_metadata\": true,"
        + " \"cors\": {\"allowed_origins\": [\"https://*.example.com\"], \"max_age\": 600}}}}");
    assertThat(c.validate()).isEmpty();
    Http h = c.effectiveProtocols().http();
    assertThat(h.endpoint()).isEqualTo("0.0.0.0:9999");
    assertThat(h.tracesUrlPath()).isEqualTo("/custom/traces");
    assertThat(h.metricsUrlPath()).isEqualTo("/v1/metrics");
    assertThat(h.includeMetadata()).isTrue();
    assertThat(h.maxRequestBodySize()).isEqualTo(Http.DEFAULT_MAX_REQUEST_BODY_SIZE);
    assertThat(h.cors()).isEqualTo(new Cors(List.of("https://*.example.com"), List.of(), 600));
    assertThat(c.effectiveProtocols().grpc()).isNull();
  }

  @Test
  void unknownKeysFail() {
    assertThatThrownBy(() -> bind("{\"protocols\": {\"grpc\": {\"endpoint\": \"localhost:4317\", \"max_recv\": 4}}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("receivers.otlp.protocols.grpc.max_recv: unknown key");
    assertThatThrownBy(() -> bind("{\"protocols\": {\"thrift\": null}}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("receivers.otlp.protocols.thrift: unknown key");
    assertThatThrownBy(() -> bind("{\"protocol\": {}}"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("receivers.otlp.protocol: unknown key");
  }

  @Test
  void protocolsNamingNothingIsAProblem() throws Exception {
    assertThatThrownBy(() -> bind("{\"protocols\": {}}"))
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("receivers.otlp.protocols: names no protocol");
  }

  @Test
  void everyBadValueIsReportedWithItsPath() {
    OtlpReceiverConfig c = new OtlpReceiverConfig(new Protocols(
        new Grpc("localhost", 0, -1L, null),
        new Http("http://0.0.0.0:4318", "/v1/traces", "/v1/traces", "", 0L, null,
            new Cors(List.of("*", "https://ok.example.com", "example.com", "https://a.example.com/path"),
                List.of("X-Ok", "bad header"), -5))));
    List<ConfigProblem> problems = c.validate();
    assertThat(problems).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
        "protocols.grpc.endpoint",
        "protocols.grpc.max_recv_msg_size_mib",
        "protocols.grpc.max_concurrent_streams",
        "protocols.http.endpoint",
        "protocols.http.metrics_url_path",
        "protocols.http.logs_url_path",
        "protocols.http.max_request_body_size",
        "protocols.http.cors.allowed_origins[2]",
        "protocols.http.cors.allowed_origins[3]",
        "protocols.http.cors.allowed_headers[1]",
        "protocols.http.cors.max_age");
    assertThat(problems).filteredOn(p -> p.path().equals("protocols.grpc.endpoint"))
        .first().extracting(ConfigProblem::message).asString().contains("\"localhost\"", "no port");
    assertThat(problems).filteredOn(p -> p.path().equals("protocols.http.endpoint"))
        .first().extracting(ConfigProblem::message).asString().contains("scheme", "\"0.0.0.0:4318\"");
  }

  @Test
  void endpointsAreHostAndAPortClientsCanKnow() {
    assertThat(OtlpReceiverConfig.listenAddress(":4317")).isEqualTo(new HostPort("0.0.0.0", 4317));
    assertThat(OtlpReceiverConfig.listenAddress("[::1]:4318")).isEqualTo(new HostPort("::1", 4318));
    for (String bad : List.of("", "localhost:", "localhost:65536", "localhost:0", "localhost:http", "::1:4317",
        "host name:4317")) {
      assertThatThrownBy(() -> OtlpReceiverConfig.listenAddress(bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThatThrownBy(() -> OtlpReceiverConfig.listenAddress("localhost:0"))
        .hasMessageContaining("\"localhost:0\": port 0");
  }

  @Test
  void bothProtocolsOnOnePortIsAProblem() {
    OtlpReceiverConfig c = new OtlpReceiverConfig(new Protocols(
        new Grpc("0.0.0.0:4317", null, null, null),
        new Http("localhost:4317", null, null, null, null, null, null)));
    assertThat(c.validate()).extracting(ConfigProblem::path).containsExactly("protocols.http.endpoint");
  }
}
