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
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.grpc.common.GrpcMessage;
import io.vertx.grpc.common.GrpcMessageDecoder;
import io.vertx.grpc.common.GrpcMessageEncoder;
import io.vertx.grpc.common.GrpcStatus;
import io.vertx.grpc.common.MessageSizeOverflowException;
import io.vertx.grpc.common.ServiceMethod;
import io.vertx.grpc.common.ServiceName;
import io.vertx.grpc.common.WireFormat;
import io.vertx.grpc.server.GrpcProtocol;
import io.vertx.grpc.server.GrpcServer;
import io.vertx.grpc.server.GrpcServerOptions;
import io.vertx.grpc.server.GrpcServerRequest;
import io.vertx.grpc.server.GrpcServerResponse;
import java.time.Duration;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OTLP/gRPC on Vert.x's own gRPC server: the three unary {@code Export} methods, with messages
 * taken raw so that decompression is ours and bounded by {@code max_recv_msg_size_mib}.
 */
final class GrpcHandler {
  private static final Logger log = LoggerFactory.getLogger(GrpcHandler.class);

  static final String TRACE_SERVICE = "opentelemetry.proto.collector.trace.v1.TraceService";
  static final String METRICS_SERVICE = "opentelemetry.proto.collector.metrics.v1.MetricsService";
  static final String LOGS_SERVICE = "opentelemetry.proto.collector.logs.v1.LogsService";
  static final String STATUS_DETAILS_KEY = "grpc-status-details-bin";

  private static final Base64.Encoder BASE64 = Base64.getEncoder().withoutPadding();

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

  /** A gRPC server for one event loop's HTTP server. */
  Handler<HttpServerRequest> newRequestHandler() {
    GrpcServerOptions options = new GrpcServerOptions().setMaxMessageSize(maxBytes);
    for (GrpcProtocol p : GrpcProtocol.values()) {
      if (p != GrpcProtocol.HTTP_2) {
        options.removeEnabledProtocol(p);
      }
    }
    GrpcServer server = GrpcServer.server(receiver.vertx(), options);
    for (Signal signal : Signal.values()) {
      ServiceMethod<Buffer, Buffer> export = ServiceMethod.server(ServiceName.create(serviceOf(signal)), "Export",
          GrpcMessageEncoder.IDENTITY, GrpcMessageDecoder.IDENTITY);
      server.callHandler(export, req -> handle(req, signal));
    }
    return server;
  }

  private void handle(GrpcServerRequest<Buffer, Buffer> req, Signal signal) {
    Call call = new Call(req, signal, System.nanoTime(), Vertx.currentContext());
    if (!receiver.accepting()) {
      call.reply(Refusal.UNAVAILABLE, "receiver '" + receiver.id() + "' is shutting down; retry later", null);
      return;
    }
    receiver.authenticate(true, req.headers(), req, call.context, who -> admit(call, signal, who),
        why -> call.reply(Refusal.UNAUTHENTICATED, why, null));
  }

  private void admit(Call call, Signal signal, Map<String, String> who) {
    call.client = who;
    if (receiver.consumer(signal) == null) {
      call.reply(Refusal.UNIMPLEMENTED, "receiver '" + receiver.id() + "' is in no " + signal
          + " pipeline, so it does not take " + signal.itemName(), null);
      return;
    }
    call.start();
  }

  /** One Export call, answered exactly once. */
  private final class Call {
    private final GrpcServerRequest<Buffer, Buffer> req;
    private final Signal signal;
    private final long arrivedAt;
    private final Context context;
    private final RequestState state = new RequestState(receiver);
    private GrpcMessage message;
    /** What the authenticator knows of the client; empty without one. */
    private Map<String, String> client = Map.of();

    Call(GrpcServerRequest<Buffer, Buffer> req, Signal signal, long arrivedAt, Context context) {
      this.req = req;
      this.signal = signal;
      this.arrivedAt = arrivedAt;
      this.context = context;
    }

    void start() {
      state.begin();
      req.invalidMessageHandler(invalid -> {
        if (invalid instanceof MessageSizeOverflowException over) {
          reply(Refusal.RESOURCE_EXHAUSTED, "the request message is " + over.messageSize()
              + " bytes, over the limit of " + maxBytes + " bytes (max_recv_msg_size_mib: "
              + config.maxRecvMsgSizeMib() + ")", null);
        } else {
          reply(Refusal.INVALID_ARGUMENT, "invalid request message: " + invalid.getMessage(), null);
        }
      });
      req.messageHandler(msg -> {
        if (state.done()) {
          return;
        }
        if (message != null) {
          reply(Refusal.INVALID_ARGUMENT, "Export is a unary call but the request carried more than one message",
              null);
          return;
        }
        message = msg;
      });
      req.exceptionHandler(err -> abandon("the request failed: " + err));
      req.errorHandler(err -> abandon("the client ended the call: " + err));
      req.endHandler(v -> process());
    }

    private void process() {
      if (state.done()) {
        return;
      }
      state.handedOn();
      GrpcMessage msg = message;
      if (msg == null) {
        reply(Refusal.INVALID_ARGUMENT, "the call carried no request message", null);
        return;
      }
      if (msg.format() != WireFormat.PROTOBUF) {
        reply(Refusal.UNIMPLEMENTED, "only protobuf messages (application/grpc) are accepted", null);
        return;
      }
      String encoding = msg.encoding() == null ? "identity" : msg.encoding();
      Decompression codec = Decompression.forGrpc(encoding);
      if (codec == null) {
        reply(Refusal.UNIMPLEMENTED, "grpc-encoding \"" + encoding + "\" is not supported; use one of "
            + Decompression.GRPC_SUPPORTED, null);
        return;
      }
      Map<String, String> metadata = OtlpCodec.metadata(config.includeMetadata(), req.headers(), client);
      Envelope envelope = new Envelope(receiver.id(), arrivedAt, "", metadata, Rejections.counting());
      byte[] wire = msg.payload().getBytes();
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
        req.response().end(Buffer.buffer(OtlpCodec.okProto(signal, rejections)));
      } catch (RuntimeException e) {
        log.debug("Receiver '{}': could not answer a gRPC {} call: {}", receiver.id(), signal, e.toString());
      }
    }

    void reply(int code, String statusMessage, Duration retryAfter) {
      if (!state.answer()) {
        return;
      }
      try {
        GrpcServerResponse<Buffer, Buffer> resp = req.response();
        resp.status(GrpcStatus.valueOf(code)).statusMessage(statusMessage);
        if (retryAfter != null) {
          resp.trailers().set(STATUS_DETAILS_KEY,
              BASE64.encodeToString(RpcStatus.proto(code, statusMessage, retryAfter)));
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
}
