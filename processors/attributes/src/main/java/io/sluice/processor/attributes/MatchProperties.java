package io.sluice.processor.attributes;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.sluice.core.ConfigProblem;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The {@code include} or {@code exclude} section of the {@code attributes} processor, written as
 * in the Collector. Every property given must match (lists of names match when any entry does;
 * every {@code attributes}/{@code resources} entry must match).
 *
 * <p>Which properties a signal uses:
 * <ul>
 *   <li>spans: {@code services}, {@code span_names}, {@code span_kinds}, {@code attributes} (of
 *       the span), {@code resources}, {@code libraries};
 *   <li>log records: {@code log_bodies}, {@code log_severity_texts}, {@code attributes} (of the
 *       record), {@code resources}, {@code libraries};
 *   <li>metric data points: {@code metric_names}, {@code attributes} (of the point),
 *       {@code resources}, {@code libraries}.
 * </ul>
 * A property written for a signal it does not apply to is ignored in that signal's pipelines (a
 * warning is logged when the processor is made), so one processor can serve pipelines of several
 * signals; a section left with no property for the signal matches every item. (The Collector
 * refuses to start such a pipeline instead.)
 *
 * <p>With {@code match_type: strict} names and values are compared exactly; with {@code regexp}
 * they are RE2 regular expressions searched in the text (unanchored: write {@code ^...$} for a
 * whole match), and an attribute's value is matched in its string form. Span kinds are written
 * {@code SPAN_KIND_SERVER} (for strict matching {@code server} or {@code Server} also do).
 *
 * @param matchType strict or regexp; required
 * @param services the resource's {@code service.name}
 * @param spanNames span names
 * @param spanKinds span kinds
 * @param logBodies log bodies, in their string form
 * @param logSeverityTexts log severity texts
 * @param logSeverityNumber the lowest severity number a log record may have
 * @param metricNames metric names
 * @param attributes the item's attributes: each must be present, and equal or match {@code value}
 *     when one is given
 * @param resources the resource's attributes, as {@code attributes}
 * @param libraries the instrumentation scope: its name, and its version when one is given
 * @param regexp the Collector's regular expression cache settings; accepted and ignored, since
 *     Sluice compiles each expression once
 */
