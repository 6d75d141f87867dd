package io.sluice.processor.probabilisticsampler;

/**
 * The decision of one {@code probabilistic_sampler}, for one span or log record at a time, from
 * the few things it reads: the trace ID, the sampling threshold and randomness the item arrived
 * with (a span's {@code tracestate}, a log record's {@code sampling.threshold} and
 * {@code sampling.randomness} attributes), its priority, and for logs the attribute to hash.
 * Immutable and shared by every thread that runs the processor.
 *
 * <p>The steps, for every mode:
 * <ol>
 *   <li>Randomness R: in {@code hash_seed} mode from the hash of the seed and the trace ID (or the
 *       log record's attribute); in the consistent modes the {@code rv} the item carries, else the
 *       trace ID's low 56 bits. A zero or absent trace ID with nothing else is missing randomness.
 *   <li>Errors: a tracestate (or threshold attribute) that does not parse, missing randomness, an
 *       arriving threshold that R contradicts (which is erased), and in {@code hash_seed} mode an
 *       item that already carries {@code rv} or {@code th} (the hash cannot be consistent with
 *       them). On error the item is dropped when {@code fail_closed} (the default), else kept
 *       with its probability unknown, so no threshold is written for it.
 *   <li>Threshold T: {@code hash_seed} the configured one; {@code equalizing} the higher of the
 *       configured and the arriving one; {@code proportional} the arriving probability (100%
 *       without {@code th}) times the configured ratio, below 2^-56 never sampled.
 *   <li>Priority: a span's {@code sampling.priority} of 0 drops it and a positive one keeps it
 *       (T = 0); a log record's {@code sampling_priority} attribute gives a percentage to use
 *       instead of the configured one.
 *   <li>The item is kept when {@code R >= T}, and then carries T (only ever raised) and, in
 *       {@code hash_seed} mode, the R it was decided with.
 * </ol>
 */
final class Sampler {
  /** The mode decisions follow; {@code NEVER} stands for a percentage of 0. */
  enum Mode { HASH_SEED, PROPORTIONAL, EQUALIZING, NEVER }

  /** A span's {@code sampling.priority}: absent or negative, 0, positive. */
  static final int PRIORITY_NONE = 0;
  static final int PRIORITY_ZERO = 1;
  static final int PRIORITY_POSITIVE = 2;

  /** The item is dropped. */
  static final int DROP = 0;
  /** The item is kept as it arrived. */
  static final int KEEP = 1;
  /** The item is kept with the changes the decision left (the editor's tracestate, the {@link LogRecordEdit}). */
  static final int KEEP_CHANGED = 2;

  private final Mode mode;
  private final long threshold;
  private final double ratio;
  private final int precision;
  private final int seed;
  private final boolean failClosed;
  private final boolean logsHashTraceId;

  private Sampler(Mode mode, long threshold, double ratio, int precision, int seed, boolean failClosed,
      boolean logsHashTraceId) {
    this.mode = mode;
    this.threshold = threshold;
    this.ratio = ratio;
    this.precision = precision;
    this.seed = seed;
    this.failClosed = failClosed;
    this.logsHashTraceId = logsHashTraceId;
  }

  /** The sampler a valid config describes. */
  static Sampler of(ProbabilisticSamplerProcessorConfig c) {
    float pct = Math.min(c.percentage(), 100f);
    int seed = (int) c.hashSeed();
    boolean traceId = !ProbabilisticSamplerProcessorConfig.SOURCE_RECORD.equals(c.attributeSource());
    if (pct <= 0) {
      return new Sampler(Mode.NEVER, Thresholds.NEVER, 0, c.samplingPrecision(), seed, c.failClosed(), traceId);
    }
    double ratio = Math.max((double) pct / 100, Thresholds.MIN_PROBABILITY);
    return switch (c.mode()) {
      case ProbabilisticSamplerProcessorConfig.MODE_EQUALIZING -> new Sampler(Mode.EQUALIZING,
          Thresholds.fromProbability(ratio, c.samplingPrecision()), ratio, c.samplingPrecision(), seed,
          c.failClosed(), traceId);
      case ProbabilisticSamplerProcessorConfig.MODE_PROPORTIONAL -> new Sampler(Mode.PROPORTIONAL,
          Thresholds.fromProbability(ratio, c.samplingPrecision()), ratio, c.samplingPrecision(), seed,
          c.failClosed(), traceId);
      default -> {
        int scaled = HashSeed.scaledRate(pct);
        yield scaled == 0
            ? new Sampler(Mode.NEVER, Thresholds.NEVER, 0, c.samplingPrecision(), seed, c.failClosed(), traceId)
            : new Sampler(Mode.HASH_SEED, HashSeed.threshold(scaled), ratio, c.samplingPrecision(), seed,
                c.failClosed(), traceId);
      }
    };
  }

