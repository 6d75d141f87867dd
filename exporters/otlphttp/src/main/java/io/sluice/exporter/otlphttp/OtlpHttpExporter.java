package io.sluice.exporter.otlphttp;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.Message;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.sluice.core.Batch;
import io.sluice.core.ComponentContext;
import io.sluice.core.PermanentException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.auth.HttpClientAuth;
import io.sluice.core.exporterhelper.HttpClientSettings;
import io.sluice.core.exporterhelper.RetryAfter;
import io.sluice.core.exporterhelper.RequestSender;
import io.sluice.core.otlp.OtlpJson;

import io.sluice.core.util.RateLimitedLog;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.internal.ContextInternal;
import io.vertx.core.http.HttpClientAgent;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientResponse;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.json.JsonObject;


import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.Deflater;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;
import org.xerial.snappy.Snappy;

/**
 * Sends one batch as one OTLP/HTTP {@code POST} and turns the answer into success, a
 * {@link RetryableException} or a {@link PermanentException}. Queueing, retries and the timeout
 * are the {@link io.sluice.core.exporterhelper.ExporterHelper}'s.
 *
 * <p>Everything here runs on the exporter helper's context: the Vert.x HTTP client is called
 * from it and answers on it.
 */
final class OtlpHttpExporter implements RequestSender {
  private static final Logger LOG = LoggerFactory.getLogger(OtlpHttpExporter.class);
  /** How much longer than the helper's timeout a silent connection may stay open before it is closed. */
  private static final long IDLE_MARGIN_MS = 1000;
  private static final int MAX_QUOTED_BODY = 512;
  /** google.rpc.Status field 2 (message), length-delimited. */
  private static final int STATUS_MESSAGE_TAG = (2 << 3) | 2;

  private final ComponentContext ctx;
  private final String id;
  private final OtlpHttpExporterConfig config;
  private final Vertx vertx;
  private final Map<Signal, String> urls = new EnumMap<>(Signal.class);
  private final String contentType;
  private final String contentEncoding;
  private final RateLimitedLog rejectedLog;
  private final RateLimitedLog warningLog;
  private Context context;
  private HttpClientAgent client;
  /** The {@code auth.authenticator} extension, found at start; null without one. */
  private volatile HttpClientAuth auth;

  OtlpHttpExporter(ComponentContext ctx, OtlpHttpExporterConfig config) {
    this.ctx = ctx;
    this.id = ctx.id().toString();
    this.config = config;
    this.vertx = ctx.vertx();
    for (Signal s : Signal.values()) {
      urls.put(s, config.url(s));
    }
    this.contentType = config.json() ? "application/json" : "application/x-protobuf";
    this.contentEncoding = config.contentEncoding();
    this.rejectedLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
    this.warningLog = new RateLimitedLog(LOG, Level.WARN, 60, TimeUnit.SECONDS);
  }

  /** The exporter helper's context: every call of this class runs there. */
  void bind(Context helperContext) {
    this.context = helperContext;
  }

  /**
   * Builds the HTTP client on a worker: loading PEM files, the native zstd and snappy libraries
   * and the classes of the codecs the first time is blocking work.
   */
  Future<Void> start() {
    try {
      auth = config.auth() == null ? null : config.auth().resolve(ctx, "auth");
    } catch (IllegalStateException e) {
      return Future.failedFuture(new IllegalStateException("Exporter '" + id + "': " + e.getMessage(), e));
    }
    // With the queue, at most num_consumers requests are in flight; without it, every caller's.
    int poolSize = config.sendingQueue().enabled() ? Math.max(1, config.sendingQueue().numConsumers()) : 10;
    return context.executeBlocking(() -> {
      warmUp();
      HttpClientOptions options = HttpClientSettings.options(id, config.timeout(), config.tls());
      return vertx.httpClientBuilder().with(options).with(new PoolOptions().setHttp1MaxSize(poolSize)).build();
    }).map(c -> {
      client = c;
      LOG.info("Exporter '{}' sends OTLP/HTTP ({}, compression {}) to {}", id, config.json() ? "json" : "proto",
          contentEncoding == null ? "none" : contentEncoding, describeUrls());
      return null;
    });
  }

