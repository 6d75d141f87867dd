package io.sluice.exporter.jaeger;

import static io.sluice.exporter.jaeger.JaegerEncoderTest.id;
import static io.sluice.exporter.jaeger.JaegerEncoderTest.integer;
import static io.sluice.exporter.jaeger.JaegerEncoderTest.kv;
import static io.sluice.exporter.jaeger.JaegerEncoderTest.str;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.ComponentKind;
import io.sluice.core.Envelope;
import io.sluice.core.Exporter;
import io.sluice.core.Signal;
import io.sluice.core.exporterhelper.QueueSettings;
import io.sluice.core.exporterhelper.RetrySettings;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.testkit.JaegerServer;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.core.testkit.TestVertx;
import io.sluice.core.tls.TlsClientSettings;
import io.sluice.exporter.otlp.OtlpExporterConfig.Keepalive;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The exporter against a real Jaeger (v1.75.0, in-memory storage) on its {@code api_v2} gRPC
 * collector port: every trace sent is read back through the query API
 * ({@code /api/traces/{id}}) and compared field by field with the OTLP spans it came from.
 */
class JaegerExporterIT {
  private static JaegerServer jaeger;

  @BeforeAll
  static void startJaeger() throws Exception {
    JaegerExporterTest.warmUp();
    jaeger = JaegerServer.start();
  }

  @AfterAll
  static void stopJaeger() {
    if (jaeger != null) {
      jaeger.close();
    }
  }

  @Test
  void everyTraceSentIsReadBackFieldByField() throws Exception {
    long t0 = System.currentTimeMillis() * 1_000_000L - Duration.ofMinutes(2).toNanos();
    Fixture f = new Fixture(t0);
    SelfMetrics metrics = new SelfMetrics();
    try (TestVertx tv = TestVertx.create()) {
      JaegerExporterConfig config = new JaegerExporterConfig(jaeger.collectorEndpoint(),
          new TlsClientSettings(true, false, "", "", ""), "gzip", Map.of(), Duration.ofSeconds(10), "pick_first",
          new QueueSettings(true, 2, 100), RetrySettings.defaults(), JaegerExporterConfig.DEFAULT_MAX_REQUEST_SIZE,
          Keepalive.off(), false, 0, 0, null);
      Exporter e = new JaegerExporterFactory().create(TestContexts.context(tv.vertx(), ComponentKind.EXPORTER,
          "jaeger/it", metrics), config);
      e.start().await(30, TimeUnit.SECONDS);
      // One batch as a receiver hands it on (encoded), one as a processor does (parsed).
      e.consume(encoded(f.first)).await(10, TimeUnit.SECONDS);
      e.consume(Batch.traces(f.second, Envelope.of(ComponentId.of("test")))).await(10, TimeUnit.SECONDS);

      for (Map.Entry<String, List<Expected>> trace : f.byTrace().entrySet()) {
        JsonNode t = await().atMost(Duration.ofSeconds(30)).until(() -> jaeger.trace(trace.getKey()),
            n -> n != null && n.path("spans").size() == trace.getValue().size());
        for (Expected x : trace.getValue()) {
          assertSpan(t, x);
        }
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> SelfMetricsReader.counter(metrics,
          "sluice_exporter_sent_items", "component_id", "jaeger/it", "signal", "traces") == f.spanCount());
      e.shutdown().await(30, TimeUnit.SECONDS);
    }
  }

  private static Batch encoded(List<ResourceSpans> resources) throws Exception {
    byte[] request = ExportTraceServiceRequest.newBuilder().addAllResourceSpans(resources).build().toByteArray();
    return Batch.encoded(EncodedResources.scanRequest(Signal.TRACES, request, 0, request.length),
        Envelope.of(ComponentId.of("test")));
  }

  /** One span as sent, with the resource and scope it was sent under. */
  record Expected(Resource resource, InstrumentationScope scope, Span span) {}

