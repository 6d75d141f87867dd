package io.sluice.exporter.debug;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.exporterhelper.ExporterHelper;
import io.sluice.core.exporterhelper.RetrySettings;
import io.vertx.core.Future;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
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
  private final io.vertx.core.Vertx vertx;
  /** Where text goes without the internal logger; opened in {@link #start()}. */
  private volatile List<PrintStream> outputs = List.of();

  DebugExporter(ComponentContext ctx, DebugExporterConfig config, LongSupplier nanoClock) {
    this(ctx, config, nanoClock, System.out);
  }

  DebugExporter(ComponentContext ctx, DebugExporterConfig config, LongSupplier nanoClock, PrintStream stdout) {
    this.id = ctx.id().toString();
    this.config = config;
    this.sampler = new LogSampler(config.samplingInitial(), config.samplingThereafter(), nanoClock);
    this.stdout = stdout;
    this.vertx = ctx.vertx();
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
      for (PrintStream out : outputs) {
        out.println(text);
        out.flush();
      }
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

  /** Opens the output files, appending, on a worker; then starts the helper. */
  @Override
  public Future<Void> start() {
    if (config.useInternalLogger()) {
      return helper.start();
    }
    return vertx.executeBlocking(() -> {
      List<PrintStream> opened = new ArrayList<>();
      for (String path : config.outputs()) {
        opened.add(switch (path) {
          case "stdout" -> stdout;
          case "stderr" -> System.err;
          default -> open(path);
        });
      }
      return opened;
    }).compose(opened -> {
      outputs = List.copyOf(opened);
      return helper.start();
    });
  }

  private PrintStream open(String path) {
    try {
      Path file = Path.of(path);
      if (file.getParent() != null) {
        Files.createDirectories(file.getParent());
      }
      return new PrintStream(new BufferedOutputStream(Files.newOutputStream(file, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND)), false, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("Exporter '" + id + "': cannot open output_paths entry '" + path + "': "
          + e.getMessage(), e);
    }
  }

  @Override
  public Future<Void> consume(Batch batch) {
    return helper.consume(batch);
  }

  @Override
  public Future<Void> shutdown() {
    return helper.shutdown().onComplete(ar -> {
      stdout.flush();
      for (PrintStream out : outputs) {
        if (out != stdout && out != System.err) {
          out.close();
        }
      }
      outputs = List.of();
    });
  }
}
