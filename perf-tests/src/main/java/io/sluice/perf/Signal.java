package io.sluice.perf;

import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.logs.v1.LogsServiceGrpc;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.MetricsServiceGrpc;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.sluice.core.ledger.ItemLedger;
import io.sluice.core.ledger.NumberedItems;
import java.io.IOException;
import java.util.Locale;

/** The three OTLP signals: their gRPC method with raw bodies, their OTLP/HTTP path, what their items are called. */
enum Signal {
  TRACES(RawExport.METHOD, "/v1/traces", "spans"),
  METRICS(MetricsServiceGrpc.getExportMethod().toBuilder(RawExport.BYTES, RawExport.BYTES).build(), "/v1/metrics",
      "data points"),
  LOGS(LogsServiceGrpc.getExportMethod().toBuilder(RawExport.BYTES, RawExport.BYTES).build(), "/v1/logs",
      "log records");

  final MethodDescriptor<byte[], byte[]> method;
  final String httpPath;
  final String items;

  Signal(MethodDescriptor<byte[], byte[]> method, String httpPath, String items) {
    this.method = method;
    this.httpPath = httpPath;
    this.items = items;
  }

  /** The signal named {@code name} ({@code traces}, {@code metrics}, {@code logs}). */
  static Signal named(String name, String option) {
    for (Signal s : values()) {
      if (s.name().equalsIgnoreCase(name)) {
        return s;
      }
    }
    throw new IllegalArgumentException(option + " \"" + name + "\" is not a signal; use traces, metrics or logs");
  }

  String lowerName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /**
   * Decodes an export request of this signal and records its numbered items in {@code ledger};
   * the number of items in the request, numbered or not.
   */
  Received receive(byte[] body, NumberedItems numbering, ItemLedger ledger) throws IOException {
    return switch (this) {
      case TRACES -> {
        ExportTraceServiceRequest r = ExportTraceServiceRequest.parseFrom(body);
        long items = r.getResourceSpansList().stream().flatMap(rs -> rs.getScopeSpansList().stream())
            .mapToLong(ss -> ss.getSpansCount()).sum();
        yield new Received(items, numbering.receive(r, ledger));
      }
      case LOGS -> {
        ExportLogsServiceRequest r = ExportLogsServiceRequest.parseFrom(body);
        long items = r.getResourceLogsList().stream().flatMap(rl -> rl.getScopeLogsList().stream())
            .mapToLong(sl -> sl.getLogRecordsCount()).sum();
        yield new Received(items, numbering.receive(r, ledger));
      }
      case METRICS -> {
        ExportMetricsServiceRequest r = ExportMetricsServiceRequest.parseFrom(body);
        long items = r.getResourceMetricsList().stream().flatMap(rm -> rm.getScopeMetricsList().stream())
            .flatMap(sm -> sm.getMetricsList().stream()).mapToLong(m -> switch (m.getDataCase()) {
              case GAUGE -> m.getGauge().getDataPointsCount();
              case SUM -> m.getSum().getDataPointsCount();
              case HISTOGRAM -> m.getHistogram().getDataPointsCount();
              case EXPONENTIAL_HISTOGRAM -> m.getExponentialHistogram().getDataPointsCount();
              case SUMMARY -> m.getSummary().getDataPointsCount();
              default -> 0;
            }).sum();
        yield new Received(items, numbering.receive(r, ledger));
      }
    };
  }

  /** What one request held: its items, and how many of them were numbered items of the run. */
  record Received(long items, long numbered) {}
}
