package io.sluice.processor.seriesstate;

import io.opentelemetry.proto.common.v1.KeyValue;
import io.sluice.core.otlp.AnyValues;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;

/** Attribute lists as sets: in key order, filtered by key. */
public final class AttributeSets {
  private static final Comparator<KeyValue> BY_KEY = Comparator.comparing(KeyValue::getKey);

  private AttributeSets() {}

  /** The attributes in key order: the list itself when it already is, else a sorted copy. */
  public static List<KeyValue> sorted(List<KeyValue> attributes) {
    for (int i = 1, n = attributes.size(); i < n; i++) {
      if (attributes.get(i - 1).getKey().compareTo(attributes.get(i).getKey()) > 0) {
        List<KeyValue> copy = new ArrayList<>(attributes);
        copy.sort(BY_KEY);
        return copy;
      }
    }
    return attributes;
  }

  /**
   * The attributes whose key is in {@code keys} ({@code keep}) or is not ({@code !keep}), in the
   * order given: the list itself when nothing goes.
   */
  public static List<KeyValue> filter(List<KeyValue> attributes, Set<String> keys, boolean keep) {
    int n = attributes.size();
    int i = 0;
    while (i < n && keys.contains(attributes.get(i).getKey()) == keep) {
      i++;
    }
    if (i == n) {
      return attributes;
    }
    List<KeyValue> out = new ArrayList<>(n - 1);
    for (int j = 0; j < i; j++) {
      out.add(attributes.get(j));
    }
    for (int j = i + 1; j < n; j++) {
      KeyValue kv = attributes.get(j);
      if (keys.contains(kv.getKey()) == keep) {
        out.add(kv);
      }
    }
    return out;
  }

  /** {@code {k="v", ...}}, for logs and messages. */
  public static String describe(List<KeyValue> attributes) {
    StringBuilder sb = new StringBuilder("{");
    for (KeyValue kv : attributes) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(kv.getKey()).append("=\"").append(AnyValues.asString(kv.getValue())).append('"');
    }
    return sb.append('}').toString();
  }
}
