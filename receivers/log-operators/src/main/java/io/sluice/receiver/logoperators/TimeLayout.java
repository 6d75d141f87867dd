package io.sluice.receiver.logoperators;

import java.time.DateTimeException;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A timestamp layout, from a {@code strptime} directive string ({@code %Y-%m-%d %H:%M:%S}) or a
 * Go reference layout ({@code 2006-01-02 15:04:05}), parsed by one engine that follows Go's
 * {@code time.Parse} rules (which the Collector uses for both): fixed two-digit fields where Go
 * wants them, {@code .999} taking any number of fractional digits, a fraction after the seconds
 * accepted even when the layout has none, names matched in any case. Immutable and thread-safe.
 */
final class TimeLayout {
  private enum T {
    YEAR4, YEAR2, MONTH2, MONTH_SPACE, MONTH1, MONTH_ABBR, MONTH_FULL, DAY2, DAY_SPACE, DAY1, WEEKDAY_ABBR,
    WEEKDAY_FULL, HOUR24, HOUR12_2, HOUR12, MINUTE2, MINUTE1, SECOND2, SECOND1,
    /** ".000": a separator and exactly n digits. */
    FRAC_FIXED,
    /** ".999": a separator and any digits, or nothing. */
    FRAC_ANY,
    /** strptime's %L/%f/%s without a separator before them: exactly n digits. */
    FRAC_DIGITS, AMPM, TZ_NAME,
    /** An offset: n = 1 (±hh), 2 (±hhmm), 3 (±hhmmss); colon separated or not; 'Z' allowed or not. */
    TZ_OFFSET, LITERAL
  }

  private record Tok(T type, String literal, int n, boolean colon, boolean zulu) {
    static Tok of(T type) {
      return new Tok(type, null, 0, false, false);
    }
  }

  private static final String[] MONTHS = {"january", "february", "march", "april", "may", "june", "july",
      "august", "september", "october", "november", "december"};
  private static final String[] DAYS = {"monday", "tuesday", "wednesday", "thursday", "friday", "saturday",
      "sunday"};

  /** Zone abbreviations with one well-known offset; others resolve as Go does, to offset 0. */
  private static final Map<String, ZoneOffset> ABBREVIATIONS = Map.ofEntries(
      Map.entry("UTC", ZoneOffset.UTC), Map.entry("GMT", ZoneOffset.UTC), Map.entry("UT", ZoneOffset.UTC),
      Map.entry("Z", ZoneOffset.UTC), Map.entry("EST", ZoneOffset.ofHours(-5)), Map.entry("EDT", ZoneOffset.ofHours(-4)),
      Map.entry("CST", ZoneOffset.ofHours(-6)), Map.entry("CDT", ZoneOffset.ofHours(-5)),
      Map.entry("MST", ZoneOffset.ofHours(-7)), Map.entry("MDT", ZoneOffset.ofHours(-6)),
      Map.entry("PST", ZoneOffset.ofHours(-8)), Map.entry("PDT", ZoneOffset.ofHours(-7)),
      Map.entry("AKST", ZoneOffset.ofHours(-9)), Map.entry("AKDT", ZoneOffset.ofHours(-8)),
      Map.entry("HST", ZoneOffset.ofHours(-10)), Map.entry("WET", ZoneOffset.UTC),
      Map.entry("WEST", ZoneOffset.ofHours(1)), Map.entry("BST", ZoneOffset.ofHours(1)),
      Map.entry("CET", ZoneOffset.ofHours(1)), Map.entry("CEST", ZoneOffset.ofHours(2)),
      Map.entry("EET", ZoneOffset.ofHours(2)), Map.entry("EEST", ZoneOffset.ofHours(3)),
      Map.entry("MSK", ZoneOffset.ofHours(3)), Map.entry("IST", ZoneOffset.ofHoursMinutes(5, 30)),
      Map.entry("SGT", ZoneOffset.ofHours(8)), Map.entry("HKT", ZoneOffset.ofHours(8)),
      Map.entry("AWST", ZoneOffset.ofHours(8)), Map.entry("JST", ZoneOffset.ofHours(9)),
      Map.entry("KST", ZoneOffset.ofHours(9)), Map.entry("ACST", ZoneOffset.ofHoursMinutes(9, 30)),
      Map.entry("AEST", ZoneOffset.ofHours(10)), Map.entry("AEDT", ZoneOffset.ofHours(11)),
      Map.entry("NZST", ZoneOffset.ofHours(12)), Map.entry("NZDT", ZoneOffset.ofHours(13)));

