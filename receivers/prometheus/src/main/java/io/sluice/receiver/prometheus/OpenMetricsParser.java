package io.sluice.receiver.prometheus;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * OpenMetrics 1.0 text parser. It is strict: any violation of the format rejects the whole
 * exposition, as the specification demands.
 */
final class OpenMetricsParser extends ExpositionParser {
  private static final int MAX_EXEMPLAR_LABEL_CODE_POINTS = 128;
  private static final Map<MetricType, String[]> SUFFIXES = new EnumMap<>(MetricType.class);

  static {
    SUFFIXES.put(MetricType.COUNTER, new String[] {"_total", "_created"});
    SUFFIXES.put(MetricType.GAUGE, new String[] {""});
    SUFFIXES.put(MetricType.UNKNOWN, new String[] {""});
    SUFFIXES.put(MetricType.STATESET, new String[] {""});
    SUFFIXES.put(MetricType.INFO, new String[] {"_info"});
    SUFFIXES.put(MetricType.HISTOGRAM, new String[] {"_bucket", "_count", "_sum", "_created"});
    SUFFIXES.put(MetricType.GAUGEHISTOGRAM, new String[] {"_bucket", "_gcount", "_gsum"});
    SUFFIXES.put(MetricType.SUMMARY, new String[] {"", "_count", "_sum", "_created"});
  }

  private final List<MetricFamily> families = new ArrayList<>();
  private final Set<String> familyNames = new HashSet<>();
  /** Every sample name a family may use, mapped to that family's name. */
  private final Map<String, String> claimedNames = new HashMap<>();

  private MetricFamily family;
  private boolean familyHasSamples;
  private boolean familyHasType;
  private boolean familyHasHelp;
  private boolean familyHasUnit;

  /** Labels of the current group (labels minus le/quantile/state) and the groups already done. */
  private Labels group;
  private final Set<Labels> doneGroups = new HashSet<>();
  /**
   * Last timestamp in seconds (NaN when none) of the series in the current group: the first series
   * in fields (most groups have one), the others, once there are several, in the map.
   */
  private int groupSeriesCount;
  private String firstSeriesName;
  private Labels firstSeriesLabels;
  private double firstSeriesTimestamp;
  private final Map<SeriesKey, Double> lastTimestamps = new HashMap<>();

  // the histogram point being checked
  private boolean pointOpen;
  private int pointLine;
  private double pointTimestamp;
  private double lastLe;
  private double lastBucketValue;
  private double pointCount;
  private boolean pointHasSum;
  private boolean pointHasGsum;
  private boolean pointNegativeGsum;
  private boolean pointNegativeBucket;

  // timestamp of the current sample
  private double timestampSeconds;
  private long timestampMs;

  private record SeriesKey(String name, Labels labels) {}

  OpenMetricsParser(byte[] body, int offset, int length, StringCache strings) {
    super(body, offset, length, strings);
  }

  @Override
  List<MetricFamily> parse() throws ParseException {
    if (start == end) {
      throw new ParseException(1, "the body is empty; an OpenMetrics exposition ends with '# EOF'");
    }
    boolean eof = false;
    while (nextLine()) {
      if (lineEnd - lineStart == 5 && matches(lineStart, "# EOF")) {
        eof = true;
        if (lineEnd < end && lineEnd + 1 < end) {
          throw new ParseException(line + 1, "text after '# EOF'");
        }
        break;
      }
      if (lineStart == lineEnd) {
        throw error("blank lines are not allowed in OpenMetrics");
      }
      if (b[lineStart] == '#') {
        metadata();
      } else {
        sample();
      }
      pos = lineEnd + 1;
    }
    if (!eof) {
      throw error("the exposition does not end with '# EOF'");
    }
    finishFamily();
    return families;
  }