  private String describeUrls() {
    StringBuilder sb = new StringBuilder();
    for (Map.Entry<Signal, String> e : urls.entrySet()) {
      if (!e.getValue().isEmpty()) {
        sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(" '").append(e.getValue()).append('\'');
      }
    }
    return sb.toString();
  }

  /**
   * Loads, off the event loop, what the first request would otherwise load on it: the codec and
   * its native library, the JSON encoder, Vert.x's header and buffer classes and, for https, the
   * JDK's TLS classes.
   */
  private void warmUp() throws Exception {
    byte[] probe = request(Signal.TRACES, List.of()).toByteArray();
    if (config.json()) {
      OtlpJson.encode(ExportTraceServiceRequest.getDefaultInstance());
    }
    Buffer.buffer(compress(contentEncoding, probe));
    new RequestOptions().setAbsoluteURI("http://localhost/").putHeader("Content-Type", contentType);
    if (urls.values().stream().anyMatch(u -> u.regionMatches(true, 0, "https:", 0, 6))) {
      javax.net.ssl.SSLContext tls = javax.net.ssl.SSLContext.getInstance("TLS");
      tls.init(null, null, null);
      tls.createSSLEngine().getSupportedCipherSuites();
    }
  }

  Future<Void> shutdown() {
    HttpClientAgent c = client;
    client = null;
    if (c == null) {
      return Future.succeededFuture();
    }
    // Vert.x may complete the close elsewhere; the helper expects its context back.
    Promise<Void> closed = ((ContextInternal) context).promise();
    c.close().onComplete(closed);
    return closed.future().onComplete(ar -> LOG.info("Exporter '{}' closed its HTTP client", id));
  }

  @Override
  public Future<Void> send(Batch batch) {
    HttpClientAgent c = client;
    if (c == null) {
      return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no open HTTP client"));
    }
    Signal signal = batch.signal();
    String url = urls.get(signal);
    if (url.isEmpty()) {
      return Future.failedFuture(new PermanentException("Exporter '" + id + "' has no endpoint for " + signal
          + ": set endpoint or " + signal.configName() + "_endpoint"));
    }
    byte[] body;
    try {
      // Protobuf requests are the resources' encoded bytes: those received, when nothing parsed them.
      byte[] plain = config.json() ? OtlpJson.encode(request(signal, batch.resources()))
          : batch.encoded().toRequestBytes();
      body = compress(contentEncoding, plain);
    } catch (RuntimeException e) {
      return Future.failedFuture(new PermanentException("Exporter '" + id + "' could not encode " + signal + ": "
          + e.getMessage(), e));
    }
    RequestOptions options = new RequestOptions()
        .setMethod(HttpMethod.POST)
        .setAbsoluteURI(url);
    for (Map.Entry<String, String> h : config.headers().entrySet()) {
      options.putHeader(h.getKey(), h.getValue());
    }
    HttpClientAuth a = auth;
    if (a != null) {
      try {
        a.headers().forEach(options::putHeader);
      } catch (RuntimeException e) {
        return Future.failedFuture(new RetryableException("Exporter '" + id + "' has no credentials from '"
            + config.auth().authenticator() + "': " + e.getMessage(), e));
      }
    }
    options.putHeader("Content-Type", contentType);
    if (contentEncoding != null) {
      options.putHeader("Content-Encoding", contentEncoding);
    }
    options.putHeader("User-Agent", "Sluice");
    Duration t = config.timeout();
    if (t != null && !t.isZero()) {
      // The helper bounds the request; this only closes a connection it gave up on.
      options.setIdleTimeout(t.toMillis() + IDLE_MARGIN_MS);
    }
    return c.request(options)
        .compose(req -> req.send(Buffer.buffer(body)))
        .compose(resp -> resp.body().compose(b -> answer(signal, url, resp, b)))
        .recover(err -> Future.failedFuture(connectionFailure(signal, url, err)));
  }