  Mode mode() {
    return mode;
  }

  /** The configured threshold of {@code hash_seed} and {@code equalizing} mode. */
  long threshold() {
    return threshold;
  }

  /**
   * Decides one span.
   *
   * @param traceId the span's trace ID at {@code tidOff}; {@code tidLen} other than 16 counts as none
   * @param ts the span's tracestate at {@code tsOff}, {@code tsLen} bytes (0 for none)
   * @param priority {@link #PRIORITY_NONE}, {@link #PRIORITY_ZERO} or {@link #PRIORITY_POSITIVE}
   * @param editor left holding the tracestate as the kept span should carry it
   * @return {@link #DROP}, {@link #KEEP}, or {@link #KEEP_CHANGED} when the span should carry
   *     {@code editor.write()} (which may still equal what it had)
   */
  int decideSpan(byte[] traceId, int tidOff, int tidLen, byte[] ts, int tsOff, int tsLen, int priority,
      TraceStateEditor editor) {
    boolean hasTraceId = tidLen == 16 && !isZero(traceId, tidOff, 16);
    boolean valid = editor.parse(ts, tsOff, tsLen);
    boolean carrier = valid;
    boolean error = !valid;
    boolean missing;
    long r;
    switch (mode) {
      case NEVER -> {
        missing = false;
        r = Thresholds.MAX_RANDOMNESS;
      }
      case HASH_SEED -> {
        missing = !hasTraceId;
        r = hasTraceId ? HashSeed.randomness(HashSeed.hash(seed, traceId, tidOff, 16)) : Thresholds.MAX_RANDOMNESS;
        if (valid && (editor.hasRandomness() || editor.hasThreshold())) {
          error = true;
          carrier = false;
        } else if (valid && !missing) {
          editor.setRandomness(r);
        }
      }
      default -> {
        if (valid && editor.hasRandomness()) {
          missing = false;
          r = editor.randomness();
        } else if (valid && hasTraceId) {
          missing = false;
          r = Thresholds.traceIdRandomness(traceId, tidOff);
        } else {
          missing = true;
          r = Thresholds.MAX_RANDOMNESS;
        }
      }
    }
    if (!error) {
      if (missing) {
        error = true;
      } else if (editor.hasThreshold() && editor.threshold() > r) {
        editor.clearThreshold();
        error = true;
      }
    }
    long t = error ? fallback() : decide(editor.hasThreshold(), editor.threshold());
    boolean known = !error;
    if (priority == PRIORITY_ZERO) {
      t = Thresholds.NEVER;
      known = true;
    } else if (priority == PRIORITY_POSITIVE) {
      t = Thresholds.ALWAYS;
      known = true;
    }
    if (!Thresholds.samples(t, r)) {
      return DROP;
    }
    if (!carrier) {
      return KEEP;
    }
    if (known) {
      editor.raiseThreshold(t);
    }
    return KEEP_CHANGED;
  }

