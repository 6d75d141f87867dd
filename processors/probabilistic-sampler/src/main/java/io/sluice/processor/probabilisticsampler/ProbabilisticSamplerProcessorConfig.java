package io.sluice.processor.probabilisticsampler;

import io.sluice.core.ComponentConfig;
import io.sluice.core.ConfigProblem;
import io.sluice.core.Signal;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Config of the {@code probabilistic_sampler} processor, with the Collector's keys and defaults.
 *
 * @param samplingPercentage the share of items to keep, in percent; 100 or more keeps everything
 *     and 0 nothing. Read as the Collector reads it, in single precision
 * @param hashSeed the seed of {@code hash_seed} mode's hash (0 to 4294967295): every gateway of
 *     a tier must use the same one to keep the same traces
 * @param mode {@code hash_seed} (also when empty, the default), {@code proportional} or
 *     {@code equalizing}
 * @param samplingPrecision hex digits (1 to 14) of the thresholds written in the consistent modes
 * @param failClosed drop items that cannot be decided (no randomness, a tracestate that does not
 *     parse); false keeps them
 * @param attributeSource logs only: {@code traceID} hashes a record's trace ID (and
 *     {@code from_attribute} when it has none), {@code record} only {@code from_attribute}
 * @param fromAttribute logs only: the record attribute to hash in {@code hash_seed} mode
 * @param samplingPriority logs only: a record attribute whose number is the percentage to sample
 *     that record at, instead of {@code sampling_percentage}
 */
