package io.sluice.translation.prometheus.relabel;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.List;

/**
 * One relabeling step, with the keys and defaults of Prometheus' {@code relabel_configs}.
 *
 * <p>A null component takes Prometheus' default, so a YAML item that leaves a key out behaves as
 * in Prometheus. The regex is always anchored at both ends and lets {@code .} match newlines: it
 * is compiled as {@code ^(?s:regex)$} with RE2 syntax.
 *
 * @param sourceLabels the labels whose values, joined with {@code separator}, feed the regex;
 *     default none. A missing label reads as the empty string.
 * @param separator what joins the source values; default {@code ;}
 * @param regex the RE2 regex matched against the joined value (or label names for labelmap,
 *     labeldrop and labelkeep); default {@code (.*)}
 * @param modulus the modulus of {@code hashmod}; unsigned, must not be 0 for that action
 * @param targetLabel the label the result is written to; may contain {@code $1} references for
 *     {@code replace}
 * @param replacement the value written by {@code replace} and the name made by {@code labelmap},
 *     with {@code $1}, {@code ${1}}, {@code $name}, {@code ${name}} references and {@code $$} for
 *     a dollar; default {@code $1}
 * @param action the action, in any case; default {@code replace}; an empty one is an error, as in
 *     Prometheus
 */