  private boolean matches(int at, String text) {
    if (lineEnd - at < text.length()) {
      return false;
    }
    for (int i = 0; i < text.length(); i++) {
      if (b[at + i] != text.charAt(i)) {
        return false;
      }
    }
    return true;
  }

  // ---- metadata

  private void metadata() throws ParseException {
    pos = lineStart + 1;
    int kind;
    if (matches(pos, " TYPE ")) {
      kind = 0;
    } else if (matches(pos, " HELP ")) {
      kind = 1;
    } else if (matches(pos, " UNIT ")) {
      kind = 2;
    } else {
      throw error("expected '# TYPE', '# HELP', '# UNIT' or '# EOF' followed by a space;"
          + " OpenMetrics allows no other comments");
    }
    pos += 6;
    String name = metricName();
    if (name == null) {
      throw error("expected a metric name after '" + ascii(lineStart, lineStart + 6) + "', found "
          + found());
    }
    expect(' ', "a space after the metric name '", name, "'");
    switch (kind) {
      case 0 -> {
        MetricType type = typeWord(pos, lineEnd);
        if (type == null) {
          throw error("unknown metric type '" + new String(b, pos, lineEnd - pos,
              StandardCharsets.UTF_8) + "' for '" + name + "'; expected counter, gauge, histogram,"
              + " gaugehistogram, summary, info, stateset or unknown");
        }
        MetricFamily f = familyForMetadata(name, "TYPE");
        if (familyHasType) {
          throw error("second TYPE line for '" + name + "'");
        }
        familyHasType = true;
        claim(f.name(), type);
        f.type(type);
        checkUnitAllowed(f);
      }
      case 1 -> {
        boolean nonAscii = false;
        for (int i = pos; i < lineEnd; i++) {
          if (b[i] == '\r') {
            throw error("carriage return in the HELP of '" + name + "'");
          }
          nonAscii |= b[i] < 0;
        }
        if (nonAscii) {
          requireUtf8(pos, lineEnd, "HELP of '" + name + "'");
        }
        String help = unescape(pos, lineEnd, true);
        MetricFamily f = familyForMetadata(name, "HELP");
        if (familyHasHelp) {
          throw error("second HELP line for '" + name + "'");
        }
        familyHasHelp = true;
        f.help(help.isEmpty() ? null : help);
      }
      default -> {
        int s = pos;
        while (pos < lineEnd && isNameChar(b[pos])) {
          pos++;
        }
        if (pos != lineEnd) {
          throw error("invalid character " + found() + " in the UNIT of '" + name + "'");
        }
        String unit = ascii(s, pos);
        MetricFamily f = familyForMetadata(name, "UNIT");
        if (familyHasUnit) {
          throw error("second UNIT line for '" + name + "'");
        }
        familyHasUnit = true;
        if (!unit.isEmpty()) {
          if (!name.endsWith("_" + unit)) {
            throw error("the name '" + name + "' must end with '_" + unit + "', its UNIT");
          }
          f.unit(unit);
          checkUnitAllowed(f);
        }
      }
    }
  }

  private void checkUnitAllowed(MetricFamily f) throws ParseException {
    if (f.unit() != null && (f.type() == MetricType.INFO || f.type() == MetricType.STATESET)) {
      throw error(f.type().openMetricsName() + " '" + f.name() + "' cannot have a UNIT");
    }
  }

  private MetricType typeWord(int s, int e) {
    for (MetricType t : MetricType.values()) {
      String w = t.openMetricsName();
      if (e - s == w.length() && matches(s, w)) {
        return t;
      }
    }
    return null;
  }

  private MetricFamily familyForMetadata(String name, String what) throws ParseException {
    if (family != null && family.name().equals(name)) {
      if (familyHasSamples) {
        throw error(what + " for '" + name + "' after its samples; metadata comes first");
      }
      return family;
    }
    finishFamily();
    return startFamily(name);
  }

