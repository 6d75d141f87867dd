package io.sluice.receiver.prometheus;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;

/**
 * The OTLP attributes of the label sets one target serves, kept from scrape to scrape: a target
 * serves the same series every time, and OTLP messages are immutable, so each label pair becomes
 * a {@code KeyValue} once and each label set a list of them once. Bounded: past {@link #LIMIT}
 * label sets (or label pairs) it starts over.
 *
 * <p>Not thread-safe: a scrape loop uses its cache from one scrape at a time.
 */
final class AttributeCache {
  static final int LIMIT = 1 << 16;

  private HashMap<Labels, List<KeyValue>> sets = new HashMap<>();
  private HashMap<String, HashMap<String, KeyValue>> pairs = new HashMap<>();
  private int pairCount;

  /** The attributes of {@code labels}, in their order; an unmodifiable list. */
  List<KeyValue> of(Labels labels) {
    List<KeyValue> known = sets.get(labels);
    if (known != null) {
      return known;
    }
    if (sets.size() >= LIMIT) {
      sets = new HashMap<>();
    }
    List<KeyValue> kvs = new ArrayList<>(labels.size());
    for (int i = 0; i < labels.size(); i++) {
      kvs.add(pair(labels.name(i), labels.value(i)));
    }
    known = Collections.unmodifiableList(kvs);
    sets.put(labels, known);
    return known;
  }

  private KeyValue pair(String name, String value) {
    HashMap<String, KeyValue> values = pairs.get(name);
    if (values == null) {
      values = new HashMap<>();
      pairs.put(name, values);
    }
    KeyValue kv = values.get(value);
    if (kv == null) {
      if (pairCount >= LIMIT) {
        pairs = new HashMap<>();
        pairCount = 0;
        values = new HashMap<>();
        pairs.put(name, values);
      }
      kv = KeyValue.newBuilder().setKey(name).setValue(AnyValue.newBuilder().setStringValue(value)).build();
      values.put(value, kv);
      pairCount++;
    }
    return kv;
  }
}
