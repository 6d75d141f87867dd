package io.sluice.translation.prometheus.relabel;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An immutable set of Prometheus labels: name/value pairs sorted by name, names unique, no empty
 * values (as in Prometheus, a label with an empty value does not exist). Stored as one array of
 * alternating names and values, so building and reading one is cheap.
 */
public final class LabelSet {
  /** The set with no labels. */
  public static final LabelSet EMPTY = new LabelSet(new String[0]);

  /** name0, value0, name1, value1, ... sorted by name. */
  private final String[] pairs;

  private LabelSet(String[] pairs) {
    this.pairs = pairs;
  }

  /**
   * The labels given as alternating names and values: {@code of("job", "api", "instance", "a:1")}.
   * A later duplicate name wins; empty values are left out.
   */
  public static LabelSet of(String... namesAndValues) {
    if (namesAndValues.length % 2 != 0) {
      throw new IllegalArgumentException("expected names and values in pairs, got " + namesAndValues.length
          + " strings");
    }
    Builder b = new Builder(namesAndValues.length / 2);
    for (int i = 0; i < namesAndValues.length; i += 2) {
      b.set(namesAndValues[i], namesAndValues[i + 1]);
    }
    return b.build();
  }

  /** The labels of a map; empty values are left out. */
  public static LabelSet of(Map<String, String> labels) {
    Builder b = new Builder(labels.size());
    labels.forEach(b::set);
    return b.build();
  }

  public static Builder builder() {
    return new Builder(8);
  }

  /** A builder holding this set's labels, to change some of them. */
  public Builder toBuilder() {
    Builder b = new Builder(size() + 4);
    System.arraycopy(pairs, 0, b.pairs, 0, pairs.length);
    b.size = size();
    return b;
  }

  public int size() {
    return pairs.length / 2;
  }

  public boolean isEmpty() {
    return pairs.length == 0;
  }

  /** The name of the i-th label in name order. */
  public String name(int i) {
    return pairs[2 * i];
  }

  /** The value of the i-th label in name order. */
  public String value(int i) {
    return pairs[2 * i + 1];
  }

  /** The value of a label, or null when there is none. */
  public String get(String name) {
    int lo = 0;
    int hi = size() - 1;
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      int cmp = pairs[2 * mid].compareTo(name);
      if (cmp < 0) {
        lo = mid + 1;
      } else if (cmp > 0) {
        hi = mid - 1;
      } else {
        return pairs[2 * mid + 1];
      }
    }
    return null;
  }

  public boolean has(String name) {
    return get(name) != null;
  }

  /** The labels as a map in name order. */
  public Map<String, String> toMap() {
    Map<String, String> m = new LinkedHashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put(pairs[i], pairs[i + 1]);
    }
    return m;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LabelSet other && Arrays.equals(pairs, other.pairs);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(pairs);
  }

  /** Prometheus' notation: {@code {instance="a:1", job="api"}}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < pairs.length; i += 2) {
      if (i > 0) {
        sb.append(", ");
      }
      sb.append(pairs[i]).append("=\"");
      String v = pairs[i + 1];
      for (int k = 0; k < v.length(); k++) {
        char c = v.charAt(k);
        switch (c) {
          case '\\' -> sb.append("\\\\");
          case '"' -> sb.append("\\\"");
          case '\n' -> sb.append("\\n");
          default -> sb.append(c);
        }
      }
      sb.append('"');
    }
    return sb.append('}').toString();
  }

  /**
   * A mutable set of labels in no particular order, for building a {@link LabelSet} or changing
   * one: lookups scan, which beats hashing for the dozen labels a series has.
   */
  public static final class Builder {
    private String[] pairs;
    private int size;
    private boolean modified;

    private Builder(int capacity) {
      pairs = new String[Math.max(2, capacity * 2)];
    }

    /** Sets a label; an empty or null value deletes it, as in Prometheus. */
    public Builder set(String name, String value) {
      if (value == null || value.isEmpty()) {
        return delete(name);
      }
      int i = indexOf(name);
      if (i >= 0) {
        if (!pairs[2 * i + 1].equals(value)) {
          pairs[2 * i + 1] = value;
          modified = true;
        }
        return this;
      }
      if (2 * size + 2 > pairs.length) {
        pairs = Arrays.copyOf(pairs, pairs.length * 2);
      }
      pairs[2 * size] = name;
      pairs[2 * size + 1] = value;
      size++;
      modified = true;
      return this;
    }

    public Builder delete(String name) {
      int i = indexOf(name);
      if (i >= 0) {
        removeAt(i);
      }
      return this;
    }

    /** The value of a label, or null when there is none. */
    public String get(String name) {
      int i = indexOf(name);
      return i < 0 ? null : pairs[2 * i + 1];
    }

    public int size() {
      return size;
    }

    /** The name of the i-th label, in no particular order; for iterating with {@link #size()}. */
    public String name(int i) {
      return pairs[2 * i];
    }

    public String value(int i) {
      return pairs[2 * i + 1];
    }

    void removeAt(int i) {
      int last = size - 1;
      if (i != last) {
        pairs[2 * i] = pairs[2 * last];
        pairs[2 * i + 1] = pairs[2 * last + 1];
      }
      pairs[2 * last] = null;
      pairs[2 * last + 1] = null;
      size--;
      modified = true;
    }

    /** Whether a label was added, changed or deleted since the builder was made. */
    boolean modified() {
      return modified;
    }

    private int indexOf(String name) {
      for (int i = 0; i < size; i++) {
        if (pairs[2 * i].equals(name)) {
          return i;
        }
      }
      return -1;
    }

    public LabelSet build() {
      if (size == 0) {
        return EMPTY;
      }
      // Insertion sort by name: label sets are small and often nearly sorted.
      String[] out = Arrays.copyOf(pairs, 2 * size);
      for (int i = 1; i < size; i++) {
        String n = out[2 * i];
        String v = out[2 * i + 1];
        int j = i - 1;
        while (j >= 0 && out[2 * j].compareTo(n) > 0) {
          out[2 * j + 2] = out[2 * j];
          out[2 * j + 3] = out[2 * j + 1];
          j--;
        }
        out[2 * j + 2] = n;
        out[2 * j + 3] = v;
      }
      return new LabelSet(out);
    }
  }
}
