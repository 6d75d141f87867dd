package io.sluice.perf;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import io.sluice.core.ledger.ItemLedger;
import io.sluice.core.ledger.NumberedItems;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import org.xerial.snappy.Snappy;

/**
 * A counting sink: an OTLP/gRPC server, and an HTTP server for OTLP/HTTP (protobuf) traces, metrics
 * and logs, for Loki pushes ({@value #LOKI_PATH}) and for Prometheus remote write 1.0
 * ({@value #REMOTE_WRITE_PATH}), and a reader of Kafka topics ({@link #readKafka}), that answer every request with success and
 * book each numbered item
 * ({@link NumberedItems}) as received in an {@link ItemLedger}, so that loss, duplication and
 * reordering show per stream. Items without numbers (another sender's) are counted, not booked.
 *
 * <p>A fault for checking what the accounts catch: {@code dropRequests} lists requests (numbered
 * from 1 in arrival order, over both servers) the sink answers with success and then throws away,
 * as a backend that loses an acknowledged batch would; what it threw away is kept in a ledger of
 * its own ({@link #dropped}).
 */
final class CountingSink implements AutoCloseable {
  /** Where the HTTP server takes Loki pushes. */
  static final String LOKI_PATH = "/loki/api/v1/push";
  /** Where the HTTP server takes Prometheus remote write 1.0 requests. */
  static final String REMOTE_WRITE_PATH = "/api/v1/write";

  private final NumberedItems numbering;
  private final ItemLedger ledger;
  private final ItemLedger dropped = new ItemLedger();
  private final Set<Long> dropRequests;
  private final Server grpc;
  private final HttpServer http;
  private final ExecutorService httpWorkers;
  private final AtomicLong arrivals = new AtomicLong();
  private final LongAdder requests = new LongAdder();
  private final LongAdder items = new LongAdder();
  private final LongAdder unnumbered = new LongAdder();
  private final LongAdder invalid = new LongAdder();
  private final AtomicReference<String> firstProblem = new AtomicReference<>();
  private final List<KafkaTopicReader> kafka = new java.util.concurrent.CopyOnWriteArrayList<>();