  private MetricFamily startFamily(String name) throws ParseException {
    if (familyNames.contains(name)) {
      throw error("metric family '" + name + "' appears a second time; the lines of a family"
          + " must be together");
    }
    String owner = claimedNames.get(name);
    if (owner != null) {
      throw error("metric family '" + name + "' clashes with the samples of family '" + owner
          + "'");
    }
    familyNames.add(name);
    family = new MetricFamily(name, MetricType.UNKNOWN);
    families.add(family);
    familyHasSamples = false;
    familyHasType = false;
    familyHasHelp = false;
    familyHasUnit = false;
    claimedNames.put(name, name);
    return family;
  }

  private void claim(String name, MetricType type) throws ParseException {
    for (String suffix : SUFFIXES.get(type)) {
      String sampleName = name + suffix;
      String owner = claimedNames.putIfAbsent(sampleName, name);
      if (owner != null && !owner.equals(name)) {
        throw error(type.openMetricsName() + " '" + name + "' would have samples named '"
            + sampleName + "', which clash with family '" + owner + "'");
      }
    }
  }

  private void finishFamily() throws ParseException {
    endPoint();
    group = null;
    doneGroups.clear();
    resetGroupSeries();
    family = null;
  }

  // ---- samples

  private void sample() throws ParseException {
    pos = lineStart;
    String name = metricName();
    if (name == null) {
      throw error("expected a metric name, found " + found());
    }
    Labels labels = Labels.EMPTY;
    if (peek() == '{') {
      labels = labelSet();
    }
    if (peek() != ' ') {
      throw error("expected a space and a value after "
          + (labels.size() > 0 ? "the labels of '" + name + "'" : "'" + name + "'")
          + ", found " + found());
    }
    pos++;
    double value = value(name, false);
    timestampSeconds = Double.NaN;
    timestampMs = Sample.NO_TIMESTAMP;
    Exemplar exemplar = null;
    if (pos < lineEnd) {
      pos++; // the single space
      if (peek() != '#') {
        timestamp(name, false);
        if (pos < lineEnd) {
          pos++;
          if (peek() != '#') {
            throw error("expected ' # {' to start an exemplar after the timestamp of '" + name
                + "', found " + found());
          }
        }
      }
      if (pos < lineEnd) {
        exemplar = exemplar(name);
      }
    }
    addSample(name, labels, value, exemplar);
  }

  /** Reads a value token ending at a space or the line end. */
  private double value(String name, boolean ofExemplar) throws ParseException {
    int s = pos;
    while (pos < lineEnd && b[pos] != ' ') {
      pos++;
    }
    double v = s == pos ? Double.NaN : number(s, pos, true, false);
    if (s == pos || numberError) {
      String what = (ofExemplar ? "exemplar value of '" : "value of '") + name + "'";
      if (s == pos) {
        throw error("expected the " + what + ", found " + found());
      }
      throw error("invalid " + what + ": '" + new String(b, s, pos - s, StandardCharsets.UTF_8)
          + "'");
    }
    return v;
  }

  /** Reads a timestamp in seconds into timestampSeconds/timestampMs. */
  private void timestamp(String name, boolean ofExemplar) throws ParseException {
    int s = pos;
    while (pos < lineEnd && b[pos] != ' ') {
      pos++;
    }
    double seconds = s == pos ? Double.NaN : number(s, pos, false, false);
    if (s == pos || numberError) {
      String what = (ofExemplar ? "exemplar timestamp of '" : "timestamp of '") + name + "'";
      if (s == pos) {
        throw error("expected the " + what + ", found " + found());
      }
      throw error("invalid " + what + ": '" + new String(b, s, pos - s, StandardCharsets.UTF_8)
          + "' (seconds as a decimal number)");
    }
    timestampSeconds = seconds;
    timestampMs = (long) (seconds * 1000.0);
  }

