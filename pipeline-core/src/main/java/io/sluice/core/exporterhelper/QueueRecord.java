package io.sluice.core.exporterhelper;

import com.google.protobuf.InvalidProtocolBufferException;
import io.sluice.core.Batch;
import io.sluice.core.ComponentId;
import io.sluice.core.Envelope;
import io.sluice.core.Signal;
import io.sluice.core.otlp.EncodedResources;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.zip.CRC32C;

/**
 * One request of a persistent sending queue as it is stored: its signal, the envelope fields that
 * matter once it is read back (tenant, arrival time, source, request key), and its resources as
 * the encoded OTLP {@code Export*ServiceRequest}, followed by a CRC-32C of everything before it.
 *
 * <pre>
 *   magic "SQ" | version 1 | signal | items (int) | arrival, Unix ms (long)
 *   | tenant, source, key (each: int length, UTF-8; key length -1 when there is none)
 *   | OTLP bytes (int length, bytes) | CRC-32C (int)
 * </pre>
 *
 * A record that is too short, has the wrong magic or version, fails its checksum, or whose OTLP
 * bytes do not frame (or do not hold the items its header says) is corrupt: {@link #decode}
 * throws {@link Corrupt} and the queue skips it.
 */
final class QueueRecord {
  private static final byte MAGIC_0 = 'S';
  private static final byte MAGIC_1 = 'Q';
  private static final byte VERSION = 1;
  /** magic, version, signal, items, arrival, three string lengths, OTLP length, CRC. */
  private static final int FIXED = 2 + 1 + 1 + 4 + 8 + 4 * 3 + 4 + 4;

  private QueueRecord() {}

  /** A record read back: what to queue again and what it counts for. */
  record Decoded(Batch batch, String key, int items, long bytes) {}

  /** A record that cannot be read back. */
  static final class Corrupt extends Exception {
    Corrupt(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Encodes one request.
   *
   * @param request the request, whose {@link Batch#encoded()} form is stored
   * @param key the request's key as text, or null
   * @param arrivalMillis when it arrived, Unix milliseconds
   */
  static byte[] encode(Batch request, String key, long arrivalMillis) {
    EncodedResources otlp = request.encoded();
    byte[] tenant = request.envelope().tenant().getBytes(StandardCharsets.UTF_8);
    byte[] source = request.envelope().source() == null ? new byte[0]
        : request.envelope().source().toString().getBytes(StandardCharsets.UTF_8);
    byte[] keyBytes = key == null ? null : key.getBytes(StandardCharsets.UTF_8);
    long otlpBytes = otlp.requestBytes();
    long total = FIXED + tenant.length + source.length + (keyBytes == null ? 0 : keyBytes.length) + otlpBytes;
    if (total > Integer.MAX_VALUE - 16) {
      throw new IllegalArgumentException("a request of " + otlpBytes + " bytes is too large to store");
    }
    ByteBuffer b = ByteBuffer.allocate((int) total);
    b.put(MAGIC_0).put(MAGIC_1).put(VERSION).put((byte) request.signal().ordinal());
    b.putInt(request.itemCount());
    b.putLong(arrivalMillis);
    putBytes(b, tenant);
    putBytes(b, source);
    if (keyBytes == null) {
      b.putInt(-1);
    } else {
      putBytes(b, keyBytes);
    }
    b.putInt((int) otlpBytes);
    byte[] out = b.array();
    ArrayWriter w = new ArrayWriter(out, b.position());
    try {
      otlp.writeRequestTo(w);
    } catch (IOException e) {
      throw new UncheckedIOException(e); // an array does not fail
    }
    if (w.pos != out.length - 4) {
      throw new IllegalStateException("the request wrote " + (w.pos - b.position()) + " bytes, not " + otlpBytes);
    }
    b.position(w.pos);
    CRC32C crc = new CRC32C();
    crc.update(out, 0, b.position());
    b.putInt((int) crc.getValue());
    return out;
  }

  private static void putBytes(ByteBuffer b, byte[] bytes) {
    b.putInt(bytes.length);
    b.put(bytes);
  }

  /**
   * Reads a record back into a batch of its signal, with an envelope carrying its tenant, source
   * and arrival time (converted to this process's {@link System#nanoTime()} clock).
   *
   * @param fallbackSource the source for a record whose source does not parse
   * @throws Corrupt saying what is wrong
   */
  static Decoded decode(byte[] record, ComponentId fallbackSource) throws Corrupt {
    if (record == null || record.length < FIXED) {
      throw new Corrupt("it is " + (record == null ? 0 : record.length) + " bytes long, shorter than any record");
    }
    if (record[0] != MAGIC_0 || record[1] != MAGIC_1) {
      throw new Corrupt("it does not start as a queue record does");
    }
    if (record[2] != VERSION) {
      throw new Corrupt("its format version " + record[2] + " is not one this build reads (" + VERSION + ")");
    }
    ByteBuffer b = ByteBuffer.wrap(record);
    int stored = b.getInt(record.length - 4);
    CRC32C crc = new CRC32C();
    crc.update(record, 0, record.length - 4);
    if ((int) crc.getValue() != stored) {
      throw new Corrupt("its checksum does not match (torn or damaged on disk)");
    }
    b.position(3);
    int signalOrdinal = b.get();
    if (signalOrdinal < 0 || signalOrdinal >= Signal.values().length) {
      throw new Corrupt("its signal " + signalOrdinal + " is unknown");
    }
    Signal signal = Signal.values()[signalOrdinal];
    int items = b.getInt();
    long arrivalMillis = b.getLong();
    String tenant = string(b);
    String source = string(b);
    String key = string(b);
    int otlpLength = b.getInt();
    if (otlpLength < 0 || otlpLength != b.remaining() - 4) {
      throw new Corrupt("its OTLP length " + otlpLength + " does not match its size");
    }
    EncodedResources resources;
    try {
      resources = EncodedResources.scanRequest(signal, record, b.position(), otlpLength);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new Corrupt("its OTLP bytes do not parse: " + e.getMessage());
    }
    if (resources.itemCount() != items) {
      throw new Corrupt("it holds " + resources.itemCount() + " " + signal.itemName() + ", its header says " + items);
    }
    ComponentId from = fallbackSource;
    if (source != null && !source.isEmpty()) {
      try {
        from = ComponentId.parse(source);
      } catch (IllegalArgumentException e) {
        from = fallbackSource;
      }
    }
    long ageMillis = Math.max(0, System.currentTimeMillis() - arrivalMillis);
    Envelope envelope = new Envelope(from, System.nanoTime() - ageMillis * 1_000_000L, tenant, Map.of());
    return new Decoded(Batch.encoded(resources, envelope), key, items, otlpLength);
  }

  /** Writes into an array from a position, with no copy of its own. */
  private static final class ArrayWriter extends OutputStream {
    private final byte[] out;
    int pos;

    ArrayWriter(byte[] out, int pos) {
      this.out = out;
      this.pos = pos;
    }

    @Override
    public void write(int b) {
      out[pos++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      System.arraycopy(b, off, out, pos, len);
      pos += len;
    }
  }

  private static String string(ByteBuffer b) throws Corrupt {
    if (b.remaining() < 4) {
      throw new Corrupt("it ends inside its header");
    }
    int n = b.getInt();
    if (n == -1) {
      return null;
    }
    if (n < 0 || n > b.remaining() - 8) {
      throw new Corrupt("a field length " + n + " runs past its end");
    }
    String s = new String(b.array(), b.position(), n, StandardCharsets.UTF_8);
    b.position(b.position() + n);
    return s;
  }
}
