package io.sluice.core.testkit;

import io.sluice.core.Batch;
import io.sluice.core.Consumer;
import io.sluice.core.Signal;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * Stands in for a neighbour: records every batch it is given and answers with a configurable
 * outcome (success by default). Safe to use from any thread.
 */
public final class CapturingConsumer implements Consumer {
  private final List<Batch> batches = new CopyOnWriteArrayList<>();
  private volatile Function<Batch, Future<Void>> answer = b -> Future.succeededFuture();

  @Override
  public Future<Void> consume(Batch batch) {
    batches.add(batch);
    return answer.apply(batch);
  }

  /** From now on every batch is answered by {@code answer} (still recorded). */
  public CapturingConsumer answerWith(Function<Batch, Future<Void>> answer) {
    this.answer = answer;
    return this;
  }

  /** From now on every batch fails with {@code error} (still recorded). */
  public CapturingConsumer failWith(RuntimeException error) {
    this.answer = b -> Future.failedFuture(error);
    return this;
  }

  public CapturingConsumer succeed() {
    this.answer = b -> Future.succeededFuture();
    return this;
  }

  public List<Batch> batches() {
    return List.copyOf(batches);
  }

  public List<Batch> batches(Signal signal) {
    List<Batch> out = new ArrayList<>();
    for (Batch b : batches) {
      if (b.signal() == signal) {
        out.add(b);
      }
    }
    return out;
  }

  /** Items (spans, points, records) received so far for one signal. */
  public int itemCount(Signal signal) {
    int n = 0;
    for (Batch b : batches) {
      if (b.signal() == signal) {
        n += b.itemCount();
      }
    }
    return n;
  }

  public void clear() {
    batches.clear();
  }
}
