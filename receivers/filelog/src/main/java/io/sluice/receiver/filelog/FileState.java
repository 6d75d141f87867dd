package io.sluice.receiver.filelog;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

/**
 * What the receiver knows of one file, identified by its fingerprint (its first bytes): where
 * reading goes on, and the open channel while it is being followed. Touched only by the reader
 * (one poll at a time).
 */
final class FileState {
  /** 2 adds the record number; 1 is still read (record number 0). */
  private static final int VERSION = 2;

  final long id;
  byte[] fingerprint;
  /** The first byte not yet emitted in an entry. */
  long offset;
  /** Records emitted from this file before {@code offset} ({@code log.file.record_number} of the last). */
  long recordNumber;
  /** The attributes of the file's header, once read; null while not read (in this process). */
  Map<String, Object> header;
  /** The file's identity on its file system (device and inode), when known. */
  Object fileKey;
  Path path;
  boolean gzip;
  FileChannel channel;
  int missedPolls;
  long lastSize = -1;
  long lastChangeNanos;
  boolean seen;
  boolean atEnd;

  FileState(long id, byte[] fingerprint, long offset) {
    this.id = id;
    this.fingerprint = fingerprint;
    this.offset = offset;
  }

  static String key(long id) {
    return String.format("file/%020d", id);
  }

  /** True when {@code fp} begins with this file's fingerprint: the same file, perhaps grown. */
  boolean matches(byte[] fp) {
    return fp.length >= fingerprint.length
        && Arrays.equals(fp, 0, fingerprint.length, fingerprint, 0, fingerprint.length);
  }

  /** The checkpoint of this file at {@code offset}: what a restart resumes from. */
  byte[] checkpoint(long atOffset) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(fingerprint.length + 64);
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.writeByte(VERSION);
      out.writeLong(atOffset);
      out.writeBoolean(gzip);
      out.writeUTF(path == null ? "" : path.toString());
      out.writeInt(fingerprint.length);
      out.write(fingerprint);
      out.writeLong(recordNumber);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A state from its checkpoint, or null when the bytes are not one this version wrote. */
  static FileState fromCheckpoint(long id, byte[] value) {
    try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
      int version = in.readByte();
      if (version != 1 && version != VERSION) {
        return null;
      }
      long offset = in.readLong();
      boolean gzip = in.readBoolean();
      String path = in.readUTF();
      byte[] fp = new byte[in.readInt()];
      in.readFully(fp);
      FileState s = new FileState(id, fp, offset);
      s.recordNumber = version >= 2 ? in.readLong() : 0;
      s.gzip = gzip;
      s.path = path.isEmpty() ? null : Path.of(path);
      return s;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /** Reading starts again at the file's start (it was truncated): its records are counted, its header read again. */
  void restart() {
    offset = 0;
    recordNumber = 0;
    header = null;
  }

  void closeChannel() {
    if (channel != null) {
      try {
        channel.close();
      } catch (IOException ignored) {
        // Closing a read-only channel loses nothing.
      }
      channel = null;
    }
  }
}
