package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentFactory;
import io.sluice.core.ComponentKind;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * How a log receiver's config carries {@code operators}: a {@code List<Map<String, Object>>}
 * bound by the config loader, checked in {@code validate()}; the loader then puts file, line and
 * full path on every problem.
 */
class ConfigBindingTest {

  record LogsConfig(List<Map<String, Object>> operators) implements ComponentConfig {
    @Override
    public List<ConfigProblem> validate() {
      return OperatorPipeline.validate(operators, "operators");
    }
  }

  static final class LogsFactory implements ComponentFactory<LogsConfig> {
    @Override
    public String type() {
      return "test_logs";
    }

    @Override
    public ComponentKind kind() {
      return ComponentKind.RECEIVER;
    }

    @Override
    public Class<LogsConfig> configClass() {
      return LogsConfig.class;
    }

    @Override
    public LogsConfig defaultConfig() {
      return new LogsConfig(List.of());
    }

    @Override
    public Set<Signal> signals() {
      return Set.of(Signal.LOGS);
    }
  }

  @Test
  void operatorProblemsGetTheFileLineAndFullPath() {
    String yaml = """
        operators:
          - type: json_parser
          - type: regex_parser
            regexp: '^(?P<level>\\w+)'
            timestamp:
              parse_from: attributes.time
              layout: '%Q'
        """;
    ConfigException e = catchThrowableOfType(ConfigException.class,
        () -> ConfigLoader.bindComponent(new LogsFactory(), yaml));
    assertThat(e.errors()).anySatisfy(err -> {
      assertThat(err.path()).isEqualTo("receivers.test_logs.operators[1].regexp");
      assertThat(err.line()).isEqualTo(4);
      assertThat(err.message()).contains("unknown key");
    });
    assertThat(e.errors()).anySatisfy(err -> {
      assertThat(err.path()).isEqualTo("receivers.test_logs.operators[1].timestamp.layout");
      assertThat(err.line()).isEqualTo(7);
      assertThat(err.message()).contains("%Q");
    });
  }

  @Test
  void aBoundListBuildsAndRuns() throws Exception {
    LogsConfig c = ConfigLoader.bindComponent(new LogsFactory(), """
        operators:
          - type: regex_parser
            regex: '^(?P<level>\\w+) (?P<n>\\d+)'
            severity: {parse_from: attributes.level}
          - type: filter
            expr: 'attributes.n == "0"'
            drop_ratio: 1.0
          - type: add
            field: attributes.ratio
            value: 0.5
        """);
    OperatorPipeline p = OperatorPipeline.build(c.operators(), "operators");
    LogEntry e = p.process(new LogEntry("ERROR 7")).get(0);
    assertThat(e.severityNumber()).isEqualTo(17);
    assertThat(((Number) e.attributes().get("ratio")).doubleValue()).isEqualTo(0.5);
    assertThat(p.process(new LogEntry("INFO 0"))).isEmpty();
  }
}