  static final String STRPTIME_DIRECTIVES = "%Y %y %m %o %q %b %h %B %d %e %g %a %A %H %I %l %p %P %M %S %L %f %s "
      + "%Z %z %i %j %k %D %F %T %r %c %R %n %t %%";

  private final Tok[] toks;
  private final String layout;
  private final boolean hasYear;

  private TimeLayout(List<Tok> toks, String layout) {
    this.toks = toks.toArray(new Tok[0]);
    this.layout = layout;
    boolean y = false;
    for (Tok t : toks) {
      y |= t.type == T.YEAR4 || t.type == T.YEAR2;
    }
    this.hasYear = y;
  }

  /** False for layouts such as syslog's {@code Jan 2 15:04:05}, which take the current year. */
  boolean hasYear() {
    return hasYear;
  }

  // ---- layouts ----

  /** A strptime layout as the Collector reads it. */
  static TimeLayout strptime(String layout) {
    List<Tok> out = new ArrayList<>();
    StringBuilder lit = new StringBuilder();
    for (int i = 0; i < layout.length(); i++) {
      char c = layout.charAt(i);
      if (c != '%') {
        lit.append(c);
        continue;
      }
      if (i + 1 >= layout.length()) {
        throw new IllegalArgumentException("layout \"" + layout + "\" ends with a lone %");
      }
      char d = layout.charAt(++i);
      String expand = switch (d) {
        case 'D' -> "%m/%d/%y";
        case 'F' -> "%Y-%m-%d";
        case 'T' -> "%H:%M:%S";
        case 'r' -> "%l:%M:%S %p";
        case 'c' -> "%a %b %d %H:%M:%S %Y";
        case 'R' -> "%H:%M";
        case 'n' -> "\n";
        case 't' -> "\t";
        case '%' -> "%%";
        default -> null;
      };
      if (expand != null) {
        if (d == '%' || d == 'n' || d == 't') {
          lit.append(d == '%' ? "%" : expand);
        } else {
          flush(lit, out);
          for (Tok t : strptime(expand).toks) {
            out.add(t);
          }
        }
        continue;
      }
      Tok t = switch (d) {
        case 'Y' -> Tok.of(T.YEAR4);
        case 'y' -> Tok.of(T.YEAR2);
        case 'm' -> Tok.of(T.MONTH2);
        case 'o' -> Tok.of(T.MONTH_SPACE);
        case 'q' -> Tok.of(T.MONTH1);
        case 'b', 'h' -> Tok.of(T.MONTH_ABBR);
        case 'B' -> Tok.of(T.MONTH_FULL);
        case 'd' -> Tok.of(T.DAY2);
        case 'e' -> Tok.of(T.DAY_SPACE);
        case 'g' -> Tok.of(T.DAY1);
        case 'a' -> Tok.of(T.WEEKDAY_ABBR);
        case 'A' -> Tok.of(T.WEEKDAY_FULL);
        case 'H' -> Tok.of(T.HOUR24);
        case 'I', 'l' -> Tok.of(T.HOUR12);
        case 'p', 'P' -> Tok.of(T.AMPM);
        case 'M' -> Tok.of(T.MINUTE2);
        case 'S' -> Tok.of(T.SECOND2);
        case 'L', 'f', 's' -> fraction(lit, d == 'L' ? 3 : d == 'f' ? 6 : 9);
        case 'Z' -> Tok.of(T.TZ_NAME);
        case 'z' -> new Tok(T.TZ_OFFSET, null, 2, false, true);
        case 'i' -> new Tok(T.TZ_OFFSET, null, 1, false, false);
        case 'j' -> new Tok(T.TZ_OFFSET, null, 2, true, false);
        case 'k' -> new Tok(T.TZ_OFFSET, null, 3, true, false);
        default -> throw new IllegalArgumentException("layout \"" + layout + "\" has the unknown directive %" + d
            + "; valid: " + STRPTIME_DIRECTIVES);
      };
      flush(lit, out);
      out.add(t);
    }
    flush(lit, out);
    return new TimeLayout(out, layout);
  }

  /** %L, %f, %s: after a literal '.' or ',' any number of digits as Go's .999; alone exactly n. */
  private static Tok fraction(StringBuilder lit, int digits) {
    int last = lit.length() - 1;
    if (last >= 0 && (lit.charAt(last) == '.' || lit.charAt(last) == ',')) {
      lit.setLength(last);
      return Tok.of(T.FRAC_ANY);
    }
    return new Tok(T.FRAC_DIGITS, null, digits, false, false);
  }

