package io.sluice.core.config;

import java.util.Collection;
import java.util.Locale;

/** Finds the valid name a user most likely meant, for "did you mean" hints. */
final class Suggestions {
  private Suggestions() {}

  /**
   * The candidate closest to {@code wrong}: within an edit distance of 2 (the nearest wins), or
   * else one that starts with it or that it starts with (at least 3 characters shared). Null when
   * nothing is close.
   */
  static String closest(String wrong, Collection<String> candidates) {
    String w = wrong.toLowerCase(Locale.ROOT);
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(w, c.toLowerCase(Locale.ROOT));
      if (d <= 2 && d < bestDistance && d < Math.max(w.length(), c.length())) {
        best = c;
        bestDistance = d;
      }
    }
    if (best != null) {
      return best;
    }
    int bestShared = 2;
    for (String c : candidates) {
      String lc = c.toLowerCase(Locale.ROOT);
      if (lc.startsWith(w) || w.startsWith(lc)) {
        int shared = Math.min(w.length(), lc.length());
        if (shared > bestShared) {
          best = c;
          bestShared = shared;
        }
      }
    }
    return best;
  }

  /**
   * {@code rest}, preceded by {@code did you mean "x"? } when a candidate is close to
   * {@code wrong} (and then capitalised, as it starts a sentence).
   */
  static String hint(String wrong, Collection<String> candidates, String rest) {
    String s = closest(wrong, candidates);
    if (s == null) {
      return rest;
    }
    return "did you mean \"" + s + "\"? " + Character.toUpperCase(rest.charAt(0)) + rest.substring(1);
  }

  /** Levenshtein distance. */
  static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
