package io.sluice.gateway;

import io.sluice.core.service.ServiceGraph;
import io.sluice.core.telemetry.MetricsServer;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.util.HostPort;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running gateway: Vert.x, the self-metrics endpoint and the pipelines of one config. A new
 * config (SIGHUP, {@code --watch-config}) is applied by difference: what it builds the same way
 * keeps running, what changed starts before its old form stops, and what is gone drains.
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
   * Applies a new config by difference (see {@link ServiceGraph#takeOver()}): components built
   * the same way keep running with their state, new and changed ones start before the gone and
   * replaced ones stop, and the stopped ones drain first. If a new component fails to start, the
   * running pipelines carry on unchanged and the failure is thrown.
   *
   * @return what was kept, started, replaced and stopped
   */
  public synchronized ServiceGraph.ReloadSummary reload(LoadedConfig next, Duration timeout) throws Exception {
    if (graph == null) {
      start(next, timeout);
      return new ServiceGraph.ReloadSummary(List.of(), List.of("every component"), List.of(), List.of());
    }
    ServiceGraph g = ServiceGraph.buildNext(graph, next.definition());
    ServiceGraph.ReloadSummary summary;
    try {
      summary = await(g.takeOver(), timeout, "applying the new config");
    } catch (Exception e) {
      if (g.tookOver()) {
        // The new pipelines run; what they replaced is still draining past the deadline.
        graph = g;
        config = next;
        LOG.error("Applied the new config {}, but the components it replaced had not drained after {} s: {}",
            next.files(), timeout.toSeconds(), e.getMessage());
      } else {
        LOG.error("The new config did not start ({}); the running pipelines carry on unchanged", e.getMessage(),
            e);
      }
      throw e;
    }
    graph = g;
    config = next;
    LOG.info("Applied the new config {}: {}", next.files(), summary.describe());
    return summary;
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

  private static <T> T await(Future<T> f, Duration timeout, String what) throws Exception {
    try {
      return f.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      throw new TimeoutException(what + " took longer than " + timeout.toSeconds() + " s");
    }
  }
}
