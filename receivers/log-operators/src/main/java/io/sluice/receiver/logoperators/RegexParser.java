package io.sluice.receiver.logoperators;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * {@code regex_parser}: the named groups of an RE2 regex ({@code (?P<name>...)}) become keys.
 * The regex is searched for anywhere in the value, as Go's {@code FindStringSubmatch} does; a
 * value it does not match is an error. A group that took no part in the match is the empty string,
 * as in the Collector.
 */
final class RegexParser extends ParserOperator {
  private final Matcher matcher;
  private final String[] names;
  private final String regex;

  RegexParser(Re2.Compiled compiled, String regex) {
    this.matcher = compiled.pattern().matcher("");
    this.names = compiled.groupNames();
    this.regex = regex;
  }

  @Override
  Map<String, Object> parse(Object value, LogEntry e) throws EntryException {
    String s = text(value);
    Matcher m = matcher.reset(s);
    if (!m.find()) {
      throw new EntryException("regex \"" + regex + "\" does not match \"" + abbreviate(s) + "\"");
    }
    Map<String, Object> out = new LinkedHashMap<>(names.length * 2);
    for (int g = 1; g < names.length; g++) {
      if (names[g] != null) {
        int start = m.start(g);
        out.put(names[g], start < 0 ? "" : s.substring(start, m.end(g))); // "" as Go gives for no match
      }
    }
    m.reset(""); // do not keep the line alive
    return out;
  }

  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }
}
