package io.sluice.exporter.debug;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.exporterhelper.ExporterHelper;
import io.sluice.core.exporterhelper.RetrySettings;
import io.vertx.core.Future;
import java.io.PrintStream;
import java.time.Duration;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code debug} exporter: formats each batch as text and writes it to the log, sampled per
 * signal. Sending never fails. It runs behind an {@link ExporterHelper} with retries off and, by
 * default, no queue, so a batch is acknowledged once it was written. Formatting happens on the
 * helper's context; very large batches in {@code detailed} mode cost CPU there.
 */
final class DebugExporter implements Exporter {
  /** Where the output goes; one logger for every instance, the instance id on every line. */
  static final Logger OUTPUT = LoggerFactory.getLogger("io.sluice.exporter.debug");

  private final String id;
  private final DebugExporterConfig config;
  private final LogSampler sampler;
  private final PrintStream stdout;
  private final ExporterHelper helper;

  DebugExporter(ComponentContext ctx, DebugExporterConfig config, LongSupplier nanoClock) {
    this(ctx, config, nanoClock, System.out);
  }

  DebugExporter(ComponentContext ctx, DebugExporterConfig config, LongSupplier nanoClock, PrintStream stdout) {
    this.id = ctx.id().toString();
    this.config = config;
    this.sampler = new LogSampler(config.samplingInitial(), config.samplingThereafter(), nanoClock);
    this.stdout = stdout;
    this.helper = ExporterHelper.builder(ctx, this::send)
        .queue(config.sendingQueue())
        .retry(RetrySettings.disabled())
        .timeout(Duration.ZERO)
        .build();
  }

  /** Runs on the helper's context. */
  private Future<Void> send(Batch batch) {
    if (!sampler.allow(batch.signal())) {
      return Future.succeededFuture();
    }
    String text = render(batch);
    if (config.useInternalLogger()) {
      OUTPUT.info("Exporter '{}' {}", id, text);
    } else {
      stdout.println(text);
    }
    return Future.succeededFuture();
  }

  private String render(Batch batch) {
    String summary = BatchText.summary(batch);
    if (config.verbosity() == DebugExporterConfig.Verbosity.BASIC) {
      return summary;
    }
    StringBuilder sb = new StringBuilder((int) Math.min(1 << 20, summary.length() + 80L * batch.itemCount()));
    sb.append(summary);
    if (config.verbosity() == DebugExporterConfig.Verbosity.NORMAL) {
      BatchText.appendItems(batch, sb);
    } else {
      BatchText.appendDetails(batch, sb);
    }
    return sb.toString();
  }

  @Override
  public Future<Void> start() {
    return helper.start();
  }

  @Override
  public Future<Void> consume(Batch batch) {
    return helper.consume(batch);
  }

  @Override
  public Future<Void> shutdown() {
    return helper.shutdown().onComplete(ar -> stdout.flush());
  }
}
