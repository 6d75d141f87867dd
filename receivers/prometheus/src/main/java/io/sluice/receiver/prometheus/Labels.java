package io.sluice.receiver.prometheus;

import java.util.Arrays;

/**
 * An immutable label set sorted by name (the metric name is not part of it). A target's parser
 * gives a series the same instance scrape after scrape ({@link SeriesCache}), so what is asked
 * of it every scrape is worked out once and kept: its hash, which of the labels the scrape
 * treats specially it has, the set without {@code le} or {@code quantile}, and its OTLP
 * attributes.
 */
final class Labels {
  static final Labels EMPTY = new Labels(new String[0], new String[0]);

  private final String[] names;
  private final String[] values;
  private int hash;
  /** {@link #FLAGS_KNOWN} once computed, with {@link #JOB_OR_INSTANCE} and {@link #SCOPE_NAME}. */
  private byte flags;
  /** The last {@link #without} result (owner: the label name); one object, so that another thread sees a matching pair. */
  private Made without;
  /** What the conversion to OTLP keeps for this label set (see {@link AttributeCache}); made from it alone. */
  private volatile Object converted;

  private static final byte FLAGS_KNOWN = 1;
  private static final byte JOB_OR_INSTANCE = 2;
  private static final byte SCOPE_NAME = 4;

  /** A set made from this one by {@code owner} (a scrape loop adding its target's labels, or {@link #without}). */
  private record Made(Object owner, Labels result) {}

  private Made made;

  private Labels(String[] names, String[] values) {
    this.names = names;
    this.values = values;
  }

  /** Copies the first {@code count} pairs, sorted by name; see {@link #duplicateName()}. */
  static Labels sortedCopy(String[] names, String[] values, int count) {
    if (count == 0) {
      return EMPTY;
    }
    String[] n = Arrays.copyOf(names, count);
    String[] v = Arrays.copyOf(values, count);
    // insertion sort: label sets are small and often already sorted
    for (int i = 1; i < count; i++) {
      String kn = n[i];
      String kv = v[i];
      int j = i - 1;
      while (j >= 0 && n[j].compareTo(kn) > 0) {
        n[j + 1] = n[j];
        v[j + 1] = v[j];
        j--;
      }
      n[j + 1] = kn;
      v[j + 1] = kv;
    }
    return new Labels(n, v);
  }

  static Labels of(String... pairs) {
    String[] n = new String[pairs.length / 2];
    String[] v = new String[pairs.length / 2];
    for (int i = 0; i < n.length; i++) {
      n[i] = pairs[2 * i];
      v[i] = pairs[2 * i + 1];
    }
    return sortedCopy(n, v, n.length);
  }

  /** A name that occurs twice, or null. */
  String duplicateName() {
    for (int i = 1; i < names.length; i++) {
      if (names[i].equals(names[i - 1])) {
        return names[i];
      }
    }
    return null;
  }

  int size() {
    return names.length;
  }

  String name(int i) {
    return names[i];
  }

  String value(int i) {
    return values[i];
  }

  /** The value of label {@code name}, or null. */
  String get(String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        return values[i];
      }
    }
    return null;
  }

  /** The set {@code owner} last made from this one with {@link #madeBy(Object, Labels)}, or null. */
  Labels madeBy(Object owner) {
    Made m = made;
    return m != null && m.owner == owner ? m.result : null;
  }

  /** Keeps what {@code owner} made from this set; one owner's at a time. */
  void madeBy(Object owner, Labels result) {
    made = new Made(owner, result);
  }

  /** What {@link AttributeCache} made of this label set, or null. */
  Object converted() {
    return converted;
  }

  void converted(Object value) {
    converted = value;
  }

  /** Whether it has a {@code job} or an {@code instance} label. */
  boolean hasJobOrInstance() {
    return (flags() & JOB_OR_INSTANCE) != 0;
  }

  /** Whether it has an {@code otel_scope_name} label. */
  boolean hasScopeName() {
    return (flags() & SCOPE_NAME) != 0;
  }

  private int flags() {
    byte f = flags;
    if (f == 0) {
      f = FLAGS_KNOWN;
      for (String n : names) {
        if (n.equals("job") || n.equals("instance")) {
          f |= JOB_OR_INSTANCE;
        } else if (n.equals(ScrapeToOtlp.SCOPE_NAME_LABEL)) {
          f |= SCOPE_NAME;
        }
      }
      flags = f;
    }
    return f;
  }

  /** This set without label {@code name} (this same instance if absent); the last answer is kept. */
  Labels without(String name) {
    Made w = without;
    if (w != null && w.owner.equals(name)) {
      return w.result;
    }
    Labels result = computeWithout(name);
    without = new Made(name, result);
    return result;
  }

  private Labels computeWithout(String name) {
    for (int i = 0; i < names.length; i++) {
      if (names[i].equals(name)) {
        String[] n = new String[names.length - 1];
        String[] v = new String[names.length - 1];
        System.arraycopy(names, 0, n, 0, i);
        System.arraycopy(values, 0, v, 0, i);
        System.arraycopy(names, i + 1, n, i, names.length - i - 1);
        System.arraycopy(values, i + 1, v, i, names.length - i - 1);
        return new Labels(n, v);
      }
    }
    return this;
  }

  /** Sum of the code points of all names and values (the OpenMetrics exemplar limit). */
  int codePointLength() {
    int len = 0;
    for (int i = 0; i < names.length; i++) {
      len += names[i].codePointCount(0, names[i].length());
      len += values[i].codePointCount(0, values[i].length());
    }
    return len;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    return o instanceof Labels other
        && Arrays.equals(names, other.names)
        && Arrays.equals(values, other.values);
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = 31 * Arrays.hashCode(names) + Arrays.hashCode(values);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("{");
    for (int i = 0; i < names.length; i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(names[i]).append("=\"").append(values[i]).append('"');
    }
    return sb.append('}').toString();
  }
}
