package io.sluice.exporter.jaeger;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.WireFormat;
import io.jaegertracing.api_v2.Model;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Reads a {@code PostSpansRequest} with the published Jaeger model classes ({@code jaeger-proto}):
 * the request message itself has one field, the batch (1), which {@link Model.Batch} parses. Any
 * other field fails the read, so a test sees what a Jaeger collector would receive.
 */
final class PostSpansRequests {
  private PostSpansRequests() {}

  static Model.Batch batch(byte[] request) {
    try {
      return batch(CodedInputStream.newInstance(request));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Model.Batch batch(InputStream request) throws IOException {
    return batch(CodedInputStream.newInstance(request));
  }

  private static Model.Batch batch(CodedInputStream in) throws IOException {
    Model.Batch batch = null;
    int tag;
    while ((tag = in.readTag()) != 0) {
      if (WireFormat.getTagFieldNumber(tag) != 1
          || WireFormat.getTagWireType(tag) != WireFormat.WIRETYPE_LENGTH_DELIMITED) {
        throw new IllegalArgumentException("PostSpansRequest has only field 1 (batch); found tag " + tag);
      }
      if (batch != null) {
        throw new IllegalArgumentException("PostSpansRequest holds its batch twice");
      }
      batch = Model.Batch.parseFrom(in.readBytes());
    }
    if (batch == null) {
      throw new IllegalArgumentException("PostSpansRequest without a batch");
    }
    return batch;
  }
}
