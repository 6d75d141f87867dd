package io.sluice.processor.seriesstate;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.sluice.processor.seriesstate.Aggregate.Outcome;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregateTest {
  private static final Aggregate.Options OPTIONS = new Aggregate.Options(GaugeMode.LAST, 160, true);
  private static final List<KeyValue> OUT = List.of(KeyValue.newBuilder().setKey("route")
      .setValue(AnyValue.newBuilder().setStringValue("/a")).build());
  private static final Metric DESCRIPTOR = Metric.newBuilder().setName("m").build();

  static NumberDataPoint number(long start, long time, long value) {
    return NumberDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(time).setAsInt(value).build();
  }

  static NumberDataPoint number(long time, double value) {
    return NumberDataPoint.newBuilder().setTimeUnixNano(time).setAsDouble(value).build();
  }

  static NumberDataPoint stale(long time) {
    return NumberDataPoint.newBuilder().setTimeUnixNano(time).setFlags(1)
        .setAsDouble(Double.longBitsToDouble(0x7ff0000000000002L)).build();
  }

  static Metric written(Aggregate a, long time) {
    Metric.Builder m = a.kind().newMetric(DESCRIPTOR);
    if (!a.deltaOut()) {
      m = a.kind().cumulative().newMetric(DESCRIPTOR);
    }
    a.writeTo(m, OUT, time);
    return m.build();
  }

  static long sumValue(Aggregate a, long time) {
    NumberDataPoint p = written(a, time).getSum().getDataPoints(0);
    assertThat(p.getAttributesList()).isEqualTo(OUT);
    return p.getAsInt();
  }

  @Test
  void cumulativeCountersAddTheirLatestValuesAndKeepWhatRestartedOrStoppedInputsReached() {
    Aggregate a = Aggregate.create(MetricKind.MONOTONIC_SUM, null, OPTIONS, false, 0);
    assertThat(a.accept("A", number(100, 110, 10), 1)).isEqualTo(Outcome.MERGED);
    assertThat(a.accept("B", number(100, 110, 5), 1)).isEqualTo(Outcome.MERGED);
    assertThat(a.accept("A", number(100, 120, 15), 2)).isEqualTo(Outcome.MERGED);
    assertThat(sumValue(a, 130)).isEqualTo(20);
    // A restarts (new start time, lower value): the 15 it had reached stays counted
    a.accept("A", number(125, 130, 2), 3);
    assertThat(sumValue(a, 140)).isEqualTo(22);
    // B goes stale: its 5 stays counted, and it is no input any more
    assertThat(a.accept("B", stale(140), 4)).isEqualTo(Outcome.STALE);
    assertThat(a.inputCount()).isEqualTo(1);
    assertThat(sumValue(a, 150)).isEqualTo(22);
    // a drop without a new start time is a restart too
    a.accept("A", number(125, 150, 1), 5);
    assertThat(sumValue(a, 160)).isEqualTo(23);
    // points older than the input's latest are refused
    assertThat(a.accept("A", number(125, 145, 100), 6)).isEqualTo(Outcome.OUT_OF_ORDER);
    assertThat(sumValue(a, 170)).isEqualTo(23);
    assertThat(a.startNanos()).as("the first point's start").isEqualTo(100);
  }

  @Test
  void aStoppedInputOfANonMonotonicSumTakesItsValueAlong() {
    Aggregate a = Aggregate.create(MetricKind.SUM, null, OPTIONS, false, 0);
    a.accept("A", number(0, 10, 10), 1);
    a.accept("B", number(0, 10, 5), 1);
    a.accept("A", number(0, 20, 7), 2);
    assertThat(sumValue(a, 30)).isEqualTo(12);
    a.accept("B", stale(30), 3);
    assertThat(sumValue(a, 40)).isEqualTo(7);
  }

  @Test
  void deltasAddUpIntoATotalOrIntoDeltasSinceTheLastWrite() {
    Aggregate total = Aggregate.create(MetricKind.DELTA_MONOTONIC_SUM, null, OPTIONS, false, 0);
    Aggregate deltas = Aggregate.create(MetricKind.DELTA_MONOTONIC_SUM, null, OPTIONS, true, 0);
    for (Aggregate a : List.of(total, deltas)) {
      a.accept("A", number(0, 10, 3), 1);
      a.accept("B", number(0, 10, 4), 1);
      a.accept("A", number(10, 20, 5), 2);
    }
    Metric t = written(total, 30);
    assertThat(t.getSum().getAggregationTemporality().getNumber()).isEqualTo(2);
    assertThat(t.getSum().getDataPoints(0).getAsInt()).isEqualTo(12);
    assertThat(t.getSum().getDataPoints(0).getStartTimeUnixNano()).isEqualTo(10);
    Metric d = written(deltas, 30);
    assertThat(d.getSum().getAggregationTemporality().getNumber()).isEqualTo(1);
    assertThat(d.getSum().getDataPoints(0).getAsInt()).isEqualTo(12);
    for (Aggregate a : List.of(total, deltas)) {
      a.accept("B", number(20, 40, 1), 3);
    }
    assertThat(written(total, 50).getSum().getDataPoints(0).getAsInt()).isEqualTo(13);
    NumberDataPoint second = written(deltas, 50).getSum().getDataPoints(0);
    assertThat(second.getAsInt()).isEqualTo(1);
    assertThat(second.getStartTimeUnixNano()).as("a delta starts where the previous one ended").isEqualTo(30);
  }

  @Test
  void doublesMakeTheSumADouble() {
    Aggregate a = Aggregate.create(MetricKind.MONOTONIC_SUM, null, OPTIONS, false, 0);
    a.accept("A", number(0, 10, 2), 1);
    a.accept("B", number(10, 0.25), 1);
    assertThat(written(a, 20).getSum().getDataPoints(0).getAsDouble()).isEqualTo(2.25);
  }

  @Test
  void gaugesCombineTheLatestValueOfEachLiveInput() {
    double[][] expected = {{5, 3, 7, 5}, {7, 3, 7, 5}};
    GaugeMode[] modes = {GaugeMode.LAST, GaugeMode.MIN, GaugeMode.MAX, GaugeMode.MEAN};
    for (int m = 0; m < modes.length; m++) {
      Aggregate a = Aggregate.create(MetricKind.GAUGE, null, new Aggregate.Options(modes[m], 160, false), false, 0);
      a.accept("A", number(10, 9), 1);
      a.accept("A", number(11, 3), 1);
      a.accept("B", number(12, 7), 1);
      a.accept("C", number(13, 5), 1);
      assertThat(written(a, 20).getGauge().getDataPoints(0).getAsDouble()).as("%s", modes[m])
          .isEqualTo(expected[0][m]);
      a.accept("C", stale(14), 2);
      // without C: last is B's 7; min 3; max 7; mean of 3 and 7
      assertThat(written(a, 30).getGauge().getDataPoints(0).getAsDouble()).as("%s without C", modes[m])
          .isEqualTo(expected[1][m]);
      a.accept("A", stale(15), 3);
      a.accept("B", stale(15), 3);
      assertThat(a.hasValue()).as("a gauge without live inputs has nothing to write").isFalse();
    }
  }

  @Test
  void inputsIdlePastTheCutoffExpireLeastRecentlyUpdatedFirst() {
    Aggregate a = Aggregate.create(MetricKind.MONOTONIC_SUM, null, OPTIONS, false, 0);
    a.accept("A", number(0, 10, 1), 100);
    a.accept("B", number(0, 10, 2), 200);
    a.accept("C", number(0, 10, 4), 300);
    a.accept("A", number(0, 20, 8), 400);
    assertThat(a.expireInputs(301)).isEqualTo(2);
    assertThat(a.hasInput("A")).isTrue();
    assertThat(a.hasInput("B")).isFalse();
    assertThat(sumValue(a, 500)).as("counters keep what expired inputs reached").isEqualTo(14);
  }

  static HistogramDataPoint histogram(long start, long time, double[] bounds, long... counts) {
    HistogramDataPoint.Builder b = HistogramDataPoint.newBuilder().setStartTimeUnixNano(start).setTimeUnixNano(time);
    long total = 0;
    for (double bound : bounds) {
      b.addExplicitBounds(bound);
    }
    for (long c : counts) {
      b.addBucketCounts(c);
      total += c;
    }
    return b.setCount(total).setSum(total).build();
  }

  @Test
  void histogramsWithTheSameBoundsMergeBucketByBucket() {
    double[] bounds = {1, 5, 10};
    Aggregate a = Aggregate.create(MetricKind.HISTOGRAM, histogram(0, 10, bounds, 1, 2, 3, 4), OPTIONS, false, 0);
    a.accept("A", histogram(0, 10, bounds, 1, 2, 3, 4), 1);
    a.accept("B", histogram(0, 10, bounds, 10, 20, 30, 40), 1);
    a.accept("A", histogram(0, 20, bounds, 2, 2, 3, 5), 2);
    HistogramDataPoint p = written(a, 30).getHistogram().getDataPoints(0);
    assertThat(p.getExplicitBoundsList()).containsExactly(1.0, 5.0, 10.0);
    assertThat(p.getBucketCountsList()).containsExactly(12L, 22L, 33L, 45L);
    assertThat(p.getCount()).isEqualTo(112);
    assertThat(p.getSum()).isEqualTo(112);
  }

  @Test
  void finerBoundsAreRebucketedExactlyAndCoarserOnesRefused() {
    double[] bounds = {5, 10};
    Aggregate a = Aggregate.create(MetricKind.DELTA_HISTOGRAM, histogram(0, 10, bounds, 0, 0, 0), OPTIONS, false, 0);
    assertThat(a.accept("A", histogram(0, 10, bounds, 1, 2, 3), 1)).isEqualTo(Outcome.MERGED);
    // (-inf,1] (1,5] -> (-inf,5]; (5,7] (7,10] -> (5,10]; (10,20] (20,+inf) -> (10,+inf)
    assertThat(a.accept("B", histogram(0, 10, new double[] {1, 5, 7, 10, 20}, 1, 2, 3, 4, 5, 6), 1))
        .isEqualTo(Outcome.MERGED);
    // its bound 7 is not ours, and our 5 falls inside its bucket (2, 7]
    assertThat(a.accept("C", histogram(0, 10, new double[] {2, 7, 10}, 1, 1, 1, 1), 1))
        .isEqualTo(Outcome.INCOMPATIBLE);
    // our 10 is above all its bounds
    assertThat(a.accept("D", histogram(0, 10, new double[] {5}, 1, 1), 1)).isEqualTo(Outcome.INCOMPATIBLE);
    HistogramDataPoint p = written(a, 30).getHistogram().getDataPoints(0);
    assertThat(p.getBucketCountsList()).containsExactly(1L + 3, 2L + 7, 3L + 11);
    assertThat(p.getCount()).isEqualTo(27);
  }

  @Test
  void aRestartedHistogramInputKeepsWhatItHadCounted() {
    double[] bounds = {1};
    Aggregate a = Aggregate.create(MetricKind.HISTOGRAM, histogram(0, 10, bounds, 0, 0), OPTIONS, false, 0);
    a.accept("A", histogram(100, 110, bounds, 4, 6), 1);
    a.accept("A", histogram(200, 210, bounds, 1, 0), 2);
    assertThat(written(a, 300).getHistogram().getDataPoints(0).getBucketCountsList()).containsExactly(5L, 6L);
  }

  @Test
  void exponentialInputsMergeAtTheirLowestScale() {
    Aggregate a = Aggregate.create(MetricKind.EXPONENTIAL_HISTOGRAM, null, OPTIONS, false, 0);
    a.accept("A", ExpHistogramTest.point(1, 0, 1, 1, 1, 1).toBuilder().setTimeUnixNano(10).build(), 1);
    a.accept("B", ExpHistogramTest.point(0, 0, 2, 3).toBuilder().setTimeUnixNano(10).build(), 1);
    ExponentialHistogramDataPoint p = written(a, 20).getExponentialHistogram().getDataPoints(0);
    assertThat(p.getScale()).isZero();
    assertThat(p.getPositive().getBucketCountsList()).containsExactly(4L, 5L);
    // A grows at scale 1 and B at scale 0: still added at scale 0, A's latest replacing its first
    a.accept("A", ExpHistogramTest.point(1, 0, 2, 1, 1, 3).toBuilder().setTimeUnixNano(20).build(), 2);
    p = written(a, 30).getExponentialHistogram().getDataPoints(0);
    assertThat(p.getPositive().getBucketCountsList()).containsExactly(5L, 7L);
    assertThat(p.getCount()).isEqualTo(12);
  }

  @Test
  void quantilesCoverWhatWasObservedInTheInterval() {
    double[] bounds = {1, 2, 3, 4};
    long since = 1000;
    Aggregate a = Aggregate.create(MetricKind.HISTOGRAM, histogram(0, 10, bounds, 0, 0, 0, 0, 0), OPTIONS, false,
        since);
    // an input that started before the interval: its first point is only the baseline
    a.accept("old", histogram(500, 1100, bounds, 100, 0, 0, 0, 0), 1100);
    // an input that started in it: all it holds is new
    a.accept("new", histogram(1050, 1100, bounds, 0, 0, 4, 0, 0), 1100);
    double[] q = a.takeQuantiles(new double[] {0.5}, 2000);
    // only the 4 observations in (2, 3]: the median is half way
    assertThat(q[0]).isEqualTo(2.5);
    // next interval: "old" grew by 4 in (3, 4]
    a.accept("old", histogram(500, 2100, bounds, 100, 0, 0, 4, 0), 2100);
    assertThat(a.takeQuantiles(new double[] {0.5}, 3000)[0]).isEqualTo(3.5);
    assertThat(a.takeQuantiles(new double[] {0.5}, 4000)[0]).as("nothing observed").isNaN();
  }

  @Test
  void aMalformedFirstHistogramStartsNoAggregate() {
    HistogramDataPoint bad = HistogramDataPoint.newBuilder().addExplicitBounds(1).addBucketCounts(1).setCount(1)
        .build();
    assertThat(Aggregate.create(MetricKind.HISTOGRAM, bad, OPTIONS, false, 0)).isNull();
    HistogramDataPoint unsorted = histogram(0, 0, new double[] {2, 1}, 0, 0, 0);
    assertThat(Aggregate.create(MetricKind.HISTOGRAM, unsorted, OPTIONS, false, 0)).isNull();
  }

  @Test
  void staleMarkersForHistogramsStopTheirInput() {
    double[] bounds = {1};
    Aggregate a = Aggregate.create(MetricKind.HISTOGRAM, histogram(0, 10, bounds, 0, 0), OPTIONS, false, 0);
    a.accept("A", histogram(0, 10, bounds, 1, 1), 1);
    assertThat(a.accept("A", histogram(0, 20, bounds, 0, 0).toBuilder().setFlags(1).build(), 2))
        .isEqualTo(Outcome.STALE);
    assertThat(a.inputCount()).isZero();
    assertThat(written(a, 30).getHistogram().getDataPoints(0).getCount()).isEqualTo(2);
  }
}