  /**
   * Decides one log record from what {@code in} holds, and records in {@code edit} the attributes
   * the kept record should carry.
   *
   * @return {@link #DROP}, {@link #KEEP}, or {@link #KEEP_CHANGED} when {@code edit} has changes
   */
  int decideLogRecord(LogRecordInputs in, LogRecordEdit edit) {
    edit.clear();
    boolean hasTraceId = in.traceIdLength == 16 && !isZero(in.traceId, in.traceIdOffset, 16);
    long th = -1;
    long rv = -1;
    boolean valid = true;
    if (in.thresholdLength > 0) {
      th = Thresholds.parseThreshold(in.threshold, in.thresholdOffset, in.thresholdLength);
      valid = th >= 0;
    }
    if (in.randomnessLength > 0) {
      rv = Thresholds.parseRandomness(in.randomness, in.randomnessOffset, in.randomnessLength);
      valid &= rv >= 0;
    }
    boolean carrier = valid;
    boolean error = !valid;
    boolean missing;
    long r;
    switch (mode) {
      case NEVER -> {
        missing = false;
        r = Thresholds.MAX_RANDOMNESS;
      }
      case HASH_SEED -> {
        if (logsHashTraceId && hasTraceId) {
          missing = false;
          r = HashSeed.randomness(HashSeed.hash(seed, in.traceId, in.traceIdOffset, 16));
        } else if (in.sourceLength > 0) {
          missing = false;
          r = HashSeed.randomness(HashSeed.hash(seed, in.source, in.sourceOffset, in.sourceLength));
        } else {
          missing = true;
          r = Thresholds.MAX_RANDOMNESS;
        }
        if (valid && (rv >= 0 || th >= 0)) {
          error = true;
          carrier = false;
        } else if (valid && !missing) {
          edit.randomness = Thresholds.encodeRandomness(r);
        }
      }
      default -> {
        if (valid && rv >= 0) {
          missing = false;
          r = rv;
        } else if (valid && hasTraceId) {
          missing = false;
          r = Thresholds.traceIdRandomness(in.traceId, in.traceIdOffset);
        } else {
          missing = true;
          r = Thresholds.MAX_RANDOMNESS;
        }
      }
    }
    if (!error) {
      if (missing) {
        error = true;
      } else if (th > r) {
        edit.removeThreshold = true;
        th = -1;
        error = true;
      }
    }
    long t = error ? fallback() : decide(th >= 0, th);
    boolean known = !error;
    if (!Double.isNaN(in.priorityPercent)) {
      double p = in.priorityPercent / 100;
      long pt = p != 0 ? Thresholds.fromProbability(p, precision) : -1;
      if (pt >= 0) {
        t = pt;
        known = true;
      }
    }
    if (!Thresholds.samples(t, r)) {
      return DROP;
    }
    if (!carrier) {
      return KEEP;
    }
    if (known && !(th >= 0 && th > t)) {
      edit.threshold = Thresholds.encodeThreshold(t);
    }
    return edit.isEmpty() ? KEEP : KEEP_CHANGED;
  }

  /** The threshold for an item the sampler could not decide: drop it when failing closed, else keep it. */
  private long fallback() {
    return failClosed ? Thresholds.NEVER : Thresholds.ALWAYS;
  }

  private long decide(boolean hasArriving, long arriving) {
    return switch (mode) {
      case HASH_SEED -> threshold;
      case EQUALIZING -> hasArriving && arriving > threshold ? arriving : threshold;
      case PROPORTIONAL -> {
        double incoming = hasArriving ? Thresholds.probability(arriving) : 1.0;
        long t = Thresholds.fromProbability(incoming * ratio, precision);
        yield t < 0 ? Thresholds.NEVER : t;
      }
      case NEVER -> Thresholds.NEVER;
    };
  }

  private static boolean isZero(byte[] b, int off, int len) {
    for (int i = off, end = off + len; i < end; i++) {
      if (b[i] != 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * What a log record's decision reads, filled in by whoever read the record: byte ranges into
   * the record's encoding or into scratch arrays, a length of 0 (or less) meaning absent. Reused
   * from record to record.
   */
  static final class LogRecordInputs {
    byte[] traceId;
    int traceIdOffset;
    int traceIdLength;
    /** {@code sampling.threshold}, when it is a string. */
    byte[] threshold;
    int thresholdOffset;
    int thresholdLength;
    /** {@code sampling.randomness}, when it is a string. */
    byte[] randomness;
    int randomnessOffset;
    int randomnessLength;
    /** The bytes of the {@code from_attribute} attribute's value. */
    byte[] source;
    int sourceOffset;
    int sourceLength;
    /** The {@code sampling_priority} attribute's number, NaN when absent or not a number. */
    double priorityPercent = Double.NaN;

    void clear() {
      traceIdLength = 0;
      thresholdLength = 0;
      randomnessLength = 0;
      sourceLength = 0;
      priorityPercent = Double.NaN;
    }
  }

  /** The attribute changes a kept log record gets; reused from record to record. */
  static final class LogRecordEdit {
    /** The new {@code sampling.randomness}, or null to leave it. */
    String randomness;
    /** The new {@code sampling.threshold}, or null to leave it. */
    String threshold;
    /** Whether to remove {@code sampling.threshold} (when {@link #threshold} is null). */
    boolean removeThreshold;

    void clear() {
      randomness = null;
      threshold = null;
      removeThreshold = false;
    }

    boolean isEmpty() {
      return randomness == null && threshold == null && !removeThreshold;
    }
  }
}
