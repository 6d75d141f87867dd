package io.sluice.receiver.filelog;

import io.opentelemetry.proto.logs.v1.ResourceLogs;
import io.sluice.core.ComponentId;
import io.sluice.core.storage.StorageClient.Entry;
import io.sluice.core.storage.StorageClient.Write;
import io.sluice.receiver.filelog.Encodings.Encoding;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.LongSupplier;
import java.util.zip.GZIPInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reading half of the receiver, run on its worker one poll at a time: matches the globs,
 * tells files apart by fingerprint, reads what is new in bounded chunks and turns it into one
 * batch of OTLP logs, with the checkpoint writes that become true once that batch is acknowledged.
 *
 * <p>A file is the same file while its first bytes are the same: renamed, it is followed to its
 * end; a new file at an old path, or one truncated and written again (copytruncate), is read from
 * its start; a file that shrank below the read offset with its first bytes unchanged is read again
 * from the start. A file that was being followed and is no longer matched (deleted or renamed
 * away) is read to its end through the descriptor still open, then closed. At most
 * {@code max_concurrent_files} descriptors are open: when more files match than half of that,
 * they are opened only to be read and closed again.
 */
final class Tailer {
  private static final Logger LOG = LoggerFactory.getLogger(Tailer.class);
  /**
   * A poll stops reading once its batch holds this many entries or bytes, and goes on next time.
   * A batch waits for its acknowledgement before the next poll, so it is as large as the
   * {@code batch} processor's default {@code send_batch_size}: a pipeline with the Collector's
   * usual {@code batch} sends it on at once rather than after its timeout.
   */
  static final int MAX_BATCH_ENTRIES = 8192;
  static final int MAX_BATCH_BYTES = 4 << 20;
  /** Bytes read at first from a file; more (up to max_log_size and a margin) only for a longer entry. */
  private static final int FIRST_READ = 256 << 10;
  /** Polls a vanished file's state is kept for, in case it comes back (renamed back in, glob hiccup). */
  private static final int FORGET_AFTER_POLLS = 3;

  /** One poll's result: the batch, and the checkpoints to write once it is acknowledged. */
  /**
   * One poll's outcome; {@code files}: every file known after it, with the offset reading goes on
   * from (acknowledged once the poll's batch is).
   */
  record Poll(List<ResourceLogs> resources, int entries, List<Write> checkpoints, List<Path> finished,
      boolean more, long splits, List<FileOffset> files) {}

  /** A file known to the receiver: where reading goes on and its size when last read ({@code -1}: not known). */
  record FileOffset(String path, long offset, long size) {}

  private final ComponentId id;
  private final FilelogReceiverConfig config;
  private final FileMatcher matcher;
  private final Encoding encoding;
  /** A splitter per encoding files are read with ({@code utf-16} files differ in byte order). */
  private final Map<Encoding, RecordSplitter> splitters = new HashMap<>();
  private final HeaderReader header;
  private final FileOrdering ordering;
  private final LogRecords records;
  private final LongSupplier nanoTime;
  private final Clock clock;
  private final int fingerprintSize;
  private final boolean gzipAll;
  private final byte[] buf;
  private final List<FileState> known = new ArrayList<>();
  private final List<String> forgotten = new ArrayList<>();
  private long nextId;
  private boolean firstPoll = true;
  private int readFrom;
  private int openChannels;
  private int mostOpenChannels;
  private long polls;

  Tailer(ComponentId id, FilelogReceiverConfig config, LogEntryPipeline pipeline, LongSupplier nanoTime, Clock clock) {
    this.id = id;
    this.config = config;
    this.matcher = new FileMatcher(config.include(), config.exclude());
    this.encoding = Encodings.of(config.encoding());
    this.header = config.header() == null ? null : new HeaderReader(config.header(), id.toString());
    this.ordering = FileOrdering.active(config.orderingCriteria())
        ? new FileOrdering(config.orderingCriteria(), clock) : null;
    this.records = new LogRecords(config, pipeline);
    this.nanoTime = nanoTime;
    this.clock = clock;
    this.fingerprintSize = config.fingerprintBytes();
    this.gzipAll = config.compression().toLowerCase(Locale.ROOT).equals("gzip");
    this.buf = new byte[Math.max(64 << 10, config.maxLogBytes() + (64 << 10))];
  }

