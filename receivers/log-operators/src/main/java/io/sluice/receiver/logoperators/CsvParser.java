package io.sluice.receiver.logoperators;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code csv_parser}: one delimited record, its fields named by {@code header} (split at {@code
 * header_delimiter}, default the {@code delimiter}) or by the header found in the attribute
 * {@code header_attribute}. Quoting as Go's {@code encoding/csv}: a field may be wrapped in
 * double quotes with {@code ""} for a quote inside; {@code lazy_quotes} lets quotes appear in
 * unquoted fields and unescaped in quoted ones; {@code ignore_quotes} splits at every delimiter.
 * A record with a different number of fields than the header is an error.
 */
final class CsvParser extends ParserOperator {
  private final char delimiter;
  private final String[] header;
  private final String headerAttribute;
  private final char headerDelimiter;
  private final boolean lazyQuotes;
  private final boolean ignoreQuotes;

  CsvParser(char delimiter, String[] header, String headerAttribute, char headerDelimiter, boolean lazyQuotes,
      boolean ignoreQuotes) {
    this.delimiter = delimiter;
    this.header = header;
    this.headerAttribute = headerAttribute;
    this.headerDelimiter = headerDelimiter;
    this.lazyQuotes = lazyQuotes;
    this.ignoreQuotes = ignoreQuotes;
  }

  @Override
  Map<String, Object> parse(Object value, LogEntry e) throws EntryException {
    String s = text(value);
    String[] names = header;
    if (names == null) {
      Object h = e.hasAttributes() ? e.attributes().get(headerAttribute) : null;
      if (!(h instanceof String hs)) {
        throw new EntryException("the entry has no header in attributes." + headerAttribute);
      }
      names = split(hs, headerDelimiter, true, false).toArray(new String[0]);
    }
    List<String> fields = split(s, delimiter, lazyQuotes, ignoreQuotes);
    if (fields.size() != names.length) {
      throw new EntryException("wrong number of fields: the header has " + names.length + ", \""
          + RegexParser.abbreviate(s) + "\" has " + fields.size());
    }
    Map<String, Object> out = new LinkedHashMap<>(names.length * 2);
    for (int i = 0; i < names.length; i++) {
      out.put(names[i], fields.get(i));
    }
    return out;
  }

  /** Splits one record. */
  static List<String> split(String s, char delim, boolean lazy, boolean ignoreQuotes) throws EntryException {
    List<String> out = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    int n = s.length();
    int i = 0;
    while (true) {
      field.setLength(0);
      if (!ignoreQuotes && i < n && s.charAt(i) == '"') {
        int start = i;
        i++;
        while (true) {
          if (i >= n) {
            if (!lazy) {
              throw new EntryException("a quoted field starting at " + (start + 1) + " is not closed in \""
                  + RegexParser.abbreviate(s) + "\"");
            }
            break;
          }
          char c = s.charAt(i);
          if (c == '"') {
            if (i + 1 < n && s.charAt(i + 1) == '"') {
              field.append('"');
              i += 2;
            } else if (i + 1 >= n || s.charAt(i + 1) == delim) {
              i++;
              break;
            } else if (lazy) {
              field.append('"');
              i++;
            } else {
              throw new EntryException("extraneous \" in a quoted field at " + (i + 1) + " in \""
                  + RegexParser.abbreviate(s) + "\"");
            }
          } else {
            field.append(c);
            i++;
          }
        }
      } else {
        while (i < n && s.charAt(i) != delim) {
          char c = s.charAt(i);
          if (c == '"' && !lazy && !ignoreQuotes) {
            throw new EntryException("bare \" in an unquoted field at " + (i + 1) + " in \""
                + RegexParser.abbreviate(s) + "\"");
          }
          field.append(c);
          i++;
        }
      }
      out.add(field.toString());
      if (i >= n) {
        return out;
      }
      i++; // the delimiter
    }
  }
}
