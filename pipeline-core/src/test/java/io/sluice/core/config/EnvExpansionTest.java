package io.sluice.core.config;

import static io.sluice.core.config.ConfigTestSupport.errorAt;
import static io.sluice.core.config.ConfigTestSupport.loader;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.sluice.core.ComponentId;
import io.sluice.core.config.FakeComponents.BatchConfig;
import io.sluice.core.config.FakeComponents.OtlpExporterConfig;
import io.sluice.core.config.YamlNode.MapNode;
import io.sluice.core.config.YamlNode.Scalar;
import io.sluice.core.config.YamlNode.ScalarType;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class EnvExpansionTest {
  private static final Map<String, String> ENV = Map.of(
      "HOST", "collector", "PORT", "4317", "FLAG", "true", "EMPTY", "", "TIMEOUT", "3s");

  /** The scalar at {@code key} of a one-line document after expansion. */
  private static Scalar expand(String yamlLine, Map<String, String> env) {
    List<ConfigError> errors = new ArrayList<>();
    YamlNode tree = EnvExpansion.expand(YamlTree.parse("t.yaml", yamlLine, errors), env, errors);
    assertThat(errors).isEmpty();
    return (Scalar) ((MapNode) tree).get("v");
  }

  @Test
  void expandsEveryReferenceForm() {
    assertThat(expand("v: ${env:HOST}:${PORT}", ENV).text()).isEqualTo("collector:4317");
    assertThat(expand("v: http://${HOST}/x", ENV).text()).isEqualTo("http://collector/x");
    assertThat(expand("v: ${env:MISSING:-fallback:1}", ENV).text()).isEqualTo("fallback:1");
    assertThat(expand("v: ${MISSING:-other}", ENV).text()).isEqualTo("other");
    assertThat(expand("v: ${env:HOST:-unused}", ENV).text()).isEqualTo("collector");
    assertThat(expand("v: ${env:EMPTY:-unused}", ENV).text()).as("set but empty is set").isEmpty();
  }

  @Test
  void doubleDollarIsALiteralDollar() {
    assertThat(expand("v: price $$5 and $${env:HOST}", ENV).text()).isEqualTo("price $5 and ${env:HOST}");
    assertThat(expand("v: a$b", ENV).text()).as("a lone $ stays").isEqualTo("a$b");
  }

  @Test
  void plainSingleReferenceTakesTheTypeOfItsValue() {
    Scalar port = expand("v: ${env:PORT}", ENV);
    assertThat(port.type()).isEqualTo(ScalarType.INT);
    assertThat(port.text()).isEqualTo("4317");
    assertThat(expand("v: ${FLAG}", ENV).type()).isEqualTo(ScalarType.BOOL);
    assertThat(expand("v: ${env:MISSING}", ENV).type()).isEqualTo(ScalarType.NULL);
  }

  @Test
  void quotedOrEmbeddedReferenceStaysAString() {
    assertThat(expand("v: \"${env:PORT}\"", ENV).type()).isEqualTo(ScalarType.STRING);
    assertThat(expand("v: '${env:PORT}'", ENV).type()).isEqualTo(ScalarType.STRING);
    assertThat(expand("v: ${env:PORT}${env:PORT}", ENV).type()).isEqualTo(ScalarType.STRING);
    assertThat(expand("v: 1${env:PORT}", ENV).type()).isEqualTo(ScalarType.STRING);
  }

  @Test
  void undefinedVariableExpandsToEmptyWithAWarningNamingIt() {
    ch.qos.logback.classic.Logger logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(EnvExpansion.class);
    ListAppender<ILoggingEvent> appender = new ListAppender<>();
    appender.start();
    logger.addAppender(appender);
    try {
      assertThat(expand("v: x${env:NOT_SET_ANYWHERE}y", ENV).text()).isEqualTo("xy");
    } finally {
      logger.detachAppender(appender);
    }
    assertThat(appender.list).singleElement().satisfies(event -> {
      assertThat(event.getLevel()).isEqualTo(Level.WARN);
      assertThat(event.getFormattedMessage()).contains("\"NOT_SET_ANYWHERE\"").contains("t.yaml:1:4");
    });
  }

  @Test
  void keysAreNotExpanded() {
    List<ConfigError> errors = new ArrayList<>();
    YamlNode tree = EnvExpansion.expand(YamlTree.parse("t.yaml", "${HOST}: 1", errors), ENV, errors);
    assertThat(((MapNode) tree).entries()).containsOnlyKeys("${HOST}");
  }

  @Test
  void expandedValuesBindWithTheirTypes() throws Exception {
    ServiceConfig config = loader(ENV).loadYaml("env.yaml", """
        receivers:
          otlp:
        processors:
          batch:
            send_batch_size: ${env:PORT}
            timeout: ${TIMEOUT}
        exporters:
          otlp:
            endpoint: ${env:HOST}:${env:PORT}
            insecure: ${env:FLAG}
            timeout: ${env:NOT_SET}
        service:
          pipelines:
            traces:
              receivers: [otlp]
              processors: [batch]
              exporters: [otlp]
        """);

    BatchConfig batch = (BatchConfig) config.processors().get(ComponentId.of("batch")).config();
    assertThat(batch.sendBatchSize()).isEqualTo(4317);
    assertThat(batch.timeout()).isEqualTo(Duration.ofSeconds(3));
    OtlpExporterConfig otlp = (OtlpExporterConfig) config.exporters().get(ComponentId.of("otlp")).config();
    assertThat(otlp.endpoint()).isEqualTo("collector:4317");
    assertThat(otlp.insecure()).isTrue();
    assertThat(otlp.timeout()).as("unset: an empty value keeps the default").isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void malformedReferencesAreErrors() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader(ENV).loadYaml("env.yaml", """
        exporters:
          otlp:
            endpoint: ${env:HOST
            headers:
              a: ${file:/etc/secret}
              b: ${env:BAD-NAME}
        """));

    assertThat(errorAt(e, "exporters.otlp.endpoint").message()).contains("without its closing \"}\"");
    assertThat(errorAt(e, "exporters.otlp.endpoint").line()).isEqualTo(3);
    assertThat(errorAt(e, "exporters.otlp.headers.a").message()).contains("config source \"file\"");
    assertThat(errorAt(e, "exporters.otlp.headers.b").message()).contains("does not name an environment variable");
  }
}
