package io.sluice.perf;

import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.opentelemetry.proto.collector.trace.v1.TraceServiceGrpc;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * The OTLP trace {@code Export} method with requests and responses as raw bytes, so that the load
 * generator sends pre-encoded requests and the sink reads them without decoding them into objects:
 * neither then takes CPU time from the gateway beyond what moving the bytes costs.
 */
final class RawExport {
  static final MethodDescriptor.Marshaller<byte[]> BYTES = new BytesMarshaller();

  static final MethodDescriptor<byte[], byte[]> METHOD =
      TraceServiceGrpc.getExportMethod().toBuilder(BYTES, BYTES).build();

  private RawExport() {}

  private static final class BytesMarshaller implements MethodDescriptor.Marshaller<byte[]> {
    @Override
    public InputStream stream(byte[] value) {
      return new KnownLengthStream(value);
    }

    @Override
    public byte[] parse(InputStream stream) {
      try {
        // gRPC hands over a stream of known length: copy it once into an array of that size.
        int size = stream instanceof KnownLength ? stream.available() : -1;
        if (size <= 0) {
          return stream.readAllBytes();
        }
        byte[] bytes = new byte[size];
        int read = stream.readNBytes(bytes, 0, size);
        if (read < size || stream.read() != -1) {
          throw new IOException("the message stream said " + size + " bytes but held " + (read < size ? read
              : "more"));
        }
        return bytes;
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /** Tells gRPC the length up front, so it frames the message without buffering it first. */
  private static final class KnownLengthStream extends ByteArrayInputStream implements KnownLength {
    KnownLengthStream(byte[] bytes) {
      super(bytes);
    }
  }
}
