package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ComponentKind;
import io.sluice.core.ComponentFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.FakeComponents.BatchConfig;
import io.sluice.core.config.FakeComponents.BatchProcessorFactory;
import io.sluice.core.config.FakeComponents.OtlpExporterConfig;
import io.sluice.core.config.FakeComponents.OtlpExporterFactory;
import io.sluice.core.config.FakeComponents.OtlpReceiverConfig;
import io.sluice.core.config.FakeComponents.OtlpReceiverFactory;
import io.sluice.core.config.FakeComponents.PromConfig;
import io.sluice.core.config.FakeComponents.PromReceiverFactory;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ComponentBinderTest {
  private static ConfigException bindFails(ComponentFactory<?> f, String yaml) {
    ConfigException e = catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(f, yaml));
    assertThat(e).as("binding should fail:\n%s", yaml).isNotNull();
    return e;
  }

  @Test
  void emptySectionIsTheDefaults() throws Exception {
    OtlpExporterFactory f = new OtlpExporterFactory();
    ConfigException e = bindFails(f, "");
    assertThat(e.errors()).extracting(ConfigError::path).containsExactly("exporters.otlp.endpoint");

    assertThat(ConfigLoader.bindComponent(new BatchProcessorFactory(), "")).isEqualTo(
        new BatchProcessorFactory().defaultConfig());
    assertThat(ConfigLoader.bindComponent(new BatchProcessorFactory(), "~")).isEqualTo(
        new BatchProcessorFactory().defaultConfig());
  }

  @Test
  void userValuesMergeIntoNestedDefaults() throws Exception {
    OtlpExporterConfig c = ConfigLoader.bindComponent(new OtlpExporterFactory(), """
        endpoint: collector:4317
        sending_queue:
          queue_size: 42
        headers:
          x-tenant: acme
        """);

    assertThat(c.sendingQueue()).isEqualTo(new OtlpExporterConfig.SendingQueue(true, 10, 42));
    assertThat(c.headers()).containsExactlyInAnyOrderEntriesOf(Map.of("user-agent", "sluice", "x-tenant", "acme"));
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void emptyValueKeepsTheDefault() throws Exception {
    OtlpExporterConfig c = ConfigLoader.bindComponent(new OtlpExporterFactory(), """
        endpoint: collector:4317
        timeout:
        sending_queue:
        """);

    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.sendingQueue().queueSize()).isEqualTo(1000);
  }

  @Test
  void listsReplaceTheDefault() throws Exception {
    PromConfig c = ConfigLoader.bindComponent(new PromReceiverFactory(), "targets: [a:1]");
    assertThat(c.targets()).containsExactly("a:1");
  }

  @Test
  void stringWhereAListOfStringsIsWantedIsSplitAtCommas() throws Exception {
    assertThat(ConfigLoader.bindComponent(new PromReceiverFactory(), "targets: a:1,b:2").targets())
        .containsExactly("a:1", "b:2");
    assertThat(ConfigLoader.bindComponent(new PromReceiverFactory(), "targets: ''").targets()).isEmpty();
  }

  @Test
  void durationsAreGoDurationsOrNanoseconds() throws Exception {
    PromReceiverFactory f = new PromReceiverFactory();
    assertThat(ConfigLoader.bindComponent(f, "scrape_interval: 1m30s").scrapeInterval()).hasSeconds(90);
    assertThat(ConfigLoader.bindComponent(f, "scrape_interval: 200ms").scrapeInterval()).hasMillis(200);
    assertThat(ConfigLoader.bindComponent(f, "scrape_interval: 500us").scrapeInterval())
        .isEqualTo(Duration.ofNanos(500_000));
    assertThat(ConfigLoader.bindComponent(f, "scrape_interval: 0s").scrapeInterval()).isZero();
    assertThat(ConfigLoader.bindComponent(f, "scrape_interval: 1h").scrapeInterval()).hasHours(1);
    assertThat(ConfigLoader.bindComponent(f, "scrape_interval: 5000000000").scrapeInterval()).hasSeconds(5);
  }

  @Test
  void collectsEveryUnknownKeyWithSuggestionsAndValidKeys() {
    ConfigException e = bindFails(new OtlpExporterFactory(), """
        endpoint: collector:4317
        sending_queue:
          queue_sizee: 5
        headrs: {a: b}
        compression: gzip
        """);

    assertThat(e.errors()).extracting(ConfigError::path).containsExactly(
        "exporters.otlp.sending_queue.queue_sizee", "exporters.otlp.headrs", "exporters.otlp.compression");
    assertThat(e.errors().get(0).message()).isEqualTo(
        "unknown key; did you mean \"queue_size\"? Valid keys: enabled, num_consumers, queue_size");
    assertThat(e.errors().get(0).line()).isEqualTo(3);
    assertThat(e.errors().get(0).column()).isEqualTo(3);
    assertThat(e.errors().get(1).message()).startsWith("unknown key; did you mean \"headers\"?");
    assertThat(e.errors().get(2).message())
        .isEqualTo("unknown key; valid keys: endpoint, headers, insecure, sending_queue, timeout");
  }

  @Test
  void collectsEveryWrongTypeNamingTheExpectedType() {
    ConfigException e = bindFails(new OtlpExporterFactory(), """
        endpoint: [a, b]
        timeout: 5 sec
        insecure: maybe
        sending_queue:
          queue_size: lots
          num_consumers: {a: 1}
        """);

    assertThat(e.errors()).extracting(ConfigError::toString).containsExactly(
        "<exporters.otlp>:1:11: exporters.otlp.endpoint: expected a string, got a list",
        "<exporters.otlp>:2:10: exporters.otlp.timeout: expected a duration such as \"5s\", \"200ms\" or \"1m30s\","
            + " got \"5 sec\" (unknown unit \" sec\"; use ns, us, ms, s, m, h, d, w or y)",
        "<exporters.otlp>:3:11: exporters.otlp.insecure: expected true or false, got \"maybe\"",
        "<exporters.otlp>:5:15: exporters.otlp.sending_queue.queue_size: expected an integer, got \"lots\"",
        "<exporters.otlp>:6:18: exporters.otlp.sending_queue.num_consumers: expected an integer, got a map");
  }

  @Test
  void fractionIsNotSilentlyRoundedIntoAnInteger() {
    ConfigException e = bindFails(new BatchProcessorFactory(), "send_batch_size: 1.5");
    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.path()).isEqualTo("processors.batch.send_batch_size");
      assertThat(err.message()).isEqualTo("expected an integer, got \"1.5\"");
    });
  }

  @Test
  void scalarWhereASectionIsWantedIsAnError() {
    ConfigException e = bindFails(new OtlpExporterFactory(), "endpoint: x\nsending_queue: 5");
    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.path()).isEqualTo("exporters.otlp.sending_queue");
      assertThat(err.message())
          .isEqualTo("expected a map of settings (enabled, num_consumers, queue_size), got \"5\"");
    });

    ConfigException whole = bindFails(new OtlpExporterFactory(), "collector:4317");
    assertThat(whole.errors().get(0).message()).startsWith("expected a map of settings (valid keys: endpoint,");
  }

  @Test
  void validateProblemsGetTheirKeysLine() {
    ConfigException e = bindFails(new OtlpReceiverFactory(), """
        protocols:
          grpc:
            max_recv_msg_size_mib: 0
        """);

    assertThat(e.errors()).singleElement().hasToString(
        "<receivers.otlp>:3:28: receivers.otlp.protocols.grpc.max_recv_msg_size_mib: must be positive, got 0");
  }

  @Test
  void validateProblemForAKeyLeftOutPointsAtTheClosestWrittenParent() {
    ConfigException e = bindFails(new OtlpExporterFactory(), """
        endpoint: x
        sending_queue:
          enabled: true
          num_consumers: 0
        """);
    assertThat(e.errors()).singleElement().satisfies(err -> {
      assertThat(err.path()).isEqualTo("exporters.otlp.sending_queue.num_consumers");
      assertThat(err.line()).isEqualTo(4);
    });

    ConfigException batch = bindFails(new BatchProcessorFactory(), "send_batch_size: -1");
    assertThat(batch.errors().get(0).line()).isEqualTo(1);
  }

  @Test
  void typeErrorsSkipValidate() {
    ConfigException e = bindFails(new OtlpExporterFactory(), "sending_queue: {queue_size: lots}");
    assertThat(e.errors()).extracting(ConfigError::path)
        .containsExactly("exporters.otlp.sending_queue.queue_size");
  }

  record WithHelpers(String endpoint, int port) implements ComponentConfig {
    public boolean isLocal() {
      return endpoint.startsWith("localhost");
    }

    public String getAddress() {
      return endpoint + ":" + port;
    }
  }

  @Test
  void helperMethodsOfAConfigRecordAreNotKeys() throws Exception {
    ComponentFactory<WithHelpers> f = new ComponentFactory<>() {
      @Override
      public String type() {
        return "helpers";
      }

      @Override
      public ComponentKind kind() {
        return ComponentKind.EXTENSION;
      }

      @Override
      public Class<WithHelpers> configClass() {
        return WithHelpers.class;
      }

      @Override
      public WithHelpers defaultConfig() {
        return new WithHelpers("localhost", 80);
      }

      @Override
      public Set<Signal> signals() {
        return Set.of();
      }
    };

    assertThat(ConfigLoader.bindComponent(f, "port: 8080")).isEqualTo(new WithHelpers("localhost", 8080));
    assertThat(bindFails(f, "local: true").errors().get(0).message()).isEqualTo("unknown key; valid keys: endpoint, port");
  }

  record Checked(Inner inner) implements ComponentConfig {
    record Inner(int size) {
      Inner {
        if (size > 10) {
          throw new IllegalArgumentException("must be at most 10, got " + size);
        }
      }
    }
  }

  @Test
  void exceptionFromAConfigConstructorIsAnErrorAtItsSection() {
    ComponentFactory<Checked> f = new ComponentFactory<>() {
      @Override
      public String type() {
        return "checked";
      }

      @Override
      public ComponentKind kind() {
        return ComponentKind.PROCESSOR;
      }

      @Override
      public Class<Checked> configClass() {
        return Checked.class;
      }

      @Override
      public Checked defaultConfig() {
        return new Checked(new Checked.Inner(1));
      }

      @Override
      public Set<Signal> signals() {
        return Set.of(Signal.TRACES);
      }
    };

    assertThat(bindFails(f, "inner:\n  size: 11").errors()).singleElement().hasToString(
        "<processors.checked>:2:3: processors.checked.inner: must be at most 10, got 11");
  }

  record NoSettings() implements ComponentConfig {}

  @Test
  void componentWithoutSettingsAcceptsOnlyAnEmptySection() throws Exception {
    ComponentFactory<NoSettings> f = new ComponentFactory<>() {
      @Override
      public String type() {
        return "nothing";
      }

      @Override
      public ComponentKind kind() {
        return ComponentKind.PROCESSOR;
      }

      @Override
      public Class<NoSettings> configClass() {
        return NoSettings.class;
      }

      @Override
      public NoSettings defaultConfig() {
        return new NoSettings();
      }

      @Override
      public Set<Signal> signals() {
        return Set.of(Signal.TRACES);
      }
    };

    assertThat(ConfigLoader.bindComponent(f, "")).isEqualTo(new NoSettings());
    assertThat(bindFails(f, "verbose: true").errors()).singleElement().hasToString(
        "<processors.nothing>:1:1: processors.nothing.verbose: unknown key; this section has no settings");
  }

  @Test
  void listOfStringsAndIntegersBindTogether() throws Exception {
    BatchConfig c = ConfigLoader.bindComponent(new BatchProcessorFactory(), """
        send_batch_size: 0x10
        metadata_keys:
          - tenant
          - 42
        """);
    assertThat(c.sendBatchSize()).isEqualTo(16);
    assertThat(c.metadataKeys()).isEqualTo(List.of("tenant", "42"));
  }

  @Test
  void nestedSectionWithNoValuesKeepsAllItsDefaults() throws Exception {
    OtlpReceiverConfig c = ConfigLoader.bindComponent(new OtlpReceiverFactory(), "protocols:\n  grpc:\n  http:\n");
    assertThat(c).isEqualTo(new OtlpReceiverFactory().defaultConfig());
  }
}
