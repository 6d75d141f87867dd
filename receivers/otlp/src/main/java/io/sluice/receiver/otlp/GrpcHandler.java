package io.sluice.receiver.otlp;

import io.sluice.core.Batch;
import io.sluice.core.Envelope;
import io.sluice.core.Rejections;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics.ReceiverMetrics;
import io.sluice.core.util.HostPort;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Grpc;
import io.vertx.core.Context;
import io.vertx.core.Handler;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.Http2Settings;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.http.HttpVersion;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OTLP/gRPC on Vert.x's HTTP/2 server: the three unary {@code Export} methods. The gRPC framing
 * (a 5-byte prefix, then the message) is read here rather than by a generic gRPC server, so that
 * each message is copied once, from the frames into an array of its exact length, and so that
 * decompression is ours and bounded by {@code max_recv_msg_size_mib}.
 */
final class GrpcHandler {
  private static final Logger log = LoggerFactory.getLogger(GrpcHandler.class);

  static final String TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService";
  static final String METRICS_SERVICE = "opentelemetry.proto.collector.metrics.v1.MetricsService";
  static final String LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService";
  static final String STATUS_DETAILS_KEY = "grpc-status-details-bin";

  private static final Base64.Encoder BASE64 = Base64.getEncoder().withoutPadding();
  private static final String EXPORT = "/Export";
  private static final String GRPC_STATUS = "grpc-status";
  private static final String GRPC_MESSAGE = "grpc-message";
  private static final int PREFIX_BYTES = 5;

  private final OtlpReceiver receiver;
  private final Grpc config;
  private final long maxBytes;
  private final ReceiverMetrics metrics;

  GrpcHandler(OtlpReceiver receiver, Grpc config, ReceiverMetrics metrics) {
    this.receiver = receiver;
    this.config = config;
    this.maxBytes = config.maxRecvMsgSizeMib() * 1024L * 1024L;
    this.metrics = metrics;
  }

  static String serviceOf(Signal signal) {
    return switch (signal) {
      case TRACES -> TRACE_SERVICE;
      case METRICS -> METRICS_SERVICE;
      case LOGS -> LOGS_SERVICE;
    };
  }

