package io.sluice.processor.tailsampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.sluice.core.ProcessorFactory;
import io.sluice.core.config.ConfigError;
import io.sluice.core.config.ConfigException;
import io.sluice.core.config.ConfigLoader;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import org.junit.jupiter.api.Test;

class TailSamplingConfigTest {
  private final TailSamplingProcessorFactory factory = new TailSamplingProcessorFactory();

  /** A config with every policy type, written as Collector users write it. */
  static final String EVERY_POLICY = """
      decision_wait: 10s
      decision_wait_after_root_received: 2s
      num_traces: 100
      expected_new_traces_per_sec: 10
      decision_cache:
        sampled_cache_size: 100_000
        non_sampled_cache_size: 100_000
      sample_on_first_match: true
      drop_pending_traces_on_shutdown: false
      maximum_trace_size_bytes: 1048576
      block_on_overflow: false
      max_bytes: 268435456
      record_policy: true
      policies:
        - {name: always, type: always_sample}
        - {name: slow, type: latency, latency: {threshold_ms: 5000, upper_threshold_ms: 10000}}
        - {name: codes, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100}}
        - {name: share, type: probabilistic, probabilistic: {sampling_percentage: 10, hash_salt: tier-2}}
        - {name: errors, type: status_code, status_code: {status_codes: [ERROR, UNSET]}}
        - {name: values, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]}}
        - name: regex
          type: string_attribute
          string_attribute: {key: key2, values: [value1, "val.*"], enabled_regex_matching: true, cache_max_size: 10}
        - {name: rate, type: rate_limiting, rate_limiting: {spans_per_second: 35}}
        - {name: bytes, type: bytes_limiting, bytes_limiting: {bytes_per_second: 1024000, burst_capacity: 2048000}}
        - {name: count, type: span_count, span_count: {min_spans: 2, max_spans: 20}}
        - {name: state, type: trace_state, trace_state: {key: key3, values: [value1, value2]}}
        - {name: flag, type: boolean_attribute, boolean_attribute: {key: key4, value: true}}
        - {name: flags, type: trace_flags}
        - name: ottl
          type: ottl_condition
          ottl_condition:
            error_mode: ignore
            span:
              - 'attributes["test_attr_key_1"] == "test_attr_val_1"'
              - 'attributes["test_attr_key_2"] != "test_attr_val_1"'
            spanevent:
              - 'name != "test_span_event_name"'
        - name: both
          type: and
          and:
            and_sub_policy:
              - {name: n, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50, max_value: 100}}
              - {name: s, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]}}
        - name: fast
          type: not
          not:
            not_sub_policy: {name: l, type: latency, latency: {threshold_ms: 1000}}
        - name: health
          type: drop
          drop:
            drop_sub_policy:
              - {name: h, type: string_attribute, string_attribute: {key: url.path, values: [/health, /metrics]}}
        - name: mix
          type: composite
          composite:
            max_total_spans_per_second: 1000
            policy_order: [c1, c2, c3]
            composite_sub_policy:
              - {name: c1, type: numeric_attribute, numeric_attribute: {key: key1, min_value: 50}}
              - {name: c2, type: string_attribute, string_attribute: {key: key2, values: [value1, value2]}}
              - {name: c3, type: always_sample}
            rate_allocation:
              - {policy: c1, percent: 50}
              - {policy: c2, percent: 25}
      """;

  @Test
  void isRegistered() {
    assertThat(ServiceLoader.load(ProcessorFactory.class).stream().map(p -> p.get().type()))
        .contains("tail_sampling");
  }

  @Test
  void bindsEveryPolicyTypeWithTheCollectorsKeys() throws Exception {
    TailSamplingProcessorConfig c = ConfigLoader.bindComponent(factory, EVERY_POLICY);
    assertThat(c.decisionWait()).isEqualTo(Duration.ofSeconds(10));
    assertThat(c.decisionCache().sampledCacheSize()).isEqualTo(100_000);
    assertThat(c.policies()).hasSize(18);
    assertThat(c.policies().get(17).composite().rateAllocation()).hasSize(2);
    assertThat(c.policies().get(13).ottlCondition().span()).hasSize(2);
    assertThat(c.policies().get(15).not().notSubPolicy().latency().thresholdMs()).isEqualTo(1000);
    // Every policy builds.
    assertThat(Policies.build(c.policies(), new Policies.Shared())).hasSize(18);
  }

