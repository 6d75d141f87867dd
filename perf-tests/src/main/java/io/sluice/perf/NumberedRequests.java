package io.sluice.perf;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
import io.opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest;
import io.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.logs.v1.SeverityNumber;
import io.opentelemetry.proto.metrics.v1.AggregationTemporality;
import io.opentelemetry.proto.metrics.v1.Gauge;
import io.opentelemetry.proto.metrics.v1.Metric;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import io.opentelemetry.proto.metrics.v1.ScopeMetrics;
import io.opentelemetry.proto.metrics.v1.Sum;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.sluice.core.ledger.ItemLedger;
import io.sluice.core.ledger.NumberedItems;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Export requests of numbered items ({@link NumberedItems}) for the load generator's
 * {@link LoadGenerator.Bodies}: request {@code i} holds {@code itemsPerRequest} items of stream
 * {@code 1 + i % streams}, numbered by the ledger as it is made, so the ledger's accounts of what
 * was sent match the bodies exactly. The answer to the request is booked with {@link #answered}.
 *
 * <p>The shape, from {@link Shape}: each request's items belong to one of {@code resources}
 * distinct resources (service name and instance); each item has {@code attributes} attributes, each
 * taking one of {@code attributeValues} values, so a metric has up to
 * {@code resources × metrics × attributeValues^attributes} series. Spans come in traces of
 * {@code spansPerTrace} spans (a root, then children each under an earlier span: a tree of fan-out
 * 2), with {@code spanEvents} events each.
 */
final class NumberedRequests implements LoadGenerator.Bodies {
  /** What a request's items look like. */
  record Shape(int itemsPerRequest, int streams, int resources, int attributes, int attributeValues,
      int spansPerTrace, int spanEvents, int metrics) {
    Shape {
      positive(itemsPerRequest, "--batch");
      positive(streams, "--streams");
      positive(resources, "--resources");
      positive(attributeValues, "--attribute-values");
      positive(spansPerTrace, "--spans-per-trace");
      positive(metrics, "--metrics");
      if (attributes < 0 || spanEvents < 0) {
        throw new IllegalArgumentException("--attributes and --span-events must not be negative");
      }
    }

    private static void positive(int v, String option) {
      if (v < 1) {
        throw new IllegalArgumentException(option + " must be at least 1, got " + v);
      }
    }
  }

  private record Reserved(int source, int first) {}

  private final Signal signal;
  private final Shape shape;
  private final NumberedItems numbering;
  private final ItemLedger ledger;
  private final Resource[] resources;
  private final KeyValue[][] attributeValues;
  private final InstrumentationScope scope = InstrumentationScope.newBuilder().setName("io.sluice.load")
      .setVersion("1").build();
  private final ConcurrentHashMap<Long, Reserved> unanswered = new ConcurrentHashMap<>();

  NumberedRequests(Signal signal, Shape shape, NumberedItems numbering, ItemLedger ledger) {
    this.signal = signal;
    this.shape = shape;
    this.numbering = numbering;
    this.ledger = ledger;
    this.resources = new Resource[shape.resources()];
    for (int r = 0; r < resources.length; r++) {
      resources[r] = Resource.newBuilder()
          .addAttributes(str("service.name", "load-" + (r % 16)))
          .addAttributes(str("service.instance.id", "instance-" + r))
          .addAttributes(str("host.name", "host-" + (r % 64)))
          .build();
    }
    this.attributeValues = new KeyValue[shape.attributes()][shape.attributeValues()];
    for (int a = 0; a < shape.attributes(); a++) {
      for (int v = 0; v < shape.attributeValues(); v++) {
        attributeValues[a][v] = str("attr." + a, "value-" + v);
      }
    }
  }

  Shape shape() {
    return shape;
  }

  @Override
  public byte[] body(long index, long stamp) {
    int source = 1 + (int) Math.floorMod(index, (long) shape.streams());
    int first = ledger.reserve(source, shape.itemsPerRequest());
    unanswered.put(index, new Reserved(source, first));
    Resource resource = resources[(int) Math.floorMod(index / shape.streams(), (long) resources.length)];
    long now = System.currentTimeMillis() * 1_000_000L;
    return switch (signal) {
      case TRACES -> traces(source, first, resource, now).toByteArray();
      case METRICS -> metrics(source, first, resource, now).toByteArray();
      case LOGS -> logs(source, first, resource, now).toByteArray();
    };
  }

  /** Books the answer to request {@code index} in the ledger (see {@link LoadGenerator.Answers}). */
  void answered(long index, String failure, long rejected) {
    Reserved r = unanswered.remove(index);
    if (r == null) {
      return;
    }
    if (failure != null) {
      ledger.refused(r.source(), r.first(), shape.itemsPerRequest(), failure);
    } else if (rejected > 0) {
      // Which items a partial success refused, the answer does not say: the request counts as refused.
      ledger.refused(r.source(), r.first(), shape.itemsPerRequest(), "partial success");
    } else {
      ledger.acknowledged(r.source(), r.first(), shape.itemsPerRequest());
    }
  }

  private void addAttributes(int seq, java.util.function.Consumer<KeyValue> add) {
    for (int a = 0; a < attributeValues.length; a++) {
      // A different stride per attribute, so the combinations cover the value space.
      add.accept(attributeValues[a][Math.floorMod(seq * (2 * a + 1) + a, attributeValues[a].length)]);
    }
  }

  private ExportTraceServiceRequest traces(int source, int first, Resource resource, long now) {
    ScopeSpans.Builder ss = ScopeSpans.newBuilder().setScope(scope);
    int n = shape.itemsPerRequest();
    int perTrace = shape.spansPerTrace();
    for (int i = 0; i < n; i++) {
      int seq = first + i;
      // A trace starts at every multiple of spansPerTrace within the request (the last may be shorter).
      int inTrace = i % perTrace;
      int root = seq - inTrace;
      Span.Builder span = Span.newBuilder()
          .setTraceId(ByteString.copyFrom(numbering.traceId(source, root)))
          .setSpanId(ByteString.copyFrom(NumberedItems.spanId(source, seq)))
          .setName(inTrace == 0 ? "GET /api/items" : "step-" + inTrace)
          .setKind(inTrace == 0 ? Span.SpanKind.SPAN_KIND_SERVER : Span.SpanKind.SPAN_KIND_INTERNAL)
          .setStartTimeUnixNano(now + inTrace * 1_000L)
          .setEndTimeUnixNano(now + 2_000_000L - inTrace * 1_000L);
      if (inTrace > 0) {
        span.setParentSpanId(ByteString.copyFrom(NumberedItems.spanId(source, root + (inTrace - 1) / 2)));
      }
      addAttributes(seq, span::addAttributes);
      for (int e = 0; e < shape.spanEvents(); e++) {
        span.addEvents(Span.Event.newBuilder().setName("event-" + e).setTimeUnixNano(now + e * 1_000L));
      }
      ss.addSpans(span);
    }
    return ExportTraceServiceRequest.newBuilder()
        .addResourceSpans(ResourceSpans.newBuilder().setResource(resource).addScopeSpans(ss)).build();
  }

  private ExportMetricsServiceRequest metrics(int source, int first, Resource resource, long now) {
    // Points of one metric name together, as an SDK exports them: the request's items in as many
    // consecutive runs as there are metric names (at most one per item), numbered in the order
    // they are written.
    int n = shape.itemsPerRequest();
    Metric.Builder[] metrics = new Metric.Builder[Math.min(shape.metrics(), n)];
    ScopeMetrics.Builder sm = ScopeMetrics.newBuilder().setScope(scope);
    for (int i = 0; i < n; i++) {
      int seq = first + i;
      int slot = (int) ((long) i * metrics.length / n);
      int m = slot;
      NumberDataPoint.Builder p = NumberDataPoint.newBuilder().setStartTimeUnixNano(now - 60_000_000_000L)
          .setTimeUnixNano(now).setAsDouble(seq)
          .addExemplars(numbering.exemplar(source, seq, now, seq));
      addAttributes(seq, p::addAttributes);
      if (metrics[slot] == null) {
        metrics[slot] = Metric.newBuilder().setName("load.metric." + m);
        if (m % 2 == 0) {
          metrics[slot].setSum(Sum.newBuilder().setIsMonotonic(true)
              .setAggregationTemporality(AggregationTemporality.AGGREGATION_TEMPORALITY_CUMULATIVE));
        } else {
          metrics[slot].setGauge(Gauge.newBuilder());
        }
      }
      if (metrics[slot].hasSum()) {
        metrics[slot].getSumBuilder().addDataPoints(p);
      } else {
        metrics[slot].getGaugeBuilder().addDataPoints(p);
      }
    }
    for (Metric.Builder m : metrics) {
      if (m != null) {
        sm.addMetrics(m);
      }
    }
    return ExportMetricsServiceRequest.newBuilder()
        .addResourceMetrics(ResourceMetrics.newBuilder().setResource(resource).addScopeMetrics(sm)).build();
  }

  private ExportLogsServiceRequest logs(int source, int first, Resource resource, long now) {
    ScopeLogs.Builder sl = ScopeLogs.newBuilder().setScope(scope);
    for (int i = 0; i < shape.itemsPerRequest(); i++) {
      int seq = first + i;
      LogRecord.Builder log = LogRecord.newBuilder()
          .setTimeUnixNano(now).setObservedTimeUnixNano(now)
          .setSeverityNumber(seq % 10 == 0 ? SeverityNumber.SEVERITY_NUMBER_WARN : SeverityNumber.SEVERITY_NUMBER_INFO)
          .setSeverityText(seq % 10 == 0 ? "WARN" : "INFO")
          .setBody(AnyValue.newBuilder().setStringValue("GET /api/items/" + seq + " 200 in 12 ms"))
          .setTraceId(ByteString.copyFrom(numbering.traceId(source, seq)))
          .setSpanId(ByteString.copyFrom(NumberedItems.spanId(source, seq)));
      addAttributes(seq, log::addAttributes);
      sl.addLogRecords(log);
    }
    return ExportLogsServiceRequest.newBuilder()
        .addResourceLogs(ResourceLogs.newBuilder().setResource(resource).addScopeLogs(sl)).build();
  }

  private static KeyValue str(String key, String value) {
    return KeyValue.newBuilder().setKey(key).setValue(AnyValue.newBuilder().setStringValue(value)).build();
  }
}
