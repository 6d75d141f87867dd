package io.sluice.processor.tailsampling;

/**
 * The undecided traces of one shard by trace ID: open addressing with linear probing over the two
 * halves of the 128-bit ID, no boxing, removal by shifting back. Touched by one thread.
 */
final class TraceTable {
  private long[] his;
  private long[] los;
  private Trace[] values;
  private int mask;
  private int size;

  TraceTable(int expected) {
    int cap = Integer.highestOneBit(Math.max(16, expected * 2 - 1)) << 1;
    his = new long[cap];
    los = new long[cap];
    values = new Trace[cap];
    mask = cap - 1;
  }

  int size() {
    return size;
  }

  void clear() {
    java.util.Arrays.fill(values, null);
    size = 0;
  }

  static int slot(long hi, long lo) {
    long h = (hi ^ (lo * 0x9E3779B97F4A7C15L));
    h ^= h >>> 32;
    h *= 0xD6E8FEB86659FD93L;
    return (int) (h ^ (h >>> 29));
  }

  Trace get(long hi, long lo) {
    for (int i = slot(hi, lo) & mask; ; i = (i + 1) & mask) {
      Trace t = values[i];
      if (t == null) {
        return null;
      }
      if (his[i] == hi && los[i] == lo) {
        return t;
      }
    }
  }

  void put(Trace t) {
    if ((size + 1) * 2 > values.length) {
      grow();
    }
    insert(t);
    size++;
  }

  private void insert(Trace t) {
    for (int i = slot(t.hi, t.lo) & mask; ; i = (i + 1) & mask) {
      if (values[i] == null) {
        his[i] = t.hi;
        los[i] = t.lo;
        values[i] = t;
        return;
      }
    }
  }

  void remove(Trace t) {
    int i = slot(t.hi, t.lo) & mask;
    while (values[i] != t) {
      if (values[i] == null) {
        return;
      }
      i = (i + 1) & mask;
    }
    values[i] = null;
    size--;
    // Shift back the entries after the hole that probed past it.
    for (int j = (i + 1) & mask; values[j] != null; j = (j + 1) & mask) {
      int home = slot(his[j], los[j]) & mask;
      boolean movable = i <= j ? home <= i || home > j : home <= i && home > j;
      if (movable) {
        his[i] = his[j];
        los[i] = los[j];
        values[i] = values[j];
        values[j] = null;
        i = j;
      }
    }
  }

  private void grow() {
    Trace[] old = values;
    int cap = old.length * 2;
    his = new long[cap];
    los = new long[cap];
    values = new Trace[cap];
    mask = cap - 1;
    for (Trace t : old) {
      if (t != null) {
        insert(t);
      }
    }
  }
}
