package io.sluice.receiver.logoperators;

import java.math.BigDecimal;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.ZoneId;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Sets an entry's timestamp from a field: the {@code timestamp} block of a parser and the
 * {@code time_parser} operator. Layout types {@code strptime} (default), {@code gotime} and
 * {@code epoch} (layouts {@code s}, {@code ms}, {@code us}, {@code ns}, {@code s.ms}, {@code
 * s.us}, {@code s.ns}); {@code location} is the zone for times that carry none (default the
 * machine's), {@code time_zone_locations} maps {@code %Z} abbreviations to zones.
 */
final class TimeParser implements EntryStep {
  static final List<String> KEYS = List.of("parse_from", "layout_type", "layout", "location", "time_zone_locations");
  static final List<String> EPOCH_LAYOUTS = List.of("s", "ms", "us", "ns", "s.ms", "s.us", "s.ns");

  private final Field from;
  private final TimeLayout layout;
  private final String epoch;
  private final ZoneId location;
  private final Map<String, ZoneId> zoneNames;
  private final Clock clock;

  private TimeParser(Field from, TimeLayout layout, String epoch, ZoneId location, Map<String, ZoneId> zoneNames,
      Clock clock) {
    this.from = from;
    this.layout = layout;
    this.epoch = epoch;
    this.location = location;
    this.zoneNames = zoneNames;
    this.clock = clock;
  }

  /** Reads the settings from {@code c} (which must not have other keys unless the caller allows them). */
  static TimeParser read(Conf c, Clock clock) {
    int before = c.problemCount();
    Field from = c.requiredField("parse_from");
    String type = c.string("layout_type", "strptime");
    String layoutText = c.requiredString("layout", "for example \"%Y-%m-%d %H:%M:%S\" (strptime), "
        + "\"2006-01-02 15:04:05\" (gotime) or \"ms\" (epoch)");
    ZoneId location = ZoneId.systemDefault();
    String loc = c.string("location", null);
    if (loc != null && !loc.equals("Local")) {
      try {
        location = ZoneId.of(loc);
      } catch (DateTimeException e) {
        c.problem("location", "\"" + loc + "\" is not a time zone; use an IANA name such as \"America/New_York\", "
            + "\"UTC\" or \"Local\"");
      }
    }
    Map<String, ZoneId> zoneNames = new HashMap<>();
    Conf zones = c.sub("time_zone_locations");
    if (zones != null) {
      for (String abbr : zonesKeys(c)) {
        String name = zones.string(abbr, null);
        try {
          if (name != null) {
            zoneNames.put(abbr, ZoneId.of(name));
          }
        } catch (DateTimeException e) {
          zones.problem(abbr, "\"" + name + "\" is not a time zone; use an IANA name such as \"America/Los_Angeles\"");
        }
      }
    }
    TimeLayout layout = null;
    String epoch = null;
    if (layoutText != null) {
      switch (type) {
        case "strptime", "gotime" -> {
          try {
            layout = type.equals("strptime") ? TimeLayout.strptime(layoutText) : TimeLayout.gotime(layoutText);
          } catch (IllegalArgumentException e) {
            c.problem("layout", e.getMessage());
          }
        }
        case "epoch" -> {
          if (EPOCH_LAYOUTS.contains(layoutText)) {
            epoch = layoutText;
          } else {
            c.problem("layout", "\"" + layoutText + "\" is not an epoch layout; valid: "
                + String.join(", ", EPOCH_LAYOUTS));
          }
        }
        default -> c.problem("layout_type", "\"" + type + "\" is not a layout type; valid: strptime, gotime, epoch");
      }
    }
    return c.problemCount() == before ? new TimeParser(from, layout, epoch, location, zoneNames, clock) : null;
  }

  @SuppressWarnings("unchecked")
  private static Iterable<String> zonesKeys(Conf c) {
    Object v = c.raw("time_zone_locations");
    return v instanceof Map<?, ?> m ? ((Map<String, Object>) m).keySet() : List.of();
  }

  @Override
  public void apply(LogEntry e) throws EntryException {
    Object v = from.get(e);
    if (v == null) {
      throw new EntryException("the entry has no " + from + " to parse a timestamp from");
    }
    e.timestamp(epoch != null ? epoch(v) : strings(v));
  }

  private long strings(Object v) throws EntryException {
    if (!(v instanceof String s)) {
      throw new EntryException("the timestamp in " + from + " is a " + Expr.typeName(v) + ", not a string");
    }
    int year = layout.hasYear() ? 0 : clock.instant().atZone(location).getYear();
    return layout.parse(s, location, zoneNames, year);
  }

  private long epoch(Object v) throws EntryException {
    long perUnit = switch (epoch) {
      case "s", "s.ms", "s.us", "s.ns" -> 1_000_000_000L;
      case "ms" -> 1_000_000L;
      case "us" -> 1_000L;
      default -> 1L;
    };
    try {
      if (v instanceof Long || v instanceof Integer) {
        return Math.multiplyExact(((Number) v).longValue(), perUnit);
      } else if (v instanceof Number n) {
        return new BigDecimal(n.toString()).multiply(BigDecimal.valueOf(perUnit)).longValue();
      } else if (v instanceof String s) {
        if (epoch.contains(".") || s.indexOf('.') >= 0) {
          return new BigDecimal(s).multiply(BigDecimal.valueOf(perUnit)).toBigInteger().longValueExact();
        }
        return Math.multiplyExact(Long.parseLong(s), perUnit);
      }
    } catch (NumberFormatException | ArithmeticException ex) {
      throw new EntryException("\"" + v + "\" in " + from + " is not an epoch time in " + epoch);
    }
    throw new EntryException("the epoch time in " + from + " is a " + Expr.typeName(v) + ", not a number");
  }
}
