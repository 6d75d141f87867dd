package io.sluice.exporter.kafka;

import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.ExporterFactory;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.ExporterHelper;
import java.time.Duration;
import java.util.EnumSet;
import java.util.Set;

/**
 * Makes {@code kafka} exporters: traces, metrics and logs written to Kafka topics as OTLP (or raw
 * log bodies), keyed by trace ID or resource when asked, through one idempotent producer. Requests
 * to one partition go one at a time and in order (the exporter helper's per-key mode); a batch is
 * acknowledged once Kafka acknowledged all of it.
 */
public final class KafkaExporterFactory implements ExporterFactory<KafkaExporterConfig> {
  /** How much longer than the Kafka client's own delivery limit the helper waits for an attempt. */
  static final Duration HELPER_TIMEOUT_MARGIN = Duration.ofSeconds(5);

  @Override
  public String type() {
    return "kafka";
  }

  @Override
  public Class<KafkaExporterConfig> configClass() {
    return KafkaExporterConfig.class;
  }

  @Override
  public KafkaExporterConfig defaultConfig() {
    return KafkaExporterConfig.defaults();
  }

  @Override
  public Set<Signal> signals() {
    return EnumSet.allOf(Signal.class);
  }

  @Override
  public Exporter create(ComponentContext ctx, KafkaExporterConfig config) {
    KafkaExporter sender = new KafkaExporter(ctx, config);
    Duration t = config.timeout();
    // The Kafka client bounds each attempt itself (delivery.timeout.ms) and says why it failed;
    // the helper's limit is a backstop behind it.
    Duration helperTimeout = t.isZero() ? Duration.ZERO
        : sender.deliveryTimeout().plus(HELPER_TIMEOUT_MARGIN);
    ExporterHelper helper = ExporterHelper.builder(ctx, sender)
        .timeout(helperTimeout)
        .queue(config.sendingQueue())
        .retry(config.retryOnFailure())
        .requestSplitter(sender::split)
        .requestKey(sender::keyOf)
        .onStart(sender::start)
        .onShutdown(sender::shutdown)
        .build();
    return helper;
  }
}
