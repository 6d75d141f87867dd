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
    long priorityThreshold = switch (priority) {
      case PRIORITY_ZERO -> Thresholds.NEVER;
      case PRIORITY_POSITIVE -> Thresholds.ALWAYS;
      default -> -1;
    };
    return decide(valid, editor, traceId, tidOff, hasTraceId, traceId, tidOff, hasTraceId ? 16 : 0,
        priorityThreshold);
  }

  /**
   * Decides one log record from what {@code in} holds, and records in {@code edit} the attributes
   * the kept record should carry.
   *
   * @return {@link #DROP}, {@link #KEEP}, or {@link #KEEP_CHANGED} when {@code edit} has changes
   */
  int decideLogRecord(LogRecordInputs in, LogRecordEdit edit) {
    boolean hasTraceId = in.traceIdLength == 16 && !isZero(in.traceId, in.traceIdOffset, 16);
    boolean valid = edit.reset(in);
    long priorityThreshold = -1;
    if (!Double.isNaN(in.priorityPercent) && in.priorityPercent != 0) {
      priorityThreshold = Thresholds.fromProbability(in.priorityPercent / 100, precision);
    }
    int verdict;
    if (logsHashTraceId && hasTraceId) {
      verdict = decide(valid, edit, in.traceId, in.traceIdOffset, true, in.traceId, in.traceIdOffset, 16,
          priorityThreshold);
    } else {
      verdict = decide(valid, edit, in.traceId, in.traceIdOffset, hasTraceId, in.source, in.sourceOffset,
          in.sourceLength, priorityThreshold);
    }
    return verdict == KEEP_CHANGED && edit.isEmpty() ? KEEP : verdict;
  }

  /**
   * The decision, for a span or a log record alike.
   *
   * @param valid whether the item's sampling state parsed; when not, {@code c} holds nothing
   * @param c the item's threshold and randomness, changed as the kept item should carry them
   * @param hasTraceId whether {@code traceId} holds a trace ID (16 bytes, not all zero)
   * @param key what {@code hash_seed} mode hashes, {@code keyLen} 0 (or less) for nothing
   * @param priorityThreshold the threshold the item's priority sets, or -1 for none
   */
  private int decide(boolean valid, Carrier c, byte[] traceId, int tidOff, boolean hasTraceId, byte[] key,
      int keyOff, int keyLen, long priorityThreshold) {
    boolean carrier = valid;
    boolean error = !valid;
    boolean missing = false;
    long r = Thresholds.MAX_RANDOMNESS;
    switch (mode) {
      case NEVER -> { }
      case HASH_SEED -> {
        missing = keyLen <= 0;
        if (!missing) {
          r = HashSeed.randomness(HashSeed.hash(seed, key, keyOff, keyLen));
        }
        if (valid && (c.hasRandomness() || c.hasThreshold())) {
          error = true;
          carrier = false;
        } else if (valid && !missing) {
          c.setRandomness(r);
        }
      }
      default -> {
        if (valid && c.hasRandomness()) {
          r = c.randomness();
        } else if (valid && hasTraceId) {
          r = Thresholds.traceIdRandomness(traceId, tidOff);
        } else {
          missing = true;
        }
      }
    }
    if (!error) {
      if (missing) {
        error = true;
      } else if (c.hasThreshold() && c.threshold() > r) {
        c.clearThreshold();
        error = true;
      }
    }
    long t = error ? fallback() : decide(c.hasThreshold(), c.threshold());
    boolean known = !error;
    if (priorityThreshold >= 0) {
      t = priorityThreshold;
      known = true;
    }
    if (!Thresholds.samples(t, r)) {
      return DROP;
    }
    if (!carrier) {
      return KEEP;
    }
    if (known) {
      c.raiseThreshold(t);
    }
    return KEEP_CHANGED;
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

  /**
   * Where an item carries its sampling threshold and randomness, and how they change: a span's
   * tracestate ({@link TraceStateEditor}) or a log record's attributes ({@link LogRecordEdit}).
   */
  interface Carrier {
    boolean hasThreshold();

    long threshold();

    boolean hasRandomness();

    long randomness();

    /** Sets the randomness the item was decided with. */
    void setRandomness(long r);

    /** Removes the threshold, as for one that the randomness contradicts. */
    void clearThreshold();

    /** Records that the item was kept at threshold {@code t}, unless it arrived with a higher one. */
    void raiseThreshold(long t);
  }

  /**
   * A log record's {@code sampling.threshold} and {@code sampling.randomness} as read, and the
   * changes a kept record gets; reused from record to record.
   */
  static final class LogRecordEdit implements Carrier {
    private long threshold = -1;
    private long randomness = -1;
    /** The new {@code sampling.randomness}, or null to leave it. */
    String newRandomness;
    /** The new {@code sampling.threshold}, or null to leave it. */
    String newThreshold;
    /** Whether to remove {@code sampling.threshold} (when {@link #newThreshold} is null). */
    boolean removeThreshold;

    /** Starts over with the record {@code in} describes; false when an attribute does not parse. */
    boolean reset(LogRecordInputs in) {
      newRandomness = null;
      newThreshold = null;
      removeThreshold = false;
      threshold = -1;
      randomness = -1;
      boolean valid = true;
      if (in.thresholdLength > 0) {
        threshold = Thresholds.parseThreshold(in.threshold, in.thresholdOffset, in.thresholdLength);
        valid = threshold >= 0;
      }
      if (in.randomnessLength > 0) {
        randomness = Thresholds.parseRandomness(in.randomness, in.randomnessOffset, in.randomnessLength);
        valid &= randomness >= 0;
      }
      return valid;
    }

    @Override
    public boolean hasThreshold() {
      return threshold >= 0;
    }

    @Override
    public long threshold() {
      return threshold;
    }

    @Override
    public boolean hasRandomness() {
      return randomness >= 0;
    }

    @Override
    public long randomness() {
      return randomness;
    }

    @Override
    public void setRandomness(long r) {
      randomness = r;
      newRandomness = Thresholds.encodeRandomness(r);
    }

    @Override
    public void clearThreshold() {
      threshold = -1;
      newThreshold = null;
      removeThreshold = true;
    }

    @Override
    public void raiseThreshold(long t) {
      if (threshold > t) {
        return;
      }
      threshold = t;
      newThreshold = Thresholds.encodeThreshold(t);
    }

    boolean isEmpty() {
      return newRandomness == null && newThreshold == null && !removeThreshold;
    }
  }
}
