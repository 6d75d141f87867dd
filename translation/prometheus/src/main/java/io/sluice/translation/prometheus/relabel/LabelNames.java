package io.sluice.translation.prometheus.relabel;

/** Checks Prometheus label names in the classic form {@code [a-zA-Z_][a-zA-Z0-9_]*}. */
final class LabelNames {
  private LabelNames() {}

  static boolean isValid(String name) {
    if (name == null || name.isEmpty()) {
      return false;
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      boolean ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i > 0 && c >= '0' && c <= '9');
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code template} is a valid label name once its {@code $1}, {@code ${1}},
   * {@code $name} and {@code ${name}} references are filled in with a name-like value.
   */
  static boolean isValidWithReferences(String template) {
    if (template.indexOf('$') < 0) {
      return isValid(template);
    }
    StringBuilder sb = new StringBuilder();
    int i = 0;
    while (i < template.length()) {
      char c = template.charAt(i);
      if (c != '$') {
        sb.append(c);
        i++;
        continue;
      }
      int j = i + 1;
      if (j < template.length() && template.charAt(j) == '{') {
        int close = template.indexOf('}', j);
        if (close < 0 || close == j + 1 || !isWord(template, j + 1, close)) {
          return false;
        }
        i = close + 1;
      } else {
        int end = j;
        while (end < template.length() && isWordChar(template.charAt(end))) {
          end++;
        }
        if (end == j) {
          return false;
        }
        i = end;
      }
      sb.append('x');
    }
    return isValid(sb.toString());
  }

  private static boolean isWord(String s, int from, int to) {
    for (int i = from; i < to; i++) {
      if (!isWordChar(s.charAt(i))) {
        return false;
      }
    }
    return true;
  }

  private static boolean isWordChar(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }
}
