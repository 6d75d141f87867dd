package io.sluice.processor.batch;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.config.GoDurations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Config of the {@code batch} processor, with the Collector's key names and defaults.
 *
 * @param sendBatchSize items (spans, metric points, log records) after which the pending batch is
 *     sent whatever the timeout; 0 turns the size trigger off so that only the timeout sends
 * @param sendBatchMaxSize the most items one outgoing batch may hold, larger batches are split;
 *     0 means no upper limit. When set it must be at least {@code sendBatchSize}
 * @param timeout how long the first pending item may wait before the batch is sent; 0 sends every
 *     incoming batch at once (split by {@code sendBatchMaxSize}) without buffering
 * @param metadataKeys envelope metadata keys (case-insensitive) whose values get batches of their own
 * @param metadataCardinalityLimit how many distinct combinations of those values may be pending at
 *     once; 0 means no limit
 */
public record BatchProcessorConfig(
    int sendBatchSize,
    int sendBatchMaxSize,
    Duration timeout,
    List<String> metadataKeys,
    int metadataCardinalityLimit)
    implements ComponentConfig {

  public BatchProcessorConfig {
    // Nulls inside the list are kept (and reported by validate()) instead of failing the binding.
    metadataKeys = metadataKeys == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(metadataKeys));
  }

  /** The Collector's defaults: 8192 items, no upper limit, 200 ms, no metadata batching. */
  public static BatchProcessorConfig defaults() {
    return new BatchProcessorConfig(8192, 0, Duration.ofMillis(200), List.of(), 1000);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (sendBatchSize < 0) {
      problems.add(new ConfigProblem("send_batch_size",
          sendBatchSize + " is negative; use a number of items, or 0 to send on the timeout only"));
    }
    if (sendBatchMaxSize < 0) {
      problems.add(new ConfigProblem("send_batch_max_size",
          sendBatchMaxSize + " is negative; use a number of items, or 0 for no upper limit"));
    } else if (sendBatchMaxSize > 0 && sendBatchMaxSize < sendBatchSize) {
      problems.add(new ConfigProblem("send_batch_max_size",
          sendBatchMaxSize + " is below send_batch_size (" + sendBatchSize + "); it must be 0 (no upper limit)"
              + " or at least send_batch_size"));
    }
    if (timeout == null) {
      problems.add(new ConfigProblem("timeout", "is empty; give a duration such as \"200ms\", or \"0s\" to send"
          + " every batch at once"));
    } else if (timeout.isNegative()) {
      problems.add(new ConfigProblem("timeout", "\"" + GoDurations.format(timeout)
          + "\" is negative; give a duration such as \"200ms\", or \"0s\" to send every batch at once"));
    }
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < metadataKeys.size(); i++) {
      String key = metadataKeys.get(i);
      if (key == null || key.isBlank()) {
        problems.add(new ConfigProblem("metadata_keys." + i, "is empty; give a metadata key such as \"x-tenant\""));
      } else if (!seen.add(key.toLowerCase(Locale.ROOT))) {
        problems.add(new ConfigProblem("metadata_keys." + i,
            "\"" + key + "\" is listed twice (keys are compared case-insensitively); remove one"));
      }
    }
    if (metadataCardinalityLimit < 0) {
      problems.add(new ConfigProblem("metadata_cardinality_limit",
          metadataCardinalityLimit + " is negative; use a number of value combinations, or 0 for no limit"));
    }
    return problems;
  }
}
