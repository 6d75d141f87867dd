package io.sluice.processor.attributes;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.sluice.core.ConfigProblem;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One action of the {@code attributes} or {@code resource} processor, written as in the Collector.
 *
 * <pre>
 * - key: environment
 *   value: production
 *   action: upsert
 * - key: db.statement
 *   action: hash
 * - pattern: ^tmp\.
 *   action: delete
 * - key: http.url
 *   pattern: ^(?P&lt;scheme&gt;[a-z]+)://(?P&lt;host&gt;[^/]+)
 *   action: extract
 * - key: http.status_code
 *   converted_type: int
 *   action: convert
 * </pre>
 *
 * @param key the attribute acted on; may be left out by {@code delete} and {@code hash} with a
 *     {@code pattern}
 * @param value the value {@code insert}/{@code update}/{@code upsert} write, keeping its YAML type
 *     (string, integer, floating point, boolean; a list or a map becomes an array or a map value)
 * @param fromAttribute the attribute of the same item whose value is written instead of {@code value}
 * @param fromContext where else the value comes from: {@code metadata.<name>} (or a bare name) is a
 *     request header the receiver kept in the batch's envelope, matched regardless of case;
 *     {@code auth.<name>} is what the receiver's authenticator knows of the client, such as
 *     {@code auth.username} (basicauth, oidc) or {@code auth.groups} (oidc)
 * @param pattern a regular expression (RE2 syntax, unanchored): the keys {@code delete} and
 *     {@code hash} act on, or for {@code extract} the expression with named groups
 *     ({@code (?P<name>...)}) applied to the key's value
 * @param action insert, update, upsert, delete, hash, extract or convert (any case). {@code hash}
 *     replaces a value by the lower-case hex SHA-256 of its string form (for a string, the string
 *     itself; for other types their decimal, {@code true}/{@code false}, base64 or JSON form).
 *     {@code extract} upserts one string attribute per named group when the key's string value
 *     matches, "" for a group that took no part. {@code convert} leaves a value that cannot be
 *     converted as it is.
 * @param convertedType for {@code convert}: int, double or string
 * @param defaultValue for {@code insert}/{@code update}/{@code upsert}: written when
 *     {@code from_attribute} or {@code from_context} finds nothing, or on its own as the value
 */
