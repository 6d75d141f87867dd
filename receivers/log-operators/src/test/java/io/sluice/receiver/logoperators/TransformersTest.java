package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TransformersTest {

  private static LogEntry entry() {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("msg", "hello");
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("a", "1");
    nested.put("b", "2");
    body.put("nested", nested);
    LogEntry e = new LogEntry(body);
    e.attributes().put("log.file.path", "/var/log/x.log");
    e.attributes().put("level", "info");
    e.resource().put("host.name", "h1");
    return e;
  }

  @Test
  void moveMovesBetweenBodyAttributesAndResource() {
    Ops ops = Ops.of("""
        - type: move
          from: body.msg
          to: attributes.message
        - type: move
          from: attributes["log.file.path"]
          to: resource.path
        - type: move
          from: body.nested
          to: body
        """);
    LogEntry e = ops.one(entry());
    assertThat(e.attributes()).containsEntry("message", "hello").doesNotContainKey("log.file.path");
    assertThat(e.resource()).containsEntry("path", "/var/log/x.log");
    assertThat(e.body()).isEqualTo(Map.of("a", "1", "b", "2"));
  }

  @Test
  void movingAMissingFieldIsAnError() {
    Ops ops = Ops.of("- type: move\n  from: attributes.nope\n  to: attributes.x\n");
    assertThat(ops.one(entry()).attributes()).doesNotContainKey("x");
    assertThat(ops.failures).singleElement().extracting(Ops.Failure::message).asString().contains("attributes.nope");
  }

  @Test
  void copyCopiesDeeply() {
    LogEntry e = Ops.of("- type: copy\n  from: body.nested\n  to: attributes.n\n").one(entry());
    @SuppressWarnings("unchecked")
    Map<String, Object> copy = (Map<String, Object>) e.attributes().get("n");
    copy.put("a", "changed");
    assertThat(e.get("body.nested.a")).isEqualTo("1");
  }

  @Test
  void addSetsConstantsMapsAndExpressions() {
    LogEntry e = Ops.of("""
        - type: add
          field: attributes.env
          value: prod
        - type: add
          field: resource["service.name"]
          value:
            name: svc
            port: 80
        - type: add
          field: body.copy
          value: EXPR(body.msg + "!")
        - type: add
          field: attributes.n
          value: 3
        """).one(entry());
    assertThat(e.attributes()).containsEntry("env", "prod").containsEntry("n", 3);
    assertThat(e.resource()).containsEntry("service.name", Map.of("name", "svc", "port", 80));
    assertThat(e.get("body.copy")).isEqualTo("hello!");
  }

  @Test
  void addToAStringBodyKeyTurnsTheBodyIntoAMap() {
    assertThat(Ops.of("- type: add\n  field: body.k\n  value: v\n").one("text").body()).isEqualTo(Map.of("k", "v"));
  }

  @Test
  void removeDeletesFieldsAndWholeParts() {
    LogEntry e = Ops.of("""
        - type: remove
          field: body.msg
        - type: remove
          field: resource
        """).one(entry());
    assertThat(e.body()).isEqualTo(Map.of("nested", Map.of("a", "1", "b", "2")));
    assertThat(e.hasResource()).isFalse();
  }

  @Test
  void flattenLiftsANestedMap() {
    LogEntry e = Ops.of("- type: flatten\n  field: body.nested\n").one(entry());
    assertThat(e.body()).isEqualTo(Map.of("msg", "hello", "a", "1", "b", "2"));
  }

  @Test
  void flatteningAStringIsAnError() {
    Ops ops = Ops.of("- type: flatten\n  field: body.msg\n  on_error: drop\n");
    assertThat(ops.run(entry())).isEmpty();
    assertThat(ops.pipeline.droppedCount()).isEqualTo(1);
  }

  @Test
  void retainKeepsOnlyTheNamedFieldsInTheNamedParts() {
    LogEntry e = Ops.of("- type: retain\n  fields: [body.msg, attributes.level]\n").one(entry());
    assertThat(e.body()).isEqualTo(Map.of("msg", "hello"));
    assertThat(e.attributes()).containsOnlyKeys("level");
    assertThat(e.resource()).containsOnlyKeys("host.name"); // not named: left alone
  }

  // ---- trace_parser ----

  @Test
  void traceParserDecodesHexIds() {
    LogEntry in = new LogEntry(Map.of("trace_id", "4bf92f3577b34da6a3ce929d0e0e4736", "span_id", "00f067aa0ba902b7",
        "trace_flags", "01"));
    LogEntry e = Ops.of("- type: trace_parser\n").one(in);
    assertThat(HexFormat.of().formatHex(e.traceId())).isEqualTo("4bf92f3577b34da6a3ce929d0e0e4736");
    assertThat(HexFormat.of().formatHex(e.spanId())).isEqualTo("00f067aa0ba902b7");
    assertThat(e.traceFlags()).isEqualTo(1);
  }

  @Test
  void traceParserReadsConfiguredFieldsAndSkipsMissingOnes() {
    LogEntry in = new LogEntry(Map.of("tid", "4BF92F3577B34DA6A3CE929D0E0E4736"));
    Ops ops = Ops.of("- type: trace_parser\n  trace_id:\n    parse_from: body.tid\n");
    LogEntry e = ops.one(in);
    assertThat(e.traceId()).hasSize(16);
    assertThat(e.spanId()).isNull();
    assertThat(ops.failures).isEmpty();
  }

  @ParameterizedTest
  @CsvSource({
      "4bf92f3577b34da6a3ce929d0e0e473, 00f067aa0ba902b7",
      "4bf92f3577b34da6a3ce929d0e0e47zz, 00f067aa0ba902b7",
      "4bf92f3577b34da6a3ce929d0e0e4736, 00f067aa0ba902"})
  void badHexLeavesTheEntryAsItWas(String traceId, String spanId) {
    LogEntry in = new LogEntry("x");
    in.attributes().put("trace_id", traceId);
    in.attributes().put("span_id", spanId);
    Ops ops = Ops.of("- type: trace_parser\n  trace_id: {parse_from: attributes.trace_id}\n"
        + "  span_id: {parse_from: attributes.span_id}\n");
    LogEntry e = ops.one(in);
    assertThat(e.traceId()).isNull();
    assertThat(e.spanId()).isNull();
    assertThat(ops.failures).hasSize(1);
  }

  @Test
  void regexParserWithEmbeddedTraceLinksLogsToTraces() {
    LogEntry e = Ops.of("""
        - type: regex_parser
          regex: 'trace=(?P<trace_id>[0-9a-f]{32}) span=(?P<span_id>[0-9a-f]{16})'
          trace:
            trace_id: {parse_from: attributes.trace_id}
            span_id: {parse_from: attributes.span_id}
        """).one("GET / trace=4bf92f3577b34da6a3ce929d0e0e4736 span=00f067aa0ba902b7");
    assertThat(e.traceId()).hasSize(16);
    assertThat(e.spanId()).hasSize(8);
  }

  @Test
  void entriesPassThroughAnEmptyList() {
    Ops ops = Ops.of("[]");
    assertThat(ops.pipeline.isEmpty()).isTrue();
    assertThat(ops.one("x").body()).isEqualTo("x");
  }

  @Test
  void fieldPathsParseAsTheCollectorWritesThem() {
    assertThat(Field.parse("attributes[\"log.file.path\"]").keys()).containsExactly("log.file.path");
    assertThat(Field.parse("body.a[\"b.c\"].d").keys()).containsExactly("a", "b.c", "d");
    assertThat(Field.parse("resource['k8s.pod.name']").root()).isEqualTo(Field.Root.RESOURCE);
    assertThat(Field.parse("attributes.log.file.path").keys()).containsExactly("log", "file", "path");
    for (String bad : List.of("", "message", "body.", "body..a", "attributes[x]", "attributes[\"x\"", "$body")) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> Field.parse(bad))
          .as(bad).isInstanceOf(IllegalArgumentException.class);
    }
  }
}
