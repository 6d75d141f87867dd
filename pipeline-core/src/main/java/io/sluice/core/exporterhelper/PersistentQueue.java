package io.sluice.core.exporterhelper;

import io.sluice.core.storage.StorageClient;
import io.sluice.core.storage.StorageClient.Entry;
import io.sluice.core.storage.StorageClient.Write;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.internal.ContextInternal;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The disk side of a persistent sending queue: records under keys {@code q/<sequence>} (19 digits,
 * so that key order is queue order) in one {@link StorageClient}. Writes are group-committed:
 * what is appended or removed while a commit is running goes into the next one, so a commit (and
 * its fsync) is shared by every batch that arrived meanwhile. A removal that fails is tried again
 * in the next commit.
 *
 * <p>Used on one context only; the client completes its futures there.
 */
final class PersistentQueue {
  private static final Logger LOG = LoggerFactory.getLogger(PersistentQueue.class);
  static final String PREFIX = "q/";
  /** The first key after every record key ('/' + 1). */
  static final String END = "q0";
  private static final int DIGITS = 19;
  /** How long removals that failed wait before they are tried again when nothing else is written. */
  private static final long RETRY_REMOVALS_MS = 1000;

  private final String exporterId;
  private final ContextInternal context;
  private final StorageClient client;
  private long nextSeq;

  private List<Write> writes = new ArrayList<>();
  private List<Promise<Void>> committed = new ArrayList<>();
  private List<String> removals = new ArrayList<>();
  private boolean committing;
  /** The last commit failed: the next one takes the removals alone. */
  private boolean removalsFirst;
  private long retryTimer = -1;
  private boolean closing;
  private List<Promise<Void>> idleWaiters = new ArrayList<>();
  private Future<Void> closeFuture;

  PersistentQueue(String exporterId, ContextInternal context, StorageClient client) {
    this.exporterId = exporterId;
    this.context = context;
    this.client = client;
  }

  static String key(long seq) {
    String digits = Long.toString(seq);
    StringBuilder sb = new StringBuilder(PREFIX.length() + DIGITS).append(PREFIX);
    for (int i = digits.length(); i < DIGITS; i++) {
      sb.append('0');
    }
    return sb.append(digits).toString();
  }

  /** The sequence number of a record key, or -1 when it is not one. */
  static long seqOf(String key) {
    if (key == null || key.length() != PREFIX.length() + DIGITS || !key.startsWith(PREFIX)) {
      return -1;
    }
    long seq = 0;
    for (int i = PREFIX.length(); i < key.length(); i++) {
      char c = key.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      seq = seq * 10 + (c - '0');
    }
    return seq;
  }

  /** Sets where new records are numbered from, after a recovery. */
  void nextSequence(long seq) {
    nextSeq = Math.max(nextSeq, seq);
  }

  long nextSequence() {
    return nextSeq;
  }

  /**
   * Appends records after every earlier one, numbered from the returned future's sequence
   * number up; completes once they are committed (and synced with the extension's fsync).
   */
  Future<Long> append(List<byte[]> values) {
    long first = nextSeq;
    nextSeq += values.size();
    for (int i = 0; i < values.size(); i++) {
      writes.add(Write.set(key(first + i), values.get(i)));
    }
    Promise<Void> p = context.promise();
    committed.add(p);
    commit();
    return p.future().map(first);
  }

  /** Removes a record in the next commit. */
  void remove(long seq) {
    removals.add(key(seq));
    commit();
  }

  /** Removes a record stored under a key that is not a record key. */
  void removeKey(String key) {
    removals.add(key);
    commit();
  }

  /** Records with sequence numbers in {@code [from, to)}, in order, at most {@code limit}. */
  Future<List<Entry>> read(long from, long to, int limit) {
    return client.range(key(from), to == Long.MAX_VALUE ? END : key(to), limit);
  }

  /** Records from the key {@code fromKey} on, whatever follows the prefix, for a recovery scan. */
  Future<List<Entry>> scan(String fromKey, int limit) {
    return client.range(fromKey, END, limit);
  }

  private void commit() {
    if (committing || (writes.isEmpty() && removals.isEmpty())) {
      idle();
      return;
    }
    if (retryTimer >= 0) {
      context.owner().cancelTimer(retryTimer);
      retryTimer = -1;
    }
    // After a failed commit (a full disk) removals go alone: they need far less room than new
    // records, and the room of what they remove is what lets new records in again.
    boolean removalsOnly = removalsFirst && !removals.isEmpty();
    List<Write> batch;
    List<Promise<Void>> waiting;
    if (removalsOnly) {
      batch = new ArrayList<>();
      waiting = List.of();
    } else {
      batch = writes;
      waiting = committed;
      writes = new ArrayList<>();
      committed = new ArrayList<>();
    }
    List<String> removing = removals;
    removals = new ArrayList<>();
    for (String k : removing) {
      batch.add(Write.delete(k));
    }
    committing = true;
    client.write(batch).onComplete(ar -> {
      committing = false;
      if (ar.succeeded()) {
        removalsFirst = false;
        waiting.forEach(Promise::complete);
        commit();
        return;
      }
      waiting.forEach(p -> p.fail(ar.cause()));
      // The records stay on disk: remove them in a later commit.
      removing.addAll(removals);
      removals = removing;
      // Removals alone next, unless they just failed alone: then new records get their answer first.
      removalsFirst = !removalsOnly;
      if (closing) {
        LOG.warn("Exporter '{}' could not remove {} delivered records from its persistent queue before closing it;"
            + " they will be sent again after the next start", exporterId, removals.size(), ar.cause());
        removals = new ArrayList<>();
        commit();
      } else if (writes.isEmpty() && !removals.isEmpty() && removalsOnly) {
        LOG.debug("Exporter '{}' could not remove {} delivered records from its persistent queue; trying again",
            exporterId, removals.size(), ar.cause());
        retryTimer = context.setTimer(RETRY_REMOVALS_MS, t -> {
          retryTimer = -1;
          removalsFirst = true;
          commit();
        });
      } else {
        commit();
      }
    });
  }

  /** Completes the waiters of {@link #close()} once nothing is committing or due. */
  private void idle() {
    if (!committing && writes.isEmpty() && removals.isEmpty() && !idleWaiters.isEmpty()) {
      List<Promise<Void>> w = idleWaiters;
      idleWaiters = new ArrayList<>();
      w.forEach(Promise::tryComplete);
    }
  }

  /**
   * Commits what waits (removals of delivered records, once more if they fail) and closes the
   * client; later calls do nothing. Safe twice.
   */
  Future<Void> close() {
    if (closeFuture != null) {
      return closeFuture;
    }
    closing = true;
    Promise<Void> flushed = context.promise();
    idleWaiters.add(flushed);
    commit();
    closeFuture = flushed.future().compose(v -> {
      if (retryTimer >= 0) {
        context.owner().cancelTimer(retryTimer);
        retryTimer = -1;
      }
      return client.close();
    });
    return closeFuture;
  }
}
