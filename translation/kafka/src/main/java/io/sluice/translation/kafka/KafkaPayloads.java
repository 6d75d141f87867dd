package io.sluice.translation.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.InvalidProtocolBufferException;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.ArrayValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.common.v1.KeyValueList;
import io.opentelemetry.proto.logs.v1.LogRecord;
import io.opentelemetry.proto.logs.v1.LogsData;
import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.opentelemetry.proto.logs.v1.ScopeLogs;
import io.opentelemetry.proto.metrics.v1.MetricsData;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.sluice.core.Batch;
import io.sluice.core.Envelope;
import io.sluice.core.PermanentException;
import io.sluice.core.Signal;
import io.sluice.core.otlp.AnyValues;
import io.sluice.core.otlp.EncodedResources;
import io.sluice.core.otlp.OtlpJson;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/** Kafka message values to and from OTLP data, in each {@link KafkaEncoding}. */
public final class KafkaPayloads {
  private static final ObjectMapper JSON = new ObjectMapper();

  private KafkaPayloads() {}

  /** The message type of a signal's {@code otlp_*} messages. */
  public static Descriptor dataDescriptor(Signal signal) {
    return switch (signal) {
      case TRACES -> TracesData.getDescriptor();
      case METRICS -> MetricsData.getDescriptor();
      case LOGS -> LogsData.getDescriptor();
    };
  }

  // ---- encoding (the exporter) ----

  /** The value of one message holding {@code content} in an OTLP encoding. */
  public static byte[] encode(Signal signal, KafkaEncoding encoding, EncodedResources content) {
    byte[] proto = content.toRequestBytes();
    return switch (encoding.kind()) {
      case OTLP_PROTO -> proto;
      case OTLP_JSON -> OtlpJson.encode(dataDescriptor(signal), proto);
      default -> throw new IllegalArgumentException(encoding + " does not carry whole resources");
    };
  }

  /**
   * The values of the messages that carry {@code content} in an OTLP encoding, each at most
   * {@code maxBytes}: one when it fits, else the content cut between resources and between items
   * until every piece fits. A single item larger than the limit is a message of its own (which the
   * broker may refuse).
   */
  public static List<byte[]> encodeWithin(Signal signal, KafkaEncoding encoding, EncodedResources content,
      long maxBytes) {
    List<byte[]> out = new ArrayList<>(1);
    if (encoding.kind() == KafkaEncoding.Kind.OTLP_PROTO) {
      for (EncodedResources part : content.splitBySize(maxBytes)) {
        out.add(part.toRequestBytes());
      }
      return out;
    }
    addWithin(signal, encoding, content, maxBytes, out);
    return out;
  }

  private static void addWithin(Signal signal, KafkaEncoding encoding, EncodedResources content, long maxBytes,
      List<byte[]> out) {
    byte[] v = encode(signal, encoding, content);
    if (v.length <= maxBytes || content.itemCount() <= 1) {
      out.add(v);
      return;
    }
    // A JSON message is about twice its protobuf: halve by items until each half fits.
    EncodedResources.Parts halves = content.cut(content.itemCount() / 2);
    addWithin(signal, encoding, halves.head(), maxBytes, out);
    addWithin(signal, encoding, halves.tail(), maxBytes, out);
  }

  /**
   * A log record's {@code raw} message: its body's bytes as they are, a string as UTF-8, anything
   * else as JSON (numbers and booleans as their text); no body is an empty message.
   */
  public static byte[] rawBody(AnyValue body) {
    return switch (body.getValueCase()) {
      case BYTES_VALUE -> body.getBytesValue().toByteArray();
      case STRING_VALUE -> body.getStringValue().getBytes(StandardCharsets.UTF_8);
      case VALUE_NOT_SET -> new byte[0];
      default -> AnyValues.asString(body).getBytes(StandardCharsets.UTF_8);
    };
  }

  // ---- decoding (the receiver) ----

