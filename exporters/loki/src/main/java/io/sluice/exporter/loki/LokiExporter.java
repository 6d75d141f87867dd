package io.sluice.exporter.loki;

import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.auth.HttpClientAuth;
import io.sluice.core.exporterhelper.HttpClientSettings;
import io.sluice.core.exporterhelper.RequestSender;
import io.sluice.core.exporterhelper.RetryAfter;
import io.sluice.core.telemetry.SelfMetrics;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code loki} exporter's own part: cuts each logs batch into one request per stream (the
 * exporter helper then keeps one request per stream in flight, in order) and sends a request as
 * one {@code POST} to Loki's push API. Answers: 2xx is success; 429 and 5xx are retried, waiting
 * at least {@code Retry-After}; 400 (too old, out of order, bad labels, too long) is dropped and
 * counted in {@code sluice_exporter_dropped_items_total} with its reason; other statuses are
 * dropped too, with reason {@code http_<status>}.
 *
 * <p>Everything runs on the exporter helper's context.
 */
final class LokiExporter implements RequestSender {
  private static final Logger LOG = LoggerFactory.getLogger(LokiExporter.class);
  private static final int MAX_QUOTED_BODY = 512;
  /** How much longer than the helper's timeout a silent connection may stay open before it is closed. */
  private static final long IDLE_MARGIN_MS = 1000;
  static final String USER_AGENT = "Sluice/" + version();

  private final ComponentContext ctx;
  private final String id;
  private final LokiExporterConfig config;
  private final Vertx vertx;
  private final SelfMetrics.ExporterMetrics metrics;
  private final LokiLabels labels;
  private final Streams streams;
  /** Unix time now, in nanoseconds, for records with no time at all. */
  private final LongSupplier wallNanos;
  private final OverflowCounter overflowCounter;
  private final TreeMap<String, String> overflowLabels = new TreeMap<>(Map.of(LokiLabels.OVERFLOW_LABEL, "true"));
  private final String overflowSelector = LokiLabels.selector(overflowLabels);
  private boolean overflowWarned;
  private Context context;
  private HttpClientAgent client;
  private HttpClientAuth auth;

  LokiExporter(ComponentContext ctx, LokiExporterConfig config) {
    this(ctx, config, System::nanoTime, () -> System.currentTimeMillis() * 1_000_000L);
  }

  /** With clocks of the test's choosing: monotonic for stream idleness, wall for records without a time. */
  LokiExporter(ComponentContext ctx, LokiExporterConfig config, LongSupplier monotonicNanos, LongSupplier wallNanos) {
    this.ctx = ctx;
    this.id = ctx.id().toString();
    this.config = config;
    this.vertx = ctx.vertx();
    this.metrics = ctx.metrics().exporter(ctx.id());
    this.labels = new LokiLabels(config);
    this.streams = new Streams(config.maxStreams(), config.streamIdleTimeout().toNanos(), monotonicNanos);
    this.wallNanos = wallNanos;
    this.overflowCounter = OverflowCounter.register(ctx.metrics(), id);
  }

  void bind(Context context) {
    this.context = context;
  }

  /** Streams active now; call on the context. */
  int activeStreams() {
    return streams.size();
  }

  private static String version() {
    String v = LokiExporter.class.getPackage().getImplementationVersion();
    return v == null || v.isEmpty() ? "dev" : v;
  }

  Future<Void> start() {
    if (config.auth() != null) {
      try {
        auth = config.auth().resolve(ctx, "auth");
      } catch (IllegalStateException e) {
        return Future.failedFuture(new IllegalStateException("Exporter '" + id + "': " + e.getMessage(), e));
      }
    }
    Promise<Void> opened = Promise.promise();
    context.executeBlocking(() -> {
      // Reads the TLS files and loads snappy's native library off the event loop.
      PushEncoder.protobuf("{a=\"b\"}", List.of());
      return vertx.httpClientBuilder()
          .with(HttpClientSettings.options(id, config.timeout(), config.tls()))
          .with(new PoolOptions().setHttp1MaxSize(Math.max(1, config.sendingQueue().numConsumers())))
          .build();
    }).<Void>map(c -> {
      client = c;
      LOG.info("Exporter '{}' pushes logs to '{}' ({}), at most {} active streams", id, config.endpoint(),
          config.json() ? "JSON" : "protobuf with snappy", config.maxStreams());
      return null;
    }).onComplete(opened);
    return opened.future();
  }

