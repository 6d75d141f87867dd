package io.sluice.processor.probabilisticsampler;

import java.util.Arrays;

/**
 * Reads a W3C {@code tracestate} and the OpenTelemetry entry in it ({@code ot=th:...;rv:...}),
 * and writes it back with a changed threshold or randomness.
 *
 * <p>Parsing takes no objects: it records where the entries are in the caller's bytes. One editor
 * serves many spans in turn (one batch on one thread); {@link #parse} starts over.
 *
 * <p>The syntax checked is the W3C list (at most 31 members, keys and values as the
 * recommendation defines them, 1024 bytes at most) and the OpenTelemetry entry's {@code key:value}
 * list (at most 256 bytes, {@code rv} of exactly 14 hex digits, {@code th} of 1 to 14). A written
 * tracestate has the {@code ot} entry first, as the recommendation says for a changed entry, with
 * {@code rv}, then {@code th}, then its other keys in their order; the other vendors' entries
 * follow unchanged, in their order, without the blanks around them.
 */
final class TraceStateEditor implements Sampler.Carrier {
  private static final int MAX_LENGTH = 1024;
  private static final int MAX_MEMBERS = 32;
  private static final int MAX_KEY = 256;
  private static final int MAX_TENANT = 241;
  private static final int MAX_SYSTEM = 14;
  private static final int MAX_VALUE = 256;
  private static final int MAX_OT_VALUE = 256;

  private byte[] src;
  /** Start and end of each member that is not {@code ot}, trimmed. */
  private int[] members = new int[16];
  private int memberCount;
  /** Start and end of each {@code key:value} of the {@code ot} entry other than rv and th. */
  private int[] extras = new int[8];
  private int extraCount;

  private boolean hasRandomness;
  private long randomness;
  private int rvStart;
  private int rvEnd;
  private String rvWritten;

  private boolean hasThreshold;
  private long threshold;
  private int thStart;
  private int thEnd;
  private String thWritten;

  /**
   * Reads {@code b[off, off + len)}; an empty tracestate is valid and has nothing.
   *
   * @return false when it is not a valid tracestate (or its {@code ot} entry is not valid), after
   *     which nothing read from it counts
   */
  boolean parse(byte[] b, int off, int len) {
    src = b;
    memberCount = 0;
    resetOt();
    if (len == 0) {
      return true;
    }
    if (len > MAX_LENGTH) {
      return false;
    }
    int end = off + len;
    int pos = off;
    int items = 0;
    while (pos < end) {
      if (++items >= MAX_MEMBERS) {
        return false;
      }
      int sep = indexOf(b, (byte) ',', pos, end);
      int ms = pos;
      int me = sep < 0 ? end : sep;
      pos = sep < 0 ? end : sep + 1;
      while (ms < me && isBlank(b[ms])) {
        ms++;
      }
      while (me > ms && isBlank(b[me - 1])) {
        me--;
      }
      if (ms == me) {
        continue;
      }
      int eq = indexOf(b, (byte) '=', ms, me);
      if (eq <= ms || !validKey(b, ms, eq) || !validValue(b, eq + 1, me)) {
        return false;
      }
      if (eq - ms == 2 && b[ms] == 'o' && b[ms + 1] == 't') {
        if (!parseOt(b, eq + 1, me)) {
          return false;
        }
      } else {
        members = add(members, memberCount++, ms, me);
      }
    }
    return true;
  }

  private void resetOt() {
    extraCount = 0;
    hasRandomness = false;
    randomness = 0;
    rvWritten = null;
    hasThreshold = false;
    threshold = 0;
    thWritten = null;
  }