  /** Takes the checkpoints a storage client held; called once before the first poll. */
  void restore(List<Entry> checkpoints) {
    for (Entry e : checkpoints) {
      long stateId;
      try {
        stateId = Long.parseLong(e.key().substring("file/".length()));
      } catch (RuntimeException ex) {
        continue;
      }
      FileState s = FileState.fromCheckpoint(stateId, e.value());
      if (s == null) {
        LOG.warn("Receiver '{}' ignores the checkpoint \"{}\", which it cannot read", id, e.key());
        continue;
      }
      known.add(s);
      nextId = Math.max(nextId, stateId + 1);
    }
    if (!known.isEmpty()) {
      LOG.info("Receiver '{}' resumes {} files from their checkpoints", id, known.size());
    }
  }

  /** The most descriptors open at once so far, for tests. */
  int mostOpenChannels() {
    return mostOpenChannels;
  }

  /** Polls so far, for tests. */
  long polls() {
    return polls;
  }

  Poll poll() {
    polls++;
    long now = nanoTime.getAsLong();
    long observed = toNanos(clock.instant());
    List<Path> paths = matcher.find();
    if (ordering != null) {
      // as in the Collector, files left out by exclude_older_than do not take a place in top_n
      paths = ordering.select(config.excludeOlderThan().isZero() ? paths
          : paths.stream().filter(this::modifiedRecently).toList());
    }
    known.forEach(s -> s.seen = false);
    int group = Math.max(1, config.maxConcurrentFiles() / 2);
    boolean keepOpen = paths.size() <= group;
    Set<FileState> touched = new LinkedHashSet<>();
    List<FileState> active = identify(paths, now, keepOpen, touched);

    LogRecords.Builder batch = records.builder(observed);
    List<Path> finished = new ArrayList<>();
    // Files no longer matched but still open: read to their end before anything else.
    for (FileState s : known) {
      if (!s.seen && s.channel != null && !batch.full()) {
        read(s, now, true, batch, touched);
        if (s.atEnd) {
          close(s);
        }
      }
    }
    // A full batch, or max_batches, leaves files unread: the next poll starts with them, at once.
    boolean more = false;
    int n = active.size();
    int readLimit = config.maxBatches() > 0 ? Math.min(n, group * config.maxBatches()) : n;
    int start = n == 0 ? 0 : Math.floorMod(readFrom, n);
    readFrom = 0;
    for (int i = 0; i < n; i++) {
      FileState s = active.get((start + i) % n);
      if (batch.full() || i >= readLimit) {
        more = true;
        readFrom = (start + i) % n;
        break;
      }
      read(s, now, false, batch, touched);
      if (!keepOpen) {
        close(s);
      }
      if (config.deleteAfterRead() && s.atEnd) {
        finished.add(s.path);
      }
    }
    batch.flushOperators();
    forgetVanished();
    firstPoll = false;

    List<Write> checkpoints = new ArrayList<>();
    for (FileState s : touched) {
      if (known.contains(s)) {
        checkpoints.add(Write.set(FileState.key(s.id), s.checkpoint(s.offset)));
      }
    }
    forgotten.forEach(k -> checkpoints.add(Write.delete(k)));
    forgotten.clear();
    List<FileOffset> files = new ArrayList<>(known.size());
    for (FileState s : known) {
      if (s.path != null) {
        // a compressed file's size is of its compressed bytes, its offset in the uncompressed ones
        files.add(new FileOffset(s.path.toString(), s.offset, s.gzip ? -1 : s.lastSize));
      }
    }
    return new Poll(batch.resources(), batch.entries(), checkpoints, finished, more || batch.full(),
        splits(), List.copyOf(files));
  }