  /** A Go reference-time layout. */
  static TimeLayout gotime(String layout) {
    List<Tok> out = new ArrayList<>();
    StringBuilder lit = new StringBuilder();
    int i = 0;
    int n = layout.length();
    while (i < n) {
      String rest = layout.substring(i);
      Tok t = null;
      int len = 0;
      String[][] table = {
          {"January", "MONTH_FULL"}, {"Jan", "MONTH_ABBR"}, {"Monday", "WEEKDAY_FULL"}, {"Mon", "WEEKDAY_ABBR"},
          {"MST", "TZ_NAME"}, {"2006", "YEAR4"}, {"002", null}, {"01", "MONTH2"}, {"02", "DAY2"},
          {"03", "HOUR12_2"}, {"04", "MINUTE2"}, {"05", "SECOND2"}, {"06", "YEAR2"}, {"15", "HOUR24"},
          {"_2006", null}, {"__2", null}, {"_2", "DAY_SPACE"}, {"1", "MONTH1"}, {"2", "DAY1"}, {"3", "HOUR12"},
          {"4", "MINUTE1"}, {"5", "SECOND1"}, {"PM", "AMPM"}, {"pm", "AMPM"}};
      for (String[] row : table) {
        if (rest.startsWith(row[0])) {
          if (row[1] == null) {
            if (row[0].equals("_2006")) { // a literal underscore, then the year
              lit.append('_');
              i++;
              len = -1;
              break;
            }
            throw new IllegalArgumentException("layout \"" + layout + "\": \"" + row[0]
                + "\" (day of year) is not supported");
          }
          t = Tok.of(T.valueOf(row[1]));
          len = row[0].length();
          break;
        }
      }
      if (len < 0) {
        continue;
      }
      if (t == null) {
        String[] zones = {"Z07:00:00", "-07:00:00", "Z070000", "-070000", "Z07:00", "-07:00", "Z0700", "-0700",
            "Z07", "-07"};
        for (String z : zones) {
          if (rest.startsWith(z)) {
            boolean colon = z.contains(":");
            int digits = z.length() - 1 - (colon ? z.length() / 3 - 1 : 0);
            t = new Tok(T.TZ_OFFSET, null, digits / 2, colon, z.charAt(0) == 'Z');
            len = z.length();
            break;
          }
        }
      }
      if (t == null && (rest.startsWith(".") || rest.startsWith(",")) && rest.length() > 1
          && (rest.charAt(1) == '0' || rest.charAt(1) == '9')) {
        char digit = rest.charAt(1);
        int j = 1;
        while (j < rest.length() && rest.charAt(j) == digit) {
          j++;
        }
        if (j >= rest.length() || !Character.isDigit(rest.charAt(j))) {
          t = digit == '0' ? new Tok(T.FRAC_FIXED, null, j - 1, false, false) : Tok.of(T.FRAC_ANY);
          len = j;
        }
      }
      if (t == null) {
        lit.append(layout.charAt(i));
        i++;
        continue;
      }
      flush(lit, out);
      out.add(t);
      i += len;
    }
    flush(lit, out);
    return new TimeLayout(out, layout);
  }

  private static void flush(StringBuilder lit, List<Tok> out) {
    if (lit.length() > 0) {
      out.add(new Tok(T.LITERAL, lit.toString(), 0, false, false));
      lit.setLength(0);
    }
  }

  // ---- parsing ----

