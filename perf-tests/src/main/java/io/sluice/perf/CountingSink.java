package io.sluice.perf;

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
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.GZIPInputStream;

/**
 * A counting OTLP sink: an OTLP/gRPC server and an OTLP/HTTP (protobuf) server for traces,
 * metrics and logs that answer every export with success and book each numbered item
 * ({@link NumberedItems}) as received in an {@link ItemLedger}, so that loss, duplication and
 * reordering show per stream. Items without numbers (another sender's) are counted, not booked.
 *
 * <p>A fault for checking what the accounts catch: {@code dropRequests} lists requests (numbered
 * from 1 in arrival order, over both servers) the sink answers with success and then throws away,
 * as a backend that loses an acknowledged batch would; what it threw away is kept in a ledger of
 * its own ({@link #dropped}).
 */
final class CountingSink implements AutoCloseable {
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
    String problem = book(signal, body);
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
      String problem = book(signal, body);
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

  /** Books a request's items; a problem to answer with when it does not decode, else null. */
  private String book(Signal signal, byte[] body) {
    if (body.length == 0) {
      return null; // an empty export: a sender checking that the sink answers
    }
    long n = arrivals.incrementAndGet();
    boolean drop = dropRequests.contains(n);
    try {
      Signal.Received r = signal.receive(body, numbering, drop ? dropped : ledger);
      requests.increment();
      items.add(r.items());
      unnumbered.add(r.items() - r.numbered());
      return null;
    } catch (IOException | RuntimeException e) {
      String problem = "request " + n + " is not a valid OTLP " + signal.lowerName() + " export: " + e.getMessage();
      invalid.increment();
      firstProblem.compareAndSet(null, problem);
      return problem;
    }
  }

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
