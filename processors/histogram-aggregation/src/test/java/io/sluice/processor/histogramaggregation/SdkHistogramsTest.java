package io.sluice.processor.histogramaggregation;

import static io.sluice.processor.seriesstate.TestMetrics.result;
import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.testkit.TestContexts;
import io.sluice.processor.seriesstate.ExpHistogram;
import io.sluice.processor.seriesstate.GaugeMode;
import io.sluice.processor.seriesstate.TestMetrics;
import io.sluice.processor.seriesstate.Quantiles;
import io.sluice.processor.seriesstate.ShardedProcessorTestBase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Histograms made by the OpenTelemetry SDK from known values, encoded by the SDK's own OTLP
 * encoder, aggregated over their {@code pod} attribute: the merged buckets must hold exactly what
 * the SDK counted, and the quantile gauges must be within the documented bound of the true
 * quantiles of the values recorded in each interval.
 */
class SdkHistogramsTest extends ShardedProcessorTestBase {
  private static final double[] BOUNDS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  private static final double[] QS = {0.5, 0.9, 0.95, 0.99};
  private static final AttributeKey<String> POD = AttributeKey.stringKey("pod");
  private static final AttributeKey<String> ROUTE = AttributeKey.stringKey("route");

  @BeforeEach
  void clockAtNow() {
    // the SDK's points carry the wall-clock time
    clock.set(System.currentTimeMillis() * 1_000_000L);
  }

  /** A reader the test collects from when it chooses, with the temporality and histogram aggregation asked. */
  private static final class Reader implements MetricReader {
    private final AggregationTemporality temporality;
    private final boolean exponential;
    private volatile CollectionRegistration registration = CollectionRegistration.noop();

    Reader(AggregationTemporality temporality, boolean exponential) {
      this.temporality = temporality;
      this.exponential = exponential;
    }

    @Override
    public void register(CollectionRegistration registration) {
      this.registration = registration;
    }

    /** What the SDK holds now, as OTLP in a batch. */
    Batch collect() {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try {
        MetricsRequestMarshaler.create(registration.collectAllMetrics()).writeBinaryTo(out);
        return Batch.metrics(ExportMetricsServiceRequest.parseFrom(out.toByteArray()).getResourceMetricsList(),
            Envelope.of(ComponentId.parse("otlp")));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType type) {
      return temporality;
    }

    @Override
    public Aggregation getDefaultAggregation(InstrumentType type) {
      return exponential && type == InstrumentType.HISTOGRAM ? Aggregation.base2ExponentialBucketHistogram()
          : Aggregation.defaultAggregation();
    }

    @Override
    public CompletableResultCode forceFlush() {
      return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
      return CompletableResultCode.ofSuccess();
    }
  }

  private HistogramAggregationProcessor processor() {
    HistogramAggregationProcessor p = new HistogramAggregationProcessor(
        TestContexts.processorContext(tv.vertx(), "histogram_aggregation", "metrics", selfMetrics),
        new HistogramAggregationProcessorConfig(List.of("route"), null, Duration.ofHours(1), Duration.ofHours(2),
            GaugeMode.LAST, List.of(0.5, 0.9, 0.95, 0.99), 160),
        next, clock::get);
    result(p.start());
    return p;
  }


  /** Each pod's values come from a log-normal distribution of its own, all moved by {@code shift} (in e-folds). */
  private static double[][] values(long seed, int perPod, double shift) {
    Random r = new Random(seed);
    double[][] out = new double[4][perPod];
    for (int pod = 0; pod < 4; pod++) {
      for (int i = 0; i < perPod; i++) {
        out[pod][i] = Math.exp(-3 + pod + shift + 0.8 * r.nextGaussian());
      }
    }
    return out;
  }

  private static void record(DoubleHistogram h, double[][] values) {
    for (int pod = 0; pod < values.length; pod++) {
      Attributes a = Attributes.of(ROUTE, "/a", POD, "pod-" + pod);
      for (double v : values[pod]) {
        h.record(v, a);
      }
    }
  }

  private static double[] sorted(double[][] values) {
    double[] all = Arrays.stream(values).flatMapToDouble(Arrays::stream).toArray();
    Arrays.sort(all);
    return all;
  }

  private static double truth(double[] sorted, double q) {
    return sorted[(int) Math.ceil(q * sorted.length) - 1];
  }

  private Map<String, Object> write(HistogramAggregationProcessor p) {
    next.clear();
    clock.addAndGet(60_000_000_000L);
    result(p.writeNow());
    return TestMetrics.points(next.batches());
  }