  /**
   * Parses {@code value} to nanoseconds since the epoch.
   *
   * @param location the zone for a time that names none
   * @param zoneNames abbreviations mapped to zones ({@code time_zone_locations}); may be empty
   * @param currentYear the year for a layout without one (syslog's {@code Jan 2 15:04:05})
   */
  long parse(String value, ZoneId location, Map<String, ZoneId> zoneNames, int currentYear) throws EntryException {
    int[] pos = {0};
    int year = hasYear ? 0 : currentYear;
    int month = 1;
    int day = 1;
    int hour = 0;
    int minute = 0;
    int second = 0;
    int nanos = 0;
    int pm = -1;
    ZoneId zone = null;
    for (int k = 0; k < toks.length; k++) {
      Tok t = toks[k];
      switch (t.type) {
        case LITERAL -> {
          if (!value.startsWith(t.literal, pos[0])) {
            throw mismatch(value, pos[0], "\"" + t.literal + "\"");
          }
          pos[0] += t.literal.length();
        }
        case YEAR4 -> year = digits(value, pos, 4, 4, "a four-digit year");
        case YEAR2 -> {
          int y = digits(value, pos, 2, 2, "a two-digit year");
          year = y >= 69 ? 1900 + y : 2000 + y;
        }
        case MONTH2 -> month = digits(value, pos, 2, 2, "a two-digit month");
        case MONTH_SPACE -> {
          skipSpace(value, pos);
          month = digits(value, pos, 1, 2, "a month");
        }
        case MONTH1 -> month = digits(value, pos, 1, 2, "a month");
        case MONTH_ABBR -> month = name(value, pos, MONTHS, 3, "a month name") + 1;
        case MONTH_FULL -> month = name(value, pos, MONTHS, 0, "a month name") + 1;
        case DAY2 -> day = digits(value, pos, 2, 2, "a two-digit day");
        case DAY_SPACE -> {
          skipSpace(value, pos);
          day = digits(value, pos, 1, 2, "a day");
        }
        case DAY1 -> day = digits(value, pos, 1, 2, "a day");
        case WEEKDAY_ABBR -> name(value, pos, DAYS, 3, "a weekday name");
        case WEEKDAY_FULL -> name(value, pos, DAYS, 0, "a weekday name");
        case HOUR24, HOUR12 -> hour = digits(value, pos, 1, 2, "an hour");
        case HOUR12_2 -> hour = digits(value, pos, 2, 2, "a two-digit hour");
        case MINUTE2 -> minute = digits(value, pos, 2, 2, "two-digit minutes");
        case MINUTE1 -> minute = digits(value, pos, 1, 2, "minutes");
        case SECOND2, SECOND1 -> {
          second = t.type == T.SECOND2 ? digits(value, pos, 2, 2, "two-digit seconds")
              : digits(value, pos, 1, 2, "seconds");
          boolean layoutHasFraction = k + 1 < toks.length
              && (toks[k + 1].type == T.FRAC_ANY || toks[k + 1].type == T.FRAC_FIXED);
          int p = pos[0];
          if (!layoutHasFraction && p + 1 < value.length() && (value.charAt(p) == '.' || value.charAt(p) == ',')
              && isDigit(value, p + 1)) {
            pos[0]++;
            nanos = fractionDigits(value, pos, 1, Integer.MAX_VALUE);
          }
        }
        case FRAC_FIXED -> {
          int p = pos[0];
          if (p >= value.length() || (value.charAt(p) != '.' && value.charAt(p) != ',')) {
            throw mismatch(value, p, "a fraction of a second");
          }
          pos[0]++;
          nanos = fractionDigits(value, pos, t.n, t.n);
        }
        case FRAC_ANY -> {
          int p = pos[0];
          if (p + 1 < value.length() && (value.charAt(p) == '.' || value.charAt(p) == ',') && isDigit(value, p + 1)) {
            pos[0]++;
            nanos = fractionDigits(value, pos, 1, Integer.MAX_VALUE);
          }
        }
        case FRAC_DIGITS -> nanos = fractionDigits(value, pos, t.n, t.n);
        case AMPM -> {
          int p = pos[0];
          if (p + 2 > value.length()) {
            throw mismatch(value, p, "AM or PM");
          }
          String s = value.substring(p, p + 2).toUpperCase(Locale.ROOT);
          if (s.equals("AM")) {
            pm = 0;
          } else if (s.equals("PM")) {
            pm = 1;
          } else {
            throw mismatch(value, p, "AM or PM");
          }
          pos[0] += 2;
        }
        case TZ_NAME -> zone = zoneName(value, pos, zoneNames);
        case TZ_OFFSET -> zone = offset(value, pos, t);
        default -> throw new IllegalStateException(t.type.name());
      }
    }
    if (pos[0] != value.length()) {
      throw new EntryException("timestamp \"" + value + "\" has extra text \"" + value.substring(pos[0])
          + "\" after layout \"" + layout + "\"");
    }
    if (pm >= 0) {
      if (hour > 12) {
        throw new EntryException("timestamp \"" + value + "\": hour " + hour + " with AM/PM");
      }
      hour = pm == 1 ? (hour == 12 ? 12 : hour + 12) : (hour == 12 ? 0 : hour);
    }
    try {
      LocalDateTime local = LocalDateTime.of(year, month, day, hour, minute, second, nanos);
      ZoneId z = zone != null ? zone : location;
      long epochSecond = z instanceof ZoneOffset off ? local.toEpochSecond(off)
          : local.atZone(z).toEpochSecond();
      return Math.addExact(Math.multiplyExact(epochSecond, 1_000_000_000L), nanos);
    } catch (DateTimeException | ArithmeticException e) {
      throw new EntryException("timestamp \"" + value + "\" is out of range: " + e.getMessage());
    }
  }

  private EntryException mismatch(String value, int at, String expected) {
    return new EntryException("timestamp \"" + value + "\" does not match layout \"" + layout + "\": expected "
        + expected + " at " + (at + 1));
  }

  private static boolean isDigit(String s, int i) {
    return i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9';
  }

