package io.sluice.processor.attributes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ProcessorFactory;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class AttributesConfigTest {
  private final AttributesProcessorFactory attributes = new AttributesProcessorFactory();
  private final ResourceProcessorFactory resource = new ResourceProcessorFactory();

  @Test
  @SuppressWarnings("rawtypes")
  void bothFactoriesAreRegistered() {
    List<String> types = ServiceLoader.load(ProcessorFactory.class).stream().map(p -> p.get().type()).toList();
    assertThat(types).contains("attributes", "resource");
  }

  @Test
  void bindsCollectorYamlKeepingValueTypes() throws Exception {
    AttributesProcessorConfig c = ConfigLoader.bindComponent(attributes, """
        include:
          match_type: regexp
          services: ["check.*"]
          span_names: ["^GET "]
          attributes:
            - key: http.route
              value: ^/api
          libraries:
            - name: io.sluice.*
              version: "1.0.0"
        exclude:
          match_type: strict
          span_kinds: [SPAN_KIND_CLIENT]
          resources:
            - key: host.name
        actions:
          - key: environment
            value: production
            action: insert
          - key: retries
            value: 3
            action: upsert
          - key: ratio
            value: 0.25
            action: upsert
          - key: sampled
            value: true
            action: UPSERT
          - key: copy
            from_attribute: environment
            action: insert
          - key: tenant
            from_context: metadata.x-tenant
            action: insert
          - pattern: ^tmp\\.
            action: delete
          - key: url.full
            pattern: ^(?P<scheme>[a-z]+)://(?P<host>[^/]+)
            action: extract
          - key: http.status_code
            converted_type: int
            action: convert
        """);
    List<AttributeActionConfig> a = c.actions();
    assertThat(a).hasSize(9);
    assertThat(a.get(0).value()).isEqualTo("production");
    assertThat(a.get(1).value()).isInstanceOf(Number.class);
    assertThat(Values.fromYaml(a.get(1).value()).getIntValue()).isEqualTo(3);
    assertThat(Values.fromYaml(a.get(2).value()).getDoubleValue()).isEqualTo(0.25);
    assertThat(a.get(3).value()).isEqualTo(true);
    assertThat(a.get(3).actionName()).isEqualTo("upsert");
    assertThat(a.get(4).fromAttribute()).isEqualTo("environment");
    assertThat(a.get(5).fromContext()).isEqualTo("metadata.x-tenant");
    assertThat(a.get(6).pattern()).isEqualTo("^tmp\\.");
    assertThat(a.get(8).convertedType()).isEqualTo("int");
    assertThat(c.include().isRegexp()).isTrue();
    assertThat(c.include().services()).containsExactly("check.*");
    assertThat(c.include().attributes()).containsExactly(new MatchProperties.Attribute("http.route", "^/api"));
    assertThat(c.include().libraries()).containsExactly(new MatchProperties.Library("io.sluice.*", "1.0.0"));
    assertThat(c.exclude().isRegexp()).isFalse();
    assertThat(c.exclude().spanKinds()).containsExactly("SPAN_KIND_CLIENT");
    assertThat(c.exclude().resources()).containsExactly(new MatchProperties.Attribute("host.name", null));
  }

  @Test
  void bindsTheResourceProcessorsAttributesList() throws Exception {
    ResourceProcessorConfig c = ConfigLoader.bindComponent(resource, """
        attributes:
          - key: deployment.environment
            value: production
            action: upsert
          - key: host.id
            action: delete
        """);
    assertThat(c.attributes()).extracting(AttributeActionConfig::actionName).containsExactly("upsert", "delete");
  }

  @Test
  void noActionsIsAnErrorAsInTheCollector() {
    assertThat(errors(attributes, "")).extracting(ConfigError::path).containsExactly("processors.attributes.actions");
    assertThat(errors(resource, "attributes: []")).extracting(ConfigError::path)
        .containsExactly("processors.resource.attributes");
  }

  @Test
  void reportsEveryActionProblemWithItsKeyPath() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(attributes, """
        actions:
          - key: a
            value: x
            action: rename
          - value: x
            action: insert
          - key: b
            action: upsert
          - key: c
            value: 1
            from_attribute: d
            action: update
          - action: delete
          - key: e
            pattern: '(unclosed'
            action: hash
          - key: f
            pattern: '^(\\w+)$'
            action: extract
          - key: g
            action: extract
          - key: h
            converted_type: bool
            action: convert
          - key: i
            action: convert
          - key: j
            action: delete
            value: 1
          - key: k
            action: hash
            default_value: x
          - key: l
            from_attribute: m
            default_value: 99999999999999999999999
            action: insert
        """));
    assertThat(e).isNotNull();
    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.attributes.actions[0].action",
        "processors.attributes.actions[1].key",
        "processors.attributes.actions[2]",
        "processors.attributes.actions[3]",
        "processors.attributes.actions[4].key",
        "processors.attributes.actions[5].pattern",
        "processors.attributes.actions[6].pattern",
        "processors.attributes.actions[7].pattern",
        "processors.attributes.actions[8].converted_type",
        "processors.attributes.actions[9].converted_type",
        "processors.attributes.actions[10].value",
        "processors.attributes.actions[11].default_value",
        "processors.attributes.actions[12].default_value");
    assertThat(message(e, "actions[0].action")).contains("\"rename\"")
        .contains("insert, update, upsert, delete, hash, extract, convert");
    assertThat(message(e, "actions[2]")).contains("exactly one of \"value\", \"from_attribute\" and \"from_context\"")
        .contains("\"default_value\" alone");
    assertThat(message(e, "actions[5].pattern")).contains("\"(unclosed\"").contains("missing closing )");
    assertThat(message(e, "actions[6].pattern")).contains("no named group");
    assertThat(message(e, "actions[8].converted_type")).contains("\"bool\"").contains("int, double, string");
  }

  @Test
  void deleteAndHashAcceptAPatternWithoutKey() throws Exception {
    AttributesProcessorConfig c = ConfigLoader.bindComponent(attributes, """
        actions:
          - pattern: ^secret
            action: delete
          - pattern: email$
            action: hash
        """);
    assertThat(c.actions()).hasSize(2);
  }

  @Test
  void reportsMatchPropertiesProblemsWithKeyPaths() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(attributes, """
        include:
          match_type: fuzzy
          services: [a]
        exclude:
          match_type: regexp
          span_names: ['ok', '[bad']
          attributes:
            - key: n
              value: 5
            - value: x
          libraries:
            - version: "1"
        actions:
          - key: a
            action: delete
        """));
    assertThat(e).isNotNull();
    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.attributes.include.match_type",
        "processors.attributes.exclude.span_names[1]",
        "processors.attributes.exclude.attributes[0].value",
        "processors.attributes.exclude.attributes[1].key",
        "processors.attributes.exclude.libraries[0].name");
    assertThat(message(e, "include.match_type")).contains("\"fuzzy\"").contains("strict, regexp");
    assertThat(message(e, "span_names[1]")).contains("\"[bad\"").contains("missing closing ]");
  }

  @Test
  void aMatchSectionNeedsAMatchTypeAndAProperty() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(attributes, """
        include:
          services: [a]
        exclude:
          match_type: strict
        actions:
          - key: a
            action: delete
        """));
    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.attributes.include.match_type", "processors.attributes.exclude");
  }

  @Test
  void bindsSeverityNumbersByNameOrNumberAndAcceptsTheRegexpCacheSettings() throws Exception {
    AttributesProcessorConfig c = ConfigLoader.bindComponent(attributes, """
        include:
          match_type: regexp
          regexp:
            cacheenabled: true
            cachemaxnumentries: 100
          log_severity_number:
            min: warn2
            match_undefined: true
        exclude:
          match_type: strict
          log_severity_number:
            min: 17
        actions:
          - key: a
            action: delete
        """);
    assertThat(c.include().logSeverityNumber().minNumber()).isEqualTo(14);
    assertThat(c.include().logSeverityNumber().matchUndefined()).isTrue();
    assertThat(c.exclude().logSeverityNumber().minNumber()).isEqualTo(17);
    assertThat(errors(attributes, """
        include:
          match_type: strict
          log_severity_number:
            min: LOUD
        actions:
          - key: a
            action: delete
        """)).extracting(ConfigError::path)
        .containsExactly("processors.attributes.include.log_severity_number.min");
  }

  @Test
  void unknownKeysAreErrors() {
    assertThat(errors(resource, """
        attributes:
          - key: a
            action: delete
            regex: x
        """)).isNotEmpty().allSatisfy(err -> assertThat(err.path()).startsWith("processors.resource.attributes[0]"));
  }

  private static List<ConfigError> errors(ProcessorFactory<?> f, String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(f, yaml));
    assertThat(e).as("a ConfigException for %s", yaml).isNotNull();
    return e.errors();
  }

  private static String message(ConfigException e, String pathSuffix) {
    return e.errors().stream().filter(x -> x.path().endsWith(pathSuffix)).findFirst().orElseThrow().message();
  }
}
