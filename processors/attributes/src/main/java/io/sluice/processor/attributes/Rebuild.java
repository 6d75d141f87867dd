package io.sluice.processor.attributes;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.HistogramDataPoint;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.SummaryDataPoint;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiFunction;
import java.util.function.UnaryOperator;

/** Helpers that rebuild immutable OTLP messages only where something changed. */
final class Rebuild {
  private Rebuild() {}

  /** {@code in} itself when {@code f} returns every element unchanged (the same object), else a new list. */
  static <T> List<T> map(List<T> in, UnaryOperator<T> f) {
    List<T> out = null;
    for (int i = 0; i < in.size(); i++) {
      T before = in.get(i);
      T after = f.apply(before);
      if (out == null && after != before) {
        out = new ArrayList<>(in.size());
        out.addAll(in.subList(0, i));
      }
      if (out != null) {
        out.add(after);
      }
    }
    return out == null ? in : out;
  }

  /**
   * The metric with every data point's attributes passed through {@code f} (given the metric and
   * the point's attributes, returning the same list when unchanged); the same metric when no
   * point changed.
   */
  static Metric points(Metric m, BiFunction<Metric, List<KeyValue>, List<KeyValue>> f) {
    switch (m.getDataCase()) {
      case GAUGE -> {
        List<NumberDataPoint> in = m.getGauge().getDataPointsList();
        List<NumberDataPoint> out = map(in, p -> numberPoint(p, f.apply(m, p.getAttributesList())));
        return out == in ? m : m.toBuilder().setGauge(m.getGauge().toBuilder().clearDataPoints().addAllDataPoints(out))
            .build();
      }
      case SUM -> {
        List<NumberDataPoint> in = m.getSum().getDataPointsList();
        List<NumberDataPoint> out = map(in, p -> numberPoint(p, f.apply(m, p.getAttributesList())));
        return out == in ? m : m.toBuilder().setSum(m.getSum().toBuilder().clearDataPoints().addAllDataPoints(out))
            .build();
      }
      case HISTOGRAM -> {
        List<HistogramDataPoint> in = m.getHistogram().getDataPointsList();
        List<HistogramDataPoint> out = map(in, p -> {
          List<KeyValue> a = f.apply(m, p.getAttributesList());
          return a == p.getAttributesList() ? p : p.toBuilder().clearAttributes().addAllAttributes(a).build();
        });
        return out == in ? m : m.toBuilder().setHistogram(m.getHistogram().toBuilder().clearDataPoints()
            .addAllDataPoints(out)).build();
      }
      case EXPONENTIAL_HISTOGRAM -> {
        List<ExponentialHistogramDataPoint> in = m.getExponentialHistogram().getDataPointsList();
        List<ExponentialHistogramDataPoint> out = map(in, p -> {
          List<KeyValue> a = f.apply(m, p.getAttributesList());
          return a == p.getAttributesList() ? p : p.toBuilder().clearAttributes().addAllAttributes(a).build();
        });
        return out == in ? m : m.toBuilder().setExponentialHistogram(m.getExponentialHistogram().toBuilder()
            .clearDataPoints().addAllDataPoints(out)).build();
      }
      case SUMMARY -> {
        List<SummaryDataPoint> in = m.getSummary().getDataPointsList();
        List<SummaryDataPoint> out = map(in, p -> {
          List<KeyValue> a = f.apply(m, p.getAttributesList());
          return a == p.getAttributesList() ? p : p.toBuilder().clearAttributes().addAllAttributes(a).build();
        });
        return out == in ? m : m.toBuilder().setSummary(m.getSummary().toBuilder().clearDataPoints()
            .addAllDataPoints(out)).build();
      }
      default -> {
        return m;
      }
    }
  }

  private static NumberDataPoint numberPoint(NumberDataPoint p, List<KeyValue> a) {
    return a == p.getAttributesList() ? p : p.toBuilder().clearAttributes().addAllAttributes(a).build();
  }
}