  private Message request(Signal signal, List<?> resources) {
    return switch (signal) {
      case TRACES -> ExportTraceServiceRequest.newBuilder()
          .addAllResourceSpans(castList(resources)).build();
      case METRICS -> ExportMetricsServiceRequest.newBuilder()
          .addAllResourceMetrics(castList(resources)).build();
      case LOGS -> ExportLogsServiceRequest.newBuilder()
          .addAllResourceLogs(castList(resources)).build();
    };
  }

  @SuppressWarnings("unchecked")
  private static <T> List<T> castList(List<?> list) {
    return (List<T>) list;
  }

  /** What a failure before an HTTP answer means; an answer already mapped passes through. */
  private Throwable connectionFailure(Signal signal, String url, Throwable err) {
    if (err instanceof RetryableException || err instanceof PermanentException) {
      return err;
    }
    return new RetryableException("Exporter '" + id + "' could not send " + signal + " to '" + url + "': "
        + err.getClass().getSimpleName() + (err.getMessage() == null ? "" : ": " + err.getMessage()), err);
  }

  private Future<Void> answer(Signal signal, String url, HttpClientResponse resp, Buffer body) {
    int status = resp.statusCode();
    String type = resp.getHeader("Content-Type");
    if (status >= 200 && status < 300) {
      readPartialSuccess(signal, url, type, body);
      return Future.succeededFuture();
    }
    String message = "Exporter '" + id + "' could not send " + signal + " to '" + url + "': HTTP " + status
        + (resp.statusMessage() == null || resp.statusMessage().isEmpty() ? "" : " " + resp.statusMessage())
        + describeBody(type, body);
    return Future.failedFuture(failure(status, message, resp.getHeader("Retry-After"), Instant.now()));
  }

  /**
   * The exception for a non-2xx answer: OTLP retries only 429, 502, 503 and 504, honouring
   * {@code Retry-After}; every other status is permanent.
   */
  static RuntimeException failure(int status, String message, String retryAfterHeader, Instant now) {
    return switch (status) {
      case 429, 502, 503, 504 -> new RetryableException(message, parseRetryAfter(retryAfterHeader, now), null);
      default -> new PermanentException(message);
    };
  }

  /** {@code Retry-After} as delta-seconds or an HTTP-date; null when absent or unreadable. */
  static Duration parseRetryAfter(String value, Instant now) {
    return RetryAfter.parse(value, now);
  }


  /** The google.rpc.Status message of an error body, or a short quote of a text body; "" when none. */
  static String describeBody(String contentType, Buffer body) {
    if (body == null || body.length() == 0) {
      return "";
    }
    String type = contentType == null ? "" : contentType.toLowerCase(Locale.ROOT);
    String text = null;
    if (type.startsWith("application/x-protobuf") || type.startsWith("application/protobuf")) {
      text = statusMessage(body.getBytes());
    } else if (type.startsWith("application/json")) {
      try {
        text = new JsonObject(body).getString("message");
      } catch (RuntimeException e) {
        text = quote(body);
      }
    } else if (type.startsWith("text/")) {
      text = quote(body);
    }
    return text == null || text.isBlank() ? "" : ": " + text.strip();
  }

  private static String quote(Buffer body) {
    String s = body.toString(StandardCharsets.UTF_8);
    return s.length() > MAX_QUOTED_BODY ? s.substring(0, MAX_QUOTED_BODY) + "…" : s;
  }

