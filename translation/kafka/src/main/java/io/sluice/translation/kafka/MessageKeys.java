package io.sluice.translation.kafka;

import com.google.protobuf.ByteString;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.resource.v1.Resource;
import io.sluice.core.otlp.AnyValues;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/** The keys of Kafka messages that carry one trace or one resource. */
public final class MessageKeys {
  private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

  private MessageKeys() {}

  /** A trace's key: its ID as 32 lower-case hex digits, in ASCII (the Collector's key). */
  public static byte[] traceKey(ByteString traceId) {
    int n = traceId.size();
    byte[] out = new byte[n * 2];
    for (int i = 0; i < n; i++) {
      int b = traceId.byteAt(i) & 0xff;
      out[2 * i] = HEX[b >>> 4];
      out[2 * i + 1] = HEX[b & 0xf];
    }
    return out;
  }

  /**
   * A trace's key in Jaeger's Kafka format ({@code jaeger_proto}): its ID in lower-case hex as
   * Jaeger writes a trace ID, 32 digits, or the 16 of the low half when the high half is zero.
   */
  public static byte[] jaegerTraceKey(ByteString traceId) {
    if (traceId.size() == 16) {
      boolean highZero = true;
      for (int i = 0; i < 8 && highZero; i++) {
        highZero = traceId.byteAt(i) == 0;
      }
      if (highZero) {
        return traceKey(traceId.substring(8));
      }
    }
    return traceKey(traceId);
  }

  /**
   * A resource's key: a hash of its attributes sorted by name (so their order does not matter),
   * 16 bytes as 32 lower-case hex digits. Equal attributes give equal keys, in every Sluice.
   */
  public static byte[] resourceKey(Resource resource) {
    List<KeyValue> attrs = new ArrayList<>(resource.getAttributesList());
    attrs.sort(Comparator.comparing(KeyValue::getKey));
    MessageDigest md = sha256();
    for (KeyValue kv : attrs) {
      md.update(kv.getKey().getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
      AnyValue v = kv.getValue();
      md.update((byte) v.getValueCase().getNumber());
      md.update(AnyValues.asString(v).getBytes(StandardCharsets.UTF_8));
      md.update((byte) 0);
    }
    byte[] digest = md.digest();
    byte[] out = new byte[32];
    for (int i = 0; i < 16; i++) {
      int b = digest[i] & 0xff;
      out[2 * i] = HEX[b >>> 4];
      out[2 * i + 1] = HEX[b & 0xf];
    }
    return out;
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JVM has no SHA-256", e);
    }
  }
}
