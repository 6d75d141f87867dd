package io.sluice.core.config;

import java.math.BigInteger;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A parsed YAML value that remembers where it was written: a map, a list or a scalar. Immutable;
 * merging and environment expansion build new trees.
 */
sealed interface YamlNode permits YamlNode.MapNode, YamlNode.ListNode, YamlNode.Scalar {

  /** Where a node starts: the file as given, 1-based line and column. */
  record Location(String file, int line, int column) {
    @Override
    public String toString() {
      return file + ":" + line + ":" + column;
    }
  }

  Location location();

  /** "a map", "a list", or the scalar quoted: for messages that say what was found. */
  String describe();

  /** One key of a map: where the key was written and its value. */
  record Entry(String key, Location keyLocation, YamlNode value) {}

  /** A mapping; its entries keep the order they were written in. */
  record MapNode(Location location, Map<String, Entry> entries) implements YamlNode {
    public MapNode {
      entries = Collections.unmodifiableMap(new LinkedHashMap<>(entries));
    }

    YamlNode get(String key) {
      Entry e = entries.get(key);
      return e == null ? null : e.value();
    }

    @Override
    public String describe() {
      return "a map";
    }
  }

  /** A sequence. */
  record ListNode(Location location, List<YamlNode> items) implements YamlNode {
    public ListNode {
      items = List.copyOf(items);
    }

    @Override
    public String describe() {
      return "a list";
    }
  }

  /** The YAML types a scalar resolves to. */
  enum ScalarType {
    NULL,
    BOOL,
    INT,
    FLOAT,
    STRING
  }

  /**
   * A scalar with its resolved type.
   *
   * @param text the scalar as written (after environment expansion)
   * @param type what {@code text} resolves to
   * @param plain true when the scalar was written unquoted with no explicit tag, so its type
   *     comes from its text
   */
  record Scalar(Location location, String text, ScalarType type, boolean plain) implements YamlNode {
    private static final Pattern NULL = Pattern.compile("~|null|Null|NULL|");
    private static final Pattern BOOL = Pattern.compile("true|True|TRUE|false|False|FALSE");
    private static final Pattern DECIMAL = Pattern.compile("[-+]?[0-9][0-9_]*");
    private static final Pattern HEX = Pattern.compile("0x[0-9a-fA-F_]+");
    private static final Pattern OCTAL = Pattern.compile("0o[0-7_]+");
    private static final Pattern BINARY = Pattern.compile("0b[01_]+");
    private static final Pattern FLOAT =
        Pattern.compile("[-+]?(\\.[0-9]+|[0-9][0-9_]*(\\.[0-9_]*)?)([eE][-+]?[0-9]+)?");
    private static final Pattern SPECIAL_FLOAT =
        Pattern.compile("[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN)");

    /** A plain scalar, typed from its text by the YAML 1.2 core schema. */
    static Scalar plain(Location location, String text) {
      return new Scalar(location, text, resolve(text), true);
    }

    /** A scalar that is a string whatever its text: quoted, or tagged {@code !!str}. */
    static Scalar string(Location location, String text) {
      return new Scalar(location, text, ScalarType.STRING, false);
    }

    /** The type of a plain scalar's text under the YAML 1.2 core schema. */
    static ScalarType resolve(String text) {
      if (NULL.matcher(text).matches()) {
        return ScalarType.NULL;
      } else if (BOOL.matcher(text).matches()) {
        return ScalarType.BOOL;
      } else if (DECIMAL.matcher(text).matches() || HEX.matcher(text).matches()
          || OCTAL.matcher(text).matches() || BINARY.matcher(text).matches()) {
        return ScalarType.INT;
      } else if (FLOAT.matcher(text).matches() || SPECIAL_FLOAT.matcher(text).matches()) {
        return ScalarType.FLOAT;
      }
      return ScalarType.STRING;
    }

    boolean isNull() {
      return type == ScalarType.NULL;
    }

    /** The integer value of an INT scalar. */
    BigInteger integerValue() {
      String s = text.replace("_", "");
      boolean negative = s.startsWith("-");
      if (s.startsWith("-") || s.startsWith("+")) {
        s = s.substring(1);
      }
      BigInteger v;
      if (s.startsWith("0x")) {
        v = new BigInteger(s.substring(2), 16);
      } else if (s.startsWith("0o")) {
        v = new BigInteger(s.substring(2), 8);
      } else if (s.startsWith("0b")) {
        v = new BigInteger(s.substring(2), 2);
      } else {
        v = new BigInteger(s);
      }
      return negative ? v.negate() : v;
    }

    /** The value of a FLOAT scalar: a finite decimal as written, or infinity or NaN. */
    Number floatValue() {
      String s = text.replace("_", "");
      String lower = s.toLowerCase(java.util.Locale.ROOT);
      if (lower.endsWith(".inf")) {
        return lower.startsWith("-") ? Double.NEGATIVE_INFINITY : Double.POSITIVE_INFINITY;
      } else if (lower.equals(".nan")) {
        return Double.NaN;
      }
      if (s.startsWith("+")) {
        s = s.substring(1);
      }
      if (s.endsWith(".")) {
        s = s + "0";
      }
      return new java.math.BigDecimal(s.startsWith(".") || s.startsWith("-.") ? s.replace(".", "0.") : s);
    }

    @Override
    public String describe() {
      return type == ScalarType.NULL && text.isEmpty() ? "an empty value" : "\"" + text + "\"";
    }
  }
}