  Future<Void> shutdown() {
    HttpClientAgent c = client;
    client = null;
    return c == null ? Future.succeededFuture() : c.close();
  }

  /** The helper's key of a request: its tenant and stream. */
  static Object keyOf(Batch request) {
    return request.resources() instanceof StreamRequest s ? s.key : null;
  }

  /**
   * Cuts a batch into one request per stream, in the order streams first appear; a record that
   * would open a stream past {@code max_streams} goes to its tenant's overflow stream instead.
   * Runs on the context, in arrival order.
   */
  List<Batch> split(Batch batch) {
    if (batch.signal() != Signal.LOGS) {
      throw new PermanentException("Exporter '" + id + "' exports logs only, not " + batch.signal());
    }
    Map<String, StreamRequest.Builder> byKey = new LinkedHashMap<>();
    long now = wallNanos.getAsLong();
    long overflowed = 0;
    for (ResourceLogs rl : batch.resourceLogs()) {
      LokiLabels.ResourceView view = labels.new ResourceView(rl.getResource());
      for (ScopeLogs sl : rl.getScopeLogsList()) {
        String scopeName = sl.getScope().getName();
        for (LogRecord r : sl.getLogRecordsList()) {
          LokiLabels.Entry e = view.entry(scopeName, r, now);
          String selector = e.stream().selector();
          String key = e.tenant().isEmpty() ? selector : e.tenant() + '\n' + selector;
          List<LokiLabels.Pair> md = e.metadata();
          TreeMap<String, String> streamLabels = e.stream().labels();
          if (!byKey.containsKey(key) && !streams.admit(key)) {
            overflowed++;
            md = new ArrayList<>(md);
            for (Map.Entry<String, String> l : streamLabels.entrySet()) {
              md.add(new LokiLabels.Pair(l.getKey(), l.getValue()));
            }
            streamLabels = overflowLabels;
            selector = overflowSelector;
            key = e.tenant().isEmpty() ? selector : e.tenant() + '\n' + selector;
          }
          String k = key;
          String sel = selector;
          TreeMap<String, String> sls = streamLabels;
          byKey.computeIfAbsent(key, x -> new StreamRequest.Builder(e.tenant(), sls, sel, k))
              .add(rl, sl, r, new PushEncoder.Line(e.timeNanos(), e.line(), md));
        }
      }
    }
    if (overflowed > 0) {
      overflowCounter.add(id, overflowed);
      if (!overflowWarned) {
        overflowWarned = true;
        LOG.warn("Exporter '{}' has {} active streams, its max_streams: {} log records went to the overflow stream"
            + " {} with their labels in structured metadata; later ones are counted in {} and not logged", id,
            streams.size(), overflowed, overflowSelector, OverflowCounter.NAME);
      }
    }
    List<Batch> requests = new ArrayList<>(byKey.size());
    for (StreamRequest.Builder b : byKey.values()) {
      requests.add(batch.withResources(b.build()));
    }
    return requests;
  }