public record RelabelConfig(
    List<String> sourceLabels,
    String separator,
    String regex,
    long modulus,
    String targetLabel,
    String replacement,
    String action) {

  public static final String DEFAULT_SEPARATOR = ";";
  public static final String DEFAULT_REGEX = "(.*)";
  public static final String DEFAULT_REPLACEMENT = "$1";
  public static final String DEFAULT_ACTION = "replace";

  public RelabelConfig {
    sourceLabels = sourceLabels == null ? List.of() : List.copyOf(sourceLabels);
    separator = separator == null ? DEFAULT_SEPARATOR : separator;
    regex = regex == null ? DEFAULT_REGEX : regex;
    targetLabel = targetLabel == null ? "" : targetLabel;
    replacement = replacement == null ? DEFAULT_REPLACEMENT : replacement;
    action = action == null ? DEFAULT_ACTION : action;
  }

  /** A step with every default but the action; build on it with the {@code with*} methods. */
  public static RelabelConfig of(RelabelAction action) {
    return new RelabelConfig(null, null, null, 0, null, null, action.configName());
  }

  public RelabelConfig withSourceLabels(String... labels) {
    return new RelabelConfig(List.of(labels), separator, regex, modulus, targetLabel, replacement, action);
  }

  public RelabelConfig withSeparator(String value) {
    return new RelabelConfig(sourceLabels, value, regex, modulus, targetLabel, replacement, action);
  }

  public RelabelConfig withRegex(String value) {
    return new RelabelConfig(sourceLabels, separator, value, modulus, targetLabel, replacement, action);
  }

  public RelabelConfig withModulus(long value) {
    return new RelabelConfig(sourceLabels, separator, regex, value, targetLabel, replacement, action);
  }

  public RelabelConfig withTargetLabel(String value) {
    return new RelabelConfig(sourceLabels, separator, regex, modulus, value, replacement, action);
  }

  public RelabelConfig withReplacement(String value) {
    return new RelabelConfig(sourceLabels, separator, regex, modulus, targetLabel, value, action);
  }

  /** The parsed action; null when {@link #action} names none ({@link #validate} reports it). */
  public RelabelAction parsedAction() {
    return RelabelAction.fromConfigName(action);
  }

  /** Compiles {@link #regex} anchored, as {@code ^(?s:regex)$}; throws on an invalid regex. */
  public Pattern compiledRegex() {
    return Pattern.compile(anchored(regex));
  }

  static String anchored(String regex) {
    return "^(?s:" + regex + ")$";
  }

  /**
   * Every problem with this step, with key paths under {@code prefix} (such as
   * {@code metric_relabel_configs[0]}, giving {@code metric_relabel_configs[0].regex}).
   */
  public List<ConfigProblem> validate(String prefix) {
    return validate(prefix, false);
  }

  /**
   * As {@link #validate(String)}; with {@code utf8Names}, label names are checked as Prometheus 3
   * does by default ({@code metric_name_validation_scheme: utf8}): any non-empty text is a name,
   * dots and dashes included.
   */
  public List<ConfigProblem> validate(String prefix, boolean utf8Names) {
    List<ConfigProblem> problems = new ArrayList<>();
    RelabelAction a = parsedAction();
    if (action.isEmpty()) {
      problems.add(new ConfigProblem(path(prefix, "action"), "relabel action cannot be empty; leave the key out"
          + " for replace, or use one of " + RelabelAction.validNames()));
    } else if (a == null) {
      problems.add(new ConfigProblem(path(prefix, "action"), "unknown relabel action \"" + action
          + "\"; valid actions: " + RelabelAction.validNames()));
    }
    try {
      compiledRegex();
    } catch (PatternSyntaxException e) {
      problems.add(new ConfigProblem(path(prefix, "regex"), "\"" + regex + "\" is not a valid RE2 regex: "
          + e.getDescription()));
    }
    if (modulus < 0) {
      problems.add(new ConfigProblem(path(prefix, "modulus"), modulus + " is negative; the modulus is unsigned"));
    }
    if (a == null) {
      return problems;
    }
    switch (a) {
      case REPLACE -> {
        if (targetLabel.isEmpty()) {
          problems.add(missingTarget(prefix, a));
        } else if (!isName(targetLabel, true, utf8Names)) {
          problems.add(invalidTarget(prefix, a));
        }
      }
      case HASHMOD -> {
        if (targetLabel.isEmpty()) {
          problems.add(missingTarget(prefix, a));
        } else if (!isName(targetLabel, false, utf8Names)) {
          problems.add(invalidTarget(prefix, a));
        }
        if (modulus == 0) {
          problems.add(new ConfigProblem(path(prefix, "modulus"),
              "the hashmod action needs a modulus above 0, such as 8 to shard over 8 targets"));
        }
      }
      case LOWERCASE, UPPERCASE, KEEPEQUAL, DROPEQUAL -> {
        if (targetLabel.isEmpty()) {
          problems.add(missingTarget(prefix, a));
        } else if (!isName(targetLabel, false, utf8Names)) {
          problems.add(invalidTarget(prefix, a));
        }
        if (!replacement.equals(DEFAULT_REPLACEMENT)) {
          problems.add(new ConfigProblem(path(prefix, "replacement"), "replacement \"" + replacement
              + "\" cannot be set for the " + a + " action; remove it"));
        }
        if (a == RelabelAction.KEEPEQUAL || a == RelabelAction.DROPEQUAL) {
          for (String key : setBesides("regex", "modulus", "separator")) {
            problems.add(new ConfigProblem(path(prefix, key), "the " + a
                + " action takes only source_labels and target_label; remove " + key));
          }
        }
      }
      case LABELMAP -> {
        if (!isName(replacement, true, utf8Names)) {
          problems.add(new ConfigProblem(path(prefix, "replacement"), "\"" + replacement
              + "\" is not a valid label name template for the labelmap action; use letters, digits, _ and"
              + " $1-style references"));
        }
      }
      case LABELDROP, LABELKEEP -> {
        for (String key : setBesides("source_labels", "target_label", "modulus", "separator", "replacement")) {
          problems.add(new ConfigProblem(path(prefix, key), "the " + a + " action takes only regex; remove " + key));
        }
      }
      case KEEP, DROP -> {
        // Any source labels and regex are fine.
      }
    }
    return problems;
  }

  /** Validates every step of a list, with paths {@code key[i].field}. */
  public static List<ConfigProblem> validateAll(String key, List<RelabelConfig> configs) {
    return validateAll(key, configs, false);
  }

  /** As {@link #validateAll(String, List)}, with UTF-8 label names when {@code utf8Names}. */
  public static List<ConfigProblem> validateAll(String key, List<RelabelConfig> configs, boolean utf8Names) {
    List<ConfigProblem> problems = new ArrayList<>();
    if (configs == null) {
      return problems;
    }
    for (int i = 0; i < configs.size(); i++) {
      String prefix = key + "[" + i + "]";
      RelabelConfig c = configs.get(i);
      if (c == null) {
        problems.add(new ConfigProblem(prefix, "empty or null relabeling rule; expected a map such as"
            + " {source_labels: [...], regex: ..., target_label: ..., action: replace}"));
      } else {
        problems.addAll(c.validate(prefix, utf8Names));
      }
    }
    return problems;
  }

  /** A valid label name (with $1-style references when {@code references}); any non-empty text with UTF-8 names. */
  private static boolean isName(String name, boolean references, boolean utf8Names) {
    if (utf8Names) {
      return !name.isEmpty();
    }
    return references ? LabelNames.isValidWithReferences(name) : LabelNames.isValid(name);
  }

  /** Which of the named keys differ from their defaults. */
  private List<String> setBesides(String... keys) {
    List<String> set = new ArrayList<>();
    for (String k : keys) {
      boolean differs = switch (k) {
        case "source_labels" -> !sourceLabels.isEmpty();
        case "target_label" -> !targetLabel.isEmpty();
        case "modulus" -> modulus != 0;
        case "separator" -> !separator.equals(DEFAULT_SEPARATOR);
        case "replacement" -> !replacement.equals(DEFAULT_REPLACEMENT);
        case "regex" -> !regex.equals(DEFAULT_REGEX);
        default -> throw new IllegalArgumentException(k);
      };
      if (differs) {
        set.add(k);
      }
    }
    return set;
  }

  private ConfigProblem missingTarget(String prefix, RelabelAction a) {
    return new ConfigProblem(path(prefix, "target_label"), "the " + a + " action needs a target_label");
  }

  private ConfigProblem invalidTarget(String prefix, RelabelAction a) {
    return new ConfigProblem(path(prefix, "target_label"), "\"" + targetLabel + "\" is not a valid label name for the "
        + a + " action; use letters, digits and _, not starting with a digit"
        + (a == RelabelAction.REPLACE ? " ($1-style references are allowed)" : ""));
  }

  private static String path(String prefix, String key) {
    return prefix == null || prefix.isEmpty() ? key : prefix + "." + key;
  }
}
