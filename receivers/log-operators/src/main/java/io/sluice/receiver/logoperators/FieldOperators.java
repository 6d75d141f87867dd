package io.sluice.receiver.logoperators;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The operators that move fields around: move, copy, add, remove, flatten, retain. */
final class FieldOperators {
  private FieldOperators() {}

  /**
   * {@code move} and {@code copy}: {@code from} to {@code to} (a copy gets its own maps and
   * lists); a missing {@code from} is an error.
   */
  static final class Move extends Operator {
    final Field from;
    final Field to;
    final boolean copy;

    Move(Field from, Field to, boolean copy) {
      this.from = from;
      this.to = to;
      this.copy = copy;
    }

    @Override
    void transform(LogEntry e) throws EntryException {
      if (!from.exists(e)) {
        throw new EntryException("the entry has no " + from + " to " + (copy ? "copy" : "move"));
      }
      to.set(e, copy ? LogEntry.deepCopy(from.get(e)) : from.delete(e));
    }
  }

  /** {@code add}: a constant {@code value} (any YAML value), or the value of {@code EXPR(...)}. */
  static final class Add extends Operator {
    final Field field;
    final Object value;
    final Expr expr;

    Add(Field field, Object value, Expr expr) {
      this.field = field;
      this.value = value;
      this.expr = expr;
    }

    @Override
    void transform(LogEntry e) {
      // an expression may give a map of the entry itself: copy it so that the two stay apart
      field.set(e, LogEntry.deepCopy(expr != null ? expr.eval(e) : value));
    }
  }

  /** {@code remove}: deletes {@code field}; a missing field is an error, as in the Collector. */
  static final class Remove extends Operator {
    final Field field;

    Remove(Field field) {
      this.field = field;
    }

    @Override
    void transform(LogEntry e) throws EntryException {
      if (!field.exists(e)) {
        throw new EntryException("the entry has no " + field + " to remove");
      }
      field.delete(e);
    }
  }

  /** {@code flatten}: the keys of the map at {@code field} (a body field) move up one level. */
  static final class Flatten extends Operator {
    final Field field;

    Flatten(Field field) {
      this.field = field;
    }

    @Override
    void transform(LogEntry e) throws EntryException {
      Object v = field.get(e);
      if (!(v instanceof Map<?, ?> m)) {
        throw new EntryException(field + " is " + (v == null ? "missing" : "a " + Expr.typeName(v))
            + ", not a map to flatten");
      }
      field.delete(e);
      String[] keys = field.keys();
      String[] parentKeys = java.util.Arrays.copyOf(keys, keys.length - 1);
      for (Map.Entry<?, ?> x : m.entrySet()) {
        String[] k = java.util.Arrays.copyOf(parentKeys, parentKeys.length + 1);
        k[parentKeys.length] = String.valueOf(x.getKey());
        Field.body(k).set(e, x.getValue());
      }
    }
  }

  /**
   * {@code retain}: keeps only the listed fields within each of body, attributes and resource
   * that the list names; the parts it does not name are left alone.
   */
  static final class Retain extends Operator {
    final List<Field> body = new ArrayList<>();
    final List<Field> attributes = new ArrayList<>();
    final List<Field> resource = new ArrayList<>();

    Retain(List<Field> fields) {
      for (Field f : fields) {
        switch (f.root()) {
          case BODY -> body.add(f);
          case ATTRIBUTES -> attributes.add(f);
          default -> resource.add(f);
        }
      }
    }

    @Override
    void transform(LogEntry e) throws EntryException {
      if (!body.isEmpty()) {
        if (!(e.body() instanceof Map)) {
          throw new EntryException("retain names body fields but the body is not a map");
        }
        LogEntry kept = new LogEntry(new LinkedHashMap<String, Object>());
        copyAll(body, e, kept);
        e.body(kept.body());
      }
      if (!attributes.isEmpty()) {
        LogEntry kept = new LogEntry();
        copyAll(attributes, e, kept);
        e.attributes(kept.hasAttributes() ? kept.attributes() : null);
      }
      if (!resource.isEmpty()) {
        LogEntry kept = new LogEntry();
        copyAll(resource, e, kept);
        e.resource(kept.hasResource() ? kept.resource() : null);
      }
    }

    private static void copyAll(List<Field> fields, LogEntry from, LogEntry to) {
      for (Field f : fields) {
        if (f.exists(from)) {
          f.set(to, f.get(from));
        }
      }
    }
  }

  /** {@code flatten} only works on body fields below the root, as in the Collector. */
  static String checkFlattenField(Field f) {
    if (f.root() != Field.Root.BODY || f.isRoot()) {
      return "flatten works on a map inside the body, such as body.key; got " + f;
    }
    return null;
  }

  /** Retain keeps fields inside the three parts, not a part as a whole. */
  static String checkRetainFields(List<Field> fields) {
    for (Field f : fields) {
      if (f.isRoot()) {
        return "retain keeps fields inside body, attributes or resource, such as attributes.key; got " + f;
      }
    }
    return null;
  }
}
