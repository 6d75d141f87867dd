package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentContext;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Consumer;
import io.sluice.core.Processor;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** {@link ComponentConfig#validateUse}: problems that depend on the signals of the pipelines using a component. */
class ValidateUseTest {
  /** A key that only logs pipelines use. */
  record LogsKeyConfig(String logsOnly) implements ComponentConfig {
    @Override
    public List<ConfigProblem> validateUse(Set<Signal> signals) {
      return logsOnly.isEmpty() || signals.contains(Signal.LOGS) ? List.of()
          : List.of(new ConfigProblem("logs_only", "only for logs; used in " + signals));
    }
  }

  public static final class LogsKeyProcessorFactory implements ProcessorFactory<LogsKeyConfig> {
    @Override
    public String type() {
      return "logs_key";
    }

    @Override
    public Class<LogsKeyConfig> configClass() {
      return LogsKeyConfig.class;
    }

    @Override
    public LogsKeyConfig defaultConfig() {
      return new LogsKeyConfig("");
    }

    @Override
    public Set<Signal> signals() {
      return EnumSet.allOf(Signal.class);
    }

    @Override
    public Processor create(ComponentContext ctx, LogsKeyConfig config, Signal signal, Consumer next) {
      throw new UnsupportedOperationException();
    }
  }

  private static final ConfigLoader LOADER = new ConfigLoader(Factories.of(new FakeComponents.OtlpReceiverFactory(),
      new LogsKeyProcessorFactory(), new FakeComponents.DebugExporterFactory()), Map.of());

  /** logs_key with its logs-only key set, in a traces pipeline and a pipeline of {@code other}. */
  private static String config(String other) {
    return """
        receivers:
          otlp:
        processors:
          logs_key:
            logs_only: x
        exporters:
          debug:
        service:
          pipelines:
            traces:
              receivers: [otlp]
              processors: [logs_key]
              exporters: [debug]
            %s:
              receivers: [otlp]
              processors: [logs_key]
              exporters: [debug]
        """.formatted(other);
  }

  @Test
  void aProblemForTheSignalsInUseIsReportedAtItsKey() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> LOADER.loadYaml("use.yaml",
        config("metrics")));
    assertThat(e).isNotNull();
    assertThat(e.errors()).hasSize(1);
    ConfigError err = e.errors().get(0);
    assertThat(err.file()).isEqualTo("use.yaml");
    assertThat(err.line()).isEqualTo(5);
    assertThat(err.path()).isEqualTo("processors.logs_key.logs_only");
    assertThat(err.message()).isEqualTo("only for logs; used in [traces, metrics]");
  }

  @Test
  void noProblemWhenAPipelineOfThatSignalUsesIt() throws Exception {
    LOADER.loadYaml("use.yaml", config("logs"));
  }
}
