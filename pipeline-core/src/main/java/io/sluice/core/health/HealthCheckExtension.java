package io.sluice.core.health;

import io.sluice.core.ComponentContext;
import io.sluice.core.Extension;
import io.sluice.core.tls.ServerTls;
import io.sluice.core.util.HostPort;
import io.vertx.core.Future;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers health checks over HTTP: 200 when every pipeline has started and the gateway is not
 * shutting down, 503 otherwise, on the configured path and on {@code /healthz} and
 * {@code /readyz}.
 */
final class HealthCheckExtension implements Extension {
  private static final Logger LOG = LoggerFactory.getLogger(HealthCheckExtension.class);

  private final ComponentContext ctx;
  private final HealthCheckConfig config;
  private HttpServer server;
  private ServerTls tls;
  private long pipelineTimer = -1;
  /** Exporter failures seen at the start of the current window, and whether the last window passed. */
  private double failuresAtWindowStart;
  private volatile boolean pipelineHealthy = true;

  HealthCheckExtension(ComponentContext ctx, HealthCheckConfig config) {
    this.ctx = ctx;
    this.config = config;
  }

  @Override
  public synchronized Future<Void> start() {
    if (server != null) {
      return Future.succeededFuture();
    }
    HostPort hp = HostPort.parse(config.endpoint());
    return ServerTls.startIfSet(ctx.vertx(), config.tls(), "extension '" + ctx.id() + "' (tls)").compose(t -> {
      HttpServer s = ctx.vertx().createHttpServer(ServerTls.applyIfSet(t, new HttpServerOptions()))
          .requestHandler(this::handle);
      synchronized (this) {
        tls = t;
        server = s;
      }
      startPipelineCheck();
      return s.listen(hp.port(), hp.host())
          .onSuccess(x -> LOG.info("Extension '{}' serves health on {}://{}{}", ctx.id(), t == null ? "http" : "https",
              hp, config.path()));
    }).recover(err -> {
      synchronized (this) {
        server = null;
        ServerTls.closeIfSet(tls);
        tls = null;
      }
      return Future.failedFuture(new IllegalStateException("Extension '" + ctx.id() + "' cannot listen on "
          + hp + ": " + err.getMessage(), err));
    }).mapEmpty();
  }

  /** Every interval, compares the exporters' failures in it with the threshold. */
  private void startPipelineCheck() {
    HealthCheckConfig.PipelineCheck check = config.checkCollectorPipeline();
    if (!check.enabled() || pipelineTimer >= 0) {
      return;
    }
    failuresAtWindowStart = ctx.metrics().exporterSendFailedTotal();
    pipelineTimer = ctx.vertx().setPeriodic(Math.max(1, check.interval().toMillis()), t -> {
      double now = ctx.metrics().exporterSendFailedTotal();
      boolean healthy = now - failuresAtWindowStart <= check.exporterFailureThreshold();
      if (healthy != pipelineHealthy) {
        LOG.warn("Extension '{}': exporters gave up on {} items in the last {}; the gateway reports itself {}",
            ctx.id(), (long) (now - failuresAtWindowStart), check.interval(), healthy ? "healthy" : "unhealthy");
      }
      pipelineHealthy = healthy;
      failuresAtWindowStart = now;
    });
  }

  private void handle(HttpServerRequest req) {
    String path = req.path();
    if (!path.equals(config.path()) && !path.equals("/healthz") && !path.equals("/readyz")) {
      req.response().setStatusCode(404).end("Not found: " + path + "; health is on " + config.path()
          + ", /healthz and /readyz\n");
      return;
    }
    boolean ready = ctx.host().ready() && pipelineHealthy;
    HealthCheckConfig.ResponseBody custom = config.responseBody();
    if (custom != null) {
      String body = ready ? custom.healthy() : custom.unhealthy();
      req.response().setStatusCode(ready ? 200 : 503).end(body == null ? "" : body);
      return;
    }
    req.response()
        .setStatusCode(ready ? 200 : 503)
        .putHeader("Content-Type", "application/json")
        .end(ready ? "{\"status\":\"Server available\"}\n" : "{\"status\":\"Server not available\"}\n");
  }

  @Override
  public synchronized Future<Void> shutdown() {
    if (pipelineTimer >= 0) {
      ctx.vertx().cancelTimer(pipelineTimer);
      pipelineTimer = -1;
    }
    pipelineHealthy = true;
    HttpServer s = server;
    server = null;
    ServerTls.closeIfSet(tls);
    tls = null;
    return s == null ? Future.succeededFuture() : s.close();
  }
}