  /** The {@code ot} entry's value: {@code key:value} pairs separated by semicolons. A later entry replaces an earlier. */
  private boolean parseOt(byte[] b, int start, int end) {
    resetOt();
    if (end - start > MAX_OT_VALUE || start == end || b[end - 1] == ';') {
      return false;
    }
    int pos = start;
    while (pos < end) {
      int sep = indexOf(b, (byte) ';', pos, end);
      int ms = pos;
      int me = sep < 0 ? end : sep;
      pos = sep < 0 ? end : sep + 1;
      int colon = indexOf(b, (byte) ':', ms, me);
      if (colon <= ms || !validOtKey(b, ms, colon) || !validOtValue(b, colon + 1, me)) {
        return false;
      }
      int keyLen = colon - ms;
      if (keyLen == 2 && b[ms] == 'r' && b[ms + 1] == 'v') {
        long r = Thresholds.parseRandomness(b, colon + 1, me - colon - 1);
        if (r < 0) {
          return false;
        }
        hasRandomness = true;
        randomness = r;
        rvStart = colon + 1;
        rvEnd = me;
      } else if (keyLen == 2 && b[ms] == 't' && b[ms + 1] == 'h') {
        long t = Thresholds.parseThreshold(b, colon + 1, me - colon - 1);
        if (t < 0) {
          return false;
        }
        hasThreshold = true;
        threshold = t;
        thStart = colon + 1;
        thEnd = me;
      } else {
        extras = add(extras, extraCount++, ms, me);
      }
    }
    return true;
  }

  @Override
  public boolean hasRandomness() {
    return hasRandomness;
  }

  @Override
  public long randomness() {
    return randomness;
  }

  @Override
  public boolean hasThreshold() {
    return hasThreshold;
  }

  @Override
  public long threshold() {
    return threshold;
  }

  /** Sets {@code rv}. */
  @Override
  public void setRandomness(long r) {
    hasRandomness = true;
    randomness = r;
    rvWritten = Thresholds.encodeRandomness(r);
  }

  /** Removes {@code th}, as for a threshold that the randomness contradicts. */
  @Override
  public void clearThreshold() {
    if (hasThreshold) {
      hasThreshold = false;
      threshold = 0;
      thWritten = null;
    }
  }

  /**
   * Records that the item was kept at threshold {@code t}, written in its shortest form. A
   * threshold is only ever raised: when the item arrived with a higher one (a lower probability),
   * that one stays as it was written.
   */
  @Override
  public void raiseThreshold(long t) {
    if (hasThreshold && threshold > t) {
      return;
    }
    if (t >= Thresholds.NEVER) {
      clearThreshold();
      return;
    }
    hasThreshold = true;
    threshold = t;
    thWritten = Thresholds.encodeThreshold(t);
  }

  /** The tracestate as it now is, ASCII. */
  byte[] write() {
    int n = 0;
    boolean ot = hasRandomness || hasThreshold || extraCount > 0;
    if (ot) {
      n += 3;
      if (hasRandomness) {
        n += 3 + Thresholds.DIGITS + 1;
      }
      if (hasThreshold) {
        n += 4 + (thWritten != null ? thWritten.length() : thEnd - thStart);
      }
      for (int i = 0; i < extraCount; i++) {
        n += extras[2 * i + 1] - extras[2 * i] + 1;
      }
    }
    for (int i = 0; i < memberCount; i++) {
      n += members[2 * i + 1] - members[2 * i] + 1;
    }
    byte[] out = new byte[n];
    int p = 0;
    if (ot) {
      p = ascii("ot=", out, p);
      boolean first = true;
      if (hasRandomness) {
        p = ascii("rv:", out, p);
        p = rvWritten != null ? ascii(rvWritten, out, p) : copy(src, rvStart, rvEnd, out, p);
        first = false;
      }
      if (hasThreshold) {
        p = ascii(first ? "th:" : ";th:", out, p);
        p = thWritten != null ? ascii(thWritten, out, p) : copy(src, thStart, thEnd, out, p);
        first = false;
      }
      for (int i = 0; i < extraCount; i++) {
        if (!first) {
          out[p++] = ';';
        }
        p = copy(src, extras[2 * i], extras[2 * i + 1], out, p);
        first = false;
      }
    }
    for (int i = 0; i < memberCount; i++) {
      if (p > 0) {
        out[p++] = ',';
      }
      p = copy(src, members[2 * i], members[2 * i + 1], out, p);
    }
    return p == n ? out : Arrays.copyOf(out, p);
  }

