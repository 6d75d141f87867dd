package io.sluice.gateway;

import io.sluice.core.service.ServiceGraph;
import io.sluice.core.telemetry.MetricsServer;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.util.HostPort;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: Vert.x, the self-metrics endpoint and the pipelines of one config. A new
 * config (SIGHUP) builds a new graph and swaps it in: the old one drains completely first, so
 * nothing accepted is lost, and then the new one binds the same ports.
 */
public final class Gateway {
  private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);

  private final Vertx vertx;
  private final SelfMetrics metrics;
  private MetricsServer metricsServer;
  private ServiceGraph graph;
  private LoadedConfig config;

  private Gateway(Vertx vertx, SelfMetrics metrics) {
    this.vertx = vertx;
    this.metrics = metrics;
  }

  /** Creates the gateway's Vert.x with event loops for every core. */
  public static Gateway create() {
    return new Gateway(Vertx.vertx(new VertxOptions().setPreferNativeTransport(false)), new SelfMetrics());
  }

  /** For tests: a gateway on a given Vert.x. */
  public static Gateway create(Vertx vertx) {
    return new Gateway(vertx, new SelfMetrics());
  }

  public Vertx vertx() {
    return vertx;
  }

  public SelfMetrics metrics() {
    return metrics;
  }

  /** The port of the self-metrics endpoint, or -1 when it is off. */
  public synchronized int metricsPort() {
    return metricsServer == null ? -1 : metricsServer.port();
  }

  public synchronized boolean ready() {
    return graph != null && graph.ready();
  }

  /** Builds and starts the pipelines of {@code config}; blocks until they have started. */
  public synchronized void start(LoadedConfig config, Duration timeout) throws Exception {
    this.config = config;
    if (config.metricsAddress() != null && metricsServer == null) {
      metricsServer = new MetricsServer(vertx, metrics, HostPort.parse(config.metricsAddress()), config.metricsTls());
      await(metricsServer.start(), timeout, "starting the self-metrics endpoint");
    }
    ServiceGraph g = ServiceGraph.build(vertx, metrics, config.definition());
    graph = g;
    if (metricsServer != null) {
      metricsServer.showing(config.definition());
    }
    try {
      await(g.start(), timeout, "starting the pipelines");
    } catch (Exception e) {
      await(g.shutdown(), timeout, "stopping what had started");
      graph = null;
      throw e;
    }
  }

  /**
   * Swaps in a new config: drains and stops the running pipelines, then starts the new ones.
   * If the new ones fail to start, the old config is started again.
   */
  public synchronized void reload(LoadedConfig next, Duration timeout) throws Exception {
    LoadedConfig previous = config;
    stopPipelines(timeout);
    try {
      startRebinding(next, timeout);
      LOG.info("Applied the new config: {}", next.files());
    } catch (Exception e) {
      LOG.error("The new config did not start ({}); going back to the previous one", e.getMessage(), e);
      startRebinding(previous, timeout);
      throw e;
    }
  }

  /**
   * Starts {@code next} right after the previous pipelines closed their listeners on the same
   * ports. Vert.x completes a server's close a moment before the port can always be bound again,
   * so a bind that fails with "address already in use" is retried for up to
   * {@link #REBIND_PATIENCE}; any other failure is reported at once.
   */
  private void startRebinding(LoadedConfig next, Duration timeout) throws Exception {
    long deadline = System.nanoTime() + REBIND_PATIENCE.toNanos();
    long pauseMillis = 20;
    while (true) {
      try {
        start(next, timeout);
        return;
      } catch (Exception e) {
        if (!addressInUse(e) || System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(pauseMillis) > deadline) {
          throw e;
        }
        LOG.info("A port of the new pipelines is not free yet ({}); trying again in {} ms", e.getMessage(),
            pauseMillis);
        Thread.sleep(pauseMillis);
        pauseMillis = Math.min(pauseMillis * 2, 500);
      }
    }
  }

  /** How long a reload keeps retrying binds of ports that the previous pipelines just released. */
  static final Duration REBIND_PATIENCE = Duration.ofSeconds(5);

  private static boolean addressInUse(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
      if (c instanceof java.net.BindException) {
        return true;
      }
    }
    return false;
  }

  private void stopPipelines(Duration deadline) {
    ServiceGraph g = graph;
    graph = null;
    if (g == null) {
      return;
    }
    try {
      await(g.shutdown(), deadline, "draining the pipelines");
    } catch (TimeoutException e) {
      LOG.error("Shutdown deadline of {} s passed with data still queued or in flight; that data is lost",
          deadline.toSeconds());
    } catch (Exception e) {
      LOG.warn("Shutdown finished with an error: {}", e.getMessage(), e);
    }
  }

  /**
   * Stops intake, drains everything in flight within {@code deadline}, and closes Vert.x. Blocks;
   * call it from a non-Vert.x thread (the shutdown hook, main, a test).
   */
  public synchronized void shutdown(Duration deadline) {
    stopPipelines(deadline);
    if (metricsServer != null) {
      try {
        await(metricsServer.shutdown(), Duration.ofSeconds(5), "closing the self-metrics endpoint");
      } catch (Exception e) {
        LOG.debug("Self-metrics endpoint did not close cleanly", e);
      }
      metricsServer = null;
    }
  }

  /** Shuts down and closes Vert.x. */
  public void close(Duration deadline) {
    shutdown(deadline);
    try {
      vertx.close().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      LOG.debug("Vert.x did not close cleanly", e);
    }
  }

  private static void await(Future<?> f, Duration timeout, String what) throws Exception {
    try {
      f.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new TimeoutException(what + " took longer than " + timeout.toSeconds() + " s");
    }
  }
}
