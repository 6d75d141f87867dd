package io.sluice.receiver.logoperators;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code key_value_parser}: {@code a=1 b="two words"} becomes {@code {a: "1", b: "two words"}}.
 * Pairs are split at {@code pair_delimiter} (default: runs of white space outside quotes), each
 * pair at the first {@code delimiter} (default {@code =}); keys and values are trimmed and a
 * value's surrounding quotes removed. A pair with no delimiter is an error. All values are
 * strings.
 */
final class KeyValueParser extends ParserOperator {
  private final String delimiter;
  private final String pairDelimiter;

  KeyValueParser(String delimiter, String pairDelimiter) {
    this.delimiter = delimiter;
    this.pairDelimiter = pairDelimiter;
  }

  @Override
  Map<String, Object> parse(Object value, LogEntry e) throws EntryException {
    String s = text(value);
    Map<String, Object> out = new LinkedHashMap<>();
    int n = s.length();
    int i = 0;
    while (i < n) {
      int end;
      if (pairDelimiter == null) {
        while (i < n && Character.isWhitespace(s.charAt(i))) {
          i++;
        }
        if (i >= n) {
          break;
        }
        end = i;
        char quote = 0;
        while (end < n && (quote != 0 || !Character.isWhitespace(s.charAt(end)))) {
          char c = s.charAt(end);
          if (quote == 0 && (c == '"' || c == '\'')) {
            quote = c;
          } else if (c == quote) {
            quote = 0;
          }
          end++;
        }
      } else {
        end = indexOutsideQuotes(s, pairDelimiter, i);
      }
      String pair = s.substring(i, end).trim();
      i = end + (pairDelimiter == null ? 0 : pairDelimiter.length());
      if (pair.isEmpty()) {
        continue;
      }
      int d = pair.indexOf(delimiter);
      if (d < 0) {
        throw new EntryException("\"" + RegexParser.abbreviate(pair) + "\" has no delimiter \"" + delimiter
            + "\" between a key and a value");
      }
      String key = unquote(pair.substring(0, d).trim());
      if (key.isEmpty()) {
        throw new EntryException("\"" + RegexParser.abbreviate(pair) + "\" has an empty key");
      }
      out.put(key, unquote(pair.substring(d + delimiter.length()).trim()));
    }
    if (out.isEmpty()) {
      throw new EntryException("no key-value pairs in \"" + RegexParser.abbreviate(s) + "\"");
    }
    return out;
  }

  private static int indexOutsideQuotes(String s, String delim, int from) {
    char quote = 0;
    for (int i = from; i < s.length(); i++) {
      char c = s.charAt(i);
      if (quote == 0 && (c == '"' || c == '\'')) {
        quote = c;
      } else if (c == quote) {
        quote = 0;
      } else if (quote == 0 && s.startsWith(delim, i)) {
        return i;
      }
    }
    return s.length();
  }

  private static String unquote(String s) {
    if (s.length() >= 2) {
      char f = s.charAt(0);
      if ((f == '"' || f == '\'') && s.charAt(s.length() - 1) == f) {
        return s.substring(1, s.length() - 1);
      }
    }
    return s;
  }
}