  /**
   * Compares one span as Jaeger's query API returns it with the OTLP span it came from. Jaeger
   * sorts tags and log fields, so they are compared as maps of key to type and value. Its times
   * are in microseconds. Span flags are not compared here: Jaeger 1.75's receiver does not carry
   * them into its storage model, so its query API never shows them (the unit tests decode them).
   */
  private static void assertSpan(JsonNode trace, Expected x) {
    Span s = x.span();
    String spanId = hex(s.getSpanId());
    JsonNode j = null;
    for (JsonNode n : trace.path("spans")) {
      if (n.path("spanID").asText().equals(spanId)) {
        j = n;
      }
    }
    assertThat(j).as("span %s in Jaeger", spanId).isNotNull();
    String what = "span '" + s.getName() + "'";
    assertThat(j.path("traceID").asText()).as(what).isEqualTo(hex(s.getTraceId()));
    assertThat(j.path("operationName").asText()).as(what).isEqualTo(s.getName());
    assertThat(j.path("startTime").asLong()).as(what).isEqualTo(s.getStartTimeUnixNano() / 1000);
    assertThat(j.path("duration").asLong()).as(what)
        .isEqualTo((s.getEndTimeUnixNano() - s.getStartTimeUnixNano()) / 1000);
    assertThat(j.path("warnings").isNull() || j.path("warnings").isEmpty()).as(what + " warnings: " + j)
        .isTrue();

    List<String> refs = new ArrayList<>();
    j.path("references").forEach(r -> refs.add(r.path("refType").asText() + " " + r.path("traceID").asText() + "/"
        + r.path("spanID").asText()));
    assertThat(refs).as(what + " references").containsExactlyElementsOf(expectedReferences(s));

    assertThat(keyValues(j.path("tags"))).as(what + " tags").isEqualTo(expectedTags(x));

    List<Span.Event> events = s.getEventsList();
    assertThat(j.path("logs")).as(what + " logs").hasSize(events.size());
    for (int i = 0; i < events.size(); i++) {
      Span.Event e = events.get(i);
      JsonNode log = j.path("logs").get(i);
      assertThat(log.path("timestamp").asLong()).isEqualTo(e.getTimeUnixNano() / 1000);
      Map<String, String> fields = new TreeMap<>();
      fields.put("event", "string:" + e.getName());
      e.getAttributesList().forEach(kv -> fields.put(kv.getKey(), typed(kv.getValue())));
      assertThat(keyValues(log.path("fields"))).as(what + " log " + i).isEqualTo(fields);
    }

    JsonNode process = trace.path("processes").path(j.path("processID").asText());
    Map<String, String> processTags = new TreeMap<>();
    String service = null;
    for (KeyValue kv : x.resource().getAttributesList()) {
      if (kv.getKey().equals("service.name")) {
        service = kv.getValue().getStringValue();
      } else {
        processTags.put(kv.getKey(), typed(kv.getValue()));
      }
    }
    assertThat(process.path("serviceName").asText()).as(what + " service").isEqualTo(service);
    assertThat(keyValues(process.path("tags"))).as(what + " process tags").isEqualTo(processTags);
  }

  /** The parent as CHILD_OF first, then the links (CHILD_OF where the link says so). */
  private static List<String> expectedReferences(Span s) {
    List<String> out = new ArrayList<>();
    if (!s.getParentSpanId().isEmpty()) {
      out.add("CHILD_OF " + hex(s.getTraceId()) + "/" + hex(s.getParentSpanId()));
    }
    for (Span.Link l : s.getLinksList()) {
      boolean childOf = l.getAttributesList().stream().anyMatch(kv -> kv.getKey().equals("opentracing.ref_type")
          && kv.getValue().getStringValue().equals("child_of"));
      out.add((childOf ? "CHILD_OF " : "FOLLOWS_FROM ") + hex(l.getTraceId()) + "/" + hex(l.getSpanId()));
    }
    return out;
  }

  /** The tags the OpenTelemetry mapping gives a span, as key to "type:value". */
  private static Map<String, String> expectedTags(Expected x) {
    Span s = x.span();
    Map<String, String> out = new TreeMap<>();
    if (!x.scope().getName().isEmpty()) {
      out.put("otel.scope.name", "string:" + x.scope().getName());
    }
    if (!x.scope().getVersion().isEmpty()) {
      out.put("otel.scope.version", "string:" + x.scope().getVersion());
    }
    s.getAttributesList().forEach(kv -> out.put(kv.getKey(), typed(kv.getValue())));
    switch (s.getKind()) {
      case SPAN_KIND_SERVER -> out.put("span.kind", "string:server");
      case SPAN_KIND_CLIENT -> out.put("span.kind", "string:client");
      case SPAN_KIND_PRODUCER -> out.put("span.kind", "string:producer");
      case SPAN_KIND_CONSUMER -> out.put("span.kind", "string:consumer");
      case SPAN_KIND_INTERNAL -> out.put("span.kind", "string:internal");
      default -> { }
    }
    if (s.getStatus().getCode() == Status.StatusCode.STATUS_CODE_ERROR) {
      out.put("otel.status_code", "string:ERROR");
      out.put("error", "bool:true");
    } else if (s.getStatus().getCode() == Status.StatusCode.STATUS_CODE_OK) {
      out.put("otel.status_code", "string:OK");
    }
    if (!s.getStatus().getMessage().isEmpty()) {
      out.put("otel.status_description", "string:" + s.getStatus().getMessage());
    }
    if (!s.getTraceState().isEmpty()) {
      out.put("w3c.tracestate", "string:" + s.getTraceState());
    }
    if (s.getDroppedAttributesCount() > 0) {
      out.put("otel.dropped_attributes_count", "int64:" + s.getDroppedAttributesCount());
    }
    if (s.getDroppedEventsCount() > 0) {
      out.put("otel.dropped_events_count", "int64:" + s.getDroppedEventsCount());
    }
    if (s.getDroppedLinksCount() > 0) {
      out.put("otel.dropped_links_count", "int64:" + s.getDroppedLinksCount());
    }
    return out;
  }

