package io.sluice.receiver.filelog;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.sluice.core.testkit.SelfMetricsReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How file contents become entries: multiline, size limits, encodings, the last line. */
class FilelogEntriesTest {
  @TempDir Path dir;
  private final Harness h = new Harness();

  @AfterEach
  void tearDown() throws Exception {
    h.close();
  }

  private String yaml(String... more) {
    return "include: [\"" + dir + "/*.log\"]\nstart_at: beginning\npoll_interval: 20ms\nforce_flush_period: 100ms\n"
        + String.join("\n", more);
  }

  @Test
  void aJavaStackTraceStaysOneRecordWithLineStartPattern() throws Exception {
    String trace = """
        2026-12-07 10:00:01 ERROR Request failed
        java.lang.IllegalStateException: boom
        \tat io.example.Service.handle(Service.java:42)
        \tat io.example.Server.run(Server.java:7)
        Caused by: java.io.IOException: closed
        \t... 2 more""";
    Files.writeString(dir.resolve("app.log"), "2026-12-07 10:00:00 INFO Started\n" + trace
        + "\n2026-12-07 10:00:02 INFO Next\n", UTF_8);
    h.start(yaml("multiline:", "  line_start_pattern: '^\\d{4}-\\d{2}-\\d{2}'"));

    h.awaitExactly(List.of("2026-12-07 10:00:00 INFO Started", trace, "2026-12-07 10:00:02 INFO Next"));
  }

  @Test
  void lineEndPatternEndsEntriesAndOmitPatternDropsTheMarker() throws Exception {
    Files.writeString(dir.resolve("app.log"), "a1\na2 END\nb1\nb2\nb3 END\n", UTF_8);
    h.start(yaml("multiline:", "  line_end_pattern: ' END$'", "  omit_pattern: true"));

    h.awaitExactly(List.of("a1\na2", "b1\nb2\nb3"));
  }

  @Test
  void entriesLongerThanMaxLogSizeAreSplitAndCounted() throws Exception {
    Files.writeString(dir.resolve("app.log"), "x".repeat(40) + "\nshort\n", UTF_8);
    h.start(yaml("max_log_size: 16"));

    h.awaitExactly(List.of("x".repeat(16), "x".repeat(16), "x".repeat(8), "short"));
    assertThat(SelfMetricsReader.counter(h.metrics, "sluice_receiver_split_log_entries", "component_id", "filelog"))
        .isEqualTo(2);
  }

  @Test
  void eachFilesAcknowledgedOffsetAndSizeAreSelfMetrics() throws Exception {
    Path file = dir.resolve("app.log");
    Files.writeString(file, "one\ntwo\n", UTF_8);
    FilelogReceiver r = h.start(yaml());
    h.awaitExactly(List.of("one", "two"));
    String[] labels = {"component_id", "filelog", "path", file.toString()};
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        fileGauge("sluice_receiver_filelog_file_offset_bytes", labels) == 8.0);
    assertThat(SelfMetricsReader.gauge(h.metrics, "sluice_receiver_filelog_file_size_bytes", labels)).isEqualTo(8.0);

