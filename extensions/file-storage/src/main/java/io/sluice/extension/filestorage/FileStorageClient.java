package io.sluice.extension.filestorage;

import io.sluice.core.storage.StorageClient;
import io.vertx.core.Future;
import java.util.ArrayList;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.Callable;
import org.h2.mvstore.Cursor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** A client over one store file; every call runs on the extension's worker. */
final class FileStorageClient implements StorageClient {
  private static final Logger LOG = LoggerFactory.getLogger(FileStorageClient.class);
  private final FileStorageExtension extension;
  private final String name;
  private final StoreFile store;
  private final FileStorageConfig config;
  // Written and read on the worker only.
  private boolean closed;

  FileStorageClient(FileStorageExtension extension, String name, StoreFile store, FileStorageConfig config) {
    this.extension = extension;
    this.name = name;
    this.store = store;
    this.config = config;
  }

  private <T> Future<T> run(Callable<T> work) {
    return extension.worker().executeBlocking(() -> {
      if (closed) {
        throw new IllegalStateException("The storage client \"" + name + "\" of extension '" + extension.id()
            + "' is closed");
      }
      store.reopenIfFailed();
      return work.call();
    });
  }

  @Override
  public Future<byte[]> get(String key) {
    return run(() -> store.get(key));
  }

  @Override
  public Future<Void> set(String key, byte[] value) {
    return write(List.of(Write.set(key, value)));
  }

  @Override
  public Future<Void> delete(String key) {
    return write(List.of(Write.delete(key)));
  }

  @Override
  public Future<Void> write(List<Write> writes) {
    List<Write> copy = List.copyOf(writes);
    if (copy.isEmpty()) {
      return Future.succeededFuture();
    }
    return run(() -> {
      try {
        for (Write w : copy) {
          if (w.isDelete()) {
            store.remove(w.key());
          } else {
            store.put(w.key(), w.value());
          }
        }
        store.commit();
      } catch (RuntimeException e) {
        store.rollbackAfter(e);
        throw e;
      }
      return null;
    });
  }

  @Override
  public Future<List<Entry>> range(String from, String to, int limit) {
    return run(() -> {
      List<Entry> out = new ArrayList<>();
      for (Cursor<String, byte[]> c = store.map.cursor(from); c.hasNext(); ) {
        String key = c.next();
        if ((to != null && key.compareTo(to) >= 0) || (limit > 0 && out.size() >= limit)) {
          break;
        }
        out.add(new Entry(key, c.getValue()));
      }
      return out;
    });
  }

  @Override
  public Future<String> lastKey() {
    return run(() -> store.map.lastKey());
  }

  @Override
  public Future<Void> close() {
    if (!extension.running()) {
      return Future.succeededFuture(); // the extension's shutdown closed every client
    }
    return extension.worker().executeBlocking(() -> {
      closeNow();
      return null;
    });
  }

  /** Commits and closes the file; on the worker. */
  void closeNow() {
    if (closed) {
      return;
    }
    closed = true;
    extension.closed(name);
    store.close();
  }

  StoreFile storeForTest() {
    return store;
  }

  FileStorageExtension extensionForTest() {
    return extension;
  }

  /** On the worker: drops the store file unclosed, as a killed process does; later calls fail. */
  void crashForTest() {
    closed = true;
    store.store.closeImmediately();
  }

  /** On the worker: compacts the file when it shrank back after growing (compaction.on_rebound). */
  void compactOnRebound() {
    if (!closed) {
      FileStorageConfig.Compaction c = config.compaction();
      try {
        store.compactIfRebounded(c.reboundNeededThresholdMib() << 20, c.reboundTriggerThresholdMib() << 20,
            c.maxTransactionSize());
      } catch (IOException | RuntimeException e) {
        LOG.warn("Extension '{}' could not compact \"{}\"", extension.id(), store.file, e);
      }
    }
  }
}