public record MatchProperties(String matchType, List<String> services, List<String> spanNames,
    List<String> spanKinds, List<String> logBodies, List<String> logSeverityTexts,
    SeverityNumber logSeverityNumber, List<String> metricNames, List<Attribute> attributes,
    List<Attribute> resources, List<Library> libraries, RegexpCache regexp) {

  public MatchProperties {
    services = copy(services);
    spanNames = copy(spanNames);
    spanKinds = copy(spanKinds);
    logBodies = copy(logBodies);
    logSeverityTexts = copy(logSeverityTexts);
    metricNames = copy(metricNames);
    attributes = copy(attributes);
    resources = copy(resources);
    libraries = copy(libraries);
  }

  /**
   * One attribute to match.
   *
   * @param key the attribute's key
   * @param value the value (strict: same type and value; regexp: a regular expression for its
   *     string form); when left out the key only has to be present
   */
  public record Attribute(String key, Object value) {}

  /**
   * The lowest severity a log record may have to match.
   *
   * @param min a severity number (1 to 24) or its name ({@code TRACE} to {@code FATAL4}, {@code INFO},
   *     {@code WARN2}, any case)
   * @param matchUndefined whether records without a severity number (0) match
   */
  public record SeverityNumber(Object min, Boolean matchUndefined) {
    static final List<String> NAMES = List.of("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL");

    /** The minimum as a number 1..24, or -1 when it is not a valid one. */
    int minNumber() {
      if (min instanceof Integer i) {
        return i >= 1 && i <= 24 ? i : -1;
      } else if (min instanceof String s) {
        String u = s.trim().toUpperCase(Locale.ROOT);
        for (int k = 0; k < NAMES.size(); k++) {
          String n = NAMES.get(k);
          if (u.equals(n)) {
            return k * 4 + 1;
          } else if (u.length() == n.length() + 1 && u.startsWith(n) && u.charAt(n.length()) >= '2'
              && u.charAt(n.length()) <= '4') {
            return k * 4 + (u.charAt(n.length()) - '0');
          }
        }
      }
      return -1;
    }
  }

  /**
   * The Collector's cache of regular expression results; Sluice has no use for it.
   *
   * @param cacheenabled ignored
   * @param cachemaxnumentries ignored
   */
  public record RegexpCache(Boolean cacheenabled, Integer cachemaxnumentries) {}

  /**
   * An instrumentation scope to match.
   *
   * @param name its name
   * @param version its version; any when left out
   */
  public record Library(String name, String version) {}

  private static <T> List<T> copy(List<T> l) {
    // Not List.copyOf: an empty YAML item binds to null and validate() reports it.
    return l == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(l));
  }

  boolean isRegexp() {
    return "regexp".equals(normalizedMatchType());
  }

  private String normalizedMatchType() {
    return matchType == null ? "" : matchType.trim().toLowerCase(Locale.ROOT);
  }

  boolean hasAnyProperty() {
    return !services.isEmpty() || !spanNames.isEmpty() || !spanKinds.isEmpty() || !logBodies.isEmpty()
        || !logSeverityTexts.isEmpty() || logSeverityNumber != null || !metricNames.isEmpty() || !attributes.isEmpty() || !resources.isEmpty()
        || !libraries.isEmpty();
  }

  void validate(String at, List<ConfigProblem> problems) {
    String type = normalizedMatchType();
    boolean regexp = type.equals("regexp");
    if (type.isEmpty()) {
      problems.add(new ConfigProblem(at + ".match_type", "missing; write strict or regexp"));
    } else if (!regexp && !type.equals("strict")) {
      problems.add(new ConfigProblem(at + ".match_type", "unknown match type \"" + matchType
          + "\"; valid types are strict, regexp"));
    }
    if (!hasAnyProperty()) {
      problems.add(new ConfigProblem(at, "no property to match; give at least one of services, span_names, "
          + "span_kinds, log_bodies, log_severity_texts, log_severity_number, metric_names, attributes, resources, libraries"));
    }
    names(at + ".services", services, regexp, problems);
    names(at + ".span_names", spanNames, regexp, problems);
    names(at + ".span_kinds", spanKinds, regexp, problems);
    names(at + ".log_bodies", logBodies, regexp, problems);
    names(at + ".log_severity_texts", logSeverityTexts, regexp, problems);
    names(at + ".metric_names", metricNames, regexp, problems);
    if (logSeverityNumber != null && logSeverityNumber.minNumber() < 0) {
      problems.add(new ConfigProblem(at + ".log_severity_number.min", (logSeverityNumber.min() == null ? "missing"
          : "invalid severity " + logSeverityNumber.min()) + "; write a number from 1 to 24 or a name such as"
          + " INFO, WARN or ERROR2"));
    }
    attributes(at + ".attributes", attributes, regexp, problems);
    attributes(at + ".resources", resources, regexp, problems);
    for (int i = 0; i < libraries.size(); i++) {
      Library l = libraries.get(i);
      String li = at + ".libraries[" + i + "]";
      if (l == null || l.name() == null) {
        problems.add(new ConfigProblem(li + ".name", "missing; a library is matched by its \"name\""));
        continue;
      }
      regex(li + ".name", l.name(), regexp, problems);
      if (l.version() != null) {
        regex(li + ".version", l.version(), regexp, problems);
      }
    }
  }

  private static void names(String at, List<String> names, boolean regexp, List<ConfigProblem> problems) {
    for (int i = 0; i < names.size(); i++) {
      if (names.get(i) == null) {
        problems.add(new ConfigProblem(at + "[" + i + "]", "empty entry"));
      } else {
        regex(at + "[" + i + "]", names.get(i), regexp, problems);
      }
    }
  }

  private static void attributes(String at, List<Attribute> attrs, boolean regexp, List<ConfigProblem> problems) {
    for (int i = 0; i < attrs.size(); i++) {
      Attribute a = attrs.get(i);
      String ai = at + "[" + i + "]";
      if (a == null || a.key() == null || a.key().isEmpty()) {
        problems.add(new ConfigProblem(ai + ".key", "missing; an attribute is matched by its \"key\""));
        continue;
      }
      if (a.value() == null) {
        continue;
      }
      if (regexp) {
        if (a.value() instanceof String s) {
          regex(ai + ".value", s, true, problems);
        } else {
          problems.add(new ConfigProblem(ai + ".value", "with match_type regexp the value must be a string"
              + " (a regular expression), not " + a.value()));
        }
      } else {
        String bad = AttributeActionConfig.unsupported(a.value());
        if (bad != null) {
          problems.add(new ConfigProblem(ai + ".value", bad));
        }
      }
    }
  }

  private static void regex(String at, String expr, boolean regexp, List<ConfigProblem> problems) {
    if (!regexp) {
      return;
    }
    try {
      Pattern.compile(expr);
    } catch (PatternSyntaxException e) {
      problems.add(new ConfigProblem(at, "invalid regular expression \"" + expr + "\": " + e.getDescription()));
    }
  }
}