    Files.writeString(file, "three\n", UTF_8, java.nio.file.StandardOpenOption.APPEND);
    h.awaitExactly(List.of("one", "two", "three"));
    org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10)).until(() ->
        fileGauge("sluice_receiver_filelog_file_offset_bytes", labels) == 14.0);

    h.stop(r);
    assertThat(Double.isNaN(fileGauge("sluice_receiver_filelog_file_offset_bytes", labels)))
        .as("no series once the receiver stopped").isTrue();
  }

  /** The gauge's value, or NaN while it has no such series. */
  private double fileGauge(String name, String... labels) {
    try {
      return SelfMetricsReader.gauge(h.metrics, name, labels);
    } catch (AssertionError none) {
      return Double.NaN;
    }
  }

  @Test
  void theLastLineWithoutNewlineIsSentAfterTheForceFlushPeriod() throws Exception {
    Files.writeString(dir.resolve("app.log"), "complete\nno newline yet", UTF_8);
    h.start(yaml());

    h.awaitExactly(List.of("complete", "no newline yet"));
  }

  @Test
  void aLineWaitingForItsEndIsLookedAtOncePerPollNotInALoop() throws Exception {
    Files.writeString(dir.resolve("app.log"), "done\nhalf a li", UTF_8);
    FilelogReceiver r = h.start("include: [\"" + dir + "/*.log\"]\nstart_at: beginning\npoll_interval: 100ms\n"
        + "force_flush_period: 1500ms");

    h.awaitExactly(List.of("done", "half a li"));
    long polls = h.tv.vertx().executeBlocking(() -> r.tailerForTest().polls()).toCompletionStage()
        .toCompletableFuture().get();
    assertThat(polls).as("polls until the force flush").isLessThan(40);
  }

  @Test
  void readsUtf16LittleAndBigEndian() throws Exception {
    Files.write(dir.resolve("le.log"), "grüße\nzweite\n".getBytes(StandardCharsets.UTF_16LE));
    // its byte-order mark is skipped, not the first character of the first record
    Files.write(dir.resolve("bom.log"), FilelogHeaderTest.concat(new byte[] {(byte) 0xff, (byte) 0xfe},
        "mit Marke\n".getBytes(StandardCharsets.UTF_16LE)));
    h.start(yaml("encoding: utf-16le"));
    h.awaitExactly(List.of("grüße", "zweite", "mit Marke"));
  }

  @Test
  void readsUtf16BigEndian() throws Exception {
    Files.write(dir.resolve("be.log"), "ünî\ncödé\n".getBytes(StandardCharsets.UTF_16BE));
    h.start(yaml("encoding: utf-16be"));
    h.awaitExactly(List.of("ünî", "cödé"));
  }

  @Test
  void readsLatin1() throws Exception {
    Files.write(dir.resolve("l1.log"), "café\nnaïve\n".getBytes(StandardCharsets.ISO_8859_1));
    h.start(yaml("encoding: latin-1"));
    h.awaitExactly(List.of("café", "naïve"));
  }

  @Test
  void nopEncodingSendsTheRawBytes() throws Exception {
    Files.write(dir.resolve("raw.log"), new byte[] {1, 2, (byte) 0xff, '\n'});
    h.start(yaml("encoding: nop"));
    org.awaitility.Awaitility.await().until(() -> h.delivered.size() == 1);
    assertThat(h.delivered.get(0).getBody().getBytesValue().toByteArray()).containsExactly(1, 2, 0xff);
  }

  @Test
  void addsConfiguredAttributesAndResource() throws Exception {
    Files.writeString(dir.resolve("app.log"), "one\n", UTF_8);
    h.start(yaml("attributes: {team: payments}", "resource: {service.name: checkout}", "include_file_name: false"));
    h.awaitExactly(List.of("one"));

    var batch = h.attempts.get(0).resourceLogs().get(0);
    assertThat(batch.getResource().getAttributesList()).singleElement()
        .satisfies(kv -> assertThat(kv.getKey()).isEqualTo("service.name"));
    assertThat(h.delivered.get(0).getAttributesList()).singleElement()
        .satisfies(kv -> assertThat(kv.getValue().getStringValue()).isEqualTo("payments"));
  }

  @Test
  void excludedFilesAndDoubleStarGlobs() throws Exception {
    Files.createDirectories(dir.resolve("a/b"));
    Files.writeString(dir.resolve("top.log"), "top\n", UTF_8);
    Files.writeString(dir.resolve("a/b/deep.log"), "deep\n", UTF_8);
    Files.writeString(dir.resolve("a/skip.log"), "skip\n", UTF_8);
    h.start("include: [\"" + dir + "/**/*.log\"]\nexclude: [\"" + dir + "/a/skip.log\"]\nstart_at: beginning\n"
        + "poll_interval: 20ms");

    h.awaitExactly(List.of("top", "deep"));
  }

  @Test
  void deleteAfterReadRemovesFilesOnceAcknowledged() throws Exception {
    Path log = dir.resolve("batch.log");
    Files.writeString(log, "one\ntwo\n", UTF_8);
    h.start(yaml("delete_after_read: true"));

    h.awaitExactly(List.of("one", "two"));
    org.awaitility.Awaitility.await().until(() -> !Files.exists(log));
  }

  @Test
  void operatorsSeeEachEntryAndMayDropOrMultiplyItAndSetItsFields() throws Exception {
    Files.writeString(dir.resolve("app.log"), "keep ERROR\ndrop me\ntwice\n", UTF_8);
    LogEntryPipeline operators = (e, out) -> {
      String body = (String) e.body();
      if (body.startsWith("drop")) {
        return;
      }
      java.util.Map<String, Object> attrs = new java.util.LinkedHashMap<>(e.attributes());
      attrs.put("length", (long) body.length());
      java.util.Map<String, Object> resource = new java.util.LinkedHashMap<>(e.resource());
      resource.put("host.name", body.equals("twice") ? "b" : "a");
      out.accept(new LogEntry(body, attrs, resource, 1_000L, e.observedTimestampNanos(), 17, "ERROR",
          new byte[16], new byte[8], 1));
      if (body.equals("twice")) {
        out.accept(e);
      }
    };
    h.start(Harness.config(yaml("operators: [{type: noop}]")), (ops, key) -> {
      assertThat(ops).singleElement().satisfies(op -> assertThat(op).containsEntry("type", "noop"));
      assertThat(key).isEqualTo("receivers.filelog.operators");
      return operators;
    });

    h.awaitExactly(List.of("keep ERROR", "twice", "twice"));
    var first = h.delivered.stream().filter(r -> r.getBody().getStringValue().equals("keep ERROR")).findFirst()
        .orElseThrow();
    assertThat(first.getSeverityNumberValue()).isEqualTo(17);
    assertThat(first.getSeverityText()).isEqualTo("ERROR");
    assertThat(first.getTimeUnixNano()).isEqualTo(1_000L);
    assertThat(first.getTraceId().size()).isEqualTo(16);
    assertThat(first.getAttributesList()).anyMatch(kv -> kv.getKey().equals("length")
        && kv.getValue().getIntValue() == 10);
    assertThat(h.attempts.get(0).resourceLogs()).hasSizeGreaterThanOrEqualTo(2);
  }

  @Test
  void theCollectorsOperatorsParseEachLineIntoTimeSeverityAndAttributes() throws Exception {
    Files.writeString(dir.resolve("access.log"), """
        2026-12-07T10:00:00Z GET /cart 200 12ms
        2026-12-07T10:00:01Z POST /pay 503 250ms
        not an access log line
        """, UTF_8);
    h.start(yaml("""
        operators:
          - type: regex_parser
            regex: '^(?P<time>\\S+) (?P<method>\\S+) (?P<path>\\S+) (?P<status>\\d+) (?P<took>\\S+)$'
            timestamp:
              parse_from: attributes.time
              layout_type: gotime
              layout: '2006-01-02T15:04:05Z07:00'
            severity:
              parse_from: attributes.status
              mapping:
                error: 5xx
                info: 2xx
            on_error: send_quiet
          - type: remove
            field: attributes.time
        """));

    h.awaitExactly(List.of("2026-12-07T10:00:00Z GET /cart 200 12ms", "2026-12-07T10:00:01Z POST /pay 503 250ms",
        "not an access log line"));
    var pay = h.delivered.stream().filter(r -> r.getBody().getStringValue().contains("/pay")).findFirst()
        .orElseThrow();
    assertThat(pay.getTimeUnixNano()).isEqualTo(java.time.Instant.parse("2026-12-07T10:00:01Z").toEpochMilli()
        * 1_000_000L);
    assertThat(pay.getSeverityNumberValue()).isEqualTo(17);
    java.util.Map<String, String> attrs = new java.util.HashMap<>();
    pay.getAttributesList().forEach(kv -> attrs.put(kv.getKey(), kv.getValue().getStringValue()));
    assertThat(attrs).containsEntry("method", "POST").containsEntry("path", "/pay").containsEntry("status", "503")
        .containsEntry("log.file.name", "access.log").doesNotContainKey("time");
    var raw = h.delivered.stream().filter(r -> r.getBody().getStringValue().startsWith("not")).findFirst()
        .orElseThrow();
    assertThat(raw.getSeverityNumberValue()).as("a line the regex does not match is sent as it was").isZero();
  }

  @Test
  void anUnknownOperatorIsAConfigErrorAtItsPath() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Harness.config(yaml("""
        operators:
          - type: regex_parser
            regex: '^(?P<a>.*)$'
          - type: frobnicate
        """))).hasMessageContaining("receivers.filelog.operators[1]").hasMessageContaining("frobnicate");
  }
}