  /**
   * Starts the servers on {@code host}: gRPC on {@code grpcPort}, HTTP on {@code httpPort} (0: a
   * free port; -1: none).
   */
  CountingSink(String host, int grpcPort, int httpPort, NumberedItems numbering, ItemLedger ledger,
      Set<Long> dropRequests) throws IOException {
    this.numbering = numbering;
    this.ledger = ledger;
    this.dropRequests = Set.copyOf(dropRequests);
    if (grpcPort >= 0) {
      ServerServiceDefinition.Builder traces = ServerServiceDefinition.builder(
          Signal.TRACES.method.getServiceName());
      ServerServiceDefinition.Builder metrics = ServerServiceDefinition.builder(
          Signal.METRICS.method.getServiceName());
      ServerServiceDefinition.Builder logs = ServerServiceDefinition.builder(Signal.LOGS.method.getServiceName());
      traces.addMethod(Signal.TRACES.method, ServerCalls.asyncUnaryCall((b, a) -> grpcExport(Signal.TRACES, b, a)));
      metrics.addMethod(Signal.METRICS.method,
          ServerCalls.asyncUnaryCall((b, a) -> grpcExport(Signal.METRICS, b, a)));
      logs.addMethod(Signal.LOGS.method, ServerCalls.asyncUnaryCall((b, a) -> grpcExport(Signal.LOGS, b, a)));
      // Calls handled on the connection's event loop, one after the other: the sink does not
      // reorder what one connection brings.
      grpc = NettyServerBuilder.forAddress(new InetSocketAddress(host, grpcPort))
          .directExecutor()
          .maxInboundMessageSize(64 * 1024 * 1024)
          .addService(traces.build()).addService(metrics.build()).addService(logs.build())
          .build().start();
    } else {
      grpc = null;
    }
    if (httpPort >= 0) {
      http = HttpServer.create(new InetSocketAddress(host, httpPort), 128);
      for (Signal s : Signal.values()) {
        http.createContext(s.httpPath, exchange -> httpExport(s, exchange));
      }
      http.createContext(LOKI_PATH, this::lokiPush);
      http.createContext(REMOTE_WRITE_PATH, this::remoteWrite);
      httpWorkers = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "sink-http");
        t.setDaemon(true);
        return t;
      });
      http.setExecutor(httpWorkers);
      http.start();
    } else {
      http = null;
      httpWorkers = null;
    }
  }

  /**
   * Also reads {@code topic} on the Kafka cluster at {@code bootstrap}, each record an OTLP protobuf
   * export of {@code signal} (the kafka exporter's {@code otlp_proto} encoding), from the topic's
   * start: numbered items of other runs count as unnumbered.
   */
  void readKafka(String bootstrap, String topic, Signal signal) {
    kafka.add(new KafkaTopicReader(bootstrap, topic, value -> {
      String problem = book("Kafka " + signal.lowerName(), value, (b, l) -> signal.receive(b, numbering, l));
      if (problem != null) {
        System.err.println("sluice-load: topic " + topic + ": " + problem);
      }
    }));
  }

  /** The gRPC port, or -1 without one. */
  int grpcPort() {
    return grpc == null ? -1 : grpc.getPort();
  }

  /** The HTTP port, or -1 without one. */
  int httpPort() {
    return http == null ? -1 : http.getAddress().getPort();
  }

  ItemLedger ledger() {
    return ledger;
  }

  /** The items thrown away by the {@code dropRequests} fault, by stream. */
  ItemLedger dropped() {
    return dropped;
  }

  long requests() {
    return requests.sum();
  }

  /** Items received, numbered or not, dropped ones included. */
  long items() {
    return items.sum();
  }

  long unnumberedItems() {
    return unnumbered.sum();
  }

  long invalidRequests() {
    return invalid.sum();
  }

  String firstProblem() {
    return firstProblem.get();
  }

  private void grpcExport(Signal signal, byte[] body, StreamObserver<byte[]> answer) {
    String problem = book(signal.lowerName(), body, (b, l) -> signal.receive(b, numbering, l));
    if (problem != null) {
      answer.onError(Status.INVALID_ARGUMENT.withDescription(problem).asRuntimeException());
      return;
    }
    answer.onNext(new byte[0]); // an empty Export*ServiceResponse: full success
    answer.onCompleted();
  }

  private void httpExport(Signal signal, HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, "POST OTLP protobuf to " + signal.httpPath);
        return;
      }
      String type = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"));
      if (!type.startsWith("application/x-protobuf")) {
        reply(exchange, 415, "Content-Type " + type + " is not supported; this sink takes application/x-protobuf");
        return;
      }
      byte[] body;
      try (InputStream in = "gzip".equalsIgnoreCase(exchange.getRequestHeaders().getFirst("Content-Encoding"))
          ? new GZIPInputStream(exchange.getRequestBody()) : exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      String problem = book(signal.lowerName(), body, (b, l) -> signal.receive(b, numbering, l));
      if (problem != null) {
        reply(exchange, 400, problem);
        return;
      }
      exchange.getResponseHeaders().set("Content-Type", "application/x-protobuf");
      exchange.sendResponseHeaders(200, -1);
    }
  }

  private static void reply(HttpExchange exchange, int status, String message) throws IOException {
    byte[] text = message.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
    exchange.sendResponseHeaders(status, text.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(text);
    }
  }

  /** Reads a request's items and books the numbered ones in a ledger. */
  private interface Decoder {
    Signal.Received decode(byte[] body, ItemLedger into) throws IOException;
  }

  /** Books a request's items; a problem to answer with when it does not decode, else null. */
  private String book(String what, byte[] body, Decoder decoder) {
    if (body.length == 0) {
      return null; // an empty export: a sender checking that the sink answers
    }
    long n = arrivals.incrementAndGet();
    boolean drop = dropRequests.contains(n);
    try {
      Signal.Received r = decoder.decode(body, drop ? dropped : ledger);
      requests.increment();
      items.add(r.items());
      unnumbered.add(r.items() - r.numbered());
      return null;
    } catch (IOException | RuntimeException e) {
      String problem = "request " + n + " is not a valid " + what + " request: " + e.getMessage();
      invalid.increment();
      firstProblem.compareAndSet(null, problem);
      return problem;
    }
  }

  // ---- Loki push -------------------------------------------------------------------------------

  private static final Pattern LINE_TRACE_ID = Pattern.compile("\"traceid\":\"([0-9a-f]{32})\"|traceID=([0-9a-f]{32})");
  private static final Pattern LINE_SPAN_ID = Pattern.compile("\"spanid\":\"([0-9a-f]{16})\"|spanID=([0-9a-f]{16})");

  private void lokiPush(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, "POST a Loki push request (protobuf, snappy) to " + LOKI_PATH);
        return;
      }
      String type = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"));
      if (!type.startsWith("application/x-protobuf")) {
        reply(exchange, 415, "Content-Type " + type + " is not supported; this sink takes application/x-protobuf"
            + " (snappy), as Loki's push API");
        return;
      }
      byte[] compressed;
      try (InputStream in = exchange.getRequestBody()) {
        compressed = in.readAllBytes();
      }
      String problem = book("Loki push", compressed, (b, l) -> loki(Snappy.uncompress(b), l));
      if (problem != null) {
        reply(exchange, 400, problem);
        return;
      }
      exchange.sendResponseHeaders(204, -1);
    }
  }

  /**
   * The entries of a Loki {@code PushRequest}, numbered by their trace and span id: in structured
   * metadata ({@code trace_id}, {@code span_id}), else in the line ({@code json}: {@code "traceid"},
   * {@code "spanid"}; {@code logfmt}: {@code traceID=}, {@code spanID=}).
   */
  private Signal.Received loki(byte[] push, ItemLedger into) throws IOException {
    long entries = 0;
    long numbered = 0;
    CodedInputStream in = CodedInputStream.newInstance(push);
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (tag != LEN_1) { // streams
        in.skipField(tag);
        continue;
      }
      int stream = in.pushLimit(in.readRawVarint32());
      for (int t; (t = in.readTag()) != 0; ) {
        if (t != LEN_2) { // entries
          in.skipField(t);
          continue;
        }
        int entry = in.pushLimit(in.readRawVarint32());
        entries++;
        String line = null;
        String traceId = null;
        String spanId = null;
        for (int e; (e = in.readTag()) != 0; ) {
          if (e == LEN_2) {
            line = in.readStringRequireUtf8();
          } else if (e == LEN_3) { // structured metadata: name, value
            String[] md = pair(in);
            if ("trace_id".equals(md[0])) {
              traceId = md[1];
            } else if ("span_id".equals(md[0])) {
              spanId = md[1];
            }
          } else {
            in.skipField(e);
          }
        }
        in.popLimit(entry);
        if (traceId == null && line != null) {
          traceId = group(LINE_TRACE_ID.matcher(line));
          spanId = group(LINE_SPAN_ID.matcher(line));
        }
        if (receiveHex(traceId, spanId, into)) {
          numbered++;
        }
      }
      in.popLimit(stream);
    }
    return new Signal.Received(entries, numbered);
  }

  // ---- Prometheus remote write 1.0 -------------------------------------------------------------

  private void remoteWrite(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        reply(exchange, 405, "POST a remote write 1.0 request (protobuf, snappy) to " + REMOTE_WRITE_PATH);
        return;
      }
      String type = String.valueOf(exchange.getRequestHeaders().getFirst("Content-Type"));
      if (!type.startsWith("application/x-protobuf") || (type.contains("proto=") && !type.contains(
          "proto=prometheus.WriteRequest"))) {
        reply(exchange, 415, "Content-Type " + type + " is not supported; this sink takes remote write 1.0"
            + " (application/x-protobuf, prometheus.WriteRequest)");
        return;
      }
      byte[] compressed;
      try (InputStream in = exchange.getRequestBody()) {
        compressed = in.readAllBytes();
      }
      String problem = book("remote write", compressed, (b, l) -> remoteWrite(Snappy.uncompress(b), l));
      if (problem != null) {
        reply(exchange, 400, problem);
        return;
      }
      exchange.sendResponseHeaders(204, -1);
    }
  }

  /**
   * The samples of a remote write 1.0 {@code WriteRequest}, numbered by their exemplars'
   * {@code trace_id} and {@code span_id} labels (the OTLP data point's exemplar, as the exporter
   * writes it): {@code WriteRequest{1 timeseries}}, {@code TimeSeries{1 labels, 2 samples,
   * 3 exemplars}}, {@code Exemplar{1 labels}}, {@code Label{1 name, 2 value}}.
   */
  private Signal.Received remoteWrite(byte[] request, ItemLedger into) throws IOException {
    long samples = 0;
    long numbered = 0;
    CodedInputStream in = CodedInputStream.newInstance(request);
    for (int tag; (tag = in.readTag()) != 0; ) {
      if (tag != LEN_1) {
        in.skipField(tag);
        continue;
      }
      int series = in.pushLimit(in.readRawVarint32());
      for (int t; (t = in.readTag()) != 0; ) {
        if (t == LEN_2) {
          samples++;
          in.skipField(t);
        } else if (t == LEN_3) {
          int exemplar = in.pushLimit(in.readRawVarint32());
          String traceId = null;
          String spanId = null;
          for (int e; (e = in.readTag()) != 0; ) {
            if (e != LEN_1) {
              in.skipField(e);
              continue;
            }
            String[] label = pair(in);
            if ("trace_id".equals(label[0])) {
              traceId = label[1];
            } else if ("span_id".equals(label[0])) {
              spanId = label[1];
            }
          }
          in.popLimit(exemplar);
          if (receiveHex(traceId, spanId, into)) {
            numbered++;
          }
        } else {
          in.skipField(t);
        }
      }
      in.popLimit(series);
    }
    return new Signal.Received(samples, numbered);
  }

  /** A length-delimited {@code {1 name, 2 value}} at the stream's position: name and value (null when absent). */
  private static String[] pair(CodedInputStream in) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String[] out = new String[2];
    for (int p; (p = in.readTag()) != 0; ) {
      if (p == LEN_1) {
        out[0] = in.readStringRequireUtf8();
      } else if (p == LEN_2) {
        out[1] = in.readStringRequireUtf8();
      } else {
        in.skipField(p);
      }
    }
    in.popLimit(limit);
    return out;
  }

  /** Books the item with these ids in hex when it is a numbered item of the run; whether it was. */
  private boolean receiveHex(String traceId, String spanId, ItemLedger into) {
    return traceId != null && spanId != null && traceId.length() == 32 && spanId.length() == 16
        && numbering.receive(ByteString.copyFrom(HexFormat.of().parseHex(traceId)),
            ByteString.copyFrom(HexFormat.of().parseHex(spanId)), into);
  }

  private static String group(Matcher m) {
    return m.find() ? (m.group(1) != null ? m.group(1) : m.group(2)) : null;
  }

  private static final int LEN_1 = 1 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int LEN_2 = 2 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;
  private static final int LEN_3 = 3 << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

  /** What the drop fault threw away, per stream as ranges of numbers: {@code "stream 2: 100..199"}. */
  List<String> droppedRanges() {
    List<String> out = new ArrayList<>();
    for (int source : dropped.sources()) {
      List<String> ranges = dropped.deliveredRanges(source, Integer.MAX_VALUE).stream().map(Object::toString).toList();
      out.add("stream " + source + ": " + String.join(", ", ranges));
    }
    return out;
  }

  @Override
  public void close() {
    kafka.forEach(KafkaTopicReader::close);
    if (http != null) {
      http.stop(0);
      httpWorkers.shutdownNow();
    }
    if (grpc != null) {
      grpc.shutdownNow();
      try {
        grpc.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