  private Exemplar exemplar(String name) throws ParseException {
    if (!matches(pos, "# {")) {
      throw error("expected ' # {' to start an exemplar of '" + name + "', found " + found());
    }
    pos += 2;
    Labels labels = labelSet();
    if (labels.codePointLength() > MAX_EXEMPLAR_LABEL_CODE_POINTS) {
      throw error("the exemplar labels of '" + name + "' have more than "
          + MAX_EXEMPLAR_LABEL_CODE_POINTS + " code points");
    }
    expect(' ', "a space and a value after the exemplar labels of '", name, "'");
    double value = value(name, true);
    double sampleSeconds = timestampSeconds;
    long sampleMs = timestampMs;
    long exemplarMs = Sample.NO_TIMESTAMP;
    if (pos < lineEnd) {
      pos++;
      timestamp(name, true);
      if (pos < lineEnd) {
        throw error("unexpected text after the exemplar of '" + name + "': " + found());
      }
      exemplarMs = timestampMs;
      timestampSeconds = sampleSeconds;
      timestampMs = sampleMs;
    }
    return new Exemplar(labels, value, exemplarMs);
  }

  /** Reads {@code {name="value",...}} strictly (no spaces, no trailing comma). */
  private Labels labelSet() throws ParseException {
    pos++;
    if (peek() == '}') {
      pos++;
      return Labels.EMPTY;
    }
    int count = 0;
    while (true) {
      String labelName = labelName();
      if (labelName == null) {
        throw error("expected a label name, found " + found());
      }
      expect('=', "'=' after the label name '", labelName, "'");
      if (peek() != '"') {
        throw error("expected '\"' to open the value of label '" + labelName + "', found "
            + found());
      }
      String labelValue = quoted("value of label '", labelName);
      putLabel(count++, labelName, labelValue);
      int c = peek();
      if (c == ',') {
        pos++;
      } else if (c == '}') {
        pos++;
        return labels(count);
      } else {
        throw error("expected ',' or '}' after the value of label '" + labelName + "', found "
            + found());
      }
    }
  }

  private static String matchSuffix(MetricFamily f, String sampleName) {
    String familyName = f.name();
    if (!sampleName.startsWith(familyName)) {
      return null;
    }
    int extra = sampleName.length() - familyName.length();
    for (String suffix : SUFFIXES.get(f.type())) {
      if (suffix.length() == extra && sampleName.endsWith(suffix)) {
        return suffix;
      }
    }
    return null;
  }

