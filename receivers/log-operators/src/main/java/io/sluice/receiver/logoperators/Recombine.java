package io.sluice.receiver.logoperators;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * {@code recombine}: joins consecutive entries of one source (a Java stack trace, the parts of a
 * long line) into one, as the Collector's operator does. A batch starts at an entry for which
 * {@code is_first_entry} holds, or ends with one for which {@code is_last_entry} holds (exactly
 * one of the two is set). The values of {@code combine_field} are joined with {@code
 * combine_with} (default a newline) into the oldest or newest entry ({@code overwrite_with},
 * default newest). Sources are told apart by {@code source_identifier} (default {@code
 * attributes["log.file.path"]}).
 *
 * <p>A batch is sent when the next one starts or its last entry comes, when it reaches {@code
 * max_batch_size} entries or {@code max_log_size} characters, when entries that match nothing
 * reach {@code max_unmatched_batch_size} (0: no limit), when it is older than {@code
 * force_flush_period} at a {@link OperatorPipeline#flushExpired} call, and at {@link
 * OperatorPipeline#flush}. Past {@code max_sources} sources, the oldest source's batch is sent.
 */
final class Recombine extends Operator {
  private static final String NO_SOURCE = "DefaultSourceIdentifier";

  private final Field combineField;
  private final String combineWith;
  private final Expr isFirst;
  private final Expr isLast;
  private final int maxBatchSize;
  private final int maxUnmatched;
  private final long maxLogSize;
  private final boolean newest;
  private final long forceFlushMillis;
  private final Field source;
  private final int maxSources;
  private final Clock clock;
  private final Map<String, Batch> batches = new LinkedHashMap<>();

  private static final class Batch {
    final List<LogEntry> entries = new ArrayList<>();
    final StringBuilder text = new StringBuilder();
    /** True when the batch began with an is_first_entry match. */
    boolean matched;
    long startedMillis;
  }

  Recombine(Field combineField, String combineWith, Expr isFirst, Expr isLast, int maxBatchSize, int maxUnmatched,
      long maxLogSize, boolean newest, long forceFlushMillis, Field source, int maxSources, Clock clock) {
    this.combineField = combineField;
    this.combineWith = combineWith;
    this.isFirst = isFirst;
    this.isLast = isLast;
    this.maxBatchSize = maxBatchSize;
    this.maxUnmatched = maxUnmatched;
    this.maxLogSize = maxLogSize;
    this.newest = newest;
    this.forceFlushMillis = forceFlushMillis;
    this.source = source;
    this.maxSources = maxSources;
    this.clock = clock;
  }

  @Override
  void consume(LogEntry e, Consumer<LogEntry> out) {
    if (condition != null && !condition.test(e)) {
      forward(e, out);
      return;
    }
    Object id = source.get(e);
    String key = id == null ? NO_SOURCE : id.toString();
    Batch b = batches.get(key);
    if (isFirst != null) {
      if (isFirst.test(e)) {
        if (b != null) {
          send(key, out);
        }
        b = open(key, out);
        b.matched = true;
        add(b, e);
      } else {
        if (b == null) {
          b = open(key, out);
        }
        add(b, e);
        if (!b.matched && maxUnmatched > 0 && b.entries.size() >= maxUnmatched) {
          send(key, out);
          return;
        }
      }
    } else {
      if (b == null) {
        b = open(key, out);
      }
      add(b, e);
      if (isLast.test(e) || (maxUnmatched > 0 && b.entries.size() >= maxUnmatched)) {
        send(key, out);
        return;
      }
    }
    if (b.entries.size() >= maxBatchSize || (maxLogSize > 0 && b.text.length() >= maxLogSize)) {
      send(key, out);
    }
  }

  private Batch open(String key, Consumer<LogEntry> out) {
    if (batches.size() >= maxSources) {
      send(batches.keySet().iterator().next(), out);
    }
    Batch b = new Batch();
    b.startedMillis = clock.millis();
    batches.put(key, b);
    return b;
  }

  private void add(Batch b, LogEntry e) {
    Object v = combineField.get(e);
    if (!b.entries.isEmpty()) {
      b.text.append(combineWith);
    }
    b.text.append(v == null ? "" : v.toString());
    b.entries.add(e);
  }

  private void send(String key, Consumer<LogEntry> out) {
    Batch b = batches.remove(key);
    if (b == null || b.entries.isEmpty()) {
      return;
    }
    LogEntry base = b.entries.get(newest ? b.entries.size() - 1 : 0);
    if (b.entries.size() > 1) {
      combineField.set(base, b.text.toString());
    }
    forward(base, out);
  }

  @Override
  void flush(Consumer<LogEntry> out) {
    for (Iterator<String> it = new ArrayList<>(batches.keySet()).iterator(); it.hasNext(); ) {
      send(it.next(), out);
    }
  }

  @Override
  void flushExpired(Consumer<LogEntry> out) {
    long now = clock.millis();
    List<String> expired = new ArrayList<>();
    batches.forEach((k, b) -> {
      if (now - b.startedMillis >= forceFlushMillis) {
        expired.add(k);
      }
    });
    expired.forEach(k -> send(k, out));
  }
}
