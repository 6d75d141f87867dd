package io.sluice.receiver.filelog;

import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;

/**
 * How the bytes of a file become lines: where a line ends and how its bytes are decoded. UTF-16
 * files end lines with the two-byte newline at an even offset; every other supported encoding
 * is ASCII-compatible, so a line ends at the byte {@code 0x0A}.
 */
final class Encodings {
  private Encodings() {}

  private static final Encoding UTF_16LE = new Encoding("utf-16le", StandardCharsets.UTF_16LE, false, 2, false);
  private static final Encoding UTF_16BE = new Encoding("utf-16be", StandardCharsets.UTF_16BE, false, 2, true);

  /**
   * How one file is read: the encoding, and how many bytes of byte-order mark at its start are
   * skipped (they are no part of the first record).
   */
  record ForFile(Encoding encoding, int bomLength) {}

  /** One encoding, resolved from its config name. */
  record Encoding(String name, Charset charset, boolean raw, int unit, boolean bigEndian) {
    /**
     * How a file that begins with {@code head} is read. A UTF-8 byte-order mark is skipped with
     * {@code utf-8}; a UTF-16 one with {@code utf-16le} and {@code utf-16be} when it is theirs,
     * and with {@code utf-16} it also picks the byte order (big-endian without one).
     */
    ForFile forFile(byte[] head) {
      boolean feff = head.length >= 2 && (head[0] & 0xff) == 0xfe && (head[1] & 0xff) == 0xff;
      boolean fffe = head.length >= 2 && (head[0] & 0xff) == 0xff && (head[1] & 0xff) == 0xfe;
      switch (name) {
        case "utf-8":
          boolean utf8Bom = head.length >= 3 && (head[0] & 0xff) == 0xef && (head[1] & 0xff) == 0xbb
              && (head[2] & 0xff) == 0xbf;
          return new ForFile(this, utf8Bom ? 3 : 0);
        case "utf-16":
          return fffe ? new ForFile(UTF_16LE, 2) : new ForFile(UTF_16BE, feff ? 2 : 0);
        case "utf-16le":
          return new ForFile(this, fffe ? 2 : 0);
        case "utf-16be":
          return new ForFile(this, feff ? 2 : 0);
        default:
          return new ForFile(this, 0);
      }
    }

    /** The offset of the next newline in {@code [from, to)}, or -1. {@code from} is unit-aligned. */
    int findNewline(byte[] b, int from, int to) {
      if (unit == 1) {
        for (int i = from; i < to; i++) {
          if (b[i] == '\n') {
            return i;
          }
        }
        return -1;
      }
      for (int i = from; i + 1 < to; i += 2) {
        if (bigEndian ? (b[i] == 0 && b[i + 1] == '\n') : (b[i] == '\n' && b[i + 1] == 0)) {
          return i;
        }
      }
      return -1;
    }

    int newlineLength() {
      return unit;
    }

    /** Rounds a byte count down to whole code units, so a split never cuts a UTF-16 unit. */
    int align(int n) {
      return n - n % unit;
    }

    /** The text of {@code [off, off+len)}, for matching patterns; raw bytes read as latin-1. */
    String text(byte[] b, int off, int len) {
      return new String(b, off, len, raw ? StandardCharsets.ISO_8859_1 : charset);
    }

    /** The body of a record: the text, or the bytes themselves with {@code nop}. */
    Object body(byte[] b, int off, int len) {
      return raw ? Arrays.copyOfRange(b, off, off + len) : text(b, off, len);
    }
  }

  /**
   * The encoding of a config name: {@code ""}, {@code utf-8}, {@code utf-16} (byte order from a
   * file's byte-order mark), {@code utf-16le}, {@code utf-16be},
   * {@code ascii}, {@code latin-1} and other ASCII-compatible names Java knows, {@code nop}.
   *
   * @throws IllegalArgumentException saying what is supported
   */
  static Encoding of(String name) {
    String n = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
    switch (n) {
      case "", "utf-8", "utf8", "utf8-raw", "utf-8-raw":
        return new Encoding("utf-8", StandardCharsets.UTF_8, false, 1, false);
      case "nop":
        return new Encoding("nop", null, true, 1, false);
      case "utf-16le":
        return UTF_16LE;
      case "utf-16be":
        return UTF_16BE;
      case "utf-16", "utf16":
        // big-endian unless a file's byte-order mark says otherwise (ForFile)
        return new Encoding("utf-16", StandardCharsets.UTF_16BE, false, 2, true);
      case "ascii", "us-ascii":
        return new Encoding(n, StandardCharsets.US_ASCII, false, 1, false);
      case "latin-1", "latin1", "iso-8859-1", "iso_8859-1":
        return new Encoding(n, StandardCharsets.ISO_8859_1, false, 1, false);
      default:
        break;
    }
    Charset cs;
    try {
      cs = Charset.forName(n);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(unsupported(name), e);
    }
    byte[] newline = "\n".getBytes(cs);
    if (newline.length != 1 || newline[0] != '\n' || n.startsWith("utf-16") || n.startsWith("utf-32")) {
      throw new IllegalArgumentException(unsupported(name));
    }
    return new Encoding(n, cs, false, 1, false);
  }

  private static String unsupported(String name) {
    return "\"" + name + "\" is not a supported encoding; use utf-8 (default), utf-16 (byte order from the byte-order mark), utf-16le, utf-16be, ascii, latin-1,"
        + " another ASCII-compatible charset such as windows-1252 or shift_jis, or nop for the raw bytes";
  }
}
