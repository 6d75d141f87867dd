package io.sluice.translation.prometheus.otlp;

import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Prometheus label sets of scraped series, kept from batch to batch. The scrape receiver
 * gives a series the same {@code KeyValue} objects every scrape, so a point is recognised by its
 * metric name and the identity of its attribute objects, without reading a string: the label
 * set it had last time (sorted, with job, instance, external labels and name, and hashed) and
 * those of its {@code _sum}, {@code _count}, {@code _created} and bucket or quantile series
 * come back as the same {@link PromLabels} objects.
 *
 * <p>Kept per context (job, instance and the resource and scope labels), in the order the points
 * came: a target serves its series in the same order every scrape, so the entry after the last
 * one found is tried first, and the hash table is only consulted when that is not the one.
 *
 * <p>An entry unused for a
 * whole {@link #advance period} is dropped, and a context that holds more than
 * {@link #CONTEXT_LIMIT} entries starts over, so series that are gone, or attributes that are
 * new objects every time, cost bounded memory. Not thread-safe, like the translator that owns it.
 */
final class ScrapedLabelCache {
  static final int CONTEXT_LIMIT = 1 << 17;
  static final int CONTEXTS_LIMIT = 1 << 14;

  /** A context's key: job, instance, then the resource and scope label pairs. */
  private record ContextKey(String job, String instance, List<String> labels) {
  }

  static final class Context {
    private final HashMap<Object, Entry> entries = new HashMap<>();
    /** Every kept label set of the context, by content: each content is kept once. */
    private final HashMap<PromLabels, PromLabels> byContent = new HashMap<>();
    /** Entries in the order they were added; entry.index is the place of each. */
    private Entry[] order = new Entry[16];
    private int orderSize;
    /** Where the entry after the last one found is. */
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
      entries.clear();
      byContent.clear();
      Arrays.fill(order, 0, orderSize, null);
      orderSize = 0;
      cursor = 0;
    }

    /** Drops the entries last used before {@code keep}, keeping the order of the others. */
    private void sweep(int keep) {
      entries.values().removeIf(e -> e.epoch < keep);
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

  /** One point's label set, and those derived from it. */
  static final class Entry {
    final String name;
    final KeyValue[] attributes;
    final int hash;
    final PromLabels labels;
    /** The list the attributes last came in; the receiver passes the same list scrape after scrape. */
    private List<KeyValue> list;
    private int index;
    private PromLabels[] derived;
    private String[] derivedNames;
    /** Extra label name and value of each derived set, two slots each. */
    private String[] derivedExtras;
    private int epoch;

    Entry(String name, List<KeyValue> list, int hash, PromLabels labels) {
      this.name = name;
      this.attributes = list.toArray(new KeyValue[0]);
      this.list = list;
      this.hash = hash;
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

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o == this;
    }
  }

  /** A reusable lookup key: equal to the entry of the same name and attribute objects. */
  private static final class Probe {
    String name;
    List<KeyValue> attributes;
    int hash;

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Entry e && e.hash == hash && e.matches(name, attributes);
    }
  }

  private final Map<ContextKey, Context> contexts = new HashMap<>();
  private final Probe probe = new Probe();
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

  /** The entry of a point of metric {@code name} with these attributes, or null when not known. */
  Entry find(Context c, String name, List<KeyValue> attributes) {
    Entry e = null;
    int k = c.cursor;
    if (k < c.orderSize && c.order[k].matches(name, attributes)) {
      e = c.order[k];
    } else {
      Probe p = probe;
      p.name = name;
      p.attributes = attributes;
      p.hash = hash(name, attributes);
      e = c.entries.get(p);
      p.attributes = null;
    }
    if (e != null) {
      e.epoch = epoch;
      e.labels.epoch = epoch;
      c.cursor = e.index + 1;
    }
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

  /** Remembers the label set of a point that {@link #find} did not know. */
  Entry add(Context c, String name, List<KeyValue> attributes, PromLabels labels) {
    if (c.entries.size() >= CONTEXT_LIMIT) {
      c.clear();
    }
    Entry e = new Entry(name, attributes, hash(name, attributes), labels);
    e.epoch = epoch;
    c.entries.put(e, e);
    c.append(e);
    c.cursor = e.index + 1;
    return e;
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

  /** How many entries all contexts hold; for tests. */
  int size() {
    int n = 0;
    for (Context c : contexts.values()) {
      n += c.entries.size();
    }
    return n;
  }

  private static int hash(String name, List<KeyValue> attributes) {
    int h = name.hashCode();
    for (int i = 0, n = attributes.size(); i < n; i++) {
      h = h * 0x9E3779B1 + System.identityHashCode(attributes.get(i));
    }
    return h ^ (h >>> 15);
  }

  private static boolean same(String a, String b) {
    return a == b || a != null && a.equals(b);
  }
}
