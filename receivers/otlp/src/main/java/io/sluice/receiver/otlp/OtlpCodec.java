package io.sluice.receiver.otlp;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsPartialSuccess;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsPartialSuccess;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTracePartialSuccess;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Rejections;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.otlp.OtlpJson;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

/** Turns OTLP request bytes into batches and writes the success responses, per signal. */
final class OtlpCodec {
  private OtlpCodec() {}

  /** The request message names, for error messages. */
  static String requestName(Signal signal) {
    return switch (signal) {
      case TRACES -> "ExportTraceServiceRequest";
      case METRICS -> "ExportMetricsServiceRequest";
      case LOGS -> "ExportLogsServiceRequest";
    };
  }

  /**
   * Takes a binary protobuf request as a batch of encoded resources: the request's bytes are
   * checked down to the framing of each item and kept, not parsed. {@code data} must not be
   * written afterwards.
   */
  static Batch fromProto(Signal signal, byte[] data, int length, Envelope envelope)
      throws InvalidProtocolBufferException {
    return Batch.encoded(EncodedResources.scanRequest(signal, data, 0, length), envelope);
  }

  /**
   * Decodes an OTLP/JSON request into a batch.
   *
   * @throws io.sluice.core.PermanentException saying what is wrong and where in the document
   */
  static Batch fromJson(Signal signal, byte[] data, int length, Envelope envelope) {
    return switch (signal) {
      case TRACES -> Batch.traces(OtlpJson.decodeTraces(data, 0, length).getResourceSpansList(), envelope);
      case METRICS -> Batch.metrics(OtlpJson.decodeMetrics(data, 0, length).getResourceMetricsList(), envelope);
      case LOGS -> Batch.logs(OtlpJson.decodeLogs(data, 0, length).getResourceLogsList(), envelope);
    };
  }

  private static final byte[][] PROTO_OK = new byte[Signal.values().length][];
  private static final byte[][] JSON_OK = new byte[Signal.values().length][];

  static {
    for (Signal s : Signal.values()) {
      com.google.protobuf.Message ok = switch (s) {
        case TRACES -> ExportTraceServiceResponse.getDefaultInstance();
        case METRICS -> ExportMetricsServiceResponse.getDefaultInstance();
        case LOGS -> ExportLogsServiceResponse.getDefaultInstance();
      };
      PROTO_OK[s.ordinal()] = ok.toByteArray();
      JSON_OK[s.ordinal()] = OtlpJson.encode(ok);
    }
  }

  /**
   * The response for a request of which {@code rejections} dropped items, binary: the
   * full-success one when none were dropped, else one with {@code partial_success}.
   */
  static byte[] okProto(Signal signal, Rejections rejections) {
    return rejections.count() == 0 ? okProto(signal) : partial(signal, rejections).toByteArray();
  }

  /** As {@link #okProto(Signal, Rejections)}, OTLP/JSON. */
  static byte[] okJson(Signal signal, Rejections rejections) {
    return rejections.count() == 0 ? okJson(signal) : OtlpJson.encode(partial(signal, rejections));
  }

  private static com.google.protobuf.Message partial(Signal signal, Rejections r) {
    return switch (signal) {
      case TRACES -> ExportTraceServiceResponse.newBuilder().setPartialSuccess(ExportTracePartialSuccess.newBuilder()
          .setRejectedSpans(r.count()).setErrorMessage(r.message())).build();
      case METRICS -> ExportMetricsServiceResponse.newBuilder().setPartialSuccess(
          ExportMetricsPartialSuccess.newBuilder().setRejectedDataPoints(r.count()).setErrorMessage(r.message()))
          .build();
      case LOGS -> ExportLogsServiceResponse.newBuilder().setPartialSuccess(ExportLogsPartialSuccess.newBuilder()
          .setRejectedLogRecords(r.count()).setErrorMessage(r.message())).build();
    };
  }

  /** The full-success response (no partial_success), binary. */
  static byte[] okProto(Signal signal) {
    return PROTO_OK[signal.ordinal()];
  }

  /** The full-success response (no partial_success), OTLP/JSON. */
  static byte[] okJson(Signal signal) {
    return JSON_OK[signal.ordinal()];
  }

  private static final AtomicBoolean WARM = new AtomicBoolean();

