package io.sluice.processor.tailsampling;

/**
 * A bounded set of decided trace IDs, each with a small value, that forgets the oldest entry when
 * full (first in, first out): the sampled or the non-sampled decision cache of one shard. A ring
 * of entries in insertion order plus an open-addressing index into it; arrays grow up to the
 * capacity as entries arrive, so a large cache costs memory only once it fills. Touched by one
 * thread.
 */
final class DecisionCache {
  private final int capacity;
  private long[] his;
  private long[] los;
  private long[] vals;
  /** Ring position + 1 of the entry in each index slot; 0 when the slot is free. */
  private int[] index;
  private int mask;
  private int size;
  /** Where the next entry goes once the ring is full (the oldest entry's position). */
  private int head;

  DecisionCache(int capacity) {
    this.capacity = Math.max(1, capacity);
    int initial = Math.min(this.capacity, 1024);
    his = new long[initial];
    los = new long[initial];
    vals = new long[initial];
    index = new int[tableSize(initial)];
    mask = index.length - 1;
  }

  private static int tableSize(int entries) {
    return Integer.highestOneBit(Math.max(8, entries * 2 - 1)) << 1;
  }

  int size() {
    return size;
  }

  /** The value stored for the ID, or -1 when it is not in the cache. */
  long get(long hi, long lo) {
    for (int i = TraceTable.slot(hi, lo) & mask; ; i = (i + 1) & mask) {
      int e = index[i];
      if (e == 0) {
        return -1;
      }
      if (his[e - 1] == hi && los[e - 1] == lo) {
        return vals[e - 1];
      }
    }
  }

  /** Stores the ID with a value (0 or more), replacing the value of an ID already in it. */
  void put(long hi, long lo, long value) {
    for (int i = TraceTable.slot(hi, lo) & mask; ; i = (i + 1) & mask) {
      int e = index[i];
      if (e == 0) {
        break;
      }
      if (his[e - 1] == hi && los[e - 1] == lo) {
        vals[e - 1] = value;
        return;
      }
    }
    int pos;
    if (size < capacity) {
      if (size == his.length) {
        grow();
      }
      pos = size++;
    } else {
      pos = head;
      head = head + 1 == capacity ? 0 : head + 1;
      removeIndex(pos);
    }
    his[pos] = hi;
    los[pos] = lo;
    vals[pos] = value;
    for (int i = TraceTable.slot(hi, lo) & mask; ; i = (i + 1) & mask) {
      if (index[i] == 0) {
        index[i] = pos + 1;
        return;
      }
    }
  }

  private void removeIndex(int pos) {
    int i = TraceTable.slot(his[pos], los[pos]) & mask;
    while (index[i] != pos + 1) {
      i = (i + 1) & mask;
    }
    index[i] = 0;
    for (int j = (i + 1) & mask; index[j] != 0; j = (j + 1) & mask) {
      int e = index[j] - 1;
      int home = TraceTable.slot(his[e], los[e]) & mask;
      boolean movable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        index[i] = index[j];
        index[j] = 0;
        i = j;
      }
    }
  }

  private void grow() {
    int cap = (int) Math.min(capacity, (long) his.length * 2);
    his = java.util.Arrays.copyOf(his, cap);
    los = java.util.Arrays.copyOf(los, cap);
    vals = java.util.Arrays.copyOf(vals, cap);
    index = new int[tableSize(cap)];
    mask = index.length - 1;
    for (int pos = 0; pos < size; pos++) {
      for (int i = TraceTable.slot(his[pos], los[pos]) & mask; ; i = (i + 1) & mask) {
        if (index[i] == 0) {
          index[i] = pos + 1;
          break;
        }
      }
    }
  }
}