  @Override
  public Future<Void> send(Batch request) {
    HttpClientAgent c = client;
    if (c == null) {
      return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no open HTTP client"));
    }
    StreamRequest s = (StreamRequest) request.resources();
    byte[] body;
    try {
      body = s.body(config.json());
    } catch (RuntimeException e) {
      return Future.failedFuture(new PermanentException("Exporter '" + id + "' could not encode the logs: "
          + e.getMessage(), e));
    }
    RequestOptions options = new RequestOptions().setMethod(HttpMethod.POST).setAbsoluteURI(config.endpoint());
    config.headers().forEach(options::putHeader);
    if (auth != null) {
      try {
        auth.headers().forEach(options::putHeader);
      } catch (RuntimeException e) {
        return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no credentials from '"
            + config.auth().authenticator() + "': " + e.getMessage(), e));
      }
    }
    options.putHeader("Content-Type", config.json() ? "application/json" : "application/x-protobuf");
    options.putHeader("User-Agent", USER_AGENT);
    if (!s.tenant.isEmpty()) {
      options.putHeader("X-Scope-OrgID", s.tenant);
    }
    Duration t = config.timeout();
    if (t != null && !t.isZero()) {
      options.setConnectTimeout(t.toMillis());
      options.setIdleTimeout(t.toMillis() + IDLE_MARGIN_MS);
    }
    String url = config.endpoint();
    int entries = s.lines.size();
    return c.request(options)
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().compose(b -> answer(url, resp, b, entries)))
        .recover(err -> Future.failedFuture(connectionFailure(url, err)));
  }

  private Future<Void> answer(String url, HttpClientResponse resp, Buffer body, int entries) {
    int status = resp.statusCode();
    if (status >= 200 && status < 300) {
      return Future.succeededFuture();
    }
    String text = body == null ? "" : body.toString(StandardCharsets.UTF_8).strip();
    String message = "Exporter '" + id + "' could not push logs to '" + url + "': HTTP " + status
        + (text.isEmpty() ? "" : ": " + (text.length() > MAX_QUOTED_BODY ? text.substring(0, MAX_QUOTED_BODY) + "…"
        : text));
    if (status == 429 || status >= 500) {
      return Future.failedFuture(new RetryableException(message,
          RetryAfter.parse(resp.getHeader("Retry-After"), Instant.now()), null));
    }
    String reason = status == 400 ? reason(text) : "http_" + status;
    metrics.dropped(Signal.LOGS, reason, entries);
    return Future.failedFuture(new PermanentException(message + " (dropped, reason " + reason + ")"));
  }

  /** A bounded reason for a 400 answer, from Loki's message. */
  static String reason(String body) {
    String b = body.toLowerCase(Locale.ROOT);
    if (b.contains("too far behind") || b.contains("out of order")) {
      return "out_of_order";
    }
    if (b.contains("too old") || b.contains("greater_than_max_sample_age") || b.contains("older than")) {
      return "too_old";
    }
    if (b.contains("too new") || b.contains("too far in the future") || b.contains("too_far_in_future")) {
      return "too_far_in_future";
    }
    if (b.contains("line too long") || b.contains("line_too_long") || b.contains("max entry size")) {
      return "line_too_long";
    }
    if (b.contains("structured metadata")) {
      return "structured_metadata_invalid";
    }
    if (b.contains("label")) {
      return "invalid_labels";
    }
    return "bad_request";
  }

  private Throwable connectionFailure(String url, Throwable err) {
    if (err instanceof RetryableException || err instanceof PermanentException) {
      return err;
    }
    return new RetryableException("Exporter '" + id + "' could not push logs to '" + url + "': "
        + err.getClass().getSimpleName() + (err.getMessage() == null ? "" : ": " + err.getMessage()), err);
  }

  /**
   * The streams written lately, at most {@code max} of them: a stream not written for the idle
   * time is forgotten when room is needed.
   */
  static final class Streams {
    private final int max;
    private final long idleNanos;
    private final LongSupplier clock;
    /** Stream key → when it was last written; least recently written first. */
    private final LinkedHashMap<String, Long> lastWritten = new LinkedHashMap<>(16, 0.75f, true);

    Streams(int max, long idleNanos, LongSupplier clock) {
      this.max = max;
      this.idleNanos = idleNanos;
      this.clock = clock;
    }

    int size() {
      return lastWritten.size();
    }

    /** True (noting the write) when the stream is active or there is room for it. */
    boolean admit(String key) {
      long now = clock.getAsLong();
      if (lastWritten.containsKey(key) || lastWritten.size() < max) {
        lastWritten.put(key, now);
        return true;
      }
      Iterator<Map.Entry<String, Long>> it = lastWritten.entrySet().iterator();
      while (it.hasNext()) {
        if (now - it.next().getValue() < idleNanos) {
          break;
        }
        it.remove();
      }
      if (lastWritten.size() < max) {
        lastWritten.put(key, now);
        return true;
      }
      return false;
    }
  }
}
