package io.sluice.translation.kafka;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.WireFormat;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.InstrumentationScope;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.opentelemetry.proto.trace.v1.ResourceSpans;
import io.opentelemetry.proto.trace.v1.ScopeSpans;
import io.opentelemetry.proto.trace.v1.Span;
import io.opentelemetry.proto.trace.v1.Status;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one Jaeger {@code api_v2} {@code Span} message (a {@code jaeger_proto} Kafka message) as
 * OTLP: a {@code ResourceSpans} holding the one span, read field by field with protobuf's
 * {@link CodedInputStream}. The mapping undoes the one the kafka and Jaeger exporters write (the
 * OpenTelemetry specification's Jaeger mapping):
 *
 * <ul>
 *   <li>The span's process is the resource: its service name {@code service.name} (left out when
 *       it is the placeholder {@value #NO_SERVICE_NAME} or empty), its tags the other attributes.
 *   <li>IDs are the same bytes; the operation name is the name; start time and duration give the
 *       start and end times.
 *   <li>The first reference, when it is {@code CHILD_OF} within the same trace, is the parent; the
 *       other references are links with {@code opentracing.ref_type} {@code child_of} or
 *       {@code follows_from}.
 *   <li>Tags {@code otel.scope.name} and {@code otel.scope.version} are the scope;
 *       {@code span.kind} the kind; {@code otel.status_code} and {@code otel.status_description}
 *       the status ({@code error=true} alone makes it an error, and is dropped when the status is
 *       one); {@code w3c.tracestate} the trace state; the {@code otel.dropped_*_count} tags the
 *       dropped counts; every other tag an attribute of its type (binary as bytes).
 *   <li>Logs are events: the field {@code event} (a string) names one, the others are its
 *       attributes.
 *   <li>Jaeger's sampled flag is the W3C sampled flag of the span's flags.
 * </ul>
 *
 * Process IDs and warnings are not carried.
 */
final class JaegerSpanDecoder {
  /** The service name Sluice writes for a resource without {@code service.name}. */
  static final String NO_SERVICE_NAME = "OTLPResourceNoServiceName";

  private static final int CHILD_OF = 0;
  private static final int FOLLOWS_FROM = 1;

  private JaegerSpanDecoder() {}

  /**
   * The span of one message, with its process as the resource.
   *
   * @throws InvalidProtocolBufferException when the bytes are not a {@code Span} message
   */
  static ResourceSpans decode(byte[] value) throws InvalidProtocolBufferException {
    CodedInputStream in = CodedInputStream.newInstance(value);
    Span.Builder span = Span.newBuilder();
    InstrumentationScope.Builder scope = InstrumentationScope.newBuilder();
    Resource.Builder resource = Resource.newBuilder();
    Status.Builder status = Status.newBuilder();
    List<Ref> refs = new ArrayList<>();
    boolean errorTag = false;
    long start = 0;
    long duration = 0;
    try {
      while (true) {
        int tag = in.readTag();
        if (tag == 0) {
          break;
        }
        switch (WireFormat.getTagFieldNumber(tag)) {
          case 1 -> span.setTraceId(in.readBytes());
          case 2 -> span.setSpanId(in.readBytes());
          case 3 -> span.setName(in.readString());
          case 4 -> refs.add(ref(in));
          case 5 -> span.setFlags(in.readUInt32() & 0x1);
          case 6 -> start = nanos(in);
          case 7 -> duration = nanos(in);
          case 8 -> {
            KeyValue kv = keyValue(in);
            switch (kv.getKey()) {
              case "otel.scope.name" -> scope.setName(kv.getValue().getStringValue());
              case "otel.scope.version" -> scope.setVersion(kv.getValue().getStringValue());
              case "span.kind" -> span.setKind(kind(kv.getValue().getStringValue()));
              case "otel.status_code" -> status.setCode(switch (kv.getValue().getStringValue()) {
                case "ERROR" -> Status.StatusCode.STATUS_CODE_ERROR;
                case "OK" -> Status.StatusCode.STATUS_CODE_OK;
                default -> Status.StatusCode.STATUS_CODE_UNSET;
              });
              case "otel.status_description" -> status.setMessage(kv.getValue().getStringValue());
              case "w3c.tracestate" -> span.setTraceState(kv.getValue().getStringValue());
              case "otel.dropped_attributes_count" -> span.setDroppedAttributesCount((int) kv.getValue().getIntValue());
              case "otel.dropped_events_count" -> span.setDroppedEventsCount((int) kv.getValue().getIntValue());
              case "otel.dropped_links_count" -> span.setDroppedLinksCount((int) kv.getValue().getIntValue());
              case "error" -> {
                errorTag = kv.getValue().getBoolValue() || "true".equals(kv.getValue().getStringValue());
                if (!errorTag) {
                  span.addAttributes(kv);
                }
              }
              default -> span.addAttributes(kv);
            }
          }
          case 9 -> span.addEvents(event(in));
          case 10 -> process(in, resource);
          default -> in.skipField(tag);
        }
      }
    } catch (InvalidProtocolBufferException e) {
      throw e;
    } catch (IOException e) {
      throw new InvalidProtocolBufferException(e);
    }
    span.setStartTimeUnixNano(start).setEndTimeUnixNano(start + duration);
    if (errorTag && status.getCode() == Status.StatusCode.STATUS_CODE_UNSET) {
      status.setCode(Status.StatusCode.STATUS_CODE_ERROR);
    } else if (errorTag && status.getCode() != Status.StatusCode.STATUS_CODE_ERROR) {
      span.addAttributes(KeyValue.newBuilder().setKey("error").setValue(AnyValue.newBuilder().setBoolValue(true)));
    }
    span.setStatus(status);
    for (int i = 0; i < refs.size(); i++) {
      Ref r = refs.get(i);
      if (i == 0 && r.type == CHILD_OF && r.traceId.equals(span.getTraceId())) {
        span.setParentSpanId(r.spanId);
      } else {
        span.addLinks(Span.Link.newBuilder().setTraceId(r.traceId).setSpanId(r.spanId)
            .addAttributes(KeyValue.newBuilder().setKey("opentracing.ref_type").setValue(AnyValue.newBuilder()
                .setStringValue(r.type == FOLLOWS_FROM ? "follows_from" : "child_of"))));
      }
    }
    return ResourceSpans.newBuilder().setResource(resource)
        .addScopeSpans(ScopeSpans.newBuilder().setScope(scope).addSpans(span)).build();
  }

  private record Ref(ByteString traceId, ByteString spanId, int type) {}

  private static Ref ref(CodedInputStream in) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    ByteString trace = ByteString.EMPTY;
    ByteString spanId = ByteString.EMPTY;
    int type = CHILD_OF;
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> trace = in.readBytes();
        case 2 -> spanId = in.readBytes();
        case 3 -> type = in.readEnum();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    return new Ref(trace, spanId, type);
  }

  /** A {@code Timestamp} or {@code Duration} as nanoseconds. */
  private static long nanos(CodedInputStream in) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    long seconds = 0;
    long nanos = 0;
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> seconds = in.readInt64();
        case 2 -> nanos = in.readInt32();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    return seconds * 1_000_000_000L + nanos;
  }

  /** A Jaeger {@code KeyValue} as an OTLP attribute of the same type. */
  private static KeyValue keyValue(CodedInputStream in) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String key = "";
    int type = 0;
    String str = "";
    boolean bool = false;
    long int64 = 0;
    double float64 = 0;
    ByteString binary = ByteString.EMPTY;
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> key = in.readString();
        case 2 -> type = in.readEnum();
        case 3 -> str = in.readString();
        case 4 -> bool = in.readBool();
        case 5 -> int64 = in.readInt64();
        case 6 -> float64 = in.readDouble();
        case 7 -> binary = in.readBytes();
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    AnyValue.Builder v = AnyValue.newBuilder();
    switch (type) {
      case 1 -> v.setBoolValue(bool);
      case 2 -> v.setIntValue(int64);
      case 3 -> v.setDoubleValue(float64);
      case 4 -> v.setBytesValue(binary);
      default -> v.setStringValue(str);
    }
    return KeyValue.newBuilder().setKey(key).setValue(v).build();
  }

  private static Span.Event event(CodedInputStream in) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    Span.Event.Builder e = Span.Event.newBuilder();
    boolean named = false;
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> e.setTimeUnixNano(nanos(in));
        case 2 -> {
          KeyValue kv = keyValue(in);
          if (!named && kv.getKey().equals("event") && kv.getValue().hasStringValue()) {
            e.setName(kv.getValue().getStringValue());
            named = true;
          } else {
            e.addAttributes(kv);
          }
        }
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    return e.build();
  }

  private static void process(CodedInputStream in, Resource.Builder resource) throws IOException {
    int limit = in.pushLimit(in.readRawVarint32());
    String service = "";
    List<KeyValue> tags = new ArrayList<>();
    while (!in.isAtEnd()) {
      int tag = in.readTag();
      switch (WireFormat.getTagFieldNumber(tag)) {
        case 1 -> service = in.readString();
        case 2 -> tags.add(keyValue(in));
        default -> in.skipField(tag);
      }
    }
    in.popLimit(limit);
    resource.clear();
    if (!service.isEmpty() && !service.equals(NO_SERVICE_NAME)) {
      resource.addAttributes(KeyValue.newBuilder().setKey("service.name")
          .setValue(AnyValue.newBuilder().setStringValue(service)));
    }
    resource.addAllAttributes(tags);
  }

  private static Span.SpanKind kind(String kind) {
    return switch (kind) {
      case "internal" -> Span.SpanKind.SPAN_KIND_INTERNAL;
      case "server" -> Span.SpanKind.SPAN_KIND_SERVER;
      case "client" -> Span.SpanKind.SPAN_KIND_CLIENT;
      case "producer" -> Span.SpanKind.SPAN_KIND_PRODUCER;
      case "consumer" -> Span.SpanKind.SPAN_KIND_CONSUMER;
      default -> Span.SpanKind.SPAN_KIND_UNSPECIFIED;
    };
  }
}
