package io.sluice.core.config;

import static io.sluice.core.config.ConfigTestSupport.errorAt;
import static io.sluice.core.config.ConfigTestSupport.lineOf;
import static io.sluice.core.config.ConfigTestSupport.columnOf;
import static io.sluice.core.config.ConfigTestSupport.loadFails;
import static io.sluice.core.config.ConfigTestSupport.loader;
import static io.sluice.core.config.ConfigTestSupport.resource;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ComponentId;
import io.sluice.core.Signal;
import io.sluice.core.config.FakeComponents.BatchConfig;
import io.sluice.core.config.FakeComponents.DebugConfig;
import io.sluice.core.config.FakeComponents.OtlpExporterConfig;
import io.sluice.core.config.FakeComponents.OtlpReceiverConfig;
import io.sluice.core.config.FakeComponents.PromConfig;
import io.sluice.core.config.FakeComponents.Verbosity;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {
  private static ComponentId id(String s) {
    return ComponentId.parse(s);
  }

  @Test
  void loadsPipelinesInFileOrderWithTheirComponents() throws Exception {
    ServiceConfig config = loader().load(List.of(resource("valid.yaml")));

    assertThat(config.pipelines()).extracting(PipelineConfig::id).containsExactly("traces", "metrics", "logs/debug");
    assertThat(config.pipelines()).extracting(PipelineConfig::signal)
        .containsExactly(Signal.TRACES, Signal.METRICS, Signal.LOGS);
    PipelineConfig traces = config.pipeline("traces");
    assertThat(traces.receivers()).containsExactly(id("otlp"));
    assertThat(traces.processors()).containsExactly(id("spanfilter"), id("batch"));
    assertThat(traces.exporters()).containsExactly(id("otlp/upstream"), id("count"));
    assertThat(config.pipeline("metrics").receivers()).containsExactly(id("otlp"), id("prom"), id("count"));
    assertThat(config.pipeline("logs/debug").processors()).isEmpty();

    assertThat(config.receivers().keySet()).containsExactly(id("otlp"), id("prom"));
    assertThat(config.processors().keySet()).containsExactly(id("batch"), id("batch/big"), id("spanfilter"));
    assertThat(config.exporters().keySet()).containsExactly(id("otlp/upstream"), id("debug"));
    assertThat(config.connectors().keySet()).containsExactly(id("count"));
    assertThat(config.extensions().keySet()).containsExactly(id("health_check"));
    assertThat(config.serviceExtensions()).containsExactly(id("health_check"));
    assertThat(config.receivers().get(id("otlp")).factory().type()).isEqualTo("otlp");
    assertThat(config.connectors().get(id("count")).factory().supports(Signal.TRACES, Signal.METRICS)).isTrue();
  }

  @Test
  void bindsEachComponentOverItsFactoryDefaults() throws Exception {
    ServiceConfig config = loader().load(List.of(resource("valid.yaml")));

    OtlpReceiverConfig otlp = (OtlpReceiverConfig) config.receivers().get(id("otlp")).config();
    assertThat(otlp.protocols().grpc().endpoint()).isEqualTo("0.0.0.0:4317");
    assertThat(otlp.protocols().grpc().maxRecvMsgSizeMib()).isEqualTo(4);
    assertThat(otlp.protocols().grpc().keepalive()).isEqualTo(Duration.ofHours(2));
    assertThat(otlp.protocols().http().endpoint()).as("an empty section keeps defaults").isEqualTo("localhost:4318");

    PromConfig prom = (PromConfig) config.receivers().get(id("prom")).config();
    assertThat(prom.scrapeInterval()).isEqualTo(Duration.ofSeconds(15));
    assertThat(prom.targets()).containsExactly("app:8080", "app:8081");

    OtlpExporterConfig upstream = (OtlpExporterConfig) config.exporters().get(id("otlp/upstream")).config();
    assertThat(upstream.endpoint()).isEqualTo("collector:4317");
    assertThat(upstream.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(upstream.headers()).containsExactlyInAnyOrderEntriesOf(
        Map.of("user-agent", "sluice", "x-tenant", "acme"));
    assertThat(upstream.sendingQueue()).isEqualTo(new OtlpExporterConfig.SendingQueue(true, 10, 5000));

    assertThat(((DebugConfig) config.exporters().get(id("debug")).config()).verbosity()).isEqualTo(Verbosity.DETAILED);
    BatchConfig big = (BatchConfig) config.processors().get(id("batch/big")).config();
    assertThat(big).isEqualTo(new BatchConfig(10000, Duration.ofSeconds(1), List.of()));
  }

  @Test
  void nullSectionMeansAllDefaults() throws Exception {
    ServiceConfig config = loader().load(List.of(resource("valid.yaml")));

    assertThat(config.processors().get(id("batch")).config())
        .isEqualTo(new FakeComponents.BatchProcessorFactory().defaultConfig());
    assertThat(config.extensions().get(id("health_check")).config())
        .isEqualTo(new FakeComponents.HealthCheckConfig("localhost:13133"));
  }

  @Test
  void readsTelemetryAndAcceptsResource() throws Exception {
    TelemetryConfig telemetry = loader().load(List.of(resource("valid.yaml"))).telemetry();

    assertThat(telemetry.metrics().address()).isEqualTo("0.0.0.0:9999");
    assertThat(telemetry.metrics().level()).isEqualTo(TelemetryConfig.MetricsLevel.DETAILED);
    assertThat(telemetry.logs().level()).isEqualTo(TelemetryConfig.LogLevel.DEBUG);
    assertThat(telemetry.logs().encoding()).as("default").isEqualTo(TelemetryConfig.LogEncoding.CONSOLE);
    assertThat(telemetry.resource()).containsEntry("service.name", "gateway");
  }

  @Test
  void telemetryDefaultsToTheCollectorsWhenLeftOut() throws Exception {
    ServiceConfig config = loader().load(List.of(resource("base.yaml")));

    assertThat(config.telemetry()).isEqualTo(TelemetryConfig.DEFAULT);
    assertThat(config.telemetry().metrics().address()).isEqualTo("localhost:8888");
    assertThat(config.telemetry().metrics().level()).isEqualTo(TelemetryConfig.MetricsLevel.NORMAL);
    assertThat(config.telemetry().logs().level()).isEqualTo(TelemetryConfig.LogLevel.INFO);
    assertThat(config.extensions()).isEmpty();
  }

  @Test
  void laterFilesMergeMapsAndReplaceListsAndScalars() throws Exception {
    ServiceConfig config = loader().load(List.of(resource("base.yaml"), resource("override.yaml")));

    OtlpReceiverConfig otlp = (OtlpReceiverConfig) config.receivers().get(id("otlp")).config();
    assertThat(otlp.protocols().grpc().endpoint()).isEqualTo("0.0.0.0:14317");
    assertThat(otlp.protocols().grpc().maxRecvMsgSizeMib()).as("kept from the first file").isEqualTo(16);
    OtlpExporterConfig exporter = (OtlpExporterConfig) config.exporters().get(id("otlp")).config();
    assertThat(exporter.endpoint()).isEqualTo("override:4317");
    assertThat(exporter.headers()).containsExactlyInAnyOrderEntriesOf(
        Map.of("user-agent", "sluice", "x-from", "base", "x-override", "yes"));
    assertThat(((BatchConfig) config.processors().get(id("batch")).config()).metadataKeys())
        .containsExactly("tenant");
    PipelineConfig traces = config.pipeline("traces");
    assertThat(traces.receivers()).containsExactly(id("otlp"));
    assertThat(traces.processors()).containsExactly(id("batch"));
    assertThat(traces.exporters()).containsExactly(id("otlp"));
  }

  @Test
  void errorsInAMergedFileNameThatFile() {
    Path typo = resource("override-with-typo.yaml");
    ConfigException e = loadFails(resource("base.yaml"), typo);

    ConfigError error = errorAt(e, "exporters.otlp.endpiont");
    assertThat(error.file()).isEqualTo(typo.toString());
    assertThat(error.line()).isEqualTo(lineOf(typo, "endpiont"));
    assertThat(error.message()).contains("did you mean \"endpoint\"?");
  }

  @Test
  void unknownKeyNamesFileLinePathAndTheClosestValidKey() {
    Path file = resource("error-unknown-key.yaml");
    ConfigException e = loadFails(file);

    ConfigError error = errorAt(e, "receivers.otlp.protocols.grpc.endpont");
    assertThat(error.file()).isEqualTo(file.toString());
    assertThat(error.line()).isEqualTo(lineOf(file, "endpont:"));
    assertThat(error.column()).isEqualTo(columnOf(file, "endpont:"));
    assertThat(error.message()).isEqualTo(
        "unknown key; did you mean \"endpoint\"? Valid keys: endpoint, keepalive, max_recv_msg_size_mib");
    assertThat(e.getMessage()).isEqualTo(file + ":" + error.line() + ":" + error.column()
        + ": receivers.otlp.protocols.grpc.endpont: unknown key; did you mean \"endpoint\"? Valid keys: endpoint,"
        + " keepalive, max_recv_msg_size_mib");
  }

  @Test
  void wrongTypeNamesTheExpectedTypeAndQuotesTheValue() {
    Path file = resource("error-wrong-type.yaml");
    ConfigException e = loadFails(file);

    ConfigError queueSize = errorAt(e, "exporters.otlp/upstream.sending_queue.queue_size");
    assertThat(queueSize.line()).isEqualTo(lineOf(file, "queue_size: lots"));
    assertThat(queueSize.column()).isEqualTo(columnOf(file, "lots"));
    assertThat(queueSize.message()).isEqualTo("expected an integer, got \"lots\"");
    ConfigError timeout = errorAt(e, "exporters.otlp/upstream.timeout");
    assertThat(timeout.line()).isEqualTo(lineOf(file, "10 seconds"));
    assertThat(timeout.message()).startsWith("expected a duration such as \"5s\"").contains("got \"10 seconds\"");
  }

  @Test
  void unknownComponentTypeListsTheKnownTypes() {
    Path file = resource("error-unknown-type.yaml");
    ConfigException e = loadFails(file);

    ConfigError error = errorAt(e, "receivers.otlpp");
    assertThat(error.line()).isEqualTo(lineOf(file, "otlpp:"));
    assertThat(error.message()).isEqualTo(
        "unknown receiver type \"otlpp\"; did you mean \"otlp\"? Known receiver types: otlp, prom");
    assertThat(e.errors()).as("the pipeline naming it is not blamed as well").hasSize(1);
  }

  @Test
  void pipelineNamingAnUndefinedComponentSaysWhereToDefineIt() {
    Path file = resource("error-undefined-component.yaml");
    ConfigException e = loadFails(file);

    ConfigError processor = errorAt(e, "service.pipelines.traces.processors");
    assertThat(processor.line()).isEqualTo(lineOf(file, "[batch/2]"));
    assertThat(processor.column()).isEqualTo(columnOf(file, "batch/2"));
    assertThat(processor.message()).isEqualTo("\"batch/2\" is not defined; did you mean \"batch\"? Processors must be"
        + " defined under \"processors\" (defined: batch)");
    ConfigError exporter = errorAt(e, "service.pipelines.traces.exporters");
    assertThat(exporter.line()).isEqualTo(lineOf(file, "otlp/upstrem]"));
    assertThat(exporter.message()).contains("\"otlp/upstrem\" is not defined; did you mean \"otlp/upstream\"?")
        .contains("under \"exporters\" (defined: otlp/upstream, debug)");
  }

  @Test
  void componentThatDoesNotSupportThePipelineSignalIsAnError() {
    Path file = resource("error-wrong-signal.yaml");
    ConfigException e = loadFails(file);

    ConfigError receiver = errorAt(e, "service.pipelines.logs.receivers");
    assertThat(receiver.line()).isEqualTo(lineOf(file, "[otlp, prom]"));
    assertThat(receiver.column()).isEqualTo(columnOf(file, "prom]"));
    assertThat(receiver.message())
        .isEqualTo("receiver \"prom\" does not support logs; it supports metrics, so it cannot be in a logs pipeline");
    ConfigError processor = errorAt(e, "service.pipelines.metrics.processors");
    assertThat(processor.line()).isEqualTo(lineOf(file, "[spanfilter]"));
    assertThat(processor.message()).startsWith("processor \"spanfilter\" does not support metrics; it supports traces");
  }

  @Test
  void unknownPipelineSignalSuggestsTheValidOnes() {
    Path file = resource("error-unknown-signal.yaml");
    ConfigException e = loadFails(file);

    ConfigError error = errorAt(e, "service.pipelines.trace");
    assertThat(error.line()).isEqualTo(lineOf(file, "trace:"));
    assertThat(error.message()).isEqualTo("unknown signal \"trace\"; did you mean \"traces\"? A pipeline id is"
        + " traces, metrics or logs, optionally followed by /name");
  }

  @Test
  void yamlSyntaxErrorNamesFileAndLine() {
    Path file = resource("error-syntax.yaml");
    ConfigException e = loadFails(file);

    assertThat(e.errors()).hasSize(1);
    ConfigError error = e.errors().get(0);
    assertThat(error.file()).isEqualTo(file.toString());
    assertThat(error.line()).isBetween(lineOf(file, "[0.0.0.0:4317"), lineOf(file, "exporters:"));
    assertThat(error.message()).startsWith("invalid YAML: ")
        .contains("started at line " + lineOf(file, "[0.0.0.0:4317"));
    assertThat(e.getMessage()).startsWith(file + ":" + error.line() + ":");
  }

  @Test
  void missingFileIsAClearError(@org.junit.jupiter.api.io.TempDir Path dir) {
    Path missing = dir.resolve("nope.yaml");
    ConfigException e = loadFails(resource("valid.yaml"), missing);

    assertThat(e.errors()).hasSize(1);
    assertThat(e.errors().get(0).file()).isEqualTo(missing.toString());
    assertThat(e.getMessage()).isEqualTo(missing + ": config file not found (looked for " + missing + ")");
  }

  @Test
  void connectorUsedOnlyAsExporterIsAnError() {
    Path file = resource("error-connector-one-way.yaml");
    ConfigException e = loadFails(file);

    ConfigError error = errorAt(e, "service.pipelines.traces.exporters");
    assertThat(error.line()).isEqualTo(lineOf(file, "[debug, count]"));
    assertThat(error.column()).isEqualTo(columnOf(file, "count]"));
    assertThat(error.message()).isEqualTo("connector \"count\" is used as an exporter here but is not a receiver of"
        + " any pipeline; add it to the receivers of the pipeline it should feed");
  }

  @Test
  void connectorBetweenSignalsItDoesNotSupportIsAnError() {
    Path file = resource("error-connector-unsupported.yaml");
    ConfigException e = loadFails(file);

    ConfigError asExporter = errorAt(e, "service.pipelines.metrics.exporters");
    assertThat(asExporter.line()).isEqualTo(lineOf(file, "exporters: [count]"));
    assertThat(asExporter.message()).isEqualTo("connector \"count\" cannot take metrics to traces (the pipelines it"
        + " is a receiver of); it supports traces to metrics, logs to metrics");
    ConfigError asReceiver = errorAt(e, "service.pipelines.traces.receivers");
    assertThat(asReceiver.line()).isEqualTo(lineOf(file, "receivers: [count]"));
  }

  @Test
  void validateProblemsPointAtTheKeyOrTheComponent() {
    Path file = resource("error-validate.yaml");
    ConfigException e = loadFails(file);

    ConfigError queue = errorAt(e, "exporters.otlp/upstream.sending_queue.queue_size");
    assertThat(queue.line()).isEqualTo(lineOf(file, "queue_size: 0"));
    assertThat(queue.message()).isEqualTo("must be positive, got 0");
    ConfigError endpoint = errorAt(e, "exporters.otlp/upstream.endpoint");
    assertThat(endpoint.line()).as("the key is absent: the component's own line")
        .isEqualTo(lineOf(file, "otlp/upstream:"));
    assertThat(endpoint.message()).contains("required");
    ConfigError grpc = errorAt(e, "receivers.otlp.protocols.grpc.max_recv_msg_size_mib");
    assertThat(grpc.line()).isEqualTo(lineOf(file, "max_recv_msg_size_mib: 0"));
  }

  @Test
  void reportsAllErrorsOfAFileTogetherInLineOrder() {
    Path file = resource("error-many.yaml");
    ConfigException e = loadFails(file);

    assertThat(e.errors()).extracting(ConfigError::path).containsExactly(
        "recievers",
        "receivers.otlp.protocols.grpc.endpont",
        "receivers.zipkin",
        "processors.batch.send_batch_size",
        "exporters.otlp/upstream.sending_queue.num_consumers",
        "exporters.debug.verbosity",
        "service.extensions",
        "service.pipelines.trace",
        "service.pipelines.metrics.processors");
    assertThat(e.errors()).extracting(ConfigError::line).isSorted();
    assertThat(e.errors()).allSatisfy(err -> assertThat(err.file()).isEqualTo(file.toString()));
    assertThat(errorAt(e, "recievers").message()).startsWith("unknown section; did you mean \"receivers\"?");
    assertThat(errorAt(e, "service.extensions").message()).isEqualTo(
        "\"pprof\" is not defined; extensions must be defined under \"extensions\" (defined: none)");
    assertThat(errorAt(e, "exporters.debug.verbosity").message())
        .isEqualTo("expected one of basic, normal, detailed, got \"loud\"");
    assertThat(e.getMessage().lines()).hasSize(e.errors().size())
        .allSatisfy(line -> assertThat(line).startsWith(file + ":"));
  }

  @Test
  void configWithoutPipelinesIsAnError() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("inline.yaml",
        "receivers:\n  otlp:\nservice:\n  extensions: []\n"));

    ConfigError error = errorAt(e, "service.pipelines");
    assertThat(error.line()).isEqualTo(3);
    assertThat(error.message()).startsWith("no pipelines; define at least one");
  }

  @Test
  void pipelineWithoutReceiversOrExportersIsAnError() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("inline.yaml", """
        exporters:
          debug:
        service:
          pipelines:
            traces:
              exporters: [debug]
            logs:
              receivers: []
        """));

    assertThat(errorAt(e, "service.pipelines.traces.receivers").line()).isEqualTo(5);
    assertThat(errorAt(e, "service.pipelines.logs.receivers").line()).isEqualTo(8);
    assertThat(errorAt(e, "service.pipelines.logs.exporters").message())
        .startsWith("a pipeline needs at least one exporter");
  }

  @Test
  void componentListedTwiceInAPipelineIsAnError() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("inline.yaml", """
        receivers:
          otlp:
        exporters:
          debug:
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [debug, debug]
        """));

    assertThat(errorAt(e, "service.pipelines.traces.exporters").message())
        .isEqualTo("\"debug\" is listed twice (first at line 9)");
  }

  @Test
  void connectorIdSharedWithAReceiverIsAnError() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("inline.yaml", """
        receivers:
          otlp:
        exporters:
          debug:
        connectors:
          otlp:
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [debug]
        """));

    assertThat(e.errors()).filteredOn(err -> err.message().contains("also defined under \"receivers\""))
        .singleElement().satisfies(err -> {
          assertThat(err.path()).isEqualTo("connectors.otlp");
          assertThat(err.line()).isEqualTo(6);
        });
  }

  @Test
  void unusedComponentsAreValidatedButNotBuilt() throws Exception {
    ServiceConfig config = loader().load(List.of(resource("valid.yaml")));
    assertThat(config.receivers()).doesNotContainKey(id("otlp/unused"));
    assertThat(config.extensions()).doesNotContainKey(id("health_check/unused"));

    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("inline.yaml", """
        receivers:
          otlp:
        exporters:
          debug:
          otlp/unused:
            sending_queue:
              queue_size: -1
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [debug]
        """));
    assertThat(errorAt(e, "exporters.otlp/unused.sending_queue.queue_size").line()).isEqualTo(7);
  }

  @Test
  void badTelemetryValuesAreErrors() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("inline.yaml", """
        receivers:
          otlp:
        exporters:
          debug:
        service:
          telemetry:
            metrics:
              level: verbose
            logs:
              encoding: xml
              levle: debug
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [debug]
        """));

    assertThat(errorAt(e, "service.telemetry.metrics.level").message())
        .isEqualTo("expected one of none, basic, normal, detailed, got \"verbose\"");
    assertThat(errorAt(e, "service.telemetry.logs.encoding").message())
        .isEqualTo("expected one of console, json, got \"xml\"");
    assertThat(errorAt(e, "service.telemetry.logs.levle").message())
        .startsWith("unknown key; did you mean \"level\"?");
  }

  @Test
  void yamlAnchorsAndMergeKeysWork() throws Exception {
    ServiceConfig config = loader().loadYaml("inline.yaml", """
        exporters:
          otlp/a: &common
            endpoint: a:4317
            timeout: 1s
          otlp/b:
            <<: *common
            endpoint: b:4317
        receivers:
          otlp:
        service:
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [otlp/a, otlp/b]
        """);

    OtlpExporterConfig b = (OtlpExporterConfig) config.exporters().get(id("otlp/b")).config();
    assertThat(b.endpoint()).isEqualTo("b:4317");
    assertThat(b.timeout()).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void telemetryPullReaderGivesTheMetricsAddress() throws Exception {
    ServiceConfig config = loader().loadYaml("inline.yaml", """
        receivers:
          otlp:
        exporters:
          debug:
        service:
          telemetry:
            metrics:
              level: detailed
              readers:
                - pull:
                    exporter:
                      prometheus:
                        host: 0.0.0.0
                        port: 9888
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [debug]
        """);

    assertThat(config.telemetry().metrics().servingAddress()).isEqualTo("0.0.0.0:9888");
  }

  @Test
  void telemetryPeriodicReaderIsAnErrorThatSaysWhatWorks() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("inline.yaml", """
        receivers:
          otlp:
        exporters:
          debug:
        service:
          telemetry:
            metrics:
              readers:
                - periodic:
                    exporter:
                      otlp:
                        endpoint: collector:4317
          pipelines:
            traces:
              receivers: [otlp]
              exporters: [debug]
        """));

    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.path()).isEqualTo("service.telemetry.metrics.readers[0]");
      assertThat(err.message()).contains("pull only");
    });
  }

  @Test
  void keyWrittenTwiceInOneMapIsAnError() {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> loader().loadYaml("inline.yaml", """
        exporters:
          debug:
          debug:
        """));

    assertThat(e.errors()).hasSize(1);
    assertThat(e.errors().get(0).line()).isEqualTo(3);
    assertThat(e.errors().get(0).message()).isEqualTo("key \"debug\" is written twice in this map (first at line 2)");
  }
}
