package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.sluice.core.ConfigProblem;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Every wrong setting is reported with its path and what would be valid. */
class ConfigErrorsTest {

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      // yaml of one operator (\n for new lines) | the path | a part of the message
      "type: regex_parser\\nregexp: 'x'                            | operators[0].regexp      | unknown key; valid keys: body, cache, id, if, on_error, output, parse_from, parse_to, regex",
      "type: regex_parser                                         | operators[0].regex       | is required",
      "type: regex_parser\\nregex: '(\\\\w+)'                       | operators[0].regex       | has no named groups",
      "type: regex_parser\\nregex: '(?P<a>x)(?=y)'                 | operators[0].regex       | lookahead",
      "type: regex_parser\\nregex: '(?P<a>x)(?<=y)'                | operators[0].regex       | lookbehind",
      "type: regex_parser\\nregex: '(?P<a>x)\\1'                  | operators[0].regex       | backreferences",
      "type: regex_parser\\nregex: '(?P<a>x++)'                    | operators[0].regex       | possessive",
      "type: regex_parser\\nregex: '(?P<a>x)(?>y)'                 | operators[0].regex       | atomic",
      "type: regex_parser\\nregex: '(?U)(?P<a>x*)'                 | operators[0].regex       | ungreedy",
      "type: regex_parser\\nregex: '(?P<a>[x'                      | operators[0].regex       | not closed",
      "type: regex_parser\\nregex: '(?P<a-b>x)'                    | operators[0].regex       | group name",
      "type: regex_parser\\nregex: '(?P<a>x)'\\non_error: ignore    | operators[0].on_error    | valid: send, send_quiet, drop, drop_quiet",
      "type: regex_parser\\nregex: '(?P<a>x)'\\nparse_to: labels    | operators[0].parse_to    | does not start with body, attributes or resource",
      "type: regex_parser\\nregex: '(?P<a>x)'\\nif: 'now() > 1'   | operators[0].if          | supported:",
      "type: regex_parser\\nregex: '(?P<a>x)'\\ntimestamp: {parse_from: body}       | operators[0].timestamp.layout | is required",
      "type: regex_parser\\nregex: '(?P<a>x)'\\ntimestamp: {parse_from: body, layout: '%Q'} | operators[0].timestamp.layout | unknown directive %Q",
      "type: regex_parser\\nregex: '(?P<a>x)'\\ntimestamp: {parse_from: body, layout: x, layout_type: unix} | operators[0].timestamp.layout_type | valid: strptime, gotime, epoch",
      "type: regex_parser\\nregex: '(?P<a>x)'\\ntimestamp: {parse_from: body, layout: sec, layout_type: epoch} | operators[0].timestamp.layout | valid: s, ms, us, ns, s.ms, s.us, s.ns",
      "type: regex_parser\\nregex: '(?P<a>x)'\\ntimestamp: {parse_from: body, layout: x, location: Mars/Base} | operators[0].timestamp.location | is not a time zone",
      "type: regex_parser\\nregex: '(?P<a>x)'\\ntimestamp: {parse_from: body, layout: x, format: y} | operators[0].timestamp.format | unknown key",
      "type: regex_parser\\nregex: '(?P<a>x)'\\nseverity: {parse_from: body, mapping: {critical: x}} | operators[0].severity.mapping.critical | is not a severity level",
      "type: regex_parser\\nregex: '(?P<a>x)'\\nseverity: {parse_from: body, mapping: {error: [{min: 1}]}} | operators[0].severity.mapping.error[0] | a range must be",
      "type: regex_parser\\nregex: '(?P<a>x)'\\nseverity: {parse_from: body, preset: syslog} | operators[0].severity.preset | valid: default, otel, aliases, none",
      "type: regex_parser\\nregex: '(?P<a>x)'\\nparse_to: body\\nbody: body.a | operators[0].body | cannot be combined with parse_to: body",
      "type: regex_parser\\nregex: '(?P<a>x)'\\ncache: {size: -1}     | operators[0].cache.size  | must not be negative",
      "type: json_parser\\nparse_ints: yes please                   | operators[0].parse_ints  | expected true or false",
      "type: key_value_parser\\ndelimiter: ' '\\npair_delimiter: ' ' | operators[0].pair_delimiter | must differ",
      "type: csv_parser                                           | operators[0].header      | is required unless header_attribute",
      "type: csv_parser\\nheader: a,b\\ndelimiter: '::'             | operators[0].delimiter   | must be one character",
      "type: time_parser\\nlayout: '%Y'                            | operators[0].parse_from  | is required",
      "type: severity_parser\\nparse_from: body\\nmapping: [error]  | operators[0].mapping     | expected a map",
      "type: move\\nfrom: body.a                                  | operators[0].to          | is required",
      "type: move\\nfrom: message\\nto: body.b                    | operators[0].from        | does not start with body",
      "type: add\\nfield: attributes.a                            | operators[0].value       | is required",
      "type: add\\nfield: attributes.a\\nvalue: EXPR(now())       | operators[0].value       | supported:",
      "type: flatten\\nfield: attributes.a                        | operators[0].field       | flatten works on a map inside the body",
      "type: retain\\nfields: attributes.a                        | operators[0].fields      | expected a non-empty list",
      "type: retain\\nfields: [attributes.a, 3]                   | operators[0].fields[1]   | expected a field",
      "type: filter                                               | operators[0].expr        | is required",
      "type: filter\\nexpr: 'body matches \"x\"'\\ndrop_ratio: 2   | operators[0].drop_ratio  | between 0 and 1",
      "type: router\\nroutes: [{expr: 'true'}]                    | operators[0].routes[0].output | is required",
      "type: router\\nroutes: [{output: x, expr: 'true'}]\\nif: 'true' | operators[0].if     | unknown key; valid keys: default, id, routes, type",
      "type: container\\nformat: podman                           | operators[0].format      | valid: docker, crio, containerd",
      "type: container\\nmax_log_size: big                        | operators[0].max_log_size | expected a size",
      "type: noop\\non_error: drop                                | operators[0].on_error    | unknown key; valid keys: id, output, type",
      "type: syslog_parser                                        | operators[0].type        | is a Collector operator that Sluice does not implement",
      "type: regex_parserr                                        | operators[0].type        | is not an operator type; valid: regex_parser, json_parser",
      "id: x                                                      | operators[0].type        | is required",
      "type: noop\\noutput: nowhere                               | operators[0].output      | no operator has the id \"nowhere\"",
      "type: router\\nroutes: [{expr: 'true', output: a}, {expr: 'true', output: [b]}]\\ndefault: c | operators[0].routes[1].output | no operator has the id \"b\"",
      "type: router\\nroutes: [{expr: 'true', output: router}]\\ndefault: c | operators[0].default | no operator has the id \"c\"",
      "type: noop\\nid: ''                                         | operators[0].id          | must not be empty"})
  void aWrongSettingNamesItsPathAndWhatIsValid(String yaml, String path, String message) {
    String item = "- " + yaml.replace("\\n", "\n  ");
    List<String> problems = Ops.problems(item);
    assertThat(problems).as(item).anySatisfy(p -> assertThat(p).startsWith(path + ": ").contains(message));
  }

  @Test
  void everyProblemOfEveryOperatorIsReportedAtOnce() {
    List<String> problems = Ops.problems("""
        - type: regex_parser
          regexp: '^(?P<a>x)'
        - type: json_parser
          on_error: skip
        - type: move
          from: body.a
        - type: nope
        """);
    assertThat(problems).extracting(p -> p.substring(0, p.indexOf(':')))
        .contains("operators[0].regexp", "operators[0].regex", "operators[1].on_error", "operators[2].to",
            "operators[3].type");
  }

  @Test
  void duplicateIdsAreRefused() {
    assertThat(Ops.problems("- id: a\n  type: noop\n- id: a\n  type: noop\n"))
        .containsExactly("operators[1].id: \"a\" is already the id of operators[0]; ids must be unique");
  }

  @Test
  void anItemThatIsNotAMapIsRefused() {
    assertThat(Ops.problems("- regex_parser\n")).singleElement().asString()
        .startsWith("operators[0]: expected a map of settings, got \"regex_parser\"");
  }

  @Test
  void buildThrowsTheSameProblemsAsValidate() {
    List<?> list = Ops.list("- type: regex_parser\n  regex: '(?=x)'\n");
    assertThatThrownBy(() -> OperatorPipeline.build(list, "receivers.filelog.operators"))
        .isInstanceOf(OperatorConfigException.class)
        .satisfies(e -> assertThat(((OperatorConfigException) e).problems()).extracting(ConfigProblem::path)
            .containsExactly("receivers.filelog.operators[0].regex"))
        .hasMessageContaining("lookahead");
  }

  @Test
  void validListsHaveNoProblems() {
    assertThat(Ops.problems("""
        - type: container
        - type: regex_parser
          id: access
          regex: '^(?P<ip>\\S+) \\S+ \\S+ \\[(?P<time>[^\\]]+)\\] "(?P<method>\\S+) (?P<path>\\S+)[^"]*" (?P<status>\\d{3})'
          parse_from: body
          timestamp:
            parse_from: attributes.time
            layout: '%d/%b/%Y:%H:%M:%S %z'
          severity:
            parse_from: attributes.status
            mapping:
              info: 2xx
              warn: 4xx
              error: 5xx
        - type: filter
          expr: 'attributes.path startsWith "/health"'
        - type: remove
          field: attributes.time
        """)).isEmpty();
  }
}
