package io.sluice.receiver.prometheus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Prometheus text format 0.0.4 parser. Like Prometheus it is lenient where the format is loose:
 * blanks and tabs anywhere between tokens, comments, empty lines, a missing final newline, a
 * trailing comma in label sets, quoted (UTF-8) metric and label names. Timestamps are integer
 * milliseconds.
 */
final class PrometheusTextParser extends ExpositionParser {
  private static final String[] SUFFIXES = {"_bucket", "_count", "_sum", "_total"};
  private final List<MetricFamily> families = new ArrayList<>();
  private final Map<String, MetricFamily> byName = new HashMap<>();
  private final Set<String> typed = new HashSet<>();
  private final Set<String> helped = new HashSet<>();
  private MetricFamily current;
  /** Metric name given inside the braces, as {@code {"name",...}}. */
  private String quotedName;

  PrometheusTextParser(byte[] body, int offset, int length, StringCache strings) {
    super(body, offset, length, strings);
  }

  @Override
  List<MetricFamily> parse() throws ParseException {
    series.begin(b);
    while (nextLine()) {
      int lineBreak = lineEnd;
      if (lineEnd > lineStart && b[lineEnd - 1] == '\r') {
        lineEnd--; // CRLF bodies: the '\r' is not part of the line
      }
      pos = lineStart;
      skipBlanks();
      if (pos < lineEnd) {
        if (b[pos] == '#') {
          int commentStart = pos;
          comment();
          series.recordComment(b, commentStart, lineEnd);
        } else {
          sample();
        }
      }
      pos = lineBreak + 1;
    }
    series.finish();
    return families;
  }

  private void skipBlanks() {
    while (pos < lineEnd && (b[pos] == ' ' || b[pos] == '\t')) {
      pos++;
    }
  }

  private int token() {
    while (pos < lineEnd && b[pos] != ' ' && b[pos] != '\t') {
      pos++;
    }
    return pos;
  }

