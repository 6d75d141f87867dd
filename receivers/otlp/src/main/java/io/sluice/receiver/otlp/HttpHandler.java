package io.sluice.receiver.otlp;

import io.sluice.core.Batch;
import io.sluice.core.Envelope;
import io.sluice.core.Rejections;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics.ReceiverMetrics;
import io.sluice.core.util.HostPort;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Http;
import io.vertx.core.Context;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OTLP/HTTP: {@code POST} of an Export request in binary protobuf or OTLP/JSON to one path per
 * signal, answered in the request's content type. Bodies are read, and then decompressed, up to
 * {@code max_request_body_size}; errors carry a {@code google.rpc.Status}.
 */
final class HttpHandler {
  private static final Logger log = LoggerFactory.getLogger(HttpHandler.class);

  /** The two OTLP/HTTP payload encodings. */
  enum Format {
    PROTOBUF("application/x-protobuf"),
    JSON("application/json");

    final String contentType;

    Format(String contentType) {
      this.contentType = contentType;
    }

    /** The format of a Content-Type header (parameters such as charset ignored), or null. */
    static Format of(String contentType) {
      if (contentType == null) {
        return null;
      }
      int semi = contentType.indexOf(';');
      String media = (semi < 0 ? contentType : contentType.substring(0, semi)).trim().toLowerCase(Locale.ROOT);
      return switch (media) {
        case "application/x-protobuf" -> PROTOBUF;
        case "application/json" -> JSON;
        default -> null;
      };
    }
  }

  /** The most a request's body buffer starts with, whatever its Content-Length says. */
  private static final long INITIAL_BODY_BUFFER = 256 * 1024;

  /** After answering 413, how much more of the body is read and dropped before the connection is closed. */
  private static final long DISCARD_ALLOWANCE = 16L * 1024 * 1024;

  private final OtlpReceiver receiver;
  private final Http config;
  private final ReceiverMetrics metrics;
  private final Map<String, Signal> routes = new HashMap<>();
  private final CorsPolicy cors;
  private final String pathList;

  HttpHandler(OtlpReceiver receiver, Http config, ReceiverMetrics metrics) {
    this.receiver = receiver;
    this.config = config;
    this.metrics = metrics;
    routes.put(config.tracesUrlPath(), Signal.TRACES);
    routes.put(config.metricsUrlPath(), Signal.METRICS);
    routes.put(config.logsUrlPath(), Signal.LOGS);
    this.cors = CorsPolicy.of(config.cors());
    this.pathList = config.tracesUrlPath() + ", " + config.metricsUrlPath() + " and " + config.logsUrlPath();
  }

  HttpServerOptions serverOptions(HostPort at) {
    return new HttpServerOptions()
        .setHost(at.host())
        .setPort(at.port())
        .setMaxChunkSize(64 * 1024)
        .setDecompressionSupported(false)
        .setCompressionSupported(false)
        .setHandle100ContinueAutomatically(false);
  }

  void handle(HttpServerRequest req) {
    long arrivedAt = System.nanoTime();
    HttpServerResponse resp = req.response();
    Format format = Format.of(req.getHeader(HttpHeaders.CONTENT_TYPE));
    Signal signal = routes.get(req.path());
    if (signal == null) {
      reject(req, format, 404, Refusal.NOT_FOUND, "there is no OTLP endpoint at \"" + req.path() + "\"; this"
          + " receiver takes POST to " + pathList);
      return;
    }
    String origin = req.getHeader("Origin");
    if (cors != null && origin != null) {
      if (CorsPolicy.isPreflight(req)) {
        cors.preflight(req);
        return;
      }
      cors.decorate(resp, origin);
    }
    if (req.method() != HttpMethod.POST) {
      resp.putHeader("Allow", "POST");
      reject(req, format, 405, Refusal.UNIMPLEMENTED, "method " + req.method() + " is not allowed; OTLP/HTTP"
          + " takes POST");
      return;
    }
    if (format == null) {
      reject(req, null, 415, Refusal.INVALID_ARGUMENT, "Content-Type \"" + req.getHeader(HttpHeaders.CONTENT_TYPE)
          + "\" is not supported; send application/x-protobuf or application/json");
      return;
    }
    if (!receiver.accepting()) {
      reject(req, format, 503, Refusal.UNAVAILABLE, "receiver '" + receiver.id() + "' is shutting down; retry later");
      return;
    }
    receiver.authenticate(false, req.headers(), req, Vertx.currentContext(),
        who -> admit(req, signal, format, arrivedAt, who),
        why -> reject(req, format, 401, Refusal.UNAUTHENTICATED, why));
  }

