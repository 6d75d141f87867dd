package io.sluice.exporter.otlp;

import com.google.protobuf.MessageLite;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Sends a request as bytes that protobuf's array encoder wrote. grpc-java's own marshaller
 * streams a message through protobuf's output-stream encoder, which measures every string twice
 * (once for the sizes, once more to write it); the array encoder writes each string once.
 */
final class EncodedRequest {
  private EncodedRequest() {}

  /** The same method, taking the encoded request. */
  static <Q extends MessageLite, R> MethodDescriptor<byte[], R> method(MethodDescriptor<Q, R> generated) {
    return generated.toBuilder(MARSHALLER, generated.getResponseMarshaller()).build();
  }

  private static final MethodDescriptor.Marshaller<byte[]> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(byte[] value) {
      return new Stream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      throw new UnsupportedOperationException("the exporter never receives a request");
    }
  };

  /** A stream grpc-java can size up front and drain in one write. */
  private static final class Stream extends ByteArrayInputStream implements KnownLength, Drainable {
    Stream(byte[] bytes) {
      super(bytes);
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      int n = count - pos;
      target.write(buf, pos, n);
      pos = count;
      return n;
    }
  }
}
