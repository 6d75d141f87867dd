package io.sluice.exporter.prometheusremotewrite;

import com.github.luben.zstd.Zstd;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.Exporter;
import io.sluice.core.PermanentException;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.auth.HttpClientAuth;
import io.sluice.core.exporterhelper.HttpClientSettings;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetryAfter;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.telemetry.SelfMetrics;

import io.sluice.core.util.RateLimitedLog;
import io.sluice.translation.prometheus.otlp.DeltaToCumulative;
import io.sluice.translation.prometheus.otlp.OtlpToPrometheus;
import io.sluice.translation.prometheus.otlp.PromSeries;
import io.sluice.translation.prometheus.otlp.PromWriteData;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.internal.VertxInternal;


import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.xerial.snappy.Snappy;

/**
 * The {@code prometheusremotewrite} exporter: translates each metrics batch once, when it
 * arrives, splits its series across {@link Shards} by a hash of their labels, and sends each
 * shard's requests one at a time, so samples of one series reach the receiver in order while
 * shards send in parallel. With {@code max_samples_per_send} a shard gathers several batches into
 * one request; with {@code max_shards} the number of shards follows the load. Answers are mapped
 * as remote write asks: 2xx is success, 5xx and 429 are retried (waiting at least
 * {@code Retry-After}), every other status is permanent; a request not answered within
 * {@code timeout} is retried too, and its connection closed.
 *
 * <p>With the queue enabled a batch is acknowledged once its series are queued; a full queue
 * ({@code queue_size} batches not yet delivered) refuses it. With the queue disabled it is
 * acknowledged once every request holding its series is delivered or given up on.
 *
 * <p>All state (translator, delta state, shards, lifecycle) lives on one Vert.x context.
 */
final class PrometheusRemoteWriteExporter implements Exporter {
  private static final Logger LOG = LoggerFactory.getLogger(PrometheusRemoteWriteExporter.class);
  private static final long IDLE_MARGIN_MS = 100;
  private static final int MAX_QUOTED_BODY = 512;
  static final String USER_AGENT = "Sluice/" + version();
  static final String CONTENT_TYPE_V2 = "application/x-protobuf;proto=io.prometheus.write.v2.Request";
  static final String SAMPLES_WRITTEN = "X-Prometheus-Remote-Write-Samples-Written";
  static final String HISTOGRAMS_WRITTEN = "X-Prometheus-Remote-Write-Histograms-Written";
  static final String EXEMPLARS_WRITTEN = "X-Prometheus-Remote-Write-Exemplars-Written";

  private final String id;
  private final ComponentContext ctx;
  private final PrometheusRemoteWriteExporterConfig config;
  private final Vertx vertx;
  private final ContextInternal context;
  private final QueueSettings queue;
  private final SelfMetrics.ExporterMetrics metrics;
  private final DeltaToCumulative deltas;
  private final OtlpToPrometheus translator;
  private final RemoteWrite1Encoder encoder = new RemoteWrite1Encoder();
  private final RemoteWrite2Encoder encoder2 = new RemoteWrite2Encoder();
  private final Shards shards;
  private final RateLimitedLog partialLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  /** Remote write 2.0 until the receiver shows it does not take it; then 1.0 for good. */
  private volatile boolean useV2;
  private final RateLimitedLog dropLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  /** Data points not translated, by reason, since start; touched only on the context. */
  private final Map<String, Long> droppedPoints = new TreeMap<>();
  private volatile Map<String, Long> droppedSnapshot = Map.of();
  private HttpClientAgent client;
  /** The {@code auth.authenticator} extension, found at start; null without one. */
  private volatile HttpClientAuth auth;

  /** Batches accepted whose requests are not all delivered or given up on yet. */
  private volatile int queuedBatches;
  private boolean started;
  private Future<Void> startFuture;
  private boolean stopping;
  private Promise<Void> drained;
  private Future<Void> shutdownFuture;

  PrometheusRemoteWriteExporter(ComponentContext ctx, PrometheusRemoteWriteExporterConfig config) {
    this(ctx, config, Shards.DEFAULT_UPDATE_PERIOD);
  }