  private List<FileState> identify(List<Path> paths, long now, boolean keepOpen, Set<FileState> touched) {
    List<FileState> active = new ArrayList<>();
    Set<Object> seenKeys = new HashSet<>();
    Set<FileState> claimed = new HashSet<>();
    for (Path path : paths) {
      BasicFileAttributes attrs;
      try {
        attrs = Files.readAttributes(path, BasicFileAttributes.class);
      } catch (IOException e) {
        continue;
      }
      if (!attrs.isRegularFile()) {
        continue;
      }
      if (!config.excludeOlderThan().isZero()
          && attrs.lastModifiedTime().toInstant().isBefore(clock.instant().minus(config.excludeOlderThan()))) {
        continue;
      }
      Object key = attrs.fileKey();
      if (key != null && !seenKeys.add(key)) {
        continue; // the same file through another path (a symbolic link): read once
      }
      boolean gz = gzipAll || path.toString().endsWith(".gz");
      FileState sameInode = null;
      if (key != null && !gz) {
        for (FileState s : known) {
          if (key.equals(s.fileKey) && s.channel != null) {
            sameInode = s;
            break;
          }
        }
      }
      FileChannel channel = sameInode != null ? sameInode.channel : null;
      byte[] fp;
      try {
        if (gz) {
          fp = gzipFingerprint(path);
        } else {
          if (channel == null) {
            channel = open(path);
          }
          fp = fingerprint(channel);
        }
      } catch (IOException e) {
        if (sameInode == null) {
          closeQuietly(channel);
        }
        LOG.debug("Receiver '{}' cannot read \"{}\"", id, path, e);
        continue;
      }
      if (fp.length == 0) {
        if (sameInode == null) {
          closeQuietly(channel);
        } else {
          sameInode.seen = true; // truncated to nothing: still the followed path
          sameInode.missedPolls = 0;
        }
        continue;
      }
      FileState s = match(fp, key, claimed);
      if (s == null) {
        long size = attrs.size();
        boolean fromEnd = firstPoll && !config.startAtBeginning() && !gz;
        s = new FileState(nextId++, fp, fromEnd ? size : 0);
        s.lastChangeNanos = now;
        known.add(s);
        touched.add(s);
      } else {
        if (fp.length > s.fingerprint.length) {
          s.fingerprint = fp;
          touched.add(s);
        }
        if (!gz && attrs.size() < s.offset) {
          LOG.info("Receiver '{}': \"{}\" shrank below the offset read ({} < {}); reading it again from its start",
              id, path, attrs.size(), s.offset);
          s.restart();
          touched.add(s);
        }
      }
      if (sameInode != null && sameInode != s) {
        sameInode.channel = null; // the inode holds other content now; it belongs to the new state
      }
      if (s.channel != null && s.channel != channel) {
        close(s);
      }
      if (!gz && s.channel == null && channel != null) {
        s.channel = channel;
        if (sameInode == null || sameInode == s) {
          countOpen(sameInode == null);
        }
      } else if (channel != null && s.channel != channel) {
        closeQuietly(channel);
      }
      if (gz && channel != null) {
        closeQuietly(channel);
      }
      s.fileKey = key;
      s.path = path;
      s.gzip = gz;
      s.seen = true;
      s.missedPolls = 0;
      claimed.add(s);
      active.add(s);
      if (!keepOpen && s.channel != null && openChannels > config.maxConcurrentFiles() / 2) {
        close(s);
      }
    }
    return active;
  }

  /** False when {@code path} was last modified longer than {@code exclude_older_than} ago (or is gone). */
  private boolean modifiedRecently(Path path) {
    try {
      return !Files.getLastModifiedTime(path).toInstant().isBefore(clock.instant().minus(config.excludeOlderThan()));
    } catch (IOException e) {
      return false;
    }
  }

  /** The known file {@code fp} is, preferring the one on the same inode; null when new. */
  private FileState match(byte[] fp, Object key, Set<FileState> claimed) {
    FileState best = null;
    for (FileState s : known) {
      if (claimed.contains(s) || !s.matches(fp)) {
        continue;
      }
      if (key != null && s.fileKey != null && !key.equals(s.fileKey) && s.channel != null) {
        continue; // that file is still there behind its open descriptor: this is another one
      }
      if (key != null && key.equals(s.fileKey)) {
        return s;
      }
      if (best == null || s.fingerprint.length > best.fingerprint.length) {
        best = s;
      }
    }
    return best;
  }

  private void read(FileState s, long now, boolean gone, LogRecords.Builder batch, Set<FileState> touched) {
    long before = s.offset;
    try {
      if (s.gzip) {
        readGzip(s, batch);
      } else {
        readPlain(s, now, gone, batch);
      }
    } catch (IOException e) {
      LOG.warn("Receiver '{}' could not read \"{}\": {}", id, s.path, e.toString());
    }
    if (s.offset != before) {
      touched.add(s);
    }
  }

  private void readPlain(FileState s, long now, boolean gone, LogRecords.Builder batch) throws IOException {
    FileChannel ch = s.channel;
    if (ch == null) {
      ch = open(s.path);
      Object key = Files.readAttributes(s.path, BasicFileAttributes.class).fileKey();
      if (s.fileKey != null && !s.fileKey.equals(key)) {
        closeQuietly(ch);
        return; // replaced since it was matched; the next poll sees the new file
      }
      s.channel = ch;
      countOpen(true);
    }
    FileChannel channel = ch;
    underLock(channel, s, () -> readPlainLocked(s, channel, now, gone, batch));
  }

