package io.sluice.receiver.logoperators;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Compiles a regex written in Go's RE2 syntax (what Collector configs contain) with
 * {@code java.util.regex}: named groups {@code (?P<name>...)} and {@code (?<name>...)} become
 * plain groups whose names are kept by number (Java group names allow no underscores), POSIX
 * classes such as {@code [[:alpha:]]} are translated, and Java-only syntax that RE2 refuses
 * (lookaround, backreferences, atomic groups, possessive quantifiers) is refused with a message
 * saying so. {@code .} matches anything but {@code \n}, as in Go.
 */
final class Re2 {
  /** A compiled regex and the names of its capturing groups by number (null for unnamed ones). */
  record Compiled(Pattern pattern, String[] groupNames) {
    boolean hasNamedGroups() {
      for (String n : groupNames) {
        if (n != null) {
          return true;
        }
      }
      return false;
    }
  }

  private static final Map<String, String> POSIX = Map.ofEntries(
      Map.entry("alnum", "\\p{Alnum}"), Map.entry("alpha", "\\p{Alpha}"), Map.entry("ascii", "\\p{ASCII}"),
      Map.entry("blank", "\\p{Blank}"), Map.entry("cntrl", "\\p{Cntrl}"), Map.entry("digit", "\\p{Digit}"),
      Map.entry("graph", "\\p{Graph}"), Map.entry("lower", "\\p{Lower}"), Map.entry("print", "\\p{Print}"),
      Map.entry("punct", "\\p{Punct}"), Map.entry("space", "\\s"), Map.entry("upper", "\\p{Upper}"),
      Map.entry("word", "\\w"), Map.entry("xdigit", "\\p{XDigit}"));

  private Re2() {}

  /**
   * Translates and compiles {@code re2}.
   *
   * @throws IllegalArgumentException naming what is not RE2 syntax or what does not compile
   */
  static Compiled compile(String re2) {
    List<String> names = new ArrayList<>();
    names.add(null); // group 0, the whole match
    StringBuilder out = new StringBuilder(re2.length() + 8);
    int n = re2.length();
    boolean inClass = false;
    int classStart = -1;
    boolean lastQuantifier = false;
    for (int i = 0; i < n; i++) {
      char c = re2.charAt(i);
      if (c == '\\') {
        if (i + 1 >= n) {
          throw bad(re2, "it ends with a lone backslash");
        }
        char e = re2.charAt(i + 1);
        if (e >= '1' && e <= '9') {
          throw bad(re2, "backreferences such as \\" + e + " are not RE2 syntax");
        } else if (e == 'Z') {
          throw bad(re2, "\\Z is not RE2 syntax; use \\z or $");
        } else if (e == 'v') {
          out.append("\\x0B");
        } else if (e == 'Q') {
          int end = re2.indexOf("\\E", i + 2);
          int stop = end < 0 ? n : end + 2;
          out.append(re2, i, stop);
          i = stop - 1;
          lastQuantifier = false;
          continue;
        } else if ((e == 'p' || e == 'P') && i + 2 < n && re2.charAt(i + 2) == '{') {
          int close = re2.indexOf('}', i + 3);
          if (close < 0) {
            throw bad(re2, "\\" + e + "{ is not closed");
          }
          String name = re2.substring(i + 3, close);
          String neg = name.startsWith("^") ? "^" : "";
          name = neg.isEmpty() ? name : name.substring(1);
          char p = neg.isEmpty() ? e : (e == 'p' ? 'P' : 'p');
          // Go's script names (Greek, Latin, Han) are Java's IsGreek; categories (L, Lu) stay.
          String java = name.length() <= 2 || name.equals("Any") ? name : "Is" + name;
          if (name.equals("Any")) {
            out.append(p == 'p' ? "[\\x{0}-\\x{10FFFF}]" : "[^\\x{0}-\\x{10FFFF}]");
          } else {
            out.append('\\').append(p).append('{').append(java).append('}');
          }
          i = close;
          lastQuantifier = false;
          continue;
        } else {
          out.append(c).append(e);
        }
        i++;
        lastQuantifier = false;
        continue;
      }
      if (inClass) {
        if (c == '[' && i + 1 < n && re2.charAt(i + 1) == ':') {
          int close = re2.indexOf(":]", i + 2);
          if (close < 0) {
            throw bad(re2, "a POSIX class [:name:] is not closed");
          }
          String name = re2.substring(i + 2, close);
          boolean negated = name.startsWith("^");
          String cls = POSIX.get(negated ? name.substring(1) : name);
          if (cls == null) {
            throw bad(re2, "[:" + name + ":] is not a POSIX class; valid: " + String.join(", ", POSIX.keySet()));
          }
          if (negated) {
            cls = cls.startsWith("\\p") ? "\\P" + cls.substring(2) : cls.toUpperCase(java.util.Locale.ROOT);
          }
          out.append(cls);
          i = close + 1;
        } else if (c == ']' && i > classStart) {
          out.append(']');
          inClass = false;
        } else if (c == '[' || c == '&' || c == ']') {
          out.append('\\').append(c); // literal in RE2; nesting, intersection or closing in Java
        } else {
          out.append(c);
        }
        continue;
      }
      switch (c) {
        case '[' -> {
          out.append('[');
          inClass = true;
          if (i + 1 < n && re2.charAt(i + 1) == '^') {
            out.append('^');
            i++;
          }
          classStart = i + 1; // a ']' right here is a literal
          lastQuantifier = false;
        }
        case '(' -> {
          lastQuantifier = false;
          if (i + 1 < n && re2.charAt(i + 1) == '?') {
            i = group(re2, i, out, names);
          } else {
            names.add(null);
            out.append('(');
          }
        }
        case '*', '+', '?' -> {
          if (lastQuantifier && c == '+') {
            throw bad(re2, "possessive quantifiers such as *+ or ++ are not RE2 syntax");
          }
          if (lastQuantifier && c != '?') {
            throw bad(re2, "a repetition operator follows another (\"" + re2.substring(i - 1, i + 1) + "\")");
          }
          out.append(c);
          // "a*?" is lazy: a quantifier after that is still an error in RE2, but leave it to Java
          lastQuantifier = !(lastQuantifier && c == '?');
        }
        case '{' -> {
          int close = re2.indexOf('}', i);
          String inner = close < 0 ? "" : re2.substring(i + 1, close);
          if (close > 0 && inner.matches("\\d+(,\\d*)?")) {
            out.append(re2, i, close + 1);
            i = close;
            lastQuantifier = true;
          } else {
            out.append("\\{"); // RE2 takes a '{' that does not start a repeat as a literal
            lastQuantifier = false;
          }
        }
        case '}' -> {
          out.append("\\}");
          lastQuantifier = false;
        }
        default -> {
          out.append(c);
          lastQuantifier = false;
        }
      }
    }
    if (inClass) {
      throw bad(re2, "a character class [ is not closed");
    }
    try {
      return new Compiled(Pattern.compile(out.toString(), Pattern.UNIX_LINES), names.toArray(new String[0]));
    } catch (PatternSyntaxException e) {
      throw new IllegalArgumentException("\"" + re2 + "\" does not compile: " + e.getDescription()
          + (e.getIndex() >= 0 ? " near index " + e.getIndex() : ""), e);
    }
  }

