package io.sluice.core.storage;

import io.vertx.core.Future;
import java.util.List;
import java.util.Objects;

/**
 * One component's durable key-value state, handed out by a {@link StorageExtension}: a file
 * tailer's checkpoints, an exporter's persistent sending queue.
 *
 * <p>Keys are strings kept in their natural ({@link String#compareTo}) order, so a queue can use
 * fixed-width keys ({@code %020d} of a sequence number) and read them back in order with
 * {@link #range}. Values are opaque bytes.
 *
 * <p>Every method returns at once; the disk work runs on the extension's worker, never on an
 * event loop, and the future completes on the caller's context (or a worker when the caller has
 * none). Operations on one client take effect in the order they were called. A write whose future
 * succeeded is durable to the extent the extension promises (see its {@code fsync}).
 */
public interface StorageClient {
  /** The value of {@code key}, or null when there is none. */
  Future<byte[]> get(String key);

  /** Sets {@code key} to {@code value}. */
  Future<Void> set(String key, byte[] value);

  /** Removes {@code key}; removing an absent key succeeds. */
  Future<Void> delete(String key);

  /**
   * Applies every write in one transaction: after a crash either all of them are there or none.
   * An empty list succeeds at once.
   */
  Future<Void> write(List<Write> writes);

  /**
   * Entries with {@code from <= key < to}, in key order, at most {@code limit} of them.
   *
   * @param from the first key, inclusive; null for the smallest
   * @param to the end, exclusive; null for no end
   * @param limit the most entries to return; 0 or less for all
   */
  Future<List<Entry>> range(String from, String to, int limit);

  /** The largest key, or null when the client holds nothing (a queue's tail). */
  Future<String> lastKey();

  /** Releases the client; later calls fail. Safe twice. */
  Future<Void> close();

  /**
   * One change in a {@link #write} batch.
   *
   * @param key the key
   * @param value the new value; null removes the key
   */
  record Write(String key, byte[] value) {
    public Write {
      Objects.requireNonNull(key, "key");
    }

    public static Write set(String key, byte[] value) {
      return new Write(key, Objects.requireNonNull(value, "value"));
    }

    public static Write delete(String key) {
      return new Write(key, null);
    }

    public boolean isDelete() {
      return value == null;
    }
  }

  /** One key and its value, as {@link #range} returns them. */
  record Entry(String key, byte[] value) {}
}
