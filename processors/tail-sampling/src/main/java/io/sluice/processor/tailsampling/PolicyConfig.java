package io.sluice.processor.tailsampling;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One sampling policy of the {@code tail_sampling} processor, written as in the Collector: a
 * {@code name}, a {@code type} and the section of that type's settings.
 *
 * <pre>
 * - name: errors
 *   type: status_code
 *   status_code: {status_codes: [ERROR]}
 * - name: slow
 *   type: latency
 *   latency: {threshold_ms: 5000}
 * </pre>
 *
 * <p>The same record is used for the sub-policies of {@code and}, {@code not}, {@code drop} and
 * {@code composite}; which types each may hold is checked ({@code and}, {@code not} and
 * {@code drop} hold the plain types, {@code composite} also {@code and}).
 */
public record PolicyConfig(
    String name,
    String type,
    LatencyConfig latency,
    NumericAttributeConfig numericAttribute,
    ProbabilisticConfig probabilistic,
    StatusCodeConfig statusCode,
    StringAttributeConfig stringAttribute,
    RateLimitingConfig rateLimiting,
    BytesLimitingConfig bytesLimiting,
    SpanCountConfig spanCount,
    TraceStateConfig traceState,
    BooleanAttributeConfig booleanAttribute,
    OttlConditionConfig ottlCondition,
    CompositeConfig composite,
    AndConfig and,
    NotConfig not,
    DropConfig drop) {

  /** Types that evaluate a trace themselves, allowed at every level. */
  static final List<String> PLAIN_TYPES = List.of("always_sample", "latency", "numeric_attribute", "probabilistic",
      "status_code", "string_attribute", "rate_limiting", "bytes_limiting", "span_count", "trace_state",
      "boolean_attribute", "ottl_condition", "trace_flags");
  static final List<String> TOP_LEVEL_TYPES;

  static {
    List<String> all = new ArrayList<>(PLAIN_TYPES);
    all.addAll(List.of("and", "not", "drop", "composite"));
    TOP_LEVEL_TYPES = List.copyOf(all);
  }

  /** Where a policy is written, which decides the types it may have. */
  enum Level {
    TOP(TOP_LEVEL_TYPES),
    COMPOSITE_SUB(concat(PLAIN_TYPES, "and")),
    SUB(PLAIN_TYPES);

    final List<String> types;

    Level(List<String> types) {
      this.types = types;
    }

    private static List<String> concat(List<String> a, String b) {
      List<String> out = new ArrayList<>(a);
      out.add(b);
      return List.copyOf(out);
    }
  }

  /** The type, trimmed and lower-cased; empty when missing. */
  String typeName() {
    return type == null ? "" : type.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * {@code threshold_ms} and {@code upper_threshold_ms}: a trace is sampled when the time from its
   * earliest span start to its latest span end is at least {@code threshold_ms}, or, with an upper
   * bound, above {@code threshold_ms} and at most {@code upper_threshold_ms}.
   */
  public record LatencyConfig(long thresholdMs, long upperThresholdMs) {}

  /** An integer attribute of the resource or a span in {@code [min_value, max_value]}; 0 leaves a bound open. */
  public record NumericAttributeConfig(String key, long minValue, long maxValue, boolean invertMatch) {}

  /** A share of traces chosen by a hash of the salt and the trace ID. */
  public record ProbabilisticConfig(String hashSalt, double samplingPercentage) {}

  /** Any span with one of these status codes: {@code OK}, {@code ERROR}, {@code UNSET}. */
  public record StatusCodeConfig(List<String> statusCodes) {}

  /**
   * A string attribute of the resource or a span equal to one of {@code values}, or with
   * {@code enabled_regex_matching} matching one of them as a regular expression (RE2, unanchored).
   * {@code cache_max_size} bounds the cache of values already matched (default 128).
   */
  public record StringAttributeConfig(String key, List<String> values, boolean enabledRegexMatching,
      int cacheMaxSize, boolean invertMatch) {}

  /** At most this many spans per second sampled by this policy. */
  public record RateLimitingConfig(long spansPerSecond) {}

  /** A token bucket of bytes (the traces' encoded size); {@code burst_capacity} defaults to twice the rate. */
  public record BytesLimitingConfig(long bytesPerSecond, long burstCapacity) {}

  /** Traces with at least {@code min_spans} and (when not 0) at most {@code max_spans} spans. */
  public record SpanCountConfig(long minSpans, long maxSpans) {}

  /** Any span whose W3C trace state has {@code key} with one of {@code values}. */
  public record TraceStateConfig(String key, List<String> values) {}

  /** A boolean attribute of the resource or a span equal to {@code value}. */
  public record BooleanAttributeConfig(String key, boolean value, boolean invertMatch) {}

  /**
   * OTTL conditions on spans ({@code span}) and span events ({@code spanevent}); a trace is
   * sampled when any condition holds for any of its spans or events. Sluice evaluates a subset of
   * OTTL, see {@link Ottl}.
   */
  public record OttlConditionConfig(String errorMode, List<String> span, List<String> spanevent) {}

  /**
   * Sub-policies sharing {@code max_total_spans_per_second}: each gets its {@code rate_allocation}
   * percentage of it (an allocation of 0 percent gets an equal share), sub-policies without an
   * allocation share what is left; they are evaluated in {@code policy_order} (then the rest in
   * list order) and the first that samples decides.
   */
  public record CompositeConfig(long maxTotalSpansPerSecond, List<String> policyOrder,
      List<PolicyConfig> compositeSubPolicy, List<RateAllocationConfig> rateAllocation) {}

  /** A sub-policy's share of the composite's spans per second, in percent. */
  public record RateAllocationConfig(String policy, long percent) {}

  /** Sampled when every sub-policy samples. */
  public record AndConfig(List<PolicyConfig> andSubPolicy) {}

  /** The opposite of the sub-policy's decision. */
  public record NotConfig(PolicyConfig notSubPolicy) {}

  /** Dropped (whatever else samples it) when every sub-policy samples. */
  public record DropConfig(List<PolicyConfig> dropSubPolicy) {}

  // ---- validation ----------------------------------------------------------------------------

  static void validateList(String at, List<PolicyConfig> list, Level level, List<ConfigProblem> problems) {
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      String path = at + "[" + i + "]";
      PolicyConfig p = list.get(i);
      if (p == null) {
        problems.add(new ConfigProblem(path, "the policy is empty; it needs a \"name\" and a \"type\""));
        continue;
      }
      if (p.name() == null || p.name().isBlank()) {
        problems.add(new ConfigProblem(path + ".name", "missing; every policy needs a name (used in metrics)"));
      } else if (level == Level.TOP && !names.add(p.name())) {
        problems.add(new ConfigProblem(path + ".name", "\"" + p.name() + "\" is the name of another policy;"
            + " names must be unique"));
      }
      p.validate(path, level, problems);
    }
  }

  private void validate(String at, Level level, List<ConfigProblem> problems) {
    String t = typeName();
    if (t.isEmpty()) {
      problems.add(new ConfigProblem(at + ".type", "missing; valid types: " + String.join(", ", level.types)));
      return;
    }
    if (!level.types.contains(t)) {
      String where = level == Level.TOP ? "" : level == Level.COMPOSITE_SUB ? " inside a composite policy"
          : " inside an and, not or drop policy";
      problems.add(new ConfigProblem(at + ".type", "\"" + type + "\" is not a policy type" + where + "; valid types: "
          + String.join(", ", level.types)));
      return;
    }
    String s = at + "." + t;
    switch (t) {
      case "latency" -> {
        LatencyConfig c = latency == null ? new LatencyConfig(0, 0) : latency;
        if (c.thresholdMs() < 0) {
          problems.add(new ConfigProblem(s + ".threshold_ms", c.thresholdMs() + " is negative"));
        }
        if (c.upperThresholdMs() < 0 || c.upperThresholdMs() > 0 && c.upperThresholdMs() <= c.thresholdMs()) {
          problems.add(new ConfigProblem(s + ".upper_threshold_ms", c.upperThresholdMs() + " must be 0 (no upper"
              + " bound) or above threshold_ms (" + c.thresholdMs() + ")"));
        }
      }
      case "numeric_attribute" -> {
        NumericAttributeConfig c = numericAttribute;
        if (c == null || blank(c.key())) {
          problems.add(new ConfigProblem(s + ".key", "missing; give the attribute's key"));
        }
        if (c != null && c.minValue() == 0 && c.maxValue() == 0) {
          problems.add(new ConfigProblem(s, "give min_value, max_value or both (0 leaves a bound open)"));
        } else if (c != null && c.minValue() != 0 && c.maxValue() != 0 && c.minValue() > c.maxValue()) {
          problems.add(new ConfigProblem(s + ".max_value", c.maxValue() + " is below min_value (" + c.minValue()
              + "); nothing would match"));
        }
      }
      case "probabilistic" -> {
        double pct = probabilistic == null ? 0 : probabilistic.samplingPercentage();
        if (!(pct >= 0)) {
          problems.add(new ConfigProblem(s + ".sampling_percentage", pct + " must be between 0 and 100"));
        }
      }
      case "status_code" -> {
        List<String> codes = statusCode == null || statusCode.statusCodes() == null ? List.of()
            : statusCode.statusCodes();
        if (codes.isEmpty()) {
          problems.add(new ConfigProblem(s + ".status_codes", "give at least one of OK, ERROR, UNSET"));
        }
        for (int i = 0; i < codes.size(); i++) {
          String code = codes.get(i);
          if (!List.of("OK", "ERROR", "UNSET").contains(code)) {
            problems.add(new ConfigProblem(s + ".status_codes[" + i + "]", "unknown status code \"" + code
                + "\"; valid: OK, ERROR, UNSET (upper case)"));
          }
        }
      }
      case "string_attribute" -> {
        StringAttributeConfig c = stringAttribute;
        if (c == null || blank(c.key())) {
          problems.add(new ConfigProblem(s + ".key", "missing; give the attribute's key"));
        }
        if (c == null || c.values() == null || c.values().isEmpty()) {
          problems.add(new ConfigProblem(s + ".values", "give at least one value"));
        } else if (c.enabledRegexMatching()) {
          for (int i = 0; i < c.values().size(); i++) {
            try {
              Pattern.compile(String.valueOf(c.values().get(i)));
            } catch (PatternSyntaxException e) {
              problems.add(new ConfigProblem(s + ".values[" + i + "]", "invalid regular expression \""
                  + c.values().get(i) + "\": " + e.getDescription()));
            }
          }
        }
        if (c != null && c.cacheMaxSize() < 0) {
          problems.add(new ConfigProblem(s + ".cache_max_size", c.cacheMaxSize() + " is negative"));
        }
      }
      case "rate_limiting" -> {
        if (rateLimiting == null || rateLimiting.spansPerSecond() <= 0) {
          problems.add(new ConfigProblem(s + ".spans_per_second", "give a number of spans above 0"));
        }
      }
      case "bytes_limiting" -> {
        if (bytesLimiting == null || bytesLimiting.bytesPerSecond() <= 0) {
          problems.add(new ConfigProblem(s + ".bytes_per_second", "give a number of bytes above 0"));
        }
        if (bytesLimiting != null && bytesLimiting.burstCapacity() < 0) {
          problems.add(new ConfigProblem(s + ".burst_capacity", bytesLimiting.burstCapacity()
              + " is negative; give bytes, or 0 for twice bytes_per_second"));
        }
      }
      case "span_count" -> {
        SpanCountConfig c = spanCount == null ? new SpanCountConfig(0, 0) : spanCount;
        if (c.minSpans() < 0) {
          problems.add(new ConfigProblem(s + ".min_spans", c.minSpans() + " is negative"));
        }
        if (c.maxSpans() < 0 || c.maxSpans() > 0 && c.maxSpans() < c.minSpans()) {
          problems.add(new ConfigProblem(s + ".max_spans", c.maxSpans() + " must be 0 (no upper bound) or at"
              + " least min_spans (" + c.minSpans() + ")"));
        }
      }
      case "trace_state" -> {
        if (traceState == null || blank(traceState.key())) {
          problems.add(new ConfigProblem(s + ".key", "missing; give the trace state key"));
        }
        if (traceState == null || traceState.values() == null || traceState.values().isEmpty()) {
          problems.add(new ConfigProblem(s + ".values", "give at least one value"));
        }
      }
      case "boolean_attribute" -> {
        if (booleanAttribute == null || blank(booleanAttribute.key())) {
          problems.add(new ConfigProblem(s + ".key", "missing; give the attribute's key"));
        }
      }
      case "ottl_condition" -> validateOttl(s, problems);
      case "and" -> {
        List<PolicyConfig> subs = and == null || and.andSubPolicy() == null ? List.of() : and.andSubPolicy();
        if (subs.isEmpty()) {
          problems.add(new ConfigProblem(s + ".and_sub_policy", "give at least one sub-policy"));
        }
        validateList(s + ".and_sub_policy", subs, Level.SUB, problems);
      }
      case "drop" -> {
        List<PolicyConfig> subs = drop == null || drop.dropSubPolicy() == null ? List.of() : drop.dropSubPolicy();
        if (subs.isEmpty()) {
          problems.add(new ConfigProblem(s + ".drop_sub_policy", "give at least one sub-policy"));
        }
        validateList(s + ".drop_sub_policy", subs, Level.SUB, problems);
      }
      case "not" -> {
        if (not == null || not.notSubPolicy() == null) {
          problems.add(new ConfigProblem(s + ".not_sub_policy", "give the policy whose decision is inverted"));
        } else {
          validateList(s + ".not_sub_policy", List.of(not.notSubPolicy()), Level.SUB, problems);
        }
      }
      case "composite" -> validateComposite(s, problems);
      default -> { } // always_sample, trace_flags: no settings
    }
  }

  private void validateOttl(String s, List<ConfigProblem> problems) {
    OttlConditionConfig c = ottlCondition;
    List<String> span = c == null || c.span() == null ? List.of() : c.span();
    List<String> events = c == null || c.spanevent() == null ? List.of() : c.spanevent();
    if (span.isEmpty() && events.isEmpty()) {
      problems.add(new ConfigProblem(s, "give at least one condition under \"span\" or \"spanevent\""));
    }
    if (c != null && c.errorMode() != null && !c.errorMode().isEmpty()
        && !List.of("ignore", "silent", "propagate").contains(c.errorMode())) {
      problems.add(new ConfigProblem(s + ".error_mode", "\"" + c.errorMode()
          + "\" is not an error mode; valid: ignore, silent, propagate"));
    }
    for (int i = 0; i < span.size(); i++) {
      try {
        Ottl.parse(span.get(i), Ottl.Context.SPAN);
      } catch (Ottl.OttlException e) {
        problems.add(new ConfigProblem(s + ".span[" + i + "]", e.getMessage()));
      }
    }
    for (int i = 0; i < events.size(); i++) {
      try {
        Ottl.parse(events.get(i), Ottl.Context.SPANEVENT);
      } catch (Ottl.OttlException e) {
        problems.add(new ConfigProblem(s + ".spanevent[" + i + "]", e.getMessage()));
      }
    }
  }

  private void validateComposite(String s, List<ConfigProblem> problems) {
    CompositeConfig c = composite;
    if (c == null || c.maxTotalSpansPerSecond() <= 0) {
      problems.add(new ConfigProblem(s + ".max_total_spans_per_second", "give a number of spans above 0"));
    }
    List<PolicyConfig> subs = c == null || c.compositeSubPolicy() == null ? List.of() : c.compositeSubPolicy();
    if (subs.isEmpty()) {
      problems.add(new ConfigProblem(s + ".composite_sub_policy", "give at least one sub-policy"));
    }
    validateList(s + ".composite_sub_policy", subs, Level.COMPOSITE_SUB, problems);
    Set<String> names = new HashSet<>();
    for (PolicyConfig p : subs) {
      if (p != null && p.name() != null) {
        names.add(p.name());
      }
    }
    List<String> order = c == null || c.policyOrder() == null ? List.of() : c.policyOrder();
    for (int i = 0; i < order.size(); i++) {
      if (!names.contains(order.get(i))) {
        problems.add(new ConfigProblem(s + ".policy_order[" + i + "]", "\"" + order.get(i)
            + "\" is not the name of a composite_sub_policy; names: " + String.join(", ", names)));
      }
    }
    List<RateAllocationConfig> alloc = c == null || c.rateAllocation() == null ? List.of() : c.rateAllocation();
    long sum = 0;
    for (int i = 0; i < alloc.size(); i++) {
      RateAllocationConfig a = alloc.get(i);
      if (a == null || !names.contains(a.policy())) {
        problems.add(new ConfigProblem(s + ".rate_allocation[" + i + "].policy", "\"" + (a == null ? "" : a.policy())
            + "\" is not the name of a composite_sub_policy; names: " + String.join(", ", names)));
      } else if (a.percent() < 0 || a.percent() > 100) {
        problems.add(new ConfigProblem(s + ".rate_allocation[" + i + "].percent", a.percent()
            + " must be between 0 and 100"));
      } else {
        sum += a.percent();
      }
    }
    if (sum > 100) {
      problems.add(new ConfigProblem(s + ".rate_allocation", "the percentages add up to " + sum
          + "; they may add up to 100 at most"));
    }
  }

  private static boolean blank(String s) {
    return s == null || s.isEmpty();
  }
}
