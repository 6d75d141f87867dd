package io.sluice.receiver.otlp;

import com.github.luben.zstd.Zstd;
import io.sluice.core.ComponentContext;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Host;
import io.sluice.core.Consumer;
import io.sluice.core.Receiver;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.CapturingConsumer;
import io.sluice.core.testkit.Ports;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestVertx;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Grpc;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Http;
import io.sluice.receiver.otlp.OtlpReceiverConfig.Protocols;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyFramedOutputStream;

/**
 * An otlp receiver on free loopback ports with a capturing consumer per signal, and clients for
 * it. Close it to shut the receiver down and check that no event loop was blocked.
 */
final class RunningReceiver implements AutoCloseable {
  final TestVertx testVertx;
  final SelfMetrics metrics;
  final Map<Signal, CapturingConsumer> consumers = new EnumMap<>(Signal.class);
  final int grpcPort;
  final int httpPort;
  final Receiver receiver;
  final HttpClient http = HttpClient.newBuilder()
      .version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5))
      .build();

  private RunningReceiver(TestVertx tv, SelfMetrics metrics, int grpcPort, int httpPort, Receiver receiver) {
    this.testVertx = tv;
    this.metrics = metrics;
    this.grpcPort = grpcPort;
    this.httpPort = httpPort;
    this.receiver = receiver;
  }

  /** Both protocols with defaults (but free ports), consumers for all three signals. */
  static RunningReceiver start() {
    return start(Signal.values(), g -> g, h -> h);
  }

  static RunningReceiver start(Signal[] signals, java.util.function.UnaryOperator<Grpc> grpc,
      java.util.function.UnaryOperator<Http> http) {
    return start(signals, grpc, http, Host.ALWAYS_READY);
  }

  /** As the other {@code start}, on a host with extensions such as authenticators. */
  static RunningReceiver start(Signal[] signals, java.util.function.UnaryOperator<Grpc> grpc,
      java.util.function.UnaryOperator<Http> http, Host host) {
    TestVertx tv = TestVertx.create();
    int grpcPort = Ports.freePort();
    int httpPort = Ports.freePort();
    Grpc g = grpc.apply(new Grpc("127.0.0.1:" + grpcPort, null, null, null));
    Http h = http.apply(new Http("127.0.0.1:" + httpPort, null, null, null, null, null, null));
    OtlpReceiverConfig config = new OtlpReceiverConfig(new Protocols(g, h));
    if (!config.validate().isEmpty()) {
      throw new IllegalArgumentException(config.validate().toString());
    }
    Map<Signal, CapturingConsumer> consumers = new EnumMap<>(Signal.class);
    Map<Signal, Consumer> next = new EnumMap<>(Signal.class);
    for (Signal s : signals) {
      CapturingConsumer c = new CapturingConsumer();
      consumers.put(s, c);
      next.put(s, c);
    }
    SelfMetrics metrics = new SelfMetrics();
    Receiver receiver = new OtlpReceiverFactory().create(new ComponentContext(ComponentId.parse("otlp/test"),
        ComponentKind.RECEIVER, "", tv.vertx(), metrics, host), config, next);
    try {
      receiver.start().await(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      tv.close();
      throw new IllegalStateException("receiver did not start", e);
    }
    RunningReceiver r = new RunningReceiver(tv, metrics, grpcPort, httpPort, receiver);
    r.consumers.putAll(consumers);
    return r;
  }

  CapturingConsumer consumer(Signal s) {
    return consumers.get(s);
  }

  /** Every consumer back to answering success, with nothing captured. */
  void reset() {
    consumers.values().forEach(c -> c.succeed().clear());
  }

  /** The receiver's accepted or refused item count for one signal and transport. */
  double count(String name, Signal signal, String transport) {
    return SelfMetricsReader.counter(metrics, name, "component_id", "otlp/test", "signal", signal.configName(),
        "transport", transport);
  }

  String httpUrl(String path) {
    return "http://127.0.0.1:" + httpPort + path;
  }

  String httpsUrl(String path) {
    return "https://localhost:" + httpPort + path;
  }

  HttpResponse<byte[]> post(String path, String contentType, String contentEncoding, byte[] body) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(httpUrl(path)))
        .timeout(Duration.ofSeconds(15))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    if (contentEncoding != null) {
      b.header("Content-Encoding", contentEncoding);
    }
    return send(b.build());
  }

  HttpResponse<byte[]> send(HttpRequest request) {
    try {
      return http.send(request, HttpResponse.BodyHandlers.ofByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Override
  public void close() {
    try {
      receiver.shutdown().await(15, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("receiver did not shut down", e);
    } finally {
      testVertx.close();
    }
  }

  // ---- compression for requests ----

  static byte[] compress(String encoding, byte[] data) {
    try {
      return switch (encoding) {
        case "gzip" -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(data);
          }
          yield out.toByteArray();
        }
        case "deflate", "zlib" -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          try (DeflaterOutputStream d = new DeflaterOutputStream(out)) {
            d.write(data);
          }
          yield out.toByteArray();
        }
        case "zstd" -> Zstd.compress(data);
        case "snappy" -> Snappy.compress(data);
        case "x-snappy-framed" -> {
          ByteArrayOutputStream out = new ByteArrayOutputStream();
          try (SnappyFramedOutputStream s = new SnappyFramedOutputStream(out)) {
            s.write(data);
          }
          yield out.toByteArray();
        }
        default -> throw new IllegalArgumentException(encoding);
      };
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static byte[] gzipBomb;

  /** 64 MiB of zeros, gzipped to about 64 KiB. */
  static synchronized byte[] gzipBomb() {
    if (gzipBomb == null) {
      try {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] zeros = new byte[1024 * 1024];
        try (GZIPOutputStream gz = new GZIPOutputStream(out, 64 * 1024)) {
          for (int i = 0; i < 64; i++) {
            gz.write(zeros);
          }
        }
        gzipBomb = out.toByteArray();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return gzipBomb;
  }
}
