package io.sluice.processor.histogramaggregation;

import static io.sluice.processor.seriesstate.TestMetrics.batch;
import static io.sluice.processor.seriesstate.TestMetrics.gauge;
import static io.sluice.processor.seriesstate.TestMetrics.histogram;
import static io.sluice.processor.seriesstate.TestMetrics.number;
import static io.sluice.processor.seriesstate.TestMetrics.result;
import static io.sluice.processor.seriesstate.TestMetrics.sum;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.Summary;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import io.sluice.core.Batch;
import io.sluice.core.RetryableException;
import io.sluice.core.testkit.SelfMetricsReader;
import io.sluice.core.testkit.TestContexts;
import io.sluice.processor.seriesstate.ShardedProcessorTestBase;
import io.sluice.processor.seriesstate.GaugeMode;
import io.sluice.processor.seriesstate.TestMetrics;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class HistogramAggregationProcessorTest extends ShardedProcessorTestBase {

  static HistogramAggregationProcessorConfig keep(String... keys) {
    return new HistogramAggregationProcessorConfig(List.of(keys), null, Duration.ofHours(1), Duration.ofHours(2),
        GaugeMode.LAST, List.of(), 160);
  }

  HistogramAggregationProcessor start(HistogramAggregationProcessorConfig config) {
    HistogramAggregationProcessor p = new HistogramAggregationProcessor(
        TestContexts.processorContext(tv.vertx(), "histogram_aggregation", "metrics", selfMetrics), config, next,
        clock::get);
    result(p.start());
    return p;
  }


  /** Writes now (at the clock's time) and returns the points written then. */
  Map<String, Object> write(HistogramAggregationProcessor p) {
    next.clear();
    result(p.writeNow());
    return TestMetrics.points(next.batches());
  }

  @Test
  void sumsCountersOverTheKeptAttributesExactly() {
    HistogramAggregationProcessor p = start(keep("route"));
    result(p.consume(batch("api",
        sum("requests", false,
            number(T0 - 100 * SECOND, T0, 10, "route", "/a", "pod", "1"),
            number(T0 - 100 * SECOND, T0, 5, "route", "/a", "pod", "2"),
            number(T0 - 90 * SECOND, T0, 7, "route", "/b", "pod", "1")))));
    assertThat(next.batches()).as("nothing goes out before the interval").isEmpty();
    clock.set(T0 + 60 * SECOND);
    Map<String, Object> out = write(p);
    assertThat(out).containsOnlyKeys("requests{route=\"/a\"}", "requests{route=\"/b\"}");
    NumberDataPoint a = (NumberDataPoint) out.get("requests{route=\"/a\"}");
    assertThat(a.getAsInt()).isEqualTo(15);
    assertThat(a.getStartTimeUnixNano()).isEqualTo(T0 - 100 * SECOND);
    assertThat(a.getTimeUnixNano()).isEqualTo(T0 + 60 * SECOND);
    assertThat(((NumberDataPoint) out.get("requests{route=\"/b\"}")).getAsInt()).isEqualTo(7);
    Metric m = next.batches().get(0).resourceMetrics().get(0).getScopeMetrics(0).getMetrics(0);
    assertThat(m.getSum().getIsMonotonic()).isTrue();
    assertThat(m.getSum().getAggregationTemporality().getNumber()).as("cumulative").isEqualTo(2);
    ResourceMetrics rm = next.batches().get(0).resourceMetrics().get(0);
    assertThat(rm.getResource().getAttributes(0).getValue().getStringValue()).as("resource kept").isEqualTo("api");
    assertThat(rm.getScopeMetrics(0).getScope().getName()).as("scope kept").isEqualTo("test");
    assertThat(SelfMetricsReader.gauge(selfMetrics, HistogramAggregationProcessor.SERIES_GAUGE,
        "component_id", "histogram_aggregation")).isEqualTo(2);
  }

  @Test
  void deltasBecomeCumulativeTotalsAcrossWrites() {
    HistogramAggregationProcessor p = start(keep("route"));
    long start = T0;
    result(p.consume(batch("api", sum("bytes", true,
        number(start, start + 10 * SECOND, 100, "route", "/a", "pod", "1"),
        number(start, start + 10 * SECOND, 50, "route", "/a", "pod", "2")))));
    clock.set(T0 + 60 * SECOND);
    NumberDataPoint first = (NumberDataPoint) write(p).get("bytes{route=\"/a\"}");
    assertThat(first.getAsInt()).isEqualTo(150);
    result(p.consume(batch("api", sum("bytes", true,
        number(start + 10 * SECOND, start + 70 * SECOND, 25, "route", "/a", "pod", "1")))));
    clock.set(T0 + 120 * SECOND);
    NumberDataPoint second = (NumberDataPoint) write(p).get("bytes{route=\"/a\"}");
    assertThat(second.getAsInt()).isEqualTo(175);
    assertThat(second.getStartTimeUnixNano()).as("one start for the whole total").isEqualTo(start);
    // an interval without points still writes the total
    clock.set(T0 + 180 * SECOND);
    assertThat(((NumberDataPoint) write(p).get("bytes{route=\"/a\"}")).getAsInt()).isEqualTo(175);
  }

  @Test
  void gaugesCombineByTheConfiguredMode() {
    for (GaugeMode mode : GaugeMode.values()) {
      next.clear();
      HistogramAggregationProcessor p = start(new HistogramAggregationProcessorConfig(null, List.of("pod"),
          Duration.ofHours(1), Duration.ofHours(2), mode, List.of(), 160));
      result(p.consume(batch("api", gauge("queue_depth",
          number(T0 + 1, 4.0, "pod", "1", "queue", "q"),
          number(T0 + 3, 10.0, "pod", "2", "queue", "q"),
          number(T0 + 2, 1.0, "pod", "3", "queue", "q")))));
      double value = ((NumberDataPoint) write(p).get("queue_depth{queue=\"q\"}")).getAsDouble();
      double expected = switch (mode) {
        case LAST -> 10.0;
        case MIN -> 1.0;
        case MAX -> 10.0;
        case MEAN -> 5.0;
      };
      assertThat(value).as("%s", mode).isEqualTo(expected);
      result(p.shutdown());
    }
  }

  @Test
  void mergesHistogramBucketsAndPassesOnThoseWhoseBoundsDoNotFit() {
    HistogramAggregationProcessor p = start(keep("route"));
    double[] bounds = {0.1, 0.5, 1};
    HistogramDataPoint misfit = histogram(T0, T0 + SECOND, new double[] {0.2, 1}, new long[] {1, 1, 1},
        "route", "/a", "pod", "3");
    result(p.consume(batch("api", histogram("latency", false,
        histogram(T0, T0 + SECOND, bounds, new long[] {1, 2, 3, 4}, "route", "/a", "pod", "1"),
        histogram(T0, T0 + SECOND, bounds, new long[] {10, 20, 30, 40}, "route", "/a", "pod", "2"),
        // finer: (0.05, 0.1] goes to (-inf, 0.1], (1, 2] and (2, +inf) to (1, +inf)
        histogram(T0, T0 + SECOND, new double[] {0.05, 0.1, 0.5, 1, 2}, new long[] {1, 1, 1, 1, 1, 1},
            "route", "/a", "pod", "4"),
        misfit))));
    assertThat(next.batches()).as("the misfit went on at once").hasSize(1);
    Map<String, Object> passed = TestMetrics.points(next.batches());
    assertThat(passed).containsOnlyKeys("latency{pod=\"3\",route=\"/a\"}");
    assertThat(passed.get("latency{pod=\"3\",route=\"/a\"}")).isEqualTo(misfit);
    assertThat(SelfMetricsReader.counter(selfMetrics, HistogramAggregationProcessor.UNMERGED, "reason",
        "bounds_mismatch")).isEqualTo(1);
    HistogramDataPoint merged = (HistogramDataPoint) write(p).get("latency{route=\"/a\"}");
    assertThat(merged.getExplicitBoundsList()).containsExactly(0.1, 0.5, 1.0);
    assertThat(merged.getBucketCountsList()).containsExactly(13L, 23L, 34L, 46L);
    assertThat(merged.getCount()).isEqualTo(116);
    assertThat(merged.getSum()).isEqualTo(1160.0);
  }

  @Test
  void mergesExponentialHistogramsAtTheLowestScale() {
    HistogramAggregationProcessor p = start(keep());
    // scale 2, buckets -3..0 hold 1, 2, 3, 4: at scale 0 that is bucket -1 (0.5, 1] = 6 and bucket 0 (1, 2] = 4.
    // scale 0, bucket 0 (1, 2] holds 10 and bucket 1 (2, 4] holds 1.
    ExponentialHistogramDataPoint fine = ExponentialHistogramDataPoint.newBuilder().setScale(2).setCount(10)
        .setStartTimeUnixNano(T0).setTimeUnixNano(T0 + SECOND).addAllAttributes(TestMetrics.attrs("pod", "1"))
        .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(-3)
            .addAllBucketCounts(List.of(1L, 2L, 3L, 4L))).build();
    ExponentialHistogramDataPoint coarse = ExponentialHistogramDataPoint.newBuilder().setScale(0).setCount(11)
        .setStartTimeUnixNano(T0).setTimeUnixNano(T0 + SECOND).addAllAttributes(TestMetrics.attrs("pod", "2"))
        .setPositive(ExponentialHistogramDataPoint.Buckets.newBuilder().setOffset(0)
            .addAllBucketCounts(List.of(10L, 1L)))
        .build();
    result(p.consume(batch("api", TestMetrics.exponential("size", fine, coarse))));
    ExponentialHistogramDataPoint merged = (ExponentialHistogramDataPoint) write(p).get("size{}");
    assertThat(merged.getScale()).isZero();
    assertThat(merged.getPositive().getOffset()).isEqualTo(-1);
    assertThat(merged.getPositive().getBucketCountsList()).containsExactly(6L, 14L, 1L);
    assertThat(merged.getCount()).isEqualTo(21);
  }

  @Test
  void summariesPassOnUnmergedAndCounted() {
    HistogramAggregationProcessor p = start(keep());
    Metric summary = Metric.newBuilder().setName("rpc").setSummary(Summary.newBuilder()
        .addDataPoints(SummaryDataPoint.newBuilder().setCount(3).setSum(1.5).setTimeUnixNano(T0))).build();
    Batch in = batch("api", summary);
    result(p.consume(in));
    assertThat(next.batches()).hasSize(1);
    assertThat(next.batches().get(0).resourceMetrics().get(0).getScopeMetrics(0).getMetrics(0)).isEqualTo(summary);
    assertThat(SelfMetricsReader.counter(selfMetrics, HistogramAggregationProcessor.UNMERGED, "reason", "summary"))
        .isEqualTo(1);
  }

  @Test
  void seriesIdlePastTheTtlEndWithAStalePointAndAreDropped() {
    HistogramAggregationProcessor p = start(new HistogramAggregationProcessorConfig(List.of("route"), null,
        Duration.ofSeconds(60), Duration.ofSeconds(300), GaugeMode.LAST, List.of(), 160));
    result(p.consume(batch("api", sum("requests", false, number(T0, T0, 3, "route", "/a")))));
    clock.set(T0 + 60 * SECOND);
    assertThat(write(p)).containsKey("requests{route=\"/a\"}");
    assertThat(p.seriesCount()).isEqualTo(1);
    clock.set(T0 + 301 * SECOND);
    NumberDataPoint last = (NumberDataPoint) write(p).get("requests{route=\"/a\"}");
    assertThat(last.getFlags() & 1).as("NO_RECORDED_VALUE").isEqualTo(1);
    assertThat(Double.doubleToRawLongBits(last.getAsDouble())).as("Prometheus' stale NaN")
        .isEqualTo(0x7ff0000000000002L);
    assertThat(p.seriesCount()).isZero();
    assertThat(SelfMetricsReader.counter(selfMetrics, HistogramAggregationProcessor.EXPIRED)).isEqualTo(1);
    assertThat(write(p)).isEmpty();
  }

  @Test
  void manySeriesAreWrittenInSlicesWithEveryTotalExact() {
    HistogramAggregationProcessor p = start(keep("route"));
    int routes = 2 * HistogramAggregationProcessor.WRITE_SLICE + 500;
    NumberDataPoint[] points = new NumberDataPoint[2 * routes];
    for (int r = 0; r < routes; r++) {
      points[2 * r] = number(T0, T0, r, "route", "/" + r, "pod", "1");
      points[2 * r + 1] = number(T0, T0, 1, "route", "/" + r, "pod", "2");
    }
    result(p.consume(batch("api", sum("requests", true, points))));
    Map<String, Object> out = write(p);
    assertThat(next.batches()).as("one batch per slice").hasSize(3);
    assertThat(out).hasSize(routes);
    for (int r = 0; r < routes; r++) {
      assertThat(((NumberDataPoint) out.get("requests{route=\"/" + r + "\"}")).getAsInt()).isEqualTo(r + 1);
    }
  }

  @Test
  void quantileGaugesEndWithStaleMarkersWhenTheirHistogramExpires() {
    HistogramAggregationProcessor p = start(new HistogramAggregationProcessorConfig(List.of(), null,
        Duration.ofSeconds(60), Duration.ofSeconds(300), GaugeMode.LAST, List.of(0.5, 0.99), 160));
    double[] bounds = {1, 2};
    result(p.consume(batch("api", histogram("latency", true,
        histogram(T0, T0 + SECOND, bounds, new long[] {0, 10, 0}, "pod", "1")))));
    Map<String, Object> out = write(p);
    assertThat(((NumberDataPoint) out.get("latency_quantile{quantile=\"0.5\"}")).getAsDouble()).isEqualTo(1.5);
    assertThat(((NumberDataPoint) out.get("latency_quantile{quantile=\"0.99\"}")).getAsDouble()).isEqualTo(1.99);
    clock.set(T0 + 400 * SECOND);
    out = write(p);
    assertThat(out).containsOnlyKeys("latency{}", "latency_quantile{quantile=\"0.5\"}",
        "latency_quantile{quantile=\"0.99\"}");
    assertThat(out.values()).allSatisfy(point -> assertThat(point).extracting("flags").isEqualTo(1));
  }

  @Test
  void aStaleMarkerOfTheOnlyGaugeInputEndsTheSeries() {
    HistogramAggregationProcessor p = start(keep());
    result(p.consume(batch("api", gauge("temperature", number(T0, 20.0, "room", "a")))));
    assertThat(write(p)).containsKey("temperature{}");
    NumberDataPoint stale = number(T0 + SECOND, Double.longBitsToDouble(0x7ff0000000000002L), "room", "a")
        .toBuilder().setFlags(1).build();
    result(p.consume(batch("api", gauge("temperature", stale))));
    NumberDataPoint last = (NumberDataPoint) write(p).get("temperature{}");
    assertThat(last.getFlags() & 1).isEqualTo(1);
    assertThat(write(p)).isEmpty();
  }

  @Test
  void writesOnTheIntervalTimerOfEachEventLoop() {
    HistogramAggregationProcessor p = start(new HistogramAggregationProcessorConfig(List.of("route"), null,
        Duration.ofMillis(100), Duration.ofMinutes(5), GaugeMode.LAST, List.of(), 160));
    for (int i = 0; i < 20; i++) {
      result(p.consume(batch("api", sum("m" + i, true, number(T0, T0, i, "route", "/a", "pod", "1")))));
    }
    await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
      Map<String, Object> out = TestMetrics.points(next.batches());
      for (int i = 0; i < 20; i++) {
        assertThat(out).containsKey("m" + i + "{route=\"/a\"}");
        assertThat(((NumberDataPoint) out.get("m" + i + "{route=\"/a\"}")).getAsInt()).isEqualTo(i);
      }
    });
  }

  @Test
  void shutdownWritesALastTimeAndThenRefusesBatches() {
    HistogramAggregationProcessor p = start(keep("route"));
    result(p.consume(batch("api", sum("requests", true, number(T0, T0, 4, "route", "/a")))));
    result(p.shutdown());
    NumberDataPoint last = (NumberDataPoint) TestMetrics.points(next.batches()).get("requests{route=\"/a\"}");
    assertThat(last.getAsInt()).isEqualTo(4);
    Throwable refused = p.consume(batch("api", sum("requests", true, number(T0, T0, 1)))).cause();
    assertThat(refused).isInstanceOf(RetryableException.class).hasMessageContaining("shutting down");
    assertThat(p.shutdown().succeeded()).as("twice is fine").isTrue();
  }

  @Test
  void shutdownWithoutStartIsFine() {
    HistogramAggregationProcessor p = new HistogramAggregationProcessor(
        TestContexts.processorContext(tv.vertx(), "histogram_aggregation", "metrics", selfMetrics), keep(), next,
        clock::get);
    assertThat(result(p.shutdown())).isNull();
  }

  @Test
  void aRefusedWriteIsCountedAndTheTotalGoesOutAgainNextTime() {
    HistogramAggregationProcessor p = start(keep());
    result(p.consume(batch("api", sum("requests", true, number(T0, T0, 4)))));
    next.failWith(new RetryableException("backend down"));
    assertThat(write(p)).hasSize(1);
    assertThat(SelfMetricsReader.counter(selfMetrics, "sluice_processor_dropped_items", "component_id",
        "histogram_aggregation")).isEqualTo(1);
    next.succeed();
    assertThat(((NumberDataPoint) write(p).get("requests{}")).getAsInt()).isEqualTo(4);
  }
}
