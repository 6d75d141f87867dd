package io.sluice.processor.tailsampling;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The trace table and the decision caches against plain collections, under random operations. */
class TablesTest {
  private record Id(long hi, long lo) {}

  @Test
  void traceTableAgreesWithAHashMap() {
    Random r = new Random(7);
    TraceTable table = new TraceTable(4);
    Map<Id, Trace> expected = new HashMap<>();
    for (int step = 0; step < 100_000; step++) {
      // Few distinct IDs, many collisions in the low bits: probing and removal are exercised.
      Id id = new Id(r.nextInt(64), r.nextInt(512) * 1024L);
      if (r.nextInt(3) == 0 && expected.containsKey(id)) {
        table.remove(expected.remove(id));
      } else if (!expected.containsKey(id)) {
        Trace t = new Trace(id.hi(), id.lo(), 0);
        table.put(t);
        expected.put(id, t);
      }
      if (step % 10_000 == 0) {
        for (Map.Entry<Id, Trace> e : expected.entrySet()) {
          if (table.get(e.getKey().hi(), e.getKey().lo()) != e.getValue()) {
            throw new AssertionError("step " + step + ": " + e.getKey() + " not found");
          }
        }
        assertThat(table.size()).isEqualTo(expected.size());
      }
    }
    assertThat(table.get(-1, -1)).isNull();
  }

  @Test
  void decisionCacheForgetsTheOldestWhenFull() {
    DecisionCache cache = new DecisionCache(3000);
    ArrayDeque<Id> order = new ArrayDeque<>();
    Map<Id, Long> values = new HashMap<>();
    Random r = new Random(11);
    for (int step = 0; step < 100_000; step++) {
      Id id = new Id(r.nextInt(16), r.nextInt(8000));
      long v = r.nextInt(1000);
      if (!values.containsKey(id)) {
        if (order.size() == 3000) {
          values.remove(order.pollFirst());
        }
        order.addLast(id);
      }
      values.put(id, v);
      cache.put(id.hi(), id.lo(), v);
      if (step % 10_000 == 0) {
        for (Map.Entry<Id, Long> e : values.entrySet()) {
          if (cache.get(e.getKey().hi(), e.getKey().lo()) != e.getValue()) {
            throw new AssertionError("step " + step + ": " + e.getKey() + " has the wrong value");
          }
        }
      }
    }
    assertThat(cache.size()).isEqualTo(3000);
    int present = 0;
    for (long hi = 0; hi < 16; hi++) {
      for (long lo = 0; lo < 8000; lo++) {
        Id id = new Id(hi, lo);
        long got = cache.get(hi, lo);
        if (got != values.getOrDefault(id, -1L)) {
          throw new AssertionError(id + ": " + got + " instead of " + values.getOrDefault(id, -1L));
        }
        if (got >= 0) {
          present++;
        }
      }
    }
    assertThat(present).isEqualTo(3000);
  }
}
