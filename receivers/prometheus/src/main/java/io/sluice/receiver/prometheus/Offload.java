package io.sluice.receiver.prometheus;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.WorkerExecutor;
import java.util.concurrent.Callable;

/**
 * The receiver's worker pool, counting the tasks in flight so that shutdown can wait for them
 * before it closes the pool (a task that ends after its Vert.x closed could not report back).
 * Used only from the receiver's context; results come back on it.
 */
final class Offload {
  private final WorkerExecutor worker;
  private int pending;
  private Promise<Void> idle;

  Offload(WorkerExecutor worker) {
    this.worker = worker;
  }

  /** Runs blocking or CPU-heavy work on a worker; unordered, so tasks of several targets overlap. */
  <T> Future<T> run(Callable<T> work) {
    pending++;
    return worker.executeBlocking(work, false).andThen(ar -> {
      pending--;
      if (pending == 0 && idle != null) {
        Promise<Void> p = idle;
        idle = null;
        p.complete();
      }
    });
  }

  /** Completes when no task is in flight any more, then closes the pool. */
  Future<Void> close() {
    Future<Void> quiet;
    if (pending == 0) {
      quiet = Future.succeededFuture();
    } else {
      if (idle == null) {
        idle = Promise.promise();
      }
      quiet = idle.future();
    }
    return quiet.compose(v -> worker.close());
  }
}