public record ProbabilisticSamplerProcessorConfig(
    double samplingPercentage,
    long hashSeed,
    String mode,
    int samplingPrecision,
    boolean failClosed,
    String attributeSource,
    String fromAttribute,
    String samplingPriority)
    implements ComponentConfig {

  static final String MODE_HASH_SEED = "hash_seed";
  static final String MODE_PROPORTIONAL = "proportional";
  static final String MODE_EQUALIZING = "equalizing";
  static final String SOURCE_TRACE_ID = "traceID";
  static final String SOURCE_RECORD = "record";
  private static final long MAX_SEED = 0xFFFF_FFFFL;

  public ProbabilisticSamplerProcessorConfig {
    mode = mode == null ? "" : mode;
    attributeSource = attributeSource == null || attributeSource.isEmpty() ? SOURCE_TRACE_ID : attributeSource;
    fromAttribute = fromAttribute == null ? "" : fromAttribute;
    samplingPriority = samplingPriority == null ? "" : samplingPriority;
  }

  /** The Collector's defaults: 0%, seed 0, hash_seed mode, 4 digits, fail closed, trace IDs for logs. */
  public static ProbabilisticSamplerProcessorConfig defaults() {
    return new ProbabilisticSamplerProcessorConfig(0, 0, "", 4, true, SOURCE_TRACE_ID, "", "");
  }

  /** The mode in effect: {@code hash_seed} when none is set. */
  @Override
  public String mode() {
    return mode.isEmpty() ? MODE_HASH_SEED : mode;
  }

  /** The percentage as decisions use it: in single precision, as the Collector holds it. */
  float percentage() {
    return (float) samplingPercentage;
  }

  @Override
  public List<ConfigProblem> validate() {
    List<ConfigProblem> problems = new ArrayList<>();
    float pct = percentage();
    if (Float.isNaN(pct) || Float.isInfinite(pct)) {
      problems.add(new ConfigProblem("sampling_percentage", samplingPercentage + " is not a percentage; give a"
          + " number from 0 (keep nothing) to 100 (keep everything), such as 10"));
    } else if (pct < 0) {
      problems.add(new ConfigProblem("sampling_percentage", format(samplingPercentage) + " is negative; give a"
          + " number from 0 (keep nothing) to 100 (keep everything), such as 10"));
    } else if (pct > 0 && (double) pct / 100 < Thresholds.MIN_PROBABILITY) {
      problems.add(new ConfigProblem("sampling_percentage", format(samplingPercentage) + " is too small: the"
          + " smallest percentage that can be sampled is 2^-56 * 100 (about 1.4e-15); use 0 to keep nothing"));
    }
    if (hashSeed < 0 || hashSeed > MAX_SEED) {
      problems.add(new ConfigProblem("hash_seed", hashSeed + " is out of range; the seed is an unsigned 32-bit"
          + " number, from 0 to " + MAX_SEED));
    }
    if (!List.of("", MODE_HASH_SEED, MODE_PROPORTIONAL, MODE_EQUALIZING).contains(mode)) {
      problems.add(new ConfigProblem("mode", "\"" + mode + "\" is not a sampler mode; use " + MODE_HASH_SEED
          + " (the default), " + MODE_PROPORTIONAL + " or " + MODE_EQUALIZING + closest(mode)));
    }
    if (samplingPrecision < 1 || samplingPrecision > Thresholds.DIGITS) {
      problems.add(new ConfigProblem("sampling_precision", samplingPrecision + " is out of range; give the number"
          + " of hex digits of written thresholds, from 1 to 14 (default 4)"));
    }
    if (!SOURCE_TRACE_ID.equals(attributeSource) && !SOURCE_RECORD.equals(attributeSource)) {
      problems.add(new ConfigProblem("attribute_source", "\"" + attributeSource + "\" is not an attribute source;"
          + " use " + SOURCE_TRACE_ID + " (the default: the record's trace ID) or " + SOURCE_RECORD
          + " (the attribute named by from_attribute)"));
    } else if (SOURCE_RECORD.equals(attributeSource) && fromAttribute.isEmpty()) {
      problems.add(new ConfigProblem("attribute_source", "is \"record\" but from_attribute is empty, so no record"
          + " could be decided; name the attribute to hash in from_attribute, such as \"log.id\""));
    }
    return problems;
  }

  /** Logs-only keys on a processor that no logs pipeline uses would change nothing: an error, at the key. */
  @Override
  public List<ConfigProblem> validateUse(Set<Signal> signals) {
    if (signals.contains(Signal.LOGS)) {
      return List.of();
    }
    List<ConfigProblem> problems = new ArrayList<>();
    String why = " applies to logs only, and this processor is only in " + signals.iterator().next()
        + " pipelines; remove it, or use the processor in a logs pipeline";
    if (!SOURCE_TRACE_ID.equals(attributeSource)) {
      problems.add(new ConfigProblem("attribute_source", "\"" + attributeSource + "\"" + why));
    }
    if (!fromAttribute.isEmpty()) {
      problems.add(new ConfigProblem("from_attribute", "\"" + fromAttribute + "\"" + why));
    }
    if (!samplingPriority.isEmpty()) {
      problems.add(new ConfigProblem("sampling_priority", "\"" + samplingPriority + "\"" + why
          + " (spans use their sampling.priority attribute)"));
    }
    return problems;
  }

  @Override
  public List<ConfigProblem> warnings() {
    List<ConfigProblem> warnings = new ArrayList<>();
    boolean consistent = MODE_PROPORTIONAL.equals(mode) || MODE_EQUALIZING.equals(mode);
    if (consistent && hashSeed != 0) {
      warnings.add(new ConfigProblem("hash_seed", "is only used in hash_seed mode; " + mode + " mode decides by"
          + " the trace ID's randomness (or rv)"));
    }
    if (consistent && (SOURCE_RECORD.equals(attributeSource) || !fromAttribute.isEmpty())) {
      warnings.add(new ConfigProblem(fromAttribute.isEmpty() ? "attribute_source" : "from_attribute",
          "is only used in hash_seed mode; " + mode + " mode decides log records by their trace ID"));
    }
    return warnings;
  }

  private static String closest(String wrong) {
    for (String m : List.of(MODE_HASH_SEED, MODE_PROPORTIONAL, MODE_EQUALIZING)) {
      if (m.equalsIgnoreCase(wrong.replace('-', '_').trim())) {
        return "; did you mean \"" + m + "\"?";
      }
    }
    return "";
  }

  private static String format(double v) {
    return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
  }
}
