package io.sluice.receiver.otlp;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.util.Durations;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;

/**
 * Writes {@code google.rpc.Status} (and the {@code google.rpc.RetryInfo} detail) from its field
 * numbers, so the receiver needs no googleapis classes: {@code Status{1 code int32, 2 message
 * string, 3 details Any*}}, {@code RetryInfo{1 retry_delay google.protobuf.Duration}}.
 */
final class RpcStatus {
  private RpcStatus() {}

  static final String RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo";
  private static final JsonFactory JSON = new JsonFactory();

  /** The binary Status; {@code retryDelay} adds a RetryInfo detail when not null. */
  static byte[] proto(int code, String message, Duration retryDelay) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (message == null ? 0 : message.length() * 3));
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      if (code != 0) {
        out.writeInt32(1, code);
      }
      if (message != null && !message.isEmpty()) {
        out.writeString(2, message);
      }
      if (retryDelay != null) {
        out.writeMessage(3, Any.newBuilder()
            .setTypeUrl(RETRY_INFO_TYPE_URL)
            .setValue(retryInfo(retryDelay))
            .build());
      }
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The proto3 JSON form of the same Status, for OTLP/JSON clients. */
  static byte[] json(int code, String message, Duration retryDelay) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + (message == null ? 0 : message.length() * 3));
    try (JsonGenerator g = JSON.createGenerator(bytes)) {
      g.writeStartObject();
      if (code != 0) {
        g.writeNumberField("code", code);
      }
      if (message != null && !message.isEmpty()) {
        g.writeStringField("message", message);
      }
      if (retryDelay != null) {
        g.writeArrayFieldStart("details");
        g.writeStartObject();
        g.writeStringField("@type", RETRY_INFO_TYPE_URL);
        g.writeStringField("retryDelay", Durations.toString(protoDuration(retryDelay)));
        g.writeEndObject();
        g.writeEndArray();
      }
      g.writeEndObject();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** {@code RetryInfo{1 retry_delay}}, to go in an Any. */
  private static ByteString retryInfo(Duration d) throws IOException {
    ByteString.Output buf = ByteString.newOutput();
    CodedOutputStream out = CodedOutputStream.newInstance(buf);
    out.writeMessage(1, protoDuration(d));
    out.flush();
    return buf.toByteString();
  }

  private static com.google.protobuf.Duration protoDuration(Duration d) {
    Duration nonNegative = d.isNegative() ? Duration.ZERO : d;
    return com.google.protobuf.Duration.newBuilder()
        .setSeconds(nonNegative.getSeconds())
        .setNanos(nonNegative.getNano())
        .build();
  }
}
