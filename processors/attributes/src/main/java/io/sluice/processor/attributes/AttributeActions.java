package io.sluice.processor.attributes;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import io.opentelemetry.proto.common.v1.AnyValue;
import io.opentelemetry.proto.common.v1.KeyValue;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Predicate;

/**
 * A list of compiled actions run in order over one attribute list. Stateless and safe to share
 * between threads.
 */
final class AttributeActions {
  private enum Kind { INSERT, UPDATE, UPSERT, DELETE, HASH, EXTRACT, CONVERT }

  /** One action; the unused fields are null. */
  private record Step(Kind kind, String key, AnyValue value, String fromAttribute, String contextKey,
      Pattern pattern, List<String> groups, String convertedType, AnyValue defaultValue) {}

  private final List<Step> steps;

  private AttributeActions(List<Step> steps) {
    this.steps = steps;
  }

  /** Compiles actions that passed validation. */
  static AttributeActions compile(List<AttributeActionConfig> configs) {
    List<Step> steps = new ArrayList<>();
    for (AttributeActionConfig c : configs) {
      Kind kind = Kind.valueOf(c.actionName().toUpperCase(Locale.ROOT));
      String key = c.key() == null || c.key().isEmpty() ? null : c.key();
      Pattern pattern = c.pattern() == null || c.pattern().isEmpty() ? null : Pattern.compile(c.pattern());
      List<String> groups = null;
      if (kind == Kind.EXTRACT) {
        // In the order the groups are written.
        groups = pattern.namedGroups().entrySet().stream()
            .sorted(Map.Entry.comparingByValue()).map(Map.Entry::getKey).toList();
      }
      String contextKey = null;
      if (c.fromContext() != null && !c.fromContext().isEmpty()) {
        String fc = c.fromContext();
        contextKey = fc.startsWith("metadata.") ? fc.substring("metadata.".length()) : fc;
      }
      steps.add(new Step(kind, key, c.value() == null ? null : Values.fromYaml(c.value()),
          c.fromAttribute() == null || c.fromAttribute().isEmpty() ? null : c.fromAttribute(), contextKey, pattern,
          groups, c.convertedType() == null ? null : c.convertedType().trim().toLowerCase(Locale.ROOT),
          c.defaultValue() == null ? null : Values.fromYaml(c.defaultValue())));
    }
    return new AttributeActions(List.copyOf(steps));
  }

  /**
   * Runs the actions over {@code attributes}.
   *
   * @param metadata the request metadata of the batch, for {@code from_context}
   * @return {@code attributes} itself when nothing changed, else a new list
   */
  List<KeyValue> apply(List<KeyValue> attributes, Map<String, String> metadata) {
    Work w = new Work(attributes);
    for (Step s : steps) {
      switch (s.kind) {
        case INSERT, UPDATE, UPSERT -> {
          AnyValue v = source(s, w, metadata);
          if (v == null) {
            break;
          }
          int at = w.indexOf(s.key);
          if (at < 0 ? s.kind != Kind.UPDATE : s.kind != Kind.INSERT) {
            w.put(s.key, v);
          }
        }
        case DELETE -> {
          if (s.key != null) {
            w.removeIf(k -> k.equals(s.key));
          }
          if (s.pattern != null) {
            w.removeIf(k -> s.pattern.matcher(k).find());
          }
        }
        case HASH -> {
          for (int i = 0; i < w.size(); i++) {
            KeyValue kv = w.get(i);
            String k = kv.getKey();
            if (k.equals(s.key) || s.pattern != null && s.pattern.matcher(k).find()) {
              w.set(i, kv.toBuilder().setValue(Values.hash(kv.getValue())).build());
            }
          }
        }
        case EXTRACT -> {
          AnyValue v = w.value(s.key);
          if (v == null || v.getValueCase() != AnyValue.ValueCase.STRING_VALUE) {
            break;
          }
          Matcher m = s.pattern.matcher(v.getStringValue());
          if (!m.find()) {
            break;
          }
          for (String g : s.groups) {
            String found = m.group(g);
            w.put(g, Values.string(found == null ? "" : found));
          }
        }
        case CONVERT -> {
          int at = w.indexOf(s.key);
          if (at < 0) {
            break;
          }
          KeyValue kv = w.get(at);
          AnyValue converted = Values.convert(kv.getValue(), s.convertedType);
          if (converted != null && converted != kv.getValue()) {
            w.set(at, kv.toBuilder().setValue(converted).build());
          }
        }
      }
    }
    return w.result();
  }

  /** The value an insert, update or upsert writes: its source's, else its default; null for none. */
  private static AnyValue source(Step s, Work w, Map<String, String> metadata) {
    AnyValue found = sourceValue(s, w, metadata);
    return found != null ? found : s.defaultValue;
  }

  private static AnyValue sourceValue(Step s, Work w, Map<String, String> metadata) {
    if (s.value != null) {
      return s.value;
    } else if (s.fromAttribute != null) {
      return w.value(s.fromAttribute);
    } else if (s.contextKey != null) {
      String found = metadata.get(s.contextKey);
      if (found == null) {
        for (Map.Entry<String, String> e : metadata.entrySet()) {
          if (e.getKey().equalsIgnoreCase(s.contextKey)) {
            found = e.getValue();
            break;
          }
        }
      }
      return found == null ? null : Values.string(found);
    }
    return null;
  }

  /** The attribute list being changed, copied on the first change. */
  private static final class Work {
    private final List<KeyValue> original;
    private List<KeyValue> list;

    Work(List<KeyValue> original) {
      this.original = original;
      this.list = original;
    }

    int size() {
      return list.size();
    }

    KeyValue get(int i) {
      return list.get(i);
    }

    int indexOf(String key) {
      for (int i = 0; i < list.size(); i++) {
        if (list.get(i).getKey().equals(key)) {
          return i;
        }
      }
      return -1;
    }

    AnyValue value(String key) {
      int i = indexOf(key);
      return i < 0 ? null : list.get(i).getValue();
    }

    /** Sets {@code key} in place when present, else appends it; a same value changes nothing. */
    void put(String key, AnyValue v) {
      int i = indexOf(key);
      if (i >= 0) {
        if (!list.get(i).getValue().equals(v)) {
          set(i, KeyValue.newBuilder().setKey(key).setValue(v).build());
        }
      } else {
        writable().add(KeyValue.newBuilder().setKey(key).setValue(v).build());
      }
    }

    void set(int i, KeyValue kv) {
      writable().set(i, kv);
    }

    void removeIf(Predicate<String> key) {
      for (int i = list.size() - 1; i >= 0; i--) {
        if (key.test(list.get(i).getKey())) {
          writable().remove(i);
        }
      }
    }

    private List<KeyValue> writable() {
      if (list == original) {
        list = new ArrayList<>(original);
      }
      return list;
    }

    List<KeyValue> result() {
      return list;
    }
  }
}
