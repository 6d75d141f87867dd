package io.sluice.exporter.jaeger;

import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Jaeger's {@code jaeger.api_v2.CollectorService/PostSpans} as a grpc-java method: the request is
 * a {@code PostSpansRequest} already encoded by {@link JaegerEncoder}, written into the transport
 * as it is; the response, {@code PostSpansResponse}, has no fields and is read and dropped.
 */
final class PostSpans {
  static final String FULL_METHOD_NAME = "jaeger.api_v2.CollectorService/PostSpans";

  /** The answer: Jaeger's response message has no fields. */
  enum Response { EMPTY }

  static final MethodDescriptor<byte[], Response> METHOD = MethodDescriptor.<byte[], Response>newBuilder()
      .setType(MethodDescriptor.MethodType.UNARY)
      .setFullMethodName(FULL_METHOD_NAME)
      .setRequestMarshaller(new RequestMarshaller())
      .setResponseMarshaller(new ResponseMarshaller())
      .build();

  private PostSpans() {}

  private static final class RequestMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new Stream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      throw new UnsupportedOperationException("the exporter never receives a request");
    }
  }

  private static final class ResponseMarshaller implements MethodDescriptor.Marshaller<Response> {
    @Override
    public InputStream stream(Response value) {
      return new ByteArrayInputStream(new byte[0]);
    }

    @Override
    public Response parse(InputStream stream) {
      try (stream) {
        stream.transferTo(OutputStream.nullOutputStream());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return Response.EMPTY;
    }
  }

  /** The request's bytes, sized up front and drained in one write. */
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