  /** Reading that may throw, run under a file's lock. */
  private interface Read {
    void run() throws IOException;
  }

  /**
   * Runs {@code read}, with {@code acquire_fs_lock} under a shared lock on the whole file taken
   * through {@code ch} and released after. A file another process holds an exclusive lock on is
   * not read now: it is not at its end (so neither closed as done nor deleted) and is tried again
   * at the next poll.
   */
  private void underLock(FileChannel ch, FileState s, Read read) throws IOException {
    if (!config.acquireFsLock()) {
      read.run();
      return;
    }
    FileLock lock;
    try {
      lock = ch.tryLock(0, Long.MAX_VALUE, true);
    } catch (OverlappingFileLockException e) {
      read.run(); // this JVM already holds a lock on the file (another receiver reading it): read under that one
      return;
    }
    if (lock == null) {
      s.atEnd = false;
      LOG.debug("Receiver '{}': \"{}\" is locked by another process; it is read once the lock is gone", id, s.path);
      return;
    }
    try {
      read.run();
    } finally {
      if (lock.isValid()) {
        lock.release();
      }
    }
  }

  private void readPlainLocked(FileState s, FileChannel ch, long now, boolean gone, LogRecords.Builder batch)
      throws IOException {
    long size = ch.size();
    if (size != s.lastSize) {
      s.lastSize = size;
      s.lastChangeNanos = now;
    }
    long flushAfter = config.forceFlushPeriod().toNanos();
    boolean idle = flushAfter > 0 && now - s.lastChangeNanos >= flushAfter;
    Encodings.ForFile forFile = encoding.forFile(s.fingerprint);
    if (s.offset < forFile.bomLength()) {
      s.offset = forFile.bomLength();
    }
    if (header != null && s.header == null) {
      int n = size > forFile.bomLength() ? readAt(ch, forFile.bomLength(), size, buf.length) : 0;
      if (!readHeader(s, forFile, n, idle, gone)) {
        s.atEnd = s.offset >= size;
        return;
      }
    }
    RecordSplitter splitter = splitter(forFile.encoding());
    int limit = Math.min(buf.length, FIRST_READ);
    while (!batch.full() && s.offset < size) {
      int n = readAt(ch, s.offset, size, limit);
      if (n <= 0) {
        break;
      }
      boolean eof = s.offset + n >= size;
      int used = splitter.split(buf, n, eof && (gone || idle), n == buf.length, body -> batch.add(s, body));
      s.offset += used;
      if (used == 0) {
        if (!eof && n < buf.length) {
          limit = buf.length; // an entry longer than the first read: read as much as an entry may be
          continue;
        }
        break;
      }
      limit = Math.min(buf.length, FIRST_READ);
    }
    s.atEnd = s.offset >= size;
  }

  private int readAt(FileChannel ch, long position, long size, int limit) throws IOException {
    ByteBuffer bb = ByteBuffer.wrap(buf, 0, (int) Math.min(limit, size - position));
    while (bb.hasRemaining()) {
      int r = ch.read(bb, position + bb.position());
      if (r < 0) {
        break;
      }
    }
    return bb.position();
  }

  /**
   * Reads the header of {@code s} from {@code buf[0, n)}, the file's first bytes after its
   * byte-order mark: sets its header attributes once the header is complete, and moves its
   * offset past the header lines. False while the header is not complete.
   */
  private boolean readHeader(FileState s, Encodings.ForFile forFile, int n, boolean flush, boolean complete) {
    HeaderReader.Result r = header.read(buf, 0, n, forFile.encoding(), flush, complete);
    long end = forFile.bomLength() + (long) r.end();
    if (s.offset < end) {
      s.offset = end;
    }
    if (r.done()) {
      s.header = r.attributes();
    }
    return r.done();
  }

  private RecordSplitter splitter(Encoding e) {
    return splitters.computeIfAbsent(e, x -> new RecordSplitter(x, config.maxLogBytes(), config.multiline(),
        config.preserveLeadingWhitespaces(), config.preserveTrailingWhitespaces()));
  }

