package io.sluice.translation.prometheus.relabel;

import com.google.re2j.Matcher;
import com.google.re2j.Pattern;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A replacement template with the reference syntax of Go's {@code Regexp.Expand}, parsed once
 * against one regex.
 *
 * <ul>
 *   <li>{@code $$} is a literal {@code $}.
 *   <li>{@code $name} takes the longest run of letters, digits and {@code _} as the name, so
 *       {@code $1x} refers to a group named {@code 1x}; {@code ${name}} delimits it.
 *   <li>A name of digits only (no leading zero) is a group number; any other name is a group
 *       name. A group that does not exist or did not take part in the match expands to nothing.
 *   <li>A {@code $} not followed by a valid reference is kept as it is.
 * </ul>
 */
final class Template {
  /** Literal strings and group numbers (Integer; -1 for a group that does not exist). */
  private final Object[] parts;
  private final String literal;

  private Template(Object[] parts) {
    this.parts = parts;
    this.literal = parts.length == 0 ? "" : parts.length == 1 && parts[0] instanceof String s ? s : null;
  }

  static Template parse(String template, Pattern pattern) {
    Map<String, Integer> named = pattern.namedGroups();
    int groups = pattern.groupCount();
    List<Object> parts = new ArrayList<>();
    StringBuilder lit = new StringBuilder();
    int i = 0;
    int n = template.length();
    while (i < n) {
      char c = template.charAt(i);
      if (c != '$') {
        lit.append(c);
        i++;
        continue;
      }
      i++; // past '$'
      if (i < n && template.charAt(i) == '$') {
        lit.append('$');
        i++;
        continue;
      }
      boolean brace = i < n && template.charAt(i) == '{';
      int start = brace ? i + 1 : i;
      int end = start;
      while (end < n) {
        int cp = template.codePointAt(end);
        if (!Character.isLetter(cp) && !Character.isDigit(cp) && cp != '_') {
          break;
        }
        end += Character.charCount(cp);
      }
      if (end == start || (brace && (end >= n || template.charAt(end) != '}'))) {
        lit.append('$'); // not a reference: the dollar is plain text
        continue;
      }
      String name = template.substring(start, end);
      i = brace ? end + 1 : end;
      int group = groupNumber(name);
      if (group < 0) {
        Integer g = named.get(name);
        group = g == null ? -1 : g;
      } else if (group > groups) {
        group = -1;
      }
      if (lit.length() > 0) {
        parts.add(lit.toString());
        lit.setLength(0);
      }
      parts.add(group);
    }
    if (lit.length() > 0) {
      parts.add(lit.toString());
    }
    return new Template(parts.toArray());
  }

  /** The number a name of ASCII digits stands for; -1 for other names, leading zeros, or huge numbers. */
  private static int groupNumber(String name) {
    if (name.length() > 1 && name.charAt(0) == '0') {
      return -1;
    }
    int num = 0;
    for (int k = 0; k < name.length(); k++) {
      char d = name.charAt(k);
      if (d < '0' || d > '9' || num >= 100_000_000) {
        return -1;
      }
      num = num * 10 + (d - '0');
    }
    return num;
  }

  /** The template's text when it has no references, else null. */
  String literal() {
    return literal;
  }

  /** Expands the template with the groups of a successful match. */
  String expand(Matcher m) {
    if (literal != null) {
      return literal;
    }
    StringBuilder sb = new StringBuilder();
    for (Object p : parts) {
      if (p instanceof String s) {
        sb.append(s);
      } else {
        int g = (Integer) p;
        if (g >= 0) {
          String v = m.group(g);
          if (v != null) {
            sb.append(v);
          }
        }
      }
    }
    return sb.toString();
  }
}
