package io.sluice.receiver.prometheus;

import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import java.util.HashMap;
import java.util.List;

/**
 * The OTLP attributes of the label sets one target serves, kept from scrape to scrape: a target
 * serves the same series every time, and OTLP messages are immutable, so each label pair becomes
 * a {@code KeyValue} once, and each label set a list of them once, held in a number point that
 * has only those attributes and kept with the {@link Labels} (which the parser gives a series
 * scrape after scrape): a point built from it ({@code toBuilder()}) shares the list rather than
 * copying it. Bounded: past {@link #LIMIT} label pairs it starts over.
 *
 * <p>Not thread-safe: a scrape loop uses its cache from one scrape at a time.
 */
final class AttributeCache {
  static final int LIMIT = 1 << 16;

  private HashMap<String, HashMap<String, KeyValue>> pairs = new HashMap<>();
  private int pairCount;

  /** The attributes of {@code labels}, in their order; an unmodifiable list. */
  List<KeyValue> of(Labels labels) {
    return numberPoint(labels).getAttributesList();
  }

  /** A number point with the attributes of {@code labels} and nothing else, kept with the label set. */
  NumberDataPoint numberPoint(Labels labels) {
    if (labels.converted() instanceof NumberDataPoint kept) {
      return kept;
    }
    NumberDataPoint.Builder p = NumberDataPoint.newBuilder();
    for (int i = 0; i < labels.size(); i++) {
      p.addAttributes(pair(labels.name(i), labels.value(i)));
    }
    NumberDataPoint made = p.build();
    labels.converted(made);
    return made;
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
