package io.sluice.receiver.kafka;

import java.util.ArrayDeque;

/**
 * The chunks of one partition handed to the pipeline, in offset order, and how far the
 * acknowledged prefix reaches: the pipeline may acknowledge them in any order, but the offset to
 * commit moves only past chunks that are all acknowledged (or passed over), so a record not yet
 * acknowledged is never committed, whatever was acknowledged after it.
 *
 * <p>Touched on the partition's context only.
 */
final class AckedPrefix {
  /** One poll's records of the partition: the offset after its last record and its message bytes. */
  static final class Chunk {
    final long after;
    final long bytes;
    boolean acknowledged;
    /** Its bytes no longer count against the receiver's budget. */
    boolean bytesReleased;
    /** The pipeline refused it and it waits to be offered again. */
    boolean refused;

    Chunk(long after, long bytes) {
      this.after = after;
      this.bytes = bytes;
    }
  }

  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();
  private long acknowledged = -1;

  /** Adds the next chunk in offset order. */
  Chunk add(long after, long bytes) {
    Chunk c = new Chunk(after, bytes);
    chunks.addLast(c);
    return c;
  }

  /**
   * Marks {@code c} acknowledged; returns how many chunks left the front as the prefix grew (0 when
   * an earlier chunk is still open).
   */
  int acknowledge(Chunk c) {
    c.acknowledged = true;
    int n = 0;
    while (!chunks.isEmpty() && chunks.peekFirst().acknowledged) {
      acknowledged = chunks.pollFirst().after;
      n++;
    }
    return n;
  }

  /** The offset after the acknowledged prefix; -1 before any chunk was. */
  long acknowledged() {
    return acknowledged;
  }

  /** Chunks handed over and not yet in the prefix. */
  int open() {
    return chunks.size();
  }

  Iterable<Chunk> chunks() {
    return chunks;
  }

  void clear() {
    chunks.clear();
  }
}