  /** Field 2 ({@code message}) of a protobuf {@code google.rpc.Status}; null when there is none. */
  static String statusMessage(byte[] body) {
    try {
      CodedInputStream in = CodedInputStream.newInstance(body);
      String message = null;
      for (int tag = in.readTag(); tag != 0; tag = in.readTag()) {
        if (tag == STATUS_MESSAGE_TAG) {
          message = in.readString();
        } else if (!in.skipField(tag)) {
          break;
        }
      }
      return message;
    } catch (IOException e) {
      return null;
    }
  }

  private void readPartialSuccess(Signal signal, String url, String contentType, Buffer body) {
    if (body == null || body.length() == 0 || contentType == null) {
      return;
    }
    String type = contentType.toLowerCase(Locale.ROOT);
    boolean json = type.startsWith("application/json");
    if (!json && !type.startsWith("application/x-protobuf")) {
      return;
    }
    byte[] bytes = body.getBytes();
    try {
      switch (signal) {
        case TRACES -> {
          ExportTraceServiceResponse r = json ? OtlpJson.decode(bytes, ExportTraceServiceResponse.newBuilder())
              : ExportTraceServiceResponse.parseFrom(bytes);
          if (r.hasPartialSuccess()) {
            reportPartial(signal, url, r.getPartialSuccess().getRejectedSpans(),
                r.getPartialSuccess().getErrorMessage());
          }
        }
        case METRICS -> {
          ExportMetricsServiceResponse r = json ? OtlpJson.decode(bytes, ExportMetricsServiceResponse.newBuilder())
              : ExportMetricsServiceResponse.parseFrom(bytes);
          if (r.hasPartialSuccess()) {
            reportPartial(signal, url, r.getPartialSuccess().getRejectedDataPoints(),
                r.getPartialSuccess().getErrorMessage());
          }
        }
        case LOGS -> {
          ExportLogsServiceResponse r = json ? OtlpJson.decode(bytes, ExportLogsServiceResponse.newBuilder())
              : ExportLogsServiceResponse.parseFrom(bytes);
          if (r.hasPartialSuccess()) {
            reportPartial(signal, url, r.getPartialSuccess().getRejectedLogRecords(),
                r.getPartialSuccess().getErrorMessage());
          }
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("Exporter '{}' could not read the answer from '{}' as an OTLP response", id, url, e);
    }
  }

  private void reportPartial(Signal signal, String url, long rejected, String message) {
    if (rejected > 0) {
      rejectedLog.log("Exporter '{}': '{}' accepted the request only in part and rejected {} {}: {}", id, url,
          rejected, signal.itemName(), message.isEmpty() ? "(no reason given)" : message);
    } else if (!message.isEmpty()) {
      warningLog.log("Exporter '{}': '{}' accepted the {} with a warning: {}", id, url, signal, message);
    }
  }

  /** {@code body} compressed as the {@code Content-Encoding} says; unchanged when it is null. */
  static byte[] compress(String encoding, byte[] body) {
    if (encoding == null) {
      return body;
    }
    try {
      return switch (encoding) {
        case "gzip" -> deflate(body, true);
        case "deflate" -> deflate(body, false);
        case "zstd" -> Zstd.compress(body);
        case "snappy" -> Snappy.compress(body);
        default -> throw new IllegalArgumentException("unknown compression \"" + encoding + "\"");
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] deflate(byte[] body, boolean gzip) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, body.length / 4));
    // zlib's fastest level: a gateway compresses everything it forwards, and level 6 costs
    // several times the CPU for a few percent less on the wire.
    if (gzip) {
      try (OutputStream z = new GZIPOutputStream(out, 8192) {
        {
          def.setLevel(Deflater.BEST_SPEED);
        }
      }) {
        z.write(body);
      }
    } else {
      Deflater deflater = new Deflater(Deflater.BEST_SPEED);
      try (OutputStream z = new DeflaterOutputStream(out, deflater, 8192)) {
        z.write(body);
      } finally {
        deflater.end();
      }
    }
    return out.toByteArray();
  }
}
