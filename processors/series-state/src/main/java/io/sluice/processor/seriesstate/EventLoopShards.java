package io.sluice.processor.seriesstate;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.EventExecutor;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.ThreadingModel;
import io.vertx.core.Vertx;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * One Vert.x context on each event loop of the gateway, for state that is split by key: the
 * state of a key lives on the shard its hash picks and is only ever touched on that shard's
 * loop, so it needs no locks. Work for a shard is handed over with {@link #on}.
 */
public final class EventLoopShards {
  private final ContextInternal[] contexts;

  public EventLoopShards(Vertx vertx) {
    VertxInternal vi = (VertxInternal) vertx;
    EventLoopGroup group = vi.nettyEventLoopGroup();
    List<ContextInternal> list = new ArrayList<>();
    for (EventExecutor e : group) {
      list.add(vi.contextBuilder().withThreadingModel(ThreadingModel.EVENT_LOOP).withEventLoop((EventLoop) e).build());
    }
    if (list.isEmpty()) {
      list.add(vi.createEventLoopContext());
    }
    this.contexts = list.toArray(new ContextInternal[0]);
  }

  /** How many shards there are: one per event loop. */
  public int size() {
    return contexts.length;
  }

  public ContextInternal context(int shard) {
    return contexts[shard];
  }

  /** The shard that owns the keys with this hash. */
  public int shardOf(int hash) {
    int h = hash ^ (hash >>> 16);
    h *= 0x45d9f3b;
    h ^= h >>> 16;
    return Math.floorMod(h, contexts.length);
  }

  /**
   * Runs {@code task} on the shard's loop (at once when called there) and completes with its
   * result, or fails with what it threw.
   */
  public <T> Future<T> on(int shard, Supplier<T> task) {
    ContextInternal ctx = contexts[shard];
    Promise<T> p = ctx.promise();
    if (ctx.inThread()) {
      run(task, p);
    } else {
      ctx.runOnContext(v -> run(task, p));
    }
    return p.future();
  }

  /**
   * Calls {@code step} on the shard's loop until it returns true (done), leaving the loop free for
   * other work between calls: long work is done in slices, each call one slice. Fails with what a
   * step threw.
   */
  public Future<Void> loop(int shard, BooleanSupplier step) {
    ContextInternal ctx = contexts[shard];
    Promise<Void> p = ctx.promise();
    ctx.runOnContext(v -> slice(ctx, step, p));
    return p.future();
  }

  private static void slice(ContextInternal ctx, BooleanSupplier step, Promise<Void> p) {
    boolean done;
    try {
      done = step.getAsBoolean();
    } catch (RuntimeException e) {
      p.fail(e);
      return;
    }
    if (done) {
      p.complete();
    } else {
      ctx.runOnContext(v -> slice(ctx, step, p));
    }
  }

  private static <T> void run(Supplier<T> task, Promise<T> p) {
    T result;
    try {
      result = task.get();
    } catch (RuntimeException e) {
      p.fail(e);
      return;
    }
    p.complete(result);
  }
}