  private void admit(HttpServerRequest req, Signal signal, Format format, long arrivedAt, Map<String, String> who) {
    if (receiver.consumer(signal) == null) {
      reject(req, format, 404, Refusal.UNIMPLEMENTED, "receiver '" + receiver.id() + "' is in no " + signal
          + " pipeline, so it does not take " + signal.itemName());
      return;
    }
    String encoding = req.getHeader(HttpHeaders.CONTENT_ENCODING);
    Decompression codec = Decompression.forHttp(encoding);
    if (codec == null) {
      reject(req, format, 400, Refusal.INVALID_ARGUMENT, "Content-Encoding \"" + encoding + "\" is not supported;"
          + " use one of " + Decompression.HTTP_SUPPORTED + ", or none");
      return;
    }
    new Exchange(req, signal, format, codec, arrivedAt, who).read();
  }

  /** Answers without reading the body; what is left of it is discarded by the server. */
  private void reject(HttpServerRequest req, Format format, int status, int code, String message) {
    HttpServerResponse resp = req.response();
    if (log.isDebugEnabled()) {
      log.debug("Receiver '{}': HTTP {} {} answered {}: {}", receiver.id(), req.method(), req.path(), status, message);
    }
    if (format == null) {
      resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, "text/plain; charset=utf-8")
          .end(status + " " + message);
    } else {
      byte[] body = format == Format.JSON ? RpcStatus.json(code, message, null) : RpcStatus.proto(code, message, null);
      resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, format.contentType).end(Buffer.buffer(body));
    }
  }

  private static int statusCodeFor(int httpStatus) {
    return switch (httpStatus) {
      case 400 -> Refusal.INVALID_ARGUMENT;
      case 404 -> Refusal.NOT_FOUND;
      case 413, 429 -> Refusal.RESOURCE_EXHAUSTED;
      case 401 -> Refusal.UNAUTHENTICATED;
      case 503 -> Refusal.UNAVAILABLE;
      default -> Refusal.INTERNAL;
    };
  }

  /** One request being read, decoded, handed on and answered exactly once. */
  private final class Exchange {
    private final HttpServerRequest req;
    private final Signal signal;
    private final Format format;
    private final Decompression codec;
    private final long arrivedAt;
    private final long limit;
    private final Context context;
    private final RequestState state = new RequestState(receiver);
    /** What the authenticator knows of the client; empty without one. */
    private final Map<String, String> client;
    /**
     * The body, copied straight from the frames: sized by {@code Content-Length} when the client
     * gives one, so that it is copied once; grown by doubling when it does not.
     */
    private byte[] body;
    private int fill;
    /** Bytes of the body taken from the receiver's budget of bytes in flight so far. */
    private long reservedBody;
    /** The Content-Length, or -1. */
    private long declared = -1;
    private boolean overflow;
    private long discarded;

    Exchange(HttpServerRequest req, Signal signal, Format format, Decompression codec, long arrivedAt,
        Map<String, String> client) {
      this.client = client;
      this.req = req;
      this.signal = signal;
      this.format = format;
      this.codec = codec;
      this.arrivedAt = arrivedAt;
      this.limit = config.maxRequestBodySize();
      this.context = Vertx.currentContext();
    }

    void read() {
      state.begin();
      long declared = contentLength();
      req.handler(this::chunk);
      req.endHandler(v -> process());
      req.exceptionHandler(err -> abandon(err.toString()));
      if (declared > limit) {
        tooLarge("the request body is " + declared + " bytes");
        return;
      }
      if (declared > 0 && !reserve(declared)) {
        return;
      }
      // At most INITIAL_BODY_BUFFER before the bytes arrive: what a client declares but does not
      // send is never allocated. A body that outgrows it moves once to an array of the declared
      // size, so an honest body still ends in an array of its own length.
      this.declared = declared;
      body = new byte[(int) Math.min(declared < 0 ? 16 * 1024 : declared, Math.min(limit, INITIAL_BODY_BUFFER))];
      if (req.version() != HttpVersion.HTTP_2 && "100-continue".equalsIgnoreCase(req.getHeader(HttpHeaders.EXPECT))) {
        req.response().writeContinue();
      }
    }

    private long contentLength() {
      String cl = req.getHeader(HttpHeaders.CONTENT_LENGTH);
      if (cl == null) {
        return -1;
      }
      try {
        return Long.parseLong(cl.trim());
      } catch (NumberFormatException e) {
        return -1;
      }
    }

    private void chunk(Buffer chunk) {
      if (overflow || state.done()) {
        // keep the connection usable by reading what the client still sends, but only so much
        discarded += chunk.length();
        if (discarded > limit + DISCARD_ALLOWANCE) {
          req.connection().close();
        }
        return;
      }
      int n = chunk.length();
      if ((long) fill + n > limit) {
        tooLarge("the request body is over " + limit + " bytes");
        return;
      }
      if (fill + n > reservedBody && !reserve(fill + n - reservedBody)) {
        return;
      }
      if (fill + n > body.length) {
        long grown = declared >= fill + n ? declared : Math.max(fill + n, 2L * body.length);
        body = Arrays.copyOf(body, (int) Math.min(limit, grown));
      }
      chunk.getBytes(0, n, body, fill);
      fill += n;
    }

    /** Takes {@code bytes} more of the receiver's budget, or refuses the request with 429. */
    private boolean reserve(long bytes) {
      if (state.reserve(bytes)) {
        reservedBody += bytes;
        return true;
      }
      overflow = true;
      body = null;
      metrics.refusedUnread(signal);
      send(429, Refusal.RESOURCE_EXHAUSTED, receiver.inFlightRefusal(), OtlpReceiver.IN_FLIGHT_RETRY_AFTER);
      return false;
    }

    private void tooLarge(String what) {
      overflow = true;
      body = null;
      send(413, Refusal.RESOURCE_EXHAUSTED, what + ", over the limit of " + limit
          + " bytes (max_request_body_size)", null);
    }

    private void process() {
      if (state.done() || overflow) {
        return;
      }
      state.handedOn();
      Map<String, String> metadata = OtlpCodec.metadata(config.includeMetadata(), req.headers(), client);
      Envelope envelope = new Envelope(receiver.id(), arrivedAt, "", metadata, Rejections.counting());
      byte[] wire = body;
      int length = fill;
      body = null;
      OtlpReceiver.onContext(context, receiver.decode(length, codec != Decompression.IDENTITY, () -> {
        Decompression.Bytes raw = codec.decompress(wire, length, limit);
        return format == Format.JSON
            ? OtlpCodec.fromJson(signal, raw.array(), raw.length(), envelope)
            : OtlpCodec.fromProto(signal, raw.array(), raw.length(), envelope);
      }), decoded -> {
        if (decoded.succeeded()) {
          handOn(decoded.result());
        } else if (decoded.cause() instanceof Decompression.TooLargeException) {
          send(413, Refusal.RESOURCE_EXHAUSTED, "the decompressed request body is over the limit of " + limit
              + " bytes (max_request_body_size)", null);
        } else {
          Throwable err = decoded.cause();
          String what = err instanceof PermanentException || err instanceof java.io.IOException
              ? err.getMessage() : err.toString();
          send(400, Refusal.INVALID_ARGUMENT, "cannot decode the " + OtlpCodec.requestName(signal) + " ("
              + (format == Format.JSON ? "OTLP/JSON" : "protobuf") + "): " + what, null);
        }
      });
    }

    private void handOn(Batch batch) {
      Rejections rejections = batch.envelope().rejections();
      OtlpReceiver.onContext(context, receiver.deliver(batch, metrics), outcome -> {
        if (outcome.succeeded()) {
          sendOk(rejections);
        } else {
          Refusal r = Refusal.of(outcome.cause());
          if (r.unexpected()) {
            receiver.unexpectedFailure(outcome.cause());
          }
          send(r.httpStatus(), statusCodeFor(r.httpStatus()), r.message(), r.retryAfter());
        }
      });
    }

    private void sendOk(Rejections rejections) {
      byte[] ok = format == Format.JSON ? OtlpCodec.okJson(signal, rejections) : OtlpCodec.okProto(signal, rejections);
      write(200, ok, null);
    }

    private void send(int status, int code, String message, Duration retryAfter) {
      if (state.done()) {
        return;
      }
      if (log.isDebugEnabled()) {
        log.debug("Receiver '{}': HTTP POST {} answered {}: {}", receiver.id(), req.path(), status, message);
      }
      byte[] payload = format == Format.JSON
          ? RpcStatus.json(code, message, retryAfter)
          : RpcStatus.proto(code, message, retryAfter);
      write(status, payload, Refusal.retryAfterSeconds(retryAfter));
    }

    private void write(int status, byte[] payload, String retryAfterHeader) {
      if (!state.answer()) {
        return;
      }
      try {
        HttpServerResponse resp = req.response();
        if (resp.ended() || resp.closed()) {
          return;
        }
        resp.setStatusCode(status).putHeader(HttpHeaders.CONTENT_TYPE, format.contentType);
        if (retryAfterHeader != null) {
          resp.putHeader(HttpHeaders.RETRY_AFTER, retryAfterHeader);
        }
        resp.end(Buffer.buffer(payload));
      } catch (RuntimeException e) {
        log.debug("Receiver '{}': could not answer HTTP POST {}: {}", receiver.id(), req.path(), e.toString());
      }
    }

    /** The connection broke; see {@link RequestState#abandon()}. */
    private void abandon(String why) {
      if (state.abandon()) {
        log.debug("Receiver '{}': HTTP POST {} abandoned by the client: {}", receiver.id(), req.path(), why);
      }
    }
  }
}
