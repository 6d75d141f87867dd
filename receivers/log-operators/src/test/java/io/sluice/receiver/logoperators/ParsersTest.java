package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.MethodSource;

class ParsersTest {

  // ---- regex_parser ----

  static Stream<Arguments> regexCases() {
    return Stream.of(
        Arguments.of("^(?P<level>\\w+) (?P<msg>.*)$", "INFO hello world", Map.of("level", "INFO", "msg", "hello world")),
        Arguments.of("(?P<status>\\d{3})", "GET / 404 12ms", Map.of("status", "404")),
        Arguments.of("^(?<ip>[\\d.]+) - (?P<user_name>\\S+)", "10.0.0.1 - bob x", Map.of("ip", "10.0.0.1", "user_name", "bob")),
        Arguments.of("^(?P<a>x)?(?P<b>y)", "y", Map.of("a", "", "b", "y")),
        Arguments.of("^(?P<k>[[:alpha:]]+)=(?P<v>[[:digit:]]+)$", "abc=123", Map.of("k", "abc", "v", "123")),
        Arguments.of("^(?i)(?P<w>hello)", "HeLLo there", Map.of("w", "HeLLo")),
        Arguments.of("^(?P<x>[]a]+)", "]a]b", Map.of("x", "]a]")),
        Arguments.of("^(?P<brace>a{)", "a{", Map.of("brace", "a{")));
  }

  @ParameterizedTest
  @MethodSource("regexCases")
  void regexParserWritesNamedGroupsToAttributes(String regex, String line, Map<String, Object> expected) {
    Ops ops = Ops.of("- type: regex_parser\n  regex: '" + regex.replace("'", "''") + "'\n");
    LogEntry e = ops.one(line);
    assertThat(e.attributes()).containsExactlyInAnyOrderEntriesOf(expected);
    assertThat(e.body()).isEqualTo(line);
    assertThat(ops.failures).isEmpty();
  }

  @Test
  void regexParserToBodyReplacesTheBody() {
    LogEntry e = Ops.of("- type: regex_parser\n  regex: '^(?P<level>\\w+) (?P<msg>.*)$'\n  parse_to: body\n")
        .one("WARN disk low");
    assertThat(e.body()).isEqualTo(Map.of("level", "WARN", "msg", "disk low"));
    assertThat(e.hasAttributes()).isFalse();
  }

  @Test
  void regexParserReadsFromANestedFieldAndWritesUnderAKey() {
    LogEntry in = new LogEntry("x");
    in.attributes().put("raw", "a=1");
    LogEntry e = Ops.of("- type: regex_parser\n  regex: '(?P<k>\\w)=(?P<v>\\d)'\n  parse_from: attributes.raw\n"
        + "  parse_to: attributes.parsed\n").one(in);
    assertThat(e.attributes()).containsEntry("parsed", Map.of("k", "a", "v", "1")).containsEntry("raw", "a=1");
  }

  @ParameterizedTest
  @CsvSource({
      "send,       false, 1, false",
      "send_quiet, false, 1, true",
      "drop,       true,  0, false",
      "drop_quiet, true,  0, true"})
  void aLineTheRegexDoesNotMatchFollowsOnError(String mode, boolean dropped, int out, boolean quiet) {
    Ops ops = Ops.of("- type: regex_parser\n  regex: '^(?P<level>[A-Z]+) '\n  on_error: " + mode + "\n");
    List<LogEntry> entries = ops.run("not a match");
    assertThat(entries).hasSize(out);
    if (out == 1) {
      assertThat(entries.get(0).body()).isEqualTo("not a match");
      assertThat(entries.get(0).hasAttributes()).isFalse();
    }
    assertThat(ops.failures).singleElement().satisfies(f -> {
      assertThat(f.operatorId()).isEqualTo("regex_parser");
      assertThat(f.quiet()).isEqualTo(quiet);
      assertThat(f.dropped()).isEqualTo(dropped);
      assertThat(f.message()).contains("does not match").contains("not a match");
    });
    assertThat(ops.pipeline.errorCount()).isEqualTo(1);
    assertThat(ops.pipeline.droppedCount()).isEqualTo(dropped ? 1 : 0);
  }

