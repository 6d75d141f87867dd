package io.sluice.core.telemetry;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.sluice.core.service.ServiceGraph;
import io.sluice.core.tls.ServerTls;
import io.sluice.core.tls.TlsServerSettings;
import io.sluice.core.util.HostPort;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves the gateway's self-metrics in Prometheus text format on {@code /metrics}, and the live
 * status page built from the same registry on {@code /status} ({@link StatusPage}), over TLS
 * when configured.
 */
public final class MetricsServer {
  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);

  private final Vertx vertx;
  private final SelfMetrics metrics;
  private final HostPort address;
  private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();
  private final TlsServerSettings tlsSettings;
  private HttpServer server;
  private ServerTls tls;
  private final StatusPage statusPage;
  /** The pipelines the status page shows; null until the gateway starts some. */
  private volatile ServiceGraph.Definition graph;

  public MetricsServer(Vertx vertx, SelfMetrics metrics, HostPort address) {
    this(vertx, metrics, address, null);
  }

  /**
   * With {@code tls} null, serves plaintext. The first server of the JVM reads the status page's
   * files from the class path: construct it off the event loop.
   */
  public MetricsServer(Vertx vertx, SelfMetrics metrics, HostPort address, TlsServerSettings tls) {
    this.statusPage = StatusPage.get();
    this.vertx = vertx;
    this.metrics = metrics;
    this.address = address;
    this.tlsSettings = tls;
  }

  public synchronized Future<Void> start() {
    if (server != null) {
      return Future.succeededFuture();
    }
    Future<ServerTls> loaded = ServerTls.startIfSet(vertx, tlsSettings, "self-metrics (service.telemetry.metrics.tls)");
    return loaded.compose(t -> {
      HttpServer s = vertx.createHttpServer(ServerTls.applyIfSet(t, new HttpServerOptions()))
          .requestHandler(this::handle);
      synchronized (this) {
        server = s;
        tls = t;
      }
      return s.listen(address.port(), address.host());
    })
        .onSuccess(x -> {
          String scheme = tlsSettings == null ? "http" : "https";
          LOG.info("Self-metrics on {}://{}/metrics, status page on {}://{}/status", scheme, address, scheme, address);
        })
        .recover(err -> Future.failedFuture(new IllegalStateException(
            "cannot serve self-metrics on " + address + " (service.telemetry.metrics.address): " + err.getMessage(),
            err)))
        .mapEmpty();
  }

  /** The port bound, useful when the config asked for port 0. */
  public synchronized int port() {
    return server == null ? -1 : server.actualPort();
  }

  /** Shows {@code definition}'s pipelines on the status page; called with each config started. */
  public void showing(ServiceGraph.Definition definition) {
    graph = definition;
  }

  private void handle(HttpServerRequest req) {
    if (StatusPage.handles(req.path())) {
      statusPage.handle(req, metrics, graph);
      return;
    }
    if (!req.path().equals("/metrics")) {
      req.response().setStatusCode(404)
          .end("Not found: " + req.path() + "; metrics are on /metrics, the status page on /status\n");
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(16384);
    try {
      writer.write(out, metrics.registry().scrape());
    } catch (IOException e) {
      req.response().setStatusCode(500).end("cannot write metrics: " + e.getMessage());
      return;
    }
    req.response()
        .putHeader("Content-Type", writer.getContentType())
        .end(Buffer.buffer(out.toByteArray()));
  }

  public synchronized Future<Void> shutdown() {
    HttpServer s = server;
    server = null;
    ServerTls.closeIfSet(tls);
    tls = null;
    return s == null ? Future.succeededFuture() : s.close();
  }
}