public record AttributeActionConfig(String key, Object value, String fromAttribute, String fromContext,
    String pattern, String action, String convertedType, Object defaultValue) {

  /** An action without a default value. */
  public AttributeActionConfig(String key, Object value, String fromAttribute, String fromContext, String pattern,
      String action, String convertedType) {
    this(key, value, fromAttribute, fromContext, pattern, action, convertedType, null);
  }

  /** The action names, as written in the config. */
  static final List<String> ACTIONS = List.of("insert", "update", "upsert", "delete", "hash", "extract", "convert");

  /** The types {@code convert} converts to. */
  static final List<String> CONVERTED_TYPES = List.of("int", "double", "string");

  /** The action, lower-cased; null when not given. */
  String actionName() {
    return action == null ? null : action.trim().toLowerCase(Locale.ROOT);
  }

  /** Checks a list of actions, with paths such as {@code actions[2].pattern}. */
  static List<ConfigProblem> validateAll(String listKey, List<AttributeActionConfig> actions) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (actions.isEmpty()) {
      problems.add(new ConfigProblem(listKey, "at least one action is needed; each has a \"key\" and an \"action\" ("
          + String.join(", ", ACTIONS) + ")"));
    }
    for (int i = 0; i < actions.size(); i++) {
      String at = listKey + "[" + i + "]";
      AttributeActionConfig a = actions.get(i);
      if (a == null) {
        problems.add(new ConfigProblem(at, "the action is empty; it needs at least \"key\" and \"action\""));
      } else {
        a.validate(at, problems);
      }
    }
    return problems;
  }

  private void validate(String at, List<ConfigProblem> problems) {
    String name = actionName();
    if (name == null || name.isEmpty()) {
      problems.add(new ConfigProblem(at + ".action", "missing; valid actions are " + String.join(", ", ACTIONS)));
      return;
    }
    if (!ACTIONS.contains(name)) {
      problems.add(new ConfigProblem(at + ".action", "unknown action \"" + action + "\"; valid actions are "
          + String.join(", ", ACTIONS)));
      return;
    }
    boolean hasKey = key != null && !key.isEmpty();
    boolean hasPattern = pattern != null && !pattern.isEmpty();
    Pattern compiled = null;
    if (hasPattern) {
      try {
        compiled = Pattern.compile(pattern);
      } catch (PatternSyntaxException e) {
        problems.add(new ConfigProblem(at + ".pattern", "invalid regular expression \"" + pattern + "\": "
            + e.getDescription()));
      }
    }
    switch (name) {
      case "insert", "update", "upsert" -> {
        requireKey(at, name, hasKey, problems);
        int sources = (value != null ? 1 : 0) + (notEmpty(fromAttribute) ? 1 : 0) + (notEmpty(fromContext) ? 1 : 0);
        if (sources > 1 || sources == 0 && defaultValue == null) {
          problems.add(new ConfigProblem(at, "the " + name + " action needs exactly one of \"value\", "
              + "\"from_attribute\" and \"from_context\", or a \"default_value\" alone; "
              + (sources == 0 ? "none is" : sources + " are") + " set"));
        }
        if (value != null) {
          String bad = unsupported(value);
          if (bad != null) {
            problems.add(new ConfigProblem(at + ".value", bad));
          }
        }
        if (defaultValue != null) {
          String bad = unsupported(defaultValue);
          if (bad != null) {
            problems.add(new ConfigProblem(at + ".default_value", bad));
          }
        }
        forbid(at, name, "pattern", hasPattern, problems);
        forbid(at, name, "converted_type", notEmpty(convertedType), problems);
      }
      case "delete", "hash" -> {
        if (!hasKey && !hasPattern) {
          problems.add(new ConfigProblem(at + ".key", "the " + name + " action needs a \"key\" or a \"pattern\""));
        }
        forbidSources(at, name, problems);
        forbid(at, name, "converted_type", notEmpty(convertedType), problems);
      }
      case "extract" -> {
        requireKey(at, name, hasKey, problems);
        if (!hasPattern) {
          problems.add(new ConfigProblem(at + ".pattern", "the extract action needs a \"pattern\" with named groups"
              + " such as \"^(?P<scheme>[a-z]+)://(?P<host>[^/]+)\""));
        } else if (compiled != null && compiled.namedGroups().isEmpty()) {
          problems.add(new ConfigProblem(at + ".pattern", "\"" + pattern + "\" has no named group; the extract action"
              + " writes one attribute per group written (?P<name>...)"));
        }
        forbidSources(at, name, problems);
        forbid(at, name, "converted_type", notEmpty(convertedType), problems);
      }
      case "convert" -> {
        requireKey(at, name, hasKey, problems);
        if (!notEmpty(convertedType)) {
          problems.add(new ConfigProblem(at + ".converted_type", "the convert action needs a \"converted_type\": "
              + String.join(", ", CONVERTED_TYPES)));
        } else if (!CONVERTED_TYPES.contains(convertedType.trim().toLowerCase(Locale.ROOT))) {
          problems.add(new ConfigProblem(at + ".converted_type", "unknown type \"" + convertedType
              + "\"; valid types are " + String.join(", ", CONVERTED_TYPES)));
        }
        forbidSources(at, name, problems);
        forbid(at, name, "pattern", hasPattern, problems);
      }
      default -> throw new IllegalStateException(name);
    }
  }

  private static void requireKey(String at, String name, boolean hasKey, List<ConfigProblem> problems) {
    if (!hasKey) {
      problems.add(new ConfigProblem(at + ".key", "the " + name + " action needs a \"key\""));
    }
  }

  private void forbidSources(String at, String name, List<ConfigProblem> problems) {
    forbid(at, name, "value", value != null, problems);
    forbid(at, name, "default_value", defaultValue != null, problems);
    forbid(at, name, "from_attribute", notEmpty(fromAttribute), problems);
    forbid(at, name, "from_context", notEmpty(fromContext), problems);
  }

  private static void forbid(String at, String name, String field, boolean present, List<ConfigProblem> problems) {
    if (present) {
      problems.add(new ConfigProblem(at + "." + field, "the " + name + " action does not take \"" + field
          + "\"; remove it"));
    }
  }

  private static boolean notEmpty(String s) {
    return s != null && !s.isEmpty();
  }

  /** Why a YAML value cannot be an attribute value, or null when it can. */
  static String unsupported(Object v) {
    if (v instanceof String || v instanceof Boolean || v instanceof Integer || v instanceof Long
        || v instanceof Short || v instanceof Byte || v instanceof Double || v instanceof Float
        || v instanceof BigDecimal) {
      return null;
    } else if (v instanceof BigInteger b) {
      return b.bitLength() < 64 ? null : "the integer " + b + " does not fit in 64 bits";
    } else if (v instanceof List<?> l) {
      for (Object item : l) {
        String bad = item == null ? "a list value holds an empty item" : unsupported(item);
        if (bad != null) {
          return bad;
        }
      }
      return null;
    } else if (v instanceof Map<?, ?> m) {
      for (Object item : m.values()) {
        String bad = item == null ? null : unsupported(item);
        if (bad != null) {
          return bad;
        }
      }
      return null;
    }
    return "unsupported value " + v + "; use a string, a number, true or false";
  }
}