  private void addSample(String name, Labels labels, double value, Exemplar exemplar)
      throws ParseException {
    String suffix = family == null ? null : matchSuffix(family, name);
    if (suffix == null) {
      if (family != null && name.equals(family.name())) {
        throw error("'" + name + "' is not a sample name of " + family.type().openMetricsName()
            + " '" + name + "'; expected " + String.join(" or ",
                java.util.Arrays.stream(SUFFIXES.get(family.type())).map(x -> "'" + name + x + "'")
                    .toList()));
      }
      finishFamily();
      startFamily(name);
      suffix = "";
    }
    MetricFamily f = family;
    familyHasSamples = true;
    MetricType type = f.type();

    boolean bucket = suffix.equals("_bucket");
    if (exemplar != null) {
      boolean allowed = (type == MetricType.COUNTER && suffix.equals("_total")) || bucket;
      if (!allowed) {
        throw error("exemplars are allowed only on counter '_total' and histogram '_bucket'"
            + " samples, not on '" + name + "' of " + type.openMetricsName() + " '" + f.name()
            + "'");
      }
    }

    Labels groupLabels = labels;
    switch (type) {
      case COUNTER -> {
        if (suffix.equals("_total")) {
          requireCounterValue(name, labels, value);
        }
      }
      case HISTOGRAM, GAUGEHISTOGRAM -> {
        switch (suffix) {
          case "_bucket" -> {
            String le = labels.get("le");
            if (le == null) {
              throw error("bucket '" + show(name, labels) + "' has no 'le' label");
            }
            double bound = labelNumber(le);
            if (Double.isNaN(bound)) {
              throw error("bucket '" + show(name, labels) + "' has an invalid 'le' \"" + le + "\"");
            }
            requireCounterValue(name, labels, value);
            requireInteger(name, labels, value);
            groupLabels = labels.without("le");
          }
          case "_count", "_gcount" -> {
            requireCounterValue(name, labels, value);
            requireInteger(name, labels, value);
          }
          case "_sum" -> requireCounterValue(name, labels, value);
          case "_gsum" -> {
            if (Double.isNaN(value)) {
              throw error("'" + show(name, labels) + "' is NaN");
            }
          }
          default -> { }
        }
      }
      case SUMMARY -> {
        switch (suffix) {
          case "" -> {
            String q = labels.get("quantile");
            if (q == null) {
              throw error("summary sample '" + show(name, labels) + "' has no 'quantile' label");
            }
            double quantile = labelNumber(q);
            if (!(quantile >= 0.0 && quantile <= 1.0)) {
              throw error("summary sample '" + show(name, labels) + "' has an invalid quantile \"" + q
                  + "\"; it must be a number from 0 to 1");
            }
            if (value < 0) {
              throw error("quantile value of '" + show(name, labels) + "' is negative");
            }
            groupLabels = labels.without("quantile");
          }
          case "_count" -> {
            requireCounterValue(name, labels, value);
            requireInteger(name, labels, value);
          }
          case "_sum" -> requireCounterValue(name, labels, value);
          default -> { }
        }
      }
      case INFO -> {
        if (value != 1.0) {
          throw error("info '" + show(name, labels) + "' must have the value 1");
        }
      }
      case STATESET -> {
        if (labels.get(f.name()) == null) {
          throw error("stateset sample '" + show(name, labels) + "' has no label '" + f.name() + "'");
        }
        if (value != 0.0 && value != 1.0) {
          throw error("stateset sample '" + show(name, labels) + "' must have the value 0 or 1");
        }
        groupLabels = labels.without(f.name());
      }
      default -> { }
    }

    if (group == null || !group.equals(groupLabels)) {
      if (group != null) {
        endPoint();
        doneGroups.add(group);
        resetGroupSeries();
      }
      if (doneGroups.contains(groupLabels)) {
        throw error("the samples of '" + f.name() + groupLabels + "' are not together;"
            + " another series of the family came in between");
      }
      group = groupLabels;
    }
    checkSeriesOrder(name, labels);

    if ((type == MetricType.HISTOGRAM || type == MetricType.GAUGEHISTOGRAM)
        && !suffix.equals("_created")) {
      histogramPoint(name, suffix, labels, value);
    }

    f.add(new Sample(name, labels, value, timestampMs, exemplar));
  }

  private void resetGroupSeries() {
    groupSeriesCount = 0;
    firstSeriesName = null;
    firstSeriesLabels = null;
    if (!lastTimestamps.isEmpty()) {
      lastTimestamps.clear();
    }
  }

  /** A series may repeat within its group only with timestamps, and they must not go back. */
  private void checkSeriesOrder(String name, Labels labels) throws ParseException {
    double previous;
    if (groupSeriesCount == 0) {
      groupSeriesCount = 1;
      firstSeriesName = name;
      firstSeriesLabels = labels;
      firstSeriesTimestamp = timestampSeconds;
      return;
    } else if (groupSeriesCount == 1 && name.equals(firstSeriesName)
        && labels.equals(firstSeriesLabels)) {
      previous = firstSeriesTimestamp;
      firstSeriesTimestamp = timestampSeconds;
    } else {
      if (groupSeriesCount == 1) {
        lastTimestamps.put(new SeriesKey(firstSeriesName, firstSeriesLabels), firstSeriesTimestamp);
        groupSeriesCount = 2;
      }
      Double last = lastTimestamps.put(new SeriesKey(name, labels), timestampSeconds);
      if (last == null) {
        return;
      }
      previous = last;
    }
    if (Double.isNaN(previous) || Double.isNaN(timestampSeconds)) {
      throw error("duplicate sample '" + show(name, labels) + "'");
    }
    if (timestampSeconds < previous) {
      throw error("the timestamp of '" + show(name, labels) + "' is earlier than the one before it");
    }
  }

