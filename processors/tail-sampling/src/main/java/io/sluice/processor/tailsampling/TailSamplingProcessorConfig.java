package io.sluice.processor.tailsampling;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.config.GoDurations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Config of the {@code tail_sampling} processor, with the Collector's keys and defaults, and three
 * of Sluice's own ({@code max_bytes}, {@code record_policy}, {@code acknowledge}).
 *
 * @param decisionWait how long after the first span of a trace its decision is made
 * @param decisionWaitAfterRootReceived when above 0, a trace is decided this long after its root
 *     span (one without a parent) arrived, if that is sooner than {@code decision_wait}
 * @param numTraces the most undecided traces held; past it the oldest are decided early (the
 *     Collector drops them undecided). Split evenly over the event loops
 * @param blockOnOverflow when true, a batch that would start a trace past {@code num_traces} is
 *     refused with a retryable error (the client retries) instead of deciding old traces early
 * @param expectedNewTracesPerSec sizes the trace tables up front; 0 lets them grow
 * @param policies the sampling policies, evaluated in order ({@code drop} policies first)
 * @param decisionCache how many decided trace IDs are remembered so that late spans follow their
 *     trace's decision
 * @param sampleOnFirstMatch stop evaluating at the first policy that samples
 * @param dropPendingTracesOnShutdown on shutdown, drop undecided traces instead of deciding them on
 *     what arrived
 * @param maximumTraceSizeBytes a trace whose spans pass this many bytes is decided at once (the
 *     Collector drops it); 0 for no limit
 * @param maxBytes Sluice: the most bytes of spans held (undecided traces and sampled spans the next
 *     consumer has not taken yet), split evenly over the event loops; past it the oldest traces are
 *     decided early. 0 means a fifth of the JVM's maximum heap
 * @param recordPolicy Sluice's switch for what the Collector's feature gate
 *     {@code processor.tailsamplingprocessor.recordpolicy} does: sampled spans' scopes get the
 *     attributes {@code tailsampling.policy}, {@code tailsampling.composite_policy} and
 *     {@code tailsampling.cached_decision}
 * @param acknowledge Sluice: when a consumed batch is acknowledged upstream. {@code after_decision}:
 *     once every trace it brought spans of is decided and the kept ones were taken by the next
 *     consumer, so that a source that can replay (a Kafka receiver's offsets) loses nothing to a
 *     crash. {@code on_receipt}: once the spans are held, as the Collector does, for push clients
 *     whose export timeout is shorter than {@code decision_wait}. {@code auto} (the default): after
 *     the decision for batches from a source that replays what it has not had acknowledged (the
 *     {@code kafka} receiver), on receipt for the rest
 */
public record TailSamplingProcessorConfig(
    Duration decisionWait,
    Duration decisionWaitAfterRootReceived,
    long numTraces,
    boolean blockOnOverflow,
    long expectedNewTracesPerSec,
    List<PolicyConfig> policies,
    DecisionCacheConfig decisionCache,
    boolean sampleOnFirstMatch,
    boolean dropPendingTracesOnShutdown,
    long maximumTraceSizeBytes,
    long maxBytes,
    boolean recordPolicy,
    Acknowledge acknowledge)
    implements ComponentConfig {

  /** When a consumed batch is acknowledged to the component in front ({@code acknowledge}). */
  public enum Acknowledge {
    /** {@link #AFTER_DECISION} for batches from a source that replays, {@link #ON_RECEIPT} for the rest. */
    AUTO,
    /** Once every trace of the batch is decided and its kept spans were taken by the next consumer. */
    AFTER_DECISION,
    /** Once the spans are held, before their traces are decided. */
    ON_RECEIPT
  }

  public TailSamplingProcessorConfig {
    acknowledge = acknowledge == null ? Acknowledge.AUTO : acknowledge;
    policies = policies == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(policies));
    decisionCache = decisionCache == null ? new DecisionCacheConfig(0, 0) : decisionCache;
  }

  /**
   * How many decided trace IDs to remember.
   *
   * @param sampledCacheSize trace IDs of sampled traces; 0 keeps the last {@code num_traces}
   *     decided, as the Collector keeps decided traces in its buffer of {@code num_traces}
   * @param nonSampledCacheSize the same for traces that were not sampled
   */
  public record DecisionCacheConfig(long sampledCacheSize, long nonSampledCacheSize) {}

  /** The Collector's defaults: 30 s, 50,000 traces, no policies. */
  public static TailSamplingProcessorConfig defaults() {
    return new TailSamplingProcessorConfig(Duration.ofSeconds(30), Duration.ZERO, 50_000, false, 0, List.of(),
        new DecisionCacheConfig(0, 0), false, false, 0, 0, false, Acknowledge.AUTO);
  }

  /** {@code max_bytes}, or a fifth of the maximum heap when it is 0. */
  long effectiveMaxBytes() {
    return maxBytes > 0 ? maxBytes : Math.max(16L << 20, Runtime.getRuntime().maxMemory() / 5);
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    if (decisionWait == null || decisionWait.isNegative() || decisionWait.isZero()) {
      problems.add(new ConfigProblem("decision_wait", (decisionWait == null ? "is empty" : "\""
          + GoDurations.format(decisionWait) + "\" is not above 0") + "; give a duration such as \"30s\""));
    }
    if (decisionWaitAfterRootReceived == null || decisionWaitAfterRootReceived.isNegative()) {
      problems.add(new ConfigProblem("decision_wait_after_root_received",
          "must be a duration of 0 (off) or more, such as \"2s\""));
    }
    if (numTraces <= 0) {
      problems.add(new ConfigProblem("num_traces", numTraces + " is not above 0; give the most traces to hold,"
          + " such as 50000"));
    }
    if (expectedNewTracesPerSec < 0) {
      problems.add(new ConfigProblem("expected_new_traces_per_sec", expectedNewTracesPerSec + " is negative"));
    }
    if (decisionCache.sampledCacheSize() < 0) {
      problems.add(new ConfigProblem("decision_cache.sampled_cache_size", decisionCache.sampledCacheSize()
          + " is negative; give a number of trace IDs, or 0 to remember the last num_traces"));
    }
    if (decisionCache.nonSampledCacheSize() < 0) {
      problems.add(new ConfigProblem("decision_cache.non_sampled_cache_size", decisionCache.nonSampledCacheSize()
          + " is negative; give a number of trace IDs, or 0 to remember the last num_traces"));
    }
    if (maximumTraceSizeBytes < 0) {
      problems.add(new ConfigProblem("maximum_trace_size_bytes", maximumTraceSizeBytes
          + " is negative; give a size in bytes, or 0 for no limit"));
    }
    if (maxBytes < 0) {
      problems.add(new ConfigProblem("max_bytes", maxBytes
          + " is negative; give a size in bytes, or 0 for a fifth of the maximum heap"));
    } else if (maxBytes > 0 && maxBytes < 1 << 20) {
      problems.add(new ConfigProblem("max_bytes", maxBytes + " is below 1 MiB (1048576); a trace alone may be"
          + " larger. Give at least 1048576, or 0 for a fifth of the maximum heap"));
    }
    if (policies.isEmpty()) {
      problems.add(new ConfigProblem("policies", "at least one policy is needed, such as"
          + " {name: errors, type: status_code, status_code: {status_codes: [ERROR]}}; types: "
          + String.join(", ", PolicyConfig.TOP_LEVEL_TYPES)));
    }
    PolicyConfig.validateList("policies", policies, PolicyConfig.Level.TOP, problems);
    return problems;
  }
}
