package io.sluice.receiver.otlp;

import com.github.luben.zstd.ZstdInputStreamNoFinalizer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.Inflater;
import java.util.zip.InflaterInputStream;
import org.xerial.snappy.Snappy;
import org.xerial.snappy.SnappyFramedInputStream;

/**
 * Decompresses request bodies without ever holding more than the limit: output is produced in
 * small steps and decompression stops as soon as it passes the limit, so a small "bomb" that
 * would expand to gigabytes costs at most the limit in memory.
 */
enum Decompression {
  IDENTITY("identity"),
  GZIP("gzip"),
  /** HTTP's "deflate" is zlib-wrapped (RFC 1950); raw deflate data is accepted as well. */
  DEFLATE("deflate"),
  ZSTD("zstd"),
  /** Snappy's raw block format, as Prometheus remote write and the Collector's "snappy" use it. */
  SNAPPY("snappy"),
  /** Snappy's framing format (a stream of checksummed chunks). */
  SNAPPY_FRAMED("x-snappy-framed");

  /** The HTTP {@code Content-Encoding} values this receiver understands, for error messages. */
  static final String HTTP_SUPPORTED = "gzip, deflate, zlib, zstd, snappy, x-snappy-framed";
  /** The {@code grpc-encoding} values this receiver understands. */
  static final String GRPC_SUPPORTED = "gzip, deflate, zstd, snappy";

  private static final int STEP = 64 * 1024;

  private final String wireName;

  Decompression(String wireName) {
    this.wireName = wireName;
  }

  String wireName() {
    return wireName;
  }

  /** The body's size limit was passed while reading or expanding it. */
  static final class TooLargeException extends IOException {
    TooLargeException(String message) {
      super(message);
    }
  }

  /**
   * The codec for an HTTP {@code Content-Encoding} value, or null when it is not supported. No
   * header, "identity" and "none" mean uncompressed.
   */
  static Decompression forHttp(String contentEncoding) {
    if (contentEncoding == null) {
      return IDENTITY;
    }
    return switch (contentEncoding.trim().toLowerCase(Locale.ROOT)) {
      case "", "identity", "none" -> IDENTITY;
      case "gzip", "x-gzip" -> GZIP;
      case "deflate", "zlib" -> DEFLATE;
      case "zstd" -> ZSTD;
      case "snappy" -> SNAPPY;
      case "x-snappy-framed" -> SNAPPY_FRAMED;
      default -> null;
    };
  }

  /**
   * The codec for a {@code grpc-encoding} value, or null when it is not supported. gRPC's
   * "snappy" is the framing format, as the Collector's gRPC server reads it.
   */
  static Decompression forGrpc(String grpcEncoding) {
    if (grpcEncoding == null) {
      return IDENTITY;
    }
    return switch (grpcEncoding.trim().toLowerCase(Locale.ROOT)) {
      case "", "identity" -> IDENTITY;
      case "gzip" -> GZIP;
      case "deflate" -> DEFLATE;
      case "zstd" -> ZSTD;
      case "snappy" -> SNAPPY_FRAMED;
      default -> null;
    };
  }

  /**
   * Expands {@code input} (all of {@code data[0, length)}) into at most {@code limit} bytes.
   *
   * @return the decompressed bytes; the array may be longer than the data, see {@link Bytes#length}
   * @throws TooLargeException as soon as the output passes {@code limit}
   * @throws IOException when the input is not valid data of this encoding
   */
  Bytes decompress(byte[] data, int length, long limit) throws IOException {
    switch (this) {
      case IDENTITY -> {
        if (length > limit) {
          throw tooLarge(limit);
        }
        return new Bytes(data, length);
      }
      case SNAPPY -> {
        return snappyBlock(data, length, limit);
      }
      default -> {
        try (InputStream in = open(new ByteArrayInputStream(data, 0, length), data, length, limit)) {
          return drain(in, length, limit);
        } catch (TooLargeException e) {
          throw e;
        } catch (IOException e) {
          throw new IOException("the body is not valid " + wireName + " data: " + e.getMessage(), e);
        } catch (RuntimeException e) {
          throw new IOException("the body is not valid " + wireName + " data: " + e, e);
        }
      }
    }
  }

