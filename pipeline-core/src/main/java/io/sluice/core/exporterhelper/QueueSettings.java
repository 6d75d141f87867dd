package io.sluice.core.exporterhelper;

import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.List;

/**
 * An exporter's {@code sending_queue}, as in the Collector: batches wait here in memory until one
 * of {@code num_consumers} senders takes them. A full queue refuses new batches with a retryable
 * error, so receivers tell their clients to back off.
 *
 * @param enabled when false a batch is acknowledged only once it is delivered
 * @param numConsumers how many requests are in flight at once
 * @param queueSize how many batches may wait
 */
public record QueueSettings(boolean enabled, int numConsumers, int queueSize) {
  public static QueueSettings defaults() {
    return new QueueSettings(true, 10, 1000);
  }

  public static QueueSettings disabled() {
    return new QueueSettings(false, 1, 1);
  }

  /** Problems with paths under {@code prefix} (normally {@code sending_queue}). */
  public List<ConfigProblem> validate(String prefix) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (numConsumers < 1) {
      problems.add(new ConfigProblem(prefix + ".num_consumers",
          "must be at least 1, got " + numConsumers));
    }
    if (enabled && queueSize < 1) {
      problems.add(new ConfigProblem(prefix + ".queue_size",
          "must be at least 1 when the queue is enabled, got " + queueSize));
    }
    return problems;
  }
}