  /** With another period between reconsiderations of the shard count, for tests. */
  PrometheusRemoteWriteExporter(ComponentContext ctx, PrometheusRemoteWriteExporterConfig config,
      Duration shardUpdatePeriod) {
    this.id = ctx.id().toString();
    this.ctx = ctx;
    this.config = config;
    this.vertx = ctx.vertx();
    this.context = ((VertxInternal) vertx).createEventLoopContext();
    this.queue = config.effectiveQueue();
    this.metrics = ctx.metrics().exporter(ctx.id());
    this.deltas = new DeltaToCumulative(config.deltaToCumulative().maxStale(),
        config.deltaToCumulative().streamLimit(), System::nanoTime);
    // Native histograms only when remote write 2.0 is configured: 1.0 carries none.
    this.translator = new OtlpToPrometheus(config.translationOptions(), deltas, config.remoteWriteVersion().equals("2.0"));
    this.useV2 = config.remoteWriteVersion().equals("2.0");
    this.shards = new Shards(id, context, config.shardSettings(), shardUpdatePeriod, config.retryOnFailure(),
        config.timeout(), metrics, this::post, this::checkDrained, encoder);
    if (queue.enabled()) {
      ctx.metrics().registerQueue(ctx.id(), () -> queuedBatches, queue.queueSize());
    }
    ShardsGauge.register(ctx.metrics(), id, shards::count);
  }

  /** Data points dropped so far, by reason; safe from any thread. */
  Map<String, Long> droppedPoints() {
    return droppedSnapshot;
  }

  /** Batches accepted and not yet delivered; safe from any thread. */
  int queueSize() {
    return queuedBatches;
  }

  /** The shards sending now; safe from any thread. */
  int shardCount() {
    return shards.count();
  }

  private static String version() {
    String v = PrometheusRemoteWriteExporter.class.getPackage().getImplementationVersion();
    return v == null || v.isEmpty() ? "dev" : v;
  }

  /** A promise whose listeners run on the caller's context when it has one, so acknowledgements come home. */
  private static Promise<Void> callerPromise() {
    ContextInternal caller = ContextInternal.current();
    return caller != null ? caller.promise() : Promise.promise();
  }

  @Override
  public Future<Void> start() {
    Promise<Void> p = callerPromise();
    context.runOnContext(v -> {
      if (shutdownFuture != null && !shutdownFuture.isComplete()) {
        p.fail(new IllegalStateException("Exporter '" + id + "' cannot start while it is shutting down"));
        return;
      }
      if (startFuture == null) {
        if (config.auth() != null) {
          try {
            auth = config.auth().resolve(ctx, "auth");
          } catch (IllegalStateException e) {
            p.fail(new IllegalStateException("Exporter '" + id + "': " + e.getMessage(), e));
            return;
          }
        }
        stopping = false;
        shutdownFuture = null;
        Future<Void> starting = openClient();
        startFuture = starting;
        starting.onComplete(ar -> {
          if (ar.succeeded()) {
            started = !stopping;
            if (started) {
              shards.start();
            }
          } else if (startFuture == starting) {
            startFuture = null; // a later start() tries again
          }
        });
      }
      startFuture.onComplete(p);
    });
    return p.future();
  }

  private Future<Void> openClient() {
    int poolSize = shards.maxCount();
    for (String h : config.headers().keySet()) {
      if (PrometheusRemoteWriteExporterConfig.RESERVED_HEADERS.contains(h.toLowerCase(Locale.ROOT))) {
        LOG.warn("Exporter '{}' ignores the configured header '{}': remote write sets it itself", id, h);
      }
    }
    Promise<Void> opened = context.promise();
    context.executeBlocking(() -> {
      // Loads the codec's native library off the event loop.
      compress(config.compression(), new byte[16]);
      HttpClientOptions options = HttpClientSettings.options(id, config.timeout(), config.tls());
      return vertx.httpClientBuilder().with(options).with(new PoolOptions().setHttp1MaxSize(poolSize)).build();
    }).<Void>map(c -> {
      client = c;
      Shards.Settings s = config.shardSettings();
      LOG.info("Exporter '{}' sends remote write {} ({}) to '{}' over {}{}", id, config.remoteWriteVersion(),
          config.compression(), config.endpoint(), s.dynamic() ? s.minShards() + " to " + s.maxShards() + " shards"
              : s.minShards() + " shard(s)", s.maxSamplesPerSend() > 0 ? ", up to " + s.maxSamplesPerSend()
              + " samples per request or after " + s.batchSendDeadline().toMillis() + " ms" : "");
      return null;
    }).onComplete(opened);
    return opened.future();
  }