  /** An OTLP value as Jaeger's query API shows it: its Jaeger type and its JSON value. */
  private static String typed(AnyValue v) {
    return switch (v.getValueCase()) {
      case STRING_VALUE -> "string:" + v.getStringValue();
      case BOOL_VALUE -> "bool:" + v.getBoolValue();
      case INT_VALUE -> "int64:" + v.getIntValue();
      case DOUBLE_VALUE -> "float64:" + v.getDoubleValue();
      case BYTES_VALUE -> "binary:" + Base64.getEncoder().encodeToString(v.getBytesValue().toByteArray());
      case ARRAY_VALUE -> "string:" + arrayJson(v.getArrayValue());
      default -> throw new IllegalArgumentException("the fixture has no " + v.getValueCase());
    };
  }

  /** The fixture's arrays hold strings: ["a","b"]. */
  private static String arrayJson(ArrayValue a) {
    List<String> parts = new ArrayList<>();
    a.getValuesList().forEach(v -> parts.add("\"" + v.getStringValue() + "\""));
    return "[" + String.join(",", parts) + "]";
  }

  /** Jaeger's key-value list as key to "type:value". */
  private static Map<String, String> keyValues(JsonNode list) {
    Map<String, String> out = new TreeMap<>();
    list.forEach(kv -> out.put(kv.path("key").asText(), kv.path("type").asText() + ":" + kv.path("value").asText()));
    return out;
  }

  static String hex(ByteString id) {
    return HexFormat.of().formatHex(id.toByteArray());
  }

  /**
   * Traces that use every part of the mapping: two services (one sent as two resource messages),
   * attributes of every type, every kind and status, events, links, trace state, dropped counts,
   * scopes with and without a version.
   */
  static final class Fixture {
    final List<ResourceSpans> first = new ArrayList<>();
    final List<ResourceSpans> second = new ArrayList<>();
    private final List<Expected> all = new ArrayList<>();

