package io.sluice.receiver.logoperators;

import java.util.HashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link OperatorPipeline.ErrorListener}: quiet errors at DEBUG; the others at WARN,
 * the first of an operator at once and then at most one line a minute per operator, saying how
 * many more there were ("Operator 'regex_parser' failed on 120 more entries in the last 60 s").
 */
final class ErrorLog implements OperatorPipeline.ErrorListener {
  private static final Logger LOG = LoggerFactory.getLogger(ErrorLog.class);
  private static final long WINDOW_NANOS = 60_000_000_000L;

  private final String componentId;
  private final Map<String, long[]> windows = new HashMap<>(); // id -> {window start, suppressed}

  ErrorLog(String componentId) {
    this.componentId = componentId;
  }

  @Override
  public void onError(String operatorId, String message, boolean quiet, boolean dropped) {
    if (quiet) {
      if (LOG.isDebugEnabled()) {
        LOG.debug("'{}': operator '{}' failed on an entry{}: {}", componentId, operatorId,
            dropped ? " and dropped it" : "", message);
      }
      return;
    }
    long now = System.nanoTime();
    long[] w = windows.get(operatorId);
    if (w == null) {
      windows.put(operatorId, new long[] {now, 0});
      LOG.warn("'{}': operator '{}' failed on an entry and {}: {} (more failures are summarised once a minute)",
          componentId, operatorId, dropped ? "dropped it" : "passed it on unchanged", message);
    } else if (now - w[0] >= WINDOW_NANOS) {
      LOG.warn("'{}': operator '{}' failed on {} more entries in the last {} s; the latest: {}", componentId,
          operatorId, w[1] + 1, (now - w[0]) / 1_000_000_000L, message);
      w[0] = now;
      w[1] = 0;
    } else {
      w[1]++;
    }
  }
}
