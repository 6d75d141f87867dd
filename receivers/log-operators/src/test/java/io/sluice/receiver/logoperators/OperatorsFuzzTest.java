package io.sluice.receiver.logoperators;

import io.sluice.core.testkit.fuzz.Fuzz;
import io.sluice.core.testkit.fuzz.FuzzGuard;
import io.sluice.core.testkit.fuzz.Mutator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fuzzing of the log operators' parsers with the lines a file could hold: mutants of real log
 * lines (Docker JSON, CRI, logfmt, CSV, syslog, JSON application logs, Apache access logs) run
 * through the pipelines users write (the parsers with their embedded timestamp, severity and trace
 * parsers, the container operator, routers with expressions, recombine), and the entries out
 * converted to OTLP.
 *
 * <p>Invariants: a pipeline never throws, whatever the line (a line an operator cannot parse is
 * its {@code on_error}'s business); no line hangs it or makes it allocate more than a multiple of
 * its size.
 */
class OperatorsFuzzTest {
  static final List<String> LINES = List.of(
      "{\"log\":\"GET /healthz 200\\n\",\"stream\":\"stdout\",\"time\":\"2024-03-01T10:11:12.123456789Z\"}",
      "2024-03-01T10:11:12.123456789Z stdout F GET /healthz 200",
      "2024-03-01T10:11:12.123456789Z stderr P partial line without its end",
      "2024-03-01T10:11:12.123+01:00 stdout F {\"level\":\"error\",\"msg\":\"boom\"}",
      "time=2024-03-01T10:11:12Z level=warn msg=\"disk almost full\" used=93% host='db 1'",
      "a,b,\"c, with comma\",\"d \"\"quoted\"\"\",e",
      "<34>1 2024-03-01T10:11:12.003Z mymachine.example.com su - ID47 - 'su root' failed on /dev/pts/8",
      "Mar  1 10:11:12 host sshd[1234]: Accepted publickey for user from 10.0.0.1 port 22",
      "{\"ts\":\"2024-03-01T10:11:12.123Z\",\"sev\":\"WARN\",\"trace_id\":\"4bf92f3577b34da6a3ce929d0e0e4736\","
          + "\"span_id\":\"00f067aa0ba902b7\",\"msg\":\"slow\",\"n\":12345678901234567890,\"f\":1.5e300,"
          + "\"nested\":{\"a\":[1,2,{\"b\":null}]}}",
      "127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] \"GET /apache_pb.gif HTTP/1.0\" 200 2326",
      "2024-03-01 10:11:12,345 ERROR [main] com.example.App - failed\n\tat com.example.App.main(App.java:10)",
      "1709287872 INFO user=\u00fc\u20ac\ud83d\ude00 done",
      "");

  static final List<String> DICTIONARY = List.of("{", "}", "[", "]", "\"", "\\", "=", ",", " ", "\t", "'", ":",
      "\\u0000", "\\ud800", "1e999999999", "null", "stdout F ", "stderr P ", "level=", "msg=\"", "\"\"", "%",
      "2024-13-45T99:99:99Z", "9999999999999999999999", "-", "\r", "\n", "\u0000", "\u00ff", "trace_id=",
      "4bf92f3577b34da6a3ce929d0e0e4736", "ERROR", "SEVERE", "+0530", "Z");

  /** Pipelines as users write them, by name. */
  static Stream<Arguments> pipelines() {
    return Stream.of(
        Arguments.of("json", """
            - type: json_parser
              parse_ints: true
              parse_to: body
              timestamp: {parse_from: body.ts, layout: '%Y-%m-%dT%H:%M:%S.%LZ'}
              severity: {parse_from: body.sev}
              trace:
                trace_id: {parse_from: body.trace_id}
                span_id: {parse_from: body.span_id}
            - type: flatten
              field: body.nested
            """),
        Arguments.of("regex", """
            - type: regex_parser
              regex: '^(?P<time>\\S+) (?P<sev>[A-Z]+) (?P<msg>.*)$'
              timestamp: {parse_from: attributes.time, layout_type: gotime, layout: '2006-01-02T15:04:05Z07:00'}
              severity:
                parse_from: attributes.sev
                mapping: {warn: [W, WARNING], fatal: SEVERE}
            - type: move
              from: attributes.msg
              to: body
            """),
        Arguments.of("key_value", """
            - type: key_value_parser
            - type: time_parser
              parse_from: attributes.time
              layout_type: strptime
              layout: '%Y-%m-%dT%H:%M:%SZ'
              on_error: send_quiet
            - type: severity_parser
              parse_from: attributes.level
              on_error: drop_quiet
            """),
        Arguments.of("key_value_pairs", """
            - type: key_value_parser
              delimiter: ':'
              pair_delimiter: '; '
            """),
        Arguments.of("csv", """
            - type: csv_parser
              header: 'a,b,c,d,e'
              lazy_quotes: true
            - type: retain
              fields: [attributes.a, attributes.c]
            """),
        Arguments.of("csv_strict", """
            - type: csv_parser
              header: 'a|b'
              header_delimiter: '|'
              delimiter: ','
            """),
        Arguments.of("container", """
            - type: container
              add_metadata_from_filepath: false
            """),
        Arguments.of("router", """
            - type: router
              routes:
                - expr: 'body matches "^\\\\{"'
                  output: json
                - expr: 'body matches "^[0-9]{4}-"'
                  output: cri
              default: epoch
            - id: json
              type: json_parser
              output: end
            - id: cri
              type: regex_parser
              regex: '^(?P<timestamp>[^\\s]+) (?P<stream>\\w+) (?P<logtag>\\w) ?(?P<message>.*)'
              timestamp: {parse_from: attributes.timestamp, layout_type: gotime, layout: '2006-01-02T15:04:05.999999999Z07:00'}
              output: end
            - id: epoch
              type: regex_parser
              regex: '^(?P<ts>\\d+) (?P<rest>.*)'
              timestamp: {parse_from: attributes.ts, layout_type: epoch, layout: s}
              output: end
            - id: end
              type: add
              field: attributes.seen
              value: EXPR(body)
              if: 'attributes.rest != nil or body != ""'
            """),
        Arguments.of("recombine", """
            - type: recombine
              combine_field: body
              is_first_entry: 'body matches "^[0-9]{4}-"'
              max_log_size: 4096
            - type: regex_parser
              regex: '^(?P<date>\\S+ \\S+) (?P<level>\\w+) \\[(?P<thread>[^\\]]*)\\] (?P<logger>\\S+) - (?P<msg>(?s).*)'
              severity: {parse_from: attributes.level}
            """));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("pipelines")
  void linesOfEveryKindRunThroughThePipelineWithoutAnException(String name, String yaml) {
    OperatorPipeline pipeline;
    try {
      pipeline = OperatorPipeline.build(Ops.list(yaml), "operators", new OperatorPipeline.Options(Ops.CLOCK,
          (id, message, quiet, dropped) -> { }));
    } catch (OperatorConfigException e) {
      throw new AssertionError(e.getMessage(), e);
    }
    List<byte[]> seeds = new ArrayList<>();
    for (String l : LINES) {
      seeds.add(l.getBytes(StandardCharsets.UTF_8));
    }
    try (FuzzGuard guard = FuzzGuard.of("log-operators-" + name)) {
      Fuzz.run(guard, Fuzz.tries(25_000), Mutator.of(seeds, DICTIONARY, 4), input -> {
        FuzzGuard.Outcome<Integer> o = guard.run(input, () -> {
          String line = new String(input, StandardCharsets.UTF_8);
          List<LogEntry> out = new ArrayList<>();
          pipeline.process(new LogEntry(line), out::add);
          pipeline.process(new LogEntry(Map.of("message", line)), out::add);
          pipeline.flushExpired(out::add);
          for (LogEntry e : out) {
            OtlpLogs.toLogRecord(e);
            OtlpLogs.toResource(e);
          }
          return out.size();
        });
        guard.count(o.accepted() ? "entries out: " + Math.min(3, o.value()) : "threw");
      });
      pipeline.flush(e -> { });
    }
  }
}