  private static void skipSpace(String s, int[] pos) {
    if (pos[0] < s.length() && s.charAt(pos[0]) == ' ') {
      pos[0]++;
    }
  }

  private int digits(String s, int[] pos, int min, int max, String what) throws EntryException {
    int p = pos[0];
    int v = 0;
    int count = 0;
    while (count < max && isDigit(s, p + count)) {
      v = v * 10 + (s.charAt(p + count) - '0');
      count++;
    }
    if (count < min) {
      throw mismatch(s, p, what);
    }
    pos[0] = p + count;
    return v;
  }

  /** Reads between min and max digits as a fraction of a second; digits past the ninth are dropped. */
  private int fractionDigits(String s, int[] pos, int min, int max) throws EntryException {
    int p = pos[0];
    int count = 0;
    int nanos = 0;
    while (count < max && isDigit(s, p + count)) {
      if (count < 9) {
        nanos = nanos * 10 + (s.charAt(p + count) - '0');
      }
      count++;
    }
    if (count < min) {
      throw mismatch(s, p, min == max ? min + " fractional digits" : "fractional digits");
    }
    for (int i = count; i < 9; i++) {
      nanos *= 10;
    }
    pos[0] = p + count;
    return nanos;
  }

  private int name(String s, int[] pos, String[] names, int abbrev, String what) throws EntryException {
    int p = pos[0];
    for (int i = 0; i < names.length; i++) {
      String full = names[i];
      String want = abbrev > 0 ? full.substring(0, abbrev) : full;
      if (s.regionMatches(true, p, want, 0, want.length())) {
        pos[0] = p + want.length();
        return i;
      }
    }
    throw mismatch(s, p, what);
  }

  private ZoneId zoneName(String s, int[] pos, Map<String, ZoneId> zoneNames) throws EntryException {
    int p = pos[0];
    int j = p;
    while (j < s.length() && Character.isLetter(s.charAt(j)) && j - p < 6) {
      j++;
    }
    if (j - p < 1) {
      throw mismatch(s, p, "a time zone name");
    }
    String abbr = s.substring(p, j);
    // GMT+3, UTC-05
    if ((abbr.equals("GMT") || abbr.equals("UTC")) && j < s.length() && (s.charAt(j) == '+' || s.charAt(j) == '-')) {
      int sign = s.charAt(j) == '-' ? -1 : 1;
      int[] q = {j + 1};
      int h = digits(s, q, 1, 2, "hours");
      pos[0] = q[0];
      return ZoneOffset.ofHours(sign * h);
    }
    pos[0] = j;
    ZoneId z = zoneNames.get(abbr);
    if (z != null) {
      return z;
    }
    ZoneOffset off = ABBREVIATIONS.get(abbr.toUpperCase(Locale.ROOT));
    return off != null ? off : ZoneOffset.UTC;
  }

  private ZoneId offset(String s, int[] pos, Tok t) throws EntryException {
    int p = pos[0];
    if (t.zulu && p < s.length() && s.charAt(p) == 'Z') {
      pos[0] = p + 1;
      return ZoneOffset.UTC;
    }
    if (p >= s.length() || (s.charAt(p) != '+' && s.charAt(p) != '-')) {
      throw mismatch(s, p, t.zulu ? "Z or a UTC offset" : "a UTC offset such as -0700");
    }
    int sign = s.charAt(p) == '-' ? -1 : 1;
    int[] q = {p + 1};
    int h = digits(s, q, 2, 2, "offset hours");
    int m = 0;
    int sec = 0;
    // strptime's %z takes ±hh:mm as well as ±hhmm
    boolean colon = t.colon || (t.zulu && q[0] < s.length() && s.charAt(q[0]) == ':' && t.n == 2);
    if (t.n >= 2) {
      if (colon) {
        expect(s, q, ':');
      }
      m = digits(s, q, 2, 2, "offset minutes");
    }
    if (t.n >= 3) {
      if (colon) {
        expect(s, q, ':');
      }
      sec = digits(s, q, 2, 2, "offset seconds");
    }
    pos[0] = q[0];
    try {
      return ZoneOffset.ofHoursMinutesSeconds(sign * h, sign * m, sign * sec);
    } catch (DateTimeException e) {
      throw new EntryException("timestamp \"" + s + "\" has a bad UTC offset: " + e.getMessage());
    }
  }

  private void expect(String s, int[] q, char c) throws EntryException {
    if (q[0] >= s.length() || s.charAt(q[0]) != c) {
      throw mismatch(s, q[0], "\"" + c + "\"");
    }
    q[0]++;
  }

  @Override
  public String toString() {
    return layout;
  }
}
