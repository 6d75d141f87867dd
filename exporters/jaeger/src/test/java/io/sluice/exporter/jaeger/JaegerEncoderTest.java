package io.sluice.exporter.jaeger;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.jaegertracing.api_v2.Model;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** The OTLP → Jaeger translation, decoded with the published Jaeger model classes. */
class JaegerEncoderTest {
  static final ByteString TRACE = id("0af7651916cd43dd8448eb211c80319c");
  static final ByteString SPAN = id("b7ad6b7169203331");
  static final ByteString PARENT = id("00f067aa0ba902b7");
  static final ByteString OTHER_TRACE = id("4bf92f3577b34da6a3ce929d0e0e4736");
  static final ByteString OTHER_SPAN = id("1111111111111111");

  static ByteString id(String hex) {
    return ByteString.copyFrom(HexFormat.of().parseHex(hex));
  }

  static KeyValue kv(String key, AnyValue v) {
    return KeyValue.newBuilder().setKey(key).setValue(v).build();
  }

  static KeyValue str(String key, String v) {
    return kv(key, AnyValue.newBuilder().setStringValue(v).build());
  }

  static KeyValue integer(String key, long v) {
    return kv(key, AnyValue.newBuilder().setIntValue(v).build());
  }

  static ResourceSpans resourceSpans(Resource r, InstrumentationScope scope, Span... spans) {
    return ResourceSpans.newBuilder().setResource(r)
        .addScopeSpans(ScopeSpans.newBuilder().setScope(scope).addAllSpans(List.of(spans))).build();
  }

  static Resource resource(KeyValue... attributes) {
    return Resource.newBuilder().addAllAttributes(List.of(attributes)).build();
  }

  static Span.Builder span() {
    return Span.newBuilder().setTraceId(TRACE).setSpanId(SPAN).setName("GET /users/{id}")
        .setStartTimeUnixNano(1_700_000_000_123_456_789L).setEndTimeUnixNano(1_700_000_001_623_456_790L);
  }

  private static Model.Batch encode(ResourceSpans... resources) {
    JaegerEncoder.Encoded e = new JaegerEncoder().encode(List.of(resources));
    return PostSpansRequests.batch(e.bytes());
  }

  private static Model.Span onlySpan(Span s) {
    Model.Batch b = encode(resourceSpans(resource(str("service.name", "api")),
        InstrumentationScope.getDefaultInstance(), s));
    assertThat(b.getSpansList()).hasSize(1);
    return b.getSpans(0);
  }

  /** Tags as "key=TYPE:value" strings, in order. */
  private static List<String> tags(List<Model.KeyValue> kvs) {
    return kvs.stream().map(JaegerEncoderTest::tag).collect(Collectors.toList());
  }

  private static String tag(Model.KeyValue kv) {
    String v = switch (kv.getVType()) {
      case STRING -> kv.getVStr();
      case BOOL -> Boolean.toString(kv.getVBool());
      case INT64 -> Long.toString(kv.getVInt64());
      case FLOAT64 -> Double.toString(kv.getVFloat64());
      case BINARY -> HexFormat.of().formatHex(kv.getVBinary().toByteArray());
      case UNRECOGNIZED -> "?";
    };
    return kv.getKey() + "=" + kv.getVType() + ":" + v;
  }

  @Test
  void theResourceIsTheProcessWithServiceNameAndTypedTags() {
    AnyValue bytes = AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(new byte[] {1, 2, (byte) 0xff})).build();
    AnyValue array = AnyValue.newBuilder().setArrayValue(ArrayValue.newBuilder()
        .addValues(AnyValue.newBuilder().setStringValue("a")).addValues(AnyValue.newBuilder().setIntValue(2))).build();
    AnyValue map = AnyValue.newBuilder().setKvlistValue(KeyValueList.newBuilder()
        .addValues(str("zone", "b")).addValues(integer("rack", 7))).build();
    Resource r = resource(str("host.name", "node-1"), str("service.name", "checkout"), integer("process.pid", 4242),
        kv("debug", AnyValue.newBuilder().setBoolValue(true).build()),
        kv("cpu.share", AnyValue.newBuilder().setDoubleValue(0.25).build()), kv("fingerprint", bytes),
        kv("tags", array), kv("placement", map), kv("empty", AnyValue.getDefaultInstance()));