  /**
   * Decodes one message into a batch.
   *
   * @param observedNanos the observed time given to log records made from {@code raw}, {@code text}
   *     and {@code json} messages (Unix nanoseconds)
   * @throws PermanentException saying what is wrong with the message
   */
  public static Batch decode(Signal signal, KafkaEncoding encoding, byte[] value, Envelope envelope,
      long observedNanos) {
    switch (encoding.kind()) {
      case OTLP_PROTO -> {
        try {
          return Batch.encoded(EncodedResources.scanRequest(signal, value, 0, value.length), envelope);
        } catch (InvalidProtocolBufferException e) {
          throw new PermanentException("not an OTLP " + dataDescriptor(signal).getName() + " message: "
              + e.getMessage(), e);
        }
      }
      case OTLP_JSON -> {
        return switch (signal) {
          case TRACES -> Batch.traces(OtlpJson.decodeTraces(value).getResourceSpansList(), envelope);
          case METRICS -> Batch.metrics(OtlpJson.decodeMetrics(value).getResourceMetricsList(), envelope);
          case LOGS -> Batch.logs(OtlpJson.decodeLogs(value).getResourceLogsList(), envelope);
        };
      }
      case JAEGER_PROTO -> {
        try {
          return Batch.traces(List.of(JaegerSpanDecoder.decode(value)), envelope);
        } catch (InvalidProtocolBufferException e) {
          throw new PermanentException("not a Jaeger Span message: " + e.getMessage(), e);
        }
      }
      case RAW -> {
        return Batch.logs(List.of(logOf(AnyValue.newBuilder().setBytesValue(ByteString.copyFrom(value)).build(),
            observedNanos)), envelope);
      }
      case TEXT -> {
        String text;
        try {
          text = encoding.charset().newDecoder().onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(value)).toString();
        } catch (CharacterCodingException e) {
          throw new PermanentException("not text in " + encoding.charset().name() + ": " + e.getMessage(), e);
        }
        return Batch.logs(List.of(logOf(AnyValue.newBuilder().setStringValue(text).build(), observedNanos)),
            envelope);
      }
      case JSON -> {
        JsonNode node;
        try {
          node = JSON.readTree(value);
        } catch (JsonProcessingException e) {
          throw new PermanentException("not JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
          throw new PermanentException("not JSON: " + e.getMessage(), e);
        }
        return Batch.logs(List.of(logOf(anyValue(node), observedNanos)), envelope);
      }
      default -> throw new PermanentException("the " + encoding + " encoding cannot be decoded by Sluice");
    }
  }

  private static ResourceLogs logOf(AnyValue body, long observedNanos) {
    return ResourceLogs.newBuilder()
        .addScopeLogs(ScopeLogs.newBuilder()
            .addLogRecords(LogRecord.newBuilder().setObservedTimeUnixNano(observedNanos).setBody(body)))
        .build();
  }

  /** A JSON value as an OTLP value: objects become key-value lists, whole numbers integers. */
  static AnyValue anyValue(JsonNode n) {
    AnyValue.Builder b = AnyValue.newBuilder();
    switch (n.getNodeType()) {
      case STRING -> b.setStringValue(n.textValue());
      case BOOLEAN -> b.setBoolValue(n.booleanValue());
      case NUMBER -> {
        if (n.isIntegralNumber() && n.canConvertToLong()) {
          b.setIntValue(n.longValue());
        } else {
          b.setDoubleValue(n.doubleValue());
        }
      }
      case ARRAY -> {
        ArrayValue.Builder a = ArrayValue.newBuilder();
        for (JsonNode e : n) {
          a.addValues(anyValue(e));
        }
        b.setArrayValue(a);
      }
      case OBJECT -> {
        KeyValueList.Builder kv = KeyValueList.newBuilder();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
          Map.Entry<String, JsonNode> e = it.next();
          kv.addValues(KeyValue.newBuilder().setKey(e.getKey()).setValue(anyValue(e.getValue())));
        }
        b.setKvlistValue(kv);
      }
      default -> {
        // null and missing: an empty value
      }
    }
    return b.build();
  }
}
