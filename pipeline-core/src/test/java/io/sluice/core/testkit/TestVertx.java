package io.sluice.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.internal.VertxInternal;
import io.vertx.core.internal.threadchecker.BlockedThreadEvent;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A Vert.x instance for tests whose blocked-thread checker is strict (an event loop busy for
 * more than 200 ms counts) and which fails the test on {@link #close()} when any loop was blocked.
 *
 * <pre>{@code
 * try (TestVertx tv = TestVertx.create()) { Vertx vertx = tv.vertx(); ... }
 * }</pre>
 */
public final class TestVertx implements AutoCloseable {
  private final Vertx vertx;
  private final List<String> blocked = new CopyOnWriteArrayList<>();

  private TestVertx(VertxOptions options) {
    this.vertx = Vertx.vertx(options
        .setBlockedThreadCheckInterval(100)
        .setBlockedThreadCheckIntervalUnit(TimeUnit.MILLISECONDS)
        .setMaxEventLoopExecuteTime(200)
        .setMaxEventLoopExecuteTimeUnit(TimeUnit.MILLISECONDS)
        .setMaxWorkerExecuteTime(60)
        .setMaxWorkerExecuteTimeUnit(TimeUnit.SECONDS));
    ((VertxInternal) vertx).blockedThreadChecker().setThreadBlockedHandler(this::onBlocked);
  }

  public static TestVertx create() {
    return new TestVertx(new VertxOptions());
  }

  public static TestVertx create(int eventLoops) {
    return new TestVertx(new VertxOptions().setEventLoopPoolSize(eventLoops));
  }

  private void onBlocked(BlockedThreadEvent event) {
    StringBuilder sb = new StringBuilder();
    sb.append("Thread '").append(event.thread().getName()).append("' blocked for ")
        .append(event.duration() / 1_000_000).append(" ms (limit ").append(event.maxExecTime() / 1_000_000)
        .append(" ms)");
    for (StackTraceElement e : event.thread().getStackTrace()) {
      sb.append("\n\tat ").append(e);
    }
    blocked.add(sb.toString());
  }

  public Vertx vertx() {
    return vertx;
  }

  /** The blocked-thread reports so far. */
  public List<String> blockedThreads() {
    return List.copyOf(blocked);
  }

  /** Closes Vert.x and fails when an event loop was blocked while it ran. */
  @Override
  public void close() {
    try {
      vertx.close().await(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new AssertionError("Vert.x did not close in 30 s", e);
    }
    assertThat(blocked).as("event loops blocked during the test").isEmpty();
  }
}