  /** Entries cut because they were longer than {@code max_log_size}, so far. */
  private long splits() {
    long n = 0;
    for (RecordSplitter sp : splitters.values()) {
      n += sp.splits();
    }
    return n;
  }

  /** Reads a compressed file, which does not grow, from its offset in the uncompressed bytes. */
  private void readGzip(FileState s, LogRecords.Builder batch) throws IOException {
    if (!config.acquireFsLock()) {
      readGzipLocked(s, batch);
      return;
    }
    try (FileChannel ch = open(s.path)) {
      underLock(ch, s, () -> readGzipLocked(s, batch));
    }
  }

  private void readGzipLocked(FileState s, LogRecords.Builder batch) throws IOException {
    long compressedSize = Files.size(s.path);
    if (s.atEnd && compressedSize == s.lastSize) {
      return; // read to its end before and unchanged: not decompressed again
    }
    s.lastSize = compressedSize;
    Encodings.ForFile forFile = encoding.forFile(s.fingerprint);
    if (s.offset < forFile.bomLength()) {
      s.offset = forFile.bomLength();
    }
    if (header != null && s.header == null) {
      try (InputStream in = new GZIPInputStream(Files.newInputStream(s.path), 64 << 10)) {
        in.skipNBytes(forFile.bomLength());
        if (!readHeader(s, forFile, in.readNBytes(buf, 0, buf.length), true, true)) {
          s.atEnd = true;
          return;
        }
      }
    }
    RecordSplitter splitter = splitter(forFile.encoding());
    try (InputStream in = new GZIPInputStream(Files.newInputStream(s.path), 64 << 10)) {
      in.skipNBytes(s.offset);
      int have = 0;
      while (!batch.full()) {
        int r = in.readNBytes(buf, have, buf.length - have);
        have += r;
        boolean eof = have < buf.length;
        int used = splitter.split(buf, have, eof, have == buf.length, body -> batch.add(s, body));
        s.offset += used;
        System.arraycopy(buf, used, buf, 0, have - used);
        have -= used;
        if (eof) {
          break;
        }
      }
      s.atEnd = in.read() < 0 && have == 0;
    }
  }

  private byte[] fingerprint(FileChannel ch) throws IOException {
    ByteBuffer bb = ByteBuffer.allocate(fingerprintSize);
    while (bb.hasRemaining()) {
      if (ch.read(bb, bb.position()) < 0) {
        break;
      }
    }
    byte[] fp = new byte[bb.position()];
    System.arraycopy(bb.array(), 0, fp, 0, fp.length);
    return fp;
  }

  private byte[] gzipFingerprint(Path path) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(path))) {
      return in.readNBytes(fingerprintSize);
    }
  }

  private void forgetVanished() {
    for (var it = known.iterator(); it.hasNext(); ) {
      FileState s = it.next();
      if (s.seen || s.channel != null) {
        continue;
      }
      if (++s.missedPolls > FORGET_AFTER_POLLS) {
        it.remove();
        forgotten.add(FileState.key(s.id));
      }
    }
  }

  /** Deletes files read to their end ({@code delete_after_read}) once their entries are acknowledged. */
  void deleteFinished(List<Path> finished) {
    for (Path p : finished) {
      FileState s = known.stream().filter(k -> p.equals(k.path)).findFirst().orElse(null);
      if (s == null || !s.atEnd) {
        continue;
      }
      try {
        close(s);
        Files.deleteIfExists(p);
      } catch (IOException e) {
        LOG.warn("Receiver '{}' could not delete \"{}\" after reading it: {}", id, p, e.toString());
      }
    }
  }

  private static FileChannel open(Path path) throws IOException {
    return FileChannel.open(path, StandardOpenOption.READ);
  }

  private void countOpen(boolean opened) {
    if (opened) {
      openChannels++;
      mostOpenChannels = Math.max(mostOpenChannels, openChannels);
    }
  }

  private void close(FileState s) {
    if (s.channel != null) {
      s.closeChannel();
      openChannels--;
    }
  }

  private static void closeQuietly(FileChannel ch) {
    if (ch != null) {
      try {
        ch.close();
      } catch (IOException ignored) {
        // Nothing was written through it.
      }
    }
  }

  void closeAll() {
    known.forEach(this::close);
  }

  static long toNanos(Instant t) {
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  Map<Long, Long> offsetsForTest() {
    Map<Long, Long> m = new LinkedHashMap<>();
    known.forEach(s -> m.put(s.id, s.offset));
    return m;
  }
}
