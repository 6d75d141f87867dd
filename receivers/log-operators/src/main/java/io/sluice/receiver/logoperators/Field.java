package io.sluice.receiver.logoperators;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A place in a {@link LogEntry}, written as the Collector writes fields: {@code body}, {@code
 * body.key.sub}, {@code attributes.key}, {@code resource.key}, and the bracket form for keys
 * with dots, {@code attributes["log.file.path"]}. {@code attributes.log.file.path} is the nested
 * key {@code path} in {@code file} in {@code log}, as in the Collector.
 *
 * <p>Immutable and thread-safe; parse once at config time.
 */
public final class Field {
  /** Which part of the entry a field is in. */
  public enum Root {
    BODY("body"),
    ATTRIBUTES("attributes"),
    RESOURCE("resource");

    final String text;

    Root(String text) {
      this.text = text;
    }
  }

  static final String FORMS =
      "body, body.key, attributes.key, attributes[\"dotted.key\"] or resource.key";

  private final Root root;
  private final String[] keys;
  private final String text;

  private Field(Root root, String[] keys, String text) {
    this.root = root;
    this.keys = keys;
    this.text = text;
  }

  public static Field body(String... keys) {
    return new Field(Root.BODY, keys.clone(), render(Root.BODY, keys));
  }

  public static Field attribute(String... keys) {
    return new Field(Root.ATTRIBUTES, keys.clone(), render(Root.ATTRIBUTES, keys));
  }

  public static Field resource(String... keys) {
    return new Field(Root.RESOURCE, keys.clone(), render(Root.RESOURCE, keys));
  }

  /**
   * Parses a field path.
   *
   * @throws IllegalArgumentException saying what is wrong and what the valid forms are
   */
  public static Field parse(String path) {
    if (path == null || path.isEmpty()) {
      throw new IllegalArgumentException("an empty field; expected " + FORMS);
    }
    List<String> parts = new ArrayList<>();
    int i = 0;
    int n = path.length();
    StringBuilder cur = new StringBuilder();
    boolean afterBracket = false;
    while (i < n) {
      char c = path.charAt(i);
      if (c == '.') {
        if (!afterBracket) {
          if (cur.length() == 0) {
            throw new IllegalArgumentException("\"" + path + "\" has an empty key; expected " + FORMS);
          }
          parts.add(cur.toString());
          cur.setLength(0);
        }
        afterBracket = false;
        i++;
        if (i == n) {
          throw new IllegalArgumentException("\"" + path + "\" ends with a dot; expected " + FORMS);
        }
      } else if (c == '[') {
        if (!afterBracket) {
          if (cur.length() == 0) {
            throw new IllegalArgumentException("\"" + path + "\" has a bracket with no key before it; expected "
                + FORMS);
          }
          parts.add(cur.toString());
          cur.setLength(0);
        }
        if (i + 1 >= n || (path.charAt(i + 1) != '"' && path.charAt(i + 1) != '\'')) {
          throw new IllegalArgumentException("\"" + path + "\": a bracket must hold a quoted key, as in "
              + "attributes[\"dotted.key\"]");
        }
        char quote = path.charAt(i + 1);
        int close = path.indexOf(quote, i + 2);
        if (close < 0 || close + 1 >= n || path.charAt(close + 1) != ']') {
          throw new IllegalArgumentException("\"" + path + "\" has an unclosed bracket; expected "
              + "attributes[\"dotted.key\"]");
        }
        parts.add(path.substring(i + 2, close));
        i = close + 2;
        afterBracket = true;
      } else {
        if (afterBracket) {
          throw new IllegalArgumentException("\"" + path + "\": expected \".\" or \"[\" after \"]\"");
        }
        cur.append(c);
        i++;
      }
    }
    if (!afterBracket) {
      parts.add(cur.toString());
    }
    String first = parts.get(0);
    Root root = switch (first) {
      case "body" -> Root.BODY;
      case "attributes" -> Root.ATTRIBUTES;
      case "resource" -> Root.RESOURCE;
      default -> throw new IllegalArgumentException("\"" + path + "\" does not start with body, attributes or "
          + "resource; expected " + FORMS);
    };
    return new Field(root, parts.subList(1, parts.size()).toArray(new String[0]), path);
  }

  public Root root() {
    return root;
  }

  /** True for {@code body}, {@code attributes} and {@code resource} themselves. */
  public boolean isRoot() {
    return keys.length == 0;
  }

  /** The keys below the root; empty for a root. */
  String[] keys() {
    return keys;
  }