    Model.Batch b = encode(resourceSpans(r, InstrumentationScope.getDefaultInstance(), span().build()));

    assertThat(b.getProcess().getServiceName()).isEqualTo("checkout");
    assertThat(tags(b.getProcess().getTagsList())).containsExactly(
        "host.name=STRING:node-1",
        "process.pid=INT64:4242",
        "debug=BOOL:true",
        "cpu.share=FLOAT64:0.25",
        "fingerprint=BINARY:0102ff",
        "tags=STRING:[\"a\",2]",
        "placement=STRING:{\"rack\":7,\"zone\":\"b\"}",
        "empty=STRING:");
    // The process goes with the batch; spans of the batch's own resource carry none.
    assertThat(b.getSpans(0).hasProcess()).isFalse();
  }

  @Test
  void aResourceWithoutServiceNameGetsThePlaceholderService() {
    Model.Batch none = encode(resourceSpans(Resource.getDefaultInstance(), InstrumentationScope.getDefaultInstance(),
        span().build()));
    Model.Batch other = encode(resourceSpans(resource(str("host.name", "h")), InstrumentationScope.getDefaultInstance(),
        span().build()));

    assertThat(none.getProcess().getServiceName()).isEqualTo("OTLPResourceNoServiceName");
    assertThat(none.getProcess().getTagsList()).isEmpty();
    assertThat(other.getProcess().getServiceName()).isEqualTo("OTLPResourceNoServiceName");
    assertThat(tags(other.getProcess().getTagsList())).containsExactly("host.name=STRING:h");
  }

  @Test
  void idsNameTimesAndFlagsCarryOver() {
    Model.Span s = onlySpan(span().setFlags(0x301).build());

    assertThat(s.getTraceId()).isEqualTo(TRACE);
    assertThat(s.getSpanId()).isEqualTo(SPAN);
    assertThat(s.getOperationName()).isEqualTo("GET /users/{id}");
    assertThat(s.getStartTime().getSeconds()).isEqualTo(1_700_000_000L);
    assertThat(s.getStartTime().getNanos()).isEqualTo(123_456_789);
    assertThat(s.getDuration().getSeconds()).isEqualTo(1);
    assertThat(s.getDuration().getNanos()).isEqualTo(500_000_001);
    // Only the W3C sampled bit maps; the is-remote bits do not.
    assertThat(s.getFlags()).isEqualTo(1);
    assertThat(onlySpan(span().setFlags(0x100).build()).getFlags()).isZero();
    assertThat(s.getReferencesList()).isEmpty();
    assertThat(s.getLogsList()).isEmpty();
  }

  @Test
  void anEndBeforeTheStartIsAZeroDuration() {
    Model.Span s = onlySpan(span().setEndTimeUnixNano(1_600_000_000_000_000_000L).build());

    assertThat(s.getDuration().getSeconds()).isZero();
    assertThat(s.getDuration().getNanos()).isZero();
  }

  @Test
  void theParentIsTheFirstChildOfReferenceAndLinksFollowFrom() {
    Span s = span().setParentSpanId(PARENT)
        .addLinks(Span.Link.newBuilder().setTraceId(OTHER_TRACE).setSpanId(OTHER_SPAN)
            .addAttributes(str("link.reason", "batch")))
        .addLinks(Span.Link.newBuilder().setTraceId(TRACE).setSpanId(id("2222222222222222"))
            .addAttributes(str("opentracing.ref_type", "child_of")))
        .build();

    Model.Span j = onlySpan(s);

    assertThat(j.getReferencesList()).extracting(Model.SpanRef::getTraceId, Model.SpanRef::getSpanId,
        Model.SpanRef::getRefType).containsExactly(
            org.assertj.core.groups.Tuple.tuple(TRACE, PARENT, Model.SpanRefType.CHILD_OF),
            org.assertj.core.groups.Tuple.tuple(OTHER_TRACE, OTHER_SPAN, Model.SpanRefType.FOLLOWS_FROM),
            org.assertj.core.groups.Tuple.tuple(TRACE, id("2222222222222222"), Model.SpanRefType.CHILD_OF));
  }

  @Test
  void aLinkToTheParentOnlySetsTheFirstReferencesType() {
    Span s = span().setParentSpanId(PARENT)
        .addLinks(Span.Link.newBuilder().setTraceId(TRACE).setSpanId(PARENT)
            .addAttributes(str("opentracing.ref_type", "follows_from")))
        .build();

    Model.Span j = onlySpan(s);

    assertThat(j.getReferencesList()).hasSize(1);
    assertThat(j.getReferences(0).getSpanId()).isEqualTo(PARENT);
    assertThat(j.getReferences(0).getRefType()).isEqualTo(Model.SpanRefType.FOLLOWS_FROM);
  }

  @Test
  void anAllZeroParentIsNoParentAndLinksWithBadIdsAreLeftOut() {
    Span s = span().setParentSpanId(ByteString.copyFrom(new byte[8]))
        .addLinks(Span.Link.newBuilder().setTraceId(id("abcd")).setSpanId(OTHER_SPAN))
        .addLinks(Span.Link.newBuilder().setTraceId(OTHER_TRACE).setSpanId(OTHER_SPAN))
        .build();

    Model.Span j = onlySpan(s);

    assertThat(j.getReferencesList()).hasSize(1);
    assertThat(j.getReferences(0).getTraceId()).isEqualTo(OTHER_TRACE);
    assertThat(j.getReferences(0).getRefType()).isEqualTo(Model.SpanRefType.FOLLOWS_FROM);
  }

  @Test
  void tagsComeFromScopeAttributesKindStatusTraceStateAndDroppedCounts() {
    Span s = span()
        .addAttributes(str("http.method", "GET"))
        .addAttributes(integer("http.status_code", 503))
        .addAttributes(kv("retry", AnyValue.newBuilder().setBoolValue(false).build()))
        .addAttributes(kv("ratio", AnyValue.newBuilder().setDoubleValue(-1.5).build()))
        .addAttributes(integer("negative", -7))
        .setKind(Span.SpanKind.SPAN_KIND_SERVER)
        .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("upstream down"))
        .setTraceState("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE")
        .setDroppedAttributesCount(3).setDroppedEventsCount(2).setDroppedLinksCount(1)
        .build();
    InstrumentationScope scope = InstrumentationScope.newBuilder().setName("io.opentelemetry.okhttp")
        .setVersion("1.2.3").build();

    Model.Span j = encode(resourceSpans(resource(str("service.name", "api")), scope, s)).getSpans(0);

    assertThat(tags(j.getTagsList())).containsExactly(
        "otel.scope.name=STRING:io.opentelemetry.okhttp",
        "otel.scope.version=STRING:1.2.3",
        "http.method=STRING:GET",
        "http.status_code=INT64:503",
        "retry=BOOL:false",
        "ratio=FLOAT64:-1.5",
        "negative=INT64:-7",
        "span.kind=STRING:server",
        "otel.status_code=STRING:ERROR",
        "error=BOOL:true",
        "otel.status_description=STRING:upstream down",
        "w3c.tracestate=STRING:rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
        "otel.dropped_attributes_count=INT64:3",
        "otel.dropped_events_count=INT64:2",
        "otel.dropped_links_count=INT64:1");
  }

  @ParameterizedTest
  @CsvSource({"SPAN_KIND_CLIENT, client", "SPAN_KIND_SERVER, server", "SPAN_KIND_PRODUCER, producer",
      "SPAN_KIND_CONSUMER, consumer", "SPAN_KIND_INTERNAL, internal"})
  void eachSpanKindIsASpanKindTag(Span.SpanKind kind, String tag) {
    assertThat(tags(onlySpan(span().setKind(kind).build()).getTagsList())).containsExactly("span.kind=STRING:" + tag);
  }

  @Test
  void anUnspecifiedKindAndAnUnsetStatusWriteNoTags() {
    assertThat(onlySpan(span().build()).getTagsList()).isEmpty();
  }

  @Test
  void anOkStatusIsOnlyTheStatusCodeTag() {
    Model.Span j = onlySpan(span().setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK)).build());

    assertThat(tags(j.getTagsList())).containsExactly("otel.status_code=STRING:OK");
  }

  @Test
  void eventsBecomeLogsWithTheNameAsTheEventField() {
    Span s = span()
        .addEvents(Span.Event.newBuilder().setTimeUnixNano(1_700_000_000_500_000_000L).setName("exception")
            .addAttributes(str("exception.type", "java.io.IOException"))
            .addAttributes(integer("attempt", 2)))
        .addEvents(Span.Event.newBuilder().setTimeUnixNano(1_700_000_000_600_000_000L).setName("ignored name")
            .addAttributes(str("event", "cache.miss")))
        .addEvents(Span.Event.newBuilder().setTimeUnixNano(1_700_000_000_700_000_001L))
        .build();

    Model.Span j = onlySpan(s);

    assertThat(j.getLogsList()).hasSize(3);
    assertThat(j.getLogs(0).getTimestamp().getSeconds()).isEqualTo(1_700_000_000L);
    assertThat(j.getLogs(0).getTimestamp().getNanos()).isEqualTo(500_000_000);
    assertThat(tags(j.getLogs(0).getFieldsList())).containsExactly("event=STRING:exception",
        "exception.type=STRING:java.io.IOException", "attempt=INT64:2");
    assertThat(tags(j.getLogs(1).getFieldsList())).containsExactly("event=STRING:cache.miss");
    assertThat(j.getLogs(2).getTimestamp().getNanos()).isEqualTo(700_000_001);
    assertThat(j.getLogs(2).getFieldsList()).isEmpty();
  }

  @Test
  void spansOfAnotherResourceInTheSameRequestCarryTheirOwnProcess() {
    Resource api = resource(str("service.name", "api"), str("host.name", "a"));
    Resource db = resource(str("service.name", "db"));
    Span first = span().build();
    Span second = span().setSpanId(OTHER_SPAN).build();
    Span third = span().setSpanId(id("3333333333333333")).build();

    Model.Batch b = encode(resourceSpans(api, InstrumentationScope.getDefaultInstance(), first),
        resourceSpans(db, InstrumentationScope.getDefaultInstance(), second),
        resourceSpans(api, InstrumentationScope.getDefaultInstance(), third));

    assertThat(b.getProcess().getServiceName()).isEqualTo("api");
    assertThat(b.getSpansList()).extracting(Model.Span::getSpanId).containsExactly(SPAN, OTHER_SPAN,
        id("3333333333333333"));
    assertThat(b.getSpans(0).hasProcess()).isFalse();
    assertThat(b.getSpans(1).getProcess().getServiceName()).isEqualTo("db");
    assertThat(b.getSpans(2).hasProcess()).isFalse();
  }

  @Test
  void spansWithIdsOfTheWrongLengthAreLeftOutAndCounted() {
    Span good = span().build();
    Span shortTrace = span().setTraceId(id("0af7651916cd43dd")).build();
    Span noSpanId = span().setSpanId(ByteString.EMPTY).build();
    Span longParent = span().setParentSpanId(TRACE).build();

    JaegerEncoder.Encoded e = new JaegerEncoder().encode(List.of(resourceSpans(resource(str("service.name", "api")),
        InstrumentationScope.getDefaultInstance(), good, shortTrace, noSpanId, longParent)));

    assertThat(e.spans()).isEqualTo(1);
    assertThat(e.invalidSpans()).isEqualTo(3);
    assertThat(PostSpansRequests.batch(e.bytes()).getSpansList()).hasSize(1);
  }

  @Test
  void resourcesWithoutSpansMakeAnEmptyRequest() {
    JaegerEncoder.Encoded e = new JaegerEncoder().encode(List.of(ResourceSpans.newBuilder()
        .setResource(resource(str("service.name", "api"))).build()));

    assertThat(e.spans()).isZero();
    assertThat(e.bytes()).isEmpty();
  }

  @Test
  void oneEncoderServesRequestsOfAnySizeInTurn() {
    JaegerEncoder encoder = new JaegerEncoder();
    Span.Builder big = span();
    for (int i = 0; i < 2000; i++) {
      big.addAttributes(str("k" + i, "v" + i));
      big.addEvents(Span.Event.newBuilder().setName("e" + i).addAttributes(integer("i", i)));
    }
    ResourceSpans large = resourceSpans(resource(str("service.name", "big")), InstrumentationScope.getDefaultInstance(),
        big.build(), span().build());
    ResourceSpans small = resourceSpans(resource(str("service.name", "small")),
        InstrumentationScope.getDefaultInstance(), span().build());

    Model.Batch first = PostSpansRequests.batch(encoder.encode(List.of(large)).bytes());
    Model.Batch second = PostSpansRequests.batch(encoder.encode(List.of(small)).bytes());

    assertThat(first.getSpans(0).getTagsCount()).isEqualTo(2000);
    assertThat(first.getSpans(0).getLogsCount()).isEqualTo(2000);
    assertThat(first.getSpans(0).getLogs(1999).getFieldsList()).extracting(Model.KeyValue::getVInt64)
        .containsExactly(0L, 1999L);
    assertThat(first.getSpansList()).hasSize(2);
    assertThat(second.getProcess().getServiceName()).isEqualTo("small");
    assertThat(second.getSpansList()).hasSize(1);
  }

  // The OTLP bytes as encoders other than protobuf-java may write them.

  /** A ResourceSpans message of the given resource, scope and span bytes, in the order given. */
  private static byte[] resourceSpansBytes(ByteString resource, ByteString scopeSpans, boolean resourceLast)
      throws java.io.IOException {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(bytes);
    if (!resourceLast) {
      out.writeBytes(1, resource);
    }
    out.writeBytes(2, scopeSpans);
    if (resourceLast) {
      out.writeBytes(1, resource);
    }
    out.flush();
    return bytes.toByteArray();
  }

  private static Model.Batch encodeBytes(byte[]... resourceSpans) throws Exception {
    java.io.ByteArrayOutputStream request = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(request);
    for (byte[] rs : resourceSpans) {
      out.writeByteArray(1, rs);
    }
    out.flush();
    byte[] r = request.toByteArray();
    JaegerEncoder.Encoded e = new JaegerEncoder().encode(io.sluice.core.otlp.EncodedResources.scanRequest(
        io.sluice.core.Signal.TRACES, r, 0, r.length));
    return PostSpansRequests.batch(e.bytes());
  }

  @Test
  void readsFieldsInAnyOrderAndSkipsUnknownOnes() throws Exception {
    Span attributesAndIds = span().addAttributes(str("first", "1")).build();
    Span events = Span.newBuilder().addEvents(Span.Event.newBuilder().setName("e").setTimeUnixNano(7)
        .addAttributes(integer("n", 1))).build();
    Span more = Span.newBuilder().addAttributes(str("second", "2")).setParentSpanId(PARENT)
        .setUnknownFields(com.google.protobuf.UnknownFieldSet.newBuilder()
            .addField(99, com.google.protobuf.UnknownFieldSet.Field.newBuilder().addVarint(5).build())
            .addField(98, com.google.protobuf.UnknownFieldSet.Field.newBuilder()
                .addLengthDelimited(ByteString.copyFromUtf8("x")).build()).build())
        .build();
    // Events before some attributes, the parent last: one span, as a parser would merge it.
    ByteString spanBytes = events.toByteString().concat(attributesAndIds.toByteString()).concat(more.toByteString());
    ByteString scope = InstrumentationScope.newBuilder().setName("late.scope").build().toByteString();
    java.io.ByteArrayOutputStream ss = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(ss);
    out.writeBytes(2, spanBytes);
    out.writeBytes(1, scope); // the scope after its spans
    out.flush();

    Model.Batch b = encodeBytes(resourceSpansBytes(resource(str("service.name", "api")).toByteString(),
        ByteString.copyFrom(ss.toByteArray()), true));

    assertThat(b.getProcess().getServiceName()).isEqualTo("api");
    Model.Span j = b.getSpans(0);
    assertThat(j.getSpanId()).isEqualTo(SPAN);
    assertThat(j.getReferences(0).getSpanId()).isEqualTo(PARENT);
    assertThat(tags(j.getTagsList())).containsExactly("otel.scope.name=STRING:late.scope", "first=STRING:1",
        "second=STRING:2");
    assertThat(j.getLogsList()).hasSize(1);
    assertThat(tags(j.getLogs(0).getFieldsList())).containsExactly("event=STRING:e", "n=INT64:1");
  }

  @Test
  void aFieldGivenTwiceCountsLastAndMessagesMerge() throws Exception {
    Span first = span().setName("first name").setKind(Span.SpanKind.SPAN_KIND_CLIENT)
        .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_ERROR).setMessage("broken")).build();
    Span second = Span.newBuilder().setName("second name")
        .setStatus(Status.newBuilder().setCode(Status.StatusCode.STATUS_CODE_OK)).build();
    java.io.ByteArrayOutputStream ss = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(ss);
    out.writeBytes(2, first.toByteString().concat(second.toByteString()));
    out.flush();

    Model.Span j = encodeBytes(resourceSpansBytes(resource(str("service.name", "api")).toByteString(),
        ByteString.copyFrom(ss.toByteArray()), false)).getSpans(0);

    // As protobuf merges: the later name and code, the earlier status message kept.
    assertThat(j.getOperationName()).isEqualTo("second name");
    assertThat(tags(j.getTagsList())).containsExactly("span.kind=STRING:client", "otel.status_code=STRING:OK",
        "otel.status_description=STRING:broken");
  }

  @Test
  void aServiceNameOfAnotherTypeIsItsTextAndTheLastOneCounts() {
    Resource r = resource(str("service.name", "first"), str("host.name", "h"),
        kv("service.name", AnyValue.newBuilder().setIntValue(42).build()));

    Model.Batch b = encode(resourceSpans(r, InstrumentationScope.getDefaultInstance(), span().build()));

    assertThat(b.getProcess().getServiceName()).isEqualTo("42");
    assertThat(tags(b.getProcess().getTagsList())).containsExactly("host.name=STRING:h");
  }

  @Test
  void aMalformedAttributeInsideASpanFailsTheRequestSayingSo() throws Exception {
    // A span whose attribute claims 50 bytes and holds 3: the request's own framing is sound.
    java.io.ByteArrayOutputStream sp = new java.io.ByteArrayOutputStream();
    com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(sp);
    out.writeBytes(1, TRACE);
    out.writeBytes(2, SPAN);
    out.writeByteArray(9, new byte[] {0x0a, 50, 'k'});
    out.flush();
    java.io.ByteArrayOutputStream ss = new java.io.ByteArrayOutputStream();
    out = com.google.protobuf.CodedOutputStream.newInstance(ss);
    out.writeByteArray(2, sp.toByteArray());
    out.flush();

    org.assertj.core.api.Assertions.assertThatThrownBy(() -> encodeBytes(resourceSpansBytes(
        resource(str("service.name", "api")).toByteString(), ByteString.copyFrom(ss.toByteArray()), false)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("malformed")
        .hasMessageContaining("runs past the end");
  }

  @Test
  void manyResourcesLinksAndSpansGrowTheColumns() {
    ResourceSpans[] rs = new ResourceSpans[12];
    for (int i = 0; i < rs.length; i++) {
      Span.Builder s = span().setSpanId(id(String.format("%016x", i + 1)));
      for (int l = 0; l < 40; l++) {
        s.addLinks(Span.Link.newBuilder().setTraceId(OTHER_TRACE).setSpanId(id(String.format("%016x", 1000 + l))));
      }
      Span[] spans = new Span[100];
      for (int k = 0; k < spans.length; k++) {
        spans[k] = s.setSpanId(id(String.format("%08x%08x", i, k))).build();
      }
      rs[i] = resourceSpans(resource(str("service.name", "svc-" + i)), InstrumentationScope.getDefaultInstance(),
          spans);
    }

    Model.Batch b = encode(rs);

    assertThat(b.getProcess().getServiceName()).isEqualTo("svc-0");
    assertThat(b.getSpansList()).hasSize(1200);
    assertThat(b.getSpans(1199).getProcess().getServiceName()).isEqualTo("svc-11");
    assertThat(b.getSpans(1199).getReferencesList()).hasSize(40);
    assertThat(b.getSpans(1199).getReferences(39).getSpanId()).isEqualTo(id(String.format("%016x", 1039)));
    assertThat(b.getSpans(99).hasProcess()).isFalse();
  }
}
