package io.sluice.processor.tailsampling;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The upstream acknowledgement of one consumed batch, counted in holds: one per shard while it
 * takes its spans, one per undecided trace the batch brought spans of, and one per outgoing
 * request of sampled spans (kept traces, late spans of sampled ones) until the next consumer took
 * it. The batch is acknowledged when the last hold is released; a failure fails it at once and
 * later releases change nothing.
 *
 * <p>Holds are taken and released on the shards' event loops (several, hence the atomic count).
 * A hold lives on a trace or an outgoing request that is itself counted against
 * {@code num_traces} and {@code max_bytes}, so pending acknowledgements are bounded by them.
 */
final class Ack {
  /** Bytes counted against {@code max_bytes} for each hold a trace or an outgoing request keeps. */
  static final int HOLD_BYTES = 16;

  private final AtomicInteger holds;
  private final Promise<Void> promise = Promise.promise();

  Ack(int holds) {
    this.holds = new AtomicInteger(holds);
  }

  void hold() {
    holds.incrementAndGet();
  }

  void release() {
    if (holds.decrementAndGet() == 0) {
      promise.tryComplete();
    }
  }

  void fail(Throwable cause) {
    promise.tryFail(cause);
  }

  Future<Void> future() {
    return promise.future();
  }

  /** Releases {@code n} holds of {@code acks}. */
  static void releaseAll(Ack[] acks, int n) {
    for (int i = 0; i < n; i++) {
      acks[i].release();
    }
  }

  /** Fails {@code n} of {@code acks} with {@code cause}. */
  static void failAll(Ack[] acks, int n, Throwable cause) {
    for (int i = 0; i < n; i++) {
      acks[i].fail(cause);
    }
  }
}