  /** The value at this field, or null. For {@code attributes} and {@code resource}, the whole map. */
  public Object get(LogEntry e) {
    Object cur = switch (root) {
      case BODY -> e.body();
      case ATTRIBUTES -> e.hasAttributes() ? e.attributes() : null;
      case RESOURCE -> e.hasResource() ? e.resource() : null;
    };
    for (String k : keys) {
      if (!(cur instanceof Map<?, ?> m)) {
        return null;
      }
      cur = m.get(k);
    }
    return cur;
  }

  /** True when the entry has a value at this field (a null value counts for a present key). */
  public boolean exists(LogEntry e) {
    if (keys.length == 0) {
      return switch (root) {
        case BODY -> e.body() != null;
        case ATTRIBUTES -> e.hasAttributes();
        case RESOURCE -> e.hasResource();
      };
    }
    Map<String, Object> parent = parent(e, false);
    return parent != null && parent.containsKey(keys[keys.length - 1]);
  }

  /**
   * Sets the value at this field, creating maps on the way (a body that is not a map becomes
   * one). A map written to {@code attributes} or {@code resource} (or to a key in them) is merged
   * into what is there, as the Collector does; writing to {@code body} replaces the body.
   */
  public void set(LogEntry e, Object value) {
    if (keys.length == 0) {
      switch (root) {
        case BODY -> e.body(value);
        case ATTRIBUTES, RESOURCE -> {
          if (!(value instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("cannot set " + root.text + " to a value that is not a map");
          }
          merge(root == Root.ATTRIBUTES ? e.attributes() : e.resource(), m);
        }
      }
      return;
    }
    Map<String, Object> parent = parent(e, true);
    String last = keys[keys.length - 1];
    if (root != Root.BODY && value instanceof Map<?, ?> m && parent.get(last) instanceof Map<?, ?> existing) {
      @SuppressWarnings("unchecked")
      Map<String, Object> target = (Map<String, Object>) existing;
      merge(target, m);
      return;
    }
    parent.put(last, value);
  }

  /** Removes the value at this field and returns it, or null when there was none. */
  public Object delete(LogEntry e) {
    if (keys.length == 0) {
      Object old;
      switch (root) {
        case BODY -> {
          old = e.body();
          e.body(null);
        }
        case ATTRIBUTES -> {
          old = e.hasAttributes() ? e.attributes() : null;
          e.attributes(null);
        }
        default -> {
          old = e.hasResource() ? e.resource() : null;
          e.resource(null);
        }
      }
      return old;
    }
    Map<String, Object> parent = parent(e, false);
    return parent == null ? null : parent.remove(keys[keys.length - 1]);
  }

  /** The map holding the last key; with {@code create}, made (and non-map values replaced) on the way. */
  @SuppressWarnings("unchecked")
  private Map<String, Object> parent(LogEntry e, boolean create) {
    Map<String, Object> cur;
    switch (root) {
      case BODY -> {
        if (e.body() instanceof Map<?, ?> m) {
          cur = (Map<String, Object>) m;
        } else if (create) {
          cur = new LinkedHashMap<>();
          e.body(cur);
        } else {
          return null;
        }
      }
      case ATTRIBUTES -> {
        if (!create && !e.hasAttributes()) {
          return null;
        }
        cur = e.attributes();
      }
      default -> {
        if (!create && !e.hasResource()) {
          return null;
        }
        cur = e.resource();
      }
    }
    for (int i = 0; i < keys.length - 1; i++) {
      Object next = cur.get(keys[i]);
      if (next instanceof Map<?, ?> m) {
        cur = (Map<String, Object>) m;
      } else if (create) {
        Map<String, Object> made = new LinkedHashMap<>();
        cur.put(keys[i], made);
        cur = made;
      } else {
        return null;
      }
    }
    return cur;
  }

  private static void merge(Map<String, Object> into, Map<?, ?> from) {
    for (Map.Entry<?, ?> x : from.entrySet()) {
      into.put(String.valueOf(x.getKey()), x.getValue());
    }
  }

  private static String render(Root root, String[] keys) {
    StringBuilder sb = new StringBuilder(root.text);
    for (String k : keys) {
      if (k.indexOf('.') >= 0 || k.indexOf('[') >= 0 || k.isEmpty()) {
        sb.append("[\"").append(k).append("\"]");
      } else {
        sb.append('.').append(k);
      }
    }
    return sb.toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Field f && f.root == root && java.util.Arrays.equals(f.keys, keys);
  }

  @Override
  public int hashCode() {
    return root.hashCode() * 31 + java.util.Arrays.hashCode(keys);
  }

  @Override
  public String toString() {
    return text;
  }
}
