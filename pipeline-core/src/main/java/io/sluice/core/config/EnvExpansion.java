package io.sluice.core.config;

import io.sluice.core.config.YamlNode.Entry;
import io.sluice.core.config.YamlNode.ListNode;
import io.sluice.core.config.YamlNode.MapNode;
import io.sluice.core.config.YamlNode.Scalar;
import io.sluice.core.config.YamlNode.ScalarType;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Expands environment variables in scalar values (never in keys), as the Collector does:
 * {@code ${env:NAME}}, {@code ${NAME}}, {@code ${env:NAME:-default}} (the default is used when
 * NAME is not set), and {@code $$} for a literal {@code $}. A {@code $} followed by anything else
 * stays as it is.
 *
 * <p>A plain (unquoted) scalar that is exactly one reference takes the YAML type of the value it
 * expands to, so {@code port: ${env:PORT}} with PORT=4317 is an integer and an unset variable is
 * an empty value; any other scalar with a reference stays a string. An unset variable without a
 * default expands to the empty string, with a warning naming it.
 */
final class EnvExpansion {
  private static final Logger LOG = LoggerFactory.getLogger(EnvExpansion.class);
  private static final Pattern NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.\\-]*");

  private final Map<String, String> env;
  private final List<ConfigError> errors;

  private EnvExpansion(Map<String, String> env, List<ConfigError> errors) {
    this.env = env;
    this.errors = errors;
  }

  /** The tree with every scalar value expanded; problems (an unclosed {@code ${}) go to {@code errors}. */
  static YamlNode expand(YamlNode root, Map<String, String> env, List<ConfigError> errors) {
    return new EnvExpansion(env, errors).walk(root, "");
  }

  private YamlNode walk(YamlNode node, String path) {
    if (node instanceof MapNode m) {
      Map<String, Entry> entries = new LinkedHashMap<>();
      for (Entry e : m.entries().values()) {
        YamlNode value = walk(e.value(), path.isEmpty() ? e.key() : path + "." + e.key());
        entries.put(e.key(), value == e.value() ? e : new Entry(e.key(), e.keyLocation(), value));
      }
      return new MapNode(m.location(), entries);
    } else if (node instanceof ListNode l) {
      List<YamlNode> items = new ArrayList<>();
      for (int i = 0; i < l.items().size(); i++) {
        items.add(walk(l.items().get(i), path + "[" + i + "]"));
      }
      return new ListNode(l.location(), items);
    }
    Scalar s = (Scalar) node;
    return s.text().indexOf('$') < 0 ? s : expandScalar(s, path);
  }

  private YamlNode expandScalar(Scalar s, String path) {
    String text = s.text();
    StringBuilder out = new StringBuilder(text.length());
    int i = 0;
    while (i < text.length()) {
      char c = text.charAt(i);
      if (c != '$' || i + 1 == text.length()) {
        out.append(c);
        i++;
      } else if (text.charAt(i + 1) == '$') {
        out.append('$');
        i += 2;
      } else if (text.charAt(i + 1) == '{') {
        int close = text.indexOf('}', i + 2);
        if (close < 0) {
          error(s, path, "\"" + text + "\" has a \"${\" without its closing \"}\"; write \"$${\" for a literal \"${\"");
          return s;
        }
        String value = resolve(s, path, text.substring(i + 2, close));
        if (value == null) {
          return s;
        }
        out.append(value);
        i = close + 1;
      } else {
        out.append(c);
        i++;
      }
    }
    boolean singleReference = text.startsWith("${") && text.indexOf('}') == text.length() - 1;
    if (s.plain() && singleReference) {
      return Scalar.plain(s.location(), out.toString());
    }
    return new Scalar(s.location(), out.toString(), ScalarType.STRING, false);
  }

  /** The value of one reference (what is between "${" and "}"), or null after an error. */
  private String resolve(Scalar s, String path, String reference) {
    String name = reference;
    String fallback = null;
    int colon = reference.indexOf(':');
    if (colon >= 0) {
      String scheme = reference.substring(0, colon);
      String rest = reference.substring(colon + 1);
      if (rest.startsWith("-") && NAME.matcher(scheme).matches() && !scheme.equals("env")) {
        fallback = rest.substring(1); // ${NAME:-default}
        name = scheme;
      } else if (scheme.equals("env")) {
        int dash = rest.indexOf(":-");
        name = dash < 0 ? rest : rest.substring(0, dash);
        fallback = dash < 0 ? null : rest.substring(dash + 2);
      } else if (SCHEME.matcher(scheme).matches()) {
        error(s, path, "\"${" + reference + "}\" uses the config source \"" + scheme
            + "\", which Sluice does not have; only environment variables are supported: \"${env:NAME}\"");
        return null;
      }
    }
    if (!NAME.matcher(name).matches()) {
      error(s, path, "\"${" + reference + "}\" does not name an environment variable; a name is letters, digits and"
          + " '_', not starting with a digit, as in \"${env:OTLP_ENDPOINT}\"");
      return null;
    }
    String value = env.get(name);
    if (value != null) {
      return value;
    }
    if (fallback != null) {
      return fallback;
    }
    LOG.warn("Environment variable \"{}\" is not set; it expands to an empty string in \"{}\" at {}",
        name, path, s.location());
    return "";
  }

  private void error(Scalar s, String path, String message) {
    errors.add(new ConfigError(s.location().file(), s.location().line(), s.location().column(), path, message));
  }
}
