package io.sluice.receiver.filelog;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Byte sizes as the Collector's log receivers write them: a number, optionally followed by a
 * unit {@code kb}, {@code mb}, {@code gb} or {@code kib}, {@code mib}, {@code gib} in any case;
 * both spellings are powers of 1024, as in the Collector ({@code 1kb} is 1024 bytes).
 */
final class ByteSizes {
  private static final Pattern SIZE = Pattern.compile("^\\s*([0-9]+(?:\\.[0-9]*)?)\\s*([kmgt]i?b)?\\s*$",
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
    long factor = switch (unit.isEmpty() ? ' ' : unit.charAt(0)) {
      case 'k' -> 1L << 10;
      case 'm' -> 1L << 20;
      case 'g' -> 1L << 30;
      case 't' -> 1L << 40;
      default -> 1;
    };
    return (long) (n * factor);
  }
}