  @Test
  void defaultsAreTheCollectors() throws Exception {
    TailSamplingProcessorConfig c = ConfigLoader.bindComponent(factory,
        "policies: [{name: a, type: always_sample}]");
    assertThat(c.decisionWait()).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.numTraces()).isEqualTo(50_000);
    assertThat(c.decisionCache().sampledCacheSize()).isZero();
    assertThat(c.effectiveMaxBytes()).isEqualTo(Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 5));
  }

  private List<ConfigError> errors(String yaml) {
    return catchThrowableOfType(ConfigException.class, () -> ConfigLoader.bindComponent(factory, yaml)).errors();
  }

  private String messages(String yaml) {
    StringBuilder sb = new StringBuilder();
    for (ConfigError e : errors(yaml)) {
      sb.append(e.path()).append(": ").append(e.message()).append(" (line ").append(e.line()).append(")\n");
    }
    return sb.toString();
  }

  @Test
  void refusesAConfigWithoutPolicies() {
    assertThat(messages("")).contains("processors.tail_sampling.policies: at least one policy is needed");
  }

  @Test
  void namesTheKeyAndWhatIsValid() {
    String m = messages("""
        decision_wait: 0s
        num_traces: 0
        max_bytes: 1000
        policies:
          - {name: a, type: always}
          - {name: a, type: latency, latency: {threshold_ms: 10, upper_threshold_ms: 5}}
          - {type: status_code, status_code: {status_codes: [error]}}
          - {name: r, type: string_attribute, string_attribute: {key: k, values: ["("], enabled_regex_matching: true}}
          - {name: o, type: ottl_condition, ottl_condition: {span: ['Len(name) > 3'], spanevent: ['links[0] == nil']}}
          - name: c
            type: composite
            composite:
              max_total_spans_per_second: 10
              policy_order: [x]
              composite_sub_policy: [{name: y, type: composite}]
              rate_allocation: [{policy: y, percent: 120}]
          - {name: n, type: and, and: {and_sub_policy: [{name: m, type: and}]}}
        """);
    assertThat(m)
        .contains("processors.tail_sampling.decision_wait: \"0s\" is not above 0")
        .contains("processors.tail_sampling.num_traces: 0 is not above 0")
        .contains("processors.tail_sampling.max_bytes: 1000 is below 1 MiB")
        .contains("processors.tail_sampling.policies[0].type: \"always\" is not a policy type; valid types:"
            + " always_sample, latency")
        .contains("policies[1].name: \"a\" is the name of another policy")
        .contains("policies[1].latency.upper_threshold_ms: 5 must be 0 (no upper bound) or above threshold_ms (10)")
        .contains("policies[2].name: missing")
        .contains("policies[2].status_code.status_codes[0]: unknown status code \"error\"; valid: OK, ERROR, UNSET")
        .contains("policies[3].string_attribute.values[0]: invalid regular expression \"(\"")
        .contains("policies[4].ottl_condition.span[0]: the function or converter \"Len\"")
        .contains("policies[4].ottl_condition.spanevent[0]: indexing links")
        .contains("policies[5].composite.composite_sub_policy[0].type: \"composite\" is not a policy type inside"
            + " a composite policy")
        .contains("policies[5].composite.policy_order[0]: \"x\" is not the name of a composite_sub_policy")
        .contains("policies[5].composite.rate_allocation[0].percent: 120 must be between 0 and 100")
        .contains("policies[6].and.and_sub_policy[0].type: \"and\" is not a policy type inside an and, not or drop"
            + " policy");
    // Errors point at the lines they are about.
    assertThat(m).contains("policies[4].ottl_condition.span[0]: the function or converter \"Len\"")
        .containsPattern("ottl_condition.span\\[0\\]: [^\\n]*\\(line 9\\)");
  }

  @Test
  void unknownKeysInsidePoliciesAreErrors() {
    assertThat(messages("policies: [{name: l, type: latency, latency: {treshold_ms: 5}}]"))
        .contains("policies[0].latency.treshold_ms: unknown key")
        .contains("threshold_ms");
  }
}