  @Override
  public Future<Void> shutdown() {
    Promise<Void> p = callerPromise();
    context.runOnContext(v -> {
      if (shutdownFuture != null) {
        shutdownFuture.onComplete(p);
        return;
      }
      stopping = true;
      drained = context.promise();
      shards.flush();
      checkDrained();
      if (!shards.idle()) {
        LOG.info("Exporter '{}' is shutting down: sending what its shards hold ({} parts of batches)", id,
            shards.pending());
      }
      Future<Boolean> wasStarted = startFuture == null ? Future.succeededFuture(false)
          : startFuture.transform(ar -> Future.succeededFuture(ar.succeeded()));
      Promise<Void> done = context.promise();
      wasStarted.compose(s -> drained.future().compose(x -> s ? closeClient() : Future.succeededFuture()))
          .onComplete(done);
      shutdownFuture = done.future();
      shutdownFuture.onComplete(ar -> {
        started = false;
        startFuture = null;
      });
      shutdownFuture.onComplete(p);
    });
    return p.future();
  }

  private void checkDrained() {
    if (stopping && drained != null && shards.idle()) {
      drained.tryComplete();
    }
  }

  private Future<Void> closeClient() {
    HttpClientAgent c = client;
    client = null;
    if (c == null) {
      return Future.succeededFuture();
    }
    Promise<Void> closed = context.promise();
    c.close().onComplete(closed);
    return closed.future().onComplete(ar -> LOG.info("Exporter '{}' closed its HTTP client", id));
  }

  @Override
  public Future<Void> consume(Batch batch) {
    Promise<Void> p = callerPromise();
    if (ContextInternal.current() == context) {
      accept(batch, p);
    } else {
      context.runOnContext(v -> accept(batch, p));
    }
    return p.future();
  }

  private void accept(Batch batch, Promise<Void> ack) {
    if (stopping || !started) {
      String state = !stopping ? "not started" : shutdownFuture != null && shutdownFuture.isComplete()
          ? "shut down" : "shutting down";
      ack.fail(new RetryableException("Exporter '" + id + "' is " + state));
      return;
    }
    if (batch.signal() != Signal.METRICS) {
      metrics.sendFailed(batch.signal(), batch.itemCount());
      ack.fail(new PermanentException("Exporter '" + id + "' exports metrics only, not " + batch.signal()));
      return;
    }
    if (queue.enabled() && queuedBatches >= queue.queueSize()) {
      metrics.enqueueFailed(batch.signal(), batch.itemCount());
      ack.fail(new ResourceExhaustedException("Exporter '" + id + "': sending queue is full ("
          + queue.queueSize() + " batches); the backend is slower than the input", retryDelayHint()));
      return;
    }
    // Translated once, here and in arrival order: retries resend the same requests, and
    // stateful steps (delta to cumulative) see every point once.
    PromWriteData data;
    try {
      data = translator.translate(batch.resourceMetrics());
    } catch (RuntimeException e) {
      metrics.sendFailed(batch.signal(), batch.itemCount());
      ack.fail(new PermanentException("Exporter '" + id + "' could not translate the metrics: "
          + e.getMessage(), e));
      return;
    }
    countDrops(data);
    long items = Math.max(0, batch.itemCount() - data.droppedPointCount());
    if (!useV2 && data.histogramCount() > 0) {
      // After a fall-back to 1.0 native histograms cannot go out: dropped and counted once, here.
      items = Math.max(0, items - data.histogramCount());
      data = withoutNativeHistograms(data);
    }
    if (data.series().isEmpty()) {
      ack.complete();
      return;
    }
    if (queue.enabled()) {
      queuedBatches++;
      ack.complete();
      shards.submit(data, items, err -> queuedBatches--);
    } else {
      shards.submit(data, items, err -> {
        if (err == null) {
          ack.complete();
        } else {
          ack.fail(err);
        }
      });
    }
  }

