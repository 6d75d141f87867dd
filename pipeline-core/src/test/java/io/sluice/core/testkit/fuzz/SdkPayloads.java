package io.sluice.core.testkit.fuzz;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.Value;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Scope;
import io.opentelemetry.exporter.internal.marshal.Marshaler;
import io.opentelemetry.exporter.internal.otlp.logs.LogsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.metrics.MetricsRequestMarshaler;
import io.opentelemetry.exporter.internal.otlp.traces.TraceRequestMarshaler;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.Aggregation;
import io.opentelemetry.sdk.metrics.InstrumentSelector;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.View;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.sluice.core.Signal;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Real OTLP requests as the OpenTelemetry Java SDK serializes them (its OTLP exporters' own
 * marshalers), in binary protobuf and in OTLP/JSON: spans with every attribute type, events,
 * links and status; counters, gauges, histograms and exponential histograms; log records with
 * string and structured bodies. The seeds of the OTLP fuzz targets.
 */
public final class SdkPayloads {
  private SdkPayloads() {}

  private static final Resource RESOURCE = Resource.getDefault().merge(Resource.create(Attributes.of(
      AttributeKey.stringKey("service.name"), "checkout", AttributeKey.stringKey("host.name"), "fuzz-host")));

  /** Requests of {@code signal}: a few of different sizes, binary protobuf. */
  public static List<byte[]> protobuf(Signal signal) {
    return marshal(signal, false);
  }

  /** The same requests in OTLP/JSON. */
  public static List<byte[]> json(Signal signal) {
    return marshal(signal, true);
  }

  private static List<byte[]> marshal(Signal signal, boolean json) {
    List<byte[]> out = new ArrayList<>();
    for (int size : json ? new int[] {1, 3} : new int[] {1, 3, 12}) {
      Marshaler m = switch (signal) {
        case TRACES -> TraceRequestMarshaler.create(spans(size));
        case METRICS -> MetricsRequestMarshaler.create(metrics(size));
        case LOGS -> LogsRequestMarshaler.create(logs(size));
      };
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      try {
        if (json) {
          m.writeJsonTo(bytes);
        } else {
          m.writeBinaryTo(bytes);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      out.add(bytes.toByteArray());
    }
    return out;
  }

  /** {@code n} traces of a parent and a child span each. */
  static Collection<SpanData> spans(int n) {
    List<SpanData> got = new ArrayList<>();
    SpanExporter capture = new SpanExporter() {
      @Override
      public CompletableResultCode export(Collection<SpanData> spans) {
        got.addAll(spans);
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    try (SdkTracerProvider provider = SdkTracerProvider.builder().setResource(RESOURCE)
        .addSpanProcessor(SimpleSpanProcessor.create(capture)).build()) {
      Tracer tracer = provider.get("io.sluice.fuzz", "1.0.0");
      for (int i = 0; i < n; i++) {
        Span parent = tracer.spanBuilder("GET /cart/" + i).setSpanKind(SpanKind.SERVER)
            .setAttribute("http.request.method", "GET").setAttribute("http.response.status_code", 200L)
            .setAttribute("sampled.ratio", 0.25).setAttribute("retry", false)
            .setAttribute(AttributeKey.stringArrayKey("tags"), List.of("a", "ü", ""))
            .setAttribute(AttributeKey.longArrayKey("ids"), List.of(1L, -1L, Long.MAX_VALUE))
            .startSpan();
        try (Scope s = parent.makeCurrent()) {
          Span child = tracer.spanBuilder("SELECT carts").setSpanKind(SpanKind.CLIENT)
              .addLink(parent.getSpanContext(), Attributes.of(AttributeKey.stringKey("link"), "parent"))
              .startSpan();
          child.addEvent("retry", Attributes.of(AttributeKey.longKey("attempt"), 2L));
          child.setStatus(StatusCode.ERROR, "connection reset");
          child.addEvent("exception", Attributes.of(AttributeKey.stringKey("exception.type"), "IllegalStateException",
              AttributeKey.stringKey("exception.message"), "boom " + i));
          child.end();
        }
        parent.end();
      }
    }
    return got;
  }

  /** Every kind of instrument, {@code n} attribute sets each. */
  static Collection<MetricData> metrics(int n) {
    CollectionRegistration[] registration = new CollectionRegistration[1];
    MetricReader reader = new MetricReader() {
      @Override
      public void register(CollectionRegistration r) {
        registration[0] = r;
      }

      @Override
      public AggregationTemporality getAggregationTemporality(InstrumentType type) {
        return type == InstrumentType.COUNTER ? AggregationTemporality.DELTA : AggregationTemporality.CUMULATIVE;
      }

      @Override
      public CompletableResultCode forceFlush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    try (SdkMeterProvider provider = SdkMeterProvider.builder().setResource(RESOURCE).registerMetricReader(reader)
        .registerView(InstrumentSelector.builder().setName("payload.size").build(),
            View.builder().setAggregation(Aggregation.base2ExponentialBucketHistogram()).build())
        .build()) {
      Meter meter = provider.get("io.sluice.fuzz");
      LongCounter requests = meter.counterBuilder("http.server.requests").setUnit("{request}").build();
      DoubleHistogram duration = meter.histogramBuilder("http.server.request.duration").setUnit("s").build();
      DoubleHistogram sizes = meter.histogramBuilder("payload.size").setUnit("By").build();
      meter.gaugeBuilder("queue.fill").buildWithCallback(g -> g.record(0.5, Attributes.of(
          AttributeKey.stringKey("queue"), "main")));
      meter.upDownCounterBuilder("connections.open").build().add(-3);
      for (int i = 0; i < n; i++) {
        Attributes a = Attributes.of(AttributeKey.stringKey("route"), "/r" + i, AttributeKey.longKey("code"),
            200L + i);
        requests.add(i + 1, a);
        duration.record(0.001 * (i + 1), a);
        duration.record(12.5, a);
        sizes.record(1 << i % 20, a);
        sizes.record(0, a);
      }
      return registration[0].collectAllMetrics();
    }
  }

  /** {@code n} log records with string, structured and empty bodies. */
  static Collection<LogRecordData> logs(int n) {
    List<LogRecordData> got = new ArrayList<>();
    LogRecordExporter capture = new LogRecordExporter() {
      @Override
      public CompletableResultCode export(Collection<LogRecordData> logs) {
        got.addAll(logs);
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode flush() {
        return CompletableResultCode.ofSuccess();
      }

      @Override
      public CompletableResultCode shutdown() {
        return CompletableResultCode.ofSuccess();
      }
    };
    try (SdkLoggerProvider provider = SdkLoggerProvider.builder().setResource(RESOURCE)
        .addLogRecordProcessor(SimpleLogRecordProcessor.create(capture)).build()) {
      Logger logger = provider.get("io.sluice.fuzz");
      for (int i = 0; i < n; i++) {
        logger.logRecordBuilder().setSeverity(Severity.values()[i % Severity.values().length])
            .setSeverityText("level" + i).setTimestamp(1_700_000_000L + i, TimeUnit.SECONDS)
            .setBody("user " + i + " logged in \u00fc\u20ac\ud83d\ude00").setAttribute("user.id", (long) i).emit();
        logger.logRecordBuilder().setSeverity(Severity.WARN)
            .setBody(Value.of(Map.of("msg", Value.of("structured"), "n", Value.of(i), "ok", Value.of(true),
                "list", Value.of(Value.of(1.5), Value.of("x")), "raw", Value.of(new byte[] {0, 1, (byte) 0xff}))))
            .emit();
      }
      logger.logRecordBuilder().emit();
    }
    return got;
  }
}
