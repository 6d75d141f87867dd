package io.sluice.processor.cardinalitylimit;

import static io.sluice.processor.seriesstate.TestMetrics.batch;
import static io.sluice.processor.seriesstate.TestMetrics.gauge;
import static io.sluice.processor.seriesstate.TestMetrics.histogram;
import static io.sluice.processor.seriesstate.TestMetrics.number;
import static io.sluice.processor.seriesstate.TestMetrics.points;
import static io.sluice.processor.seriesstate.TestMetrics.result;
import static io.sluice.processor.seriesstate.TestMetrics.sum;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.sluice.core.Batch;
import io.sluice.core.RetryableException;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.processor.seriesstate.ShardedProcessorTestBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CardinalityLimitProcessorTest extends ShardedProcessorTestBase {
  static final String OVERFLOW = "{otel.metric.overflow=\"true\"}";

  CardinalityLimitProcessor start(int perMetric, int total, Duration ttl) {
    CardinalityLimitProcessor p = new CardinalityLimitProcessor(
        TestContexts.processorContext(tv.vertx(), "cardinality_limit", "metrics", selfMetrics),
        new CardinalityLimitProcessorConfig(perMetric, total, ttl), next, clock::get);
    result(p.start());
    return p;
  }

  /** Sends a batch through and returns the points that came out of it. */
  Map<String, Object> send(CardinalityLimitProcessor p, Batch batch) {
    next.clear();
    result(p.consume(batch));
    return points(next.batches());
  }

  /** Counter {@code name} with one series per value, attribute {@code path=/<i>}, all at time {@code t}. */
  static Metric counter(String name, long t, long... values) {
    NumberDataPoint[] pts = new NumberDataPoint[values.length];
    for (int i = 0; i < values.length; i++) {
      pts[i] = number(T0, t, values[i], "path", "/" + i);
    }
    return sum(name, false, pts);
  }

  double selfMetric(String name, String... labels) {
    return SelfMetricsReader.counter(selfMetrics, name, labels);
  }

  double selfGauge(String name) {
    return SelfMetricsReader.gauge(selfMetrics, name, "component_id", "cardinality_limit");
  }

  @Test
  void seriesPastThePerMetricCapAreFoldedIntoOneOverflowSeries() {
    CardinalityLimitProcessor p = start(3, 1000, Duration.ofMinutes(5));
    Map<String, Object> out = send(p, batch("api", counter("requests", T0 + SECOND, 10, 20, 30, 40, 50)));
    assertThat(out).containsOnlyKeys("requests{path=\"/0\"}", "requests{path=\"/1\"}", "requests{path=\"/2\"}",
        "requests" + OVERFLOW);
    NumberDataPoint overflow = (NumberDataPoint) out.get("requests" + OVERFLOW);
    assertThat(overflow.getAsInt()).isEqualTo(90);
    assertThat(overflow.getTimeUnixNano()).isEqualTo(T0 + SECOND);
    assertThat(overflow.getAttributes(0).getValue().getBoolValue()).isTrue();
    assertThat(((NumberDataPoint) out.get("requests{path=\"/0\"}")).getAsInt()).isEqualTo(10);
    // the overflow series has no resource attributes, and the metric keeps its type
    ResourceMetrics last = next.batches().get(0).resourceMetrics().get(1);
    assertThat(last.getResource().getAttributesCount()).isZero();
    Metric m = last.getScopeMetrics(0).getMetrics(0);
    assertThat(m.getSum().getIsMonotonic()).isTrue();
    assertThat(m.getSum().getAggregationTemporality().getNumber()).isEqualTo(2);
    assertThat(selfGauge(CardinalityLimitProcessor.SERIES_GAUGE)).isEqualTo(3);
    assertThat(selfGauge(CardinalityLimitProcessor.FOLDED_GAUGE)).isEqualTo(2);
    assertThat(selfMetric(CardinalityLimitProcessor.SERIES_FOLDED, "reason", "max_series_per_metric")).isEqualTo(2);
    assertThat(selfMetric(CardinalityLimitProcessor.FOLDED_POINTS)).isEqualTo(2);

    // next scrape: the folded series grew; the overflow holds the sum of their latest totals
    out = send(p, batch("api", counter("requests", T0 + 2 * SECOND, 11, 21, 31, 45, 55)));
    assertThat(((NumberDataPoint) out.get("requests" + OVERFLOW)).getAsInt()).isEqualTo(100);
    assertThat(((NumberDataPoint) out.get("requests{path=\"/2\"}")).getAsInt()).isEqualTo(31);
    assertThat(selfMetric(CardinalityLimitProcessor.SERIES_FOLDED)).as("no new series folded").isEqualTo(2);
    assertThat(selfMetric(CardinalityLimitProcessor.FOLDED_POINTS)).isEqualTo(4);
  }

  @Test
  void aBatchUnderTheCapsGoesOnAsItCame() {
    CardinalityLimitProcessor p = start(10, 1000, Duration.ofMinutes(5));
    Batch in = batch("api", counter("requests", T0, 1, 2, 3));
    result(p.consume(in));
    assertThat(next.batches()).singleElement().isSameAs(in);
  }

  @Test
  void theTotalCapFoldsNewSeriesOfEveryMetric() {
    CardinalityLimitProcessor p = start(10, 4, Duration.ofMinutes(5));
    send(p, batch("api", counter("a", T0, 1, 2, 3)));
    Map<String, Object> out = send(p, batch("api", counter("b", T0, 4, 5, 6)));
    assertThat(out).containsOnlyKeys("b{path=\"/0\"}", "b" + OVERFLOW);
    assertThat(((NumberDataPoint) out.get("b" + OVERFLOW)).getAsInt()).isEqualTo(11);
    assertThat(selfGauge(CardinalityLimitProcessor.SERIES_GAUGE)).isEqualTo(4);
    assertThat(selfMetric(CardinalityLimitProcessor.SERIES_FOLDED, "reason", "max_series")).isEqualTo(2);
    assertThat(selfMetric(CardinalityLimitProcessor.SERIES_FOLDED, "reason", "max_series_per_metric")).isZero();
    // a series keeps passing once it passed
    out = send(p, batch("api", counter("a", T0 + SECOND, 7, 8, 9)));
    assertThat(out).containsOnlyKeys("a{path=\"/0\"}", "a{path=\"/1\"}", "a{path=\"/2\"}");
  }

  @Test
  void aSeriesIdlePastTheTtlFreesItsSlot() {
    CardinalityLimitProcessor p = start(2, 1000, Duration.ofMinutes(5));
    send(p, batch("api", counter("requests", T0, 1, 2, 3)));
    assertThat(selfGauge(CardinalityLimitProcessor.SERIES_GAUGE)).isEqualTo(2);
    // /1 and the folded /2 keep reporting; /0 goes quiet
    clock.set(T0 + 200 * SECOND);
    send(p, batch("api", sum("requests", false, number(T0, T0 + 200 * SECOND, 5, "path", "/1"),
        number(T0, T0 + 200 * SECOND, 6, "path", "/2"))));
    clock.set(T0 + 301 * SECOND);
    result(p.sweepNow());
    assertThat(selfGauge(CardinalityLimitProcessor.SERIES_GAUGE)).as("/0 freed its slot").isEqualTo(1);
    assertThat(selfGauge(CardinalityLimitProcessor.FOLDED_GAUGE)).as("/2 stays folded while it reports").isEqualTo(1);
    // a new series takes the free slot; /2 stays in the overflow
    Map<String, Object> out = send(p, batch("api", sum("requests", false,
        number(T0, T0 + 302 * SECOND, 7, "path", "/new"), number(T0, T0 + 302 * SECOND, 8, "path", "/2"))));
    assertThat(out).containsOnlyKeys("requests{path=\"/new\"}", "requests" + OVERFLOW);
    assertThat(((NumberDataPoint) out.get("requests" + OVERFLOW)).getAsInt()).isEqualTo(8);
    // everything quiet: all slots free, nothing folded
    clock.set(T0 + 1000 * SECOND);
    result(p.sweepNow());
    assertThat(selfGauge(CardinalityLimitProcessor.SERIES_GAUGE)).isZero();
    assertThat(selfGauge(CardinalityLimitProcessor.FOLDED_GAUGE)).isZero();
  }

  static NumberDataPoint stale(long time, String path) {
    return NumberDataPoint.newBuilder().setStartTimeUnixNano(T0).setTimeUnixNano(time).setFlags(1)
        .setAsDouble(Double.longBitsToDouble(0x7ff0000000000002L)).addAllAttributes(
            io.sluice.processor.seriesstate.TestMetrics.attrs("path", path)).build();
  }

  @Test
  void staleMarkersStayMeaningful() {
    CardinalityLimitProcessor p = start(1, 1000, Duration.ofMinutes(5));
    send(p, batch("api", counter("requests", T0, 1, 2, 3)));
    assertThat(selfGauge(CardinalityLimitProcessor.FOLDED_GAUGE)).isEqualTo(2);
    // the passing series' marker passes and frees its slot; a folded series' marker leaves the
    // overflow (which still has /2); a marker for a series never seen is dropped
    Map<String, Object> out = send(p, batch("api", sum("requests", false, stale(T0 + SECOND, "/0"),
        stale(T0 + SECOND, "/1"), stale(T0 + SECOND, "/never"))));
    assertThat(out).containsOnlyKeys("requests{path=\"/0\"}");
    assertThat(((NumberDataPoint) out.get("requests{path=\"/0\"}")).getFlags()).isEqualTo(1);
    assertThat(selfGauge(CardinalityLimitProcessor.SERIES_GAUGE)).isZero();
    assertThat(selfGauge(CardinalityLimitProcessor.FOLDED_GAUGE)).isEqualTo(1);
    // the last folded series goes stale: the overflow series gets a marker of its own
    out = send(p, batch("api", sum("requests", false, stale(T0 + 2 * SECOND, "/2"))));
    assertThat(out).containsOnlyKeys("requests" + OVERFLOW);
    NumberDataPoint marker = (NumberDataPoint) out.get("requests" + OVERFLOW);
    assertThat(marker.getFlags()).isEqualTo(1);
    assertThat(Double.doubleToRawLongBits(marker.getAsDouble())).isEqualTo(0x7ff0000000000002L);
    assertThat(selfGauge(CardinalityLimitProcessor.FOLDED_GAUGE)).isZero();
  }

  @Test
  void overflowHistogramsMergeGaugesKeepTheLatestAndDeltasStayDeltas() {
    CardinalityLimitProcessor p = start(1, 1000, Duration.ofMinutes(5));
    double[] bounds = {1, 10};
    Map<String, Object> out = send(p, batch("api",
        histogram("latency", false,
            histogram(T0, T0 + SECOND, bounds, new long[] {1, 1, 1}, "path", "/0"),
            histogram(T0, T0 + SECOND, bounds, new long[] {1, 2, 3}, "path", "/1"),
            histogram(T0, T0 + SECOND, bounds, new long[] {10, 20, 30}, "path", "/2")),
        gauge("temperature", number(T0 + 1, 20.0, "room", "a"), number(T0 + 3, 25.0, "room", "b"),
            number(T0 + 2, 30.0, "room", "c")),
        sum("bytes", true, number(T0, T0 + SECOND, 100, "path", "/0"), number(T0, T0 + SECOND, 5, "path", "/1"),
            number(T0, T0 + SECOND, 6, "path", "/2"))));
    HistogramDataPoint h = (HistogramDataPoint) out.get("latency" + OVERFLOW);
    assertThat(h.getBucketCountsList()).containsExactly(11L, 22L, 33L);
    assertThat(h.getCount()).isEqualTo(66);
    assertThat(((NumberDataPoint) out.get("temperature" + OVERFLOW)).getAsDouble()).as("the latest: b's")
        .isEqualTo(25.0);
    assertThat(((NumberDataPoint) out.get("bytes" + OVERFLOW)).getAsInt()).isEqualTo(11);
    out = send(p, batch("api", sum("bytes", true, number(T0 + SECOND, T0 + 2 * SECOND, 1, "path", "/2"))));
    NumberDataPoint delta = (NumberDataPoint) out.get("bytes" + OVERFLOW);
    assertThat(delta.getAsInt()).as("a delta of what came since").isEqualTo(1);
    assertThat(delta.getStartTimeUnixNano()).isEqualTo(T0 + SECOND);
    Metric bytes = next.batches().get(0).resourceMetrics().get(0).getScopeMetrics(0).getMetrics(0);
    assertThat(bytes.getSum().getAggregationTemporality().getNumber()).isEqualTo(1);
  }

  @Test
  void seriesAreToldApartByResource() {
    CardinalityLimitProcessor p = start(2, 1000, Duration.ofMinutes(5));
    send(p, batch("api", counter("requests", T0, 1)));
    send(p, batch("web", counter("requests", T0, 2)));
    Map<String, Object> out = send(p, batch("db", counter("requests", T0, 3)));
    assertThat(out).containsOnlyKeys("requests" + OVERFLOW);
  }

  @Test
  void refusalsOfTheNextConsumerReachTheSender() {
    CardinalityLimitProcessor p = start(2, 1000, Duration.ofMinutes(5));
    next.failWith(new RetryableException("backend down"));
    assertThatThrownBy(() -> result(p.consume(batch("api", counter("requests", T0, 1, 2, 3)))))
        .hasRootCauseInstanceOf(RetryableException.class).hasRootCauseMessage("backend down");
  }

  @Test
  void manyMetricsAcrossLoopsKeepTheirOwnCaps() {
    CardinalityLimitProcessor p = start(5, 100_000, Duration.ofMinutes(5));
    List<Metric> metrics = new ArrayList<>();
    for (int m = 0; m < 50; m++) {
      long[] values = new long[8];
      for (int i = 0; i < 8; i++) {
        values[i] = i;
      }
      metrics.add(counter("m" + m, T0, values));
    }
    Map<String, Object> out = send(p, batch("api", metrics.toArray(new Metric[0])));
    assertThat(out).hasSize(50 * 6);
    for (int m = 0; m < 50; m++) {
      assertThat(((NumberDataPoint) out.get("m" + m + OVERFLOW)).getAsInt()).isEqualTo(5 + 6 + 7);
    }
    assertThat(p.seriesCount()).isEqualTo(250);
    assertThat(p.foldedCount()).isEqualTo(150);
  }

  @Test
  void aMetricWithThousandsOfSeriesInOneBatchIsDecidedInSlices() {
    int n = 6 * CardinalityLimitProcessor.DECIDE_SLICE;
    CardinalityLimitProcessor p = start(1000, 100_000, Duration.ofMinutes(5));
    long[] values = new long[n];
    long foldedSum = 0;
    for (int i = 0; i < n; i++) {
      values[i] = i;
      foldedSum += i >= 1000 ? i : 0;
    }
    Map<String, Object> out = send(p, batch("api", counter("requests", T0, values)));
    assertThat(out).hasSize(1001);
    assertThat(out).containsKey("requests{path=\"/999\"}").doesNotContainKey("requests{path=\"/1000\"}");
    assertThat(((NumberDataPoint) out.get("requests" + OVERFLOW)).getAsInt()).isEqualTo(foldedSum);
    assertThat(p.foldedCount()).isEqualTo(n - 1000);
  }

  @Test
  void shutdownWithoutStartAndTwiceIsFine() {
    CardinalityLimitProcessor p = new CardinalityLimitProcessor(
        TestContexts.processorContext(tv.vertx(), "cardinality_limit", "metrics", selfMetrics),
        CardinalityLimitProcessorConfig.defaults(), next, clock::get);
    assertThat(result(p.shutdown())).isNull();
    assertThat(result(p.shutdown())).isNull();
    CardinalityLimitProcessor started = start(1, 1, Duration.ofMinutes(1));
    result(started.shutdown());
    assertThat(started.consume(batch("api", counter("x", T0, 1))).cause()).isInstanceOf(RetryableException.class);
  }
}
