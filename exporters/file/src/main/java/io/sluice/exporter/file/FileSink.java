package io.sluice.exporter.file;

import com.github.luben.zstd.Zstd;
import com.google.protobuf.Message;
import io.opentelemetry.proto.logs.v1.LogsData;
import io.opentelemetry.proto.metrics.v1.MetricsData;
import io.opentelemetry.proto.trace.v1.TracesData;
import io.sluice.core.Batch;
import io.sluice.core.otlp.OtlpJson;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The file itself: encodes batches into records, writes them, rotates by size and keeps the
 * backups in check. Every method blocks and must run on the exporter's worker, one at a time.
 */
final class FileSink {
  private static final Logger LOG = LoggerFactory.getLogger(FileSink.class);
  /** Backup names carry the time to the millisecond: {@code out-2026-11-22T10-15-30.123.json}. */
  static final DateTimeFormatter BACKUP_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH-mm-ss.SSS");
  private static final int KEEP_BUFFER_BYTES = 8 << 20;

  private final String id;
  private final FileExporterConfig config;
  private final Path path;
  private final Clock clock;
  private final ZoneId zone;
  private final String prefix;
  private final String extension;

  private FileChannel channel;
  private long size;
  private boolean dirty;
  private boolean closed = true;
  private Instant lastBackupTime;
  private Buffer buffer = new Buffer();

  /** Paths opened since the gateway started; a set shared by every file exporter of the process. */
  private static final java.util.Set<Path> OPENED_BY_THIS_PROCESS = java.util.concurrent.ConcurrentHashMap.newKeySet();

  FileSink(String id, FileExporterConfig config, Clock clock) {
    this(id, config, Path.of(config.path()), clock);
  }

  /** A sink writing {@code file} (one of a group_by's files) with {@code config}'s settings. */
  FileSink(String id, FileExporterConfig config, Path file, Clock clock) {
    this.id = id;
    this.config = config;
    this.path = file.toAbsolutePath().normalize();
    this.clock = clock;
    this.zone = config.rotation() != null && config.rotation().localtime() ? ZoneId.systemDefault() : ZoneOffset.UTC;
    String name = path.getFileName().toString();
    int dot = name.lastIndexOf('.');
    this.prefix = dot < 0 ? name : name.substring(0, dot);
    this.extension = dot < 0 ? "" : name.substring(dot);
  }

  Path path() {
    return path;
  }