  private InputStream open(InputStream raw, byte[] data, int length, long limit) throws IOException {
    return switch (this) {
      case GZIP -> new GZIPInputStream(raw, STEP);
      case DEFLATE -> new InflaterInputStream(raw, new Inflater(!looksLikeZlib(data, length)), STEP) {
        @Override
        public void close() throws IOException {
          super.close();
          inf.end();
        }
      };
      case ZSTD -> new ZstdInputStreamNoFinalizer(raw).setLongMax(zstdWindowLog(limit));
      case SNAPPY_FRAMED -> {
        checkSnappyChunks(data, length);
        yield new SnappyFramedInputStream(raw, true);
      }
      default -> throw new IllegalStateException(name());
    };
  }

  /**
   * The largest zstd window we let a frame ask for: enough for any body within the limit, and
   * never the format's 2 GiB maximum, so a hostile frame header cannot make us allocate that.
   */
  private static int zstdWindowLog(long limit) {
    int log = 64 - Long.numberOfLeadingZeros(Math.max(1, limit - 1));
    return Math.max(23, Math.min(27, log));
  }

  private static boolean looksLikeZlib(byte[] d, int length) {
    if (length < 2) {
      return true;
    }
    int cmf = d[0] & 0xff;
    int flg = d[1] & 0xff;
    return (cmf & 0x0f) == 8 && (cmf >> 4) <= 7 && ((cmf << 8) | flg) % 31 == 0;
  }

  /**
   * Checks that every chunk of a snappy framing-format body is all there before the library reads
   * it: the library allocates what a chunk header claims (up to 16 MiB) before reading the chunk,
   * so a 20-byte body could otherwise cost 16 MiB whatever the request size limit.
   */
  static void checkSnappyChunks(byte[] data, int length) throws IOException {
    int pos = 0;
    while (pos < length) {
      if (length - pos < 4) {
        throw new IOException("a chunk header at byte " + pos + " is cut short");
      }
      int chunkLength = (data[pos + 1] & 0xff) | (data[pos + 2] & 0xff) << 8 | (data[pos + 3] & 0xff) << 16;
      if (chunkLength > length - pos - 4) {
        throw new IOException("the chunk at byte " + pos + " claims " + chunkLength + " bytes, but the body has "
            + (length - pos - 4) + " more");
      }
      pos += 4 + chunkLength;
    }
  }

  private static Bytes drain(InputStream in, int compressedLength, long limit) throws IOException {
    int cap = (int) Math.min(limit + 1, Math.max(8 * 1024L, compressedLength * 4L));
    byte[] out = new byte[cap];
    int n = 0;
    while (true) {
      if (n == out.length) {
        if (n > limit) {
          throw tooLarge(limit);
        }
        out = Arrays.copyOf(out, (int) Math.min(limit + 1, (long) out.length * 2));
      }
      int r = in.read(out, n, Math.min(STEP, out.length - n));
      if (r < 0) {
        break;
      }
      n += r;
      if (n > limit) {
        throw tooLarge(limit);
      }
    }
    return new Bytes(out, n);
  }

  private static Bytes snappyBlock(byte[] data, int length, long limit) throws IOException {
    int size;
    try {
      size = Snappy.uncompressedLength(data, 0, length);
    } catch (IOException | RuntimeException e) {
      throw new IOException("the body is not valid snappy (block format) data: " + e.getMessage(), e);
    }
    if (size < 0 || size > limit) {
      throw tooLarge(limit);
    }
    try {
      if (!Snappy.isValidCompressedBuffer(data, 0, length)) {
        throw new IOException("the body is not valid snappy (block format) data");
      }
      byte[] out = new byte[size];
      int n = Snappy.uncompress(data, 0, length, out, 0);
      return new Bytes(out, n);
    } catch (IOException e) {
      throw e.getMessage() != null && e.getMessage().startsWith("the body") ? e
          : new IOException("the body is not valid snappy (block format) data: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new IOException("the body is not valid snappy (block format) data: " + e, e);
    }
  }

  private static TooLargeException tooLarge(long limit) {
    return new TooLargeException("the request is larger than the limit of " + limit + " bytes");
  }

  /** A byte array of which the first {@code length} bytes are data. */
  record Bytes(byte[] array, int length) {}
}
