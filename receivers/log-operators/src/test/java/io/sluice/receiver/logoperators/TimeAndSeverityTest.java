package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimeAndSeverityTest {

  private static long nanos(String instant) {
    Instant i = Instant.parse(instant);
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  private static LogEntry time(String layoutType, String layout, String location, Object value) {
    Ops ops = Ops.of("- type: time_parser\n  parse_from: attributes.t\n  layout_type: " + layoutType
        + "\n  layout: '" + layout + "'\n" + (location == null ? "" : "  location: " + location + "\n"));
    LogEntry in = new LogEntry("line");
    in.attributes().put("t", value);
    LogEntry e = ops.one(in);
    assertThat(ops.failures).as("failures").isEmpty();
    return e;
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "%Y-%m-%d %H:%M:%S                | 2022-01-02 07:24:56            | UTC              | 2022-01-02T07:24:56Z",
      "%Y-%m-%d %H:%M:%S.%f %z          | 2022-01-02 07:24:56,123 -0700  | UTC              | 2022-01-02T14:24:56.123Z",
      "%Y-%m-%dT%H:%M:%S.%LZ            | 2022-01-02T14:24:56.123123123Z | UTC              | 2022-01-02T14:24:56.123123123Z",
      "%Y-%m-%d %H:%M:%S                | 2022-01-02 07:24:56.5          | UTC              | 2022-01-02T07:24:56.5Z",
      "%d/%b/%Y:%H:%M:%S %z             | 10/Oct/2000:13:55:36 -0700     | UTC              | 2000-10-10T20:55:36Z",
      "%a %b %e %H:%M:%S %Z %Y          | Fri Jun  5 13:50:27 EST 2020   | UTC              | 2020-06-05T18:50:27Z",
      "%b %e %H:%M:%S                   | Mar  4 01:02:03                | UTC              | 2026-03-04T01:02:03Z",
      "%F %T                            | 2021-03-17 10:11:12            | Europe/Berlin    | 2021-03-17T09:11:12Z",
      "%m/%d/%y %I:%M %p                | 12/31/99 11:30 PM              | UTC              | 1999-12-31T23:30:00Z",
      "%Y-%m-%dT%H:%M:%S%j              | 2024-04-13T07:59:37-05:00      | UTC              | 2024-04-13T12:59:37Z",
      "%B %d %Y                         | january 05 2021                | UTC              | 2021-01-05T00:00:00Z"})
  void strptimeLayouts(String layout, String value, String location, String expected) {
    assertThat(time("strptime", layout, location, value).timestamp()).isEqualTo(nanos(expected));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "2006-01-02T15:04:05Z07:00             | 2024-04-13T07:59:37-05:00           | 2024-04-13T12:59:37Z",
      "2006-01-02T15:04:05.999999999Z07:00   | 2023-06-22T10:27:25.813799277Z      | 2023-06-22T10:27:25.813799277Z",
      "2006-01-02T15:04:05.000Z07:00         | 2023-06-22T10:27:25.813Z            | 2023-06-22T10:27:25.813Z",
      "Jan 2 15:04:05 MST 2006               | Jun 5 13:50:27 EST 2020             | 2020-06-05T18:50:27Z",
      "Jan _2 15:04:05                       | Feb  7 06:05:04                     | 2026-02-07T06:05:04Z",
      "02/Jan/2006:15:04:05 -0700            | 10/Oct/2000:13:55:36 +0200          | 2000-10-10T11:55:36Z",
      "Monday, 02-Jan-06 15:04:05 MST        | Tuesday, 03-Mar-20 01:02:03 UTC     | 2020-03-03T01:02:03Z",
      "3:04PM                                | 9:15AM                              | 2026-01-01T09:15:00Z",
      "2006-01-02 15:04:05,000               | 2022-01-02 07:24:56,789             | 2022-01-02T07:24:56.789Z"})
  void goLayouts(String layout, String value, String expected) {
    assertThat(time("gotime", layout, "UTC", value).timestamp()).isEqualTo(nanos(expected));
  }

  @Test
  void timesWithoutAZoneUseTheLocalZoneByDefault() {
    long expected = LocalDateTime.of(2021, 5, 6, 7, 8, 9).atZone(ZoneId.systemDefault()).toEpochSecond() * 1_000_000_000L;
    assertThat(time("strptime", "%Y-%m-%d %H:%M:%S", null, "2021-05-06 07:08:09").timestamp()).isEqualTo(expected);
  }

  @Test
  void timeZoneLocationsResolveAbbreviations() {
    Ops ops = Ops.of("""
        - type: time_parser
          parse_from: body
          layout: '%a %b %d %H:%M:%S %Z %Y'
          location: Asia/Kolkata
          time_zone_locations:
            PDT: America/Los_Angeles
        """);
    assertThat(ops.one("Wed Aug 20 14:08:48 PDT 2025").timestamp()).isEqualTo(nanos("2025-08-20T21:08:48Z"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "s    | 1136214245            | 2006-01-02T15:04:05Z",
      "ms   | 1136214245123         | 2006-01-02T15:04:05.123Z",
      "us   | 1136214245123456      | 2006-01-02T15:04:05.123456Z",
      "ns   | 1136214245123456789   | 2006-01-02T15:04:05.123456789Z",
      "s.ms | 1136214245.123        | 2006-01-02T15:04:05.123Z",
      "s.us | 1136214245.123456     | 2006-01-02T15:04:05.123456Z",
      "s.ns | 1136214245.123456789  | 2006-01-02T15:04:05.123456789Z",
      "s.ms | 1136214245            | 2006-01-02T15:04:05Z"})
  void epochLayoutsFromStrings(String layout, String value, String expected) {
    assertThat(time("epoch", layout, null, value).timestamp()).isEqualTo(nanos(expected));
  }

  @Test
  void epochLayoutsFromNumbers() {
    assertThat(time("epoch", "s", null, 1136214245).timestamp()).isEqualTo(nanos("2006-01-02T15:04:05Z"));
    assertThat(time("epoch", "ms", null, 1136214245123L).timestamp()).isEqualTo(nanos("2006-01-02T15:04:05.123Z"));
    assertThat(time("epoch", "s.ms", null, 1136214245.5).timestamp()).isEqualTo(nanos("2006-01-02T15:04:05.5Z"));
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "strptime | %Y-%m-%d          | 2022-13-01",
      "strptime | %Y-%m-%d          | 2022-02-30",
      "strptime | %Y-%m-%d          | 22-01-01",
      "strptime | %Y-%m-%d          | 2022-01-01 extra",
      "strptime | %H:%M             | 07:5",
      "gotime   | 2006-01-02        | 2006/01/02",
      "epoch    | s                 | soon",
      "epoch    | ms                | 12.5.6"})
  void valuesThatDoNotFitTheLayoutAreErrors(String type, String layout, String value) {
    Ops ops = Ops.of("- type: time_parser\n  parse_from: body\n  layout_type: " + type + "\n  layout: '" + layout
        + "'\n  location: UTC\n");
    LogEntry e = ops.one(value);
    assertThat(e.timestamp()).isZero();
    assertThat(ops.failures).hasSize(1);
  }

  @Test
  void aMissingFieldIsAnError() {
    Ops ops = Ops.of("- type: time_parser\n  parse_from: attributes.t\n  layout: '%Y'\n  on_error: drop\n");
    assertThat(ops.run("x")).isEmpty();
    assertThat(ops.failures).singleElement().extracting(Ops.Failure::message).asString().contains("attributes.t");
  }

  // ---- severity ----

  private static LogEntry severity(String settings, Object value) {
    Ops ops = Ops.of("- type: severity_parser\n  parse_from: attributes.s\n" + settings);
    LogEntry in = new LogEntry("line");
    in.attributes().put("s", value);
    LogEntry e = ops.one(in);
    assertThat(ops.failures).isEmpty();
    return e;
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "ERROR | 17", "error | 17", "Warn | 13", "info3 | 11", "TRACE | 1", "fatal4 | 24", "debug2 | 6",
      "warning | 13", "Err | 17", "err3 | 19", "17 | 17", "24 | 24", "25 | 0", "critical | 0", "unknown | 0"})
  void theDefaultPresetMapsLevelNamesInAnyCase(String value, int number) {
    LogEntry e = severity("", value);
    assertThat(e.severityNumber()).isEqualTo(number);
    assertThat(e.severityText()).isEqualTo(value);
  }

  private static final String MAPPING = """
        mapping:
          error: oops
          warn:
            - hey!
            - YSK
          info:
            - min: 300
              max: 399
          debug: 2xx
          info3: medium
          fatal:
            - really serious
            - min: 9001
              max: 9050
            - 5xx
      """;

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "oops | 17", "OOPS | 17", "hey! | 13", "ysk | 13", "302 | 9", "200 | 5", "299 | 5", "medium | 11",
      "really serious | 21", "9049 | 21", "503 | 21", "404 | 0", "error | 17"})
  void mappingsTakeValuesListsRangesAndHttpClasses(String value, int number) {
    assertThat(severity(MAPPING, value).severityNumber()).isEqualTo(number);
  }

  @Test
  void rangesMatchNumbersAsWellAsNumericStrings() {
    assertThat(severity(MAPPING, 302).severityNumber()).isEqualTo(9);
    assertThat(severity(MAPPING, 503L).severityNumber()).isEqualTo(21);
    assertThat(severity(MAPPING, 200.0).severityNumber()).isEqualTo(5);
  }

  @Test
  void presetNoneStartsFromAnEmptyMapping() {
    assertThat(severity("  preset: none\n  mapping:\n    error: nooo!\n", "nooo!").severityNumber()).isEqualTo(17);
    assertThat(severity("  preset: none\n  mapping:\n    error: nooo!\n", "ERROR").severityNumber()).isZero();
  }

  @Test
  void theOtelPresetHasNoWarningOrErr() {
    assertThat(severity("  preset: otel\n", "warning").severityNumber()).isZero();
    assertThat(severity("  preset: otel\n", "WARN").severityNumber()).isEqualTo(13);
    assertThat(severity("  preset: otel\n", "9").severityNumber()).isEqualTo(9);
  }

  @Test
  void severityNumbersWorkAsMappingKeys() {
    assertThat(severity("  mapping:\n    17: oops\n", "oops").severityNumber()).isEqualTo(17);
  }

  @Test
  void overwriteTextWritesTheShortName() {
    LogEntry e = severity("  overwrite_text: true\n  mapping:\n    info3: medium\n", "medium");
    assertThat(e.severityNumber()).isEqualTo(11);
    assertThat(e.severityText()).isEqualTo("INFO3");
  }

  @Test
  void aSeverityThatIsAMapIsAnError() {
    Ops ops = Ops.of("- type: severity_parser\n  parse_from: body\n");
    assertThat(ops.one(Map.of("a", "b")).severityNumber()).isZero();
    assertThat(ops.failures).hasSize(1);
  }
}
