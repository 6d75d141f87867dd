package io.sluice.receiver.prometheus;

/** A scraped body that is not a valid exposition; the message starts with the 1-based line number. */
final class ParseException extends Exception {
  private static final long serialVersionUID = 1L;
  private final int line;

  ParseException(int line, String problem) {
    super("line " + line + ": " + problem);
    this.line = line;
  }

  /** 1-based line of the problem. */
  int line() {
    return line;
  }
}
