package io.sluice.processor.probabilisticsampler;

import static io.sluice.processor.probabilisticsampler.Sampler.DROP;
import static io.sluice.processor.probabilisticsampler.Sampler.KEEP;
import static io.sluice.processor.probabilisticsampler.Sampler.KEEP_CHANGED;
import static io.sluice.processor.probabilisticsampler.Sampler.PRIORITY_NONE;
import static io.sluice.processor.probabilisticsampler.Sampler.PRIORITY_POSITIVE;
import static io.sluice.processor.probabilisticsampler.Sampler.PRIORITY_ZERO;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** Decisions worked out by hand from the trace IDs' randomness and the configured thresholds. */
class SamplerTest {
  /** Its hash with seed 42 has the low 14 bits 7839 (see HashSeedTest): kept at 8192 buckets (50%). */
  private static final byte[] TRACE_ID = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  private static final byte[] ZERO_ID = new byte[16];

  private final TraceStateEditor editor = new TraceStateEditor();
  private String written;

  @Nested
  class HashSeedSpans {
    @Test
    void keepsWhenTheLowFourteenBitsOfTheHashAreBelowTheScaledPercentage() {
      Sampler half = sampler(50, 42, "", true);
      assertThat(span(half, TRACE_ID, "", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      // The decision travels as rv (the hash's randomness) and th (16384 - 8192 buckets).
      assertThat(written).isEqualTo("ot=rv:85801d4b531e9f;th:8");
      // 47.8% scales to 7831 buckets: 7839 is not below it.
      assertThat(span(sampler(47.8, 42, "", true), TRACE_ID, "", PRIORITY_NONE)).isEqualTo(DROP);
      // At 100% every hash is kept, with th:0.
      assertThat(span(sampler(100, 0, "", true), TRACE_ID, "", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).startsWith("ot=rv:").endsWith(";th:0");
    }

    @Test
    void keepsOtherVendorsEntriesAfterItsOwn() {
      assertThat(span(sampler(50, 42, "", true), TRACE_ID, "congo=t61rcWkgMzE", PRIORITY_NONE))
          .isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=rv:85801d4b531e9f;th:8,congo=t61rcWkgMzE");
    }

    @Test
    void aSpanThatAlreadyCarriesAThresholdOrRandomnessCannotBeDecidedByTheHash() {
      assertThat(span(sampler(100, 42, "", true), TRACE_ID, "ot=th:8", PRIORITY_NONE)).isEqualTo(DROP);
      assertThat(span(sampler(100, 42, "", true), TRACE_ID, "ot=rv:00000000000001", PRIORITY_NONE))
          .isEqualTo(DROP);
      assertThat(span(sampler(1, 42, "", false), TRACE_ID, "ot=th:8", PRIORITY_NONE))
          .as("failing open passes it on as it came").isEqualTo(KEEP);
    }

    @Test
    void aZeroTraceIdHasNoRandomness() {
      assertThat(span(sampler(100, 42, "", true), ZERO_ID, "", PRIORITY_NONE)).isEqualTo(DROP);
      assertThat(span(sampler(1, 42, "", false), ZERO_ID, "a=b", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).as("kept with its probability unknown: no th, and no made-up rv").isEqualTo("a=b");
    }

    @Test
    void zeroPercentKeepsNothingButWhatPriorityKeeps() {
      Sampler none = sampler(0, 42, "", true);
      assertThat(none.mode()).isEqualTo(Sampler.Mode.NEVER);
      assertThat(span(none, TRACE_ID, "", PRIORITY_NONE)).isEqualTo(DROP);
      assertThat(span(none, TRACE_ID, "", PRIORITY_POSITIVE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=th:0");
      // Below one of the 16384 buckets is 0% too.
      assertThat(sampler(0.006, 42, "", true).mode()).isEqualTo(Sampler.Mode.NEVER);
    }

    @Test
    void anUnreadableTracestateFailsClosedOrOpen() {
      assertThat(span(sampler(100, 42, "", true), TRACE_ID, "ot=th:", PRIORITY_NONE)).isEqualTo(DROP);
      assertThat(span(sampler(100, 42, "", false), TRACE_ID, "Bad=1", PRIORITY_NONE)).isEqualTo(KEEP);
    }
  }

  @Nested
  class ConsistentSpans {
    /** A trace ID whose low 56 bits are {@code r}. */
    private byte[] id(long r) {
      byte[] id = new byte[16];
      id[0] = 0x5a;
      for (int i = 15; i >= 9; i--) {
        id[i] = (byte) r;
        r >>>= 8;
      }
      return id;
    }

    @Test
    void proportionalKeepsWhenTheTraceIdRandomnessReachesTheThreshold() {
      Sampler quarter = sampler(25, 0, "proportional", true);
      // 25% is T = 0xc0000000000000: R equal to T is kept, one below is not.
      assertThat(span(quarter, id(0xc0000000000000L), "", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=th:c");
      assertThat(span(quarter, id(0xbfffffffffffffL), "", PRIORITY_NONE)).isEqualTo(DROP);
    }

    @Test
    void proportionalMultipliesTheArrivingProbability() {
      Sampler quarter = sampler(25, 0, "proportional", true);
      // Arrived at 50% (th:8), kept at 25% of that: 12.5%, T = 0xe0000000000000.
      assertThat(span(quarter, id(0xe0000000000000L), "ot=th:8", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=th:e");
      assertThat(span(quarter, id(0xdfffffffffffffL), "ot=th:8", PRIORITY_NONE)).isEqualTo(DROP);
      // Arrived at 25% (th:c), half of that: 12.5% again.
      assertThat(span(sampler(50, 0, "proportional", true), id(0xe0000000000000L), "ot=th:c", PRIORITY_NONE))
          .isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=th:e");
      // 2^-56 halved is below the smallest probability: never sampled, whatever R.
      assertThat(span(sampler(50, 0, "proportional", true), id((1L << 56) - 1), "ot=th:ffffffffffffff",
          PRIORITY_NONE)).isEqualTo(DROP);
    }

    @Test
    void equalizingRaisesTheThresholdToTheConfiguredOneAndNoLower() {
      Sampler quarter = sampler(25, 0, "equalizing", true);
      assertThat(span(quarter, id(0xc0000000000000L), "ot=th:8", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=th:c");
      assertThat(span(quarter, id(0xbfffffffffffffL), "ot=th:8", PRIORITY_NONE)).isEqualTo(DROP);
      // Arrived at 12.5%, below 25%: it stays at 12.5%.
      assertThat(span(quarter, id(0xe0000000000000L), "ot=th:e", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=th:e");
      assertThat(span(quarter, id(0xc0000000000000L), "", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=th:c");
    }

    @Test
    void rvTakesThePlaceOfTheTraceIdsRandomness() {
      Sampler onePercent = sampler(1, 0, "proportional", true);
      assertThat(span(onePercent, id(0), "ot=rv:ffffffffffffff", PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=rv:ffffffffffffff;th:fd70a");
      assertThat(span(onePercent, id((1L << 56) - 1), "ot=rv:00000000000000", PRIORITY_NONE)).isEqualTo(DROP);
      assertThat(span(onePercent, ZERO_ID, "ot=rv:ffffffffffffff", PRIORITY_NONE))
          .as("rv is randomness enough without a trace ID").isEqualTo(KEEP_CHANGED);
    }

    @Test
    void anArrivingThresholdThatTheRandomnessContradictsIsErased() {
      // th:8 says only R >= 2^55 was kept upstream; R = 2^55 - 1 contradicts it.
      assertThat(span(sampler(100, 0, "proportional", true), id((1L << 55) - 1), "ot=th:8;x:1,a=b",
          PRIORITY_NONE)).isEqualTo(DROP);
      assertThat(span(sampler(100, 0, "proportional", false), id((1L << 55) - 1), "ot=th:8;x:1,a=b",
          PRIORITY_NONE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=x:1,a=b");
    }

    @Test
    void aMissingTraceIdFailsClosedOrOpen() {
      assertThat(span(sampler(100, 0, "equalizing", true), ZERO_ID, "", PRIORITY_NONE)).isEqualTo(DROP);
      assertThat(span(sampler(100, 0, "equalizing", true), new byte[8], "", PRIORITY_NONE))
          .as("an 8-byte trace ID is no trace ID").isEqualTo(DROP);
      assertThat(span(sampler(100, 0, "equalizing", false), ZERO_ID, "ot=th:8", PRIORITY_NONE))
          .isEqualTo(KEEP_CHANGED);
      assertThat(written).as("nothing known to write").isEqualTo("ot=th:8");
    }

    @Test
    void priorityOverridesTheDecision() {
      Sampler tiny = sampler(0.0001, 0, "proportional", true);
      assertThat(span(tiny, id(0), "", PRIORITY_POSITIVE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).isEqualTo("ot=th:0");
      assertThat(span(tiny, id(1L << 55), "ot=th:8", PRIORITY_POSITIVE)).isEqualTo(KEEP_CHANGED);
      assertThat(written).as("a threshold is never lowered, even by priority").isEqualTo("ot=th:8");
      assertThat(span(sampler(100, 0, "proportional", true), id(1L << 55), "", PRIORITY_ZERO)).isEqualTo(DROP);
      assertThat(span(sampler(100, 0, "proportional", true), ZERO_ID, "", PRIORITY_POSITIVE))
          .as("priority keeps even what could not be decided").isEqualTo(KEEP_CHANGED);
    }
  }

  @Test
  void samplingPriorityValuesAreReadAsNumbers() {
    assertThat(AttributeValues.spanPriority(0L)).isEqualTo(PRIORITY_ZERO);
    assertThat(AttributeValues.spanPriority(3L)).isEqualTo(PRIORITY_POSITIVE);
    assertThat(AttributeValues.spanPriority(-1L)).isEqualTo(PRIORITY_NONE);
    assertThat(AttributeValues.spanPriority(0.0)).isEqualTo(PRIORITY_ZERO);
    assertThat(AttributeValues.spanPriority(0.5)).isEqualTo(PRIORITY_POSITIVE);
    assertThat(AttributeValues.spanPriority(Double.NaN)).isEqualTo(PRIORITY_NONE);
    assertThat(AttributeValues.spanPriority("0")).isEqualTo(PRIORITY_ZERO);
    assertThat(AttributeValues.spanPriority("1.5")).isEqualTo(PRIORITY_POSITIVE);
    assertThat(AttributeValues.spanPriority("1e3")).isEqualTo(PRIORITY_POSITIVE);
    assertThat(AttributeValues.spanPriority("0x1p-2")).isEqualTo(PRIORITY_POSITIVE);
    assertThat(AttributeValues.spanPriority("+Inf")).isEqualTo(PRIORITY_POSITIVE);
    assertThat(AttributeValues.spanPriority("-0")).isEqualTo(PRIORITY_ZERO);
    assertThat(AttributeValues.spanPriority("yes")).isEqualTo(PRIORITY_NONE);
    assertThat(AttributeValues.spanPriority(" 1")).as("no blanks").isEqualTo(PRIORITY_NONE);
    assertThat(AttributeValues.spanPriority("1d")).as("no Java suffixes").isEqualTo(PRIORITY_NONE);
    assertThat(AttributeValues.spanPriority("1e999")).as("out of range").isEqualTo(PRIORITY_NONE);
    assertThat(AttributeValues.spanPriority("")).isEqualTo(PRIORITY_NONE);
  }

  @Nested
  class LogRecords {
    private final Sampler.LogRecordInputs in = new Sampler.LogRecordInputs();
    private final Sampler.LogRecordEdit edit = new Sampler.LogRecordEdit();

    private int decide(Sampler s) {
      return s.decideLogRecord(in, edit);
    }

    private void source(String value) {
      in.source = value.getBytes(StandardCharsets.UTF_8);
      in.sourceOffset = 0;
      in.sourceLength = in.source.length;
    }

    private void traceId(byte[] id) {
      in.traceId = id;
      in.traceIdOffset = 0;
      in.traceIdLength = id.length;
    }

    private void threshold(String th) {
      in.threshold = th.getBytes(StandardCharsets.US_ASCII);
      in.thresholdOffset = 0;
      in.thresholdLength = in.threshold.length;
    }

    private void randomness(String rv) {
      in.randomness = rv.getBytes(StandardCharsets.US_ASCII);
      in.randomnessOffset = 0;
      in.randomnessLength = in.randomness.length;
    }

    @Test
    void recordSourceHashesTheAttributesBytes() {
      // Seed 7 and "log-1": FNV-1a 0x84578bca, low 14 bits 3018; 20% is 3276 buckets, 18% 2949.
      source("log-1");
      assertThat(decide(logs(20, 7, "", "record", true))).isEqualTo(KEEP_CHANGED);
      assertThat(edit.newRandomness).isEqualTo("d0d4211d454bca");
      // 16384 - 3276 = 13108 = 0x3334, shifted by 42 bits: th "ccd".
      assertThat(edit.newThreshold).isEqualTo("ccd");
      assertThat(decide(logs(18, 7, "", "record", true))).isEqualTo(DROP);
      // "abc": low 14 bits 11654, kept at 75% (12288 buckets), not at 50%.
      source("abc");
      assertThat(decide(logs(75, 7, "", "record", true))).isEqualTo(KEEP_CHANGED);
      assertThat(decide(logs(50, 7, "", "record", true))).isEqualTo(DROP);
    }

    @Test
    void recordSourceIgnoresTheTraceId() {
      traceId(TRACE_ID);
      source("abc");
      assertThat(decide(logs(50, 7, "", "record", true))).as("decided by \"abc\", not the trace ID").isEqualTo(DROP);
      assertThat(decide(logs(50, 42, "", "traceID", true))).as("decided by the trace ID").isEqualTo(KEEP_CHANGED);
      assertThat(edit.newRandomness).isEqualTo("85801d4b531e9f");
    }

    @Test
    void traceIdSourceFallsBackToTheAttributeWithoutATraceId() {
      traceId(ZERO_ID);
      source("log-1");
      assertThat(decide(logs(20, 7, "", "traceID", true))).isEqualTo(KEEP_CHANGED);
      assertThat(edit.newRandomness).isEqualTo("d0d4211d454bca");
      in.clear();
      traceId(ZERO_ID);
      assertThat(decide(logs(100, 7, "", "traceID", true))).as("no randomness at all").isEqualTo(DROP);
      assertThat(decide(logs(100, 7, "", "traceID", false))).isEqualTo(KEEP);
    }

    @Test
    void aRecordCarryingSamplingAttributesCannotBeDecidedByTheHash() {
      traceId(TRACE_ID);
      randomness("00000000000001");
      assertThat(decide(logs(100, 42, "", "traceID", true))).isEqualTo(DROP);
      assertThat(decide(logs(100, 42, "", "traceID", false))).isEqualTo(KEEP);
    }

    @Test
    void consistentModesUseTheRandomnessAttributeAndRaiseTheThreshold() {
      traceId(ZERO_ID);
      randomness("e0000000000000");
      threshold("8");
      assertThat(decide(logs(25, 0, "proportional", "traceID", true))).isEqualTo(KEEP_CHANGED);
      assertThat(edit.newThreshold).isEqualTo("e");
      assertThat(edit.newRandomness).isNull();
      assertThat(decide(logs(10, 0, "proportional", "traceID", true))).isEqualTo(DROP);
      assertThat(decide(logs(10, 0, "equalizing", "traceID", true))).isEqualTo(DROP);
      assertThat(decide(logs(25, 0, "equalizing", "traceID", true))).isEqualTo(KEEP_CHANGED);
      assertThat(edit.newThreshold).isEqualTo("c");
    }

    @Test
    void anUnreadableSamplingAttributeFailsClosedOrOpen() {
      traceId(TRACE_ID);
      threshold("xyz");
      assertThat(decide(logs(100, 0, "proportional", "traceID", true))).isEqualTo(DROP);
      assertThat(decide(logs(100, 0, "proportional", "traceID", false))).isEqualTo(KEEP);
    }

    @Test
    void aContradictedThresholdIsRemoved() {
      traceId(ZERO_ID);
      randomness("10000000000000");
      threshold("8");
      assertThat(decide(logs(100, 0, "proportional", "traceID", false))).isEqualTo(KEEP_CHANGED);
      assertThat(edit.removeThreshold).isTrue();
      assertThat(edit.newThreshold).isNull();
    }

    @Test
    void samplingPriorityIsAPercentageForTheRecord() {
      source("abc");
      in.priorityPercent = 100;
      assertThat(decide(logs(1, 7, "", "record", true))).isEqualTo(KEEP_CHANGED);
      assertThat(edit.newThreshold).isEqualTo("0");
      // 75%: "abc" (11654 of 16384, R's top bits 16383 - 11654) is kept at T = 0x4 << 52.
      in.priorityPercent = 75;
      assertThat(decide(logs(1, 7, "", "record", true))).isEqualTo(KEEP_CHANGED);
      assertThat(edit.newThreshold).isEqualTo("4");
      in.priorityPercent = 50;
      assertThat(decide(logs(100, 7, "", "record", true))).isEqualTo(DROP);
      // 0 and numbers past 100% do not count: the configured percentage decides.
      in.priorityPercent = 0;
      assertThat(decide(logs(100, 7, "", "record", true))).isEqualTo(KEEP_CHANGED);
      in.priorityPercent = 150;
      assertThat(decide(logs(1, 7, "", "record", true))).isEqualTo(DROP);
    }
  }

  private int span(Sampler s, byte[] traceId, String ts, int priority) {
    byte[] b = ts.getBytes(StandardCharsets.US_ASCII);
    int verdict = s.decideSpan(traceId, 0, traceId.length, b, 0, b.length, priority, editor);
    written = verdict == KEEP_CHANGED ? new String(editor.write(), StandardCharsets.US_ASCII) : null;
    return verdict;
  }

  private static Sampler sampler(double pct, long seed, String mode, boolean failClosed) {
    return Sampler.of(new ProbabilisticSamplerProcessorConfig(pct, seed, mode, 4, failClosed, "traceID", "", ""));
  }

  private static Sampler logs(double pct, long seed, String mode, String source, boolean failClosed) {
    return Sampler.of(new ProbabilisticSamplerProcessorConfig(pct, seed, mode, 4, failClosed, source, "log.id",
        "prio"));
  }
}
