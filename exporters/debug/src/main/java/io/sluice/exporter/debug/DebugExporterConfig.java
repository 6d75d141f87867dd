package io.sluice.exporter.debug;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.exporterhelper.QueueSettings;
import java.util.ArrayList;
import java.util.List;

/**
 * Config of the {@code debug} exporter, with the Collector's key names and defaults.
 *
 * @param verbosity {@code basic} (one line per batch with counts), {@code normal} (also one line
 *     per span, metric or log record) or {@code detailed} (every field)
 * @param samplingInitial how many batches of each signal are logged each second before sampling starts
 * @param samplingThereafter after those, every {@code sampling_thereafter}-th batch is logged;
 *     1 logs all of them, 0 none
 * @param useInternalLogger true to log through the gateway's logger ({@code io.sluice.exporter.debug}),
 *     false to print the text alone to standard output
 * @param outputPaths where the text goes when {@code use_internal_logger} is false: {@code stdout}
 *     (the default), {@code stderr} or file paths, each appended to
 * @param sendingQueue an optional in-memory queue in front of the output; off by default, so a
 *     batch is acknowledged once it was logged
 */
public record DebugExporterConfig(
    Verbosity verbosity,
    int samplingInitial,
    int samplingThereafter,
    boolean useInternalLogger,
    List<String> outputPaths,
    QueueSettings sendingQueue)
    implements ComponentConfig {

  public DebugExporterConfig {
    outputPaths = outputPaths == null ? List.of() : List.copyOf(outputPaths.stream()
        .map(p -> p == null ? "" : p.trim()).toList());
  }

  /** A config that prints to standard output when not logging. */
  public DebugExporterConfig(Verbosity verbosity, int samplingInitial, int samplingThereafter,
      boolean useInternalLogger, QueueSettings sendingQueue) {
    this(verbosity, samplingInitial, samplingThereafter, useInternalLogger, List.of(), sendingQueue);
  }

  /** The outputs of {@code use_internal_logger: false}: the configured paths, else stdout. */
  List<String> outputs() {
    return outputPaths.isEmpty() ? List.of("stdout") : outputPaths;
  }

  /** How much of each batch is written. */
  public enum Verbosity {
    BASIC,
    NORMAL,
    DETAILED;

    @Override
    public String toString() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** The Collector's defaults: basic, the first 2 batches per second, then every one. */
  public static DebugExporterConfig defaults() {
    return new DebugExporterConfig(Verbosity.BASIC, 2, 1, true, new QueueSettings(false, 1, 1000));
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (verbosity == null) {
      problems.add(new ConfigProblem("verbosity", "is empty; use basic, normal or detailed"));
    }
    if (samplingInitial < 0) {
      problems.add(new ConfigProblem("sampling_initial", samplingInitial
          + " is negative; give how many batches per second to log before sampling (default 2)"));
    }
    if (samplingThereafter < 0) {
      problems.add(new ConfigProblem("sampling_thereafter", samplingThereafter
          + " is negative; give 1 to log every batch, or M to log every Mth after sampling_initial"));
    }
    if (useInternalLogger && !outputPaths.isEmpty()) {
      problems.add(new ConfigProblem("output_paths", "applies only with \"use_internal_logger: false\"; set"
          + " that too, or remove output_paths to log through the gateway's logger"));
    }
    for (int i = 0; i < outputPaths.size(); i++) {
      if (outputPaths.get(i).isEmpty()) {
        problems.add(new ConfigProblem("output_paths[" + i + "]", "is empty; give \"stdout\", \"stderr\" or a"
            + " file path"));
      }
    }
    if (sendingQueue == null) {
      problems.add(new ConfigProblem("sending_queue", "is empty; leave the key out to keep the queue off"));
    } else {
      problems.addAll(sendingQueue.validate("sending_queue"));
    }
    return problems;
  }
}
