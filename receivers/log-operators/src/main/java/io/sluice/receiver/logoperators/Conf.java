package io.sluice.receiver.logoperators;

import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One map of operator settings being read: typed getters that record a {@link ConfigProblem}
 * with the full key path ({@code operators[2].timestamp.layout}) instead of throwing, so every
 * problem of every operator is reported at once, and a check that refuses keys that were not
 * read.
 */
final class Conf {
  private final Map<String, Object> map;
  private final String path;
  private final List<ConfigProblem> problems;
  private final boolean isMap;

  @SuppressWarnings("unchecked")
  Conf(Object node, String path, List<ConfigProblem> problems) {
    this.path = path;
    this.problems = problems;
    this.isMap = node instanceof Map;
    if (node instanceof Map<?, ?> m) {
      this.map = (Map<String, Object>) m;
    } else {
      this.map = new LinkedHashMap<>();
      problems.add(new ConfigProblem(path, "expected a map of settings, got " + describe(node)));
    }
  }

  /** False when the node was not a map (already reported). */
  boolean isMap() {
    return isMap;
  }

  String path() {
    return path;
  }

  String path(String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  void problem(String key, String message) {
    problems.add(new ConfigProblem(key == null ? path : path(key), message));
  }

  int problemCount() {
    return problems.size();
  }

  List<ConfigProblem> problems() {
    return problems;
  }

  boolean has(String key) {
    return map.get(key) != null;
  }

  Object raw(String key) {
    return map.get(key);
  }

  String string(String key, String def) {
    Object v = map.get(key);
    if (v == null) {
      return def;
    } else if (v instanceof String s) {
      return s;
    }
    problem(key, "expected a string, got " + describe(v));
    return def;
  }

  String requiredString(String key, String hint) {
    if (!has(key)) {
      problem(key, "is required" + (hint == null ? "" : "; " + hint));
      return null;
    }
    String s = string(key, null);
    if (s != null && s.isEmpty()) {
      problem(key, "must not be empty" + (hint == null ? "" : "; " + hint));
    }
    return s;
  }

  boolean bool(String key, boolean def) {
    Object v = map.get(key);
    if (v == null) {
      return def;
    } else if (v instanceof Boolean b) {
      return b;
    }
    problem(key, "expected true or false, got " + describe(v));
    return def;
  }

  long integer(String key, long def) {
    Object v = map.get(key);
    if (v == null) {
      return def;
    } else if (v instanceof Integer || v instanceof Long || v instanceof Short) {
      return ((Number) v).longValue();
    }
    problem(key, "expected an integer, got " + describe(v));
    return def;
  }

  double number(String key, double def) {
    Object v = map.get(key);
    if (v == null) {
      return def;
    } else if (v instanceof Number n) {
      return n.doubleValue();
    }
    problem(key, "expected a number, got " + describe(v));
    return def;
  }

  Field field(String key, Field def) {
    String s = string(key, null);
    if (s == null) {
      return def;
    }
    try {
      return Field.parse(s);
    } catch (IllegalArgumentException e) {
      problem(key, e.getMessage());
      return def;
    }
  }

  Field requiredField(String key) {
    if (!has(key)) {
      problem(key, "is required; expected a field such as " + Field.FORMS);
      return null;
    }
    return field(key, null);
  }

  /** An {@code if}/{@code expr} condition, or null when the key is absent or invalid. */
  Expr condition(String key) {
    String s = string(key, null);
    if (s == null) {
      return null;
    }
    try {
      return Expr.parseCondition(s);
    } catch (IllegalArgumentException e) {
      problem(key, e.getMessage());
      return null;
    }
  }

  /** A nested map of settings, or null when absent. */
  Conf sub(String key) {
    Object v = map.get(key);
    return v == null ? null : new Conf(v, path(key), problems);
  }

  /** A string or a list of strings (as {@code output} and a router's {@code default} take). */
  List<String> strings(String key) {
    Object v = map.get(key);
    List<String> out = new ArrayList<>();
    if (v == null) {
      return out;
    } else if (v instanceof String s) {
      out.add(s);
    } else if (v instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        if (l.get(i) instanceof String s) {
          out.add(s);
        } else {
          problems.add(new ConfigProblem(path(key) + "[" + i + "]", "expected a string, got " + describe(l.get(i))));
        }
      }
    } else {
      problem(key, "expected a string or a list of strings, got " + describe(v));
    }
    return out;
  }

  /** Refuses every key not in {@code valid}, listing the valid ones. */
  void refuseUnknown(Collection<String> valid) {
    Set<String> sorted = new TreeSet<>(valid);
    for (String k : map.keySet()) {
      if (!valid.contains(k)) {
        problems.add(new ConfigProblem(path(k), "unknown key; valid keys: " + String.join(", ", sorted)));
      }
    }
  }

  static String describe(Object v) {
    if (v == null) {
      return "an empty value";
    } else if (v instanceof Map) {
      return "a map";
    } else if (v instanceof List) {
      return "a list";
    } else if (v instanceof String s) {
      return "\"" + s + "\"";
    }
    return String.valueOf(v);
  }
}
