package io.sluice.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ComponentKind;
import io.sluice.core.config.FakeComponents.BatchProcessorFactory;
import io.sluice.core.config.FakeComponents.OtlpExporterFactory;
import io.sluice.core.config.FakeComponents.OtlpReceiverFactory;
import io.sluice.core.config.FakeComponents.PromReceiverFactory;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FactoriesTest {
  @Test
  void findsFactoriesByKindAndType() {
    Factories f = FakeComponents.factories();

    assertThat(f.receiver("otlp")).isInstanceOf(OtlpReceiverFactory.class);
    assertThat(f.exporter("otlp")).isInstanceOf(OtlpExporterFactory.class);
    assertThat(f.get(ComponentKind.PROCESSOR, "batch")).isInstanceOf(BatchProcessorFactory.class);
    assertThat(f.processor("otlp")).isNull();
    assertThat(f.types(ComponentKind.RECEIVER)).containsExactly("otlp", "prom");
    assertThat(f.connector("count").supports(io.sluice.core.Signal.TRACES, io.sluice.core.Signal.METRICS)).isTrue();
    assertThat(f.extension("health_check")).isNotNull();
  }

  @Test
  void twoFactoriesWithOneTypeAreRejected() {
    PromReceiverFactory other = new PromReceiverFactory() {
      @Override
      public String type() {
        return "otlp";
      }
    };
    assertThatThrownBy(() -> Factories.of(new OtlpReceiverFactory(), other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("two receiver factories have the type \"otlp\"");
  }

  @Test
  void aFactoryAnswersToItsAliasesAndIsListedOnce() {
    PromReceiverFactory renamed = new PromReceiverFactory() {
      @Override
      public java.util.Set<String> aliases() {
        return java.util.Set.of("prometheus");
      }
    };
    Factories f = Factories.of(renamed);

    assertThat(f.receiver("prometheus")).isSameAs(renamed);
    assertThat(f.receiver("prom")).isSameAs(renamed);
    assertThat(f.types(ComponentKind.RECEIVER)).containsExactly("prom", "prometheus");
    assertThat(f.all(ComponentKind.RECEIVER)).containsExactly(renamed);
  }

  @Test
  void anAliasTakenByAnotherFactoryIsRejected() {
    PromReceiverFactory other = new PromReceiverFactory() {
      @Override
      public java.util.Set<String> aliases() {
        return java.util.Set.of("otlp");
      }
    };
    assertThatThrownBy(() -> Factories.of(new OtlpReceiverFactory(), other))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("the receiver type name \"otlp\"")
        .hasMessageContaining("already taken");
  }

  @Test
  void loadsFactoriesListedInMetaInfServices(@TempDir Path dir) throws Exception {
    Path services = dir.resolve("META-INF/services");
    Files.createDirectories(services);
    Files.writeString(services.resolve("io.sluice.core.ReceiverFactory"),
        "# fakes\n" + PromReceiverFactory.class.getName() + "\n");
    Files.writeString(services.resolve("io.sluice.core.ProcessorFactory"), BatchProcessorFactory.class.getName());

    try (URLClassLoader loader = new URLClassLoader(new URL[] {dir.toUri().toURL()}, getClass().getClassLoader())) {
      Factories f = Factories.load(loader);
      assertThat(f.types(ComponentKind.RECEIVER)).contains("prom");
      assertThat(f.types(ComponentKind.PROCESSOR)).contains("batch");
    }
  }
}
