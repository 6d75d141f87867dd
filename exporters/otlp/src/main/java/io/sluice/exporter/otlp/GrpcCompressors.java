package io.sluice.exporter.otlp;

import com.github.luben.zstd.ZstdOutputStreamNoFinalizer;
import io.grpc.Codec;
import io.grpc.Compressor;
import io.grpc.CompressorRegistry;
import java.io.IOException;
import java.io.OutputStream;
import org.xerial.snappy.SnappyFramedOutputStream;

/**
 * The gRPC message encodings the {@code otlp} exporter sends: {@code gzip} at its fastest level
 * ({@link FastGzip}), {@code zstd} and {@code snappy}, under the names the Collector's gRPC server
 * and Sluice's own receiver read them by.
 */
final class GrpcCompressors {
  /** zstd's fast end: a gateway compresses everything it forwards. */
  static final int ZSTD_LEVEL = 1;

  private GrpcCompressors() {}

  /** A registry with gzip, zstd, snappy and identity. */
  static CompressorRegistry registry() {
    CompressorRegistry r = CompressorRegistry.newEmptyInstance();
    r.register(new FastGzip());
    r.register(new Zstd());
    r.register(new Snappy());
    r.register(Codec.Identity.NONE);
    return r;
  }

  /** {@code zstd}: one zstd frame per message. */
  static final class Zstd implements Compressor {
    @Override
    public String getMessageEncoding() {
      return "zstd";
    }

    @Override
    public OutputStream compress(OutputStream os) throws IOException {
      ZstdOutputStreamNoFinalizer out = new ZstdOutputStreamNoFinalizer(os, ZSTD_LEVEL);
      out.setCloseFrameOnFlush(false);
      return out;
    }
  }

  /**
   * {@code snappy}: gRPC's snappy is snappy's framing format (stream identifier, then checksummed
   * chunks), not the raw block format of Prometheus remote write.
   */
  static final class Snappy implements Compressor {
    @Override
    public String getMessageEncoding() {
      return "snappy";
    }

    @Override
    public OutputStream compress(OutputStream os) throws IOException {
      return new SnappyFramedOutputStream(os);
    }
  }
}
