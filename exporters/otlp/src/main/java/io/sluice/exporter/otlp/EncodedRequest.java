package io.sluice.exporter.otlp;

import com.google.protobuf.MessageLite;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.sluice.core.otlp.EncodedResources;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Sends a request as the encoded resources it holds, written straight into the transport's
 * buffers: the bytes a receiver took in (or one encoding of parsed messages) and, per resource,
 * a tag and a length. grpc-java's own marshaller would encode a message with protobuf's
 * output-stream encoder, measuring every string twice.
 */
final class EncodedRequest {
  private EncodedRequest() {}

  /** The same method, taking the request as encoded resources. */
  static <Q extends MessageLite, R> MethodDescriptor<EncodedResources, R> method(MethodDescriptor<Q, R> generated) {
    return generated.toBuilder(MARSHALLER, generated.getResponseMarshaller()).build();
  }

  private static final MethodDescriptor.Marshaller<EncodedResources> MARSHALLER = new MethodDescriptor.Marshaller<>() {
    @Override
    public InputStream stream(EncodedResources value) {
      return new Stream(value);
    }

    @Override
    public EncodedResources parse(InputStream stream) {
      throw new UnsupportedOperationException("the exporter never receives a request");
    }
  };

  /**
   * A stream grpc-java sizes up front and drains in one pass. It is only ever drained; read()
   * falls back to the request as one array, for a transport that reads instead.
   */
  private static final class Stream extends InputStream implements KnownLength, Drainable {
    private EncodedResources request;
    private byte[] bytes;
    private int pos;

    Stream(EncodedResources request) {
      this.request = request;
    }

    @Override
    public int available() {
      if (bytes != null) {
        return bytes.length - pos;
      }
      return request == null ? 0 : (int) request.requestBytes();
    }

    @Override
    public int drainTo(OutputStream target) throws IOException {
      if (bytes != null) {
        int n = bytes.length - pos;
        target.write(bytes, pos, n);
        pos = bytes.length;
        return n;
      }
      EncodedResources r = request;
      request = null;
      if (r == null) {
        return 0;
      }
      r.writeRequestTo(target);
      return (int) r.requestBytes();
    }

    @Override
    public int read() {
      byte[] b = array();
      return pos < b.length ? b[pos++] & 0xFF : -1;
    }

    @Override
    public int read(byte[] out, int off, int len) {
      byte[] b = array();
      if (pos >= b.length) {
        return -1;
      }
      int n = Math.min(len, b.length - pos);
      System.arraycopy(b, pos, out, off, n);
      pos += n;
      return n;
    }

    private byte[] array() {
      if (bytes == null) {
        bytes = request == null ? new byte[0] : request.toRequestBytes();
        request = null;
        pos = 0;
      }
      return bytes;
    }
  }
}
