package io.sluice.exporter.prometheusremotewrite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ConfigProblem;
import io.sluice.core.ExporterFactory;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.translation.prometheus.otlp.TranslationOptions;
import io.sluice.core.ComponentKind;
import io.sluice.core.Exporter;
import java.time.Duration;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class PrometheusRemoteWriteExporterConfigTest {

  @Test
  void defaultsAreTheCollectorsAndNeedOnlyAnEndpoint() {
    PrometheusRemoteWriteExporterConfig d = new PrometheusRemoteWriteExporterFactory().defaultConfig();

    assertThat(d.addMetricSuffixes()).isTrue();
    assertThat(d.resourceToTelemetryConversion().enabled()).isFalse();
    assertThat(d.targetInfo().enabled()).isTrue();
    assertThat(d.remoteWriteVersion()).isEqualTo("1.0");
    assertThat(d.compression()).isEqualTo("snappy");
    assertThat(d.timeout()).isEqualTo(Duration.ofSeconds(5));
    assertThat(d.sendingQueue()).isEqualTo(QueueSettings.defaults());
    assertThat(d.effectiveQueue()).isEqualTo(QueueSettings.defaults());
    assertThat(d.maxBatchSizeBytes()).isEqualTo(3_000_000L);
    assertThat(d.exportCreatedMetric().enabled()).isFalse();
    assertThat(d.deltaToCumulative().maxStale()).isEqualTo(Duration.ofMinutes(5));
    assertThat(d.deltaToCumulative().maxStreams()).isEqualTo(100_000L);
    assertThat(d.validate()).extracting(ConfigProblem::path).containsExactly("endpoint");
    assertThat(d.withEndpoint("http://prometheus:9090/api/v1/write").validate()).isEmpty();
  }

  @Test
  void bindsACollectorConfigOverTheDefaults() throws Exception {
    PrometheusRemoteWriteExporterConfig c = ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: https://mimir.example.com/api/v1/push
        headers:
          X-Scope-OrgID: tenant-a
        namespace: app
        external_labels:
          cluster: eu-1
        add_metric_suffixes: false
        resource_to_telemetry_conversion:
          enabled: true
        target_info:
          enabled: false
        timeout: 10s
        compression: zstd
        retry_on_failure:
          max_elapsed_time: 2m
        max_batch_size_bytes: 1000000
        remote_write_queue:
          num_consumers: 2
        export_created_metric:
          enabled: false
        delta_to_cumulative:
          max_stale: 10m
          max_streams: 9223372036854775807
        """);

    assertThat(c.endpoint()).isEqualTo("https://mimir.example.com/api/v1/push");
    assertThat(c.headers()).containsEntry("X-Scope-OrgID", "tenant-a");
    assertThat(c.namespace()).isEqualTo("app");
    assertThat(c.externalLabels()).containsExactly(Map.entry("cluster", "eu-1"));
    assertThat(c.addMetricSuffixes()).isFalse();
    assertThat(c.resourceToTelemetryConversion().enabled()).isTrue();
    assertThat(c.targetInfo().enabled()).isFalse();
    assertThat(c.timeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.compression()).isEqualTo("zstd");
    assertThat(c.retryOnFailure().maxElapsedTime()).isEqualTo(Duration.ofMinutes(2));
    assertThat(c.retryOnFailure().initialInterval()).isEqualTo(Duration.ofMillis(50));
    assertThat(c.remoteWriteVersion()).isEqualTo("1.0");
    assertThat(c.maxBatchSizeBytes()).isEqualTo(1_000_000L);
    assertThat(c.effectiveQueue()).as("remote_write_queue replaces sending_queue")
        .isEqualTo(new QueueSettings(true, 2, 10_000));
    assertThat(c.deltaToCumulative().maxStale()).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.deltaToCumulative().streamLimit()).as("the Collector's \"no limit\"").isEqualTo(Integer.MAX_VALUE);
    assertThat(c.translationOptions().createdSeries()).as("_created only for what was scraped with it")
        .isEqualTo(TranslationOptions.CreatedSeries.SCRAPED);
    assertThat(c.validate()).isEmpty();
  }

  @Test
  void exportCreatedMetricEnabledIsAcceptedAndAsksForCreatedSeriesOfEveryPointWithAStartTime() throws Exception {
    PrometheusRemoteWriteExporterConfig c = ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: http://p:9090/api/v1/write
        export_created_metric:
          enabled: true
        """);

    assertThat(c.validate()).isEmpty();
    assertThat(c.exportCreatedMetric().enabled()).isTrue();
    assertThat(c.translationOptions().createdSeries()).isEqualTo(TranslationOptions.CreatedSeries.ALL);
    assertThat(PrometheusRemoteWriteExporterConfig.defaults().translationOptions().createdSeries())
        .isEqualTo(TranslationOptions.CreatedSeries.SCRAPED);
  }

  @Test
  void bindsPrometheusQueueKeysInRemoteWriteQueue() throws Exception {
    PrometheusRemoteWriteExporterConfig c = ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: http://p:9090/api/v1/write
        max_batch_size_bytes: 1000000
        remote_write_queue:
          queue_size: 500
          min_shards: 2
          max_shards: 8
          max_samples_per_send: 2000
          batch_send_deadline: 250ms
        """);

    assertThat(c.validate()).isEmpty();
    assertThat(c.remoteWriteQueue()).isEqualTo(new PrometheusRemoteWriteExporterConfig.RemoteWriteQueue(true, 500, 5,
        2, 8, 2000, Duration.ofMillis(250)));
    assertThat(c.shardSettings()).isEqualTo(new Shards.Settings(2, 8, 2000, Duration.ofMillis(250), 1_000_000));
    assertThat(c.shardSettings().dynamic()).isTrue();
  }

  @Test
  void withoutMaxShardsTheShardCountIsNumConsumersAndRequestsAreNotGathered() throws Exception {
    PrometheusRemoteWriteExporterConfig c = ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: http://p:9090/api/v1/write
        remote_write_queue:
          num_consumers: 3
        """);

    assertThat(c.remoteWriteQueue().maxSamplesPerSend()).isZero();
    assertThat(c.remoteWriteQueue().batchSendDeadline()).isEqualTo(Duration.ofSeconds(5));
    assertThat(c.remoteWriteQueue().minShards()).isNull();
    assertThat(c.remoteWriteQueue().maxShards()).isNull();
    assertThat(c.shardSettings()).isEqualTo(new Shards.Settings(3, 3, 0, Duration.ofSeconds(5), 3_000_000));
    assertThat(c.shardSettings().dynamic()).isFalse();
    assertThat(c.withEndpoint(c.endpoint()).shardSettings()).isEqualTo(c.shardSettings());

    PrometheusRemoteWriteExporterConfig equal = ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(),
        """
        endpoint: http://p:9090/api/v1/write
        remote_write_queue:
          min_shards: 4
          max_shards: 4
        """);
    assertThat(equal.validate()).isEmpty();
    assertThat(equal.shardSettings()).as("max_shards equal to min_shards: a fixed count of them")
        .isEqualTo(new Shards.Settings(4, 4, 0, Duration.ofSeconds(5), 3_000_000));
    assertThat(PrometheusRemoteWriteExporterConfig.defaults().shardSettings())
        .as("sending_queue's num_consumers when remote_write_queue is absent")
        .isEqualTo(new Shards.Settings(10, 10, 0, Duration.ofSeconds(5), 3_000_000));
  }

  private static PrometheusRemoteWriteExporterConfig withQueue(PrometheusRemoteWriteExporterConfig.RemoteWriteQueue q) {
    PrometheusRemoteWriteExporterConfig d = PrometheusRemoteWriteExporterConfig.defaults()
        .withEndpoint("http://p:9090/api/v1/write");
    return new PrometheusRemoteWriteExporterConfig(d.endpoint(), d.headers(), d.namespace(), d.externalLabels(),
        d.addMetricSuffixes(), d.resourceToTelemetryConversion(), d.targetInfo(), d.sendMetadata(),
        d.remoteWriteVersion(), d.compression(), d.timeout(), d.tls(), d.sendingQueue(), d.retryOnFailure(),
        d.maxBatchSizeBytes(), q, d.exportCreatedMetric(), d.deltaToCumulative());
  }

  @Test
  void reportsPrometheusQueueKeyProblemsWithTheirPaths() {
    PrometheusRemoteWriteExporterConfig c = withQueue(new PrometheusRemoteWriteExporterConfig.RemoteWriteQueue(
        true, 10, 0, 0, 5, -1, Duration.ZERO));
    assertThat(c.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
        "remote_write_queue.num_consumers", "remote_write_queue.min_shards", "remote_write_queue.max_samples_per_send",
        "remote_write_queue.batch_send_deadline");

    PrometheusRemoteWriteExporterConfig below = withQueue(new PrometheusRemoteWriteExporterConfig.RemoteWriteQueue(
        true, 10, 5, 4, 2, 100, Duration.ofSeconds(-1)));
    assertThat(below.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder(
        "remote_write_queue.max_shards", "remote_write_queue.batch_send_deadline");
    assertThat(below.validate()).filteredOn(p -> p.path().endsWith("max_shards")).extracting(ConfigProblem::message)
        .containsExactly("must not be below min_shards (4), got 2");

    PrometheusRemoteWriteExporterConfig zero = withQueue(new PrometheusRemoteWriteExporterConfig.RemoteWriteQueue(
        true, 10, 5, null, 0, null, null));
    assertThat(zero.validate()).extracting(ConfigProblem::path).containsExactly("remote_write_queue.max_shards");

    PrometheusRemoteWriteExporterConfig minOnly = withQueue(new PrometheusRemoteWriteExporterConfig.RemoteWriteQueue(
        true, 10, 5, 2, null, null, null));
    assertThat(minOnly.validate()).singleElement().satisfies(p -> {
      assertThat(p.path()).isEqualTo("remote_write_queue.min_shards");
      assertThat(p.message()).contains("without max_shards");
    });
  }

  @Test
  void aBadPrometheusQueueValueInYamlNamesItsKey() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: http://p:9090/api/v1/write
        remote_write_queue:
          max_shards: 2
          min_shards: 3
        """)).isInstanceOf(ConfigException.class).hasMessageContaining("remote_write_queue.max_shards");
  }

  @Test
  void sendingQueueKeysTheShardsCannotHonourAreRefusedWithWhatToUseInstead() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: http://p:9090/api/v1/write
        sending_queue:
          sizer: items
          block_on_overflow: true
          batch:
            min_size: 100
        """)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("sending_queue.sizer").hasMessageContaining("remote_write_queue.queue_size")
        .hasMessageContaining("sending_queue.batch").hasMessageContaining("max_batch_size_bytes")
        .hasMessageContaining("sending_queue.block_on_overflow");
  }

  @Test
  void bindsTheNewerCollectorKeys() throws Exception {
    PrometheusRemoteWriteExporterConfig c = ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: http://p:9090/api/v1/write
        disable_scope_info: true
        max_batch_request_parallelism: 5
        protobuf_message: io.prometheus.write.v2.Request
        translation_strategy: UnderscoreEscapingWithoutSuffixes
        resource_constant_labels:
          included: ["service.*"]
          excluded: [service.instance.id]
        """);

    assertThat(c.remoteWriteVersion()).isEqualTo("2.0");
    assertThat(c.addMetricSuffixes()).isFalse();
    assertThat(c.translationOptions().scopeLabels()).isFalse();
    assertThat(c.translationOptions().resourceLabels().test("service.name")).isTrue();
    assertThat(c.translationOptions().resourceLabels().test("service.instance.id")).isFalse();
    assertThat(c.maxBatchRequestParallelism()).isEqualTo(5);
  }

  @Test
  void newerCollectorKeysWithWrongValuesNameTheKeyAndWhatWouldDo() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: http://p:9090/api/v1/write
        max_batch_request_parallelism: 0
        protobuf_message: WriteRequest
        translation_strategy: NoUTF8EscapingWithSuffixes
        wal:
          directory: /var/lib/otelcol/wal
        resource_constant_labels:
          included: []
        """)).isInstanceOf(ConfigException.class)
        .hasMessageContaining("exporters.prometheusremotewrite.max_batch_request_parallelism")
        .hasMessageContaining("exporters.prometheusremotewrite.protobuf_message")
        .hasMessageContaining("\"prometheus.WriteRequest\" (1.0)")
        .hasMessageContaining("exporters.prometheusremotewrite.translation_strategy")
        .hasMessageContaining("not available in Sluice")
        .hasMessageContaining("exporters.prometheusremotewrite.wal")
        .hasMessageContaining("no write-ahead log")
        .hasMessageContaining("exporters.prometheusremotewrite.resource_constant_labels.included");
  }

  @Test
  void unknownKeysFail() {
    assertThatThrownBy(() -> ConfigLoader.bindComponent(new PrometheusRemoteWriteExporterFactory(), """
        endpoint: http://p:9090/api/v1/write
        endpiont: typo
        """)).isInstanceOf(ConfigException.class).hasMessageContaining("endpiont");
  }

  @Test
  void reportsEveryProblemWithItsKey() {
    PrometheusRemoteWriteExporterConfig c = new PrometheusRemoteWriteExporterConfig("prometheus:9090/api/v1/write",
        Map.of("bad header", "x"), "", Map.of("__reserved", "x", "ok", ""), true, null, null, false, "3.0", "gzip",
        Duration.ofSeconds(-1), null, null, null, -1, null,
        new PrometheusRemoteWriteExporterConfig.ExportCreatedMetric(true),
        new PrometheusRemoteWriteExporterConfig.DeltaToCumulativeConversion(Duration.ZERO, -1L));

    assertThat(c.validate()).extracting(ConfigProblem::path).containsExactlyInAnyOrder("endpoint", "headers",
        "external_labels", "external_labels.ok", "remote_write_version", "compression", "timeout",
        "max_batch_size_bytes", "delta_to_cumulative.max_stale",
        "delta_to_cumulative.max_streams");
    assertThat(c.validate()).filteredOn(p -> p.path().equals("endpoint")).extracting(ConfigProblem::message)
        .first().asString().contains("did you mean \"http://");
  }

  @Test
  void factoryIsRegisteredForMetricsOnly() {
    assertThat(ServiceLoader.load(ExporterFactory.class).stream().map(ServiceLoader.Provider::get)
        .filter(f -> f.type().equals("prometheusremotewrite")).findFirst())
        .hasValueSatisfying(f -> assertThat(f.signals()).containsExactly(io.sluice.core.Signal.METRICS));
  }

  @Test
  void shutdownWorksWithoutStartAndTwice() throws Exception {
    TestVertx tv = TestVertx.create();
    try {
      Exporter e = new PrometheusRemoteWriteExporterFactory().create(TestContexts.context(tv.vertx(),
          ComponentKind.EXPORTER, "prometheusremotewrite/x"),
          PrometheusRemoteWriteExporterConfig.defaults().withEndpoint("http://127.0.0.1:1/api/v1/write"));
      e.shutdown().await(5, TimeUnit.SECONDS);
      e.shutdown().await(5, TimeUnit.SECONDS);
      e.start().await(5, TimeUnit.SECONDS);
      e.shutdown().await(5, TimeUnit.SECONDS);
      assertThat(e).isNotNull();
    } finally {
      tv.close();
    }
  }
}
