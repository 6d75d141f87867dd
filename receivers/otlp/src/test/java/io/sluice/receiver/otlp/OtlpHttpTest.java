package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.google.protobuf.Message;
import com.google.rpc.RetryInfo;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse;
import io.sluice.core.Batch;
import io.sluice.core.PermanentException;
import io.sluice.core.ResourceExhaustedException;
import io.sluice.core.RetryableException;
import io.sluice.core.Signal;
import io.sluice.core.otlp.OtlpJson;
import io.sluice.core.testkit.TestData;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OtlpHttpTest {
  private static final String PROTO = "application/x-protobuf";
  private static final String JSON = "application/json";

  private static RunningReceiver r;

  @BeforeAll
  static void startReceiver() {
    r = RunningReceiver.start();
  }

  @AfterAll
  static void stopReceiver() {
    r.close();
  }

  @AfterEach
  void resetConsumers() {
    r.reset();
  }

  private static ExportTraceServiceRequest traces(int spans, long seed) {
    return ExportTraceServiceRequest.newBuilder().addResourceSpans(TestData.resourceSpans("checkout", spans, seed))
        .build();
  }

  private static com.google.rpc.Status status(HttpResponse<byte[]> resp) throws Exception {
    String type = resp.headers().firstValue("Content-Type").orElse("");
    if (type.startsWith(JSON)) {
      com.google.rpc.Status.Builder b = com.google.rpc.Status.newBuilder();
      com.google.protobuf.util.JsonFormat.parser()
          .usingTypeRegistry(com.google.protobuf.TypeRegistry.newBuilder().add(RetryInfo.getDescriptor()).build())
          .merge(new String(resp.body(), StandardCharsets.UTF_8), b);
      return b.build();
    }
    assertThat(type).isEqualTo(PROTO);
    return com.google.rpc.Status.parseFrom(resp.body());
  }

  private void assertGoodRequestStillWorks() {
    r.consumer(Signal.TRACES).clear();
    HttpResponse<byte[]> ok = r.post("/v1/traces", PROTO, null, traces(3, 99).toByteArray());
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(r.consumer(Signal.TRACES).itemCount(Signal.TRACES)).isEqualTo(3);
  }

  @Test
  void jsonRequestsWrittenPerSpecEqualTheirProtobufTwins() throws Exception {
    record Case(Signal signal, String path, String json, Message twin) {}
    List<Case> cases = List.of(
        new Case(Signal.TRACES, "/v1/traces", OtlpSamples.TRACES_JSON, OtlpSamples.tracesProto()),
        new Case(Signal.METRICS, "/v1/metrics", OtlpSamples.METRICS_JSON, OtlpSamples.metricsProto()),
        new Case(Signal.LOGS, "/v1/logs", OtlpSamples.LOGS_JSON, OtlpSamples.logsProto()));
    for (Case c : cases) {
      HttpResponse<byte[]> asJson = r.post(c.path(), JSON, null, c.json().getBytes(StandardCharsets.UTF_8));
      HttpResponse<byte[]> asProto = r.post(c.path(), PROTO, null, c.twin().toByteArray());
      assertThat(asJson.statusCode()).as(c.signal() + " json").isEqualTo(200);
      assertThat(asJson.headers().firstValue("Content-Type")).hasValue(JSON);
      assertThat(new String(asJson.body(), StandardCharsets.UTF_8)).isEqualTo("{}");
      assertThat(asProto.statusCode()).as(c.signal() + " protobuf").isEqualTo(200);
      assertThat(asProto.headers().firstValue("Content-Type")).hasValue(PROTO);
      assertThat(ExportTraceServiceResponse.parseFrom(asProto.body()).hasPartialSuccess()).isFalse();
      List<Batch> got = r.consumer(c.signal()).batches(c.signal());
      assertThat(got).hasSize(2);
      assertThat(got.get(0).resources()).as(c.signal() + " json equals protobuf").isEqualTo(got.get(1).resources());
      List<?> expected = switch (c.signal()) {
        case TRACES -> ((ExportTraceServiceRequest) c.twin()).getResourceSpansList();
        case METRICS -> ((ExportMetricsServiceRequest) c.twin()).getResourceMetricsList();
        case LOGS -> ((ExportLogsServiceRequest) c.twin()).getResourceLogsList();
      };
      assertThat(got.get(1).resources()).isEqualTo(expected);
      assertThat(got.get(0).envelope().source().toString()).isEqualTo("otlp/test");
      assertThat(got.get(0).envelope().metadata()).isEmpty();
    }
  }

  @Test
  void everyContentEncodingIsDecompressed() {
    ExportTraceServiceRequest req = traces(20, 3);
    for (String enc : List.of("gzip", "deflate", "zlib", "zstd", "snappy", "x-snappy-framed")) {
      r.consumer(Signal.TRACES).clear();
      HttpResponse<byte[]> resp = r.post("/v1/traces", PROTO, enc, RunningReceiver.compress(enc, req.toByteArray()));
      assertThat(resp.statusCode()).as(enc).isEqualTo(200);
      assertThat(r.consumer(Signal.TRACES).batches()).as(enc).singleElement()
          .extracting(Batch::resources).isEqualTo(req.getResourceSpansList());
    }
    byte[] json = OtlpJson.encode(req);
    r.consumer(Signal.TRACES).clear();
    assertThat(r.post("/v1/traces", JSON, "gzip", RunningReceiver.compress("gzip", json)).statusCode())
        .isEqualTo(200);
    assertThat(r.post("/v1/traces", PROTO, "identity", req.toByteArray()).statusCode()).isEqualTo(200);
    assertThat(r.consumer(Signal.TRACES).batches()).hasSize(2)
        .allSatisfy(b -> assertThat(b.resources()).isEqualTo(req.getResourceSpansList()));
  }

  @Test
  void malformedBodiesAnswer400WithAStatusAndTheReceiverKeepsWorking() throws Exception {
    byte[] good = traces(5, 1).toByteArray();
    byte[] random = new byte[2048];
    new Random(42).nextBytes(random);
    record Bad(String name, String type, String encoding, byte[] body) {}
    List<Bad> bad = List.of(
        new Bad("truncated protobuf", PROTO, null, Arrays.copyOf(good, good.length - 7)),
        new Bad("random bytes", PROTO, null, random),
        new Bad("invalid JSON", JSON, null, "{\"resourceSpans\": [".getBytes(StandardCharsets.UTF_8)),
        new Bad("JSON of the wrong shape", JSON, null, "{\"resourceSpans\": 5}".getBytes(StandardCharsets.UTF_8)),
        new Bad("bad hex id", JSON, null,
            "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"xyz\"}]}]}]}"
                .getBytes(StandardCharsets.UTF_8)),
        new Bad("corrupt gzip", PROTO, "gzip", Arrays.copyOf(RunningReceiver.compress("gzip", good), 30)),
        new Bad("not zstd", PROTO, "zstd", random),
        new Bad("not snappy", PROTO, "snappy", random),
        new Bad("unsupported encoding", PROTO, "br", good));
    for (Bad b : bad) {
      HttpResponse<byte[]> resp = r.post("/v1/traces", b.type(), b.encoding(), b.body());
      assertThat(resp.statusCode()).as(b.name()).isEqualTo(400);
      com.google.rpc.Status s = status(resp);
      assertThat(s.getCode()).as(b.name()).isEqualTo(3);
      assertThat(s.getMessage()).as(b.name()).isNotBlank();
      if (b.name().equals("bad hex id")) {
        assertThat(s.getMessage()).contains("OTLP/JSON", "resourceSpans[0].scopeSpans[0].spans[0].traceId", "\"xyz\"");
      }
      assertThat(r.consumer(Signal.TRACES).batches()).as(b.name()).isEmpty();
      assertGoodRequestStillWorks();
      r.consumer(Signal.TRACES).clear();
    }
  }

  @Test
  void wrongMethodTypeOrPathIsRefused() throws Exception {
    HttpResponse<byte[]> type = r.post("/v1/traces", "text/plain", null, "hello".getBytes(StandardCharsets.UTF_8));
    assertThat(type.statusCode()).isEqualTo(415);
    assertThat(new String(type.body(), StandardCharsets.UTF_8)).contains("application/x-protobuf");
    assertGoodRequestStillWorks();

    HttpResponse<byte[]> get = r.send(HttpRequest.newBuilder(URI.create(r.httpUrl("/v1/traces"))).GET().build());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    assertGoodRequestStillWorks();

    HttpResponse<byte[]> path = r.post("/v1/trace", PROTO, null, traces(1, 1).toByteArray());
    assertThat(path.statusCode()).isEqualTo(404);
    assertThat(status(path).getMessage()).contains("/v1/trace", "/v1/traces");
    assertGoodRequestStillWorks();
  }

  @Test
  void oversizedBodiesAndDecompressionBombsAnswer413() throws Exception {
    byte[] big = new byte[(int) OtlpReceiverConfig.Http.DEFAULT_MAX_REQUEST_BODY_SIZE + 1024];
    HttpResponse<byte[]> tooBig = r.post("/v1/traces", PROTO, null, big);
    assertThat(tooBig.statusCode()).isEqualTo(413);
    assertThat(status(tooBig).getMessage()).contains("max_request_body_size");
    assertGoodRequestStillWorks();

    byte[] bomb = RunningReceiver.gzipBomb();
    assertThat(bomb.length).isLessThan(256 * 1024);
    HttpResponse<byte[]> bombed = r.post("/v1/traces", PROTO, "gzip", bomb);
    assertThat(bombed.statusCode()).isEqualTo(413);
    assertThat(status(bombed).getMessage()).contains("decompressed");
    assertGoodRequestStillWorks();

    // a chunked body (no Content-Length) is cut off once it passes the limit as well
    HttpResponse<byte[]> chunked = r.send(HttpRequest.newBuilder(URI.create(r.httpUrl("/v1/traces")))
        .header("Content-Type", PROTO)
        .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new java.io.ByteArrayInputStream(big)))
        .build());
    assertThat(chunked.statusCode()).isEqualTo(413);
    assertGoodRequestStillWorks();
    assertThat(r.consumer(Signal.TRACES).batches()).hasSize(1);
  }

  @Test
  void pipelineVerdictsMapToHttpStatuses() throws Exception {
    byte[] body = traces(4, 2).toByteArray();
    double refusedBefore = r.count("sluice_receiver_refused_items", Signal.TRACES, "http");

    r.consumer(Signal.TRACES).failWith(new ResourceExhaustedException("memory limit reached", Duration.ofMillis(2500)));
    HttpResponse<byte[]> overloaded = r.post("/v1/traces", PROTO, null, body);
    assertThat(overloaded.statusCode()).isEqualTo(429);
    assertThat(overloaded.headers().firstValue("Retry-After")).hasValue("3");
    com.google.rpc.Status s = status(overloaded);
    assertThat(s.getCode()).isEqualTo(8);
    assertThat(s.getMessage()).contains("memory limit reached");
    assertThat(s.getDetails(0).unpack(RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(2);
    assertThat(s.getDetails(0).unpack(RetryInfo.class).getRetryDelay().getNanos()).isEqualTo(500_000_000);

    HttpResponse<byte[]> overloadedJson = r.post("/v1/traces", JSON, null, OtlpJson.encode(traces(4, 2)));
    assertThat(overloadedJson.statusCode()).isEqualTo(429);
    assertThat(status(overloadedJson).getDetails(0).unpack(RetryInfo.class).getRetryDelay().getSeconds()).isEqualTo(2);

    r.consumer(Signal.TRACES).failWith(new RetryableException("queue full", Duration.ofSeconds(7), null));
    HttpResponse<byte[]> busy = r.post("/v1/traces", PROTO, null, body);
    assertThat(busy.statusCode()).isEqualTo(503);
    assertThat(busy.headers().firstValue("Retry-After")).hasValue("7");
    assertThat(status(busy).getCode()).isEqualTo(14);

    r.consumer(Signal.TRACES).failWith(new RetryableException("backend down"));
    HttpResponse<byte[]> down = r.post("/v1/traces", PROTO, null, body);
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.headers().firstValue("Retry-After")).isEmpty();

    r.consumer(Signal.TRACES).failWith(new PermanentException("span names must not be empty"));
    HttpResponse<byte[]> bad = r.post("/v1/traces", PROTO, null, body);
    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(status(bad).getMessage()).contains("span names must not be empty");

    r.consumer(Signal.TRACES).failWith(new IllegalStateException("bug"));
    assertThat(r.post("/v1/traces", PROTO, null, body).statusCode()).isEqualTo(503);

    r.consumer(Signal.TRACES).answerWith(b -> {
      throw new IllegalStateException("thrown, not returned");
    });
    assertThat(r.post("/v1/traces", PROTO, null, body).statusCode()).isEqualTo(503);

    assertThat(r.count("sluice_receiver_refused_items", Signal.TRACES, "http") - refusedBefore).isEqualTo(4 * 7);
    r.consumer(Signal.TRACES).succeed();
    double acceptedBefore = r.count("sluice_receiver_accepted_items", Signal.TRACES, "http");
    assertThat(r.post("/v1/traces", PROTO, null, body).statusCode()).isEqualTo(200);
    assertThat(r.count("sluice_receiver_accepted_items", Signal.TRACES, "http") - acceptedBefore).isEqualTo(4);
  }

  @Test
  void connectionsAreSpreadOverTheEventLoops() {
    Set<String> threads = ConcurrentHashMap.newKeySet();
    r.consumer(Signal.TRACES).answerWith(b -> {
      threads.add(Thread.currentThread().getName());
      return Future.succeededFuture();
    });
    byte[] body = traces(1, 1).toByteArray();
    for (int i = 0; i < 8; i++) {
      // a new client is a new connection, and Vert.x hands connections to the servers in turn
      HttpClient fresh = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
      try {
        HttpResponse<byte[]> resp = fresh.send(HttpRequest.newBuilder(URI.create(r.httpUrl("/v1/traces")))
            .header("Content-Type", PROTO).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(),
            HttpResponse.BodyHandlers.ofByteArray());
        assertThat(resp.statusCode()).isEqualTo(200);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
    }
    assertThat(threads).allMatch(t -> t.startsWith("vert.x-eventloop-thread-")).hasSizeGreaterThan(1);
  }

  @Test
  void emptyRequestSucceedsWithoutReachingThePipeline() {
    assertThat(r.post("/v1/traces", PROTO, null, new byte[0]).statusCode()).isEqualTo(200);
    assertThat(r.post("/v1/metrics", JSON, null, "{}".getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(200);
    assertThat(r.post("/v1/logs", JSON, null, "{\"resourceLogs\":[{\"scopeLogs\":[{}]}]}"
        .getBytes(StandardCharsets.UTF_8)).statusCode()).isEqualTo(200);
    r.consumers.values().forEach(c -> assertThat(c.batches()).isEmpty());
  }

  @Test
  void answersOnlyOnceThePipelineHasSettled() {
    AtomicReference<Promise<Void>> pending = new AtomicReference<>();
    r.consumer(Signal.LOGS).answerWith(b -> {
      Promise<Void> p = Promise.promise();
      pending.set(p);
      return p.future();
    });
    ExportLogsServiceRequest logs = ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(TestData.resourceLogs("checkout", 3, 1)).build();
    CompletableFuture<HttpResponse<byte[]>> answer = r.http.sendAsync(
        HttpRequest.newBuilder(URI.create(r.httpUrl("/v1/logs")))
            .header("Content-Type", PROTO)
            .POST(HttpRequest.BodyPublishers.ofByteArray(logs.toByteArray())).build(),
        HttpResponse.BodyHandlers.ofByteArray());
    await().atMost(Duration.ofSeconds(10)).until(() -> pending.get() != null);
    // the batch is with the pipeline and not acknowledged: the client must still be waiting
    await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> !answer.isDone());
    pending.get().complete();
    assertThat(answer.join().statusCode()).isEqualTo(200);
  }

  @Test
  void signalWithoutPipelineAnswers404AndMetadataIsKeptWhenAsked() throws Exception {
    try (RunningReceiver only = RunningReceiver.start(new Signal[] {Signal.TRACES}, g -> g,
        h -> new OtlpReceiverConfig.Http(h.endpoint(), null, null, null, null, true, null))) {
      HttpResponse<byte[]> metrics = only.post("/v1/metrics", PROTO, null, new byte[0]);
      assertThat(metrics.statusCode()).isEqualTo(404);
      assertThat(status(metrics).getMessage()).contains("no metrics pipeline");

      HttpResponse<byte[]> ok = only.send(HttpRequest.newBuilder(URI.create(only.httpUrl("/v1/traces")))
          .header("Content-Type", PROTO)
          .header("X-Tenant", "team-a")
          .POST(HttpRequest.BodyPublishers.ofByteArray(traces(2, 5).toByteArray())).build());
      assertThat(ok.statusCode()).isEqualTo(200);
      Batch b = only.consumer(Signal.TRACES).batches().get(0);
      assertThat(b.envelope().metadata()).containsEntry("x-tenant", "team-a").containsEntry("content-type", PROTO);
      assertThat(b.envelope().receivedAtNanos()).isLessThanOrEqualTo(System.nanoTime());
    }
  }

  @Test
  void corsPreflightAndResponsesFollowTheConfiguredOrigins() {
    OtlpReceiverConfig.Cors cors = new OtlpReceiverConfig.Cors(List.of("https://*.example.com"),
        List.of("X-Custom"), 600);
    try (RunningReceiver c = RunningReceiver.start(Signal.values(), g -> g,
        h -> new OtlpReceiverConfig.Http(h.endpoint(), null, null, null, null, null, cors))) {
      HttpResponse<byte[]> pre = c.send(HttpRequest.newBuilder(URI.create(c.httpUrl("/v1/traces")))
          .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
          .header("Origin", "https://app.example.com")
          .header("Access-Control-Request-Method", "POST")
          .header("Access-Control-Request-Headers", "content-type, x-custom")
          .build());
      assertThat(pre.statusCode()).isEqualTo(204);
      assertThat(pre.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
      assertThat(pre.headers().firstValue("Access-Control-Allow-Methods")).hasValue("POST");
      assertThat(pre.headers().firstValue("Access-Control-Allow-Headers")).hasValue("content-type, x-custom");
      assertThat(pre.headers().firstValue("Access-Control-Max-Age")).hasValue("600");

      HttpResponse<byte[]> otherOrigin = c.send(HttpRequest.newBuilder(URI.create(c.httpUrl("/v1/traces")))
          .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
          .header("Origin", "https://evil.test")
          .header("Access-Control-Request-Method", "POST")
          .build());
      assertThat(otherOrigin.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();

      HttpResponse<byte[]> post = c.send(HttpRequest.newBuilder(URI.create(c.httpUrl("/v1/traces")))
          .header("Content-Type", PROTO)
          .header("Origin", "https://app.example.com")
          .POST(HttpRequest.BodyPublishers.ofByteArray(traces(1, 1).toByteArray())).build());
      assertThat(post.statusCode()).isEqualTo(200);
      assertThat(post.headers().firstValue("Access-Control-Allow-Origin")).hasValue("https://app.example.com");
    }
    // without CORS an OPTIONS request is just a method that is not allowed
    HttpResponse<byte[]> noCors = r.send(HttpRequest.newBuilder(URI.create(r.httpUrl("/v1/traces")))
        .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
        .header("Origin", "https://app.example.com")
        .header("Access-Control-Request-Method", "POST")
        .build());
    assertThat(noCors.statusCode()).isEqualTo(405);
  }
}