  @Test
  void explicitHistogramsMergeExactlyAndTheirQuantilesStayWithinABucketWidth() {
    for (AggregationTemporality temporality : AggregationTemporality.values()) {
      Reader reader = new Reader(temporality, false);
      try (SdkMeterProvider sdk = SdkMeterProvider.builder().registerMetricReader(reader)
          .setResource(Resource.getDefault()).build()) {
        DoubleHistogram latency = sdk.get("test").histogramBuilder("latency").setUnit("s")
            .setExplicitBucketBoundariesAdvice(toList(BOUNDS)).build();
        HistogramAggregationProcessor p = processor();
        double[][] first = values(1, 5_000, 0);
        record(latency, first);
        Batch batch = reader.collect();
        long[] sdkCounts = new long[BOUNDS.length + 1];
        for (HistogramDataPoint pod : batch.resourceMetrics().get(0).getScopeMetrics(0).getMetrics(0).getHistogram()
            .getDataPointsList()) {
          for (int i = 0; i < sdkCounts.length; i++) {
            sdkCounts[i] += pod.getBucketCounts(i);
          }
        }
        result(p.consume(batch));
        Map<String, Object> out = write(p);
        HistogramDataPoint merged = (HistogramDataPoint) out.get("latency{route=\"/a\"}");
        assertThat(merged.getBucketCountsList()).as("%s: the SDK's counts, added", temporality)
            .containsExactlyElementsOf(Arrays.stream(sdkCounts).boxed().toList());
        assertThat(merged.getCount()).isEqualTo(20_000);
        // With cumulative points that were there before the interval began, the first interval has
        // only a baseline: its quantiles come from the next interval on.
        if (temporality == AggregationTemporality.DELTA) {
          assertQuantiles(out, sorted(first), temporality + " first interval");
        }
        // the second interval's values are larger: quantiles of both intervals together would be off
        double[][] second = values(2, 3_000, 1.5);
        record(latency, second);
        result(p.consume(reader.collect()));
        out = write(p);
        assertThat(((HistogramDataPoint) out.get("latency{route=\"/a\"}")).getCount()).isEqualTo(32_000);
        assertQuantiles(out, sorted(second), temporality + " second interval");
        result(p.shutdown());
      }
    }
  }

  private static void assertQuantiles(Map<String, Object> out, double[] sorted, String what) {
    for (double q : QS) {
      String key = "latency_quantile{quantile=\"" + HistogramAggregationProcessor.format(q) + "\",route=\"/a\"}";
      assertThat(out).as(what).containsKey(key);
      double estimate = ((NumberDataPoint) out.get(key)).getAsDouble();
      double truth = truth(sorted, q);
      assertThat(Math.abs(estimate - truth)).as("%s q %s: estimate %s, truth %s", what, q, estimate, truth)
          .isLessThanOrEqualTo(Quantiles.explicitBucketWidth(BOUNDS, truth));
    }
  }

  @Test
  void exponentialHistogramsOfDifferentScalesMergeExactlyAtTheLowest() {
    Reader reader = new Reader(AggregationTemporality.DELTA, true);
    try (SdkMeterProvider sdk = SdkMeterProvider.builder().registerMetricReader(reader).build()) {
      DoubleHistogram size = sdk.get("test").histogramBuilder("latency").setUnit("s").build();
      HistogramAggregationProcessor p = processor();
      // pod-0 values are narrow, pod-3's wide: the SDK gives them different scales
      double[][] values = values(3, 4_000, 0);
      for (int i = 0; i < values[3].length; i++) {
        values[3][i] = Math.pow(values[3][i], 3);
      }
      record(size, values);
      Batch batch = reader.collect();
      List<Integer> scales = new ArrayList<>();
      for (ExponentialHistogramDataPoint pod : batch.resourceMetrics().get(0).getScopeMetrics(0).getMetrics(0)
          .getExponentialHistogram().getDataPointsList()) {
        scales.add(pod.getScale());
      }
      assertThat(scales.stream().distinct().count()).as("the SDK chose different scales: %s", scales)
          .isGreaterThan(1);
      result(p.consume(batch));
      Map<String, Object> out = write(p);
      ExponentialHistogramDataPoint merged = (ExponentialHistogramDataPoint) out.get("latency{route=\"/a\"}");
      int lowest = scales.stream().mapToInt(Integer::intValue).min().orElseThrow();
      assertThat(merged.getScale()).isLessThanOrEqualTo(lowest);
      assertThat(merged.getPositive().getBucketCountsCount()).isLessThanOrEqualTo(160);
      // every bucket holds exactly the recorded values between its bounds
      double[] all = sorted(values);
      int offset = merged.getPositive().getOffset();
      long total = 0;
      for (int i = 0; i < merged.getPositive().getBucketCountsCount(); i++) {
        double lower = ExpHistogram.lowerBound(offset + i, merged.getScale());
        double upper = ExpHistogram.upperBound(offset + i, merged.getScale());
        long expected = Arrays.stream(all).filter(v -> v > lower && v <= upper).count();
        assertThat(merged.getPositive().getBucketCounts(i)).as("bucket %s (%s, %s]", offset + i, lower, upper)
            .isEqualTo(expected);
        total += expected;
      }
      assertThat(total).isEqualTo(all.length);
      assertThat(merged.getCount()).isEqualTo(all.length);
      double relative = Math.pow(2, Math.scalb(1.0, -merged.getScale())) - 1;
      for (double q : QS) {
        String key = "latency_quantile{quantile=\"" + HistogramAggregationProcessor.format(q) + "\",route=\"/a\"}";
        double estimate = ((NumberDataPoint) out.get(key)).getAsDouble();
        double truth = truth(all, q);
        assertThat(Math.abs(estimate - truth)).as("q %s: estimate %s, truth %s", q, estimate, truth)
            .isLessThanOrEqualTo(truth * relative);
      }
      result(p.shutdown());
    }
  }

  private static List<Double> toList(double[] a) {
    return Arrays.stream(a).boxed().toList();
  }
}
