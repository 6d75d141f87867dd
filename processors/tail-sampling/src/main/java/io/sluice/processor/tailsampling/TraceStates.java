package io.sluice.processor.tailsampling;

/**
 * Reads a W3C {@code tracestate} header value: comma-separated {@code key=value} members. A value
 * that breaks the format's rules reads as having no keys, as the Collector's parser refuses it.
 */
final class TraceStates {
  private TraceStates() {}

  /** The value of {@code key}, or null when absent or when the trace state is malformed. */
  static String get(String traceState, String key) {
    String found = null;
    int members = 0;
    for (String raw : traceState.split(",", -1)) {
      String m = raw.strip();
      if (m.isEmpty()) {
        continue;
      }
      if (++members > 32) {
        return null;
      }
      int eq = m.indexOf('=');
      if (eq <= 0 || eq == m.length() - 1) {
        return null;
      }
      String k = m.substring(0, eq);
      String v = m.substring(eq + 1);
      if (!validKey(k) || !validValue(v)) {
        return null;
      }
      if (k.equals(key) && found == null) {
        found = v;
      }
    }
    return found;
  }

  private static boolean validKey(String k) {
    if (k.length() > 256) {
      return false;
    }
    char first = k.charAt(0);
    if (!(first >= 'a' && first <= 'z' || first >= '0' && first <= '9')) {
      return false;
    }
    int at = k.indexOf('@');
    for (int i = 0; i < k.length(); i++) {
      char c = k.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '*' || c == '/'
          || c == '@' && i == at;
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  private static boolean validValue(String v) {
    if (v.length() > 256 || v.charAt(v.length() - 1) == ' ') {
      return false;
    }
    for (int i = 0; i < v.length(); i++) {
      char c = v.charAt(i);
      if (c < 0x20 || c > 0x7E || c == ',' || c == '=') {
        return false;
      }
    }
    return true;
  }
}
