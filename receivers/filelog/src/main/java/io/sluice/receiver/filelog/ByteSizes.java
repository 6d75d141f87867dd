package io.sluice.receiver.filelog;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as the Collector's log receivers write them: a number, optionally followed by a
 * unit in any case: {@code kb}, {@code mb}, {@code gb}, {@code tb}, {@code pb} are powers of 1000
 * and {@code kib}, {@code mib}, {@code gib}, {@code tib}, {@code pib} powers of 1024, as in the
 * Collector ({@code 1kb}, the default {@code fingerprint_size}, is 1000 bytes).
 */
final class ByteSizes {
  private static final Pattern SIZE = Pattern.compile("^\\s*([0-9]+(?:\\.[0-9]*)?)\\s*([kmgtp]i?b)?\\s*$",
      Pattern.CASE_INSENSITIVE);

  private ByteSizes() {}

  static long parse(String text) {
    Matcher m = SIZE.matcher(text == null ? "" : text);
    if (!m.matches()) {
      throw new IllegalArgumentException("\"" + text + "\" is not a byte size; write a number of bytes or one with"
          + " a unit such as \"1kb\", \"16KiB\" or \"1MiB\"");
    }
    double n = Double.parseDouble(m.group(1));
    String unit = m.group(2) == null ? "" : m.group(2).toLowerCase(Locale.ROOT);
    int power = unit.isEmpty() ? 0 : "kmgtp".indexOf(unit.charAt(0)) + 1;
    double factor = Math.pow(unit.contains("i") ? 1024 : 1000, power);
    return (long) (n * factor);
  }
}