  private static int ascii(String s, byte[] out, int p) {
    for (int i = 0; i < s.length(); i++) {
      out[p++] = (byte) s.charAt(i);
    }
    return p;
  }

  private static int copy(byte[] b, int start, int end, byte[] out, int p) {
    System.arraycopy(b, start, out, p, end - start);
    return p + end - start;
  }

  private static int[] add(int[] pairs, int index, int start, int end) {
    if (2 * index + 1 >= pairs.length) {
      pairs = Arrays.copyOf(pairs, pairs.length * 2);
    }
    pairs[2 * index] = start;
    pairs[2 * index + 1] = end;
    return pairs;
  }

  private static int indexOf(byte[] b, byte c, int from, int to) {
    for (int i = from; i < to; i++) {
      if (b[i] == c) {
        return i;
      }
    }
    return -1;
  }

  private static boolean isBlank(byte c) {
    return c == ' ' || c == '\t';
  }

  private static boolean isLowerAlpha(byte c) {
    return c >= 'a' && c <= 'z';
  }

  private static boolean isLowerAlphaNum(byte c) {
    return isLowerAlpha(c) || (c >= '0' && c <= '9');
  }

  private static boolean isKeyChar(byte c) {
    return isLowerAlphaNum(c) || c == '_' || c == '-' || c == '*' || c == '/';
  }

  /** A simple key ({@code vendor}) or a multi-tenant key ({@code tenant@system}), within their lengths. */
  private static boolean validKey(byte[] b, int start, int end) {
    if (end - start > MAX_KEY) {
      return false;
    }
    int at = indexOf(b, (byte) '@', start, end);
    if (at < 0) {
      return isLowerAlpha(b[start]) && keyChars(b, start + 1, end);
    }
    if (at == start || at == end - 1 || at - start > MAX_TENANT || end - at - 1 > MAX_SYSTEM) {
      return false;
    }
    return isLowerAlphaNum(b[start]) && keyChars(b, start + 1, at) && isLowerAlpha(b[at + 1])
        && keyChars(b, at + 2, end);
  }

  private static boolean keyChars(byte[] b, int start, int end) {
    for (int i = start; i < end; i++) {
      if (!isKeyChar(b[i])) {
        return false;
      }
    }
    return true;
  }

  /** 1 to 256 printable ASCII characters other than {@code ,} and {@code =}, not ending in a space. */
  private static boolean validValue(byte[] b, int start, int end) {
    if (start >= end || end - start > MAX_VALUE || !isValueChar(b[end - 1]) || b[end - 1] == ' ') {
      return false;
    }
    for (int i = start; i < end - 1; i++) {
      if (!isValueChar(b[i])) {
        return false;
      }
    }
    return true;
  }

  private static boolean isValueChar(byte c) {
    return c >= 0x20 && c <= 0x7E && c != ',' && c != '=';
  }

  private static boolean validOtKey(byte[] b, int start, int end) {
    if (!isLowerAlpha(b[start])) {
      return false;
    }
    for (int i = start + 1; i < end; i++) {
      if (!isLowerAlphaNum(b[i])) {
        return false;
      }
    }
    return true;
  }

  /** Letters, digits, {@code .}, {@code _} and {@code -}; may be empty. */
  private static boolean validOtValue(byte[] b, int start, int end) {
    for (int i = start; i < end; i++) {
      byte c = b[i];
      if (!(isLowerAlphaNum(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == '_' || c == '-')) {
        return false;
      }
    }
    return true;
  }
}