  private Duration retryDelayHint() {
    RetrySettings retry = config.retryOnFailure();
    return retry.enabled() ? retry.initialInterval() : Duration.ofSeconds(1);
  }

  /** Sends one request's data; called by the shards on the context, one request per shard at a time. */
  private Future<Void> post(PromWriteData data) {
    HttpClientAgent c = client;
    if (c == null) {
      return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no open HTTP client"));
    }
    boolean v2 = useV2;
    return post(c, v2 ? data : withoutNativeHistograms(data), v2);
  }

  /** The data without its native histograms, which remote write 1.0 cannot carry (they are counted as dropped). */
  private PromWriteData withoutNativeHistograms(PromWriteData data) {
    long histograms = data.histogramCount();
    if (histograms == 0) {
      return data;
    }
    List<PromSeries> kept = new java.util.ArrayList<>(data.series().size());
    for (PromSeries s : data.series()) {
      if (s.histograms().isEmpty()) {
        kept.add(s);
      }
    }
    countDrops(new PromWriteData(List.of(), List.of(), Map.of(OtlpToPrometheus.DROP_EXPONENTIAL_HISTOGRAM, histograms)));
    return new PromWriteData(kept, data.metadata(), Map.of());
  }

  /** Encodes and sends one request; a remote write 2.0 request the receiver does not understand is resent as 1.0. */
  private Future<Void> post(HttpClientAgent c, PromWriteData data, boolean v2) {
    if (data.series().isEmpty()) {
      return Future.succeededFuture();
    }
    byte[] body;
    try {
      byte[] raw = v2 ? encoder2.encode(data) : encoder.encode(data, config.sendMetadata());
      body = compress(config.compression(), raw);
    } catch (RuntimeException e) {
      return Future.failedFuture(new PermanentException("Exporter '" + id + "' could not encode the metrics: "
          + e.getMessage(), e));
    }
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(config.endpoint());
    for (Map.Entry<String, String> h : config.headers().entrySet()) {
      if (!PrometheusRemoteWriteExporterConfig.RESERVED_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
        options.putHeader(h.getKey(), h.getValue());
      }
    }
    HttpClientAuth a = auth;
    if (a != null) {
      Map<String, String> authHeaders;
      try {
        authHeaders = a.headers();
      } catch (RuntimeException e) {
        return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no credentials from '"
            + config.auth().authenticator() + "': " + e.getMessage(), e));
      }
      for (Map.Entry<String, String> h : authHeaders.entrySet()) {
        if (!PrometheusRemoteWriteExporterConfig.RESERVED_HEADERS.contains(h.getKey().toLowerCase(Locale.ROOT))) {
          options.putHeader(h.getKey(), h.getValue());
        }
      }
    }
    options.putHeader("Content-Encoding", config.compression());
    options.putHeader("Content-Type", v2 ? CONTENT_TYPE_V2 : "application/x-protobuf");
    options.putHeader("User-Agent", USER_AGENT);
    options.putHeader("X-Prometheus-Remote-Write-Version", v2 ? "2.0.0" : "0.1.0");
    Duration t = config.timeout();
    if (t != null && !t.isZero()) {
      // A request waits for a pooled connection no longer than it may take; one not answered a
      // little after its timeout (when it is already being retried) has its connection closed,
      // so a late answer cannot hold up the shard's retry.
      options.setConnectTimeout(t.toMillis());
      options.setIdleTimeout(t.toMillis() + IDLE_MARGIN_MS);
    }
    String url = config.endpoint();
    return c.request(options)
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().compose(b -> {
          if (v2 && notUnderstood(resp)) {
            fallBack(resp.statusCode());
            return post(c, withoutNativeHistograms(data), false);
          }
          if (v2) {
            checkWritten(resp, data);
          }
          return answer(url, resp, b);
        }))
        .recover(err -> Future.failedFuture(connectionFailure(url, err)));
  }

  /**
   * A 415, or a 2xx without any of the Written headers (a 1.x receiver that decoded an empty
   * message): the receiver does not take remote write 2.0.
   */
  private static boolean notUnderstood(HttpClientResponse resp) {
    int status = resp.statusCode();
    if (status == 415) {
      return true;
    }
    return status >= 200 && status < 300 && resp.getHeader(SAMPLES_WRITTEN) == null
        && resp.getHeader(HISTOGRAMS_WRITTEN) == null && resp.getHeader(EXEMPLARS_WRITTEN) == null;
  }

  private void fallBack(int status) {
    if (useV2) {
      useV2 = false;
      LOG.warn("Exporter '{}': '{}' does not accept remote write 2.0 (HTTP {}{}); sending remote write 1.0 from now on",
          id, config.endpoint(), status, status == 415 ? "" : " without X-Prometheus-Remote-Write-*-Written headers");
    }
  }

  private void checkWritten(HttpClientResponse resp, PromWriteData data) {
    long samples = data.sampleCount();
    String written = resp.getHeader(SAMPLES_WRITTEN);
    if (written != null && resp.statusCode() >= 200 && resp.statusCode() < 300) {
      try {
        long n = Long.parseLong(written.trim());
        if (n < samples) {
          partialLog.log("Exporter '{}': '{}' wrote {} of {} samples", id, config.endpoint(), n, samples);
        }
      } catch (NumberFormatException e) {
        LOG.debug("Exporter '{}': unreadable {} header '{}'", id, SAMPLES_WRITTEN, written);
      }
    }
  }

  /** True while requests go out as remote write 2.0; for tests. */
  boolean sendsV2() {
    return useV2;
  }

  private void countDrops(PromWriteData data) {
    if (data.droppedPoints().isEmpty()) {
      return;
    }
    for (Map.Entry<String, Long> e : data.droppedPoints().entrySet()) {
      droppedPoints.merge(e.getKey(), e.getValue(), Long::sum);
      metrics.dropped(Signal.METRICS, e.getKey(), e.getValue());
    }
    droppedSnapshot = Map.copyOf(droppedPoints);
    dropLog.log("Exporter '{}' dropped {} data points it cannot send yet ({}); totals since start: {}", id,
        data.droppedPointCount(), data.droppedPoints(), droppedPoints);
  }

  private Throwable connectionFailure(String url, Throwable err) {
    if (err instanceof RetryableException || err instanceof PermanentException) {
      return err;
    }
    return new RetryableException("Exporter '" + id + "' could not send metrics to '" + url + "': "
        + err.getClass().getSimpleName() + (err.getMessage() == null ? "" : ": " + err.getMessage()), err);
  }

  private Future<Void> answer(String url, HttpClientResponse resp, Buffer body) {
    int status = resp.statusCode();
    if (status >= 200 && status < 300) {
      return Future.succeededFuture();
    }
    String message = "Exporter '" + id + "' could not send metrics to '" + url + "': HTTP " + status
        + (resp.statusMessage() == null || resp.statusMessage().isEmpty() ? "" : " " + resp.statusMessage())
        + quote(body);
    return Future.failedFuture(failure(status, message, resp.getHeader("Retry-After"), Instant.now()));
  }

  /** Remote write: 5xx and 429 are retried (waiting at least {@code Retry-After}); other statuses never. */
  static RuntimeException failure(int status, String message, String retryAfter, Instant now) {
    if (status >= 500 || status == 429) {
      return new RetryableException(message, parseRetryAfter(retryAfter, now), null);
    }
    return new PermanentException(message);
  }

  /** {@code Retry-After} as delta-seconds or an HTTP-date; null when absent or unreadable. */
  static Duration parseRetryAfter(String value, Instant now) {
    return RetryAfter.parse(value, now);
  }


  private static String quote(Buffer body) {
    if (body == null || body.length() == 0) {
      return "";
    }
    String s = body.toString(StandardCharsets.UTF_8).strip();
    if (s.isEmpty()) {
      return "";
    }
    return ": " + (s.length() > MAX_QUOTED_BODY ? s.substring(0, MAX_QUOTED_BODY) + "…" : s);
  }

  static byte[] compress(String compression, byte[] body) {
    try {
      return switch (compression) {
        case "zstd" -> Zstd.compress(body);
        case "snappy" -> Snappy.compress(body);
        default -> throw new IllegalArgumentException("unknown compression \"" + compression + "\"");
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
