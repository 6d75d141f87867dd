package io.sluice.translation.prometheus.otlp;

import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Prometheus label sets of scraped series, kept from batch to batch. The scrape receiver
 * gives a series the same {@code KeyValue} objects every scrape, in the same order, so a point is
 * recognised by its metric name and the identity of its attribute objects, compared with the
 * point that followed the last one recognised: the label set it had last time (sorted, with job,
 * instance, external labels and name, and hashed) and those of its {@code _sum}, {@code _count},
 * {@code _created} and bucket or quantile series come back as the same {@link PromLabels}
 * objects, without a string being read. A point not found so has its labels made, and is then
 * found among the kept label sets by content.
 *
 * <p>Kept per context (job, instance and the resource and scope labels), in which each label
 * content is kept once. A label set unused for a whole {@link #advance period} is dropped, and a
 * context that holds more than {@link #CONTEXT_LIMIT} starts over, so series that are gone, or
 * attributes that are new objects every time, cost bounded memory. Not thread-safe, like the
 * translator that owns it.
 */
final class ScrapedLabelCache {
  static final int CONTEXT_LIMIT = 1 << 17;
  static final int CONTEXTS_LIMIT = 1 << 14;

  /** A context's key: job, instance, then the resource and scope label pairs. */
  private record ContextKey(String job, String instance, List<String> labels) {
  }

  static final class Context {
    /** Every kept label set of the context, by content: each content is kept once. */
    private final HashMap<PromLabels, PromLabels> byContent = new HashMap<>();
    /** Points in the order they were first seen; entry.index is the place of each. */
    private Entry[] order = new Entry[16];
    private int orderSize;
    /** Where the point after the last one found is. */
    private int cursor;
    private int epoch;

    private void append(Entry e) {
      if (orderSize == order.length) {
        order = Arrays.copyOf(order, orderSize * 2);
      }
      e.index = orderSize;
      order[orderSize++] = e;
    }

    private void clear() {
      byContent.clear();
      Arrays.fill(order, 0, orderSize, null);
      orderSize = 0;
      cursor = 0;
    }

    /** Drops what was last used before {@code keep}, keeping the order of the rest. */
    private void sweep(int keep) {
      byContent.values().removeIf(l -> l.epoch < keep);
      int w = 0;
      for (int i = 0; i < orderSize; i++) {
        Entry e = order[i];
        if (e.epoch >= keep) {
          e.index = w;
          e.derived = null; // derived again (and found in byContent again) when next used
          order[w++] = e;
        }
      }
      Arrays.fill(order, w, orderSize, null);
      orderSize = w;
      cursor = 0;
    }
  }

  /** One kind of point (metric name and attribute objects), its label set and those derived from it. */
  static final class Entry {
    final String name;
    final KeyValue[] attributes;
    final PromLabels labels;
    /** The list the attributes last came in; the receiver passes the same list scrape after scrape. */
    private List<KeyValue> list;
    private int index;
    private PromLabels[] derived;
    private String[] derivedNames;
    /** Extra label name and value of each derived set, two slots each. */
    private String[] derivedExtras;
    private int epoch;

    Entry(String name, List<KeyValue> list, PromLabels labels) {
      this.name = name;
      this.attributes = list.toArray(new KeyValue[0]);
      this.list = list;
      this.labels = labels;
    }

    /** Whether this is the entry of a point of metric {@code n} with these attribute objects. */
    boolean matches(String n, List<KeyValue> attrs) {
      if (!same(name, n)) {
        return false;
      }
      if (attrs == list) {
        return true;
      }
      KeyValue[] known = attributes;
      if (known.length != attrs.size()) {
        return false;
      }
      for (int i = 0; i < known.length; i++) {
        if (known[i] != attrs.get(i)) {
          return false;
        }
      }
      list = attrs;
      return true;
    }

    /** The derived label set in {@code slot}, if it was made with that name and extra label. */
    PromLabels derived(int slot, String derivedName, String extraName, String extraValue) {
      if (derived == null || slot >= derived.length) {
        return null;
      }
      PromLabels d = derived[slot];
      if (d == null || !same(derivedNames[slot], derivedName) || !same(derivedExtras[2 * slot], extraName)
          || !same(derivedExtras[2 * slot + 1], extraValue)) {
        return null;
      }
      return d;
    }

    void derived(int slot, String derivedName, String extraName, String extraValue, PromLabels labels) {
      if (derived == null || slot >= derived.length) {
        int size = Math.max(slot + 1, derived == null ? 3 : derived.length * 2);
        derived = derived == null ? new PromLabels[size] : Arrays.copyOf(derived, size);
        derivedNames = derivedNames == null ? new String[size] : Arrays.copyOf(derivedNames, size);
        derivedExtras = derivedExtras == null ? new String[2 * size] : Arrays.copyOf(derivedExtras, 2 * size);
      }
      derived[slot] = labels;
      derivedNames[slot] = derivedName;
      derivedExtras[2 * slot] = extraName;
      derivedExtras[2 * slot + 1] = extraValue;
    }
  }

  private final Map<ContextKey, Context> contexts = new HashMap<>();
  private int epoch;

  /** The context of one resource and scope. */
  Context context(String job, String instance, String[] resourceLabels, String[] scopeLabels) {
    String[] all = new String[resourceLabels.length + scopeLabels.length];
    System.arraycopy(resourceLabels, 0, all, 0, resourceLabels.length);
    System.arraycopy(scopeLabels, 0, all, resourceLabels.length, scopeLabels.length);
    ContextKey key = new ContextKey(job, instance, Arrays.asList(all));
    Context c = contexts.get(key);
    if (c == null) {
      if (contexts.size() >= CONTEXTS_LIMIT) {
        contexts.clear();
      }
      c = new Context();
      contexts.put(key, c);
    }
    c.epoch = epoch;
    return c;
  }

  /**
   * The entry of a point of metric {@code name} with these attribute objects, when it is the one
   * that followed the last point found (or, after the last, the first); else null.
   */
  Entry find(Context c, String name, List<KeyValue> attributes) {
    int k = c.cursor;
    if (k >= c.orderSize) {
      k = 0; // the next scrape of the target starts over
    }
    if (k >= c.orderSize) {
      return null;
    }
    Entry e = c.order[k];
    if (!e.matches(name, attributes)) {
      return null;
    }
    e.epoch = epoch;
    e.labels.epoch = epoch;
    c.cursor = k + 1;
    return e;
  }

  /**
   * The entry of a point {@link #find} did not find, whose label set was made as {@code labels}:
   * the kept label set of that content (an earlier one, or {@code labels}, now kept) with the
   * entry that made it, or a new entry.
   */
  Entry add(Context c, String name, List<KeyValue> attributes, PromLabels labels) {
    if (c.byContent.size() >= CONTEXT_LIMIT) {
      c.clear();
    }
    PromLabels kept = keep(c, labels);
    if (kept.owner instanceof Entry known && known.matches(name, attributes)) {
      known.epoch = epoch;
      c.cursor = known.index + 1;
      return known;
    }
    Entry e = new Entry(name, attributes, kept);
    e.epoch = epoch;
    kept.owner = e;
    c.append(e);
    c.cursor = e.index + 1;
    return e;
  }

  /**
   * The context's kept label set equal to {@code labels}: an earlier one if there is one, else
   * {@code labels} itself, now kept.
   */
  PromLabels keep(Context c, PromLabels labels) {
    PromLabels known = c.byContent.putIfAbsent(labels, labels);
    if (known != null) {
      known.epoch = epoch;
      return known;
    }
    labels.kept = true;
    labels.epoch = epoch;
    return labels;
  }

  /** The period now; label sets used in it are kept through the next {@link #advance}. */
  int epoch() {
    return epoch;
  }

  /**
   * Starts a new period: what was not used in the one before it is dropped. The translator calls
   * this every few minutes.
   */
  void advance() {
    int keep = epoch;
    epoch++;
    contexts.values().removeIf(c -> c.epoch < keep);
    for (Context c : contexts.values()) {
      c.sweep(keep);
    }
  }

  /** How many label sets all contexts keep; for tests. */
  int size() {
    int n = 0;
    for (Context c : contexts.values()) {
      n += c.byContent.size();
    }
    return n;
  }

  private static boolean same(String a, String b) {
    return a == b || a != null && a.equals(b);
  }
}
