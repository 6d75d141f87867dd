package io.sluice.processor.tailsampling;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.datapoints.DistributionDataPoint;
import io.prometheus.metrics.core.datapoints.GaugeDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.sluice.core.ComponentContext;
import io.sluice.core.Signal;
import io.sluice.core.telemetry.SelfMetrics;
import io.sluice.core.telemetry.SelfMetrics.ProcessorMetrics;
import java.util.List;

/**
 * The processor's own metrics: the Collector's {@code otelcol_processor_tail_sampling_*} with the
 * {@code sluice_} prefix, durations in seconds, and labelled by {@code component_id} and
 * {@code pipeline}; plus Sluice's early decisions and bytes held. Data points are taken once, so
 * recording is a lock-free add.
 */
final class TailSamplingMetrics {
  private static final String P = "sluice_processor_tail_sampling_";
  /** Seconds, with finer buckets just past 10 s and 30 s (common decision waits; 30 s is the default). */
  private static final double[] SECONDS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 10.25, 10.5, 11, 15, 20, 30, 30.25, 30.5, 31, 45, 60,
    120, 300
  };
  static final List<String> EARLY_REASONS = List.of("num_traces", "max_bytes", "trace_too_large");

  final ProcessorMetrics processor;
  final GaugeDataPoint tracesOnMemory;
  final GaugeDataPoint bytesOnMemory;
  final CounterDataPoint newTraces;
  final DistributionDataPoint decisionLatency;
  final DistributionDataPoint timerLatency;
  final DistributionDataPoint lateSpanAge;
  final CounterDataPoint evaluationErrors;
  final CounterDataPoint cacheReleasedSampled;
  final CounterDataPoint cacheReleasedNotSampled;
  /** By {@link Decision#ordinal()} of the final decision (sampled, not sampled, dropped). */
  final CounterDataPoint[] global = new CounterDataPoint[Decision.values().length];
  /** By the position in {@link #EARLY_REASONS}. */
  final CounterDataPoint[] early = new CounterDataPoint[EARLY_REASONS.size()];
  private final Counter tracesByPolicy;
  private final Counter spansByPolicy;
  private final String id;
  private final String pipeline;

  TailSamplingMetrics(ComponentContext ctx) {
    SelfMetrics m = ctx.metrics();
    id = ctx.id().toString();
    pipeline = ctx.pipeline();
    processor = m.processor(ctx.id(), ctx.pipeline(), Signal.TRACES);
    tracesOnMemory = m.sharedGauge(P + "sampling_traces_on_memory",
        "Traces held undecided.", "component_id", "pipeline").labelValues(id, pipeline);
    bytesOnMemory = m.sharedGauge(P + "bytes_on_memory",
        "Bytes of encoded spans held: undecided traces, and sampled spans the next consumer has not taken"
            + " yet. max_bytes also counts the bookkeeping of undecided traces.", "component_id", "pipeline").labelValues(id, pipeline);
    newTraces = m.sharedCounter(P + "new_trace_id_received", "Traces seen for the first time.",
        "component_id", "pipeline").labelValues(id, pipeline);
    decisionLatency = m.sharedHistogram(P + "sampling_decision_latency_seconds",
        "Time from a trace's first span to its sampling decision.", SECONDS, "component_id", "pipeline")
        .labelValues(id, pipeline);
    timerLatency = m.sharedHistogram(P + "sampling_decision_timer_latency_seconds",
        "Time one run of the decision timer took on one event loop (deciding the due traces and handing on"
            + " the sampled spans).", SECONDS, "component_id", "pipeline").labelValues(id, pipeline);
    lateSpanAge = m.sharedHistogram(P + "sampling_late_span_age_seconds",
        "Time from a trace's decision to the arrival of a late span of it.", SECONDS, "component_id", "pipeline")
        .labelValues(id, pipeline);
    evaluationErrors = m.sharedCounter(P + "sampling_policy_evaluation_error",
        "Policy evaluations that failed.", "component_id", "pipeline").labelValues(id, pipeline);
    Counter cache = m.sharedCounter(P + "early_releases_from_cache_decision",
        "Spans that followed their trace's decision from the decision cache as they arrived.",
        "component_id", "pipeline", "sampled");
    cacheReleasedSampled = cache.labelValues(id, pipeline, "true");
    cacheReleasedNotSampled = cache.labelValues(id, pipeline, "false");
    Counter g = m.sharedCounter(P + "global_count_traces_sampled",
        "Traces decided, by final decision.", "component_id", "pipeline", "sampled", "decision");
    for (Decision d : List.of(Decision.SAMPLED, Decision.NOT_SAMPLED, Decision.DROPPED)) {
      global[d.ordinal()] = g.labelValues(id, pipeline, String.valueOf(d == Decision.SAMPLED), d.label());
    }
    Counter e = m.sharedCounter(P + "early_decisions",
        "Traces decided before decision_wait, by reason: num_traces or max_bytes was reached (the oldest"
            + " trace is decided on what has arrived), or the trace passed maximum_trace_size_bytes.",
        "component_id", "pipeline", "reason");
    for (int i = 0; i < EARLY_REASONS.size(); i++) {
      early[i] = e.labelValues(id, pipeline, EARLY_REASONS.get(i));
    }
    tracesByPolicy = m.sharedCounter(P + "count_traces_sampled",
        "Traces by the decision each policy made for them.", "component_id", "pipeline", "policy", "sampled",
        "decision");
    spansByPolicy = m.sharedCounter(P + "count_spans_sampled",
        "Spans by the decision each policy made for their trace.", "component_id", "pipeline", "policy",
        "sampled", "decision");
  }

  /** The counters of one policy: traces and spans, by {@link Decision#ordinal()}. */
  CounterDataPoint[][] policy(String name) {
    CounterDataPoint[][] out = new CounterDataPoint[2][Decision.values().length];
    for (Decision d : Decision.values()) {
      if (d == Decision.ERROR) {
        continue;
      }
      String sampled = String.valueOf(d == Decision.SAMPLED || d == Decision.INVERT_SAMPLED);
      out[0][d.ordinal()] = tracesByPolicy.labelValues(id, pipeline, name, sampled, d.label());
      out[1][d.ordinal()] = spansByPolicy.labelValues(id, pipeline, name, sampled, d.label());
    }
    return out;
  }
}
