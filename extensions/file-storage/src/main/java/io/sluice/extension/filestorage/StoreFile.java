package io.sluice.extension.filestorage;

import io.sluice.core.ComponentId;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.h2.mvstore.Cursor;
import org.h2.mvstore.DataUtils;
import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.StringDataType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client's MVStore file, opened so that a bad file never stops the gateway: a file that does
 * not open, or whose pages fail their checks when every entry is read once at open, is logged
 * as an error naming it, counted, moved aside as {@code <name>.corrupt-<time>}, and replaced by a
 * new file holding whatever entries MVStore's recovery mode could still read from it.
 *
 * <p>Durability comes from MVStore's commit: the changes since the last commit are written as one
 * new chunk with a checksum, and older chunks are not overwritten while they may be needed, so a
 * write torn by a crash leaves the previous commit readable. Auto-commit is off: nothing reaches
 * the file except through {@link #commit()}.
 */
final class StoreFile {
  private static final Logger LOG = LoggerFactory.getLogger(StoreFile.class);
  /** The map of keys and values: strings and byte arrays, each written as a whole. */
  private static final String MAP = "kv";
  /**
   * Where earlier builds kept them, with MVStore's generic object type, which writes and reads a
   * byte array one byte at a time (several times slower for the large values of a sending queue);
   * a file that has it is moved to {@link #MAP} when opened.
   */
  private static final String LEGACY_MAP = "state";
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss.SSS")
      .withZone(ZoneOffset.UTC);
  /** Suffix of the copy a compaction writes before it replaces the store file. */
  static final String COMPACTING = ".compacting";

  final Path file;
  MVStore store;
  MVMap<String, byte[]> map;
  private final boolean fsync;
  /** Bytes of the keys and values held: what a compacted file would need. */
  private long liveBytes;

  private StoreFile(Path file, MVStore store, boolean fsync) {
    this.file = file;
    this.store = store;
    this.map = openMap(store);
    this.fsync = fsync;
    reuseSpaceAtOnceWhenSynced();
    migrateLegacy();
  }

  private static MVMap<String, byte[]> openMap(MVStore s) {
    return s.openMap(MAP, new MVMap.Builder<String, byte[]>().keyType(StringDataType.INSTANCE)
        .valueType(ByteArrayDataType.INSTANCE));
  }

  /** Moves the entries of a file written by an earlier build into {@link #MAP}, in one commit. */
  private void migrateLegacy() {
    if (store.isReadOnly() || !store.hasMap(LEGACY_MAP)) {
      return;
    }
    MVMap<String, byte[]> old = store.openMap(LEGACY_MAP);
    int n = 0;
    for (Cursor<String, byte[]> c = old.cursor(null); c.hasNext(); n++) {
      String key = c.next();
      map.putIfAbsent(key, c.getValue());
    }
    store.removeMap(old);
    commit();
    LOG.info("Moved the {} entries of \"{}\" to the current format", n, file);
  }

  /**
   * With fsync every commit is on the device before the next one starts, so the space of chunks
   * that hold nothing live any more can be written over at once; MVStore otherwise keeps them 45 s
   * (its retention time, for disks that flush their buffers late), and a store written fast (a
   * sending queue) grows by everything written in that time. Without fsync the retention stays.
   */
  private void reuseSpaceAtOnceWhenSynced() {
    if (fsync) {
      store.setRetentionTime(0);
    }
  }

  static StoreFile open(Path file, FileStorageConfig config, ComponentId extension, Runnable countCorrupt)
      throws IOException, InterruptedException {
    if (config.recreate() && Files.exists(file)) {
      Path aside = aside(file, "backup");
      Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
      LOG.info("Extension '{}' moved \"{}\" to \"{}\" and starts it empty (recreate: true)", extension, file, aside);
    }
    Path leftover = file.resolveSibling(file.getFileName() + COMPACTING);
    if (Files.deleteIfExists(leftover)) {
      LOG.info("Extension '{}' removed \"{}\", left by a compaction that did not finish", extension, leftover);
    }
    long deadline = System.nanoTime() + config.timeout().toNanos();
    while (true) {
      MVStore store = null;
      try {
        store = builder(file).open();
        StoreFile s = new StoreFile(file, store, config.fsync());
        s.verify();
        if (config.compaction().onStart() && Files.size(file) > 0) {
          s.rewrite(config.compaction().maxTransactionSize());
        }
        return s;
      } catch (MVStoreException e) {
        closeQuietly(store);
        if (e.getErrorCode() == DataUtils.ERROR_FILE_LOCKED) {
          if (System.nanoTime() - deadline >= 0) {
            throw new IllegalStateException("Extension '" + extension + "': \"" + file
                + "\" is locked by another process (waited " + config.timeout().toMillis() + " ms, the timeout)", e);
          }
          Thread.sleep(50);
          continue;
        }
        return replaceCorrupt(file, config, extension, countCorrupt, e);
      } catch (RuntimeException e) {
        closeQuietly(store);
        return replaceCorrupt(file, config, extension, countCorrupt, e);
      }
    }
  }

  private static MVStore.Builder builder(Path file) {
    return new MVStore.Builder().fileName(file.toString()).autoCommitDisabled();
  }

  /** Reads every entry once, so that a page failing its check is found now rather than mid-run. */
  private void verify() {
    long bytes = 0;
    for (Cursor<String, byte[]> c = map.cursor(null); c.hasNext(); ) {
      bytes += c.next().length() + c.getValue().length;
    }
    liveBytes = bytes;
  }

  /**
   * Opens the file again when MVStore closed it after a failed write (a full disk, an I/O error):
   * MVStore gives up on a store whose write failed, and without this every later call would fail
   * until the gateway restarts. What was committed before the failure is read back as it was.
   */
  void reopenIfFailed() {
    if (!store.isClosed()) {
      return;
    }
    LOG.warn("Opening \"{}\" again after a write to it failed", file);
    store = builder(file).open();
    map = openMap(store);
    reuseSpaceAtOnceWhenSynced();
    verify();
  }

  /** Drops the changes since the last commit after a failed write; nothing to drop when the write closed the store. */
  void rollbackAfter(RuntimeException failure) {
    if (store.isClosed()) {
      return;
    }
    try {
      store.rollback();
    } catch (RuntimeException e) {
      failure.addSuppressed(e);
    }
  }

  byte[] get(String key) {
    return map.get(key);
  }

  void put(String key, byte[] value) {
    byte[] old = map.put(key, value);
    liveBytes += value.length - (old == null ? -key.length() : old.length);
  }

  void remove(String key) {
    byte[] old = map.remove(key);
    if (old != null) {
      liveBytes -= key.length() + old.length;
    }
  }

  private static StoreFile replaceCorrupt(Path file, FileStorageConfig config, ComponentId extension,
      Runnable countCorrupt, RuntimeException cause) throws IOException {
    countCorrupt.run();
    List<Map.Entry<String, byte[]>> salvaged = salvage(file);
    Path aside = aside(file, "corrupt");
    Files.move(file, aside, StandardCopyOption.ATOMIC_MOVE);
    LOG.error("Extension '{}': the store file \"{}\" is corrupt or torn; moved it to \"{}\" and started a new"
        + " one with the {} entries that could still be read", extension, file, aside, salvaged.size(), cause);
    StoreFile s = new StoreFile(file, builder(file).open(), config.fsync());
    for (Map.Entry<String, byte[]> e : salvaged) {
      s.put(e.getKey(), e.getValue());
    }
    s.commit();
    return s;
  }

  /** What MVStore's recovery mode can still read from a bad file; empty when nothing. */
  private static List<Map.Entry<String, byte[]>> salvage(Path file) {
    List<Map.Entry<String, byte[]>> out = new ArrayList<>();
    MVStore store = null;
    try {
      store = new MVStore.Builder().fileName(file.toString()).readOnly().recoveryMode().open();
      for (String name : List.of(LEGACY_MAP, MAP)) {
        if (store.hasMap(name)) {
          MVMap<String, byte[]> map = name.equals(MAP) ? openMap(store) : store.openMap(name);
          for (Cursor<String, byte[]> c = map.cursor(null); c.hasNext(); ) {
            String key = c.next();
            out.add(Map.entry(key, c.getValue()));
          }
        }
      }
    } catch (RuntimeException e) {
      LOG.debug("Recovery of \"{}\" stopped after {} entries", file, out.size(), e);
    } finally {
      closeQuietly(store);
    }
    return out;
  }

  private static Path aside(Path file, String why) {
    return file.resolveSibling(file.getFileName() + "." + why + "-" + STAMP.format(Instant.now()));
  }

  private static void closeQuietly(MVStore store) {
    if (store != null) {
      try {
        store.closeImmediately();
      } catch (RuntimeException ignored) {
        // The store is being given up on.
      }
    }
  }

  /**
   * Writes the changes since the last commit as one chunk. With fsync the chunk is forced to the
   * device before this returns; without it the chunk is in the operating system's page cache, which
   * a killed process cannot lose but a power cut can.
   */
  void commit() {
    store.commit();
    if (fsync) {
      store.sync();
    }
  }

  /** Rewrites the file when it grew past {@code neededBytes} and now holds at most {@code triggerBytes}. */
  void compactIfRebounded(long neededBytes, long triggerBytes, long maxTransactionSize) throws IOException {
    long size = Files.size(file);
    // A file at least twice its live data, so that one just compacted is not compacted again and again.
    if (size >= neededBytes && liveBytes <= triggerBytes && size > 2 * liveBytes) {
      LOG.info("Compacting \"{}\": {} bytes hold {} bytes of keys and values", file, size, liveBytes);
      rewrite(maxTransactionSize);
    }
  }

  /**
   * Compaction as the Collector does it: every entry is copied into a new file beside this one,
   * committed in transactions of at most {@code maxTransactionSize} entries and forced to disk,
   * which then replaces this file by an atomic rename. A crash before the rename leaves this file
   * as it was and a {@code .compacting} copy that the next open removes.
   */
  void rewrite(long maxTransactionSize) throws IOException {
    store.commit();
    Path tmp = file.resolveSibling(file.getFileName() + COMPACTING);
    Files.deleteIfExists(tmp);
    MVStore copy = builder(tmp).open();
    try {
      MVMap<String, byte[]> target = openMap(copy);
      long inTransaction = 0;
      for (Cursor<String, byte[]> c = map.cursor(null); c.hasNext(); ) {
        String key = c.next();
        target.put(key, c.getValue());
        if (maxTransactionSize > 0 && ++inTransaction >= maxTransactionSize) {
          copy.commit();
          inTransaction = 0;
        }
      }
      copy.commit();
      copy.sync();
    } finally {
      copy.close();
    }
    store.close();
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    store = builder(file).open();
    map = openMap(store);
    reuseSpaceAtOnceWhenSynced();
  }

  void close() {
    if (store.isClosed()) {
      return; // closed by a failed write; everything committed before it is on disk
    }
    try {
      commit();
    } finally {
      store.close();
    }
  }
}