    Fixture(long t0) {
      String run = Long.toHexString(System.nanoTime());
      Resource checkout = Resource.newBuilder()
          .addAttributes(str("service.name", "checkout-" + run))
          .addAttributes(str("host.name", "node-7"))
          .addAttributes(integer("process.pid", 4242))
          .addAttributes(kv("deployment.canary", AnyValue.newBuilder().setBoolValue(true).build()))
          .addAttributes(kv("cpu.quota", AnyValue.newBuilder().setDoubleValue(1.5).build()))
          .build();
      Resource payments = Resource.newBuilder().addAttributes(str("service.name", "payments-" + run)).build();
      InstrumentationScope http = InstrumentationScope.newBuilder().setName("io.opentelemetry.netty-4.1")
          .setVersion("2.9.0").build();
      InstrumentationScope jdbc = InstrumentationScope.newBuilder().setName("io.opentelemetry.jdbc").build();

      ByteString t1 = traceId(1);
      ByteString t2 = traceId(2);
      Span root = Span.newBuilder().setTraceId(t1).setSpanId(spanId(1)).setName("POST /checkout")
          .setKind(Span.SpanKind.SPAN_KIND_SERVER).setFlags(0x101)
          .setStartTimeUnixNano(t0).setEndTimeUnixNano(t0 + 250_000_000L)
          .setTraceState("vendor=abc,ot=th:8")
          .addAttributes(str("http.request.method", "POST"))
          .addAttributes(integer("http.response.status_code", 502))
          .addAttributes(kv("http.retry", AnyValue.newBuilder().setBoolValue(false).build()))
          .addAttributes(kv("load", AnyValue.newBuilder().setDoubleValue(0.75).build()))
          .addAttributes(kv("request.digest", AnyValue.newBuilder()
              .setBytesValue(ByteString.copyFrom(new byte[] {(byte) 0xde, (byte) 0xad, 0x01})).build()))
          .addAttributes(kv("cart.items", AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
              .addValues(AnyValue.newBuilder().setStringValue("sku-1"))
              .addValues(AnyValue.newBuilder().setStringValue("sku-2"))).build()))
          .addEvents(Span.Event.newBuilder().setName("cart.loaded").setTimeUnixNano(t0 + 10_000_000L)
              .addAttributes(integer("cart.size", 2)))
          .addEvents(Span.Event.newBuilder().setName("exception").setTimeUnixNano(t0 + 200_000_000L)
              .addAttributes(str("exception.type", "java.net.ConnectException"))
              .addAttributes(str("exception.message", "payments refused the connection")))
          .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR)
              .setMessage("payment failed"))
          .build();
      Span query = Span.newBuilder().setTraceId(t1).setSpanId(spanId(2)).setParentSpanId(spanId(1))
          .setName("SELECT cart").setKind(Span.SpanKind.SPAN_KIND_CLIENT).setFlags(0x1)
          .setStartTimeUnixNano(t0 + 5_000_000L).setEndTimeUnixNano(t0 + 9_500_000L)
          .addAttributes(str("db.system", "postgresql"))
          .setDroppedAttributesCount(4).setDroppedEventsCount(1).setDroppedLinksCount(2)
          .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK))
          .build();
      Span internal = Span.newBuilder().setTraceId(t1).setSpanId(spanId(3)).setParentSpanId(spanId(1))
          .setName("price cart").setKind(Span.SpanKind.SPAN_KIND_INTERNAL).setFlags(0x1)
          .setStartTimeUnixNano(t0 + 10_000_000L).setEndTimeUnixNano(t0 + 12_000_001L)
          .addLinks(Span.Link.newBuilder().setTraceId(t2).setSpanId(spanId(4)))
          .build();
      Span charge = Span.newBuilder().setTraceId(t1).setSpanId(spanId(5)).setParentSpanId(spanId(1))
          .setName("charge").setKind(Span.SpanKind.SPAN_KIND_SERVER).setFlags(0x1)
          .setStartTimeUnixNano(t0 + 20_000_000L).setEndTimeUnixNano(t0 + 190_000_000L)
          .addAttributes(str("payment.provider", "acme"))
          .build();
      Span produce = Span.newBuilder().setTraceId(t2).setSpanId(spanId(4)).setName("orders publish")
          .setKind(Span.SpanKind.SPAN_KIND_PRODUCER).setFlags(0x1)
          .setStartTimeUnixNano(t0 + 1_000_000L).setEndTimeUnixNano(t0 + 3_000_000L)
          .build();
      Span consume = Span.newBuilder().setTraceId(t2).setSpanId(spanId(6)).setParentSpanId(spanId(4))
          .setName("orders process").setKind(Span.SpanKind.SPAN_KIND_CONSUMER).setFlags(0x1)
          .setStartTimeUnixNano(t0 + 2_000_000L).setEndTimeUnixNano(t0 + 2_900_000L)
          .addLinks(Span.Link.newBuilder().setTraceId(t1).setSpanId(spanId(1))
              .addAttributes(str("opentracing.ref_type", "child_of")))
          .build();

      first.add(add(checkout, http, root, internal));
      first.add(add(payments, http, charge));
      first.add(add(checkout, jdbc, query));
      second.add(add(checkout, http, produce));
      second.add(add(payments, jdbc, consume));
    }

    private ResourceSpans add(Resource r, InstrumentationScope scope, Span... spans) {
      for (Span s : spans) {
        all.add(new Expected(r, scope, s));
      }
      return ResourceSpans.newBuilder().setResource(r)
          .addScopeSpans(ScopeSpans.newBuilder().setScope(scope).addAllSpans(List.of(spans))).build();
    }

    Map<String, List<Expected>> byTrace() {
      Map<String, List<Expected>> out = new LinkedHashMap<>();
      for (Expected x : all) {
        out.computeIfAbsent(hex(x.span().getTraceId()), k -> new ArrayList<>()).add(x);
      }
      return out;
    }

    int spanCount() {
      return all.size();
    }

    private static ByteString traceId(int n) {
      byte[] b = new byte[16];
      new java.util.Random(System.nanoTime()).nextBytes(b);
      b[15] = (byte) n;
      return ByteString.copyFrom(b);
    }

    private static ByteString spanId(int n) {
      return id(String.format("a1b2c3d4e5f6%04x", n));
    }
  }

}
