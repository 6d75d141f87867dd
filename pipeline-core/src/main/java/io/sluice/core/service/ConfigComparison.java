package io.sluice.core.service;

import io.sluice.core.tls.TlsServerSettings;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a reload compares: whether two bound component configs are the same, and whether a
 * changed one may run beside the one it replaces.
 *
 * <p>Configs are records of records, lists, maps and values, so equality is mostly
 * {@code equals}; this walks them itself so that values without value equality (compiled
 * patterns, arrays) compare by what they say rather than by identity. A value it cannot compare
 * counts as changed, which costs a restart, never a wrong reuse.
 */
final class ConfigComparison {
  private ConfigComparison() {}

  /** True when {@code a} and {@code b} configure a component the same way. */
  static boolean same(Object a, Object b) {
    if (a == b) {
      return true;
    }
    if (a == null || b == null || a.getClass() != b.getClass()) {
      return false;
    }
    if (a instanceof Pattern p) {
      Pattern q = (Pattern) b;
      return p.pattern().equals(q.pattern()) && p.flags() == q.flags();
    }
    if (a.getClass().isRecord()) {
      for (RecordComponent c : a.getClass().getRecordComponents()) {
        if (!same(read(c, a), read(c, b))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof List<?> l) {
      List<?> m = (List<?>) b;
      if (l.size() != m.size()) {
        return false;
      }
      for (int i = 0; i < l.size(); i++) {
        if (!same(l.get(i), m.get(i))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Map<?, ?> l) {
      Map<?, ?> m = (Map<?, ?>) b;
      if (!l.keySet().equals(m.keySet())) {
        return false;
      }
      for (Map.Entry<?, ?> e : l.entrySet()) {
        if (!same(e.getValue(), m.get(e.getKey()))) {
          return false;
        }
      }
      return true;
    }
    if (a instanceof Set<?> s) {
      return s.equals(b);
    }
    if (a.getClass().isArray()) {
      return Arrays.deepEquals(new Object[] {a}, new Object[] {b});
    }
    return a.equals(b);
  }

  /**
   * True when a changed component must stop before its replacement starts rather than run beside
   * it: when the TLS settings of a listener changed (a new server joins the socket the old one
   * holds and would serve with the old one's TLS), or when either config names a storage
   * extension (two instances would share the same files on disk).
   */
  static boolean mustStopFirst(Object before, Object after) {
    if (namesStorage(before) || namesStorage(after)) {
      return true;
    }
    List<Object> tlsBefore = new ArrayList<>();
    List<Object> tlsAfter = new ArrayList<>();
    collect(before, TlsServerSettings.class, tlsBefore);
    collect(after, TlsServerSettings.class, tlsAfter);
    return !same(tlsBefore, tlsAfter);
  }

  private static boolean namesStorage(Object config) {
    List<Object> found = new ArrayList<>();
    collectNamed(config, "storage", found);
    return found.stream().anyMatch(v -> v instanceof String s && !s.isBlank());
  }

  private static void collect(Object node, Class<?> type, List<Object> out) {
    if (node == null) {
      return;
    }
    if (type.isInstance(node)) {
      out.add(node);
      return;
    }
    children(node).forEachRemaining(child -> collect(child, type, out));
  }

  private static void collectNamed(Object node, String name, List<Object> out) {
    if (node != null && node.getClass().isRecord()) {
      for (RecordComponent c : node.getClass().getRecordComponents()) {
        Object v = read(c, node);
        if (c.getName().equals(name)) {
          out.add(v);
        }
        collectNamed(v, name, out);
      }
      return;
    }
    if (node != null) {
      children(node).forEachRemaining(child -> collectNamed(child, name, out));
    }
  }

  private static Iterator<?> children(Object node) {
    if (node.getClass().isRecord()) {
      List<Object> values = new ArrayList<>();
      for (RecordComponent c : node.getClass().getRecordComponents()) {
        values.add(read(c, node));
      }
      return values.iterator();
    }
    if (node instanceof Iterable<?> it) {
      return it.iterator();
    }
    if (node instanceof Map<?, ?> m) {
      return m.values().iterator();
    }
    return List.of().iterator();
  }

  private static Object read(RecordComponent c, Object record) {
    try {
      var accessor = c.getAccessor();
      accessor.setAccessible(true);
      return accessor.invoke(record);
    } catch (ReflectiveOperationException | RuntimeException e) {
      // Unreadable: a fresh object never equals another, so the component counts as changed.
      return new Object() {
        @Override
        public boolean equals(Object o) {
          return false;
        }

        @Override
        public int hashCode() {
          return Objects.hashCode(c.getName());
        }
      };
    }
  }
}
