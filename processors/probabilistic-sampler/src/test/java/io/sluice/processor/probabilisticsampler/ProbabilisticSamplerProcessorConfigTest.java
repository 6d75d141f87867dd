package io.sluice.processor.probabilisticsampler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ConfigProblem;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.config.Factories;
import io.sluice.core.config.ServiceConfig;
import io.sluice.exporter.otlp.OtlpExporterFactory;
import io.sluice.receiver.otlp.OtlpReceiverFactory;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class ProbabilisticSamplerProcessorConfigTest {
  private static final Factories FACTORIES = Factories.of(new OtlpReceiverFactory(),
      new ProbabilisticSamplerProcessorFactory(), new OtlpExporterFactory());

  @Test
  void defaultsAreTheCollectors() {
    ProbabilisticSamplerProcessorConfig d = new ProbabilisticSamplerProcessorFactory().defaultConfig();
    assertThat(d.samplingPercentage()).isZero();
    assertThat(d.hashSeed()).isZero();
    assertThat(d.mode()).isEqualTo("hash_seed");
    assertThat(d.samplingPrecision()).isEqualTo(4);
    assertThat(d.failClosed()).isTrue();
    assertThat(d.attributeSource()).isEqualTo("traceID");
    assertThat(d.fromAttribute()).isEmpty();
    assertThat(d.samplingPriority()).isEmpty();
    assertThat(d.validate()).isEmpty();
    assertThat(d.warnings()).isEmpty();
  }

  @Test
  void bindsACollectorConfigForTracesAndLogs() throws Exception {
    ServiceConfig c = load("""
        receivers:
          otlp:
            protocols:
              grpc:
                endpoint: 127.0.0.1:4317
        processors:
          probabilistic_sampler:
            sampling_percentage: 15.3
            hash_seed: 22
          probabilistic_sampler/logs:
            sampling_percentage: 15
            mode: hash_seed
            attribute_source: record
            from_attribute: logId
            sampling_priority: priority
            fail_closed: false
            sampling_precision: 6
        exporters:
          otlp:
            endpoint: 127.0.0.1:4317
        service:
          pipelines:
            traces:
              receivers: [otlp]
              processors: [probabilistic_sampler]
              exporters: [otlp]
            logs:
              receivers: [otlp]
              processors: [probabilistic_sampler/logs]
              exporters: [otlp]
        """);
    var traces = (ProbabilisticSamplerProcessorConfig) c.processors().values().stream()
        .filter(b -> b.id().toString().equals("probabilistic_sampler")).findFirst().orElseThrow().config();
    assertThat(traces.percentage()).isEqualTo(15.3f);
    assertThat(traces.hashSeed()).isEqualTo(22);
    var logs = (ProbabilisticSamplerProcessorConfig) c.processors().values().stream()
        .filter(b -> b.id().toString().equals("probabilistic_sampler/logs")).findFirst().orElseThrow().config();
    assertThat(logs.attributeSource()).isEqualTo("record");
    assertThat(logs.fromAttribute()).isEqualTo("logId");
    assertThat(logs.samplingPriority()).isEqualTo("priority");
    assertThat(logs.failClosed()).isFalse();
    assertThat(logs.samplingPrecision()).isEqualTo(6);
  }

  @Test
  void badValuesAreErrorsAtTheirLineSayingWhatIsValid() {
    ConfigException e = failing("""
        processors:
          probabilistic_sampler:
            sampling_percentage: -5
            mode: proportionnal
            sampling_precision: 15
            hash_seed: 4294967296
            attribute_source: span
        """, "traces");
    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.probabilistic_sampler.sampling_percentage",
        "processors.probabilistic_sampler.mode",
        "processors.probabilistic_sampler.sampling_precision",
        "processors.probabilistic_sampler.hash_seed",
        "processors.probabilistic_sampler.attribute_source");
    assertThat(error(e, "sampling_percentage")).satisfies(err -> {
      assertThat(err.file()).isEqualTo("sampler.yaml");
      assertThat(err.line()).isEqualTo(3);
      assertThat(err.message()).contains("-5").contains("from 0").contains("100");
    });
    assertThat(error(e, "mode").line()).isEqualTo(4);
    assertThat(error(e, "mode").message()).contains("\"proportionnal\"").contains("hash_seed")
        .contains("proportional").contains("equalizing");
    assertThat(error(e, "sampling_precision").line()).isEqualTo(5);
    assertThat(error(e, "sampling_precision").message()).contains("15").contains("1 to 14");
    assertThat(error(e, "hash_seed").message()).contains("4294967295");
    assertThat(error(e, "attribute_source").message()).contains("\"span\"").contains("traceID").contains("record");
  }

  @Test
  void precisionZeroAndTinyPercentagesAreErrors() {
    ConfigException e = failing("""
        processors:
          probabilistic_sampler:
            sampling_percentage: 1e-20
            sampling_precision: 0
        """, "traces");
    assertThat(error(e, "sampling_percentage").message()).contains("too small").contains("use 0");
    assertThat(error(e, "sampling_precision").message()).contains("0 is out of range");
    assertThat(failing("""
        processors:
          probabilistic_sampler:
            sampling_percentage: .nan
        """, "traces").errors()).extracting(ConfigError::path)
        .containsExactly("processors.probabilistic_sampler.sampling_percentage");
  }

  @Test
  void aModeInTheWrongCaseGetsASuggestion() {
    ConfigException e = failing("""
        processors:
          probabilistic_sampler:
            mode: Equalizing
        """, "traces");
    assertThat(error(e, "mode").message()).contains("did you mean \"equalizing\"?");
  }

  @Test
  void unknownKeysAreErrors() {
    ConfigException e = failing("""
        processors:
          probabilistic_sampler:
            sampling_percent: 10
        """, "traces");
    assertThat(error(e, "sampling_percent").message()).contains("sampling_percentage");
    assertThat(error(e, "sampling_percent").line()).isEqualTo(3);
  }

  @Test
  void logsOnlyKeysOnAProcessorOnlyInTracesPipelinesAreErrorsAtTheKey() {
    ConfigException e = failing("""
        processors:
          probabilistic_sampler:
            sampling_percentage: 10
            attribute_source: record
            from_attribute: logId
            sampling_priority: priority
        """, "traces");
    assertThat(e.errors()).extracting(ConfigError::path).containsExactlyInAnyOrder(
        "processors.probabilistic_sampler.attribute_source",
        "processors.probabilistic_sampler.from_attribute",
        "processors.probabilistic_sampler.sampling_priority");
    assertThat(error(e, "attribute_source").line()).isEqualTo(4);
    assertThat(error(e, "from_attribute").line()).isEqualTo(5);
    assertThat(error(e, "sampling_priority").line()).isEqualTo(6);
    assertThat(error(e, "from_attribute").message()).contains("\"logId\"").contains("logs only")
        .contains("traces pipelines");
  }

  @Test
  void logsOnlyKeysAreFineOnAProcessorThatALogsPipelineAlsoUses() throws Exception {
    load("""
        processors:
          probabilistic_sampler:
            sampling_percentage: 10
            attribute_source: record
            from_attribute: logId
        """ + pipelines("traces", "logs"));
  }

  @Test
  void recordSourceWithoutAnAttributeIsAnError() {
    List<ConfigProblem> problems = new ProbabilisticSamplerProcessorConfig(10, 0, "", 4, true, "record", "", "")
        .validate();
    assertThat(problems).extracting(ConfigProblem::path).containsExactly("attribute_source");
    assertThat(problems.get(0).message()).contains("from_attribute");
  }

  @Test
  void keysTheConsistentModesDoNotUseAreWarnings() {
    ProbabilisticSamplerProcessorConfig c = new ProbabilisticSamplerProcessorConfig(10, 5, "proportional", 4, true,
        "record", "logId", "");
    assertThat(c.validate()).isEmpty();
    assertThat(c.warnings()).extracting(ConfigProblem::path).containsExactly("hash_seed", "from_attribute");
  }

  @Test
  void percentagesOverOneHundredKeepEverything() {
    ProbabilisticSamplerProcessorConfig c = new ProbabilisticSamplerProcessorConfig(250, 0, "", 4, true, "traceID",
        "", "");
    assertThat(c.validate()).isEmpty();
    assertThat(Sampler.of(c).threshold()).isZero();
  }

  @Test
  void factoryIsFoundByServiceLoaderAsTypeProbabilisticSampler() {
    List<ProcessorFactory<?>> found = ServiceLoader.load(ProcessorFactory.class).stream()
        .<ProcessorFactory<?>>map(ServiceLoader.Provider::get).filter(f -> f.type().equals("probabilistic_sampler"))
        .toList();
    assertThat(found).hasSize(1).allMatch(f -> f instanceof ProbabilisticSamplerProcessorFactory);
    assertThat(found.get(0).signals()).containsExactlyInAnyOrder(Signal.TRACES, Signal.LOGS);
  }

  private static ServiceConfig load(String yaml) throws ConfigException {
    return new ConfigLoader(FACTORIES, Map.of()).loadYaml("sampler.yaml", yaml);
  }

  /** {@code processors} followed by a pipeline of {@code signal} using probabilistic_sampler. */
  private static ConfigException failing(String processors, String signal) {
    String yaml = processors + pipelines(signal);
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> load(yaml));
    assertThat(e).as("config errors for:\n%s", yaml).isNotNull();
    return e;
  }

  /** An otlp receiver and exporter, and a pipeline of each signal using probabilistic_sampler. */
  private static String pipelines(String... signals) {
    StringBuilder sb = new StringBuilder("""
        receivers:
          otlp:
        exporters:
          otlp:
            endpoint: 127.0.0.1:4317
        service:
          pipelines:
        """);
    for (String signal : signals) {
      sb.append("    ").append(signal).append(":\n      receivers: [otlp]\n      processors: [probabilistic_sampler]\n")
          .append("      exporters: [otlp]\n");
    }
    return sb.toString();
  }

  private static ConfigError error(ConfigException e, String key) {
    return e.errors().stream().filter(err -> err.path().equals("processors.probabilistic_sampler." + key))
        .findFirst().orElseThrow(() -> new AssertionError("no error for " + key + " in:\n" + e.getMessage()));
  }
}