  /**
   * Opens the file: truncated, or continued with {@code append} or when rotating. A path this
   * process has already written is always continued: a config reload (SIGHUP) rebuilds the
   * exporter, and truncating then would throw away what the old one wrote and acknowledged.
   */
  void open() throws IOException {
    Path dir = path.getParent();
    if (dir != null && config.createDirectory() && !Files.isDirectory(dir)) {
      createDirectories(dir);
    }
    boolean keep = config.append() || config.rotation() != null || !OPENED_BY_THIS_PROCESS.add(path);
    channel = keep
        ? FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)
        : FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING);
    size = channel.size();
    dirty = false;
    closed = false;
    if (config.rotation() != null) {
      List<Backup> existing = findBackups();
      lastBackupTime = existing.isEmpty() ? null : existing.get(0).time();
      removeOldBackups();
    }
  }

  private void createDirectories(Path dir) throws IOException {
    String perms = config.directoryPermissions();
    if (perms == null || perms.isEmpty() || !dir.getFileSystem().supportedFileAttributeViews().contains("posix")) {
      Files.createDirectories(dir);
      return;
    }
    FileAttribute<Set<PosixFilePermission>> attr = PosixFilePermissions.asFileAttribute(posix(perms));
    Files.createDirectories(dir, attr);
  }

  private static Set<PosixFilePermission> posix(String octal) {
    int mode = Integer.parseInt(octal, 8);
    Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
    PosixFilePermission[] order = {
      PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
      PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
      PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
    };
    for (int bit = 0; bit < order.length; bit++) {
      if ((mode & (1 << bit)) != 0) {
        set.add(order[bit]);
      }
    }
    return set;
  }

  /** Encodes {@code batch} as one record and writes it; returns the bytes written. */
  int write(Batch batch) throws IOException {
    if (closed) {
      throw new IOException("the file is closed");
    }
    Buffer record = encode(batch);
    if (channel == null) {
      // A rotation failed half-way (or the file was closed after an error): continue the file.
      channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.APPEND);
      size = channel.size();
    }
    if (config.rotation() != null && size > 0 && size + record.size() > config.rotation().maxBytes()) {
      rotate();
    }
    ByteBuffer bb = ByteBuffer.wrap(record.bytes(), 0, record.size());
    while (bb.hasRemaining()) {
      channel.write(bb);
    }
    size += record.size();
    dirty = true;
    int written = record.size();
    if (buffer.capacity() > KEEP_BUFFER_BYTES) {
      buffer = new Buffer(); // let one huge batch's buffer go
    }
    return written;
  }

  /** The record for one batch, in the reused buffer. */
  private Buffer encode(Batch batch) throws IOException {
    Message data = switch (batch.signal()) {
      case TRACES -> TracesData.newBuilder().addAllResourceSpans(batch.resourceSpans()).build();
      case METRICS -> MetricsData.newBuilder().addAllResourceMetrics(batch.resourceMetrics()).build();
      case LOGS -> LogsData.newBuilder().addAllResourceLogs(batch.resourceLogs()).build();
    };
    Buffer b = buffer;
    b.reset();
    if (config.zstd()) {
      byte[] raw = config.format() == FileExporterConfig.Format.PROTO ? data.toByteArray() : OtlpJson.encode(data);
      int bound = (int) Math.min(Integer.MAX_VALUE - 8, Zstd.compressBound(raw.length));
      b.ensure(4 + bound);
      long n = Zstd.compressByteArray(b.bytes(), 4, bound, raw, 0, raw.length, config.zstdLevel());
      if (Zstd.isError(n)) {
        throw new IOException("zstd compression failed: " + Zstd.getErrorName(n));
      }
      b.setSize(4 + (int) n);
      b.putLength(0, (int) n);
    } else if (config.format() == FileExporterConfig.Format.PROTO) {
      int n = data.getSerializedSize();
      b.ensure(4 + n);
      b.putLength(0, n);
      data.writeTo(com.google.protobuf.CodedOutputStream.newInstance(b.bytes(), 4, n));
      b.setSize(4 + n);
    } else {
      OtlpJson.writeTo(data, b);
      b.write('\n');
    }
    return b;
  }

  /** Forces what was written to the disk, when anything was. */
  void sync() throws IOException {
    if (channel != null && dirty) {
      channel.force(false);
      dirty = false;
    }
  }

  /** Syncs and closes; safe to call twice. */
  void close() throws IOException {
    closed = true;
    FileChannel c = channel;
    if (c == null) {
      return;
    }
    try {
      sync();
    } finally {
      channel = null;
      c.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rotation
  // ---------------------------------------------------------------------------------------------

  private void rotate() throws IOException {
    sync();
    channel.close();
    channel = null;
    // Backup times only move forward, so the newest backup always has the newest name (two
    // rotations within a millisecond, or a clock stepped back, must not reuse or precede a name).
    Instant t = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS);
    if (lastBackupTime != null && !t.isAfter(lastBackupTime)) {
      t = lastBackupTime.plusMillis(1);
    }
    Path backup = backupPath(t);
    while (Files.exists(backup)) {
      t = t.plusMillis(1);
      backup = backupPath(t);
    }
    lastBackupTime = t;
    try {
      Files.move(path, backup, StandardCopyOption.ATOMIC_MOVE);
    } catch (FileAlreadyExistsException | java.nio.file.AtomicMoveNotSupportedException e) {
      Files.move(path, backup);
    }
    channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING);
    size = 0;
    LOG.info("Exporter '{}' rotated '{}' to '{}'", id, path, backup.getFileName());
    removeOldBackups();
  }

  Path backupPath(Instant t) {
    String stamp = BACKUP_TIME.format(LocalDateTime.ofInstant(t, zone));
    return path.resolveSibling(prefix + "-" + stamp + extension);
  }

  private record Backup(Path path, Instant time) {}

  /** The backups of this file, newest first. */
  List<Path> backups() throws IOException {
    return findBackups().stream().map(Backup::path).toList();
  }

  private List<Backup> findBackups() throws IOException {
    List<Backup> found = new ArrayList<>();
    Path dir = path.getParent();
    String head = prefix + "-";
    int stampLength = "yyyy-MM-ddTHH-mm-ss.SSS".length();
    try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
      for (Path f : files) {
        String name = f.getFileName().toString();
        if (name.length() != head.length() + stampLength + extension.length() || !name.startsWith(head)
            || !name.endsWith(extension)) {
          continue;
        }
        String stamp = name.substring(head.length(), head.length() + stampLength);
        try {
          Instant t = LocalDateTime.parse(stamp, BACKUP_TIME).atZone(zone).toInstant();
          found.add(new Backup(f, t));
        } catch (DateTimeParseException e) {
          // a file that only looks like a backup
        }
      }
    }
    found.sort(Comparator.comparing(Backup::time).reversed());
    return found;
  }

  private void removeOldBackups() {
    FileExporterConfig.Rotation r = config.rotation();
    if (r.maxBackups() == 0 && r.maxDays() == 0) {
      return;
    }
    try {
      List<Backup> backups = findBackups();
      Instant cutoff = r.maxDays() > 0 ? clock.instant().minus(Duration.ofDays(r.maxDays())) : null;
      for (int i = 0; i < backups.size(); i++) {
        Backup b = backups.get(i);
        boolean tooMany = r.maxBackups() > 0 && i >= r.maxBackups();
        boolean tooOld = cutoff != null && b.time().isBefore(cutoff);
        if (tooMany || tooOld) {
          try {
            Files.deleteIfExists(b.path());
          } catch (NoSuchFileException e) {
            // already gone
          }
        }
      }
    } catch (IOException e) {
      LOG.warn("Exporter '{}' could not remove old backups of '{}': {}", id, path, e.toString());
    }
  }

  /** A reusable output buffer whose bytes can be written without a copy. */
  private static final class Buffer extends ByteArrayOutputStream {
    Buffer() {
      super(64 * 1024);
    }

    byte[] bytes() {
      return buf;
    }

    int capacity() {
      return buf.length;
    }

    void ensure(int n) {
      if (buf.length < n) {
        buf = java.util.Arrays.copyOf(buf, n);
      }
    }

    void setSize(int n) {
      count = n;
    }

    void putLength(int at, int n) {
      buf[at] = (byte) (n >>> 24);
      buf[at + 1] = (byte) (n >>> 16);
      buf[at + 2] = (byte) (n >>> 8);
      buf[at + 3] = (byte) n;
    }
  }
}
