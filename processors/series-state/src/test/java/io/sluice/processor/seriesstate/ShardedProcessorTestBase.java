package io.sluice.processor.seriesstate;

import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.TestVertx;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * What a test of a sharded metrics processor starts from: Vert.x with four event loops and the
 * strict blocked-loop check (the test fails when a loop was busy for more than 200 ms), a
 * capturing next consumer, self-metrics, and a clock the test sets.
 */
public abstract class ShardedProcessorTestBase {
  public static final long T0 = 1_700_000_000_000_000_000L;
  public static final long SECOND = 1_000_000_000L;

  protected TestVertx tv;
  protected final CapturingConsumer next = new CapturingConsumer();
  protected final SelfMetrics selfMetrics = new SelfMetrics();
  /** Nanoseconds since the Unix epoch, as the processors read it. */
  protected final AtomicLong clock = new AtomicLong(T0);

  @BeforeEach
  void startVertx() {
    tv = TestVertx.create(4);
  }

  @AfterEach
  void closeVertx() {
    tv.close();
  }
}
