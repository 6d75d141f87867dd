package io.sluice.receiver.filelog;

import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.function.Consumer;

/**
 * What happens to each entry between reading and the OTLP record: the receiver's
 * {@code operators}. An entry goes in; zero (filtered), one or more (routed, split) come out.
 *
 * <p>A pipeline is called on the receiver's reader thread, one entry at a time; it may keep
 * state without locks and must not block on anything but CPU.
 */
public interface LogEntryPipeline {
  /** Passes {@code entry} on, changed or not, to {@code out} zero or more times. */
  void process(LogEntry entry, Consumer<LogEntry> out);

  /**
   * Passes on what the pipeline has held back longer than it may (a {@code recombine} waiting for
   * the rest of a stack trace); called once per poll, after the files were read.
   */
  default void flushExpired(Consumer<LogEntry> out) {
  }

  /** The pipeline of a receiver without operators: every entry unchanged. */
  LogEntryPipeline PASS_THROUGH = (entry, out) -> out.accept(entry);

  /**
   * Builds pipelines from the {@code operators} list of a config. Implementations are found with
   * {@link ServiceLoader} ({@code META-INF/services/io.sluice.receiver.filelog.LogEntryPipeline$Provider}).
   */
  interface Provider {
    /**
     * The pipeline for {@code operators}, each a map with at least {@code type}.
     *
     * @param keyPath the key path of the list, such as {@code receivers.filelog.operators}, for errors
     * @throws IllegalArgumentException naming the key path of what is wrong
     */
    LogEntryPipeline create(List<Map<String, Object>> operators, String keyPath);
  }

  /**
   * The pipeline for a receiver's {@code operators}: pass-through when there are none, else the
   * one the first {@link Provider} on the class path builds.
   *
   * @throws IllegalStateException when operators are configured and no provider is present
   */
  static LogEntryPipeline of(List<Map<String, Object>> operators, String keyPath) {
    if (operators == null || operators.isEmpty()) {
      return PASS_THROUGH;
    }
    for (Provider p : ServiceLoader.load(Provider.class, LogEntryPipeline.class.getClassLoader())) {
      return p.create(operators, keyPath);
    }
    throw new IllegalStateException(keyPath + ": this build of Sluice has no log operators; remove \"operators\""
        + " or use a build with the log-operators module");
  }
}
