package io.sluice.exporter.prometheus;

import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.tls.ServerTls;
import io.sluice.core.util.HostPort;
import io.sluice.translation.prometheus.otlp.DeltaToCumulative;
import io.sluice.translation.prometheus.otlp.OtlpToPrometheus;
import io.sluice.translation.prometheus.otlp.PromWriteData;
import io.sluice.translation.prometheus.otlp.TranslationOptions;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.internal.VertxInternal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code prometheus} exporter: translates each metrics batch to Prometheus series, keeps the
 * latest sample of each, and serves them on {@code GET /metrics}. The series map, the translator
 * and the page rendering all live on the exporter's own context.
 */
final class PrometheusExporter implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(PrometheusExporter.class);
  private static final int MAX_DELTA_STREAMS = 100_000;

  private final String id;
  private final Vertx vertx;
  private final Context context;
  private final PrometheusExporterConfig config;
  private final LongSupplier clockMs;
  private final OtlpToPrometheus translator;
  private final SeriesStore store;
  /** Null when the context carries no self-metrics. */
  private final SelfMetrics.ExporterMetrics metrics;
  private HttpServer server;
  private ServerTls tls;
  /** Compresses pages off the event loop: a large page takes a while to gzip. */
  private WorkerExecutor compressor;
  private boolean stopped;

  PrometheusExporter(ComponentContext ctx, PrometheusExporterConfig config, LongSupplier clockMs) {
    this.id = ctx.id().toString();
    this.vertx = ctx.vertx();
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    this.config = config;
    this.clockMs = clockMs;
    TranslationOptions options = new TranslationOptions(config.namespace(), config.addMetricSuffixes(),
        config.resourceToTelemetryConversion().enabled(), true, true, config.constLabels(),
        // start times of scraped series are not served back as _created samples (yet)
        TranslationOptions.CreatedSeries.NONE);
    DeltaToCumulative deltas = new DeltaToCumulative(config.metricExpiration(), MAX_DELTA_STREAMS,
        System::nanoTime);
    this.translator = new OtlpToPrometheus(options, deltas);
    this.store = new SeriesStore(config.metricExpiration().toMillis());
    this.metrics = ctx.metrics() == null ? null : ctx.metrics().exporter(ctx.id());
  }

  @Override
  public Future<Void> start() {
    HostPort hp = config.hostPort();
    return onContext(() -> {
      compressor = vertx.createSharedWorkerExecutor("sluice-prometheus-gzip-" + id, 1);
      return ServerTls.startIfSet(vertx, config.tls(), "exporter '" + id + "' (tls)").compose(t -> {
        tls = t;
        server = vertx.createHttpServer(ServerTls.applyIfSet(t, new HttpServerOptions().setHost(hp.host())
            .setPort(hp.port())));
        server.requestHandler(this::handle);
        return server.listen().<Void>mapEmpty()
            .onSuccess(v -> LOG.info("[{}] serving metrics on {}://{}/metrics", id, t == null ? "http" : "https", hp))
            .onFailure(e -> LOG.error("[{}] cannot listen on {}: {}", id, hp, e.getMessage()));
      });
    });
  }

  @Override
  public Future<Void> shutdown() {
    return onContext(() -> {
      if (stopped) {
        return Future.succeededFuture();
      }
      stopped = true;
      ServerTls.closeIfSet(tls);
      tls = null;
      HttpServer s = server;
      WorkerExecutor w = compressor;
      server = null;
      compressor = null;
      if (w != null) {
        w.close();
      }
      if (s == null) {
        return Future.succeededFuture();
      }
      return s.close().onComplete(ar -> LOG.info("[{}] stopped serving metrics", id));
    });
  }

  @Override
  public Future<Void> consume(Batch batch) {
    if (batch.signal() != Signal.METRICS) {
      return Future.failedFuture(new PermanentException("the prometheus exporter takes metrics only, not "
          + batch.signal()));
    }
    return onContext(() -> {
      PromWriteData data;
      try {
        data = translator.translate(batch.resourceMetrics());
      } catch (RuntimeException e) {
        LOG.error("[{}] cannot translate a batch of {} data points: {}", id, batch.itemCount(), e.toString());
        if (metrics != null) {
          metrics.sendFailed(Signal.METRICS, batch.itemCount());
        }
        return Future.failedFuture(new PermanentException("translation failed: " + e.getMessage(), e));
      }
      if (data.droppedPointCount() > 0) {
        LOG.debug("[{}] {} data points not exposed: {}", id, data.droppedPointCount(), data.droppedPoints());
      }
      long now = clockMs.getAsLong();
      store.update(data, now);
      store.expire(now);
      if (metrics != null) {
        metrics.sent(Signal.METRICS, batch.itemCount());
      }
      return Future.succeededFuture();
    });
  }

  /** How many series are exposed now (for tests). */
  Future<Integer> seriesCount() {
    return onContext(() -> Future.succeededFuture(store.size()));
  }

  private void handle(HttpServerRequest req) {
    if (!req.path().equals("/metrics")) {
      req.response().setStatusCode(404).end("not found; metrics are on /metrics\n");
      return;
    }
    if (req.method() != HttpMethod.GET && req.method() != HttpMethod.HEAD) {
      req.response().setStatusCode(405).putHeader("Allow", "GET, HEAD").end();
      return;
    }
    boolean om = config.enableOpenMetrics() && Negotiation.prefersOpenMetrics(req.getHeader("Accept"));
    boolean gzip = Negotiation.acceptsGzip(req.getHeader("Accept-Encoding"));
    onContext(() -> {
      store.expire(clockMs.getAsLong());
      byte[] page = ExpositionWriter.write(store.snapshot(), om, config.sendTimestamps());
      WorkerExecutor w = compressor;
      if (!gzip) {
        return Future.succeededFuture(page);
      }
      return w != null ? w.executeBlocking(() -> gzip(page), false) : Future.succeededFuture(gzip(page));
    }).onComplete(ar -> {
      if (ar.failed()) {
        LOG.warn("[{}] cannot render the metrics page: {}", id, ar.cause().toString());
        req.response().setStatusCode(500).end();
        return;
      }
      var resp = req.response()
          .putHeader("Content-Type", om ? ExpositionWriter.OPENMETRICS_CONTENT_TYPE
              : ExpositionWriter.TEXT_CONTENT_TYPE)
          .putHeader("Vary", "Accept, Accept-Encoding");
      if (gzip) {
        resp.putHeader("Content-Encoding", "gzip");
      }
      if (req.method() == HttpMethod.HEAD) {
        resp.putHeader("Content-Length", Integer.toString(ar.result().length)).end();
      } else {
        resp.end(Buffer.buffer(ar.result()));
      }
    });
  }

  private static byte[] gzip(byte[] page) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(page.length / 4 + 64);
    try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
      gz.write(page);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  /** Runs {@code work} on the exporter's context and completes with its result. */
  private <T> Future<T> onContext(Supplier<Future<T>> work) {
    Promise<T> p = Promise.promise();
    context.runOnContext(v -> {
      try {
        work.get().onComplete(p);
      } catch (RuntimeException e) {
        p.fail(e);
      }
    });
    return p.future();
  }
}