  /**
   * Loads and initialises, once per process, what the first request would otherwise pay for on
   * an event loop: the OTLP message descriptors, the JSON codec, and the native zstd and snappy
   * libraries. Call it off the event loops; it takes a few hundred milliseconds when cold.
   */
  static void warmUp() {
    if (!WARM.compareAndSet(false, true)) {
      return;
    }
    Envelope envelope = Envelope.of(ComponentId.of("otlp"));
    byte[] emptyJson = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    for (Signal s : Signal.values()) {
      try {
        fromProto(s, new byte[0], 0, envelope).itemCount();
        // Components that read fields parse on an event loop: load the messages' classes now.
        switch (s) {
          case TRACES -> ExportTraceServiceRequest.parser().parseFrom(new byte[0]);
          case METRICS -> ExportMetricsServiceRequest.parser().parseFrom(new byte[0]);
          case LOGS -> ExportLogsServiceRequest.parser().parseFrom(new byte[0]);
        }
        fromJson(s, emptyJson, emptyJson.length, envelope).itemCount();
      } catch (IOException e) {
        throw new IllegalStateException("an empty request must decode", e);
      }
    }
    RpcStatus.proto(Refusal.UNAVAILABLE, "warm-up", java.time.Duration.ofSeconds(1));
    RpcStatus.json(Refusal.UNAVAILABLE, "warm-up", java.time.Duration.ofSeconds(1));
    try {
      byte[] one = {1};
      byte[] zstd = com.github.luben.zstd.Zstd.compress(one);
      Decompression.ZSTD.decompress(zstd, zstd.length, 1);
      byte[] snappy = org.xerial.snappy.Snappy.compress(one);
      Decompression.SNAPPY.decompress(snappy, snappy.length, 1);
    } catch (IOException | RuntimeException | LinkageError e) {
      // a missing native library shows up again, with context, on the first request that needs it
    }
    // The first connection of a loop would otherwise initialise these on the loop itself.
    for (String name : NETTY_CONNECTION_CLASSES) {
      try {
        Class.forName(name, true, OtlpCodec.class.getClassLoader());
      } catch (ClassNotFoundException | LinkageError e) {
        // a class renamed in another Netty or Vert.x version is only not warmed up
      }
    }
  }

  /** Classes a server connection initialises on its first use: HTTP/2, HTTP/1 and TLS. */
  private static final List<String> NETTY_CONNECTION_CLASSES = List.of(
      "io.netty.handler.codec.http.HttpResponseStatus",
      "io.netty.handler.codec.http2.Http2ConnectionHandler",
      "io.netty.handler.codec.http2.DefaultHttp2Connection",
      "io.netty.handler.codec.http2.HpackDecoder",
      "io.netty.handler.codec.http2.HpackEncoder",
      "io.netty.handler.codec.http2.DefaultHttp2FrameWriter",
      "io.netty.handler.codec.http2.UniformStreamByteDistributor",
      "io.netty.handler.codec.compression.ZlibCodecFactory",
      "io.netty.handler.ssl.SslHandler",
      "io.netty.handler.ssl.ApplicationProtocolNegotiationHandler",
      "io.vertx.core.http.impl.VertxHttpRequestDecoder",
      "io.vertx.core.http.impl.VertxHttp2ConnectionHandlerBuilder");

  /**
   * Request headers as envelope metadata: lower-case names, repeated headers joined with ",",
   * HTTP/2 pseudo-headers left out, and headers named {@code auth.*} left out so that a client
   * cannot pose as an authenticated one.
   */
  static Map<String, String> metadata(Iterable<Map.Entry<String, String>> headers) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : headers) {
      String k = e.getKey().toLowerCase(Locale.ROOT);
      if (!k.startsWith(":") && !k.startsWith(AUTH_PREFIX)) {
        m.merge(k, e.getValue(), (a, b) -> a + "," + b);
      }
    }
    return Collections.unmodifiableMap(m);
  }

  static final String AUTH_PREFIX = "auth.";

  /**
   * The envelope metadata of a request: its headers when {@code include_metadata} is on, and
   * what its authenticator knows of the client as {@code auth.<name>} (such as
   * {@code auth.username}) whenever one accepted it, as the Collector's client info carries it.
   */
  static Map<String, String> metadata(boolean includeHeaders, Iterable<Map.Entry<String, String>> headers,
      Map<String, String> auth) {
    if (auth.isEmpty()) {
      return includeHeaders ? metadata(headers) : Map.of();
    }
    Map<String, String> m = new LinkedHashMap<>(includeHeaders ? metadata(headers) : Map.of());
    auth.forEach((k, v) -> m.put(AUTH_PREFIX + k, v));
    return Collections.unmodifiableMap(m);
  }
}