  @Test
  void aBodyThatIsNotAStringIsAnError() {
    Ops ops = Ops.of("- type: regex_parser\n  regex: '(?P<a>.)'\n");
    assertThat(ops.one(Map.of("k", "v")).body()).isEqualTo(Map.of("k", "v"));
    assertThat(ops.failures).singleElement().extracting(Ops.Failure::message).asString().contains("not a string");
  }

  @Test
  void theIfConditionSkipsTheParser() {
    Ops ops = Ops.of("- type: regex_parser\n  regex: '^(?P<level>\\w+)'\n  if: 'body startsWith \"E\"'\n");
    assertThat(ops.one("ERROR x").attributes()).containsEntry("level", "ERROR");
    assertThat(ops.one("warn x").hasAttributes()).isFalse();
    assertThat(ops.failures).isEmpty();
  }

  // ---- json_parser ----

  @Test
  void jsonParserParsesObjectsWithNumbersAsDoubles() {
    LogEntry e = Ops.of("- type: json_parser\n").one("{\"a\":\"x\",\"n\":3,\"f\":1.5,\"b\":true,\"z\":null,"
        + "\"o\":{\"k\":[1,\"two\"]}}");
    assertThat(e.attributes()).containsEntry("a", "x").containsEntry("n", 3.0).containsEntry("f", 1.5)
        .containsEntry("b", true).containsEntry("z", null)
        .containsEntry("o", Map.of("k", List.of(1.0, "two")));
  }

