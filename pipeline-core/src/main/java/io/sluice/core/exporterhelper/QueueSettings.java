package io.sluice.core.exporterhelper;

import io.sluice.core.ConfigProblem;
import io.sluice.core.storage.StorageExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An exporter's {@code sending_queue}, as in the Collector: batches wait here in memory until one
 * of {@code num_consumers} senders takes them. A full queue refuses new batches with a retryable
 * error, so receivers tell their clients to back off; with {@code block_on_overflow} it makes
 * them wait for room instead.
 *
 * @param enabled when false a batch is acknowledged only once it is delivered
 * @param numConsumers how many requests are in flight at once
 * @param queueSize how much may wait, in units of {@code sizer}
 * @param sizer what {@code queue_size} counts: {@code requests} (the default), {@code items}
 *     (spans, data points, log records) or {@code bytes} (encoded OTLP)
 * @param blockOnOverflow when the queue is full, hold the caller's batch until there is room
 *     rather than refuse it
 * @param waitForResult acknowledge a batch once it is delivered rather than once it is queued
 * @param batch exporter-side batching of what waits in the queue; null (the default) sends each
 *     batch as it came
 * @param storage the id of a storage extension ({@code file_storage}) that makes the queue
 *     persistent: a batch is written to disk before it is acknowledged, and removed only once the
 *     backend took it, so the queue survives a restart or a crash; null or empty keeps the queue in
 *     memory only
 */
public record QueueSettings(boolean enabled, int numConsumers, int queueSize, String sizer,
    boolean blockOnOverflow, boolean waitForResult, Batching batch, String storage) {

  /** The sizers {@code sizer} accepts. */
  public static final List<String> SIZERS = List.of("requests", "items", "bytes");

  public QueueSettings {
    sizer = sizer == null || sizer.isBlank() ? "requests" : sizer.trim().toLowerCase(Locale.ROOT);
    storage = storage == null || storage.isBlank() ? null : storage.trim();
  }

  /** An in-memory queue. */
  public QueueSettings(boolean enabled, int numConsumers, int queueSize, String sizer, boolean blockOnOverflow,
      boolean waitForResult, Batching batch) {
    this(enabled, numConsumers, queueSize, sizer, blockOnOverflow, waitForResult, batch, null);
  }

  /** An in-memory queue counting requests, without batching. */
  public QueueSettings(boolean enabled, int numConsumers, int queueSize) {
    this(enabled, numConsumers, queueSize, "requests", false, false, null);
  }

  /** True when batches wait on disk, in the storage extension {@link #storage} names. */
  public boolean persistent() {
    return enabled && storage != null;
  }

  /** The same queue kept in the storage extension {@code id}. */
  public QueueSettings withStorage(String id) {
    return new QueueSettings(enabled, numConsumers, queueSize, sizer, blockOnOverflow, waitForResult, batch, id);
  }

  public static QueueSettings defaults() {
    return new QueueSettings(true, 10, 1000);
  }

  public static QueueSettings disabled() {
    return new QueueSettings(false, 1, 1);
  }

  /**
   * {@code sending_queue.batch}: requests waiting in the queue are merged into one until it holds
   * {@code min_size} (in the batch's sizer) or the oldest has waited {@code flush_timeout}; none
   * goes out larger than {@code max_size} (0: no limit).
   *
   * @param flushTimeout the longest a request waits for others to join it (default 200ms)
   * @param sizer {@code items} or {@code bytes}; the queue's sizer when that is one of them, else items
   * @param minSize the size at which a merged request goes out at once (default 8192)
   * @param maxSize the largest merged request; larger ones are split (0, the default: no limit)
   */
  public record Batching(Duration flushTimeout, String sizer, Long minSize, Long maxSize) {
    public Batching {
      flushTimeout = flushTimeout == null ? Duration.ofMillis(200) : flushTimeout;
      sizer = sizer == null || sizer.isBlank() ? null : sizer.trim().toLowerCase(Locale.ROOT);
      minSize = minSize == null ? 8192L : minSize;
      maxSize = maxSize == null ? 0L : maxSize;
    }
  }

  /** The sizer of {@code batch}: its own, else the queue's when that counts items or bytes, else items. */
  public String batchSizer() {
    if (batch == null) {
      return null;
    }
    if (batch.sizer() != null) {
      return batch.sizer();
    }
    return sizer.equals("requests") ? "items" : sizer;
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
    if (!SIZERS.contains(sizer)) {
      problems.add(new ConfigProblem(prefix + ".sizer", "\"" + sizer + "\" is not a sizer; use "
          + String.join(", ", SIZERS)));
    }
    if (storage != null) {
      problems.addAll(StorageExtension.validateId(prefix + ".storage", storage));
      if (enabled && waitForResult) {
        problems.add(new ConfigProblem(prefix + ".wait_for_result", "cannot be used with a persistent queue"
            + " (storage: \"" + storage + "\"), which acknowledges a batch once it is on disk; remove"
            + " wait_for_result or storage (the Collector refuses this combination too)"));
      }
    }
    if (batch != null) {
      String at = prefix + ".batch";
      if (batch.flushTimeout().isZero() || batch.flushTimeout().isNegative()) {
        problems.add(new ConfigProblem(at + ".flush_timeout", "must be a positive duration such as \"200ms\""));
      }
      String bs = batchSizer();
      if (!bs.equals("items") && !bs.equals("bytes")) {
        problems.add(new ConfigProblem(at + ".sizer", "\"" + bs + "\" cannot size a batch; use items or bytes"));
      }
      if (batch.minSize() < 0) {
        problems.add(new ConfigProblem(at + ".min_size", batch.minSize() + " is negative"));
      }
      if (batch.maxSize() < 0) {
        problems.add(new ConfigProblem(at + ".max_size", batch.maxSize() + " is negative (0 means no limit)"));
      } else if (batch.maxSize() > 0 && batch.maxSize() < batch.minSize()) {
        problems.add(new ConfigProblem(at + ".max_size", batch.maxSize() + " is less than min_size "
            + batch.minSize() + "; make it at least that, or 0 for no limit"));
      }
      if (enabled && bs.equals(sizer) && batch.minSize() > queueSize) {
        problems.add(new ConfigProblem(at + ".min_size", batch.minSize() + " is more than queue_size " + queueSize
            + ", so a batch could never fill; lower min_size or raise queue_size"));
      }
    }
    return problems;
  }
}
