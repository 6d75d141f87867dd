package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Expressions, filter, router and how operators connect. */
class FlowTest {

  private static LogEntry entry() {
    LogEntry e = new LogEntry("ERROR 2024 disk full");
    e.attributes().put("level", "error");
    e.attributes().put("code", 503L);
    e.attributes().put("log.file.path", "/var/log/app.log");
    e.resource().put("host", "h1");
    return e;
  }

  @ParameterizedTest
  @CsvSource(delimiter = '~', quoteCharacter = '`', value = {
      "body matches \"^ERROR\"                                    ~ true",
      "body matches '^\\\\w+ \\\\d{4}'                            ~ true",
      "body matches \"^WARN\"                                     ~ false",
      "attributes.level == \"error\"                              ~ true",
      "attributes.level != \"error\"                              ~ false",
      "attributes[\"log.file.path\"] endsWith \".log\"            ~ true",
      "attributes.code >= 500 and attributes.code < 600           ~ true",
      "attributes.code == 503                                     ~ true",
      "attributes.missing == nil                                  ~ true",
      "attributes.missing == \"x\"                                ~ false",
      "not (attributes.level == \"error\")                        ~ false",
      "!(attributes.level == \"info\") && resource.host == 'h1'  ~ true",
      "attributes.level == \"info\" or body contains \"disk\"     ~ true",
      "attributes.level == \"info\" || attributes.level == \"warn\" ~ false",
      "body startsWith \"ERROR\" and not (body contains \"ok\")   ~ true",
      "attributes.level + \"!\" == \"error!\"                     ~ true",
      "attributes.level in [\"warn\", \"error\"]                 ~ true",
      "attributes.code in [500, 503]                              ~ true",
      "attributes.level in []                                     ~ false",
      "true                                                       ~ true"})
  void conditionsEvaluate(String expr, boolean expected) {
    assertThat(Expr.parseCondition(expr).test(entry())).as(expr).isEqualTo(expected);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "now() > 1",
      "attributes.level in attributes.levels",
      "attributes.level in [\"a\", body]",
      "attributes.n * 2 > 3",
      "timestamp > 0",
      "body matches attributes.pattern",
      "body matches \"(?=x)\"",
      "attributes.level ==",
      "attributes.level",
      "\"unclosed"})
  void unsupportedExpressionsAreRefusedListingWhatIsSupported(String expr) {
    assertThatThrownBy(() -> {
      Expr e = Expr.parseCondition(expr);
      if (!(e instanceof Expr.FieldRef)) {
        return;
      }
      throw new IllegalArgumentException("a bare field is allowed; " + Expr.SUPPORTED);
    }).as(expr).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("==");
  }

  @Test
  void envReadsAnEnvironmentVariableOnce() {
    String path = System.getenv("PATH");
    assertThat(Expr.parseCondition("env(\"PATH\") == \"" + path.replace("\\", "\\\\") + "\"").test(entry())).isTrue();
    assertThat(Expr.parse("env(\"SLUICE_SURELY_UNSET_VARIABLE\")").eval(entry())).isEqualTo("");
  }

  @Test
  void aConditionMustGiveABoolean() {
    assertThatThrownBy(() -> Expr.parseCondition("\"text\"")).hasMessageContaining("does not give true or false");
  }

  @Test
  void filterDropsWhatItsExpressionHoldsFor() {
    Ops ops = Ops.of("- type: filter\n  expr: 'body matches \"^DEBUG\"'\n");
    assertThat(ops.run("DEBUG noise")).isEmpty();
    assertThat(ops.run("INFO kept")).hasSize(1);
    assertThat(ops.pipeline.droppedCount()).isEqualTo(1);
    assertThat(ops.pipeline.errorCount()).isZero();
  }

  @Test
  void filterWithDropRatioZeroKeepsEverything() {
    Ops ops = Ops.of("- type: filter\n  expr: 'true'\n  drop_ratio: 0.0\n");
    assertThat(ops.run("x")).hasSize(1);
  }

  @Test
  void routerSendsEachEntryToTheFirstMatchingRoute() {
    Ops ops = Ops.of("""
        - type: router
          routes:
            - expr: 'body matches "^\\\\{"'
              output: json
              attributes:
                format: json
            - expr: 'body startsWith "ERROR"'
              output: errors
          default: plain
        - id: json
          type: json_parser
          output: end
        - id: errors
          type: add
          field: attributes.kind
          value: error
          output: end
        - id: plain
          type: add
          field: attributes.kind
          value: plain
        - id: end
          type: noop
        """);
    LogEntry json = ops.one("{\"a\":\"b\"}");
    assertThat(json.attributes()).containsEntry("a", "b").containsEntry("format", "json").doesNotContainKey("kind");
    assertThat(ops.one("ERROR x").attributes()).containsEntry("kind", "error");
    assertThat(ops.one("hello").attributes()).containsEntry("kind", "plain");
  }

  @Test
  void routerWithoutDefaultDropsWhatNoRouteTakes() {
    Ops ops = Ops.of("""
        - type: router
          routes:
            - expr: 'body == "keep"'
              output: noop
        - type: noop
        """);
    assertThat(ops.run("keep")).hasSize(1);
    assertThat(ops.run("other")).isEmpty();
    assertThat(ops.pipeline.droppedCount()).isEqualTo(1);
  }

  @Test
  void aListOfOutputsFansOutIndependentCopies() {
    Ops ops = Ops.of("""
        - type: noop
          output: [a, b]
        - id: a
          type: add
          field: attributes.path
          value: a
          output: end
        - id: b
          type: add
          field: attributes.path
          value: b
          output: end
        - id: end
          type: noop
        """);
    List<LogEntry> out = ops.run("x");
    assertThat(out).extracting(e -> e.attributes().get("path")).containsExactlyInAnyOrder("a", "b");
  }

  @Test
  void idsDefaultToTheTypeAndRepeatedTypesAreNumbered() {
    Ops ops = Ops.of("""
        - type: add
          field: attributes.a
          value: 1
        - type: add
          field: attributes.b
          value: 2
        - type: noop
          output: add1
        """.replace("- type: noop\n  output: add1\n", "- type: noop\n"));
    assertThat(ops.pipeline.operatorIds()).containsExactly("add", "add1", "noop");
    assertThat(ops.one("x").attributes()).containsEntry("a", 1).containsEntry("b", 2);
  }

  @Test
  void anOutputCanSkipOperators() {
    Ops ops = Ops.of("""
        - type: add
          field: attributes.a
          value: 1
          output: last
        - type: add
          field: attributes.skipped
          value: 1
        - id: last
          type: noop
        """);
    assertThat(ops.one("x").attributes()).containsOnlyKeys("a");
  }

  @Test
  void aLoopIsAConfigError() {
    assertThat(Ops.problems("""
        - id: a
          type: noop
          output: b
        - id: b
          type: noop
          output: a
        """)).singleElement().asString().startsWith("operators[0].output: the operators form a loop (a -> b -> a)");
  }

  @Test
  void ifSkipsAnyOperator() {
    Ops ops = Ops.of("""
        - type: add
          field: attributes.tag
          value: err
          if: 'attributes.level == "error"'
        """);
    LogEntry yes = new LogEntry("x");
    yes.attributes().put("level", "error");
    assertThat(ops.one(yes).attributes()).containsEntry("tag", "err");
    assertThat(ops.one("x").hasAttributes()).isFalse();
  }

  @Test
  void onErrorDropStopsTheEntryBeforeLaterOperators() {
    Ops ops = Ops.of("""
        - type: json_parser
          on_error: drop
        - type: add
          field: attributes.after
          value: true
        """);
    assertThat(ops.run("not json")).isEmpty();
    assertThat(ops.one("{}").attributes()).containsEntry("after", true);
    assertThat(ops.failures).singleElement().satisfies(f -> assertThat(f.dropped()).isTrue());
  }

  @Test
  void entriesAreCopiedDeeply() {
    LogEntry e = new LogEntry(Map.of("a", List.of(1, 2)));
    e.attributes().put("m", new java.util.HashMap<>(Map.of("k", "v")));
    LogEntry c = e.copy();
    ((Map<String, Object>) cast(c.attributes().get("m"))).put("k", "changed");
    assertThat(e.get("attributes.m.k")).isEqualTo("v");
  }

  @SuppressWarnings("unchecked")
  private static <T> T cast(Object o) {
    return (T) o;
  }
}