  /** A sample as written, for error messages. */
  private static String show(String name, Labels labels) {
    return labels.size() > 0 ? name + labels : name;
  }

  private void requireCounterValue(String name, Labels labels, double value) throws ParseException {
    if (Double.isNaN(value) || value < 0) {
      throw error("'" + show(name, labels) + "' must not be negative or NaN, found " + value);
    }
  }

  private void requireInteger(String name, Labels labels, double value) throws ParseException {
    if (Double.isInfinite(value) || value != Math.rint(value)) {
      throw error("'" + show(name, labels) + "' must be a whole number, found " + value);
    }
  }

  private void histogramPoint(String name, String suffix, Labels labels, double value)
      throws ParseException {
    if (pointOpen && Double.compare(pointTimestamp, timestampSeconds) != 0) {
      endPoint();
    }
    if (!pointOpen) {
      pointOpen = true;
      pointLine = line;
      pointTimestamp = timestampSeconds;
      lastLe = Double.NaN;
      lastBucketValue = 0;
      pointCount = Double.NaN;
      pointHasSum = false;
      pointHasGsum = false;
      pointNegativeGsum = false;
      pointNegativeBucket = false;
    }
    switch (suffix) {
      case "_bucket" -> {
        double le = labelNumber(labels.get("le"));
        if (le < 0) {
          pointNegativeBucket = true;
        }
        if (!Double.isNaN(lastLe) && le <= lastLe) {
          throw error("bucket '" + show(name, labels) + "' is out of order; 'le' must increase");
        }
        if (value < lastBucketValue) {
          throw error("bucket '" + show(name, labels) + "' has a smaller count than the bucket before;"
              + " buckets are cumulative");
        }
        lastLe = le;
        lastBucketValue = value;
      }
      case "_count", "_gcount" -> pointCount = value;
      case "_sum" -> pointHasSum = true;
      case "_gsum" -> {
        pointHasGsum = true;
        if (value < 0) {
          pointNegativeGsum = true;
        }
      }
      default -> { }
    }
  }

  private void endPoint() throws ParseException {
    if (!pointOpen) {
      return;
    }
    pointOpen = false;
    String name = family.name() + (group == null || group.size() == 0 ? "" : group.toString());
    if (lastLe != Double.POSITIVE_INFINITY) {
      throw new ParseException(pointLine, "histogram '" + name + "' has no le=\"+Inf\" bucket");
    }
    boolean hasCount = !Double.isNaN(pointCount);
    if (hasCount && pointCount != lastBucketValue) {
      throw new ParseException(pointLine, "the count of histogram '" + name + "' ("
          + pointCount + ") differs from its +Inf bucket (" + lastBucketValue + ")");
    }
    if (pointHasSum && !hasCount) {
      throw new ParseException(pointLine, "histogram '" + name + "' has _sum but no _count");
    }
    if (pointHasGsum && !hasCount) {
      throw new ParseException(pointLine, "gauge histogram '" + name
          + "' has _gsum but no _gcount");
    }
    if (hasCount && !pointHasSum && !pointHasGsum) {
      throw new ParseException(pointLine, "histogram '" + name + "' has a count but no sum");
    }
    if (pointNegativeBucket && pointHasSum) {
      throw new ParseException(pointLine, "histogram '" + name
          + "' has negative buckets, so it cannot have _sum");
    }
    if (!pointNegativeBucket && pointNegativeGsum) {
      throw new ParseException(pointLine, "gauge histogram '" + name
          + "' has a negative _gsum but no negative buckets");
    }
  }
}