  /** Handles a group opening {@code (?...} at {@code i}; returns the index of its last character. */
  private static int group(String re2, int i, StringBuilder out, List<String> names) {
    int n = re2.length();
    String rest = re2.substring(i + 2, Math.min(n, i + 4));
    if (rest.startsWith("P<") || (rest.startsWith("<") && !rest.startsWith("<=") && !rest.startsWith("<!"))) {
      int nameStart = i + 2 + (rest.startsWith("P") ? 2 : 1);
      int close = re2.indexOf('>', nameStart);
      if (close < 0) {
        throw bad(re2, "a named group is not closed with >");
      }
      String name = re2.substring(nameStart, close);
      if (!name.matches("[A-Za-z0-9_]+")) {
        throw bad(re2, "the group name \"" + name + "\" must be letters, digits and underscores");
      }
      if (names.contains(name)) {
        throw bad(re2, "the group name \"" + name + "\" is used twice");
      }
      names.add(name);
      out.append('(');
      return close;
    }
    if (rest.startsWith("=") || rest.startsWith("!")) {
      throw bad(re2, "lookahead (?= and (?! is not RE2 syntax");
    } else if (rest.startsWith("<")) {
      throw bad(re2, "lookbehind (?<= and (?<! is not RE2 syntax");
    } else if (rest.startsWith(">")) {
      throw bad(re2, "atomic groups (?> are not RE2 syntax");
    } else if (rest.startsWith("P=") || rest.startsWith("P>")) {
      throw bad(re2, "named backreferences (?P=name) are not RE2 syntax");
    }
    // flags: (?i) (?s) (?m) (?-i) (?i:...)
    int j = i + 2;
    while (j < n && "imsU-".indexOf(re2.charAt(j)) >= 0) {
      if (re2.charAt(j) == 'U') {
        throw bad(re2, "the ungreedy flag U has no Java equivalent; write lazy quantifiers (*?, +?) instead");
      }
      j++;
    }
    if (j < n && (re2.charAt(j) == ')' || re2.charAt(j) == ':')) {
      out.append(re2, i, j + 1);
      return j;
    }
    throw bad(re2, "\"" + re2.substring(i, Math.min(n, j + 1)) + "\" is not RE2 group syntax; valid: (...), "
        + "(?:...), (?P<name>...), (?<name>...) and flags (?i), (?s), (?m)");
  }

  private static IllegalArgumentException bad(String re2, String why) {
    return new IllegalArgumentException("\"" + re2 + "\" is not valid RE2: " + why);
  }
}