  @Test
  void jsonParserKeepsIntegersWithParseInts() {
    LogEntry e = Ops.of("- type: json_parser\n  parse_ints: true\n").one("{\"n\":3,\"f\":1.5}");
    assertThat(e.attributes()).containsEntry("n", 3L).containsEntry("f", 1.5);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "{\"a\":1",
      "[1,2]",
      "plain text",
      "{\"a\":1} trailing",
      "''"})
  void malformedJsonIsAnErrorAndTheEntryGoesOnUnchanged(String line) {
    Ops ops = Ops.of("- type: json_parser\n");
    LogEntry e = ops.one(line);
    assertThat(e.body()).isEqualTo(line);
    assertThat(e.hasAttributes()).isFalse();
    assertThat(ops.failures).hasSize(1);
  }

  @Test
  void jsonParserWithEmbeddedTimestampAndSeverity() {
    LogEntry e = Ops.of("""
        - type: json_parser
          timestamp:
            parse_from: attributes.ts
            layout: '%Y-%m-%dT%H:%M:%S.%LZ'
            location: UTC
          severity:
            parse_from: attributes.sev
        """).one("{\"ts\":\"2022-01-02T14:24:56.123Z\",\"sev\":\"WARN\",\"msg\":\"m\"}");
    assertThat(e.timestamp()).isEqualTo(1641133496_123_000_000L);
    assertThat(e.severityNumber()).isEqualTo(13);
    assertThat(e.severityText()).isEqualTo("WARN");
  }

  @Test
  void embeddedParsersRunIndependentlyAndTheFirstErrorIsReported() {
    Ops ops = Ops.of("""
        - type: json_parser
          timestamp:
            parse_from: attributes.ts
            layout: '%Y'
          severity:
            parse_from: attributes.sev
        """);
    LogEntry e = ops.one("{\"ts\":\"not a year\",\"sev\":\"error\"}");
    assertThat(e.severityNumber()).isEqualTo(17);
    assertThat(e.timestamp()).isZero();
    assertThat(ops.failures).singleElement().extracting(Ops.Failure::message).asString().contains("not a year");
  }

  // ---- key_value_parser ----

  static Stream<Arguments> keyValueCases() {
    return Stream.of(
        Arguments.of("", "name=stanza org=otel", Map.of("name", "stanza", "org", "otel")),
        Arguments.of("", "  a=1    b=\"two words\"  ", Map.of("a", "1", "b", "two words")),
        Arguments.of("  delimiter: ':'\n", "name:stanza", Map.of("name", "stanza")),
        Arguments.of("  pair_delimiter: '!'\n", "name=stanza ! org=otel      ! group=dev",
            Map.of("name", "stanza", "org", "otel", "group", "dev")),
        Arguments.of("  delimiter: ': '\n  pair_delimiter: ', '\n", "a: 1, b: x=y", Map.of("a", "1", "b", "x=y")),
        Arguments.of("", "url=http://h/?q=1", Map.of("url", "http://h/?q=1")));
  }

  @ParameterizedTest
  @MethodSource("keyValueCases")
  void keyValueParserSplitsPairs(String settings, String line, Map<String, Object> expected) {
    assertThat(Ops.of("- type: key_value_parser\n" + settings).one(line).attributes())
        .containsExactlyInAnyOrderEntriesOf(expected);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"a=1 lonely", "=1", "'   '"})
  void keyValueParserRefusesPairsWithoutADelimiter(String line) {
    Ops ops = Ops.of("- type: key_value_parser\n  on_error: drop_quiet\n");
    assertThat(ops.run(line)).isEmpty();
    assertThat(ops.failures).hasSize(1);
  }

  // ---- csv_parser ----

  static Stream<Arguments> csvCases() {
    return Stream.of(
        Arguments.of("  header: id,severity,message\n", "1,debug,Debug Message",
            Map.of("id", "1", "severity", "debug", "message", "Debug Message")),
        Arguments.of("  header: id,msg\n", "7,\"a, \"\"quoted\"\" b\"", Map.of("id", "7", "msg", "a, \"quoted\" b")),
        Arguments.of("  header: \"a\\tb\"\n  delimiter: \"\\t\"\n", "1\t2", Map.of("a", "1", "b", "2")),
        Arguments.of("  header: a|b\n  header_delimiter: '|'\n  delimiter: ';'\n", "x;y", Map.of("a", "x", "b", "y")),
        Arguments.of("  header: a,b\n  lazy_quotes: true\n", "x\"y,\"z\"w\"", Map.of("a", "x\"y", "b", "z\"w")),
        Arguments.of("  header: a,b\n  ignore_quotes: true\n", "\"x,y\"", Map.of("a", "\"x", "b", "y\"")),
        Arguments.of("  header: a,b,c\n", ",,", Map.of("a", "", "b", "", "c", "")));
  }

  @ParameterizedTest
  @MethodSource("csvCases")
  void csvParserNamesFieldsByHeader(String settings, String line, Map<String, Object> expected) {
    Ops ops = Ops.of("- type: csv_parser\n" + settings);
    assertThat(ops.one(line).attributes()).containsExactlyInAnyOrderEntriesOf(expected);
    assertThat(ops.failures).isEmpty();
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {"1,2", "1,2,3,4", "1,\"open,3", "1,x\"y,3"})
  void csvRecordsThatDoNotFitAreErrors(String line) {
    Ops ops = Ops.of("- type: csv_parser\n  header: a,b,c\n");
    assertThat(ops.one(line).body()).isEqualTo(line);
    assertThat(ops.failures).hasSize(1);
  }

  @Test
  void csvParserTakesTheHeaderFromAnAttribute() {
    LogEntry in = new LogEntry("1,hello");
    in.attributes().put("Fields", "id,message");
    assertThat(Ops.of("- type: csv_parser\n  header_attribute: Fields\n").one(in).attributes())
        .containsEntry("id", "1").containsEntry("message", "hello");
  }

  @Test
  void parserMovesAFieldToTheBodyAfterParsing() {
    LogEntry e = Ops.of("- type: regex_parser\n  regex: '^(?P<level>\\w+) (?P<message>.*)$'\n"
        + "  body: attributes.message\n").one("INFO started");
    assertThat(e.body()).isEqualTo("started");
    assertThat(e.attributes()).containsEntry("level", "INFO");
  }
}