  /** Options of one listener; {@code at} is null on a Unix socket. */
  HttpServerOptions serverOptions(HostPort at) {
    long streams = config.maxConcurrentStreams() == 0 ? 0xFFFFFFFFL : config.maxConcurrentStreams();
    HttpServerOptions options = new HttpServerOptions()
        .setHttp2ClearTextEnabled(true)
        .setInitialSettings(new Http2Settings()
            .setMaxConcurrentStreams(streams)
            .setInitialWindowSize(1024 * 1024))
        .setHttp2ConnectionWindowSize(4 * 1024 * 1024);
    if (at != null) {
      options.setHost(at.host()).setPort(at.port());
    }
    if (config.readBufferSize() > 0) {
      options.setReceiveBufferSize(config.readBufferSize());
    }
    if (config.writeBufferSize() > 0) {
      options.setSendBufferSize(config.writeBufferSize());
    }
    OtlpReceiverConfig.Keepalive k = config.keepalive();
    if (k != null && k.serverParameters() != null && !k.serverParameters().maxConnectionIdle().isZero()) {
      options.setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
          .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, k.serverParameters().maxConnectionIdle().toMillis()));
    }
    return options;
  }

  /** What keepalive does to each new connection, or null when nothing. */
  Handler<HttpConnection> connectionHandler() {
    return GrpcKeepalive.of(receiver.vertx(), receiver.id(), config.keepalive());
  }

  /** The handler of one event loop's HTTP server: gRPC's framing is read here, by Sluice. */
  Handler<HttpServerRequest> newRequestHandler() {
    return this::handle;
  }

  /** The signal whose {@code Export} method {@code path} names, or null. */
  static Signal signalOfPath(String path) {
    for (Signal signal : Signal.values()) {
      String service = serviceOf(signal);
      if (path != null && path.length() == service.length() + EXPORT.length() + 1 && path.charAt(0) == '/'
          && path.startsWith(service, 1) && path.endsWith(EXPORT)) {
        return signal;
      }
    }
    return null;
  }

  private void handle(HttpServerRequest req) {
    if (req.version() != HttpVersion.HTTP_2) {
      req.response().setStatusCode(505).end("OTLP/gRPC needs HTTP/2; OTLP over HTTP/1.1 is the OTLP/HTTP receiver's");
      return;
    }
    String type = req.getHeader(HttpHeaders.CONTENT_TYPE);
    if (type == null || !type.startsWith("application/grpc")) {
      req.response().setStatusCode(415).end("an OTLP/gRPC request has content-type application/grpc, not "
          + (type == null ? "none" : type));
      return;
    }
    Call call = new Call(req, System.nanoTime(), Vertx.currentContext());
    if (req.method() != HttpMethod.POST) {
      call.reply(Refusal.UNIMPLEMENTED, "gRPC calls are POST requests, not " + req.method(), null);
      return;
    }
    if (!type.equals("application/grpc") && !type.startsWith("application/grpc+proto")
        && !type.startsWith("application/grpc;")) {
      call.reply(Refusal.UNIMPLEMENTED, "only protobuf messages (application/grpc) are accepted, not " + type, null);
      return;
    }
    Signal signal = signalOfPath(req.path());
    if (signal == null) {
      call.reply(Refusal.UNIMPLEMENTED, "unknown method " + req.path() + "; this receiver serves "
          + TRACE_SERVICE + "/Export, " + METRICS_SERVICE + "/Export and " + LOGS_SERVICE + "/Export", null);
      return;
    }
    call.signal = signal;
    if (!receiver.accepting()) {
      call.reply(Refusal.UNAVAILABLE, "receiver '" + receiver.id() + "' is shutting down; retry later", null);
      return;
    }
    call.start();
    receiver.authenticate(true, req.headers(), req, call.context, who -> call.admit(who),
        why -> call.reply(Refusal.UNAUTHENTICATED, why, null));
  }

  /**
   * One Export call, answered exactly once. The request's one message is copied from the
   * HTTP/2 frames straight into an array of its own length, which the 5-byte gRPC prefix gives.
   */
  private final class Call {
    private final HttpServerRequest req;
    private final long arrivedAt;
    private final Context context;
    private final RequestState state = new RequestState(receiver);
    private Signal signal;
    /** The message prefix: compressed flag and 4-byte big-endian length. */
    private final byte[] prefix = new byte[PREFIX_BYTES];
    private int prefixFill;
    private byte[] message;
    private int messageFill;
    private boolean ended;
    private boolean admitted;
    /** What the authenticator knows of the client; empty without one. */
    private Map<String, String> client = Map.of();

    Call(HttpServerRequest req, long arrivedAt, Context context) {
      this.req = req;
      this.arrivedAt = arrivedAt;
      this.context = context;
    }

    void start() {
      state.begin();
      req.handler(this::data);
      req.exceptionHandler(err -> abandon("the client ended the call: " + err));
      req.endHandler(v -> {
        ended = true;
        process();
      });
    }

    void admit(Map<String, String> who) {
      if (state.done()) {
        return;
      }
      client = who;
      if (receiver.consumer(signal) == null) {
        reply(Refusal.UNIMPLEMENTED, "receiver '" + receiver.id() + "' is in no " + signal
            + " pipeline, so it does not take " + signal.itemName(), null);
        return;
      }
      admitted = true;
      process();
    }

    private void data(Buffer chunk) {
      if (state.done()) {
        return;
      }
      int at = 0;
      int length = chunk.length();
      while (at < length) {
        if (prefixFill < PREFIX_BYTES) {
          if (message != null) {
            reply(Refusal.INVALID_ARGUMENT, "Export is a unary call but the request carried more than one message",
                null);
            return;
          }
          int n = Math.min(PREFIX_BYTES - prefixFill, length - at);
          chunk.getBytes(at, at + n, prefix, prefixFill);
          prefixFill += n;
          at += n;
          if (prefixFill == PREFIX_BYTES && !startMessage()) {
            return;
          }
        } else {
          int n = Math.min(message.length - messageFill, length - at);
          chunk.getBytes(at, at + n, message, messageFill);
          messageFill += n;
          at += n;
          if (messageFill == message.length) {
            prefixFill = 0; // a further message would start here
          }
        }
      }
    }

    /** Reads the prefix just completed; false when the call was refused. */
    private boolean startMessage() {
      int flag = prefix[0];
      long size = ((prefix[1] & 0xFFL) << 24) | ((prefix[2] & 0xFF) << 16) | ((prefix[3] & 0xFF) << 8)
          | (prefix[4] & 0xFF);
      if (flag != 0 && flag != 1) {
        reply(Refusal.INVALID_ARGUMENT, "invalid request message: the compressed flag is " + flag
            + ", where gRPC allows 0 or 1", null);
        return false;
      }
      if (size > maxBytes) {
        reply(Refusal.RESOURCE_EXHAUSTED, "the request message is " + size + " bytes, over the limit of "
            + maxBytes + " bytes (max_recv_msg_size_mib: " + config.maxRecvMsgSizeMib() + ")", null);
        return false;
      }
      if (!state.reserve(size)) {
        metrics.refusedUnread(signal);
        reply(Refusal.RESOURCE_EXHAUSTED, receiver.inFlightRefusal(), OtlpReceiver.IN_FLIGHT_RETRY_AFTER);
        return false;
      }
      message = new byte[(int) size];
      messageFill = 0;
      if (size == 0) {
        prefixFill = 0;
      }
      return true;
    }

    private void process() {
      if (state.done() || !ended || !admitted) {
        return;
      }
      state.handedOn();
      if (message == null) {
        reply(Refusal.INVALID_ARGUMENT, prefixFill == 0 ? "the call carried no request message"
            : "the call ended inside a message's 5-byte prefix", null);
        return;
      }
      if (messageFill < message.length) {
        reply(Refusal.INVALID_ARGUMENT, "the call ended after " + messageFill + " of the request message's "
            + message.length + " bytes", null);
        return;
      }
      String encoding = prefix[0] == 0 ? null : req.getHeader("grpc-encoding");
      if (prefix[0] != 0 && (encoding == null || encoding.equals("identity"))) {
        reply(Refusal.INTERNAL, "the request message is marked compressed but the call names no grpc-encoding",
            null);
        return;
      }
      Decompression codec = Decompression.forGrpc(encoding);
      if (codec == null) {
        reply(Refusal.UNIMPLEMENTED, "grpc-encoding \"" + encoding + "\" is not supported; use one of "
            + Decompression.GRPC_SUPPORTED, null);
        return;
      }
      Map<String, String> metadata = OtlpCodec.metadata(config.includeMetadata(), req.headers(), client);
      Envelope envelope = new Envelope(receiver.id(), arrivedAt, "", metadata, Rejections.counting());
      byte[] wire = message;
      message = null;
      OtlpReceiver.onContext(context, receiver.decode(wire.length, codec != Decompression.IDENTITY, () -> {
        Decompression.Bytes raw = codec.decompress(wire, wire.length, maxBytes);
        return OtlpCodec.fromProto(signal, raw.array(), raw.length(), envelope);
      }), decoded -> {
        if (decoded.failed()) {
          refuseUndecodable(decoded.cause());
        } else {
          handOn(decoded.result());
        }
      });
    }

    private void refuseUndecodable(Throwable err) {
      if (err instanceof Decompression.TooLargeException) {
        reply(Refusal.RESOURCE_EXHAUSTED, "the decompressed request message is over the limit of " + maxBytes
            + " bytes (max_recv_msg_size_mib: " + config.maxRecvMsgSizeMib() + ")", null);
      } else {
        reply(Refusal.INVALID_ARGUMENT, "cannot decode the " + OtlpCodec.requestName(signal) + ": "
            + err.getMessage(), null);
      }
    }

    private void handOn(Batch batch) {
      Rejections rejections = batch.envelope().rejections();
      OtlpReceiver.onContext(context, receiver.deliver(batch, metrics), outcome -> {
        if (outcome.succeeded()) {
          replyOk(rejections);
        } else {
          Refusal r = Refusal.of(outcome.cause());
          if (r.unexpected()) {
            receiver.unexpectedFailure(outcome.cause());
          }
          reply(r.grpcCode(), r.message(), r.retryAfter());
        }
      });
    }

    private void replyOk(Rejections rejections) {
      if (!state.answer()) {
        return;
      }
      try {
        byte[] body = OtlpCodec.okProto(signal, rejections);
        Buffer framed = Buffer.buffer(PREFIX_BYTES + body.length)
            .appendByte((byte) 0).appendInt(body.length).appendBytes(body);
        HttpServerResponse resp = req.response();
        // Written before the end, so that no content-length is set: gRPC's answer ends with its
        // trailers, and a client that counts body bytes may stop reading before them.
        resp.putHeader(HttpHeaders.CONTENT_TYPE, "application/grpc").putTrailer(GRPC_STATUS, "0");
        resp.write(framed);
        resp.end();
      } catch (RuntimeException e) {
        log.debug("Receiver '{}': could not answer a gRPC {} call: {}", receiver.id(), signal, e.toString());
      }
    }

    void reply(int code, String statusMessage, Duration retryAfter) {
      if (!state.answer()) {
        return;
      }
      try {
        HttpServerResponse resp = req.response();
        resp.putHeader(HttpHeaders.CONTENT_TYPE, "application/grpc")
            .putTrailer(GRPC_STATUS, Integer.toString(code))
            .putTrailer(GRPC_MESSAGE, percentEncode(statusMessage));
        if (code == Refusal.UNIMPLEMENTED) {
          resp.putTrailer("grpc-accept-encoding", "identity, " + Decompression.GRPC_SUPPORTED.replace(" ", ""));
        }
        if (retryAfter != null) {
          resp.putTrailer(STATUS_DETAILS_KEY, BASE64.encodeToString(RpcStatus.proto(code, statusMessage, retryAfter)));
        }
        resp.end();
      } catch (RuntimeException e) {
        log.debug("Receiver '{}': could not answer a gRPC {} call: {}", receiver.id(), signal, e.toString());
      }
    }

    /** The client went away; see {@link RequestState#abandon()}. */
    private void abandon(String why) {
      if (state.abandon()) {
        log.debug("Receiver '{}': gRPC {} call abandoned by the client: {}", receiver.id(), signal, why);
      }
    }
  }

  /** A status message as gRPC carries it: UTF-8, with bytes outside printable ASCII and '%' escaped. */
  static String percentEncode(String message) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    StringBuilder out = new StringBuilder(bytes.length);
    for (byte b : bytes) {
      int c = b & 0xFF;
      if (c >= 0x20 && c <= 0x7E && c != '%') {
        out.append((char) c);
      } else {
        out.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
            .append(Character.toUpperCase(Character.forDigit(c & 0xF, 16)));
      }
    }
    return out.toString();
  }
}
