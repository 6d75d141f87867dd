package io.sluice.processor.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ConfigProblem;
import io.sluice.core.ProcessorFactory;
import io.sluice.core.Signal;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class BatchProcessorConfigTest {
  @Test
  void defaultsAreTheCollectorsAndValidate() {
    BatchProcessorConfig d = new BatchProcessorFactory().defaultConfig();
    assertThat(d.sendBatchSize()).isEqualTo(8192);
    assertThat(d.sendBatchMaxSize()).isZero();
    assertThat(d.timeout()).isEqualTo(Duration.ofMillis(200));
    assertThat(d.metadataKeys()).isEmpty();
    assertThat(d.metadataCardinalityLimit()).isEqualTo(1000);
    assertThat(d.validate()).isEmpty();
  }

  @Test
  void maxSizeBelowSendBatchSizeIsAnError() {
    List<ConfigProblem> problems = new BatchProcessorConfig(1000, 500, Duration.ofSeconds(1), List.of(), 0).validate();
    assertThat(problems).extracting(ConfigProblem::path).containsExactly("send_batch_max_size");
    assertThat(problems.get(0).message()).contains("500").contains("1000");
  }

  @Test
  void maxSizeEqualToSizeOrZeroIsFine() {
    assertThat(new BatchProcessorConfig(1000, 1000, Duration.ofSeconds(1), List.of(), 0).validate()).isEmpty();
    assertThat(new BatchProcessorConfig(1000, 0, Duration.ZERO, List.of(), 0).validate()).isEmpty();
  }

  @Test
  void reportsEveryProblemAtOnceWithItsPath() {
    BatchProcessorConfig bad = new BatchProcessorConfig(-1, -2, Duration.ofMillis(-5),
        List.of("X-Tenant", "x-tenant", ""), -3);
    assertThat(bad.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
        "send_batch_size", "send_batch_max_size", "timeout", "metadata_keys.1", "metadata_keys.2",
        "metadata_cardinality_limit");
    assertThat(bad.validate()).filteredOn(p -> p.path().equals("timeout"))
        .extracting(ConfigProblem::message).allMatch(m -> m.contains("\"-5ms\""));
  }

  @Test
  void missingTimeoutIsAProblem() {
    assertThat(new BatchProcessorConfig(10, 0, null, null, 0).validate())
        .extracting(ConfigProblem::path).containsExactly("timeout");
  }

  @Test
  void bindsACollectorSectionOverTheDefaults() throws Exception {
    BatchProcessorConfig c = ConfigLoader.bindComponent(new BatchProcessorFactory(),
        "send_batch_size: 10\nsend_batch_max_size: 20\ntimeout: 5s\nmetadata_keys: [X-Tenant]\n");
    assertThat(c.sendBatchSize()).isEqualTo(10);
    assertThat(c.sendBatchMaxSize()).isEqualTo(20);
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.metadataKeys()).containsExactly("X-Tenant");
    assertThat(c.metadataCardinalityLimit()).isEqualTo(1000);
    assertThat(ConfigLoader.bindComponent(new BatchProcessorFactory(), "").timeout())
        .isEqualTo(Duration.ofMillis(200));
  }

  @Test
  void rejectsUnknownKeysAndMaxBelowSizeWhenBinding() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new BatchProcessorFactory(), "send_batch_sise: 10"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("send_batch_sise");
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new BatchProcessorFactory(),
        "send_batch_size: 100\nsend_batch_max_size: 50"))
        .isInstanceOf(ConfigException.class).hasMessageContaining("processors.batch.send_batch_max_size");
  }

  @Test
  void factoryIsFoundByServiceLoaderAsTypeBatchForEverySignal() {
    List<ProcessorFactory<?>> found = ServiceLoader.load(ProcessorFactory.class).stream()
        .<ProcessorFactory<?>>map(ServiceLoader.Provider::get).filter(f -> f.type().equals("batch")).toList();
    assertThat(found).hasSize(1).allMatch(f -> f instanceof BatchProcessorFactory);
    assertThat(found.get(0).signals()).containsExactlyInAnyOrder(Signal.values());
    assertThat(found.get(0).configClass()).isEqualTo(BatchProcessorConfig.class);
  }
}
