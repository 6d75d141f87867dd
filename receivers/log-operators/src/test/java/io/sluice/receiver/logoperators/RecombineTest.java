package io.sluice.receiver.logoperators;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class RecombineTest {

  private static List<Object> bodies(Ops ops, String... lines) {
    List<LogEntry> out = new ArrayList<>();
    for (String l : lines) {
      out.addAll(ops.run(l));
    }
    ops.pipeline.flush(out::add);
    return out.stream().map(LogEntry::body).toList();
  }

  @Test
  void aJavaStackTraceBecomesOneRecord() {
    Ops ops = Ops.of("- type: recombine\n  combine_field: body\n  is_first_entry: 'body matches \"^[^\\\\s]\"'\n");
    assertThat(bodies(ops, "Log message 1", "Error: java.lang.Exception: Stack trace",
        "        at java.lang.Thread.dumpStack(Thread.java:1336)", "        at Main.main(Main.java:3)",
        "Caused by: x", "        at Main.demo(Main.java:6)", "Another log message"))
        .containsExactly("Log message 1",
            "Error: java.lang.Exception: Stack trace\n        at java.lang.Thread.dumpStack(Thread.java:1336)\n"
                + "        at Main.main(Main.java:3)",
            "Caused by: x\n        at Main.demo(Main.java:6)",
            "Another log message");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "is_first_entry | 0 | log2,log3,log4,log1,log5,log6,log7,log1           | log2+log3+log4;log1+log5+log6+log7;log1",
      "is_first_entry | 1 | log2,log3,log4,log1,log5,log6,log7,log1           | log2;log3;log4;log1+log5+log6+log7;log1",
      "is_first_entry | 3 | log2,log3,log4,log5,log1,log6,log7,log1,log8,log1 | log2+log3+log4;log5;log1+log6+log7;log1+log8;log1",
      "is_last_entry  | 3 | log2,log3,log4,log5,log1,log6,log7,log1,log8,log1 | log2+log3+log4;log5+log1;log6+log7+log1;log8+log1"})
  void maxUnmatchedBatchSizeAsTheCollectorDocumentsIt(String mode, int maxUnmatched, String in, String expected) {
    Ops ops = Ops.of("- type: recombine\n  combine_field: body\n  " + mode + ": body == 'log1'\n"
        + "  max_unmatched_batch_size: " + maxUnmatched + "\n");
    List<String> want = new ArrayList<>();
    for (String e : expected.split(";")) {
      want.add(e.replace("+", "\n"));
    }
    assertThat(bodies(ops, in.split(","))).containsExactlyElementsOf(want);
  }

  @Test
  void partialCriLinesJoinWithAnEmptySeparatorOnTheNewestEntry() {
    Ops ops = Ops.of("""
        - type: regex_parser
          regex: '^(?P<timestamp>[^\\s]+) (?P<stream>\\w+) (?P<logtag>\\w) (?P<message>.*)'
          parse_to: body
        - type: recombine
          combine_field: body.message
          combine_with: ""
          is_last_entry: "body.logtag == 'F'"
        """);
    List<LogEntry> out = new ArrayList<>();
    for (String l : List.of("2016-10-06T00:17:09.669794202Z stdout F Single entry log 1",
        "2016-10-06T00:17:10.113242941Z stdout P This is a very very long line th",
        "2016-10-06T00:17:10.113242941Z stdout P at is really really long and spa",
        "2016-10-06T00:17:10.113242941Z stdout F ns across multiple log entries")) {
      out.addAll(ops.run(l));
    }
    assertThat(out).extracting(e -> e.get("body.message")).containsExactly("Single entry log 1",
        "This is a very very long line that is really really long and spans across multiple log entries");
    assertThat(out.get(1).get("body.logtag")).isEqualTo("F");
  }

  @Test
  void sourcesAreCombinedSeparately() {
    Ops ops = Ops.of("- type: recombine\n  combine_field: body\n  is_first_entry: 'body startsWith \"#\"'\n");
    List<LogEntry> out = new ArrayList<>();
    for (String[] l : new String[][] {{"a", "#1"}, {"b", "#2"}, {"a", " a-more"}, {"b", " b-more"}, {"a", "#3"}}) {
      LogEntry e = new LogEntry(l[1]);
      e.attributes().put("log.file.path", l[0]);
      out.addAll(ops.run(e));
    }
    ops.pipeline.flush(out::add);
    assertThat(out).extracting(LogEntry::body).containsExactly("#1\n a-more", "#2\n b-more", "#3");
  }

  @Test
  void overwriteWithOldestKeepsTheFirstEntrysFields() {
    Ops ops = Ops.of("- type: recombine\n  combine_field: body\n  is_last_entry: 'body endsWith \".\"'\n"
        + "  overwrite_with: oldest\n");
    ops.run(new LogEntry("first").timestamp(1));
    assertThat(ops.one(new LogEntry("last.").timestamp(2))).satisfies(e -> {
      assertThat(e.body()).isEqualTo("first\nlast.");
      assertThat(e.timestamp()).isEqualTo(1);
    });
  }

  @Test
  void batchesStopAtMaxBatchSizeAndMaxLogSize() {
    Ops bySize = Ops.of("- type: recombine\n  combine_field: body\n  is_first_entry: 'body == \"#\"'\n"
        + "  max_batch_size: 2\n");
    assertThat(bodies(bySize, "#", "a", "b", "c")).containsExactly("#\na", "b\nc");
    Ops byLength = Ops.of("- type: recombine\n  combine_field: body\n  is_first_entry: 'body == \"#\"'\n"
        + "  max_log_size: 5\n");
    assertThat(bodies(byLength, "#", "abc", "d", "e")).containsExactly("#\nabc", "d\ne");
  }

  @Test
  void flushExpiredSendsBatchesOlderThanTheForceFlushPeriod() throws Exception {
    MutableClock clock = new MutableClock();
    OperatorPipeline p = OperatorPipeline.build(Ops.list(
        "- type: recombine\n  combine_field: body\n  is_first_entry: 'body == \"#\"'\n  force_flush_period: 2s\n"),
        "operators", new OperatorPipeline.Options(clock, (id, m, q, d) -> { }));
    assertThat(p.process(new LogEntry("#"))).isEmpty();
    assertThat(p.process(new LogEntry("tail"))).isEmpty();
    List<LogEntry> out = new ArrayList<>();
    clock.now = clock.now.plusMillis(1999);
    p.flushExpired(out::add);
    assertThat(out).isEmpty();
    clock.now = clock.now.plusMillis(1);
    p.flushExpired(out::add);
    assertThat(out).extracting(LogEntry::body).containsExactly("#\ntail");
  }

  @Test
  void exactlyOneOfFirstAndLastIsRequired() {
    assertThat(Ops.problems("- type: recombine\n  combine_field: body\n")).singleElement().asString()
        .startsWith("operators[0].is_first_entry: or is_last_entry is required");
    assertThat(Ops.problems("- type: recombine\n  combine_field: body\n  is_first_entry: 'true'\n"
        + "  is_last_entry: 'true'\n")).singleElement().asString()
        .startsWith("operators[0].is_last_entry: cannot be combined with is_first_entry");
    assertThat(Ops.problems("- type: recombine\n  combine_field: body\n  is_first_entry: 'true'\n"
        + "  force_flush_period: soon\n  overwrite_with: latest\n")).hasSize(2);
  }

  private static final class MutableClock extends Clock {
    Instant now = Instant.parse("2026-12-07T12:00:00Z");

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }
  }
}
