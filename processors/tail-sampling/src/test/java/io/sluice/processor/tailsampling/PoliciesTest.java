package io.sluice.processor.tailsampling;

import static io.sluice.processor.tailsampling.TestSpans.attr;
import static io.sluice.processor.tailsampling.TestSpans.error;
import static io.sluice.processor.tailsampling.TestSpans.resource;
import static io.sluice.processor.tailsampling.TestSpans.span;
import static io.sluice.processor.tailsampling.TestSpans.trace;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import io.sluice.core.config.ConfigLoader;
import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** Each policy type on traces built for it, with the Collector's rules. */
class PoliciesTest {
  private final AtomicLong now = new AtomicLong(5_000_000_000L);
  private final Policies.Eval eval = new Policies.Eval(now::get);

  /** The first policy of a config written as the YAML of one list entry under {@code policies}. */
  private Policies.Policy policy(String entry) throws Exception {
    return policy(entry, new Policies.Shared());
  }

  private Policies.Policy policy(String entry, Policies.Shared shared) throws Exception {
    TailSamplingProcessorConfig c = ConfigLoader.bindComponent(new TailSamplingProcessorFactory(),
        "policies:\n  - " + entry.strip().replace("\n", "\n    ") + "\n");
    return Policies.build(c.policies().get(0), "policies[0]", shared);
  }

  private Decision eval(Policies.Policy p, Trace t) {
    return p.evaluate(t, eval);
  }

  @Test
  void alwaysSampleSamples() throws Exception {
    assertThat(eval(policy("{name: a, type: always_sample}"), trace(resource(span(1, 0, 0, 1).build()))))
        .isEqualTo(Decision.SAMPLED);
  }

