package io.sluice.exporter.otlphttp;

import com.github.luben.zstd.ZstdInputStream;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.otlp.OtlpJson;
import io.vertx.core.MultiMap;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.core.net.PemKeyCertOptions;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntFunction;
import java.util.zip.GZIPInputStream;
import java.util.zip.InflaterInputStream;
import org.xerial.snappy.Snappy;

/**
 * A real OTLP/HTTP server on loopback (a Vert.x HttpServer) that records every request as it
 * arrived and answers as a test tells it to. Bodies are kept as sent; the test decodes them.
 */
final class TestOtlpHttpSink implements AutoCloseable {
  /** One request as it arrived: path, headers and the body still compressed. */
  record Received(String path, MultiMap headers, byte[] rawBody, long arrivedNanos) {
    String contentType() {
      return headers.get("Content-Type");
    }

    String contentEncoding() {
      return headers.get("Content-Encoding");
    }

    /** The body decompressed as its Content-Encoding says, each codec's own reader. */
    byte[] body() {
      String enc = contentEncoding();
      try {
        if (enc == null) {
          return rawBody;
        }
        return switch (enc) {
          case "gzip" -> readAll(new GZIPInputStream(new ByteArrayInputStream(rawBody)));
          case "deflate" -> readAll(new InflaterInputStream(new ByteArrayInputStream(rawBody)));
          case "zstd" -> readAll(new ZstdInputStream(new ByteArrayInputStream(rawBody)));
          case "snappy" -> Snappy.uncompress(rawBody);
          default -> throw new AssertionError("unexpected Content-Encoding " + enc);
        };
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    boolean json() {
      return contentType().startsWith("application/json");
    }

    ExportTraceServiceRequest traces() throws IOException {
      return json() ? OtlpJson.decodeTraces(body()) : ExportTraceServiceRequest.parseFrom(body());
    }

    ExportMetricsServiceRequest metrics() throws IOException {
      return json() ? OtlpJson.decodeMetrics(body()) : ExportMetricsServiceRequest.parseFrom(body());
    }

    ExportLogsServiceRequest logs() throws IOException {
      return json() ? OtlpJson.decodeLogs(body()) : ExportLogsServiceRequest.parseFrom(body());
    }

    private static byte[] readAll(InputStream in) throws IOException {
      try (in) {
        return in.readAllBytes();
      }
    }
  }

  /** How the sink answers one request. */
  record Reply(int status, Map<String, String> headers, String contentType, byte[] body) {
    static Reply ok() {
      return new Reply(200, Map.of(), null, null);
    }

    static Reply status(int status) {
      return new Reply(status, Map.of(), null, null);
    }

    Reply withHeader(String name, String value) {
      Map<String, String> h = new java.util.HashMap<>(headers);
      h.put(name, value);
      return new Reply(status, h, contentType, body);
    }

    Reply withBody(String type, byte[] bytes) {
      return new Reply(status, headers, type, bytes);
    }
  }

  final List<Received> received = new CopyOnWriteArrayList<>();
  private final AtomicInteger calls = new AtomicInteger();
  private volatile IntFunction<Reply> behaviour = n -> Reply.ok();
  private final HttpServer server;

  private TestOtlpHttpSink(HttpServer server) {
    this.server = server;
  }

  static TestOtlpHttpSink start(Vertx vertx, int port, boolean tls) throws Exception {
    HttpServerOptions options = new HttpServerOptions();
    if (tls) {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(resource("tls/server.pem")).setKeyPath(resource("tls/server.key")));
    }
    TestOtlpHttpSink[] self = new TestOtlpHttpSink[1];
    HttpServer server = vertx.createHttpServer(options).requestHandler(req -> self[0].handle(req));
    self[0] = new TestOtlpHttpSink(server);
    server.listen(port, "127.0.0.1").await(10, TimeUnit.SECONDS);
    return self[0];
  }

  static String resource(String name) throws Exception {
    return new java.io.File(TestOtlpHttpSink.class.getClassLoader().getResource(name).toURI()).getPath();
  }

  /** From now on request number n (1-based, counting every request) is answered by {@code behaviour}. */
  void behave(IntFunction<Reply> behaviour) {
    this.behaviour = behaviour;
  }

  int calls() {
    return calls.get();
  }

  private void handle(HttpServerRequest req) {
    long arrived = System.nanoTime();
    MultiMap headers = HttpHeaders.headers().addAll(req.headers());
    String path = req.path();
    req.body().onSuccess(body -> {
      received.add(new Received(path, headers, body.getBytes(), arrived));
      Reply r = behaviour.apply(calls.incrementAndGet());
      var resp = req.response().setStatusCode(r.status());
      r.headers().forEach(resp::putHeader);
      if (r.body() != null) {
        resp.putHeader("Content-Type", r.contentType()).end(Buffer.buffer(r.body()));
      } else {
        resp.end();
      }
    });
  }

  @Override
  public void close() throws Exception {
    server.close().await(10, TimeUnit.SECONDS);
  }
}