  private boolean tokenIs(int s, int e, String word) {
    if (e - s != word.length()) {
      return false;
    }
    for (int i = 0; i < word.length(); i++) {
      if (b[s + i] != word.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  private void comment() throws ParseException {
    pos++;
    skipBlanks();
    int s = pos;
    int e = token();
    boolean help = tokenIs(s, e, "HELP");
    if (!help && !tokenIs(s, e, "TYPE")) {
      return; // an ordinary comment
    }
    String keyword = help ? "HELP" : "TYPE";
    skipBlanks();
    String name = peek() == '"' ? quoted("metric name") : metricName();
    if (name == null) {
      throw error("expected a metric name after '# " + keyword + "', found " + found());
    }
    if (pos < lineEnd && b[pos] != ' ' && b[pos] != '\t') {
      throw error("invalid character " + found() + " in the metric name after '# " + keyword
          + "'");
    }
    if (help) {
      if (pos < lineEnd) {
        pos++; // one separator; further blanks belong to the text
      }
      if (!helped.add(name)) {
        throw error("second HELP line for '" + name + "'");
      }
      String text = unescape(pos, lineEnd, false);
      familyForMetadata(name).help(text);
    } else {
      skipBlanks();
      int ts = pos;
      int te = token();
      MetricType type = typeWord(ts, te);
      if (type == null) {
        throw error("unknown metric type '" + new String(b, ts, te - ts, StandardCharsets.UTF_8)
            + "' for '" + name + "'; expected counter, gauge, histogram, summary or untyped");
      }
      skipBlanks();
      if (pos < lineEnd) {
        throw error("unexpected text after the TYPE of '" + name + "': " + found());
      }
      if (!typed.add(name)) {
        throw error("second TYPE line for '" + name + "'");
      }
      MetricFamily f = familyForMetadata(name);
      if (!f.samples().isEmpty()) {
        throw error("TYPE for '" + name + "' after its samples; it must come first");
      }
      f.type(type);
    }
  }

  private MetricType typeWord(int s, int e) {
    if (tokenIs(s, e, "counter")) {
      return MetricType.COUNTER;
    } else if (tokenIs(s, e, "gauge")) {
      return MetricType.GAUGE;
    } else if (tokenIs(s, e, "histogram")) {
      return MetricType.HISTOGRAM;
    } else if (tokenIs(s, e, "summary")) {
      return MetricType.SUMMARY;
    } else if (tokenIs(s, e, "untyped")) {
      return MetricType.UNKNOWN;
    }
    return null;
  }

  private MetricFamily familyForMetadata(String name) {
    MetricFamily f = byName.get(name);
    if (f == null) {
      f = newFamily(name);
    }
    current = f;
    return f;
  }

  private MetricFamily newFamily(String name) {
    MetricFamily f = new MetricFamily(name, MetricType.UNKNOWN);
    families.add(f);
    byName.put(name, f);
    return f;
  }

  private static boolean accepts(MetricFamily f, String sampleName) {
    String familyName = f.name();
    if (!sampleName.startsWith(familyName)) {
      return false;
    }
    int extra = sampleName.length() - familyName.length();
    return switch (f.type()) {
      case HISTOGRAM -> (extra == 7 && sampleName.endsWith("_bucket"))
          || (extra == 6 && sampleName.endsWith("_count"))
          || (extra == 4 && sampleName.endsWith("_sum"));
      case SUMMARY -> extra == 0
          || (extra == 6 && sampleName.endsWith("_count"))
          || (extra == 4 && sampleName.endsWith("_sum"));
      // "a_total" samples of a counter typed as "a" (OpenMetrics style) belong to it too
      case COUNTER -> extra == 0 || (extra == 6 && sampleName.endsWith("_total"));
      default -> extra == 0;
    };
  }

  private MetricFamily familyForSample(String name) {
    if (current != null && accepts(current, name)) {
      return current;
    }
    MetricFamily f = byName.get(name);
    if (f == null || !accepts(f, name)) {
      f = null;
      for (String suffix : SUFFIXES) {
        if (name.endsWith(suffix)) {
          MetricFamily base = byName.get(name.substring(0, name.length() - suffix.length()));
          if (base != null && accepts(base, name)) {
            f = base;
            break;
          }
        }
      }
      if (f == null) {
        f = byName.get(name);
        if (f == null) {
          f = newFamily(name);
        }
      }
    }
    current = f;
    return f;
  }

  private void sample() throws ParseException {
    // The series part (name and label set) as last time: its name and labels are known.
    int keyStart = pos;
    int placed = series.matchPlace(b, pos, lineEnd);
    boolean atPlace = placed >= 0;
    int keyEnd = atPlace ? placed : seriesEnd();
    if (atPlace || (keyEnd > keyStart && series.find(b, keyStart, keyEnd))) {
      String name = series.foundName();
      Labels labels = series.foundLabels();
      series.recordSample(keyStart, keyEnd, name, labels, atPlace);
      pos = keyEnd;
      sample(name, labels);
      return;
    }
    String name = null;
    int partEnd = -1;
    if (peek() != '{') {
      name = metricName();
      if (name == null) {
        throw error("expected a metric name, found " + found());
      }
      partEnd = pos;
      skipBlanks();
    }
    quotedName = null;
    int count = 0;
    if (peek() == '{') {
      count = labelSet(name);
      partEnd = pos;
    }
    if (quotedName != null) {
      if (name != null) {
        throw error("metric '" + name + "' has a second name \"" + quotedName
            + "\" inside the braces");
      }
      name = quotedName;
    } else if (name == null) {
      throw error("sample without a metric name");
    }
    Labels labels = labels(count);
    boolean comparable = keyEnd > keyStart && partEnd == keyEnd;
    series.recordSample(comparable ? keyStart : -1, keyEnd, name, labels, false);
    sample(name, labels);
  }

  /**
   * Where the series part of the sample line at pos ends: after the name and a label set that
   * follows it directly; -1 when the line does not start so.
   */
  private int seriesEnd() {
    int i = pos;
    int e = lineEnd;
    while (i < e && isNameChar(b[i])) {
      i++;
    }
    if (i == e || b[i] != '{') {
      return i;
    }
    boolean inQuotes = false;
    for (i++; i < e; i++) {
      byte c = b[i];
      if (inQuotes) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inQuotes = false;
        }
      } else if (c == '"') {
        inQuotes = true;
      } else if (c == '}') {
        return i + 1;
      }
    }
    return -1;
  }

  /** The rest of a sample line after its series part: value and timestamp. */
  private void sample(String name, Labels labels) throws ParseException {
    int count = labels.size();
    skipBlanks();
    int s = pos;
    int e = token();
    if (s == e) {
      throw error("expected a value after " + (count > 0 ? "the labels of '" : "'") + name
          + "', found " + found(s));
    }
    double value = number(s, e, true, true);
    if (numberError) {
      int c = b[s] & 0xff;
      boolean numberLike = (c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.'
          || c == 'N' || c == 'n' || c == 'I' || c == 'i';
      if (!numberLike) {
        throw error("expected a value after " + (count > 0 ? "the labels of '" : "'") + name
            + "', found " + found(s));
      }
      throw error("invalid value of '" + name + "': '"
          + new String(b, s, e - s, StandardCharsets.UTF_8) + "'");
    }
    skipBlanks();
    long timestamp = Sample.NO_TIMESTAMP;
    if (pos < lineEnd) {
      int ts = pos;
      int te = token();
      timestamp = milliseconds(ts, te, name);
      series.sawTimestamp();
      skipBlanks();
      if (pos < lineEnd) {
        throw error("unexpected text after the timestamp of '" + name + "': " + found());
      }
    }
    familyForSample(name).add(new Sample(name, labels, value, timestamp, null));
  }

  private long milliseconds(int s, int e, String name) throws ParseException {
    int i = s;
    boolean negative = false;
    if (b[i] == '-' || b[i] == '+') {
      negative = b[i] == '-';
      i++;
    }
    if (i == e) {
      throw invalidTimestamp(s, e, name);
    }
    for (int k = i; k < e; k++) {
      if (b[k] < '0' || b[k] > '9') {
        throw invalidTimestamp(s, e, name);
      }
    }
    if (e - i <= 18) {
      long v = 0;
      for (int k = i; k < e; k++) {
        v = v * 10 + (b[k] - '0');
      }
      return negative ? -v : v;
    }
    try {
      long v = Long.parseLong(ascii(s, e));
      return v == Sample.NO_TIMESTAMP ? v + 1 : v;
    } catch (NumberFormatException ex) {
      throw error("timestamp of '" + name + "' is out of range: '" + ascii(s, e) + "'");
    }
  }

  private ParseException invalidTimestamp(int s, int e, String name) {
    return error("invalid timestamp of '" + name + "': '"
        + new String(b, s, e - s, StandardCharsets.UTF_8)
        + "' (integer milliseconds since the epoch)");
  }

  /** Reads a label set leniently; returns the number of pairs collected. */
  private int labelSet(String metric) throws ParseException {
    pos++;
    int count = 0;
    while (true) {
      skipBlanks();
      int c = peek();
      if (c == '}') {
        pos++;
        return count;
      }
      String labelName;
      if (c == '"') {
        labelName = quoted("label name");
        skipBlanks();
        if (peek() != '=') {
          if (count == 0 && quotedName == null && metric == null
              && (peek() == ',' || peek() == '}')) {
            quotedName = labelName;
            if (peek() == ',') {
              pos++;
            }
            continue;
          }
          throw error("expected '=' after the label name \"" + labelName + "\", found "
              + found());
        }
      } else {
        labelName = labelName();
        if (labelName == null) {
          throw error("expected a label name, found " + found());
        }
        skipBlanks();
      }
      expect('=', "'=' after the label name '", labelName, "'");
      skipBlanks();
      if (peek() != '"') {
        throw error("expected '\"' to open the value of label '" + labelName + "', found "
            + found());
      }
      putLabel(count++, labelName, quoted("value of label '", labelName));
      skipBlanks();
      c = peek();
      if (c == ',') {
        pos++;
      } else if (c != '}') {
        throw error("expected ',' or '}' after the value of label '" + labelName + "', found "
            + found());
      }
    }
  }
}
