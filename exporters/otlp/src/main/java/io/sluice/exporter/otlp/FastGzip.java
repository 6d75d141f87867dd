package io.sluice.exporter.otlp;

import io.grpc.Codec;
import java.io.IOException;
import java.io.OutputStream;
import java.util.zip.Deflater;
import java.util.zip.GZIPOutputStream;

/**
 * The {@code gzip} message encoding at zlib's fastest level. grpc-java's own gzip compresses at
 * zlib's default level (6), which on OTLP requests costs several times the CPU of level 1 for a
 * few percent less on the wire; a gateway compresses everything it forwards, so Sluice takes the
 * fast level. Receivers decompress either the same way.
 */
final class FastGzip implements io.grpc.Compressor {
  static final int LEVEL = Deflater.BEST_SPEED;
  private static final int BUFFER = 64 * 1024;

  @Override
  public String getMessageEncoding() {
    return "gzip";
  }

  @Override
  public OutputStream compress(OutputStream os) throws IOException {
    return new GZIPOutputStream(os, BUFFER) {
      {
        def.setLevel(LEVEL);
      }
    };
  }
}