  @Test
  void latencyMeasuresFromEarliestStartToLatestEnd() throws Exception {
    Policies.Policy p = policy("{name: slow, type: latency, latency: {threshold_ms: 100}}");
    // Two 60 ms spans 40 ms apart: no span is slow, the trace takes 100 ms.
    Trace t = trace(resource(span(1, 0, 0, 60).build(), span(1, 1, 40, 60).build()));
    assertThat(eval(p, t)).isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, trace(resource(span(2, 0, 0, 99).build())))).isEqualTo(Decision.NOT_SAMPLED);

    Policies.Policy band = policy("{name: band, type: latency, latency: {threshold_ms: 100, upper_threshold_ms: 200}}");
    assertThat(eval(band, trace(resource(span(3, 0, 0, 100).build())))).isEqualTo(Decision.NOT_SAMPLED);
    assertThat(eval(band, trace(resource(span(3, 0, 0, 101).build())))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(band, trace(resource(span(3, 0, 0, 200).build())))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(band, trace(resource(span(3, 0, 0, 201).build())))).isEqualTo(Decision.NOT_SAMPLED);
  }

  @Test
  void statusCodeMatchesAnySpan() throws Exception {
    Policies.Policy errors = policy("{name: e, type: status_code, status_code: {status_codes: [ERROR]}}");
    assertThat(eval(errors, trace(resource(span(1, 0, 0, 1).build(), error(span(1, 1, 0, 1))))))
        .isEqualTo(Decision.SAMPLED);
    assertThat(eval(errors, trace(resource(span(1, 0, 0, 1).build())))).isEqualTo(Decision.NOT_SAMPLED);
    Policies.Policy unset = policy("{name: u, type: status_code, status_code: {status_codes: [OK, UNSET]}}");
    assertThat(eval(unset, trace(resource(span(1, 0, 0, 1).build())))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(unset, trace(resource(error(span(1, 0, 0, 1)))))).isEqualTo(Decision.NOT_SAMPLED);
  }

  @Test
  void numericAttributeChecksResourceAndSpansWithOpenBounds() throws Exception {
    Policies.Policy p = policy("{name: n, type: numeric_attribute,"
        + " numeric_attribute: {key: http.status_code, min_value: 500, max_value: 599}}");
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).addAttributes(attr("http.status_code", 503L)).build()))))
        .isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).addAttributes(attr("http.status_code", 404L)).build()))))
        .isEqualTo(Decision.NOT_SAMPLED);
    assertThat(eval(p, trace(resource(Map.of("http.status_code", 500L), span(1, 0, 0, 1).build()))))
        .isEqualTo(Decision.SAMPLED);
    // A value that is not an integer reads as 0, as in the Collector.
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).addAttributes(attr("http.status_code", 503.0)).build()))))
        .isEqualTo(Decision.NOT_SAMPLED);
    Policies.Policy atLeast = policy("{name: n, type: numeric_attribute, numeric_attribute: {key: retries, min_value: 3}}");
    assertThat(eval(atLeast, trace(resource(span(1, 0, 0, 1).addAttributes(attr("retries", 1_000_000L)).build()))))
        .isEqualTo(Decision.SAMPLED);
    Policies.Policy inverted = policy("{name: n, type: numeric_attribute,"
        + " numeric_attribute: {key: retries, min_value: 3, invert_match: true}}");
    assertThat(eval(inverted, trace(resource(span(1, 0, 0, 1).addAttributes(attr("retries", 5L)).build()))))
        .isEqualTo(Decision.INVERT_NOT_SAMPLED);
    assertThat(eval(inverted, trace(resource(span(1, 0, 0, 1).build())))).isEqualTo(Decision.INVERT_SAMPLED);
  }

  @Test
  void stringAttributeExactAndRegexAndInverted() throws Exception {
    Policies.Policy exact = policy("{name: s, type: string_attribute, string_attribute: {key: route, values: [/pay, /cart]}}");
    assertThat(eval(exact, trace(resource(span(1, 0, 0, 1).addAttributes(attr("route", "/cart")).build()))))
        .isEqualTo(Decision.SAMPLED);
    assertThat(eval(exact, trace(resource(span(1, 0, 0, 1).addAttributes(attr("route", "/cart/x")).build()))))
        .isEqualTo(Decision.NOT_SAMPLED);
    assertThat(eval(exact, trace(resource(Map.of("route", "/pay"), span(1, 0, 0, 1).build()))))
        .isEqualTo(Decision.SAMPLED);

    Policies.Policy regex = policy("{name: s, type: string_attribute, string_attribute: {key: route,"
        + " values: [\"^/v1/name/.+\"], enabled_regex_matching: true, cache_max_size: 2}}");
    for (int i = 0; i < 5; i++) { // the cache of matched values stays correct when it evicts
      assertThat(eval(regex, trace(resource(span(1, 0, 0, 1).addAttributes(attr("route", "/v1/name/" + i)).build()))))
          .isEqualTo(Decision.SAMPLED);
      assertThat(eval(regex, trace(resource(span(1, 0, 0, 1).addAttributes(attr("route", "/v2/" + i)).build()))))
          .isEqualTo(Decision.NOT_SAMPLED);
    }

    Policies.Policy inverted = policy("{name: s, type: string_attribute,"
        + " string_attribute: {key: route, values: [/health], invert_match: true}}");
    assertThat(eval(inverted, trace(resource(span(1, 0, 0, 1).addAttributes(attr("route", "/health")).build()))))
        .isEqualTo(Decision.INVERT_NOT_SAMPLED);
    assertThat(eval(inverted, trace(resource(span(1, 0, 0, 1).addAttributes(attr("route", "/pay")).build()))))
        .isEqualTo(Decision.INVERT_SAMPLED);
  }

  @Test
  void booleanAttribute() throws Exception {
    Policies.Policy p = policy("{name: b, type: boolean_attribute, boolean_attribute: {key: force, value: true}}");
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).addAttributes(attr("force", true)).build()))))
        .isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).addAttributes(attr("force", false)).build()))))
        .isEqualTo(Decision.NOT_SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).addAttributes(attr("force", "true")).build()))))
        .as("a string is not a boolean").isEqualTo(Decision.NOT_SAMPLED);
  }

  /**
   * Expected values computed with Go's hash/fnv and math/big, as the Collector's policy does (the
   * percentage divided by 100 in floating point, as the policy divides it).
   */
  @Test
  void probabilisticHashAndThresholdMatchTheCollector() throws Exception {
    assertThat(Long.toUnsignedString(Policies.threshold(0.1 / 100))).isEqualTo("18446744073709551");
    assertThat(Long.toUnsignedString(Policies.threshold(1.0 / 100))).isEqualTo("184467440737095519");
    assertThat(Long.toUnsignedString(Policies.threshold(10.0 / 100))).isEqualTo("1844674407370955263");
    assertThat(Long.toUnsignedString(Policies.threshold(33.3 / 100))).isEqualTo("6142765776545279999");
    assertThat(Long.toUnsignedString(Policies.threshold(50.0 / 100))).isEqualTo("9223372036854775807");
    assertThat(Long.toUnsignedString(Policies.threshold(99.99 / 100))).isEqualTo("18444899399302178815");
    assertThat(Long.toUnsignedString(Policies.threshold(100.0 / 100))).isEqualTo("18446744073709551615");
    assertThat(Long.toUnsignedString(Policies.threshold(150.0 / 100))).isEqualTo("18446744073709551615");
    assertThat(Policies.threshold(0)).isZero();

    String[][] cases = {
      {"default-hash-seed", "010c17222d38434e59646f7a85909ba6", "6566297655744022269"},
      {"default-hash-seed", "26313c47525d68737e89949faab5c0cb", "1401896135286499085"},
      {"default-hash-seed", "4b56616c77828d98a3aeb9c4cfdae5f0", "11334519226201433629"},
      {"default-hash-seed", "95a0abb6c1ccd7e2edf8030e19242f3a", "17034710261116328637"},
      {"tier-2", "010c17222d38434e59646f7a85909ba6", "11362953136605144906"},
      {"tier-2", "bac5d0dbe6f1fc07121d28333e49545f", "13634047753187287082"},
    };
    for (String[] c : cases) {
      ByteBuffer id = ByteBuffer.wrap(HexFormat.of().parseHex(c[1]));
      long h = Policies.hash(c[0].getBytes(), id.getLong(), id.getLong());
      assertThat(Long.toUnsignedString(h)).as(c[0] + " " + c[1]).isEqualTo(c[2]);
    }

    // 10%: hash <= 1844674407370955263. 1401896135286499085 is below it, 6566297655744022269 is not.
    Policies.Policy tenth = policy("{name: p, type: probabilistic, probabilistic: {sampling_percentage: 10}}");
    assertThat(eval(tenth, traceWithId("26313c47525d68737e89949faab5c0cb"))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(tenth, traceWithId("010c17222d38434e59646f7a85909ba6"))).isEqualTo(Decision.NOT_SAMPLED);
    Policies.Policy salted = policy("{name: p, type: probabilistic,"
        + " probabilistic: {sampling_percentage: 72, hash_salt: tier-2}}");
    // 72% of 2^64-1 is about 13281655733070877000: 11362953136605144906 below, 13634047753187287082 above.
    assertThat(eval(salted, traceWithId("010c17222d38434e59646f7a85909ba6"))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(salted, traceWithId("bac5d0dbe6f1fc07121d28333e49545f"))).isEqualTo(Decision.NOT_SAMPLED);
  }

  private static Trace traceWithId(String hex) {
    return trace(resource(span(1, 0, 0, 1).setTraceId(ByteString.copyFrom(HexFormat.of().parseHex(hex))).build()));
  }

  @Test
  void rateLimitingCountsSpansPerSecondBelowTheLimitAcrossShards() throws Exception {
    Policies.Shared shared = new Policies.Shared();
    Policies.Policy a = policy("{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 35}}", shared);
    Policies.Policy b = policy("{name: r, type: rate_limiting, rate_limiting: {spans_per_second: 35}}", shared);
    Trace ten = tenSpans(1);
    // 10, 20, 30 stay below 35; the fourth trace would make 40. Two shards share the count.
    assertThat(eval(a, ten)).isEqualTo(Decision.SAMPLED);
    assertThat(eval(b, ten)).isEqualTo(Decision.SAMPLED);
    assertThat(eval(a, ten)).isEqualTo(Decision.SAMPLED);
    assertThat(eval(b, ten)).isEqualTo(Decision.NOT_SAMPLED);
    now.addAndGet(1_000_000_000L);
    assertThat(eval(b, ten)).as("a new second").isEqualTo(Decision.SAMPLED);
  }

  private static Trace tenSpans(long id) {
    Span[] spans = new Span[10];
    for (int i = 0; i < 10; i++) {
      spans[i] = span(id, i, i, 1).build();
    }
    return trace(resource(spans));
  }

  @Test
  void bytesLimitingIsATokenBucketWithBurst() throws Exception {
    Trace t = tenSpans(1);
    long size = t.encodedSize();
    Policies.Policy p = policy("{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: " + size
        + ", burst_capacity: " + 2 * size + "}}");
    assertThat(eval(p, t)).isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, t)).isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, t)).as("the burst is spent").isEqualTo(Decision.NOT_SAMPLED);
    now.addAndGet(1_000_000_000L);
    assertThat(eval(p, t)).as("a second refills one trace's worth").isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, t)).isEqualTo(Decision.NOT_SAMPLED);
    Policies.Policy small = policy("{name: b, type: bytes_limiting, bytes_limiting: {bytes_per_second: 10}}");
    assertThat(eval(small, t)).as("larger than the burst (2x the rate by default)").isEqualTo(Decision.NOT_SAMPLED);
  }

  @Test
  void spanCountIsInclusive() throws Exception {
    Policies.Policy p = policy("{name: c, type: span_count, span_count: {min_spans: 2, max_spans: 10}}");
    assertThat(eval(p, tenSpans(1))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).build(), span(1, 1, 0, 1).build())))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).build())))).isEqualTo(Decision.NOT_SAMPLED);
    Span[] eleven = new Span[11];
    for (int i = 0; i < 11; i++) {
      eleven[i] = span(1, i, 0, 1).build();
    }
    assertThat(eval(p, trace(resource(eleven)))).isEqualTo(Decision.NOT_SAMPLED);
    Policies.Policy atLeast = policy("{name: c, type: span_count, span_count: {min_spans: 11}}");
    assertThat(eval(atLeast, trace(resource(eleven)))).isEqualTo(Decision.SAMPLED);
  }

  @Test
  void traceStateMatchesAKeysValue() throws Exception {
    Policies.Policy p = policy("{name: t, type: trace_state, trace_state: {key: vendor, values: [gold, silver]}}");
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).setTraceState("other=x, vendor=gold").build()))))
        .isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).setTraceState("vendor=bronze").build()))))
        .isEqualTo(Decision.NOT_SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).setTraceState("vendor=gold,BAD KEY=1").build()))))
        .as("a malformed trace state has no keys").isEqualTo(Decision.NOT_SAMPLED);
  }

  @Test
  void traceFlagsSampledOnAnySpan() throws Exception {
    Policies.Policy p = policy("{name: f, type: trace_flags}");
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).build(), span(1, 1, 0, 1).setFlags(0x101).build()))))
        .isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).setFlags(0x100).build())))).isEqualTo(Decision.NOT_SAMPLED);
  }

  @Test
  void ottlConditionOnSpansAndEvents() throws Exception {
    Policies.Policy p = policy("""
        {name: o, type: ottl_condition, ottl_condition: {span: [
          'attributes["http.route"] == "/pay" and kind == SPAN_KIND_SERVER',
          'resource.attributes["tier"] == "gold" or IsMatch(name, "^db\\\\.")'
        ], spanevent: ['name == "exception" and attributes["exception.type"] != nil']}}
        """);
    Span server = span(1, 0, 0, 1).setKind(Span.SpanKind.SPAN_KIND_SERVER).addAttributes(attr("http.route", "/pay"))
        .build();
    assertThat(eval(p, trace(resource(server)))).isEqualTo(Decision.SAMPLED);
    Span internal = span(1, 0, 0, 1).addAttributes(attr("http.route", "/pay")).build();
    assertThat(eval(p, trace(resource(internal)))).isEqualTo(Decision.NOT_SAMPLED);
    assertThat(eval(p, trace(resource(Map.of("tier", "gold"), internal)))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, trace(resource(span(1, 0, 0, 1).setName("db.query").build())))).isEqualTo(Decision.SAMPLED);
    Span withEvent = span(1, 0, 0, 1).addEvents(Span.Event.newBuilder().setName("exception")
        .addAttributes(attr("exception.type", "IOException"))).build();
    assertThat(eval(p, trace(resource(withEvent)))).isEqualTo(Decision.SAMPLED);
    Span otherEvent = span(1, 0, 0, 1).addEvents(Span.Event.newBuilder().setName("exception")).build();
    assertThat(eval(p, trace(resource(otherEvent)))).isEqualTo(Decision.NOT_SAMPLED);

    Policies.Policy status = policy("{name: o, type: ottl_condition, ottl_condition:"
        + " {span: ['status.code == STATUS_CODE_ERROR and end_time_unix_nano > 0']}}");
    assertThat(eval(status, trace(resource(error(span(1, 0, 0, 1)))))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(status, trace(resource(span(1, 0, 0, 1).setStatus(Status.newBuilder()
        .setCode(Status.StatusCode.STATUS_CODE_OK)).build())))).isEqualTo(Decision.NOT_SAMPLED);
  }

  @Test
  void andNotAndDropCombineSubPolicies() throws Exception {
    Policies.Policy and = policy("""
        {name: a, type: and, and: {and_sub_policy: [
          {name: e, type: status_code, status_code: {status_codes: [ERROR]}},
          {name: s, type: string_attribute, string_attribute: {key: route, values: [/pay]}}]}}
        """);
    Span payError = error(span(1, 0, 0, 1).addAttributes(attr("route", "/pay")));
    assertThat(eval(and, trace(resource(payError)))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(and, trace(resource(error(span(1, 0, 0, 1)))))).isEqualTo(Decision.NOT_SAMPLED);

    Policies.Policy not = policy("""
        {name: n, type: not, not: {not_sub_policy: {name: l, type: latency, latency: {threshold_ms: 10}}}}
        """);
    assertThat(eval(not, trace(resource(span(1, 0, 0, 5).build())))).isEqualTo(Decision.SAMPLED);
    assertThat(eval(not, trace(resource(span(1, 0, 0, 50).build())))).isEqualTo(Decision.NOT_SAMPLED);

    Policies.Policy drop = policy("""
        {name: d, type: drop, drop: {drop_sub_policy: [
          {name: h, type: string_attribute, string_attribute: {key: route, values: [/health]}}]}}
        """);
    assertThat(eval(drop, trace(resource(span(1, 0, 0, 1).addAttributes(attr("route", "/health")).build()))))
        .isEqualTo(Decision.DROPPED);
    assertThat(eval(drop, trace(resource(span(1, 0, 0, 1).build())))).isEqualTo(Decision.NOT_SAMPLED);
  }

  @Test
  void compositeAllocatesRatesInPolicyOrder() throws Exception {
    Policies.Policy p = policy("""
        {name: c, type: composite, composite: {
          max_total_spans_per_second: 40,
          policy_order: [errors, rest],
          composite_sub_policy: [
            {name: rest, type: always_sample},
            {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}],
          rate_allocation: [{policy: errors, percent: 50}]}}
        """);
    Trace err = trace(resource(error(span(1, 0, 0, 1)), span(1, 1, 0, 1).build(), span(1, 2, 0, 1).build(),
        span(1, 3, 0, 1).build(), span(1, 4, 0, 1).build(), span(1, 5, 0, 1).build(), span(1, 6, 0, 1).build(),
        span(1, 7, 0, 1).build(), span(1, 8, 0, 1).build(), span(1, 9, 0, 1).build()));
    Trace ok = tenSpans(2);
    // errors: 50% of 40 = 20 spans/s; rest (no allocation): the 20 left.
    assertThat(eval(p, err)).isEqualTo(Decision.SAMPLED);
    assertThat(eval.compositeSub).isEqualTo("errors");
    assertThat(eval(p, err)).isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, err)).as("errors spent their 20 spans; the first match decides").isEqualTo(Decision.NOT_SAMPLED);
    assertThat(eval(p, ok)).isEqualTo(Decision.SAMPLED);
    assertThat(eval.compositeSub).isEqualTo("rest");
    assertThat(eval(p, ok)).isEqualTo(Decision.SAMPLED);
    assertThat(eval(p, ok)).isEqualTo(Decision.NOT_SAMPLED);
    now.addAndGet(1_000_000_000L);
    assertThat(eval(p, err)).isEqualTo(Decision.SAMPLED);
  }
}
