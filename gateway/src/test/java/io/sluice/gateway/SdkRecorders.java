package io.sluice.gateway;

import io.opentelemetry.exporter.internal.otlp.logs.LogsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.MetricExporter;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Exporters for the OpenTelemetry SDK that remember what the SDK exported before handing it to
 * the real OTLP exporter, and the OTLP protobuf form the SDK itself gives that data: the
 * reference that what a gateway delivers is compared with.
 */
final class SdkRecorders {
  private SdkRecorders() {}

  static final class Spans implements SpanExporter {
    private final SpanExporter delegate;
    private final List<SpanData> exported = new CopyOnWriteArrayList<>();

    Spans(SpanExporter delegate) {
      this.delegate = delegate;
    }

    List<SpanData> exported() {
      return List.copyOf(exported);
    }

    @Override
    public CompletableResultCode export(Collection<SpanData> spans) {
      exported.addAll(spans);
      return delegate.export(spans);
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }
  }

  static final class Metrics implements MetricExporter {
    private final MetricExporter delegate;
    private final List<MetricData> exported = new CopyOnWriteArrayList<>();

    Metrics(MetricExporter delegate) {
      this.delegate = delegate;
    }

    List<MetricData> exported() {
      return List.copyOf(exported);
    }

    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType type) {
      return delegate.getAggregationTemporality(type);
    }

    @Override
    public Aggregation getDefaultAggregation(InstrumentType type) {
      return delegate.getDefaultAggregation(type);
    }

    // The memory mode stays the default (immutable data), so that what was recorded is not
    // overwritten by the next collection.

    @Override
    public CompletableResultCode export(Collection<MetricData> metrics) {
      exported.addAll(metrics);
      return delegate.export(metrics);
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }
  }

  static final class Logs implements LogRecordExporter {
    private final LogRecordExporter delegate;
    private final List<LogRecordData> exported = new CopyOnWriteArrayList<>();

    Logs(LogRecordExporter delegate) {
      this.delegate = delegate;
    }

    List<LogRecordData> exported() {
      return List.copyOf(exported);
    }

    @Override
    public CompletableResultCode export(Collection<LogRecordData> logs) {
      exported.addAll(logs);
      return delegate.export(logs);
    }

    @Override
    public CompletableResultCode flush() {
      return delegate.flush();
    }

    @Override
    public CompletableResultCode shutdown() {
      return delegate.shutdown();
    }
  }

  /** The OTLP request the SDK's own encoder makes of {@code spans}. */
  static ExportTraceServiceRequest otlp(List<SpanData> spans) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      TraceRequestMarshaler.create(spans).writeBinaryTo(out);
      return ExportTraceServiceRequest.parseFrom(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ExportMetricsServiceRequest otlpMetrics(List<MetricData> metrics) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      MetricsRequestMarshaler.create(metrics).writeBinaryTo(out);
      return ExportMetricsServiceRequest.parseFrom(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ExportLogsServiceRequest otlpLogs(List<LogRecordData> logs) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      LogsRequestMarshaler.create(logs).writeBinaryTo(out);
      return ExportLogsServiceRequest.parseFrom(out.toByteArray());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
