package io.sluice.processor.tailsampling;

/**
 * What a policy says about a trace, as in the Collector. The inverted decisions come from
 * {@code invert_match} on the attribute policies (the Collector has deprecated them but still
 * makes them); they weigh differently in the final decision.
 */
enum Decision {
  SAMPLED,
  NOT_SAMPLED,
  INVERT_SAMPLED,
  INVERT_NOT_SAMPLED,
  DROPPED,
  ERROR;

  /** The {@code decision} label of the policy metrics: sampled, not_sampled or dropped. */
  String label() {
    return switch (this) {
      case SAMPLED, INVERT_SAMPLED -> "sampled";
      case DROPPED -> "dropped";
      default -> "not_sampled";
    };
  }
}
