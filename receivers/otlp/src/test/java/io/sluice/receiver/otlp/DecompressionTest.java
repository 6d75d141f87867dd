package io.sluice.receiver.otlp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.luben.zstd.ZstdOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.DeflaterOutputStream;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.xerial.snappy.SnappyFramedOutputStream;

class DecompressionTest {
  private static final int MIB = 1024 * 1024;

  private static byte[] sample() {
    byte[] b = new byte[300_000];
    Random r = new Random(1);
    for (int i = 0; i < b.length; i++) {
      b[i] = (byte) ('a' + r.nextInt(6));
    }
    return b;
  }

  @Test
  void everyEncodingRoundTrips() throws IOException {
    byte[] data = sample();
    for (String enc : new String[] {"gzip", "deflate", "zstd", "snappy", "x-snappy-framed"}) {
      byte[] wire = RunningReceiver.compress(enc, data);
      Decompression.Bytes out = Decompression.forHttp(enc).decompress(wire, wire.length, data.length);
      assertThat(Arrays.copyOf(out.array(), out.length())).as(enc).isEqualTo(data);
    }
    Decompression.Bytes plain = Decompression.IDENTITY.decompress(data, data.length, data.length);
    assertThat(plain.array()).isSameAs(data);
  }

  @Test
  void rawDeflateIsAcceptedAsWellAsZlib() throws IOException {
    byte[] data = sample();
    ByteArrayOutputStream raw = new ByteArrayOutputStream();
    try (DeflaterOutputStream d = new DeflaterOutputStream(raw, new java.util.zip.Deflater(6, true))) {
      d.write(data);
    }
    byte[] wire = raw.toByteArray();
    Decompression.Bytes out = Decompression.DEFLATE.decompress(wire, wire.length, MIB);
    assertThat(Arrays.copyOf(out.array(), out.length())).isEqualTo(data);
  }

  @Test
  void encodingNamesMapAsTheCollectorNamesThem() {
    assertThat(Decompression.forHttp(null)).isEqualTo(Decompression.IDENTITY);
    assertThat(Decompression.forHttp("none")).isEqualTo(Decompression.IDENTITY);
    assertThat(Decompression.forHttp(" GZIP ")).isEqualTo(Decompression.GZIP);
    assertThat(Decompression.forHttp("zlib")).isEqualTo(Decompression.DEFLATE);
    assertThat(Decompression.forHttp("snappy")).isEqualTo(Decompression.SNAPPY);
    assertThat(Decompression.forHttp("x-snappy-framed")).isEqualTo(Decompression.SNAPPY_FRAMED);
    assertThat(Decompression.forHttp("br")).isNull();
    assertThat(Decompression.forGrpc("snappy")).isEqualTo(Decompression.SNAPPY_FRAMED);
    assertThat(Decompression.forGrpc("lz4")).isNull();
  }

  /** 64 MiB of zeros through a compressor. */
  private static byte[] bomb(String encoding) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (OutputStream c = switch (encoding) {
      case "gzip" -> new GZIPOutputStream(out, 64 * 1024);
      case "deflate" -> new DeflaterOutputStream(out);
      case "zstd" -> new ZstdOutputStream(out);
      case "x-snappy-framed" -> new SnappyFramedOutputStream(out);
      default -> throw new IllegalArgumentException(encoding);
    }) {
      byte[] zeros = new byte[MIB];
      for (int i = 0; i < 64; i++) {
        c.write(zeros);
      }
    }
    return out.toByteArray();
  }

  private static long allocatedByThisThread() {
    return ((com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean()).getCurrentThreadAllocatedBytes();
  }

  @Test
  void bombsStopAtTheLimitWithoutExpandingFully() throws IOException {
    for (String enc : new String[] {"gzip", "deflate", "zstd", "x-snappy-framed"}) {
      byte[] wire = bomb(enc);
      assertThat(wire.length).as(enc).isLessThan(8 * MIB);
      long before = allocatedByThisThread();
      assertThatThrownBy(() -> Decompression.forHttp(enc).decompress(wire, wire.length, 2 * MIB))
          .as(enc).isInstanceOf(Decompression.TooLargeException.class);
      long allocated = allocatedByThisThread() - before;
      assertThat(allocated).as(enc + " bytes allocated while expanding").isLessThan(16L * MIB);
    }
  }

  @Test
  void snappyBlockDeclaringMoreThanTheLimitIsRefusedBeforeExpanding() throws IOException {
    byte[] wire = RunningReceiver.compress("snappy", new byte[4 * MIB]);
    long before = allocatedByThisThread();
    assertThatThrownBy(() -> Decompression.SNAPPY.decompress(wire, wire.length, MIB))
        .isInstanceOf(Decompression.TooLargeException.class);
    assertThat(allocatedByThisThread() - before).isLessThan(MIB);
  }

  @Test
  void corruptInputIsAnErrorThatSaysSo() {
    byte[] junk = new byte[1000];
    new Random(7).nextBytes(junk);
    for (Decompression d : new Decompression[] {Decompression.GZIP, Decompression.DEFLATE, Decompression.ZSTD,
        Decompression.SNAPPY, Decompression.SNAPPY_FRAMED}) {
      assertThatThrownBy(() -> d.decompress(junk, junk.length, MIB)).as(d.name())
          .isInstanceOf(IOException.class)
          .isNotInstanceOf(Decompression.TooLargeException.class)
          .hasMessageContaining("not valid " + d.wireName());
    }
    byte[] truncated = Arrays.copyOf(RunningReceiver.compress("gzip", sample()), 100);
    assertThatThrownBy(() -> Decompression.GZIP.decompress(truncated, truncated.length, MIB))
        .isInstanceOf(IOException.class);
  }

  @Test
  void plainBodyOverTheLimitIsTooLarge() {
    byte[] data = new byte[100];
    assertThatThrownBy(() -> Decompression.IDENTITY.decompress(data, data.length, 99))
        .isInstanceOf(Decompression.TooLargeException.class);
  }
}
